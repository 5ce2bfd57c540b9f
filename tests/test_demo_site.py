"""The built-in demo shop behaves like the marketplace `evidence demo` promises:
login, an undelivered order, a collapsed product section, a long lazy-loading chat
that never goes network-idle, and no way to crash it or reach it off this machine."""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from capture.demo import (
    DEMO_PASSWORD,
    DEMO_USER,
    EXPANDED_MARKER,
    ORDER_ID,
    PRODUCT_ID,
    ShopServer,
    chat_messages,
    plan_path,
    serve_forever,
)
from capture.demo.server import SESSION_COOKIE
from capture.plan import load_plan

# Upper bound on "scroll to the top" rounds: 300 messages arrive 30 at a time.
MAX_HISTORY_ROUNDS = 40


@pytest.fixture(scope="module")
def shop():
    with ShopServer() as server:
        yield server
    assert server.errors == [], "the shop hit an internal error:\n" + "\n".join(server.errors)


@pytest.fixture
def logged_in(page, shop):
    page.context.add_cookies(shop.storage_state()["cookies"])
    return page


def fetch(shop, path, *, cookie=True, method="GET", body=None, headers=None):
    """(status, headers, body) without following redirects."""
    connection = http.client.HTTPConnection("127.0.0.1", shop.address[1], timeout=30)
    try:
        all_headers = dict(headers or {})
        if cookie:
            all_headers["Cookie"] = f"{SESSION_COOKIE}={shop.session_token}"
        connection.request(method, path, body=body, headers=all_headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def load_whole_chat(page):
    log = page.locator("#chat-log")
    for _ in range(MAX_HISTORY_ROUNDS):
        if page.locator("#chat-history-status.done").count():
            break
        before = log.locator("[data-msg-id]").count()
        log.evaluate("box => { box.scrollTop = 0; }")
        page.wait_for_function(
            "([n]) => document.querySelectorAll('#chat-log [data-msg-id]').length > n"
            " || document.querySelector('#chat-history-status.done')",
            arg=[before],
        )
    return log.locator("[data-msg-id]").evaluate_all("els => els.map(e => e.dataset.msgId)")


# --- login and orders ----------------------------------------------------------------


def test_order_page_without_login_redirects_to_login(page, shop):
    page.goto(f"{shop.url}/orders/{ORDER_ID}")
    assert page.url == f"{shop.url}/login?next=/orders/{ORDER_ID}"
    assert page.locator(".login-form").is_visible()
    assert page.locator(".order-number").count() == 0
    assert DEMO_USER in page.inner_text(".demo-account")
    assert DEMO_PASSWORD in page.inner_text(".demo-account")


def test_login_sets_httponly_cookie_and_order_page_shows_the_order(page, shop):
    page.goto(f"{shop.url}/orders/{ORDER_ID}")
    page.fill(".login-form input[name=username]", DEMO_USER)
    page.fill(".login-form input[name=password]", DEMO_PASSWORD)
    page.click(".login-form button[type=submit]")
    page.wait_for_url(f"{shop.url}/orders/{ORDER_ID}")

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies[SESSION_COOKIE]["httpOnly"] is True
    assert cookies[SESSION_COOKIE]["value"] == shop.session_token
    assert page.inner_text(".order-detail .order-number") == ORDER_ID
    text = page.inner_text("main")
    assert "已付款 · 卡密未发货" in text
    assert "¥478.00" in text
    assert page.locator(".phone").count() == 1


def test_wrong_password_gives_no_session(page, shop):
    page.goto(f"{shop.url}/login")
    page.fill(".login-form input[name=username]", DEMO_USER)
    page.fill(".login-form input[name=password]", "wrong")
    page.click(".login-form button[type=submit]")
    assert page.locator(".form-error").is_visible()
    assert SESSION_COOKIE not in {c["name"] for c in page.context.cookies()}


def test_session_from_another_shop_start_is_refused(shop):
    with ShopServer() as other:
        status, headers, _ = fetch(
            other,
            f"/orders/{ORDER_ID}",
            cookie=False,
            headers={"Cookie": f"{SESSION_COOKIE}={shop.session_token}"},
        )
    assert status == 302
    assert headers["Location"].startswith("/login?next=")


def test_login_never_redirects_off_site(shop):
    form = f"username={DEMO_USER}&password={DEMO_PASSWORD}&next=//evil.example/x".encode()
    status, headers, _ = fetch(
        shop,
        "/login",
        cookie=False,
        method="POST",
        body=form,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 303
    assert headers["Location"] == "/orders"


def test_order_list_links_to_the_order(logged_in, shop):
    logged_in.goto(f"{shop.url}/orders")
    assert ORDER_ID in logged_in.locator(".order-number").all_inner_texts()
    logged_in.click(f"a[href='/orders/{ORDER_ID}']")
    assert logged_in.inner_text(".order-detail .order-number") == ORDER_ID


# --- product --------------------------------------------------------------------------


def test_expanding_the_product_description_reveals_the_marker(page, shop):
    page.goto(f"{shop.url}/products/{PRODUCT_ID}")
    assert page.evaluate("document.documentElement.scrollHeight") > 3000
    assert EXPANDED_MARKER not in page.inner_text("body")
    page.click("text=展开全部")
    assert EXPANDED_MARKER in page.inner_text("body")


# --- chat -----------------------------------------------------------------------------


def test_chat_data_has_the_admission_and_a_repeated_message():
    messages = chat_messages(ORDER_ID)
    assert len(messages) == 300
    assert [m["id"] for m in messages] == [f"m{i:04d}" for i in range(1, 301)]
    assert any(m["role"] == "seller" and "确实没有发出去" in m["text"] for m in messages)
    assert any(
        a["text"] == b["text"] == "好的" and a["sender"] == b["sender"]
        for a, b in itertools.pairwise(messages)
    )
    assert chat_messages("DD00000000000000000") == []


def test_chat_page_starts_with_the_latest_messages(logged_in, shop):
    logged_in.goto(f"{shop.url}/chat/{ORDER_ID}")
    ids = logged_in.locator("#chat-log [data-msg-id]").evaluate_all(
        "els => els.map(e => e.dataset.msgId)"
    )
    assert ids == [m["id"] for m in chat_messages(ORDER_ID)[-30:]]
    box = logged_in.locator("#chat-log").evaluate(
        "e => [getComputedStyle(e).overflowY, e.clientHeight, e.scrollHeight]"
    )
    assert box[0] == "auto" and box[2] > box[1]


def test_scrolling_chat_to_the_top_loads_every_message_once_in_order(logged_in, shop):
    logged_in.goto(f"{shop.url}/chat/{ORDER_ID}")
    ids = load_whole_chat(logged_in)
    expected = chat_messages(ORDER_ID)
    assert ids[0] == "m0001"
    assert len(ids) == len(set(ids))
    assert ids == [m["id"] for m in expected]
    # Each message element carries sender, time and text, in that reading order.
    first = logged_in.locator("#chat-log [data-msg-id='m0002']")
    assert first.locator(".msg-sender").inner_text() == expected[1]["sender"]
    assert first.locator(".msg-time").inner_text() == expected[1]["time"]
    assert first.locator(".msg-text").inner_text() == expected[1]["text"]


def test_loading_history_keeps_the_visible_message_in_place(logged_in, shop):
    logged_in.goto(f"{shop.url}/chat/{ORDER_ID}")
    oldest = chat_messages(ORDER_ID)[-30]["id"]
    # Scrolls (when asked) and measures in one task, before history can arrive.
    offset = """([id, toTop]) => {
        const box = document.getElementById('chat-log');
        if (toTop) box.scrollTop = 0;
        const el = box.querySelector(`[data-msg-id='${id}']`);
        return el.getBoundingClientRect().top - box.getBoundingClientRect().top;
    }"""
    before = logged_in.evaluate(offset, [oldest, True])
    logged_in.wait_for_function("document.querySelectorAll('#chat-log [data-msg-id]').length > 30")
    after = logged_in.evaluate(offset, [oldest, False])
    assert abs(after - before) <= 2


def test_chat_long_poll_keeps_the_page_from_going_network_idle(logged_in, shop):
    pending = set()
    logged_in.on("request", lambda r: "/poll" in r.url and pending.add(r))
    logged_in.on("requestfinished", lambda r: pending.discard(r))
    logged_in.on("requestfailed", lambda r: pending.discard(r))
    with logged_in.expect_request(lambda r: "/poll" in r.url):
        logged_in.goto(f"{shop.url}/chat/{ORDER_ID}")
    with pytest.raises(PlaywrightTimeoutError):
        logged_in.wait_for_load_state("networkidle", timeout=3000)
    assert len(pending) == 1


def test_stopping_the_shop_answers_held_long_polls():
    results = []
    with ShopServer() as server:

        def poll():
            results.append(fetch(server, f"/api/chat/{ORDER_ID}/poll?after=m0300"))

        waiter = threading.Thread(target=poll, daemon=True)
        waiter.start()
        for _ in range(200):
            if server.open_polls:
                break
            threading.Event().wait(0.05)
        assert server.open_polls == 1
    # Stopping answers the poll at once (it would otherwise be held for 25 s).
    waiter.join(timeout=10)
    assert not waiter.is_alive()
    status, _, body = results[0]
    assert status == 200 and json.loads(body) == {"messages": []}


def test_history_api_pages_backwards_with_has_more(shop):
    status, _, body = fetch(shop, f"/api/chat/{ORDER_ID}/history?before=m0031&limit=30")
    data = json.loads(body)
    assert status == 200
    assert [m["id"] for m in data["messages"]] == [f"m{i:04d}" for i in range(1, 31)]
    assert data["has_more"] is False
    _, _, body = fetch(shop, f"/api/chat/{ORDER_ID}/history?before=m0271&limit=30")
    assert json.loads(body)["has_more"] is True
    status, _, _ = fetch(shop, f"/api/chat/{ORDER_ID}/history?before=m0271", cookie=False)
    assert status == 401


# --- bad input, isolation --------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/orders/DD00000000000000000",
        "/orders/../../etc/passwd",
        "/products/9999",
        "/products/%00",
        "/chat/DD20261102094411305",
        "/chat/nope",
        "/api/chat/nope/history?before=m0010",
        "/static/../server.py",
        "/static/missing.css",
        "/no-such-page",
    ],
)
def test_bad_ids_give_404(shop, path):
    status, _, _ = fetch(shop, path)
    assert status == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/chat/{ORDER_ID}/history?before=12",
        f"/api/chat/{ORDER_ID}/history?before=m0100&limit=abc",
        f"/api/chat/{ORDER_ID}/history?before=m0100&limit=0",
        f"/api/chat/{ORDER_ID}/history?before=m0100&limit=100000",
        f"/api/chat/{ORDER_ID}/history?before=m0100&before=m0200",
        f"/api/chat/{ORDER_ID}/poll?after=<script>",
    ],
)
def test_bad_query_gives_400(shop, path):
    status, _, body = fetch(shop, path)
    assert status == 400
    assert "error" in json.loads(body)


def test_hostile_requests_do_not_take_the_shop_down(shop):
    status, _, _ = fetch(
        shop,
        "/login",
        method="POST",
        body=b"x" * 10_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    status, _, _ = fetch(
        shop,
        "/login",
        method="POST",
        body=b"\xff\xfe=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert status == 400
    with socket.create_connection(shop.address, timeout=10) as raw:
        raw.sendall(b"\x00\x01garbage\r\n\r\n")
        raw.recv(4096)
    status, _, _ = fetch(shop, "/")
    assert status == 200


def test_server_listens_on_loopback_only(shop):
    assert shop.address[0] == "127.0.0.1"
    assert shop.url == f"http://127.0.0.1:{shop.address[1]}"
    # Another local address: a server bound to every interface would answer here.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", shop.address[1]), timeout=3).close()


def test_pages_make_no_outside_requests(logged_in, shop):
    seen = []
    logged_in.on("request", lambda r: seen.append(r.url))
    for path in (
        "/",
        f"/products/{PRODUCT_ID}",
        "/orders",
        f"/orders/{ORDER_ID}",
        f"/chat/{ORDER_ID}",
    ):
        logged_in.goto(shop.url + path)
    outside = [
        url for url in seen if not url.startswith(shop.url + "/") and not url.startswith("data:")
    ]
    assert seen and outside == []


def test_serve_forever_stops_after_its_ttl():
    urls = []
    reason = serve_forever(ttl_seconds=0.5, announce=lambda s: urls.append(s.url))
    assert reason == "ttl"
    assert urls and urls[0].startswith("http://127.0.0.1:")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(urls[0] + "/", timeout=5)


# --- the plan -------------------------------------------------------------------------


def test_demo_plan_matches_the_shop(logged_in, shop):
    plan = load_plan(plan_path(), base_url=shop.url)
    assert [t.kind for t in plan.target] == ["order", "product", "chat"]
    for target in plan.target:
        assert target.url.startswith(shop.url + "/")
        logged_in.goto(target.url)
        logged_in.wait_for_selector(target.wait_for)
        for selector in target.mask:
            assert logged_in.locator(selector).count() >= 1
        for selector in target.click:
            logged_in.click(selector)
        if target.kind == "product":
            assert EXPANDED_MARKER in logged_in.inner_text("body")
        if target.kind == "chat":
            assert logged_in.locator(target.chat_selector).count() == 1
