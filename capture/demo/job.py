"""`evidence demo`: the whole job against the built-in shop, through the same code
path as `evidence capture --plan` (the demo's plan.toml is the example plan)."""

from __future__ import annotations

import http.client
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from ..errors import EvidenceError
from ..login import write_private
from ..manifest import VerificationReport
from ..plan import load_plan
from ..options import RunOptions, default_out_dir
from ..results import RunResult
from ..session import run
from .server import DEMO_PASSWORD, DEMO_USER, ShopServer, plan_path, serve_forever


@dataclass
class DemoResult:
    run: RunResult
    verification: VerificationReport
    shop_url: str


def login_state(shop_url: str) -> dict:
    """Log in through the shop's real login form (an HTTP POST), as a storage state."""
    parts = urlsplit(shop_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        body = urlencode({"username": DEMO_USER, "password": DEMO_PASSWORD, "next": "/orders"})
        connection.request("POST", "/login", body, {"Content-Type": "application/x-www-form-urlencoded"})
        response = connection.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie") or ""
    finally:
        connection.close()
    if response.status != 303 or "=" not in cookie:
        raise EvidenceError(f"the demo shop refused the demo login (HTTP {response.status})")
    name, value = cookie.split(";", 1)[0].split("=", 1)
    return {
        "cookies": [{"name": name, "value": value, "domain": parts.hostname, "path": "/",
                     "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"}],
        "origins": [],
    }


def run_demo(out_dir: Path | None, browser, progress=None, lang: str = "both") -> DemoResult:
    from ..verify import verify

    with ShopServer() as shop, tempfile.TemporaryDirectory(prefix="evidence-demo-") as private:
        shop_url = shop.url
        if progress:
            progress(f"demo shop running at {shop.url}; logging in as {DEMO_USER}")
        # The session cookie lives outside the bundle, like a real login profile.
        state = Path(private) / "demo-login.json"
        write_private(state, json.dumps(login_state(shop.url)).encode("utf-8"))
        plan = load_plan(plan_path(), base_url=shop.url + "/")
        options = RunOptions(
            targets=plan.target,
            out_dir=out_dir or default_out_dir(),
            case=plan.case,
            browser=browser,
            timeout=plan.timeout or 60,
            storage_state=state,
            lang=lang,
            progress=progress,
        )
        result = run(options)
    verification = verify(result.root)
    return DemoResult(result, verification, shop_url)


def serve_only(ttl: float, say) -> None:
    """Run the shop until Ctrl-C or ttl seconds, for trying it in a browser."""
    serve_forever(
        ttl_seconds=ttl,
        announce=lambda shop: say(
            f"demo shop: {shop.url}/  (log in as {DEMO_USER} / {DEMO_PASSWORD}); "
            f"stops after {ttl:.0f} s or on Ctrl-C"
        ),
    )
    say("demo shop stopped")
