"""Everything the commands print: prose for people, JSON for scripts."""

from __future__ import annotations

import json

import click

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
        extra = "" if report.complete else " (run was interrupted: the bundle holds fewer captures than planned)"
        click.echo(f"INTACT: {report.files_checked} files match the manifest{extra}")
    elif verdict == "ALTERED":
        click.echo("ALTERED: the bundle was changed after capture (see the lines above)")
    else:
        click.echo("INVALID: this is not a well-formed evidence bundle (see the lines above)")


def print_checks(checks) -> None:
    for check in checks:
        mark = "OK     " if check.ok else "PROBLEM"
        click.echo(f"{mark} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            click.echo(f"        fix: {check.fix}")


def print_run(result, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    for line in result.summary_lines():
        click.echo(line)
