"""Budgets as conventions write them (issue 15): line kinds, EXCLUE, DEPASSEMENT and the base of
the management costs, co-funders, the small rules, what ``check`` says; load errors for every
new key. The hand-computed case is ``tests/cases/budget-lines``; properties are in
``test_properties.py``."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from pexaudit.cli import main
from pexaudit.core.aggregate import line_amounts, line_limits
from pexaudit.core.audit import audit, results
from pexaudit.errors import InputError
from pexaudit.inputs.convention import BudgetLine, ManagementCosts, load_convention

from .conftest import BASE_CONVENTION, deep_merge

OK_PAY = "A1;03/2024;1000;400;0"
PAID = "20/03/2024"
# personnel 9 000, gestion 1 000 (management), deplacements 1 000 (direct), formation 500 (no kind: direct)
LINES = {
    "budget": [
        {"line": "personnel", "kind": "personnel", "amount": 9000},
        {"line": "gestion", "kind": "management", "amount": 1000},
        {"line": "deplacements", "kind": "direct", "amount": 1000},
        {"line": "formation", "amount": 500},
    ]
}


def expense(piece: str, line: str, amount: str, *, code: str = "P1") -> str:
    return f"{piece};15/03/2024;{PAID};Fournisseur {piece};{line};{amount};;{code}"


def run(make_convention, checker, changes=None, payroll=None, expenses=None, **kwargs) -> dict:
    folder = make_convention(deep_merge(LINES, changes or {}), payroll=payroll, expenses=expenses, **kwargs)
    return results(audit(folder, checker))


def lines_of(res: dict) -> dict[str, dict]:
    return {line["line"]: line for line in res["lines"]}


def write(tmp_path, data: dict | str) -> None:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    for name in ("paie.csv", "depenses.csv"):
        (tmp_path / name).touch()


# --- load errors for every new key ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "key", "expected"),
    [
        ({"budget": [{"line": "personnel", "kind": "personnel", "amount": 1}, {"line": "x", "kind": "autre",
                                                                                  "amount": 1}]},
         "budget[1].kind", "attendu personnel, management ou direct"),
        ({"rules": {"excluded": [{"accounts": ["6234"]}]}}, "rules.excluded[0].motive", "motif absent"),
        ({"rules": {"excluded": [{"motive": "cadeaux"}]}}, "rules.excluded[0]", "ni label_contains"),
        ({"rules": {"excluded": [{"accounts": [], "label_contains": [], "motive": "x"}]}}, "rules.excluded[0]",
         "ni label_contains"),
        ({"rules": {"excluded": [{"accounts": ["62A"], "motive": "x"}]}}, "rules.excluded[0].accounts[0]",
         "en chiffres"),
        ({"rules": {"excluded": [{"accounts": ["6234"], "motive": ""}]}}, "rules.excluded[0].motive",
         "texte non vide"),
        ({"subsidy": {"other_funding": [{"funder": "CAF", "amount": -5}]}}, "subsidy.other_funding[0].amount",
         "positif ou nul"),
        ({"subsidy": {"other_funding": [{"amount": 5}]}}, "subsidy.other_funding[0].funder", "obligatoire"),
        ({"rules": {"line_overrun_pct": 0.15}}, "rules.line_overrun_pct", "écrivez 15"),
        ({"rules": {"line_overrun_pct": -10}}, "rules.line_overrun_pct", "positif"),
        ({"rules": {"first_payment_days": 2.5}}, "rules.first_payment_days", "nombre entier"),
        ({"rules": {"first_payment_days": -1}}, "rules.first_payment_days", "nombre entier"),
        ({"rules": {"management_costs": {"mode": "actual", "base": "salaires"}}}, "rules.management_costs.base",
         "personnel ou direct"),
        ({"title": "À COMPLÉTER : l'intitulé de l'action"}, "title", "valeur à compléter"),
        ({"beneficiary": {"siret": "a compléter"}}, "beneficiary.siret", "valeur à compléter"),
        ({"rules": {"line_overun_pct": 10}}, "rules.line_overun_pct", "line_overrun_pct"),
        ({"rules": {"excluded": [{"accounts": ["6234"], "motiv": "x"}]}}, "rules.excluded[0].motiv", "motive"),
        ({"subsidy": {"other_fundings": []}}, "subsidy.other_fundings", "other_funding"),
    ],
)  # fmt: skip
def test_new_keys_load_errors_name_the_key(tmp_path, changes, key, expected):
    write(tmp_path, deep_merge(BASE_CONVENTION, changes))
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == key
    assert expected in info.value.message
    assert info.value.row is not None


MISSIONS = [
    {"code": "coordination", "label": "Coordination inter-partenariale", "aliases": ["Coordination", "CCAPEX"]},
    {"code": "donnees", "label": "Gestion des données", "aliases": ["Données", "Suivi Dihal"]},
]


@pytest.mark.parametrize(
    ("missions", "key"),
    [
        ([MISSIONS[0], {**MISSIONS[1], "aliases": ["ccapex"]}], "missions[1].aliases[0]"),  # an alias of both
        ([MISSIONS[0], {**MISSIONS[1], "label": "Coordination"}], "missions[1].label"),  # a label = an alias
        ([MISSIONS[0], {**MISSIONS[1], "aliases": ["coordination"]}], "missions[1].aliases[0]"),  # = a code
    ],
)
def test_a_name_matching_two_missions_is_a_load_error(tmp_path, missions, key):
    write(tmp_path, deep_merge(BASE_CONVENTION, {"missions": missions}))
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == key and "deux missions" in info.value.message


def test_unknown_keys_anywhere_are_one_french_warning_never_an_internal_error(tmp_path):
    changes = {"articles": {"sanctions": "12", "versement": "6.2"}, "rules": {"fongibilite": 10},
               "budget": [{"line": "personnel", "kind": "personnel", "amount": 1, "compte": "64"}]}  # fmt: skip
    write(tmp_path, deep_merge(BASE_CONVENTION, changes))
    convention = load_convention(tmp_path)
    assert convention.articles["versement"] == "6.2" and "sanctions" not in convention.articles
    assert len(convention.notes) == 3
    assert any("articles.sanctions" in n and "versement" in n for n in convention.notes)
    assert all("\n" not in n for n in convention.notes)


def test_new_keys_are_read_with_their_defaults(tmp_path):
    write(tmp_path, deep_merge(BASE_CONVENTION, LINES))
    c = load_convention(tmp_path)
    assert [b.kind for b in c.budget] == ["personnel", "management", "direct", "direct"]
    assert (c.line_overrun_pct, c.first_payment_days, c.excluded, c.other_funding) == (None, 15, (), ())
    assert c.management_costs.base == "personnel" and not c.readings
    changes = {
        "subsidy": {"other_funding": [{"funder": "CAF", "amount": "5 000,00"}, {"funder": "Région", "amount": 0}]},
        "rules": {"line_overrun_pct": 12.5, "first_payment_days": 30,
                  "management_costs": {"mode": "actual", "cap_rate": 0.1, "base": "direct"},
                  "excluded": [{"accounts": [6234, "62 57"], "label_contains": ["Amende"], "motive": "réceptions"}]},
    }  # fmt: skip
    write(tmp_path, deep_merge(BASE_CONVENTION, {**LINES, **changes}))
    c = load_convention(tmp_path)
    assert c.other_funding_total == 500_000 and c.line_overrun_pct == Fraction(25, 2)
    assert c.first_payment_days == 30 and c.management_costs.base == "direct"
    assert c.excluded[0].accounts == ("6234", "6257") and c.excluded[0].label_contains == ("Amende",)


def test_kind_null_is_read_as_direct_and_check_says_so(make_convention):
    changes = {"budget": [{"line": "personnel", "kind": "personnel", "amount": 9000},
                          {"line": "gestion", "kind": "management", "amount": 1000},
                          {"line": "deplacements", "kind": None, "amount": 1000}]}  # fmt: skip
    folder = make_convention(changes)
    convention = load_convention(folder)
    assert convention.budget[2].kind == "direct"
    assert len(convention.readings) == 1 and "« deplacements »" in convention.readings[0]
    out = CliRunner().invoke(main, ["check", str(folder)])
    assert out.exit_code == 0, out.output
    assert "Lecture : " in out.output and "lue comme direct" in out.output and "(NATURE)" in out.output
    assert "deplacements 1 000,00 € (direct)" in out.output


# --- NATURE and direct lines -------------------------------------------------------------------


def test_nature_fails_only_the_personnel_line_and_no_line(make_convention, checker):
    expenses = [expense("E1", "gestion", "100"), expense("E2", "deplacements", "200"), expense("E3", "formation", "50"),
                expense("E4", "personnel", "30"), expense("E5", "communication", "40")]  # fmt: skip
    res = run(make_convention, checker, payroll=[OK_PAY], expenses=expenses)
    rules = {r["row"]: r["rules"] for r in res["rows"] if r["source"] == "expenses"}
    assert rules == {2: [], 3: [], 4: [], 5: ["NATURE"], 6: ["NATURE"]}
    lines = lines_of(res)
    assert [lines[k]["kind"] for k in lines] == ["personnel", "management", "direct", "direct", None]
    assert lines["deplacements"]["eligible"] == 200.0 and lines["formation"]["eligible"] == 50.0
    assert lines["hors_budget"]["rejected"] == {"NATURE": 40.0}


def test_direct_lines_are_not_under_the_management_cap_unless_base_direct(make_convention, checker):
    expenses = [expense("E1", "gestion", "500"), expense("E2", "deplacements", "1000")]
    capped = {"rules": {"management_costs": {"mode": "actual", "cap_rate": 0.1}}}
    res = run(make_convention, checker, capped, payroll=[OK_PAY], expenses=expenses)  # personnel 1 400
    assert lines_of(res)["gestion"]["rejected"] == {"PLAFOND_GESTION": 360.0}  # cap 140
    assert lines_of(res)["deplacements"]["eligible"] == 1000.0
    direct = {"rules": {"management_costs": {"mode": "actual", "cap_rate": 0.1, "base": "direct"}}}
    res = run(make_convention, checker, direct, payroll=[OK_PAY], expenses=expenses, name="direct")
    assert lines_of(res)["gestion"]["rejected"] == {"PLAFOND_GESTION": 260.0}  # cap 0,1 × 2 400 = 240
    flat = {"rules": {"management_costs": {"mode": "flat_rate", "rate": 0.1, "base": "direct"}}}
    res = run(make_convention, checker, flat, payroll=[OK_PAY], expenses=expenses, name="flat")
    forfait = next(r for r in res["rows"] if r["source"] == "forfait")
    assert forfait["amount"] == 240.0 and "de personnel et de coûts directs éligibles" in forfait["reasons"][0]


# --- EXCLUE --------------------------------------------------------------------------------------

EXCLUDED = {"rules": {"excluded": [
    {"accounts": ["6234", "6257"], "motive": "cadeaux et réceptions"},
    {"label_contains": ["amende", "pénalité"], "accounts": ["6712"], "motive": "pénalités et amendes"},
]}}  # fmt: skip
LEDGER_HEADER = "piece;date;date_paiement;fournisseur;libelle;compte;ligne;montant"


@pytest.mark.parametrize(
    ("libelle", "compte", "rules", "reason"),
    [
        ("Buffet", "6257", ["EXCLUE"], "exclue par la convention : cadeaux et réceptions"),
        ("Buffet", "62 57 100", ["EXCLUE"], "exclue par la convention : cadeaux et réceptions"),
        ("Cadeau", "623", [], None),  # a shorter account is not under the prefix
        ("PÉNALITÉS de retard", "6711", ["EXCLUE"], "exclue par la convention : pénalités et amendes"),
        ("Contravention (amendes)", "", ["EXCLUE"], "exclue par la convention : pénalités et amendes"),
        ("Amende et réception", "6257", ["EXCLUE"], "exclue par la convention : cadeaux et réceptions"),  # first entry
        ("Amende", "6234", ["EXCLUE"], "exclue par la convention : cadeaux et réceptions"),
        ("Intérêts", "6712", ["EXCLUE"], "exclue par la convention : pénalités et amendes"),
        ("Amendement du projet", "606", ["EXCLUE"], "exclue par la convention : pénalités et amendes"),  # a substring
        ("Fournitures", "6064", [], None),
    ],
)
def test_exclue_by_account_prefix_or_label_word_first_entry_gives_the_motive(
    make_convention, checker, libelle, compte, rules, reason
):
    row = f"E1;15/03/2024;{PAID};Traiteur;{libelle};{compte};deplacements;120"
    res = run(make_convention, checker, EXCLUDED, payroll=[OK_PAY], expenses=[row], expenses_header=LEDGER_HEADER)
    got = next(r for r in res["rows"] if r["source"] == "expenses")
    assert got["rules"] == rules
    assert got["reasons"] == ([reason] if reason else [])


def test_exclue_comes_after_nature_and_a_row_without_exclusions_is_not_checked(make_convention, checker):
    row = f"E1;15/03/2025;{PAID};Traiteur;Buffet;6257;personnel;120"
    res = run(make_convention, checker, EXCLUDED, payroll=[OK_PAY], expenses=[row], expenses_header=LEDGER_HEADER)
    assert next(r for r in res["rows"] if r["source"] == "expenses")["rules"] == ["PERIODE", "NATURE", "EXCLUE"]
    folder = make_convention(LINES, payroll=[OK_PAY], expenses=[row], expenses_header=LEDGER_HEADER, name="none")
    a = audit(folder, checker)
    assert "EXCLUE" not in a.evaluated.eligibility.suites["pexaudit_expenses"]
    assert not any(
        "EXCLUE" in note for note in a.evaluated.eligibility.skipped
    )  # nothing excluded is no check left out


def test_exclue_is_decidable(make_convention, checker):
    rows = [f"E1;15/03/2024;{PAID};Traiteur;Buffet;6257;deplacements;120",
            f"E2;16/03/2024;{PAID};SNCF;Train;6251;deplacements;80"]  # fmt: skip
    folder = make_convention(deep_merge(LINES, EXCLUDED), payroll=[OK_PAY], expenses=rows,
                             expenses_header=LEDGER_HEADER)  # fmt: skip
    decisions = {"rows": [
        {"ref": "depenses.csv!!2", "decision": "accept", "motive": "Déjeuner de travail du comité, justifié"},
        {"ref": "depenses.csv!!3", "decision": "reject", "rule": "EXCLUE", "motive": "Voyage d'agrément"},
    ]}  # fmt: skip
    (folder / "decisions.yaml").write_text(yaml.safe_dump(decisions, allow_unicode=True), encoding="utf-8")
    res = results(audit(folder, checker))
    got = {r["row"]: r for r in res["rows"] if r["source"] == "expenses"}
    assert got[2]["eligible_amount"] == 120.0 and got[2]["rules"] == ["EXCLUE"]  # the trace stays
    assert got[3]["eligible_amount"] == 0.0 and got[3]["decision"]["rule"] == "EXCLUE"
    assert lines_of(res)["deplacements"]["rejected"] == {"EXCLUE": 80.0}


# --- DEPASSEMENT ---------------------------------------------------------------------------------


def test_depassement_on_direct_lines_then_cap_then_management_lines(make_convention, checker):
    changes = {"rules": {"line_overrun_pct": 10, "management_costs": {"mode": "actual", "cap_rate": 0.5}}}
    expenses = [expense("D1", "deplacements", "1150"), expense("G1", "gestion", "1300"),
                expense("F1", "formation", "500")]  # fmt: skip
    res = run(make_convention, checker, changes, payroll=[OK_PAY, "A1;04/2024;1000;400;0"], expenses=expenses)
    lines = lines_of(res)
    # deplacements: limit 1 100, 50 over; personnel 2 800 (limit 9 900); cap 0,5 × 2 800 = 1 400 > 1 300;
    # gestion: limit 1 100, 200 over; formation 500 = its limit 550 not reached
    assert lines["deplacements"]["rejected"] == {"DEPASSEMENT": 50.0} and lines["deplacements"]["eligible"] == 1100.0
    assert lines["gestion"]["rejected"] == {"DEPASSEMENT": 200.0} and lines["gestion"]["eligible"] == 1100.0
    assert lines["formation"]["rejected"] == {}
    found = [f for f in res["findings"] if f["rule"] == "DEPASSEMENT"]
    assert [f["amount"] for f in found] == [200.0, 50.0]  # one per line, in budget order
    assert all(f["severity"] == "warning" for f in found)
    assert "limite de fongibilité de 1 100,00 € (budget + 10 %)" in found[0]["message"]
    impacts = {r["row"]: r["impact"] for r in res["rows"] if r["source"] == "expenses"}
    assert set(impacts.values()) == {None}  # nothing rejected at row level: DEPASSEMENT is line-level


def test_a_line_budgeted_zero_has_a_limit_of_zero_and_hors_budget_is_never_cut(make_convention, checker):
    changes = {"budget": [{"line": "personnel", "kind": "personnel", "amount": 9000},
                          {"line": "gestion", "kind": "management", "amount": 1000},
                          {"line": "imprevus", "kind": "direct", "amount": 0}],
               "rules": {"line_overrun_pct": 20}}  # fmt: skip
    expenses = [expense("I1", "imprevus", "75"), expense("H1", "ailleurs", "60")]
    res = run(make_convention, checker, changes, payroll=[OK_PAY], expenses=expenses)
    lines = lines_of(res)
    assert lines["imprevus"]["rejected"] == {"DEPASSEMENT": 75.0} and lines["imprevus"]["eligible"] == 0.0
    assert lines["hors_budget"]["rejected"] == {"NATURE": 60.0}


def test_depassement_may_cut_the_flat_rate_row(make_convention, checker):
    changes = {"budget": [{"line": "personnel", "kind": "personnel", "amount": 9000},
                          {"line": "gestion", "kind": "management", "amount": 100}],
               "rules": {"line_overrun_pct": 15, "management_costs": {"mode": "flat_rate", "rate": 0.1}}}  # fmt: skip
    res = run(make_convention, checker, changes, payroll=[OK_PAY, "A1;04/2024;1000;400;0"])
    gestion = lines_of(res)["gestion"]  # forfait 0,1 × 2 800 = 280, limit 115
    assert (gestion["declared"], gestion["eligible"], gestion["rejected"]) == (280.0, 115.0, {"DEPASSEMENT": 165.0})


def test_line_limits_round_half_up():
    convention = _convention(line_overrun_pct=Fraction(15))
    # 0,01 € × 1,15 = 0,0115 € -> 0,01 € ; 0,10 € × 1,15 = 0,115 € -> 0,12 €
    convention = dataclasses.replace(
        convention, budget=(BudgetLine("personnel", "p", "personnel", 1), BudgetLine("g", "g", "management", 10))
    )
    assert line_limits(convention) == {"personnel": 1, "g": 12}


def _convention(**changes):
    base = load_convention_from(BASE_CONVENTION)
    return dataclasses.replace(base, **changes)


def load_convention_from(data: dict):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp), data)
        return load_convention(Path(tmp))


def test_a_line_whose_credit_notes_exceed_its_costs_is_never_cut():
    convention = _convention(budget=(BudgetLine("personnel", "p", "personnel", 100), BudgetLine("d", "d", "direct", 0)),
                             line_overrun_pct=Fraction(0))  # fmt: skip
    found = line_amounts(convention, {"personnel": np.array([-500, 150], dtype=object),
                                      "d": np.array([-20, 0], dtype=object)})  # fmt: skip
    assert list(found.depassement["personnel"]) == [0, 50] and list(found.depassement["d"]) == [0, 0]
    assert list(found.total) == [-520, 100]


def test_raising_the_limit_can_lower_the_total_with_a_negative_management_line():
    """SPEC 5's order and pro-rata split have a consequence: with two capped management lines of
    which one nets negative (credit notes beyond its costs), a higher fongibilité percentage
    raises the base and the cap, so shrinks the excess; the negative line's share of it is
    negative, so that line loses more than the others gain when they are held at their limits:
    the eligible total falls. (The property of monotonicity is therefore tested with one
    management line, where it holds.)"""
    budget = (BudgetLine("personnel", "p", "personnel", 10_000), BudgetLine("m1", "m1", "management", 0),
              BudgetLine("m2", "m2", "management", 50_000))  # fmt: skip
    management = ManagementCosts("actual", Fraction(1, 10))
    sums = {"personnel": np.array([20_000], dtype=object), "m1": np.array([1_000_000], dtype=object),
            "m2": np.array([-990_000], dtype=object)}  # fmt: skip
    totals = {}
    for pct in (0, 100):
        convention = _convention(budget=budget, management_costs=management, line_overrun_pct=Fraction(pct))
        totals[pct] = int(line_amounts(convention, sums).total[0])
    # 0 %: personnel cut to 100 €, cap 10 €, excess 90 € split 9 000 € / -8 910 €: m1 1 000 € held at its
    # limit 0, m2 -990 €. 100 %: personnel 200 €, cap 20 €, excess 80 € split 8 000 € / -7 920 €: m1 0, m2 -1 980 €
    assert totals == {0: 10_000 - 99_000, 100: 20_000 - 198_000}


# --- co-funders ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("other_funding", "cap_cost", "justified", "surfinancement"),
    [
        ([], None, 1400.0, False),  # no term
        ([{"funder": "Région", "amount": 0}], None, 1400.0, False),  # other_funding 0: no term either
        ([{"funder": "CAF", "amount": 300}], 1100.0, 1100.0, True),  # binds
        ([{"funder": "CAF", "amount": 200}, {"funder": "Ville", "amount": 100.5}], 1099.5, 1099.5, True),
        ([{"funder": "CAF", "amount": 9000}], 0.0, 0.0, True),  # never below 0
    ],
)
def test_co_funders_cap_the_justified_amount_at_the_cost_not_otherwise_funded(
    make_convention, checker, other_funding, cap_cost, justified, surfinancement
):
    changes = {"subsidy": {"amount": 10000, "funding_rate": 1, "other_funding": other_funding}}
    res = run(make_convention, checker, changes, payroll=[OK_PAY])  # eligible 1 400, rate 1
    s = res["settlement"]
    assert (s["cap_cost"], s["justified"]) == (cap_cost, justified)
    assert s["other_funding"] == sum(f["amount"] for f in other_funding)
    found = [f for f in res["findings"] if f["rule"] == "SURFINANCEMENT"]
    assert bool(found) == surfinancement
    if found:
        assert found[0]["severity"] == "warning" and "CAF" in found[0]["message"]
        assert found[0]["amount"] == round(1400 - cap_cost, 2)


def test_a_co_funder_that_does_not_bind_changes_nothing(make_convention, checker):
    changes = {"subsidy": {"amount": 1000, "other_funding": [{"funder": "CAF", "amount": 100}]}}
    res = run(make_convention, checker, changes, payroll=[OK_PAY])  # by rate: round(1 400 × 1 000 / 11 500) = 121,74
    s = res["settlement"]
    assert (s["cap_cost"], s["justified"]) == (1300.0, 121.74)
    assert "SURFINANCEMENT" not in {f["rule"] for f in res["findings"]}


# --- small rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "late"), [(None, True), (30, False), (19, False), (18, True)])
def test_first_payment_days_sets_when_the_first_payment_is_late(make_convention, checker, days, late):
    changes = {"signature_date": "2024-02-11", "subsidy": {"payments": [{"date": "2024-03-01", "amount": 10000}]}}
    if days is not None:
        changes["rules"] = {"first_payment_days": days}
    res = run(make_convention, checker, changes, payroll=[OK_PAY])  # paid 19 days after signature
    found = [f for f in res["findings"] if f["rule"] == "VERSEMENT_DELAI"]
    assert bool(found) == late
    if found:
        assert f"({days or 15} jours)" in found[0]["message"].replace("art. 6 : ", "")


# --- missions: aliases, and what check says of a mission matching nothing ------------------------

ACTIVITY = "Date;Mission;Action\n15/03/2024;Suivi DIHAL;remontée\n16/03/2024;Donnees dihal;remontée\n" \
           "17/03/2024;Coordination;comité\n18/03/2024;Donnees dihal;remontée\n"  # fmt: skip


def test_aliases_match_and_check_names_the_closest_mission(make_convention, checker):
    folder = make_convention({"missions": MISSIONS, "inputs": {"activity": "activite.csv"}}, payroll=[OK_PAY])
    (folder / "activite.csv").write_text(ACTIVITY, encoding="utf-8")
    a = audit(folder, checker)
    assert [r.mission for r in a.activity.rows] == ["donnees", "Donnees dihal", "coordination", "Donnees dihal"]
    out = CliRunner().invoke(main, ["check", str(folder)])
    assert out.exit_code == 0, out.output
    line = next(x for x in out.output.splitlines() if "Donnees dihal" in x)
    assert "lignes 3, 5" in line and "la plus proche : « Gestion des données » (donnees)" in line
    assert "Suivi DIHAL" not in out.output and "« Coordination »" not in out.output
