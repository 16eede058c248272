"""Settlement arithmetic: exact cents, half-up rounding, the cap's cents, verdicts."""

from __future__ import annotations

from fractions import Fraction

import pytest

from pexaudit.core.aggregate import management_cap
from pexaudit.core.audit import audit, results
from pexaudit.core.settlement import Settlement, verdict
from pexaudit.money import as_fraction, round_half_up


@pytest.mark.parametrize(
    ("value", "rounded"),
    [(Fraction(5, 2), 3), (Fraction(-5, 2), -3), (Fraction(3, 2), 2), (Fraction(1, 2), 1), (Fraction(-1, 2), -1),
     (Fraction(249, 100), 2), (Fraction(-251, 100), -3), (7, 7), (Fraction(0), 0)],
)  # fmt: skip
def test_round_half_up_is_away_from_zero(value, rounded):
    assert round_half_up(value) == rounded


def test_as_fraction_reads_decimals_as_written():
    assert as_fraction(0.1) == Fraction(1, 10)
    assert as_fraction("0.08") == Fraction(2, 25)
    assert as_fraction(50000) == 50000


@pytest.mark.parametrize(
    ("eligible", "cap", "shares"),
    [
        ({"a": 133333, "b": 50000}, 126000, {"a": 41697, "b": 15636}),  # leftover cent to the larger line
        ({"a": 100, "b": 100, "c": 100}, 200, {"a": 34, "b": 33, "c": 33}),  # tie: first in budget order
        ({"a": 1000}, 1500, {}),  # cap not reached
        ({"a": 1000, "b": 0}, 400, {"a": 600}),
    ],
)
def test_management_cap_pro_rata(eligible, cap, shares):
    result = management_cap(eligible, cap)
    assert result == shares
    assert sum(result.values()) == max(0, sum(eligible.values()) - cap)


@pytest.mark.parametrize(
    ("justified", "paid", "outcome", "amount"),
    [(100, 40, "solde", 60), (40, 100, "reversement", 60), (100, 100, "solde_nul", 0)],
)
def test_outcome(justified, paid, outcome, amount):
    s = Settlement(granted=100, funding_rate=Fraction(1), eligible_total=justified, justified=justified, paid=paid)
    assert (s.outcome, s.amount, s.balance) == (outcome, amount, justified - paid)


class F:
    def __init__(self, severity, rule="X"):
        self.severity, self.rule = severity, rule


@pytest.mark.parametrize(
    ("justified", "paid", "severities", "expected"),
    [
        (100, 100, [], "conforme"),
        (100, 50, ["warning", "info"], "conforme"),
        (100, 100, ["error"], "a_examiner"),
        (50, 100, [], "reversement"),
        (50, 100, ["error"], "reversement"),
        # SPEC 9: no reversement without hearing the beneficiary; HORS_MISSION (SPEC 10) blocks a balance >= 0
        (50, 100, [("error", "CONTRADICTOIRE")], "a_examiner"),
        (100, 100, [("error", "CONTRADICTOIRE")], "a_examiner"),
        (50, 100, [("warning", "CONTRADICTOIRE")], "reversement"),
        (100, 50, [("error", "HORS_MISSION")], "a_examiner"),
        (50, 100, [("error", "HORS_MISSION")], "reversement"),
    ],
)
def test_verdict(justified, paid, severities, expected):
    s = Settlement(granted=100, funding_rate=Fraction(1), eligible_total=justified, justified=justified, paid=paid)
    found = [F(*x) if isinstance(x, tuple) else F(x) for x in severities]
    assert verdict(s, found) == expected


def settle_for(make_convention, checker, changes, payroll, name="conv"):
    folder = make_convention(changes=changes, payroll=payroll, name=name)
    return results(audit(folder, checker))["settlement"]


def test_justified_rounds_half_up_with_an_unrounded_rate(make_convention, checker):
    # rate = 10 000 / 30 000 = 1/3; eligible 0,05 -> 0,01666.. -> 0,02; 3 × 0,03 -> 0,03 exactly
    changes = {
        "budget": [
            {"line": "personnel", "kind": "personnel", "amount": 29000},
            {"line": "gestion", "kind": "management", "amount": 1000},
        ]
    }
    s = settle_for(make_convention, checker, changes, ["A1;03/2024;0,05;0;0"])
    assert s["justified"] == 0.02 and s["funding_rate"] == pytest.approx(1 / 3)
    # a half cent: rate 0,5 × 0,01 = 0,005 -> 0,01
    s = settle_for(make_convention, checker, {"subsidy": {"funding_rate": 0.5}}, ["A1;03/2024;0,01;0;0"], "half")
    assert s["justified"] == 0.01


def test_justified_never_exceeds_the_grant(make_convention, checker):
    s = settle_for(make_convention, checker, {}, ["A1;03/2024;20000;0;0"])
    assert s["justified"] == 10000.0 and s["outcome"] == "solde_nul"


def test_credit_notes_reduce_and_justified_is_never_negative(make_convention, checker):
    conv = make_convention(payroll=["A1;03/2024;-500;0;0"], expenses=["F1;10/03/2024;20/03/2024;A;gestion;-100;;P1"])
    res = results(audit(conv, checker))
    assert res["totals"]["eligible"] == -600.0
    assert res["settlement"]["justified"] == 0.0
    assert res["settlement"]["outcome"] == "reversement" and res["settlement"]["amount"] == 10000.0


def test_sum_of_many_cents_is_exact(make_convention, checker):
    payroll = [f"A1;{m:02d}/2024;0,10;0,20;0" for m in range(1, 13)]  # 0,1 + 0,2 is not 0,3 in floats
    res = results(audit(make_convention(payroll=payroll), checker))
    assert res["lines"][0]["eligible"] == 3.6
    assert res["totals"]["declared"] == 3.6
