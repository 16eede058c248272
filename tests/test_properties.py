"""Property tests over generated conventions and rows (hypothesis, bounded example counts).

For any convention and any rows, readable or not, in the period or not, duplicated or not:
conservation holds on every line (DEPASSEMENT included), every input row is listed exactly
once, a positive row's eligible amount lies between 0 and its amount, no line's eligible amount
exceeds its fongibilité limit, the settlement never justifies more than was granted (nor less
than 0), and shuffling the input rows changes nothing but which copy of a duplicate is the
first. Raising ``line_overrun_pct`` never lowers the eligible total (one management line; see
test_budget.py for why not with two), and a co-funder never raises the justified amount.
"""

from __future__ import annotations

import copy
import os
import random
import tempfile
from collections import Counter
from fractions import Fraction
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from pexaudit.core.audit import audit, results
from pexaudit.core.registry import FAILING_RULES
from pexaudit.inputs.decisions import Decision
from pexaudit.model.bilan import build
from pexaudit.money import round_half_up
from pexaudit.workbench import simulate

# `make test` tries 40 examples per property; `make test-fast` (PEXAUDIT_EXAMPLES=4) a few, in seconds.
EXAMPLES = int(os.environ.get("PEXAUDIT_EXAMPLES", "40"))
SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)

STAFF_IDS = ["A1", "A2", "A3"]
ALLOCATIONS = [1, 0.5, 0.6, 0.8, 0.25, 0.333]
MONTHS = ["11/2023", "12/2023", *[f"{m:02d}/2024" for m in range(1, 13)], "01/2025", "mars 2024", "13/2024", ""]
DATES = ["15/12/2023", "02/01/2024", "30/06/2024", "31/12/2024", "01/01/2025", "2024-05-05", "31/02/2024", ""]
PAID = ["", "20/03/2024", "2025-02-28", "01/03/2025", "n/a"]
LINES = ["gestion", "deplacements", "personnel", "communication", "", "GESTION", "formation"]
ACCOUNTS = ["", "6064", "6234", "62571", "6251"]
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
        st.sampled_from(PAYERS), st.sampled_from(CODES), st.sampled_from(ACCOUNTS),
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
    management["base"] = draw(st.sampled_from(["personnel", "direct"]))
    rules = {
        "project_codes": draw(st.sampled_from([[], ["P1"]])),
        "management_costs": management,
        "line_overrun_pct": draw(st.sampled_from([None, 0, 10, 150])),
        "excluded": draw(st.sampled_from([[], [{"accounts": ["6234", "6257"], "motive": "réceptions"}]])),
    }
    others = draw(st.sampled_from([[], [{"funder": "CAF", "amount": draw(st.integers(0, 4_000))}]]))
    return {
        "id": "prop-2024",
        "title": "Propriétés",
        "programme": "177",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "beneficiary": {"name": "Conseil départemental d'Ille-et-Vilaine", "siret": "22350001800013"},
        "subsidy": {"amount": draw(st.integers(1, 60_000)), "funding_rate": draw(st.sampled_from([None, 0.8, 0.333])),
                    "other_funding": others,
                    "payments": [{"date": "2024-03-01", "amount": draw(st.integers(0, 60_000))}]},
        "budget": [
            {"line": "personnel", "kind": "personnel", "amount": draw(st.one_of(st.integers(1, 3_000),
                                                                                 st.integers(1, 50_000)))},
            {"line": "gestion", "kind": "management", "amount": draw(st.integers(0, 5_000))},
            {"line": "deplacements", "kind": draw(st.sampled_from(["management", "direct"])),
             "amount": draw(st.integers(0, 1_500))},
            {"line": "formation", "kind": "direct", "amount": draw(st.integers(0, 800))},
        ],
        "staff": staff,
        "rules": rules,
        "inputs": {"payroll": "paie.csv", "expenses": "depenses.csv"},
    }  # fmt: skip


def write(folder: Path, convention: dict, payroll: list, expenses: list) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "convention.yaml").write_text(yaml.safe_dump(convention, allow_unicode=True), encoding="utf-8")
    pay = ["matricule;periode;brut;charges_patronales;autres_couts", *(";".join(r) for r in payroll)]
    exp = [
        "piece;date;date_paiement;fournisseur;ligne;montant;payeur;code_analytique;compte",
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
    pct = convention["rules"]["line_overrun_pct"]
    if pct is not None:
        budget = {b["line"]: Fraction(str(b["amount"])) for b in convention["budget"]}
        for line in res["lines"]:
            if line["line"] in budget:
                limit = round_half_up(budget[line["line"]] * 100 * (100 + pct) / 100)
                assert round(line["eligible"] * 100) <= limit, line
    s = res["settlement"]
    assert 0 <= s["justified"] <= s["granted"]
    assert round((s["justified"] - s["paid"]) * 100) == round(s["balance"] * 100)
    assert s["amount"] == abs(s["balance"])
    if s["cap_cost"] is not None:
        assert s["justified"] <= s["cap_cost"] and s["other_funding"] > 0


# Rows that pass every row rule (A1 is on the staff, the dates are in the period and paid in time),
# so that the aggregate rules and the settlement see real amounts.
clean_amounts = st.integers(-20_000, 400_000).map(cents)
clean_payroll = st.lists(
    st.tuples(st.just("A1"), st.sampled_from([f"{m:02d}/2024" for m in range(1, 13)]), clean_amounts,
              clean_amounts, st.just("0")),
    max_size=6,
)  # fmt: skip
clean_expenses = st.lists(
    st.tuples(
        st.sampled_from(["F1", "F2", "F3", "F4", "F5", "F6"]), st.just("02/01/2024"), st.just("20/03/2024"),
        st.sampled_from(["Papeterie", "SNCF", "Hôtel"]), st.sampled_from(["gestion", "deplacements", "formation"]),
        clean_amounts, st.just(""), st.just(""), st.sampled_from(["", "6064", "6234"]),
    ),
    max_size=8,
)  # fmt: skip


# Each example of the comparisons below is two or more audits: fewer examples (20 in `make test`,
# as many as the other properties in `make test-fast`) keep both lanes in their time.
PAIR_SETTINGS = settings(
    max_examples=min(20, EXAMPLES), deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


def staffed(convention: dict) -> dict:
    convention = copy.deepcopy(convention)
    convention["staff"] = [{"employee_id": "A1", "allocation": 1}]
    return convention


@PAIR_SETTINGS
@given(
    convention=conventions(), payroll=clean_payroll, expenses=clean_expenses,
    limits=st.lists(st.sampled_from([0, 5, 10, 33, 150]), min_size=1, max_size=2, unique=True),
)  # fmt: skip
def test_raising_line_overrun_pct_never_lowers_the_eligible_total(checker, convention, payroll, expenses, limits):
    """Higher limits, then no limit at all: the eligible total never falls (one management line)."""
    convention = staffed(convention)
    convention["budget"][2]["kind"] = "direct"
    totals = []
    for pct in [*sorted(limits), None]:
        convention["rules"]["line_overrun_pct"] = pct
        totals.append(round(run(convention, payroll, expenses, checker)["totals"]["eligible"] * 100))
    event(f"the limit changed the total: {len(set(totals)) > 1}")
    assert totals == sorted(totals), totals


@PAIR_SETTINGS
@given(convention=conventions(), payroll=clean_payroll, expenses=clean_expenses, amount=st.integers(0, 30_000))
def test_a_co_funder_never_raises_the_justified_amount(checker, convention, payroll, expenses, amount):
    convention = staffed(convention)
    convention["subsidy"]["other_funding"] = []
    alone = run(convention, payroll, expenses, checker)
    convention["subsidy"]["other_funding"] = [{"funder": "CAF", "amount": amount}]
    shared = run(convention, payroll, expenses, checker)
    event(f"the co-funder binds: {shared['settlement']['justified'] < alone['settlement']['justified']}")
    assert shared["settlement"]["justified"] <= alone["settlement"]["justified"]
    assert shared["totals"] == alone["totals"]  # it changes the settlement only
    binds = shared["settlement"]["justified"] < alone["settlement"]["justified"]
    assert binds == ("SURFINANCEMENT" in {f["rule"] for f in shared["findings"]})


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
    # A last row with no identifier equal to the sum of the rows above is the export's total (SPEC 4):
    # shuffling can bring such a row to the end, or take it away.
    assume(not any(i.get("ignored_rows") for res in (before, after) for i in res["inputs"]))
    for key in ("lines", "totals", "settlement", "verdict"):
        assert before[key] == after[key], key
    assert Counter(_row_key(r) for r in before["rows"]) == Counter(_row_key(r) for r in after["rows"])
    assert Counter(f["rule"] for f in before["findings"]) == Counter(f["rule"] for f in after["findings"])


# --- the auditor's decisions (SPEC section 9) ------------------------------------------------

DECISION_EXAMPLES = min(30, EXAMPLES)
DECISION_SETTINGS = settings(
    max_examples=DECISION_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
picks = st.lists(
    st.tuples(st.integers(0, 27), st.sampled_from(["accept", "reject", "partial"]), st.integers(0, 100)),
    min_size=2,
    max_size=6,
)


def ref(row) -> str:
    return f"{row.file}!{row.sheet or ''}!{row.row}"


def valid_decisions(rows, choices) -> dict[str, dict]:
    """Decisions the checks accept, on rows drawn by index: ref -> decisions.yaml item."""
    rows = rows[rows["source"] != "forfait"]
    out: dict[str, dict] = {}
    for index, kind, percent in choices:
        if rows.empty:
            break
        rec = next(rows.iloc[[index % len(rows)]].itertuples(index=False))
        if ref(rec) in out or (kind == "partial" and not rec.readable):
            continue
        item = {"ref": ref(rec), "decision": kind, "motive": f"motif {len(out)}"}
        if kind == "accept" and not rec.readable:
            item["amount"] = percent * 37 / 100  # the amount read on the voucher, in euros
        if kind != "accept":
            item["rule"] = FAILING_RULES[percent % len(FAILING_RULES)]
        if kind == "partial":
            item["amount"] = (
                int(rec.amount) * percent // 100 / 100 if rec.amount >= 0 else -(-rec.amount * percent // 100) / 100
            )
        out[ref(rec)] = item
    return out


def write_decisions(folder: Path, decisions: dict[str, dict]) -> None:
    document = {"phase": "provisoire", "rows": list(decisions.values())}
    (folder / "decisions.yaml").write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


def cents_of(euros: float) -> int:
    return round(euros * 100)


@DECISION_SETTINGS
@given(convention=conventions(), payroll=payroll_rows, expenses=expense_rows, choices=picks)
def test_impact_is_the_balance_change_of_the_same_steps_accepting_the_row(
    checker, convention, payroll, expenses, choices
):
    """In memory (one GX run, then the steps after it): every row's impact is the balance change
    the audit's own steps give when that row alone is accepted, and max_balance when all are.
    (The file-based property below proves these steps equal a real run.)"""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "c"
        write(folder, convention, payroll, expenses)
        decisions = valid_decisions(audit(folder, checker).rows, choices)
        write_decisions(folder, decisions)
        b = build(audit(folder, checker))
    staked = b.audit.rows[b.audit.rows["impact"].notna()]
    balance = b.headline.balance
    for rec in staked.itertuples(index=False):
        accepted = simulate(b, [Decision(ref(rec), "accept", "accepté")])
        assert accepted.headline.balance - balance == rec.impact, ref(rec)
    if len(staked):
        together = simulate(b, [Decision(ref(rec), "accept", "tout") for rec in staked.itertuples(index=False)])
        assert together.headline.balance == b.headline.max_balance
    else:
        assert b.headline.max_balance == balance


@pytest.mark.slow
@DECISION_SETTINGS
@given(convention=conventions(), payroll=payroll_rows, expenses=expense_rows, choices=picks, target=st.integers(0, 99))
def test_impact_is_the_balance_change_of_the_run_that_accepts_the_row(
    checker, schema, convention, payroll, expenses, choices, target
):
    """For random conventions and decisions: a row's impact is what a real run accepting it (a
    decisions.yaml written, everything read and checked again) does to the balance; accepting
    every row with an impact gives max_balance; a rejected row of positive amount, accepted,
    never lowers the balance."""
    _impacts_hold(checker, schema, convention, payroll, expenses, choices, target)


@PAIR_SETTINGS
@given(
    convention=conventions(), payroll=clean_payroll, expenses=clean_expenses, choices=picks, target=st.integers(0, 99)
)
def test_impact_holds_where_lines_reach_their_limits_and_co_funders_bind(
    checker, schema, convention, payroll, expenses, choices, target
):
    """The same, on rows that pass the row rules: lines reach their fongibilité limits, the cap and
    the co-funders bind, and what is rejected is rejected by EXCLUE or by a decision."""
    _impacts_hold(checker, schema, staffed(convention), payroll, expenses, choices, target)


def _impacts_hold(checker, schema, convention, payroll, expenses, choices, target) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "c"
        write(folder, convention, payroll, expenses)
        decisions = valid_decisions(audit(folder, checker).rows, choices)
        write_decisions(folder, decisions)
        decided = audit(folder, checker)
        res = results(decided)
        jsonschema.validate(res, schema)
        balance = cents_of(res["settlement"]["balance"])
        staked = [r for r in res["rows"] if r["impact"] is not None]
        for r in staked:
            if r["amount"] > 0:
                assert r["impact"] >= 0, r
        event(f"decisions: {bool(decisions)}, rows with a stake: {bool(staked)}")
        event(f"DEPASSEMENT on a line: {any('DEPASSEMENT' in line['rejected'] for line in res['lines'])}")
        event(f"the co-funder binds: {'SURFINANCEMENT' in {f['rule'] for f in res['findings']}}")
        event(f"base direct: {convention['rules']['management_costs']['base'] == 'direct'}")
        if staked:
            chosen = staked[target % len(staked)]
            key = f"{chosen['file']}!{chosen['sheet'] or ''}!{chosen['row']}"
            write_decisions(folder, {**decisions, key: {"ref": key, "decision": "accept", "motive": "accepté"}})
            after = results(audit(folder, checker))["settlement"]["balance"]
            assert cents_of(after) - balance == cents_of(chosen["impact"]), chosen
            everything = dict(decisions)
            for r in staked:
                key = f"{r['file']}!{r['sheet'] or ''}!{r['row']}"
                everything[key] = {"ref": key, "decision": "accept", "motive": "tout accepté"}
            write_decisions(folder, everything)
            together = results(audit(folder, checker))["settlement"]["balance"]
            assert cents_of(together) == cents_of(res["settlement"]["max_balance"])
        else:
            assert res["settlement"]["max_balance"] == res["settlement"]["balance"]


def _decided_key(row: dict) -> tuple:
    decision = row["decision"] and tuple(sorted(row["decision"].items()))
    return (*_row_key(row), decision, row["impact"])


@pytest.mark.slow
@DECISION_SETTINGS
@given(convention=conventions(), payroll=payroll_rows, expenses=expense_rows, choices=picks, seed=st.integers(0, 2**16))
def test_decisions_on_shuffled_input_give_the_same_result(checker, convention, payroll, expenses, choices, seed):
    """The same decisions, on the same rows at other places in their files, change nothing."""
    payroll = list(dict.fromkeys(non_blank(payroll)))
    expenses = list(dict.fromkeys(non_blank(expenses)))
    rng = random.Random(seed)
    order_pay, order_exp = list(range(len(payroll))), list(range(len(expenses)))
    rng.shuffle(order_pay)
    rng.shuffle(order_exp)
    with tempfile.TemporaryDirectory() as tmp:
        first, second = Path(tmp) / "a", Path(tmp) / "b"
        write(first, convention, payroll, expenses)
        write(second, convention, [payroll[i] for i in order_pay], [expenses[i] for i in order_exp])
        decisions = valid_decisions(audit(first, checker).rows, choices)
        # the same row, moved: its line number in the shuffled file (header on line 1)
        moved = {"paie.csv": {i + 2: order_pay.index(i) + 2 for i in order_pay},
                 "depenses.csv": {i + 2: order_exp.index(i) + 2 for i in order_exp}}  # fmt: skip
        shuffled = {}
        for key, item in decisions.items():
            file, _, number = key.split("!")
            new = f"{file}!!{moved[file][int(number)]}"
            shuffled[new] = {**item, "ref": new}
        write_decisions(first, decisions)
        write_decisions(second, shuffled)
        before, after = results(audit(first, checker)), results(audit(second, checker))

    def trace(res: dict) -> Counter:
        return Counter((r["source"], r["amount"], tuple(r["rules"]), bool(r["decision"])) for r in res["rows"])

    # which copy of a duplicate is "first" may change with the order, and a decision follows its row
    assume(trace(before) == trace(after))
    event(f"decisions: {len(shuffled) > 0}")
    for key in ("lines", "totals", "settlement", "verdict"):
        assert before[key] == after[key], key
    assert Counter(_decided_key(r) for r in before["rows"]) == Counter(_decided_key(r) for r in after["rows"])
    assert Counter(f["rule"] for f in before["findings"]) == Counter(f["rule"] for f in after["findings"])
