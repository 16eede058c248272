"""The auditor's workbench in the notebook: try decisions before writing them (SPEC section 9).

:func:`simulate` recomputes an audit with more decisions from the rows already evaluated (no
file read, no GX run), through the same steps as a real run (:func:`pexaudit.audit.assess`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import pandas as pd

from .audit import reassess
from .decide import Bound, bind
from .decisions import Decision, Decisions
from .model import Bilan, build

__all__ = ["REJECTED_COLUMNS", "rejected_rows", "simulate"]


def simulate(b: Bilan, decisions: Iterable[Decision], *, replace: bool = False) -> Bilan:
    """The bilan as it would be with ``decisions`` taken, recomputed from the evaluated rows.

    ``simulate(b, [Decision(ref, "accept")])`` returns a new :class:`~pexaudit.model.Bilan`
    whose settlement, lines, findings and stakes follow. The new decisions are added to the
    file's (replacing any on the same row), or replace them all with ``replace=True``. A bad
    decision raises InputError, as in a run.
    """
    a = b.audit
    new = bind(Decisions(rows=tuple(decisions)), a.tables, a.convention).rows
    kept = {} if replace else {k: v for k, v in a.bound.rows.items() if k not in new}
    rows = {**kept, **new}
    merged = dataclasses.replace(a.decisions, rows=tuple(rows.values()))
    return build(reassess(a, merged, Bound(rows, a.bound.explanations)))


REJECTED_COLUMNS = ["ref", "file", "sheet", "row", "line", "amount", "rejected", "rules", "reasons", "impact"]


def rejected_rows(b: Bilan) -> pd.DataFrame:
    """The rows rejected after decisions (the bilan's one list), largest stake first.

    Columns: ref, file, sheet, row, line, amount, rejected (cents), rules, reasons, impact
    (cents, or None where no accept can change the balance in a known way).
    """
    picked = b.rejected.frame
    out = pd.DataFrame(
        {
            "ref": [
                f"{f}!{s or ''}!{r}" for f, s, r in zip(picked["file"], picked["sheet"], picked["row"], strict=True)
            ],
            "file": picked["file"].to_numpy(),
            "sheet": picked["sheet"].to_numpy(),
            "row": picked["row"].to_numpy(),
            "line": picked["line"].to_numpy(),
            "amount": picked["amount"].to_numpy(),
            "rejected": picked["rejected_amount"].to_numpy(),
            "rules": picked["rules"].to_numpy(),
            "reasons": picked["reasons"].to_numpy(),
            "impact": picked["impact"].to_numpy(),
        },
        columns=REJECTED_COLUMNS,
    )
    return out.reset_index(drop=True)
