"""Plans (targets with actions) and captures behind a login."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from capture.browser import BrowserSettings
from capture.login import login, storage_state
from capture.manifest import Manifest
from capture.png import decode_rows
from capture.verify import verify

from .login_site import PASSWORD, USER, LoginHandler
from .servers import serve

EVIDENCE = [sys.executable, "-m", "capture"]


def evidence(*args, env=None, input=None, timeout=240):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([*EVIDENCE, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, input=input)


def manifest_of(root: Path) -> Manifest:
    return Manifest.model_validate_json((root / "manifest.json").read_bytes())


@pytest.fixture(scope="module")
def login_site():
    with serve(LoginHandler) as url:
        yield url


@pytest.fixture
def data_home(tmp_path):
    home = tmp_path / "data-home"
    return {"XDG_DATA_HOME": str(home)}, home / "evidence-capture" / "profiles"


async def fill_the_form(page, context) -> dict:
    """What the person does in the window, done by a script instead."""
    await page.fill("#user", USER)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation(url="**/order", timeout=60_000):
        await page.click("#submit")
    return await storage_state(context)


def test_login_saves_a_private_profile_that_captures_the_protected_order(tmp_path, login_site, data_home):
    env, profiles = data_home
    saved = login(f"{login_site}/login", "shop", BrowserSettings(headless=True), fill_the_form,
                  directory=profiles)
    profile = profiles / "shop.json"
    assert saved == profile
    assert stat.S_IMODE(profile.stat().st_mode) == 0o600
    assert stat.S_IMODE(profiles.stat().st_mode) == 0o700
    assert LoginHandler.token in profile.read_text()

    listed = evidence("login", "--list", env=env)
    assert listed.returncode == 0 and "shop" in listed.stdout and "127.0.0.1" in listed.stdout

    out = tmp_path / "with-login"
    done = evidence("capture", "--order", f"{login_site}/order", "--profile", "shop", "-o", out, env=env)
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    assert "ORDER-778899" in (out / "captures/01-order/text.txt").read_text("utf-8")
    assert manifest.login.source == "profile" and manifest.login.profile == "shop"
    assert manifest.captures[0].warnings == []
    # The session cookie is nowhere in the bundle, not even inside trace.zip.
    import zipfile

    for path in out.rglob("*"):
        if path.is_file():
            assert LoginHandler.token.encode() not in path.read_bytes(), path
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    for name in archive.namelist():
                        assert LoginHandler.token.encode() not in archive.read(name), name
    assert not any(p.name == "shop.json" for p in out.rglob("*"))

    deleted = evidence("login", "--delete", "shop", env=env)
    assert deleted.returncode == 0 and not profile.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ((), "give a URL and --profile NAME"),
        (("http://127.0.0.1:9/login",), "give a URL and --profile NAME"),
        (("ftp://127.0.0.1/login", "--profile", "shop"), "must start with http:// or https://"),
        (("http://127.0.0.1:9/login", "--profile", "../shop"), "profile name '../shop'"),
        (("--delete", "nobody"), "no login profile named 'nobody'"),
    ],
)
def test_login_command_refuses_bad_arguments_before_any_browser(data_home, args, expected):
    env, profiles = data_home
    done = evidence("login", *args, env=env, timeout=60)
    assert done.returncode == 2, done.stderr
    [message] = done.stderr.strip().splitlines()
    assert expected in message and "Traceback" not in done.stderr
    assert not profiles.exists()


def test_login_list_without_profiles_says_so(data_home):
    env, _ = data_home
    done = evidence("login", "--list", env=env, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "no saved login profiles"


def test_without_login_the_login_page_is_captured_with_a_warning(tmp_path, login_site):
    out = tmp_path / "no-login"
    done = evidence("capture", "--order", f"{login_site}/order", "--no-trace", "-o", out)
    assert done.returncode == 0
    capture = manifest_of(out).captures[0]
    assert capture.final_url.startswith(f"{login_site}/login")
    assert any("login page" in w for w in capture.warnings)
    assert "ORDER-778899" not in (out / "captures/01-order/text.txt").read_text("utf-8")


def test_expired_profile_warning_names_the_profile_and_the_fix(tmp_path, login_site, data_home):
    env, profiles = data_home
    profiles.mkdir(parents=True)
    host = login_site.split("//")[1].split(":")[0]
    (profiles / "old.json").write_text(json.dumps({"cookies": [
        {"name": "session", "value": "expired-token-000", "domain": host, "path": "/",
         "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"}], "origins": []}))
    out = tmp_path / "expired"
    done = evidence("capture", "--order", f"{login_site}/order", "--profile", "old", "--no-trace",
                    "-o", out, env=env)
    assert done.returncode == 0
    warning = " ".join(manifest_of(out).captures[0].warnings)
    assert "profile 'old'" in warning and "evidence login" in warning


def test_unknown_profile_is_a_usage_error(tmp_path, data_home):
    env, _ = data_home
    done = evidence("capture", "http://127.0.0.1:9/x", "--profile", "nobody", "-o", tmp_path / "b", env=env)
    assert done.returncode == 2 and "nobody" in done.stderr and "Traceback" not in done.stderr


def write_plan(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_plan_actions_are_performed_and_recorded_in_order(tmp_path, site):
    plan = write_plan(tmp_path / "plan.toml", f"""
base_url = "{site}/plan/"

[case]
title = "plan title"
platform = "测试平台"

[[target]]
kind = "product"
url = "product.html"
wait_for = "#late"
click = ["text=展开全部", "#does-not-exist"]
mask = [".phone"]
javascript = "document.title = document.title + ' (js ran)'"
""")
    out = tmp_path / "planned"
    done = evidence("capture", "--plan", plan, "--case-title", "from the command line", "--no-trace", "-o", out)
    assert done.returncode == 0, done.stderr
    manifest = manifest_of(out)
    assert manifest.case.title == "from the command line"  # command line wins
    assert manifest.case.platform == "测试平台"  # the plan fills the rest
    capture = manifest.captures[0]
    text = (out / "captures/01-product/text.txt").read_text("utf-8")
    assert "EXPANDED-CONTENT" in text and "LATE-CONTENT" in text
    kinds = [a.type for a in capture.actions]
    order = [kinds.index(k) for k in ("load", "wait_for", "click", "javascript", "mask", "screenshot")]
    assert order == sorted(order)
    clicks = [a for a in capture.actions if a.type == "click"]
    assert [c.outcome for c in clicks] == ["ok", "warning"]
    assert any("#does-not-exist" in w for w in capture.warnings)
    assert capture.modified_by_script and capture.title.endswith("(js ran)")
    mask = next(a for a in capture.actions if a.type == "mask")
    assert mask.selector == ".phone" and "1 region" in mask.detail
    # The masked phone number is black in the screenshot.
    box = mask.detail.split(": ", 1)[1]
    x, y = (int(part.split("=")[1]) for part in box.split()[:2])
    _, _, bpp, rows = decode_rows((out / "captures/01-product/screenshot.png").read_bytes())
    assert tuple(rows[y + 20][(x + 20) * bpp:(x + 20) * bpp + 3]) == (0, 0, 0)
    assert verify(out).verdict == "INTACT"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[[target]]\nurl = "http://127.0.0.1/a"\nclik = ["x"]\n', "target 1 (http://127.0.0.1/a), key 'clik': unknown key"),
        ('[[target]]\nurl = "http://127.0.0.1/a"\ntimeout = "soon"\n', "key 'timeout'"),
        ('[[target]]\nkind = "video"\nurl = "http://127.0.0.1/a"\n', "key 'kind'"),
        ('[[target]]\nurl = "ftp://127.0.0.1/a"\n', "key 'url': URL must start with http:// or https://"),
        ('[[target]]\nkind = "order"\n', "key 'url': required key is missing"),
        ('[[target]]\nurl = "http://127.0.0.1/a"\n[[target]]\nurl = "http://127.0.0.1/a"\n', "target 2, key 'url': duplicate"),
        ('[case]\ntitel = "x"\n[[target]]\nurl = "http://127.0.0.1/a"\n', "key 'case.titel': unknown key"),
        ('[[target]\nurl = 1\n', "not valid TOML"),
        ('title = "no targets"\n', "key 'title': unknown key"),
        ('[case]\ntitle = "x"\n', "key 'target': required key is missing"),
    ],
)
def test_malformed_plan_is_refused_before_the_browser_starts(tmp_path, text, expected):
    plan = write_plan(tmp_path / "bad.toml", text)
    done = evidence("capture", "--plan", plan, "-o", tmp_path / "out")
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert all(str(plan) in line for line in lines), lines
    assert any(expected in line for line in lines), lines
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_missing_plan_file_is_a_usage_error(tmp_path):
    done = evidence("capture", "--plan", tmp_path / "nope.toml")
    assert done.returncode == 2 and "nope.toml" in done.stderr


def test_command_line_targets_keep_their_order(tmp_path, site):
    out = tmp_path / "ordered"
    done = evidence("capture", "--product", f"{site}/long.html", f"{site}/hello.html",
                    "--order", f"{site}/plan/product.html", "--no-trace", "--jobs", "2", "-o", out)
    assert done.returncode == 0, done.stderr
    captures = manifest_of(out).captures
    assert [(c.index, c.kind) for c in captures] == [(1, "product"), (2, "page"), (3, "order")]
    assert [c.requested_url for c in captures] == [f"{site}/long.html", f"{site}/hello.html", f"{site}/plan/product.html"]
