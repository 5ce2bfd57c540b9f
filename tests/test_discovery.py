"""Browser discovery: which Chromium the tool picks, in the documented order.

Fake browsers are tiny shell scripts on a temporary PATH or in a fake Playwright
browsers directory, so the tests never depend on what this machine has installed.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from capture.browser import (
    ENV_BROWSER,
    executable_version,
    find_browser,
    playwright_browsers_dir,
)
from capture.errors import UsageError

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake browsers are POSIX shell scripts")


def fake_browser(path: Path, version: str = "Chromium 120.0.6099.109") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\necho '{version}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """Nothing discoverable: empty PATH, empty Playwright dir, no EVIDENCE_BROWSER."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    browsers = tmp_path / "ms-playwright"
    browsers.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(browsers))
    monkeypatch.delenv(ENV_BROWSER, raising=False)
    return bin_dir, browsers


def test_chromium_on_path_is_found_as_system_browser(isolated):
    bin_dir, _ = isolated
    chromium = fake_browser(bin_dir / "chromium")
    found = find_browser()
    assert found.executable == chromium
    assert found.source == "system"


def test_chrome_is_found_when_it_is_the_only_browser_on_path(isolated):
    bin_dir, _ = isolated
    chrome = fake_browser(bin_dir / "google-chrome-stable")
    assert find_browser().executable == chrome


def test_chromium_is_preferred_over_chrome_and_edge_on_path(isolated):
    bin_dir, _ = isolated
    fake_browser(bin_dir / "microsoft-edge")
    fake_browser(bin_dir / "google-chrome")
    chromium = fake_browser(bin_dir / "chromium")
    assert find_browser().executable == chromium


def test_non_executable_file_on_path_is_not_taken_for_a_browser(isolated):
    bin_dir, _ = isolated
    (bin_dir / "chromium").write_text("not a program\n")
    chrome = fake_browser(bin_dir / "google-chrome")
    assert find_browser().executable == chrome


def test_nothing_installed_is_a_usage_error_pointing_at_setup(isolated):
    with pytest.raises(UsageError, match="README"):
        find_browser()


def test_playwright_chromium_is_preferred_over_system_browser(isolated):
    bin_dir, browsers = isolated
    fake_browser(bin_dir / "chromium")
    playwright_chrome = fake_browser(browsers / "chromium-1140" / "chrome-linux" / "chrome")
    found = find_browser()
    assert found.executable == playwright_chrome
    assert found.source == "playwright"


def test_newest_playwright_build_wins_by_number_not_by_spelling(isolated):
    _, browsers = isolated
    fake_browser(browsers / "chromium-999" / "chrome-linux" / "chrome")
    newest = fake_browser(browsers / "chromium-1200" / "chrome-linux64" / "chrome")
    assert find_browser().executable == newest


def test_playwright_build_without_executable_bit_is_skipped(isolated):
    bin_dir, browsers = isolated
    broken = browsers / "chromium-1200" / "chrome-linux" / "chrome"
    broken.parent.mkdir(parents=True)
    broken.write_text("half-downloaded")
    chromium = fake_browser(bin_dir / "chromium")
    assert find_browser().executable == chromium


def test_playwright_browsers_path_zero_means_inside_the_playwright_package(monkeypatch):
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", "0")
    assert playwright_browsers_dir().parts[-3:] == ("driver", "package", ".local-browsers")


def test_evidence_browser_beats_playwright_and_path(isolated, monkeypatch, tmp_path):
    bin_dir, browsers = isolated
    fake_browser(bin_dir / "chromium")
    fake_browser(browsers / "chromium-1140" / "chrome-linux" / "chrome")
    chosen = fake_browser(tmp_path / "elsewhere" / "my-chrome")
    monkeypatch.setenv(ENV_BROWSER, str(chosen))
    found = find_browser()
    assert found.executable == chosen
    assert found.source == "environment"


def test_explicit_option_beats_evidence_browser(isolated, monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_BROWSER, str(fake_browser(tmp_path / "env-chrome")))
    explicit = fake_browser(tmp_path / "option-chrome")
    found = find_browser(str(explicit))
    assert found.executable == explicit
    assert found.source == "option"


def test_bad_explicit_path_is_a_usage_error_naming_the_path(isolated, tmp_path):
    missing = tmp_path / "no-such-chrome"
    with pytest.raises(UsageError) as caught:
        find_browser(str(missing))
    assert str(missing) in str(caught.value)
    assert "--browser-executable" in str(caught.value)
    assert caught.value.exit_code == 2


def test_bad_evidence_browser_is_a_usage_error_naming_path_and_variable(
    isolated, monkeypatch, tmp_path
):
    text_file = tmp_path / "notes.txt"
    text_file.write_text("not a browser\n")
    monkeypatch.setenv(ENV_BROWSER, str(text_file))
    with pytest.raises(UsageError) as caught:
        find_browser()
    assert str(text_file) in str(caught.value)
    assert ENV_BROWSER in str(caught.value)


def test_directory_is_not_accepted_as_browser_executable(isolated, tmp_path):
    with pytest.raises(UsageError, match=str(tmp_path)):
        find_browser(str(tmp_path))


def test_version_of_a_browser_is_its_first_line(tmp_path):
    chrome = fake_browser(tmp_path / "chrome", "Google Chrome 131.0.6778.85")
    assert executable_version(chrome) == "Google Chrome 131.0.6778.85"


def test_program_that_is_not_a_browser_has_no_version(tmp_path):
    liar = fake_browser(tmp_path / "true", "true (GNU coreutils) 9.1")
    assert executable_version(liar) is None
    assert executable_version(Path("/bin/true")) is None
