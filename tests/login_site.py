"""A site with a cookie login: /order needs the session cookie, else -> /login."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs

from .servers import SITES, QuietHandler

USER, PASSWORD = "buyer", "pw-123456"


class LoginHandler(QuietHandler):
    token = "SESSION-" + secrets.token_hex(12)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITES / "login"), **kwargs)

    def _logged_in(self) -> bool:
        cookie = self.headers.get("Cookie", "")
        return f"session={self.token}" in cookie

    def do_POST(self):  # noqa: N802
        length = min(int(self.headers.get("Content-Length", "0") or 0), 10_000)
        form = parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
        self.send_response(303)
        if form.get("user") == [USER] and form.get("password") == [PASSWORD]:
            self.send_header("Set-Cookie", f"session={self.token}; Path=/; HttpOnly")
            self.send_header("Location", "/order")
        else:
            self.send_header("Location", "/login")
        self.end_headers()

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/login"):
            self.path = "/login.html"
            return super().do_GET()
        if self.path.startswith("/order"):
            if not self._logged_in():
                self.send_response(302)
                self.send_header("Location", "/login?next=/order")
                self.end_headers()
                return
            body = "<!doctype html><meta charset=utf-8><title>订单 ORDER-778899</title><h1>订单号 ORDER-778899 已付款 卡密未发货</h1>".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_error(404)
