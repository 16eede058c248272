"""The FEC reader (SPEC section 11): a real FEC, the variants exports show, mapping rules, bad files."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pandas as pd
import pytest

from pexaudit.core.analytics import fec_analytics
from pexaudit.core.registry import RULES
from pexaudit.core.rules import dup_rank
from pexaudit.errors import InputError
from pexaudit.inputs import fec as fec_module
from pexaudit.inputs.fec import FEC_COLUMNS, FEC_EXTRA_COLUMNS, looks_like_fec, read_fec
from pexaudit.inputs.readers import read_source

from .fec_files import fec_text, line, purchase, write_fec

REAL_FEC = Path(__file__).parent / "external" / "fec" / "111111111FEC20221231.TXT"
GESTION = {"6": "gestion"}


# --- a real FEC ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real():
    return read_fec(REAL_FEC, REAL_FEC.name, accounts=GESTION)


def test_real_fec_is_recognised_and_read_exactly(real):
    """'|'-separated, a trailing '|', space-padded fields, amounts 0000000069,60, ISO 8859-15.

    An entry is the trimmed JournalCode + EcritureNum (SPEC 11). tests/external/README.md groups
    by (JournalCode, EcritureNum, EcritureDate): in this file no number is reused across dates or
    journals, so both groupings find the same 248 entries, all balanced.
    """
    assert looks_like_fec(REAL_FEC)
    lines = real.lines
    assert len(lines) == 934 == len(REAL_FEC.read_bytes().splitlines()) - 1
    assert lines["line"].iloc[0] == 2 and lines["line"].iloc[-1] == 935
    assert int(lines["debit"].sum()) == int(lines["credit"].sum()) == 22_568_223  # 225 682,23 €
    by_date = lines.groupby(["JournalCode", "EcritureNum", "EcritureDate"], observed=True).ngroups
    assert real.integrity["entries"] == by_date == 248
    assert real.integrity["unbalanced"] == real.integrity["format_lines"] == real.integrity["date_lines"] == 0
    assert lines["EcritureDate"].dt.year.unique().tolist() == [2023]
    assert lines["ValidDate"].dt.year.unique().tolist() == [2024]
    assert real.encoding == "iso-8859-15" and real.separator == "|"
    assert set(lines["JournalCode"].cat.categories) >= {"VE", "OJRA"}  # "VE  " trimmed


def test_real_fec_expense_rows(real):
    frame = real.table.frame
    assert real.table.kind == "fec" and real.table.sheet is None and real.table.role == "expenses"
    on_6 = lines_on(real.lines, "6")
    assert len(frame) == len(on_6) and frame["row"].tolist() == on_6["line"].tolist()
    assert frame["montant"].notna().all() and not real.table.raw
    assert int(frame["montant"].sum()) == int((on_6["debit"] - on_6["credit"]).sum())
    assert set(frame["ligne"]) == {"gestion"} and set(frame["payeur"]) == {""}
    assert real.table.has("date_paiement") and not real.table.has("payeur")
    # Line 524: bank charges booked in the bank journal (no 40 line): paid on the spot.
    fee = frame.set_index("row").loc[524]
    assert (fee["piece"], fee["compte"], fee["montant"]) == ("C1  0123", "62700000", 1000)
    assert fee["date"] == fee["date_paiement"] == dt.date(2023, 1, 3)


def lines_on(lines: pd.DataFrame, prefix: str) -> pd.DataFrame:
    return lines[lines["CompteNum"].astype(str).str.startswith(prefix)]


# --- the layout of the expense frame ------------------------------------------------------------


def test_expense_frame_has_the_layout_of_the_ordinary_reader(tmp_path):
    csv = tmp_path / "depenses.csv"
    csv.write_text(
        "piece;date;date_paiement;fournisseur;libelle;compte;ligne;montant\n"
        "F1;15/01/2024;01/03/2024;Bureau Vallée;Achat;60640000;gestion;120,00\n",
        encoding="utf-8",
    )
    ordinary = read_source("expenses", csv, "depenses.csv").frame
    ledger = read_fec(write_fec(tmp_path / "fec.txt", purchase()), "fec.txt", accounts={"6064": "gestion"})
    fec = ledger.table.frame
    assert fec.columns.tolist() == ordinary.columns.tolist() + list(FEC_EXTRA_COLUMNS)
    fec = fec.drop(columns=list(FEC_EXTRA_COLUMNS))
    assert fec.dtypes.to_dict() == ordinary.dtypes.to_dict()
    drop = ["file", "row", "payeur", "code_analytique"]
    assert fec.drop(columns=drop).to_dict("records") == ordinary.drop(columns=drop).to_dict("records")


# --- the variants real exports show -------------------------------------------------------------

ROWS = [
    *purchase("1", cents=12_345, supplier="Électricité Armor €", EcritureLib="Facture électricité é €"),
    *purchase("2", date="20240220", cents=5_000, account="62510000", lettered=None, EcritureLib="Train PEX"),
]
VARIANTS = {
    "tab": {},
    "pipe": {"sep": "|"},
    "pipe, trailing separator": {"sep": "|", "trailing": True},
    "tab, trailing separator": {"trailing": True},
    "UTF-8 with BOM": {"bom": True},
    "ISO 8859-15": {"encoding": "iso-8859-15"},
    "CRLF": {"newline": "\r\n"},
    "Montant + Sens": {"montant_sens": True},
    "padded fields and amounts": {"pad": True, "sep": "|", "trailing": True},
    "everything at once": {"pad": True, "sep": "|", "trailing": True, "encoding": "iso-8859-15",
                           "newline": "\r\n", "montant_sens": True},
}  # fmt: skip


@pytest.mark.parametrize("suffix", [".txt", ".csv", ".TXT"])
@pytest.mark.parametrize("variant", list(VARIANTS), ids=list(VARIANTS))
def test_variants_read_the_same(tmp_path, variant, suffix):
    path = write_fec(tmp_path / f"123456789FEC20241231{suffix}", ROWS, **VARIANTS[variant])
    assert looks_like_fec(path)
    ledger = read_fec(path, path.name, accounts={"606": "gestion", "6251": "gestion"})
    lines, frame = ledger.lines, ledger.table.frame
    assert len(lines) == 4 and lines["line"].tolist() == [2, 3, 4, 5]
    assert lines["debit"].tolist() == [12_345, 0, 5_000, 0] and lines["credit"].tolist() == [0, 12_345, 0, 5_000]
    assert ledger.integrity["entries"] == 2 and ledger.integrity["unbalanced"] == 0
    assert ledger.integrity["format_lines"] == 0, ledger.integrity["format_examples"]
    assert frame["row"].tolist() == [2, 4]
    assert frame["montant"].tolist() == [12_345, 5_000]
    assert frame["fournisseur"].tolist() == ["Électricité Armor €", "Bureau Vallée"]
    assert frame["libelle"].tolist() == ["Facture électricité é €", "Train PEX"]
    assert frame["piece"].tolist() == ["F1", "F2"] and frame["compte"].tolist() == ["60640000", "62510000"]
    assert frame["date"].tolist() == [dt.date(2024, 1, 15), dt.date(2024, 2, 20)]
    assert frame["date_paiement"].tolist() == [dt.date(2024, 3, 1), None]
    assert ledger.table.headers["piece"] == "PieceRef"


def test_header_names_ignore_case_and_extra_columns_are_ignored(tmp_path):
    """An extra column is ignored when every line has it; the header sets the field count N
    (SPEC 11), so lines without it are of the wrong field count and set aside."""
    text = fec_text(ROWS).replace("JournalCode", "JOURNALCODE").replace("Montantdevise", "MontantDevise")
    path = tmp_path / "fec.txt"
    path.write_text(text.replace("\n", "\tExtra\n"), encoding="utf-8")
    assert looks_like_fec(path)
    assert len(read_fec(path, "fec.txt", accounts=GESTION).table.frame) == 2
    path.write_text(text.replace("\tIdevise\n", "\tIdevise\tExtra\n", 1), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=GESTION)
    assert ledger.table.frame.empty and ledger.integrity["format_lines"] == 4
    assert ledger.integrity["format_examples"][0]["faults"] == "18 champs au lieu de 19 (champs manquants)"


def test_ordinary_files_are_not_fecs(tmp_path):
    csv = tmp_path / "depenses.csv"
    csv.write_text("piece;date;fournisseur;montant\nF1;15/01/2024;X;12\n", encoding="utf-8")
    xlsx = tmp_path / "depenses.xlsx"
    xlsx.write_bytes(b"PK\x03\x04" + bytes(range(256)))
    assert not looks_like_fec(csv) and not looks_like_fec(xlsx) and not looks_like_fec(tmp_path / "absent.txt")


def test_blank_lines_keep_the_line_numbers(tmp_path):
    text = fec_text(ROWS).split("\n")
    text.insert(3, "")
    text.insert(4, "   ")
    path = tmp_path / "fec.txt"
    path.write_text("\n".join(text), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=GESTION)
    assert ledger.lines["line"].tolist() == [2, 3, 6, 7]
    assert ledger.table.frame["row"].tolist() == [2, 6]


# --- mapping rules ------------------------------------------------------------------------------


def test_the_longest_account_prefix_wins(tmp_path):
    rows = [
        *purchase("1", account="60640000"),
        *purchase("2", account="60610000"),
        *purchase("3", account="62600000"),
        *purchase("4", account="70600000"),
    ]
    path = write_fec(tmp_path / "fec.txt", rows)
    accounts = {"6": "autres", "606": "gestion", "6064": "fournitures", "62": "services"}
    frame = read_fec(path, "fec.txt", accounts=accounts).table.frame
    assert dict(zip(frame["compte"], frame["ligne"], strict=True)) == {
        "60640000": "fournitures",
        "60610000": "gestion",
        "62600000": "services",
    }


def test_supplier_and_payment_date_come_from_the_entry(tmp_path):
    rows = [
        *purchase("1", supplier="Papeterie Rennes", lettered="20240310"),  # lettered 40 line: DateLet
        *purchase("2", supplier="", lettered="20240310", EcritureLib="Carburant"),  # no CompAuxLib: EcritureLib
        *purchase("3", lettered=None),  # 40 line not lettered: unpaid, empty
        line("BQ", "1", "20240320", "62510000", debit="45,00", EcritureLib="Billet de train"),  # bank: on the spot
        line("BQ", "1", "20240320", "51200000", credit="45,00", EcritureLib="Billet de train"),
        line("OD", "1", "20240325", "62600000", debit="10,00", EcritureLib="Timbres"),  # neither: empty
        line("OD", "1", "20240325", "47100000", credit="10,00", EcritureLib="Timbres"),
        line("CA", "1", "20240326", "62600000", debit="5,00", PieceDate="", EcritureLib="Timbre"),  # cash, no PieceDate
        line("CA", "1", "20240326", "53000000", credit="5,00"),
    ]
    frame = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION).table.frame
    assert frame["fournisseur"].tolist() == [
        "Papeterie Rennes", "Carburant", "Bureau Vallée", "Billet de train", "Timbres", "Timbre",
    ]  # fmt: skip
    assert frame["date_paiement"].tolist() == [
        dt.date(2024, 3, 10), dt.date(2024, 3, 10), None, dt.date(2024, 3, 20), None, dt.date(2024, 3, 26),
    ]  # fmt: skip
    assert frame["date_paiement_given"].tolist() == [True, True, False, True, False, True]
    assert frame["date"].iloc[-1] == dt.date(2024, 3, 26)  # EcritureDate when PieceDate is empty
    assert frame["row"].tolist() == [2, 4, 6, 8, 10, 12]


def test_journal_and_label_filters(tmp_path):
    rows = [
        *purchase("1", EcritureLib="PEX fournitures"),
        *purchase("2", EcritureLib="Fournitures siège"),
        *purchase("3", EcritureLib="Fournitures", PieceRef="pex-0012"),  # PieceRef matches, case ignored
        line("OD", "1", account="60640000", debit="10,00", EcritureLib="Reclassement PEX"),
        line("OD", "1", account="47100000", credit="10,00"),
    ]
    path = write_fec(tmp_path / "fec.txt", rows)
    read = lambda **kw: read_fec(path, "fec.txt", accounts=GESTION, **kw).table.frame["row"].tolist()  # noqa: E731
    assert read() == [2, 4, 6, 8]
    assert read(label_contains=("pex",)) == [2, 6, 8]
    assert read(journals=("HA",)) == [2, 4, 6]
    assert read(journals=("ha ",), label_contains=("PEX", "siège")) == [2, 4, 6]
    assert read(journals=("BQ",)) == []


def test_row_ids_start_where_asked(tmp_path):
    frame = read_fec(write_fec(tmp_path / "f.txt", ROWS), "f.txt", accounts=GESTION, row_id_start=100).table.frame
    assert frame["row_id"].tolist() == [100, 101]


def test_duplicate_keys_include_the_date(tmp_path):
    """Two equal postage bills of different months are not a duplicate; an invoice booked twice is."""
    rows = [
        *purchase("1", date="20240115", PieceRef="sans"),
        *purchase("2", date="20240215", PieceRef="sans"),
        *purchase("3", date="20240215", PieceRef="SANS"),
    ]
    frame = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION).table.frame
    ranks, firsts = dup_rank(frame, RULES["DOUBLON"].keys["fec"](frame), set())
    assert ranks.tolist() == [0, 0, 1] and firsts.tolist() == [2, 4, 4]


# --- bad files ----------------------------------------------------------------------------------


@pytest.mark.parametrize("column", ["JournalCode", "CompteLib", "ValidDate", "Idevise", "Credit"])
def test_a_missing_column_names_the_file_and_the_column(tmp_path, column):
    columns = tuple(c for c in FEC_COLUMNS if c != column)
    path = tmp_path / "fec.txt"
    path.write_text(fec_text(ROWS, columns=columns), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_fec(path, "fec.txt", accounts=GESTION)
    assert error.value.file == "fec.txt" and error.value.column == column
    assert column in error.value.message and "fec.txt" in error.value.message


def test_montant_without_sens_is_a_missing_column(tmp_path):
    path = tmp_path / "fec.txt"
    path.write_text(fec_text(ROWS, montant_sens=True).replace("\tSens\t", "\tSns\t"), encoding="utf-8")
    with pytest.raises(InputError) as error:
        read_fec(path, "fec.txt", accounts=GESTION)
    assert error.value.column == "Debit, Credit"


@pytest.mark.parametrize("trailing", [False, True])
def test_a_line_with_too_many_fields_is_a_format_line(tmp_path, trailing):
    """A separator inside a label shifts every field after it: the line is set aside. It still
    counts among the lines and, with 0, in its entry (SPEC 11); it gives no expense row."""
    text = fec_text(ROWS, sep="|", trailing=trailing).split("\n")
    text[2] = text[2].replace("|Achat|", "|Achat | bureau|", 1)  # EcritureLib (JournalLib is "Achats")
    path = tmp_path / "fec.txt"
    path.write_text("\n".join(text), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=GESTION)
    lines = ledger.lines.set_index("line")
    assert lines.index.tolist() == [2, 3, 4, 5]
    assert lines.loc[3, "field_fault"] and (lines.loc[3, "debit"], lines.loc[3, "credit"]) == (0, 0)
    assert lines.loc[3, "entry"] == lines.loc[2, "entry"]  # JournalCode and EcritureNum come before the label
    fields = 19 + trailing
    assert ledger.integrity["format_lines"] == 1
    assert ledger.integrity["format_examples"] == [
        {"line": 3, "faults": f"{fields} champs au lieu de 18 (séparateur dans un libellé ?)"}
    ]
    assert ledger.integrity["unbalanced"] == 1  # its entry lost the line's amount
    assert ledger.table.frame["row"].tolist() == [2, 4]


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(InputError, match="introuvable"):
        read_fec(tmp_path / "absent.txt", "absent.txt", accounts=GESTION)
    (tmp_path / "vide.txt").write_bytes(b"")
    with pytest.raises(InputError, match="vide"):
        read_fec(tmp_path / "vide.txt", "vide.txt", accounts=GESTION)


def test_header_only(tmp_path):
    ledger = read_fec(write_fec(tmp_path / "fec.txt", []), "fec.txt", accounts=GESTION)
    assert ledger.lines.empty and ledger.table.frame.empty and ledger.integrity["entries"] == 0


def test_unbalanced_entries_are_counted_with_their_amount(tmp_path):
    rows = [
        *purchase("1"),
        line("HA", "2", account="60640000", debit="100,00"),
        line("HA", "2", account="40100000", credit="90,00"),  # 10,00 short
        line("BQ", "2", account="62700000", debit="5,00"),  # same number, another journal: another entry
        line("BQ", "2", account="51200000", credit="7,50"),  # 2,50 over
        line("OD", "3", account="60610000", debit="1x,00"),  # unreadable: counts 0, so 20,00 off
        line("OD", "3", account="47100000", credit="20,00"),
    ]
    integrity = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION).integrity
    assert integrity["entries"] == 4 and integrity["unbalanced"] == 3
    assert integrity["unbalanced_amount"] == 1_000 + 250 + 2_000
    assert [(e["entry"], e["line"], e["difference"]) for e in integrity["unbalanced_examples"]] == [
        ("HA 2", 4, 1_000), ("BQ 2", 6, -250), ("OD 3", 8, -2_000),
    ]  # fmt: skip
    assert integrity["format_lines"] == 1


def test_unreadable_values_are_format_lines_and_format_rows(tmp_path):
    rows = [
        *purchase("1", date="20241332"),  # impossible EcritureDate and PieceDate
        *purchase("2", cents=5_000),
        *purchase("3", PieceDate="2024-03-05"),  # not yyyymmdd: unreadable (SPEC 11), on both lines
        *purchase("4", lettered="2024031"),  # unreadable DateLet on the 40 line
        line("OD", "5", account="60640000", debit="", credit="", EcritureLib=""),  # missing mandatory fields
        line("OD", "5", account="47100000", credit="0,00", ValidDate="20231231"),  # validated before its date
    ]
    rows[2]["Debit"] = "50;00"
    ledger = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION)
    integrity = ledger.integrity
    assert integrity["format_lines"] == 7 and integrity["date_lines"] == 1 and integrity["date_examples"] == [11]
    faults = {e["line"]: e["faults"] for e in integrity["format_examples"]}
    assert faults == {
        2: "EcritureDate illisible, PieceDate illisible, ValidDate illisible",
        3: "EcritureDate illisible, PieceDate illisible, ValidDate illisible",
        4: "Debit illisible",
        6: "PieceDate illisible",
        7: "PieceDate illisible",
        9: "DateLet illisible",
        10: "EcritureLib absent, Debit absent, Credit absent",
    }
    frame, raw = ledger.table.frame.set_index("row"), ledger.table.raw
    ids = frame["row_id"]
    assert frame.loc[2, "date"] is None and raw[(ids[2], "date")] == "20241332 (PieceDate)"
    assert pd.isna(frame.loc[4, "montant"]) and raw[(ids[4], "montant")] == "Debit « 50;00 », Credit « 0,00 »"
    assert frame.loc[6, "date"] is None and raw[(ids[6], "date")] == "2024-03-05 (PieceDate)"
    assert frame.loc[8, "date_paiement"] is None and frame.loc[8, "date_paiement_given"]
    assert raw[(ids[8], "date_paiement")] == "2024031"
    assert pd.isna(frame.loc[10, "montant"]) and not frame.loc[10, "montant_given"]
    assert frame.loc[10, "fournisseur"] == ""  # PIECE, not FORMAT


# --- speed --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_read_fec_stays_within_three_bare_reads(tmp_path):
    """Column-wise reading: on 200 000 lines, at most 3 x a bare ``pandas.read_csv`` of the file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_fec", Path(__file__).parents[1] / "benchmarks" / "make_fec.py")
    make_fec = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_fec)
    path = tmp_path / "fec.txt"
    make_fec.write(path, make_fec.generate(200_000))

    def best(function) -> float:
        times = []
        for _ in range(3):
            started = time.perf_counter()
            function()
            times.append(time.perf_counter() - started)
        return min(times)

    bare = best(lambda: pd.read_csv(path, sep="\t", dtype=str, encoding="iso-8859-15"))
    ours = best(lambda: read_fec(path, "fec.txt", accounts={"606": "gestion"}, label_contains=("PEX",)))
    assert ours <= 3 * bare, f"read_fec {ours:.2f} s, bare read_csv {bare:.2f} s"


def test_encoding_is_told_apart_by_the_whole_file(tmp_path):
    """ASCII up to the last line, then ISO 8859-15: the file is ISO 8859-15, the label is read."""
    rows = [*purchase("1", supplier="UGAP"), *purchase("2", supplier="UGAP"), *purchase("3", EcritureLib="Réception €")]
    ledger = read_fec(write_fec(tmp_path / "fec.txt", rows, encoding="iso-8859-15"), "fec.txt", accounts=GESTION)
    assert ledger.encoding == "iso-8859-15" and ledger.table.frame["libelle"].iloc[-1] == "Réception €"
    assert len(ledger.table.sha256) == 64


# --- the traps of exports in the wild (SPEC 11): each file read with and without its trap -------

TRAP_ROWS = [
    *purchase("1", "20240115", 12_000, supplier="Papeterie Rennes", lettered="20240310", EcritureLib="Ramettes PEX"),
    *purchase("2", "20240220", 5_000, account="62510000", lettered=None, EcritureLib="Train PEX"),
    line("BQ", "3", "20240205", "40100000", debit="120,00", CompAuxNum="F001", CompAuxLib="Papeterie Rennes",
         EcritureLet="AA", DateLet="20240310", EcritureLib="Règlement"),
    line("BQ", "3", "20240205", "51200000", credit="120,00", EcritureLib="Règlement"),
]  # fmt: skip
TRAP_ACCOUNTS = {"606": "gestion", "6251": "gestion"}


def figures(ledger) -> dict:
    """What an independent reader compares: lines, entries, faults, balance, amounts, Benford count."""
    lines, frame = ledger.lines, ledger.table.frame
    analytics = fec_analytics(lines, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    return {
        "lines": lines["line"].tolist(),
        "entries": ledger.integrity["entries"],
        "unbalanced": ledger.integrity["unbalanced"],
        "format_lines": ledger.integrity["format_lines"],
        "debit": lines["debit"].tolist(),
        "credit": lines["credit"].tolist(),
        "benford": analytics["benford"]["n"],
        "rows": list(zip(frame["row"], frame["montant"], frame["date"], frame["date_paiement"], strict=True)),
    }


def _label_tab(text: str, line_number: int) -> str:
    lines = text.split("\n")
    fields = lines[line_number - 1].split("\t")
    fields[FEC_COLUMNS.index("EcritureLib")] += "\tbureau"
    lines[line_number - 1] = "\t".join(fields)
    return "\n".join(lines)


def _mixed(text: str) -> str:
    """Each record end in turn: LF, CR LF, CR, CR CR LF."""
    lines = text.split("\n")
    ends = ["\n", "\r\n", "\r", "\r\r\n"]
    return "".join(t + ends[i % 4] for i, t in enumerate(lines[:-1])) + lines[-1]


def _on_line(line_number: int, function):
    """``function`` applied to one line of the text (1 is the header)."""

    def apply(text: str) -> str:
        lines = text.split("\n")
        lines[line_number - 1] = function(lines[line_number - 1])
        return "\n".join(lines)

    return apply


def _field(name: str, value: str):
    def set_field(text_line: str) -> str:
        fields = text_line.split("\t")
        fields[FEC_COLUMNS.index(name)] = value
        return "\t".join(fields)

    return set_field


# trap -> (how the text changes, what differs from the clean read). A line set aside keeps its
# place and its entry, with 0: its amounts leave the totals, its expense row goes.
TRAPS = {
    "records ending with CR alone": (lambda t: t.replace("\n", "\r"), {}),
    "CR CR LF": (lambda t: t.replace("\n", "\r\r\n"), {}),
    "LF, CRLF, CR and CR CR LF mixed": (lambda t: _mixed(t), {}),
    "trailing separator on one line only": (_on_line(3, lambda s: s + "\t"), {}),
    "trailing separator on every line": (lambda t: t.replace("\n", "\t\n"), {}),
    "trailing separator on the header only": (_on_line(1, lambda s: s + "\t"), {}),
    "trailing separator padded with spaces": (_on_line(4, lambda s: s + "\t   "), {}),
    "blank records": (lambda t: t.replace("\n", "\n\n   \n\t\t\n", 1), {"shift": 3}),  # lines 2-4
    "tab in the label of the first data line": (lambda t: _label_tab(t, 2), {"aside": 2}),
    "tab in the label of a later line": (lambda t: _label_tab(t, 4), {"aside": 4}),
    "a line of 17 fields": (_on_line(5, lambda s: s.rsplit("\t", 1)[0]), {"aside": 5}),
    "an Excel serial date (44941)": (_on_line(2, _field("EcritureDate", "44941")), {"format": 2}),
}  # fmt: skip


@pytest.mark.parametrize("trap", list(TRAPS), ids=list(TRAPS))
def test_each_trap_reads_as_the_norm_says(tmp_path, trap):
    change, differs = TRAPS[trap]
    clean_text = fec_text(TRAP_ROWS)
    (tmp_path / "clean.txt").write_text(clean_text, encoding="utf-8")
    (tmp_path / "trap.txt").write_bytes(change(clean_text).encode("utf-8"))
    clean = figures(read_fec(tmp_path / "clean.txt", "clean.txt", accounts=TRAP_ACCOUNTS))
    ledger = read_fec(tmp_path / "trap.txt", "trap.txt", accounts=TRAP_ACCOUNTS)
    got = figures(ledger)
    want = dict(clean)
    if "shift" in differs:  # blank records keep their line numbers, unused
        want["lines"] = [n + differs["shift"] for n in clean["lines"]]
        want["rows"] = [(r + differs["shift"], *rest) for r, *rest in clean["rows"]]
    if "aside" in differs:
        at = clean["lines"].index(differs["aside"])
        want["debit"] = [0 if i == at else d for i, d in enumerate(clean["debit"])]
        want["credit"] = [0 if i == at else c for i, c in enumerate(clean["credit"])]
        want["format_lines"] = 1
        want["unbalanced"] = 1
        want["benford"] = clean["benford"] - 1
        want["rows"] = [r for r in clean["rows"] if r[0] != differs["aside"]]
        assert ledger.lines["field_fault"].tolist()[at] and ledger.reading["set_aside"] == 1
    if "format" in differs:  # an ordinary format fault: the line stays, read; its row's date is PieceDate
        want["format_lines"] = 1
        assert ledger.integrity["format_examples"] == [{"line": differs["format"], "faults": "EcritureDate illisible"}]
    assert got == want
    assert sum(got["credit"]) <= sum(clean["credit"])  # a separator in a label never makes a credit


def test_a_label_tab_never_turns_a_debit_into_a_credit(tmp_path):
    """The first data line of 120,00 € debit with a tab in its label: set aside, not read shifted."""
    path = tmp_path / "fec.txt"
    path.write_text(_label_tab(fec_text(TRAP_ROWS), 2), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    first = ledger.lines.iloc[0]
    assert (first["line"], first["debit"], first["credit"], first["field_fault"]) == (2, 0, 0, True)
    assert ledger.integrity["format_examples"][0] == {
        "line": 2, "faults": "19 champs au lieu de 18 (séparateur dans un libellé ?)"
    }  # fmt: skip
    assert ledger.integrity["unbalanced_examples"][0]["difference"] == -12_000  # 120 € short, not 240 €


@pytest.mark.parametrize(
    ("sens", "readable"),
    [("D", True), ("d", True), ("C", True), ("+1", True), ("-1", True), ("1", True), ("", False),
     ("Débit", False), ("2", False), ("+", False)],
)  # fmt: skip
def test_sens(tmp_path, sens, readable):
    rows = [line("OD", "1", debit="10,00"), line("OD", "1", account="47100000", credit="10,00")]
    text = fec_text(rows, montant_sens=True).split("\n")
    fields = text[1].split("\t")
    fields[FEC_COLUMNS.index("Debit") + 1] = sens
    text[1] = "\t".join(fields)
    path = tmp_path / "fec.txt"
    path.write_text("\n".join(text), encoding="utf-8")
    lines = read_fec(path, "fec.txt", accounts=GESTION).lines
    side = {"D": 1, "d": 1, "+1": 1, "1": 1, "C": -1, "-1": -1}.get(sens, 0)
    assert (lines["debit"].iat[0], lines["credit"].iat[0]) == (
        (1000, 0) if side == 1 else (0, 1000) if side else (0, 0)
    )
    assert bool(lines["amount_ok"].iat[0]) is readable


@pytest.mark.parametrize(
    ("text", "readable"),
    [("20240115", True), ("20240230", False), ("44941", False), ("2024-01-15", False), ("15/01/2024", False),
     ("2024011", False), ("202401150", False), (" 20240115 ", True)],
)  # fmt: skip
def test_dates_are_exactly_yyyymmdd(tmp_path, text, readable):
    rows = [line("OD", "1", debit="10,00", EcritureDate=text), line("OD", "1", account="47100000", credit="10,00")]
    lines = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION).lines
    assert (not pd.isna(lines["EcritureDate"].iat[0])) is readable


def test_check_learns_how_the_records_were_read(tmp_path):
    text = _label_tab(fec_text(TRAP_ROWS), 4).replace("\n", "\t\n", 1)  # a trailing separator on the header
    path = tmp_path / "fec.txt"
    path.write_bytes(_mixed(text.replace("\n", "\n\n", 1)).encode("utf-8"))  # and a blank record
    reading = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS).reading
    assert reading["fields"] == 18 and reading["blank"] == 1 and reading["records"] == 8
    assert reading["endings"] == {"LF": 2, "CRLF": 2, "CR": 2, "CRCRLF": 2}
    assert reading["set_aside"] == 1
    assert reading["set_aside_examples"] == [
        {"line": 5, "faults": "19 champs au lieu de 18 (séparateur dans un libellé ?)"}
    ]


TRAPPED = {name: change for name, (change, _) in TRAPS.items()}


@pytest.mark.parametrize("chunk", [1, 3, 7, 64])
@pytest.mark.parametrize("trap", list(TRAPPED), ids=list(TRAPPED))
def test_records_across_chunk_boundaries(tmp_path, monkeypatch, chunk, trap):
    """The byte pass reads in chunks: a record end, a CR run or a separator cut by a chunk
    boundary counts the same."""
    path = tmp_path / "fec.txt"
    path.write_bytes(TRAPPED[trap](fec_text(TRAP_ROWS)).encode("utf-8"))
    whole = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    monkeypatch.setattr(fec_module, "_CHUNK", chunk)
    cut = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    assert figures(cut) == figures(whole) and cut.reading == whole.reading


@pytest.mark.parametrize("sep", ["\t", "|"])
@pytest.mark.parametrize("trap", list(TRAPPED), ids=list(TRAPPED))
def test_the_python_reader_agrees_with_pandas(tmp_path, monkeypatch, trap, sep):
    """When pandas does not see the records the bytes show, the fields are split in Python: the
    same figures."""
    text = TRAPPED[trap](fec_text(TRAP_ROWS))
    path = tmp_path / "fec.txt"
    path.write_bytes((text if sep == "\t" else text.replace("|", "/").replace("\t", "|")).encode("utf-8"))
    by_pandas = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)

    def refuse(*args, **kwargs):
        raise pd.errors.ParserError("refused")

    monkeypatch.setattr(fec_module.pd, "read_csv", refuse)
    by_python = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    assert figures(by_python) == figures(by_pandas)


def test_every_line_short_is_read_in_python(tmp_path):
    """No record of the header's width: the C parser refuses the file; every line is set aside."""
    text = fec_text(TRAP_ROWS).split("\n")
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([text[0], *(t.rsplit("\t", 1)[0] for t in text[1:] if t)]) + "\n", encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    assert ledger.integrity["format_lines"] == len(ledger.lines) == 6 and ledger.integrity["entries"] == 3
    assert ledger.table.frame.empty and ledger.lines["field_fault"].all()


# --- what check says of a FEC --------------------------------------------------------------------


def test_check_says_how_a_fec_was_read(tmp_path):
    """Records, separator, encoding, lines set aside and why, payment sources (in process)."""
    import shutil

    from click.testing import CliRunner

    from pexaudit.cli import main

    folder = tmp_path / "fec-banque"
    shutil.copytree(Path(__file__).parent / "cases" / "fec-banque", folder)
    fec = folder / "987654321FEC20241231.txt"
    text = fec.read_text(encoding="utf-8").replace("\tPEX toner\t", "\tPEX\ttoner\t", 1)  # line 20: 19 fields
    header, rest = text.split("\n", 1)
    fec.write_bytes((header + "\r\n\r\n" + rest.replace("\n", "\r")).encode("iso-8859-15"))  # a blank, then CR
    result = CliRunner().invoke(main, ["check", str(folder)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "987654321FEC20241231.txt : reconnu comme un FEC (en-tête de 18 colonnes), encodage iso-8859-15" in out
    assert "séparateur tabulation" in out
    assert "enregistrements : 31 (en-tête compris) ; fins d'enregistrement : CR LF (Windows) 2, CR seul" in out
    assert "1 enregistrement(s) vide(s) ignoré(s)" in out
    assert "1 ligne(s) mise(s) de côté pour leur nombre de champs (FEC_FORMAT)" in out
    assert "ligne 21 : 19 champs au lieu de 18 (séparateur dans un libellé ?)" in out
    assert "1 écriture(s) déséquilibrée(s) (FEC_EQUILIBRE)" in out  # HA 5 lost its 89,90 debit
    assert "6 lignes retenues" in out  # line 21 (was 20) gives no expense row
    assert "3 par l'écriture de banque lettrée comme leur tiers, 2 par la date de lettrage" in out
    assert "1 ligne(s) retenue(s) dont le tiers est un compte 42" in out and "MARTIN" not in out


# --- choices where the norm is silent (docs/fec.md) -----------------------------------------------


def test_a_trailing_separator_needs_readable_amounts(tmp_path):
    """N + 1 fields, the last empty: read only when the amounts and EcritureDate are there."""
    rows = [line("OD", "1", debit="10,00"), line("OD", "1", account="47100000", credit="")]
    text = fec_text(rows).split("\n")
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([text[0], text[1], text[2] + "\t", ""]), encoding="utf-8")
    lines = read_fec(path, "fec.txt", accounts=GESTION).lines
    assert lines["field_fault"].tolist() == [False, True]  # Credit empty: not readable, set aside
    path.write_text("\n".join(text), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=GESTION)
    assert ledger.lines["field_fault"].tolist() == [False, False]  # N fields: an ordinary format fault
    assert ledger.integrity["format_examples"] == [{"line": 3, "faults": "Credit absent"}]


def test_a_line_of_separators_is_not_blank(tmp_path):
    """Blank is empty once trimmed: tabs are blank space, '|' is not."""
    text = fec_text(TRAP_ROWS, sep="|").split("\n")
    path = tmp_path / "fec.txt"
    path.write_text("\n".join([text[0], "|" * 17, "||", *text[1:]]), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    lines = ledger.lines.set_index("line")
    assert lines.index.tolist()[:2] == [2, 3] and ledger.reading["blank"] == 0
    assert not lines.loc[2, "field_fault"] and lines.loc[2, "format_fault"]  # 18 empty fields: absent values
    assert lines.loc[3, "field_fault"]  # 3 fields
    text = fec_text(TRAP_ROWS).split("\n")
    path.write_text("\n".join([text[0], "\t" * 17, " \t ", *text[1:]]), encoding="utf-8")
    ledger = read_fec(path, "fec.txt", accounts=TRAP_ACCOUNTS)
    assert ledger.reading["blank"] == 2 and ledger.lines["line"].iloc[0] == 4


def test_the_bank_entry_with_the_latest_date_pays(tmp_path):
    """The lettering chain: same CompteNum, CompAuxNum and letter, another entry with a bank line;
    the latest readable date, the first in file order when several; DateLet only without one."""

    def bank(num, date, letter="AA", account="40100000", aux="F001", **fields):
        return [
            line("BQ", num, date, account, debit="120,00", CompAuxNum=aux, EcritureLet=letter, DateLet="20241231",
                 **fields),
            line("BQ", num, date, "51200000", credit="120,00"),
        ]  # fmt: skip

    rows = [
        *purchase("1", lettered="20241231"),  # lines 2-3, 401 F001 AA
        *bank("1", "20240310"),
        *bank("2", "20240320"),  # the latest: pays
        *bank("3", "20240320"),  # as late, later in the file
        *bank("4", "20240401", aux="F002"),  # another third party
        *bank("5", "20240402", account="40110000"),  # another account
        *bank("6", "2024-04-03"),  # unreadable date: not a candidate
        *bank("7", "20240404", letter="AB"),  # another letter
    ]
    ledger = read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts=GESTION)
    row = ledger.table.frame.iloc[0]
    assert (row["payment_source"], row["payment_journal"], row["payment_entry"]) == ("banque", "BQ", "2")
    assert row["date_paiement"] == dt.date(2024, 3, 20)
    card = [
        line("CB", "1", "2024031", "62510000", debit="12,00"),
        line("CB", "1", "2024031", "51200000", credit="12,00"),
    ]
    frame = read_fec(write_fec(tmp_path / "cb.txt", card), "cb.txt", accounts=GESTION).table.frame
    assert frame["date_paiement"].tolist() == [None] and frame["payment_source"].tolist() == [None]


# --- the real FEC, with the traps of other exports -------------------------------------------------


def _first_label_pipe(data: bytes) -> bytes:
    """A '|' typed in the label of the real FEC's first data line (line 2)."""
    head, first, rest = data.split(b"\n", 2)
    fields = first.split(b"|")
    fields[10] = fields[10].rstrip() + b" | SUITE"
    return b"\n".join([head, b"|".join(fields), rest])


REAL_TRAPS = {
    "as it is": (lambda d: d, False),
    "CR alone": (lambda d: d.replace(b"\n", b"\r"), False),
    "CR CR LF": (lambda d: d.replace(b"\n", b"\r\r\n"), False),
    "trailing separators dropped": (lambda d: d.replace(b"|\n", b"\n"), False),
    "a '|' in the first label": (_first_label_pipe, True),
}


@pytest.mark.parametrize("trap", list(REAL_TRAPS), ids=list(REAL_TRAPS))
def test_the_real_fec_with_each_trap(tmp_path, real, trap):
    """934 lines, 248 entries, 225 682,23 € each side, whatever the record ends; a '|' in the
    first label sets that line aside (its 69,60 € credit counts 0: one entry off by that)."""
    change, aside = REAL_TRAPS[trap]
    path = tmp_path / REAL_FEC.name
    path.write_bytes(change(REAL_FEC.read_bytes()))
    ledger = read_fec(path, path.name, accounts=GESTION)
    got, clean = figures(ledger), figures(real)
    assert got["lines"] == clean["lines"] and got["entries"] == clean["entries"] == 248
    if not aside:
        assert got == clean
        return
    assert got["credit"][0] == 0 and sum(got["credit"]) == sum(clean["credit"]) - 6_960
    assert got["debit"] == clean["debit"] and got["rows"] == clean["rows"]
    assert (got["format_lines"], got["unbalanced"]) == (1, 1)
    assert ledger.integrity["format_examples"] == [
        {"line": 2, "faults": "20 champs au lieu de 18 (séparateur dans un libellé ?)"}
    ]  # fmt: skip
