"""The books tied to the audit (SPEC section 11): findings that compare the rows of the audit
with the ledger they come from. They reject nothing: the auditor decides (section 9).

- DOUBLON_PROBABLE: expense rows of any expenses file, after decisions, that look like one
  invoice paid twice under two numbers (or keyed twice in a FEC);
- HORS_CORRESPONDANCE: FEC lines labelled with the project's words on a class-6 account that
  ``inputs.accounts`` does not map: project costs left out, or put in;
- PAIE_COMPTA: the payroll declared against the ``64`` accounts of the FEC;
- SUBVENTION_COMPTA: the subsidy against the accounts where the books record it.

Pure functions over the convention, the rows after decisions and the FEC's lines; money in
integer cents. The near-duplicate search sorts once and links rows by 7-day windows, so a
ledger of a million rows is never compared pair by pair.
"""

from __future__ import annotations

import calendar
import datetime as dt
import unicodedata

import numpy as np
import pandas as pd

from ..fmt import date_fr, eur, month_fr
from ..inputs.convention import Convention
from .names import ref_of
from .registry import Finding, finding
from .rules import per_value

__all__ = [
    "NEAR_DAYS",
    "book_findings",
    "doublon_probable",
    "hors_correspondance",
    "paie_compta",
    "subvention_compta",
]

NEAR_DAYS = 7  # two rows of one invoice paid twice: at most this many days apart
PAIRS_SHOWN = 10  # pairs named in a DOUBLON_PROBABLE message
ACCOUNTS_SHOWN = 10  # accounts named in a HORS_CORRESPONDANCE message
TOLERANCE = 1  # cent: PAIE_COMPTA and SUBVENTION_COMPTA ignore a difference of 0,01 €
NOTE_DE_FRAIS = "note de frais"  # an expense claim's payee is an employee: never named
_NAT = np.iinfo(np.int64).min


def book_findings(convention: Convention, rows: pd.DataFrame, expenses=None, payroll=None) -> list[Finding]:
    """Every finding of this module, in the order of SPEC 11's table.

    ``rows``: the audit's rows after decisions (``rules_after``, ``decision``); ``expenses`` and
    ``payroll``: the input tables (:class:`pexaudit.readers.Table`), a FEC's carrying its
    ledger.
    """
    ledger = getattr(expenses, "ledger", None) if expenses is not None else None
    found = doublon_probable(rows, fec=ledger is not None)
    if ledger is not None:
        lines = ledger.lines
        found += hors_correspondance(convention, lines, ledger.table.file)
        if payroll is not None:
            found += paie_compta(convention, rows, lines, ledger.table.file)
        found += subvention_compta(convention, lines, ledger.table.file)
    return found


# --- DOUBLON_PROBABLE -----------------------------------------------------------------------


def _fold(text: object) -> str:
    """Trimmed, case and accents ignored."""
    if not isinstance(text, str):
        return ""
    decomposed = unicodedata.normalize("NFKD", text.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _ref(rec) -> str:
    """``file!sheet!row`` (CSV, FEC: ``file!!line``), as decisions name a row."""
    return ref_of(rec)


def _day_number(value: object) -> int:
    return (value - dt.date(1970, 1, 1)).days if isinstance(value, dt.date) else _NAT


def _codes(values) -> np.ndarray:
    codes, _ = pd.factorize(pd.Series(list(values), dtype=object))
    return codes.astype(np.int64)


def _groups(group: np.ndarray, day: np.ndarray, key: np.ndarray) -> np.ndarray:
    """Connected groups of rows linked by pairs: same ``group``, ``day``s at most NEAR_DAYS apart,
    different ``key``. Returns a group id per row (-1: in no pair).

    Sorted by (group, day), the rows dated from ``day - NEAR_DAYS`` to ``day`` of a row form a
    contiguous range, every two of them within NEAR_DAYS days; a range holding two keys or more
    is connected (a row pairs with every row of another key, and two rows of one key share a
    neighbour of another). Every pair lies in the range of its later row, so the groups are
    the unions of such ranges: each marks the links between consecutive rows it spans.
    """
    size = len(group)
    out = np.full(size, -1, dtype=np.int64)
    if size < 2:
        return out
    order = np.lexsort((key, day, group))
    g, d, k = group[order], day[order], key[order]
    span = int(d.max() - d.min()) + 2 * NEAR_DAYS + 1
    position = g * span + (d - d.min())  # sorted: one number per (group, day)
    low = np.searchsorted(position, position - NEAR_DAYS, "left")
    high = np.searchsorted(position, position, "right") - 1
    change = np.zeros(size, dtype=np.int64)
    change[1:] = (k[1:] != k[:-1]) | (g[1:] != g[:-1])
    changes = np.cumsum(change)
    mixed = (changes[high] - changes[low]) > 0  # the range holds two keys or more
    links = np.zeros(size + 1, dtype=np.int64)
    np.add.at(links, low[mixed], 1)
    np.add.at(links, high[mixed], -1)
    linked = np.cumsum(links)[:-1] > 0  # position p is linked to p + 1
    starts = np.r_[True, ~linked[:-1]]
    component = np.cumsum(starts) - 1
    sizes = np.bincount(component)
    ids = np.where(sizes[component] > 1, component, -1)
    out[order] = ids
    return out


def doublon_probable(rows: pd.DataFrame, *, fec: bool) -> list[Finding]:
    """DOUBLON_PROBABLE (warning): one per group of expense rows linked by pairs (SPEC 11).

    A pair: two expense rows whose eligible amount after decisions (before cap or flat rate) is
    non-zero, neither carrying a decision, with the same supplier (trimmed, case and accents
    ignored; empty never pairs), the same readable montant, dates at most NEAR_DAYS apart, and
    different pieces (trimmed, case ignored) or, for two FEC rows, the same piece on different
    dates; FEC rows pair only when their entry has a third-party line.
    """
    expense = rows[rows["source"] == "expenses"]
    if len(expense) < 2:
        return []
    amount = expense["amount"].to_numpy(dtype=np.int64)
    eligible = expense["eligible_amount"].to_numpy(dtype=np.int64)
    flat = (expense["share_rule"] == "FORFAIT").to_numpy()  # before the flat rate: the row's cost
    before_flat = np.where(flat, amount, eligible)
    supplier = per_value(expense["fournisseur"], _fold).to_numpy(dtype=object)
    day = per_value(expense["date"], _day_number).to_numpy(dtype=np.int64)
    decided = expense["decision"].notna().to_numpy() if "decision" in expense else np.zeros(len(expense), bool)
    candidate = (
        (before_flat != 0) & expense["readable"].to_numpy(dtype=bool) & ~decided & (supplier != "") & (day != _NAT)
    )
    if fec and "third_party" in expense:
        candidate &= expense["third_party"].notna().to_numpy()
    index = np.flatnonzero(candidate)
    if len(index) < 2:
        return []
    piece = np.asarray([_fold_piece(p) for p in expense["piece"].to_numpy(dtype=object)[index]], dtype=object)
    key = _codes(zip(piece, day[index], strict=True)) if fec else _codes(piece)
    group = _codes(zip(supplier[index], amount[index], strict=True))
    ids = _groups(group, day[index], key)
    found = []
    if not (ids >= 0).any():
        return found
    picked = expense.iloc[index]
    members = pd.Series(np.arange(len(index)))[ids >= 0].groupby(ids[ids >= 0])
    ordered = sorted(members, key=lambda item: int(picked["row_id"].iat[int(item[1].min())]))
    # The rows of the groups as plain records, once (a row taken out of a frame one by one costs
    # a hundred times more: a million-line ledger may hold thousands of groups).
    grouped = np.flatnonzero(ids >= 0)
    columns = ["row_id", "file", "sheet", "row", "amount", "piece", "date", "fournisseur"]
    columns += [c for c in ("third_party",) if c in picked]
    records = dict(zip(grouped.tolist(), picked[columns].iloc[grouped].to_dict("records"), strict=True))
    row_ids = picked["row_id"].to_numpy()
    for _, positions in ordered:
        found.append(_doublon_finding(records, row_ids, positions.to_numpy(), day[index], key, fec))
    return found


def _fold_piece(text: object) -> str:
    return text.strip().casefold() if isinstance(text, str) else ""


def _doublon_finding(records: dict, row_ids: np.ndarray, positions: np.ndarray, day: np.ndarray, key: np.ndarray,
                     fec: bool) -> Finding:  # fmt: skip
    """One group: its rows in file order, its first pairs, the amount paid more than once."""
    positions = positions[np.argsort(row_ids[positions], kind="stable")]
    recs = [records[int(p)] for p in positions]
    refs = tuple(_ref(rec) for rec in recs)
    earliest = min(range(len(positions)), key=lambda i: (day[positions[i]], i))
    extra = sum(int(rec["amount"]) for i, rec in enumerate(recs) if i != earliest)
    pairs = []
    for a in range(len(positions)):
        for b in range(a + 1, len(positions)):
            pa, pb = positions[a], positions[b]
            if abs(int(day[pa]) - int(day[pb])) <= NEAR_DAYS and key[pa] != key[pb]:
                pairs.append((a, b))
                if len(pairs) == PAIRS_SHOWN:
                    break
        if len(pairs) == PAIRS_SHOWN:
            break
    first = recs[0]
    claim = fec and first.get("third_party") == "42"
    who = NOTE_DE_FRAIS if claim else f"« {str(first['fournisseur']).strip()} »"
    shown = "; ".join(f"{_row_text(recs[a], refs[a])} et {_row_text(recs[b], refs[b])}" for a, b in pairs)
    more = " ; …" if len(pairs) == PAIRS_SHOWN and len(positions) > 2 else ""
    n = len(positions)
    return finding(
        "DOUBLON_PROBABLE",
        f"{n} dépenses de {eur(int(first['amount']))} pour le même fournisseur ({who}), à {NEAR_DAYS} jours au plus "
        f"d'intervalle, sous des pièces ou des dates différentes : une même facture payée ou saisie deux fois ? "
        f"{shown}{more}. Décidez de ces lignes (decisions.yaml) : {eur(extra)} en plus de la première.",
        extra,
        refs=refs,
    )


def _row_text(rec, ref: str) -> str:
    piece = str(rec["piece"]).strip() or "sans n°"
    return f"{ref} (pièce {piece} du {date_fr(rec['date'])})"


# --- HORS_CORRESPONDANCE ----------------------------------------------------------------------


def _account_mapped(accounts: dict[str, str]):
    prefixes = tuple(p.strip() for p in accounts)
    return lambda account: bool(prefixes) and account.startswith(prefixes)


def _usable(lines: pd.DataFrame) -> np.ndarray:
    """Lines read (a line set aside for its field count takes part in no test)."""
    if "field_fault" in lines:
        return ~lines["field_fault"].to_numpy(dtype=bool)
    return np.ones(len(lines), dtype=bool)


def _on(lines: pd.DataFrame, test) -> np.ndarray:
    """Per line: ``test`` over its account (each distinct account looked at once)."""
    column = lines["CompteNum"]
    categories = np.asarray(column.cat.categories, dtype=object)
    hit = np.array([test(str(a)) for a in categories] + [False], dtype=bool)
    return hit[column.cat.codes.to_numpy()]


def hors_correspondance(convention: Convention, lines: pd.DataFrame, file: str) -> list[Finding]:
    """HORS_CORRESPONDANCE (info): with ``inputs.fec.label_contains``, the lines of the selected
    journals on a class-6 account whose EcritureLib or PieceRef holds one of the words but
    whose account no ``inputs.accounts`` prefix maps."""
    from ..inputs.fec import label_hits

    words = [w for w in convention.fec.label_contains if w and w.strip()]
    if not words or not len(lines):
        return []
    mapped = _account_mapped(convention.accounts)
    candidate = _usable(lines) & _on(lines, lambda a: a.startswith("6") and not mapped(a))
    if convention.fec.journals:
        wanted = {j.strip().casefold() for j in convention.fec.journals}
        journal = lines["JournalCode"]
        ok = np.array([str(j).casefold() in wanted for j in journal.cat.categories] + [False], dtype=bool)
        candidate &= ok[journal.cat.codes.to_numpy()]
    index = np.flatnonzero(candidate)
    if not len(index):
        return []
    names = ("EcritureLib", "PieceRef")
    texts = [np.asarray(lines[n].cat.categories, dtype=object) for n in names]
    codes = [lines[n].cat.codes.to_numpy()[index] for n in names]
    index = index[label_hits(texts, codes, words)]
    if not len(index):
        return []
    net = lines["debit"].to_numpy()[index] - lines["credit"].to_numpy()[index]
    account = np.asarray(lines["CompteNum"].astype(object).to_numpy()[index], dtype=object)
    per_account = pd.Series(net).groupby(account, sort=True).sum()
    total = int(net.sum())
    listed = ", ".join(f"{a} : {eur(int(v))}" for a, v in per_account.iloc[:ACCOUNTS_SHOWN].items())
    more = f" et {len(per_account) - ACCOUNTS_SHOWN} autres comptes" if len(per_account) > ACCOUNTS_SHOWN else ""
    n = len(index)
    words_text = ", ".join(f"« {w} »" for w in words)
    return [
        finding(
            "HORS_CORRESPONDANCE",
            f"FEC « {file} » : {n} ligne{'s' if n > 1 else ''} de charges (classe 6) dont le libellé ou la pièce "
            f"contient {words_text}, pour {eur(total)}, sur des comptes qu'inputs.accounts n'associe à aucune "
            f"ligne budgétaire ({listed}{more}) : des coûts du projet laissés de côté, ou exclus à bon droit ; "
            "complétez inputs.accounts s'ils relèvent du budget",
            total,
        )
    ]


# --- PAIE_COMPTA ----------------------------------------------------------------------------


def _month_bounds(convention: Convention) -> tuple[dt.date, dt.date]:
    start, end = convention.period_start, convention.period_end
    last = calendar.monthrange(end.year, end.month)[1]
    return start.replace(day=1), end.replace(day=last)


def paie_compta(convention: Convention, rows: pd.DataFrame, lines: pd.DataFrame, file: str) -> list[Finding]:
    """PAIE_COMPTA (warning): the payroll declared (readable rows of the months in the period,
    whatever rule they fail) exceeds by more than 0,01 € the net debit of the FEC's ``64``
    lines dated in the period's months."""
    first, last = _month_bounds(convention)
    pay = rows[(rows["source"] == "payroll") & rows["readable"].astype(bool)]
    months = pay["month"].tolist()
    inside = np.array(
        [isinstance(m, dt.date) and m.replace(day=1) <= convention.period_end and _end(m) >= convention.period_start
         for m in months],
        dtype=bool,
    )  # fmt: skip
    declared = int(pay["amount"].to_numpy(dtype=np.int64)[inside].sum()) if len(pay) else 0
    days = lines["EcritureDate"].to_numpy().astype("datetime64[D]")
    dated = (days >= np.datetime64(first, "D")) & (days <= np.datetime64(last, "D"))
    on_64 = _usable(lines) & _on(lines, lambda a: a.startswith("64")) & dated
    books = int((lines["debit"].to_numpy()[on_64] - lines["credit"].to_numpy()[on_64]).sum())
    if declared - books <= TOLERANCE:
        return []
    return [
        finding(
            "PAIE_COMPTA",
            f"la paie déclarée ({eur(declared)}, {int(inside.sum())} ligne{'s' if inside.sum() > 1 else ''} de paie "
            f"des mois de {month_fr(first)} à {month_fr(last)}) dépasse de {eur(declared - books)} les charges de "
            f"personnel du FEC « {file} » sur la même période (comptes 64 : {eur(books)}) : la paie déclarée est "
            "plus que ce que les livres portent ; demandez le rapprochement (journal de paie, DSN)",
            declared - books,
        )
    ]


def _end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


# --- SUBVENTION_COMPTA ----------------------------------------------------------------------


def subvention_compta(convention: Convention, lines: pd.DataFrame, file: str) -> list[Finding]:
    """SUBVENTION_COMPTA (warning): with ``inputs.fec.subsidy_accounts``, the net credit of
    those accounts differs by more than 0,01 € both from the amount granted and from the
    payments dated within the FEC's readable EcritureDates; ``amount`` = books − the nearer
    (the grant when both are as near)."""
    prefixes = tuple(convention.fec.subsidy_accounts)
    if not prefixes:
        return []
    usable = _usable(lines)
    on = usable & _on(lines, lambda a: a.startswith(prefixes))
    books = int((lines["credit"].to_numpy()[on] - lines["debit"].to_numpy()[on]).sum())
    days = lines["EcritureDate"].to_numpy().astype("datetime64[D]")
    readable = days[usable & ~np.isnat(days)]
    if len(readable):
        first, last = readable.min().astype(dt.date), readable.max().astype(dt.date)
        paid = sum(p.amount for p in convention.payments if first <= p.date <= last)
        span = f"du {date_fr(first)} au {date_fr(last)}"
    else:
        paid, span = 0, "(aucune date d'écriture lisible)"
    granted = convention.subsidy_amount
    if abs(books - granted) <= TOLERANCE or abs(books - paid) <= TOLERANCE:
        return []
    nearer = granted if abs(books - granted) <= abs(books - paid) else paid
    accounts = ", ".join(prefixes)
    return [
        finding(
            "SUBVENTION_COMPTA",
            f"FEC « {file} » : les comptes {accounts} portent {eur(books)} de subvention (crédits moins débits), ce "
            f"qui ne correspond ni à la subvention accordée ({eur(granted)}, si elle est comptée à la notification) "
            f"ni aux versements reçus pendant l'exercice du FEC, {span} ({eur(paid)}, si elle est comptée à "
            f"l'encaissement) ; écart de {eur(books - nearer, signed=True)} avec le plus proche : demandez au "
            "bénéficiaire comment il l'a comptabilisée (produit constaté d'avance, autre financeur sur le même "
            "compte)",
            books - nearer,
        )
    ]
