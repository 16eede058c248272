"""The aggregate rules of SPEC section 5, run once, after the row rules and the decisions.

They never change a row's ``eligible_amount``: the management cap books its excess on the
management lines (PLAFOND_GESTION), the flat rate adds one generated row (source ``forfait``).
What they take is a line-level cut, kept apart from the rows' own rejections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from .convention import Convention
from .fmt import eur, pct
from .money import round_half_up
from .rules import tidy

__all__ = ["Aggregates", "aggregate", "management_cap", "management_cap_amount"]

FORFAIT_ROW_ID = -1


@dataclass(frozen=True)
class Aggregates:
    """The rows after decisions with the generated flat-rate row, and the line-level cuts."""

    rows: pd.DataFrame
    cuts: dict[str, dict[str, int]] = field(default_factory=dict)  # line -> rule -> cents taken on the line
    base: int = 0  # cents: the eligible amount the cap or the flat rate is computed on
    cap: int | None = None  # cents, actual mode with a cap rate
    forfait: int | None = None  # cents, flat-rate mode

    def cut(self, line: str, rule: str | None = None) -> int:
        """Cents taken on ``line`` by one aggregate rule, or by all of them."""
        taken = self.cuts.get(line, {})
        return taken.get(rule, 0) if rule else sum(taken.values())


def aggregate(convention: Convention, rows: pd.DataFrame) -> Aggregates:
    """The management rule on the rows after decisions: the flat-rate row, or the cap."""
    personnel = convention.personnel_line.line
    base = int(rows.loc[rows["line"] == personnel, "eligible_amount"].sum()) if len(rows) else 0
    mode = convention.management_costs
    if mode.mode == "flat_rate":
        amount = round_half_up(mode.rate * base)
        row = {
            "row_id": FORFAIT_ROW_ID, "source": "forfait", "file": None, "sheet": None, "row": None,
            "line": convention.management_lines[0].line, "amount": amount, "eligible_amount": amount,
            "rejected_amount": 0, "share_amount": 0, "rules": [], "fails": [], "share": Fraction(1),
            "readable": True, "decision": None, "rules_eligible": amount,
            "reasons": [f"forfait de gestion : {_pct(mode.rate)} × {eur(base)} de personnel éligible"],
        }  # fmt: skip
        extra = pd.DataFrame([row], columns=list(rows.columns))
        both = tidy(pd.concat([rows, extra], ignore_index=True))
        both["decision"] = both["decision"].astype(object).where(both["decision"].notna(), None)
        return Aggregates(both, base=base, forfait=amount)
    if mode.cap_rate is None:
        return Aggregates(rows, base=base)
    cap = management_cap_amount(mode.cap_rate, base)
    eligible = {
        b.line: int(rows.loc[rows["line"] == b.line, "eligible_amount"].sum()) if len(rows) else 0
        for b in convention.management_lines
    }
    cuts = {line: {"PLAFOND_GESTION": cents} for line, cents in management_cap(eligible, cap).items()}
    return Aggregates(rows, cuts=cuts, base=base, cap=cap)


def management_cap_amount(cap_rate: Fraction, eligible_personnel: int) -> int:
    """round(cap_rate × eligible personnel, 2), never below 0.

    A negative eligible personnel cost (regularisations beyond pay) cannot make management
    costs negative: the cap is then 0 (and the pro-rata split below never divides by 0).
    """
    return max(0, round_half_up(cap_rate * eligible_personnel))


def management_cap(eligible: dict[str, int], cap: int) -> dict[str, int]:
    """Excess of the management lines over ``cap``, taken from each line pro rata.

    Each line's share in cents is rounded down; the cents left over go to the line with the
    largest eligible amount (the first such line in budget order).
    """
    total = sum(eligible.values())
    excess = total - cap
    if excess <= 0 or not eligible:
        return {}
    shares = {line: excess * amount // total for line, amount in eligible.items()}
    left = excess - sum(shares.values())
    largest = max(eligible, key=lambda line: eligible[line])
    shares[largest] += left
    return {line: share for line, share in shares.items() if share}


def _pct(rate: Fraction) -> str:
    return pct(rate * 100).replace(",00 %", " %")
