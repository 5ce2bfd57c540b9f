"""capture/localserver.py: the one server the demo shop, the test sites and the bench run on."""

from __future__ import annotations

import http.client
import socket
import threading
from urllib.parse import urlsplit

import pytest

from capture.localserver import LocalServer, QuietHandler, serve


class HoldingHandler(QuietHandler):
    """/hold waits (bounded) until the server stops; anything else answers at once."""

    def do_GET(self):  # noqa: N802 - stdlib name
        body = b"answered"
        if self.path == "/hold":
            self.server.held.set()
            body = b"released" if self.server.stopping.wait(30) else b"timed out"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class IdleHandler(QuietHandler):
    timeout = 0.5


def get(url: str, path: str = "/") -> bytes:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        connection.request("GET", path)
        return connection.getresponse().read()
    finally:
        connection.close()


def refused(port: int, host: str = "127.0.0.1") -> bool:
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError:
        return True
    return False


def test_serves_on_loopback_port_only_while_the_block_runs():
    with serve(HoldingHandler) as url:
        port = urlsplit(url).port
        assert url == f"http://127.0.0.1:{port}" and port != 0
        assert get(url) == b"answered"
        assert refused(port, "127.0.0.2")  # not bound to every interface
    assert refused(port)


def test_stopping_releases_a_held_request_with_its_answer():
    server = LocalServer(HoldingHandler)
    server.held = threading.Event()
    answers: list[bytes] = []
    with server:
        client = threading.Thread(target=lambda: answers.append(get(server.url, "/hold")))
        client.start()
        assert server.held.wait(30)
    client.join(30)
    assert answers == [b"released"]


def test_lifetime_stops_the_server_by_itself():
    server = LocalServer(HoldingHandler, lifetime=0.2).start()
    try:
        assert server.stopping.wait(60)
    finally:
        server.stop()  # a second stop is harmless
    assert refused(server.server_address[1])


def test_idle_connection_is_dropped_by_the_request_timeout():
    with serve(IdleHandler) as url:
        with socket.create_connection(("127.0.0.1", urlsplit(url).port), timeout=30) as raw:
            assert raw.recv(1) == b""  # closed by the server, not by our 30 s timeout


@pytest.mark.parametrize(("port", "lifetime"), [(-1, None), (70000, None), (0, 0), (0, -3)])
def test_bad_port_or_lifetime_is_refused(port, lifetime):
    with pytest.raises(ValueError):
        LocalServer(HoldingHandler, port=port, lifetime=lifetime)
