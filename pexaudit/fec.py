"""FEC ledgers (SPEC section 11): the whole general ledger -> expense rows, lines and integrity.

A FEC (*fichier des écritures comptables*, LPF art. A. 47 A-1) has 18 columns, tab- or
``|``-separated, in UTF-8 or ISO 8859-15. It can hold a million lines, so it is read column by
column: ``pandas.read_csv`` reads every field as text, then each column is factorised and only
its distinct values are stripped and parsed (a ledger has a few hundred distinct dates and
accounts; amounts repeat too). No Python loop runs over all the lines.

Three things come out (:class:`FecLedger`):

- ``table``: the expense rows of section 4.2, one per line on an account of
  ``inputs.accounts`` (and journal, and label when filtered), in the exact layout of
  :func:`pexaudit.readers.read_source` with ``kind = "fec"``;
- ``lines``: every line of the file, typed, for the ledger analytics;
- ``integrity``: balance of each entry (trimmed JournalCode + EcritureNum), malformed lines,
  lines validated before their date.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import functools
import hashlib
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .columns import FIELDS
from .errors import InputError
from .parsing import parse_amount, parse_date
from .readers import Table, account_lines

__all__ = [
    "FEC_COLUMNS",
    "MANDATORY",
    "FecLedger",
    "fec_integrity",
    "looks_like_fec",
    "read_fec",
]

FEC_COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib", "CompAuxNum",
    "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit", "EcritureLet", "DateLet",
    "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip
OPTIONAL = frozenset({"CompAuxNum", "CompAuxLib", "PieceDate", "EcritureLet", "DateLet", "Montantdevise", "Idevise"})
MANDATORY = tuple(c for c in FEC_COLUMNS if c not in OPTIONAL)
_SIGNATURE = ("journalcode", "ecriturenum", "ecrituredate", "comptenum")
_DATES = ("EcritureDate", "PieceDate", "DateLet", "ValidDate")
_AMOUNTS = ("Debit", "Credit", "Montant", "Montantdevise")
# Columns never used past the header check: not even read.
_UNREAD = frozenset({"CompAuxNum", "Idevise"})
_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")
_SENS = {"D": 1, "DEBIT": 1, "DÉBIT": 1, "C": -1, "CREDIT": -1, "CRÉDIT": -1}
EXAMPLES = 10  # offending entries or lines named in an integrity finding
_CHUNK = 1 << 22


@dataclass
class FecLedger:
    """A FEC read: its expense rows, every line, and its integrity counts.

    ``table``: the expense rows (``kind = "fec"``; ``row`` is the FEC line number; unreadable
    values in ``table.raw``). ``lines``: one row per FEC line, in file order, with ``line``,
    ``JournalCode``, ``EcritureNum``, ``CompteNum``, ``CompAuxLib``, ``PieceRef``,
    ``EcritureLib``, ``EcritureLet`` (trimmed texts, categorical), ``entry`` (int: trimmed
    JournalCode + EcritureNum, numbered in order of appearance), ``EcritureDate``,
    ``PieceDate``, ``DateLet``, ``ValidDate`` (datetime64, NaT when empty or unreadable),
    ``debit``, ``credit`` (int64 cents, 0 when unreadable), ``faults`` (bit mask, see
    :data:`FAULTS`), ``amount_ok`` and ``format_fault``; ``lines.attrs`` holds ``file`` and
    ``integrity``. ``integrity``: ``file``, ``entries``, ``unbalanced``, ``format_lines``,
    ``date_lines``, ``unbalanced_amount`` (cents, Σ |debit − credit| of the unbalanced
    entries) and the first ten of each: ``unbalanced_examples`` (entry, line, difference),
    ``format_examples`` (line, faults), ``date_examples`` (line numbers).
    """

    table: Table
    lines: pd.DataFrame
    integrity: dict
    encoding: str = "utf-8"
    separator: str = "\t"
    columns: dict[str, str] = field(default_factory=dict)  # FEC name -> header as written


# --- recognising and opening the file -----------------------------------------------------------


def _first_line(path: Path, encoding: str | None = None) -> str:
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if line.startswith(codecs.BOM_UTF8):
        line = line[3:]
    try:
        return line.decode(encoding or "utf-8")
    except UnicodeDecodeError:
        return line.decode("iso-8859-15")


def looks_like_fec(path: Path) -> bool:
    """True when the first line names JournalCode, EcritureNum, EcritureDate and CompteNum (any case)."""
    try:
        names = {n.strip().casefold() for n in re.split(r"[\t|;,]", _first_line(Path(path)))}
    except OSError:
        return False
    return all(name in names for name in _SIGNATURE)


def _sniff(path: Path) -> tuple[str, str]:
    """SHA-256 and encoding (UTF-8, with a BOM or valid, else ISO 8859-15), in one pass over the bytes."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8 = True
    with open(path, "rb") as handle:
        chunk = handle.read(_CHUNK)
        bom = chunk.startswith(codecs.BOM_UTF8)
        while chunk:
            digest.update(chunk)
            if utf8 and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            chunk = handle.read(_CHUNK)
    if utf8:
        try:
            decoder.decode(b"", final=True)  # a character cut at the end of the file
        except UnicodeDecodeError:
            utf8 = False
    return digest.hexdigest(), "utf-8" if utf8 or bom else "iso-8859-15"


def _header(path: Path, file: str, encoding: str) -> tuple[str, dict[str, str]]:
    """The separator and the FEC columns found (canonical name -> header as written)."""
    line = _first_line(path, encoding)
    separator = "\t" if "\t" in line else "|" if "|" in line else None
    if separator is None:
        raise InputError(
            "FEC : séparateur introuvable sur la ligne d'en-tête (attendu tabulation ou « | »)", file=file, row=1
        )
    written = {n.strip().casefold(): n for n in line.split(separator) if n.strip()}
    wanted = [*FEC_COLUMNS]
    if "debit" not in written and "credit" not in written and {"montant", "sens"} <= written.keys():
        wanted[wanted.index("Debit") : wanted.index("Credit") + 1] = ["Montant", "Sens"]
    missing = [name for name in wanted if name.casefold() not in written]
    if missing:
        raise InputError(
            f"FEC : colonne{'s' if len(missing) > 1 else ''} obligatoire{'s' if len(missing) > 1 else ''} "
            f"absente{'s' if len(missing) > 1 else ''} ({', '.join(missing)}) ; attendu les 18 colonnes de "
            "l'article A. 47 A-1 du LPF (Debit et Credit, ou Montant et Sens)",
            file=file,
            row=1,
            column=", ".join(missing),
        )
    return separator, {name: written[name.casefold()] for name in wanted}


def _read_text(
    path: Path, file: str, separator: str, encoding: str, columns: dict[str, str]
) -> tuple[dict[str, np.ndarray], dict[int, str]]:
    """Every field as text ("" when empty or missing), and the lines with too many fields.

    Blank lines are kept (a row of "") so that line numbers can be counted back; a line with
    more fields than the header (a separator inside a label) cannot be read field by field: it
    is left out and reported as a format fault of its line.
    """
    names = {written: name for name, written in columns.items()}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", pd.errors.ParserWarning)
        try:
            frame = pd.read_csv(
                path,
                sep=separator,
                encoding=encoding,
                encoding_errors="replace",  # a stray byte in a file marked UTF-8 spoils one label, not the read
                dtype=object,
                index_col=False,  # a trailing separator on data lines only
                quoting=csv.QUOTE_NONE,
                na_filter=False,
                keep_default_na=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
            )
        except pd.errors.ParserError as exc:
            raise InputError(f"FEC illisible ({exc})", file=file) from None
    broken = {
        int(line): f"{saw} champs au lieu de {expected} (séparateur dans un libellé ?)"
        for warning in caught
        for line, expected, saw in _SKIPPED.findall(str(warning.message))
    }
    return {name: frame[written].to_numpy() for written, name in names.items() if name not in _UNREAD}, broken


# --- column-wise parsing: each column factorised, its distinct values parsed once ---------------


class _Text:
    """A text column as codes into its distinct stripped values (``values[codes]`` is the column)."""

    def __init__(self, codes: np.ndarray, values: np.ndarray) -> None:
        self.codes, self.values = codes, values

    @classmethod
    def of(cls, raw: np.ndarray) -> _Text:
        """Factorise, then strip the distinct values only (``na_filter=False``: no missing value)."""
        codes, uniques = pd.factorize(raw)
        uniques = np.asarray(uniques, dtype=object)
        stripped = [v.strip() for v in uniques]
        if stripped == list(uniques):
            return cls(codes, uniques)
        merged, values = pd.factorize(np.asarray(stripped, dtype=object))
        return cls(merged[codes], np.asarray(values, dtype=object))

    def take(self, keep: np.ndarray) -> _Text:
        return _Text(self.codes[keep], self.values)

    @functools.cached_property
    def blank(self) -> np.ndarray:
        return (self.values == "")[self.codes]

    def texts(self, index: np.ndarray) -> np.ndarray:
        return self.values[self.codes[index]]

    def categorical(self) -> pd.Categorical:
        return pd.Categorical.from_codes(self.codes, categories=pd.Index(self.values, dtype=object), validate=False)

    def map_values(self, function) -> np.ndarray:
        """``function`` over the distinct values, spread to every line."""
        return np.asarray([function(v) for v in self.values])[self.codes]


# Below this many cents, a decimal text with at most two decimals goes through a float and back
# to the exact integer: |error| of float(text) * 100 stays far below half a cent (2**53 / 100 is
# about 9e13 euros). Larger values, and every other spelling, go through parse_amount.
_EXACT_LIMIT = 10**14


def _amount_values(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cents and readability of distinct amount texts (``0000000069,60``, ``-12.5``, ``1 234,56``).

    ``to_numeric`` reads the plain ones at C speed (``1e5`` too: unambiguous, so accepted); the
    rest (three decimals, thousands separators, a currency sign) go through parse_amount.
    """
    dotted = "\n".join(values).replace(",", ".").split("\n") if len(values) else []  # no "\n" in a field
    number = pd.to_numeric(pd.Series(dotted, dtype=object), errors="coerce").to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        scaled = number * 100
        rounded = np.rint(scaled)
        fast = np.isfinite(scaled) & (np.abs(scaled - rounded) < 1e-6) & (np.abs(rounded) < _EXACT_LIMIT)
    cents = np.where(fast, rounded, 0).astype(np.int64)
    ok = fast.copy()
    for i in np.flatnonzero(~fast & (values != "")):
        with contextlib.suppress(ValueError):
            cents[i], ok[i] = parse_amount(values[i]), True
    return cents, ok


def _date_value(text: str) -> np.datetime64:
    if not text:
        return np.datetime64("NaT", "D")
    try:
        if len(text) == 8 and text.isdigit():
            return np.datetime64(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])), "D")
        return np.datetime64(parse_date(text), "D")
    except ValueError:
        return np.datetime64("NaT", "D")


@dataclass
class _Parsed:
    """Per line: cents (0 when unreadable), dates (NaT), and fault bits."""

    debit: np.ndarray
    credit: np.ndarray
    dates: dict[str, np.ndarray]  # FEC date column -> datetime64[D]
    faults: np.ndarray  # uint64 bit mask, bits as in FAULTS


# (column, what) of each fault bit, in the order the message lists them.
FAULTS: tuple[tuple[str, str], ...] = (
    *((name, "absent") for name in (*MANDATORY, "Montant", "Sens")),
    *((name, "illisible") for name in (*_DATES, *_AMOUNTS, "Sens")),
)
_BIT = {fault: np.uint64(1) << np.uint64(i) for i, fault in enumerate(FAULTS)}


def _parse(cols: dict[str, _Text]) -> _Parsed:
    size = len(next(iter(cols.values())).codes)
    faults = np.zeros(size, dtype=np.uint64)

    def flag(mask: np.ndarray, fault: tuple[str, str]) -> None:
        np.bitwise_or(faults, _BIT[fault], out=faults, where=mask)

    for name in (*MANDATORY, "Montant", "Sens"):
        if name in cols:
            flag(cols[name].blank, (name, "absent"))
    dates = {}
    for name in _DATES:
        col = cols[name]
        values = np.array([_date_value(v) for v in col.values], dtype="datetime64[D]")
        dates[name] = values[col.codes]
        flag(np.isnat(dates[name]) & ~col.blank, (name, "illisible"))
    amounts = {}
    for name in _AMOUNTS:
        if name in cols:
            cents, ok = _amount_values(cols[name].values)
            amounts[name] = cents[cols[name].codes]
            flag(~ok[cols[name].codes] & ~cols[name].blank, (name, "illisible"))
    if "Montant" in cols:
        side = cols["Sens"].map_values(lambda v: _SENS.get(v.upper(), 0))
        flag((side == 0) & ~cols["Sens"].blank, ("Sens", "illisible"))
        readable = ~_has(faults, ("Montant", "illisible"))
        debit = np.where((side == 1) & readable, amounts["Montant"], 0)
        credit = np.where((side == -1) & readable, amounts["Montant"], 0)
    else:
        debit = np.where(_has(faults, ("Debit", "illisible")), 0, amounts["Debit"])
        credit = np.where(_has(faults, ("Credit", "illisible")), 0, amounts["Credit"])
    return _Parsed(debit.astype(np.int64), credit.astype(np.int64), dates, faults)


def _has(faults: np.ndarray, *which: tuple[str, str]) -> np.ndarray:
    mask = np.uint64(0)
    for fault in which:
        mask |= _BIT[fault]
    return (faults & mask) != 0


def _amount_faults() -> tuple[tuple[str, str], ...]:
    return tuple(f for f in FAULTS if f[0] in ("Debit", "Credit", "Montant", "Sens"))


def describe_faults(bits: int) -> str:
    """``EcritureDate illisible, CompteLib absent`` for one line's fault bits."""
    return ", ".join(f"{name} {what}" for name, what in FAULTS if int(bits) & int(_BIT[(name, what)]))


# --- lines and integrity -----------------------------------------------------------------------


def _entries(journal: _Text, number: _Text) -> np.ndarray:
    """Entry id per line (trimmed JournalCode + EcritureNum), numbered in order of first appearance."""
    combined = journal.codes.astype(np.int64) * len(number.values) + number.codes
    codes, _ = pd.factorize(combined)
    return codes.astype(np.int64)


def _lines_frame(numbers: np.ndarray, cols: dict[str, _Text], parsed: _Parsed) -> pd.DataFrame:
    """Every line, typed: texts as categoricals (a ledger repeats them), cents, dates, fault bits."""
    texts = ("CompteNum", "CompAuxLib", "PieceRef", "EcritureLib", "EcritureLet")
    columns = {
        "line": numbers.astype(np.int64),
        "JournalCode": cols["JournalCode"].categorical(),
        "EcritureNum": cols["EcritureNum"].categorical(),
        "entry": _entries(cols["JournalCode"], cols["EcritureNum"]),
        **{name: parsed.dates[name].astype("datetime64[s]") for name in _DATES},
        **{name: cols[name].categorical() for name in texts},
        "debit": parsed.debit,
        "credit": parsed.credit,
        "faults": parsed.faults,
        "amount_ok": ~_has(parsed.faults, *_amount_faults()),
        "format_fault": parsed.faults != 0,
    }
    return pd.DataFrame(columns, copy=False)  # one construction: assigning column by column re-checks each


def fec_integrity(lines: pd.DataFrame, file: str | None = None, broken: dict[int, str] | None = None) -> dict:
    """Counts of SPEC section 11 and the first offending entries and lines (amounts in cents).

    ``broken``: lines the parser could not split (line -> why), format faults outside ``lines``.
    """
    entry = lines["entry"].to_numpy()
    count = int(entry.max()) + 1 if len(entry) else 0
    balance = np.zeros(count, dtype=np.int64)
    np.add.at(balance, entry, lines["debit"].to_numpy() - lines["credit"].to_numpy())
    off = np.flatnonzero(balance)  # entry ids run in file order
    shown = pd.Series(entry).iloc[np.flatnonzero(np.isin(entry, off[:EXAMPLES]))].drop_duplicates()
    unbalanced = [
        {
            "entry": f"{lines['JournalCode'].iat[i]} {lines['EcritureNum'].iat[i]}".strip(),
            "line": int(lines["line"].iat[i]),
            "difference": int(balance[e]),
        }
        for i, e in shown.items()
    ]
    fault = lines["format_fault"].to_numpy()
    valid, date = lines["ValidDate"].to_numpy(), lines["EcritureDate"].to_numpy()
    early = ~np.isnat(valid) & ~np.isnat(date) & (valid < date)
    faulty = [
        {"line": int(lines["line"].iat[i]), "faults": describe_faults(lines["faults"].iat[i])}
        for i in np.flatnonzero(fault)[:EXAMPLES]
    ]
    faulty += [{"line": n, "faults": why} for n, why in sorted((broken or {}).items())[:EXAMPLES]]
    return {
        "file": file,
        "entries": count,
        "unbalanced": len(off),
        "format_lines": int(fault.sum()) + len(broken or {}),
        "date_lines": int(early.sum()),
        "unbalanced_amount": int(np.abs(balance[off]).sum()),
        "unbalanced_examples": unbalanced,
        "format_examples": sorted(faulty, key=lambda e: e["line"])[:EXAMPLES],
        "date_examples": [int(n) for n in lines["line"].to_numpy()[np.flatnonzero(early)[:EXAMPLES]]],
    }


# --- expense rows -------------------------------------------------------------------------------


def _prefix_lines(accounts: dict[str, str], values: np.ndarray) -> np.ndarray:
    """The budget line of each distinct account (None: unmapped), as for any ledger."""
    line_of = account_lines(accounts)
    return np.array([line_of(account) for account in values], dtype=object)


def _selected(cols: dict[str, _Text], accounts, journals, label_contains) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the lines that become expense rows, and their budget line ids."""
    line_of = _prefix_lines(accounts, cols["CompteNum"].values)
    mapped = pd.notna(line_of)[cols["CompteNum"].codes]
    if journals is not None:
        wanted = {j.strip().casefold() for j in journals}
        mapped &= cols["JournalCode"].map_values(lambda v: v.casefold() in wanted).astype(bool)
    index = np.flatnonzero(mapped)
    if label_contains is not None and len(index):
        needles = [n.casefold() for n in label_contains if n.strip()]
        keep = np.zeros(len(index), dtype=bool)
        for name in ("EcritureLib", "PieceRef"):
            col, rest = cols[name], index[~keep]
            seen = np.unique(col.codes[rest])
            hits = seen[[any(n in col.values[c].casefold() for n in needles) for c in seen]]
            keep[~keep] = np.isin(col.codes[rest], hits)
        index = index[keep]
    return index, line_of[cols["CompteNum"].codes[index]]


def _entry_facts(entry: np.ndarray, cols: dict[str, _Text], wanted: np.ndarray) -> pd.DataFrame:
    """Per entry of ``wanted``: the first ``40`` line (its index) and whether a ``51``/``53`` line exists."""
    members = np.flatnonzero(np.isin(entry, wanted))
    prefix = cols["CompteNum"].map_values(lambda a: a[:2])[members]
    sub = pd.DataFrame({"entry": entry[members], "index": members, "prefix": prefix})
    supplier = sub[sub["prefix"] == "40"].drop_duplicates("entry").set_index("entry")["index"]
    bank = sub.loc[sub["prefix"].isin(["51", "53"]), "entry"].to_numpy()
    facts = pd.DataFrame(index=pd.Index(wanted, name="entry"))
    facts["supplier_line"] = supplier.reindex(facts.index).fillna(-1).astype(np.int64)
    facts["bank"] = np.isin(wanted, bank)
    return facts


def _date_objects(values: np.ndarray) -> list:
    return [None if np.isnat(v) else v.astype(dt.date) for v in values]


class _Rows:
    """The selected lines (``index``, file order) and what section 11 derives for each.

    Each method returns arrays aligned on ``index``; a text is kept beside each parsed value
    so that an unreadable one can be shown (FORMAT).
    """

    def __init__(self, index: np.ndarray, cols: dict[str, _Text], parsed: _Parsed, entry: np.ndarray) -> None:
        self.index, self.cols, self.parsed = index, cols, parsed
        facts = _entry_facts(entry, cols, np.unique(entry[index]))
        supplier = facts["supplier_line"].reindex(entry[index]).to_numpy()
        self.bank = facts["bank"].reindex(entry[index]).to_numpy(dtype=bool)
        self.has_supplier = supplier >= 0
        self.supplier = np.where(self.has_supplier, supplier, 0)  # the entry's 40 line (0: none, masked)

    def text(self, name: str, at: np.ndarray | None = None) -> np.ndarray:
        return self.cols[name].texts(self.index if at is None else at)

    def fournisseur(self) -> np.ndarray:
        """CompAuxLib of the entry's 40 line, else EcritureLib."""
        aux = np.where(self.has_supplier, self.text("CompAuxLib", self.supplier), "")
        return np.where(aux != "", aux, self.text("EcritureLib"))

    def date(self) -> tuple[np.ndarray, np.ndarray]:
        """PieceDate, EcritureDate when it is empty; the text read, naming its column."""
        given = ~self.cols["PieceDate"].blank[self.index]
        dates = self.parsed.dates
        date = np.where(given, dates["PieceDate"][self.index], dates["EcritureDate"][self.index])
        text = np.where(given, self.text("PieceDate"), self.text("EcritureDate"))
        shown = np.where(
            text != "", np.char.add(text.astype(str), np.where(given, " (PieceDate)", " (EcritureDate)")), ""
        )
        return date, shown

    def paid(self) -> tuple[np.ndarray, np.ndarray]:
        """DateLet of a lettered 40 line; EcritureDate with no 40 line but a 51/53 line; else empty."""
        lettered = self.has_supplier & ~self.cols["EcritureLet"].blank[self.supplier]
        on_spot = ~self.has_supplier & self.bank
        dates = self.parsed.dates
        paid = np.where(lettered, dates["DateLet"][self.supplier], np.datetime64("NaT", "D"))
        paid = np.where(on_spot, dates["EcritureDate"][self.index], paid)
        text = np.where(lettered, self.text("DateLet", self.supplier), "")
        return paid, np.where(on_spot, self.text("EcritureDate"), text)

    def montant(self) -> tuple[pd.arrays.IntegerArray, np.ndarray, np.ndarray]:
        """Debit - Credit (missing when a field is absent or unreadable), whether given, the texts read."""
        bad = _has(self.parsed.faults[self.index], *_amount_faults())
        montant = pd.array(self.parsed.debit[self.index] - self.parsed.credit[self.index], dtype="Int64")
        montant[bad] = pd.NA
        first, second = ("Montant", "Sens") if "Montant" in self.cols else ("Debit", "Credit")
        given = ~(self.cols[first].blank[self.index] & self.cols[second].blank[self.index])
        shown = np.full(len(self.index), "", dtype=object)
        for position in np.flatnonzero(bad & given):
            i = self.index[position : position + 1]
            shown[position] = f"{first} « {self.text(first, i)[0]} », {second} « {self.text(second, i)[0]} »"
        return montant, given, shown


def _expense_frame(
    rows: _Rows, line_ids: np.ndarray, numbers: np.ndarray, table: Table, row_id_start: int
) -> pd.DataFrame:
    """One expense row per selected line, columns and dtypes as :func:`readers._build` makes them."""
    size = len(rows.index)
    row_ids = np.arange(row_id_start, row_id_start + size, dtype=np.int64)
    date, date_text = rows.date()
    paid, paid_text = rows.paid()
    montant, montant_given, montant_text = rows.montant()
    for column, missing, text in (
        ("date", np.isnat(date), date_text),
        ("date_paiement", np.isnat(paid), paid_text),
        ("montant", pd.isna(montant), montant_text),
    ):
        for position in np.flatnonzero(missing & (text != "")):
            table.raw[(int(row_ids[position]), column)] = str(text[position])
    values = {
        "piece": rows.text("PieceRef"),
        "date": _date_objects(date),
        "date_paiement": _date_objects(paid),
        "fournisseur": rows.fournisseur(),
        "libelle": rows.text("EcritureLib"),
        "compte": rows.text("CompteNum"),
        "ligne": line_ids,
        "montant": montant,
        "payeur": np.full(size, "", dtype=object),  # the beneficiary's own books: no payer
        "code_analytique": np.full(size, "", dtype=object),
    }
    given = {"date": date_text != "", "date_paiement": paid_text != "", "montant": montant_given}
    frame = pd.DataFrame({"row_id": row_ids})
    frame["source"] = pd.Series(["expenses"] * size, dtype=object)
    frame["file"] = pd.Series([table.file] * size, dtype=object)
    frame["sheet"] = pd.Series([None] * size, dtype=object)
    frame["row"] = numbers[rows.index].astype(np.int64)
    for name, column in FIELDS["expenses"].items():
        if name in ("debit", "credit"):
            continue  # a ledger's columns: montant = debit - credit, as readers.py does
        kind = column.kind
        # A field a FEC does not fill (none today) is empty: "" for text, missing otherwise.
        value = values.get(name, np.full(size, "" if kind == "text" else None, dtype=object))
        if kind == "amount":
            frame[name] = pd.array(value, dtype="Int64")
        else:
            frame[name] = pd.Series(list(value), dtype=object)
        if kind != "text":
            frame[f"{name}_given"] = pd.Series(np.asarray(given.get(name, np.zeros(size)), dtype=bool), dtype=bool)
    return frame


# --- the reader ---------------------------------------------------------------------------------


def read_fec(
    path: Path,
    file: str,
    *,
    accounts: dict[str, str],
    journals: tuple[str, ...] | None = None,
    label_contains: tuple[str, ...] | None = None,
    row_id_start: int = 0,
) -> FecLedger:
    """Read a FEC: expense rows of the mapped lines, every line, integrity (SPEC section 11).

    ``accounts`` maps an account prefix to a budget line id (the longest prefix wins);
    ``journals`` and ``label_contains`` (EcritureLib or PieceRef contains one, case ignored)
    narrow the lines taken. Raises :class:`InputError` for a missing file or column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("fichier introuvable", file=file)
    if path.stat().st_size == 0:
        raise InputError("fichier vide : attendu la ligne d'en-tête d'un FEC puis ses lignes", file=file)
    sha256, encoding = _sniff(path)
    separator, columns = _header(path, file, encoding)
    text, broken = _read_text(path, file, separator, encoding, columns)
    cols = {name: _Text.of(text.pop(name)) for name in list(text)}
    size = len(next(iter(cols.values())).codes)
    # Line numbers: line 1 is the header; the lines left out by the parser leave their number.
    numbers = np.arange(2, size + len(broken) + 2)
    if broken:
        numbers = numbers[~np.isin(numbers, np.fromiter(broken, dtype=np.int64))]
    keep = ~np.logical_and.reduce([c.blank for c in cols.values()]) if size else np.zeros(0, dtype=bool)
    if not keep.all():
        cols = {name: c.take(keep) for name, c in cols.items()}
        numbers = numbers[keep]
    parsed = _parse(cols)
    lines = _lines_frame(numbers, cols, parsed)
    integrity = fec_integrity(lines, file, broken)
    lines.attrs.update(file=file, integrity=integrity)

    table = Table("expenses", file, path, sha256, pd.DataFrame(), header_row=1, kind="fec")
    index, line_ids = _selected(cols, accounts, journals, label_contains)
    rows = _Rows(index, cols, parsed, lines["entry"].to_numpy())
    table.frame = _expense_frame(rows, line_ids, numbers, table, row_id_start)
    amount = "Montant, Sens" if "Montant" in cols else f"{columns['Debit']} − {columns['Credit']}"
    table.headers = {
        "piece": columns["PieceRef"], "date": f"{columns['PieceDate']} ({columns['EcritureDate']} si vide)",
        "date_paiement": f"{columns['DateLet']} (ligne 40 lettrée) ou {columns['EcritureDate']} (banque, caisse)",
        "fournisseur": f"{columns['CompAuxLib']} (ligne 40) ou {columns['EcritureLib']}",
        "libelle": columns["EcritureLib"], "compte": columns["CompteNum"], "ligne": "inputs.accounts",
        "montant": amount,
    }  # fmt: skip
    sep_name = "tabulation" if separator == "\t" else "« | »"
    table.notes.append(
        f"FEC lu en {encoding}, séparateur {sep_name} : {len(lines)} lignes, {integrity['entries']} écritures, "
        f"{len(index)} lignes retenues sur les comptes de inputs.accounts"
    )
    return FecLedger(table, lines, integrity, encoding, separator, columns)
