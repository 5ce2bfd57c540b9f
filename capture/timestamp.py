"""RFC 3161 trusted timestamps through the system `openssl` and urllib.

A token over manifest.json binds every file's hash to a time vouched for by a third
party, and anyone can re-check it with the `openssl ts -verify` they already have.
We deliberately shell out to `openssl` instead of parsing ASN.1 ourselves: support
staff run the same program, so what we accept is exactly what they can reproduce.
No Playwright here: verify.py imports this module.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field, PrivateAttr

from . import __version__
from .bundle import MANIFEST, BundleWriter, is_token_name, token_name
from .errors import ExitCode, UsageError
from .limits import MAX_CA_BYTES, MAX_MANIFEST_BYTES, MAX_TOKEN_BYTES, MAX_TOKENS
from .manifest import Manifest, TimestampCheck, format_utc
from .messages import t
from .results import TokenSummary as StampedToken
from .display import visible
from .urls import BadUrl, check_http_url

OPENSSL_TIMEOUT = 30.0
HASHES = {"sha256", "sha384", "sha512", "sha224", "sha1"}


class TimestampError(Exception):
    """No usable token: the message is one short line a buyer can act on."""


class OpensslMissing(TimestampError):
    """No openssl on this machine: tokens can be neither requested nor checked."""


class StampResult(BaseModel):
    """`evidence stamp --json`."""

    tokens: list[StampedToken] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    # warning -> (authority, its answer): what the console says in the reader's language;
    # the warning itself stays as --json and the manifest record it.
    _no_token: dict[str, tuple[str, str]] = PrivateAttr(default_factory=dict)

    def add_no_token(self, url: str, answer: str) -> None:
        warning = f"no trusted timestamp from {url}: {answer}; {retry_hint(url)}"
        self.warnings.append(warning)
        self._no_token[warning] = (url, answer)

    @property
    def exit_code(self) -> int:
        return ExitCode.OK if self.tokens else ExitCode.EVIDENCE_FAILED

    def summary_lines(self) -> list[str]:
        # What the authority answered (or the network said) stays as recorded.
        lines = []
        for token in self.tokens:
            lines.append(t("stamp.trusted", path=token.path, time=token.time or "?", authority=token.authority,
                           serial=token.serial or "?", signer=token.signer or token.tsa_name or "?"))
        for warning in self.warnings:
            failed = self._no_token.get(warning)
            shown = t("stamp.no_token", url=failed[0], reason=failed[1]) if failed else warning
            lines.append(t("stamp.warning", warning=shown))
        return lines


# --- openssl ---------------------------------------------------------------------------


def _openssl(args: list[str], *, input: bytes | None = None) -> subprocess.CompletedProcess:
    exe = shutil.which("openssl")
    if exe is None:
        raise OpensslMissing("openssl is not installed (it is needed for trusted timestamps)")
    try:
        return subprocess.run(
            [exe, *args], input=input, capture_output=True, timeout=OPENSSL_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        raise TimestampError(f"openssl {args[0]} {args[1]} did not finish") from None
    except OSError as exc:
        raise TimestampError(f"cannot run openssl: {exc.strerror}") from None


def _last_error(proc: subprocess.CompletedProcess) -> str:
    """openssl's most specific complaint, without the noise around it."""
    text = proc.stderr.decode("utf-8", "replace")
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("Using configuration")]
    for line in reversed(lines):
        # "4067...:error:17800064:time stamp routines:ts_verify_cert:certificate verify error:...:Verify error:unable to get local issuer certificate"
        if ":error:" in line:
            parts = line.split(":")
            tail = [p for p in parts[5:] if p and not p.startswith("..") and not p.isdigit()]
            if not tail:
                return line.strip()
            return tail[0] if len(tail) == 1 else f"{tail[0]}: {tail[-1]}"
    return lines[-1].strip() if lines else f"openssl exited with {proc.returncode}"


# --- reading a token -------------------------------------------------------------------

_TIME = re.compile(
    r"(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<hms>\d{2}:\d{2}:\d{2})(?P<frac>\.\d+)?\s+(?P<year>\d{4})"
)
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}


def _parse_time(text: str | None) -> str | None:
    """openssl prints 'Nov  5 17:06:56.059 2026 GMT'; we write times one way."""
    if not text:
        return None
    match = _TIME.search(text)
    if not match or match["mon"] not in _MONTHS:
        return None
    hour, minute, second = (int(x) for x in match["hms"].split(":"))
    micro = int((match["frac"] or ".0")[1:7].ljust(6, "0"))
    try:
        dt = datetime(
            int(match["year"]), _MONTHS[match["mon"]], int(match["day"]),
            hour, minute, second, micro, tzinfo=UTC,
        )
    except ValueError:
        return None
    return format_utc(dt)


def _hex_dump_bytes(lines: list[str]) -> str | None:
    """The bytes of an openssl BIO_dump ('    0000 - 58 91 b5 ...-6d ...   X..."')."""
    out = []
    for line in lines:
        match = re.match(r"^\s*[0-9a-fA-F]{4} - ", line)
        if not match:
            break
        # 16 columns of 'xx ' (or 'xx-' after the 8th), then the ASCII column.
        area = line[match.end() : match.end() + 48]
        out.extend(re.findall(r"[0-9a-fA-F]{2}", area))
    return "".join(out).lower() or None


def parse_reply_text(text: str) -> dict:
    """Fields of `openssl ts -reply -text`; a field openssl did not print is None."""
    info: dict = {
        "status": None,
        "status_text": None,
        "failure": None,
        "time": None,
        "serial": None,
        "tsa_name": None,
        "hash_algorithm": None,
        "imprint": None,
        "policy": None,
        "nonce": None,
    }
    lines = text.splitlines()
    seen: set[str] = set()
    for i, raw in enumerate(lines):
        key, sep, value = raw.strip().partition(":")
        if not sep:
            continue
        if key in seen:
            # openssl prints a URI-form TSA name raw: a later "Message data:" or "Time
            # stamp:" line may be the token's own text. The first of each is openssl's.
            continue
        seen.add(key)
        value = value.strip()
        known = value if value and value != "unspecified" else None
        if key == "Status":
            info["status"] = known.rstrip(".") if known else None
        elif key == "Status description":
            info["status_text"] = known
        elif key == "Failure info":
            info["failure"] = known
        elif key == "Time stamp":
            info["time"] = _parse_time(value)
        elif key == "Serial number":
            info["serial"] = known
        elif key == "TSA":
            # 'DirName:/CN=Test TSA/O=...' or a URI/DNS GeneralName
            info["tsa_name"] = visible(known.split(":", 1)[1] if known and ":" in known else known)
            break  # what follows the TSA name may be the token's own text
        elif key == "Hash Algorithm":
            info["hash_algorithm"] = known.lower() if known else None
        elif key == "Policy OID":
            info["policy"] = known
        elif key == "Nonce":
            info["nonce"] = known
        elif key == "Message data":
            info["imprint"] = _hex_dump_bytes(lines[i + 1 :])
    return info


def _granted(info: dict) -> bool:
    # 'Granted' and 'Granted with modifications' both carry a token.
    return bool(info.get("status")) and info["status"].lower().startswith("granted")


def _signer(token_der: bytes) -> tuple[str | None, str]:
    """(subject of the signing certificate, signature outcome) for a bare token.

    The outcome is "ok" (the signature is valid for the certificate the token carries,
    chain not considered), "no certificate" (the token does not carry it), or why the
    signature failed: token bytes changed after signing.
    """
    with tempfile.TemporaryDirectory(prefix="evidence-tsr-") as tmp:
        signer = Path(tmp) / "signer.pem"
        proc = _openssl(
            ["cms", "-verify", "-noverify", "-inform", "DER", "-binary",
             "-signer", str(signer), "-out", str(Path(tmp) / "content")],
            input=token_der,
        )
        if proc.returncode != 0 or not signer.is_file():
            reason = _last_error(proc)
            return None, "no certificate" if "signer certificate not found" in reason else reason
        proc = _openssl(
            ["x509", "-in", str(signer), "-noout", "-subject",
             "-nameopt", "utf8,sep_comma_plus_space,sname"]
        )
    subject = proc.stdout.decode("utf-8", "replace").strip() if proc.returncode == 0 else ""
    # A certificate subject is the signer's own words: shown, never obeyed (no escapes, no bidi).
    return visible(subject.removeprefix("subject=").strip()) or None, "ok"


def _read_token(path: Path) -> tuple[dict, bool]:
    """Parse a token file as a TimeStampResp, else as a bare token (-token_in)."""
    for token_in in (False, True):
        args = ["ts", "-reply", "-in", str(path), "-text"] + (["-token_in"] if token_in else [])
        proc = _openssl(args)
        if proc.returncode == 0:
            info = parse_reply_text(proc.stdout.decode("utf-8", "replace"))
            if info["status"] or info["imprint"]:
                return info, token_in
    raise TimestampError("not an RFC 3161 timestamp reply")


def token_info(token: bytes) -> dict:
    """time, serial, signer, tsa_name, hash_algorithm, imprint (hex), policy, status, nonce,
    and signature ("ok", "no certificate", or why the signature over the token fails).

    Raises TimestampError when the bytes are not a timestamp reply at all.
    """
    if len(token) > MAX_TOKEN_BYTES:
        raise TimestampError(f"larger than {MAX_TOKEN_BYTES} bytes: not a timestamp reply")
    with tempfile.TemporaryDirectory(prefix="evidence-tsr-") as tmp:
        path = Path(tmp) / "token.tsr"
        path.write_bytes(token)
        info, token_in = _read_token(path)
        info["token_in"] = token_in
        info["signer"], info["signature"] = None, "no token"
        if _granted(info) or token_in:
            if token_in:
                der = token
            else:
                proc = _openssl(["ts", "-reply", "-in", str(path), "-token_out"])
                der = proc.stdout if proc.returncode == 0 else b""
            if der:
                info["signer"], info["signature"] = _signer(der)
    return info


# --- asking an authority ---------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A POST silently turned into a GET elsewhere is not what the user asked for.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise TimestampError(f"the authority redirected to {newurl}; use that URL with --tsa")


def check_tsa_url(url: str) -> str:
    try:
        return check_http_url(url, "--tsa")
    except BadUrl as exc:
        raise UsageError(str(exc)) from None


def _exchange(url: str, body: bytes, timeout: float, max_bytes: int, deadline: float) -> bytes:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/timestamp-query",
            "Accept": "application/timestamp-reply",
            "User-Agent": f"evidence-capture/{__version__}",
        },
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            # read1: one socket read at a time, so a server dripping bytes cannot
            # stretch a single read past the deadline.
            read = getattr(response, "read1", response.read)
            chunks, size = [], 0
            # At most max_bytes + 1: one byte more tells "too large" from "exactly full".
            while size <= max_bytes:
                if time.monotonic() > deadline:
                    raise TimestampError(f"no complete answer within {timeout:g} s")
                chunk = read(min(65536, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except TimestampError:
        raise
    except urllib.error.HTTPError as exc:
        raise TimestampError(f"the authority answered HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            raise TimestampError(f"no answer within {timeout:g} s") from None
        raise TimestampError(f"cannot reach the authority ({exc.reason})") from None
    except TimeoutError:
        raise TimestampError(f"no answer within {timeout:g} s") from None
    except (OSError, ValueError, http.client.HTTPException) as exc:
        raise TimestampError(f"connection failed ({exc.__class__.__name__}: {exc})") from None
    if size > max_bytes:
        raise TimestampError(f"the answer is larger than {max_bytes} bytes: not a timestamp reply")
    return b"".join(chunks)


def _post(url: str, body: bytes, timeout: float, max_bytes: int) -> bytes:
    """POST the query; the whole exchange, headers included, ends within about `timeout`."""
    deadline = time.monotonic() + timeout
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["body"] = _exchange(url, body, timeout, max_bytes, deadline)
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread
            outcome["error"] = exc

    # urllib's timeout bounds each socket operation, not the exchange: a server sending
    # its headers one byte at a time would hold us forever. A daemon thread we stop
    # waiting for cannot hold the process either.
    worker = threading.Thread(target=work, name="tsa-request", daemon=True)
    worker.start()
    worker.join(timeout + 1)
    if worker.is_alive():
        raise TimestampError(f"no complete answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["body"]


def request_token(data: bytes, url: str, timeout: float = 20, max_bytes: int = MAX_TOKEN_BYTES) -> bytes:
    """Ask `url` for an RFC 3161 token over sha256(data); return the DER TimeStampResp.

    The reply is only returned when it is granted, over exactly our data, and answers
    our own request (the nonce), so a replayed or misdirected reply is never saved.
    """
    return _request(data, url, timeout, max_bytes)[0]


def _request(data: bytes, url: str, timeout: float, max_bytes: int) -> tuple[bytes, dict]:
    try:
        check_http_url(url, "the authority's URL")
    except BadUrl as exc:
        raise TimestampError(str(exc)) from None
    with tempfile.TemporaryDirectory(prefix="evidence-tsq-") as tmp:
        data_path, query_path = Path(tmp) / "data", Path(tmp) / "query.tsq"
        data_path.write_bytes(data)
        proc = _openssl(
            ["ts", "-query", "-data", str(data_path), "-sha256", "-cert", "-out", str(query_path)]
        )
        if proc.returncode != 0 or not query_path.is_file():
            raise TimestampError(f"openssl could not build the request: {_last_error(proc)}")
        proc = _openssl(["ts", "-query", "-in", str(query_path), "-text"])
        query = parse_reply_text(proc.stdout.decode("utf-8", "replace"))
        reply = _post(url, query_path.read_bytes(), timeout, max_bytes)
    try:
        info = token_info(reply)
    except TimestampError:
        raise TimestampError("the answer is not a timestamp reply") from None
    if not _granted(info):
        why = info.get("status_text") or info.get("failure") or "no reason given"
        raise TimestampError(f"the authority refused ({info.get('status') or 'no status'}: {why})")
    if info["hash_algorithm"] != "sha256" or info["imprint"] != hashlib.sha256(data).hexdigest():
        raise TimestampError("the token is not over our data (message imprint differs)")
    if query["nonce"] and info["nonce"] != query["nonce"]:
        raise TimestampError("the token does not answer our request (nonce differs)")
    return reply, info


# --- checking a stored token -----------------------------------------------------------


def load_ca_bundle(paths: list[Path]) -> bytes:
    """The given CA files as one PEM bundle; DER certificates are converted."""
    pems = []
    for path in paths:
        path = Path(path)
        try:
            if path.stat().st_size > MAX_CA_BYTES:
                raise UsageError(t("stamp.ca_too_large", path=path, most=MAX_CA_BYTES))
            raw = path.read_bytes()
        except OSError as exc:
            raise UsageError(t("stamp.ca_unreadable", path=path, reason=exc.strerror)) from None
        if b"-----BEGIN CERTIFICATE-----" not in raw:
            proc = _openssl(["x509", "-inform", "DER", "-outform", "PEM"], input=raw)
            if proc.returncode != 0:
                raise UsageError(t("stamp.ca_not_cert", path=path))
            raw = proc.stdout
        pems.append(raw if raw.endswith(b"\n") else raw + b"\n")
    return b"".join(pems)


def _epoch(iso: str | None) -> int | None:
    if not iso:
        return None
    return int(datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp())


def system_trust_store() -> tuple[str, str] | None:
    """("-CAfile", path) or ("-CApath", dir) of this machine's trusted roots, if any."""
    paths = ssl.get_default_verify_paths()
    for flag, candidate in (("-CAfile", paths.cafile), ("-CApath", paths.capath),
                            ("-CAfile", "/etc/ssl/certs/ca-certificates.crt")):
        if candidate and Path(candidate).exists():
            return flag, candidate
    return None


def check_token(name: str, token: bytes, manifest_bytes: bytes, tsa_cas: list[Path]) -> TimestampCheck:
    """Does `token` vouch for exactly these manifest bytes, and can we prove who signed it?

    `invalid` when it does not vouch for them; `trusted` only when the signer chains to
    --tsa-ca (or, without it, to the system's trust store); otherwise `not verified`:
    the authority's name is then the token's own claim. Never raises for a bad token
    (verify treats bundles as hostile); UsageError only for an unreadable --tsa-ca file.
    """
    try:
        ca_pem = load_ca_bundle(tsa_cas) if tsa_cas else None
        info = token_info(token)
    except OpensslMissing as exc:
        return TimestampCheck(path=name, status="not verified", detail=f"{exc}; token not checked")
    except TimestampError as exc:
        return TimestampCheck(path=name, status="invalid", detail=str(exc))
    check = TimestampCheck(
        path=name,
        status="not verified",
        authority=info["tsa_name"] or info["signer"],
        time=info["time"],
        serial=info["serial"],
        signer=info["signer"],
    )
    why = _does_not_vouch(info, manifest_bytes)
    if why:
        check.status, check.detail = "invalid", why
        return check
    if ca_pem is not None:
        _verify_chain(check, token, manifest_bytes, info, ca_pem=ca_pem)
        return check
    store = system_trust_store()
    if store is None:
        check.detail = ("matches manifest.json; this machine has no trust store to check the signer "
                        "against: who signed it is unproven (pass the authority's CA with --tsa-ca)")
        return check
    _verify_chain(check, token, manifest_bytes, info, store=store)
    return check


def _does_not_vouch(info: dict, manifest_bytes: bytes) -> str | None:
    """Why the token is no statement about these manifest bytes, or None."""
    if not info["token_in"] and not _granted(info):
        return f"not a granted timestamp ({info['status'] or 'no status'})"
    algorithm = info["hash_algorithm"]
    if algorithm not in HASHES or not info["imprint"]:
        return f"unsupported or missing hash algorithm ({algorithm})"
    actual = hashlib.new(algorithm, manifest_bytes).hexdigest()
    if actual != info["imprint"]:
        return f"made over other data: the token's {algorithm} is {info['imprint']}, manifest.json's is {actual}"
    if info["signature"] == "no certificate":
        return None  # checkable only with the TSA certificate given as --tsa-ca
    if info["signature"] != "ok":
        return f"the token was changed after it was signed ({info['signature']})"
    return None


def _verify_chain(check: TimestampCheck, token: bytes, manifest_bytes: bytes, info: dict, *,
                  ca_pem: bytes | None = None, store: tuple[str, str] | None = None) -> None:
    """`trusted` when openssl verifies the chain; otherwise the check stays `not verified`."""
    with tempfile.TemporaryDirectory(prefix="evidence-tsv-") as tmp:
        tmpdir = Path(tmp)
        (tmpdir / "manifest.json").write_bytes(manifest_bytes)
        (tmpdir / "token.tsr").write_bytes(token)
        args = ["ts", "-verify", "-data", str(tmpdir / "manifest.json"), "-in", str(tmpdir / "token.tsr")]
        if ca_pem is not None:
            (tmpdir / "ca.pem").write_bytes(ca_pem)
            # The CA files double as -untrusted so a token that does not carry its signer
            # certificate verifies when the user passes the TSA certificate too.
            args += ["-CAfile", str(tmpdir / "ca.pem"), "-untrusted", str(tmpdir / "ca.pem")]
        else:
            args += list(store)
        if info["token_in"]:
            args.append("-token_in")
        # Years later the TSA certificate will have expired; what matters is that it
        # was valid when it signed, so check the chain at the token's own time.
        when = _epoch(check.time)
        if when is not None:
            args += ["-attime", str(when)]
        try:
            proc = _openssl(args)
        except TimestampError as exc:
            check.detail = f"matches manifest.json; the signer could not be checked ({exc})"
            return
    out = proc.stdout.decode("utf-8", "replace")
    source = "--tsa-ca" if ca_pem is not None else "system"
    if proc.returncode == 0 and "Verification: OK" in out:
        check.status, check.chain_verified, check.trust_source = "trusted", True, source
        against = "the given --tsa-ca" if ca_pem is not None else "this system's trusted roots"
        check.detail = f"matches manifest.json; signed by an authority that chains to {against}"
        return
    reason = _last_error(proc)
    if "imprint mismatch" in reason:
        # openssl compared the token with the manifest itself: it is over other data.
        check.status, check.detail = "invalid", f"made over other data than this manifest.json ({reason})"
    elif "signer certificate not found" in reason:
        check.detail = ("matches manifest.json, but the token does not carry its signer certificate: "
                        "who signed it is unproven (pass the TSA certificate with --tsa-ca)")
    elif ca_pem is not None:
        check.detail = (f"matches manifest.json, but the signer does not chain to the given --tsa-ca "
                        f"({reason}): who signed it, and so the time, is unproven")
    else:
        check.detail = (f"matches manifest.json, but the signer does not chain to this system's "
                        f"trusted roots ({reason}): who signed it, and so the time, is unproven "
                        "(pass the authority's CA with --tsa-ca)")


# --- stamping a bundle -----------------------------------------------------------------


def _free_token_names(root: Path, count: int) -> list[str]:
    names = []
    for number in range(1, MAX_TOKENS + 1):
        name = token_name(number)
        if not (root / name).exists() and not (root / name).is_symlink():
            names.append(name)
            if len(names) == count:
                return names
    raise TimestampError(f"the bundle already holds {MAX_TOKENS} timestamp tokens")



def read_bundle_manifest(root: Path) -> Manifest:
    """The manifest of a bundle directory about to be stamped, or UsageError."""
    root = Path(root)
    if root.is_file() and root.suffix.lower() == ".zip":
        raise UsageError(t("stamp.is_zip", root=root))
    if not root.is_dir():
        raise UsageError(t("stamp.not_dir", root=root))
    path = root / MANIFEST
    if path.is_symlink() or not path.is_file():
        raise UsageError(t("stamp.not_bundle", root=root, manifest=MANIFEST))
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise UsageError(t("stamp.manifest_too_large", path=path, most=MAX_MANIFEST_BYTES))
    try:
        return Manifest.model_validate_json(path.read_bytes())
    except (OSError, ValueError):
        raise UsageError(t("stamp.bad_manifest", path=path, root=root)) from None


def retry_hint(url: str) -> str:
    return f"retry later with: evidence stamp BUNDLE --tsa {url}"


def stamp_bundle(root: Path, urls: list[str], timeout: float = 20) -> StampResult:
    """Get a token over root/manifest.json from each URL and write the ones granted.

    Never raises for a failing authority: the bundle is evidence already, a missing
    timestamp is a warning with the command that adds one later.
    """
    root = Path(root)
    result = StampResult()
    if not urls:
        return result
    manifest_bytes = (root / MANIFEST).read_bytes()

    def ask(url: str) -> tuple[bytes, dict] | str:
        try:
            return _request(manifest_bytes, url, timeout, MAX_TOKEN_BYTES)
        except TimestampError as exc:
            return str(exc)

    # Authorities are independent; one hanging must not add its timeout to the others.
    with ThreadPoolExecutor(max_workers=min(8, len(urls))) as pool:
        answers = list(pool.map(ask, urls))

    granted = [(url, answer) for url, answer in zip(urls, answers) if not isinstance(answer, str)]
    for url, answer in zip(urls, answers):
        if isinstance(answer, str):
            result.add_no_token(url, answer)
    if not granted:
        return result
    try:
        names = _free_token_names(root, len(granted))
    except TimestampError as exc:
        result.warnings.append(str(exc))
        return result
    writer = BundleWriter(root)
    for (url, (reply, info)), name in zip(granted, names):
        digest = writer.write_file(name, reply)
        result.tokens.append(
            StampedToken(
                authority=url,
                path=name,
                time=info["time"],
                serial=info["serial"],
                signer=info["signer"],
                tsa_name=info["tsa_name"],
                sha256=digest,
            )
        )
    return result


def token_files(root: Path) -> list[str]:
    """Names of the token files in a bundle directory, manifest.json.tsr first."""
    names = [child.name for child in Path(root).iterdir() if is_token_name(child.name)]

    def number(name: str) -> int:
        middle = name[len("manifest.json") : -len(".tsr")]
        return 1 if not middle else int(middle[1:])

    return sorted(names, key=number)
