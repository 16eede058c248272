"""Excel / CSV -> canonical DataFrames with lineage (SPEC sections 4 and 10).

Every row keeps where it came from: ``file`` (as named in convention.yaml), ``sheet`` (None for
CSV) and ``row``, the row number a person sees in Excel (1-based, header included) or the CSV
line number. Values are parsed here, once: amounts to integer cents, dates and months to
``datetime.date``. A value that cannot be parsed becomes missing (``None`` / ``<NA>``) and its
raw text is kept in :attr:`Table.raw` so that FORMAT rejections can show what was read.

What exports add around the data is recognised, not read as data: title rows above the header,
blank lines, and total or subtotal rows (SPEC section 4), which are listed in
:attr:`Table.ignored_rows` and checked against the rows they sum. A ledger with débit and
crédit columns gives ``montant = débit − crédit``; with ``inputs.accounts``, an expense without
a budget line takes the line of its account's longest mapped prefix.
"""

from __future__ import annotations

import csv
import difflib
import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl.utils import column_index_from_string, get_column_letter

from ..errors import InputError
from .columns import FIELDS, IDENTIFIERS
from .convention import Convention
from .parsing import (
    is_blank,
    normalize_key,
    parse_amount,
    parse_date,
    parse_day_or_month,
    parse_month,
    parse_number,
    strip_accents,
    text_of,
)

__all__ = ["FIELDS", "Table", "TotalRow", "account_lines", "check_columns_used", "decode", "map_accounts",
           "read_source", "sha256_of", "xlsx_sheets"]  # fmt: skip

HEADER_SEARCH_ROWS = 20
_PARSERS = {
    "amount": parse_amount,
    "date": parse_date,
    "month": parse_month,
    "number": parse_number,
    "date_or_month": parse_day_or_month,
}
# The cell that identifies a row: empty (or itself the word) on a total row (SPEC section 4).
IDENTIFIER_OF = {"payroll": "matricule", "expenses": "piece", "activity": None}
_TOTAL = re.compile(r"(sous[\s_-]?total|total)(?=$|[\s:])")
_ZERO_PADDED = re.compile(r"0+")
_COLUMN_LETTER = re.compile(r"(?i)colonne\s+([a-z]{1,3})")


@dataclass(frozen=True)
class TotalRow:
    """A total or subtotal row of an export: not an input row, compared with the rows it sums."""

    row: int
    label: str
    kind: str  # "total" | "sous-total" | "final" (an unlabelled last row equal to the sum above)
    stated: int | None  # cents, None when unreadable
    computed: int  # cents: the rows it covers


@dataclass
class Table:
    """One input file read into canonical columns."""

    role: str
    file: str
    path: Path
    sha256: str
    frame: pd.DataFrame
    sheet: str | None = None
    header_row: int | None = None
    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header as written
    ignored_columns: list[str] = field(default_factory=list)  # headers of the header row not read
    raw: dict[tuple[int, str], str] = field(default_factory=dict)  # (row_id, column) -> raw text
    totals: list[TotalRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    columns_used: set[str] = field(default_factory=set)  # inputs.columns headers matched (normalised)
    kind: str = "table"  # "fec" for a FEC ledger (pexaudit.fec): other DOUBLON keys, analytics over its lines
    ledger: object = None  # a FEC's pexaudit.fec.FecLedger: every line, integrity counts

    @property
    def rows(self) -> int:
        return len(self.frame)

    @property
    def ignored_rows(self) -> list[int]:
        return [t.row for t in self.totals]

    def has(self, column: str) -> bool:
        return column in self.headers

    def unreadable(self, limit: int = 10) -> list[tuple[int, str, str]]:
        """The first unreadable values: (row number, column, text as read)."""
        rows = dict(zip(self.frame["row_id"], self.frame["row"], strict=True)) if self.raw else {}
        found = sorted((int(rows[rid]), column, text) for (rid, column), text in self.raw.items() if rid in rows)
        return found[:limit]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- the header row ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Names:
    """How headers map to canonical names for one role: built-in aliases, then inputs.columns."""

    role: str
    aliases: dict[str, str]
    mapped: dict[str, str]  # from inputs.columns: wins over the aliases
    accounts: bool  # inputs.accounts given: ``ligne`` may come from ``compte``
    positions: dict[int, str] = field(default_factory=dict)  # inputs.columns "colonne F": by letter
    written: dict[str, str] = field(default_factory=dict)  # normalised inputs.columns header -> as written

    @classmethod
    def of(cls, role: str, columns: dict[str, str] | None, accounts: bool = False) -> _Names:
        aliases = {}
        for canonical, column in FIELDS[role].items():
            aliases[normalize_key(canonical)] = canonical
            for name in column.aliases:
                aliases.setdefault(normalize_key(name), canonical)
        mapped, positions, written = {}, {}, {}
        for header, canonical in (columns or {}).items():
            if canonical not in FIELDS[role]:
                continue
            letter = _COLUMN_LETTER.fullmatch(header.strip())
            if letter:  # two columns with one same header: named by their letter
                positions[column_index_from_string(letter.group(1).upper()) - 1] = canonical
            else:
                mapped[normalize_key(header)] = canonical
                written[normalize_key(header)] = header
        return cls(role, aliases, mapped, accounts, positions, written)

    def match(self, values: tuple) -> tuple[dict[str, int], dict[str, list[int]]]:
        """canonical -> column index, and the canonical names claimed twice at the same rank."""
        candidates: dict[str, list[tuple[int, int]]] = {}
        for index, value in enumerate(values):
            key = normalize_key(value)
            if index in self.positions and key:
                candidates.setdefault(self.positions[index], []).append((3, index))
            elif key in self.mapped:
                candidates.setdefault(self.mapped[key], []).append((2, index))
            elif key in self.aliases:
                candidates.setdefault(self.aliases[key], []).append((1, index))
        found, twice = {}, {}
        for canonical, ranked in candidates.items():
            top = max(rank for rank, _ in ranked)
            best = [index for rank, index in ranked if rank == top]
            found[canonical] = best[0]
            if len(best) > 1:
                twice[canonical] = best
        return found, twice

    def missing(self, found: dict[str, int]) -> list[str]:
        out = []
        for name, column in FIELDS[self.role].items():
            if not column.required or name in found:
                continue
            if name == "montant" and {"debit", "credit"} <= found.keys():
                continue
            if name == "ligne" and self.accounts and "compte" in found:
                continue
            out.append(name)
        return out


@dataclass
class _Header:
    row: int | None  # the header row (data starts below it); None when not found
    values: tuple
    found: dict[str, int]  # canonical -> column index
    near: int | None = None  # the closest candidate row, for the error message
    twice: dict[str, list[int]] = field(default_factory=dict)


def _find_header(rows: Iterator[tuple[int, tuple]], names: _Names) -> _Header:
    """The first of the first 20 rows holding every required column, else the best try.

    A two-level header (``Montants`` merged over ``Brut | Charges`` below, ``Matricule``
    merged down over both rows) reads as one: blank cells take the value of the row above.
    """
    best = _Header(None, (), {})
    previous: tuple = ()
    for number, values in rows:
        found, twice = names.match(values)
        if not names.missing(found):
            return _Header(number, values, found, number, twice)
        if previous:
            width = max(len(values), len(previous))
            merged = tuple(
                values[i]
                if i < len(values) and not is_blank(values[i])
                else (previous[i] if i < len(previous) else None)
                for i in range(width)
            )
            found_merged, twice = names.match(merged)
            if not names.missing(found_merged):
                return _Header(number, merged, found_merged, number, twice)
        if len(found) > len(best.found):
            best = _Header(None, values, found, number)
        if number >= HEADER_SEARCH_ROWS:
            break
        previous = values
    return best


def _missing_error(names: _Names, file: str, sheet: str | None, best: _Header) -> InputError:
    required = [k for k, c in FIELDS[names.role].items() if c.required]
    missing = names.missing(best.found)
    labels = {"montant": "montant (ou débit et crédit)", "ligne": "ligne (ou compte avec inputs.accounts)"}
    hint = "ajoutez la colonne ou déclarez son en-tête dans inputs.columns de convention.yaml"
    where = ""
    read = [text_of(v) for v in best.values if not is_blank(v)][:20]
    if best.near and best.found:
        where = (
            f" ; l'en-tête le plus proche est ligne {best.near}, où sont lus : {', '.join(f'« {r} »' for r in read)}"
        )
    for key, canonical in names.mapped.items():  # a declared header that is not there: likely a typo
        if canonical in missing:
            close = difflib.get_close_matches(names.written[key], read, n=2, cutoff=0.6)
            near = f" (en-têtes proches : {', '.join(f'« {c} »' for c in close)})" if close else ""
            where += f" ; inputs.columns déclare « {names.written[key]} » pour {canonical}, introuvable{near}"
    return InputError(
        f"colonne obligatoire introuvable dans les {HEADER_SEARCH_ROWS} premières lignes "
        f"(attendu une ligne d'en-tête avec : {', '.join(labels.get(k, k) for k in required)}){where} ; {hint}",
        file=file,
        sheet=sheet,
        row=best.near if best.found else None,
        column=", ".join(missing),
    )


def _check_header(header: _Header, file: str, sheet: str | None) -> None:
    """Two headers for one canonical name, or montant beside débit/crédit: the file is ambiguous."""
    for canonical, indexes in header.twice.items():
        both = " et ".join(f"« {text_of(header.values[i])} » (colonne {get_column_letter(i + 1)})" for i in indexes)
        letter = get_column_letter(indexes[0] + 1)
        raise InputError(
            f"deux colonnes pour « {canonical} » : {both} ; indiquez dans inputs.columns de convention.yaml "
            f"l'en-tête à retenir, ou sa lettre quand les en-têtes sont identiques : "
            f'columns: {{"colonne {letter}": {canonical}}}',
            file=file,
            sheet=sheet,
            row=header.row,
            column=canonical,
        )
    ledger = [name for name in ("debit", "credit") if name in header.found]
    if ledger and "montant" in header.found:
        raise InputError(
            f"colonne montant et colonne{'s' if len(ledger) > 1 else ''} {' et '.join(ledger)} à la fois : attendu "
            "soit montant, soit débit et crédit (montant = débit − crédit)",
            file=file,
            sheet=sheet,
            row=header.row,
            column="montant",
        )


def _ignored_columns(header: _Header) -> list[str]:
    used = set(header.found.values())
    return [text_of(v) for i, v in enumerate(header.values) if i not in used and not is_blank(v)]


# --- physical readers: yield (sheet, iterator of (row number, values)) ----------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def xlsx_sheets(
    path: Path, file: str, select: Callable[[str], bool] | None = None, visibility: str = "visible"
) -> Iterable[tuple[str, Iterator[tuple[int, tuple]]]]:
    """Sheets as (name, rows numbered as in Excel), read by calamine; with ``select``, only the
    sheets whose name it accepts are parsed. ``visibility``: "visible", "hidden" or "all".

    python-calamine (Rust) reads cell values some 30 times faster than openpyxl and streams
    rows, which a ledger at Excel's row limit needs; openpyxl writes the workbook and reads
    formula texts (:func:`_formula_cells`).
    """
    from python_calamine import CalamineWorkbook, SheetVisibleEnum

    with open(path, "rb") as handle:
        head = handle.read(8)
    if head == _OLE_MAGIC:
        raise InputError(
            "classeur protégé par mot de passe ou au format .xls (Excel 97-2003) : "
            "attendu un .xlsx non chiffré (Fichier > Enregistrer sous > .xlsx, sans mot de passe)",
            file=file,
        )
    if not zipfile.is_zipfile(path):
        raise InputError("classeur .xlsx illisible ou corrompu (ce n'est pas une archive .xlsx)", file=file)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheets = [
            m.name
            for m in workbook.sheets_metadata
            if visibility == "all" or (m.visible == SheetVisibleEnum.Visible) == (visibility == "visible")
        ]
    except Exception as exc:
        raise InputError(f"classeur .xlsx illisible ou corrompu ({type(exc).__name__}: {exc})", file=file) from None
    for name in sheets:
        if select is not None and not select(name):
            continue
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as exc:
            raise InputError(f"feuille illisible ({type(exc).__name__}: {exc})", file=file, sheet=name) from None
        # iter_rows starts at the first row of the used range: number rows from there.
        first = sheet.end[0] - sheet.height + 2 if sheet.height else 1
        yield name, enumerate((tuple(row) for row in sheet.iter_rows()), start=first)


def _cell_info(path: Path, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], tuple[object, str]]:
    """(raw value, number format) of the given (row, column index) cells, read by openpyxl.

    Two things calamine does not give: the formula text of a cell with no cached value, and
    the number format of a numeric identifier (``000127`` shown for 127).
    """
    import openpyxl

    wanted: dict[int, set[int]] = {}
    for number, index in cells:
        wanted.setdefault(number, set()).add(index)
    first, last = min(wanted), max(wanted)
    found = {}
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        worksheet = workbook[sheet]
        worksheet.reset_dimensions()
        for number, row in enumerate(worksheet.iter_rows(min_row=first, max_row=last), start=first):
            for index in wanted.get(number, ()):
                if index < len(row):
                    found[(number, index)] = (row[index].value, row[index].number_format or "")
    finally:
        workbook.close()
    return found


def decode(data: bytes, file: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM), UTF-16 (Excel's « Texte Unicode »), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise InputError(f"fichier marqué UTF-8 mais octet invalide à la position {exc.start}", file=file) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    head = data[:4096]
    if b"\x00" in head:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return data.decode("utf-16-le", errors="replace"), "utf-16-le"
        if even > len(head) // 4 and odd == 0:
            return data.decode("utf-16-be", errors="replace"), "utf-16-be"
        raise InputError(
            "fichier binaire, pas un texte CSV : attendu un CSV en UTF-8 ou Windows-1252 (ou un .xlsx)", file=file
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, tuple]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 1
    for record in reader:
        yield line, tuple(record)
        line = reader.line_num + 1


# --- parsing rows into columns --------------------------------------------------------------


def _total_label(values: tuple, ident_index: int | None) -> str | None:
    """The label of a total or subtotal row, or None (SPEC section 4).

    The identifier cell is empty or is itself the word, and the first non-empty cell is
    ``total`` or ``sous-total``, alone or followed by a space or ``:`` (``TOTAL GÉNÉRAL``,
    ``Total mars``): a supplier ``TOTAL ENERGIES`` on a voucher with a number is a row.
    """
    ident = text_of(values[ident_index]) if ident_index is not None and ident_index < len(values) else ""
    if ident and not _TOTAL.match(strip_accents(ident).casefold()):
        return None
    first = next((text_of(v) for v in values if not is_blank(v)), "")
    return first if _TOTAL.match(strip_accents(first).casefold()) else None


def _parsed(value: object, kind: str) -> int | None:
    try:
        return _PARSERS[kind](value)
    except ValueError:
        return None


def _stated_amount(role: str, values: tuple, found: dict[str, int], ledger: bool) -> int | None:
    """The amount a total row states: its cost (payroll) or montant (débit − crédit)."""

    def cell(name: str) -> object:
        index = found.get(name)
        return values[index] if index is not None and index < len(values) else None

    parts = {"payroll": ("brut", "charges_patronales", "autres_couts"), "expenses": ("montant",)}[role]
    if role == "expenses" and ledger:
        parts = ("debit", "credit")
    cells = [cell(name) for name in parts]
    if all(is_blank(v) for v in cells):
        return None
    amounts = [0 if is_blank(v) else _parsed(v, "amount") for v in cells]
    if any(a is None for a in amounts):
        return None
    return amounts[0] - amounts[1] if role == "expenses" and ledger else sum(amounts)


class _Totals:
    """Running sums for the total rows: a sous-total covers the rows since the previous total
    row of any kind, a total those since the previous ``total``."""

    def __init__(self) -> None:
        self.since_any = self.since_total = self.all = 0
        self.rows: list[TotalRow] = []

    def add(self, amount: int) -> None:
        self.since_any += amount
        self.since_total += amount
        self.all += amount

    def close(self, number: int, label: str, stated: int | None) -> None:
        sub = not strip_accents(label).casefold().startswith("total")
        computed = self.since_any if sub else self.since_total
        self.rows.append(TotalRow(number, label, "sous-total" if sub else "total", stated, computed))
        self.since_any = 0
        if not sub:
            self.since_total = 0


def _build(
    role: str,
    rows: Iterator[tuple[int, tuple]],
    found: dict[str, int],
    table: Table,
    row_id_start: int,
    cell_info: Callable[[set[tuple[int, int]]], dict] | None = None,
) -> None:
    """Parse the data rows into canonical columns; total rows are set aside.

    ``cell_info`` (xlsx only) gives what calamine does not: the formula of a blank cell whose
    formula has no cached value (written by a program, never opened in Excel: FORMAT, with the
    formula shown), and the number format of a numeric identifier (127 shown ``000127``).
    """
    spec = FIELDS[role]
    ledger = "debit" in found and "credit" in found
    names = [name for name in spec if name not in ("debit", "credit")]
    columns: dict[str, list] = {name: [] for name in ("row_id", "row", *names)}
    given: dict[str, list] = {name: [] for name in names if spec[name].kind != "text"}
    cost_parts = [n for n in ("brut", "charges_patronales", "autres_couts", "montant") if n in given]
    positions = sorted(found.values())
    ident = IDENTIFIER_OF[role]
    ident_index = found.get(ident) if ident else None
    blanks: list[tuple[int, int, str, int, int]] = []  # (Excel row, column index, name, row_id, list index)
    numeric_ids: list[tuple[int, int, str, int]] = []  # (Excel row, column index, name, list index)
    totals = _Totals()
    last: tuple[int, bool, int] | None = None  # (Excel row, identifier empty, amount) of the last data row
    row_id = row_id_start

    def cell(values: tuple, name: str) -> object:
        index = found.get(name)
        return values[index] if index is not None and index < len(values) else None

    for number, values in rows:
        if all(is_blank(values[i]) if i < len(values) else True for i in positions):
            continue  # a blank line (or notes outside the recognised columns)
        if ident and (label := _total_label(values, ident_index)) is not None:
            totals.close(number, label, _stated_amount(role, values, found, ledger))
            last = None  # the file's last row is then this labelled total
            continue
        columns["row_id"].append(row_id)
        columns["row"].append(number)
        for name in names:
            kind = spec[name].kind
            index = found.get(name)
            value = cell(values, name)
            if kind == "text":
                if name in IDENTIFIERS and isinstance(value, (int, float)) and not isinstance(value, bool):
                    numeric_ids.append((number, index, name, len(columns[name])))
                columns[name].append(text_of(value))
                continue
            if name == "montant" and ledger:
                _ledger_amount(cell(values, "debit"), cell(values, "credit"), row_id, columns, given, table)
                continue
            blank = is_blank(value)
            given[name].append(not blank)
            if blank and index is not None:
                blanks.append((number, index, name, row_id, len(given[name]) - 1))
            if name == "autres_couts" and (index is None or blank):
                columns[name].append(0)  # column absent or cell empty: 0 (SPEC 4.1), not FORMAT
                continue
            parsed = None if blank else _parsed(value, kind)
            columns[name].append(parsed)
            if parsed is None and not blank:
                table.raw[(row_id, name)] = text_of(value)
        if cost_parts:
            amount = sum(columns[n][-1] or 0 for n in cost_parts)
            totals.add(amount)
            last = (number, ident is not None and not columns[ident][-1], amount)
        row_id += 1

    if last is not None and last[1] and len(columns["row"]) > 1 and last[2] == totals.all - last[2]:
        # An unlabelled last row equal to the sum of the rows above it: the export's total.
        for values in (*columns.values(), *given.values()):
            values.pop()
        removed = row_id - 1
        table.raw = {k: v for k, v in table.raw.items() if k[0] != removed}
        blanks = [b for b in blanks if b[3] != removed]
        numeric_ids = [n for n in numeric_ids if n[3] < len(columns["row"])]
        totals.rows.append(TotalRow(last[0], "", "final", last[2], last[2]))
    table.totals = totals.rows

    if cell_info is not None and (blanks or numeric_ids):
        info = cell_info({(number, index) for number, index, *_ in blanks + numeric_ids})
        for number, index, name, rid, position in blanks:
            raw, _ = info.get((number, index), (None, ""))
            if isinstance(raw, str) and raw.startswith("="):
                given[name][position] = True
                table.raw[(rid, name)] = f"{raw} : formule sans valeur calculée"
                columns[name][position] = None  # unreadable, even where an empty cell reads 0 (autres_couts)
        for number, index, name, position in numeric_ids:
            _, fmt = info.get((number, index), (None, ""))
            text = columns[name][position]
            if _ZERO_PADDED.fullmatch(fmt) and text.isdigit() and len(text) < len(fmt):
                columns[name][position] = text.zfill(len(fmt))  # read as Excel displays it

    frame = pd.DataFrame({"row_id": columns["row_id"], "row": columns["row"]})
    size = len(frame)
    frame.insert(1, "source", pd.Series([role] * size, dtype=object))
    frame.insert(2, "file", pd.Series([table.file] * size, dtype=object))
    frame.insert(3, "sheet", pd.Series([table.sheet] * size, dtype=object))
    for name in names:
        if spec[name].kind == "amount":
            frame[name] = pd.array(columns[name], dtype="Int64")
        else:
            frame[name] = pd.Series(columns[name], dtype=object)
        if name in given:
            frame[f"{name}_given"] = pd.Series(given[name], dtype=bool)
    table.frame = frame


def _ledger_amount(debit: object, credit: object, row_id: int, columns: dict, given: dict, table: Table) -> None:
    """montant = débit − crédit, an empty cell being 0; both empty: no amount (FORMAT)."""
    blank_d, blank_c = is_blank(debit), is_blank(credit)
    given["montant"].append(not (blank_d and blank_c))
    d = 0 if blank_d else _parsed(debit, "amount")
    c = 0 if blank_c else _parsed(credit, "amount")
    if blank_d and blank_c:
        columns["montant"].append(None)
    elif d is None or c is None:
        columns["montant"].append(None)
        bad = [f"débit {text_of(debit)}" if d is None else "", f"crédit {text_of(credit)}" if c is None else ""]
        table.raw[(row_id, "montant")] = " et ".join(b for b in bad if b)
    else:
        columns["montant"].append(d - c)


def account_lines(accounts: dict[str, str]) -> Callable[[str], str | None]:
    """``account -> budget line`` by ``inputs.accounts``: the longest matching prefix wins."""
    prefixes = sorted(((p.strip(), line) for p, line in accounts.items() if p.strip()), key=lambda p: -len(p[0]))
    return lambda account: next((line for prefix, line in prefixes if account.startswith(prefix)), None)


def map_accounts(compte: pd.Series, ligne: pd.Series, accounts: dict[str, str]) -> pd.Series:
    """``ligne`` where given, else the line of the longest ``accounts`` prefix of ``compte``.

    No prefix matching leaves it empty: the row goes to ``hors_budget`` (SPEC section 4.2).
    Computed once per distinct account, so a million-row ledger costs its distinct accounts.
    """
    todo = (ligne == "") & (compte != "")
    if not todo.any():
        return ligne
    line_of = account_lines(accounts)
    lines = {account: line_of(account) or "" for account in compte[todo].unique()}
    out = ligne.copy()
    out[todo] = compte[todo].map(lines)
    return out


def read_source(
    role: str,
    path: Path,
    file: str,
    columns: dict[str, str] | None = None,
    row_id_start: int = 0,
    accounts: dict[str, str] | None = None,
    sheet: str | None = None,
) -> Table:
    """Read one payroll, expenses or activity file (.xlsx or .csv) into a :class:`Table`.

    ``sheet`` (``inputs.sheets``) names the sheet to read, hidden or not; without it, the first
    visible sheet whose first rows hold the header.
    """
    if not path.is_file():
        raise InputError("fichier introuvable", file=file)
    names = _Names.of(role, columns, bool(accounts))
    table = Table(role=role, file=file, path=path, sha256="", frame=pd.DataFrame())
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise InputError("fichier vide : attendu une ligne d'en-tête puis des lignes", file=file)
    best = _Header(None, (), {})
    if suffix in (".xlsx", ".xlsm"):
        table.sha256 = sha256_of(path)
        return _read_workbook(table, names, row_id_start, accounts, sheet)
    if suffix in (".csv", ".txt", ".tsv"):
        data = path.read_bytes()
        table.sha256 = hashlib.sha256(data).hexdigest()  # the bytes read once serve both
        text, encoding = decode(data, file)
        for delimiter in (";", "\t", ",", "|"):
            rows = _csv_rows(text, delimiter)
            header = _find_header(rows, names)
            if header.row is not None:
                _accept(table, header, names)
                table.notes.append(f"CSV lu en {encoding}, séparateur {delimiter!r}")
                _build(role, rows, header.found, table, row_id_start)
                return _finish(table, accounts)
            if len(header.found) > len(best.found):
                best = header
        raise _missing_error(names, file, None, best)
    raise InputError(f"format de fichier non pris en charge {suffix!r} : attendu .xlsx ou .csv", file=file)


def _read_workbook(
    table: Table, names: _Names, row_id_start: int, accounts: dict[str, str] | None, wanted: str | None
) -> Table:
    """The header's sheet: the named one, else the first visible one holding it. Other visible
    sheets holding a header are noted (a workbook of two years reads the first: say so)."""
    path, file = table.path, table.file
    select = None if wanted is None else (lambda name: name.strip().casefold() == wanted.strip().casefold())
    best, best_sheet, seen, others = _Header(None, (), {}), None, False, []
    for sheet, rows in xlsx_sheets(path, file, select, "all" if wanted else "visible"):
        seen = True
        header = _find_header(rows, names)
        if header.row is None:
            if table.header_row is None and (len(header.found) > len(best.found) or best_sheet is None):
                best, best_sheet = header, sheet
            continue
        if table.header_row is not None:
            others.append(sheet)
            continue
        table.sheet = sheet
        _accept(table, header, names)
        _build(names.role, rows, header.found, table, row_id_start, functools.partial(_cell_info, path, sheet))
        if wanted:
            break
    if table.header_row is not None:
        if others:
            listed = ", ".join(f"« {o} »" for o in others)
            table.notes.append(
                f"feuille « {table.sheet} » lue ; d'autres feuilles ont aussi un en-tête ({listed}) : "
                "inputs.sheets de convention.yaml choisit la feuille"
            )
        return _finish(table, accounts)
    if wanted and not seen:
        raise InputError(
            f"feuille « {wanted} » introuvable (inputs.sheets) ; feuilles du classeur : "
            + ", ".join(f"« {n} »" for n in _sheet_names(path)),
            file=file,
        )
    error = _missing_error(names, file, best_sheet, best)
    if not wanted:
        hidden = [s for s, rows in xlsx_sheets(path, file, None, "hidden") if _find_header(rows, names).row]
        if hidden:
            error = InputError(
                f"{error.expected} ; la feuille masquée « {hidden[0]} » contient l'en-tête : affichez-la dans Excel "
                f"ou indiquez-la dans convention.yaml (inputs.sheets)",
                file=error.file, sheet=error.sheet, row=error.row, column=error.column,
            )  # fmt: skip
    raise error


def _sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    return [m.name for m in CalamineWorkbook.from_path(str(path)).sheets_metadata]


def _accept(table: Table, header: _Header, names: _Names | None = None) -> None:
    _check_header(header, table.file, table.sheet)
    if names is not None:  # which inputs.columns entries this file used (a typo matches none)
        used = {normalize_key(header.values[i]) for i in header.found.values()}
        table.columns_used = {k for k in names.mapped if k in used} | {
            f"colonne{get_column_letter(i + 1).lower()}" for i in names.positions if i in header.found.values()
        }
    table.header_row = header.row
    table.headers = {k: text_of(header.values[i]) for k, i in header.found.items()}
    table.ignored_columns = _ignored_columns(header)


def _finish(table: Table, accounts: dict[str, str] | None) -> Table:
    if accounts and table.role == "expenses":
        frame = table.frame
        before = frame["ligne"] == ""
        frame["ligne"] = map_accounts(frame["compte"], frame["ligne"], accounts)
        mapped = int((before & (frame["ligne"] != "")).sum())
        table.notes.append(f"{mapped} ligne(s) budgétaire(s) déduite(s) du compte par inputs.accounts")
    return table


def check_columns_used(convention: Convention, tables: Iterable[Table]) -> None:
    """An ``inputs.columns`` header found in no file is a typo, not a wish: a column silently
    left out would change the amounts (a mistyped "Ticket resto" drops the other costs)."""
    tables = [t for t in tables if t is not None and t.kind != "fec"]
    used = set().union(*(t.columns_used for t in tables)) if tables else set()
    for header, canonical in convention.columns.items():
        if normalize_key(header) in used or not any(canonical in FIELDS[t.role] for t in tables):
            continue
        written = sorted({h for t in tables for h in (*t.headers.values(), *t.ignored_columns)})
        close = difflib.get_close_matches(header, written, n=3, cutoff=0.6)
        hint = f" ; en-têtes proches : {', '.join(f'« {c} »' for c in close)}" if close else ""
        raise InputError(
            f"en-tête « {header} » introuvable dans les fichiers ({', '.join(t.file for t in tables)}) : "
            f"vérifiez son orthographe{hint}",
            file=str(convention.file),
            key=f"inputs.columns.{header}",
        )
