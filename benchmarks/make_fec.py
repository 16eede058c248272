"""A realistic FEC (fichier des écritures comptables), seeded: the same arguments write the same bytes.

An association's general ledger for 2024: purchases (journal HA: charge lines, deductible VAT,
a supplier line on a ``401`` account with CompAuxNum / CompAuxLib, lettered with its payment for
most entries), bank (BQ: supplier payments, fees paid on the spot, customer receipts), sales (VE)
and miscellaneous entries (OD: monthly pay postings naming employees, VAT returns). Entries are
balanced, 2 to 4 lines; amounts follow a log-uniform law (so Benford's law holds). A project
subset (1 % of the purchases and a few card payments: accounts ``606…``, ``6251…``, ``626…``,
``PEX`` in EcritureLib) is what ``inputs.accounts`` and ``inputs.fec.label_contains`` pick.

    .venv/bin/python benchmarks/make_fec.py OUT.txt [--lines 1000000] [--seed 2024]
        [--encoding iso-8859-15|utf-8] [--sep tab|pipe] [--crlf] [--padded]
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import sys
import time
from pathlib import Path

HEADER = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip
JOURNALS = {"HA": "Achats", "BQ": "Banque Crédit Coopératif", "VE": "Ventes", "OD": "Opérations diverses"}
CHARGES = [
    ("60610000", "Eau, énergie"), ("60630000", "Petit équipement"), ("60640000", "Fournitures administratives"),
    ("61320000", "Locations immobilières"), ("61560000", "Maintenance"), ("61600000", "Primes d'assurance"),
    ("62260000", "Honoraires"), ("62310000", "Annonces et insertions"), ("62510000", "Voyages et déplacements"),
    ("62560000", "Missions"), ("62600000", "Frais postaux et télécommunications"), ("62700000", "Services bancaires"),
]  # fmt: skip
PROJECT = [("60640000", "Fournitures administratives"), ("62510000", "Voyages et déplacements"),
           ("62600000", "Frais postaux et télécommunications")]  # fmt: skip
PROJECT_LABELS = ["PEX fournitures bureau", "PEX déplacement CCAPEX", "PEX téléphonie chargé de mission",
                  "PEX formation travailleurs sociaux", "PEX frais postaux"]  # fmt: skip
WORDS = ["Bretagne", "Armor", "Rennes", "Vilaine", "Émeraude", "Côte", "Océan", "Forêt", "Pré", "Château",
         "Étoile", "Horizon", "Saint-Malo", "Vitré", "Fougères", "Redon", "Brocéliande", "Rance"]  # fmt: skip
TRADES = ["Fournitures", "Électricité", "Papeterie", "Télécom", "Transports", "Imprimerie", "Nettoyage",
          "Informatique", "Conseil", "Traiteur", "Assurances", "Énergie"]  # fmt: skip
FORMS = ["SARL", "SAS", "SA", "EURL", "SCOP", ""]
FIRST = ["Claire", "Jean", "Anaïs", "Loïc", "Hélène", "Gaël", "Maëlle", "Noël", "Zoé", "François"]
LAST = ["Le Goff", "Martin", "Hervé", "Guého", "Lemoine", "Tanguy", "Bréhier", "Olivier", "Quéré", "Riou"]


def _amount(cents: int, padded: bool) -> str:
    text = f"{cents // 100},{cents % 100:02d}"
    return text.rjust(13, "0") if padded else text


def _day(rng: random.Random, year: int) -> dt.date:
    """A day of the year, working days mostly (a ledger has few weekend postings)."""
    day = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365 + (year % 4 == 0)))
    while day.weekday() >= 5 and rng.random() < 0.9:
        day += dt.timedelta(days=1)
    return day if day.year == year else dt.date(year, 12, 31)


def _log_uniform(rng: random.Random, low: float, high: float) -> int:
    """Cents drawn from a log-uniform law between low and high euros (first digits follow Benford)."""
    return int(math.exp(rng.uniform(math.log(low * 100), math.log(high * 100))))


class Ledger:
    """Writes entries line by line; EcritureNum runs per journal (as most software numbers)."""

    def __init__(self, rng: random.Random, year: int, padded: bool) -> None:
        self.rng, self.year, self.padded = rng, year, padded
        self.numbers = dict.fromkeys(JOURNALS, 0)
        self.lines: list[tuple] = []
        self.letter = 0
        self.suppliers = [
            (f"F{i:05d}", f"{rng.choice(TRADES)} {rng.choice(WORDS)} {rng.choice(FORMS)}".strip())
            for i in range(1, 201)
        ]
        self.staff = [f"{rng.choice(FIRST)} {rng.choice(LAST)}".upper() for _ in range(12)]

    def _number(self, journal: str) -> str:
        self.numbers[journal] += 1
        if self.rng.random() < 0.0002:  # a rare hole in the numbering (a deleted draft entry)
            self.numbers[journal] += 1
        return f"{self.numbers[journal]:08d}"

    def _next_letter(self) -> str:
        self.letter += 1
        n, text = self.letter, ""
        while n:
            n, r = divmod(n - 1, 26)
            text = chr(65 + r) + text
        return text.rjust(3, "A")

    def entry(self, journal: str, date: dt.date, piece: str, piece_date: dt.date | None, rows: list[tuple]) -> None:
        """rows: (account, account label, aux num, aux label, label, debit, credit, letter, letter date)."""
        number = self._number(journal)
        valid = min(date + dt.timedelta(days=self.rng.randrange(0, 40)), dt.date(self.year + 1, 3, 31))
        for account, account_label, aux, aux_label, label, debit, credit, letter, let_date in rows:
            self.lines.append(
                (journal, JOURNALS[journal], number, date, account, account_label, aux, aux_label, piece,
                 piece_date, label, debit, credit, letter, let_date, valid)
            )  # fmt: skip

    def purchase(self, project: bool) -> None:
        rng = self.rng
        date = _day(rng, self.year)
        piece_date = date - dt.timedelta(days=rng.randrange(0, 12))
        aux, name = rng.choice(self.suppliers)
        charges = [rng.choice(PROJECT if project else CHARGES) for _ in range(rng.choice([1, 1, 1, 2]))]
        label = rng.choice(PROJECT_LABELS) if project else f"Facture {name}"[:40]
        amounts = [_log_uniform(rng, 5, 20_000) for _ in charges]
        vat = sum(amounts) // 5 if rng.random() < 0.8 else 0
        total = sum(amounts) + vat
        letter = let_date = ""
        if rng.random() < 0.85:  # paid: the supplier line is lettered with the bank payment
            letter = self._next_letter()
            let_date = date + dt.timedelta(days=rng.randrange(5, 60))
            let_date += dt.timedelta(days=max(0, 7 - let_date.weekday()) if let_date.weekday() >= 5 else 0)
        piece = f"FA{rng.randrange(1, 999_999):06d}"
        rows = [(acc, lib, "", "", label, cents, 0, "", "") for (acc, lib), cents in zip(charges, amounts)]
        if vat:
            rows.append(("44566000", "TVA déductible sur ABS", "", "", label, vat, 0, "", ""))
        rows.append(("40100000", "Fournisseurs", aux, name, label, 0, total, letter, let_date))
        self.entry("HA", date, piece, piece_date, rows)
        if letter and let_date.year == self.year:
            self.entry(
                "BQ", let_date, f"VIR{self.numbers['BQ'] + 1:06d}", let_date,
                [("40100000", "Fournisseurs", aux, name, f"Règlement {name}"[:40], total, 0, letter, let_date),
                 ("51200000", "Crédit Coopératif", "", "", f"Règlement {name}"[:40], 0, total, "", "")],
            )  # fmt: skip

    def card_payment(self, project: bool) -> None:
        """Paid on the spot by card: a charge and the bank, no supplier account."""
        rng = self.rng
        date = _day(rng, self.year)
        account, lib = rng.choice(PROJECT if project else CHARGES[-4:])
        cents = _log_uniform(rng, 5, 800)
        label = rng.choice(PROJECT_LABELS) if project else f"CB {rng.choice(TRADES)}"
        self.entry(
            "BQ", date, f"CB{rng.randrange(1, 99_999):05d}", date,
            [(account, lib, "", "", label, cents, 0, "", ""), ("51200000", "Crédit Coopératif", "", "", label, 0, cents, "", "")],
        )  # fmt: skip

    def sale(self) -> None:
        rng = self.rng
        date = _day(rng, self.year)
        cents = _log_uniform(rng, 20, 30_000)
        label = f"Cotisation {rng.choice(WORDS)}"
        self.entry(
            "VE", date, f"VE{self.numbers['VE'] + 1:06d}", date,
            [("41100000", "Adhérents", f"C{rng.randrange(1, 500):04d}", f"Adhérent {rng.choice(WORDS)}", label, cents, 0, "", ""),
             ("75600000", "Cotisations", "", "", label, 0, cents, "", "")],
        )  # fmt: skip

    def payroll(self, month: int) -> None:
        """One OD per employee and month: its label names the employee (a 42 / 43 / 64 posting)."""
        rng = self.rng
        date = dt.date(self.year, month, 28)
        for who in self.staff:
            gross = rng.randrange(190_000, 360_000)
            net = gross * 78 // 100
            employer = gross * 42 // 100
            label = f"Salaire {month:02d}/{self.year} {who}"
            rows = [
                ("64110000", "Rémunération du personnel", "", "", label, gross, 0, "", ""),
                ("64510000", "Cotisations URSSAF", "", "", label, employer, 0, "", ""),
                ("42100000", "Personnel - rémunérations dues", "", "", label, 0, net, "", ""),
                ("43100000", "Sécurité sociale", "", "", label, 0, gross - net + employer, "", ""),
            ]
            self.entry("OD", date, f"PAIE{month:02d}", date, rows)

    def fields(self, line: tuple) -> list[str]:
        """The 18 FEC fields of a line: dates yyyymmdd, amounts with a decimal comma."""
        day = lambda value: f"{value:%Y%m%d}" if value else ""  # noqa: E731
        amount = lambda cents: _amount(cents, self.padded)  # noqa: E731
        *head, date, account, alib, aux, auxlib, piece, pdate, label, debit, credit, let, ldate, valid = line
        return [
            *head, day(date), account, alib, aux, auxlib, piece, day(pdate), label, amount(debit), amount(credit),
            let, day(ldate), day(valid), "", "",
        ]  # fmt: skip


def generate(lines: int, seed: int = 2024, year: int = 2024, padded: bool = False) -> list[list[str]]:
    """About ``lines`` FEC lines (whole entries: it stops at the first entry past the count), as fields."""
    rng = random.Random(seed)
    ledger = Ledger(rng, year, padded)
    month = 0
    while len(ledger.lines) < lines:
        draw = rng.random()
        if draw < 0.55:
            ledger.purchase(project=rng.random() < 0.01)
        elif draw < 0.75:
            ledger.card_payment(project=rng.random() < 0.02)
        elif draw < 0.97:
            ledger.sale()
        elif month < 12 and draw < 0.9705:
            month += 1
            ledger.payroll(month)
        else:
            date = _day(rng, year)
            cents = _log_uniform(rng, 100, 50_000)
            ledger.entry(
                "OD", date, "sans", None,
                [("44551000", "TVA à décaisser", "", "", f"CA3 {date:%m.%Y}", cents, 0, "", ""),
                 ("51200000", "Crédit Coopératif", "", "", f"CA3 {date:%m.%Y}", 0, cents, "", "")],
            )  # fmt: skip
    return [ledger.fields(line) for line in ledger.lines]


def write(
    path: Path, rows: list[list[str]], *, encoding: str = "iso-8859-15", sep: str = "\t", crlf: bool = False
) -> None:
    newline = "\r\n" if crlf else "\n"
    with open(path, "w", encoding=encoding, newline="") as handle:
        handle.write(sep.join(HEADER) + newline)
        for start in range(0, len(rows), 50_000):
            handle.write("".join(sep.join(r) + newline for r in rows[start : start + 50_000]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--encoding", choices=["iso-8859-15", "utf-8"], default="iso-8859-15")
    parser.add_argument("--sep", choices=["tab", "pipe"], default="tab")
    parser.add_argument("--crlf", action="store_true")
    parser.add_argument("--padded", action="store_true", help="zero-padded amounts 0000000069,60")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = generate(args.lines, args.seed, padded=args.padded)
    write(args.out, rows, encoding=args.encoding, sep="\t" if args.sep == "tab" else "|", crlf=args.crlf)
    elapsed = time.perf_counter() - started
    size = args.out.stat().st_size / 1e6
    print(f"{args.out}: {len(rows)} lines, {size:.1f} MB, {args.encoding}, generated in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
