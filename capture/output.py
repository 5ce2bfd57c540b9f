"""Everything the commands print: prose for people, JSON for scripts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    # Not imported at run time: `verify` starts hashing before pydantic loads (see verify.py).
    from .manifest import VerificationReport


def print_verification(report: VerificationReport, as_json: bool) -> None:
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    for check in report.files:
        detail = f": {check.detail}" if check.detail else ""
        click.echo(f"{check.status.upper():<10} {check.path}{detail}")
    for problem in report.problems:
        click.echo(f"PROBLEM    {problem}")
    for token in report.timestamps:
        detail = f": {token.detail}" if token.detail else ""
        click.echo(f"TIMESTAMP  {token.path} {token.status}{detail}")
    if report.fingerprint:
        click.echo(f"fingerprint (SHA-256 of manifest.json): {report.fingerprint}")
    if report.started_at:
        click.echo(f"captured: {report.started_at} .. {report.finished_at or '(unfinished)'}")
    verdict = report.verdict
    if verdict == "INTACT":
        extra = "" if report.complete else (
            f"; the run was interrupted, so the bundle holds only the {report.captures} "
            "capture(s) finished before it stopped"
        )
        click.echo(f"INTACT: {report.files_checked} files match the manifest{extra}")
    elif verdict == "ALTERED":
        click.echo("ALTERED: the bundle was changed after capture (see the lines above)")
    else:
        click.echo("INVALID: this is not a well-formed evidence bundle (see the lines above)")


def print_checks(checks) -> None:
    for check in checks:
        warning = check.ok and getattr(check, "warning", False)
        mark = "PROBLEM" if not check.ok else "WARNING" if warning else "OK     "
        click.echo(f"{mark} {check.name}: {check.detail}")
        if (warning or not check.ok) and check.fix:
            click.echo(f"        fix: {check.fix}")


def print_run(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    for line in result.summary_lines():
        click.echo(line)


def print_demo(result) -> None:
    print_run(result.run, as_json=False)
    report = result.verification
    click.echo(f"Verified: {report.verdict} ({report.files_checked} files checked)")
