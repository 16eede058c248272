"""Property tests over generated conventions and rows (hypothesis, bounded example counts).

For any convention and any rows, readable or not, in the period or not, duplicated or not:
conservation holds on every line, every input row is listed exactly once, a positive row's
eligible amount lies between 0 and its amount, the settlement never justifies more than was
granted (nor less than 0), and shuffling the input rows changes nothing but which copy of a
duplicate is the first.
"""

from __future__ import annotations

import random
import tempfile
from collections import Counter
from pathlib import Path

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pexaudit.audit import audit, results

EXAMPLES = 40
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

STAFF_IDS = ["A1", "A2", "A3"]
ALLOCATIONS = [1, 0.5, 0.6, 0.8, 0.25, 0.333]
MONTHS = ["11/2023", "12/2023", *[f"{m:02d}/2024" for m in range(1, 13)], "01/2025", "mars 2024", "13/2024", ""]
DATES = ["15/12/2023", "02/01/2024", "30/06/2024", "31/12/2024", "01/01/2025", "2024-05-05", "31/02/2024", ""]
PAID = ["", "20/03/2024", "2025-02-28", "01/03/2025", "n/a"]
LINES = ["gestion", "deplacements", "personnel", "communication", "", "GESTION"]
PAYERS = ["", "Conseil départemental d'Ille-et-Vilaine", "223 500 018 00013", "Ville de Rennes"]
CODES = ["", "P1", "p1", "P2"]


def cents(draw_value: int) -> str:
    sign = "-" if draw_value < 0 else ""
    euros, rest = divmod(abs(draw_value), 100)
    return f"{sign}{euros},{rest:02d}"


amounts = st.one_of(st.integers(-50_000, 900_000).map(cents), st.sampled_from(["", "abc", "1 2O0,00"]))
payroll_rows = st.lists(
    st.tuples(st.sampled_from([*STAFF_IDS, "Z9"]), st.sampled_from(MONTHS), amounts, amounts, amounts), max_size=14
)
expense_rows = st.lists(
    st.tuples(
        st.sampled_from(["", "F1", "F2", "F3", "F4"]), st.sampled_from(DATES), st.sampled_from(PAID),
        st.sampled_from(["", "Papeterie", "papeterie ", "SNCF"]), st.sampled_from(LINES), amounts,
        st.sampled_from(PAYERS), st.sampled_from(CODES),
    ),
    max_size=14,
)  # fmt: skip


@st.composite
def conventions(draw):
    staff = []
    for employee_id in STAFF_IDS[: draw(st.integers(0, 3))]:
        start = draw(st.sampled_from([None, "2024-01-01", "2024-03-15", "2024-07-01"]))
        end = draw(st.sampled_from([None, "2024-06-30", "2024-12-31"]))
        if start and end and start > end:
            start, end = end, start
        staff.append({"employee_id": employee_id, "allocation": draw(st.sampled_from(ALLOCATIONS)), "start": start,
                      "end": end, "ddets_validation_date": draw(st.sampled_from([None, "2024-01-10"]))})  # fmt: skip
    management = draw(
        st.sampled_from(
            [{"mode": "actual", "cap_rate": None}, {"mode": "actual", "cap_rate": 0.05},
             {"mode": "actual", "cap_rate": 0.001}, {"mode": "flat_rate", "rate": 0.07}]
        )
    )  # fmt: skip
    return {
        "id": "prop-2024",
        "title": "Propriétés",
        "programme": "177",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "beneficiary": {"name": "Conseil départemental d'Ille-et-Vilaine", "siret": "22350001800013"},
        "subsidy": {"amount": draw(st.integers(1, 60_000)), "funding_rate": draw(st.sampled_from([None, 0.8, 0.333])),
                    "payments": [{"date": "2024-03-01", "amount": draw(st.integers(0, 60_000))}]},
        "budget": [
            {"line": "personnel", "kind": "personnel", "amount": draw(st.integers(1, 50_000))},
            {"line": "gestion", "kind": "management", "amount": draw(st.integers(0, 5_000))},
            {"line": "deplacements", "kind": "management", "amount": draw(st.integers(0, 3_000))},
        ],
        "staff": staff,
        "rules": {"project_codes": draw(st.sampled_from([[], ["P1"]])), "management_costs": management},
        "inputs": {"payroll": "paie.csv", "expenses": "depenses.csv"},
    }  # fmt: skip


def write(folder: Path, convention: dict, payroll: list, expenses: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "convention.yaml").write_text(yaml.safe_dump(convention, allow_unicode=True), encoding="utf-8")
    pay = ["matricule;periode;brut;charges_patronales;autres_couts", *(";".join(r) for r in payroll)]
    exp = [
        "piece;date;date_paiement;fournisseur;ligne;montant;payeur;code_analytique",
        *(";".join(r) for r in expenses),
    ]
    (folder / "paie.csv").write_text("\n".join(pay) + "\n", encoding="utf-8")
    (folder / "depenses.csv").write_text("\n".join(exp) + "\n", encoding="utf-8")


def run(convention, payroll, expenses, checker) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp) / "c", convention, payroll, expenses)
        return results(audit(Path(tmp) / "c", checker))


def non_blank(rows: list[tuple]) -> list[tuple]:
    return [r for r in rows if any(v.strip() for v in r)]  # blank lines are not input rows


@SETTINGS
@given(convention=conventions(), payroll=payroll_rows, expenses=expense_rows)
def test_conservation_and_every_row_once(checker, schema, convention, payroll, expenses):
    res = run(convention, payroll, expenses, checker)
    jsonschema.validate(res, schema)
    for line in res["lines"]:
        rejected = sum(round(v * 100) for v in line["rejected"].values())
        assert round(line["declared"] * 100) == round(line["eligible"] * 100) + rejected, line
    listed = Counter((r["source"], r["row"]) for r in res["rows"] if r["source"] != "forfait")
    expected = Counter(
        [("payroll", i) for i, r in enumerate(payroll, start=2) if any(v.strip() for v in r)]
        + [("expenses", i) for i, r in enumerate(expenses, start=2) if any(v.strip() for v in r)]
    )
    assert listed == expected
    for row in res["rows"]:
        if row["amount"] >= 0:
            assert 0 <= row["eligible_amount"] <= row["amount"], row
        if row["rules"] and row["rules"][0] not in ("AFFECTATION", "FORFAIT"):
            assert row["eligible_amount"] == 0
    s = res["settlement"]
    assert 0 <= s["justified"] <= s["granted"]
    assert round((s["justified"] - s["paid"]) * 100) == round(s["balance"] * 100)
    assert s["amount"] == abs(s["balance"])


def _row_key(row: dict) -> tuple:
    return (row["source"], row["line"], row["amount"], row["eligible_amount"], tuple(row["rules"]))


@SETTINGS
@given(
    convention=conventions(), payroll=payroll_rows, expenses=expense_rows,
    copies=st.lists(st.integers(0, 13), max_size=4), seed=st.integers(0, 2**16),
)  # fmt: skip
def test_shuffling_rows_changes_nothing_but_which_copy_is_first(checker, convention, payroll, expenses, copies, seed):
    payroll, expenses = non_blank(payroll), non_blank(expenses)
    # exact copies: with them, which one is "first" cannot change any amount
    payroll = payroll + [payroll[i] for i in copies if i < len(payroll)]
    expenses = expenses + [expenses[i] for i in copies if i < len(expenses)]
    before = run(convention, payroll, expenses, checker)
    rng = random.Random(seed)
    shuffled_payroll, shuffled_expenses = payroll[:], expenses[:]
    rng.shuffle(shuffled_payroll)
    rng.shuffle(shuffled_expenses)
    after = run(convention, shuffled_payroll, shuffled_expenses, checker)
    for key in ("lines", "totals", "settlement", "verdict"):
        assert before[key] == after[key], key
    assert Counter(_row_key(r) for r in before["rows"]) == Counter(_row_key(r) for r in after["rows"])
    assert Counter(f["rule"] for f in before["findings"]) == Counter(f["rule"] for f in after["findings"])
