"""bilan_financier.xlsx: live formulas whose computed values equal results.json; text stays text."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import formulas
import openpyxl
import pytest

from pexaudit.core.audit import audit, results
from pexaudit.core.registry import FAILING_RULES
from pexaudit.model.bilan import build
from pexaudit.render.workbook import write_workbook
from pexaudit.vocabulary import SHEETS as SHEET_NAMES

from .conftest import SAMPLE

SHEETS = list(SHEET_NAMES.values())

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "convention.yaml").is_file())


def evaluate(path: Path) -> dict[tuple[str, str], object]:
    """Every cell's computed value, keyed by (SHEET NAME, A1), as a spreadsheet would show it."""
    solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    values = {}
    for key, value in solution.items():
        match = re.fullmatch(r"'\[[^\]]+\](.+)'!([A-Z]+\d+)", key)
        if match:
            values[(match.group(1), match.group(2))] = value.value[0][0]
    return values


@pytest.fixture(scope="module", params=[SAMPLE, *CASES], ids=lambda p: p.name)
def workbook(request, audited, tmp_path_factory):
    a = audited(request.param)
    path = tmp_path_factory.mktemp("wb") / "bilan_financier.xlsx"
    write_workbook(build(a), path)
    return results(a), path, evaluate(path)


def money(value) -> float:
    return round(float(value), 2)


def test_sheets_and_layout(workbook):
    _, path, _ = workbook
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS
    for name in ("Personnel", "Gestion", "Dépenses écartées", "Constats"):
        assert wb[name].freeze_panes == "A2"
        assert wb[name].auto_filter.ref
    assert "€" in wb["Budget"]["D2"].number_format


def test_budget_formulas_equal_results(workbook):
    res, path, values = workbook
    sheet = openpyxl.load_workbook(path)["Budget"]
    for index, line in enumerate(res["lines"], start=2):
        assert sheet[f"A{index}"].value == line["line"]
        assert str(sheet[f"E{index}"].value).startswith("=SUMIFS(")
        assert money(values[("BUDGET", f"E{index}")]) == line["declared"]
        assert money(values[("BUDGET", f"H{index}")]) == line["eligible"]
        assert money(values[("BUDGET", f"I{index}")]) == round(sum(line["rejected"].values()), 2)
        assert money(values[("BUDGET", f"J{index}")]) == line["variance"]
        pct = values[("BUDGET", f"K{index}")]
        assert (None if pct == "" else money(pct)) == line["variance_pct"]
    total = len(res["lines"]) + 2
    assert sheet[f"A{total}"].value == "Total"
    for col, key in (("D", "budget"), ("E", "declared"), ("H", "eligible"), ("I", "rejected")):
        assert money(values[("BUDGET", f"{col}{total}")]) == res["totals"][key]


def test_settlement_formulas_equal_results(workbook):
    res, path, values = workbook
    sheet = openpyxl.load_workbook(path)["Synthèse"]
    rows = {sheet[f"A{r}"].value: r for r in range(1, sheet.max_row + 1)}
    s = res["settlement"]
    assert money(values[("SYNTHÈSE", f"B{rows['Montant justifié']}")]) == s["justified"]
    assert money(values[("SYNTHÈSE", f"B{rows['Total versé (art. 6)']}")]) == s["paid"]
    assert money(values[("SYNTHÈSE", f"B{rows['Solde (justifié − versé)']}")]) == s["balance"]
    assert money(values[("SYNTHÈSE", f"B{rows['Montant à verser ou à reverser']}")]) == s["amount"]
    assert sheet[f"B{rows['Montant justifié']}"].value.startswith("=MAX(0,MIN(")


def test_rejected_sheet_total_equals_results(workbook):
    """Dépenses écartées holds the rejected rows (SPEC 12), whose total is what the lines book
    under the failing rules; Quotes-parts adds the shares and cuts up to declared − eligible."""
    res, path, values = workbook
    book = openpyxl.load_workbook(path)
    sheet = book["Dépenses écartées"]
    last = sheet.max_row
    assert sheet[f"A{last}"].value == "Total"
    booked = sum(v for line in res["lines"] for r, v in line["rejected"].items() if r in FAILING_RULES)
    assert money(values[("DÉPENSES ÉCARTÉES", f"H{last}")]) == round(booked, 2)
    shares = book["Quotes-parts"]
    apart = sum(v for line in res["lines"] for r, v in line["rejected"].items() if r not in FAILING_RULES)
    total_row = next(r for r in range(2, shares.max_row + 1) if shares[f"A{r}"].value == "Total")
    assert money(values[("QUOTES-PARTS", f"H{total_row}")]) == round(apart, 2)
    assert money(values[("QUOTES-PARTS", f"H{shares.max_row}")]) == res["totals"]["rejected"]


HOSTILE = ['=HYPERLINK("http://x","clic")', "+33 1 23", "-2+3", "@SUM(A1)", "=1+1"]


def test_formula_like_labels_stay_text(make_convention, checker, tmp_path):
    expenses = [f"F{i};10/03/2024;20/03/2024;{label};gestion;10;;P1" for i, label in enumerate(HOSTILE)]
    expenses.append("=cmd|' /C calc'!A0;10/03/2024;20/03/2024;A;gestion;5;;P1")
    a = audit(make_convention(expenses=expenses, payroll=["A1;03/2024;1;1;0"]), checker)
    path = tmp_path / "b.xlsx"
    write_workbook(build(a), path)
    sheet = openpyxl.load_workbook(path)["Gestion"]
    suppliers = [sheet[f"H{r}"].value for r in range(2, 2 + len(HOSTILE))]
    assert suppliers == HOSTILE
    for r in range(2, 2 + len(HOSTILE)):
        assert sheet[f"H{r}"].data_type == "s"
    assert sheet[f"E{2 + len(HOSTILE)}"].value == "=cmd|' /C calc'!A0"
    assert sheet[f"E{2 + len(HOSTILE)}"].data_type == "s"


@pytest.mark.slow
def test_libreoffice_opens_the_workbook_and_computes_the_same_figures(workbook, tmp_path, request):
    """A real spreadsheet program (LibreOffice Calc, headless) recalculates every formula."""
    import csv
    import shutil
    import subprocess

    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Calc is missing: `make test` installs it (make apps)"
    res, path, _ = workbook
    shutil.copy(path, tmp_path / "b.xlsx")
    # CSV of every sheet (-1), formulas recalculated, values unformatted
    options = "44,34,76,1,,0,false,true,false,false,false,-1"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--calc",
         "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}", "--outdir", str(tmp_path), str(tmp_path / "b.xlsx")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sheets = {p.stem.split("-", 1)[1]: list(csv.reader(p.open(encoding="utf-8"))) for p in tmp_path.glob("b-*.csv")}
    assert set(sheets) == set(SHEETS)
    budget = {row[0]: row for row in sheets["Budget"][1:] if row and row[0]}
    for line in res["lines"]:
        row = budget[line["line"]]
        assert (money(row[4]), money(row[7]), money(row[9])) == (line["declared"], line["eligible"], line["variance"])
    synthese = {row[0]: row[1] for row in sheets["Synthèse"] if row}
    s = res["settlement"]
    assert money(synthese["Montant justifié"]) == s["justified"]
    assert money(synthese["Solde (justifié − versé)"]) == s["balance"]
    assert money(synthese["Montant à verser ou à reverser"]) == s["amount"]


# --- the round trip of SPEC 9: fill the Décisions sheets, save as decisions.xlsx, run again ---

DEFINITIF = SAMPLE.parent / "cd35-2024-definitif"


def _fill(path: Path, out: Path) -> Path:
    """Take the definitive sample's decisions (data/README.md) in the workbook, as an auditor would."""
    wb = openpyxl.load_workbook(path)
    sheet = wb["Décisions"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header}
    by_ref = {(sheet.cell(r, 1).value, sheet.cell(r, 3).value): r for r in range(2, sheet.max_row + 1)}
    choices = {
        ("depenses.xlsx", 10): ("accepter", None, None, "Remboursement de la Ville de Rennes produit"),
        ("paie.xlsx", 10): ("partiel", 1867.45, "DOUBLON", "Rappel de salaire justifié pour moitié"),
        ("paie.xlsx", 18): ("Accepter", None, None, "Heures supplémentaires de décembre"),
        ("depenses.xlsx", 18): ("rejeter", None, "NATURE", "Hors budget"),
    }
    for key, (decision, amount, rule, motive) in choices.items():
        r = by_ref[key]
        for name, value in (("Décision", decision), ("Montant retenu", amount), ("Règle", rule), ("Motif", motive)):
            sheet.cell(r, col[name], value)
    procedure = wb["Procédure"]
    procedure["B1"], procedure["B2"] = "définitif", "DDETS d'Ille-et-Vilaine"
    procedure["B3"], procedure["B5"] = dt.datetime(2025, 3, 14), dt.datetime(2025, 4, 8)
    explanations = wb["Explications"]
    assert explanations["A2"].value == "gestion" and explanations["H2"].value.startswith("Réalisé éligible")
    explanations["G2"] = "Poste pourvu au 1er février ; moyens fournis par le Département."
    wb.save(out)
    return out


def test_decision_sheets_are_prefilled_with_drop_downs(checker, tmp_path):
    a = audit(DEFINITIF, checker)
    write_workbook(build(a), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    sheet = wb["Décisions"]
    header = [c.value for c in sheet[1]]
    assert header[10:14] == ["Décision", "Montant retenu", "Règle", "Motif"]  # K to N: the drop-downs below
    # The rule of a finding that names the row (DOUBLON_PROBABLE), then the mission of an accepted action.
    assert header[14:] == ["Constat", "Mission"]
    prefilled = {
        (sheet[f"A{r}"].value, sheet[f"C{r}"].value): sheet[f"K{r}"].value for r in range(2, sheet.max_row + 1)
    }
    assert prefilled[("depenses.xlsx", 10)] == "accepter" and prefilled[("paie.xlsx", 10)] == "partiel"
    assert prefilled[("depenses.xlsx", 7)] is None  # listed (it lost money), not decided
    assert sheet["J2"].value == 2138.87  # largest stake first: the PROJET pay
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists["K2"] == '"accepter,rejeter,partiel"'
    assert lists["M2"] == '"FORMAT,DOUBLON,PIECE,PERIODE,PAIEMENT,PAYEUR,PROJET,NATURE,EXCLUE"'
    assert lists["P2"] == '"coordination,ccapex_locales,formation,relogement,donnees"'  # the declared missions
    # the action read hors mission (data/README.md), named by date and mission as written, undecided
    action = next(r for r in range(2, sheet.max_row + 1) if sheet[f"A{r}"].value == "activite.xlsx")
    assert [sheet[f"{c}{action}"].value for c in "CHK"] == [19, "hors mission", None]
    assert sheet[f"E{action}"].value.startswith("action du ") and sheet[f"F{action}"].value is None
    assert [r[0].value for r in wb["Procédure"].iter_rows()] == [
        "phase", "contrôleur", "observations envoyées le", "délai de réponse (jours)", "réponse reçue le",
    ]  # fmt: skip
    assert wb["Procédure"]["B1"].value == "définitif"
    assert wb["Explications"]["G2"].value.startswith("Le poste n'a été pourvu")


def _round_trip(checker, tmp_path: Path, filled: Path) -> tuple[dict, dict]:
    folder = tmp_path / "conv"
    shutil.copytree(SAMPLE, folder)
    shutil.copy(filled, folder / "decisions.xlsx")
    again = results(audit(folder, checker))
    wanted = results(audit(DEFINITIF, checker))
    return again, wanted


def _same_outcome(again: dict, wanted: dict) -> None:
    for key in ("totals", "settlement", "verdict"):
        assert again[key] == wanted[key], key
    assert [(li["line"], li["eligible"], li["rejected"]) for li in again["lines"]] == [
        (li["line"], li["eligible"], li["rejected"]) for li in wanted["lines"]
    ]
    assert next(li for li in again["lines"] if li["line"] == "gestion")["explanation_source"] == "beneficiaire"
    assert {(p, again["procedure"][p]) for p in ("phase", "observations_sent", "response_received")} == {
        ("phase", "definitif"), ("observations_sent", "2025-03-14"), ("response_received", "2025-04-08"),
    }  # fmt: skip
    decided = {(r["file"], r["row"]): r["decision"]["decision"] for r in again["rows"] if r["decision"]}
    assert decided == {("depenses.xlsx", 10): "accept", ("paie.xlsx", 10): "partial", ("paie.xlsx", 18): "accept",
                       ("depenses.xlsx", 18): "reject"}  # fmt: skip
    assert again["inputs"][-1]["role"] == "decisions" and again["inputs"][-1]["path"] == "decisions.xlsx"


def test_filled_workbook_saved_as_decisions_xlsx_applies_the_decisions(checker, tmp_path):
    a = audit(SAMPLE, checker)
    write_workbook(build(a), tmp_path / "bilan_financier.xlsx")
    filled = _fill(tmp_path / "bilan_financier.xlsx", tmp_path / "rempli.xlsx")
    again, wanted = _round_trip(checker, tmp_path, filled)
    _same_outcome(again, wanted)


@pytest.mark.slow
def test_round_trip_through_libreoffice(checker, tmp_path):
    """The auditor fills the workbook and saves it with LibreOffice Calc: the decisions still apply."""
    import subprocess

    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Calc is missing: `make test` installs it (make apps)"
    write_workbook(build(audit(SAMPLE, checker)), tmp_path / "bilan_financier.xlsx")
    filled = _fill(tmp_path / "bilan_financier.xlsx", tmp_path / "rempli.xlsx")
    saved = tmp_path / "calc"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--calc",
         "--convert-to", "xlsx", "--outdir", str(saved), str(filled)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    again, wanted = _round_trip(checker, tmp_path, saved / "rempli.xlsx")
    _same_outcome(again, wanted)


def _parts(path: Path) -> dict[str, bytes]:
    import zipfile

    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_the_workbook_written_by_a_forked_writer_is_the_one_written_in_line(audited, tmp_path):
    """A large ledger's workbook is written beside the cells (notebook.CONCURRENT_ROWS): the same
    bytes, and ``finish`` waits for them."""
    from pexaudit import notebook as nb

    b = build(audited(SAMPLE))
    nb.write_outputs(b, tmp_path / "inline", concurrent=False)
    nb.write_outputs(b, tmp_path / "forked", concurrent=True)
    nb.write_outputs(b, tmp_path / "forked", concurrent=True)  # the first cell run again at once
    assert len(nb._WRITING) == 1  # the first writer was waited for: never two on one file
    nb.finish()
    assert _parts(tmp_path / "forked" / "bilan_financier.xlsx") == _parts(tmp_path / "inline" / "bilan_financier.xlsx")
    for name in ("results.json", "courrier.docx"):
        assert (tmp_path / "forked" / name).is_file()


def test_a_forked_writer_that_fails_fails_the_run(audited, tmp_path):
    from pexaudit import notebook as nb

    b = build(audited(SAMPLE))
    (tmp_path / "bilan_financier.xlsx").mkdir()  # the workbook cannot be written there
    nb.write_outputs(b, tmp_path, concurrent=True)
    with pytest.raises(RuntimeError, match=r"bilan_financier\.xlsx a échoué"):
        nb.finish()
    nb.finish()  # nothing left to wait for


def test_finish_says_where_the_documents_are(audited, tmp_path, capsys):
    from pexaudit import notebook as nb

    nb.write_outputs(build(audited(SAMPLE)), tmp_path, concurrent=False)
    nb.finish()
    assert capsys.readouterr().out == f"Écrits dans {tmp_path} : results.json, bilan_financier.xlsx, courrier.docx\n"
    nb.finish()
    assert capsys.readouterr().out == ""
