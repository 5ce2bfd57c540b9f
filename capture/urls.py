"""The one check of a URL a person typed: http(s), a host, and a plain hint when not.

People paste `shop.example.com/order/1` without a scheme, or a `file://` path: each
gets one sentence saying what is wrong and what to type instead, never a silent guess.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .messages import t

SCHEMES = ("http", "https")


class BadUrl(ValueError):
    """A URL the tool will not open; the message is one line for a person."""


def check_http_url(url: str, what: str | None = None) -> str:
    """`url` unchanged when it is an absolute http(s) URL with a host; else BadUrl.

    `what` names the URL in the message (default: "URL", in the reader's language).
    """
    what = t("url.what") if what is None else what
    text = url.strip() if isinstance(url, str) else ""
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise BadUrl(t("url.invalid", what=what, url=url)) from None
    scheme = parts.scheme.lower()
    if scheme in SCHEMES and host:
        return url
    if not scheme or (scheme not in SCHEMES and not parts.netloc and "." in scheme):
        # "shop.example.com/order/1" or "shop.example.com:8080/x" (parsed as a scheme)
        raise BadUrl(t("url.no_scheme", what=what, url=url, suggestion=text.lstrip("/")))
    if scheme == "file":
        raise BadUrl(t("url.file", what=what, url=url))
    if scheme in SCHEMES:
        raise BadUrl(t("url.no_host", what=what, url=url))
    raise BadUrl(t("url.scheme", what=what, url=url, scheme=scheme))
