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
    def __init__(self, capture: Capture, writer: BundleWriter, directory: str):
        self.capture = capture
        self.writer = writer
        self.directory = directory  # e.g. "captures/03-chat", forward slashes

    def action(self, type: str, detail: str = "", selector: str | None = None,
               outcome: str = "ok") -> Action:
        done = Action(type=type, at=utc_now(), detail=detail, selector=selector, outcome=outcome)
        self.capture.actions.append(done)
        return done

    def warn(self, message: str) -> None:
        self.capture.warnings.append(message)

    def write(self, name: str, data: bytes, role: str, media_type: str, **extra) -> Artifact:
        artifact = self.writer.write_artifact(
            f"{self.directory}/{name}", data, role, media_type, **extra
        )
        self.capture.artifacts.append(artifact)
        return artifact
