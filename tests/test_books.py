"""The books tied to the audit (SPEC section 11): DOUBLON_PROBABLE, HORS_CORRESPONDANCE, PAIE_COMPTA,
SUBVENTION_COMPTA, each on rows or lines whose answer is known."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pexaudit.core.books import doublon_probable, hors_correspondance, paie_compta, subvention_compta
from pexaudit.core.registry import FINDINGS
from pexaudit.inputs.convention import FecSelection, Payment, load_convention
from pexaudit.inputs.fec import read_fec

from .fec_files import line, purchase, write_fec

SAMPLE_CASE = Path(__file__).parent / "cases" / "fec-reel"
D = dt.date(2024, 3, 1)


def expense_rows(*specs: dict, file: str = "depenses.csv") -> pd.DataFrame:
    """Rows of the audit after decisions, as books.py reads them (one dict per expense row)."""
    rows = []
    for i, spec in enumerate(specs):
        amount = spec.get("amount", 12_000)
        rows.append(
            {
                "row_id": i,
                "source": "expenses",
                "file": file,
                "sheet": spec.get("sheet"),
                "row": i + 2,
                "amount": amount,
                "eligible_amount": spec.get("eligible", amount),
                "share_rule": spec.get("share"),
                "readable": spec.get("readable", True),
                "decision": spec.get("decision"),
                "fournisseur": spec.get("supplier", "Papeterie Rennes"),
                "piece": spec.get("piece", f"F{i}"),
                "date": D + dt.timedelta(days=spec.get("day", 0)) if spec.get("day", 0) is not None else None,
                "third_party": spec.get("third_party", "40"),
            }
        )
    return pd.DataFrame(rows)


# (rows, fec, groups of row numbers expected): the pair rule, one trap per line.
DOUBLONS = {
    "two numbers, 3 days apart": ([{}, {"day": 3}], False, [[2, 3]]),
    "7 days apart: still a pair": ([{}, {"day": 7}], False, [[2, 3]]),
    "8 days apart: none": ([{}, {"day": 8}], False, []),
    "same piece, not a FEC: none (DOUBLON's)": ([{"piece": "F1"}, {"piece": " f1 ", "day": 2}], False, []),
    "same piece, FEC, other date: a pair": ([{"piece": "F1"}, {"piece": "F1", "day": 2}], True, [[2, 3]]),
    "same piece, FEC, same date: none (DOUBLON's)": ([{"piece": "F1"}, {"piece": "F1"}], True, []),
    "supplier spelt otherwise": ([{"supplier": "Électricité Armor"}, {"supplier": " ELECTRICITE armor", "day": 1}],
                                 False, [[2, 3]]),
    "empty supplier never pairs": ([{"supplier": ""}, {"supplier": "", "day": 1}], False, []),
    "another amount": ([{}, {"amount": 12_001, "day": 1}], False, []),
    "a rejected row (eligible 0)": ([{}, {"eligible": 0, "day": 1}], False, []),
    "a row decided by the auditor": ([{}, {"decision": object(), "day": 1}], False, []),
    "an unreadable amount": ([{}, {"readable": False, "day": 1}], False, []),
    "no date": ([{}, {"day": None}], False, []),
    "FEC row without third-party line": ([{}, {"third_party": None, "day": 1}], True, []),
    "flat rate: a management row counts before it": ([{"eligible": 0, "share": "FORFAIT"}, {"day": 1}], False,
                                                     [[2, 3]]),
    "a chain: 0, 6, 12 days": ([{}, {"day": 6}, {"day": 12}], False, [[2, 3, 4]]),
    "two groups": ([{}, {"supplier": "UGAP"}, {"day": 2}, {"supplier": "UGAP", "day": 1}], False, [[2, 4], [3, 5]]),
    "three rows, one piece twice on one day (FEC)": ([{"piece": "A"}, {"piece": "A"}, {"piece": "B", "day": 30}],
                                                      True, []),
}  # fmt: skip


@pytest.mark.parametrize("case", list(DOUBLONS), ids=list(DOUBLONS))
def test_doublon_probable_pairs(case):
    specs, fec, groups = DOUBLONS[case]
    found = doublon_probable(expense_rows(*specs), fec=fec)
    assert [[int(r.rsplit("!", 1)[1]) for r in f.refs] for f in found] == groups
    assert all(f.rule == "DOUBLON_PROBABLE" and f.severity == "warning" for f in found)


def test_doublon_probable_message_refs_and_amount():
    rows = expense_rows(
        {"piece": "F-12", "day": 5, "amount": 45_000},
        {"piece": "F-13", "day": 0, "amount": 45_000},  # the earliest: kept out of the amount
        {"piece": "F-14", "day": 9, "amount": 45_000},
        file="depenses.xlsx",
    )
    rows["sheet"] = "Mandats"
    (finding,) = doublon_probable(rows, fec=False)
    assert finding.refs == ("depenses.xlsx!Mandats!2", "depenses.xlsx!Mandats!3", "depenses.xlsx!Mandats!4")
    assert finding.amount == 90_000  # rows 2 and 4: all but the earliest (row 3, 01/03/2024)
    message = finding.message
    assert message.startswith("3 dépenses de 450,00 € pour le même fournisseur (« Papeterie Rennes »)")
    assert (
        "depenses.xlsx!Mandats!2 (pièce F-12 du 06/03/2024) et depenses.xlsx!Mandats!3 (pièce F-13 du 01/03/2024)"
        in message
    )
    assert "depenses.xlsx!Mandats!2 (pièce F-12 du 06/03/2024) et depenses.xlsx!Mandats!4" in message
    assert "decisions.yaml" in message and "900,00 € en plus de la première" in message


def test_an_expense_claim_never_names_the_employee():
    rows = expense_rows({"supplier": "DURAND Claire", "third_party": "42"}, {"supplier": "DURAND Claire", "day": 1,
                                                                               "third_party": "42"})  # fmt: skip
    (finding,) = doublon_probable(rows, fec=True)
    assert "note de frais" in finding.message and "DURAND" not in finding.message


def test_doublon_probable_is_not_quadratic():
    """20 000 rows of one supplier and amount on one day, each its own piece: one group, found by
    sorting (200 million pairs)."""
    size = 20_000
    rows = expense_rows(*({"piece": f"P{i}"} for i in range(size)))
    started = time.perf_counter()
    (finding,) = doublon_probable(rows, fec=False)
    assert len(finding.refs) == size and finding.amount == (size - 1) * 12_000
    assert time.perf_counter() - started < 10


def test_every_book_finding_is_in_the_registry():
    for code, severity in (("DOUBLON_PROBABLE", "warning"), ("HORS_CORRESPONDANCE", "info"),
                           ("PAIE_COMPTA", "warning"), ("SUBVENTION_COMPTA", "warning")):  # fmt: skip
        assert FINDINGS[code].severity == severity and FINDINGS[code].action


# --- on a FEC -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def convention():
    return load_convention(SAMPLE_CASE)


def with_fec(convention, **fec) -> object:
    return dataclasses.replace(convention, fec=FecSelection(**fec), accounts={"606": "gestion", "6251": "gestion"})


def ledger_lines(tmp_path, rows) -> pd.DataFrame:
    return read_fec(write_fec(tmp_path / "fec.txt", rows), "fec.txt", accounts={"606": "gestion"}).lines


def test_hors_correspondance(tmp_path, convention):
    rows = [
        *purchase("1", account="60640000", EcritureLib="PEX ramettes"),  # mapped: not listed
        *purchase("2", cents=38_000, account="62340000", EcritureLib="Cadeaux PEX"),  # unmapped 6234: listed
        *purchase("3", cents=5_000, account="62340000", EcritureLib="Réception", PieceRef="pex-12"),  # PieceRef
        *purchase("4", cents=2_000, account="62570000", EcritureLib="Déplacement Pèx"),  # accents ignored
        *purchase("5", cents=9_900, account="62570000", EcritureLib="Repas siège"),  # no word: not listed
        line("OD", "6", account="62340000", credit="30,00", EcritureLib="Avoir PEX"),  # a credit reduces
        line("OD", "6", account="40100000", debit="30,00"),
        line("OD", "7", account="70600000", credit="99,00", EcritureLib="PEX vente"),  # not class 6
        line("OD", "7", account="41100000", debit="99,00"),
    ]
    lines = ledger_lines(tmp_path, rows)
    (finding,) = hors_correspondance(with_fec(convention, label_contains=("pex",)), lines, "fec.txt")
    assert (finding.rule, finding.severity, finding.amount) == (
        "HORS_CORRESPONDANCE",
        "info",
        38_000 + 5_000 + 2_000 - 3_000,
    )
    assert "4 lignes" in finding.message and "62340000 : 400,00 €, 62570000 : 20,00 €" in finding.message
    assert hors_correspondance(with_fec(convention), lines, "fec.txt") == []  # no label_contains
    only_ha = hors_correspondance(with_fec(convention, label_contains=("PEX",), journals=("HA",)), lines, "fec.txt")
    assert only_ha[0].amount == 45_000


def test_paie_compta(tmp_path, convention):
    """Payroll of 2023's months (readable rows, whatever they fail) against the 64 lines dated in
    January-December 2023."""
    rows = pd.DataFrame(
        {
            "source": ["payroll"] * 4 + ["expenses"],
            "readable": [True, True, False, True, True],
            "month": [dt.date(2023, 1, 1), dt.date(2023, 12, 1), dt.date(2023, 2, 1), dt.date(2024, 1, 1), None],
            "amount": [300_000, 300_000, 999_999, 300_000, 50_000],
        }
    )
    fec = [
        line("OD", "1", "20230131", "64110000", debit="2000,00"),
        line("OD", "1", "20230131", "64510000", debit="800,00"),
        line("OD", "1", "20230131", "42100000", credit="2800,00"),
        line("OD", "2", "20240105", "64110000", debit="3000,00"),  # after December 2023: not counted
        line("OD", "2", "20240105", "42100000", credit="3000,00"),
        line("OD", "3", "20231231", "64110000", credit="100,00"),  # a reversal reduces
        line("OD", "3", "20231231", "42100000", debit="100,00"),
    ]
    lines = ledger_lines(tmp_path, fec)
    (finding,) = paie_compta(convention, rows, lines, "fec.txt")
    assert (finding.rule, finding.severity) == ("PAIE_COMPTA", "warning")
    assert finding.amount == 600_000 - (280_000 - 10_000)  # 3 300,00 € declared above the books
    assert "6 000,00 €" in finding.message and "2 700,00 €" in finding.message
    rows.loc[1, "amount"] = 270_000 - 300_000 + 1  # within 0,01 €: nothing
    assert paie_compta(convention, rows, lines, "fec.txt") == []


@pytest.mark.parametrize(
    ("credits", "payments", "amount"),
    [
        (["8000,00"], [], None),  # booked when granted: equal to the grant
        (["5000,00"], [("20230315", 500_000), ("20240315", 300_000)], None),  # booked when paid, in the FEC's year
        (["5000,00"], [("20230101", 500_000)], 500_000 - 800_000),  # paid before the FEC's first date: not counted
        (["4000,00"], [("20230315", 500_000)], 400_000 - 500_000),  # nearer to the payments (5 000)
        (["6500,00"], [("20230315", 500_000)], 650_000 - 800_000),  # as near to both: the grant
        (["9000,00", "-1000,00"], [], None),  # a debit reduces
        (["8000,01"], [], None),  # within 0,01 €
        (["8000,02"], [], 2),
    ],
)
def test_subvention_compta(tmp_path, convention, credits, payments, amount):
    fec = []
    for i, credit in enumerate(credits):
        debit = credit.startswith("-")
        fec += [
            line("OD", str(i), "20230601", "74410000", **({"debit": credit[1:]} if debit else {"credit": credit})),
            line("OD", str(i), "20230601", "44100000", **({"credit": credit[1:]} if debit else {"debit": credit})),
        ]
    for num, date in (("8", "20230102"), ("9", "20231231")):  # the FEC's year: 02/01/2023 to 31/12/2023
        fec += [line("BQ", num, date, "51200000", debit="1,00"), line("BQ", num, date, "75800000", credit="1,00")]
    lines = ledger_lines(tmp_path, fec)
    conv = dataclasses.replace(
        with_fec(convention, subsidy_accounts=("7441",)),
        payments=tuple(Payment(dt.date.fromisoformat(f"{d[:4]}-{d[4:6]}-{d[6:]}"), a) for d, a in payments),
    )
    found = subvention_compta(conv, lines, "fec.txt")
    assert [f.amount for f in found] == ([] if amount is None else [amount])
    if found:
        assert "8 000,00 €" in found[0].message and "du 02/01/2023 au 31/12/2023" in found[0].message
    assert subvention_compta(with_fec(convention), lines, "fec.txt") == []  # no subsidy_accounts


def test_group_ids_are_exact_on_random_rows():
    """The window algorithm against the pairwise definition, on random small sets."""
    from pexaudit.core.books import _groups

    rng = np.random.default_rng(11)
    for _ in range(300):
        size = int(rng.integers(2, 12))
        group = rng.integers(0, 2, size)
        day = rng.integers(0, 25, size)
        key = rng.integers(0, 3, size)
        got = _groups(group, day, key)
        parent = list(range(size))

        def find(x, parent=parent):
            while parent[x] != x:
                x = parent[x]
            return x

        paired = np.zeros(size, dtype=bool)
        for a in range(size):
            for b in range(a + 1, size):
                if group[a] == group[b] and abs(day[a] - day[b]) <= 7 and key[a] != key[b]:
                    parent[find(a)] = find(b)
                    paired[a] = paired[b] = True
        for a in range(size):
            for b in range(size):
                same = paired[a] and paired[b] and find(a) == find(b)
                assert (got[a] >= 0 and got[a] == got[b]) == same or (a == b and not paired[a] and got[a] == -1)


def test_subsidy_accounts_are_read_and_checked(tmp_path):
    import shutil

    from pexaudit.errors import InputError

    folder = tmp_path / "case"
    shutil.copytree(SAMPLE_CASE, folder)
    text = (folder / "convention.yaml").read_text(encoding="utf-8")
    (folder / "convention.yaml").write_text(
        text.replace("fec: {journals: [FG, C1]}", 'fec: {journals: [FG, C1], subsidy_accounts: [7441, "74 "]}'),
        encoding="utf-8",
    )
    assert load_convention(folder).fec.subsidy_accounts == ("7441", "74")
    (folder / "convention.yaml").write_text(
        text.replace("fec: {journals: [FG, C1]}", "fec: {subsidy_accounts: [74x]}"), encoding="utf-8"
    )
    with pytest.raises(InputError) as error:
        load_convention(folder)
    assert "subsidy_accounts" in str(error.value) and "7441" in str(error.value)


def test_a_decision_on_a_doublon_probable_ref_settles_it(tmp_path, checker):
    """The refs of DOUBLON_PROBABLE are the auditor's handle: a reject of the second invoice in
    decisions.yaml books it under DOUBLON and the pair is gone (the auditor has ruled)."""
    import shutil

    from pexaudit.core.audit import audit, results

    folder = tmp_path / "fec-banque"
    shutil.copytree(Path(__file__).parent / "cases" / "fec-banque", folder)
    before = results(audit(folder, checker))
    (refs,) = [f["refs"] for f in before["findings"] if f["rule"] == "DOUBLON_PROBABLE"]
    (folder / "decisions.yaml").write_text(
        f'rows:\n  - ref: "{refs[1]}"\n    decision: reject\n    rule: DOUBLON\n'
        "    motive: Facture FA-102 identique à FA-101, payée deux fois\n",
        encoding="utf-8",
    )
    after = results(audit(folder, checker))
    rules = [f["rule"] for f in after["findings"]]
    assert "DOUBLON_PROBABLE" not in rules and "DECISION" in rules
    gestion = next(line for line in after["lines"] if line["line"] == "gestion")
    assert gestion["eligible"] == 298.0 - 120.0 and gestion["rejected"] == {"PAIEMENT": 89.9, "DOUBLON": 120.0}
