"""The manifest: the single source of truth for what a bundle holds.

schemas/*.schema.json are generated from these models (`python -m capture.schemas`)
and a test fails when they drift. verify.py depends on this module and the
standard library only, so nothing here may import Playwright.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

SCHEMA_VERSION = "1.0"
TOOL_NAME = "evidence-capture"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def format_utc(dt: datetime) -> str:
    """The one way times are written: UTC, milliseconds, `Z`."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


UtcTime = Annotated[
    datetime,
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    Field(description="UTC, ISO 8601 with milliseconds and `Z`"),
]

Kind = Literal["order", "product", "chat", "page"]
Role = Literal[
    "screenshot",
    "screenshot_tile",
    "chat_segment",
    "dom",
    "mhtml",
    "text",
    "transcript",
    "har",
    "trace",
]


class Strict(BaseModel):
    # A manifest with fields we do not know is not one we wrote: reject it.
    model_config = ConfigDict(extra="forbid")


class Tool(Strict):
    name: str = TOOL_NAME
    version: str
    digest: str | None = Field(
        None,
        description="SHA-256 over the sorted SHA-256s of the installed `capture` package "
        "files; tells a modified tool from the released one",
    )


class BrowserInfo(Strict):
    name: str
    version: str
    user_agent: str
    headless: bool
    executable: str | None = Field(None, description="Path of the browser executable, when local")
    executable_sha256: str | None = None
    launch_args: list[str] = Field(default_factory=list)
    remote_endpoint: str | None = Field(
        None, description="Endpoint of a remote browser (credentials removed), when one was used"
    )


class Viewport(Strict):
    width: int
    height: int


class EnvironmentCheck(Strict):
    name: str
    result: Literal["ok", "warning", "problem"]
    detail: str


class Environment(Strict):
    os: str
    python: str
    playwright: str
    browser: BrowserInfo
    viewport: Viewport
    locale: str
    timezone: str
    checks: list[EnvironmentCheck] = Field(
        default_factory=list, description="Clean-environment checks run before the first target"
    )


class Case(Strict):
    title: str | None = None
    platform: str | None = None
    order_id: str | None = None
    note: str | None = None


class LoginSession(Strict):
    """That a login session was used, and for which sites: never the secrets."""

    source: Literal["profile", "storage_state"]
    profile: str | None = None
    origins: list[str] = Field(default_factory=list)
    cookie_domains: list[str] = Field(default_factory=list)


class Tls(Strict):
    protocol: str | None = None
    subject: str | None = None
    issuer: str | None = None
    valid_from: UtcTime | None = None
    valid_to: UtcTime | None = None


class Response(Strict):
    status: int | None = None
    status_text: str | None = None
    server_ip: str | None = None
    server_port: int | None = None
    server_date: str | None = Field(
        None, description="The server's own `Date` header, verbatim: an independent clock"
    )
    tls: Tls | None = None


class Action(Strict):
    """One thing the tool did to the page, in order."""

    type: str = Field(description="load, settle, scroll, click, wait_for, javascript, mask, ...")
    at: UtcTime
    detail: str = ""
    selector: str | None = None
    outcome: Literal["ok", "warning", "failed"] = "ok"


class Artifact(Strict):
    path: str = Field(description="Relative to the bundle, forward slashes")
    role: Role
    media_type: str
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    created_at: UtcTime
    offset_y: int | None = Field(
        None, description="Screenshot tiles: top of this tile in page CSS pixels"
    )
    scroll_top: int | None = Field(
        None, description="Chat segments: scrollTop of the conversation when taken, CSS pixels"
    )
    height: int | None = Field(None, description="Tiles and chat segments: height in CSS pixels")
    redactions: list[str] | None = Field(
        None, description="What was removed from this file before hashing (HAR, trace)"
    )


class Capture(Strict):
    index: int = Field(ge=1)
    kind: Kind
    requested_url: str
    final_url: str | None = None
    title: str | None = None
    started_at: UtcTime
    finished_at: UtcTime | None = None
    response: Response | None = None
    actions: list[Action] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None
    modified_by_script: bool = Field(
        False, description="True when page JavaScript beyond waits/scrolls/clicks/masks ran"
    )
    page_height: int | None = Field(None, description="document scrollHeight, CSS pixels")
    chat_selector: str | None = Field(None, description="Chats: CSS path of the conversation")
    chat_scroll_height: int | None = Field(
        None, description="Chats: scrollHeight of the conversation the segments cover"
    )
    chat_messages: int | None = Field(None, description="Chats: messages in the transcript")


class Manifest(Strict):
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    tool: Tool
    status: Literal["complete", "incomplete"]
    started_at: UtcTime
    finished_at: UtcTime | None = None
    case: Case = Field(default_factory=Case)
    environment: Environment
    login: LoginSession | None = None
    captures: list[Capture] = Field(default_factory=list)
    artifacts: list[Artifact] = Field(
        default_factory=list, description="Session-wide files: HAR, trace"
    )

    def all_artifacts(self) -> list[Artifact]:
        found = list(self.artifacts)
        for capture in self.captures:
            found.extend(capture.artifacts)
        return found

    def to_json_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


# --- verification report -------------------------------------------------------------

Verdict = Literal["INTACT", "ALTERED", "INVALID"]
FileStatus = Literal["ok", "altered", "missing", "unexpected", "unsafe", "unreadable"]


class FileCheck(Strict):
    path: str
    status: FileStatus
    detail: str = ""
    expected_sha256: str | None = None
    actual_sha256: str | None = None


class TimestampCheck(Strict):
    path: str
    status: Literal["ok", "altered", "unchecked", "invalid"]
    detail: str = ""
    authority: str | None = None
    time: str | None = None
    serial: str | None = None
    signer: str | None = None
    chain_verified: bool = False


class VerificationReport(Strict):
    bundle: str
    verdict: Verdict
    complete: bool | None = Field(
        None, description="The manifest says the run finished (false: interrupted, still checkable)"
    )
    fingerprint: str | None = Field(None, description="SHA-256 of manifest.json's bytes")
    started_at: str | None = None
    finished_at: str | None = None
    captures: int = 0
    files_checked: int = 0
    files: list[FileCheck] = Field(default_factory=list, description="Only files with a problem")
    problems: list[str] = Field(default_factory=list)
    timestamps: list[TimestampCheck] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return 0 if self.verdict == "INTACT" else 1
