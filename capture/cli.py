"""Click commands only: parse options, call the library, print, map to exit codes.

Nothing heavy is imported at module level so `evidence --help` stays fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .errors import EvidenceError, UsageError


def _fail(exc: Exception) -> None:
    for line in str(exc).splitlines() or ["failed"]:
        click.echo(f"evidence: {line}", err=True)
    sys.exit(getattr(exc, "exit_code", 1))


class Group(click.Group):
    """Turns our two exceptions into one line and an exit code, everywhere."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (UsageError, EvidenceError) as exc:
            _fail(exc)


# --- shared option groups ------------------------------------------------------------


def browser_options(fn):
    fn = click.option(
        "--browser-executable",
        metavar="PATH",
        help="Chromium/Chrome/Edge to launch (else $EVIDENCE_BROWSER, Playwright's, installed); "
        "with --browser-endpoint, the path the server launches (it must run with --unsafe).",
    )(fn)
    fn = click.option(
        "--browser-endpoint",
        metavar="WS_URL",
        envvar="EVIDENCE_BROWSER_ENDPOINT",
        help="Connect to a Playwright server (`playwright run-server`) instead of launching "
        "[env: EVIDENCE_BROWSER_ENDPOINT].",
    )(fn)
    fn = click.option(
        "--cdp-endpoint",
        metavar="URL",
        envvar="EVIDENCE_CDP_ENDPOINT",
        help="Connect to a Chromium started with --remote-debugging-port (http:// or ws://) "
        "[env: EVIDENCE_CDP_ENDPOINT].",
    )(fn)
    fn = click.option(
        "--browser-header",
        "browser_headers",
        multiple=True,
        metavar="'NAME: VALUE'",
        help="Header for an authenticated endpoint (never written into the bundle).",
    )(fn)
    return fn


def _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers, headed=False):
    from .browser import BrowserSettings, check_endpoint

    headers = {}
    for raw in browser_headers:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            # The value is likely a secret: do not echo it.
            raise UsageError("--browser-header must look like 'Name: value' (e.g. 'Authorization: Bearer …')")
        headers[name.strip()] = value.strip()
    if browser_endpoint and cdp_endpoint:
        raise UsageError("give either --browser-endpoint (Playwright server) or --cdp-endpoint "
                         "(DevTools), not both (also check EVIDENCE_BROWSER_ENDPOINT / EVIDENCE_CDP_ENDPOINT)")
    if browser_endpoint:
        check_endpoint(browser_endpoint, "--browser-endpoint", ("ws", "wss", "http", "https"))
    if cdp_endpoint:
        check_endpoint(cdp_endpoint, "--cdp-endpoint", ("http", "https", "ws", "wss"))
        if browser_executable:
            raise UsageError("--browser-executable starts a browser; --cdp-endpoint connects to one "
                             "already running: give one of them")
    if headers and not (browser_endpoint or cdp_endpoint):
        raise UsageError("--browser-header is only sent to a --browser-endpoint or --cdp-endpoint")
    return BrowserSettings(
        executable=browser_executable,
        endpoint=browser_endpoint,
        cdp_endpoint=cdp_endpoint,
        headers=headers,
        headless=not headed,
    )


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="evidence")
def main():
    """Capture web pages as evidence: hashed, timestamped, verifiable bundles.

    Typical use: evidence capture --order URL --chat URL -o my-complaint
    """


# --- capture ---------------------------------------------------------------------------


@main.command("capture")
@click.argument("urls", nargs=-1)
@click.option("--order", "orders", multiple=True, metavar="URL", help="Order page (repeatable).")
@click.option("--product", "products", multiple=True, metavar="URL", help="Product page.")
@click.option("--chat", "chats", multiple=True, metavar="URL", help="Customer-service chat.")
@click.option("--page", "pages", multiple=True, metavar="URL", help="Any other page.")
@click.option("--plan", "plan_path", type=click.Path(path_type=Path), help="plan.toml with targets.")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="New bundle dir.")
@click.option("--storage-state", type=click.Path(path_type=Path), help="Playwright storage state.")
@click.option("--profile", help="Login profile saved by `evidence login`.")
@click.option("--tsa", "tsa_urls", multiple=True, metavar="URL", help="RFC 3161 authority.")
@click.option("--case-title")
@click.option("--platform")
@click.option("--order-id")
@click.option("--note")
@click.option("--timeout", type=click.FloatRange(0.5, 3600), help="Seconds per target.")
@click.option("--chat-selector", metavar="CSS", help="The conversation box (else detected).")
@click.option("--max-chat-scrolls", type=click.IntRange(1, 100_000), help="Bound on history loads.")
@click.option("--jobs", type=click.IntRange(1, 32), help="Targets captured at once.")
@click.option("--no-trace", is_flag=True, help="Skip the Playwright trace (faster).")
@click.option("--no-report", is_flag=True,
              help="Skip report.html/report.pdf (faster); write them later with `evidence report`.")
@click.option("--headed", is_flag=True, help="Show the browser window.")
@click.option("--resume", is_flag=True, help="Continue an unfinished bundle in -o.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@browser_options
def capture_cmd(urls, orders, products, chats, pages, plan_path, out_dir, as_json, **options):
    """Capture pages into a new evidence bundle. Bare URLs are `page` targets.

    Targets are captured in the order given on the command line.
    """
    from .output import print_run
    from .session import options_from_cli, run

    run_options = options_from_cli(
        sys.argv[1:], urls, orders, products, chats, pages, plan_path, out_dir, options
    )
    if not as_json:
        run_options.progress = lambda line: click.echo(line, err=False)
    result = run(run_options)
    print_run(result, as_json)
    sys.exit(result.exit_code)


# --- verify ----------------------------------------------------------------------------


@main.command("verify")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--tsa-ca", "tsa_cas", multiple=True, type=click.Path(path_type=Path),
              help="CA certificate to check timestamp tokens' signature chain (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the verification report as JSON.")
def verify_cmd(bundle, tsa_cas, as_json):
    """Check a bundle directory or .zip: INTACT, ALTERED or INVALID."""
    from .output import print_verification
    from .verify import verify

    report = verify(bundle, tsa_cas=list(tsa_cas))
    print_verification(report, as_json)
    sys.exit(report.exit_code)


# --- report, pack ----------------------------------------------------------------------


@main.command("report")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True,
              help="Label language: Chinese, English, or both side by side.")
@browser_options
def report_cmd(bundle, lang, browser_executable, browser_endpoint, cdp_endpoint, browser_headers):
    """(Re)write report.html and report.pdf from the manifest, then SHA256SUMS.

    A bundle that does not verify is refused: a new report would hide the change.
    """
    from .report import regenerate

    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers)
    fingerprint = regenerate(bundle, lang=lang, browser_settings=settings)
    click.echo(f"wrote {bundle / 'report.html'} and {bundle / 'report.pdf'}; fingerprint {fingerprint}")


@main.command("pack")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), metavar="FILE.zip",
              help="Zip to write (default: BUNDLE.zip next to the bundle; never overwritten).")
@click.option("--split-mb", type=click.FloatRange(min=0.01), metavar="N",
              help="Also write the screenshots as numbered PNGs of at most N MB into BUNDLE-upload/.")
def pack_cmd(bundle, out, split_mb):
    """Zip a verified bundle for upload; `evidence verify FILE.zip` checks it in place."""
    from .pack import pack_for_upload

    zip_path, upload, fingerprint = pack_for_upload(bundle, out, split_mb)
    click.echo(f"wrote {zip_path} ({zip_path.stat().st_size:,} bytes); fingerprint {fingerprint}")
    if upload is not None:
        count = sum(1 for p in upload.iterdir() if p.name != "index.txt")
        click.echo(f"wrote {count} image files of at most {split_mb:g} MB to {upload} (see index.txt)")


# --- stamp -----------------------------------------------------------------------------


@main.command("stamp")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--tsa", "tsa_urls", multiple=True, required=True, metavar="URL",
              help="RFC 3161 authority (repeatable: one token from each).")
@click.option("--timeout", type=click.FloatRange(1, 300), default=20, show_default=True,
              help="Seconds to wait for each authority.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def stamp_cmd(bundle, tsa_urls, timeout, as_json):
    """Add trusted timestamps (RFC 3161) over manifest.json to an existing bundle."""
    from .bundle import BundleWriter
    from .timestamp import check_tsa_url, read_bundle_manifest, stamp_bundle

    urls = [check_tsa_url(url) for url in tsa_urls]
    manifest = read_bundle_manifest(bundle)
    result = stamp_bundle(bundle, urls, timeout=timeout)
    if result.tokens:
        BundleWriter(bundle).write_sums(manifest)
        # The report lists the tokens: regenerate it (it verifies first, then rewrites
        # SHA256SUMS over the new report).
        from .report import regenerate

        try:
            regenerate(bundle)
        except Exception as exc:  # the tokens are safe on disk either way
            result.warnings.append(f"report not regenerated ({str(exc).splitlines()[0]}); "
                                   f"run: evidence report {bundle}")
    if as_json:
        click.echo(result.model_dump_json(indent=2))
    else:
        for line in result.summary_lines():
            click.echo(line)
    sys.exit(result.exit_code)


# --- schema ----------------------------------------------------------------------------


@main.command("schema")
@click.option("--report", "which", flag_value="report", help="The verification report schema.")
def schema_cmd(which):
    """Print the manifest JSON Schema."""
    import json

    from .schemas import manifest_schema, report_schema

    schema = report_schema() if which == "report" else manifest_schema()
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))


# --- doctor ----------------------------------------------------------------------------


@main.command("doctor")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("."),
              show_default=True, help="Where bundles will be written.")
@click.option("--clean-check", is_flag=True,
              help="Also run the clean-environment checks (hosts, proxy, DNS, clock) for URLs.")
@click.argument("clean_urls", nargs=-1, metavar="[URL ...]")
@browser_options
def doctor_cmd(out_dir, clean_check, clean_urls, browser_executable, browser_endpoint,
               cdp_endpoint, browser_headers):
    """Check browser, CJK fonts, openssl and output directory; say how to fix each.

    evidence doctor --clean-check https://shop.example/order/1 checks this machine
    the way a capture would record it, without capturing.
    """
    from .doctor import run_doctor
    from .output import print_checks

    if clean_urls and not clean_check:
        raise UsageError("URLs are only taken with --clean-check: evidence doctor --clean-check URL ...")
    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers)
    checks = run_doctor(settings, out_dir, clean_urls=list(clean_urls) if clean_check else None)
    print_checks(checks)
    sys.exit(0 if all(c.ok for c in checks) else 1)


# --- demo ------------------------------------------------------------------------------


@main.command("demo")
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), help="New bundle dir.")
@click.option("--serve-only", is_flag=True, help="Only run the demo shop and print its URL.")
@click.option("--ttl", type=click.FloatRange(1, 24 * 3600), default=3600, show_default=True,
              help="With --serve-only: stop after this many seconds.")
@click.option("--lang", type=click.Choice(["zh", "en", "both"]), default="both", show_default=True)
@click.option("--headed", is_flag=True, help="Show the browser window.")
@browser_options
def demo_cmd(out_dir, serve_only, ttl, lang, headed, browser_executable, browser_endpoint,
             cdp_endpoint, browser_headers):
    """Run the whole job against the built-in demo shop: capture, report, verify."""
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


@main.command("login")
@click.argument("url", required=False)
@click.option("--profile", metavar="NAME", help="Save the session under this name.")
@click.option("--list", "list_", is_flag=True, help="List saved profiles.")
@click.option("--delete", metavar="NAME", help="Delete a saved profile.")
@browser_options
def login_cmd(url, profile, list_, delete, browser_executable, browser_endpoint, cdp_endpoint,
              browser_headers):
    """Log in by hand in a visible browser; the session is saved privately as a profile.

    Press Enter here (or close the browser window) when you are logged in.
    """
    from .login import delete_profile, list_profiles, login

    if list_:
        profiles = list_profiles()
        if not profiles:
            click.echo("no saved login profiles")
        for info in profiles:
            saved = info.saved_at.strftime("%Y-%m-%d %H:%M UTC")
            click.echo(f"{info.name:<20} saved {saved}  {', '.join(info.sites) or '(no sites)'}")
        return
    if delete:
        click.echo(f"deleted {delete_profile(delete)}")
        return
    if not url or not profile:
        raise UsageError("give a URL and --profile NAME (or --list, or --delete NAME)")
    settings = _browser_settings(browser_executable, browser_endpoint, cdp_endpoint, browser_headers,
                                 headed=True)
    click.echo(f"A browser window opens at {url}. Log in there, then press Enter here "
               "(or close the window).")
    path = login(url, profile, settings)
    click.echo(f"saved login profile {profile!r} ({path}); use it with: "
               f"evidence capture --profile {profile} ...")


if __name__ == "__main__":
    main()
