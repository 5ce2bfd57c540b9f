"""The README's commands and examples stay true."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from capture.cli import main
from capture.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text("utf-8")


def test_quick_start_has_the_two_commands_and_ci_runs_the_test_one():
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "./bootstrap.sh demo" in quick and "./bootstrap.sh test" in quick
    assert "./bootstrap.sh test" in (ROOT / ".ci" / "run").read_text()


def test_example_plan_in_the_readme_is_a_valid_plan(tmp_path):
    [block] = re.findall(r"```toml\n(.*?)```", README.split("### Plans", 1)[1], re.S)[:1]
    plan = tmp_path / "plan.toml"
    plan.write_text(block, encoding="utf-8")
    loaded = load_plan(plan)
    assert [t.kind for t in loaded.target] == ["order", "product", "chat"]
    assert loaded.target[0].url == "https://shop.example/order/123"


def test_every_command_the_readme_names_exists():
    names = set(re.findall(r"^evidence (\w+)", README, re.M)) | set(re.findall(r"`evidence (\w+)", README))
    for name in sorted(names):
        result = CliRunner().invoke(main, [name, "--help"])
        assert result.exit_code == 0, name
