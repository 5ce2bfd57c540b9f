"""Everything the commands print: prose for people, JSON for scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from .messages import t

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
    for part in report.parts:
        click.echo(_part_line(part))
    for problem in report.problems:
        click.echo(f"PROBLEM    {problem}")
    for token in report.timestamps:
        click.echo(f"TIMESTAMP  {token.path} {_token_line(token)}")
    if report.fingerprint:
        click.echo(t("verify.fingerprint", fingerprint=report.fingerprint))
    if report.fingerprint_matches:
        click.echo(t("verify.expected"))
    if report.started_at:
        click.echo(t("verify.captured", started=report.started_at,
                     finished=report.finished_at or t("verify.unfinished")))
    for line in _what_it_proves(report):
        click.echo(line)
    # The verdict stays the last line: people and scripts look there.
    missing = [part for part in report.parts if part.status == "missing"]
    if missing and report.verdict == "ALTERED":
        # Not "changed after capture": what was given is not the whole bundle.
        named = "; ".join(t("verify.part_missing", part=part.part, of=part.of, path=part.path)
                          for part in missing)
        click.echo(t("verify.parts_missing", named=named))
        return
    click.echo(_verdict_line(report))


def _part_line(part) -> str:
    """One zip given as a part of an upload, or one part its siblings name and nobody gave."""
    which = f"part {part.part} of {part.of}" if part.part else "not a part"
    detail = f"; {part.detail}" if part.detail else ""
    return f"PART       {part.path}: {which}, {part.files} files, {part.status}{detail}"


def _token_line(token) -> str:
    """The time claim and how far it is proven; the authority is a fact only if trusted."""
    when = token.time or t("verify.no_time")
    if token.status == "trusted":
        # The signer's certificate is what the chain proved; the token's TSA name is a claim.
        return t("verify.token_trusted", time=when, signer=token.signer or token.authority or "?",
                 detail=token.detail)
    if token.status == "not verified":
        claimed = token.authority or token.signer
        who = t("verify.token_claimed", claimed=claimed) if claimed else ""
        return t("verify.token_unproven", time=when, who=who, detail=token.detail)
    return t("verify.token_invalid", detail=token.detail)


def _verdict_line(report: VerificationReport) -> str:
    if report.verdict == "INTACT":
        extra = "" if report.complete else t("verify.intact_interrupted", captures=report.captures)
        return t("verify.intact", files=report.files_checked, extra=extra)
    return t("verify.altered") if report.verdict == "ALTERED" else t("verify.invalid")


def _what_it_proves(report: VerificationReport) -> list[str]:
    """Never let INTACT say more than the bytes do."""
    if report.verdict != "INTACT":
        return []
    lines = []
    if report.complete and report.report_sealed is False:
        lines.append(t("verify.legacy_report"))
    trusted = [token for token in report.timestamps if token.status == "trusted"]
    if trusted:
        lines.append(t("verify.time_proven", time=trusted[0].time))
        if not report.fingerprint_matches:
            lines.append(t("verify.anyone_stamps"))
    elif report.fingerprint_matches:
        lines.append(t("verify.quoted"))
    else:
        lines.append(t("verify.proves_only"))
    return lines


def print_checks(checks) -> None:
    """Doctor's lines for EnvironmentChecks (doctor.Check adds the fix)."""
    for check in checks:
        click.echo(f"{t('doctor.mark.' + check.result)} {check.name}: {check.detail}")
        fix = getattr(check, "fix", "")
        if check.result != "ok" and fix:
            click.echo(t("doctor.fix", fix=fix))


def print_run(result, as_json: bool) -> None:
    if as_json:
        click.echo(result.summary().model_dump_json(indent=2))
        return
    for line in result.summary_lines():
        click.echo(line)


def print_demo(result) -> None:
    print_run(result.run, as_json=False)
    report = result.verification
    click.echo(t("demo.verified", verdict=report.verdict, files=report.files_checked))
