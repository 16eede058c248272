"""A FEC row in the documents (issue 16 items 2 and 4): the report and the workbook say which
bank entry paid it; the rows a finding names (DOUBLON_PROBABLE) are offered to the auditor in
the Décisions sheet and the workbench."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import openpyxl
import pytest

from pexaudit import notebook as nb
from pexaudit.inputs.decisions import read_xlsx_decisions
from pexaudit.model.bilan import RowList, build
from pexaudit.render.report import section_html
from pexaudit.render.workbook import write_workbook
from pexaudit.workbench import EXAMINE_HEADERS, simulate, to_examine_table

CASES = Path(__file__).parent / "cases"
FEC_BANQUE = CASES / "fec-banque"
FEC = "987654321FEC20241231.txt"


@pytest.fixture(scope="module")
def bilan(audited):
    return build(audited(FEC_BANQUE))


def _views(b):
    rows = b.audit.rows
    return {v.row: v for v in RowList(rows[rows["source"] == "expenses"], 0, b.rejected.line_labels).views()}


def test_a_fec_row_says_which_entry_paid_it(bilan):
    views = _views(bilan)
    assert views[2].payment == "payée le 20/03/2024 par l'écriture BQ 1 (banque)"
    assert (views[2].payment_source, views[2].payment_journal, views[2].payment_entry) == ("banque", "BQ", "1")
    assert (views[2].journal, views[2].entry) == ("HA", "1")
    assert views[18].payment == "payée le 12/06/2024 par l'écriture BQ 4 (comptant)"
    assert views[14].payment.startswith("payée le 25/05/2024 selon le lettrage de l'écriture HA 3")
    assert views[20].payment.startswith("aucun paiement trouvé") and views[20].paid_on is None


def test_an_ordinary_row_has_no_payment_sentence(audited):
    b = build(audited(CASES / "gironde-mi-temps"))
    assert all(v.payment is None and v.journal is None for v in b.rejected)


def test_the_report_shows_the_payment_of_fec_rows(bilan):
    rejected = section_html("rejets", bilan)
    assert "aucun paiement trouvé (ni banque, ni caisse, ni lettrage daté)" in rejected  # FA-140, PAIEMENT
    gestion = section_html("gestion", bilan)
    assert "payée le 20/03/2024 par l&#39;écriture BQ 1 (banque)" in gestion
    assert "Source et paiement" in gestion


def test_the_gestion_sheet_has_the_payment_columns_of_a_fec(bilan, tmp_path):
    path = tmp_path / "b.xlsx"
    write_workbook(bilan, path)
    sheet = openpyxl.load_workbook(path)["Gestion"]
    header = [c.value for c in sheet[1]]
    assert "Feuille" not in header
    at = {name: header.index(name) for name in ("Ligne", "Payée par", "Journal du paiement", "Écriture du paiement")}
    paid = {
        row[at["Ligne"]].value: tuple(
            row[at[k]].value for k in ("Payée par", "Journal du paiement", "Écriture du paiement")
        )
        for row in sheet.iter_rows(min_row=2)
        if row[0].value == "dépense"
    }
    assert paid[2] == ("banque", "BQ", "1") and paid[18] == ("comptant", "BQ", "4")
    assert paid[14] == ("date de lettrage", "HA", "3") and paid[20] == (None, None, None)


def test_the_decisions_sheet_offers_the_rows_of_a_probable_duplicate(bilan, tmp_path):
    path = tmp_path / "b.xlsx"
    write_workbook(bilan, path)
    sheet = openpyxl.load_workbook(path)["Décisions"]
    header = [c.value for c in sheet[1]]
    assert header[-1] == "Constat"
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2) if any(c.value for c in row)]
    rejected = len(bilan.rejected)
    offered = rows[rejected : rejected + 2]
    assert [(r[0], r[2], r[-1]) for r in offered] == [(FEC, 2, "DOUBLON_PROBABLE (groupe 1)"),
                                                      (FEC, 6, "DOUBLON_PROBABLE (groupe 1)")]  # fmt: skip
    assert f"{FEC}!!6" in offered[0][header.index("Motifs")]
    assert all(r[header.index("Décision")] is None for r in offered)
    # read back as decisions.xlsx: the offered rows are undecided until the auditor fills them
    assert read_xlsx_decisions(path).rows == ()
    decision = header.index("Décision") + 1
    sheet.cell(rejected + 3, decision, "rejeter")  # the second row of the group: the duplicate
    sheet.cell(rejected + 3, header.index("Règle") + 1, "DOUBLON")
    sheet.cell(rejected + 3, header.index("Motif") + 1, "Même facture payée deux fois")
    book = sheet.parent
    book.save(tmp_path / "decisions.xlsx")
    (decided,) = read_xlsx_decisions(tmp_path / "decisions.xlsx").rows
    assert (decided.ref, decided.decision, decided.rule) == (f"{FEC}!!6", "reject", "DOUBLON")


def test_the_workbench_lists_the_rows_to_examine_and_a_decision_takes_them_out(bilan):
    table = nb.to_examine(bilan)
    assert list(table.frame.columns) == EXAMINE_HEADERS
    assert table.frame["ref"].tolist() == [f"{FEC}!!2", f"{FEC}!!6"]
    assert table.caption.startswith("2 lignes à examiner, en 1 groupe")
    assert to_examine_table(bilan, "DOUBLON_PROBABLE").equals(table.frame)
    from pexaudit.inputs.decisions import Decision

    after = simulate(bilan, [Decision(f"{FEC}!!6", "reject", "Même facture payée deux fois", rule="DOUBLON")])
    assert len(nb.to_examine(after)) == 0 and "Aucune ligne à examiner" in nb.to_examine(after).caption


def test_decisions_sheet_without_findings_refs_is_as_before(audited, tmp_path):
    b = build(audited(CASES / "gironde-mi-temps"))
    assert b.to_examine == ()
    write_workbook(b, tmp_path / "b.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "b.xlsx")["Décisions"]
    assert all(row[-1].value is None for row in sheet.iter_rows(min_row=2))


@pytest.mark.parametrize(
    ("copies", "text"),
    [
        (2, "X!!1"),
        (6, "X!!1, X!!2, X!!3, X!!4, X!!5"),
        (7, "X!!1, X!!2, X!!3, X!!4, X!!5 et 1 autre"),
        (1001, "X!!1, X!!2, X!!3, X!!4, X!!5 et 995 autres"),
    ],
)
def test_a_large_group_names_five_other_rows_then_counts_the_rest(bilan, copies, text):
    """A replicated invoice can make a group of a thousand rows: each row names five of the others
    (an Excel cell holds 32 767 characters), the same words in the workbench and the workbook."""
    e = bilan.to_examine[0]
    refs = (e.row.ref, *(f"X!!{i}" for i in range(1, copies)))
    big = dataclasses.replace(e, refs=refs)
    assert big.others_text == text
