#!/usr/bin/env bash
# One command from a fresh machine to a working tool:
#   ./bootstrap.sh demo [ARGS]   set everything up, then run `evidence demo`
#   ./bootstrap.sh test [ARGS]   set everything up (with test tools), then run the full test suite
#   ./bootstrap.sh               set everything up only
# "Everything" = a virtual environment (.venv, or $EVIDENCE_VENV), the package, a Chromium
# and CJK fonts. Safe to run again: each step is skipped when already done.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
mode="${1:-setup}"
[ $# -gt 0 ] && shift
venv="${EVIDENCE_VENV:-$here/.venv}"

say() { printf '[bootstrap] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo "$@"
  else return 1
  fi
}

apt_updated=""
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ -z "$apt_updated" ]; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# 1. Python >= 3.11
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 &&
     "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    python="$(command -v "$candidate")"; break
  fi
done
if [ -z "$python" ]; then
  say "no Python 3.11+ found; installing python3 with apt"
  apt_install python3 python3-venv || { say "install Python 3.11 or newer, then run this again"; exit 2; }
  python="$(command -v python3)"
fi

# 2. Virtual environment
if ! "$venv/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  say "creating virtual environment $venv"
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    apt_install python3-venv || { say "cannot create a virtual environment (install python3-venv)"; exit 2; }
    "$python" -m venv "$venv"
  fi
fi

# 3. The package (and test tools for `test`); a stamp skips pip when nothing changed
extras="."
[ "$mode" = test ] && extras=".[test]"
stamp="$venv/.evidence-installed"
want="$(cat pyproject.toml | "$venv/bin/python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())') $extras"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || ! "$venv/bin/python" -c 'import capture' 2>/dev/null; then
  say "installing evidence-capture $extras into $venv"
  "$venv/bin/python" -m pip install -q --upgrade pip >&2
  "$venv/bin/python" -m pip install -q -e "$extras" >&2
  printf '%s' "$want" > "$stamp"
fi

# 4. A Chromium: reuse one that is there; else Playwright's download; else apt
has_browser() { "$venv/bin/python" -c 'from capture.browser import find_browser; find_browser()' 2>/dev/null; }
if ! has_browser; then
  say "no Chromium found; trying: python -m playwright install chromium"
  if ! timeout 600 "$venv/bin/python" -m playwright install chromium >&2 2>/dev/null || ! has_browser; then
    say "Playwright's download did not work here; installing Debian's chromium with apt"
    apt_install chromium || true
  fi
  has_browser || { say "no browser: install Chromium or Google Chrome, or set EVIDENCE_BROWSER=/path/to/chrome"; exit 2; }
fi

# 5. CJK fonts, so Chinese text never renders as empty boxes
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh family 2>/dev/null | head -n1)" ]; then
  say "no Chinese font found; installing fonts-noto-cjk with apt"
  apt_install fonts-noto-cjk fontconfig || say "could not install CJK fonts: install a Chinese font (e.g. Noto Sans CJK)"
fi

# 6. Test tools the suite calls (PDF page counts and pictures of the report)
if [ "$mode" = test ] && ! command -v pdfinfo >/dev/null 2>&1; then
  say "installing poppler-utils (pdfinfo, pdftoppm) for the tests"
  apt_install poppler-utils || say "could not install poppler-utils: the report tests need pdfinfo"
fi

# 7. The job
case "$mode" in
  demo)
    exec "$venv/bin/evidence" demo "$@" ;;
  test)
    status=0
    "$venv/bin/python" -m pytest "$@" || status=$?
    # pytest exits 5 when it collected no tests: that is a failure, not a pass.
    [ "$status" = 5 ] && say "no tests ran"
    exit "$status" ;;
  setup)
    say "ready: $venv/bin/evidence --help" ;;
  *)
    say "usage: ./bootstrap.sh [demo|test|setup] [ARGS...]"; exit 2 ;;
esac
