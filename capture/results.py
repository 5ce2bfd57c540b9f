"""The result of a capture run: RunResult for the library's callers, RunSummary for what
`capture --json` prints (schemas/run-result.schema.json is generated from it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from .errors import ExitCode
from .manifest import SHA256_PATTERN, Capture, Manifest


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TokenSummary(_Strict):
    """A timestamp token obtained at the end of the run (the URL lives here, never in the bundle)."""

    authority: str = Field(description="The TSA URL the token came from")
    path: str
    time: str | None = None
    serial: str | None = None
    signer: str | None = None
    tsa_name: str | None = None
    sha256: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of the token file")


class CaptureSummary(_Strict):
    index: int
    kind: str
    url: str
    final_url: str | None = None
    status: int | None = Field(None, description="HTTP status of the page, when one answered")
    error: str | None = None
    warnings: list[str] = Field(default_factory=list)


class RunSummary(_Strict):
    """`evidence capture --json`."""

    bundle: str
    fingerprint: str = Field(pattern=SHA256_PATTERN, description="SHA-256 of manifest.json")
    status: str = Field(description="The manifest's status: complete or incomplete")
    interrupted: bool
    captured: int = Field(description="Captures without an error")
    captures: list[CaptureSummary]
    notes: list[str] = Field(default_factory=list)
    timestamps: list[TokenSummary] = Field(default_factory=list)
    report: str | None = Field(None, description="Path of the sealed report.pdf, when written")
    exit_code: int


@dataclass
class RunResult:
    root: Path
    manifest: Manifest
    fingerprint: str
    interrupted: bool = False
    notes: list[str] = field(default_factory=list)
    tokens: list[TokenSummary] = field(default_factory=list)

    @property
    def failed(self) -> list[Capture]:
        return [c for c in self.manifest.captures if c.error]

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.failed or not self.manifest.captures:
            return ExitCode.EVIDENCE_FAILED
        return ExitCode.OK

    def summary(self) -> RunSummary:
        """The run as `capture --json` prints it (schemas/run-result.schema.json)."""
        return RunSummary(
            bundle=str(self.root),
            fingerprint=self.fingerprint,
            status=self.manifest.status,
            interrupted=self.interrupted,
            captured=len(self.manifest.captures) - len(self.failed),
            captures=[
                CaptureSummary(index=c.index, kind=c.kind, url=c.requested_url, final_url=c.final_url,
                               status=c.response.status if c.response else None, error=c.error,
                               warnings=c.warnings)
                for c in self.manifest.captures
            ],
            notes=self.notes,
            timestamps=self.tokens,
            report=str(self.root / "report.pdf") if (self.root / "report.pdf").exists() else None,
            exit_code=int(self.exit_code),
        )

    def summary_lines(self) -> list[str]:
        """The closing lines for a person, in the reader's language."""
        from .messages import explain_network_error, t

        captures = self.manifest.captures
        ok = len(captures) - len(self.failed)
        lines = [t("run.counted", ok=ok, total=len(captures), root=self.root)]
        if self.interrupted:
            lines += [t("run.interrupted"), t("run.resume", root=self.root)]
        for capture in self.failed:
            lines.append(t("run.failed", kind=capture.kind, url=capture.requested_url,
                           error=explain_network_error(capture.error)))
        lines.extend(self.notes)
        for token in self.tokens:
            lines.append(t("run.timestamp", path=token.path, time=token.time or "?",
                           authority=token.authority, root=self.root))
        if (self.root / "report.pdf").exists():
            lines.append(t("run.report", path=self.root / "report.pdf"))
        if ok == 0:
            # Nothing here is evidence of a page: never invite the buyer to quote it.
            return lines + [t("run.nothing"), t("run.record_fingerprint", fingerprint=self.fingerprint)]
        return lines + [t("run.fingerprint", fingerprint=self.fingerprint), t("run.quote")]
