"""What every document of a test case says, recorded, so that a restructuring shows any change.

``record(audit, tmp)`` returns, for one audited convention, its results.json (minus what changes
from run to run) and the amounts each document shows: the HTML report, the workbook's value
cells (formulas as written) and the letter. ``tests/snapshots/<case>.json`` holds the recorded
figures; ``PEXAUDIT_UPDATE_SNAPSHOTS=1 pytest tests/test_snapshots.py`` rewrites them (an
announced change of figures, in its own commit).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from docx import Document
from openpyxl import load_workbook

from pexaudit import notebook as nb
from pexaudit.core.audit import results
from pexaudit.model.bilan import build

AMOUNT = re.compile(r"[-+]?\d{1,3}(?:[ \u00a0\u202f]\d{3})*,\d{2}[ \u00a0\u202f]?€")
VOLATILE = ("run", "tool_version", "gx_version", "suites")


def amounts(text: str) -> dict[str, int]:
    """Every ``1 234,56 €`` of a text (spaces normalised), with how many times it appears."""
    found = (re.sub(r"[\u00a0\u202f ]", " ", m).replace(" €", " €") for m in AMOUNT.findall(text))
    return dict(sorted(Counter(found).items()))


def _report_text(b) -> str:
    from pexaudit.render.report import render_all

    html = render_all(b)
    html = re.sub(r"<style.*?</style>|<img[^>]*>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def _workbook_cells(path: Path) -> dict[str, list]:
    wb = load_workbook(path, read_only=True)
    out = {}
    for ws in wb.worksheets:
        cells = []
        for row in ws.iter_rows(values_only=True):
            cells.extend(v for v in row if isinstance(v, (int, float)) and not isinstance(v, bool))
        out[ws.title] = sorted(round(v, 2) for v in cells)
    return out


def _letter_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def record(a, tmp: Path) -> dict:
    document = {k: v for k, v in results(a).items() if k not in VOLATILE}
    b = build(a)
    nb.write_outputs(b, tmp)
    return {
        "results": document,
        "report": amounts(_report_text(b)),
        "workbook": _workbook_cells(tmp / "bilan_financier.xlsx"),
        "letter": amounts(_letter_text(tmp / "courrier.docx")),
    }
