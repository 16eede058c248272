"""The auditor's decisions (SPEC section 9): reading, checking, effect on the figures, findings.

The hand-computed end-to-end cases are tests/cases/decisions-yaml and decisions-xlsx; the
properties (impact = balance change of a real run) are in test_properties.py; the workbook
round trip in test_workbook.py; the command line in test_cli_decisions.py.
"""

from __future__ import annotations

import json
import shutil
import textwrap
from collections import Counter
from pathlib import Path

import jsonschema
import openpyxl
import pytest
import yaml

from pexaudit.core.audit import audit, results
from pexaudit.errors import InputError
from pexaudit.inputs.decisions import Decision, load_decisions
from pexaudit.inputs.previous import read_previous
from pexaudit.model.bilan import build
from pexaudit.workbench import rejected_rows, simulate

from .conftest import ROOT, SAMPLE

DEFINITIF = ROOT / "data" / "conventions" / "cd35-2024-definitif"
OK_PAY = "A1;03/2024;1000,00;400,00;0"
OK_EXP = "F1;10/03/2024;20/03/2024;Papeterie;gestion;100,00;;P1"


def decide(folder: Path, text: str) -> Path:
    (folder / "decisions.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def run(folder: Path, checker, schema=None) -> dict:
    res = results(audit(folder, checker))
    if schema is not None:
        jsonschema.validate(res, schema)
    return res


def row(res: dict, file: str, number: int) -> dict:
    return next(r for r in res["rows"] if r["file"] == file and r["row"] == number)


def rules_of(res: dict, rule: str) -> list[dict]:
    return [f for f in res["findings"] if f["rule"] == rule]


# --- without a decisions file ---------------------------------------------------------------


def test_without_decisions_the_phase_is_provisional_and_nothing_changes(make_convention, checker, schema):
    res = run(make_convention(payroll=[OK_PAY], expenses=[OK_EXP]), checker, schema)
    assert res["procedure"] == {
        "phase": "provisoire", "auditor": None, "observations_sent": None, "response_days": 30,
        "response_deadline": None, "response_received": None,
    }  # fmt: skip
    assert res["previous"] is None
    assert all(r["decision"] is None for r in res["rows"])
    assert [i["role"] for i in res["inputs"]] == ["convention", "payroll", "expenses"]


def test_the_bundled_sample_keeps_its_figures_and_gets_stakes(checker, schema):
    res = run(SAMPLE, checker, schema)
    assert res["settlement"]["amount"] == 4898.58 and res["settlement"]["max_balance"] == 0.0
    # the PAYEUR room hire: +600,00 € if accepted (cap 4 295,71 € not reached)
    assert row(res, "depenses.xlsx", 10)["impact"] == 600.0
    assert row(res, "depenses.xlsx", 17)["impact"] is None  # FORMAT: amount unreadable
    assert row(res, "paie.xlsx", 4)["impact"] is None  # eligible
    gestion = next(li for li in res["lines"] if li["line"] == "gestion")
    assert gestion["explanation_source"] == "brouillon"
    assert gestion["explanation"].startswith("Réalisé éligible de 2 144,35 € pour un budget de 4 500,00 €")
    assert "600,00 € (payé par un tiers)" in gestion["explanation"]


# --- the effect of each decision -------------------------------------------------------------


def test_accept_counts_the_row_and_keeps_the_trace(make_convention, checker, schema):
    folder = make_convention(
        payroll=[OK_PAY], expenses=[OK_EXP, "F2;10/04/2024;20/04/2024;Traiteur;gestion;300,00;Ville de Rennes;P1"]
    )
    decide(
        folder,
        """
        rows:
          - ref: "depenses.csv!!3"
            decision: accept
            motive: Remboursement produit
            date: 2025-04-20
        """,
    )
    res = run(folder, checker, schema)
    r = row(res, "depenses.csv", 3)
    assert r["eligible_amount"] == 300.0 and r["rules"] == ["PAYEUR"]
    assert r["decision"] == {"decision": "accept", "rule": None, "amount": None, "motive": "Remboursement produit"}
    assert (
        "(depenses.csv, ligne 3) : décision du 20/04/2025 : admise après examen – motif"
        in rules_of(res, "DECISION")[0]["message"]
    )
    assert r["impact"] is None
    assert not rules_of(res, "REJETS")  # an accepted row fails nothing
    (found,) = rules_of(res, "DECISION")
    assert found["severity"] == "info" and found["amount"] == 300.0 and "Remboursement produit" in found["message"]
    assert res["inputs"][-1]["role"] == "decisions" and res["inputs"][-1]["rows"] == 1


def test_accept_keeps_affectation_and_gives_allocation_1_outside_staff(make_convention, checker):
    changes = {"staff": [{"employee_id": "A1", "allocation": 0.8, "start": "2024-01-01",
                          "ddets_validation_date": "2023-12-01"}]}  # fmt: skip
    folder = make_convention(changes, payroll=["A1;01/2025;1000,00;0;0", "Z9;03/2024;500,00;0;0"])
    decide(
        folder,
        """
        rows:
          - {ref: "paie.csv!!2", decision: accept, motive: Heures de décembre payées en janvier}
          - {ref: "paie.csv!!3", decision: accept, motive: Remplaçante}
        """,
    )
    res = run(folder, checker)
    assert row(res, "paie.csv", 2)["eligible_amount"] == 800.0  # 80 %: AFFECTATION keeps 200,00
    assert row(res, "paie.csv", 3)["eligible_amount"] == 500.0  # not in staff: allocation 1
    personnel = res["lines"][0]
    assert personnel["rejected"] == {"AFFECTATION": 200.0}
    assert personnel["eligible"] == 1300.0


def test_accepted_expense_counts_on_its_own_line(make_convention, checker):
    folder = make_convention(
        payroll=[OK_PAY],
        expenses=["F1;10/03/2024;20/03/2024;A;personnel;100,00;;P1", "F2;10/03/2024;20/03/2024;B;communication;50;;P1"],
    )
    decide(
        folder,
        """
        rows:
          - {ref: "depenses.csv!!2", decision: accept, motive: Annonce de recrutement}
          - {ref: "depenses.csv!!3", decision: accept, motive: Affiche}
        """,
    )
    res = run(folder, checker)
    lines = {li["line"]: li for li in res["lines"]}
    assert lines["personnel"]["eligible"] == 1500.0 and lines["personnel"]["rejected"] == {}
    assert lines["hors_budget"]["eligible"] == 50.0 and lines["hors_budget"]["declared"] == 50.0


def test_accept_with_the_amount_read_on_the_voucher(make_convention, checker):
    folder = make_convention(payroll=[OK_PAY], expenses=["F1;10/03/2024;20/03/2024;A;gestion;1 2O4,00;;P1"])
    decide(folder, 'rows: [{ref: "depenses.csv!!2", decision: accept, amount: 120.40, motive: Facture n° 12}]\n')
    res = run(folder, checker)
    r = row(res, "depenses.csv", 2)
    assert (r["amount"], r["eligible_amount"], r["decision"]["amount"]) == (120.4, 120.4, 120.4)
    assert res["lines"][1]["declared"] == 120.4  # the voucher's amount is the row's cost everywhere


def test_reject_books_under_the_rule_or_only_records_the_motive(make_convention, checker, schema):
    folder = make_convention(
        payroll=[OK_PAY],
        expenses=[OK_EXP, "F2;10/01/2025;20/01/2025;B;gestion;40,00;;P2"],
    )
    decide(
        folder,
        """
        rows:
          - {ref: "depenses.csv!!2", decision: reject, rule: NATURE, motive: Sans lien avec l'article 2}
          - {ref: "depenses.csv!!3", decision: reject, rule: NATURE, motive: Confirmé}
        """,
    )
    res = run(folder, checker, schema)
    assert row(res, "depenses.csv", 2)["eligible_amount"] == 0.0 and row(res, "depenses.csv", 2)["rules"] == []
    gestion = res["lines"][1]
    # the clean row under the decision's rule; the rejected one stays under its first rule
    assert gestion["rejected"] == {"PERIODE": 40.0, "NATURE": 100.0}
    # REJETS counts the rows booked under each rule after decisions (SPEC 6): row 3 fails PERIODE
    # and PROJET but is booked under PERIODE, its first failing rule, so PROJET has no REJETS.
    assert Counter(f["message"].split(" ")[0] for f in rules_of(res, "REJETS")) == Counter(["PERIODE", "NATURE"])
    assert [f["amount"] for f in rules_of(res, "DECISION")] == [-100.0, 0.0]
    assert "rejet confirmé (déjà écartée au titre de PERIODE)" in rules_of(res, "DECISION")[1]["message"]


def test_partial_applies_allocation_and_books_the_rest_under_its_rule(make_convention, checker):
    changes = {"staff": [{"employee_id": "A1", "allocation": 0.5, "start": "2024-01-01",
                          "ddets_validation_date": "2023-12-01"}]}  # fmt: skip
    folder = make_convention(changes, payroll=[OK_PAY, OK_PAY])
    decide(folder, 'rows: [{ref: "paie.csv!!3", decision: partial, amount: "500,01", rule: DOUBLON, motive: Rappel}]\n')
    res = run(folder, checker)
    r = row(res, "paie.csv", 3)
    assert r["eligible_amount"] == 250.01  # 500,01 × 50 % = 250,005, half-up
    # SPEC 9: the 500,01 retained is the cost of a row failing no rule, so its AFFECTATION share
    # (500,01 − 250,01 = 250,00) goes under AFFECTATION; only 1 400,00 − 500,01 = 899,99 under DOUBLON
    # (the first row: 700,00 of AFFECTATION).
    assert res["lines"][0]["rejected"] == {"DOUBLON": 899.99, "AFFECTATION": 950.0}


def test_partial_under_the_flat_rate_books_the_retained_amount_as_forfait(make_convention, checker):
    """A partial on a management row under the flat rate: the retained amount is replaced by the
    flat rate like any management row failing nothing (FORFAIT); the rest goes under the rule."""
    changes = {"rules": {"management_costs": {"mode": "flat_rate", "rate": 0.1}}}
    folder = make_convention(changes, payroll=[OK_PAY], expenses=["F1;10/03/2025;20/03/2025;A;gestion;80,00;;P1"])
    decide(
        folder, 'rows: [{ref: "depenses.csv!!2", decision: partial, amount: 30, rule: PERIODE, motive: En partie}]\n'
    )
    res = run(folder, checker)
    assert res["lines"][1]["rejected"] == {"PERIODE": 50.0, "FORFAIT": 30.0}
    assert row(res, "depenses.csv", 2)["eligible_amount"] == 0.0


def test_flat_rate_accepted_management_row_stays_forfait_and_the_forfait_follows(make_convention, checker):
    changes = {"rules": {"management_costs": {"mode": "flat_rate", "rate": 0.1}}}
    folder = make_convention(
        changes,
        payroll=[OK_PAY, "Z9;03/2024;600,00;0;0"],
        expenses=["F1;10/03/2024;20/03/2024;A;gestion;80,00;Ville de Rennes;P1", OK_EXP],
    )
    decide(
        folder,
        """
        rows:
          - {ref: "depenses.csv!!2", decision: accept, motive: Remboursé}
          - {ref: "depenses.csv!!3", decision: reject, rule: PIECE, motive: Pas de facture}
          - {ref: "paie.csv!!3", decision: accept, motive: Remplaçant}
        """,
    )
    res = run(folder, checker)
    assert row(res, "depenses.csv", 2)["eligible_amount"] == 0.0
    forfait = next(r for r in res["rows"] if r["source"] == "forfait")
    assert forfait["amount"] == 200.0  # 10 % × (1 400 + 600)
    assert res["lines"][1]["rejected"] == {"PIECE": 100.0, "FORFAIT": 80.0}


# --- findings of the procedure --------------------------------------------------------------


def _procedure(make_convention, checker, text: str, payments: int = 10000, name: str = "conv") -> dict:
    changes = {"subsidy": {"payments": [{"date": "2024-03-01", "amount": payments}]}}
    return run(decide(make_convention(changes, [OK_PAY], name=name), text), checker)


def test_definitive_reversement_without_observations_is_blocking(make_convention, checker):
    res = _procedure(make_convention, checker, "phase: définitif\n")
    (found,) = rules_of(res, "CONTRADICTOIRE")
    assert found["severity"] == "error" and found["amount"] == 8600.0 and "art. 9.1" in found["message"]
    assert res["settlement"]["balance"] < 0 and res["verdict"] == "a_examiner"
    assert res["procedure"]["phase"] == "definitif"


def test_provisional_or_heard_or_solde_is_not_blocking(make_convention, checker):
    assert not rules_of(_procedure(make_convention, checker, "phase: provisoire\n", name="a"), "CONTRADICTOIRE")
    heard = "phase: definitif\nprocedure: {observations_sent: 2025-03-14}\n"
    assert not rules_of(_procedure(make_convention, checker, heard, name="b"), "CONTRADICTOIRE")
    solde = _procedure(make_convention, checker, "phase: definitif\n", payments=0, name="c")
    assert not rules_of(solde, "CONTRADICTOIRE")


@pytest.mark.parametrize(("received", "late"), [("2025-04-13", False), ("2025-04-14", True)])
def test_the_deadline_day_itself_is_on_time(make_convention, checker, received, late):
    text = f"procedure: {{observations_sent: 2025-03-14, response_days: 30, response_received: {received}}}\n"
    res = _procedure(make_convention, checker, text)
    assert res["procedure"]["response_deadline"] == "2025-04-13"
    found = rules_of(res, "CONTRADICTOIRE")
    assert [f["severity"] for f in found] == (["warning"] if late else [])
    assert res["verdict"] == "reversement"  # a warning does not block


# --- explanations ---------------------------------------------------------------------------


def test_explanations_beneficiary_draft_or_none(make_convention, checker):
    folder = make_convention(payroll=[OK_PAY], expenses=[OK_EXP, "F2;10/03/2024;20/03/2024;B;communication;50;;P1"])
    res = run(folder, checker)
    lines = {li["line"]: li for li in res["lines"]}
    assert lines["personnel"]["explanation_source"] == "brouillon"
    assert lines["personnel"]["explanation"] == (
        "Réalisé éligible de 1 400,00 € pour un budget de 9 000,00 € : écart de -7 600,00 € (-84,44 %). "
        "Dépenses déclarées : 1 400,00 €, soit une sous-consommation de 7 600,00 € par rapport au budget "
        "(84,44 % du budget)."
    )
    assert lines["hors_budget"]["explanation"] is None and lines["hors_budget"]["explanation_source"] is None
    decide(
        folder,
        "lines:\n  - {line: HORS_BUDGET, explanation: Erreur d'imputation}\n  - {line: personnel, explanation: Vacance}\n",
    )
    lines = {li["line"]: li for li in run(folder, checker)["lines"]}
    assert (lines["hors_budget"]["explanation"], lines["hors_budget"]["explanation_source"]) == (
        "Erreur d'imputation",
        "beneficiaire",
    )
    assert lines["personnel"]["explanation_source"] == "beneficiaire"


# --- bad decisions: exit 2, naming the decision ---------------------------------------------

BAD = [
    (
        '{ref: "depenses.csv!!9", decision: accept, motive: x}',
        ["ligne 3", "depenses.csv!!9", "pas de ligne de données n° 9"],
    ),
    ('{ref: "autre.csv!!2", decision: accept, motive: x}', ["fichier « autre.csv » inconnu", "paie.csv!!"]),
    ('{ref: "depenses.csv!Feuil1!2", decision: accept, motive: x}', ["feuille « Feuil1 »"]),
    ('{ref: "depenses.csv", decision: accept, motive: x}', ["référence illisible"]),
    ('{ref: "forfait", decision: accept, motive: x}', ["forfait de gestion"]),
    ('{ref: "!!", decision: accept, motive: x}', ["forfait de gestion"]),
    ('{ref: "!!2", decision: accept, motive: x}', ["fichier absent"]),
    ('{ref: "depenses.csv!!2", decision: accept, motive: "  "}', ["motif absent ou vide"]),
    ('{ref: "depenses.csv!!2", decision: accept}', ["motif absent ou vide"]),
    ('{ref: "depenses.csv!!2", decision: approve, motive: x}', ["décision inconnue « approve »"]),
    ('{ref: "depenses.csv!!2", decision: reject, rule: AUTRE, motive: x}', ["règle inconnue « AUTRE »"]),
    ('{ref: "depenses.csv!!2", decision: reject, motive: x}', ["règle absente"]),
    ('{ref: "depenses.csv!!2", decision: partial, rule: NATURE, motive: x}', ["montant retenu absent"]),
    ('{ref: "depenses.csv!!2", decision: partial, amount: 150, rule: NATURE, motive: x}', ["hors de l'intervalle"]),
    ('{ref: "depenses.csv!!2", decision: partial, amount: -1, rule: NATURE, motive: x}', ["hors de l'intervalle"]),
    ('{ref: "depenses.csv!!2", decision: accept, amount: 100, motive: x}', ["montant interdit", "partial"]),
    ('{ref: "depenses.csv!!2", decision: reject, amount: 100, rule: NATURE, motive: x}', ["montant interdit"]),
    ('{ref: "depenses.csv!!3", decision: accept, motive: x}', ["montant absent", "lu sur la pièce"]),
    (
        '{ref: "depenses.csv!!3", decision: partial, amount: 1, rule: FORMAT, motive: x}',
        ["retenue partielle impossible"],
    ),
    ('{ref: "depenses.csv!!2", decision: accept, amount: 12.3456, motive: x}', ["au centime près"]),
    ('{ref: "depenses.csv!!2", decision: accept, amount: 12.345, motive: x}', ["montant ambigu « 12.345 »"]),
    ('{ref: "depenses.csv!!2", decision: accept, motive: x, date: 2025-02-30}', ["date impossible"]),
    ('{ref: "depenses.csv!!2", decision: accept, motif: x}', ["clé inconnue", "motive"]),
]


@pytest.mark.parametrize(("item", "fragments"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_a_bad_decision_is_an_input_error_naming_it(make_convention, checker, item, fragments):
    folder = make_convention(payroll=[OK_PAY], expenses=[OK_EXP, "F2;10/03/2024;20/03/2024;B;gestion;1 2O4;;P1"])
    decide(folder, f"phase: provisoire\nrows:\n  - {item}\n")
    with pytest.raises(InputError) as caught:
        audit(folder, checker)
    message = caught.value.message
    assert "decisions.yaml" in message and "ligne 3" in message, message
    for fragment in fragments:
        assert fragment in message, message


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("phase: final\n", ["phase inconnue « final »"]),
        ("procedure: {response_days: 2.5}\n", ["nombre entier de jours"]),
        ("procedure: {observations_sent: 2025-04-01, response_received: 2025-03-01}\n", ["avant l'envoi"]),
        ("procedure: {observations_sent: 2025-13-01}\n", ["date impossible"]),
        ("lines: [{line: communication, explanation: x}]\n", ["ligne « communication » inconnue"]),
        ("lines: [{line: gestion, explanation: ''}]\n", ["explication vide"]),
        ("lines: [{line: gestion, explanation: a}, {line: GESTION, explanation: b}]\n", ["deux explications"]),
        ("decision: accept\n", ["clé inconnue"]),
        ("rows: [{ref: x, decision: accept, motive: m}\n", ["crochet non fermé"]),
    ],
)
def test_a_bad_procedure_or_line_is_an_input_error(make_convention, checker, text, fragments):
    folder = decide(make_convention(payroll=[OK_PAY], expenses=[OK_EXP]), text)
    with pytest.raises(InputError) as caught:
        audit(folder, checker)
    for fragment in fragments:
        assert fragment in caught.value.message, caught.value.message


def test_two_decisions_on_one_row_name_both(make_convention, checker):
    folder = make_convention(payroll=[OK_PAY], expenses=[OK_EXP])
    decide(
        folder,
        """
        rows:
          - {ref: "depenses.csv!!2", decision: accept, motive: a}
          - {ref: "DEPENSES.CSV!!2", decision: reject, rule: NATURE, motive: b}
        """,
    )
    with pytest.raises(InputError, match=r"ligne 4 : décision sur « DEPENSES.CSV!!2 » : deux décisions .*ligne 3"):
        audit(folder, checker)


def test_a_total_row_is_not_an_input_row(make_convention, checker):
    folder = make_convention(payroll=[OK_PAY, ";TOTAL;1000,00;400,00;0"])
    decide(folder, 'rows: [{ref: "paie.csv!!3", decision: accept, motive: x}]\n')
    with pytest.raises(InputError, match="ligne de total"):
        audit(folder, checker)


def test_both_files_are_refused(make_convention, checker):
    folder = decide(make_convention(payroll=[OK_PAY]), "phase: provisoire\n")
    shutil.copy(ROOT / "tests" / "cases" / "decisions-xlsx" / "decisions.xlsx", folder / "decisions.xlsx")
    with pytest.raises(InputError, match=r"decisions\.yaml et decisions\.xlsx"):
        load_decisions(folder)


def test_hors_budget_is_a_line_only_when_rows_go_there(make_convention, checker):
    folder = decide(
        make_convention(payroll=[OK_PAY], expenses=[OK_EXP]), "lines: [{line: hors_budget, explanation: x}]\n"
    )
    with pytest.raises(InputError, match="hors_budget » inconnue"):
        audit(folder, checker)


# --- decisions.xlsx -------------------------------------------------------------------------


def _workbook(path: Path, decisions: list[list], procedure=None, explanations=None) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Décisions"
    for values in decisions:
        ws.append(values)
    if procedure is not None:
        sheet = wb.create_sheet("Procedure")
        for values in procedure:
            sheet.append(values)
    if explanations is not None:
        sheet = wb.create_sheet("Explications")
        for values in explanations:
            sheet.append(values)
    wb.save(path)
    return path


HEADER = ["Fichier", "Feuille", "Ligne", "Décision", "Montant retenu", "Règle", "Motif"]


def test_xlsx_reads_decisions_procedure_and_explanations(tmp_path):
    import datetime as dt

    _workbook(
        tmp_path / "decisions.xlsx",
        [["titre"], HEADER, ["paie.csv", None, 2, "Accepter", None, None, "ok"], ["paie.csv", None, 3, None, 1, "X", "y"],
         ["depenses.csv", "", 4.0, "partiel", "1 234,50", "doublon", "moitié"]],
        [["Phase", "Définitif"], ["contrôleur", "DDETS"], ["Observations envoyées le", dt.datetime(2025, 3, 14)],
         ["délai de réponse (jours)", 20], ["réponse reçue le", "02/04/2025"]],
        [["Ligne", "Explication", "Brouillon"], ["gestion", "Vacance", "jamais lu"], ["personnel", None, "ignoré"]],
    )  # fmt: skip
    found = load_decisions(tmp_path)
    assert [(d.ref, d.decision, d.amount, d.rule, d.motive, d.place.row) for d in found.rows] == [
        ("paie.csv!!2", "accept", None, None, "ok", 3),
        ("depenses.csv!!4", "partial", 123450, "DOUBLON", "moitié", 5),
    ]
    p = found.procedure
    assert (p.phase, p.auditor, str(p.observations_sent), p.response_days, str(p.response_deadline)) == (
        "definitif",
        "DDETS",
        "2025-03-14",
        20,
        "2025-04-03",
    )
    assert [(n.line, n.explanation) for n in found.lines] == [("gestion", "Vacance")]


@pytest.mark.parametrize(
    ("rows", "procedure", "fragments"),
    [
        ([HEADER, ["paie.csv", None, 2, "peut-être", None, None, "x"]], None, ["ligne 2", "décision inconnue"]),
        ([HEADER, ["paie.csv", None, 2, "partiel", "abc", "DOUBLON", "x"]], None, ["ligne 2", "Montant retenu"]),
        ([["Fichier", "Ligne"]], None, ["ligne d'en-tête introuvable", "Décision"]),
        ([HEADER], [["statut", "définitif"]], ["clé « statut » inconnue"]),
        ([HEADER], [["phase", "fini"]], ["phase inconnue"]),
        ([HEADER], [["réponse reçue le", "31/02/2025"]], ["réponse reçue le", "ligne 1"]),
    ],
)
def test_xlsx_errors_name_the_sheet_and_row(tmp_path, make_convention, checker, rows, procedure, fragments):
    folder = make_convention(payroll=[OK_PAY])
    _workbook(folder / "decisions.xlsx", rows, procedure)
    with pytest.raises(InputError) as caught:
        audit(folder, checker)
    assert "decisions.xlsx" in caught.value.message
    for fragment in fragments:
        assert fragment in caught.value.message, caught.value.message


def test_xlsx_without_a_decisions_sheet(tmp_path, make_convention):
    folder = make_convention(payroll=[OK_PAY])
    wb = openpyxl.Workbook()
    wb.active.title = "Autre"
    wb.save(folder / "decisions.xlsx")
    with pytest.raises(InputError, match="feuille « Décisions » absente"):
        load_decisions(folder)


def test_case_workbook_is_what_its_script_writes(tmp_path):
    import importlib.util

    case = ROOT / "tests" / "cases" / "decisions-xlsx"
    spec = importlib.util.spec_from_file_location("make_decisions", case / "make_decisions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.write(tmp_path / "decisions.xlsx")

    def cells(path: Path) -> dict:
        wb = openpyxl.load_workbook(path)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb}

    assert cells(tmp_path / "decisions.xlsx") == cells(case / "decisions.xlsx")


# --- the definitive sample ------------------------------------------------------------------


def test_definitive_sample_shares_the_first_samples_files():
    for name in ("paie.xlsx", "depenses.xlsx", "activite.xlsx"):
        assert (DEFINITIF / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    first = yaml.safe_load((SAMPLE / "convention.yaml").read_text(encoding="utf-8"))
    second = yaml.safe_load((DEFINITIF / "convention.yaml").read_text(encoding="utf-8"))
    assert second.pop("id") == "cd35-2024-pex-definitif" and first.pop("id") == "cd35-2024-pex"
    assert first == second


def test_definitive_sample_settlement_as_computed_in_data_readme(checker, schema):
    """data/README.md, « Resulting settlement » of the definitive phase."""
    res = run(DEFINITIF, checker, schema)
    lines = {li["line"]: li for li in res["lines"]}
    assert lines["personnel"]["eligible"] == 45116.78 and lines["gestion"]["eligible"] == 2744.35
    assert res["totals"] == {"budget": 50000.0, "declared": 57029.71, "eligible": 47861.13, "rejected": 9168.58}
    s = res["settlement"]
    assert (s["justified"], s["balance"], s["outcome"], s["amount"]) == (47861.13, -2138.87, "reversement", 2138.87)
    assert s["max_balance"] == 0.0 and res["verdict"] == "reversement"
    assert Counter(f["rule"] for f in res["findings"]) == Counter(
        {"RIB": 1, "ECART": 1, "RAISONNABLE": 3, "REJETS": 7, "DECISION": 4,
         "HORS_MISSION": 1, "INDICATEUR": 1, "ACTIVITE_SANS_AGENT": 1, "ACTIVITE_ILLISIBLE": 2}
    )  # fmt: skip
    assert [f["amount"] for f in rules_of(res, "DECISION")] == [600.0, 1867.45, 292.26, 0.0]
    assert lines["gestion"]["explanation_source"] == "beneficiaire"
    assert row(res, "paie.xlsx", 6)["impact"] == 2138.87 and row(res, "depenses.xlsx", 18)["impact"] == 540.0
    assert res["procedure"]["response_deadline"] == "2025-04-13" and not rules_of(res, "CONTRADICTOIRE")


# --- --previous -----------------------------------------------------------------------------


def test_previous_from_an_earlier_run(tmp_path, checker, schema):
    earlier = results(audit(SAMPLE, checker))
    path = tmp_path / "results.json"
    path.write_text(json.dumps(earlier), encoding="utf-8")
    assert read_previous(path, "cd35-2024-pex")[0] == {
        "phase": "provisoire", "balance": -4898.58, "outcome": "reversement", "amount": 4898.58,
    }  # fmt: skip
    res = results(audit(SAMPLE, checker, previous=path))
    jsonschema.validate(res, schema)
    assert res["previous"]["amount"] == 4898.58
    with pytest.raises(InputError, match="autre convention"):
        read_previous(path, "cd35-2024-pex-definitif")
    with pytest.raises(InputError, match="introuvables"):
        read_previous(tmp_path / "absent.json", "x")
    for bad in ("{}", "[1]", "pas du JSON", '{"convention_id": "x", "settlement": {"balance": "a", "outcome": "solde"}}',
                '{"convention_id": "x", "settlement": {"balance": 1.0, "outcome": "autre"}}'):  # fmt: skip
        (tmp_path / "bad.json").write_text(bad, encoding="utf-8")
        with pytest.raises(InputError, match=r"attendu un results\.json"):
            read_previous(tmp_path / "bad.json", "x")


# --- the notebook's workbench ---------------------------------------------------------------


def test_simulate_equals_a_run_with_the_same_decision(tmp_path, checker):
    a = build(audit(SAMPLE, checker))
    tried = simulate(a, [Decision("depenses.xlsx!Mandats 2024!10", "accept", "essai")])
    assert tried.headline.balance - a.headline.balance == 60000  # the row's impact, in cents
    assert a.headline.balance == -489858  # the audit itself is untouched
    folder = tmp_path / "c"
    shutil.copytree(SAMPLE, folder)
    decide(folder, 'rows: [{ref: "depenses.xlsx!Mandats 2024!10", decision: accept, motive: essai}]\n')
    real = results(audit(folder, checker))
    for key in ("lines", "totals", "settlement", "verdict", "findings"):
        assert results(tried.audit)[key] == real[key], key
    again = simulate(tried, [Decision("depenses.xlsx!Mandats 2024!10", "reject", "non", rule="PAYEUR")])
    assert again.headline.balance == a.headline.balance  # the new decision replaced the first
    with pytest.raises(InputError, match="règle absente"):
        simulate(a, [Decision("depenses.xlsx!Mandats 2024!10", "partial", "x", amount=100)])


def test_rejected_rows_by_stake(checker):
    table = rejected_rows(build(audit(SAMPLE, checker)))
    assert list(table.columns) == ["ref", "file", "sheet", "row", "line", "amount", "rejected", "rules", "reasons",
                                   "impact"]  # fmt: skip
    assert table["ref"].iloc[0] == "paie.xlsx!Paie 2024!6" and table["impact"].iloc[0] == 489858
    impacts = [v for v in table["impact"] if v is not None]
    assert impacts == sorted(impacts, reverse=True)
    assert table["impact"].iloc[-1] is None and table["ref"].iloc[-1] == "depenses.xlsx!Mandats 2024!17"
    assert len(table) == 12  # data/README.md: 3 payroll rows and 9 expenses rejected


def test_activity_findings_follow_the_decisions(make_convention, checker):
    """ACTIVITE_SANS_AGENT reads the eligible personnel cost after decisions (SPEC 10): accepting
    the March pay of an agent hired in April gives March its agent; simulate() agrees."""
    changes = {
        "staff": [{"employee_id": "A1", "allocation": 1, "start": "2024-04-01", "ddets_validation_date": "2024-03-01"}],
        "missions": [{"code": "coordination", "label": "Coordination"}],
        "inputs": {"activity": "activite.csv"},
    }
    folder = make_convention(changes, payroll=["A1;03/2024;1000,00;400,00;0", "A1;04/2024;1000,00;400,00;0"])
    (folder / "activite.csv").write_text(
        "date;mission;action\n12/03/2024;coordination;CCAPEX\n10/04/2024;coordination;CCAPEX\n", encoding="utf-8"
    )
    a = build(audit(folder, checker))
    assert [f.rule for f in a.findings].count("ACTIVITE_SANS_AGENT") == 1  # March: the pay is PERIODE
    tried = simulate(a, [Decision("paie.csv!!2", "accept", "arrivée anticipée")])
    assert "ACTIVITE_SANS_AGENT" not in [f.rule for f in tried.findings]
    decide(folder, 'rows: [{ref: "paie.csv!!2", decision: accept, motive: arrivée anticipée}]\n')
    res = run(folder, checker)
    assert not rules_of(res, "ACTIVITE_SANS_AGENT")
    # a rejected April pay leaves April without an agent too; section 9's findings come before section 10's
    rejected = simulate(a, [Decision("paie.csv!!3", "reject", "non justifié", rule="PERIODE")])
    assert [f.rule for f in rejected.findings if f.rule in ("DECISION", "ACTIVITE_SANS_AGENT")] == [
        "DECISION", "ACTIVITE_SANS_AGENT", "ACTIVITE_SANS_AGENT",
    ]  # fmt: skip
