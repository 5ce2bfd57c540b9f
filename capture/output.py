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
        click.echo(f"fingerprint (SHA-256 of manifest.json): {report.fingerprint}")
    if report.fingerprint_matches:
        click.echo("           = the fingerprint given with --expect")
    if report.started_at:
        click.echo(f"captured: {report.started_at} .. {report.finished_at or '(unfinished)'}")
    for line in _what_it_proves(report):
        click.echo(line)
    # The verdict stays the last line: people and scripts look there.
    missing = [part for part in report.parts if part.status == "missing"]
    if missing and report.verdict == "ALTERED":
        # Not "changed after capture": what was given is not the whole bundle.
        named = "; ".join(f"part {part.part} of {part.of} is missing ({part.path})" for part in missing)
        click.echo(f"ALTERED: {named}: give every part (the files in a missing part cannot be checked)")
        return
    click.echo(_verdict_line(report))


def _part_line(part) -> str:
    """One zip given as a part of an upload, or one part its siblings name and nobody gave."""
    which = f"part {part.part} of {part.of}" if part.part else "not a part"
    detail = f"; {part.detail}" if part.detail else ""
    return f"PART       {part.path}: {which}, {part.files} files, {part.status}{detail}"


def _token_line(token) -> str:
    """The time claim and how far it is proven; the authority is a fact only if trusted."""
    when = token.time or "no time"
    if token.status == "trusted":
        # The signer's certificate is what the chain proved; the token's TSA name is a claim.
        return f"trusted: {when}, signed by {token.signer or token.authority or '?'} ({token.detail})"
    if token.status == "not verified":
        claimed = token.authority or token.signer
        who = f', claimed to be from "{claimed}"' if claimed else ""
        return f"not verified: states {when}{who}; {token.detail}"
    return f"invalid: {token.detail}"


def _verdict_line(report: VerificationReport) -> str:
    if report.verdict == "INTACT":
        extra = "" if report.complete else (
            f"; the run was interrupted, so the bundle holds only the {report.captures} "
            "capture(s) finished before it stopped"
        )
        return f"INTACT: {report.files_checked} files match the manifest{extra}"
    if report.verdict == "ALTERED":
        return "ALTERED: the bundle was changed after capture (see the lines above)"
    return "INVALID: this is not a well-formed evidence bundle (see the lines above)"


def _what_it_proves(report: VerificationReport) -> list[str]:
    """Never let INTACT say more than the bytes do."""
    if report.verdict != "INTACT":
        return []
    lines = []
    if report.complete and report.report_sealed is False:
        lines.append("NOTE       report.html/report.pdf are not covered by the fingerprint "
                     "(made outside the seal): rely on the captured files, not on that report.")
    trusted = [t for t in report.timestamps if t.status == "trusted"]
    if trusted:
        lines.append(f"A trusted timestamp proves that manifest.json, and so every file it lists, "
                     f"existed unchanged at {trusted[0].time}.")
        if not report.fingerprint_matches:
            lines.append("Anyone can timestamp a bundle at any time: check that this time is when the "
                         "complaint says the capture was made, or run with --expect FINGERPRINT.")
    elif report.fingerprint_matches:
        lines.append("This is the bundle whose fingerprint was quoted. Without a trusted timestamp, "
                     "when it was made rests only on the capturing computer's clock.")
    else:
        lines.append("Without a trusted timestamp this proves only that the files match this "
                     "bundle's own manifest. It is the bundle quoted in the complaint only if the "
                     "fingerprint above is the one quoted there: compare them, or run "
                     "evidence verify BUNDLE --expect FINGERPRINT.")
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
