"""SPEC 12: every document tells the same audit.

For each committed convention and for conventions built to stress it (a definitive phase with
every kind of decision, a payroll export naming its employees in total rows), the report, the
workbook, the letter and results.json agree on the rejected rows (which, how many, their total),
the shares and cuts apart, the decision labels, the settlement; no name reaches the HTML.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from pexaudit import notebook as nb
from pexaudit.core.audit import audit, results
from pexaudit.core.registry import FAILING_RULES
from pexaudit.fmt import eur
from pexaudit.model.bilan import build
from pexaudit.render.report import render_all
from pexaudit.vocabulary import DECISION_LABELS, SHEETS

from .conftest import ROOT, SAMPLE

FOLDERS = [SAMPLE, SAMPLE.parent / "cd35-2024-definitif",
           *sorted(p for p in (ROOT / "tests" / "cases").iterdir() if (p / "convention.yaml").is_file())]  # fmt: skip


def rejected_in_results(res: dict) -> list[tuple]:
    """results.json's rejected rows (SPEC 12), read from the contract alone: after decisions, a
    row failing a rule without an accept, or carrying a reject or partial; with its amount
    rejected (a partial: its cost minus the amount retained)."""
    out = []
    for r in res["rows"]:
        d = r.get("decision")
        failing = any(rule in FAILING_RULES for rule in r["rules"])
        if d and d["decision"] == "accept":
            continue
        if not (failing or (d and d["decision"] in ("reject", "partial"))):
            continue
        kept = d["amount"] if d and d["decision"] == "partial" else r["eligible_amount"]
        out.append((r["file"], r["sheet"], r["row"], Decimal(str(r["amount"])) - Decimal(str(kept))))
    return out


def workbook_rows(path: Path, sheet: str) -> list[list]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    return [r for r in rows[1:] if r and r[0] != "Total"]


def letter_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [" | ".join(c.text for c in row.cells) for t in doc.tables for row in t.rows]
    return "\n".join(parts).replace("\u00a0", " ")


def documents(a, tmp_path):
    b = build(a)
    nb.write_outputs(b, tmp_path)
    return b, results(a), render_all(b), tmp_path / "bilan_financier.xlsx", letter_text(tmp_path / "courrier.docx")


def check_agreement(a, tmp_path):
    b, res, html, xlsx, letter = documents(a, tmp_path)
    # the one list of rejected rows, in results.json, the model, the workbook
    listed = rejected_in_results(res)
    assert b.rejected.count == len(listed)
    total = sum(x[3] for x in listed)
    assert Decimal(b.rejected.total) / 100 == total
    sheet = workbook_rows(xlsx, SHEETS["rejected"])
    assert len(sheet) == len(listed)
    assert sum(Decimal(str(r[7])) for r in sheet) == total
    assert {(r[1], r[2], r[3]) for r in sheet} == {x[:3] for x in listed}
    # the report and the letter state the same count and total
    count = b.rejected.count
    if count:
        assert f"<strong>{count}</strong> ligne{'s' if count > 1 else ''} écartée" in html
        assert eur(b.rejected.total) in html and eur(b.rejected.total) in letter
        assert f"{count} dépense{'s' if count > 1 else ''}" in letter
    # rejected + shares + cuts = declared − eligible, in the model and in results.json
    h = b.headline
    assert h.rejected + sum(h.shares.values()) + sum(h.cuts.values()) == round(res["totals"]["rejected"] * 100)
    per_rule = {g.rule: g.amount for g in b.rejected_by_rule}
    booked = {}
    for line in res["lines"]:
        for rule, value in line["rejected"].items():
            if rule in FAILING_RULES:
                booked[rule] = booked.get(rule, 0) + round(value * 100)
    assert {k: v for k, v in booked.items() if v or k in per_rule} == {k: v for k, v in per_rule.items()}
    # REJETS: rows and amount after decisions, as the model counts them
    for f in res["findings"]:
        if f["rule"] == "REJETS":
            rule = f["message"].split(" ")[0]
            group = next(g for g in b.rejected_by_rule if g.rule == rule)
            assert f"{group.count} ligne" in f["message"] and round(f["amount"] * 100) == group.amount
    # decision labels: the same words in the report, the workbook and the letter
    labels = {d.label for d in b.decisions}
    assert labels <= set(DECISION_LABELS.values())
    wb_labels = {r[9] for r in sheet if r[9]}
    assert wb_labels <= labels
    for label in labels:
        assert label in html and label.capitalize() in letter
    # the settlement
    s = res["settlement"]
    assert eur(round(s["amount"] * 100)) in html and eur(round(s["amount"] * 100)) in letter
    return b, html, letter


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_document_tells_the_same_audit(folder, audited, tmp_path):
    check_agreement(audited(folder), tmp_path)


NAMES = ("DURAND", "Karim", "LEFEBVRE", "Sophie")


def test_names_in_total_rows_never_reach_the_html_nor_the_letter(make_convention, checker, tmp_path):
    """A payroll export with the employee's name on every row and on its sub-total rows."""
    payroll = [
        "A1;DURAND Karim;01/2024;1000,00;400,00;0",
        "A1;DURAND Karim;02/2024;1000,00;400,00;0",
        ";Sous-total DURAND Karim;;2000,00;800,00;0",
        "A1;DURAND Karim;03/2023;1000,00;400,00;0",
        "B2;LEFEBVRE Sophie;03/2024;900,00;300,00;0",
        ";Sous-total LEFEBVRE Sophie;;950,00;300,00;0",
        ";TOTAL GÉNÉRAL;;4900,00;1900,00;0",
    ]
    folder = make_convention(
        payroll=payroll, payroll_header="matricule;nom;periode;brut;charges_patronales;autres_couts"
    )
    a = audit(folder, checker)
    assert [t.kind for t in a.tables["payroll"].totals] == ["sous-total", "sous-total", "total"]
    _, html, letter = check_agreement(a, tmp_path)
    for name in NAMES:
        assert name not in html and name not in letter, name
    assert any(f.rule == "TOTAL" for f in a.findings)  # the second sub-total is wrong
    assert "sous-total, ligne 7" in html  # named by kind and line


def test_a_definitive_phase_with_every_kind_of_decision(make_convention, checker, tmp_path):
    """accept, reject of a retained row, reject of a rejected row (confirmed), partial: the same
    rows and labels everywhere; an accepted row is in no list of rejected rows."""
    folder = make_convention(
        {
            "staff": [
                {"employee_id": "A1", "allocation": 0.8, "start": "2024-01-01", "ddets_validation_date": "2023-12-01"}
            ]
        },
        payroll=["A1;03/2024;1000,00;400,00;0", "A1;03/2024;1000,00;400,00;0", "Z9;04/2024;500,00;100,00;0"],
        expenses=[
            "F1;10/03/2024;20/03/2024;Papeterie;gestion;100,00;;P1",
            "F2;10/01/2025;20/01/2025;SNCF;gestion;40,00;;P1",
            "F3;10/05/2024;20/05/2024;Traiteur;gestion;300,00;Ville de Rennes;P1",
            "F4;10/06/2024;20/06/2024;Agence;communication;150,00;;P1",
        ],
    )
    (folder / "decisions.yaml").write_text(
        """phase: definitif
procedure: {observations_sent: 2025-03-03, response_received: 2025-03-20}
rows:
  - {ref: "paie.csv!!3", decision: partial, amount: 700, rule: DOUBLON, motive: Rappel justifié pour moitié}
  - {ref: "paie.csv!!4", decision: accept, motive: Remplaçante validée}
  - {ref: "depenses.csv!!2", decision: reject, rule: PROJET, motive: Sans lien}
  - {ref: "depenses.csv!!3", decision: reject, rule: PERIODE, motive: Confirmé}
  - {ref: "depenses.csv!!4", decision: accept, motive: Remboursement produit}
""",
        encoding="utf-8",
    )
    a = audit(folder, checker)
    b, _, letter = check_agreement(a, tmp_path)
    labels = {d.row.ref: d.label for d in b.decisions}
    assert labels == {
        "paie.csv!!3": "retenue en partie", "paie.csv!!4": "admise après examen",
        "depenses.csv!!2": "rejetée après examen", "depenses.csv!!3": "rejet confirmé",
        "depenses.csv!!4": "admise après examen",
    }  # fmt: skip
    refs = {v.ref for v in b.rejected}
    assert "paie.csv!!4" not in refs and "depenses.csv!!4" not in refs  # accepted rows are not rejected
    assert {"paie.csv!!3", "depenses.csv!!2", "depenses.csv!!3", "depenses.csv!!5"} <= refs
    assert "paie.csv!!2" not in refs  # an AFFECTATION share only: shown apart
    assert any(g.rule == "AFFECTATION" for g in b.shares_by_rule)
    assert re.search(r"Notification du solde définitif", letter)
