"""Ledger analytics (SPEC section 11): indicative tests an auditor runs on a general ledger.

Nothing here rejects a row: the results go to ``results.json`` ``analytics``, the report
section *Analyse du grand livre* and a workbook sheet. Over every line of a FEC
(:func:`fec_analytics`, on :attr:`pexaudit.fec.FecLedger.lines`) or over the rows of an
ordinary expenses file (:func:`expenses_analytics`).

Every test is column-wise (a million lines take well under a second): amounts are integer
cents, dates are day numbers, and the near-duplicate search sorts once and looks each line's
7-day window up by binary search instead of comparing pairs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from ..fmt import date_fr, eur, number_fr
from ..money import cents_to_euros, euros_to_cents
from .registry import Finding, finding

__all__ = [
    "READINGS",
    "SHEET",
    "SHEET_LINES",
    "TESTS",
    "analytics_context",
    "analytics_sheet_rows",
    "expenses_analytics",
    "fec_analytics",
    "integrity_findings",
    "masked_label",
]

EXAMPLES = 20  # results.json: each test's first lines (its schema)
SHEET_LINES = 10_000  # the workbook: every line a test flags, up to this many (then the count of the rest)
BENFORD_MIN = 1_000  # cents: amounts of at least 10 €
BENFORD_INDICATIVE = 500  # below this many amounts, Benford's test is only indicative (Nigrini)
NIGRINI = ((0.006, "conformite_etroite"), (0.012, "acceptable"), (0.015, "marginale"))
ROUND = 10_000  # cents: multiples of 100 €
NEAR_DAYS = 7
PAY_ACCOUNTS = ("42", "43", "64")  # pay postings: their labels name employees
EXPECTED = {str(d): math.log10(1 + 1 / d) for d in range(1, 10)}
_POW10 = 10 ** np.arange(19, dtype=np.int64)
_NAT = np.iinfo(np.int64).min
WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# French labels, shared by the report and the workbook.
TESTS = {
    "benford": "Loi de Benford (premier chiffre des montants d'au moins 10 €)",
    "round_amounts": "Montants ronds (multiples de 100 €)",
    "weekend_holiday": "Écritures datées d'un samedi, d'un dimanche ou d'un jour férié",
    "cutoff": "Séparation des exercices : pièce datée dans la période, écriture passée après sa fin",
    "near_duplicates": "Doublons probables : même tiers, même montant, pièces différentes, à 7 jours au plus",
    "numbering_gaps": "Trous dans la numérotation des écritures",
}
READINGS = {
    "conformite_etroite": "conformité étroite",
    "acceptable": "conformité acceptable",
    "marginale": "conformité marginale",
    "non_conformite": "non-conformité",
}
MASK = "libellé masqué (compte de personnel)"


def masked_label(account: object, label: object) -> str:
    """The label, unless the line is on a ``42``, ``43`` or ``64`` account (pay postings name people)."""
    text = "" if label is None or label is pd.NA else str(label)
    if isinstance(account, str) and account.strip().startswith(PAY_ACCOUNTS):
        return MASK
    return text


# --- a ledger as arrays -------------------------------------------------------------------------


@dataclass
class _View:
    """What every test reads: one entry per line, in file order."""

    file: str | None
    line: np.ndarray  # line (FEC) or row number
    days: np.ndarray  # int64 day numbers since 1970-01-01, _NAT when unreadable
    amount: np.ndarray  # int64 cents shown as the line's amount (|D - C| for a FEC, montant otherwise)
    readable: np.ndarray  # bool: the amount was read
    label: np.ndarray | pd.Series  # object, or a FEC's categorical column
    account: np.ndarray | pd.Series  # object, "" when unknown
    sheet: np.ndarray | None = None

    def example(self, i: int) -> dict:
        days = self.days[i]
        out = {
            "file": self.file,
            "line": int(self.line[i]),
            "date": None if days == _NAT else (dt.date(1970, 1, 1) + dt.timedelta(days=int(days))).isoformat(),
            "amount": cents_to_euros(int(self.amount[i])) if self.readable[i] else None,
            "label": str(_at(self.label, i)),
            "account": str(_at(self.account, i)) or None,
        }
        if self.sheet is not None and isinstance(self.sheet[i], str):
            out["sheet"] = self.sheet[i]
        return out

    def examples(self, mask: np.ndarray) -> list[dict]:
        return [self.example(i) for i in np.flatnonzero(mask)[:EXAMPLES]]

    def listing(self, positions: np.ndarray, **extra: np.ndarray) -> pd.DataFrame:
        """The lines at ``positions`` (the first SHEET_LINES) as a small frame, column by column
        from index arrays (never a dict per line: a ledger may flag a hundred thousand):
        file, sheet, line, date, amount (cents, NA when unreadable), account, label (pay-posting
        labels masked), then ``extra`` (arrays aligned on ``positions``)."""
        at = np.asarray(positions[:SHEET_LINES], dtype=np.int64)
        days = self.days[at]
        dates = days.astype("datetime64[D]").astype(object)  # NaT -> None
        amount = pd.array(self.amount[at], dtype="Int64")
        amount[~self.readable[at]] = pd.NA
        account = _take(self.account, at)
        label = _take(self.label, at)
        pay = np.fromiter((isinstance(a, str) and a.strip().startswith(PAY_ACCOUNTS) for a in account), bool, len(at))
        frame = pd.DataFrame(
            {
                "file": self.file,
                "sheet": _take(self.sheet, at) if self.sheet is not None else None,
                "line": self.line[at].astype(np.int64),
                "date": dates,
                "amount": amount,
                "account": account,
                "label": np.where(pay, MASK, label),
            }
        )
        for name, values in extra.items():
            frame[name] = np.asarray(values)[: len(at)]
        return frame


def _at(values, i: int):
    """The i-th value of an array or of a Series (a categorical column of FEC lines)."""
    value = values.iloc[i] if isinstance(values, pd.Series) else values[i]
    return "" if value is None or value is pd.NA else value


def _take(values, at: np.ndarray) -> np.ndarray:
    """Texts of an array or of a (categorical) Series at positions, "" for missing ones."""
    taken = values.iloc[at] if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object)[at])
    if isinstance(taken.dtype, pd.CategoricalDtype):
        taken = taken.astype(object)
    return taken.where(taken.notna(), "").astype(object).to_numpy()


def _days(values) -> np.ndarray:
    """Day numbers of a datetime64 column or of ``datetime.date`` objects; _NAT where missing."""
    array = np.asarray(values)
    if array.dtype.kind != "M":  # dates repeat: convert each distinct one once
        codes, uniques = pd.factorize(array, use_na_sentinel=False)
        distinct = np.array([u if isinstance(u, dt.date) else None for u in uniques], dtype="datetime64[D]")
        array = distinct[codes]
    return array.astype("datetime64[D]").astype(np.int64)  # NaT is the smallest int64


def _texts(column: pd.Series) -> np.ndarray:
    if isinstance(column.dtype, pd.CategoricalDtype):
        return np.asarray(column.cat.categories, dtype=object)[column.cat.codes.to_numpy()]
    return column.fillna("").astype(object).to_numpy()


def _categories(column: pd.Series, function, index: np.ndarray | None = None) -> np.ndarray:
    """``function`` over a categorical column's categories (once each, only those of the lines of
    ``index`` when given), spread to those lines."""
    codes = column.cat.codes.to_numpy()
    if index is not None:
        used, codes = np.unique(codes[index], return_inverse=True)
    else:
        used = np.arange(len(column.cat.categories))
    categories = np.asarray(column.cat.categories, dtype=object)[used]
    return np.asarray([function(c) for c in categories])[codes]


def _numbered(categories: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Distinct EcritureNum texts as (prefix code, number): a number is the text's trailing
    digits as an integer, grouped by what precedes them (``HA000057`` is 57 in ``HA``,
    ``000123`` is 123 in ``""``); -1 when the text has no trailing digit (or more than 18)."""
    values = np.asarray(categories, dtype=object)
    size = len(values)
    prefixes = np.full(size, "", dtype=object)
    numbers = np.full(size, -1, dtype=np.int64)
    # All digits, none empty, none longer than 18 (most software): looked at joined, read at C speed.
    texts = values.tolist()
    if size and all(isinstance(v, str) for v in texts) and max(map(len, texts)) <= 18 and min(map(len, texts)) > 0:
        digits = "".join(texts)
        plain_only = digits.isascii() and digits.isdigit()
    else:
        plain_only = False
    if plain_only:
        return np.zeros(size, dtype=np.int64), np.fromiter(map(int, texts), dtype=np.int64, count=size)
    plain = np.fromiter(
        (isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 18 for v in values), bool, size
    )
    if plain.any():
        numbers[plain] = np.fromiter(map(int, values[plain]), dtype=np.int64, count=int(plain.sum()))
    for i in np.flatnonzero(~plain):
        text = str(values[i])
        found = _TRAILING_DIGITS.search(text)
        if found is None:
            continue
        prefixes[i] = text[: found.start()]
        if len(found.group(0).lstrip("0")) <= 18:  # beyond int64: not numbered
            numbers[i] = int(found.group(0))
    codes, _ = pd.factorize(prefixes)
    return codes.astype(np.int64), numbers


_TRAILING_DIGITS = re.compile(r"[0-9]+$")


# --- the tests ----------------------------------------------------------------------------------


def _first_digits(cents: np.ndarray) -> np.ndarray:
    """Leading digit of positive integers, exactly (no logarithm rounding at 10**k)."""
    power = np.searchsorted(_POW10, cents, side="right") - 1
    return cents // _POW10[power]


def _benford(view: _View) -> dict:
    mask = view.readable & (np.abs(view.amount) >= BENFORD_MIN)
    digits = np.zeros(len(mask), dtype=np.int64)
    digits[mask] = _first_digits(np.abs(view.amount[mask]))
    counts = np.bincount(digits[mask], minlength=10)[1:10]
    n = int(counts.sum())
    result = {
        "n": n,
        "observed": {str(d): int(c) for d, c in zip(range(1, 10), counts, strict=True)},
        "expected": dict(EXPECTED),
        "mad": None,
        "reading": None,
        "indicative": n < BENFORD_INDICATIVE,
        "digit": None,
        "examples": [],
    }
    if n:
        excess = counts / n - np.array(list(EXPECTED.values()))
        mad = float(np.abs(excess).mean())
        digit = int(np.argmax(excess)) + 1  # the most over-represented digit: where to look
        result.update(
            mad=round(mad, 6),
            reading=next((name for limit, name in NIGRINI if mad <= limit), "non_conformite"),
            digit=digit,
            examples=view.examples(mask & (digits == digit)),
        )
    return result


def _round_amounts(view: _View, flagged: dict | None = None) -> dict:
    cents = np.abs(view.amount)
    mask = view.readable & (cents != 0) & (cents % ROUND == 0)
    if flagged is not None:
        flagged["round_amounts"] = view.listing(np.flatnonzero(mask))
    total = int(cents[view.readable].sum())
    amount = int(cents[mask].sum())
    n = int(mask.sum())
    return {
        "n": n,
        "amount": cents_to_euros(amount),
        "share_lines": round(n / len(mask), 6) if len(mask) else None,
        "share_amount": round(amount / total, 6) if total else None,
        "examples": view.examples(mask),
    }


def _holidays(days: np.ndarray) -> dict[int, str]:
    """French public holidays (metropolitan) of the years present, as day number -> French name."""
    import holidays

    valid = days[days != _NAT]
    if not len(valid):
        return {}
    years = np.unique(valid.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970)
    calendar = holidays.France(years=[int(y) for y in years if 1 <= y <= 9999], language="fr")
    return {(day - dt.date(1970, 1, 1)).days: name for day, name in calendar.items()}


def _weekend_holiday(view: _View, flagged: dict | None = None) -> dict:
    valid = view.days != _NAT
    weekday = (view.days + 3) % 7  # 1970-01-01 was a Thursday; Monday is 0
    holidays = _holidays(view.days)
    holiday = valid & np.isin(view.days, np.fromiter(holidays, dtype=np.int64, count=len(holidays)))
    mask = (valid & (weekday >= 5)) | holiday
    if flagged is not None:
        listed = np.flatnonzero(mask)[:SHEET_LINES]
        days = [holidays.get(int(view.days[i])) or WEEKDAYS[int(weekday[i])] for i in listed]
        flagged["weekend_holiday"] = view.listing(listed, day=np.asarray(days, dtype=object))
    found = np.flatnonzero(mask)[:EXAMPLES]
    examples = [{**view.example(i), "day": holidays.get(int(view.days[i])) or WEEKDAYS[int(weekday[i])]} for i in found]
    return {"n": int(mask.sum()), "examples": examples}


def _cutoff(view: _View, piece_days: np.ndarray, start: dt.date, end: dt.date, flagged: dict | None = None) -> dict:
    first, last = (np.datetime64(d, "D").astype(np.int64) for d in (start, end))
    mask = (piece_days != _NAT) & (piece_days >= first) & (piece_days <= last) & (view.days != _NAT)
    mask &= view.days > last
    if flagged is not None:
        flagged["cutoff"] = view.listing(np.flatnonzero(mask))
    return {"n": int(mask.sum()), "examples": view.examples(mask)}


def _combined(*keys: np.ndarray) -> np.ndarray:
    """One integer code per distinct tuple of keys (each key an array of hashable values)."""
    codes = np.zeros(len(keys[0]), dtype=np.int64)
    for key in keys:
        part, uniques = pd.factorize(key)
        codes, _ = pd.factorize(codes * len(uniques) + part)
    return codes.astype(np.int64)


def _window_counts(key: np.ndarray, day: np.ndarray) -> np.ndarray:
    """For each line, the lines of its key (itself included) dated at most NEAR_DAYS days apart.

    Sorted once by (key, day), a line's window is a contiguous range found by binary search:
    O(n log n), whatever the number of pairs.
    """
    span = int(day.max()) + 2 * NEAR_DAYS + 1  # day >= 0: keys never overlap
    position = key.astype(np.int64) * span + day + NEAR_DAYS
    ordered = np.sort(position)
    return np.searchsorted(ordered, position + NEAR_DAYS, "right") - np.searchsorted(ordered, position - NEAR_DAYS)


def _near_duplicates(view: _View, eligible: np.ndarray, group_keys, piece_keys, flagged: dict | None = None) -> dict:
    """Lines with another line of their group, of another piece, at most NEAR_DAYS days apart.

    ``group_keys(index)`` and ``piece_keys(index)`` give the keys of the lines of ``index``.
    Only lines with a neighbour in their group need a piece key (a neighbour's neighbour is
    itself such a line); a line pairs when its window holds more lines than the lines of its
    own piece in that window.
    """
    index = np.flatnonzero(eligible & (view.days != _NAT) & view.readable)
    mask = np.zeros(len(eligible), dtype=bool)
    if flagged is not None:
        flagged["near_duplicates"] = view.listing(np.zeros(0, dtype=np.int64))
    if len(index) < 2:
        return {"n": 0, "examples": []}
    day = view.days[index] - view.days[index].min()
    group = _combined(*group_keys(index))
    near = _window_counts(group, day) > 1
    candidates = index[near]
    if len(candidates):
        group, day = group[near], day[near]
        same_piece = _combined(group, _combined(*piece_keys(candidates)))
        mask[candidates] = _window_counts(group, day) > _window_counts(same_piece, day)
    if flagged is not None:
        flagged["near_duplicates"] = view.listing(np.flatnonzero(mask))
    return {"n": int(mask.sum()), "examples": view.examples(mask)}


def _folded(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes of trimmed, case-folded texts (each distinct text folded once), and where empty."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    folded = np.array([u.strip().casefold() if isinstance(u, str) else "" for u in uniques] + [""], dtype=object)
    merged, keys = pd.factorize(folded)
    codes = merged[codes]
    return codes, (np.asarray(keys, dtype=object) == "")[codes]


def _numbering_gaps(view: _View, lines: pd.DataFrame, flagged: dict | None = None) -> dict:
    """Numbers missing in EcritureNum, per prefix group, over the file or within each journal.

    A number is an entry's trailing digits, grouped by what precedes them (SPEC 11). The
    numbering runs across journals unless a number (prefix and integer) appears in two
    journals; then within each journal. A file whose every EcritureNum is the same value has
    no numbering at all: ``absent``. A line set aside for its field count takes no part.
    """
    codes = lines["EcritureNum"].cat.codes.to_numpy()
    if flagged is not None:
        flagged["numbering_gaps"] = view.listing(np.zeros(0, dtype=np.int64), missing=[], after=[])
    if len(codes) and codes.min() == codes.max():
        return {"n": 0, "gaps": 0, "scope": "file", "journals": [], "examples": [], "absent": True}
    ok = ~lines["field_fault"].to_numpy() if "field_fault" in lines else np.ones(len(codes), dtype=bool)
    entry = lines["entry"].to_numpy()
    # Entries are numbered in order of first appearance: an entry's first line is where the
    # running maximum grows. An entry of lines set aside only takes no part.
    first = np.flatnonzero(np.r_[True, entry[1:] > np.maximum.accumulate(entry)[:-1]]) if len(entry) else entry
    read = np.zeros(int(entry.max()) + 1 if len(entry) else 0, dtype=bool)
    read[entry[ok]] = True
    first = first[read[entry[first]]]
    prefix, number = _numbered(lines["EcritureNum"].cat.categories)
    prefix, number = prefix[codes[first]], number[codes[first]]
    journal = lines["JournalCode"].cat.codes.to_numpy()[first].astype(np.int64)
    numbered = number >= 0
    journal, prefix, number, first = journal[numbered], prefix[numbered], number[numbered], first[numbered]
    # Each (journal, prefix, number) once, the first in file order (lexsort is stable).
    order = np.lexsort((number, prefix, journal))
    keep = np.r_[True, np.diff(journal[order]) != 0] if len(order) else np.zeros(0, dtype=bool)
    if len(order):
        keep |= np.r_[True, (np.diff(prefix[order]) != 0) | (np.diff(number[order]) != 0)]
    order = order[keep]
    journal, prefix, number, at = journal[order], prefix[order], number[order], first[order]
    # A number (prefix and integer) in two journals: numbering per journal, else across the file.
    by_number = np.lexsort((prefix, number))
    twice = (np.diff(prefix[by_number]) == 0) & (np.diff(number[by_number]) == 0)
    across = not twice.any()
    scope = prefix if across else _combined(journal, prefix)
    order = np.lexsort((at, number, scope))  # across: a (prefix, number) is in one journal only
    numbers, scopes, at = number[order], scope[order], at[order]
    step = np.ones(len(numbers), dtype=np.int64)
    same = scopes[1:] == scopes[:-1]
    step[1:][same] = numbers[1:][same] - numbers[:-1][same]
    holes = np.flatnonzero(step > 1)
    ordered = holes[np.argsort(at[holes], kind="stable")]
    gap = ordered[:EXAMPLES]
    if flagged is not None:
        listed = ordered[:SHEET_LINES]
        flagged["numbering_gaps"] = view.listing(
            at[listed], missing=step[listed] - 1, after=numbers[listed] - step[listed]
        )
    names = lines["JournalCode"].cat.categories
    checked = sorted({str(names[j]) for j in np.unique(journal)})
    examples = [
        {**view.example(int(at[i])), "missing": int(step[i] - 1), "after": int(numbers[i] - step[i])} for i in gap
    ]
    return {
        "n": int((step[step > 1] - 1).sum()),
        "gaps": len(holes),
        "scope": "file" if across else "journal",
        "journals": checked,
        "examples": examples,
        "absent": False,
    }


# --- the two entry points -----------------------------------------------------------------------


def _common(view: _View, flagged: dict | None) -> dict:
    return {
        "lines": len(view.line),
        "benford": _benford(view),
        "round_amounts": _round_amounts(view, flagged),
        "weekend_holiday": _weekend_holiday(view, flagged),
    }


def fec_analytics(
    ledger_lines: pd.DataFrame,
    period_start: dt.date,
    period_end: dt.date,
    *,
    file: str | None = None,
    integrity: dict | None = None,
    flagged: dict | None = None,
) -> dict:
    """The ``analytics`` object of results.json over every line of a FEC (:attr:`FecLedger.lines`).

    ``file`` and ``integrity`` default to what :func:`pexaudit.fec.read_fec` left in
    ``ledger_lines.attrs`` (the integrity is computed again from the lines when absent).
    ``flagged``, a dict, receives each test's flagged lines for the workbook (:meth:`_View.listing`:
    the first SHEET_LINES; results.json keeps its EXAMPLES).
    """
    from ..inputs.fec import fec_integrity

    lines = ledger_lines
    file = file if file is not None else lines.attrs.get("file")
    debit, credit = lines["debit"].to_numpy(), lines["credit"].to_numpy()
    view = _View(
        file=file,
        line=lines["line"].to_numpy(),
        days=_days(lines["EcritureDate"]),
        amount=np.abs(debit - credit),
        readable=lines["amount_ok"].to_numpy(),
        label=lines["EcritureLib"],  # read for the examples only: a million labels need no copy
        account=lines["CompteNum"],
    )
    supplier = _categories(lines["CompteNum"], lambda a: a.startswith("40")).astype(bool)
    aux = _categories(lines["CompAuxLib"], str.casefold)  # FecLedger.lines texts are stripped already
    side = np.sign(debit - credit)
    near = _near_duplicates(
        view,
        supplier & (aux != "") & (view.amount != 0),
        lambda i: (aux[i], side[i], view.amount[i]),
        lambda i: (_categories(lines["PieceRef"], str.casefold, i),),
        flagged,
    )
    integrity = integrity or lines.attrs.get("integrity") or fec_integrity(lines, file)
    return {
        **_common(view, flagged),
        "cutoff": _cutoff(view, _days(lines["PieceDate"]), period_start, period_end, flagged),
        "near_duplicates": near,
        "numbering_gaps": _numbering_gaps(view, lines, flagged),
        "fec": {k: integrity[k] for k in ("entries", "unbalanced", "format_lines", "date_lines", "multi_date_entries")},
    }


def expenses_analytics(expense_frame: pd.DataFrame, file: str, flagged: dict | None = None) -> dict:
    """The ``analytics`` object over the rows of an ordinary expenses file (montant and date);
    ``flagged`` as for :func:`fec_analytics`."""
    frame = expense_frame
    montant = frame["montant"]
    readable = montant.notna().to_numpy()
    view = _View(
        file=file,
        line=frame["row"].to_numpy(dtype=np.int64),
        days=_days(frame["date"]),
        amount=montant.fillna(0).to_numpy(dtype=np.int64),
        readable=readable,
        label=frame["libelle"].fillna("").to_numpy(dtype=object),
        account=frame["compte"].fillna("").to_numpy(dtype=object),
        sheet=frame["sheet"].to_numpy(dtype=object),
    )
    supplier, no_supplier = _folded(frame["fournisseur"].to_numpy(dtype=object))
    pieces = frame["piece"].to_numpy(dtype=object)
    near = _near_duplicates(
        view, ~no_supplier, lambda i: (supplier[i], view.amount[i]), lambda i: (_folded(pieces[i])[0],), flagged
    )
    return {
        **_common(view, flagged),
        "cutoff": None,
        "near_duplicates": near,
        "numbering_gaps": None,
        "fec": None,
    }


# --- integrity findings -------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n > 1 else ''}"


def _more(total: int, shown: int) -> str:
    return f" et {total - shown} autre{'s' if total - shown > 1 else ''}" if total > shown else ""


def integrity_findings(integrity: dict) -> list[Finding]:
    """FEC_EQUILIBRE, FEC_FORMAT (errors), FEC_DATES and FEC_ECRITURE (warnings): one finding per
    rule at most."""
    where = f"FEC « {integrity['file']} » : " if integrity.get("file") else "FEC : "
    found = []
    if n := integrity["unbalanced"]:
        shown = integrity["unbalanced_examples"]
        listed = ", ".join(f"{e['entry']} (ligne {e['line']}, écart {eur(abs(e['difference']))})" for e in shown)
        found.append(
            finding(
                "FEC_EQUILIBRE",
                f"{where}{_plural(n, 'écriture')} dont le débit et le crédit diffèrent, pour "
                f"{eur(integrity['unbalanced_amount'])} d'écarts cumulés : {listed}{_more(n, len(shown))}",
                integrity["unbalanced_amount"],
            )
        )
    if n := integrity["format_lines"]:
        shown = integrity["format_examples"]
        listed = ", ".join(f"ligne {e['line']} ({e['faults']})" for e in shown)
        found.append(
            finding(
                "FEC_FORMAT",
                f"{where}{_plural(n, 'ligne')} mal formée{'s' if n > 1 else ''} (nombre de champs, champ "
                f"obligatoire absent, date ou montant illisible) : {listed}{_more(n, len(shown))}",
            )
        )
    if n := integrity["date_lines"]:
        shown = integrity["date_examples"]
        listed = ", ".join(str(line) for line in shown)
        found.append(
            finding(
                "FEC_DATES",
                f"{where}{_plural(n, 'ligne')} validée{'s' if n > 1 else ''} avant {'leur' if n > 1 else 'sa'} date d'écriture "
                f"(ValidDate antérieure à EcritureDate) : ligne{'s' if len(shown) > 1 else ''} {listed}"
                f"{_more(n, len(shown))}",
            )
        )
    if n := integrity.get("multi_date_entries"):
        shown = integrity["multi_date_examples"]
        listed = ", ".join(
            f"{e['entry']} (ligne {e['line']} : {', '.join(_date_text(d) for d in e['dates'])})" for e in shown
        )
        found.append(
            finding(
                "FEC_ECRITURE",
                f"{where}{_plural(n, 'écriture')} datée{'s' if n > 1 else ''} de plusieurs jours (une écriture n'a "
                f"qu'une date : EcritureDate diffère entre ses lignes) : {listed}{_more(n, len(shown))}",
            )
        )
    return found


def _date_text(iso: str) -> str:
    return date_fr(dt.date.fromisoformat(iso))


# --- what the report and the workbook show ------------------------------------------------------


def _shown(example: dict) -> dict:
    """An example as the report shows it: date as a date, amount in cents, label masked."""
    date = example.get("date")
    amount = example.get("amount")
    return {
        **example,
        "date": dt.date.fromisoformat(date) if date else None,
        "amount": None if amount is None else euros_to_cents(amount),
        "label": masked_label(example.get("account"), example.get("label")),
    }


def _share(n: int, total: int) -> Fraction | None:
    return Fraction(n * 100, total) if total else None


def analytics_context(analytics: dict | None, chart: str | None = None) -> dict:
    """Template context of ``sections/analytics.html.j2``: amounts in cents, labels masked.

    ``chart`` is the Benford chart as a data URI (``charts.data_uri(charts.benford_chart(...))``).
    """
    if analytics is None:
        return {"analytics": None}
    lines = analytics["lines"]
    benford = analytics["benford"]
    n = benford["n"]
    digits = [
        {
            "digit": d,
            "observed": benford["observed"][d],
            "observed_pct": _share(benford["observed"][d], n),
            "expected_pct": benford["expected"][d] * 100,
        }
        for d in benford["observed"]
    ]
    tests = []
    for key, title in TESTS.items():
        result = analytics.get(key)
        if result is None:
            continue
        amount = result.get("amount")
        per_line = key not in ("benford", "numbering_gaps")  # Benford counts amounts, gaps count numbers
        flagged = {"benford": benford["observed"].get(str(benford["digit"]), 0), "numbering_gaps": result.get("gaps")}
        tests.append(
            {
                "key": key,
                "title": title,
                "n": result["n"],
                "pct": _share(result["n"], lines) if per_line else None,
                "amount": None if amount is None else euros_to_cents(amount),
                "flagged": flagged.get(key, result["n"]) or 0,
                "examples": [_shown(e) for e in result.get("examples", [])],
            }
        )
    return {
        "analytics": analytics,
        "lines": lines,
        "benford": {
            **benford,
            "digits": digits,
            "reading_label": READINGS.get(benford["reading"] or ""),
            "mad_text": None if benford["mad"] is None else number_fr(Decimal(str(benford["mad"])), 4),
        },
        "tests": tests,
        "fec": analytics.get("fec"),
        "numbering": analytics.get("numbering_gaps"),
        "chart": chart,
        "sheet": SHEET,
    }


SHEET = "Analyse du grand livre"  # the workbook sheet of analytics_sheet_rows
SHEET_HEADER = ["Test", "Constat", "Fichier", "Ligne", "Date", "Montant (€)", "Compte", "Libellé"]


def analytics_sheet_rows(analytics: dict | None, flagged: dict | None = None) -> list[list]:
    """Rows of the workbook sheet *Analyse du grand livre*: a header, then per test a summary row
    and the lines it flags (dates as dates, amounts in euros, pay-posting labels masked).

    With ``flagged`` (what :func:`fec_analytics` or :func:`expenses_analytics` filled), every
    flagged line up to SHEET_LINES per test, then the count of the rest (SPEC 11); without it,
    the examples of results.json. Benford's test lists its counts per first digit, no line."""
    rows: list[list] = [SHEET_HEADER]
    if analytics is None:
        return rows
    lines = analytics["lines"]
    for key, title in TESTS.items():
        result = analytics.get(key)
        if result is None:
            continue
        summary = f"{_plural(result['n'], 'ligne')} sur {lines}"
        if key == "benford":
            reading = READINGS.get(result["reading"] or "", "non calculé")
            mad = "—" if result["mad"] is None else number_fr(Decimal(str(result["mad"])), 4)
            summary = f"{result['n']} montants ; MAD {mad} : {reading}"
            summary += " (indicatif : moins de 500 montants)" if result["indicative"] else ""
        elif key == "numbering_gaps":
            summary = f"{_plural(result['n'], 'numéro')} manquant{'s' if result['n'] > 1 else ''}"
        elif key == "round_amounts":
            summary += f", {eur(euros_to_cents(result['amount']))}"
        rows.append([title, summary, None, None, None, None, None, None])
        if key == "benford":
            rows += _benford_rows(title, result)
            continue
        listed = None if flagged is None else flagged.get(key)
        if listed is None:
            for e in result.get("examples", []):
                shown = _shown(e)
                rows.append(
                    [title, None, e["file"], e["line"], shown["date"], e["amount"], e.get("account"), shown["label"]]
                )
            continue
        rows += _listed_rows(title, key, listed)
        total = result.get("gaps", 0) if key == "numbering_gaps" else result["n"]
        if total > len(listed):
            rest = total - len(listed)
            what = "trou" if key == "numbering_gaps" else "ligne"
            rows.append(
                [title, f"… et {number_fr(rest, 0)} {what}{'s' if rest > 1 else ''} de plus, au-delà des "
                 f"{number_fr(SHEET_LINES, 0)} premières",
                 None, None, None, None, None, None]
            )  # fmt: skip
    return rows


def _benford_rows(title: str, result: dict) -> list[list]:
    """Benford's test in the sheet: the count per first digit against the expected share."""
    n = result["n"]
    out = []
    for digit, count in result["observed"].items():
        share = f"{number_fr(Decimal(count * 100) / n, 1)} %" if n else "—"
        expected = number_fr(Decimal(str(result["expected"][digit] * 100)), 1)
        out.append(
            [title, f"premier chiffre {digit} : {_plural(count, 'montant')}, {share} (attendu {expected} %)",
             None, None, None, None, None, None]
        )  # fmt: skip
    return out


def _listed_rows(title: str, key: str, listed: pd.DataFrame) -> list[list]:
    """The flagged lines of one test (:meth:`_View.listing`) as sheet rows: column by column."""
    if key == "weekend_holiday":
        notes = listed["day"].tolist()
    elif key == "numbering_gaps":
        notes = [
            f"{_plural(int(m), 'numéro')} manquant{'s' if m > 1 else ''} après {int(a)}"
            for m, a in zip(listed["missing"], listed["after"], strict=True)
        ]
    else:
        notes = [None] * len(listed)
    amounts = [None if a is pd.NA else cents_to_euros(int(a)) for a in listed["amount"].tolist()]
    files = listed["file"].tolist()
    return [
        [title, note, file, int(line), day, amount, account or None, label]
        for note, file, line, day, amount, account, label in zip(
            notes, files, listed["line"].tolist(), listed["date"].tolist(), amounts, listed["account"].tolist(),
            listed["label"].tolist(), strict=True,
        )
    ]  # fmt: skip
