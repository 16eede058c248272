"""The parsers on files written outside this project (tests/external/README.md says where from)."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from pathlib import Path

from pexaudit.core.findings import siret_findings
from pexaudit.inputs.parsing import is_blank, parse_amount, parse_date, text_of
from pexaudit.inputs.readers import decode

EXTERNAL = Path(__file__).parent / "external"


def rows(path: Path, delimiter: str) -> list[dict]:
    text, _ = decode(path.read_bytes(), path.name)
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))


def test_real_fec_balances_to_the_cent():
    """A real FEC: '|' separated, a trailing '|', space-padded fields, amounts 0000000069,60."""
    entries = rows(EXTERNAL / "fec" / "111111111FEC20221231.TXT", "|")
    debit = sum(parse_amount(e["Debit"]) for e in entries)
    credit = sum(parse_amount(e["Credit"]) for e in entries)
    assert debit == credit == 22_568_223  # 225 682,23 €
    assert {parse_date(e["EcritureDate"]).year for e in entries} == {2023}
    assert {parse_date(e["ValidDate"]).year for e in entries} == {2024}
    groups: dict[tuple, int] = defaultdict(int)
    for e in entries:
        groups[(e["JournalCode"].strip(), e["EcritureNum"], e["EcritureDate"])] += parse_amount(
            e["Debit"]
        ) - parse_amount(e["Credit"])
    assert len(groups) == 248 and not any(groups.values())


def test_somme_cp1252_amounts_and_slashed_dates():
    records = rows(EXTERNAL / "scdl" / "DEP_Somme_TB_20180330_DONNEES_CONVENTIONS.csv", ";")
    assert records and "Département de la Somme" in {r["nomAttribuant"] for r in records}  # decoded as Windows-1252
    amounts = [parse_amount(r["montant"]) for r in records if not is_blank(r["montant"])]
    assert len(amounts) == len(records) and all(a > 0 for a in amounts)
    assert all(parse_date(r["dateConvention"]).year == 2018 for r in records)


def test_haute_garonne_dot_decimals_and_iso_dates():
    records = rows(EXTERNAL / "scdl" / "SCDL_DEP_Haute_Garonne_datalocale-subvention.csv", ";")
    assert parse_amount(records[0]["montant"]) == 240_000
    assert {parse_date(r["dateConvention"]).year for r in records} == {2015, 2016, 2017}


def test_poitiers_sirets_turned_into_floats_by_a_spreadsheet():
    """61 of the 562 beneficiary SIRETs survive the float round trip and pass Luhn."""
    records = rows(EXTERNAL / "scdl" / "SCDL_COM_Poitiers_subventions-associations-2017.csv", ";")
    sirets = [text_of(float(r["ATTRIB_SIRET"])) for r in records if not is_blank(r["ATTRIB_SIRET"])]
    assert len(sirets) == 562
    assert sum(not siret_findings(s) for s in sirets) == 61
