"""One run, in the contract's order: targets captured in one browser (several at once),
each failure recorded on its capture, then the session files, the sealed report, the
manifest (the seal), a timestamp over it, SHA256SUMS. Ctrl-C and a dying browser leave a
bundle that verifies for what it holds.

The browser lives in browserpool.py, the environment record in describe.py, HAR and
trace redaction in redact.py, one page's work in pages.py; this module orders them.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from contextlib import asynccontextmanager
from pathlib import Path

from . import __version__, environment
from .asyncrun import loop_running, run_async
from .browserpool import BrowserPool
from .bundle import MANIFEST, REPORT_FILES, SEALED_LIST, BundleWriter
from .bundlepath import bundle_path
from .describe import browser_hash_pending, describe_environment, record_browser_hash, target_checks
from .errors import EvidenceError, UsageError, first_line
from .manifest import Capture, EnvironmentCheck, Manifest, Tool, utc_now
from .messages import explain_network_error, t
from .options import RunOptions, default_out_dir, login_record, options_from_cli
from .phases import PhaseLog
from .plan import Target
from .tabs import FrontTab
from .record import Recorder
from .results import RunResult

__all__ = ["RunOptions", "RunResult", "default_out_dir", "options_from_cli", "run"]

INTERRUPTED = "interrupted before this capture finished"
BROWSER_DIED = "the browser stopped during this capture"
BROWSER_HASH_WAIT = 60.0  # seconds the finish waits for the browser binary's hash


# --- the run ----------------------------------------------------------------------------


def _open_bundle(options: RunOptions) -> tuple[BundleWriter, Manifest | None]:
    root = options.out_dir
    if not options.resume:
        return BundleWriter.create(root), None
    from .verify import require_intact

    if not (Path(root) / MANIFEST).is_file():
        raise UsageError(f"--resume: {root} holds no manifest.json; nothing to resume")
    checked = require_intact(Path(root), "resume it")
    for leftover in (f.path for f in checked.files if f.status == "ignored"):
        # The writer's own half-written files of the crash: going on would seal them.
        Path(root, *bundle_path(leftover).parts).unlink(missing_ok=True)
    manifest = Manifest.model_validate_json((Path(root) / MANIFEST).read_bytes())
    if manifest.status == "complete":
        raise UsageError(f"--resume: {root} is already complete; start a new bundle with another -o")
    return BundleWriter(Path(root)), manifest


def run(options: RunOptions, early=None) -> RunResult:
    """Capture every target into a bundle; the library entry point behind `evidence capture`.
    `early`: Playwright's driver already being started (driverstart.EarlyDriver), whose
    loop the session then runs in; its caller closes it."""
    root = options.out_dir or default_out_dir()
    options.out_dir = root
    existed = Path(root).exists()
    writer, previous = _open_bundle(options)
    session = Session(options, writer, previous, early)
    # Ctrl-C cancels the main task (Runner's SIGINT handling), so it saves what it has;
    # under a running loop (Playwright's sync API, a notebook) the work gets a thread.
    if early is not None:
        runner = early.take()
    else:
        runner = None if loop_running() else asyncio.Runner()
    try:
        if runner is None:
            run_async(session.main)
        else:
            runner.run(session.main())
    except (UsageError, EvidenceError):
        if session.manifest is not None:
            try:
                removed = writer.recover()
            except OSError:
                removed = []
            if removed:
                session.say(t("run.removed_unrecorded", count=len(removed)))
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
            if runner is not None and early is None:  # an early driver's maker closes it
                runner.close()
        except Exception:
            pass
    if session.result is None:
        session.finish_files_only()
    return session.result


class Session:
    def __init__(self, options: RunOptions, writer: BundleWriter, previous: Manifest | None,
                 early=None):
        self.options = options
        self.early = early  # the driver, started before the imports (driverstart.py)
        self.writer = writer
        self.previous = previous
        self.interrupted = False
        self.result: RunResult | None = None
        self.manifest: Manifest | None = previous
        self.tmp = Path(tempfile.mkdtemp(prefix="evidence-session-"))
        self.pool: BrowserPool | None = None
        self._session_files_added = False
        self._sealed = False  # the final manifest is written
        self.login, self.secrets = login_record(options)
        self.notes: list[str] = []
        self.copies = None  # report/copies.py: the PDF's JPEGs, made as captures finish
        self.tabs = FrontTab()  # which target's tab is in front
        self.browser_hash: asyncio.Task | None = None  # adds the binary's hash to the manifest
        self.loop: asyncio.AbstractEventLoop | None = None  # for the copies, from writer threads
        self.main_task: asyncio.Task | None = None  # the run; Ctrl-C cancels it
        self.phases = PhaseLog(options.phase_log)
        self.turn: asyncio.Semaphore | None = None  # a target's turn to be pictured (pages.py)
        self.laps = self.phases.laps("session")

    def say(self, line: str) -> None:
        if self.options.progress:
            self.options.progress(line)

    # -- the order of work --------------------------------------------------------------

    async def main(self) -> None:
        self.main_task = asyncio.current_task()
        async with self._driver() as playwright:
            self.laps("driver")
            self.pool = BrowserPool(playwright, self.options, self.tmp, self.say)
            try:
                await self.pool.launch()
            except UsageError:
                raise
            except Exception as exc:
                raise EvidenceError(f"could not start the browser: {first_line(exc)}") from None
            self.laps("launch")
            if self.options.report:
                from .report.copies import PrintCopies

                self.loop = asyncio.get_running_loop()
                self.copies = PrintCopies(lambda: self.pool.browser, self.writer.root, self.options.lang,
                                          self.tabs)
            try:
                await self._start_manifest()
                self.laps("environment")
                await self._capture_targets()
                _raise_if_interrupted(self.main_task)
                self.laps("captures")
                await self._finish()
            except OSError as exc:
                raise _disk_error(self.writer, exc) from None
            except asyncio.CancelledError:
                await self._after_interrupt()
            finally:
                if self.browser_hash is not None:
                    self.browser_hash.cancel()
                if self.copies is not None:
                    await self.copies.close()
                await self.pool.close()
                shutil.rmtree(self.tmp, ignore_errors=True)
                self.laps("close_browser")
                self.phases.write()

    @asynccontextmanager
    async def _driver(self):
        if self.early is None:
            from playwright.async_api import async_playwright

            async with async_playwright() as playwright:
                yield playwright
            return
        playwright = await self.early.playwright()
        try:
            yield playwright
        finally:
            await self.early.stop()

    async def _start_manifest(self) -> None:
        if self.manifest is None:
            digest = environment.tool_digest()
            self.manifest = Manifest(
                tool=Tool(version=__version__, digest=digest),
                status="incomplete",
                started_at=utc_now(),
                case=self.options.case,
                environment=await describe_environment(self.pool, digest),
                login=self.login,
                trace_screenshots=self.options.trace_screenshots if self.options.trace else None,
            )
            if browser_hash_pending(self.pool):
                self.browser_hash = asyncio.create_task(
                    record_browser_hash(self.manifest.environment, self.pool))
        else:
            self.manifest.environment.checks.append(EnvironmentCheck(
                name="resume", result="ok",
                detail=f"resumed at {utc_now().isoformat()} with {self.pool.browser.version}"))
        for check in self.manifest.environment.checks:
            if check.result != "ok":
                self.say(t("run.environment_check", result=check.result, name=check.name, detail=check.detail))
        self._save()

    async def _capture_targets(self) -> None:
        todo = self._todo()
        jobs = self.options.jobs
        # `jobs` targets are pictured at once (the pictures keep the cores busy); with
        # several, one more may open, load and settle meanwhile (mostly waiting on the
        # network), then waits for its turn before its actions (pages.py). Not beside a
        # chat: its history, the run's longest work, answers at its tab's frames, and
        # another tab loading slowed it by more than the load ahead saved (measured). One
        # job means one at a time, wholly.
        ahead = 1 if jobs > 1 and all(target.kind != "chat" for _, target in todo) else 0
        semaphore = asyncio.Semaphore(jobs + ahead)
        self.turn = asyncio.Semaphore(jobs) if ahead else None
        total = max((i for i, _ in todo), default=0)
        # With several jobs, chats (the slowest: history loading, many segments) start
        # first so the other targets fill the remaining jobs instead of queueing in front
        # of them. One job means one at a time in the order given, as documented. The
        # manifest keeps the order given either way.
        if self.options.jobs > 1:
            todo.sort(key=lambda item: item[1].kind != "chat")
        tasks = [asyncio.create_task(self._capture_one(i, t, semaphore, total)) for i, t in todo]
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def _finish(self) -> None:
        """The contract's order of finishing: session files, the report, the manifest
        that lists them all (the seal), then a timestamp over it, then SHA256SUMS."""
        await self._browser_hashed()
        await self._session_files()
        self.laps("session_files")
        self.manifest.status = "complete"
        self.manifest.finished_at = utc_now()
        if self.options.report:
            await self._sealed_report()
            self.laps("report")
        self.manifest.artifacts.append(self.writer.write_sealed_list(self.manifest))
        fingerprint = self.writer.write_manifest(self.manifest)
        self._sealed = True
        # SHA256SUMS at once (a crash while the authority answers must not leave a
        # manifest that SHA256SUMS disagrees with), and again once the token is there.
        self.writer.write_sums(self.manifest)
        self.laps("seal")
        tokens = await self._timestamp()
        if tokens:
            self.writer.write_sums(self.manifest)
            self.laps("timestamp")
        self.result = RunResult(self.writer.root, self.manifest, fingerprint, notes=self.notes, tokens=tokens)

    async def _after_interrupt(self) -> None:
        """Ctrl-C: what is captured is saved first, then the HAR/trace if the browser
        still answers, then the manifest again: incomplete, unless the seal was written."""
        self.interrupted = True
        if not self._sealed:
            self.manifest.status, self.manifest.finished_at = "incomplete", None
            self._drop_finish_files()
        await self._browser_hashed()
        self._save()
        if not self._session_files_added:
            await self._session_files()
        self.finish_files_only()

    async def _browser_hashed(self) -> None:
        """The browser binary's hash is in the manifest before it is saved for the last
        time (a local file: bounded only against a disk that hangs)."""
        task = self.browser_hash
        if task is None or task.done():
            return
        try:
            # On a timeout wait_for cancels it, so nothing changes the manifest after this.
            await asyncio.wait_for(task, BROWSER_HASH_WAIT)
        except Exception:  # given up, or failed: the check says the hash was not computed
            pass

    def _drop_finish_files(self) -> None:
        """The report and sealed list of a finish cut short: they describe a complete
        run, and this one is not (--resume writes them again)."""
        self.manifest.artifacts = [a for a in self.manifest.artifacts if a.role not in ("report", "checksums")]
        for name in (*REPORT_FILES, SEALED_LIST):
            (self.writer.root / name).unlink(missing_ok=True)

    def finish_files_only(self) -> None:
        """Last resort after an interruption: whatever is recorded, verifiable."""
        if self.manifest is None:
            raise EvidenceError("interrupted before anything was captured")
        fingerprint = self._save()
        self.result = RunResult(self.writer.root, self.manifest, fingerprint, interrupted=True, notes=self.notes)

    # -- one target ---------------------------------------------------------------------

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
            if (target.kind, _recorded_url(target.url)) not in done:
                todo.append((next_index, target))
                next_index += 1
        return todo

    async def _capture_one(self, index: int, target: Target, semaphore: asyncio.Semaphore, total: int):
        async with semaphore:
            _raise_if_interrupted(self.main_task)
            laps = self.phases.laps(f"{index:02d}-{target.kind}")
            capture = Capture(index=index, kind=target.kind, requested_url=_recorded_url(target.url),
                              started_at=utc_now(), modified_by_script=bool(target.javascript))
            self.say(t("run.start", index=index, total=total, kind=target.kind, url=target.url))
            began = time.monotonic()
            try:
                await self._capture_page(capture, target, laps)
            finally:
                capture.finished_at = utc_now()
                await self._check_target(capture)
                laps("checks")
                self.manifest.captures.append(capture)
                self._save()
                laps("save")
            if self.copies is not None and not capture.error:
                self.copies.add(self.manifest, capture)
            self.say(t("run.done", index=index, total=total, kind=target.kind,
                       **_outcome(capture, time.monotonic() - began)))

    async def _capture_page(self, capture: Capture, target: Target, laps) -> None:
        """pages.capture_target, with every way it can fail written on the capture."""
        from .pages import PageOptions, capture_target, target_closed

        rec = Recorder(capture, self.writer, f"captures/{capture.index:02d}-{target.kind}", self.secrets,
                       observer=self._written if self.copies is not None else None)
        options = PageOptions(
            timeout=self.options.timeout,
            max_chat_scrolls=self.options.max_chat_scrolls,
            chat_selector=self.options.chat_selector,
            profile=self.options.profile,
            login_used=self.login is not None,
            secrets=self.secrets,
            laps=laps,
            status=self.options.status,
            tabs=self.tabs,
            emulation=self.pool.emulation(),
            turn=self.turn,
        )
        generation = self.pool.generation
        if self.pool.gone:
            capture.error = f"not captured: the browser could not be reached again ({self.pool.gone})"
            return
        try:
            await capture_target(self.pool.context, target, rec, options)
        except asyncio.CancelledError:
            capture.error = INTERRUPTED
            raise
        except Exception as exc:
            if self.pool.lost() or target_closed(exc):
                capture.error = BROWSER_DIED
                await self.pool.relaunch(generation)
            else:
                capture.error = capture.error or f"capture failed: {first_line(exc)}"

    def _written(self, artifact, data: bytes) -> None:
        """A capture's file is on disk (any thread): a picture joins the report's copies."""
        from .report.copies import screenshot_print_px, segment_print_px

        try:
            if artifact.role == "chat_segment":
                px, then = segment_print_px(data), self.copies.segment_written
            elif artifact.role in ("screenshot", "screenshot_tile"):
                px, then = screenshot_print_px(data), self.copies.screenshot_written
            else:
                return
            if px is not None:
                self.loop.call_soon_threadsafe(then, artifact.path, px)
        except Exception:  # a reading copy never costs the evidence its file (a closed loop)
            pass

    async def _check_target(self, capture: Capture) -> None:
        try:
            # A system DNS lookup (bounded): off the loop, so other captures go on.
            checks = await asyncio.to_thread(target_checks, capture)
        except asyncio.CancelledError:
            capture.warnings.append("environment checks of this capture skipped: interrupted")
            return
        except Exception as exc:  # a check must never cost a capture
            capture.warnings.append(f"environment check failed: {first_line(exc)}")
            return
        self.manifest.environment.checks.extend(checks)

    # -- the bundle's files ---------------------------------------------------------------

    def _save(self) -> str:
        """Manifest and SHA256SUMS after every capture: a crash leaves a verifiable bundle."""
        self.manifest.captures.sort(key=lambda c: c.index)
        try:
            fingerprint = self.writer.write_manifest(self.manifest)
            self.writer.write_sums(self.manifest)
        except OSError as exc:
            # e.g. a full disk: the files written before stay as they were (atomic renames).
            raise _disk_error(self.writer, exc) from None
        return fingerprint

    async def _session_files(self) -> None:
        """Close the contexts, then add the HAR and the traces, redacted, to the bundle."""
        from .redact import Secrets, redact_session_files

        self._session_files_added = True  # once, even if interrupted half-way
        hars, traces = await self.pool.close_contexts(self.notes)
        # Shared with the pages: what their snapshots revealed is known here too.
        self.secrets = Secrets.of(self.secrets)
        har, redacted = redact_session_files(hars, traces, self.secrets, self.notes)
        # A resumed run adds its own files next to the first run's.
        suffix = "" if not (self.writer.root / "network.har").exists() else f".{len(self.manifest.artifacts) + 2}"
        if har is not None:
            self.manifest.artifacts.append(self.writer.write_artifact(
                f"network{suffix}.har", har[0], "har", "application/json", redactions=har[1]))
        for number, data, redactions in redacted:
            name = "trace" + ("" if number == 1 else f"-{number}") + suffix + ".zip"
            self.manifest.artifacts.append(self.writer.write_artifact(
                name, data, "trace", "application/zip", redactions=redactions))

    async def _sealed_report(self) -> None:
        from .report import write_sealed_report

        try:
            copies = await self.copies.ready() if self.copies is not None else None
            artifacts = await write_sealed_report(self.writer, self.manifest, self.pool.browser,
                                                  self.options.lang, self.options.tsa, copies)
        except OSError as exc:
            # A full disk is no report problem: the run stops with what was saved.
            raise _disk_error(self.writer, exc) from None
        except Exception as exc:  # the evidence is complete without it; say how to get one
            self.notes.append(f"the report could not be written ({first_line(exc)}); "
                              f"an unsealed one can be made with: evidence report {self.writer.root}")
            return
        self.manifest.artifacts.extend(artifacts)

    async def _timestamp(self) -> list:
        if not self.options.tsa:
            return []
        from .timestamp import stamp_bundle

        stamped = await asyncio.to_thread(stamp_bundle, self.writer.root, self.options.tsa)
        self.notes.extend(stamped.warnings)
        return list(stamped.tokens)


def _raise_if_interrupted(main: asyncio.Task | None) -> None:
    """Ctrl-C cancels the run's task; Python 3.11's asyncio.wait_for can swallow that
    cancellation when what it waited for finishes at the same moment (fixed in 3.12).
    The request is still counted on the task, so no new target starts, and the run
    stops as interrupted, once it is seen."""
    if main is not None and main.cancelling():
        raise asyncio.CancelledError


def _outcome(capture: Capture, seconds: float) -> dict:
    """The progress line's end: status, time, and what became of the capture."""
    status = capture.response.status if capture.response else "-"
    verdict = t("run.failed_verdict", error=explain_network_error(capture.error)) if capture.error else t("run.ok")
    if not capture.error and isinstance(status, int) and status >= 400:
        # The error page is kept as evidence, but it is no "ok".
        text = f" {capture.response.status_text}" if capture.response.status_text else ""
        verdict = t("run.http_error", status=status, text=text)
    count = len(capture.warnings)
    extra = "" if not count else t("run.warning") if count == 1 else t("run.warnings", count=count)
    return dict(status=status, seconds=seconds, verdict=verdict, extra=extra)


def _disk_error(writer: BundleWriter, exc: OSError) -> EvidenceError:
    return EvidenceError(f"cannot write to the bundle {writer.root} ({exc.strerror or exc}); "
                         "it keeps what was saved before this point")


def _recorded_url(url: str) -> str:
    """The URL as the manifest records it: credential parameters (?token=...) removed by
    name only, so a resumed run recognises the same target again."""
    from .redact import scrub_url

    return scrub_url(url)


