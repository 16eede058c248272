"""Readers: lineage, header detection, column mapping, CSV dialects, and bad files."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from openpyxl import Workbook

from pexaudit.errors import InputError
from pexaudit.inputs.readers import read_source

PAY = "matricule;periode;brut;charges_patronales"


def read(tmp_path, role, name, content, columns=None):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return read_source(role, path, name, columns)


def xlsx(tmp_path, rows, name="paie.xlsx", title="Feuil1"):
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(tmp_path / name)
    return read_source("payroll" if "paie" in name else "expenses", tmp_path / name, name)


def test_xlsx_header_below_title_rows_and_excel_row_numbers(tmp_path):
    table = xlsx(
        tmp_path,
        [["Extraction paie 2024"], [], ["Matricule", "Nom", "Mois", "Brut", "Charges patronales"],
         ["A1", "X", dt.datetime(2024, 3, 1), 2500, 1000.5], [], ["A1", "X", "avril 2024", "2 500,00", "1 000,50"]],
    )  # fmt: skip
    assert table.sheet == "Feuil1" and table.header_row == 3
    assert table.frame["row"].tolist() == [4, 6]  # the blank row 5 is not an input row
    assert table.frame["periode"].tolist() == [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    assert table.frame["brut"].tolist() == [250000, 250000]
    assert table.frame["charges_patronales"].tolist() == [100050, 100050]
    assert table.frame["autres_couts"].tolist() == [0, 0]  # absent column: 0
    assert not table.has("autres_couts")


def test_header_found_on_a_later_sheet(tmp_path):
    wb = Workbook()
    wb.active.title = "Notes"
    wb.active.append(["Lisez-moi"])
    ws = wb.create_sheet("Données")
    ws.append(["matricule", "periode", "brut", "charges_patronales"])
    ws.append(["A1", "03/2024", 1, 2])
    wb.save(tmp_path / "paie.xlsx")
    table = read_source("payroll", tmp_path / "paie.xlsx", "paie.xlsx")
    assert table.sheet == "Données" and table.frame["row"].tolist() == [2]


def test_csv_line_numbers_count_the_header_and_title_lines(tmp_path):
    table = read(tmp_path, "payroll", "paie.csv", f"Export du 03/01/2025\n\n{PAY}\nA1;01/2024;1;2\nA1;02/2024;1;2\n")
    assert table.header_row == 3 and table.frame["row"].tolist() == [4, 5] and table.sheet is None


def test_csv_multiline_quoted_field_keeps_the_starting_line(tmp_path):
    content = 'piece;date;fournisseur;libelle;ligne;montant\nF1;01/02/2024;A;"deux\nlignes";gestion;10\nF2;01/02/2024;B;x;gestion;20\n'
    table = read(tmp_path, "expenses", "d.csv", content)
    assert table.frame["row"].tolist() == [2, 4]


@pytest.mark.parametrize(
    ("encoding", "prefix"),
    [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")],
)
@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_csv_encodings_and_delimiters(tmp_path, encoding, prefix, delimiter):
    lines = [
        ["matricule", "nom", "période", "brut", "charges patronales"],
        ["A1", "Hélène Noël", "févr. 2024", "2500.50", "1000"],
    ]
    content = prefix + "\r\n".join(delimiter.join(r) for r in lines).encode(encoding)
    table = read(tmp_path, "payroll", "p.csv", content)
    assert table.frame["nom"].tolist() == ["Hélène Noël"]
    assert table.frame["periode"].tolist() == [dt.date(2024, 2, 1)]
    assert table.frame["brut"].tolist() == [250050]


def test_columns_mapping_from_convention(tmp_path):
    content = "N° agent;Mois de paie;Traitement;Part employeur\nA1;03/2024;10;5\n"
    with pytest.raises(InputError):
        read(tmp_path, "payroll", "p.csv", content)
    table = read(tmp_path, "payroll", "p.csv", content, {"Traitement": "brut", "Part employeur": "charges_patronales"})
    assert table.frame["brut"].tolist() == [1000] and table.headers["brut"] == "Traitement"


def test_missing_required_column_names_file_and_column(tmp_path):
    with pytest.raises(InputError) as info:
        read(tmp_path, "expenses", "depenses.csv", "piece;date;fournisseur;ligne\nF1;01/01/2024;A;gestion\n")
    assert info.value.file == "depenses.csv"
    assert info.value.column == "montant"
    assert "montant" in info.value.message and "inputs.columns" in info.value.message


def test_header_beyond_row_20_is_not_found(tmp_path):
    content = "\n" * 20 + f"{PAY}\nA1;01/2024;1;2\n"
    with pytest.raises(InputError, match="20 premières lignes"):
        read(tmp_path, "payroll", "p.csv", content)


def test_unparseable_values_become_missing_with_their_raw_text(tmp_path):
    table = read(tmp_path, "payroll", "p.csv", f"{PAY}\nA1;13/2024;1 2O0,00;2\nA1;;;\n")
    frame = table.frame
    assert frame["periode"].isna().all() and frame["brut"].isna().all()
    row_id = int(frame["row_id"].iloc[0])
    assert table.raw[(row_id, "brut")] == "1 2O0,00"
    assert table.raw[(row_id, "periode")] == "13/2024"
    assert (int(frame["row_id"].iloc[1]), "brut") not in table.raw  # blank, not unreadable


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "fichier vide"),
        (b"PK\x03\x04 not really a zip", "illisible ou corrompu"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "mot de passe ou au format .xls"),
    ],
)
def test_bad_workbooks(tmp_path, content, message):
    with pytest.raises(InputError, match=message) as info:
        read(tmp_path, "payroll", "paie.xlsx", content)
    assert info.value.file == "paie.xlsx"


def test_unknown_extension_and_missing_file(tmp_path):
    with pytest.raises(InputError, match="non pris en charge"):
        read(tmp_path, "payroll", "paie.ods", "x")
    with pytest.raises(InputError, match="introuvable"):
        read_source("payroll", tmp_path / "absent.csv", "absent.csv")


def test_numeric_ids_lose_their_float_tail(tmp_path):
    table = xlsx(
        tmp_path,
        [["matricule", "periode", "brut", "charges_patronales", "code_analytique"], [412, "03/2024", 1, 1, 35.0]],
    )
    assert table.frame["matricule"].tolist() == ["412"] and table.frame["code_analytique"].tolist() == ["35"]


# --- export slips: total rows, débit/crédit ledgers, accounts, numeric identifiers ----------

EXP = "piece;date;fournisseur;ligne;montant"


@pytest.mark.parametrize(
    ("lines", "kept", "ignored", "totals"),
    [
        # a labelled grand total whose identifier cell is empty
        (["F1;01/02/2024;A;gestion;10", "F2;01/03/2024;B;gestion;20", "TOTAL;;;;30"], [2, 3], [4], [("total", 3000, 3000)]),
        # the word in the identifier cell, accents and case ignored, with a colon
        (["F1;01/02/2024;A;gestion;10", "Total général :;;;;10"], [2], [3], [("total", 1000, 1000)]),
        # a supplier TOTAL ENERGIES on a voucher with a number is a row
        (["F1;01/02/2024;TOTAL ENERGIES;gestion;10"], [2], [], []),
        # a first cell reading TOTAL ENERGIES with an empty voucher: still a row (the word is not alone)
        (["F1;01/02/2024;A;gestion;10", ";01/02/2024;TOTALENERGIES;gestion;5"], [2, 3], [], []),
        # sub-totals per month, then a grand total over all rows; one sub-total is wrong
        (["F1;01/02/2024;A;gestion;10", "F2;01/02/2024;B;gestion;20", "Sous-total février;;;;30",
          "F3;01/03/2024;C;gestion;5", "sous total mars;;;;6", "TOTAL GÉNÉRAL;;;;35"],
         [2, 3, 5], [4, 6, 7], [("sous-total", 3000, 3000), ("sous-total", 600, 500), ("total", 3500, 3500)]),
        # an unlabelled last row equal to the sum of the rows above it
        (["F1;01/02/2024;A;gestion;10", "F2;01/03/2024;B;gestion;20", ";;;;30"], [2, 3], [4], [("final", 3000, 3000)]),
        # an unlabelled last row that is not the sum stays a row (PIECE will reject it)
        (["F1;01/02/2024;A;gestion;10", "F2;01/03/2024;B;gestion;20", ";01/03/2024;C;gestion;31"], [2, 3, 4], [], []),
    ],
)  # fmt: skip
def test_total_rows_are_not_input_rows(tmp_path, lines, kept, ignored, totals):
    table = read(tmp_path, "expenses", "d.csv", "\n".join([EXP, *lines]) + "\n")
    assert table.frame["row"].tolist() == kept
    assert table.ignored_rows == ignored
    assert [(t.kind, t.stated, t.computed) for t in table.totals] == totals


def test_payroll_total_row_is_its_cost(tmp_path):
    content = f"{PAY};autres_couts\nA1;01/2024;100;40;2\nA1;02/2024;100;40;2\nTotal;;200;80;4\n"
    table = read(tmp_path, "payroll", "p.csv", content)
    assert table.frame["row"].tolist() == [2, 3]
    assert [(t.row, t.stated, t.computed) for t in table.totals] == [(4, 28400, 28400)]


@pytest.mark.parametrize(
    ("row", "montant", "raw"),
    [
        ("120,00;", 12000, None),
        (";150,00", -15000, None),  # a credit note in the crédit column
        ("200,00;50,00", 15000, None),
        (";", None, None),  # neither: no amount (FORMAT)
        ("12O,00;", None, "débit 12O,00"),
    ],
)
def test_debit_credit_ledger_gives_montant(tmp_path, row, montant, raw):
    content = f"piece;date;fournisseur;ligne;Débit;Crédit\nF1;01/02/2024;A;gestion;{row}\n"
    table = read(tmp_path, "expenses", "d.csv", content)
    value = table.frame["montant"].iloc[0]
    assert (None if pd.isna(value) else int(value)) == montant
    assert table.raw.get((0, "montant")) == raw
    assert "debit" not in table.frame.columns


def test_ledger_total_is_debit_minus_credit(tmp_path):
    content = "piece;date;fournisseur;ligne;Débit;Crédit\nF1;01/02/2024;A;gestion;100;\nA1;01/02/2024;A;gestion;;30\nTotal;;;;100;30\n"
    table = read(tmp_path, "expenses", "d.csv", content)
    assert [(t.stated, t.computed) for t in table.totals] == [(7000, 7000)]


@pytest.mark.parametrize(
    ("header", "columns", "expected"),
    [
        ("piece;date;fournisseur;ligne;montant;Débit;Crédit", None, "colonne montant et colonnes debit et credit"),
        ("piece;date;fournisseur;ligne;Montant;Montant TTC", None, "deux colonnes pour « montant »"),
        ("piece;date;fournisseur;ligne;Total HT;Total TTC", {"Total HT": "montant", "Total TTC": "montant"},
         "deux colonnes pour « montant » : « Total HT » (colonne E) et « Total TTC » (colonne F)"),
    ],
)  # fmt: skip
def test_ambiguous_headers_are_load_errors(tmp_path, header, columns, expected):
    with pytest.raises(InputError) as info:
        read(tmp_path, "expenses", "d.csv", f"{header}\nF1;01/02/2024;A;gestion;1;2;3\n", columns)
    assert expected in info.value.message and info.value.row == 1 and info.value.file == "d.csv"


def test_inputs_columns_wins_over_an_alias_and_the_other_is_ignored(tmp_path):
    content = "piece;date;fournisseur;ligne;Montant;Montant HT\nF1;01/02/2024;A;gestion;120;100\n"
    table = read(tmp_path, "expenses", "d.csv", content, {"Montant HT": "montant"})
    assert table.frame["montant"].tolist() == [10000]
    assert table.headers["montant"] == "Montant HT" and table.ignored_columns == ["Montant"]


def test_accounts_give_the_budget_line_longest_prefix_wins(tmp_path):
    content = "piece;date;fournisseur;compte;Débit;Crédit\nF1;01/02/2024;A;6064;10;\nF2;01/02/2024;B;6251;20;\nF3;01/02/2024;C;6231;5;\n"
    path = tmp_path / "gl.csv"
    path.write_text(content, encoding="utf-8")
    table = read_source("expenses", path, "gl.csv", None, 0, {"60": "achats", "606": "gestion", "625": "gestion"})
    assert table.frame["ligne"].tolist() == ["gestion", "gestion", ""]  # 6231: no prefix, hors budget
    with pytest.raises(InputError, match="ligne"):  # without the mapping, ligne is required
        read_source("expenses", path, "gl.csv")


def test_numeric_identifier_with_zero_padded_format_is_read_as_displayed(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["matricule", "periode", "brut", "charges_patronales", "code_analytique"])
    ws.append([127, "03/2024", 1, 1, 42])
    ws["A2"].number_format = "000000"
    ws["E2"].number_format = "0000"
    wb.save(tmp_path / "paie.xlsx")
    table = read_source("payroll", tmp_path / "paie.xlsx", "paie.xlsx")
    assert table.frame["matricule"].tolist() == ["000127"] and table.frame["code_analytique"].tolist() == ["0042"]
