"""A real RFC 3161 authority for tests: an openssl CA, a TSA certificate, `openssl ts -reply`
behind a stdlib HTTP server on 127.0.0.1.

Import the fixtures into a test module explicitly (non-root conftests may not use
pytest_plugins):

    from .tsa import local_tsa, tsa_material  # noqa: F401

`local_tsa.url` is a well-behaved authority; `local_tsa.url_for(mode)` misbehaves:
"error" (HTTP 500), "garbage" (an HTML page with status 200), "hang" (answers only
after HANG_SECONDS), "drip" (a byte every 0.25 s, never finishing in time), "wrong" (a valid token over other data), "reject" (a rejection
reply), "redirect" (302 to the good authority).
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pytest

from capture.localserver import QuietHandler

from .servers import serve

CONFIG_DIR = Path(__file__).resolve().parent / "sites" / "tsa"
TS_CONFIG = CONFIG_DIR / "ts.cnf"
HANG_SECONDS = 6.0  # well past the clients' short test timeouts, short enough to end
MAX_QUERY_BYTES = 64 * 1024
MODES = ("ok", "error", "garbage", "hang", "drip", "wrong", "reject", "redirect")


def openssl(*args: str, cwd: Path | None = None, env: dict | None = None, input: bytes | None = None) -> bytes:
    proc = subprocess.run(
        ["openssl", *args], cwd=cwd, env=env, input=input, capture_output=True, timeout=60, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


@dataclass
class TsaMaterial:
    dir: Path
    ca: Path  # the trust anchor a support agent passes as -CAfile / --tsa-ca
    key: Path
    cert: Path
    other_ca: Path  # a CA that did not sign the TSA: chain checks against it must fail
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict:
        return {**os.environ, "TSA_DIR": str(self.dir)}


def make_material(directory: Path, root_cn: str = "Evidence Test Root CA",
                  tsa_cn: str = "Evidence Test TSA", org: str = "Evidence Tests") -> TsaMaterial:
    """A root CA and a TSA certificate it issued; the names are free (a forger picks any)."""
    directory.mkdir(parents=True, exist_ok=True)

    def self_signed(name: str, cn: str) -> Path:
        openssl(
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", "-subj", f"/CN={cn}/O={org}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            cwd=directory,
        )
        return directory / f"{name}.pem"

    ca = self_signed("ca", root_cn)
    other_ca = self_signed("other-ca", "Some Other Root CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
            "-subj", f"/CN={tsa_cn}/O={org}", cwd=directory)
    openssl("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-days", "30", "-out", "tsa.pem", "-extfile", str(CONFIG_DIR / "tsa-cert.ext"), cwd=directory)
    (directory / "serial").write_text("01\n")
    return TsaMaterial(directory, ca, directory / "tsa.key", directory / "tsa.pem", other_ca)


def make_reply(material: TsaMaterial, query: bytes, section: str = "tsa_ok") -> bytes:
    with material.lock, tempfile.TemporaryDirectory(prefix="tsa-") as tmp:
        query_path, reply_path = Path(tmp) / "q.tsq", Path(tmp) / "r.tsr"
        query_path.write_bytes(query)
        openssl(
            "ts", "-reply", "-queryfile", str(query_path), "-config", str(TS_CONFIG),
            "-section", section, "-inkey", str(material.key), "-signer", str(material.cert),
            "-out", str(reply_path), env=material.env(),
        )
        return reply_path.read_bytes()


def make_query(data: bytes, cert: bool = True) -> bytes:
    """A timestamp query over `data`; without `cert` the token will not carry the TSA certificate."""
    with tempfile.TemporaryDirectory(prefix="tsa-") as tmp:
        path = Path(tmp) / "data"
        path.write_bytes(data)
        return openssl("ts", "-query", "-data", str(path), "-sha256", *(["-cert"] if cert else []))


class TsaHandler(QuietHandler):
    def __init__(self, *args, material: TsaMaterial, **kwargs):
        self.material = material
        super().__init__(*args, **kwargs)

    @property
    def stopping(self) -> threading.Event:
        return self.server.stopping  # set when the server stops: ends held answers

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the "hang" mode): that was the point

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not 0 < length <= MAX_QUERY_BYTES:
            return self._send(400, b"bad request", "text/plain")
        query = self.rfile.read(length)
        mode = self.path.strip("/") or "ok"
        reply_type = "application/timestamp-reply"
        if mode == "ok":
            return self._send(200, make_reply(self.material, query), reply_type)
        if mode == "reject":
            return self._send(200, make_reply(self.material, query, "tsa_reject"), reply_type)
        if mode == "wrong":
            other = make_query(b"some other manifest")
            return self._send(200, make_reply(self.material, other), reply_type)
        if mode == "garbage":
            return self._send(200, (CONFIG_DIR / "not-a-token.html").read_bytes(), reply_type)
        if mode == "redirect":
            return self._send(302, b"", "text/plain", {"Location": "/ok"})
        if mode == "drip":
            # Each byte arrives well within a socket timeout; the whole answer never does.
            self.send_response(200)
            self.send_header("Content-Type", reply_type)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            for _ in range(int(HANG_SECONDS / 0.25)):
                if self.stopping.wait(0.25):
                    break
                try:
                    self.wfile.write(b"0")
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    break
            self.close_connection = True
            return None
        if mode == "hang":
            # Bounded: the server thread ends even if nobody is listening any more.
            self.stopping.wait(HANG_SECONDS)
        return self._send(500, b"internal error", "text/plain")


@dataclass
class LocalTsa:
    base: str
    material: TsaMaterial

    @property
    def url(self) -> str:
        return self.url_for("ok")

    @property
    def ca(self) -> Path:
        return self.material.ca

    def url_for(self, mode: str) -> str:
        assert mode in MODES, mode
        return f"{self.base}/{mode}"


@pytest.fixture(scope="session")
def tsa_material(tmp_path_factory) -> TsaMaterial:
    return make_material(tmp_path_factory.mktemp("tsa"))


@pytest.fixture(scope="session")
def local_tsa(tsa_material):
    with serve(partial(TsaHandler, material=tsa_material)) as base:
        yield LocalTsa(base, tsa_material)
