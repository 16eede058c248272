"""Broken conventions and files, table-driven, through the real notebook on one warm kernel.

Each bad input gives an InputError (exit code 2 on the command line, see test_cli.py) whose
message names the file and, where they exist, the sheet, row, column or key, and no report is
written; or, where SPEC says the row is rejected, a FORMAT rejection of that row.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook

from pexaudit.errors import InputError
from pexaudit.run.execute import Kernel, run_audit

from .conftest import BASE_CONVENTION, EXPENSES_HEADER, PAYROLL_HEADER, SAMPLE, deep_merge

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel():
    k = Kernel()
    yield k
    k.shutdown()


def write_folder(root: Path, changes=None, payroll=None, expenses=None, files: dict | None = None) -> Path:
    """A convention folder; ``files`` overrides any file with bytes or text."""
    folder = root / "conv"
    folder.mkdir()
    data = deep_merge(BASE_CONVENTION, changes or {})
    (folder / "convention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    (folder / "paie.csv").write_text(
        "\n".join([PAYROLL_HEADER, *(payroll or ["A1;03/2024;1000;400;0"])]) + "\n", encoding="utf-8"
    )
    (folder / "depenses.csv").write_text("\n".join([EXPENSES_HEADER, *(expenses or [])]) + "\n", encoding="utf-8")
    for name, content in (files or {}).items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def workbook(rows: list[list], merges: tuple[str, ...] = (), title: str = "Paie") -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt("secret", out)
    return out.getvalue()


PAY_ROWS = [["matricule", "periode", "brut", "charges_patronales"], ["A1", "03/2024", 1000, 400]]
XLSX = {"inputs": {"payroll": "paie.xlsx"}}


def yaml_text(text: str) -> dict:
    return {"convention.yaml": text}


BAD = [
    # (id, changes, files, fragments of the message)
    ("missing-key", {"subsidy": {"amount": None}}, {}, ["convention.yaml", "subsidy.amount"]),
    ("mistyped-key", None, {"convention.yaml": yaml.safe_dump({**BASE_CONVENTION, "budjet": []} | {"budget": None})},
     ["convention.yaml", "budjet", "budget"]),
    ("dates-reversed", {"period": {"start": "2024-12-31", "end": "2024-01-01"}}, {}, ["convention.yaml", "period.end", "précède"]),
    ("negative-budget", {"budget": [{"line": "personnel", "kind": "personnel", "amount": 100}, {"line": "gestion", "kind": "management", "amount": -1}]},
     {}, ["convention.yaml", "budget, 2e ligne, amount", "positif"]),
    ("duplicate-staff", {"staff": [{"employee_id": "A1"}, {"employee_id": "A1"}]}, {}, ["staff, 2e agent, employee_id", "en double"]),
    ("not-a-mapping", None, yaml_text("- id: x\n"), ["convention.yaml", "table de clés"]),
    ("yaml-syntax", None, yaml_text("id: x\nperiod: {start: 2024-01-01\n"), ["convention.yaml", "accolade non fermée", "ligne 3"]),
    ("path-escapes", {"inputs": {"payroll": "../../../etc/passwd"}}, {}, ["inputs.payroll", "dossier de la convention"]),
    ("missing-column", None, {"depenses.csv": "Export\npiece;date;fournisseur;ligne\nF1;01/02/2024;A;gestion\n"},
     ["depenses.csv", "ligne 2", "colonne « montant »"]),
    ("missing-file", {"inputs": {"expenses": "absent.csv"}}, {}, ["absent.csv", "introuvable"]),
    ("empty-file", None, {"paie.csv": b""}, ["paie.csv", "fichier vide"]),
    ("title-only", None, {"paie.csv": "Paie 2024\n"}, ["paie.csv", "colonne « matricule, periode, brut, charges_patronales »"]),
    ("corrupt-xlsx", XLSX, {"paie.xlsx": workbook(PAY_ROWS)[:900]}, ["paie.xlsx", "corrompu"]),
    ("password-xlsx", XLSX, {"paie.xlsx": encrypted(workbook(PAY_ROWS))}, ["paie.xlsx", "mot de passe"]),
    ("old-xls", {"inputs": {"payroll": "paie.xls"}}, {"paie.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000},
     ["paie.xls", ".xls"]),
    ("ods", {"inputs": {"payroll": "paie.ods"}}, {"paie.ods": b"PK\x03\x04"}, ["paie.ods", "non pris en charge"]),
    ("binary-csv", None, {"paie.csv": b"%PDF-1.4\n\x00\x01\x02\x00\xff binary \x00\x00\x10"}, ["paie.csv", "binaire"]),
    ("merged-header-hides-column", XLSX,
     {"paie.xlsx": workbook([["matricule", "periode", "Montants", None], ["A1", "03/2024", 1000, 400]], merges=("C1:D1",))},
     ["paie.xlsx", "feuille « Paie »", "brut, charges_patronales"]),
]  # fmt: skip


@pytest.mark.parametrize(("changes", "files", "fragments"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_is_named_and_writes_nothing(tmp_path, kernel, changes, files, fragments):
    folder = write_folder(tmp_path, changes, files=files)
    out = tmp_path / "out"
    with pytest.raises(InputError) as info:
        run_audit(folder, out, kernel=kernel)
    for fragment in fragments:
        assert fragment in info.value.message, info.value.message
    assert not out.exists() or not list(out.iterdir())  # no report, no results.json, no partial folder


# Inputs that are awkward but readable: the audit runs, and rows are rejected only where SPEC says.
def test_header_only_files_give_an_empty_audit(tmp_path, kernel):
    folder = write_folder(tmp_path, files={"paie.csv": PAYROLL_HEADER + "\n", "depenses.csv": EXPENSES_HEADER + "\n"})
    run = run_audit(folder, tmp_path / "out", kernel=kernel)
    results = json.loads(run.results_path.read_text(encoding="utf-8"))
    assert results["rows"] == [] and results["totals"]["eligible"] == 0.0
    assert results["settlement"]["outcome"] == "reversement"


def test_utf16_csv_from_excel_unicode_text(tmp_path, kernel):
    text = "matricule\tnom\tpériode\tbrut\tcharges patronales\r\nA1\tHélène\tmars 2024\t1 000,00\t400,00\r\n"
    folder = write_folder(tmp_path, files={"paie.csv": text.encode("utf-16")})
    run = run_audit(folder, tmp_path / "out", kernel=kernel)
    rows = json.loads(run.results_path.read_text(encoding="utf-8"))["rows"]
    assert [(r["row"], r["eligible_amount"], r["rules"]) for r in rows] == [(2, 1400.0, [])]


def test_two_level_merged_header_is_read(tmp_path, kernel):
    rows = [
        ["Paie 2024"],
        ["matricule", "periode", "Montants", None, "code"],
        [None, None, "brut", "charges patronales", None],
        ["A1", "03/2024", 1000, 400, "P1"],
    ]
    folder = write_folder(
        tmp_path, XLSX, files={"paie.xlsx": workbook(rows, merges=("A2:A3", "B2:B3", "C2:D2", "E2:E3"))}
    )
    run = run_audit(folder, tmp_path / "out", kernel=kernel)
    result = json.loads(run.results_path.read_text(encoding="utf-8"))["rows"]
    assert [(r["sheet"], r["row"], r["amount"], r["rules"]) for r in result] == [("Paie", 4, 1400.0, [])]


def test_formula_without_cached_value_is_a_format_rejection(tmp_path, kernel):
    rows = [PAY_ROWS[0], ["A1", "03/2024", "=500*2", 400], ["A1", "04/2024", 1000, 400]]
    folder = write_folder(tmp_path, XLSX, files={"paie.xlsx": workbook(rows)})
    run = run_audit(folder, tmp_path / "out", kernel=kernel)
    result = json.loads(run.results_path.read_text(encoding="utf-8"))["rows"]
    assert [r["rules"] for r in result] == [["FORMAT"], []]
    assert result[0]["reasons"] == ["brut illisible « =500*2 : formule sans valeur calculée »"]


def test_dates_as_serials_and_text_in_one_column(tmp_path, kernel):
    rows = [
        ["piece", "date", "date_paiement", "fournisseur", "ligne", "montant"],
        ["F1", 45352, dt.datetime(2024, 3, 20), "A", "gestion", 10],  # serial number cell
        ["F2", "01/03/2024", "2024-03-20", "A", "gestion", 20],  # French text, ISO text
        ["F3", dt.datetime(2024, 3, 1), "45371", "A", "gestion", 30],  # date cell, serial as text
    ]
    folder = write_folder(tmp_path, {"inputs": {"expenses": "depenses.xlsx"}}, files={"depenses.xlsx": workbook(rows)})
    run = run_audit(folder, tmp_path / "out", kernel=kernel)
    result = [r for r in json.loads(run.results_path.read_text(encoding="utf-8"))["rows"] if r["source"] == "expenses"]
    assert [(r["eligible_amount"], r["rules"]) for r in result] == [(10.0, []), (20.0, []), (30.0, [])]


def test_a_failed_rerun_leaves_the_previous_report_untouched(tmp_path, kernel):
    folder = tmp_path / "conv"
    shutil.copytree(SAMPLE, folder)
    first = run_audit(folder, tmp_path / "out", kernel=kernel)
    before = first.results_path.read_bytes()
    (folder / "paie.xlsx").write_bytes(b"PK\x03\x04 broken")
    with pytest.raises(InputError):
        run_audit(folder, tmp_path / "out", kernel=kernel)
    assert first.results_path.read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cd35-2024-pex"]
