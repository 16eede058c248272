"""Identity checks on real test vectors, and the seed's own RIB slip."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from pexaudit.core.findings import bank_findings, rib_key, siret_findings
from pexaudit.inputs.convention import Bank, Rib

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


# --- findings computed by an audit: payments, safety nets ----------------------------------

from pexaudit.core.audit import audit, results  # noqa: E402

PAY = "A1;03/2024;1000,00;400,00;0"
EXP = "F1;10/03/2024;20/03/2024;Fournisseur;gestion;100,00;;P1"


def findings_of(make_convention, checker, **kwargs) -> list[dict]:
    return results(audit(make_convention(**kwargs), checker))["findings"]


@pytest.mark.parametrize(
    ("payments", "late"),
    [
        # no due date: only the first payment (by date) is compared with the signature
        ([{"date": "2024-03-01", "amount": 5000}, {"date": "2024-09-15", "amount": 5000}], []),
        ([{"date": "2024-09-15", "amount": 5000}, {"date": "2024-02-20", "amount": 5000}], []),
        ([{"date": "2024-02-20", "amount": 5000}, {"date": "2024-02-01", "amount": 5000}], []),
        ([{"date": "2024-03-10", "amount": 10000}], ["versement de 10 000,00 € le 10/03/2024, 24 jours après"]),
        # a tranche with a due date is compared with it, whatever its rank
        ([{"date": "2024-02-01", "amount": 5000}, {"date": "2024-09-20", "amount": 5000, "due": "2024-09-15"}],
         ["versement de 5 000,00 € le 20/09/2024, 5 jour(s) après sa date due du 15/09/2024 (art. 6)"]),
        ([{"date": "2024-02-01", "amount": 5000}, {"date": "2024-09-15", "amount": 5000, "due": "2024-09-15"}], []),
    ],
)  # fmt: skip
def test_versement_delai_with_tranches(make_convention, checker, payments, late):
    changes = {"signature_date": "2024-02-15", "subsidy": {"payments": payments}}
    found = findings_of(make_convention, checker, changes=changes, payroll=[PAY], expenses=[EXP])
    messages = [f["message"] for f in found if f["rule"] == "VERSEMENT_DELAI"]
    assert len(messages) == len(late) and all(m.startswith(w) for m, w in zip(messages, late, strict=True))


def test_matricule_finding_cites_rows_not_matricules(make_convention, checker):
    found = findings_of(make_convention, checker, payroll=["B1;03/2024;1;1;0", "B1;04/2024;1;1;0"], expenses=[EXP])
    (finding,) = [f for f in found if f["rule"] == "MATRICULE"]
    assert "Agent 1 de staff : aucune ligne de paie, alors que 2 ligne(s)" in finding["message"]
    assert "paie.csv, ligne(s) 2, 3" in finding["message"] and "B1" not in finding["message"]
    assert finding["severity"] == "warning"
    # the same matricule written with leading zeros is the same person: no finding
    found = findings_of(
        make_convention, checker, changes={"staff": [{"employee_id": "007"}]}, payroll=["7;03/2024;1;1;0"], name="zeros"
    )
    assert "MATRICULE" not in [f["rule"] for f in found] and "PROJET" not in str(found)


def test_rejet_massif_says_what_to_check(make_convention, checker):
    expenses = [EXP.replace("P1", "P2"), EXP.replace("F1", "F2").replace("P1", "P2"), EXP.replace("F1", "F3")]
    found = findings_of(make_convention, checker, payroll=[PAY], expenses=expenses)
    (finding,) = [f for f in found if f["rule"] == "REJET_MASSIF"]
    assert "ligne « Gestion » : 200,00 € sur 300,00 € déclarés écartés par la seule règle PROJET" in finding["message"]
    assert "rules.project_codes" in finding["message"] and finding["amount"] == 200.0
    # half exactly is not more than half; hors_budget never counts
    found = findings_of(
        make_convention, checker, payroll=[PAY], expenses=[*expenses[1:], EXP.replace("gestion", "x")], name="half"
    )
    assert "REJET_MASSIF" not in [f["rule"] for f in found]


@pytest.mark.parametrize(("stated", "finding"), [("1200,01", False), ("1200,50", True)])
def test_total_finding_when_an_export_total_disagrees(make_convention, checker, stated, finding):
    payroll = [PAY, PAY.replace("03/", "04/"), "Sous-total;;2000,00;800,00;0", PAY.replace("03/", "05/"),
               f"TOTAL GÉNÉRAL;;3000,00;{stated};0"]  # fmt: skip
    found = [f for f in findings_of(make_convention, checker, payroll=payroll, expenses=[EXP]) if f["rule"] == "TOTAL"]
    assert bool(found) == finding  # 0,01 € of rounding is tolerated
    if finding:
        assert found[0]["message"].startswith(
            "paie.csv, total, ligne 6 : total de 4 200,50 €, alors que les lignes qu'il couvre font "
            "4 200,00 € (écart +0,50 €)"
        )
