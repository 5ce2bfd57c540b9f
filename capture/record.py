"""The record of one capture while it is being made: actions, warnings, artifacts.

Each capture step gets a Recorder, appends what it did, and writes its files through
it, so nothing reaches the bundle without landing in the manifest too.
"""

from __future__ import annotations

from .bundle import BundleWriter
from .manifest import Action, Artifact, Capture, utc_now

# Masked regions (a plan's `mask`) are painted this colour in every image.
MASK_COLOR = "#000000"


class Recorder:
    def __init__(self, capture: Capture, writer: BundleWriter, directory: str, secrets=None,
                 observer=None):
        self.capture = capture
        self.writer = writer
        self.directory = directory  # e.g. "captures/03-chat", forward slashes
        self.secrets = secrets  # redact.Secrets of the session, or None
        # observer(artifact, data) after each file is written, from the writing thread
        # (the session's report copies start on chat segments while the chat goes on).
        self.observer = observer

    def clean(self, text: str) -> str:
        """What may be written into the manifest: URLs without their credential
        parameters (a ?token=... in a redirect), no known session secret."""
        from .redact import scrub_text_urls

        return scrub_text_urls(text, self.secrets)

    def action(self, type: str, detail: str = "", selector: str | None = None,
               outcome: str = "ok") -> Action:
        done = Action(type=type, at=utc_now(), detail=self.clean(detail), selector=selector,
                      outcome=outcome)
        self.capture.actions.append(done)
        return done

    def warn(self, message: str) -> None:
        self.capture.warnings.append(self.clean(message))

    def write(self, name: str, data: bytes, role: str, media_type: str, **extra) -> Artifact:
        artifact = self.writer.write_artifact(
            f"{self.directory}/{name}", data, role, media_type, **extra
        )
        self.capture.artifacts.append(artifact)
        if self.observer is not None:
            self.observer(artifact, data)
        return artifact
