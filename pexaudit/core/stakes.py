"""What is at stake (SPEC section 9): each rejected row's ``impact`` and ``max_balance``.

``impact`` is the change of the balance if that row alone were accepted, everything recomputed
(AFFECTATION, DEPASSEMENT, the management cap or flat rate, the funding rate, the granted
ceiling, the other funders' term). Running the audit once per row would cost a full
recomputation each; instead, the balance is a function of the per-line sums of row eligible
amounts only (SPEC sections 5-6):

    S_l            = Σ row eligible on line l (the flat-rate row excepted)
    line eligible  = the aggregate rules over the S_l (pexaudit.aggregate.line_amounts):
                     DEPASSEMENT on personnel and direct lines, the cap or flat rate on the base,
                     DEPASSEMENT on management lines
    justified      = max(0, min(granted, round(funding_rate × Σ line eligible), cap_cost))

so accepting one row moves the S of its line by ``Δ`` = (its eligible amount once accepted) −
(its eligible amount now), and every row's new balance is those rules evaluated on arrays, one
element per row: exact integer arithmetic on numpy object arrays, one pass for all rows (a
budget has a handful of lines). Accepting a row on a line already over its fongibilité limit
may change nothing. The tests check the result against runs that accept each row through a real
``decisions.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..inputs.convention import Convention
from ..money import round_half_up
from .aggregate import line_amounts
from .registry import FAILING_RULES
from .settlement import justified_amounts

__all__ = ["Stakes", "accepted_eligible", "balance", "by_impact", "candidates", "stakes"]


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


def balance(convention: Convention, sums: dict[str, np.ndarray]) -> np.ndarray:
    """justified − paid for per-line sums of row eligible amounts (object arrays of one length),
    as the aggregate step, :func:`pexaudit.settlement.settle` and the audit compute it."""
    total = line_amounts(convention, sums).total
    justified, _ = justified_amounts(convention, np.asarray(total, dtype=object))
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


def _sums(rows: pd.DataFrame) -> dict[str, int]:
    """Σ row eligible per line, the flat-rate row excepted (the aggregate rules make it)."""
    counted = rows[rows["source"] != "forfait"]
    return {str(k): int(v) for k, v in counted.groupby("line", sort=False)["eligible_amount"].sum().items()}


def stakes(convention: Convention, rows: pd.DataFrame) -> Stakes:
    """``impact`` of every row (None where it has none) and ``max_balance`` (SPEC section 9)."""
    sums = _sums(rows)
    now = int(balance(convention, {k: np.array([v], dtype=object) for k, v in sums.items()})[0])
    impact = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    picked = rows[candidates(rows)]
    if picked.empty:
        return Stakes(impact, now)
    delta = accepted_eligible(convention, picked) - picked["eligible_amount"].to_numpy(dtype=object)
    line = picked["line"].astype(str).to_numpy()
    moved = {name: np.where(line == name, delta, 0).astype(object) + sums.get(name, 0) for name in {*sums, *line}}
    after = balance(convention, moved)
    impact.loc[picked.index] = [int(v) - now for v in after]
    together = {name: np.array([sums.get(name, 0) + int(delta[line == name].sum())], dtype=object) for name in moved}
    return Stakes(impact, int(balance(convention, together)[0]))
