"""Each article-4 rule on a small convention: which rows fail, and how much is booked."""

from __future__ import annotations

import pytest

from pexaudit.core.audit import audit, results

OK_PAY = "A1;03/2024;1000,00;400,00;0"
OK_EXP = "F1;10/03/2024;20/03/2024;Fournisseur;gestion;100,00;;P1"


def run(make_convention, checker, **kwargs):
    return results(audit(make_convention(**kwargs), checker))


def rules_of(res, source):
    return [r["rules"] for r in res["rows"] if r["source"] == source]


@pytest.mark.parametrize(
    ("line", "rules"),
    [
        ("A1;13/2024;1000;400;0", ["FORMAT"]),
        ("A1;;1000;400;0", ["FORMAT"]),
        ("A1;03/2024;mille;400;0", ["FORMAT"]),
        ("A1;03/2024;1000;;0", ["FORMAT"]),
        ("A1;03/2024;1000;400;n/a", ["FORMAT"]),
        ("A1;03/2024;1000;400;", []),  # an empty autres_couts cell is 0, not FORMAT (SPEC 4.1)
        ("A1;03/2025;1000;400;0", ["PERIODE"]),
        ("A1;12/2023;1000;400;0", ["PERIODE"]),
        ("Z9;03/2024;1000;400;0", ["PROJET"]),
        (";03/2024;1000;400;0", ["PROJET"]),  # an empty matricule is nobody on the staff list
        ("Z9;03/2025;x;400;0", ["FORMAT", "PERIODE", "PROJET"]),  # every rule that can be evaluated
        (OK_PAY, []),
        ("A1;03/2024;-96,17;-36,16;0", []),  # regularisation: kept, negative
    ],
)
def test_payroll_row_rules(make_convention, checker, line, rules):
    res = run(make_convention, checker, payroll=[line])
    assert rules_of(res, "payroll") == [rules]


def test_payroll_staff_dates(make_convention, checker):
    staff = [
        {
            "employee_id": "A1",
            "allocation": 1,
            "start": "2024-03-15",
            "end": "2024-05-10",
            "ddets_validation_date": "2024-03-01",
        }
    ]
    res = run(
        make_convention, checker, changes={"staff": staff},
        payroll=["A1;02/2024;1;1;0", "A1;03/2024;1;1;0", "A1;05/2024;1;1;0", "A1;06/2024;1;1;0"],
    )  # fmt: skip
    assert rules_of(res, "payroll") == [["PERIODE"], [], [], ["PERIODE"]]


def test_payroll_duplicates_on_parsed_values(make_convention, checker):
    res = run(
        make_convention, checker,
        payroll=["A1;03/2024;1 236,40;400;0", "A1;mars 2024;1236.4;400,00;0", "A1;2024-03;1 236,40;400;x", "A1;03/2024;1236,40;400;0"],
    )  # fmt: skip
    # row 3 repeats row 2; row 4 fails FORMAT and takes no part; row 5 repeats row 2 too
    assert rules_of(res, "payroll") == [[], ["DOUBLON"], ["FORMAT"], ["DOUBLON"]]
    assert res["rows"][1]["reasons"] == ["répète la ligne 2 du même fichier"]


@pytest.mark.parametrize(
    ("line", "rules"),
    [
        (OK_EXP, []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;cent;;P1", ["FORMAT"]),
        ("F1;;20/03/2024;Fournisseur;gestion;100;;P1", ["FORMAT"]),
        ("F1;10/03/2024;bientôt;Fournisseur;gestion;100;;P1", ["FORMAT"]),  # readable payment date needed
        (";10/03/2024;20/03/2024;Fournisseur;gestion;100;;P1", ["PIECE"]),
        ("F1;10/03/2024;20/03/2024;;gestion;100;;P1", ["PIECE"]),
        ("F1;10/01/2025;20/02/2025;Fournisseur;gestion;100;;P1", ["PERIODE"]),
        ("F1;10/03/2024;;Fournisseur;gestion;100;;P1", ["PAIEMENT"]),
        ("F1;10/03/2024;01/03/2025;Fournisseur;gestion;100;;P1", ["PAIEMENT"]),  # after 28/02/2025
        ("F1;10/03/2024;28/02/2025;Fournisseur;gestion;100;;P1", []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;Ville de Rennes;P1", ["PAYEUR"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;223 500 018 00013;P1", []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;223.500.018.00013;P1", []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;CONSEIL DEPARTEMENTAL D’ILLE ET VILAINE;P1", []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;22350001800021;P1", ["PAYEUR"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;;P2", ["PROJET"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;;p1", []),
        ("F1;10/03/2024;20/03/2024;Fournisseur;gestion;100;;", []),  # no code: nothing to check
        ("F1;10/03/2024;20/03/2024;Fournisseur;personnel;100;;P1", ["NATURE"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;communication;100;;P1", ["NATURE"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;;100;;P1", ["NATURE"]),
        ("F1;10/03/2024;20/03/2024;Fournisseur;GESTION;100;;P1", []),
        (";x;;;personnel;y;Ville de Rennes;P2", ["FORMAT", "PIECE", "PAIEMENT", "PAYEUR", "PROJET", "NATURE"]),
    ],
)
def test_expense_row_rules(make_convention, checker, line, rules):
    res = run(make_convention, checker, expenses=[line])
    assert rules_of(res, "expenses") == [rules]


def test_expense_lines_where_rows_go(make_convention, checker):
    res = run(
        make_convention, checker,
        expenses=["F1;10/03/2024;20/03/2024;A;personnel;100;;P1", "F2;10/03/2024;20/03/2024;A;communication;50;;P1"],
    )  # fmt: skip
    assert [r["line"] for r in res["rows"]] == ["personnel", "hors_budget"]
    lines = {li["line"]: li for li in res["lines"]}
    assert lines["personnel"]["declared"] == 100.0 and lines["personnel"]["rejected"] == {"NATURE": 100.0}
    assert lines["hors_budget"] == {
        "line": "hors_budget", "kind": None, "budget": 0.0, "declared": 50.0, "eligible": 0.0,
        "rejected": {"NATURE": 50.0}, "variance": 0.0, "variance_pct": None, "execution_rate": None, "alert": False,
        "explanation": None, "explanation_source": None,
    }  # fmt: skip


def test_expense_duplicates_trimmed_case_ignored(make_convention, checker):
    res = run(
        make_convention, checker,
        expenses=[
            "F1;10/03/2024;20/03/2024;Papeterie;gestion;100,00;;P1",
            " f1 ;11/03/2024;21/03/2024; PAPETERIE ;gestion;100;;P1",  # same piece, supplier, amount
            "F1;10/03/2024;20/03/2024;Papeterie;gestion;100,01;;P1",  # another amount
            "F1;bad;20/03/2024;Papeterie;gestion;100,00;;P1",  # FORMAT: takes no part
        ],
    )  # fmt: skip
    assert rules_of(res, "expenses") == [[], ["DOUBLON"], [], ["FORMAT"]]


def test_without_payment_date_column_paiement_is_not_applied(make_convention, checker):
    res = run(
        make_convention, checker, expenses_header="piece;date;fournisseur;ligne;montant",
        expenses=["F1;10/03/2024;A;gestion;100"],
    )  # fmt: skip
    assert rules_of(res, "expenses") == [[]]
    assert "PAIEMENT_NON_CONTROLE" in {f["rule"] for f in res["findings"]}


def test_payment_deadline_from_rules(make_convention, checker):
    changes = {"rules": {"payment_deadline": "2024-12-31"}}
    res = run(make_convention, checker, changes=changes, expenses=["F1;10/03/2024;15/01/2025;A;gestion;100;;P1"])
    assert rules_of(res, "expenses") == [["PAIEMENT"]]


def test_no_project_codes_means_no_projet_check_on_expenses(make_convention, checker):
    res = run(
        make_convention,
        checker,
        changes={"rules": {"project_codes": []}},
        expenses=["F1;10/03/2024;20/03/2024;A;gestion;100;;ZZ"],
    )
    assert rules_of(res, "expenses") == [[]]


def test_affectation_takes_the_unallocated_share_half_up(make_convention, checker):
    staff = [{"employee_id": "A1", "allocation": 0.5, "start": "2024-01-01", "ddets_validation_date": "2023-12-01"}]
    res = run(
        make_convention,
        checker,
        changes={"staff": staff},
        payroll=["A1;03/2024;0,01;0;0", "A1;04/2024;-0,03;0;0", "A1;05/2024;x;0;0"],
    )
    rows = [(r["amount"], r["eligible_amount"], r["rules"]) for r in res["rows"] if r["source"] == "payroll"]
    assert rows == [(0.01, 0.01, []), (-0.03, -0.02, ["AFFECTATION"]), (0.0, 0.0, ["FORMAT"])]
    personnel = res["lines"][0]
    assert personnel["rejected"] == {"FORMAT": 0.0, "AFFECTATION": -0.01}


def test_flat_rate_replaces_management_rows(make_convention, checker):
    changes = {"rules": {"management_costs": {"mode": "flat_rate", "rate": 0.15}}}
    res = run(
        make_convention,
        checker,
        changes=changes,
        payroll=["A1;03/2024;333,33;0;0"],
        expenses=[OK_EXP, "F9;10/01/2025;20/02/2025;A;gestion;7;;P1"],
    )
    forfait = [r for r in res["rows"] if r["source"] == "forfait"]
    assert forfait == [{"source": "forfait", "file": None, "sheet": None, "row": None, "line": "gestion",
                        "amount": 50.0, "eligible_amount": 50.0, "rules": [], "reasons": forfait[0]["reasons"],
                        "decision": None, "impact": None}]  # fmt: skip
    assert rules_of(res, "expenses") == [["FORFAIT"], ["PERIODE"]]
    gestion = res["lines"][1]
    assert gestion["declared"] == 157.0 and gestion["eligible"] == 50.0
    assert gestion["rejected"] == {"PERIODE": 7.0, "FORFAIT": 100.0}


def test_raisonnable_month_and_management_row(make_convention, checker):
    payroll = [f"A1;{m:02d}/2024;1000;0;0" for m in range(1, 6)] + ["A1;06/2024;1500;0;0", "A1;07/2024;1500,01;0;0"]
    expenses = ["F1;10/03/2024;20/03/2024;A;gestion;200,00;;P1", "F2;10/03/2024;20/03/2024;A;gestion;200,01;;P1"]
    res = run(make_convention, checker, payroll=payroll, expenses=expenses)
    flagged = [f for f in res["findings"] if f["rule"] == "RAISONNABLE"]
    # median of the 7 months is 1 000,00: 1 500,00 is not above 1,5 x; 1 500,01 is. 20 % of 1 000 = 200,00.
    assert [f["amount"] for f in flagged] == [1500.01, 200.01]
    assert all(f["severity"] == "warning" for f in flagged)
    assert "Agent 1" in flagged[0]["message"]


def test_raisonnable_sums_the_rows_of_a_month(make_convention, checker):
    payroll = ["A1;01/2024;1000;0;0", "A1;02/2024;1000;0;0", "A1;03/2024;1000;0;0", "A1;03/2024;600;0;0"]
    res = run(make_convention, checker, payroll=payroll)
    assert [f["amount"] for f in res["findings"] if f["rule"] == "RAISONNABLE"] == [1600.0]


def test_every_row_is_listed_once_and_lines_balance(make_convention, checker):
    payroll = ["A1;03/2024;1000;400;0", "A1;03/2024;1000;400;0", "Z9;x;y;z;0"]
    expenses = [OK_EXP, OK_EXP, ";;;;;;x;"]  # a row with only a payer is still a row
    res = run(make_convention, checker, payroll=payroll, expenses=expenses)
    assert [(r["source"], r["row"]) for r in res["rows"]] == [
        ("payroll", 2),
        ("payroll", 3),
        ("payroll", 4),
        ("expenses", 2),
        ("expenses", 3),
        ("expenses", 4),
    ]
    for line in res["lines"]:
        assert round(line["eligible"] + sum(line["rejected"].values()), 2) == line["declared"]


def test_cap_is_never_negative(make_convention, checker):
    """A negative eligible personnel cost (a regularisation alone) caps management costs at 0 €,
    not below, and the pro-rata split of the excess never divides by zero."""
    changes = {"rules": {"management_costs": {"mode": "actual", "cap_rate": 0.1}}}
    res = run(make_convention, checker, changes=changes, payroll=["A1;03/2024;-100,00;0;0"], expenses=[OK_EXP])
    gestion = res["lines"][1]
    assert (gestion["eligible"], gestion["rejected"]) == (0.0, {"PLAFOND_GESTION": 100.0})
    res = run(make_convention, checker, changes=changes, payroll=["A1;03/2024;-100,00;0;0"], name="no-expense")
    assert res["lines"][1]["eligible"] == 0.0 and res["lines"][1]["rejected"] == {}


def test_every_failing_row_is_named_beyond_gx_samples(make_convention, checker):
    """GX's default result lists 20 failing rows; the checker takes every one (COMPLETE on a
    frame indexed by row id): 300 rows after the period, interleaved with good ones, each
    rejected PERIODE with its own date in its reason."""
    bad = [f"F{i};{1 + i % 28:02d}/01/2025;20/02/2025;Fournisseur;gestion;1;;P1" for i in range(300)]
    good = [f"G{i};10/03/2024;20/03/2024;Fournisseur;gestion;1;;P1" for i in range(300)]
    lines = [line for pair in zip(bad, good, strict=True) for line in pair]
    res = run(make_convention, checker, expenses=lines)
    rows = [r for r in res["rows"] if r["source"] == "expenses"]
    assert [r["rules"] for r in rows] == [["PERIODE"], []] * 300
    for i, r in enumerate(rows[::2]):
        assert f"{1 + i % 28:02d}/01/2025" in " ".join(r["reasons"])
