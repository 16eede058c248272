"""Ledger analytics (SPEC section 11): each test on lines whose answer is known."""

from __future__ import annotations

import datetime as dt
import time
from decimal import Decimal
from pathlib import Path

import jsonschema
import numpy as np
import pandas as pd
import pytest

from pexaudit.core.analytics import (
    MASK,
    SHEET_HEADER,
    _first_digits,
    analytics_context,
    analytics_sheet_rows,
    expenses_analytics,
    fec_analytics,
    integrity_findings,
    masked_label,
)
from pexaudit.inputs.fec import FEC_COLUMNS, read_fec
from pexaudit.render.charts import benford_chart

from .fec_files import fec_text, line, purchase, write_fec

REAL_FEC = Path(__file__).parent / "external" / "fec" / "111111111FEC20221231.TXT"
START, END = dt.date(2024, 1, 1), dt.date(2024, 12, 31)


def expenses(amounts=None, dates=None, **columns) -> pd.DataFrame:
    """An expense frame as the readers make it (only the columns analytics read)."""
    size = len(amounts if amounts is not None else dates)
    frame = pd.DataFrame(
        {
            "row": np.arange(2, size + 2),
            "sheet": "Mandats",
            "date": pd.Series(dates if dates is not None else [dt.date(2024, 3, 4)] * size, dtype=object),
            "montant": pd.array(amounts if amounts is not None else [10_000] * size, dtype="Int64"),
            "libelle": [f"Libellé {i}" for i in range(size)],
            "compte": "60640000",
            "fournisseur": [f"Fournisseur {i}" for i in range(size)],
            "piece": [f"P{i}" for i in range(size)],
        }
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def fec(tmp_path, rows) -> pd.DataFrame:
    return read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts={"6": "gestion"}).lines


# --- Benford ------------------------------------------------------------------------------------


def test_first_digit_is_exact_at_powers_of_ten():
    cents = np.array([1_000, 1_999, 9_999, 10_000, 99_999_999_999_999, 100_000_000_000_000_000], dtype=np.int64)
    assert _first_digits(cents).tolist() == [1, 1, 9, 1, 9, 1]


def test_benford_conforming_sample():
    """Amounts log-uniform over whole decades follow Benford's law exactly (fixed seed)."""
    rng = np.random.default_rng(7)
    cents = (10 ** rng.uniform(3, 8, 20_000)).astype(np.int64)
    result = expenses_analytics(expenses(cents), "depenses.xlsx")["benford"]
    assert result["n"] == 20_000 and sum(result["observed"].values()) == 20_000
    assert result["expected"]["1"] == pytest.approx(0.30103, abs=1e-5)
    assert result["expected"]["9"] == pytest.approx(0.04576, abs=1e-5)
    assert result["mad"] < 0.006 and result["reading"] == "conformite_etroite"
    assert not result["indicative"]


def test_benford_non_conforming_sample():
    """Every amount from 10,00 to 99,99 €: each first digit as frequent, far from Benford."""
    cents = np.arange(1_000, 10_000)
    result = expenses_analytics(expenses(cents), "depenses.xlsx")["benford"]
    assert result["mad"] > 0.015 and result["reading"] == "non_conformite"
    assert result["digit"] == 9  # the most over-represented digit: its lines are the examples
    assert result["examples"] and all(str(e["amount"]).startswith("9") for e in result["examples"])


def test_benford_small_and_empty_samples():
    small = expenses_analytics(expenses([999, 1_000, -2_500, None, 100_000]), "d.csv")["benford"]
    assert small["n"] == 3 and small["indicative"]  # 9,99 € and the unreadable amount are left out
    assert small["observed"]["1"] == 2 and small["observed"]["2"] == 1
    empty = expenses_analytics(expenses([999, 5]), "d.csv")["benford"]
    assert empty["n"] == 0 and empty["mad"] is None and empty["reading"] is None and empty["indicative"]


# --- round amounts, weekends and holidays, cut-off ----------------------------------------------


def test_round_amounts():
    result = expenses_analytics(expenses([10_000, 20_000, 0, 15_000, -30_000, 100_050, None]), "d.csv")
    rounds = result["round_amounts"]
    assert rounds["n"] == 3 and rounds["amount"] == 600.0
    assert [e["line"] for e in rounds["examples"]] == [2, 3, 6]
    assert rounds["share_lines"] == round(3 / 7, 6)


def test_weekends_and_french_public_holidays():
    dates = [
        dt.date(2024, 5, 8),  # Wednesday, Victoire 1945
        dt.date(2024, 4, 1),  # Easter Monday
        dt.date(2024, 4, 6),  # Saturday
        dt.date(2024, 4, 7),  # Sunday
        dt.date(2024, 4, 2),  # Tuesday
        dt.date(2024, 5, 20),  # Whit Monday
        None,
    ]
    result = expenses_analytics(expenses(dates=dates), "d.csv")["weekend_holiday"]
    assert result["n"] == 5
    assert [e["day"] for e in result["examples"]] == [
        "Fête de la Victoire", "Lundi de Pâques", "samedi", "dimanche", "Lundi de Pentecôte",
    ]  # fmt: skip
    assert result["examples"][0]["date"] == "2024-05-08"


def test_cutoff(tmp_path):
    rows = [
        line("HA", "1", "20250105", "60640000", debit="10,00", PieceDate="20241220"),  # late: counted
        line("HA", "1", "20250105", "40100000", credit="10,00", PieceDate="20241220"),
        line("HA", "2", "20250105", "60640000", debit="10,00", PieceDate="20250102"),  # next year's piece
        line("HA", "2", "20250105", "40100000", credit="10,00", PieceDate="20250102"),
        line("HA", "3", "20241231", "60640000", debit="10,00", PieceDate="20241230"),  # in time
        line("HA", "3", "20241231", "40100000", credit="10,00", PieceDate="20241230"),
        line("HA", "4", "20250105", "60640000", debit="10,00", PieceDate=""),  # no piece date
        line("HA", "4", "20250105", "40100000", credit="10,00", PieceDate=""),
    ]
    result = fec_analytics(fec(tmp_path, rows), START, END)
    assert result["cutoff"]["n"] == 2 and [e["line"] for e in result["cutoff"]["examples"]] == [2, 3]
    assert expenses_analytics(expenses([100]), "d.csv")["cutoff"] is None


# --- near-duplicates ----------------------------------------------------------------------------


def test_near_duplicates_in_a_fec(tmp_path):
    rows = [
        *purchase("1", "20240301", 12_000, supplier="Papeterie", PieceRef="FA1"),  # lines 2-3
        *purchase("2", "20240308", 12_000, supplier=" papeterie ", PieceRef="FA2"),  # 7 days later: a pair
        *purchase("3", "20240316", 12_000, supplier="Papeterie", PieceRef="FA3"),  # 8 days after FA2: none
        *purchase("4", "20240501", 5_000, supplier="Imprimerie", PieceRef="FB1"),
        *purchase("5", "20240503", 5_000, supplier="Imprimerie", PieceRef="fb1"),  # same piece: not a pair
        *purchase("6", "20240601", 8_000, supplier="Traiteur", PieceRef="FC1"),
        line("BQ", "1", "20240602", "40100000", debit="80,00", CompAuxLib="Traiteur", PieceRef="FC2"),  # other side
        line("BQ", "1", "20240602", "51200000", credit="80,00"),
        *purchase("7", "20240701", 7_000, supplier="", PieceRef="FD1"),  # no supplier name: never pairs
        *purchase("8", "20240701", 7_000, supplier="", PieceRef="FD2"),
    ]
    result = fec_analytics(fec(tmp_path, rows), START, END)["near_duplicates"]
    assert result["n"] == 2 and [e["line"] for e in result["examples"]] == [3, 5]
    assert all(e["account"] == "40100000" and e["amount"] == 120.0 for e in result["examples"])


def test_near_duplicates_in_an_expenses_file():
    frame = expenses(
        [10_000, 10_000, 10_000, 10_000, 10_000],
        [dt.date(2024, 3, 1), dt.date(2024, 3, 8), dt.date(2024, 3, 16), dt.date(2024, 3, 16), dt.date(2024, 3, 1)],
        fournisseur=["UGAP", "ugap ", "UGAP", "UGAP", "CNFPT"],
        piece=["M1", "M2", "M3", "m3", "M9"],
    )
    result = expenses_analytics(frame, "depenses.xlsx")["near_duplicates"]
    assert result["n"] == 2 and [e["line"] for e in result["examples"]] == [2, 3]
    assert result["examples"][0]["sheet"] == "Mandats"


def test_near_duplicates_are_not_quadratic():
    """100 000 rows of one supplier and amount, all on one day: 5e9 pairs, found by sorting."""
    size = 100_000
    frame = expenses([10_000] * size, fournisseur=["UGAP"] * size)
    started = time.perf_counter()
    result = expenses_analytics(frame, "depenses.xlsx")["near_duplicates"]
    assert result["n"] == size
    assert time.perf_counter() - started < 5


# --- numbering gaps -----------------------------------------------------------------------------


def entries(journal: str, numbers: list[str]) -> list[dict]:
    out = []
    for num in numbers:
        out += [
            line(journal, num, account="60640000", debit="1,00"),
            line(journal, num, account="47100000", credit="1,00"),
        ]
    return out


def test_numbering_gaps_over_the_whole_file(tmp_path):
    """No number in two journals: one numbering across journals; 000001 is 1."""
    result = fec_analytics(fec(tmp_path, entries("HA", ["000001", "2"]) + entries("BQ", ["4"])), START, END)
    gaps = result["numbering_gaps"]
    assert gaps["n"] == 1 and gaps["scope"] == "file" and gaps["journals"] == ["BQ", "HA"]
    assert [(e["line"], e["missing"], e["after"]) for e in gaps["examples"]] == [(6, 1, 2)]


def test_numbering_gaps_within_each_journal(tmp_path):
    """1 is in HA and BQ: numbering per journal. OD's A1, A4 are 1 and 4 of the group A (SPEC 11:
    trailing digits, grouped by what precedes them): 2 missing there, 2 in BQ."""
    rows = entries("HA", ["1", "2", "3"]) + entries("BQ", ["1", "2", "5"]) + entries("OD", ["A1", "A4"])
    gaps = fec_analytics(fec(tmp_path, rows), START, END)["numbering_gaps"]
    assert gaps["n"] == 4 and gaps["gaps"] == 2 and gaps["scope"] == "journal"
    assert gaps["journals"] == ["BQ", "HA", "OD"] and gaps["absent"] is False
    assert expenses_analytics(expenses([100]), "d.csv")["numbering_gaps"] is None


@pytest.mark.parametrize(
    ("journals", "n", "scope"),
    [
        # prefixed numbers, no number in two journals: one numbering per prefix over the file
        ({"HA": ["HA000055", "HA000057"], "BQ": ["BQ000001", "BQ000002"]}, 1, "file"),
        # the same prefix in two journals, numbers shared across them: across the file
        ({"HA": ["P1", "P2"], "BQ": ["P3", "P5"]}, 1, "file"),
        # 2 in HA and in BQ: within each journal
        ({"HA": ["1", "2", "4"], "BQ": ["1", "2", "3"]}, 1, "journal"),
        # INV/2021/00001: the prefix is INV/2021/
        ({"VE": ["INV/2021/00001", "INV/2021/00004", "INV/2022/00001"]}, 2, "file"),
        # no trailing digits: not numbered
        ({"OD": ["A", "B", "C"]}, 0, "file"),
    ],
)
def test_numbering_gaps_by_prefix(tmp_path, journals, n, scope):
    rows = [r for journal, numbers in journals.items() for r in entries(journal, numbers)]
    gaps = fec_analytics(fec(tmp_path, rows), START, END)["numbering_gaps"]
    assert (gaps["n"], gaps["scope"], gaps["absent"]) == (n, scope, False)


def test_numbering_absent_when_every_number_is_the_same(tmp_path):
    """Some exports write 0 for every EcritureNum: no numbering to check (SPEC 11)."""
    rows = entries("HA", ["0"]) + entries("BQ", ["0"]) + entries("OD", ["0"])
    gaps = fec_analytics(fec(tmp_path, rows), START, END)["numbering_gaps"]
    assert gaps == {"n": 0, "gaps": 0, "scope": "file", "journals": [], "examples": [], "absent": True}


def test_a_line_set_aside_takes_no_part_in_the_tests(tmp_path):
    """A line of the wrong field count counts in lines, format_lines and its entry, nowhere else."""
    rows = entries("HA", ["1", "2", "3"])
    text = fec_text(rows).split("\n")
    fields = text[3].split("\t")
    fields[FEC_COLUMNS.index("EcritureLib")] += "\tbureau"  # line 4: HA 2's first line, 19 fields
    text[3] = "\t".join(fields)
    path = tmp_path / "fec.txt"
    path.write_text("\n".join(text), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts={"6": "gestion"})
    result = fec_analytics(ledger.lines, START, END)
    assert result["lines"] == 6
    assert result["fec"] == {"entries": 3, "unbalanced": 1, "format_lines": 1, "date_lines": 0, "multi_date_entries": 0}
    assert result["numbering_gaps"]["n"] == 0 and result["weekend_holiday"]["n"] == 0
    assert result["round_amounts"]["n"] == 0  # 1,00 € lines: none round, and the set-aside one is not looked at


def test_entries_dated_on_several_days(tmp_path):
    rows = [
        line("HA", "1", "20240115", "60640000", debit="10,00"),
        line("HA", "1", "20240116", "40100000", credit="10,00"),  # another day: FEC_ECRITURE
        line("HA", "2", "20240115", "60640000", debit="10,00"),
        line("HA", "2", "", "40100000", credit="10,00"),  # no date: a format fault, not a second date
        line("BQ", "1", "20240120", "51200000", debit="10,00"),
        line("BQ", "1", "20240120", "40100000", credit="10,00"),
    ]
    ledger = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts={"6": "gestion"})
    assert ledger.integrity["multi_date_entries"] == 1
    assert ledger.integrity["multi_date_examples"] == [
        {"entry": "HA 1", "line": 2, "dates": ["2024-01-15", "2024-01-16"]}
    ]
    assert fec_analytics(ledger.lines, START, END)["fec"]["multi_date_entries"] == 1
    (finding,) = [f for f in integrity_findings(ledger.integrity) if f.rule == "FEC_ECRITURE"]
    assert finding.severity == "warning"
    assert "1 écriture datée de plusieurs jours" in finding.message
    assert "HA 1 (ligne 2 : 15/01/2024, 16/01/2024)" in finding.message


# --- the whole object ---------------------------------------------------------------------------


def _no_more_than_cents(value) -> bool:
    return Decimal(repr(value)).as_tuple().exponent >= -2


def test_real_fec_analytics_match_the_schema(schema):
    ledger = read_fec(REAL_FEC, REAL_FEC.name, accounts={"6": "gestion"})
    result = fec_analytics(ledger.lines, dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    jsonschema.validate(result, schema["properties"]["analytics"])
    assert result["lines"] == 934
    assert result["fec"] == {
        "entries": 248, "unbalanced": 0, "format_lines": 0, "date_lines": 0, "multi_date_entries": 0,
    }  # fmt: skip
    assert result["numbering_gaps"]["absent"] is False
    assert not result["benford"]["indicative"] and result["benford"]["n"] > 500
    for key in ("benford", "round_amounts", "weekend_holiday", "cutoff", "near_duplicates", "numbering_gaps"):
        for example in result[key]["examples"]:
            assert example["file"] == REAL_FEC.name and _no_more_than_cents(example["amount"])
            assert len(result[key]["examples"]) <= 20
    assert _no_more_than_cents(result["round_amounts"]["amount"])


def test_expenses_analytics_match_the_schema(schema):
    result = expenses_analytics(expenses([12_345, 10_000, None]), "depenses.xlsx")
    jsonschema.validate(result, schema["properties"]["analytics"])
    assert result["fec"] is None and result["lines"] == 3


def test_integrity_findings():
    integrity = {
        "file": "fec.txt",
        "entries": 40,
        "unbalanced": 12,
        "format_lines": 1,
        "date_lines": 2,
        "unbalanced_amount": 123_456,
        "unbalanced_examples": [{"entry": f"HA {i}", "line": 2 * i, "difference": -100} for i in range(1, 11)],
        "format_examples": [{"line": 7, "faults": "Debit illisible"}],
        "date_examples": [3, 9],
    }
    equilibre, format_, dates = integrity_findings(integrity)
    assert (equilibre.rule, equilibre.severity, equilibre.amount) == ("FEC_EQUILIBRE", "error", 123_456)
    assert "12 écritures" in equilibre.message and "1 234,56 €" in equilibre.message
    assert "HA 1 (ligne 2, écart 1,00 €)" in equilibre.message and "HA 10 " in equilibre.message
    assert equilibre.message.endswith("et 2 autres")
    assert (format_.rule, format_.severity) == (
        "FEC_FORMAT",
        "error",
    ) and "ligne 7 (Debit illisible)" in format_.message
    assert (dates.rule, dates.severity) == ("FEC_DATES", "warning") and "lignes 3, 9" in dates.message
    clean = {**integrity, "unbalanced": 0, "format_lines": 0, "date_lines": 0}
    assert integrity_findings(clean) == []


# --- what people see ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("account", "masked"),
    [("64110000", True), ("421", True), ("43100000", True), (" 6411", True), ("40100000", False),
     ("60640000", False), ("", False), (None, False)],
)  # fmt: skip
def test_masked_label(account, masked):
    assert (masked_label(account, "Salaire DUPONT Jean") == MASK) is masked


@pytest.fixture
def pay_ledger(tmp_path):
    """Pay postings on a Sunday: their labels name an employee."""
    label = "Salaire 03/2024 DUPONT Jean"
    rows = [
        line("OD", "1", "20240331", "64110000", debit="2500,00", EcritureLib=label),
        line("OD", "1", "20240331", "42100000", credit="2500,00", EcritureLib=label),
        line("OD", "2", "20240331", "60640000", debit="300,00", EcritureLib="Fournitures"),
        line("OD", "2", "20240331", "47100000", credit="300,00", EcritureLib="Fournitures"),
    ]
    return read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts={"606": "gestion"})


def test_report_fragment_masks_pay_labels(pay_ledger):
    from pexaudit.render.report import render_template

    result = fec_analytics(pay_ledger.lines, START, END)
    assert result["weekend_holiday"]["examples"][0]["label"] == "Salaire 03/2024 DUPONT Jean"  # results.json keeps it
    chart = "data:image/png;base64,AAAA"
    html = render_template("analytics.html.j2", **analytics_context(result, chart))
    assert "Analyse du grand livre" in html and "DUPONT" not in html and MASK in html
    assert "Fournitures" in html and "2 500,00 €" in html and "dimanche" in html and chart in html
    assert "Intégrité du FEC" in html and "indicatif" in html


def test_report_fragment_of_an_expenses_file():
    from pexaudit.render.report import render_template

    context = analytics_context(expenses_analytics(expenses([12_345, 10_000]), "depenses.xlsx"))
    html = render_template("analytics.html.j2", **context, number=11)
    assert "11. Analyse du grand livre" in html and "Intégrité du FEC" not in html and "feuille « Mandats »" in html
    assert "Aucune analyse" in render_template("analytics.html.j2", **analytics_context(None))


def test_workbook_rows(pay_ledger):
    rows = analytics_sheet_rows(fec_analytics(pay_ledger.lines, START, END))
    assert rows[0] == SHEET_HEADER
    assert all(len(r) == len(SHEET_HEADER) for r in rows)
    weekend = [r for r in rows[1:] if r[0].startswith("Écritures datées") and r[2]]
    assert [r[7] for r in weekend] == [MASK, MASK, "Fournitures", "Fournitures"]
    assert weekend[0][4] == dt.date(2024, 3, 31) and weekend[0][5] == 2500.0
    assert not any("DUPONT" in str(cell) for r in rows for cell in r)
    assert analytics_sheet_rows(None) == [SHEET_HEADER]


def test_benford_chart_is_a_png():
    png = benford_chart({str(d): 10 - d for d in range(1, 10)}, {str(d): np.log10(1 + 1 / d) for d in range(1, 10)})
    assert png.startswith(b"\x89PNG") and len(png) > 5_000
    assert benford_chart(dict.fromkeys("123456789", 0), dict.fromkeys("123456789", 0.1)).startswith(b"\x89PNG")


def test_empty_ledgers(tmp_path, schema):
    for result in (
        fec_analytics(fec(tmp_path, []), START, END),
        expenses_analytics(expenses([]), "depenses.csv"),
    ):
        jsonschema.validate(result, schema["properties"]["analytics"])
        assert result["lines"] == 0 and result["benford"]["reading"] is None
        assert result["round_amounts"]["share_lines"] is None and result["near_duplicates"]["n"] == 0


# --- the workbook lists every flagged line (SPEC 11: up to 10 000 a test) ------------------------


def test_the_sheet_lists_every_flagged_line_not_only_the_examples():
    saturdays = [dt.date(2024, 1, 6) + dt.timedelta(days=7 * i) for i in range(30)]
    frame = expenses(amounts=[10_000 + i for i in range(30)], dates=saturdays)
    flagged: dict = {}
    result = expenses_analytics(frame, "d.csv", flagged)
    assert result["weekend_holiday"]["n"] == 30 and len(result["weekend_holiday"]["examples"]) == 20  # results.json
    listed = flagged["weekend_holiday"]
    assert isinstance(listed, pd.DataFrame) and len(listed) == 30 and listed["line"].tolist() == list(range(2, 32))
    assert listed["day"].unique().tolist() == ["samedi"]
    rows = analytics_sheet_rows(result, flagged)
    weekend = [r for r in rows if r[0].startswith("Écritures datées") and r[2]]
    assert [r[3] for r in weekend] == list(range(2, 32)) and weekend[0][1] == "samedi"
    assert weekend[-1][4] == saturdays[-1] and weekend[-1][5] == 100.29
    # the examples of results.json are the first lines of the list
    assert [e["line"] for e in result["weekend_holiday"]["examples"]] == listed["line"].tolist()[:20]
    # Benford: counts per first digit, no line
    benford = [r for r in rows if r[0].startswith("Loi de Benford")]
    assert len(benford) == 10 and not any(r[2] for r in benford)
    assert benford[1][1] == "premier chiffre 1 : 30 montants, 100,0 % (attendu 30,1 %)"


def test_the_sheet_stops_at_its_cap_and_counts_the_rest(monkeypatch):
    import pexaudit.core.analytics as analytics

    monkeypatch.setattr(analytics, "SHEET_LINES", 5)
    frame = expenses(amounts=[10_000] * 12)  # twelve round amounts
    flagged: dict = {}
    result = expenses_analytics(frame, "d.csv", flagged)
    rows = analytics_sheet_rows(result, flagged)
    round_rows = [r for r in rows if r[0].startswith("Montants ronds")]
    assert len(flagged["round_amounts"]) == 5 and len(round_rows) == 1 + 5 + 1
    assert round_rows[-1][1] == "… et 7 lignes de plus, au-delà des 5 premières"


def test_numbering_gaps_list_every_gap_with_what_is_missing(tmp_path):
    rows = []
    for number in (1, 2, 5, 6, 9):
        rows += [
            line("HA", str(number), "20240304", "60640000", debit="10,00"),
            line("HA", str(number), "20240304", "40100000", credit="10,00"),
        ]
    lines = fec(tmp_path, rows)
    flagged: dict = {}
    result = fec_analytics(lines, START, END, flagged=flagged)
    assert result["numbering_gaps"]["gaps"] == 2 and result["numbering_gaps"]["n"] == 4
    sheet = [r for r in analytics_sheet_rows(result, flagged) if r[0].startswith("Trous") and r[2]]
    assert [r[1] for r in sheet] == ["2 numéros manquants après 2", "2 numéros manquants après 6"]


def test_a_large_ledger_lists_its_cap_quickly_from_index_arrays():
    size = 300_000
    frame = expenses(amounts=np.full(size, 10_000), dates=[dt.date(2024, 1, 6)] * size)  # every line flagged twice
    flagged: dict = {}
    started = time.perf_counter()
    result = expenses_analytics(frame, "d.csv", flagged)
    rows = analytics_sheet_rows(result, flagged)
    assert time.perf_counter() - started < 20
    assert {k: len(v) for k, v in flagged.items() if k in ("round_amounts", "weekend_holiday")} == {
        "round_amounts": 10_000, "weekend_holiday": 10_000,
    }  # fmt: skip
    assert sum(1 for r in rows if r[0].startswith("Montants ronds")) == 1 + 10_000 + 1
    assert sum(1 for r in rows if r[1] == "… et 290 000 lignes de plus, au-delà des 10 000 premières") == 2
