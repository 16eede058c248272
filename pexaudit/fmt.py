"""French formats for users: ``1 234,56 €``, ``12,5 %``, ``31/12/2024``, ``mars 2024``.

(The French words for the audit's codes live in :mod:`pexaudit.vocabulary`.)

Plain spaces separate thousands (Babel's narrow no-break space is replaced) so that a figure
reads and searches the same in the HTML report, the CLI summary and a copied cell; the HTML
keeps amounts on one line with CSS instead.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from babel.dates import format_date
from babel.numbers import format_decimal

__all__ = ["date_fr", "eur", "month_fr", "number_fr", "pct"]

LOCALE = "fr_FR"

_SPACES = str.maketrans({"\u202f": " ", "\u00a0": " "})


def number_fr(value: float | Decimal | Fraction | int, decimals: int = 2) -> str:
    if isinstance(value, Fraction):
        value = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, float):
        value = Decimal(repr(value))
    value = Decimal(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, format=pattern, locale=LOCALE, decimal_quantization=True).translate(_SPACES)


def eur(cents: int | None, *, signed: bool = False) -> str:
    """Integer cents as euros: ``123456 -> "1 234,56 €"`` (exact: integer arithmetic, no rounding)."""
    if cents is None:
        return "—"
    cents = int(cents)
    euros, rest = divmod(abs(cents), 100)
    text = f"{'-' if cents < 0 else ''}{euros:,}".replace(",", " ") + f",{rest:02d} €"
    return f"+{text}" if signed and cents > 0 else text


def pct(value: float | Fraction | Decimal | None, decimals: int = 2) -> str:
    """A percentage already in percent: ``12.5 -> "12,50 %"``."""
    if value is None:
        return "—"
    return number_fr(value, decimals) + " %"


def date_fr(value: dt.date | None) -> str:
    if not isinstance(value, dt.date):
        return "—"
    return value.strftime("%d/%m/%Y")


def month_fr(value: dt.date | None) -> str:
    if not isinstance(value, dt.date):
        return "—"
    return format_date(value, format="MMMM y", locale=LOCALE)
