"""The aggregate rules of SPEC section 5, run once, after the row rules and the decisions.

A line's eligible amount is Σ row eligible − PLAFOND_GESTION − DEPASSEMENT, the flat-rate row
included; row ``eligible_amount`` values are never changed. In this order:

1. DEPASSEMENT (fongibilité, only with ``rules.line_overrun_pct``) on the personnel line and on
   every ``direct`` line: above round(budget × (1 + pct / 100), 2) the excess is cut;
2. the management cap (``actual`` with ``cap_rate``) or flat rate (``flat_rate``) on the base:
   eligible personnel after (1), plus the eligible ``direct`` lines after (1) with
   ``management_costs.base: direct``;
3. DEPASSEMENT on every ``management`` line after (2) (it may cut the flat-rate row).

What they take is a line-level cut (:class:`Aggregates`), kept apart from the rows' own
rejections. ``hors_budget`` is never cut (its rows already fail NATURE). :func:`line_amounts` is this
arithmetic over per-line sums, on numpy object arrays of Python ints (exact): one convention's
sums (arrays of one element) for the audit (:func:`aggregate`), or one sum per rejected row at
once for the stakes (:mod:`pexaudit.stakes`), so that both read the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..fmt import eur, pct
from ..inputs.convention import Convention
from ..money import round_half_up
from .rules import tidy

__all__ = [
    "Aggregates",
    "LineAmounts",
    "aggregate",
    "line_amounts",
    "line_limits",
    "management_cap",
    "management_cap_amount",
    "round_rate",
]


def round_rate(rate: Fraction, values: np.ndarray) -> np.ndarray:
    """round(rate × values), half-up (away from zero), on an object array of ints (exact)."""
    n, d = rate.numerator, rate.denominator
    magnitude = (2 * np.abs(values) * n + d) // (2 * d)
    return np.where(values < 0, -magnitude, magnitude).astype(object)


def _positive(values: np.ndarray) -> np.ndarray:
    return np.where(values > 0, values, 0).astype(object)


def line_limits(convention: Convention) -> dict[str, int]:
    """Each budget line's fongibilité limit in cents, round(budget × (1 + pct / 100), 2); {} without
    ``rules.line_overrun_pct``. A line budgeted 0 has a limit of 0."""
    pct = convention.line_overrun_pct
    if pct is None:
        return {}
    return {b.line: round_half_up(Fraction(b.amount) * (100 + pct) / 100) for b in convention.budget}


def _split(eligible: list[np.ndarray], cap: np.ndarray) -> list[np.ndarray]:
    """The excess of the management lines over ``cap``, taken from each line pro rata to its
    eligible amount: each share rounded down to the cent, the cents left over to the line with
    the largest eligible amount (the first such line in budget order)."""
    total = sum(eligible)
    excess = total - cap
    over = excess > 0
    divisor = np.where(over, total, 1)  # total > cap >= 0 wherever there is an excess
    shares = [np.where(over, excess * e // divisor, 0).astype(object) for e in eligible]
    left = np.where(over, excess - sum(shares), 0)
    best, largest = eligible[0], np.zeros(len(cap), dtype=int)
    for index, e in enumerate(eligible[1:], start=1):
        bigger = e > best
        best, largest = np.where(bigger, e, best), np.where(bigger, index, largest)
    return [(s + np.where(largest == index, left, 0)).astype(object) for index, s in enumerate(shares)]


def management_cap_amount(cap_rate: Fraction, eligible_base: int) -> int:
    """round(cap_rate × base, 2), never below 0: a negative base (regularisations beyond pay) cannot
    make management costs negative, and the pro-rata split never divides by 0."""
    return max(0, round_half_up(cap_rate * eligible_base))


def management_cap(eligible: dict[str, int], cap: int) -> dict[str, int]:
    """Excess of the management lines over ``cap`` per line (non-zero shares only), as :func:`_split`."""
    if not eligible:
        return {}
    values = [np.array([v], dtype=object) for v in eligible.values()]
    shares = _split(values, np.array([cap], dtype=object))
    return {line: int(share[0]) for line, share in zip(eligible, shares, strict=True) if share[0]}


@dataclass(frozen=True)
class LineAmounts:
    """What the aggregate rules make of per-line sums (object arrays of cents, one element per case)."""

    eligible: dict[str, np.ndarray]  # every line after the aggregate rules, the flat-rate row included
    plafond: dict[str, np.ndarray]  # management line -> PLAFOND_GESTION
    depassement: dict[str, np.ndarray]  # line -> DEPASSEMENT
    base: np.ndarray  # the base of the cap or flat rate
    cap: np.ndarray | None  # actual costs with a cap rate
    forfait: np.ndarray | None  # flat rate: the generated row's amount

    @property
    def total(self) -> np.ndarray:
        return sum(self.eligible.values())


def line_amounts(convention: Convention, sums: dict[str, np.ndarray]) -> LineAmounts:
    """The aggregate rules over ``sums`` (line -> Σ row eligible, object arrays of one length;
    a budget line missing from ``sums`` counts 0; any other line, ``hors_budget``, passes as is)."""
    size = len(next(iter(sums.values()))) if sums else 1
    zero = np.zeros(size, dtype=object)
    eligible = {b.line: sums.get(b.line, zero).astype(object) for b in convention.budget}
    eligible |= {line: values.astype(object) for line, values in sums.items() if line not in eligible}
    limits = line_limits(convention)
    depassement: dict[str, np.ndarray] = {}

    def overrun(line: str) -> None:
        if line in limits:
            cut = _positive(eligible[line] - limits[line])
            depassement[line] = cut
            eligible[line] = eligible[line] - cut

    for b in convention.budget:  # (1) personnel and direct lines
        if b.kind in ("personnel", "direct"):
            overrun(b.line)
    mode = convention.management_costs
    base = eligible[convention.personnel_line.line]
    if mode.base == "direct":
        base = base + sum((eligible[b.line] for b in convention.direct_lines), zero)
    management = [b.line for b in convention.management_lines]
    plafond: dict[str, np.ndarray] = {}
    cap = forfait = None
    if mode.mode == "flat_rate":  # (2) the flat rate, a row on the first management line
        forfait = round_rate(mode.rate, base)
        eligible[management[0]] = eligible[management[0]] + forfait
    elif mode.cap_rate is not None and management:  # (2) the cap, pro rata over the management lines
        cap = _positive(round_rate(mode.cap_rate, base))
        for line, share in zip(management, _split([eligible[m] for m in management], cap), strict=True):
            plafond[line] = share
            eligible[line] = eligible[line] - share
    for line in management:  # (3) management lines
        overrun(line)
    return LineAmounts(eligible, plafond, depassement, base, cap, forfait)


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
    """The aggregate step of the audit: once, on the rows after decisions (a new value; ``rows``
    is not written into)."""
    sums = {
        str(line): np.array([int(total)], dtype=object)
        for line, total in rows.groupby("line", sort=False)["eligible_amount"].sum().items()
    }
    found = line_amounts(convention, sums)
    cuts: dict[str, dict[str, int]] = {}
    for rule, per_line in (("PLAFOND_GESTION", found.plafond), ("DEPASSEMENT", found.depassement)):
        for line, values in per_line.items():
            if int(values[0]):
                cuts.setdefault(line, {})[rule] = int(values[0])
    base = int(found.base[0])
    cap = None if found.cap is None else int(found.cap[0])
    if found.forfait is None:
        return Aggregates(rows, cuts=cuts, base=base, cap=cap)
    amount = int(found.forfait[0])
    return Aggregates(_with_forfait(convention, rows, amount, base), cuts=cuts, base=base, forfait=amount)


def _with_forfait(convention: Convention, rows: pd.DataFrame, amount: int, base: int) -> pd.DataFrame:
    """``rows`` and the generated flat-rate row on the first management line (no decision)."""
    mode = convention.management_costs
    what = "de personnel éligible" if mode.base == "personnel" else "de personnel et de coûts directs éligibles"
    row = {
        "row_id": FORFAIT_ROW_ID, "source": "forfait", "file": None, "sheet": None, "row": None,
        "line": convention.management_lines[0].line, "amount": amount, "eligible_amount": amount,
        "rejected_amount": 0, "share_amount": 0, "rules": [], "share": Fraction(1), "readable": True,
        "decision": None, "rules_eligible": amount,
        "reasons": [f"forfait de gestion : {_pct(mode.rate)} × {eur(base)} {what}"],
    }  # fmt: skip
    extra = pd.DataFrame([row], columns=list(rows.columns))
    both = tidy(pd.concat([rows, extra], ignore_index=True))
    both["decision"] = both["decision"].astype(object).where(both["decision"].notna(), None)
    return both


def _pct(rate: Fraction) -> str:
    return pct(rate * 100).replace(",00 %", " %")
