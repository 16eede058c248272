"""The slips a real user made, through the command line: each gives the right result or exit 2
naming the file, the key or row, and the line (issue: no silent wrong result)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from .conftest import ROOT, run_cli

# Every test here runs the command line in a subprocess, as a user would.
pytestmark = pytest.mark.slow

CASES = ROOT / "tests" / "cases"
GIRONDE = CASES / "gironde-mi-temps"


def _copy(tmp_path: Path, source: Path = GIRONDE) -> Path:
    folder = tmp_path / "conv"
    shutil.copytree(source, folder)
    (folder / "expected.json").unlink(missing_ok=True)
    return folder


def _edit(folder: Path, old: str, new: str) -> None:
    path = folder / "convention.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_gironde_export_audits_right_without_editing_the_beneficiary_files(tmp_path):
    """Unquoted 000127, a matricule stored as 127 shown 000127, a title block, a TOTAL row, its
    own column names, a Débit/Crédit ledger without budget-line column: right to the cent."""
    out = tmp_path / "out"
    proc = run_cli("audit", GIRONDE, "--out", out)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((out / "dd33-2025-pex" / "results.json").read_text(encoding="utf-8"))
    expected = json.loads((GIRONDE / "expected.json").read_text(encoding="utf-8"))
    assert results["totals"] == expected["totals"] and results["settlement"]["amount"] == 750.0
    assert [f["rule"] for f in results["findings"]] == ["REJETS"]
    assert "Ordre de reversement : 750,00 €" in proc.stdout
    # the headline does not read the half-time share as a rejection
    assert (
        "rejetées : 300,00 € ; hors quotité affectée : 19 250,00 € ; remplacées par le forfait : 231,40 €"
        in proc.stdout
    )


def test_matricule_written_127_in_a_csv_matches_staff_000127(tmp_path):
    folder = _copy(tmp_path)
    (folder / "paie.csv").write_text(
        "Salarié n°;Mois de paie;Brut soumis;Part patronale totale\n127;03/2025;2500;1000\n0127;04/2025;2500;1000\n",
        encoding="utf-8",
    )
    _edit(folder, "payroll: export_paie.xlsx", "payroll: paie.csv")
    from pexaudit.core.audit import audit, results

    got = results(audit(folder))
    pay = [r for r in got["rows"] if r["source"] == "payroll"]
    assert [r["eligible_amount"] for r in pay] == [1750.0, 1750.0] and not any("PROJET" in r["rules"] for r in pay)


@pytest.mark.parametrize(
    ("old", "new", "key", "fragments"),
    [
        ("rate: 0.08", "rate: 8", "rules.management_costs.rate", ["0,08 pour 8 %", "trouvé 8"]),
        ("allocation: 0.5", "allocation: 50", "staff, 1er agent, allocation", ["pour 50 %, écrivez 0.5"]),
        ("allocation: 0.5", "allocation: 50%", "staff, 1er agent, allocation", ["sans « % »", "écrivez 0.5"]),
        ("signature_date: 2025-02-10", "signature_date: 2025-13-01", "signature_date", ["date impossible « 2025-13-01 »"]),
        ("signature_date: 2025-02-10", "signature_date: 2025-09-31", "signature_date", ["date impossible « 2025-09-31 »"]),
        ("employee_id: 000127", "employee_id: 127}\n  - {employee_id: 000127", "staff, 2e agent, employee_id",
         ["zéros de tête"]),
        ('"606": gestion', '"606": fonctionnement', "inputs.accounts.606", ["ligne budgétaire « fonctionnement » inconnue"]),
        ("project_codes: []", "project_codes: []\n  variance_alert_pct: 0.15", "rules.variance_alert_pct",
         ["15 pour 15 %", "écrivez 15"]),
    ],
)  # fmt: skip
def test_slips_in_convention_yaml_exit_2_with_file_key_and_line(tmp_path, old, new, key, fragments):
    folder = _copy(tmp_path)
    _edit(folder, old, new)
    out = tmp_path / "out"
    proc = run_cli("audit", folder, "--out", out)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "convention.yaml, ligne " in proc.stderr and f"clé « {key} »" in proc.stderr
    for fragment in fragments:
        assert fragment in proc.stderr
    assert "Erreur interne" not in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() or not list(out.rglob("results.json"))


def test_a_second_header_for_one_column_is_refused_with_file_and_row(tmp_path):
    folder = _copy(tmp_path)
    text = (folder / "grand_livre.csv").read_bytes().replace("Libellé".encode("cp1252"), b"Montant")
    (folder / "grand_livre.csv").write_bytes(text)
    proc = run_cli("check", folder)
    assert proc.returncode == 2
    assert "grand_livre.csv, ligne 2, colonne « montant »" in proc.stderr
    assert "colonne montant et colonnes debit et credit" in proc.stderr


def test_unknown_key_is_one_french_line_not_a_python_warning(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "programme: 177", "programme: 177\nnotes_internes: relancer en mars")
    proc = run_cli("check", folder)
    assert proc.returncode == 0, proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if "notes_internes" in x]
    assert line.startswith("Avertissement : convention.yaml (ligne 9) : clé « notes_internes » inconnue, ignorée")
    assert "Warning" not in proc.stderr


def test_yaml_syntax_error_in_french_with_its_line(tmp_path):
    folder = _copy(tmp_path)
    _edit(folder, "title: Chargée de mission", "title: Chargée de mission : PEX")
    proc = run_cli("check", folder)
    assert proc.returncode == 2
    assert "convention.yaml, ligne 7 : « : » inattendu" in proc.stderr


def test_a_mistyped_inputs_columns_header_is_refused_not_ignored(tmp_path):
    """A typo in inputs.columns would leave a column out and change the amounts silently."""
    folder = _copy(tmp_path)
    _edit(folder, '"Brut soumis": brut', '"Brut soumi": brut')  # a required column: the header is not found
    proc = run_cli("check", folder)
    assert proc.returncode == 2
    assert (
        "inputs.columns déclare « Brut soumi » pour brut, introuvable (en-têtes proches : « Brut soumis »)"
        in proc.stderr
    )
    _edit(folder, '"Brut soumi": brut', '"Brut soumis": brut, "Nom et prénom": nom')  # an optional one: left out
    proc = run_cli("check", folder)
    assert proc.returncode == 2
    assert "clé « inputs.columns.Nom et prénom » : en-tête « Nom et prénom » introuvable" in proc.stderr
    assert "en-têtes proches : « Nom Prénom »" in proc.stderr


def test_two_identical_headers_are_told_apart_by_their_letter(tmp_path):
    folder = _copy(tmp_path)
    path = folder / "grand_livre.csv"
    text = path.read_bytes().decode("cp1252")
    path.write_bytes(text.replace(";Libellé;Débit;", ";Débit;Débit;").encode("cp1252"))
    proc = run_cli("check", folder)
    assert (
        proc.returncode == 2
        and "deux colonnes pour « debit » : « Débit » (colonne E) et « Débit » (colonne F)" in proc.stderr
    )
    assert 'columns: {"colonne E": debit}' in proc.stderr
    _edit(
        folder,
        '"Part patronale totale": charges_patronales',
        '"Part patronale totale": charges_patronales, "colonne F": debit',
    )
    proc = run_cli("check", folder)
    assert proc.returncode == 0, proc.stderr
    assert "debit ← « Débit »" in proc.stdout and "colonnes ignorées : « Débit »" in proc.stdout


def test_the_sheet_to_read_is_chosen_and_other_sheets_are_noted(tmp_path):
    from openpyxl import load_workbook

    folder = _copy(tmp_path)
    book = load_workbook(folder / "export_paie.xlsx")
    earlier = book.copy_worksheet(book["Export"])
    earlier.title = "Export 2024"
    book.move_sheet(earlier, offset=-1)
    book.save(folder / "export_paie.xlsx")
    proc = run_cli("check", folder)
    assert (
        proc.returncode == 0
        and "feuille « Export 2024 » lue ; d'autres feuilles ont aussi un en-tête (« Export »)" in proc.stdout
    )
    _edit(folder, "  payroll: export_paie.xlsx", "  payroll: export_paie.xlsx\n  sheets: {payroll: Export}")
    proc = run_cli("check", folder)
    assert proc.returncode == 0 and "feuille « Export », en-tête ligne 4" in proc.stdout
    _edit(folder, "sheets: {payroll: Export}", "sheets: {payroll: Export 2026}")
    proc = run_cli("check", folder)
    assert proc.returncode == 2 and "feuille « Export 2026 » introuvable (inputs.sheets)" in proc.stderr
