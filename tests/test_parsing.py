"""Parsers for messy finance input, on the values real exports contain."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from pexaudit.inputs.parsing import is_blank, normalize_key, normalize_text, parse_amount, parse_date, parse_month

D = dt.date


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("1 234,56 €", 123456),
        ("1\u00a0234,56\u00a0€", 123456),  # no-break space (Excel fr-FR export)
        ("1\u202f234,56 €", 123456),  # narrow no-break space (Babel, LibreOffice)
        ("1234.56", 123456),
        ("-120,00", -12000),
        ("(120,00)", -12000),  # accounting negative
        ("120,00-", -12000),  # SAP-style trailing minus
        ("1.234,56", 123456),
        ("1,234.56", 123456),
        ("1 234 567,8", 123456780),
        ("0000000069,60", 6960),  # zero-padded FEC amount
        ("€ 45", 4500),
        ("45 EUR", 4500),
        ("12,00 \u00a4", 1200),  # ISO 8859-15 euro sign read as Windows-1252
        ("1'234.50", 123450),
        ("+12,5", 1250),
        (",5", 50),
        (1234, 123400),
        (1234.5, 123450),
        (2345.67, 234567),  # a float that is not exactly 2345.67
        (0.125, 13),  # half-up, not banker's rounding
        (-0.125, -13),
        (Decimal("10.005"), 1001),
    ],
)
def test_parse_amount(value, cents):
    assert parse_amount(value) == cents


@pytest.mark.parametrize(
    "value", ["", "   ", None, float("nan"), "abc", "1 2O4,00", "12,34,56.7.8", "--5", True, "1e5"]
)
def test_parse_amount_rejects(value):
    with pytest.raises(ValueError):
        parse_amount(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("31/12/2024", D(2024, 12, 31)),
        ("1/3/2024", D(2024, 3, 1)),
        ("01.03.2024", D(2024, 3, 1)),
        ("01-03-2024", D(2024, 3, 1)),
        ("01/03/24", D(2024, 3, 1)),
        ("2024-03-01", D(2024, 3, 1)),
        ("2024-03-01 00:00:00", D(2024, 3, 1)),  # pandas-written CSV
        ("2024-03-01T08:30", D(2024, 3, 1)),
        ("20240301", D(2024, 3, 1)),  # FEC AAAAMMJJ
        ("45352", D(2024, 3, 1)),  # Excel serial written as text
        (45352, D(2024, 3, 1)),  # Excel serial as a number cell
        (45352.0, D(2024, 3, 1)),
        (dt.datetime(2024, 3, 1, 14, 5), D(2024, 3, 1)),
        (D(2024, 2, 29), D(2024, 2, 29)),
    ],
)
def test_parse_date(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["31/02/2024", "2024-13-01", "hier", "", None, 12, "03/2024"])
def test_parse_date_rejects(value):
    with pytest.raises(ValueError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("mars 2024", D(2024, 3, 1)),
        ("Mars 2024", D(2024, 3, 1)),
        ("MARS 2024", D(2024, 3, 1)),
        ("février 2024", D(2024, 2, 1)),
        ("fevrier 2024", D(2024, 2, 1)),
        ("févr. 2024", D(2024, 2, 1)),
        ("janv-24", D(2024, 1, 1)),
        ("août 2024", D(2024, 8, 1)),
        ("décembre 2024", D(2024, 12, 1)),
        ("03/2024", D(2024, 3, 1)),
        ("3/2024", D(2024, 3, 1)),
        ("2024-03", D(2024, 3, 1)),
        ("2024/03", D(2024, 3, 1)),
        ("15/03/2024", D(2024, 3, 1)),
        ("2024-03-15", D(2024, 3, 1)),
        (dt.datetime(2024, 3, 1), D(2024, 3, 1)),
        (45352, D(2024, 3, 1)),
    ],
)
def test_parse_month(value, expected):
    assert parse_month(value) == expected


@pytest.mark.parametrize("value", ["13/2024", "mois de mars", "2024", "", None, "marz 2024"])
def test_parse_month_rejects(value):
    with pytest.raises(ValueError):
        parse_month(value)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Charges patronales", "chargespatronales"),
        ("CHARGES_PATRONALES", "chargespatronales"),
        ("charges-patronales", "chargespatronales"),
        ("Période", "periode"),
        ("N° de pièce", "ndepiece"),
        ("Date d'opération", "datedoperation"),
        ("Date d’opération", "datedoperation"),
        ("  Montant (€) ", "montant"),
    ],
)
def test_normalize_key(header, key):
    assert normalize_key(header) == key


def test_normalize_text_ignores_case_accents_spaces_apostrophes():
    assert normalize_text("CONSEIL DÉPARTEMENTAL D’ILLE-ET-VILAINE") == normalize_text(
        "Conseil départemental d'Ille et Vilaine"
    )
    assert normalize_text("Ville de Rennes") != normalize_text("Conseil départemental")


@pytest.mark.parametrize(
    ("value", "blank"), [(None, True), ("", True), (" \t", True), (float("nan"), True), (0, False), ("0", False)]
)
def test_is_blank(value, blank):
    assert is_blank(value) is blank
