"""schemas/ is generated from the pydantic models and must not drift from them."""

from __future__ import annotations

import json
import re

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


# --- the exported schema, read by an independent validator ----------------------------------
# Outside checkers validate manifests with the JSON Schema alone, not with our models. This
# is a small validator for the keywords the schemas use, written against the JSON Schema
# text and nothing of pydantic's, so the schema has to say everything itself.

_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def _errors(node, schema, root, where="$"):
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        yield from _errors(node, root["$defs"][name], root, where)
        return
    if "anyOf" in schema:
        if all(list(_errors(node, option, root, where)) for option in schema["anyOf"]):
            yield f"{where}: matches none of anyOf"
        return
    kind = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
    if kind == "integer":
        if not isinstance(node, int) or isinstance(node, bool):
            yield f"{where}: not an integer"
            return
    elif kind == "number":
        if not isinstance(node, (int, float)) or isinstance(node, bool):
            yield f"{where}: not a number"
            return
    elif kind and not isinstance(node, types[kind]):
        yield f"{where}: not {kind}"
        return
    if "const" in schema and node != schema["const"]:
        yield f"{where}: not {schema['const']!r}"
    if "enum" in schema and node not in schema["enum"]:
        yield f"{where}: not one of {schema['enum']}"
    if isinstance(node, str):
        if "pattern" in schema and not re.search(schema["pattern"], node):
            yield f"{where}: does not match {schema['pattern']}"
        if schema.get("format") == "date-time" and not _DATE_TIME.fullmatch(node):
            yield f"{where}: not a date-time"
        if "maxLength" in schema and len(node) > schema["maxLength"]:
            yield f"{where}: too long"
    if isinstance(node, (int, float)) and "minimum" in schema and node < schema["minimum"]:
        yield f"{where}: below {schema['minimum']}"
    if isinstance(node, list) and "items" in schema:
        for i, item in enumerate(node):
            yield from _errors(item, schema["items"], root, f"{where}[{i}]")
    if isinstance(node, dict):
        for key in schema.get("required", []):
            if key not in node:
                yield f"{where}: {key} missing"
        properties = schema.get("properties", {})
        for key, value in node.items():
            if key in properties:
                yield from _errors(value, properties[key], root, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                yield f"{where}: unknown {key}"


def _validate(document, name: str = "manifest.schema.json") -> list[str]:
    schema = json.loads((schemas.SCHEMA_DIR / name).read_text(encoding="utf-8"))
    return list(_errors(document, schema, schema))


@pytest.fixture
def manifest_json(tmp_path):
    from .bundles import make_bundle

    root = make_bundle(tmp_path / "bundle", n_captures=3)
    return json.loads((root / "manifest.json").read_text(encoding="utf-8"))


def test_a_manifest_the_tool_wrote_passes_the_schema_alone(manifest_json):
    assert _validate(manifest_json) == []


@pytest.mark.parametrize("change, where", [
    (lambda m: m.update(started_at="yesterday"), "$.started_at"),
    (lambda m: m["captures"][0].update(finished_at="2026-11-31 25:00"), "$.captures[0].finished_at"),
    (lambda m: m["captures"][0]["artifacts"][0].update(path="../../etc/passwd"), "$.captures[0].artifacts[0].path"),
    (lambda m: m["captures"][0]["artifacts"][0].update(path="/etc/passwd"), "$.captures[0].artifacts[0].path"),
    (lambda m: m["captures"][0]["artifacts"][0].update(path="captures\\01\\x.png"), "$.captures[0].artifacts[0].path"),
    (lambda m: m["captures"][0]["artifacts"][0].update(path="C:x.png"), "$.captures[0].artifacts[0].path"),
    (lambda m: m["captures"][0]["artifacts"][0].update(path="a//b.png"), "$.captures[0].artifacts[0].path"),
    (lambda m: m["captures"][0]["artifacts"][0].update(sha256="ABC" * 21 + "D"), "$.captures[0].artifacts[0].sha256"),
    (lambda m: m["captures"][0]["artifacts"][0].update(sha256="0" * 63), "$.captures[0].artifacts[0].sha256"),
    (lambda m: m["tool"].update(digest="not-a-hash"), "$.tool.digest"),
])
def test_the_schema_alone_rejects_bad_times_paths_and_hashes(manifest_json, change, where):
    change(manifest_json)
    errors = _validate(manifest_json)
    assert any(error.startswith(where) for error in errors), errors
    # The model agrees with its schema.
    from pydantic import ValidationError

    from capture.manifest import Manifest

    with pytest.raises(ValidationError):
        Manifest.model_validate(manifest_json)


def test_capture_json_and_verify_json_follow_their_schemas(tmp_path):
    from .servers import serve

    with serve() as site:
        out = tmp_path / "bundle"
        result = CliRunner().invoke(main, ["capture", f"{site}/hello.html", "--no-trace", "--json",
                                           "-o", str(out)])
    assert result.exit_code == 0, result.output
    run = json.loads(result.output)
    assert _validate(run, "run-result.schema.json") == []
    assert run["captured"] == 1 and run["report"].endswith("report.pdf")
    checked = CliRunner().invoke(main, ["verify", str(out), "--expect", run["fingerprint"], "--json"])
    report = json.loads(checked.output)
    assert _validate(report, "verification-report.schema.json") == []
    assert report["verdict"] == "INTACT" and report["fingerprint_matches"] is True
    assert _validate(json.loads((out / "manifest.json").read_text()), "manifest.schema.json") == []
