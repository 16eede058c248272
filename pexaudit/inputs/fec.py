"""FEC ledgers (SPEC section 11): the whole general ledger -> expense rows, lines and integrity.

A FEC (*fichier des écritures comptables*, LPF art. A. 47 A-1) has 18 columns, tab- or
``|``-separated, in UTF-8 or ISO 8859-15. It can hold a million lines, so it is read column by
column, in two passes that no Python loop runs through line by line:

- one over the bytes (:func:`_scan`, numpy per chunk): the hash, the encoding, every record
  end as the norm has them (LF, CR LF, CR alone, CR CR LF) and the field count of every
  record, so that the field-count rule applies wherever the line is;
- ``pandas.read_csv``, which splits the fields as text; each column is then factorised and
  only its distinct values are stripped and parsed (a ledger has a few hundred distinct dates
  and accounts; amounts repeat too).

Three things come out (:class:`FecLedger`):

- ``table``: the expense rows of section 4.2, one per line on an account of
  ``inputs.accounts`` (and journal, and label when filtered), in the layout of
  :func:`pexaudit.readers.read_source` with ``kind = "fec"``, then :data:`FEC_EXTRA_COLUMNS`
  (where the payment date came from, the entry's third party);
- ``lines``: every line of the file, typed, for the ledger analytics and the books;
- ``integrity``: balance of each entry (trimmed JournalCode + EcritureNum), malformed lines and
  lines set aside for their field count, lines validated before their date, entries dated on
  several days.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import hashlib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .columns import FIELDS
from .parsing import parse_amount
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
_UNREAD = frozenset({"Idevise"})
# Optional columns kept as read, not coded: only the lettering chain reads them, on few lines.
_AS_READ = ("EcritureLet", "CompAuxNum")
# Sens (SPEC 11): D or C, or +1 / -1 (1 is +1); case ignored.
_SENS = {"D": 1, "C": -1, "+1": 1, "-1": -1, "1": 1}
EXAMPLES = 10  # offending entries or lines named in an integrity finding
_CHUNK = 1 << 20


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
    reading: dict = field(default_factory=dict)  # how the records were read: see read_fec


# --- recognising and opening the file -----------------------------------------------------------


def _first_line(path: Path, encoding: str | None = None) -> str:
    """The header: the bytes up to the first CR or LF (a file whose records end with CR alone too)."""
    with open(path, "rb") as handle:
        head = handle.read(1 << 16)
    line = re.split(rb"[\r\n]", head, maxsplit=1)[0]
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


def _separator_of(line: str) -> str | None:
    return "\t" if "\t" in line else "|" if "|" in line else None


@dataclass
class _Bytes:
    """What one pass over the bytes finds: hash, encoding, and every CR and LF byte.

    ``ends`` are the positions of the CR and LF bytes in file order, ``kinds`` their byte (13 or
    10), ``seps`` the number of separators before each: the field count of any record is a
    difference of two of them. CR, LF, tab and ``|`` are single bytes in UTF-8 and ISO 8859-15
    alike, never part of another character, so the bytes can be counted before decoding.
    """

    sha256: str
    encoding: str
    size: int
    ends: np.ndarray
    kinds: np.ndarray
    seps: np.ndarray
    total_seps: int
    last_seps: np.ndarray  # position of the last separator before each end (-1: none)
    last_sep: int  # position of the last separator of the file (-1: none)


def _scan(path: Path, separator: str | None) -> _Bytes:
    """SHA-256, encoding (UTF-8, with a BOM or valid all through, else ISO 8859-15) and record
    ends, in one pass over the bytes.

    Column-wise: per chunk, one comparison finds the record ends and the separators, and the
    separators before each end are counted from their ranks; no Python loop runs over the lines.
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8, bom, size, carry, last = True, False, 0, 0, -1
    sep = ord(separator or "\t")
    ends, kinds, seps, lasts = [], [], [], []
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            if not size:
                bom = chunk.startswith(codecs.BOM_UTF8)
            digest.update(chunk)
            if utf8 and not chunk.isascii():
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    utf8 = False
            data = np.frombuffer(chunk, dtype=np.uint8)
            if sep == 9:  # tab, LF and CR are all control bytes: one comparison finds the three
                control = np.flatnonzero(data <= 13)
                kind = data[control]
                other = np.flatnonzero(kind != 9)  # every control byte but the tabs
                # the last tab before each of them: the control byte just before it when a tab,
                # else the last tab before the control byte before it (carried forward)
                previous = other - 1
                tab_before = (previous >= 0) & (kind[np.maximum(previous, 0)] == 9)
                latest = np.where(tab_before, control[np.maximum(previous, 0)] + size, -1)
                latest = np.maximum.accumulate(np.maximum(latest, last)) if len(latest) else latest
                pick = (kind[other] == 10) | (kind[other] == 13)
                at = other[pick]
                found = control[at]
                # the tabs before the k-th non-tab control byte: its rank among control bytes minus k
                before = at - np.flatnonzero(pick)
                count = len(control) - len(other)
                last_sep = latest[pick]
                if count:
                    tail = len(control) - 1
                    last = int(control[tail]) + size if not len(other) or other[-1] < tail else int(latest[-1])
            else:
                mask = data == 10
                if b"\r" in chunk:
                    mask |= data == 13
                found = np.flatnonzero(mask)
                positions = np.flatnonzero(data == sep)
                before = np.searchsorted(positions, found)
                count = len(positions)
                last_sep = np.where(before > 0, positions[np.maximum(before - 1, 0)] + size, last) if count else (
                    np.full(len(found), last, dtype=np.int64))  # fmt: skip
                if count:
                    last = int(positions[-1]) + size
            ends.append(found + size)
            kinds.append(data[found])
            seps.append(before + carry)
            lasts.append(last_sep)
            carry += count
            size += len(data)
    if utf8:
        try:
            decoder.decode(b"", final=True)  # a character cut at the end of the file
        except UnicodeDecodeError:
            utf8 = False
    join = lambda parts, dtype: np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)  # noqa: E731
    return _Bytes(
        digest.hexdigest(),
        "utf-8" if utf8 or bom else "iso-8859-15",
        size,
        join(ends, np.int64),
        join(kinds, np.uint8),
        join(seps, np.int64),
        carry,
        join(lasts, np.int64),
        last,
    )


def _sniff(path: Path) -> tuple[str, str]:
    """SHA-256 and encoding of a file (UTF-8, with a BOM or valid, else ISO 8859-15)."""
    scanned = _scan(path, _separator_of(_first_line(path)))
    return scanned.sha256, scanned.encoding


# How a record ends, as ``check`` names it.
ENDINGS = {"LF": "LF (Unix)", "CRLF": "CR LF (Windows)", "CR": "CR seul (ancien Mac)", "CRCRLF": "CR CR LF",
           "EOF": "fin de fichier"}  # fmt: skip
_ENDING_CODES = tuple(ENDINGS)


@dataclass
class _Records:
    """The records of the file as SPEC 11 counts them, and as the C parser of pandas sees them.

    pandas ends a record at LF, CR LF and CR alone, so a run of CRs before an LF (``CR CR LF``,
    one record end for the norm) makes it see empty records in between: ``phantom`` marks them.
    Arrays are per pandas record, header included: ``fields`` (separators + 1), ``start`` and
    ``stop`` (byte offsets of its text), ``ending`` (how it ends: a key of :data:`ENDINGS`).
    """

    fields: np.ndarray
    start: np.ndarray
    stop: np.ndarray
    phantom: np.ndarray
    ending: np.ndarray  # uint8: index in _ENDING_CODES
    last_sep: np.ndarray  # position of the record's last separator (before ``start`` when it has none)


def _records(scanned: _Bytes) -> _Records:
    ends, kinds, seps = scanned.ends, scanned.kinds, scanned.seps
    n = len(ends)
    cr = kinds == 13
    follows = np.zeros(n, dtype=bool)  # the byte after is the next CR or LF found
    lf_next = np.zeros(n, dtype=bool)
    if cr.any():
        follows[:-1] = ends[1:] == ends[:-1] + 1
        lf_next[:-1] = follows[:-1] & (kinds[1:] == 10)
    if not cr.any():  # LF only, as most exports: every end is a record end for both
        stops = np.arange(n)
        absorbed = crlf_before = np.zeros(n, dtype=bool)
    else:
        # pandas: every LF ends a record (a CR just before it included), and every CR not followed by LF.
        stops = np.flatnonzero(~cr | ~lf_next)
        # The norm: a CR whose run of CRs ends just before an LF belongs to that LF's record end.
        lf_index = np.flatnonzero(~cr)
        following = np.searchsorted(lf_index, np.arange(n))  # the next LF, among the LFs
        has_lf = following < len(lf_index)
        last_lf = max(len(lf_index) - 1, 0)
        next_lf = lf_index[np.minimum(following, last_lf)] if len(lf_index) else np.zeros(n, np.int64)
        absorbed = cr & has_lf & ((ends[next_lf] - ends) == (next_lf - np.arange(n)))
        crlf_before = np.zeros(n, dtype=bool)  # an LF right after a CR: pandas' CR LF
        crlf_before[1:] = ~cr[1:] & cr[:-1] & follows[:-1]
    last_end = int(ends[stops[-1]]) + 1 if len(stops) else 0
    tail = scanned.size > last_end  # text after the last record end: one more record
    count = len(stops) + int(tail)
    start = np.zeros(count, dtype=np.int64)
    start[1:] = ends[stops[: count - 1]] + 1
    stop = np.full(count, scanned.size, dtype=np.int64)
    stop[: len(stops)] = ends[stops] - crlf_before[stops]
    before_stop = np.append(seps[stops], scanned.total_seps) if tail else seps[stops]
    before_start = np.zeros(count, dtype=np.int64)
    before_start[1:] = before_stop[:-1]
    fields = before_stop - before_start + 1
    phantom = np.zeros(count, dtype=bool)
    phantom[1:] = absorbed[stops[: count - 1]]  # the record after a CR that the norm joins to its LF
    ending = np.full(count, _ENDING_CODES.index("EOF"), dtype=np.uint8)
    code = {name: _ENDING_CODES.index(name) for name in _ENDING_CODES}
    ending[: len(stops)] = np.where(
        cr[stops],
        np.where(absorbed[stops], code["CRCRLF"], code["CR"]),
        np.where(crlf_before[stops], code["CRLF"], code["LF"]),
    )
    last_sep = np.append(scanned.last_seps[stops], scanned.last_sep) if tail else scanned.last_seps[stops]
    return _Records(fields, start, stop, phantom, ending, last_sep)


def _header(path: Path, file: str, encoding: str) -> tuple[str, dict[str, str], list[str]]:
    """The separator, the FEC columns found (canonical name -> header as written) and every
    header field as written (a trailing separator dropped)."""
    line = _first_line(path, encoding)
    separator = _separator_of(line)
    if separator is None:
        raise InputError(
            "FEC : séparateur introuvable sur la ligne d'en-tête (attendu tabulation ou « | »)", file=file, row=1
        )
    names = line.split(separator)
    if len(names) > 1 and not names[-1].strip():
        names = names[:-1]  # a trailing separator
    written = {}
    for n in names:
        if n.strip():
            written.setdefault(n.strip().casefold(), n)
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
    return separator, {name: written[name.casefold()] for name in wanted}, names


@dataclass
class _Read:
    """The data records (pandas' phantoms left out) and their fields as text."""

    text: dict[str, np.ndarray]  # FEC name -> one text per record ("" when empty or missing)
    numbers: np.ndarray  # line numbers as an editor shows them
    fields: np.ndarray  # fields of each record
    trailing: np.ndarray  # N + 1 fields, the last empty once trimmed: a trailing separator
    start: np.ndarray  # byte offsets of each record's text
    stop: np.ndarray
    endings: dict[str, int]  # how the records end (header included): ENDINGS key -> count


@dataclass(frozen=True)
class _Layout:
    """Where the columns read are: ``wanted`` (FEC name -> field position), and the names and
    positions given to the C parser."""

    width: int  # fields of the header, a trailing separator dropped (N of SPEC 11)
    wanted: dict[str, int]
    names: list[str]
    usecols: list[int]

    @classmethod
    def of(cls, columns: dict[str, str], header: list[str]) -> _Layout:
        wanted = {name: header.index(written) for name, written in columns.items() if name not in _UNREAD}
        return cls(len(header), wanted, [f"c{i}" for i in range(len(header))], sorted(wanted.values()))


def _csv(path: Path, separator: str, encoding: str, layout: _Layout) -> pd.DataFrame | None:
    """Every field of the columns read, as text, one row per record after the header.

    With ``usecols``, the C parser reads a record of more fields than the header too (its first
    ones) and fills a shorter one with "": one row per record, whatever its field count. None
    when it refuses the file (no record of the header's width in a chunk, for one).
    """
    try:
        return pd.read_csv(
            path,
            sep=separator,
            header=0,  # replaced by names (cheaper than skiprows)
            names=layout.names,
            usecols=layout.usecols,
            encoding=encoding,
            encoding_errors="replace",  # a stray byte in a file marked UTF-8 spoils one label, not the read
            dtype=object,
            index_col=False,
            quoting=csv.QUOTE_NONE,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            memory_map=True,  # measured: a few percent faster on a million lines
            engine="c",
        )
    except pd.errors.ParserError:
        return None


def _read_text(path: Path, separator: str, encoding: str, layout: _Layout, scanned: _Bytes,
               frame: pd.DataFrame | None) -> _Read:  # fmt: skip
    """Every field as text, by position, whatever the field count of each record.

    The C parser of pandas splits the fields (``frame``, from :func:`_csv`); the field count of
    each record comes from the byte pass (:func:`_scan`), so a record with too many or too few
    fields is known whatever its place in the file (the first data line included), and is
    judged by :func:`read_fec`.
    """
    records = _records(scanned)
    width, names = layout.width, layout.names
    size = len(records.fields) - 1  # pandas records after the header
    keep = ~records.phantom[1:]
    counts = np.bincount(records.ending[~records.phantom], minlength=len(_ENDING_CODES))
    endings = {name: int(n) for name, n in zip(_ENDING_CODES, counts, strict=True) if n}
    if size <= 0:
        frame = pd.DataFrame({names[at]: np.zeros(0, dtype=object) for at in layout.usecols})
    elif frame is None or len(frame) != size:  # pandas did not see the records the bytes show
        frame = _python_fields(path, encoding, separator, records, names, layout.usecols)
    every = not records.phantom.any()  # no CR run: the records are pandas' rows, no copy
    fields = records.fields[1:] if every else records.fields[1:][keep]
    start = records.start[1:] if every else records.start[1:][keep]
    stop = records.stop[1:] if every else records.stop[1:][keep]
    last_sep = records.last_sep[1:] if every else records.last_sep[1:][keep]
    # A trailing separator: the last field is empty once trimmed (bytes after the last separator).
    trailing = fields == width + 1
    after = stop - last_sep - 1
    spaced = np.flatnonzero(trailing & (after > 0))
    if len(spaced):
        with open(path, "rb") as handle:
            for i in spaced:
                handle.seek(int(stop[i] - after[i]))
                trailing[i] = not handle.read(int(after[i])).strip()
    return _Read(
        text={name: _column(frame, names[at], keep) for name, at in layout.wanted.items()},
        numbers=np.arange(2, size + 2, dtype=np.int64) if every else np.cumsum(~records.phantom)[1:][keep],
        fields=fields,
        trailing=trailing,
        start=start,
        stop=stop,
        endings=endings,
    )


def _really_blank(path: Path, read: _Read, candidates: np.ndarray) -> np.ndarray:
    """Which of the records whose fields read are all empty are empty once trimmed (a column
    left unread may hold text): checked on their bytes, and they are few."""
    found = candidates.copy()
    with open(path, "rb") as handle:
        for i in np.flatnonzero(candidates):
            handle.seek(int(read.start[i]))
            found[i] = not handle.read(int(read.stop[i] - read.start[i])).strip()
    return found


def _column(frame: pd.DataFrame, name: str, keep: np.ndarray) -> np.ndarray:
    values = frame[name].to_numpy(dtype=object)
    return values if keep.all() else values[keep]


def _python_fields(path: Path, encoding: str, separator: str, records: _Records, names: list[str],
                   usecols: list[int]) -> pd.DataFrame:  # fmt: skip
    """The fields of every record split in Python, at the byte offsets of :func:`_records`.

    Only when the C parser of pandas disagrees with the bytes on the number of records: slower,
    never different.
    """
    data = path.read_bytes()
    rows = []
    for start, stop in zip(records.start[1:], records.stop[1:], strict=True):
        values = data[start:stop].decode(encoding, errors="replace").split(separator)
        rows.append([values[i] if i < len(values) else "" for i in usecols])
    return pd.DataFrame(rows, columns=[names[i] for i in usecols], dtype=object)


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

    def blanked(self, mask: np.ndarray) -> _Text:
        """The column with the lines of ``mask`` made empty."""
        values = self.values
        empty = np.flatnonzero(values == "")
        if not len(empty):
            values = np.append(values, np.asarray([""], dtype=object))
            empty = np.array([len(values) - 1])
        return _Text(np.where(mask, empty[0], self.codes).astype(self.codes.dtype, copy=False), values)

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

    ``float`` (or ``to_numeric`` when one of them is empty or unreadable) reads the plain ones
    at C speed (``1e5`` too: unambiguous, so accepted); the rest (three decimals, thousands
    separators, a currency sign) go through parse_amount.
    """
    joined = "\n".join(values)  # no "\n" in a field
    dotted = joined.replace(",", ".").split("\n") if len(values) else []
    number = None
    if joined.isascii() and "_" not in joined:  # float() reads 1_000 as 1000: not a FEC amount
        with contextlib.suppress(ValueError):  # an empty or unreadable one: all through to_numeric
            number = np.fromiter(map(float, dotted), dtype=float, count=len(dotted))
    if number is None:
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
    """A FEC date is exactly ``yyyymmdd`` (SPEC 11): anything else, an Excel serial number
    such as ``44941`` or ``15/01/2024`` included, is unreadable."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        with contextlib.suppress(ValueError):
            return np.datetime64(dt.date(int(text[:4]), int(text[4:6]), int(text[6:])), "D")
    return np.datetime64("NaT", "D")


@dataclass
class _Parsed:
    """Per line: cents (0 when unreadable), dates (NaT), and fault bits."""

    debit: np.ndarray
    credit: np.ndarray
    dates: dict[str, np.ndarray]  # FEC date column -> datetime64[D]
    faults: np.ndarray  # uint64 bit mask, bits as in FAULTS


# (column, what) of each fault bit, in the order the message lists them. FIELD_COUNT: a line
# whose field count is not the header's (SPEC 11): none of its fields is read.
FIELD_COUNT = ("*", "champs")
FAULTS: tuple[tuple[str, str], ...] = (
    FIELD_COUNT,
    *((name, "absent") for name in (*MANDATORY, "Montant", "Sens")),
    *((name, "illisible") for name in (*_DATES, *_AMOUNTS, "Sens")),
)
_BIT = {fault: np.uint64(1) << np.uint64(i) for i, fault in enumerate(FAULTS)}


def _parse(cols: dict[str, _Text]) -> _Parsed:
    size = len(next(iter(cols.values())).codes)
    faults = np.zeros(size, dtype=np.uint64)

    def flag(mask: np.ndarray, fault: tuple[str, str]) -> None:
        if mask.any():  # most columns of most files have no fault
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


def field_count_fault(fields: int, width: int) -> str:
    """``19 champs au lieu de 18``, with what most likely caused it."""
    why = " (séparateur dans un libellé ?)" if fields > width else " (champs manquants)"
    return f"{fields} champs au lieu de {width}{why}"


def describe_faults(bits: int, fields: int | None = None, width: int | None = None) -> str:
    """``EcritureDate illisible, CompteLib absent`` for one line's fault bits."""
    if int(bits) & int(_BIT[FIELD_COUNT]) and fields is not None and width is not None:
        return field_count_fault(fields, width)
    return ", ".join(f"{name} {what}" for name, what in FAULTS[1:] if int(bits) & int(_BIT[(name, what)]))


def _field_count_rule(read: _Read, width: int, cols: dict[str, _Text], parsed: _Parsed) -> np.ndarray:
    """The lines read as format faults for their field count (SPEC 11).

    A line of ``width`` fields is read; one of ``width + 1`` whose last field is empty (a
    trailing separator) is read as its first ``width`` fields only when its amounts and its
    EcritureDate are then readable: a separator inside a label shifts the fields after it, so
    the amounts it would give are never read as such. Any other field count is a fault.
    """
    fields, trailing = read.fields, read.trailing
    unreadable = _has(parsed.faults, *_amount_faults(), ("EcritureDate", "absent"), ("EcritureDate", "illisible"))
    return (fields != width) & ~(trailing & ~unreadable)


def _set_aside(cols: dict[str, _Text], parsed: _Parsed, wrong: np.ndarray) -> tuple[dict[str, _Text], _Parsed]:
    """Lines of a wrong field count: amounts 0, no date, no text but their entry (JournalCode,
    EcritureNum, the first fields, before any label)."""
    cols = {name: c if name in ("JournalCode", "EcritureNum") else c.blanked(wrong) for name, c in cols.items()}
    nat = np.datetime64("NaT", "D")
    parsed = _Parsed(
        np.where(wrong, 0, parsed.debit),
        np.where(wrong, 0, parsed.credit),
        {name: np.where(wrong, nat, d) for name, d in parsed.dates.items()},
        np.where(wrong, _BIT[FIELD_COUNT], parsed.faults),
    )
    return cols, parsed


# --- lines and integrity -----------------------------------------------------------------------


def _entries(journal: _Text, number: _Text) -> np.ndarray:
    """Entry id per line (trimmed JournalCode + EcritureNum), numbered in order of first appearance."""
    combined = journal.codes.astype(np.int64) * len(number.values) + number.codes
    codes, _ = pd.factorize(combined)
    return codes.astype(np.int64)


_LINE_TEXTS = ("CompteNum", "CompAuxLib", "PieceRef", "EcritureLib")


def _lines_frame(numbers: np.ndarray, cols: dict[str, _Text], parsed: _Parsed, fields: np.ndarray,
                 wrong: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """Every line, typed: texts as categoricals (a ledger repeats them), cents, dates, fault bits."""
    columns = {
        "line": numbers.astype(np.int64),
        "JournalCode": cols["JournalCode"].categorical(),
        "EcritureNum": cols["EcritureNum"].categorical(),
        "entry": _entries(cols["JournalCode"], cols["EcritureNum"]),
        **{name: parsed.dates[name].astype("datetime64[s]") for name in _DATES},
        **{name: cols[name].categorical() for name in _LINE_TEXTS},
        "debit": parsed.debit,
        "credit": parsed.credit,
        "faults": parsed.faults,
        "amount_ok": ~_has(parsed.faults, *_amount_faults(), FIELD_COUNT),
        "format_fault": parsed.faults != 0,
        "fields": fields.astype(np.int32),
        "field_fault": wrong,
    }
    return pd.DataFrame(columns, copy=False)  # one construction: assigning column by column re-checks each


def _dates_of(values: np.ndarray) -> list[str]:
    return [str(d) for d in np.unique(values.astype("datetime64[D]"))]


def fec_integrity(lines: pd.DataFrame, file: str | None = None) -> dict:
    """Counts of SPEC section 11 and the first offending entries and lines (amounts in cents).

    A line of the wrong field count (``field_fault``) counts in ``format_lines`` and, with 0, in
    its entry; in no other count.
    """
    width = lines.attrs.get("width", len(FEC_COLUMNS))
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
        {
            "line": int(lines["line"].iat[i]),
            "faults": describe_faults(lines["faults"].iat[i], int(lines["fields"].iat[i]), width),
        }
        for i in np.flatnonzero(fault)[:EXAMPLES]
    ]
    multi, multi_examples = _multi_date_entries(lines, entry, count)
    return {
        "file": file,
        "entries": count,
        "unbalanced": len(off),
        "format_lines": int(fault.sum()),
        "field_lines": int(lines["field_fault"].sum()),
        "date_lines": int(early.sum()),
        "multi_date_entries": multi,
        "unbalanced_amount": int(np.abs(balance[off]).sum()),
        "unbalanced_examples": unbalanced,
        "format_examples": faulty,
        "date_examples": [int(n) for n in lines["line"].to_numpy()[np.flatnonzero(early)[:EXAMPLES]]],
        "multi_date_examples": multi_examples,
    }


def _multi_date_entries(lines: pd.DataFrame, entry: np.ndarray, count: int) -> tuple[int, list[dict]]:
    """Entries whose lines carry more than one distinct readable EcritureDate (FEC_ECRITURE):
    their earliest and latest readable dates differ."""
    days = lines["EcritureDate"].to_numpy().astype("datetime64[D]").astype(np.int64)
    dated = days != np.iinfo(np.int64).min  # NaT; a line set aside has no date
    low = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    high = np.full(count, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(low, entry[dated], days[dated])
    np.maximum.at(high, entry[dated], days[dated])
    several = np.flatnonzero((high > low) & (high != np.iinfo(np.int64).min))
    examples = []
    for e in several[:EXAMPLES]:
        members = np.flatnonzero(entry == e)
        i = int(members[0])
        examples.append(
            {
                "entry": f"{lines['JournalCode'].iat[i]} {lines['EcritureNum'].iat[i]}".strip(),
                "line": int(lines["line"].iat[i]),
                "dates": _dates_of(days[members][dated[members]].astype("datetime64[D]")),
            }
        )
    return len(several), examples


# --- expense rows -------------------------------------------------------------------------------


def _prefix_lines(accounts: dict[str, str], values: np.ndarray) -> np.ndarray:
    """The budget line of each distinct account (None: unmapped), as for any ledger."""
    line_of = account_lines(accounts)
    return np.array([line_of(account) for account in values], dtype=object)


def _fold(text: str) -> str:
    """Case and accents ignored (``Dépl.`` and ``DEPL.`` match): case folded, decomposed, and
    what is not ASCII left out (at C speed: a ledger has many distinct labels)."""
    folded = text.casefold()
    if folded.isascii():
        return folded
    return unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode("ascii")


def label_hits(texts: list[np.ndarray], codes: list[np.ndarray], needles) -> np.ndarray:
    """Which lines hold one of ``needles`` in one of their texts (case and accents ignored).

    ``texts[k]`` are the distinct values of a column and ``codes[k]`` the lines' codes into them:
    each distinct value the lines use is looked at once.
    """
    words = [_fold(n) for n in needles if n and n.strip()]
    size = len(codes[0]) if codes else 0
    found = np.zeros(size, dtype=bool)
    for values, code in zip(texts, codes, strict=True):
        rest = np.flatnonzero(~found)
        if not len(rest):
            break
        used, inverse = np.unique(code[rest], return_inverse=True)
        hit = np.array([any(w in _fold(values[c]) for w in words) for c in used], dtype=bool)
        found[rest] = hit[inverse] if len(used) else False
    return found


def _selected(
    cols: dict[str, _Text], ok: np.ndarray, accounts, journals, label_contains
) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the lines that become expense rows, and their budget line ids."""
    line_of = _prefix_lines(accounts, cols["CompteNum"].values)
    mapped = pd.notna(line_of)[cols["CompteNum"].codes] & ok
    if journals is not None:
        wanted = {j.strip().casefold() for j in journals}
        mapped &= cols["JournalCode"].map_values(lambda v: v.casefold() in wanted).astype(bool)
    index = np.flatnonzero(mapped)
    if label_contains is not None and len(index):
        names = ("EcritureLib", "PieceRef")
        hits = label_hits([cols[n].values for n in names], [cols[n].codes[index] for n in names], label_contains)
        index = index[hits]
    return index, line_of[cols["CompteNum"].codes[index]]


def _starts(col: _Text, *prefixes: str) -> np.ndarray:
    """Per line: the account starts with one of ``prefixes``."""
    return np.array([v.startswith(prefixes) for v in col.values], dtype=bool)[col.codes]


def _date_objects(values: np.ndarray) -> list:
    """``datetime.date`` per day, None for NaT (numpy converts the whole array at once)."""
    return values.astype("datetime64[D]").astype(object).tolist()


_NAT_DAY = np.iinfo(np.int64).min  # NaT as a day number


class _Rows:
    """The selected lines (``index``, file order) and what section 11 derives for each.

    Each method returns arrays aligned on ``index``; a text is kept beside each parsed value
    so that an unreadable one can be shown (FORMAT). An entry's third-party line is its first
    line on a ``40`` account, else on a ``42`` or ``467`` account; its payment, the bank or
    cash line of the entry itself, else the bank entry that carries the letter of its
    third-party line, else that line's DateLet (SPEC 11).
    """

    def __init__(self, index: np.ndarray, cols: dict[str, _Text], parsed: _Parsed, entry: np.ndarray,
                 ok: np.ndarray, raw: dict[str, np.ndarray]) -> None:  # fmt: skip
        self.index, self.cols, self.parsed, self.entry, self.raw = index, cols, parsed, entry, raw
        account = cols["CompteNum"]
        count = int(entry.max()) + 1 if len(entry) else 0
        self.days = parsed.dates["EcritureDate"].astype(np.int64)  # NaT is the smallest int64
        own = entry[index]
        mine = np.zeros(count, dtype=bool)  # the entries of the selected lines
        mine[own] = True
        member = mine[entry] & ok
        # Third-party line of each of them: the first 40 line, else the first 42 or 467 line.
        first = {}
        for kind, prefixes in (("40", ("40",)), ("42", ("42", "467"))):
            lines = np.flatnonzero(_starts(account, *prefixes) & member)
            found = np.full(count, -1, dtype=np.int64)
            entries, at = np.unique(entry[lines], return_index=True)
            found[entries] = lines[at]
            first[kind] = found
        third = np.where(first["40"] >= 0, first["40"], first["42"])
        self.third = third[own] if count else np.zeros(0, dtype=np.int64)
        self.has_third = self.third >= 0
        self.at_third = np.where(self.has_third, self.third, 0)  # 0: none, masked by has_third
        third_account = account.texts(self.at_third)
        self.kind = np.where(
            ~self.has_third,
            None,
            np.where(first["40"][own] >= 0, "40", np.where(_starts_text(third_account, "42"), "42", "467")),
        )
        # Bank or cash lines (51, 53): an entry that has one paid on the spot, on its latest one.
        bank_line = _starts(account, "51", "53") & ok
        self.bank_entry = np.zeros(count, dtype=bool)
        self.bank_entry[entry[bank_line]] = True
        self.latest_bank = np.full(count, _NAT_DAY, dtype=np.int64)
        spot = bank_line & member
        np.maximum.at(self.latest_bank, entry[spot], self.days[spot])
        self.ok = ok

    def text(self, name: str, at: np.ndarray | None = None) -> np.ndarray:
        return self.cols[name].texts(self.index if at is None else at)

    def fournisseur(self) -> np.ndarray:
        """CompAuxLib of the entry's third-party line, else EcritureLib."""
        aux = np.where(self.has_third, self.text("CompAuxLib", self.at_third), "")
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

    def _bank_letters(self) -> tuple[np.ndarray, np.ndarray]:
        """For the lettered third-party lines without a bank line in their entry: the line of
        another entry with a bank line, same CompteNum, CompAuxNum and EcritureLet, holding the
        latest EcritureDate (the first in file order if several); -1 when none.

        EcritureLet and CompAuxNum are kept as read (``self.raw``): only the lines that may
        match (on an account of a wanted line, in an entry with a bank line, dated) are coded.
        """
        cols, entry, raw = self.cols, self.entry, self.raw
        own = entry[self.index]
        letter_of = lambda at: _trimmed(raw["EcritureLet"][at], fold=True)  # noqa: E731
        third_letter = letter_of(self.at_third)
        wanted = self.has_third & ~self.bank_entry[own] & (third_letter != "")
        found = np.full(len(self.index), -1, dtype=np.int64)
        if not wanted.any():
            return wanted, found
        needed = self.at_third[wanted]
        account_ok = np.zeros(len(cols["CompteNum"].values), dtype=bool)
        account_ok[cols["CompteNum"].codes[needed]] = True
        candidates = np.flatnonzero(
            account_ok[cols["CompteNum"].codes] & self.bank_entry[entry] & self.ok & (self.days != _NAT_DAY)
        )
        candidate_letter = letter_of(candidates)
        same_letter = pd.Series(candidate_letter).isin(set(third_letter[wanted])).to_numpy()  # a first cut, hashed
        candidates, candidate_letter = candidates[same_letter], candidate_letter[same_letter]
        lines = np.concatenate([candidates, needed])
        aux = _trimmed(raw["CompAuxNum"][lines])
        letter = np.concatenate([candidate_letter, third_letter[wanted]])
        key = np.zeros(len(lines), dtype=np.int64)
        for part in (cols["CompteNum"].codes[lines], aux, letter):
            values, _ = pd.factorize(part)
            key, _ = pd.factorize(key * (int(values.max()) + 1) + values)
        bank_key, needed_key = key[: len(candidates)], key[len(candidates) :]
        lettered = letter[: len(candidates)] != ""  # an empty letter never matches
        candidates, bank_key = candidates[lettered], bank_key[lettered]
        order = np.lexsort((candidates, -self.days[candidates], bank_key))
        ordered = bank_key[order]
        head = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.zeros(0, np.int64)
        keys, best = ordered[head], candidates[order[head]]
        at = np.searchsorted(keys, needed_key)
        hit = (
            (at < len(keys)) & (keys[np.minimum(at, max(len(keys) - 1, 0))] == needed_key)
            if len(keys)
            else np.zeros(len(needed_key), dtype=bool)
        )
        found[np.flatnonzero(wanted)[hit]] = best[at[hit]]
        return wanted, found

    def paid(self) -> dict[str, np.ndarray]:
        """The payment of each row: ``date`` (datetime64, NaT when none), ``text`` (as read, for
        FORMAT), ``source`` (comptant, banque, lettrage or None), ``journal`` and ``entry`` of
        the entry that says so."""
        size = len(self.index)
        own = self.entry[self.index]
        nat = np.datetime64("NaT", "D")
        date = np.full(size, nat, dtype="datetime64[D]")
        text = np.full(size, "", dtype=object)
        source = np.full(size, None, dtype=object)
        where = np.full(size, -1, dtype=np.int64)  # a line of the entry that says so
        # Paid on the spot: the entry has a bank or cash line.
        spot = self.bank_entry[own] if size else np.zeros(0, dtype=bool)
        latest = self.latest_bank[own] if size else np.zeros(0, dtype=np.int64)
        spot_dated = spot & (latest != _NAT_DAY)
        date[spot_dated] = latest[spot_dated].astype("datetime64[D]")
        source[spot_dated] = "comptant"
        where[spot] = self.index[spot]
        # Lettered: the bank entry carrying the letter, else DateLet.
        lettered, bank = self._bank_letters()
        by_bank = lettered & (bank >= 0)
        date[by_bank] = self.parsed.dates["EcritureDate"][bank[by_bank]]
        source[by_bank] = "banque"
        where[by_bank] = bank[by_bank]
        by_date = lettered & (bank < 0)
        third = self.at_third[by_date]
        let_date = self.parsed.dates["DateLet"][third]
        date[by_date] = let_date
        source[np.flatnonzero(by_date)[~np.isnat(let_date)]] = "lettrage"
        text[by_date] = self.text("DateLet", third)
        where[by_date] = self.index[by_date]
        named = where >= 0
        journal = np.full(size, None, dtype=object)
        number = np.full(size, None, dtype=object)
        journal[named] = self.cols["JournalCode"].texts(where[named])
        number[named] = self.cols["EcritureNum"].texts(where[named])
        no_date = np.isnat(date)
        journal[no_date], number[no_date] = None, None
        text = np.where(no_date, text, "")  # an unreadable DateLet, shown by FORMAT
        return {"date": date, "text": text, "source": source, "journal": journal, "entry": number}

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


def _trimmed(values: np.ndarray, *, fold: bool = False) -> np.ndarray:
    """Texts trimmed (and case folded), each distinct text once."""
    codes, uniques = pd.factorize(values)
    done = np.asarray([(u.strip().casefold() if fold else u.strip()) for u in uniques] + [""], dtype=object)
    return done[codes]


def _starts_text(values: np.ndarray, *prefixes: str) -> np.ndarray:
    return np.array([isinstance(v, str) and v.startswith(prefixes) for v in values], dtype=bool)


# Columns a FEC expense frame has beyond those of the ordinary reader (SPEC 11): the line's own
# journal and entry (documents name a FEC row by them), where the payment date came from, and the
# entry's third-party line (its account class; "42": an
# expense claim, named "note de frais" in the report and the letters).
FEC_EXTRA_COLUMNS = (
    "journal", "entry", "payment_source", "payment_journal", "payment_entry", "third_party", "note_de_frais",
)  # fmt: skip


def _expense_frame(
    rows: _Rows, line_ids: np.ndarray, numbers: np.ndarray, table: Table, row_id_start: int
) -> pd.DataFrame:
    """One expense row per selected line, columns and dtypes as :func:`readers._build` makes them,
    then :data:`FEC_EXTRA_COLUMNS`."""
    size = len(rows.index)
    row_ids = np.arange(row_id_start, row_id_start + size, dtype=np.int64)
    date, date_text = rows.date()
    payment = rows.paid()
    paid, paid_text = payment["date"], payment["text"]
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
    given = {"date": date_text != "", "date_paiement": ~np.isnat(paid) | (paid_text != ""), "montant": montant_given}
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
    frame["journal"] = pd.Series(rows.text("JournalCode"), dtype=object)
    frame["entry"] = pd.Series(rows.text("EcritureNum"), dtype=object)
    frame["payment_source"] = pd.Series(payment["source"], dtype=object)
    frame["payment_journal"] = pd.Series(payment["journal"], dtype=object)
    frame["payment_entry"] = pd.Series(payment["entry"], dtype=object)
    frame["third_party"] = pd.Series(rows.kind, dtype=object)
    frame["note_de_frais"] = pd.Series(rows.kind == "42", dtype=bool)
    return frame


def _selection(journals, label_contains) -> str:
    said = []
    if journals:
        said.append(f"journaux {', '.join(journals)}")
    if label_contains:
        said.append("libellé ou pièce contenant " + " ou ".join(f"« {w} »" for w in label_contains))
    return f" ({' ; '.join(said)})" if said else ""


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
    ``journals`` and ``label_contains`` (EcritureLib or PieceRef contains one, case and
    accents ignored) narrow the lines taken. Raises :class:`InputError` for a missing file or
    column.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("fichier introuvable", file=file)
    if path.stat().st_size == 0:
        raise InputError("fichier vide : attendu la ligne d'en-tête d'un FEC puis ses lignes", file=file)
    scanned = _scan(path, _separator_of(_first_line(path)))
    encoding = scanned.encoding
    separator, columns, header = _header(path, file, encoding)
    layout = _Layout.of(columns, header)
    width = layout.width
    read = _read_text(path, separator, encoding, layout, scanned, _csv(path, separator, encoding, layout))
    # Every column coded (its distinct values stripped, parsed once), but EcritureLet and
    # CompAuxNum: optional, read only for the lettering chain, on the few lines it looks at.
    raw = {name: read.text.pop(name) for name in _AS_READ}
    cols = {name: _Text.of(read.text.pop(name)) for name in list(read.text)}  # each text freed once coded
    size = len(read.numbers)
    # Blank records (empty once trimmed) are skipped; their line numbers stay unused. A blank
    # JournalCode (mandatory) is rare: the other columns are looked at only then.
    empty = cols["JournalCode"].blank.copy() if size else np.zeros(0, dtype=bool)
    for c in itertools.chain(cols.values(), (_Text.of(values) for values in raw.values())):  # lazily
        if not empty.any():
            break
        empty &= c.blank
    if empty.any():
        empty = _really_blank(path, read, empty)
        keep = ~empty
        cols = {name: c.take(keep) for name, c in cols.items()}
        raw = {name: values[keep] for name, values in raw.items()}
        read = dataclasses.replace(
            read, numbers=read.numbers[keep], fields=read.fields[keep], trailing=read.trailing[keep],
            start=read.start[keep], stop=read.stop[keep],
        )  # fmt: skip
    parsed = _parse(cols)
    wrong = _field_count_rule(read, width, cols, parsed)
    if wrong.any():
        cols, parsed = _set_aside(cols, parsed, wrong)
    lines = _lines_frame(read.numbers, cols, parsed, read.fields, wrong)
    lines.attrs.update(file=file, width=width)
    integrity = fec_integrity(lines, file)
    lines.attrs.update(integrity=integrity)

    table = Table("expenses", file, path, scanned.sha256, pd.DataFrame(), header_row=1, kind="fec")
    index, line_ids = _selected(cols, ~wrong, accounts, journals, label_contains)
    rows = _Rows(index, cols, parsed, lines["entry"].to_numpy(), ~wrong, raw)
    table.frame = _expense_frame(rows, line_ids, read.numbers, table, row_id_start)
    amount = "Montant, Sens" if "Montant" in cols else f"{columns['Debit']} − {columns['Credit']}"
    table.headers = {
        "piece": columns["PieceRef"], "date": f"{columns['PieceDate']} ({columns['EcritureDate']} si vide)",
        "date_paiement": f"{columns['EcritureDate']} de la banque ou de la caisse (51, 53) qui a payé l'écriture, "
                         f"sinon {columns['DateLet']} du tiers lettré",
        "fournisseur": f"{columns['CompAuxLib']} (ligne de tiers 40, 42 ou 467) ou {columns['EcritureLib']}",
        "libelle": columns["EcritureLib"], "compte": columns["CompteNum"], "ligne": "inputs.accounts",
        "montant": amount,
    }  # fmt: skip
    reading = {
        "records": len(lines) + int(empty.sum()) + 1,  # the header, the lines, the blank records
        "fields": width,
        "endings": read.endings,
        "blank": int(empty.sum()),
        "trailing": int(((read.fields == width + 1) & ~wrong).sum()),
        "set_aside": int(wrong.sum()),
        "set_aside_examples": [
            {"line": int(n), "faults": field_count_fault(int(f), width)}
            for n, f in zip(read.numbers[wrong][:EXAMPLES], read.fields[wrong][:EXAMPLES], strict=True)
        ],
    }
    table.notes.append(
        f"{len(lines)} lignes, {integrity['entries']} écritures, {len(index)} lignes retenues sur les comptes de "
        f"inputs.accounts{_selection(journals, label_contains)}"
    )
    return FecLedger(table, lines, integrity, encoding, separator, columns, reading)
