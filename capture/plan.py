"""What to capture: targets from command-line flags or a plan.toml, validated before
any browser starts. One Target model serves both, so a plan entry and a flag behave
the same."""

from __future__ import annotations

import tomllib
from pathlib import Path
from urllib.parse import urljoin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import UsageError
from .manifest import Case, Kind
from .messages import t
from .urls import check_http_url

DEFAULT_TIMEOUT = 60.0
DEFAULT_MAX_CHAT_SCROLLS = 400


def check_url(url: str) -> str:
    """A target URL, or ValueError (BadUrl) with a hint a person can act on."""
    return check_http_url(url)


class Target(BaseModel):
    """One page to capture, with what to do on it first."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind = Field("page", description="order, product, chat or page")
    url: str = Field(description="http(s) URL; relative URLs are resolved against base_url")
    wait_for: str | None = Field(None, description="selector to wait for before capturing")
    click: list[str] = Field(default_factory=list, description="selectors clicked in order")
    javascript: str | None = Field(
        None, description="snippet run before capture (marks the capture modified_by_script)"
    )
    mask: list[str] = Field(default_factory=list, description="selectors blacked out in images")
    chat_selector: str | None = Field(None, description="CSS selector of the conversation box")
    timeout: float | None = Field(None, gt=0, le=3600, description="seconds for this target")
    full_page: bool = Field(True, description="false: only the first screen")
    max_chat_scrolls: int | None = Field(None, ge=1, le=100_000)


class PlanBrowser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    executable: str | None = None
    endpoint: str | None = None
    cdp_endpoint: str | None = None


class Plan(BaseModel):
    """A plan.toml file."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = Field(None, description="resolves relative target URLs")
    case: Case = Field(default_factory=Case)
    browser: PlanBrowser = Field(default_factory=PlanBrowser)
    storage_state: str | None = None
    profile: str | None = None
    tsa: list[str] = Field(default_factory=list)
    timeout: float | None = Field(None, gt=0, le=3600)
    trace_screenshots: bool = Field(
        False, description="keep screencast frames in the trace (larger; --trace-screenshots)"
    )
    device: str | None = Field(
        None, description='a Playwright device name such as "iPhone 13": viewport, scale, touch and '
        "user agent of that phone (--device; `evidence capture --list-devices`)"
    )
    headless_user_agent: bool = Field(
        False, description='true: pages see the headless browser\'s own user agent ("HeadlessChrome")'
    )
    target: list[Target] = Field(min_length=1)

    @field_validator("base_url")
    @classmethod
    def _base_is_http(cls, value: str | None) -> str | None:
        return None if value is None else check_url(value)


def _problem(error: dict) -> str:
    # Pydantic's own wording ("Input should be greater than 0") is the technical detail;
    # only the two a person meets most are ours, in the reader's language.
    if error["type"] == "extra_forbidden":
        return t("plan.unknown_key")
    if error["type"] == "missing":
        return t("plan.missing_key")
    message = error["msg"]
    return message[len("Value error, ") :] if message.startswith("Value error, ") else message


def _describe(error: dict, data: dict) -> str:
    loc = list(error["loc"])
    where = None
    if loc[:1] == ["target"] and len(loc) > 1 and isinstance(loc[1], int):
        number = loc[1] + 1
        url = ""
        targets = data.get("target")
        if isinstance(targets, list) and loc[1] < len(targets) and isinstance(targets[loc[1]], dict):
            url = targets[loc[1]].get("url", "")
        has_url = isinstance(url, str) and url
        where = t("plan.target_url", number=number, url=url) if has_url else t("plan.target", number=number)
        loc = loc[2:]
    key = ".".join(str(part) for part in loc) or t("plan.top_level")
    problem = t("plan.key", key=key, message=_problem(error))
    return t("plan.in_target", where=where, problem=problem) if where else problem


def resolve_targets(targets: list[Target], base_url: str | None, source: str) -> list[Target]:
    """Absolute, checked URLs and no duplicates; errors name the source and target."""
    resolved, seen = [], set()
    for number, target in enumerate(targets, 1):
        url = urljoin(base_url, target.url) if base_url else target.url
        try:
            check_url(url)
        except ValueError as exc:
            raise UsageError(t("plan.bad_url", source=source, number=number, error=exc)) from None
        if (target.kind, url) in seen:
            raise UsageError(t("plan.duplicate", source=source, number=number, url=url))
        seen.add((target.kind, url))
        resolved.append(target.model_copy(update={"url": url}))
    return resolved


def load_plan(path: Path, base_url: str | None = None) -> Plan:
    """Read and validate a plan file; UsageError naming file, target and key."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(t("plan.unreadable", path=path, reason=exc.strerror)) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise UsageError(t("plan.not_utf8", path=path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(t("plan.bad_toml", path=path, detail=exc)) from None
    try:
        plan = Plan.model_validate(data)
    except ValidationError as exc:
        # One readable line per problem, each naming the file, the target and the key.
        lines = [t("plan.line", path=path, problem=_describe(error, data)) for error in exc.errors()[:20]]
        raise UsageError("\n".join(lines)) from None
    base = base_url or plan.base_url
    return plan.model_copy(update={"target": resolve_targets(plan.target, base, str(path))})
