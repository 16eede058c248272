"""Decisions through the command line: exit 2 naming the decision with nothing written, check,
--previous on audit and batch (SPEC sections 8 and 9)."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import jsonschema
import pytest

from pexaudit.core.audit import audit, results
from pexaudit.run.batch import previous_results

from .conftest import ROOT, SAMPLE, run_cli

# Every test here runs the command line in a subprocess, as a user would.
pytestmark = pytest.mark.slow

DEFINITIF = ROOT / "data" / "conventions" / "cd35-2024-definitif"
ROW = "depenses.xlsx!Mandats 2024!10"


def _folder(tmp_path: Path, text: str | None) -> Path:
    folder = tmp_path / "conv"
    shutil.copytree(SAMPLE, folder)
    if text is not None:
        (folder / "decisions.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


BAD = {
    "ref-matching-no-row": (
        'rows:\n  - {ref: "depenses.xlsx!Mandats 2024!99", decision: accept, motive: x}\n',
        ["decisions.yaml", "ligne 2", "Mandats 2024!99", "pas de ligne de données n° 99"],
    ),
    "partial-without-amount": (
        f'rows:\n  - {{ref: "{ROW}", decision: partial, rule: PAYEUR, motive: x}}\n',
        ["ligne 2", ROW, "montant retenu absent"],
    ),
    "empty-motive": (f'rows:\n  - {{ref: "{ROW}", decision: accept, motive: ""}}\n', ["ligne 2", "motif absent"]),
    "unknown-rule": (
        f'phase: definitif\nrows:\n  - {{ref: "{ROW}", decision: reject, rule: TIERS, motive: x}}\n',
        ["ligne 3", ROW, "règle inconnue « TIERS »"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_decision_exits_2_naming_it_and_writes_nothing(tmp_path, case):
    text, fragments = BAD[case]
    out = tmp_path / "out"
    proc = run_cli("audit", _folder(tmp_path, text), "--out", out)
    assert proc.returncode == 2, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr, proc.stderr
    assert not list(out.rglob("results.json")) and not list(out.rglob("*.docx")) and not list(out.rglob("*.html"))


def test_two_decisions_files_exit_2_before_any_kernel(tmp_path):
    folder = _folder(tmp_path, "phase: provisoire\n")
    shutil.copy(ROOT / "tests" / "cases" / "decisions-xlsx" / "decisions.xlsx", folder / "decisions.xlsx")
    out = tmp_path / "out"
    proc = run_cli("audit", folder, "--out", out)
    assert proc.returncode == 2 and "decisions.yaml et decisions.xlsx" in proc.stderr, proc.stderr
    assert not list(out.rglob("results.json"))
    check = run_cli("check", folder)
    assert check.returncode == 2 and "decisions.yaml et decisions.xlsx" in check.stderr


def test_check_validates_the_decisions_without_auditing(tmp_path):
    proc = run_cli("check", DEFINITIF)
    assert proc.returncode == 0, proc.stderr
    assert "decisions.yaml : phase définitive, 4 décision(s) (acceptées 2, rejetées 1, partielles 1), " \
           "1 explication(s) de ligne" in proc.stdout  # fmt: skip
    proc = run_cli("check", _folder(tmp_path, BAD["partial-without-amount"][0]))
    assert proc.returncode == 2 and "montant retenu absent" in proc.stderr and "ligne 2" in proc.stderr


def test_previous_of_another_convention_exits_2_before_any_kernel(tmp_path, checker):
    other = tmp_path / "results.json"
    other.write_text(json.dumps(results(audit(ROOT / "tests" / "cases" / "flat-rate", checker))), encoding="utf-8")
    proc = run_cli("audit", DEFINITIF, "--out", tmp_path / "out", "--previous", other)
    assert proc.returncode == 2 and "autre convention" in proc.stderr, proc.stderr
    proc = run_cli("audit", DEFINITIF, "--out", tmp_path / "out", "--previous", tmp_path / "absent.json")
    assert proc.returncode == 2 and "introuvables" in proc.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("results.json"))


def test_previous_results_are_found_by_id(tmp_path):
    (tmp_path / "cd35-2024-pex").mkdir()
    (tmp_path / "cd35-2024-pex" / "results.json").write_text("{}", encoding="utf-8")
    assert previous_results(tmp_path, SAMPLE) == tmp_path / "cd35-2024-pex" / "results.json"
    assert previous_results(tmp_path, DEFINITIF) is None
    assert previous_results(None, SAMPLE) is None


def test_definitive_audit_with_previous(tmp_path, sample_run, schema):
    """The workflow of an auditor: the provisional run, then the decisions file added to the same
    folder (the same convention id) and a run with --previous."""
    _, provisional = sample_run
    folder = _folder(tmp_path, None)
    shutil.copy(DEFINITIF / "decisions.yaml", folder / "decisions.yaml")
    proc = run_cli("audit", folder, "--out", tmp_path / "out", "--previous", provisional / "results.json")
    assert proc.returncode == 0, proc.stderr
    folder = tmp_path / "out" / "cd35-2024-pex"
    res = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(res, schema)
    assert res["previous"] == {"phase": "provisoire", "balance": -4898.58, "outcome": "reversement", "amount": 4898.58}
    assert res["procedure"]["phase"] == "definitif" and res["settlement"]["amount"] == 2138.87
    assert "Phase définitive : 4 décision(s) du contrôleur appliquée(s)" in proc.stdout
    assert "Ordre de reversement : 2 138,87 €" in proc.stdout
    assert (folder / "courrier.docx").is_file() and (folder / "bilan_financier.xlsx").is_file()
    injected = json.loads((folder / "audit.ipynb").read_text(encoding="utf-8"))["cells"]
    assert any(
        "previous" in "".join(c["source"]) for c in injected if "injected-parameters" in c["metadata"].get("tags", [])
    )


def test_batch_previous_matches_by_id(tmp_path, checker):
    root = tmp_path / "conventions"
    shutil.copytree(SAMPLE, root / "a")
    shutil.copytree(DEFINITIF, root / "b")
    earlier = tmp_path / "earlier" / "cd35-2024-pex"
    earlier.mkdir(parents=True)
    (earlier / "results.json").write_text(json.dumps(results(audit(SAMPLE, checker))), encoding="utf-8")
    proc = run_cli("batch", root, "--out", tmp_path / "out", "--workers", "1", "--no-progress",
                   "--previous", tmp_path / "earlier")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    first = json.loads((tmp_path / "out" / "cd35-2024-pex" / "results.json").read_text(encoding="utf-8"))
    second = json.loads((tmp_path / "out" / "cd35-2024-pex-definitif" / "results.json").read_text(encoding="utf-8"))
    assert first["previous"]["amount"] == 4898.58 and second["previous"] is None
    assert second["procedure"]["phase"] == "definitif"
    proc = run_cli("batch", root, "--out", tmp_path / "out2", "--previous", tmp_path / "absent")
    assert proc.returncode == 2 and "lot antérieur introuvable" in proc.stderr
