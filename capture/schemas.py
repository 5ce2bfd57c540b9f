"""JSON Schema files generated from the pydantic models.

Regenerate with `python -m capture.schemas`; tests/test_schemas.py fails on drift.
"""

from __future__ import annotations

import json
from pathlib import Path

from .manifest import Manifest, VerificationReport
from .results import RunSummary
from .timestamp import StampResult

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
FILES = {
    "manifest.schema.json": lambda: manifest_schema(),
    "verification-report.schema.json": lambda: report_schema(),
    "run-result.schema.json": lambda: _schema(RunSummary, "evidence-capture run result"),
    "stamp-result.schema.json": lambda: _schema(StampResult, "evidence-capture stamp result"),
}


def _schema(model, title: str) -> dict:
    schema = model.model_json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return schema


def manifest_schema() -> dict:
    return _schema(Manifest, "evidence-capture manifest")


def report_schema() -> dict:
    return _schema(VerificationReport, "evidence-capture verification report")


def render(name: str) -> str:
    return json.dumps(FILES[name](), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def write_all(directory: Path = SCHEMA_DIR) -> None:
    directory.mkdir(exist_ok=True)
    for name in FILES:
        (directory / name).write_text(render(name), encoding="utf-8")


if __name__ == "__main__":
    write_all()
