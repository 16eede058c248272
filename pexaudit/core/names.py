"""How a row is named wherever a person reads it (SPEC section 12).

A person finds an expense by its piece, supplier, date and amount (a FEC line also by its
journal and entry), a pay row by whose pay and which month: never by a file line number alone,
never by an employee's name. The report and the workbook name pay rows by the agent's
pseudonym (``Agent 1``, in the order of ``staff``); the letters by the matricule, the
beneficiary's own identifier. The file and line follow, for traceability.
"""

from __future__ import annotations

import datetime as dt

from ..fmt import date_fr, eur, month_fr

__all__ = ["FORFAIT_NAME", "NOTE_DE_FRAIS", "location", "missing", "ref_of", "row_name", "supplier"]

FORFAIT_NAME = "forfait de gestion (calculé)"
NOTE_DE_FRAIS = "note de frais"


def missing(value) -> bool:
    """None, NaN and pandas' NA (whose comparisons cannot be told true or false)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def _get(rec, name: str):
    value = rec.get(name) if isinstance(rec, dict) else getattr(rec, name, None)
    return None if missing(value) else value


def location(rec) -> str:
    """``depenses.xlsx, feuille « Mandats 2024 », ligne 12`` (CSV, FEC: no sheet)."""
    if _get(rec, "source") == "forfait":
        return "calculé"
    sheet = _get(rec, "sheet")
    where = f"{_get(rec, 'file')}, feuille « {sheet} »" if sheet else str(_get(rec, "file"))
    return f"{where}, ligne {_get(rec, 'row')}"


def ref_of(rec) -> str:
    """``file!sheet!row`` (CSV, FEC: ``file!!line``), as decisions and findings name a row."""
    return f"{_get(rec, 'file')}!{_get(rec, 'sheet') or ''}!{_get(rec, 'row')}"


def supplier(rec) -> str | None:
    """The supplier as documents show it: an expense claim paid through a ``42`` account is a
    « note de frais » (the FEC's CompAuxLib names the employee; only the workbook keeps it)."""
    if _get(rec, "note_de_frais") or _get(rec, "third_party") == "42":
        return NOTE_DE_FRAIS
    return _get(rec, "fournisseur")


def row_name(rec, *, letter: bool = False, with_location: bool = True) -> str:
    """A row as a person finds it, then where it is read.

    Expenses: ``pièce F-118, Bureau Vallée, 12/03/2024, 120,00 €`` (a FEC row adds ``journal
    HA, écriture 57``); pay rows: ``Agent 1, mars 2024`` (``letter``: ``matricule M0412, mars
    2024``).
    """
    source = _get(rec, "source")
    if source == "forfait":
        return FORFAIT_NAME
    if source == "payroll":
        month = _get(rec, "month")
        when = month_fr(month) if isinstance(month, dt.date) else "mois illisible"
        who = f"matricule {_get(rec, 'matricule') or '—'}" if letter else (_get(rec, "who") or "agent")
        parts = [who, when]
    else:
        piece = _get(rec, "piece")
        day = _get(rec, "date")
        amount = _get(rec, "amount")
        parts = [
            f"pièce {piece}" if piece else "pièce sans numéro",
            supplier(rec) or "fournisseur absent",
            date_fr(day) if isinstance(day, dt.date) else "date illisible",
        ]
        if amount is not None and _get(rec, "readable") is not False:
            parts.append(eur(int(amount)))
        journal, entry = _get(rec, "journal"), _get(rec, "entry")
        if journal or entry:
            parts.append(f"journal {journal}, écriture {entry}")
    name = ", ".join(parts)
    return f"{name} ({location(rec)})" if with_location else name
