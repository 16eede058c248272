"""Identity checks and the findings of SPEC section 6, over the audit after decisions.

A finding is data (:class:`~pexaudit.registry.Finding`), raised through
:func:`~pexaudit.registry.finding`, which takes its severity from the registry. Findings never
change an amount; they drive the verdict.
"""

from __future__ import annotations

import re

import pandas as pd
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from ..fmt import date_fr, eur, number_fr, pct
from ..inputs.convention import HORS_BUDGET, Bank, Convention, matricule_key
from ..money import round_half_up
from .registry import (
    FAILING_RULES,
    MASSIVE_SHARE,
    RAISONNABLE_MONTH_FACTOR,
    RAISONNABLE_ROW_SHARE,
    RULES,
    Finding,
    finding,
)
from .rules import Flag
from .settlement import Line, Settlement

__all__ = [
    "bank_findings",
    "collect_findings",
    "foreseen_findings",
    "funding_findings",
    "rib_key",
    "siret_findings",
    "total_label",
]


def siret_findings(siret: str) -> list[Finding]:
    digits = re.sub(r"[\s.]", "", siret)
    if not re.fullmatch(r"\d{14}", digits):
        return [finding("SIRET", f"SIRET « {siret} » : attendu 14 chiffres (trouvé {len(digits)} caractères)")]
    if not stdnum_siren.is_valid(digits[:9]):
        return [finding("SIRET", f"SIRET « {siret} » : le SIREN {digits[:9]} a une clé de contrôle fausse (Luhn)")]
    if not stdnum_siret.is_valid(digits):
        rule = "somme des chiffres multiple de 5 (La Poste)" if digits.startswith("356000000") else "Luhn"
        return [finding("SIRET", f"SIRET « {siret} » : clé de contrôle fausse ({rule})")]
    return []


_RIB_LETTERS = {
    c: str(v)
    for v, letters in enumerate(["AJ", "BKS", "CLT", "DMU", "ENV", "FOW", "GPX", "HQY", "IRZ"], 1)
    for c in letters
}
RIB_LENGTHS = {"banque": 5, "guichet": 5, "compte": 11, "cle": 2}
_RIB_NAMES = {"banque": "code banque", "guichet": "code guichet", "compte": "numéro de compte", "cle": "clé RIB"}


def _rib_digits(text: str) -> int:
    return int("".join(_RIB_LETTERS.get(c, c) for c in text.upper()))


def rib_key(banque: str, guichet: str, compte: str) -> int:
    """The French RIB key: 97 - ((89 × banque + 15 × guichet + 3 × compte) mod 97)."""
    return 97 - (89 * _rib_digits(banque) + 15 * _rib_digits(guichet) + 3 * _rib_digits(compte)) % 97


def _strip_zeros(value: str, length: int) -> str:
    while len(value) > length and value.startswith("0"):
        value = value[1:]
    return value


def bank_findings(bank: Bank | None) -> list[Finding]:
    """IBAN (error), BIC (warning) and, when a RIB is given, RIB (warnings)."""
    if bank is None:
        return []
    found: list[Finding] = []
    iban = stdnum_iban.compact(bank.iban) if bank.iban else None
    if bank.iban and not stdnum_iban.is_valid(bank.iban):
        found.append(
            finding("IBAN", f"IBAN « {bank.iban} » invalide (ISO 13616 : longueur et format du pays, clé mod 97)")
        )
    if bank.bic and not stdnum_bic.is_valid(bank.bic):
        found.append(finding("BIC", f"BIC « {bank.bic} » : attendu 8 ou 11 caractères au format ISO 9362"))
    if bank.rib is None:
        return found
    raw = {k: re.sub(r"\s", "", getattr(bank.rib, k)).upper() for k in RIB_LENGTHS}
    fixed = {k: _strip_zeros(v, RIB_LENGTHS[k]) for k, v in raw.items()}
    bban = iban[4:] if iban and iban[:2] in ("FR", "MC") and len(iban) == 27 else None
    agree_raw = bban is not None and bban == "".join(raw.values())
    agree_fixed = bban is not None and bban == "".join(fixed.values())
    if bban is None:
        compare = "comparaison avec l'IBAN impossible (IBAN absent ou non français)"
    elif agree_fixed:
        compare = "une fois les zéros de tête superflus retirés, le RIB concorde avec l'IBAN"
    else:
        compare = "même sans les zéros de tête superflus, le RIB ne concorde pas avec l'IBAN"
    wrong_length = [k for k, v in raw.items() if len(v) != RIB_LENGTHS[k]]
    for k in wrong_length:
        found.append(
            finding("RIB", f"RIB : {_RIB_NAMES[k]} « {raw[k]} » de {len(raw[k])} caractères au lieu de {RIB_LENGTHS[k]} ; {compare}",
            )
        )  # fmt: skip
    try:
        key = rib_key(fixed["banque"], fixed["guichet"], fixed["compte"])
        key_ok = fixed["cle"].isdigit() and int(fixed["cle"]) == key
    except ValueError:
        key, key_ok = None, False
    if not key_ok:
        expected = f"attendu {key:02d}" if key is not None else "champs non numériques"
        found.append(finding("RIB", f"RIB : clé « {raw['cle']} » fausse ({expected})"))
    if bban is not None and not agree_raw and not (wrong_length and agree_fixed):
        found.append(
            finding(
                "RIB",
                f"RIB et IBAN en désaccord : RIB {' '.join(raw.values())}, IBAN {bank.iban} ; {compare}",
            )
        )
    return found


def collect_findings(
    convention: Convention,
    lines: list[Line],
    rows: pd.DataFrame,
    flags: list[Flag],
    tables: dict | None = None,
    settlement: Settlement | None = None,
) -> list[Finding]:
    """Every finding of SPEC section 6, in the order of its table (SURFINANCEMENT needs the
    ``settlement``)."""
    tables = tables or {}
    expenses = tables.get("expenses")
    return [
        *siret_findings(convention.siret),
        *bank_findings(convention.bank),
        *_deadlines(convention),
        *_staff(convention),
        *_lines(convention, lines),
        *_raisonnable(flags),
        *_payments(convention),
        *_overruns(convention, lines),
        *(funding_findings(convention, settlement) if settlement is not None else []),
        *_unchecked_payment(expenses),
        *_rejections(lines, rows),
        *_matricule(convention, tables.get("payroll")),
        *_massive(lines),
        *_totals(tables),
    ]


def foreseen_findings(convention: Convention, tables: dict) -> list[Finding]:
    """The findings of this module that the convention and the files alone decide, before any
    rule runs (``pexaudit check`` prints them): identity, deadlines, DDETS, payments,
    PAIEMENT_NON_CONTROLE, MATRICULE, TOTAL. The same functions as the audit's, in its order."""
    return [
        *siret_findings(convention.siret),
        *bank_findings(convention.bank),
        *_deadlines(convention),
        *_staff(convention),
        *_payments(convention),
        *_unchecked_payment(tables.get("expenses")),
        *_matricule(convention, tables.get("payroll")),
        *_totals(tables),
    ]


def _deadlines(convention: Convention) -> list[Finding]:
    due, submitted = convention.report_due_date, convention.report_submitted_date
    if not (submitted and submitted > due):
        return []
    return [
        finding("BILAN_DELAI", f"bilan remis le {date_fr(submitted)}, {(submitted - due).days} jours après l'échéance du "
            f"{date_fr(due)} ({convention.art('justificatifs')} : une communication tardive peut entraîner la "
            "suppression de la subvention)",
        )
    ]  # fmt: skip


def _staff(convention: Convention) -> list[Finding]:
    found = []
    art = convention.art("ddets")
    for index, member in enumerate(convention.staff, start=1):
        who = f"Agent {index} ({member.role})" if member.role else f"Agent {index}"
        if member.ddets_validation_date is None:
            found.append(
                finding("DDETS", case="sans_date", message=f"{who} : pas de date de validation par la DDETS ({art})")
            )
        elif member.start and member.start < member.ddets_validation_date:
            found.append(
                finding("DDETS", f"{who} : prise de poste le {date_fr(member.start)}, avant la validation DDETS du "
                    f"{date_fr(member.ddets_validation_date)} ({art})", case="avant_validation",
                )
            )  # fmt: skip
    return found


def _lines(convention: Convention, lines: list[Line]) -> list[Finding]:
    threshold = convention.variance_alert_pct
    return [
        finding("ECART", f"ligne « {line.label} » : écart de {pct(line.variance_pct)} ({eur(line.variance, signed=True)}) "
            f"entre le réalisé éligible et le budget, au-delà du seuil de {pct(threshold)} : une explication est due",
            line.variance,
        )
        for line in lines
        if line.alert(threshold)
    ]  # fmt: skip


def _raisonnable(flags: list[Flag]) -> list[Finding]:
    found = []
    for flag in flags:
        if flag.kind == "month":
            message = (
                f"{flag.who}, {flag.label} : coût éligible de {eur(flag.amount)}, au-delà de "
                f"{number_fr(RAISONNABLE_MONTH_FACTOR, 1)} fois la médiane de ses mois "
                f"({eur(round_half_up(flag.threshold / RAISONNABLE_MONTH_FACTOR))})"
            )
        else:
            message = (
                f"pièce « {flag.who} » ({flag.label}) : {eur(flag.amount)}, plus de "
                f"{number_fr(RAISONNABLE_ROW_SHARE * 100, 0)} % du budget de gestion"
            )
        found.append(finding("RAISONNABLE", message, flag.amount))
    return found


def _payments(convention: Convention) -> list[Finding]:
    """A payment later than its ``due`` date; without ``due``, only the first payment, against the
    signature date (SPEC 6): a second tranche scheduled later is not late."""
    found = []
    art = convention.art("versement")
    ordered = sorted(convention.payments, key=lambda p: p.date)
    for index, payment in enumerate(ordered):
        if payment.due is not None:
            delay = (payment.date - payment.due).days
            if delay > 0:
                found.append(
                    finding("VERSEMENT_DELAI", f"versement de {eur(payment.amount)} le {date_fr(payment.date)}, {delay} jour(s) après "
                        f"sa date due du {date_fr(payment.due)} ({art})",
                        payment.amount,
                    )
                )  # fmt: skip
        elif index == 0 and convention.signature_date:
            delay = (payment.date - convention.signature_date).days
            if delay > convention.first_payment_days:
                found.append(
                    finding("VERSEMENT_DELAI", f"versement de {eur(payment.amount)} le {date_fr(payment.date)}, {delay} jours après la "
                        f"signature du {date_fr(convention.signature_date)} ({art} : "
                        f"{convention.first_payment_days} jours)",
                        payment.amount,
                    )
                )  # fmt: skip
    return found


def _overruns(convention: Convention, lines: list[Line]) -> list[Finding]:
    """DEPASSEMENT: one per line whose eligible amount went over its fongibilité limit."""
    found = []
    pct = convention.line_overrun_pct
    for line in lines:
        excess = line.rejected.get("DEPASSEMENT", 0)
        if not excess:
            continue
        before = line.eligible + excess
        found.append(
            finding("DEPASSEMENT", f"ligne « {line.label} » : éligible de {eur(before)} pour un budget de {eur(line.budget)}, au-delà "
                f"de la limite de fongibilité de {eur(line.eligible)} (budget + "
                f"{number_fr(pct, 0 if pct.denominator == 1 else 2)} %) : {eur(excess)} non retenus",
                excess,
            )
        )  # fmt: skip
    return found


def funding_findings(convention: Convention, settlement: Settlement) -> list[Finding]:
    """SURFINANCEMENT: with the other funders, the subsidy would exceed the eligible cost."""
    if settlement.cap_cost is None or settlement.cap_cost >= settlement.by_rate:
        return []
    funders = " ; ".join(f"{f.funder} : {eur(f.amount)}" for f in convention.other_funding)
    return [
        finding("SURFINANCEMENT", f"la subvention au taux de financement ({eur(settlement.by_rate)}) et les autres financements de "
            f"l'action ({funders}) dépasseraient son coût éligible ({eur(settlement.eligible_total)}) : le montant "
            f"justifié est limité à {eur(settlement.cap_cost)}, coût éligible moins autres financements "
            f"({eur(settlement.other_funding)}), pour qu'il n'y ait pas de surfinancement",
            settlement.by_rate - settlement.cap_cost,
        )
    ]  # fmt: skip


def _unchecked_payment(expenses) -> list[Finding]:
    """PAIEMENT_NON_CONTROLE: the expenses have no ``date_paiement`` column."""
    if expenses is None or expenses.has("date_paiement"):
        return []
    return [
        finding("PAIEMENT_NON_CONTROLE", "les dépenses n'ont pas de colonne date de paiement : la règle PAIEMENT (dépenses effectivement "
            "payées) n'a pas été appliquée",
        )
    ]  # fmt: skip


def _rejections(lines: list[Line], rows: pd.DataFrame) -> list[Finding]:
    found = []
    booked = {rule: sum(line.rejected.get(rule, 0) for line in lines) for rule in FAILING_RULES}
    counts = rows["rejected_rule"].value_counts()
    for rule in FAILING_RULES:
        count = int(counts.get(rule, 0))
        if count:
            s = "s" if count > 1 else ""
            found.append(
                finding(
                    "REJETS",
                    f"{rule} ({RULES[rule].label}) : {count} ligne{s} écartée{s}, "
                    f"{eur(booked[rule])} rejetés au titre de cette règle",
                    booked[rule],
                )
            )
    return found


def _matricule(convention: Convention, payroll) -> list[Finding]:
    """MATRICULE: a staff member without payroll rows while rows carry matricules not in staff
    (a mapping problem, not the truth)."""
    found = []
    if payroll is not None and len(payroll.frame):
        # Matricules are not shown (the report names nobody): the Excel rows are.
        frame = payroll.frame
        keys = frame["matricule"].map(matricule_key)
        staff_keys = {s.key for s in convention.staff}
        strangers = frame.loc[(frame["matricule"] != "") & ~keys.isin(staff_keys), "row"].tolist()
        if strangers:
            where = f"{payroll.file}" + (f", feuille « {payroll.sheet} »" if payroll.sheet else "")
            shown = ", ".join(map(str, strangers[:10])) + (" …" if len(strangers) > 10 else "")
            for index, member in enumerate(convention.staff, start=1):
                if member.key not in set(keys):
                    found.append(
                        finding("MATRICULE", f"Agent {index} de staff : aucune ligne de paie, alors que {len(strangers)} ligne(s) portent "
                            f"des matricules absents de staff ({where}, ligne(s) {shown}) : vérifiez les matricules "
                            "(zéros de tête, format des cellules, colonne reconnue)",
                        )
                    )  # fmt: skip
    return found


def _massive(lines: list[Line]) -> list[Finding]:
    """REJET_MASSIF: more than half a line's declared cost rejected under one rule."""
    found = []
    for line in lines:
        if line.line == HORS_BUDGET or line.declared <= 0:
            continue
        for rule in FAILING_RULES:
            amount = line.rejected.get(rule, 0)
            if amount > line.declared * MASSIVE_SHARE:
                found.append(
                    finding("REJET_MASSIF", f"ligne « {line.label} » : {eur(amount)} sur {eur(line.declared)} déclarés écartés par la "
                        f"seule règle {rule} ({RULES[rule].label}) : un problème de correspondance est probable ; "
                        f"vérifiez {RULES[rule].hint}",
                        amount,
                    )
                )  # fmt: skip
    return found


def total_label(total) -> str:
    """A total row as documents name it: ``sous-total, ligne 14``, never its label, which in a
    payroll export often names an employee ("Sous-total DURAND")."""
    kind = "ligne de total" if total.kind == "final" else total.kind
    return f"{kind}, ligne {total.row}"


def _totals(tables: dict) -> list[Finding]:
    """TOTAL: a total or subtotal row of an input file that disagrees with its rows (SPEC 4)."""
    found = []
    for table in tables.values():
        for total in getattr(table, "totals", ()):
            if total.kind == "final" or total.stated is None or abs(total.stated - total.computed) <= 1:
                continue
            where = f"{table.file}" + (f", feuille « {table.sheet} »" if table.sheet else "")
            found.append(
                finding("TOTAL", f"{where}, {total_label(total)} : total de {eur(total.stated)}, alors que les "
                    f"lignes qu'il couvre font {eur(total.computed)} (écart {eur(total.stated - total.computed, signed=True)}) : "
                    "l'export est peut-être incomplet",
                    total.stated - total.computed,
                )
            )  # fmt: skip
    return found
