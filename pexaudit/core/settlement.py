"""Reconciliation and settlement (SPEC section 6): budget lines, écarts, solde or reversement.

Pure functions over the rows of :mod:`pexaudit.rules`; amounts are integer cents and rates
exact fractions, rounded half-up only where SPEC shows an amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from ..errors import ConservationError
from ..inputs.convention import HORS_BUDGET, BudgetLine, Convention
from ..money import round_half_up
from .registry import RULE_ORDER

__all__ = [
    "Line",
    "Settlement",
    "check_conservation",
    "funding_rate",
    "justified_amounts",
    "reconcile",
    "settle",
    "verdict",
]


@dataclass(frozen=True)
class Line:
    line: str
    label: str
    kind: str | None
    budget: int
    declared: int
    eligible: int
    rejected: dict[str, int]  # rule -> cents, in RULE_ORDER
    rows: int

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def variance(self) -> int:
        return self.eligible - self.budget

    @property
    def variance_pct(self) -> Fraction | None:
        """Percent with 2 decimals, rounded half-up; None when the budget is 0."""
        if not self.budget:
            return None
        return Fraction(round_half_up(Fraction(self.variance * 10_000, self.budget)), 100)

    @property
    def execution_rate(self) -> Fraction | None:
        return Fraction(self.eligible, self.budget) if self.budget else None

    def alert(self, threshold: Fraction) -> bool:
        pct = self.variance_pct
        return pct is not None and abs(pct) > threshold


def reconcile(convention: Convention, rows: pd.DataFrame, cuts: dict[str, dict[str, int]]) -> list[Line]:
    """One :class:`Line` per budget line, then ``hors_budget`` when rows went there.

    ``rejected`` books each row's rejected part under its rule and its share (AFFECTATION,
    FORFAIT) under its own, then the line-level ``cuts`` of the aggregate rules.
    """
    budget = list(convention.budget)
    if (rows["line"] == HORS_BUDGET).any():
        budget.append(BudgetLine(HORS_BUDGET, "Hors budget", None, 0))
    lines = []
    for item in budget:
        on_line = rows[rows["line"] == item.line]
        rejected: dict[str, int] = {}
        for rule_column, amount_column in (("rejected_rule", "rejected_amount"), ("share_rule", "share_amount")):
            for rule, cents in on_line.groupby(rule_column)[amount_column].sum().items():
                rejected[rule] = rejected.get(rule, 0) + int(cents)
        taken = cuts.get(item.line, {})
        for rule, cents in taken.items():
            if cents:
                rejected[rule] = rejected.get(rule, 0) + cents
        rejected = {r: rejected[r] for r in RULE_ORDER if r in rejected}
        lines.append(
            Line(
                line=item.line,
                label=item.label,
                kind=item.kind,
                budget=item.amount,
                declared=int(on_line["amount"].sum()),
                eligible=int(on_line["eligible_amount"].sum()) - sum(taken.values()),
                rejected=rejected,
                rows=len(on_line),
            )
        )
    return lines


def check_conservation(lines: list[Line], rows: pd.DataFrame, expected_row_ids: list[int]) -> None:
    """Every row's cost = eligible + rejected + share; declared = eligible + Σ rejected on every
    line; every input row listed exactly once."""
    split = rows["eligible_amount"] + rows["rejected_amount"] + rows["share_amount"]
    if not split.equals(rows["amount"]):
        bad = rows.loc[split != rows["amount"], "row_id"].tolist()[:10]
        raise ConservationError(f"rows {bad}: cost != eligible + rejected + share (cents)")
    for line in lines:
        if line.declared != line.eligible + line.rejected_total:
            raise ConservationError(
                f"line {line.line}: declared {line.declared} != eligible {line.eligible} "
                f"+ rejected {line.rejected_total} (cents)"
            )
    listed = rows.loc[rows["source"] != "forfait", "row_id"].tolist()
    if sorted(listed) != sorted(expected_row_ids) or len(set(listed)) != len(listed):
        raise ConservationError(
            f"{len(expected_row_ids)} input rows read but {len(listed)} listed ({len(set(listed))} distinct)"
        )
    row_sum = int(rows["amount"].sum())
    if row_sum != sum(line.declared for line in lines):
        raise ConservationError("rows are missing from the budget lines")


@dataclass(frozen=True)
class Settlement:
    granted: int
    funding_rate: Fraction
    eligible_total: int
    justified: int
    paid: int
    other_funding: int = 0  # Σ subsidy.other_funding
    cap_cost: int | None = None  # max(0, eligible_total − other_funding) when other_funding > 0

    @property
    def by_rate(self) -> int:
        """min(granted, round(funding_rate × eligible_total, 2)): the justified amount before the
        non-surfinancement term (SURFINANCEMENT when ``cap_cost`` is below it)."""
        return min(self.granted, round_half_up(self.funding_rate * self.eligible_total))

    @property
    def balance(self) -> int:
        return self.justified - self.paid

    @property
    def outcome(self) -> str:
        if self.balance > 0:
            return "solde"
        return "reversement" if self.balance < 0 else "solde_nul"

    @property
    def amount(self) -> int:
        return abs(self.balance)


def funding_rate(convention: Convention) -> Fraction:
    """subsidy.funding_rate, or amount / Σ budget (never rounded)."""
    rate = convention.funding_rate
    return rate if rate is not None else Fraction(convention.subsidy_amount, convention.budget_total)


def justified_amounts(convention: Convention, totals: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(justified, cap_cost) for eligible totals (an object array of cents, exact):

        cap_cost  = max(0, eligible_total − other_funding), only when other_funding > 0
        justified = max(0, min(granted, round(funding_rate × eligible_total, 2), cap_cost))

    A negative eligible total (credit notes beyond costs) justifies nothing: the State cannot
    claim back more than it paid (docs/regles.md, choices)."""
    rate = funding_rate(convention)
    n, d = rate.numerator, rate.denominator
    magnitude = (2 * np.abs(totals) * n + d) // (2 * d)
    justified = np.where(totals < 0, -magnitude, magnitude)
    justified = np.where(justified < convention.subsidy_amount, justified, convention.subsidy_amount)
    others = convention.other_funding_total
    cap_cost = None
    if others > 0:
        cap_cost = np.where(totals - others > 0, totals - others, 0).astype(object)
        justified = np.where(justified < cap_cost, justified, cap_cost)
    return np.where(justified > 0, justified, 0).astype(object), cap_cost


def settle(convention: Convention, lines: list[Line]) -> Settlement:
    """justified = min(granted, round(rate × eligible_total, 2), cap_cost), never below zero."""
    eligible_total = sum(line.eligible for line in lines)
    justified, cap_cost = justified_amounts(convention, np.array([eligible_total], dtype=object))
    paid = sum(p.amount for p in convention.payments)
    return Settlement(
        granted=convention.subsidy_amount,
        funding_rate=funding_rate(convention),
        eligible_total=eligible_total,
        justified=int(justified[0]),
        paid=paid,
        other_funding=convention.other_funding_total,
        cap_cost=None if cap_cost is None else int(cap_cost[0]),
    )


# Error findings that make the verdict ``a_examiner`` whatever the balance (SPEC 9: no
# reversement without hearing the beneficiary).
BLOCKING_ANY_BALANCE = frozenset({"CONTRADICTOIRE"})


def verdict(settlement: Settlement, findings: list) -> str:
    """``reversement`` (balance < 0), ``a_examiner`` (an error stands: any error when the balance
    is ≥ 0, among them HORS_MISSION, the post doing something article 2 forbids; a CONTRADICTOIRE
    error whatever the balance), else ``conforme``."""
    errors = {f.rule for f in findings if f.severity == "error"}
    if errors & BLOCKING_ANY_BALANCE:
        return "a_examiner"
    if settlement.balance < 0:
        return "reversement"
    return "a_examiner" if errors else "conforme"
