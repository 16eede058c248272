"""Wiring kept honest: notebooks, suites, schema copy, README commands, no telemetry."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import jupytext
import pytest

from pexaudit.assets import suites_dir
from pexaudit.core.checks import load_suite_json
from pexaudit.core.registry import FAILING_RULES

from .conftest import ROOT, SCHEMA_PATH, SHARED

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_are_thin_and_clean(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    params = [c for c in code if "parameters" in c["metadata"].get("tags", [])]
    assert len(params) == 1
    for cell in code:
        source = "".join(cell["source"])
        assert not re.search(r"^\s*(def|class)\s", source, re.M)
        assert not cell.get("outputs") and cell.get("execution_count") is None
    assert nb["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_match_their_py_percent_pair(path):
    paired = jupytext.read(path.with_suffix(".py"))
    stored = jupytext.read(path)
    assert [(c.cell_type, c.source) for c in paired.cells] == [(c.cell_type, c.source) for c in stored.cells]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_papermill_sees_the_parameters(path):
    import papermill

    params = papermill.inspect_notebook(str(path))
    assert params and all(p["default"] for p in params.values())


@pytest.mark.parametrize("role", ["payroll", "expenses"])
def test_suites_load_into_gx_and_name_spec_rules(role, checker):
    import great_expectations as gx

    spec = load_suite_json(role)
    suite = gx.ExpectationSuite(**spec)
    assert suite.name == f"pexaudit_{role}"
    assert spec["meta"]["suite_version"]
    rules = {e["meta"]["rule"] for e in spec["expectations"]}
    assert rules <= set(FAILING_RULES)
    assert all(e["meta"].get("notes") for e in spec["expectations"])


def test_every_row_rule_lives_in_a_suite():
    suites = [p for p in suites_dir().glob("*.json") if p.stem != "activity"]  # row statuses: tests/test_activity.py
    rules = {e["meta"]["rule"] for p in suites for e in json.loads(p.read_text())["expectations"]}
    assert rules == set(FAILING_RULES)


@pytest.mark.skipif(not (SHARED / "results.schema.json").is_file(), reason="../shared not present")
def test_schema_copy_is_the_contract():
    assert json.loads(SCHEMA_PATH.read_text()) == json.loads((SHARED / "results.schema.json").read_text())


def test_readme_shows_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme


def test_makefile_targets_exist():
    out = subprocess.run(
        ["make", "-n", "-C", str(ROOT), "help", "demo", "test", "lab", "lint"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr


def test_gx_analytics_off_in_kernel_and_cli():
    code = "import pexaudit, os; print(os.environ['GX_ANALYTICS_ENABLED'])"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={"GX_ANALYTICS_ENABLED": "True", "PATH": ""}
    )
    assert out.stdout.strip() == "False"
