"""Excel / CSV -> canonical DataFrames with lineage (SPEC section 4).

Every row keeps where it came from: ``file`` (as named in convention.yaml), ``sheet`` (None for
CSV) and ``row``, the row number a person sees in Excel (1-based, header included) or the CSV
line number. Values are parsed here, once: amounts to integer cents, dates and months to
``datetime.date``. A value that cannot be parsed becomes missing (``None`` / ``<NA>``) and its
raw text is kept in :attr:`Table.raw` so that FORMAT rejections can show what was read.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .convention import Convention
from .errors import InputError
from .parsing import is_blank, normalize_key, parse_amount, parse_date, parse_month, text_of

__all__ = ["FIELDS", "Table", "read_expenses", "read_payroll", "read_source", "sha256_of"]

HEADER_SEARCH_ROWS = 20

# canonical name -> (required, kind, aliases). Aliases are compared after normalize_key.
FIELDS: dict[str, dict[str, tuple[bool, str, tuple[str, ...]]]] = {
    "payroll": {
        "matricule": (True, "text", ("matricule", "id agent", "identifiant agent", "employee id",
                                     "n° agent", "numéro agent", "code agent", "matricule agent")),
        "nom": (False, "text", ("nom", "nom prénom", "nom et prénom", "agent", "nom agent",
                                "salarié", "employé", "name")),
        "periode": (True, "month", ("période", "mois", "mois de paie", "période de paie",
                                    "mois paie", "month", "date de paie", "mois payé")),
        "brut": (True, "amount", ("brut", "salaire brut", "brut total", "rémunération brute",
                                  "montant brut", "traitement brut", "gross")),
        "charges_patronales": (True, "amount", ("charges patronales", "cotisations patronales",
                                                "charges employeur", "cotisations employeur",
                                                "part patronale", "charges sociales patronales")),
        "autres_couts": (False, "amount", ("autres coûts", "autres charges", "autres frais",
                                           "autres coûts employeur")),
        "code_analytique": (False, "text", ("code analytique", "analytique", "code projet",
                                            "axe analytique")),
    },
    "expenses": {
        "piece": (True, "text", ("pièce", "n° pièce", "numéro de pièce", "référence pièce",
                                 "réf pièce", "référence", "n° mandat", "numéro de mandat",
                                 "mandat", "n° facture", "numéro de facture", "facture",
                                 "pieceref")),
        "date": (True, "date", ("date", "date pièce", "date facture", "date service fait",
                                "date de la pièce", "date de facture", "piecedate")),
        "date_paiement": (False, "date", ("date paiement", "date de paiement", "date règlement",
                                          "date de règlement", "date de mandatement",
                                          "date mandatement", "date payé")),
        "fournisseur": (True, "text", ("fournisseur", "tiers", "prestataire", "créancier",
                                       "nom fournisseur", "raison sociale")),
        "libelle": (False, "text", ("libellé", "objet", "désignation", "description",
                                    "ecriturelib")),
        "compte": (False, "text", ("compte", "compte nature", "imputation", "comptenum",
                                   "n° compte", "compte comptable")),
        "ligne": (True, "text", ("ligne", "ligne budgétaire", "ligne budget", "poste",
                                 "poste budgétaire", "budget line")),
        "montant": (True, "amount", ("montant", "montant ttc", "montant imputé",
                                     "montant pris en charge", "amount", "montant €")),
        "payeur": (False, "text", ("payeur", "payé par", "organisme payeur", "payer")),
        "code_analytique": (False, "text", ("code analytique", "analytique", "code projet",
                                            "axe analytique")),
    },
}  # fmt: skip

_PARSERS = {"amount": parse_amount, "date": parse_date, "month": parse_month}


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
    raw: dict[tuple[int, str], str] = field(default_factory=dict)  # (row_id, column) -> raw text
    notes: list[str] = field(default_factory=list)
    kind: str = "table"  # "fec" for a FEC ledger (pexaudit.fec): other DOUBLON keys, analytics over its lines

    @property
    def rows(self) -> int:
        return len(self.frame)

    def has(self, column: str) -> bool:
        return column in self.headers


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _alias_map(role: str, mapping: dict[str, str]) -> dict[str, str]:
    aliases = {}
    for canonical, (_, _, names) in FIELDS[role].items():
        aliases[normalize_key(canonical)] = canonical
        for name in names:
            aliases.setdefault(normalize_key(name), canonical)
    for header, canonical in mapping.items():  # inputs.columns wins over built-in aliases
        if canonical in FIELDS[role]:
            aliases[normalize_key(header)] = canonical
    return aliases


def _match_header(values: tuple, aliases: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, value in enumerate(values):
        canonical = aliases.get(normalize_key(value))
        if canonical and canonical not in found:
            found[canonical] = index
    return found


@dataclass
class _Header:
    row: int | None  # the header row (data starts below it); None when not found
    values: tuple
    found: dict[str, int]  # canonical -> column index
    near: int | None = None  # the closest candidate row, for the error message


def _find_header(rows: Iterator[tuple[int, tuple]], role: str, aliases: dict[str, str]) -> _Header:
    """The first of the first 20 rows holding every required column, else the best try.

    A two-level header (``Montants`` merged over ``Brut | Charges`` below, ``Matricule``
    merged down over both rows) reads as one: blank cells take the value of the row above.
    """
    required = {k for k, (req, _, _) in FIELDS[role].items() if req}
    best = _Header(None, (), {})
    previous: tuple = ()
    for number, values in rows:
        found = _match_header(values, aliases)
        if required <= found.keys():
            return _Header(number, values, found, number)
        if previous:
            width = max(len(values), len(previous))
            merged = tuple(
                values[i]
                if i < len(values) and not is_blank(values[i])
                else (previous[i] if i < len(previous) else None)
                for i in range(width)
            )
            found_merged = _match_header(merged, aliases)
            if required <= found_merged.keys():
                return _Header(number, merged, found_merged, number)
        if len(found) > len(best.found):
            best = _Header(None, values, found, number)
        if number >= HEADER_SEARCH_ROWS:
            break
        previous = values
    return best


def _missing_error(role: str, file: str, sheet: str | None, best: _Header) -> InputError:
    required = [k for k, (req, _, _) in FIELDS[role].items() if req]
    missing = [k for k in required if k not in best.found]
    hint = "ajoutez la colonne ou déclarez son en-tête dans inputs.columns de convention.yaml"
    where = f" ; l'en-tête le plus proche est ligne {best.near}" if best.near and best.found else ""
    return InputError(
        f"colonne obligatoire introuvable dans les {HEADER_SEARCH_ROWS} premières lignes "
        f"(attendu une ligne d'en-tête avec : {', '.join(required)}){where} ; {hint}",
        file=file,
        sheet=sheet,
        row=best.near if best.found else None,
        column=", ".join(missing),
    )


# --- physical readers: yield (sheet, iterator of (row number, values)) ----------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _xlsx_sheets(path: Path, file: str) -> Iterable[tuple[str, Iterator[tuple[int, tuple]]]]:
    """Visible sheets as (name, rows numbered as in Excel), read by calamine.

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
        sheets = [m.name for m in workbook.sheets_metadata if m.visible == SheetVisibleEnum.Visible]
    except Exception as exc:
        raise InputError(f"classeur .xlsx illisible ou corrompu ({type(exc).__name__}: {exc})", file=file) from None
    for name in sheets:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except Exception as exc:
            raise InputError(f"feuille illisible ({type(exc).__name__}: {exc})", file=file, sheet=name) from None
        # iter_rows starts at the first row of the used range: number rows from there.
        first = sheet.end[0] - sheet.height + 2 if sheet.height else 1
        yield name, enumerate((tuple(row) for row in sheet.iter_rows()), start=first)


def _formula_cells(path: Path, sheet: str, cells: set[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """Formula text of the given (row, column index) cells, read without cached values."""
    import openpyxl

    wanted: dict[int, set[int]] = {}
    for number, index in cells:
        wanted.setdefault(number, set()).add(index)
    last = max(wanted)
    found = {}
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        worksheet = workbook[sheet]
        worksheet.reset_dimensions()
        for number, values in enumerate(worksheet.iter_rows(min_row=1, max_row=last, values_only=True), start=1):
            for index in wanted.get(number, ()):
                value = values[index] if index < len(values) else None
                if isinstance(value, str) and value.startswith("="):
                    found[(number, index)] = value
    finally:
        workbook.close()
    return found


def _decode(data: bytes, file: str) -> tuple[str, str]:
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


def _build(
    role: str,
    rows: Iterator[tuple[int, tuple]],
    found: dict[str, int],
    table: Table,
    row_id_start: int,
    formulas=None,
) -> None:
    """Parse the data rows into canonical columns.

    ``formulas`` (xlsx only) maps blank cells to their formula text when the workbook holds a
    formula with no cached value (written by a program, never opened in Excel): such a cell is
    not empty but unreadable, so FORMAT, with the formula shown.
    """
    spec = FIELDS[role]
    columns: dict[str, list] = {name: [] for name in ("row_id", "row", *spec)}
    given: dict[str, list] = {name: [] for name in spec if spec[name][1] != "text"}
    positions = sorted(found.values())
    blanks: list[tuple[int, int, str, int, int]] = []  # (Excel row, column index, name, row_id, list index)
    row_id = row_id_start
    for number, values in rows:
        if all(is_blank(values[i]) if i < len(values) else True for i in positions):
            continue  # a blank line (or notes outside the recognised columns)
        columns["row_id"].append(row_id)
        columns["row"].append(number)
        for name, (_, kind, _) in spec.items():
            index = found.get(name)
            value = values[index] if index is not None and index < len(values) else None
            if kind == "text":
                columns[name].append(text_of(value))
                continue
            blank = is_blank(value)
            given[name].append(not blank)
            if blank and index is not None:
                blanks.append((number, index, name, row_id, len(given[name]) - 1))
            if index is None and name == "autres_couts":
                columns[name].append(0)  # column absent: default 0 (SPEC 4.1)
                continue
            try:
                columns[name].append(_PARSERS[kind](value))
            except ValueError:
                columns[name].append(None)
                if not blank:
                    table.raw[(row_id, name)] = text_of(value)
        row_id += 1
    if blanks and formulas is not None:
        texts = formulas({(number, index) for number, index, *_ in blanks})
        for number, index, name, rid, position in blanks:
            if (number, index) in texts:
                given[name][position] = True
                table.raw[(rid, name)] = f"{texts[(number, index)]} : formule sans valeur calculée"
    frame = pd.DataFrame({"row_id": columns["row_id"], "row": columns["row"]})
    size = len(frame)
    frame.insert(1, "source", pd.Series([role] * size, dtype=object))
    frame.insert(2, "file", pd.Series([table.file] * size, dtype=object))
    frame.insert(3, "sheet", pd.Series([table.sheet] * size, dtype=object))
    for name, (_, kind, _) in spec.items():
        if kind == "amount":
            frame[name] = pd.array(columns[name], dtype="Int64")
        else:
            frame[name] = pd.Series(columns[name], dtype=object)
        if name in given:
            frame[f"{name}_given"] = pd.Series(given[name], dtype=bool)
    table.frame = frame


def read_source(
    role: str, path: Path, file: str, columns: dict[str, str] | None = None, row_id_start: int = 0
) -> Table:
    """Read one payroll or expenses file (.xlsx or .csv) into a :class:`Table`."""
    if not path.is_file():
        raise InputError("fichier introuvable", file=file)
    aliases = _alias_map(role, columns or {})
    table = Table(role=role, file=file, path=path, sha256="", frame=pd.DataFrame())
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise InputError("fichier vide : attendu une ligne d'en-tête puis des lignes", file=file)
    best = _Header(None, (), {})
    best_sheet = None
    if suffix in (".xlsx", ".xlsm"):
        table.sha256 = sha256_of(path)
        for sheet, rows in _xlsx_sheets(path, file):
            header = _find_header(rows, role, aliases)
            if header.row is not None:
                table.sheet, table.header_row = sheet, header.row
                table.headers = {k: text_of(header.values[i]) for k, i in header.found.items()}
                lookup = functools.partial(_formula_cells, path, sheet)
                _build(role, rows, header.found, table, row_id_start, formulas=lookup)
                return table
            if len(header.found) > len(best.found) or best_sheet is None:
                best, best_sheet = header, sheet
        raise _missing_error(role, file, best_sheet, best)
    if suffix in (".csv", ".txt", ".tsv"):
        data = path.read_bytes()
        table.sha256 = hashlib.sha256(data).hexdigest()  # the bytes read once serve both
        text, encoding = _decode(data, file)
        for delimiter in (";", "\t", ",", "|"):
            rows = _csv_rows(text, delimiter)
            header = _find_header(rows, role, aliases)
            if header.row is not None:
                table.header_row = header.row
                table.headers = {k: text_of(header.values[i]) for k, i in header.found.items()}
                table.notes.append(f"CSV lu en {encoding}, séparateur {delimiter!r}")
                _build(role, rows, header.found, table, row_id_start)
                return table
            if len(header.found) > len(best.found):
                best = header
        raise _missing_error(role, file, None, best)
    raise InputError(f"format de fichier non pris en charge {suffix!r} : attendu .xlsx ou .csv", file=file)


def read_payroll(convention: Convention) -> Table | None:
    return _read_role(convention, "payroll", 0)


def read_expenses(convention: Convention, row_id_start: int = 0) -> Table | None:
    return _read_role(convention, "expenses", row_id_start)


def _read_role(convention: Convention, role: str, row_id_start: int) -> Table | None:
    name = convention.inputs.get(role)
    if not name:
        return None
    return read_source(role, convention.folder / name, name, convention.columns, row_id_start)
