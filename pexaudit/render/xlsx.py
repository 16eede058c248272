"""A streaming .xlsx writer: rows go straight to XML, a million cells in about a second.

openpyxl's write-only mode builds a cell object per value (about 25 s for a sheet of 57 000 rows
and 18 columns here); this writer turns each row into SpreadsheetML text as it comes, with inline
strings and a small fixed set of cell styles, and zips the parts at the end. It writes what the
bilan's workbook uses and nothing more: strings (always text, never formulas), numbers, dates,
formulas, bold, a header style, wrapped text, number formats, column widths, row heights, a frozen
header, an auto-filter, list validations (drop-downs), and the page setup for print (A4,
orientation, scale, margins, print titles and area, header and footer, grid lines). openpyxl,
LibreOffice and Excel read it.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

__all__ = ["Cell", "XlsxBook", "XlsxSheet", "column_letter"]

_EPOCH = dt.date(1899, 12, 30)
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


_LETTERS = [column_letter(i) for i in range(1, 200)]


@lru_cache(maxsize=1 << 14)  # a sheet repeats its file names, lines, classes and reasons
def escape(text: str) -> str:
    """XML text: markup escaped, characters XML 1.0 forbids written as Excel's _xHHHH_."""
    text = text.translate(_ESCAPE)
    if _ILLEGAL.search(text):
        text = _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    return text


class Style(NamedTuple):
    """A cell style (a tuple: hashed and compared at C speed, a million times a sheet)."""

    number_format: str | None = None
    bold: bool = False
    fill: str | None = None  # RGB of a solid fill
    wrap: bool = False
    top: bool = False  # vertical alignment top


class Cell(NamedTuple):
    """A value with a style; plain values (str, int, float, date, None) need no Cell."""

    value: object
    style: Style = Style()
    text: bool = False  # a string that starts with "=" stays a string


PLAIN = Style()


class XlsxBook:
    """Sheets in tab order; rows are appended to any sheet in any order, each sheet's in order."""

    def __init__(self, path: Path, creator: str = "", created: dt.datetime | None = None) -> None:
        self.path = Path(path)
        self.creator = creator
        self.created = created or dt.datetime.now()
        self.sheets: list[XlsxSheet] = []
        self.owners: list = []  # whatever wraps the sheets and must finish them before close()
        self._styles: dict[Style, int] = {PLAIN: 0}
        self._formats: dict[str, int] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix=".xlsx-", dir=self.path.parent)

    def sheet(self, title: str) -> XlsxSheet:
        sheet = XlsxSheet(self, title, Path(self._tmp.name) / f"sheet{len(self.sheets) + 1}.xml")
        self.sheets.append(sheet)
        return sheet

    def style_id(self, style: Style) -> int:
        found = self._styles.get(style)
        if found is None:
            found = self._styles[style] = len(self._styles)
            if style.number_format and style.number_format not in self._formats:
                self._formats[style.number_format] = 164 + len(self._formats)
        return found

    def close(self) -> None:
        """Write the .xlsx (into a temporary name, then in place)."""
        for sheet in self.sheets:
            sheet.close()
        partial = self.path.with_name(f".{self.path.name}.partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
            z.writestr("[Content_Types].xml", self._content_types())
            z.writestr("_rels/.rels", _ROOT_RELS)
            z.writestr("docProps/core.xml", self._core())
            z.writestr("docProps/app.xml", _APP)
            z.writestr("xl/workbook.xml", self._workbook())
            z.writestr("xl/_rels/workbook.xml.rels", self._workbook_rels())
            z.writestr("xl/styles.xml", self._styles_xml())
            for index, sheet in enumerate(self.sheets, start=1):
                z.write(sheet.file, f"xl/worksheets/sheet{index}.xml")
        partial.replace(self.path)
        self._tmp.cleanup()

    # --- parts ------------------------------------------------------------------------------

    def _content_types(self) -> str:
        sheets = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
            f"{sheets}</Types>"
        )

    def _core(self) -> str:
        when = self.created.replace(microsecond=0).isoformat() + "Z"
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f"<dc:creator>{escape(self.creator)}</dc:creator>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{when}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{when}</dcterms:modified>'
            "</cp:coreProperties>"
        )

    def _workbook(self) -> str:
        sheets = "".join(
            f'<sheet name="{escape(s.title)}" sheetId="{i}" r:id="rId{i}"/>' for i, s in enumerate(self.sheets, start=1)
        )
        names = []
        for i, s in enumerate(self.sheets):
            quoted = "'" + s.title.replace("'", "''") + "'"
            if s.print_titles:
                names.append(
                    f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{escape(quoted)}!{s.print_titles}</definedName>'
                )
            if s.print_area:
                names.append(
                    f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">{escape(quoted)}!{s.print_area}</definedName>'
                )
            if s.auto_filter:
                names.append(f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
                             f"{escape(quoted)}!{s.auto_filter}</definedName>")  # fmt: skip
        defined = f"<definedNames>{''.join(names)}</definedNames>" if names else ""
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<workbookPr/><bookViews><workbookView activeTab="0"/></bookViews>'
            f'<sheets>{sheets}</sheets>{defined}<calcPr calcId="191029" fullCalcOnLoad="1"/></workbook>'
        )

    def _workbook_rels(self) -> str:
        rels = "".join(
            f'<Relationship Id="rId{i}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self.sheets) + 1)
        )
        n = len(self.sheets) + 1
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{n}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        )

    def _styles_xml(self) -> str:
        formats = "".join(f'<numFmt numFmtId="{i}" formatCode="{escape(code)}"/>' for code, i in self._formats.items())
        fills = ['<fill><patternFill patternType="none"/></fill>', '<fill><patternFill patternType="gray125"/></fill>']
        fill_ids: dict[str, int] = {}
        xfs = []
        for style in sorted(self._styles, key=self._styles.get):
            fmt = self._formats.get(style.number_format, 0) if style.number_format else 0
            if style.fill and style.fill not in fill_ids:
                fill_ids[style.fill] = len(fills)
                fills.append(f'<fill><patternFill patternType="solid"><fgColor rgb="FF{style.fill}"/>'
                             '<bgColor indexed="64"/></patternFill></fill>')  # fmt: skip
            fill = fill_ids.get(style.fill, 0)
            align = ""
            if style.wrap or style.top:
                attrs = (' wrapText="1"' if style.wrap else "") + (' vertical="top"' if style.top else "")
                align = f"<alignment{attrs}/>"
            applies = (
                (' applyNumberFormat="1"' if fmt else "")
                + (' applyFont="1"' if style.bold else "")
                + (' applyFill="1"' if fill else "")
                + (' applyAlignment="1"' if align else "")
            )
            xfs.append(
                f'<xf numFmtId="{fmt}" fontId="{1 if style.bold else 0}" fillId="{fill}" borderId="0" xfId="0"'
                f"{applies}>{align}</xf>"
            )
        return (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<numFmts count="{len(self._formats)}">{formats}</numFmts>'
            '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
            f'<fills count="{len(fills)}">{"".join(fills)}</fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


@dataclass
class _Validation:
    choices: list[str]
    ref: str
    prompt: str
    error: str


@dataclass
class XlsxSheet:
    book: XlsxBook
    title: str
    file: Path
    widths: list[float] = field(default_factory=list)
    freeze: str | None = None
    auto_filter: str | None = None
    print_titles: str | None = None  # "$1:$1"
    print_area: str | None = None  # "$A$1:$R$120"
    orientation: str = "portrait"
    scale: int = 100
    margins: dict = field(default_factory=lambda: {"left": 0.7, "right": 0.7, "top": 0.75, "bottom": 0.75,
                                                     "header": 0.3, "footer": 0.3})  # fmt: skip
    header: str = ""  # odd header, SpreadsheetML codes (&C&9&A)
    footer: str = ""
    grid_lines: bool = False
    rows: int = 0

    def __post_init__(self) -> None:
        self._out = self.file.open("w", encoding="utf-8")
        self._validations: list[_Validation] = []
        self._started = False

    def _start(self) -> None:
        self._started = True
        pane = ""
        if self.freeze:
            row = int(re.sub(r"[A-Z]+", "", self.freeze)) - 1
            pane = (f'<pane ySplit="{row}" topLeftCell="{self.freeze}" activePane="bottomLeft" state="frozen"/>'
                    f'<selection pane="bottomLeft" activeCell="{self.freeze}" sqref="{self.freeze}"/>')  # fmt: skip
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(self.widths, start=1)
        )
        self._out.write(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheetPr><pageSetUpPr fitToPage="0"/></sheetPr>'
            f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>"
        )

    def validation(self, choices: list[str], ref: str, prompt: str) -> None:
        """A drop-down list on the cells ``ref`` (``K2:K400``)."""
        self._validations.append(_Validation(choices, ref, prompt, f"Choisissez : {', '.join(choices)}"))

    def append(self, values: list, height: float | None = None) -> int:
        """One row: plain values or :class:`Cell` objects; returns its number."""
        if not self._started:
            self._start()
        self.rows += 1
        r = self.rows
        book = self.book
        styles = book._styles
        parts = []
        for index, value in enumerate(values):
            if value is None:
                continue
            style = 0
            text = False
            if type(value) is Cell:
                value, cell_style, text = value
                style = styles.get(cell_style)
                if style is None:
                    style = book.style_id(cell_style)
                if value is None:
                    if style:
                        parts.append(f'<c r="{_LETTERS[index]}{r}" s="{style}"/>')
                    continue
            ref = _LETTERS[index]
            s = f' s="{style}"' if style else ""
            if isinstance(value, str):
                if value.startswith("=") and not text:
                    parts.append(f'<c r="{ref}{r}"{s}><f>{escape(value[1:])}</f></c>')
                else:
                    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
                    parts.append(f'<c r="{ref}{r}"{s} t="inlineStr"><is><t{space}>{escape(value)}</t></is></c>')
            elif isinstance(value, bool):
                parts.append(f'<c r="{ref}{r}"{s} t="b"><v>{int(value)}</v></c>')
            elif isinstance(value, int):
                parts.append(f'<c r="{ref}{r}"{s}><v>{value}</v></c>')
            elif isinstance(value, float):
                # Whole euros as integers (50, not 50.0): what Excel itself writes.
                number = int(value) if value.is_integer() and abs(value) < 1e15 else value
                parts.append(f'<c r="{ref}{r}"{s}><v>{number!r}</v></c>')
            elif isinstance(value, dt.datetime):
                serial = (value - dt.datetime(1899, 12, 30)).total_seconds() / 86400
                parts.append(f'<c r="{ref}{r}"{s}><v>{serial!r}</v></c>')
            elif isinstance(value, dt.date):
                parts.append(f'<c r="{ref}{r}"{s}><v>{(value - _EPOCH).days}</v></c>')
            else:
                parts.append(f'<c r="{ref}{r}"{s} t="inlineStr"><is><t>{escape(str(value))}</t></is></c>')
        size = f' ht="{height}" customHeight="1"' if height else ""
        self._out.write(f'<row r="{r}"{size}>{"".join(parts)}</row>')
        return r

    def close(self) -> None:
        if not self._started:
            self._start()
        out = self._out
        out.write("</sheetData>")
        if self.auto_filter:
            out.write(f'<autoFilter ref="{self.auto_filter.replace("$", "")}"/>')
        if self._validations:
            items = "".join(
                '<dataValidation type="list" allowBlank="1" showInputMessage="1" showErrorMessage="1" '
                f'errorTitle="Valeur refusée" error="{escape(v.error)}" prompt="{escape(v.prompt)}" sqref="{v.ref}">'
                f'<formula1>"{escape(",".join(v.choices))}"</formula1></dataValidation>'
                for v in self._validations
            )
            out.write(f'<dataValidations count="{len(self._validations)}">{items}</dataValidations>')
        if self.grid_lines:
            out.write('<printOptions gridLines="1"/>')
        m = self.margins
        out.write(f'<pageMargins left="{m["left"]}" right="{m["right"]}" top="{m["top"]}" bottom="{m["bottom"]}" '
                  f'header="{m["header"]}" footer="{m["footer"]}"/>')  # fmt: skip
        out.write(f'<pageSetup paperSize="9" scale="{self.scale}" orientation="{self.orientation}"/>')
        if self.header or self.footer:
            out.write(f"<headerFooter><oddHeader>{escape(self.header)}</oddHeader>"
                      f"<oddFooter>{escape(self.footer)}</oddFooter></headerFooter>")  # fmt: skip
        out.write("</worksheet>")
        out.close()


_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>pexaudit</Application></Properties>"
)
