"""Explanations of the budget lines' gaps (SPEC section 9): ``lines[].explanation``.

The compte rendu financier owes an explanation of every significant gap between forecast and
actual. The beneficiary's own explanation (``lines`` of the decisions file, or the
``Explication`` column of the workbook's sheet) always wins (``beneficiaire``); otherwise, for
an alerted line, the tool drafts one from the figures alone (``brouillon``), for the
beneficiary to complete or correct: the gap between eligible and budget, the under- or
over-spending of the declared amount, then every amount rejected on the line with its rule.
"""

from __future__ import annotations

from fractions import Fraction

from ..fmt import eur, pct
from .registry import RULES
from .settlement import Line

__all__ = ["draft", "explain"]


def draft(line: Line, forfait: int = 0) -> str:
    """A French draft built from the line's figures alone.

    On a flat-rate line, ``declared`` holds the computed flat amount (SPEC 6); the beneficiary's
    own spending, compared with the budget, is the rest.
    """
    sentences = [
        f"Réalisé éligible de {eur(line.eligible)} pour un budget de {eur(line.budget)} : écart de "
        f"{eur(line.variance, signed=True)}"
        + (f" ({pct(line.variance_pct)})." if line.variance_pct is not None else ".")
    ]
    declared = line.declared - forfait
    label = (
        f"Dépenses déclarées (hors forfait de gestion calculé de {eur(forfait)})" if forfait else "Dépenses déclarées"
    )
    spent = declared - line.budget
    if spent < 0:
        sentences.append(
            f"{label} : {eur(declared)}, soit une sous-consommation de {eur(-spent)} par rapport au "
            f"budget{_share(-spent, line.budget)}."
        )
    elif spent > 0:
        sentences.append(
            f"{label} : {eur(declared)}, soit un dépassement de {eur(spent)} par rapport au "
            f"budget{_share(spent, line.budget)}."
        )
    else:
        sentences.append(f"{label} : {eur(declared)}, égales au budget.")
    rejected = [(rule, amount) for rule, amount in line.rejected.items() if amount]
    if rejected:
        parts = [f"{eur(amount)} ({RULES[rule].label})" for rule, amount in rejected]
        sentences.append("Montants écartés : " + " ; ".join(parts) + ".")
    return " ".join(sentences)


def _share(amount: int, budget: int) -> str:
    return f" ({pct(Fraction(amount * 100, budget))} du budget)" if budget > 0 else ""


def explain(
    lines: list[Line], threshold: Fraction, given: dict[str, str], forfaits: dict[str, int] | None = None
) -> dict[str, tuple[str | None, str | None]]:
    """line id -> (explanation, explanation_source): the beneficiary's, a draft, or (None, None)."""
    forfaits = forfaits or {}
    out: dict[str, tuple[str | None, str | None]] = {}
    for line in lines:
        if line.line in given:
            out[line.line] = (given[line.line], "beneficiaire")
        elif line.alert(threshold):
            out[line.line] = (draft(line, forfaits.get(line.line, 0)), "brouillon")
        else:
            out[line.line] = (None, None)
    return out
