"""The manifest: the single source of truth for what a bundle holds.

schemas/*.schema.json are generated from these models (`python -m capture.schemas`)
and a test fails when they drift. verify.py depends on this module and the
standard library only, so nothing here may import Playwright.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, field_validator, model_validator

from .bundlepath import MAX_PATH_CHARS, UnsafePath, bundle_path

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


# What the serialised form looks like, so an independent validator of the exported
# schema rejects "yesterday" just as the model does.
UTC_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z$"
# bundlepath.bundle_path() in one regular expression: relative, forward slashes, no
# empty / "." / ".." component, no backslash, control character or drive letter.
BUNDLE_PATH_PATTERN = r"^(?!.:)(?!.*[\\\x00-\x1f])(?:(?!\.\.?(?:/|$))[^/]+/)*(?!\.\.?$)[^/]+$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"

UtcTime = Annotated[
    datetime,
    PlainSerializer(format_utc, return_type=str, when_used="json"),
    Field(
        description="UTC, ISO 8601 with milliseconds and `Z`",
        json_schema_extra={"format": "date-time", "pattern": UTC_PATTERN},
    ),
]

Kind = Literal["order", "product", "chat", "page"]
Role = Literal[
    "screenshot",
    "screenshot_tile",
    "chat_segment",
    "box_segment",
    "dom",
    "mhtml",
    "text",
    "transcript",
    "har",
    "trace",
    "report",
    "checksums",
]


class Strict(BaseModel):
    # A manifest with fields we do not know is not one we wrote: reject it.
    model_config = ConfigDict(extra="forbid")


class Tool(Strict):
    name: str = TOOL_NAME
    version: str
    digest: str | None = Field(
        None,
        pattern=SHA256_PATTERN,
        description="SHA-256 over the sorted SHA-256s of the installed `capture` package "
        "files; tells a modified tool from the released one",
    )


class BrowserInfo(Strict):
    name: str
    version: str
    user_agent: str = Field(description="The user agent pages were given")
    browser_user_agent: str | None = Field(
        None, description="The browser's own user agent, when pages were given another one "
        "(HeadlessChrome named as Chrome, or an emulated device's)"
    )
    headless: bool
    executable: str | None = Field(None, description="Path of the browser executable, when local")
    executable_sha256: str | None = Field(None, pattern=SHA256_PATTERN)
    launch_args: list[str] = Field(default_factory=list)
    remote_endpoint: str | None = Field(
        None, description="Endpoint of a remote browser (credentials removed), when one was used"
    )


class Viewport(Strict):
    width: int
    height: int


class Device(Strict):
    """A phone or tablet the browser emulated (Playwright's device descriptor)."""

    name: str = Field(description="Playwright's device name, e.g. iPhone 13")
    device_scale_factor: float
    is_mobile: bool
    has_touch: bool
    screen: Viewport | None = None


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
    device: Device | None = Field(None, description="The emulated device (--device), if any")
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

    type: str = Field(description="load, settle, scroll, click, wait_for, javascript, mask, "
                      "screenshot, coverage_check, ...")
    at: UtcTime
    detail: str = ""
    selector: str | None = None
    outcome: Literal["ok", "warning", "failed"] = "ok"


class Artifact(Strict):
    path: str = Field(
        description="Relative to the bundle, forward slashes; never absolute, never `..`",
        max_length=MAX_PATH_CHARS,
        # The schema's copy of the rule (pydantic's own regex engine has no look-ahead);
        # the validator below applies the very function the writer and reader use.
        json_schema_extra={"pattern": BUNDLE_PATH_PATTERN},
    )
    role: Role
    media_type: str
    bytes: int = Field(ge=0)
    sha256: str = Field(pattern=SHA256_PATTERN, description="Lowercase hex SHA-256 of the file")
    created_at: UtcTime
    offset_y: int | None = Field(
        None, description="Screenshot tiles: top of this tile in page CSS pixels"
    )
    scroll_top: int | None = Field(
        None, description="Chat and box segments: top of the range of the conversation (or of the "
        "page's inner scrolling box) the picture shows, CSS pixels"
    )
    height: int | None = Field(None, description="Tiles and chat or box segments: height in CSS pixels")
    redactions: list[str] | None = Field(
        None, description="What was removed from this file before hashing (HAR, trace, DOM, MHTML)"
    )

    @field_validator("path")
    @classmethod
    def _safe_path(cls, value: str) -> str:
        try:
            bundle_path(value)
        except UnsafePath as exc:
            raise ValueError(f"unsafe bundle path ({exc})") from None
        return value


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
    page_height: int | None = Field(
        None, description="Height the browser laid out, CSS pixels (a different height the page "
        "reports is noted in the screenshot action)")
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
    trace_screenshots: bool | None = Field(
        None,
        description="Whether the Playwright trace holds screencast frames (`--trace-screenshots`); "
        "without them it still holds every action, DOM snapshot and network request. "
        "Null: no trace was recorded, or the manifest predates this field",
    )

    @model_validator(mode="after")
    def _times_agree(self) -> "Manifest":
        # A finished run has an end, and it does not end before it began.
        if self.status == "complete" and self.finished_at is None:
            raise ValueError("a complete manifest needs finished_at")
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise ValueError("finished_at is earlier than started_at")
        return self

    def all_artifacts(self) -> list[Artifact]:
        found = list(self.artifacts)
        for capture in self.captures:
            found.extend(capture.artifacts)
        return found

    def to_json_bytes(self) -> bytes:
        return (self.model_dump_json(indent=2) + "\n").encode("utf-8")


# --- verification report -------------------------------------------------------------

Verdict = Literal["INTACT", "ALTERED", "INVALID"]
FileStatus = Literal["ok", "altered", "missing", "unexpected", "unsafe", "unreadable", "unsealed", "ignored"]
TokenStatus = Literal["trusted", "not verified", "invalid"]


class FileCheck(Strict):
    path: str
    status: FileStatus = Field(
        description="`unsealed`: a file added after the bundle was sealed (a later report "
        "rendering), listed in SHA256SUMS but not covered by the fingerprint; `ignored`: the "
        "writer's own temporary file in an interrupted bundle, not evidence"
    )
    detail: str = ""
    expected_sha256: str | None = Field(None, pattern=SHA256_PATTERN)
    actual_sha256: str | None = Field(None, pattern=SHA256_PATTERN)


class TimestampCheck(Strict):
    """One RFC 3161 token. Its status is about the time claim, never about the files."""

    path: str
    status: TokenStatus = Field(
        description="`trusted`: made over this manifest.json and signed by an authority whose "
        "certificate chains to --tsa-ca or the system's trust store; `not verified`: made over "
        "this manifest.json, but who signed it is only the token's own claim; `invalid`: the "
        "token does not vouch for this manifest.json (other data, broken signature, unreadable)"
    )
    detail: str = ""
    authority: str | None = Field(
        None, description="The authority the token names: a fact only when status is `trusted`"
    )
    time: str | None = Field(None, description="The time the token states (UTC)")
    serial: str | None = None
    signer: str | None = None
    chain_verified: bool = False
    trust_source: str | None = Field(
        None, description="What the chain was verified against: `--tsa-ca` or `system`"
    )


PartStatus = Literal["ok", "missing", "duplicate", "foreign", "not a part", "unreadable"]


class PartCheck(Strict):
    """One zip given to verify as a part of an `evidence pack --max-mb` upload, or one part
    its siblings' records name and nobody gave."""

    path: str = Field(description="The file given; for a missing part, the name its siblings give it")
    part: int | None = Field(None, description="Which part it is (1-based), from its part record")
    of: int | None = Field(None, description="How many parts the bundle was packed into")
    status: PartStatus = Field(
        description="`ok`: read as its part; `missing`: named by the others, not given; "
        "`duplicate`: a part already given; `foreign`: a part of another bundle or packing; "
        "`not a part`: a zip without a part record; `unreadable`: not a readable zip"
    )
    files: int = Field(0, description="Bundle files it holds (or, when missing, should hold)")
    detail: str = ""


class VerificationReport(Strict):
    bundle: str
    verdict: Verdict = Field(
        description="About bytes only: INTACT when every sealed file matches the manifest (and "
        "the manifest the quoted fingerprint, with --expect)"
    )
    complete: bool | None = Field(
        None, description="The manifest says the run finished (false: interrupted, still checkable)"
    )
    fingerprint: str | None = Field(None, pattern=SHA256_PATTERN,
                                    description="SHA-256 of manifest.json's bytes")
    expected_fingerprint: str | None = Field(
        None, pattern=SHA256_PATTERN, description="The fingerprint given with --expect (the one quoted in the complaint)"
    )
    fingerprint_matches: bool | None = Field(
        None, description="Whether the bundle's fingerprint is the expected one; null without --expect"
    )
    report_sealed: bool | None = Field(
        None, description="report.html/report.pdf are listed in the manifest (covered by the fingerprint)"
    )
    time_proven: bool = Field(
        False, description="At least one timestamp token over this manifest.json is `trusted`"
    )
    started_at: str | None = None
    finished_at: str | None = None
    captures: int = 0
    files_checked: int = 0
    files: list[FileCheck] = Field(default_factory=list, description="Only files with a problem")
    problems: list[str] = Field(default_factory=list)
    timestamps: list[TimestampCheck] = Field(default_factory=list)
    parts: list[PartCheck] = Field(
        default_factory=list,
        description="The zips given, when they were parts written by `evidence pack --max-mb` "
        "(and any part they name that was not given)",
    )

    @property
    def exit_code(self) -> int:
        from .errors import ExitCode

        return ExitCode.OK if self.verdict == "INTACT" else ExitCode.EVIDENCE_FAILED
