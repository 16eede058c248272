"""Small parsers for messy finance input: amounts, dates, months, headers.

Each parser takes one cell value as read from Excel or CSV (``str``, ``int``, ``float``,
``datetime``...) and returns a canonical value or raises ``ValueError``. Blank cells are
detected separately with :func:`is_blank`, because a blank cell and an unreadable one do not
always break the same rule (SPEC section 5: an empty ``date_paiement`` is PAIEMENT, an
unreadable one is FORMAT).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

__all__ = [
    "is_blank",
    "normalize_key",
    "normalize_text",
    "parse_amount",
    "parse_date",
    "parse_day_or_month",
    "parse_month",
    "parse_number",
    "text_of",
]

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Serial numbers accepted as Excel dates: 1954-10-03 .. 2119-01-01. Outside, a bare number in
# a date column is far more likely a typo than a date.
_SERIAL_MIN, _SERIAL_MAX = 20_000, 80_000

_SPACES = re.compile(r"[\s\u00a0\u202f\u2007\u2009']+")
# "¤" is how a Windows-1252 reading shows the euro sign of an ISO 8859-15 file (FEC exports).
_CURRENCY = re.compile(r"(€|¤|eur(os?)?)", re.IGNORECASE)
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def is_blank(value: object) -> bool:
    """True for an empty cell: None, NaN, or text made only of spaces."""
    if value is None:
        return True
    if isinstance(value, float) and value != value:  # NaN
        return True
    return isinstance(value, str) and not value.strip()


def text_of(value: object) -> str:
    """Cell value as trimmed text; integral floats lose their ``.0`` (Excel ids, SIRETs)."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()
    return str(value).strip()


def _to_cents(amount: Decimal) -> int:
    return int(amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP).scaleb(2))


def parse_amount(value: object) -> int:
    """Amount in integer cents, rounded half-up (away from zero).

    >>> parse_amount("1 234,56 €"), parse_amount("-120,00"), parse_amount(1234.5)
    (123456, -12000, 123450)
    """
    if isinstance(value, bool) or is_blank(value):
        raise ValueError("montant absent")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        # repr() gives the shortest decimal that reads back as this float: 2345.67, not
        # 2345.670000000000072759576141834259033203125.
        return _to_cents(Decimal(repr(value)))
    if isinstance(value, Decimal):
        return _to_cents(value)
    text = str(value).strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):  # accounting style (120,00)
        negative, text = True, text[1:-1]
    text = _CURRENCY.sub("", text)
    text = _SPACES.sub("", text)
    if text.endswith("-") and not text.startswith(("-", "+")):  # 120,00-
        negative, text = True, text[:-1]
    text = _normalize_separators(text)
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"montant illisible : {value!r}")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the regex above guards it
        raise ValueError(f"montant illisible : {value!r}") from exc
    cents = _to_cents(amount)
    return -cents if negative else cents


def parse_number(value: object) -> Decimal:
    """A count or quantity (activity ``valeur``, ``participants``): ``12``, ``1,5``, ``1 200``."""
    if isinstance(value, bool) or is_blank(value):
        raise ValueError("nombre absent")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = _SPACES.sub("", str(value).strip())
    text = _normalize_separators(text)
    if not _PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"nombre illisible : {value!r}")
    return Decimal(text)


def _normalize_separators(text: str) -> str:
    """Turn French, English or mixed separators into a plain ``1234.56``."""
    if "," in text and "." in text:
        # The separator that comes last is the decimal one: 1.234,56 or 1,234.56.
        if text.rfind(",") > text.rfind("."):
            return text.replace(".", "").replace(",", ".")
        return text.replace(",", "")
    if text.count(",") > 1:  # 1,234,567
        return text.replace(",", "")
    if text.count(".") > 1:  # 1.234.567
        return text.replace(".", "")
    return text.replace(",", ".")


_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})")
_YMD = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DMY_TIME = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4}) \d{1,2}:\d{2}(?::\d{2})?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")  # FEC AAAAMMJJ


def _serial_to_date(number: float) -> dt.date:
    if not (_SERIAL_MIN <= number <= _SERIAL_MAX):
        raise ValueError(f"nombre hors de la plage des dates Excel : {number!r}")
    return EXCEL_EPOCH + dt.timedelta(days=int(number))


def _year(text: str) -> int:
    year = int(text)
    return year + 2000 if year < 100 else year


def parse_date(value: object) -> dt.date:
    """A calendar date from an Excel date, an Excel serial, ``dd/mm/yyyy`` or ``yyyy-mm-dd``."""
    if isinstance(value, bool) or is_blank(value):
        raise ValueError("date absente")
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)):
        return _serial_to_date(value)
    text = str(value).strip()
    try:
        if m := _DMY.fullmatch(text) or _DMY_TIME.fullmatch(text):
            return dt.date(_year(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _YMD.fullmatch(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _COMPACT.fullmatch(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            return _serial_to_date(float(text))
    except ValueError as exc:  # 31/02/2024
        raise ValueError(f"date impossible : {text!r}") from exc
    raise ValueError(f"date illisible : {text!r}")


MONTHS_FR = {
    "janvier": 1, "janv": 1, "jan": 1,
    "fevrier": 2, "fevr": 2, "fev": 2, "feb": 2,
    "mars": 3, "mar": 3,
    "avril": 4, "avr": 4, "apr": 4,
    "mai": 5, "may": 5,
    "juin": 6, "jun": 6,
    "juillet": 7, "juil": 7, "jul": 7,
    "aout": 8, "aou": 8, "aug": 8,
    "septembre": 9, "sept": 9, "sep": 9,
    "octobre": 10, "oct": 10,
    "novembre": 11, "nov": 11,
    "decembre": 12, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}  # fmt: skip
_MONTH_NAME = re.compile(r"([a-z]+)\.?[\s\-/]*(\d{4}|\d{2})")
_MY = re.compile(r"(\d{1,2})[/.\-](\d{4})")
_YM = re.compile(r"(\d{4})[/.\-](\d{1,2})")


def parse_month(value: object) -> dt.date:
    """The first day of the month paid: a date, ``mm/yyyy``, ``yyyy-mm`` or ``mars 2024``."""
    if isinstance(value, bool) or is_blank(value):
        raise ValueError("mois absent")
    if isinstance(value, (dt.date, int, float)):
        return parse_date(value).replace(day=1)
    text = strip_accents(str(value)).strip().lower()
    month = year = None
    if m := _MY.fullmatch(text):
        month, year = int(m.group(1)), int(m.group(2))
    elif m := _YM.fullmatch(text):
        year, month = int(m.group(1)), int(m.group(2))
    elif (m := _MONTH_NAME.fullmatch(text)) and m.group(1) in MONTHS_FR:
        month, year = MONTHS_FR[m.group(1)], _year(m.group(2))
    if month is not None and year is not None:
        if not 1 <= month <= 12:
            raise ValueError(f"mois impossible : {value!r}")
        return dt.date(year, month, 1)
    try:
        return parse_date(text).replace(day=1)
    except ValueError:
        raise ValueError(f"mois illisible : {value!r}") from None


def parse_day_or_month(value: object) -> dt.date:
    """A date, or a month alone (``mars 2024``, ``03/2024``) meaning its first day."""
    try:
        return parse_date(value)
    except ValueError as exc:
        if "impossible" in str(exc):
            raise
        try:
            return parse_month(value)
        except ValueError:
            raise exc from None


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_key(text: object) -> str:
    """Header key: case, accents, spaces, underscores, hyphens, apostrophes and other
    punctuation ignored (``"N° de pièce"`` -> ``"ndepiece"``)."""
    return re.sub(r"[^a-z0-9]", "", strip_accents(text_of(text)).casefold())


def normalize_text(text: object) -> str:
    """Label comparison key: case, accents, spaces, hyphens and apostrophes ignored."""
    folded = strip_accents(text_of(text)).casefold()
    return re.sub(r"[\s\u00a0\u202f'\u2019\u2018`\-\u2010\u2011\u2013]+", "", folded)
