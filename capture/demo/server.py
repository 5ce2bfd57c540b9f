"""The built-in demo marketplace (星河卡盟): a small 卡盟-style shop on 127.0.0.1.

It has what a real complaint needs: a login, an order that was paid but whose card
code never arrived, a long product page with a collapsed section, and a long
customer-service chat that loads history on scroll and long-polls forever. Pages,
styles, scripts, images and data are package files under static/; this module only
routes requests and fills templates.
"""

from __future__ import annotations

import html
import json
import re
import secrets
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from importlib import resources
from pathlib import Path
from string import Template
from typing import Self
from urllib.parse import parse_qs, quote, urlsplit

from ..localserver import HOST, LocalServer, QuietHandler

DEMO_USER = "demo"
DEMO_PASSWORD = "demo123"
ORDER_ID = "DD20261118153042817"
PRODUCT_ID = "1003"
SHOP_NAME = "星河卡盟"
# Only visible after clicking 展开全部: proves a capture expanded the section.
EXPANDED_MARKER = "【展开内容】本卡密一经售出概不退换"
SESSION_COOKIE = "xh_session"

HISTORY_DELAY = 0.15
HISTORY_PAGE = 30
HISTORY_MAX_LIMIT = 100
POLL_SECONDS = 25.0
# Each held long-poll pins a thread; beyond this many, polls are turned away (429).
MAX_HELD_POLLS = 32
MAX_FORM_BYTES = 4096
MAX_DRAIN_BYTES = 64 * 1024
MAX_RECORDED_ERRORS = 50

_ORDER_PATH = re.compile(r"/orders/([^/]+)")
_PRODUCT_PATH = re.compile(r"/products/([^/]+)")
_CHAT_PATH = re.compile(r"/chat/([^/]+)")
_API_PATH = re.compile(r"/api/chat/([^/]+)/(history|poll)")
_MSG_ID = re.compile(r"m\d{4}")

_CONTENT_TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}


def _static():
    return resources.files(__package__) / "static"


def _read_json(name: str):
    return json.loads((_static() / "data" / name).read_text(encoding="utf-8"))


def plan_path() -> Path:
    """The demo's plan file (also the documented example plan)."""
    return Path(__file__).resolve().with_name("plan.toml")


def chat_messages(order_id: str = ORDER_ID) -> list[dict]:
    """The whole conversation of an order, oldest first: dicts with id, role, sender,
    time and text (empty for an order without a chat). Ids increase: m0001, m0002, ..."""
    return [dict(message) for message in _read_json("chat.json").get(order_id, [])]


class _BadRequest(Exception):
    pass


@dataclass(frozen=True)
class _Site:
    """Everything the shop serves, read once from package data."""

    templates: dict[str, Template]
    assets: dict[str, tuple[bytes, str]]
    images: dict[str, str]
    products: dict[str, dict]
    orders: dict[str, dict]
    chats: dict[str, list[dict]]

    @classmethod
    def load(cls) -> _Site:
        root = _static()
        templates = {}
        for folder in ("", "partials", "descriptions"):
            base = root / "templates" / folder if folder else root / "templates"
            for entry in base.iterdir():
                if entry.name.endswith(".html"):
                    key = f"{folder}/{entry.name}" if folder else entry.name
                    templates[key] = Template(entry.read_text(encoding="utf-8"))
        # A fixed table of served files leaves no path to traverse.
        assets = {
            entry.name: (entry.read_bytes(), _CONTENT_TYPES[suffix])
            for entry in (root / "assets").iterdir()
            if (suffix := "." + entry.name.rsplit(".", 1)[-1]) in _CONTENT_TYPES
        }
        images = {
            entry.name: entry.read_text(encoding="utf-8")
            for entry in (root / "img").iterdir()
            if entry.name.endswith(".svg")
        }
        products = {p["id"]: p for p in _read_json("products.json")}
        orders = {o["id"]: o for o in _read_json("orders.json")}
        return cls(templates, assets, images, products, orders, _read_json("chat.json"))

    def render(self, template: str, /, raw: dict[str, str] | None = None, **text) -> str:
        """Fill a template: keyword values are escaped, `raw` values are trusted HTML."""
        values = {key: html.escape(str(value)) for key, value in text.items()}
        values.update(raw or {})
        return self.templates[template].substitute(values)


class ShopServer:
    """The demo shop on 127.0.0.1 and an ephemeral port (`with ShopServer() as shop:`)."""

    DEMO_USER = DEMO_USER
    DEMO_PASSWORD = DEMO_PASSWORD
    ORDER_ID = ORDER_ID
    PRODUCT_ID = PRODUCT_ID
    EXPANDED_MARKER = EXPANDED_MARKER
    SESSION_COOKIE = SESSION_COOKIE

    def __init__(
        self,
        port: int = 0,
        history_delay: float = HISTORY_DELAY,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        if not 0 <= history_delay <= 5:
            raise ValueError("history_delay must be between 0 and 5 seconds")
        if not 0 < poll_seconds <= POLL_SECONDS:
            raise ValueError(f"poll_seconds must be above 0 and at most {POLL_SECONDS}")
        if not 0 <= port <= 65535:
            raise ValueError("port must be between 0 and 65535")
        self.port = port
        self.history_delay = history_delay
        self.poll_seconds = poll_seconds
        self.site = _Site.load()
        # One secret per server start: a session never outlives the shop that issued it.
        self.session_token = secrets.token_urlsafe(24)
        self.stopping = threading.Event()
        self._open_polls = 0
        self._polls_lock = threading.Lock()
        # Tracebacks of requests that failed inside the shop (a bug, shown as a 500
        # page); kept so tests can assert there were none.
        self.errors: list[str] = []
        self._errors_lock = threading.Lock()
        self._httpd: _HTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.address[1]}"

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the shop listens on; the host is always 127.0.0.1."""
        if self._httpd is None:
            raise RuntimeError("the shop is not running; call start() first")
        host, port = self._httpd.server_address[:2]
        return host, port

    def start(self) -> Self:
        if self._httpd is not None:
            return self
        self.stopping.clear()
        httpd = _HTTPServer(_Handler, port=self.port, name="demo-shop")
        httpd.shop = self
        self._httpd = httpd.start()
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        # Release held long-polls first, so their threads answer and end.
        self.stopping.set()
        httpd.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def open_polls(self) -> int:
        """Long-poll requests being held right now."""
        with self._polls_lock:
            return self._open_polls

    def _hold_poll(self) -> bool:
        with self._polls_lock:
            if self._open_polls >= MAX_HELD_POLLS:
                return False
            self._open_polls += 1
            return True

    def _release_poll(self) -> None:
        with self._polls_lock:
            self._open_polls -= 1

    def record_error(self, text: str) -> None:
        with self._errors_lock:
            if len(self.errors) < MAX_RECORDED_ERRORS:
                self.errors.append(text)

    def storage_state(self) -> dict:
        """A Playwright storage state logged in as the demo user (instead of the form)."""
        return {
            "cookies": [
                {
                    "name": SESSION_COOKIE,
                    "value": self.session_token,
                    "domain": HOST,
                    "path": "/",
                    "expires": -1,
                    "httpOnly": True,
                    "secure": False,
                    "sameSite": "Lax",
                }
            ],
            "origins": [],
        }


class _HTTPServer(LocalServer):
    shop: ShopServer


def _safe_next(value: str | None) -> str:
    """Only same-site paths: the login form must not become an open redirect."""
    if (
        not value
        or len(value) > 512
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or any(ord(ch) < 0x20 for ch in value)
    ):
        return "/orders"
    return value


def _query(raw: str) -> dict[str, str]:
    try:
        parsed = parse_qs(raw, keep_blank_values=True, max_num_fields=20)
    except ValueError:
        raise _BadRequest("too many query parameters") from None
    if any(len(values) > 1 for values in parsed.values()):
        raise _BadRequest("repeated query parameter")
    return {key: values[0] for key, values in parsed.items()}


class _Handler(QuietHandler):
    server: _HTTPServer
    # Keep-alive like a real shop; QuietHandler's timeout ends idle connections.
    protocol_version = "HTTP/1.1"
    server_version = "XingheShop/1.0"

    @property
    def shop(self) -> ShopServer:
        return self.server.shop

    @property
    def site(self) -> _Site:
        return self.server.shop.site

    # --- plumbing -----------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch(self._route_get)

    def do_HEAD(self) -> None:
        self._dispatch(self._route_get)

    def do_POST(self) -> None:
        self._dispatch(self._route_post)

    def _dispatch(self, route: Callable[[str, dict[str, str]], None]) -> None:
        try:
            parts = urlsplit(self.path)
            try:
                query = _query(parts.query)
                route(parts.path, query)
            except _BadRequest as exc:
                self._error(HTTPStatus.BAD_REQUEST, str(exc))
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            self.close_connection = True
        except Exception:  # noqa: BLE001 - a bad request must never take the shop down
            self.close_connection = True
            self.shop.record_error(f"{self.command} {self.path}\n{traceback.format_exc()}")
            try:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "服务器开小差了")
            except OSError:
                pass

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, body.encode("utf-8"), "text/html; charset=utf-8", headers)

    def _json(self, status: int, data: dict) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _redirect(self, location: str, status: int = HTTPStatus.FOUND, headers=None) -> None:
        self._send(
            status, b"", "text/plain; charset=utf-8", {"Location": location, **(headers or {})}
        )

    def _page(self, title: str, content: str, status: int = 200, scripts: str = "") -> None:
        logged_in = self._logged_in()
        user = self.site.render(
            "partials/user_in.html" if logged_in else "partials/user_out.html", user=DEMO_USER
        )
        body = self.site.render(
            "base.html",
            raw={
                "content": content,
                "user_links": user,
                "scripts": scripts,
                "logo": self.site.images["logo.svg"],
            },
            title=title,
            shop_name=SHOP_NAME,
        )
        self._html(status, body)

    def _error(self, status: HTTPStatus, detail: str = "") -> None:
        if self.path.startswith("/api/"):
            self._json(status, {"error": detail or status.phrase})
            return
        messages = {
            HTTPStatus.NOT_FOUND: "页面不存在或已被删除",
            HTTPStatus.BAD_REQUEST: "请求参数有误",
        }
        content = self.site.render(
            "error.html",
            status=int(status),
            message=messages.get(status, "出错了"),
            detail=detail,
        )
        self._page(f"{int(status)} {messages.get(status, '出错了')}", content, status)

    def _logged_in(self) -> bool:
        # Parsed by hand: SimpleCookie gives up at the first odd cookie, and other
        # servers on 127.0.0.1 (any port) share this browser's cookie jar.
        token = self.shop.session_token.encode()
        for header in self.headers.get_all("Cookie") or []:
            for pair in header.split(";"):
                name, _, value = pair.strip().partition("=")
                if name == SESSION_COOKIE and secrets.compare_digest(
                    value.encode("utf-8", "replace"), token
                ):
                    return True
        return False

    def _require_login(self) -> bool:
        if self._logged_in():
            return True
        if self.path.startswith("/api/"):
            self._json(HTTPStatus.UNAUTHORIZED, {"error": "请先登录"})
        else:
            self._redirect("/login?next=" + quote(self.path, safe="/"))
        return False

    # --- routes ---------------------------------------------------------------------

    def _route_get(self, path: str, query: dict[str, str]) -> None:
        if path == "/":
            return self._home(query)
        if path == "/login":
            return self._login_form(query.get("next"), error="")
        if path == "/logout":
            expired = f"{SESSION_COOKIE}=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
            return self._redirect("/", headers={"Set-Cookie": expired})
        if path.startswith("/static/"):
            return self._asset(path[len("/static/") :])
        if path == "/favicon.ico":
            return self._asset("favicon.svg")
        if match := _PRODUCT_PATH.fullmatch(path):
            return self._product(match.group(1))
        if path == "/orders":
            return self._orders()
        if match := _ORDER_PATH.fullmatch(path):
            return self._order(match.group(1))
        if match := _CHAT_PATH.fullmatch(path):
            return self._chat(match.group(1))
        if match := _API_PATH.fullmatch(path):
            order_id, action = match.groups()
            if action == "history":
                return self._history(order_id, query)
            return self._poll(order_id, query)
        self._error(HTTPStatus.NOT_FOUND)

    def _route_post(self, path: str, query: dict[str, str]) -> None:
        if path != "/login":
            self.close_connection = True
            return self._error(HTTPStatus.NOT_FOUND)
        form = self._read_form()
        next_path = _safe_next(form.get("next") or query.get("next"))
        user_ok = secrets.compare_digest(form.get("username", "").encode(), DEMO_USER.encode())
        password_ok = secrets.compare_digest(
            form.get("password", "").encode(), DEMO_PASSWORD.encode()
        )
        if not (user_ok and password_ok):
            return self._login_form(next_path, error="用户名或密码错误，请使用页面上的演示账号")
        cookie = f"{SESSION_COOKIE}={self.shop.session_token}; Path=/; HttpOnly; SameSite=Lax"
        self._redirect(next_path, HTTPStatus.SEE_OTHER, {"Set-Cookie": cookie})

    def _read_form(self) -> dict[str, str]:
        self.close_connection = True  # a body we refuse to read must not be parsed as a request
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            raise _BadRequest("missing or bad Content-Length") from None
        if length < 0:
            raise _BadRequest("bad Content-Length")
        if length > MAX_FORM_BYTES:
            # Closing with unread bytes makes the kernel reset the connection, and the
            # client would never see our answer: drain a modest body first.
            if length <= MAX_DRAIN_BYTES:
                self.rfile.read(length)
            raise _BadRequest("form too large")
        body = self.rfile.read(length)
        self.close_connection = False
        try:
            return _query(body.decode("utf-8"))
        except UnicodeDecodeError:
            raise _BadRequest("form is not UTF-8") from None

    def _asset(self, name: str) -> None:
        asset = self.site.assets.get(name)
        if asset is None:
            return self._error(HTTPStatus.NOT_FOUND)
        self._send(HTTPStatus.OK, asset[0], asset[1])

    # --- pages ----------------------------------------------------------------------

    def _product_card(self, product: dict) -> str:
        return self.site.render(
            "partials/product_card.html",
            raw={"image": self.site.images[product["image"]]},
            id=product["id"],
            name=product["name"],
            short=product["short"],
            price=product["price"],
            original_price=product["original_price"],
            sold=f"{product['sold']:,}",
            seller=product["seller"],
            delivery=product["delivery"],
            tag=product["tags"][0],
        )

    def _home(self, query: dict[str, str]) -> None:
        category, words = query.get("category", ""), query.get("q", "").strip()
        products = [
            p
            for p in self.site.products.values()
            if (not category or p["category"] == category)
            and (not words or words.lower() in p["name"].lower())
        ]
        if category or words:
            heading = f"{category or '全部商品'}" + (f" · 搜索“{words}”" if words else "")
        else:
            heading = "热门商品"
        cards = "".join(self._product_card(p) for p in products) or self.site.render(
            "partials/empty.html", message="没有找到相关商品，换个关键词试试"
        )
        content = self.site.render(
            "home.html", raw={"cards": cards}, heading=heading, count=len(products)
        )
        self._page("首页", content)

    def _product(self, product_id: str) -> None:
        product = self.site.products.get(product_id)
        if product is None:
            return self._error(HTTPStatus.NOT_FOUND, "商品不存在或已下架")
        template = f"descriptions/{product_id}.html"
        if template not in self.site.templates:
            template = "descriptions/default.html"
        images = self.site.images
        description = self.site.render(
            template,
            raw={
                "img_steps": images["steps.svg"],
                "img_values": images["values.svg"],
                "img_notice": images["notice.svg"],
            },
            name=product["name"],
            short=product["short"],
            seller=product["seller"],
            expanded_marker=EXPANDED_MARKER,
        )
        tags = "".join(self.site.render("partials/tag.html", tag=tag) for tag in product["tags"])
        content = self.site.render(
            "product.html",
            raw={"image": images[product["image"]], "description": description, "tags": tags},
            id=product["id"],
            name=product["name"],
            short=product["short"],
            category=product["category"],
            price=product["price"],
            original_price=product["original_price"],
            sold=f"{product['sold']:,}",
            stock=product["stock"],
            seller=product["seller"],
            delivery=product["delivery"],
        )
        self._page(product["name"], content, scripts='<script src="/static/product.js"></script>')

    def _login_form(self, next_path: str | None, error: str) -> None:
        error_html = self.site.render("partials/form_error.html", error=error) if error else ""
        content = self.site.render(
            "login.html",
            raw={"error": error_html},
            next=_safe_next(next_path),
            demo_user=DEMO_USER,
            demo_password=DEMO_PASSWORD,
        )
        self._page("登录", content)

    def _orders(self) -> None:
        if not self._require_login():
            return
        rows = []
        for order in self.site.orders.values():
            product = self.site.products[order["product_id"]]
            rows.append(
                self.site.render(
                    "partials/order_row.html",
                    raw={"image": self.site.images[product["image"]]},
                    id=order["id"],
                    product=product["name"],
                    product_id=product["id"],
                    seller=order["seller"],
                    created_at=order["created_at"],
                    quantity=order["quantity"],
                    amount=order["amount"],
                    status=order["status"],
                    status_class=order["status_class"],
                )
            )
        content = self.site.render(
            "orders.html", raw={"rows": "".join(rows)}, count=len(self.site.orders)
        )
        self._page("我的订单", content)

    def _order(self, order_id: str) -> None:
        order = self.site.orders.get(order_id)
        if order is None:
            return self._error(HTTPStatus.NOT_FOUND, "订单不存在")
        if not self._require_login():
            return
        product = self.site.products[order["product_id"]]
        timeline = "".join(
            self.site.render("partials/timeline_item.html", time=when, event=event)
            for when, event in order["timeline"]
        )
        if order["code"]:
            code = self.site.render("partials/code_delivered.html", code=order["code"])
        else:
            code = self.site.render("partials/code_missing.html", paid_at=order["paid_at"])
        chat = self.site.render("partials/chat_link.html", id=order["id"]) if order["chat"] else ""
        content = self.site.render(
            "order.html",
            raw={
                "image": self.site.images[product["image"]],
                "timeline": timeline,
                "code": code,
                "chat_link": chat,
            },
            id=order["id"],
            product=product["name"],
            product_id=product["id"],
            unit_price=product["price"],
            quantity=order["quantity"],
            amount=order["amount"],
            created_at=order["created_at"],
            paid_at=order["paid_at"],
            payment=order["payment"],
            status=order["status"],
            status_class=order["status_class"],
            seller=order["seller"],
            buyer=order["buyer"],
            phone=order["phone"],
        )
        self._page(f"订单详情 {order['id']}", content)

    def _message_html(self, message: dict) -> str:
        avatar = {"buyer": message["sender"][-1:], "seller": "客"}.get(message["role"], "")
        return self.site.render(
            "partials/message.html",
            id=message["id"],
            role=message["role"],
            avatar=avatar,
            sender=message["sender"],
            time=message["time"],
            text=message["text"],
        )

    def _chat(self, order_id: str) -> None:
        order = self.site.orders.get(order_id)
        messages = self.site.chats.get(order_id)
        if order is None or messages is None:
            return self._error(HTTPStatus.NOT_FOUND, "该订单没有客服会话")
        if not self._require_login():
            return
        product = self.site.products[order["product_id"]]
        latest = messages[-HISTORY_PAGE:]
        content = self.site.render(
            "chat.html",
            raw={
                "messages": "".join(self._message_html(m) for m in latest),
                "image": self.site.images[product["image"]],
            },
            id=order["id"],
            product=product["name"],
            amount=order["amount"],
            paid_at=order["paid_at"],
            status=order["status"],
            status_class=order["status_class"],
            seller=order["seller"],
            total=len(messages),
            has_more="true" if len(messages) > len(latest) else "false",
        )
        self._page(
            f"联系客服 · 订单 {order['id']}",
            content,
            scripts='<script src="/static/chat.js"></script>',
        )

    # --- chat API -------------------------------------------------------------------

    def _chat_for_api(self, order_id: str) -> list[dict] | None:
        messages = self.site.chats.get(order_id)
        if messages is None:
            self._error(HTTPStatus.NOT_FOUND, "no chat for this order")
            return None
        if not self._require_login():
            return None
        return messages

    @staticmethod
    def _message_id(query: dict[str, str], key: str) -> str | None:
        value = query.get(key)
        if value is None:
            return None
        if not _MSG_ID.fullmatch(value):
            raise _BadRequest(f"{key} must look like m0123")
        return value

    def _history(self, order_id: str, query: dict[str, str]) -> None:
        before = self._message_id(query, "before")
        try:
            limit = int(query.get("limit", HISTORY_PAGE))
        except ValueError:
            raise _BadRequest("limit must be a whole number") from None
        if not 1 <= limit <= HISTORY_MAX_LIMIT:
            raise _BadRequest(f"limit must be between 1 and {HISTORY_MAX_LIMIT}")
        messages = self._chat_for_api(order_id)
        if messages is None:
            return
        # Ids are zero-padded, so string order is message order.
        older = [m for m in messages if before is None or m["id"] < before]
        page = older[-limit:]
        # A real shop answers history slowly; a capture must wait for it, not race it.
        self.shop.stopping.wait(self.shop.history_delay)
        self._json(HTTPStatus.OK, {"messages": page, "has_more": len(older) > len(page)})

    def _poll(self, order_id: str, query: dict[str, str]) -> None:
        after = self._message_id(query, "after")
        messages = self._chat_for_api(order_id)
        if messages is None:
            return
        newer = [m for m in messages if after is not None and m["id"] > after]
        if newer:
            return self._json(HTTPStatus.OK, {"messages": newer})
        if not self.shop._hold_poll():
            return self._json(HTTPStatus.TOO_MANY_REQUESTS, {"error": "too many open polls"})
        try:
            # Held open like a real chat's long-poll: the page is never network-idle.
            # Ends early when the shop stops.
            self.shop.stopping.wait(self.shop.poll_seconds)
        finally:
            self.shop._release_poll()
        self._json(HTTPStatus.OK, {"messages": []})


def serve_forever(
    ttl_seconds: float = 3600,
    port: int = 0,
    announce: Callable[[ShopServer], None] | None = None,
) -> str:
    """Run the shop until Ctrl-C or `ttl_seconds`; returns "interrupted" or "ttl".

    `announce` is called once the shop is listening (e.g. to print its URL).
    """
    if not 0 < ttl_seconds <= 7 * 24 * 3600:
        raise ValueError("ttl_seconds must be above 0 and at most a week")
    with ShopServer(port=port) as shop:
        if announce is not None:
            announce(shop)
        deadline = time.monotonic() + ttl_seconds
        try:
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(left, 0.5))
        except KeyboardInterrupt:
            return "interrupted"
    return "ttl"
