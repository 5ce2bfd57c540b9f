"""RunOptions: everything one capture run needs, as plain values, and how the command
line's values become them (with a plan, a login profile or a storage state)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .browser import BrowserSettings, browser_settings
from .errors import UsageError
from .manifest import Case, LoginSession
from .messages import t
from .plan import DEFAULT_MAX_CHAT_SCROLLS, DEFAULT_TIMEOUT, Plan, Target, load_plan, resolve_targets


@dataclass
class RunOptions:
    targets: list[Target]
    out_dir: Path | None = None
    case: Case = field(default_factory=Case)
    browser: BrowserSettings = field(default_factory=BrowserSettings)
    timeout: float = DEFAULT_TIMEOUT
    storage_state: Path | None = None
    profile: str | None = None
    tsa: list[str] = field(default_factory=list)
    jobs: int = field(default_factory=lambda: max(1, min(4, os.cpu_count() or 1)))
    trace: bool = True
    # Screencast frames in the trace: the screenshots already show every page, and the
    # frames were most of the trace's size (the upload limit of a complaint form).
    trace_screenshots: bool = False
    resume: bool = False
    max_chat_scrolls: int = DEFAULT_MAX_CHAT_SCROLLS
    chat_selector: str | None = None
    lang: str = "both"
    report: bool = True
    progress: Callable[[str], None] | None = None
    status: Callable[[str], None] | None = None  # progress of long work, every few seconds
    hosts_path: Path | None = None  # the hosts file to check (default: the system's)
    device: str | None = None  # a Playwright device name ("iPhone 13"): pages see that phone
    headless_user_agent: bool = False  # True: pages see "HeadlessChrome" in the user agent
    phase_log: Path | None = None  # where to write wall and CPU per phase (the benchmark's)


def default_out_dir() -> Path:
    return Path(f"evidence-{time.strftime('%Y%m%d-%H%M%S')}")


def options_from_cli(targets_in_order: list[tuple[str, str]], plan_path, out_dir,
                     opts: Mapping) -> RunOptions:
    """RunOptions from command-line values: (kind, url) in the order given, a plan path,
    and the other options by name. Command-line values win over the plan's."""
    plan = load_plan(plan_path) if plan_path else None
    profile, storage_state = _login_source(opts, plan)
    options = RunOptions(
        targets=_targets(targets_in_order, plan),
        out_dir=out_dir,
        case=_case(opts, plan),
        browser=_browser(opts, plan),
        timeout=opts.get("timeout") or (plan.timeout if plan and plan.timeout else DEFAULT_TIMEOUT),
        storage_state=storage_state,
        profile=profile,
        tsa=list(opts.get("tsa_urls") or (plan.tsa if plan else [])),
        trace=not opts.get("no_trace", False),
        trace_screenshots=bool(opts.get("trace_screenshots") or (plan.trace_screenshots if plan else False)),
        report=not opts.get("no_report", False),
        resume=opts.get("resume", False),
        max_chat_scrolls=opts.get("max_chat_scrolls") or DEFAULT_MAX_CHAT_SCROLLS,
        chat_selector=opts.get("chat_selector"),
        lang=opts.get("lang") or "both",
        device=opts.get("device") or (plan.device if plan else None),
        headless_user_agent=bool(opts.get("headless_user_agent")
                                 or (plan.headless_user_agent if plan else False)),
    )
    if opts.get("jobs"):
        options.jobs = opts["jobs"]
    options.phase_log = opts.get("phase_log")
    from .timestamp import check_tsa_url

    for url in options.tsa:
        check_tsa_url(url)
    return options


def _targets(targets_in_order: list[tuple[str, str]], plan: Plan | None) -> list[Target]:
    cli_targets = resolve_targets([Target(kind=kind, url=url) for kind, url in targets_in_order],
                                  None, t("plan.source.cli"))
    targets = (plan.target if plan else []) + cli_targets
    if not targets:
        raise UsageError(t("options.nothing"))
    resolve_targets(targets, None, t("plan.source.targets"))  # duplicates across plan and flags
    return targets


def _case(opts: Mapping, plan: Plan | None) -> Case:
    case = plan.case.model_copy() if plan else Case()
    for key in ("title", "platform", "order_id", "note"):
        value = opts.get("case_title" if key == "title" else key)
        if value is not None:
            setattr(case, key, value)
    return case


def _browser(opts: Mapping, plan: Plan | None) -> BrowserSettings:
    return browser_settings(
        opts.get("browser_executable") or (plan.browser.executable if plan else None),
        opts.get("browser_endpoint") or (plan.browser.endpoint if plan else None),
        opts.get("cdp_endpoint") or (plan.browser.cdp_endpoint if plan else None),
        opts.get("browser_headers") or (),
        headed=opts.get("headed", False),
    )


def _login_source(opts: Mapping, plan: Plan | None) -> tuple[str | None, Path | None]:
    """(profile name, storage-state file): at most one source, and it must be readable."""
    from .login import profile_path

    profile = opts.get("profile") or (plan.profile if plan and not opts.get("storage_state") else None)
    storage_state = opts.get("storage_state")
    if storage_state is None and plan and plan.storage_state and not opts.get("profile"):
        storage_state = Path(plan.storage_state)
    if profile and storage_state:
        raise UsageError(t("options.profile_and_state"))
    if profile:
        storage_state = profile_path(profile)
        if not storage_state.is_file():
            raise UsageError(t("options.no_profile", profile=profile))
    if storage_state is not None:
        check_storage_state(Path(storage_state))
    return profile, Path(storage_state) if storage_state else None


def check_storage_state(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(t("options.state_unreadable", path=path, reason=exc.strerror)) from None
    except ValueError:
        raise UsageError(t("options.state_not_json", path=path)) from None
    if not isinstance(data, dict) or not isinstance(data.get("cookies", []), list):
        raise UsageError(t("options.state_not_json", path=path))
    return data


def login_record(options: RunOptions) -> tuple:
    """What the manifest may say about the login (a LoginSession: origins, never the
    secrets), and the secrets to scrub: a redact.Secrets of every storage-state value."""
    from .redact import Secrets, login_secrets

    if options.storage_state is None:
        return None, Secrets()
    data = check_storage_state(options.storage_state)
    domains, origins = set(), set()
    for cookie in data.get("cookies", []):
        if isinstance(cookie, dict) and isinstance(cookie.get("domain"), str):
            domains.add(cookie["domain"])
    for origin in data.get("origins", []) or []:
        if isinstance(origin, dict) and isinstance(origin.get("origin"), str):
            origins.add(origin["origin"])
    record = LoginSession(
        source="profile" if options.profile else "storage_state",
        profile=options.profile,
        origins=sorted(origins),
        cookie_domains=sorted(domains),
    )
    return record, login_secrets(data)


def device_names() -> list[str]:
    """The device names --device accepts: Playwright's descriptors, as its driver has them."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        return sorted(playwright.devices, key=str.casefold)
