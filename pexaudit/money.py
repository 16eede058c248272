"""Exact money: integer cents, exact fractions for rates, half-up rounding.

Amounts travel as ``int`` cents from the readers to ``results.json``; rates (allocation,
funding rate, cap and flat rates) are :class:`fractions.Fraction` so that nothing is rounded
before SPEC says so.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

__all__ = ["as_fraction", "cents_to_euros", "euros_to_cents", "round_half_up"]


def as_fraction(value: object) -> Fraction:
    """A rate or an amount from YAML (``0.8``, ``"0.08"``, ``50000``) as an exact fraction.

    Floats go through their shortest ``repr`` so that ``0.1`` means one tenth, as written.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return Fraction(Decimal(repr(value)))
    if isinstance(value, (int, Decimal)):
        return Fraction(value)
    return Fraction(Decimal(str(value).strip()))


def round_half_up(value: Fraction | int) -> int:
    """Round to the nearest integer, halves away from zero (``2.5 -> 3``, ``-2.5 -> -3``)."""
    value = Fraction(value)
    magnitude = (abs(value.numerator) * 2 + value.denominator) // (2 * value.denominator)
    return -magnitude if value < 0 else magnitude


def cents_to_euros(cents: int) -> float:
    """Cents as a JSON number with at most two decimals (``123456 -> 1234.56``)."""
    return int(cents) / 100


def euros_to_cents(euros: float) -> int:
    """A results.json amount (at most two decimals) back to cents: ``4898.58 -> 489858``."""
    return round(euros * 100)
