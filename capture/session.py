"""One run: targets -> captures in one browser, then HAR/trace, final manifest,
timestamp, report, SHA256SUMS. Failures are recorded per target; Ctrl-C and a dying
browser leave a bundle that verifies for what it holds."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from . import __version__, environment
from .browser import BrowserSettings, file_sha256, os_description, public_endpoint, real_executable
from .bundle import BundleWriter, MANIFEST
from .errors import EvidenceError, UsageError
from .manifest import (
    Capture,
    Case,
    Environment,
    EnvironmentCheck,
    LoginSession,
    Manifest,
    Tool,
    Viewport,
    BrowserInfo,
    utc_now,
)
from .plan import DEFAULT_MAX_CHAT_SCROLLS, DEFAULT_TIMEOUT, Target, load_plan, resolve_targets
from .record import Recorder

INTERRUPTED = "interrupted before this capture finished"
BROWSER_DIED = "the browser stopped during this capture"
CLOSE_TIMEOUT = 30.0


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
    resume: bool = False
    max_chat_scrolls: int = DEFAULT_MAX_CHAT_SCROLLS
    chat_selector: str | None = None
    lang: str = "both"
    report: bool = True
    progress: Callable[[str], None] | None = None


@dataclass
class RunResult:
    root: Path
    manifest: Manifest
    fingerprint: str
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    tokens: list[dict] = field(default_factory=list)

    @property
    def failed(self) -> list[Capture]:
        return [c for c in self.manifest.captures if c.error]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed or not self.manifest.captures else 0

    def as_dict(self) -> dict:
        return {
            "bundle": str(self.root),
            "fingerprint": self.fingerprint,
            "status": self.manifest.status,
            "interrupted": self.interrupted,
            "captures": [
                {
                    "index": c.index,
                    "kind": c.kind,
                    "url": c.requested_url,
                    "final_url": c.final_url,
                    "status": c.response.status if c.response else None,
                    "error": c.error,
                    "warnings": c.warnings,
                }
                for c in self.manifest.captures
            ],
            "notes": self.notes,
            "timestamps": self.tokens,
            "report": str(self.root / "report.pdf") if (self.root / "report.pdf").exists() else None,
            "exit_code": self.exit_code,
        }

    def summary_lines(self) -> list[str]:
        captures = self.manifest.captures
        ok = len(captures) - len(self.failed)
        lines = [f"{ok} of {len(captures)} captures succeeded; bundle: {self.root}"]
        if self.interrupted:
            lines.append("Interrupted: the bundle holds what was captured so far and still verifies.")
            lines.append(f"Continue later with the same command plus: --resume -o {self.root}")
        for capture in self.failed:
            lines.append(f"  failed: {capture.kind} {capture.requested_url}: {capture.error}")
        lines.extend(self.notes)
        if (self.root / "report.pdf").exists():
            lines.append(f"Report: {self.root / 'report.pdf'}")
        lines.append(f"Fingerprint (SHA-256 of manifest.json): {self.fingerprint}")
        lines.append(
            "Quote this fingerprint in your complaint: anyone can check the bundle against it "
            "with `evidence verify` or `sha256sum -c SHA256SUMS`."
        )
        return lines


# --- building options from the command line ---------------------------------------------

_KIND_FLAGS = {"--order": "order", "--product": "product", "--chat": "chat", "--page": "page"}


def _ordered_cli_targets(argv, urls, orders, products, chats, pages) -> list[tuple[str, str]]:
    """(kind, url) in command-line order; click alone loses the interleaving."""
    expected = sorted(
        [("page", u) for u in urls] + [("order", u) for u in orders] + [("product", u) for u in products]
        + [("chat", u) for u in chats] + [("page", u) for u in pages]
    )
    found, pending_urls, i = [], list(urls), 0
    while i < len(argv):
        token = argv[i]
        flag, eq, value = token.partition("=")
        if flag in _KIND_FLAGS:
            if eq:
                found.append((_KIND_FLAGS[flag], value))
            elif i + 1 < len(argv):
                found.append((_KIND_FLAGS[flag], argv[i + 1]))
                i += 1
        elif token in pending_urls:
            pending_urls.remove(token)
            found.append(("page", token))
        i += 1
    if sorted(found) == expected:
        return found
    return [kind_url for kind_url in expected]


def options_from_cli(argv, urls, orders, products, chats, pages, plan_path, out_dir, opts) -> RunOptions:
    from .cli import _browser_settings
    from .login import profile_path

    plan = load_plan(plan_path) if plan_path else None
    cli_targets = [
        Target(kind=kind, url=url) for kind, url in _ordered_cli_targets(argv, urls, orders, products, chats, pages)
    ]
    cli_targets = resolve_targets(cli_targets, None, "command line")
    targets = (plan.target if plan else []) + cli_targets
    if not targets:
        raise UsageError("nothing to capture: give URLs, --order/--product/--chat/--page, or --plan")
    resolve_targets(targets, None, "targets")  # duplicates across plan and flags

    case = plan.case.model_copy() if plan else Case()
    for key in ("title", "platform", "order_id", "note"):
        value = opts.get("case_title" if key == "title" else key)
        if value is not None:
            setattr(case, key, value)

    settings = _browser_settings(
        opts.get("browser_executable") or (plan.browser.executable if plan else None),
        opts.get("browser_endpoint") or (plan.browser.endpoint if plan else None),
        opts.get("cdp_endpoint") or (plan.browser.cdp_endpoint if plan else None),
        opts.get("browser_headers") or (),
        headed=opts.get("headed", False),
    )
    profile = opts.get("profile") or (plan.profile if plan and not opts.get("storage_state") else None)
    storage_state = opts.get("storage_state")
    if storage_state is None and plan and plan.storage_state and not opts.get("profile"):
        storage_state = Path(plan.storage_state)
    if profile and storage_state:
        raise UsageError("give either --profile or --storage-state, not both")
    if profile:
        storage_state = profile_path(profile)
        if not storage_state.is_file():
            raise UsageError(f"no login profile named {profile!r}; create it with: evidence login URL --profile {profile}")
    if storage_state is not None:
        _check_storage_state(Path(storage_state))

    options = RunOptions(
        targets=targets,
        out_dir=out_dir,
        case=case,
        browser=settings,
        timeout=opts.get("timeout") or (plan.timeout if plan and plan.timeout else DEFAULT_TIMEOUT),
        storage_state=Path(storage_state) if storage_state else None,
        profile=profile,
        tsa=list(opts.get("tsa_urls") or (plan.tsa if plan else [])),
        trace=not opts.get("no_trace", False),
        report=not opts.get("no_report", False),
        resume=opts.get("resume", False),
        max_chat_scrolls=opts.get("max_chat_scrolls") or DEFAULT_MAX_CHAT_SCROLLS,
        chat_selector=opts.get("chat_selector"),
        lang=opts.get("lang") or "both",
    )
    if opts.get("jobs"):
        options.jobs = opts["jobs"]
    for url in options.tsa:
        if urlsplit(url).scheme not in ("http", "https"):
            raise UsageError(f"--tsa must be an http(s) URL, got {url!r}")
    return options


def _check_storage_state(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read storage state {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"{path} is not a Playwright storage-state JSON file") from None
    if not isinstance(data, dict) or not isinstance(data.get("cookies", []), list):
        raise UsageError(f"{path} is not a Playwright storage-state JSON file")
    return data


def login_record(options: RunOptions) -> tuple[LoginSession | None, set[str]]:
    """What the manifest may say about the login (origins), and the secrets to scrub."""
    if options.storage_state is None:
        return None, set()
    data = _check_storage_state(options.storage_state)
    secrets, domains, origins = set(), set(), set()
    for cookie in data.get("cookies", []):
        if isinstance(cookie, dict):
            if isinstance(cookie.get("value"), str):
                secrets.add(cookie["value"])
            if isinstance(cookie.get("domain"), str):
                domains.add(cookie["domain"])
    for origin in data.get("origins", []) or []:
        if isinstance(origin, dict) and isinstance(origin.get("origin"), str):
            origins.add(origin["origin"])
            for item in origin.get("localStorage", []) or []:
                if isinstance(item, dict) and isinstance(item.get("value"), str):
                    secrets.add(item["value"])
    record = LoginSession(
        source="profile" if options.profile else "storage_state",
        profile=options.profile,
        origins=sorted(origins),
        cookie_domains=sorted(domains),
    )
    return record, secrets


# --- the run ----------------------------------------------------------------------------


def default_out_dir() -> Path:
    return Path(f"evidence-{time.strftime('%Y%m%d-%H%M%S')}")


def _open_bundle(options: RunOptions) -> tuple[BundleWriter, Manifest | None]:
    root = options.out_dir
    if not options.resume:
        return BundleWriter.create(root), None
    from .verify import verify

    if not (Path(root) / MANIFEST).is_file():
        raise UsageError(f"--resume: {root} holds no manifest.json; nothing to resume")
    report = verify(Path(root))
    if report.verdict != "INTACT":
        raise EvidenceError(f"--resume: {root} does not verify ({report.verdict}); refusing to add to it")
    manifest = Manifest.model_validate_json((Path(root) / MANIFEST).read_bytes())
    if manifest.status == "complete":
        raise UsageError(f"--resume: {root} is already complete; start a new bundle with another -o")
    return BundleWriter(Path(root)), manifest


def run(options: RunOptions) -> RunResult:
    """Capture every target into a bundle; the library entry point behind `evidence capture`."""
    root = options.out_dir or default_out_dir()
    options.out_dir = root
    existed = Path(root).exists()
    writer, previous = _open_bundle(options)
    session = Session(options, writer, previous)
    runner = asyncio.Runner()
    try:
        runner.run(session.main())
    except (UsageError, EvidenceError):
        if session.manifest is not None:
            try:
                removed = writer.recover()
            except OSError:
                removed = []
            if removed:
                session.say(f"removed {len(removed)} unrecorded file(s) written after the last save")
        # Nothing was captured (no browser): leave no empty bundle directory behind.
        if not existed and session.manifest is None:
            try:
                Path(root).rmdir()
            except OSError:
                pass
        raise
    except KeyboardInterrupt:
        # A second Ctrl-C during finishing: what is on disk already verifies.
        session.interrupted = True
    finally:
        try:
            runner.close()
        except Exception:
            pass
    if session.result is None:
        session.finish_files_only()
    return session.result


class Session:
    def __init__(self, options: RunOptions, writer: BundleWriter, previous: Manifest | None):
        self.options = options
        self.writer = writer
        self.previous = previous
        self.interrupted = False
        self.result: RunResult | None = None
        self.manifest: Manifest | None = previous
        self.tmp = Path(tempfile.mkdtemp(prefix="evidence-session-"))
        self.contexts: list = []  # every context we opened, for HAR/trace at the end
        self.context = None
        self.browser = None
        self.found = None
        self.launch_args: list[str] = []
        self.generation = 0
        self.browser_gone: str | None = None
        self.lock = asyncio.Lock()
        self.login, self.secrets = login_record(options)
        self.notes: list[str] = []
        self.tool_digest = _tool_digest()

    def say(self, line: str) -> None:
        if self.options.progress:
            self.options.progress(line)

    # -- browser ------------------------------------------------------------------------

    async def _new_context(self):
        number = len(self.contexts) + 1
        settings = self.options.browser
        context = await self.browser.new_context(
            viewport={"width": settings.viewport_width, "height": settings.viewport_height},
            locale=settings.locale,
            timezone_id=settings.timezone,
            storage_state=str(self.options.storage_state) if self.options.storage_state else None,
            record_har_path=str(self.tmp / f"har-{number}.har"),
            record_har_content="embed",
            ignore_https_errors=False,
        )
        if self.options.trace:
            await context.tracing.start(screenshots=True, snapshots=True, sources=False)
        self.contexts.append(context)
        return context

    async def _launch(self):
        from .browser import open_browser

        self.browser, self.found, self.launch_args = await open_browser(self.playwright, self.options.browser)
        self.context = await self._new_context()
        self.generation += 1

    async def _relaunch(self, seen_generation: int) -> None:
        """Start (or reconnect to) a browser once; if that fails too, give up on it."""
        async with self.lock:
            if self.generation != seen_generation or self.browser_gone:
                return  # another worker already relaunched, or gave up
            remote = self.options.browser.endpoint or self.options.browser.cdp_endpoint
            self.say("  the browser stopped; " + ("reconnecting once" if remote else "starting a new one")
                     + " and going on")
            try:
                await self.browser.close()
            except Exception:
                pass
            try:
                await self._launch()
            except Exception as exc:
                self.browser_gone = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.say(f"  no browser any more: {self.browser_gone}")

    async def _environment(self) -> Environment:
        from importlib.metadata import version as dist_version

        real = real_executable(self.found.executable) if self.found else None
        # Hashing a 300 MB browser binary takes a moment: overlap it with the page work.
        digest = asyncio.create_task(asyncio.to_thread(file_sha256, real)) if real else None
        user_agent = await self._user_agent()
        settings = self.options.browser
        executable = str(self.found.executable) if self.found else None
        endpoint = settings.endpoint or settings.cdp_endpoint
        browser = BrowserInfo(
            name="chromium",
            version=self.browser.version,
            user_agent=user_agent,
            headless=settings.headless,
            executable=executable,
            executable_sha256=await digest if digest else None,
            launch_args=self.launch_args,
            remote_endpoint=public_endpoint(endpoint) if endpoint else None,
        )
        return Environment(
            os=os_description(),
            python=platform.python_version(),
            playwright=dist_version("playwright"),
            browser=browser,
            viewport=Viewport(width=settings.viewport_width, height=settings.viewport_height),
            locale=settings.locale,
            timezone=settings.timezone,
            checks=self._clean_checks(browser, real),
        )

    async def _user_agent(self) -> str:
        # The browser-level DevTools session answers without opening a page.
        try:
            cdp = await self.browser.new_browser_cdp_session()
            try:
                return (await cdp.send("Browser.getVersion"))["userAgent"]
            finally:
                await cdp.detach()
        except Exception:
            page = await self.context.new_page()
            try:
                return await page.evaluate("navigator.userAgent")
            finally:
                await page.close()

    def _clean_checks(self, browser: BrowserInfo, real: Path | None) -> list[EnvironmentCheck]:
        urls = [t.url for t in self.options.targets]
        checks = environment.clean_checks(urls)
        if self.tool_digest:
            checks.append(environment.tool_check(__version__, self.tool_digest))
        shown = browser.executable
        if self.found and real and real != self.found.executable:
            shown = f"{browser.executable} (launcher of {real}, whose hash this is)"
        checks.append(
            environment.browser_check(
                shown, browser.version, browser.launch_args,
                browser.executable_sha256, browser.remote_endpoint,
            )
        )
        return checks

    # -- manifest -----------------------------------------------------------------------

    def _save(self) -> str:
        """Manifest and SHA256SUMS after every capture: a crash leaves a verifiable bundle."""
        self.manifest.captures.sort(key=lambda c: c.index)
        try:
            fingerprint = self.writer.write_manifest(self.manifest)
            self.writer.write_sums(self.manifest)
        except OSError as exc:
            # e.g. a full disk: the files written before stay as they were (atomic renames).
            raise EvidenceError(
                f"cannot write to the bundle {self.writer.root} ({exc.strerror or exc}); "
                "it keeps what was saved before this point"
            ) from None
        return fingerprint

    def _todo(self) -> list[tuple[int, Target]]:
        if self.previous is None:
            return list(enumerate(self.options.targets, 1))
        done = {
            (c.kind, c.requested_url)
            for c in self.previous.captures
            if not (c.error or "").startswith(INTERRUPTED)
        }
        next_index = max((c.index for c in self.previous.captures), default=0) + 1
        todo = []
        for target in self.options.targets:
            if (target.kind, target.url) not in done:
                todo.append((next_index, target))
                next_index += 1
        return todo

    # -- one target ---------------------------------------------------------------------

    async def _capture_one(self, index: int, target: Target, semaphore: asyncio.Semaphore, total: int):
        from .pages import PageOptions, capture_target

        async with semaphore:
            capture = Capture(index=index, kind=target.kind, requested_url=target.url, started_at=utc_now())
            rec = Recorder(capture, self.writer, f"captures/{index:02d}-{target.kind}")
            if target.javascript:
                capture.modified_by_script = True
            self.say(f"[{index}/{total}] {target.kind:<7} {target.url} ...")
            began = time.monotonic()
            generation = self.generation
            options = PageOptions(
                timeout=self.options.timeout,
                max_chat_scrolls=self.options.max_chat_scrolls,
                chat_selector=self.options.chat_selector,
                profile=self.options.profile,
                login_used=self.login is not None,
            )
            try:
                if self.browser_gone:
                    raise _NoBrowser(self.browser_gone)
                await capture_target(self.context, target, rec, options)
            except asyncio.CancelledError:
                capture.error = INTERRUPTED
                raise
            except _NoBrowser as exc:
                capture.error = f"not captured: the browser could not be reached again ({exc})"
            except Exception as exc:
                if self.browser is not None and not self.browser.is_connected():
                    capture.error = BROWSER_DIED
                    await self._relaunch(generation)
                elif "closed" in str(exc):
                    capture.error = BROWSER_DIED
                    await self._relaunch(generation)
                else:
                    capture.error = capture.error or f"capture failed: {str(exc).splitlines()[0]}"
            finally:
                capture.finished_at = utc_now()
                self._after_capture(capture)
                self.manifest.captures.append(capture)
                self._save()
            status = capture.response.status if capture.response else "-"
            verdict = f"FAILED: {capture.error}" if capture.error else "ok"
            extra = f" ({len(capture.warnings)} warning{'s' if len(capture.warnings) != 1 else ''})" if capture.warnings else ""
            self.say(f"[{index}/{total}] {target.kind:<7} {status} {time.monotonic() - began:.1f} s {verdict}{extra}")

    def _after_capture(self, capture: Capture) -> None:
        host = urlsplit(capture.final_url or capture.requested_url).hostname
        response = capture.response
        checks = self.manifest.environment.checks
        try:
            if response and response.server_ip:
                checks.append(environment.resolution_check(host, None, response.server_ip))
            if response and response.server_date:
                checks.append(environment.clock_check(response.server_date, capture.finished_at, host))
        except Exception as exc:  # a check must never cost a capture
            capture.warnings.append(f"environment check failed: {exc}")

    # -- main ---------------------------------------------------------------------------

    async def main(self) -> None:
        from playwright.async_api import async_playwright

        async with async_playwright() as playwright:
            self.playwright = playwright
            try:
                await self._launch()
            except UsageError:
                raise
            except Exception as exc:
                raise EvidenceError(f"could not start the browser: {str(exc).splitlines()[0]}") from None
            try:
                await self._run_targets()
                await self._finish()
            except OSError as exc:
                raise EvidenceError(
                    f"cannot write to the bundle {self.writer.root} ({exc.strerror or exc}); "
                    "it keeps what was saved before this point"
                ) from None
            except asyncio.CancelledError:
                # Ctrl-C: what is captured is saved first, then the HAR/trace if the
                # browser still answers, then the manifest again (status incomplete).
                self.interrupted = True
                self._save()
                await self._close_contexts_bounded()
                self.finish_files_only()
            finally:
                try:
                    await asyncio.wait_for(self.browser.close(), 10)
                except BaseException:
                    pass
                shutil.rmtree(self.tmp, ignore_errors=True)

    async def _run_targets(self) -> None:
        if self.manifest is None:
            self.manifest = Manifest(
                tool=Tool(version=__version__, digest=self.tool_digest),
                status="incomplete",
                started_at=utc_now(),
                case=self.options.case,
                environment=await self._environment(),
                login=self.login,
            )
        else:
            self.manifest.environment.checks.append(
                EnvironmentCheck(name="resume", result="ok",
                                 detail=f"resumed at {utc_now().isoformat()} with {self.browser.version}")
            )
        for check in self.manifest.environment.checks:
            if check.result != "ok":
                self.say(f"environment {check.result}: {check.name}: {check.detail}")
        self._save()
        todo = self._todo()
        semaphore = asyncio.Semaphore(self.options.jobs)
        total = max((i for i, _ in todo), default=0)
        # Chats take longest (history loading, many segments): start them first so the
        # other targets fill the remaining jobs instead of queueing in front of them.
        # The manifest keeps target order whatever finishes first.
        todo.sort(key=lambda item: item[1].kind != "chat")
        tasks = [asyncio.create_task(self._capture_one(i, t, semaphore, total)) for i, t in todo]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _close_contexts_bounded(self) -> None:
        """Close contexts (flushing HAR/trace), then add both, redacted, to the bundle."""
        traces = []
        for number, context in enumerate(self.contexts, 1):
            try:
                if self.options.trace:
                    path = self.tmp / f"trace-{number}.zip"
                    await asyncio.wait_for(context.tracing.stop(path=str(path)), CLOSE_TIMEOUT)
                    traces.append(path)
            except BaseException:
                self.notes.append(f"trace of browser session {number} could not be saved")
            try:
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT)
            except BaseException:
                pass
        self._add_session_artifacts(traces)

    def _add_session_artifacts(self, traces: list[Path]) -> None:
        from .redact import redact_har, redact_trace, secrets_in_headers

        secrets = set(self.secrets)
        entries, pages, creator = [], [], None
        for har_path in sorted(self.tmp.glob("har-*.har")):
            try:
                har = json.loads(har_path.read_bytes())
            except (OSError, ValueError):
                self.notes.append(f"{har_path.name}: network log unreadable, left out")
                continue
            log = har.get("log", {})
            creator = creator or log.get("creator")
            pages.extend(log.get("pages", []))
            for entry in log.get("entries", []):
                entries.append(entry)
                for side in ("request", "response"):
                    headers = {h.get("name", ""): h.get("value", "") for h in entry.get(side, {}).get("headers", [])}
                    secrets |= secrets_in_headers(headers)
                for cookie in entry.get("request", {}).get("cookies", []) + entry.get("response", {}).get("cookies", []):
                    if isinstance(cookie.get("value"), str):
                        secrets.add(cookie["value"])
        suffix = "" if not (self.writer.root / "network.har").exists() else f".{len(self.manifest.artifacts) + 2}"
        if entries:
            merged = {"log": {"version": "1.2", "creator": creator or {"name": "Playwright"},
                              "pages": pages, "entries": entries}}
            data, counts = redact_har(json.dumps(merged).encode("utf-8"), secrets)
            self.manifest.artifacts.append(
                self.writer.write_artifact(f"network{suffix}.har", data, "har", "application/json",
                                           redactions=counts.describe())
            )
        for number, path in enumerate(traces, 1):
            try:
                data, counts = redact_trace(path.read_bytes(), secrets)
            except Exception:
                self.notes.append(f"trace of browser session {number} unreadable, left out")
                continue
            name = "trace" + ("" if number == 1 else f"-{number}") + suffix + ".zip"
            self.manifest.artifacts.append(
                self.writer.write_artifact(name, data, "trace", "application/zip",
                                           redactions=counts.describe())
            )

    async def _finish(self) -> None:
        await self._close_contexts_bounded()
        self.manifest.status = "complete"
        self.manifest.finished_at = utc_now()
        fingerprint = self.writer.write_manifest(self.manifest)
        tokens = []
        if self.options.tsa:
            from .timestamp import stamp_bundle

            stamped = await asyncio.to_thread(stamp_bundle, self.writer.root, self.options.tsa)
            self.notes.extend(stamped.warnings)
            tokens = [t if isinstance(t, dict) else t.model_dump() for t in stamped.tokens]
        if self.options.report:
            try:
                from .report import write_report_async

                await write_report_async(self.writer, self.manifest, fingerprint, self.browser,
                                         self.options.lang, tokens)
            except Exception as exc:
                self.notes.append(f"the report could not be written ({str(exc).splitlines()[0]}); "
                                  f"retry with: evidence report {self.writer.root}")
        self.writer.write_sums(self.manifest)
        self.result = RunResult(self.writer.root, self.manifest, fingerprint, notes=self.notes, tokens=tokens)

    def finish_files_only(self) -> None:
        """Last resort after an interruption: whatever is recorded, verifiable."""
        if self.manifest is None:
            raise EvidenceError("interrupted before anything was captured")
        fingerprint = self._save()
        self.result = RunResult(self.writer.root, self.manifest, fingerprint, interrupted=True, notes=self.notes)


class _NoBrowser(Exception):
    pass


def _tool_digest() -> str:
    return environment.tool_digest()
