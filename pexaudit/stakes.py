"""What is at stake (SPEC section 9): each rejected row's ``impact`` and ``max_balance``.

``impact`` is the change of the balance if that row alone were accepted, everything recomputed
(AFFECTATION, the management cap or flat rate, the funding rate, the granted ceiling). Running
the settlement once per row would cost a full recomputation each; instead, the balance is a
function of three sums only (SPEC sections 5-6):

    P = Σ eligible on the personnel line      M = Σ eligible on management lines
    O = Σ eligible on the other lines (hors_budget included)

    eligible_total = P + O + M                          actual costs, no cap
                   = P + O + min(M, max(0, cap(P)))     actual costs, cap = round(cap_rate × P)
                   = P + O + M + round(rate × P)        flat rate (management rows count 0)
    justified      = max(0, min(granted, round(funding_rate × eligible_total)))

so accepting one row moves one of P, M, O by ``Δ`` = (its eligible amount once accepted) −
(its eligible amount now), and every row's new balance is that formula on arrays: exact
integer arithmetic on numpy object arrays, one pass for all rows. The tests check it against
runs that accept each row through a real ``decisions.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import pandas as pd

from .convention import Convention
from .money import round_half_up
from .registry import FAILING_RULES

__all__ = ["Stakes", "accepted_eligible", "by_impact", "candidates", "stakes"]


@dataclass(frozen=True)
class Stakes:
    impact: pd.Series  # per row: int cents, or None
    max_balance: int  # cents


def by_impact(rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the largest stake first (what accepting the row would change), unknown
    stakes last, file order kept among equals: how the report, the workbook and the notebook
    list rejected rows."""
    if rows.empty or "impact" not in rows:
        return rows
    impact = rows["impact"].to_numpy(dtype=object)
    order = sorted(range(len(rows)), key=lambda i: (impact[i] is None or impact[i] != impact[i], -(impact[i] or 0), i))
    return rows.iloc[order]


def _round(rate: Fraction, values):
    """round(rate × values), half-up, on an int or an object array of ints (exact)."""
    if not isinstance(values, np.ndarray):
        return round_half_up(rate * values)
    n, d = rate.numerator, rate.denominator
    magnitude = (2 * np.abs(values) * n + d) // (2 * d)
    return np.where(values < 0, -magnitude, magnitude)


def _minimum(a, b):
    return np.where(a < b, a, b) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) else min(a, b)


def _maximum(a, b):
    return np.where(a > b, a, b) if isinstance(a, np.ndarray) or isinstance(b, np.ndarray) else max(a, b)


def eligible_total(convention: Convention, personnel, management, other):
    """Σ eligible over the lines, from the three sums (ints or object arrays)."""
    mode = convention.management_costs
    if mode.mode == "flat_rate":
        return personnel + other + management + _round(mode.rate, personnel)
    if mode.cap_rate is None or not convention.management_lines:
        return personnel + other + management
    cap = _maximum(_round(mode.cap_rate, personnel), 0)
    return personnel + other + _minimum(management, cap)


def balance(convention: Convention, total):
    """justified − paid, as :func:`pexaudit.settlement.settle` computes it."""
    rate = convention.funding_rate or Fraction(convention.subsidy_amount, convention.budget_total)
    justified = _maximum(_minimum(_round(rate, total), convention.subsidy_amount), 0)
    return justified - sum(p.amount for p in convention.payments)


def candidates(rows: pd.DataFrame) -> pd.Series:
    """Rows with a stake: readable, and failing a rule after decisions, or rejected in whole or
    part by a decision (their booked rule is then a failing rule). Accepted rows, rows losing
    only AFFECTATION or FORFAIT, unreadable rows and the forfait row have none."""
    return rows["readable"].astype(bool) & rows["rejected_rule"].isin(FAILING_RULES) & (rows["source"] != "forfait")


def accepted_eligible(convention: Convention, rows: pd.DataFrame) -> np.ndarray:
    """Each row's eligible amount once accepted: cost × allocation, or 0 for a management
    expense under the flat rate (FORFAIT)."""
    cost = rows["amount"].to_numpy(dtype=object)
    share = rows["share"].to_numpy(dtype=object)
    out = cost.copy()
    for i in np.flatnonzero(share != 1):
        out[i] = round_half_up(share[i] * cost[i])
    if convention.management_costs.mode == "flat_rate":
        management = {b.line for b in convention.management_lines}
        flat = ((rows["source"] == "expenses") & rows["line"].isin(management)).to_numpy()
        out[flat] = 0
    return out


def _sums(convention: Convention, rows: pd.DataFrame) -> tuple[int, int, int]:
    counted = rows[rows["source"] != "forfait"]
    kind = _kinds(convention, counted["line"])
    eligible = counted["eligible_amount"]
    return tuple(int(eligible[kind == k].sum()) for k in ("P", "M", "O"))


def _kinds(convention: Convention, lines: pd.Series) -> np.ndarray:
    """ "P" (personnel line), "M" (management lines) or "O" (any other line) per row."""
    management = {b.line for b in convention.management_lines}
    personnel = lines == convention.personnel_line.line
    return np.where(personnel, "P", np.where(lines.isin(management), "M", "O"))


def stakes(convention: Convention, rows: pd.DataFrame) -> Stakes:
    """``impact`` of every row (None where it has none) and ``max_balance`` (SPEC section 9)."""
    sums = _sums(convention, rows)
    now = balance(convention, eligible_total(convention, *sums))
    impact = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    picked = rows[candidates(rows)]
    if picked.empty:
        return Stakes(impact, now)
    delta = accepted_eligible(convention, picked) - picked["eligible_amount"].to_numpy(dtype=object)
    kind = _kinds(convention, picked["line"])
    moved = [sums[i] + np.where(kind == k, delta, 0) for i, k in enumerate("PMO")]
    after = balance(convention, eligible_total(convention, *moved))
    impact.loc[picked.index] = list(after - now)
    together = [sums[i] + int(delta[kind == k].sum()) for i, k in enumerate("PMO")]
    return Stakes(impact, int(balance(convention, eligible_total(convention, *together))))
