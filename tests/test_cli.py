"""The command line end to end: the notebook through papermill, outputs, exit codes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest

from .conftest import ROOT, SAMPLE, run_cli

pytestmark = pytest.mark.slow
CASES = ROOT / "tests" / "cases"


pexaudit = run_cli


def test_audit_writes_the_outputs_and_a_french_summary(sample_run, schema):
    proc, folder = sample_run
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in folder.iterdir()) == [
        "audit.ipynb",
        "bilan_financier.xlsx",
        "courrier.docx",
        "rapport.html",
        "results.json",
    ]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    jsonschema.validate(results, schema)
    assert results["settlement"]["outcome"] == "reversement" and results["settlement"]["amount"] == 4898.58
    assert "Ordre de reversement : 4 898,58 €" in proc.stdout
    assert "Verdict : Reversement à émettre" in proc.stdout
    assert not list(folder.parent.glob(".*partial"))


def test_executed_notebook_is_the_audit_trail(sample_run):
    _, folder = sample_run
    nb = json.loads((folder / "audit.ipynb").read_text(encoding="utf-8"))
    tags = [c["metadata"].get("tags", []) for c in nb["cells"]]
    assert any("injected-parameters" in t for t in tags)
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert str(SAMPLE) in "".join(injected["source"])
    assert "pexaudit-reset" in tags[0]  # the namespace is cleared first, visibly in the trail
    quiet = {"parameters", "injected-parameters", "pexaudit-reset"}
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and not quiet & set(cell["metadata"].get("tags", [])):
            assert cell["outputs"] and cell["metadata"]["papermill"]["status"] == "completed"


def test_report_is_one_file_in_french_without_code_or_names(sample_run):
    _, folder = sample_run
    html = (folder / "rapport.html").read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "nb.show" not in html and "import " not in html  # no code cells
    for name in ("DUPONT", "Claire", "MARTIN", "Yves", "M0412"):
        assert name not in html
    assert "4 898,58 €" in html and "31/12/2024" in html
    assert html.count('src="data:image/png;base64,') >= 2
    for heading in ("Synthèse", "La convention", "Exécution budgétaire", "Frais de personnel", "Coûts de gestion",
                    "Contrôles d'éligibilité", "Dépenses écartées", "Constats", "Traçabilité"):  # fmt: skip
        assert f"{heading}" in html


@pytest.mark.parametrize("case", ["partial-mid-year"])
def test_papermill_run_matches_expected_case(case, tmp_path):
    proc = pexaudit("audit", CASES / case, "--out", tmp_path)
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    expected = json.loads((CASES / case / "expected.json").read_text(encoding="utf-8"))
    assert results["settlement"]["balance"] == expected["settlement"]["balance"]
    assert results["totals"] == expected["totals"]
    html = (folder / "rapport.html").read_text(encoding="utf-8")
    assert "Hélène" not in html and "Pérez" not in html and "5 504,42 €" in html


def _broken(tmp_path, mutate) -> Path:
    folder = tmp_path / "conv"
    shutil.copytree(SAMPLE, folder)
    mutate(folder)
    return folder


def _drop_key(folder: Path) -> None:
    text = (folder / "convention.yaml").read_text(encoding="utf-8")
    (folder / "convention.yaml").write_text(text.replace("  amount: 50000.00\n", ""), encoding="utf-8")


def _drop_column(folder: Path) -> None:
    (folder / "depenses.csv").write_text("piece;date;fournisseur;ligne\nF1;01/02/2024;A;gestion\n", encoding="utf-8")
    text = (folder / "convention.yaml").read_text(encoding="utf-8")
    (folder / "convention.yaml").write_text(
        text.replace("expenses: depenses.xlsx", "expenses: depenses.csv"), encoding="utf-8"
    )


def _corrupt(folder: Path) -> None:
    data = (folder / "paie.xlsx").read_bytes()
    (folder / "paie.xlsx").write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (_drop_key, ["convention.yaml", "subsidy.amount", "clé obligatoire absente"]),
        (_drop_column, ["depenses.csv", "montant", "colonne obligatoire introuvable"]),
        (_corrupt, ["paie.xlsx", "corrompu"]),
    ],
    ids=["missing-key", "missing-column", "corrupt-xlsx"],
)
def test_bad_input_exits_2_and_writes_no_report(tmp_path, mutate, fragments):
    folder = _broken(tmp_path, mutate)
    out = tmp_path / "out"
    proc = pexaudit("audit", folder, "--out", out)
    assert proc.returncode == 2, proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr
    assert not list(out.rglob("results.json")) and not list(out.rglob("rapport.html"))


def test_check_is_fast_and_reads_inputs(tmp_path):
    proc = pexaudit("check", SAMPLE)
    assert proc.returncode == 0, proc.stderr
    assert "paie.xlsx : feuille « Paie 2024 », en-tête ligne 3, 15 ligne(s) de données" in proc.stdout
    assert "colonnes reconnues : matricule ← « Matricule »" in proc.stdout
    assert "1 valeur(s) illisible(s)" in proc.stdout and "ligne 17, montant : « 1 2O4,00 »" in proc.stdout
    proc = pexaudit("check", _broken(tmp_path, _drop_column))
    assert proc.returncode == 2 and "montant" in proc.stderr


def test_demo_writes_into_reports_and_prints_what_the_readme_shows(tmp_path):
    proc = pexaudit("demo", "--out", tmp_path / "reports")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "reports" / "cd35-2024-pex" / "rapport.html").is_file()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("```\nConvention cd35-2024-pex\n", 1)[1].split("```", 1)[0].splitlines()
    assert shown and all(line in proc.stdout.splitlines() for line in shown)


def test_usage_errors_are_french_with_exit_code_2():
    proc = pexaudit("audti", "x")
    assert proc.returncode == 2 and "commande inconnue « audti » ; vouliez-vous écrire « audit » ?" in proc.stderr
    proc = pexaudit("audit", SAMPLE)
    assert proc.returncode == 2 and "option obligatoire absente : --out" in proc.stderr
    proc = pexaudit("batch", "x", "--out", "y", "--workers", "0")
    assert proc.returncode == 2 and "valeur invalide pour --workers" in proc.stderr
    assert "Error" not in proc.stderr


@pytest.mark.parametrize("command", ["demo", "audit", "check", "batch", "init"])
def test_every_command_has_help_with_an_example(command):
    proc = pexaudit(command, "--help")
    assert proc.returncode == 0 and "Exemple" in proc.stdout
