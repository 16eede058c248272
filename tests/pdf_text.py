"""Where the glyphs of a PDF are: the print tests read the report (Chromium) and the workbook
(LibreOffice) as printed, page by page, with pdfminer.six."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field

MM = 72 / 25.4  # points in a millimetre
A4 = (210 * MM, 297 * MM)


@dataclass
class Glyph:
    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float


@dataclass
class Page:
    number: int
    width: float
    height: float
    glyphs: list[Glyph] = field(default_factory=list)

    @property
    def is_a4(self) -> bool:
        size = sorted((self.width, self.height))
        return abs(size[0] - A4[0]) < 1.5 and abs(size[1] - A4[1]) < 1.5

    @property
    def landscape(self) -> bool:
        return self.width > self.height

    def text(self) -> str:
        """The page's glyphs, top to bottom and left to right, lines joined by newlines."""
        lines: dict[int, list[Glyph]] = defaultdict(list)
        for g in self.glyphs:
            lines[round(g.y1)].append(g)
        return "\n".join(
            "".join(g.text for g in sorted(lines[y], key=lambda g: g.x0)) for y in sorted(lines, reverse=True)
        )

    def first_line(self) -> str:
        top = max((g.y1 for g in self.glyphs), default=0)
        return "".join(g.text for g in sorted((g for g in self.glyphs if g.y1 > top - 2), key=lambda g: g.x0)).strip()


def pdf_pages(data: bytes) -> list[Page]:
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams, LTChar

    pages = []

    def walk(item, page):
        if isinstance(item, LTChar):
            if item.get_text().strip():
                page.glyphs.append(Glyph(item.get_text(), item.x0, item.y0, item.x1, item.y1, item.size))
            return
        for child in getattr(item, "_objs", None) or []:
            walk(child, page)

    for number, layout in enumerate(extract_pages(io.BytesIO(data), laparams=LAParams()), start=1):
        page = Page(number, layout.width, layout.height)
        walk(layout, page)
        pages.append(page)
    return pages


def beyond(page: Page, side_margin: float, tolerance: float = 1.0) -> list[Glyph]:
    """Glyphs that start left of the left margin or end right of the right margin."""
    return [g for g in page.glyphs
            if g.x0 < side_margin - tolerance or g.x1 > page.width - side_margin + tolerance]  # fmt: skip


def overlapping(page: Page, share: float = 0.4) -> list[tuple[Glyph, Glyph]]:
    """Pairs of glyphs drawn over each other (each overlapping the other by more than ``share`` of
    its width and height): text printed over text."""
    cells: dict[tuple[int, int], list[Glyph]] = defaultdict(list)
    step = 12.0
    for g in page.glyphs:
        cells[(int(g.x0 // step), int(g.y0 // step))].append(g)
    found = []
    for (cx, cy), glyphs in cells.items():
        near = [h for dx in (-1, 0, 1) for dy in (-1, 0, 1) for h in cells.get((cx + dx, cy + dy), ())]
        for a in glyphs:
            for b in near:
                if b is a:
                    continue
                w = min(a.x1, b.x1) - max(a.x0, b.x0)
                h = min(a.y1, b.y1) - max(a.y0, b.y0)
                smallest_w = max(min(a.x1 - a.x0, b.x1 - b.x0), 0.1)
                smallest_h = max(min(a.y1 - a.y0, b.y1 - b.y0), 0.1)
                if w > share * smallest_w and h > share * smallest_h:
                    found.append((a, b))
    unique = {}
    for a, b in found:
        unique.setdefault(frozenset((id(a), id(b))), (a, b))
    return list(unique.values())
