"""``--previous``: what an earlier run of the same convention concluded (SPEC section 9).

The earlier results.json gives ``previous`` (phase, balance, outcome, amount) and each input
row's eligible amount then, for the report's before/after view.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..errors import InputError
from ..money import cents_to_euros, euros_to_cents
from .decisions import PHASES

__all__ = ["read_previous"]


def read_previous(path: str | Path, convention_id: str) -> tuple[dict, dict[tuple, int]]:
    """``previous`` of results.json from an earlier run's results.json of the same convention, and
    that run's eligible amount of each input row (cents) by (file, sheet, row), for the
    before/after view."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError("résultats antérieurs introuvables (--previous : attendu le results.json d'un contrôle "
                         "antérieur)", file=label)  # fmt: skip
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        settlement = document["settlement"]
        found = document["convention_id"]
        balance = euros_to_cents(settlement["balance"])
        amount = euros_to_cents(settlement.get("amount", abs(settlement["balance"])))
        outcome = settlement["outcome"]
        if outcome not in ("solde", "reversement", "solde_nul"):
            raise ValueError(outcome)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise InputError("attendu un results.json de pexaudit (convention_id, settlement)", file=label) from None
    if found != convention_id:
        raise InputError(
            f"résultats d'une autre convention (« {found} », attendu « {convention_id} ») : --previous prend un "
            "contrôle antérieur de la même convention",
            file=label,
        )
    procedure = document.get("procedure")
    phase = procedure.get("phase") if isinstance(procedure, dict) else None
    summary = {
        "phase": phase if phase in PHASES else None,
        "balance": cents_to_euros(balance),
        "outcome": outcome,
        "amount": cents_to_euros(amount),
    }
    rows = {}
    for row in document.get("rows") or []:
        if isinstance(row, dict) and row.get("source") != "forfait" and row.get("row") is not None:
            with contextlib.suppress(TypeError, ValueError, KeyError):
                rows[(row.get("file"), row.get("sheet"), int(row["row"]))] = euros_to_cents(row["eligible_amount"])
    return summary, rows
