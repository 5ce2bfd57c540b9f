"""schemas/ is generated from the pydantic models and must not drift from them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from capture import schemas
from capture.cli import main


@pytest.mark.parametrize("name", sorted(schemas.FILES))
def test_checked_in_schema_matches_the_models(name):
    on_disk = (schemas.SCHEMA_DIR / name).read_text(encoding="utf-8")
    assert on_disk == schemas.render(name), (
        f"schemas/{name} is out of date: run `python -m capture.schemas`"
    )


def test_evidence_schema_prints_the_manifest_schema():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema == schemas.manifest_schema()
    assert schema["title"] == "evidence-capture manifest"
    assert {"captures", "artifacts", "environment", "status"} <= set(schema["properties"])


def test_evidence_schema_report_prints_the_verification_report_schema():
    result = CliRunner().invoke(main, ["schema", "--report"])
    assert result.exit_code == 0
    assert json.loads(result.output) == schemas.report_schema()
