"""Click commands only: parse options, call the library, print, map to exit codes.

Nothing heavy is imported at module level so `evidence --help` stays fast.
"""

from __future__ import annotations

import functools
import gc
import os
import re
import sys
import unicodedata
from pathlib import Path

import click

from . import __version__
from .clickerrors import in_readers_language
from .errors import EvidenceError, ExitCode, UsageError
from .messages import MESSAGES, language, t
from .progress import Console


class Finished(SystemExit):
    """A command's last word: everything it owes is written and nothing of it runs on
    (verify: no file written, its hashing child reaped). The console script then ends the
    process at once (entry); under Click's test runner it is a plain SystemExit."""

    def __init__(self, code: int):
        super().__init__(int(code))


def entry() -> None:
    """The console script and `python -m capture`: main(), and a quick end.

    After a capture, Python's collector made its last passes over a heap full of
    Playwright's and pydantic's objects: about 0.1 s between the last line printed and
    the end of the process. Frozen, they are not scanned again: atexit handlers,
    weakref finalizers (TemporaryDirectory) and objects freed by reference count still
    run as the interpreter ends, but an object kept alive only by a reference cycle is
    no longer finalised. Nothing here relies on that: temporary directories are removed
    explicitly and files are closed by `with`. A command that raises Finished (verify)
    ends at once: its teardown was about 25 ms of a 1 GiB verify."""
    _own_interrupts()
    _open_standard_streams()
    try:
        main(prog_name="evidence")
    except Finished as done:
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:  # None: the descriptor was closed (`>&-`)
                    stream.flush()
        except Exception:  # noqa: BLE001 - whatever flushing meets, Python's own ending, as before
            raise SystemExit(done.code) from None
        os._exit(done.code)
    finally:
        gc.freeze()


def _own_interrupts() -> None:
    """Ctrl-C is KeyboardInterrupt again (Click's "Aborted!", the session's clean stop),
    no longer the quiet exit the package set for Python's start (capture/__init__.py)."""
    import signal

    from . import _interrupted_at_start

    if signal.getsignal(signal.SIGINT) is _interrupted_at_start:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def _open_standard_streams() -> None:
    """Started with a standard descriptor closed (`>&-`, `2>&-`): /dev/null takes its
    place. Otherwise the next file opened gets the number (a bundle being verified, a
    pipe to a child) and whatever is written for a person lands in it, or the child that
    points its own standard streams at /dev/null closes it."""
    for fd, name, mode in ((0, "stdin", "r"), (1, "stdout", "w"), (2, "stderr", "w")):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:  # the lowest free number is fd itself; anything else, leave be
                os.close(null)
                continue
        if getattr(sys, name) is None:
            setattr(sys, name, open(fd, mode, encoding="utf-8", errors="replace", closefd=False))


def _fail(exc: Exception) -> None:
    for line in str(exc).splitlines() or [t("error.failed")]:
        click.echo(t("error.prefix", line=line), err=True)
    sys.exit(getattr(exc, "exit_code", ExitCode.EVIDENCE_FAILED))


# --- help in the reader's language ---------------------------------------------------
# help= and epilog= hold catalogue ids, looked up each time they are read: the language
# is the one of the moment help is shown (a shell's LANG, CliRunner's env=), not the one
# of the moment this module was imported.


def _text(message_id: str | None) -> str | None:
    # Plain text passes through, so a command not yet given an id still shows its help;
    # tests/test_language.py requires an id for every command and option.
    return t(message_id) if message_id in MESSAGES else message_id


_CLOSERS = "，。、；：？！）》」』】"
_OPENERS = "（《「『【“["


def _columns(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _tokens(paragraph: str) -> list[str]:
    """Words, spaces and single wide characters; punctuation kept with its neighbour."""
    tokens: list[str] = []
    for piece in re.findall(r"\s+|[^\s\u1100-\uffff]+|\S", paragraph):
        glue = tokens and (piece[0] in _CLOSERS or tokens[-1][-1] in _OPENERS
                           or (_columns(piece[0]) == 1 and not piece.isspace()
                               and not tokens[-1].isspace() and _columns(tokens[-1][-1]) == 1))
        if glue:
            tokens[-1] += piece
        else:
            tokens.append(" " if piece.isspace() else piece)
    return tokens


def _prewrap(text: str, width: int) -> str:
    """Chinese paragraphs wrapped by screen columns, marked so Click keeps them as they are.

    Click wraps at spaces and counts a Chinese character as one column; it takes two, so
    its lines would run past the terminal's edge. Other paragraphs are left to Click.
    """
    paragraphs = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b") or _columns(paragraph) == len(paragraph):
            paragraphs.append(paragraph)
            continue
        lines, line = [], ""
        for token in _tokens(" ".join(paragraph.split("\n"))):
            if token != " " and line.strip() and _columns(line + token) > width:
                lines.append(line.rstrip())
                line = token
            else:
                line += token
        paragraphs.append("\b\n" + "\n".join(lines + [line.rstrip()]))
    return "\n\n".join(paragraphs)


class HelpFormatter(click.HelpFormatter):
    """Click's headings ("Usage:", "Options:") in the reader's language, Chinese wrapped
    by the columns it takes on screen."""

    def write_text(self, text: str) -> None:
        super().write_text(_prewrap(text, self.width - self.current_indent))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        rows = list(rows)
        first_col = min(max((click.formatting.term_len(r[0]) for r in rows), default=0), col_max)
        width = max(self.width - first_col - col_spacing - 2, 10)  # as Click measures it
        super().write_dl([(term, _prewrap(text, width)) for term, text in rows], col_max, col_spacing)

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, t("help.usage") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        key = f"help.heading.{heading}"
        name = t(key) if key in MESSAGES else heading
        self.write(f"{'':>{self.current_indent}}{name}{t('help.heading_end')}\n")


class Context(click.Context):
    formatter_class = HelpFormatter


class _MessageText:
    """An attribute Click sets to a message id (help=, epilog=) and reads back as text in
    the reader's language, looked up when shown rather than when cli.py is imported."""

    def __set_name__(self, owner, name: str) -> None:
        self.slot = f"_{name}_id"

    def __get__(self, obj, owner=None):
        return self if obj is None else _text(getattr(obj, self.slot, None))

    def __set__(self, obj, value: str | None) -> None:
        setattr(obj, self.slot, value)


class Option(click.Option):
    help = _MessageText()

    def get_help_record(self, ctx):
        record = super().get_help_record(ctx)
        if record is None or language() == "en" or not record[1].endswith("]"):
            return record
        # Click's own bracketed notes ("  [default: both]"), which it has only in English.
        spec, text = record
        head, bracket, notes = text.rpartition("[")
        for label in ("default", "env", "required"):
            notes = notes.replace(MESSAGES[f"help.label.{label}"][1], t(f"help.label.{label}"))
        return spec, head + bracket + notes


def option(*decls, **attrs):
    """click.option whose help= is a message id."""
    return click.option(*decls, cls=Option, **attrs)


class _CommandHelp:
    context_class = Context
    help = _MessageText()
    epilog = _MessageText()

    def get_short_help_str(self, limit: int = 45) -> str:
        # The first paragraph, whole: Click shortens at spaces and full stops, which
        # Chinese text has none of.
        return (self.help or "").partition("\n\n")[0].strip()

    def get_help_option(self, ctx):
        help_option = super().get_help_option(ctx)
        if help_option is not None:
            help_option.help = t("opt.help")
        return help_option


class Command(_CommandHelp, click.Command):
    pass


class Group(_CommandHelp, click.Group):
    """Turns our two exceptions into one line and an exit code, everywhere."""

    command_class = Command

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:  # `evidence --foo`: the group's own options
            in_readers_language(exc)
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (UsageError, EvidenceError) as exc:
            _fail(exc)
        except click.UsageError as exc:  # a subcommand's options, or no such command
            in_readers_language(exc)
            raise


# --- shared option groups ------------------------------------------------------------


def browser_options(fn):
    """The options of the commands that start a browser, and, before each of them runs,
    the compile cache for the Playwright driver it starts first (nodecache.py): only
    those commands touch the user's cache directory, and not for their --help."""

    command = fn

    @functools.wraps(command)
    def starts_a_browser(*args, **kwargs):
        from .nodecache import use_node_compile_cache

        use_node_compile_cache(os.environ)
        return command(*args, **kwargs)

    fn = starts_a_browser
    fn = option("--browser-executable", metavar="PATH", help="opt.browser_executable")(fn)
    fn = option("--browser-endpoint", metavar="WS_URL", envvar="EVIDENCE_BROWSER_ENDPOINT",
                help="opt.browser_endpoint")(fn)
    fn = option("--cdp-endpoint", metavar="URL", envvar="EVIDENCE_CDP_ENDPOINT",
                help="opt.cdp_endpoint")(fn)
    fn = option("--browser-header", "browser_headers", multiple=True, metavar="'NAME: VALUE'",
                help="opt.browser_header")(fn)
    return fn


def _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers, headed=False):
    from .browser import browser_settings

    return browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers, headed)


_KIND_OPTIONS = {"orders": "order", "products": "product", "chats": "chat", "pages": "page"}


class TargetOrderCommand(Command):
    """Remembers the order in which URLs and --order/--product/--chat/--page were given:
    Click groups each option's values, and the order of the targets is part of the record."""

    def parse_args(self, ctx, args):
        ctx.meta["targets_in_order"] = _targets_in_order(self, ctx, list(args))
        return super().parse_args(ctx, args)


def _targets_in_order(command: click.Command, ctx, args: list[str]) -> list[tuple[str, str]]:
    """(kind, url) as given, read with this command's own option table."""
    takes_value: dict[str, str | None] = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            for name in param.opts + param.secondary_opts:
                takes_value[name] = None if param.is_flag or param.count else param.name
    found, i, only_args = [], 0, False
    while i < len(args):
        token = args[i]
        i += 1
        if only_args or not token.startswith("-") or token == "-":
            found.append(("page", token))
            continue
        if token == "--":
            only_args = True
            continue
        flag, eq, value = token.partition("=") if token.startswith("--") else (token[:2], "", token[2:])
        name = takes_value.get(flag)
        if flag not in takes_value or name is None:
            continue  # a flag, or unknown (Click reports it)
        if not eq and not value:
            if i >= len(args):
                break
            value, i = args[i], i + 1
        if name in _KIND_OPTIONS:
            found.append((_KIND_OPTIONS[name], value))
    return found


@click.group(cls=Group, help="cmd.main", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence", cls=Option, help="opt.version")
def main():
    pass


# --- capture ---------------------------------------------------------------------------


def _list_devices(ctx, _param, value):
    if not value or ctx.resilient_parsing:
        return
    from .options import device_names

    for name in device_names():
        click.echo(name)
    ctx.exit(0)


@main.command("capture", cls=TargetOrderCommand, help="cmd.capture", epilog="cmd.capture.examples")
@click.argument("urls", nargs=-1)
@option("--order", "orders", multiple=True, metavar="URL", help="opt.order")
@option("--product", "products", multiple=True, metavar="URL", help="opt.product")
@option("--chat", "chats", multiple=True, metavar="URL", help="opt.chat")
@option("--page", "pages", multiple=True, metavar="URL", help="opt.page")
@option("--plan", "plan_path", type=click.Path(path_type=Path), metavar="FILE", help="opt.plan")
@option("-o", "--output", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
        help="opt.output_new")
@option("--storage-state", type=click.Path(path_type=Path), metavar="FILE", help="opt.storage_state")
@option("--profile", metavar="NAME", help="opt.profile_use")
@option("--tsa", "tsa_urls", multiple=True, metavar="URL", help="opt.tsa")
@option("--case-title", help="opt.case_title")
@option("--platform", help="opt.platform")
@option("--order-id", metavar="ID", help="opt.order_id")
@option("--note", help="opt.note")
@option("--timeout", type=click.FloatRange(0.5, 3600), metavar="SECONDS", help="opt.timeout_target")
@option("--chat-selector", metavar="CSS", help="opt.chat_selector")
@option("--max-chat-scrolls", type=click.IntRange(1, 100_000), metavar="N",
        help="opt.max_chat_scrolls")
@option("--jobs", type=click.IntRange(1, 32), metavar="N", help="opt.jobs")
@option("--no-trace", is_flag=True, help="opt.no_trace")
@option("--trace-screenshots", is_flag=True, help="opt.trace_screenshots")
@option("--no-report", is_flag=True, help="opt.no_report")
@option("--headed", is_flag=True, help="opt.headed")
@option("--device", metavar="NAME", help="opt.device")
@option("--list-devices", is_flag=True, is_eager=True, expose_value=False, callback=_list_devices,
        help="opt.list_devices")
@option("--headless-user-agent", is_flag=True, help="opt.headless_user_agent")
@option("--resume", is_flag=True, help="opt.resume")
@option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True,
        help="opt.report_lang")
@option("--json", "as_json", is_flag=True, help="opt.json")
@option("-q", "--quiet", is_flag=True, help="opt.quiet")
# The benchmark's (bench/run.py): wall and CPU per phase, as JSON; not for buyers.
@option("--phase-log", type=click.Path(path_type=Path), metavar="FILE", hidden=True, help="opt.phase_log")
@browser_options
def capture_cmd(urls, orders, products, chats, pages, plan_path, out_dir, as_json, quiet, **options):
    from .driverstart import start_early

    # Before the imports below, which it overlaps (driverstart.py).
    early = start_early()
    try:
        _capture(early, urls, orders, products, chats, pages, plan_path, out_dir, as_json, quiet, options)
    finally:
        if early is not None:
            early.close()


def _capture(early, urls, orders, products, chats, pages, plan_path, out_dir, as_json, quiet, options):
    from .output import print_run
    from .session import options_from_cli, run

    targets = click.get_current_context().meta["targets_in_order"]
    given = [("page", u) for u in urls] + [(kind, u) for name, kind in _KIND_OPTIONS.items()
                                           for u in {"orders": orders, "products": products,
                                                     "chats": chats, "pages": pages}[name]]
    if sorted(targets) != sorted(given):  # our reading of the line must be Click's
        raise UsageError(t("error.target_order"))
    run_options = options_from_cli(targets, plan_path, out_dir, options)
    console = Console(sys.stdout)
    if not as_json and not quiet:
        run_options.progress, run_options.status = console.line, console.status
    try:
        result = run(run_options, early)
    finally:
        console.done()
    print_run(result, as_json)
    sys.exit(result.exit_code)


# --- verify ----------------------------------------------------------------------------


@main.command("verify", help="cmd.verify")
@click.argument("bundles", nargs=-1, required=True, type=click.Path(path_type=Path), metavar="BUNDLE...")
@option("--expect", metavar="FINGERPRINT", help="opt.expect")
@option("--tsa-ca", "tsa_cas", multiple=True, type=click.Path(path_type=Path), metavar="FILE",
        help="opt.tsa_ca")
@option("--json", "as_json", is_flag=True, help="opt.json_verify")
@option("-q", "--quiet", is_flag=True, help="opt.quiet")
def verify_cmd(bundles, expect, tsa_cas, as_json, quiet):
    from .output import print_verification
    from .verify import verify

    # Progress goes to stderr here: verify's stdout is its verdict, often piped.
    console = Console(sys.stderr)
    status = None if as_json or quiet else console.status
    try:
        report = verify(list(bundles), tsa_cas=list(tsa_cas), expect=expect, status=status)
    finally:
        console.done()
    print_verification(report, as_json)
    raise Finished(report.exit_code)


# --- report, pack ----------------------------------------------------------------------


@main.command("report", help="cmd.report")
@click.argument("bundle", type=click.Path(path_type=Path))
@option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True,
        help="opt.report_lang")
@browser_options
def report_cmd(bundle, lang, browser_executable, browser_endpoint, cdp_endpoint, browser_headers):
    from .report import regenerate

    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers)
    fingerprint, files = regenerate(bundle, lang=lang, browser_settings=settings)
    click.echo(t("report.written", html=files[0], pdf=files[1], fingerprint=fingerprint))


@main.command("pack", help="cmd.pack")
@click.argument("bundle", type=click.Path(path_type=Path))
@option("-o", "--output", "out", type=click.Path(path_type=Path), metavar="PATH", help="opt.pack_output")
@option("--max-mb", type=click.FloatRange(min=1), is_flag=False, flag_value=10.0, metavar="N",
        help="opt.max_mb")
@browser_options
def pack_cmd(bundle, out, max_mb, browser_executable, browser_endpoint, cdp_endpoint, browser_headers):
    if max_mb is None:
        from .pack import pack_zip

        zip_path, fingerprint = pack_zip(bundle, out)
        click.echo(t("pack.wrote_zip", path=zip_path, size=zip_path.stat().st_size, fingerprint=fingerprint))
        click.echo(t("pack.size_hint", bundle=bundle))
        return
    from .pack import pack_upload

    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers)
    upload = pack_upload(bundle, max_mb, out, browser_settings=settings)
    for line in upload.summary_lines():
        click.echo(line)


# --- stamp -----------------------------------------------------------------------------


@main.command("stamp", help="cmd.stamp")
@click.argument("bundle", type=click.Path(path_type=Path))
@option("--tsa", "tsa_urls", multiple=True, required=True, metavar="URL", help="opt.tsa_stamp")
@option("--timeout", type=click.FloatRange(1, 300), default=20, show_default=True,
        metavar="SECONDS", help="opt.timeout_tsa")
@option("--json", "as_json", is_flag=True, help="opt.json")
def stamp_cmd(bundle, tsa_urls, timeout, as_json):
    from .bundle import BundleWriter
    from .timestamp import check_tsa_url, read_bundle_manifest, stamp_bundle

    from .verify import require_intact

    urls = [check_tsa_url(url) for url in tsa_urls]
    manifest = read_bundle_manifest(bundle)
    # A trusted time over changed files would vouch for the change.
    require_intact(bundle, "timestamp it")
    result = stamp_bundle(bundle, urls, timeout=timeout)
    if result.tokens:
        # The sealed report predates the token and stays as it is; verify shows the token.
        BundleWriter(bundle).write_sums(manifest)
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        for line in result.summary_lines():
            click.echo(line)
    sys.exit(result.exit_code)


# --- schema ----------------------------------------------------------------------------


@main.command("schema", help="cmd.schema")
@option("--report", "which", flag_value="report", help="opt.schema_report")
def schema_cmd(which):
    import json

    from .schemas import manifest_schema, report_schema

    schema = report_schema() if which == "report" else manifest_schema()
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))


# --- doctor ----------------------------------------------------------------------------


@main.command("doctor", help="cmd.doctor")
@option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("."),
        show_default=True, metavar="DIR", help="opt.doctor_output")
@option("--clean-check", is_flag=True, help="opt.clean_check")
@click.argument("clean_urls", nargs=-1, metavar="[URL ...]")
@browser_options
def doctor_cmd(out_dir, clean_check, clean_urls, browser_executable, browser_endpoint,
               cdp_endpoint, browser_headers):
    from .doctor import run_doctor
    from .output import print_checks

    if clean_urls and not clean_check:
        raise UsageError(t("error.doctor_urls"))
    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers)
    checks = run_doctor(settings, out_dir, clean_urls=list(clean_urls) if clean_check else None)
    print_checks(checks)
    sys.exit(ExitCode.OK if all(c.ok for c in checks) else ExitCode.EVIDENCE_FAILED)


# --- demo ------------------------------------------------------------------------------


@main.command("demo", help="cmd.demo")
@option("-o", "--output", "out_dir", type=click.Path(path_type=Path), metavar="DIR",
        help="opt.output_new")
@option("--serve-only", is_flag=True, help="opt.serve_only")
@option("--ttl", type=click.FloatRange(1, 24 * 3600), default=3600, show_default=True,
        metavar="SECONDS", help="opt.ttl")
@option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True,
        help="opt.report_lang")
@option("--headed", is_flag=True, help="opt.headed")
@browser_options
def demo_cmd(out_dir, serve_only, ttl, lang, headed, browser_executable, browser_endpoint,
             cdp_endpoint, browser_headers):
    from .demo.job import run_demo, serve_only as serve

    if serve_only:
        serve(ttl, click.echo)
        return
    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers,
                                 headed=headed)
    result = run_demo(out_dir, settings, progress=click.echo, lang=lang)
    from .output import print_demo

    print_demo(result)
    sys.exit(result.run.exit_code or result.verification.exit_code)


# --- login -----------------------------------------------------------------------------


@main.command("login", help="cmd.login")
@click.argument("url", required=False)
@option("--profile", metavar="NAME", help="opt.profile_save")
@option("--list", "list_", is_flag=True, help="opt.list")
@option("--delete", metavar="NAME", help="opt.delete")
@browser_options
def login_cmd(url, profile, list_, delete, browser_executable, browser_endpoint, cdp_endpoint,
              browser_headers):
    from .login import delete_profile, list_profiles, login

    if list_:
        profiles = list_profiles()
        if not profiles:
            click.echo(t("login.none"))
        for info in profiles:
            saved = info.saved_at.strftime("%Y-%m-%d %H:%M UTC")
            sites = ", ".join(info.sites) or t("login.no_sites")
            click.echo(t("login.profile_line", name=info.name, saved=saved, sites=sites))
        return
    if delete:
        click.echo(t("login.deleted", path=delete_profile(delete)))
        return
    if not url or not profile:
        raise UsageError(t("error.login_args"))
    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers,
                                 headed=True)
    click.echo(t("login.opening", url=url))
    path = login(url, profile, settings)
    click.echo(t("login.saved", profile=profile, path=path))


if __name__ == "__main__":
    main()
