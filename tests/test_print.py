"""Printed on A4, nothing is cut at the margin (SPEC 12): the report through Chromium, the workbook
through LibreOffice, for the sample, its definitive phase and a real FEC.

The report is measured twice: laid out with the print stylesheet at the printable width of A4
(every box and every line of text against the right margin of the page it prints on; Chromium
would otherwise shrink a page to fit an overflowing table, or cut it), then as printed by
``--pdf`` (every page A4, no glyph beyond the side margins, none smaller than the stylesheet's
smallest size, which a shrunk page would have, no text over text). The workbook is printed by
LibreOffice: every page A4, no glyph beyond the margins, no text over text, every page of a
sheet as wide as its columns (a sheet cut in two across pages would lose its last header on
the first page), and each sheet's page setup read back: scale of at least 60 %, header row
repeated, print area, sheet name and page number.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import defaultdict

import openpyxl
import pytest

from pexaudit.render.browser import SIDE_MARGIN_MM, print_layout
from pexaudit.render.workbook import MARGIN_IN, MIN_SCALE, page_fit

from .conftest import ROOT, SAMPLE, run_cli
from .pdf_text import MM, beyond, overlapping, pdf_pages

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("PEXAUDIT_SKIP_BROWSER")), reason="PEXAUDIT_SKIP_BROWSER set (make test installs chromium)"
    ),
]

CONVENTIONS = [SAMPLE, ROOT / "data" / "conventions" / "cd35-2024-definitif", ROOT / "tests" / "cases" / "fec-reel"]
SMALLEST_PT = 7.4  # the report's smallest print size is 7.5 pt (hashes); a shrunk page goes below


@pytest.fixture(scope="module", params=CONVENTIONS, ids=lambda p: p.name)
def printed(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("print")
    proc = run_cli("audit", request.param, "--out", out, "--pdf")
    assert proc.returncode == 0, proc.stderr
    (folder,) = [p for p in out.iterdir() if p.is_dir()]
    return folder


def test_report_laid_out_for_print_stays_within_the_page(printed):
    layout = print_layout(printed / "rapport.html", pdf=False)
    assert layout.boxes > 300 and layout.lines > 300  # the report was laid out, not an empty page
    assert layout.overflows == [], layout.overflows[:5]
    assert layout.scroll_width <= round(layout.width)
    assert max(layout.max_right.values()) <= layout.wide_width + 0.5


def test_report_pdf_is_a4_with_no_glyph_beyond_the_margins(printed):
    pages = pdf_pages((printed / "rapport.pdf").read_bytes())
    assert len(pages) >= 4
    for page in pages:
        assert page.is_a4, (page.number, page.width, page.height)
        assert len(page.glyphs) > 50
        assert beyond(page, SIDE_MARGIN_MM * MM, tolerance=1.5) == [], page.number
        assert min(g.size for g in page.glyphs) >= SMALLEST_PT, page.number  # not shrunk to fit
        assert overlapping(page) == [], page.number
    assert any(page.landscape for page in pages) == (printed.name != "fec-reel-2023")  # rejected rows: landscape
    text = "\n".join(page.text() for page in pages)
    assert "page1/" in text.replace(" ", "")  # page numbers in the footer


def _libreoffice_pdf(xlsx, tmp_path):
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice Calc is missing: `make test` installs it (make apps)"
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(xlsx)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return (tmp_path / xlsx.with_suffix(".pdf").name).read_bytes()


def test_workbook_page_setup_prints_each_sheet_readably(printed):
    wb = openpyxl.load_workbook(printed / "bilan_financier.xlsx")
    for ws in wb.worksheets:
        setup = ws.page_setup
        widths = [ws.column_dimensions[letter].width for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: ws.max_column]]
        assert int(setup.paperSize) == int(ws.PAPERSIZE_A4), ws.title
        assert int(setup.scale) >= MIN_SCALE, ws.title
        assert not ws.sheet_properties.pageSetUpPr.fitToPage, ws.title  # a fixed scale, honoured by LibreOffice
        assert (setup.orientation, int(setup.scale)) == page_fit(widths[: ws.max_column]), ws.title
        assert ws.print_title_rows == "$1:$1", ws.title
        assert ws.print_area, ws.title
        assert "&A" in ws.oddHeader.center.text and "&P" in ws.oddFooter.right.text, ws.title


def test_workbook_printed_by_libreoffice_is_a4_and_nothing_is_cut(printed, tmp_path):
    xlsx = printed / "bilan_financier.xlsx"
    pages = pdf_pages(_libreoffice_pdf(xlsx, tmp_path))
    wb = openpyxl.load_workbook(xlsx)
    by_sheet = defaultdict(list)
    for page in pages:
        assert page.is_a4, (page.number, page.width, page.height)
        assert beyond(page, MARGIN_IN["left"] * 72, tolerance=1.5) == [], page.number
        assert overlapping(page) == [], page.number
        by_sheet[page.first_line()].append(page)  # the page header: the sheet's name
    assert set(by_sheet) == {name.replace(" ", "") for name in wb.sheetnames}
    for ws in wb.worksheets:
        header = [c.value for c in ws[1]]
        if not all(isinstance(v, str) for v in header):
            continue
        first, last = header[0].split()[0], header[-1].split()[0]
        for page in by_sheet[ws.title.replace(" ", "")]:  # every page as wide as the sheet, header repeated
            assert first in page.text() and last in page.text(), (ws.title, page.number)
