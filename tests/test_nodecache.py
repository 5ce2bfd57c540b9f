"""The driver's compile cache (capture/nodecache.py): where it goes, whose it is, and
that a real run of `evidence capture` fills it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from capture.nodecache import VARIABLE, use_node_compile_cache


def test_the_cache_goes_under_the_users_cache_directory(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    use_node_compile_cache(environ)
    folder = tmp_path / "evidence-capture" / "node-compile-cache"
    assert environ[VARIABLE] == str(folder)
    assert folder.is_dir() and (folder.stat().st_mode & 0o777) == 0o700


@pytest.mark.parametrize("theirs", [{VARIABLE: "/their/cache"}, {"NODE_DISABLE_COMPILE_CACHE": "1"}])
def test_a_cache_the_user_chose_or_turned_off_is_left_alone(tmp_path, theirs):
    environ = {"XDG_CACHE_HOME": str(tmp_path), **theirs}
    use_node_compile_cache(environ)
    assert environ == {"XDG_CACHE_HOME": str(tmp_path), **theirs}
    assert not (tmp_path / "evidence-capture").exists()


def test_no_cache_where_none_can_be_made(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    environ = {"XDG_CACHE_HOME": str(blocker)}
    use_node_compile_cache(environ)
    assert VARIABLE not in environ


def test_a_capture_run_compiles_the_driver_into_the_cache(tmp_path, site):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop(VARIABLE, None)
    env.pop("NODE_DISABLE_COMPILE_CACHE", None)
    done = subprocess.run(
        [sys.executable, "-m", "capture", "capture", "--page", f"{site}/hello.html",
         "--no-trace", "--no-report", "-o", str(tmp_path / "bundle")],
        capture_output=True, text=True, timeout=240, env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "compile" not in done.stderr.lower()  # Node says nothing about its cache
    cached = [p for p in (tmp_path / "cache" / "evidence-capture" / "node-compile-cache").rglob("*")
              if p.is_file()]
    assert cached and sum(p.stat().st_size for p in cached) > 100_000


@pytest.mark.parametrize("how", ["writable by others", "a link", "relative base"])
def test_a_cache_directory_that_is_not_only_ours_is_not_used(tmp_path, monkeypatch, how):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    base = tmp_path / "cache"
    ours = base / "evidence-capture"
    if how == "writable by others":
        (ours / "node-compile-cache").mkdir(parents=True)
        (ours / "node-compile-cache").chmod(0o777)
    elif how == "a link":
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir(mode=0o700)
        ours.mkdir(parents=True, mode=0o700)
        (ours / "node-compile-cache").symlink_to(elsewhere)
    environ = {"XDG_CACHE_HOME": "cache" if how == "relative base" else str(base)}
    use_node_compile_cache(environ)
    if how == "relative base":  # ignored, as XDG says: the home's .cache instead
        assert environ[VARIABLE] == str(tmp_path / "home" / ".cache" / "evidence-capture"
                                         / "node-compile-cache")
        assert not (tmp_path / "cache").exists()
    else:
        assert VARIABLE not in environ


@pytest.mark.parametrize("args", [["verify", "no-such-bundle"], ["capture", "--help"], ["schema"]])
def test_commands_that_start_no_browser_leave_the_cache_directory_alone(tmp_path, args):
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    env.pop(VARIABLE, None)
    done = subprocess.run([sys.executable, "-m", "capture", *args], capture_output=True, text=True,
                          timeout=120, env=env, cwd=tmp_path)
    assert done.returncode in (0, 1, 2, 3, 4), done.stderr
    assert not (tmp_path / "cache").exists()
