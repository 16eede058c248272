"""The auditor's workbook ``bilan_financier.xlsx`` (openpyxl, streaming write).

It lays out the :class:`~pexaudit.model.Bilan` the report and the letter render: the same
rejected rows, shares, cuts, decisions and labels. Detail sheets hold one row per input row;
every total is a live Excel formula over them, so an auditor can trace any figure back to a
source row. Text that comes from input files is always written as a string cell, even when it
starts with ``=``, ``+``, ``-`` or ``@``.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path

import pandas as pd

from .. import __version__
from ..core.activity import STATUS_LABELS, action_name
from ..core.analytics import analytics_sheet_rows
from ..core.registry import FAILING_RULES, RULES
from ..model.bilan import ACCOUNT_GROUPS, Bilan, account_class, account_label
from ..money import cents_to_euros, euros_to_cents
from ..vocabulary import DECISION_VERBS, OUTCOMES, PAYMENT_SOURCES, PROCEDURE_LABELS, ROLES, SHEETS
from ..vocabulary import PHASES as PHASE_LABELS
from .activity import SHEET_KINDS, activity_sheet_rows
from .xlsx import PLAIN, Cell, Style, XlsxBook, column_letter

__all__ = ["write_workbook"]

RULE_LABELS = {code: e.label for code, e in RULES.items()}

EURO = '#,##0.00 "€";-#,##0.00 "€"'
PERCENT = "0.00 %"
DATE = "dd/mm/yyyy"
HEADER_FILL = "E3E3FD"


# Printing (SPEC 12): A4, each sheet at a fixed scale of at least 60 % computed from its column
# widths (LibreOffice reads "fit to one page wide" with an open height as one page in all, and
# shrinks a long sheet to nothing), portrait when it fits at 90 % or more, landscape otherwise.
# Long texts wrap within their column, the row heights written out (LibreOffice does not grow
# rows on opening), the header row repeated on every page, the sheet's name and page number
# in the header and footer.
PAPER_PT = (595.3, 841.9)  # A4 portrait, points
MARGIN_IN = {"left": 0.4, "right": 0.4, "top": 0.7, "bottom": 0.7, "header": 0.3, "footer": 0.3}
PORTRAIT_MIN_SCALE = 90
MIN_SCALE = 60
LINE_PT = 15  # one line of the default 11 pt font

# The few cell styles of the workbook (Calibri, named: a bold font without a name prints in
# LibreOffice in a wider fallback face).
S_HEAD = Style(bold=True, fill=HEADER_FILL, wrap=True, top=True)
S_BOLD = Style(bold=True)
S_WRAP = Style(wrap=True)  # bottom, as the cells beside it
S_EURO = Style(number_format=EURO)
S_EURO_BOLD = Style(number_format=EURO, bold=True)
S_DATE = Style(number_format=DATE)


def column_points(width: float) -> float:
    """The printed width of a column ``width`` characters wide: 5.55 pt a character as LibreOffice
    prints Calibri 11 (or its metric twin Carlito), Excel a little less; rounded up."""
    return 5.6 * width + 2


def page_fit(widths: list[float]) -> tuple[str, int]:
    """(orientation, scale in percent) at which columns of ``widths`` fit across an A4 page."""
    needed = sum(column_points(w) for w in widths)
    printable = {o: paper - 72 * (MARGIN_IN["left"] + MARGIN_IN["right"])
                 for o, paper in (("portrait", PAPER_PT[0]), ("landscape", PAPER_PT[1]))}  # fmt: skip
    portrait = min(100, int(printable["portrait"] * 100 / needed))
    if portrait >= PORTRAIT_MIN_SCALE:
        return "portrait", portrait
    return "landscape", min(100, int(printable["landscape"] * 100 / needed))


@cache
def _wrapped(style: Style) -> Style:
    return style._replace(wrap=True)


def text_lines(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column ``width`` characters wide (erring on more)."""
    per_line = max(1, int(width) - 1)
    return sum(max(1, -(-len(part) // per_line)) for part in text.split("\n"))


class _Sheet:
    """A streamed sheet with typed cell helpers; rows are appended in order.

    ``wrap``: the columns (header names, or 1-based numbers) whose long texts wrap; a text longer
    than its column becomes a wrapped cell and its row is given the height of its lines.
    """

    def __init__(self, wb: XlsxBook, title: str, widths: list[float], header: list[str] | None = None, wrap=()) -> None:
        self.ws = wb.sheet(title)
        wb.owners.append(self)
        self.title = title
        # A header's longest word on one line (bold: about 1.15 character widths a letter).
        widths = [max(w, round(1.15 * max(map(len, h.split())) + 1, 1)) if h else w
                  for w, h in zip(widths, [*(header or []), *[None] * len(widths)], strict=False)]  # fmt: skip
        self.widths = widths
        self.ws.widths = widths
        self.row = 0
        self.header_width = 0
        self.columns = {name: column_letter(i) for i, name in enumerate(header or [], start=1)}
        positions = {name: i for i, name in enumerate(header or [])}
        self.wrap = [(positions[c] if isinstance(c, str) else c - 1, widths[positions[c] if isinstance(c, str)
                      else c - 1]) for c in wrap]  # fmt: skip
        self._page_setup()
        if header:
            self.ws.freeze = "A2"
            self.header_width = len(header)
            self.append([self.head(h) for h in header])

    def _page_setup(self) -> None:
        ws = self.ws
        ws.orientation, ws.scale = page_fit(self.widths)
        ws.margins = dict(MARGIN_IN)
        ws.grid_lines = True
        ws.print_titles = "$1:$1"
        ws.header = "&C&9&A"
        ws.footer = "&L&8&F&R&8page &P / &N"
        self.scale = ws.scale

    def col(self, name: str) -> str:
        """The column letter of a header: formulas name columns, not letters typed by hand."""
        return self.columns[name]

    def freeze(self, cell: str) -> None:
        self.ws.freeze = cell

    def validation(self, choices: list[str], cells: str, prompt: str) -> None:
        self.ws.validation(choices, cells, prompt)

    def head(self, text: str) -> Cell:
        return Cell(text, S_HEAD, text=True)

    def text(self, value: object, *, bold: bool = False) -> Cell | str | None:
        """A string cell, never a formula, whatever the text starts with (plain strings are text
        already; only ``=`` needs marking, and bold a style)."""
        if value is None:
            return None
        text = str(value)
        if not bold and not text.startswith("="):
            return text
        return Cell(text, S_BOLD if bold else PLAIN, True)

    def euro(self, value: object, *, bold: bool = False) -> Cell:
        """Cents as euros, or a formula string starting with ``=``."""
        if isinstance(value, int):
            value = cents_to_euros(value)
        return Cell(value, S_EURO_BOLD if bold else S_EURO)

    def number(self, value: object, fmt: str) -> Cell:
        return Cell(value, Style(number_format=fmt))

    def date(self, value: dt.date | None) -> Cell:
        return Cell(value, S_DATE)

    def append(self, cells: list) -> int:
        lines = 1
        for index, width in self.wrap:
            if index < len(cells):
                value = cells[index]
                text = value.value if isinstance(value, Cell) else value
                if isinstance(text, str) and len(text) >= width - 1 and not text.startswith("="):
                    style = value.style if isinstance(value, Cell) else PLAIN
                    cells[index] = Cell(text, _wrapped(style), True)
                    lines = max(lines, text_lines(text, width))
        first = cells[0] if cells else None
        if isinstance(first, Cell) and first.style == S_HEAD:  # a header row
            for value, width in zip(cells, self.widths, strict=False):
                if isinstance(value, Cell) and isinstance(value.value, str):
                    lines = max(lines, text_lines(value.value, width * 0.9))
        self.row = self.ws.append(cells, LINE_PT * lines + 2 if lines > 1 else None)
        return self.row

    def finish(self) -> None:
        """The print area: every written row, across the sheet's columns."""
        if self.row:
            self.ws.print_area = f"$A$1:${column_letter(len(self.widths))}${self.row}"

    def filter(self) -> None:
        if self.header_width:
            self.ws.auto_filter = f"$A$1:${column_letter(self.header_width)}${max(self.row, 2)}"


def _int(value) -> int | None:
    return None if value is None or value is pd.NA or value != value else int(value)


def _date(value) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def write_workbook(b: Bilan, path: Path) -> None:
    """Write the workbook of ``b`` to ``path``: one function per sheet, in tab order.

    Synthèse is the first tab but is filled last: its formulas refer to the Budget total, whose
    SUMIFS refer to the detail sheets (write-only sheets are filled in any order, saved in tab order).
    """
    a = b.audit
    wb = XlsxBook(path, creator=f"pexaudit {__version__}", created=a.started.replace(tzinfo=None, microsecond=0))
    synthese = _Sheet(wb, SHEETS["synthese"], [40, 22, 48], wrap=(1, 2, 3))
    budget = _Sheet(wb, SHEETS["budget"], [12, 24, 14, 14, 14, 14, 14, 14, 14, 14, 10, 14], wrap=(1, 2, 3))
    pay, exp = _personnel_sheet(wb, b), _gestion_sheet(wb, b)
    total_row = _fill_budget(budget, b, pay, exp)
    _fill_synthese(synthese, b, total_row)
    for write in (_rejected_sheet, _shares_sheet, _findings_sheet, _trail_sheet, _activity_sheet, _analytics_sheet,
                  _decisions_sheet, _procedure_sheet, _explanations_sheet):  # fmt: skip
        write(wb, b)
    for sheet in wb.owners:
        sheet.finish()
    wb.close()


PERSONNEL_HEADER = ["Source", "Fichier", "Feuille", "Ligne", "Agent", "Matricule", "Mois", "Ligne budgétaire",
                    "Montant déclaré", "Montant éligible", "Non retenu", "Règles", "Motifs"]  # fmt: skip
GESTION_HEADER = ["Source", "Fichier", "Feuille", "Ligne", "Pièce", "Date", "Date de paiement", "Fournisseur",
                  "Libellé", "Compte", "Classe", "Charge", "Ligne budgétaire", "Montant déclaré", "Montant éligible",
                  "Non retenu", "Règles", "Motifs"]  # fmt: skip


def _personnel_sheet(wb: XlsxBook, b: Bilan) -> _Sheet:
    """Every payroll row: declared, eligible, not retained (a formula), rules and reasons."""
    pay = _Sheet(
        wb,
        SHEETS["personnel"],
        [8, 14, 12, 7, 11, 11, 10.5, 12, 13, 13, 13, 12, 40],
        PERSONNEL_HEADER,
        wrap=("Fichier", "Feuille", "Agent", "Ligne budgétaire", "Règles", "Motifs"),
    )
    declared, eligible = pay.col("Montant déclaré"), pay.col("Montant éligible")
    rows = b.audit.rows
    for rec in rows[rows["source"] == "payroll"].itertuples(index=False):
        r = pay.row + 1
        pay.append(
            [pay.text("paie"), pay.text(rec.file), pay.text(rec.sheet), _int(rec.row), pay.text(rec.who),
             pay.text(rec.matricule), pay.date(_date(rec.month)), pay.text(rec.line),
             pay.euro(int(rec.amount)), pay.euro(int(rec.eligible_amount)), pay.euro(f"={declared}{r}-{eligible}{r}"),
             pay.text(", ".join(rec.rules)), pay.text(" ; ".join(rec.reasons))]
        )  # fmt: skip
    pay.filter()
    return pay


# A FEC's rows (SPEC 11) have no sheet: its column gives way to where the payment date comes from.
FEC_GESTION_HEADER = [*GESTION_HEADER[:2], *GESTION_HEADER[3:7], "Payée par", "Journal du paiement",
                      "Écriture du paiement", *GESTION_HEADER[7:]]  # fmt: skip
GESTION_WIDTHS = [8, 12, 10, 7, 12, 10.5, 10.5, 16, 22, 9, 7, 8, 11, 13, 13, 13, 10, 28]
FEC_GESTION_WIDTHS = [8, 12, 7, 12, 10.5, 10.5, 9, 10, 10, 14, 16, 9, 7, 8, 11, 13, 13, 13, 10, 20]


def _gestion_sheet(wb: XlsxBook, b: Bilan) -> _Sheet:
    """Every expense row and the flat-rate row, with its account class (Cerfa 15059); for a FEC,
    the payment source, journal and entry that paid each row instead of the sheet."""
    rows = b.audit.rows
    fec = "journal" in rows and rows["journal"].notna().any()
    exp = _Sheet(wb, SHEETS["gestion"], FEC_GESTION_WIDTHS if fec else GESTION_WIDTHS,
                 FEC_GESTION_HEADER if fec else GESTION_HEADER,
                 wrap=("Fichier", "Pièce", "Fournisseur", "Libellé", "Ligne budgétaire", "Règles", "Motifs",
                       *(("Payée par",) if fec else ("Feuille",))))  # fmt: skip
    declared, eligible = exp.col("Montant déclaré"), exp.col("Montant éligible")
    management = {m.line for m in b.convention.management_lines}
    for rec in rows[rows["source"] != "payroll"].itertuples(index=False):
        r = exp.row + 1
        forfait = rec.source == "forfait"
        compte = None if forfait else rec.compte
        where = [exp.text(rec.file)] if fec else [exp.text(rec.file), exp.text(rec.sheet)]
        paid = []
        if fec:
            source = None if forfait else rec.payment_source
            paid = [exp.text(PAYMENT_SOURCES.get(source, source)), exp.text(None if forfait else rec.payment_journal),
                    exp.text(None if forfait else rec.payment_entry)]  # fmt: skip
        exp.append(
            [exp.text("forfait" if forfait else "dépense"), *where,
             None if forfait else _int(rec.row), exp.text("forfait de gestion" if forfait else rec.piece),
             exp.date(None if forfait else _date(rec.date)), exp.date(None if forfait else _date(rec.date_paiement)),
             *paid, exp.text(None if forfait else rec.fournisseur), exp.text(rec.reasons[0] if forfait else rec.libelle),
             exp.text(compte), exp.text(account_class(compte)),
             exp.text("indirecte" if rec.line in management else "directe"),
             exp.text(rec.line), exp.euro(int(rec.amount)), exp.euro(int(rec.eligible_amount)),
             exp.euro(f"={declared}{r}-{eligible}{r}"), exp.text(", ".join(rec.rules)),
             exp.text("" if forfait else " ; ".join(rec.reasons))]
        )  # fmt: skip
    exp.filter()
    return exp


def _sumifs(sheet: _Sheet, value: str, key: str, criterion: str) -> str:
    """SUMIFS over a detail sheet, its columns named by their headers."""
    last = max(sheet.row, 2)
    v, k = sheet.col(value), sheet.col(key)
    return f"SUMIFS('{sheet.title}'!${v}$2:${v}${last},'{sheet.title}'!${k}$2:${k}${last},{criterion})"


def _fill_budget(budget: _Sheet, b: Bilan, pay: _Sheet, exp: _Sheet) -> int:
    """The Cerfa 15059 table (prévision / réalisation / écart / %), live; returns the total row."""
    budget.append([budget.head(h) for h in (
        "Ligne", "Intitulé", "Nature", "Prévision (annexe 2)", "Réalisation déclarée",
        "Éligible avant plafond", "Écrêtement (plafond, dépassement)", "Réalisation éligible", "Non retenu",
        "Écart (€)", "Écart (%)", "Taux d'exécution")])  # fmt: skip
    budget.freeze("A2")
    first = budget.row + 1
    for line in b.lines:
        r = budget.row + 1
        key = f"$A{r}"
        declared = (f"={_sumifs(pay, 'Montant déclaré', 'Ligne budgétaire', key)}"
                    f"+{_sumifs(exp, 'Montant déclaré', 'Ligne budgétaire', key)}")  # fmt: skip
        before = (f"={_sumifs(pay, 'Montant éligible', 'Ligne budgétaire', key)}"
                  f"+{_sumifs(exp, 'Montant éligible', 'Ligne budgétaire', key)}")  # fmt: skip
        budget.append(
            [budget.text(line.line), budget.text(line.label), budget.text(line.kind_label), budget.euro(line.budget),
             budget.euro(declared), budget.euro(before), budget.euro(sum(line.cuts.values())),
             budget.euro(f"=F{r}-G{r}"), budget.euro(f"=E{r}-H{r}"), budget.euro(f"=H{r}-D{r}"),
             budget.number(f'=IF(D{r}=0,"",ROUND(J{r}/D{r}*100,2))', '0.00" %"'),
             budget.number(f'=IF(D{r}=0,"",H{r}/D{r})', PERCENT)]
        )  # fmt: skip
    last = budget.row
    total_row = budget.append(
        [budget.text("Total", bold=True), None, None]
        + [budget.euro(f"=SUM({col}{first}:{col}{last})", bold=True) for col in "DEFGHIJ"]
        + [budget.number(f'=IF(D{last + 1}=0,"",ROUND(J{last + 1}/D{last + 1}*100,2))', '0.00" %"'),
           budget.number(f'=IF(D{last + 1}=0,"",H{last + 1}/D{last + 1})', PERCENT)]
    )  # fmt: skip
    budget.append([])
    budget.append([budget.head(h) for h in ("Compte (classe)", "Intitulé", "", "", "Réalisation déclarée",
                                            "Réalisation éligible")])  # fmt: skip
    p_declared, p_eligible, last_pay = pay.col("Montant déclaré"), pay.col("Montant éligible"), max(pay.row, 2)
    rows = b.audit.rows
    expenses = rows[rows["source"] == "expenses"]
    management = {m.line for m in b.convention.management_lines}
    for group in ("directes", "indirectes"):
        budget.append([budget.text(ACCOUNT_GROUPS[group], bold=True)])
        if group == "directes":
            budget.append(
                [budget.text("64"), budget.text(account_label("64")), None, None,
                 budget.euro(f"=SUM('{pay.title}'!{p_declared}2:{p_declared}{last_pay})"),
                 budget.euro(f"=SUM('{pay.title}'!{p_eligible}2:{p_eligible}{last_pay})")]
            )  # fmt: skip
        mine = expenses[expenses["line"].isin(management) == (group == "indirectes")]
        charge = '"indirecte"' if group == "indirectes" else '"directe"'
        for cls in sorted({account_class(v) for v in mine["compte"]} - {None}):
            key = f'"{cls}"'
            both = f"{key},'{exp.title}'!${exp.col('Charge')}$2:${exp.col('Charge')}${max(exp.row, 2)},{charge}"
            budget.append(
                [budget.text(cls), budget.text(account_label(cls)), None, None,
                 budget.euro(f"={_sumifs(exp, 'Montant déclaré', 'Classe', both)}"),
                 budget.euro(f"={_sumifs(exp, 'Montant éligible', 'Classe', both)}")]
            )  # fmt: skip
        if group == "indirectes" and b.headline.forfait:
            forfait = b.headline.forfait
            budget.append([None, budget.text("Forfait de gestion (calculé)"), None, None, budget.euro(forfait),
                           budget.euro(forfait)])  # fmt: skip
    if b.cuts:
        budget.append([budget.text(ACCOUNT_GROUPS["retenues"], bold=True)])
        for cut in b.cuts:
            budget.append([budget.text(cut.rule), budget.text(f"{cut.rule_label} ({cut.line_label})"), None, None,
                           None, budget.euro(-cut.amount)])  # fmt: skip
    return total_row


def _fill_synthese(synthese: _Sheet, b: Bilan, total_row: int) -> None:
    """The settlement formula of SPEC section 6, live, from the Budget total."""
    c, h = b.convention, b.headline
    t = f"Budget!$H${total_row}"
    synthese.append([synthese.text(b.title, bold=True), synthese.text(c.id)])
    synthese.append([synthese.text("Convention"), synthese.text(c.title)])
    synthese.append(
        [synthese.text("Bénéficiaire"), synthese.text(c.beneficiary_name), synthese.text(f"SIRET {c.siret}")]
    )
    synthese.append([synthese.text("Période"), synthese.date(c.period_start), synthese.date(c.period_end)])
    synthese.append([])
    g = synthese.append([synthese.text(f"Subvention accordée ({c.art('contribution')})"), synthese.euro(h.granted)])
    bud = synthese.append([synthese.text("Budget prévisionnel total"), synthese.euro(f"=Budget!$D${total_row}")])
    if c.funding_rate is not None:
        rate = synthese.append(
            [synthese.text("Taux de financement (convention)"), synthese.number(float(c.funding_rate), "0.0000%")]
        )
    else:
        rate = synthese.append(
            [synthese.text("Taux de financement (accordé / budget)"), synthese.number(f"=B{g}/B{bud}", "0.0000%")]
        )
    e = synthese.append([synthese.text("Dépenses éligibles"), synthese.euro(f"={t}")])
    if h.cap_cost is None:
        j = synthese.append(
            [synthese.text("Montant justifié"),
             synthese.euro(f"=MAX(0,MIN(B{g},ROUND(B{rate}*B{e},2)))", bold=True),
             synthese.text("min(accordé ; arrondi(taux × éligible ; 2))")]
        )  # fmt: skip
    else:
        first_funder = synthese.row + 1
        for funder, amount in h.funders:
            synthese.append([synthese.text(f"Autre financement : {funder}"), synthese.euro(amount)])
        o = synthese.append([synthese.text("Autres financements"),
                             synthese.euro(f"=SUM(B{first_funder}:B{synthese.row})")])  # fmt: skip
        rest = synthese.append([synthese.text("Coût restant (éligible − autres financements)"),
                                synthese.euro(f"=MAX(0,B{e}-B{o})")])  # fmt: skip
        j = synthese.append(
            [synthese.text("Montant justifié"),
             synthese.euro(f"=MAX(0,MIN(B{g},ROUND(B{rate}*B{e},2),B{rest}))", bold=True),
             synthese.text("min(accordé ; arrondi(taux × éligible ; 2) ; coût restant)")]
        )  # fmt: skip
    first_pay = synthese.row + 2
    synthese.append([synthese.head("Versements"), synthese.head("Montant"), synthese.head("Date")])
    for p in c.payments:
        synthese.append([synthese.text("versement"), synthese.euro(p.amount), synthese.date(p.date)])
    last_pay = max(synthese.row, first_pay)
    v = synthese.append(
        [synthese.text(f"Total versé ({c.art('versement')})"), synthese.euro(f"=SUM(B{first_pay}:B{last_pay})")]
    )
    bal = synthese.append([synthese.text("Solde (justifié − versé)"), synthese.euro(f"=B{j}-B{v}", bold=True)])
    synthese.append(
        [synthese.text("Issue"),
         synthese.number(f'=IF(B{bal}>0,"{OUTCOMES["solde"]}",IF(B{bal}<0,"{OUTCOMES["reversement"]}","{OUTCOMES["solde_nul"]}"))', "@"),
         synthese.text(h.outcome_label)]
    )  # fmt: skip
    synthese.append([synthese.text("Montant à verser ou à reverser"), synthese.euro(f"=ABS(B{bal})", bold=True)])
    synthese.append([synthese.text("Verdict"), synthese.text(h.verdict_label, bold=True)])
    synthese.append([])
    synthese.append([synthese.text(f"Établi par pexaudit {__version__} le {b.audit.started:%d/%m/%Y}")])


ROWS_HEADER = ["Nature", "Fichier", "Feuille", "Ligne", "Référence", "Ligne budgétaire", "Montant déclaré",
               "Écarté", "Règle", "Décision", "Enjeu (solde)", "Règles relevées", "Motifs"]  # fmt: skip


def _rejected_sheet(wb: XlsxBook, b: Bilan) -> None:
    """Dépenses écartées: the rejected rows after decisions (SPEC 12), largest stake first, and
    their total; shares and line-level cuts are on the Quotes-parts sheet."""
    sheet = _Sheet(
        wb,
        SHEETS["rejected"],
        [9, 12, 10, 7, 30, 12, 13, 13, 11, 14, 13, 12, 36],
        ROWS_HEADER,
        wrap=("Fichier", "Feuille", "Référence", "Ligne budgétaire", "Décision", "Règles relevées", "Motifs"),
    )
    for row in b.rejected:
        motive = row.decision.motive if row.decision is not None and row.decision.decision != "accept" else None
        sheet.append(
            [sheet.text(row.nature), sheet.text(row.file), sheet.text(row.sheet), row.row, sheet.text(row.name),
             sheet.text(row.line), sheet.euro(row.amount), sheet.euro(row.rejected), sheet.text(row.rule),
             sheet.text(row.decision_label), None if row.impact is None else sheet.euro(row.impact),
             sheet.text(", ".join(row.rules)), sheet.text(" ; ".join(filter(None, (motive, row.readable_reasons))))]
        )  # fmt: skip
    last = sheet.row
    sheet.filter()
    # Nothing rejected: 0, not a SUM over the total row itself (a circular reference).
    totals = [f"=SUM({c}2:{c}{last})" if last >= 2 else 0 for c in (sheet.col("Montant déclaré"), sheet.col("Écarté"))]
    count = (
        f"{b.rejected.count} ligne{'s' if b.rejected.count > 1 else ''} écartée{'s' if b.rejected.count > 1 else ''}"
    )
    sheet.append([sheet.text("Total", bold=True), None, None, None, sheet.text(count), None,
                  sheet.euro(totals[0], bold=True), sheet.euro(totals[1], bold=True)])  # fmt: skip


def _shares_sheet(wb: XlsxBook, b: Bilan) -> None:
    """Quotes-parts: what is not retained without being a rejection (AFFECTATION and FORFAIT
    shares of rows, PLAFOND_GESTION and DEPASSEMENT on lines), and the reconciliation with the
    declared − eligible total."""
    sheet = _Sheet(wb, SHEETS["shares"], [16, 12, 10, 7, 30, 12, 13, 13, 30],
                   ["Règle", "Fichier", "Feuille", "Ligne", "Référence", "Ligne budgétaire", "Montant déclaré",
                    "Non retenu", "Ce que c'est"],
                   wrap=("Fichier", "Feuille", "Référence", "Ligne budgétaire", "Ce que c'est"))  # fmt: skip
    for row in b.shares:
        sheet.append(
            [sheet.text(row.share_rule), sheet.text(row.file), sheet.text(row.sheet), row.row, sheet.text(row.name),
             sheet.text(row.line), sheet.euro(row.amount), sheet.euro(row.share),
             sheet.text(RULE_LABELS.get(row.share_rule))]
        )  # fmt: skip
    for cut in b.cuts:
        sheet.append(
            [sheet.text(cut.rule), None, None, None, sheet.text(f"ligne « {cut.line_label} »"), sheet.text(cut.line),
             None, sheet.euro(cut.amount), sheet.text(cut.rule_label)]
        )  # fmt: skip
    last = sheet.row
    sheet.filter()
    col = sheet.col("Non retenu")
    total = sheet.append([sheet.text("Total", bold=True), None, None, None, None, None, None,
                          sheet.euro(f"=SUM({col}2:{col}{last})" if last >= 2 else 0, bold=True)])  # fmt: skip
    sheet.append([])
    h = b.headline
    sheet.append([sheet.text("Dépenses écartées"), None, None, None, None, None, None, sheet.euro(h.rejected)])
    sheet.append(
        [sheet.text("Non retenu sans rejet"), None, None, None, None, None, None, sheet.euro(f"={col}{total}")]
    )
    sheet.append([sheet.text("Déclaré − éligible", bold=True), None, None, None, None, None, None,
                  sheet.euro(h.not_retained, bold=True)])  # fmt: skip


def _findings_sheet(wb: XlsxBook, b: Bilan) -> None:
    sheet = _Sheet(
        wb,
        SHEETS["findings"],
        [12, 20, 70, 13, 30],
        ["Gravité", "Règle", "Constat", "Montant", "Lignes citées"],
        wrap=("Règle", "Constat", "Lignes citées"),
    )
    for f in b.findings:
        sheet.append([sheet.text(f.severity_label), sheet.text(f.rule), sheet.text(f.message),
                      sheet.euro(f.amount) if f.amount is not None else None, sheet.text(" ; ".join(f.refs))])  # fmt: skip
    sheet.filter()


def _trail_sheet(wb: XlsxBook, b: Bilan) -> None:
    a = b.audit
    sheet = _Sheet(wb, SHEETS["trail"], [16, 40, 10, 68], ["Rôle", "Fichier", "Lignes", "SHA-256"], wrap=(1, 2, 4))
    for item in a.inputs_trail:
        sheet.append(
            [sheet.text(ROLES[item["role"]]), sheet.text(item["path"]), item["rows"], sheet.text(item["sha256"])]
        )
    sheet.append([])
    sheet.append([sheet.text("Outil"), sheet.text(f"pexaudit {__version__}")])
    sheet.append([sheet.text("Great Expectations"), sheet.text(a.gx_version)])
    for name, version in a.suites.items():
        sheet.append([sheet.text("Suite GX"), sheet.text(f"{name} v{version}")])
    sheet.append([sheet.text("Date du contrôle"), sheet.text(a.started.strftime("%d/%m/%Y %H:%M"))])


# The round trip of SPEC 9: the auditor fills these three sheets, saves the workbook as
# decisions.xlsx in the convention folder and runs again (pexaudit.decisions reads them).
DECISION_HEADER = ["Fichier", "Feuille", "Ligne", "Ligne budgétaire", "Référence", "Montant déclaré", "Écarté",
                   "Règles", "Motifs", "Enjeu (solde)", "Décision", "Montant retenu", "Règle", "Motif",
                   "Constat"]  # fmt: skip
SPARE_ROWS = 200  # drop-downs below the listed rows, for a decision on a row the rules kept


def _list_validation(sheet: _Sheet, choices: list[str], cells: str, prompt: str) -> None:
    """A drop-down list on ``cells`` (the error message says the allowed values)."""
    sheet.validation(choices, cells, prompt)


def _decisions_sheet(wb: XlsxBook, b: Bilan) -> None:
    """Décisions, pre-filled: the rejected rows (largest stake first), the rows a finding names for
    the auditor to decide (DOUBLON_PROBABLE, its rule in « Constat »), then the rows the auditor
    accepted (their decision kept for the round trip); never a row losing only a share. With
    missions declared, a Mission column, then the actions of the activity file read hors mission
    or decided (SPEC 10), in file order."""
    missions = [m.code for m in b.convention.missions]
    sheet = _Sheet(
        wb,
        SHEETS["decisions"],
        # Motifs a little narrower with the Mission column, for the sheet to print at 60 % or more.
        [12, 10, 7, 12, 24, 13, 13, 12, 24, 13, 11, 13, 11, 24, 14, *([11] if missions else [])],
        DECISION_HEADER + (["Mission"] if missions else []),
        wrap=("Fichier", "Feuille", "Ligne budgétaire", "Référence", "Règles", "Motifs", "Motif", "Constat"),
    )
    accepted = [d.row for d in b.decisions if d.decision.decision == "accept"]
    # Rows a finding names (DOUBLON_PROBABLE), below the rejected rows: retained, to be decided.
    listed = [*((row, None) for row in b.rejected), *((e.row, e) for e in b.to_examine), *((r, None) for r in accepted)]
    for row, e in listed:
        d = row.decision
        reasons = f"à examiner ({e.label}) avec {e.others_text}" if e else row.readable_reasons
        sheet.append(
            [sheet.text(row.file), sheet.text(row.sheet), row.row, sheet.text(row.line), sheet.text(row.name),
             sheet.euro(row.amount), sheet.euro(row.rejected), sheet.text(", ".join(row.rules)),
             sheet.text(reasons), None if row.impact is None else sheet.euro(row.impact),
             sheet.text(DECISION_VERBS[d.decision]) if d else None,
             sheet.euro(d.amount) if d and d.amount is not None else None,
             sheet.text(d.rule) if d else None, sheet.text(d.motive) if d else None,
             sheet.text(f"{e.rule} (groupe {e.group})") if e else None]
        )  # fmt: skip
    _activity_decision_rows(sheet, b)
    last = max(sheet.row, 2) + SPARE_ROWS
    _list_validation(sheet, list(DECISION_VERBS.values()), f"K2:K{last}", "accepter, rejeter ou partiel")
    _list_validation(sheet, list(FAILING_RULES), f"M2:M{last}", "règle du rejet (rejeter, partiel)")
    choices = ",".join(missions)
    if missions and len(choices) <= LIST_LIMIT:
        column = sheet.col("Mission")
        _list_validation(sheet, missions, f"{column}2:{column}{last}", "mission d'une action acceptée (accepter)")
    sheet.filter()


# Excel refuses a drop-down written in the cell rule itself beyond 255 characters: past it, the
# Mission column is free text (the codes are read as labels and aliases are, in any case).
LIST_LIMIT = 255


def _activity_decision_rows(sheet: _Sheet, b: Bilan) -> None:
    """The actions an auditor may decide on: those read hors mission, and those already decided
    (their decision kept for the round trip); named by date and mission as written."""
    activity = b.audit.activity
    if activity is None:
        return
    for r in activity.rows:
        if r.status != "hors_mission" and r.decision is None:
            continue
        before, d = r.before or r, r.decision
        sheet.append(
            [sheet.text(r.file), sheet.text(r.sheet), r.row, None, sheet.text(action_name(r)), None, None,
             sheet.text(STATUS_LABELS[before.status]), sheet.text(before.reason), None,
             sheet.text(DECISION_VERBS[d.decision]) if d else None, None, None,
             sheet.text(d.motive) if d else None, None, sheet.text(d.mission) if d and d.mission else None]
        )  # fmt: skip


def _procedure_sheet(wb: XlsxBook, b: Bilan) -> None:
    p = b.procedure
    sheet = _Sheet(wb, SHEETS["procedure"], [30, 30, 50], wrap=(1, 2, 3))
    rows = [
        ("phase", sheet.text(PHASE_LABELS[p.phase]), "provisoire (lettre d'observations) ou définitif (notification)"),
        ("auditor", sheet.text(p.auditor), "service qui contrôle, repris sur le visa"),
        ("observations_sent", sheet.date(p.observations_sent), "date d'envoi de la lettre d'observations"),
        ("response_days", p.response_days, "jours calendaires laissés au bénéficiaire pour répondre"),
        ("response_received", sheet.date(p.response_received), "vide : pas de réponse reçue"),
    ]
    for key, value, hint in rows:
        sheet.append([sheet.text(PROCEDURE_LABELS[key]), value, sheet.text(hint)])
    _list_validation(sheet, list(PHASE_LABELS.values()), "B1", "provisoire ou définitif")


def _explanations_sheet(wb: XlsxBook, b: Bilan) -> None:
    sheet = _Sheet(
        wb, SHEETS["explanations"], [12, 22, 13, 13, 13, 10, 45, 45],
        ["Ligne", "Intitulé", "Budget", "Éligible", "Écart", "Écart (%)", "Explication", "Brouillon"],
        wrap=("Intitulé", "Explication", "Brouillon"),
    )  # fmt: skip
    for line in b.lines:
        mine = line.explanation if line.explanation_source == "beneficiaire" else None
        if not line.alert and mine is None:
            continue
        sheet.append(
            [sheet.text(line.line), sheet.text(line.label), sheet.euro(line.budget), sheet.euro(line.eligible),
             sheet.euro(line.variance), sheet.number(_rate(line.variance_pct), '0.00" %"'),
             sheet.text(mine), sheet.text(line.draft)]
        )  # fmt: skip


def _rate(value) -> float | None:
    return None if value is None else float(value)


def _analytics_sheet(wb: XlsxBook, b: Bilan) -> None:
    """Analyse du grand livre: each test's count and every line it flags, up to 10 000 a test, then
    the count of the rest (Benford: its counts per digit); pay-posting labels masked."""
    header, *rows = analytics_sheet_rows(b.audit.analytics, b.audit.flagged)
    sheet = _Sheet(wb, SHEETS["analytics"], [24, 30, 18, 7, 10.5, 13, 10, 36], header, wrap=(1, 2, 3, 8))
    for title, summary, file, line, day, amount, account, label in rows:
        sheet.append(
            [sheet.text(title, bold=summary is not None), sheet.text(summary), sheet.text(file), line,
             sheet.date(day if isinstance(day, dt.date) else None),
             sheet.euro(euros_to_cents(amount)) if amount is not None else None, sheet.text(account),
             sheet.text(label)]
        )  # fmt: skip
    sheet.filter()


def _activity_sheet(wb: XlsxBook, b: Bilan) -> None:
    """Activité: every row of the activity file, action texts included (they stay out of the HTML)."""
    activity = b.audit.activity
    header, rows = activity_sheet_rows(activity)
    sheet = _Sheet(
        wb,
        SHEETS["activity"],
        [12, 10, 7, 10.5, 20, 14, 36, 14, 8, 12, 11, 30],
        header,
        wrap=(1, 2, 5, 6, 7, 8, 11, 12),
    )
    if activity is None:
        sheet.append([sheet.text("Aucune mission déclarée (missions de convention.yaml) : compte rendu non contrôlé")])
    for values in rows:
        cells = []
        for kind, value in zip(SHEET_KINDS, values, strict=True):
            if kind == "text":
                cells.append(sheet.text(value))
            elif kind == "date":
                cells.append(sheet.date(value))
            elif kind == "number" and value is not None:
                cells.append(sheet.number(value, "0.##"))
            else:
                cells.append(value)
        sheet.append(cells)
    sheet.filter()
