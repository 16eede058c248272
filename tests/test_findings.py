"""Identity checks on real test vectors, and the seed's own RIB slip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pexaudit.convention import Bank, Rib
from pexaudit.findings import bank_findings, rib_key, siret_findings

VECTORS = list(csv.DictReader((Path(__file__).parent / "external" / "stdnum_test_vectors.csv").open(encoding="utf-8")))
SEED_IBAN = "FR92 3000 1006 82C3 5500 0000 084"


@pytest.mark.parametrize(
    "vector", [v for v in VECTORS if v["scheme"] == "fr_siret"], ids=lambda v: v["value_as_written"]
)
def test_siret_vectors(vector):
    assert (siret_findings(vector["value_as_written"]) == []) == (vector["expected"] == "valid")


@pytest.mark.parametrize(
    ("siret", "fragment"),
    [
        ("2235000180001", "14 chiffres"),
        ("22350001800014", "clé de contrôle"),
        ("22350001900013", "SIREN"),
        ("35600000049838", "La Poste"),
    ],
)
def test_siret_errors(siret, fragment):
    (finding,) = siret_findings(siret)
    assert finding.rule == "SIRET" and finding.severity == "error" and fragment in finding.message


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["scheme"] == "iban"], ids=lambda v: v["value_as_written"])
def test_iban_vectors(vector):
    found = [f for f in bank_findings(Bank(vector["value_as_written"], None, None)) if f.rule == "IBAN"]
    assert (found == []) == (vector["expected"] == "valid")
    assert all(f.severity == "error" for f in found)


@pytest.mark.parametrize(
    ("bic", "ok"),
    [("BDFEFRPPCCT", True), ("BDFEFRPP", True), ("BDFEFRP", False), ("BDFE FRPP CCTX", False), ("1DFEFRPP", False)],
)
def test_bic(bic, ok):
    found = [f for f in bank_findings(Bank(None, bic, None)) if f.rule == "BIC"]
    assert (found == []) == ok
    assert all(f.severity == "warning" for f in found)


def test_rib_key_of_the_seed_checks_with_five_digit_guichet():
    assert rib_key("30001", "00682", "C3550000000") == 84


def test_seed_rib_slip_is_noticed_and_explained():
    found = bank_findings(Bank(SEED_IBAN, "BDFEFRPPCCT", Rib("30001", "000682", "C3550000000", "84")))
    assert [f.rule for f in found] == ["RIB"]
    (finding,) = found
    assert finding.severity == "warning"
    assert "000682" in finding.message and "6 caractères au lieu de 5" in finding.message
    assert "concorde avec l'IBAN" in finding.message and "ne concorde pas" not in finding.message


def test_correct_rib_gives_nothing():
    assert bank_findings(Bank(SEED_IBAN, "BDFEFRPPCCT", Rib("30001", "00682", "C3550000000", "84"))) == []


def test_wrong_rib_key_and_disagreement_with_iban():
    found = bank_findings(Bank(SEED_IBAN, None, Rib("30001", "00682", "C3550000001", "84")))
    messages = [f.message for f in found]
    assert [f.rule for f in found] == ["RIB", "RIB"]
    assert "clé « 84 » fausse" in messages[0]
    assert "ne concorde pas" in messages[1]


def test_rib_without_iban():
    found = bank_findings(Bank(None, None, Rib("30001", "000682", "C3550000000", "84")))
    assert len(found) == 1 and "comparaison avec l'IBAN impossible" in found[0].message
