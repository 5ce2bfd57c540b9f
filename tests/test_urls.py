"""A URL a person typed gets one plain sentence when it cannot be captured."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from capture.cli import main
from capture.urls import BadUrl, check_http_url


@pytest.mark.parametrize("url", ["https://shop.example/order/1", "http://127.0.0.1:8080/x?y=1"])
def test_http_urls_pass_unchanged(url):
    assert check_http_url(url) == url


@pytest.mark.parametrize("url, hint", [
    ("shop.example.com/order/1", "did you mean https://shop.example.com/order/1 ?"),
    ("shop.example.com:8080/order/1", "did you mean https://shop.example.com:8080/order/1 ?"),
    ("www.shop.example", "did you mean https://www.shop.example ?"),
    ("file:///home/me/order.html", "is a file on this computer"),
    ("ftp://shop.example/x", "must start with http:// or https://"),
    ("javascript:alert(1)", "must start with http:// or https://"),
    ("https:///nohost", "has no host name"),
    ("http://shop.example:port/", "is not a valid URL"),
])
def test_unusable_urls_say_what_to_type(url, hint):
    with pytest.raises(BadUrl) as caught:
        check_http_url(url)
    assert hint in str(caught.value)


def test_capture_of_a_url_without_scheme_suggests_https_and_captures_nothing(tmp_path):
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["capture", "shop.example.com/order/1", "-o", str(out)])
    assert result.exit_code == 2
    assert "did you mean https://shop.example.com/order/1 ?" in result.output
    assert "Traceback" not in result.output and not out.exists()
