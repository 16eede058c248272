"""The auditor's workbook ``bilan_financier.xlsx`` (openpyxl, streaming write).

Detail sheets hold one row per input row; every total is a live Excel formula over them, so an
auditor can trace any figure back to a source row. Text that comes from input files is always
written as a string cell, even when it starts with ``=``, ``+``, ``-`` or ``@``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from . import __version__
from .activity import SHEET_KINDS, activity_sheet_rows
from .analytics import SHEET as ANALYTICS_SHEET
from .analytics import analytics_sheet_rows
from .audit import Audit
from .convention import HORS_BUDGET
from .decisions import DECISION_FR, PHASE_FR, PROCEDURE_LABELS
from .explanations import draft
from .fmt import OUTCOMES, SEVERITIES, VERDICTS
from .money import cents_to_euros, euros_to_cents
from .registry import FAILING_RULES
from .report import ACCOUNT_CLASSES, ROLES

__all__ = ["SHEETS", "write_workbook"]

SHEETS = [
    "Synthèse", "Budget", "Personnel", "Gestion", "Dépenses écartées", "Constats", "Traçabilité", "Activité",
    "Analyse du grand livre", "Décisions", "Procédure", "Explications",
]  # fmt: skip
EURO = '#,##0.00 "€";-#,##0.00 "€"'
PERCENT = "0.00 %"
DATE = "dd/mm/yyyy"
HEADER_FILL = PatternFill("solid", fgColor="E3E3FD")
BOLD = Font(bold=True)


class _Sheet:
    """A write-only sheet with typed cell helpers; rows are appended in order."""

    def __init__(self, wb: Workbook, title: str, widths: list[int], header: list[str] | None = None) -> None:
        self.ws = wb.create_sheet(title)
        self.title = title
        # Printed landscape, one page wide, the header repeated on every page.
        self.ws.page_setup.orientation = "landscape"
        self.ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
        self.ws.page_setup.fitToWidth, self.ws.page_setup.fitToHeight = 1, 0
        self.ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
        self.row = 0
        for index, width in enumerate(widths, start=1):
            self.ws.column_dimensions[get_column_letter(index)].width = width
        self.header_width = 0
        if header:
            self.ws.freeze_panes = "A2"
            self.ws.print_title_rows = "1:1"
            self.header_width = len(header)
            self.append([self.head(h) for h in header])

    def head(self, text: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=text)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        return cell

    def text(self, value: object, *, bold: bool = False) -> WriteOnlyCell | str | None:
        """A string cell, never a formula, whatever the text starts with.

        openpyxl stores any other string as a string cell already (``+``, ``-`` and ``@`` are
        only formulas when typed into Excel), so only ``=`` needs forcing; plain values skip
        the cost of a cell object, which matters for a million-row ledger.
        """
        if value is None:
            return None
        text = str(value)
        if not bold and not text.startswith("="):
            return text
        cell = WriteOnlyCell(self.ws, value=text)
        cell.data_type = "s"
        if bold:
            cell.font = BOLD
        return cell

    def euro(self, value: object, *, bold: bool = False) -> WriteOnlyCell:
        """Cents as euros, or a formula string starting with ``=``."""
        if isinstance(value, int):
            value = cents_to_euros(value)
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = EURO
        if bold:
            cell.font = BOLD
        return cell

    def number(self, value: object, fmt: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = fmt
        return cell

    def date(self, value: dt.date | None) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = DATE
        return cell

    def append(self, cells: list) -> int:
        self.ws.append(cells)
        self.row += 1
        return self.row

    def filter(self) -> None:
        if self.header_width:
            self.ws.auto_filter.ref = f"A1:{get_column_letter(self.header_width)}{max(self.row, 2)}"


def _int(value) -> int | None:
    return None if value is None or value is pd.NA or value != value else int(value)


def _date(value) -> dt.date | None:
    return value if isinstance(value, dt.date) else None


def write_workbook(a: Audit, path: Path) -> None:
    """Write the workbook of ``a`` to ``path``."""
    wb = Workbook(write_only=True)
    wb.properties.creator = f"pexaudit {__version__}"
    wb.properties.created = wb.properties.modified = a.started.replace(tzinfo=None, microsecond=0)
    c = a.convention
    rows = a.rows

    synthese = _Sheet(wb, "Synthèse", [44, 22, 70])
    budget = _Sheet(wb, "Budget", [16, 30, 16, 16, 16, 18, 16, 16, 16, 16, 12, 14])
    pay = _Sheet(
        wb, "Personnel", [14, 18, 12, 8, 12, 12, 12, 14, 14, 14, 14, 18, 60],
        ["Source", "Fichier", "Feuille", "Ligne", "Agent", "Matricule", "Mois", "Ligne budgétaire",
         "Montant déclaré", "Montant éligible", "Rejeté", "Règles", "Motifs"],
    )  # fmt: skip
    exp = _Sheet(
        wb, "Gestion", [10, 18, 14, 8, 16, 12, 12, 26, 40, 10, 8, 16, 14, 14, 14, 18, 60],
        ["Source", "Fichier", "Feuille", "Ligne", "Pièce", "Date", "Date de paiement", "Fournisseur",
         "Libellé", "Compte", "Classe", "Ligne budgétaire", "Montant déclaré", "Montant éligible",
         "Rejeté", "Règles", "Motifs"],
    )  # fmt: skip

    # Detail sheets first: the totals refer to their ranges.
    matricules = _matricules(a)
    for rec in rows[rows["source"] == "payroll"].itertuples(index=False):
        r = pay.row + 1
        pay.append(
            [pay.text("paie"), pay.text(rec.file), pay.text(rec.sheet), _int(rec.row), pay.text(rec.who),
             pay.text(matricules.get(rec.row_id)), pay.date(_date(rec.month)), pay.text(rec.line),
             pay.euro(int(rec.amount)), pay.euro(int(rec.eligible_amount)), pay.euro(f"=I{r}-J{r}"),
             pay.text(", ".join(rec.rules)), pay.text(" ; ".join(rec.reasons))]
        )  # fmt: skip
    for rec in rows[rows["source"] != "payroll"].itertuples(index=False):
        r = exp.row + 1
        forfait = rec.source == "forfait"
        compte = None if forfait else rec.compte
        exp.append(
            [exp.text("forfait" if forfait else "dépense"), exp.text(rec.file), exp.text(rec.sheet),
             None if forfait else _int(rec.row), exp.text("forfait de gestion" if forfait else rec.piece),
             exp.date(None if forfait else _date(rec.date)), exp.date(None if forfait else _date(rec.date_paiement)),
             exp.text(None if forfait else rec.fournisseur), exp.text(rec.reasons[0] if forfait else rec.libelle),
             exp.text(compte), exp.text(compte[:2] if compte and compte[:2].isdigit() else None),
             exp.text(rec.line), exp.euro(int(rec.amount)), exp.euro(int(rec.eligible_amount)),
             exp.euro(f"=M{r}-N{r}"), exp.text(", ".join(rec.rules)),
             exp.text("" if forfait else " ; ".join(rec.reasons))]
        )  # fmt: skip
    pay_last, exp_last = max(pay.row, 2), max(exp.row, 2)

    def sumifs(sheet: str, value_col: str, key_col: str, key: str, last: int) -> str:
        return f"SUMIFS('{sheet}'!${value_col}$2:${value_col}${last},'{sheet}'!${key_col}$2:${key_col}${last},{key})"

    # Budget: the Cerfa 15059 table (prévision / réalisation / écart / %).
    budget.append([budget.head(h) for h in (
        "Ligne", "Intitulé", "Nature", "Prévision (annexe 2)", "Réalisation déclarée",
        "Éligible avant plafond", "Écrêtement (plafond)", "Réalisation éligible", "Rejeté",
        "Écart (€)", "Écart (%)", "Taux d'exécution")])  # fmt: skip
    budget.ws.freeze_panes = "A2"
    first = budget.row + 1
    for line in a.lines:
        r = budget.row + 1
        key = f"$A{r}"
        declared = f"={sumifs('Personnel', 'I', 'H', key, pay_last)}+{sumifs('Gestion', 'M', 'L', key, exp_last)}"
        before = f"={sumifs('Personnel', 'J', 'H', key, pay_last)}+{sumifs('Gestion', 'N', 'L', key, exp_last)}"
        kind = {"personnel": "personnel", "management": "gestion"}.get(
            line.kind, "hors budget" if line.line == HORS_BUDGET else "autre"
        )
        budget.append(
            [budget.text(line.line), budget.text(line.label), budget.text(kind), budget.euro(line.budget),
             budget.euro(declared), budget.euro(before), budget.euro(a.eligibility.plafond.get(line.line, 0)),
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
    budget.append(
        [
            budget.head(h)
            for h in (
                "Compte (classe)",
                "Intitulé",
                "",
                "",
                "Réalisation déclarée",
                "Réalisation éligible (avant plafond)",
            )
        ]
    )
    budget.append(
        [budget.text("64"), budget.text(ACCOUNT_CLASSES["64"]), None, None,
         budget.euro(f"=SUM('Personnel'!I2:I{pay_last})"), budget.euro(f"=SUM('Personnel'!J2:J{pay_last})")]
    )  # fmt: skip
    for cls in sorted(
        {str(v)[:2] for v in rows.loc[rows["source"] == "expenses", "compte"] if isinstance(v, str) and v[:2].isdigit()}
    ):
        key = f'"{cls}"'
        budget.append(
            [budget.text(cls), budget.text(ACCOUNT_CLASSES.get(cls, f"{cls} Autres")), None, None,
             budget.euro(f"={sumifs('Gestion', 'M', 'K', key, exp_last)}"),
             budget.euro(f"={sumifs('Gestion', 'N', 'K', key, exp_last)}")]
        )  # fmt: skip

    # Synthèse: the settlement formula of SPEC section 6, live.
    s = a.settlement
    t = f"Budget!$H${total_row}"
    synthese.append([synthese.text("Bilan financier", bold=True), synthese.text(c.id)])
    synthese.append([synthese.text("Convention"), synthese.text(c.title)])
    synthese.append(
        [synthese.text("Bénéficiaire"), synthese.text(c.beneficiary_name), synthese.text(f"SIRET {c.siret}")]
    )
    synthese.append([synthese.text("Période"), synthese.date(c.period_start), synthese.date(c.period_end)])
    synthese.append([])
    g = synthese.append([synthese.text(f"Subvention accordée ({c.art('contribution')})"), synthese.euro(s.granted)])
    b = synthese.append([synthese.text("Budget prévisionnel total"), synthese.euro(f"=Budget!$D${total_row}")])
    if c.funding_rate is not None:
        rate = synthese.append(
            [synthese.text("Taux de financement (convention)"), synthese.number(float(c.funding_rate), "0.0000%")]
        )
    else:
        rate = synthese.append(
            [synthese.text("Taux de financement (accordé / budget)"), synthese.number(f"=B{g}/B{b}", "0.0000%")]
        )
    e = synthese.append([synthese.text("Dépenses éligibles"), synthese.euro(f"={t}")])
    j = synthese.append(
        [synthese.text("Montant justifié"), synthese.euro(f"=MAX(0,MIN(B{g},ROUND(B{rate}*B{e},2)))", bold=True),
         synthese.text("min(accordé ; arrondi(taux × éligible ; 2))")]
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
         synthese.text(OUTCOMES[s.outcome])]
    )  # fmt: skip
    synthese.append([synthese.text("Montant à verser ou à reverser"), synthese.euro(f"=ABS(B{bal})", bold=True)])
    synthese.append([synthese.text("Verdict"), synthese.text(VERDICTS[a.verdict], bold=True)])
    synthese.append([])
    synthese.append([synthese.text(f"Établi par pexaudit {__version__} le {a.started:%d/%m/%Y}")])

    # Dépenses écartées: every row with a rule, linked to its detail row.
    rejected = _Sheet(
        wb, "Dépenses écartées", [12, 18, 14, 8, 40, 16, 14, 14, 16, 18, 60],
        ["Nature", "Fichier", "Feuille", "Ligne", "Référence", "Ligne budgétaire", "Montant déclaré",
         "Rejeté", "Règle imputée", "Règles", "Motifs"],
    )  # fmt: skip
    for rec in rows[rows["rules"].map(bool) | rows["decision"].notna()].itertuples(index=False):
        payroll = rec.source == "payroll"
        reference = _reference(rec)
        rejected.append(
            [rejected.text("paie" if payroll else "dépense"), rejected.text(rec.file), rejected.text(rec.sheet),
             _int(rec.row), rejected.text(reference), rejected.text(rec.line), rejected.euro(int(rec.amount)),
             rejected.euro(int(rec.amount - rec.eligible_amount)), rejected.text(rec.booked_rule),
             rejected.text(", ".join(rec.rules)), rejected.text(" ; ".join(rec.reasons))]
        )  # fmt: skip
    for line_id, cents in a.eligibility.plafond.items():
        rejected.append(
            [rejected.text("plafond"), None, None, None, rejected.text("écrêtement des coûts de gestion"),
             rejected.text(line_id), None, rejected.euro(cents), rejected.text("PLAFOND_GESTION"),
             rejected.text("PLAFOND_GESTION"), None]
        )  # fmt: skip
    last_rejected = rejected.row
    rejected.filter()
    # Nothing rejected: 0, not a SUM over the total row itself (a circular reference).
    totals = [f"=SUM({c}2:{c}{last_rejected})" if last_rejected >= 2 else 0 for c in "GH"]
    rejected.append([rejected.text("Total", bold=True), None, None, None, None, None,
                     rejected.euro(totals[0], bold=True), rejected.euro(totals[1], bold=True)])  # fmt: skip

    findings = _Sheet(wb, "Constats", [12, 24, 100, 16], ["Gravité", "Règle", "Constat", "Montant"])
    for f in a.findings:
        findings.append([findings.text(SEVERITIES[f.severity]), findings.text(f.rule), findings.text(f.message),
                         findings.euro(f.amount) if f.amount is not None else None])  # fmt: skip
    findings.filter()

    trail = _Sheet(wb, "Traçabilité", [14, 40, 10, 70], ["Rôle", "Fichier", "Lignes", "SHA-256"])
    for item in a.inputs:
        trail.append(
            [trail.text(ROLES[item["role"]]), trail.text(item["path"]), item["rows"], trail.text(item["sha256"])]
        )
    trail.append([])
    trail.append([trail.text("Outil"), trail.text(f"pexaudit {__version__}")])
    trail.append([trail.text("Great Expectations"), trail.text(a.gx_version)])
    for name, version in a.suites.items():
        trail.append([trail.text("Suite GX"), trail.text(f"{name} v{version}")])
    trail.append([trail.text("Date du contrôle"), trail.text(a.started.strftime("%d/%m/%Y %H:%M"))])

    _activity_sheet(wb, a)
    _analytics_sheet(wb, a)
    _decisions_sheet(wb, a)
    _procedure_sheet(wb, a)
    _explanations_sheet(wb, a)
    pay.filter()
    exp.filter()
    wb.save(path)


def _reference(rec) -> str:
    """How a person recognises a row: the agent's pseudonym and month, or piece · supplier · label."""
    if rec.source == "payroll":
        return f"{rec.who} {rec.month:%m/%Y}" if _date(rec.month) else str(rec.who)
    return " · ".join(str(v) for v in (rec.piece, rec.fournisseur, rec.libelle) if v)


# The round trip of SPEC 9: the auditor fills these three sheets, saves the workbook as
# decisions.xlsx in the convention folder and runs again (pexaudit.decisions reads them).
DECISION_HEADER = ["Fichier", "Feuille", "Ligne", "Ligne budgétaire", "Référence", "Montant déclaré", "Rejeté",
                   "Règles", "Motifs", "Enjeu (solde)", "Décision", "Montant retenu", "Règle", "Motif"]  # fmt: skip
SPARE_ROWS = 200  # drop-downs below the listed rows, for a decision on a row the rules kept


def _list_validation(ws, choices: list[str], cells: str, prompt: str) -> None:
    dv = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
    dv.error, dv.errorTitle, dv.showErrorMessage = f"Choisissez : {', '.join(choices)}", "Valeur refusée", True
    dv.prompt, dv.showInputMessage = prompt, True
    dv.add(cells)
    ws.data_validations.append(dv)


def _decided_rows(a: Audit) -> pd.DataFrame:
    """Every row that lost money or carries a decision, largest stake first (unknown last)."""
    rows = a.rows
    mask = (rows["source"] != "forfait") & (
        rows["rules"].map(bool) | rows["decision"].notna() | (rows["amount"] != rows["eligible_amount"])
    )
    picked = rows[mask]
    impact = picked["impact"]
    order = sorted(range(len(picked)), key=lambda i: (impact.iat[i] is None, -(impact.iat[i] or 0), i))
    return picked.iloc[order]


def _decisions_sheet(wb: Workbook, a: Audit) -> None:
    sheet = _Sheet(wb, "Décisions", [16, 14, 8, 14, 36, 14, 14, 14, 50, 14, 12, 14, 14, 50], DECISION_HEADER)
    for rec in _decided_rows(a).itertuples(index=False):
        d = rec.decision
        sheet.append(
            [sheet.text(rec.file), sheet.text(rec.sheet), _int(rec.row), sheet.text(rec.line),
             sheet.text(_reference(rec)), sheet.euro(int(rec.amount)),
             sheet.euro(int(rec.amount - rec.eligible_amount)), sheet.text(", ".join(rec.rules)),
             sheet.text(" ; ".join(rec.reasons)), None if rec.impact is None else sheet.euro(int(rec.impact)),
             sheet.text(DECISION_FR[d.decision]) if d else None,
             sheet.euro(d.amount) if d and d.amount is not None else None,
             sheet.text(d.rule) if d else None, sheet.text(d.motive) if d else None]
        )  # fmt: skip
    last = max(sheet.row, 2) + SPARE_ROWS
    _list_validation(sheet.ws, list(DECISION_FR.values()), f"K2:K{last}", "accepter, rejeter ou partiel")
    _list_validation(sheet.ws, list(FAILING_RULES), f"M2:M{last}", "règle du rejet (rejeter, partiel)")
    sheet.filter()


def _procedure_sheet(wb: Workbook, a: Audit) -> None:
    p = a.procedure
    sheet = _Sheet(wb, "Procédure", [28, 40, 70])
    rows = [
        ("phase", sheet.text(PHASE_FR[p.phase]), "provisoire (lettre d'observations) ou définitif (notification)"),
        ("auditor", sheet.text(p.auditor), "service qui contrôle, repris sur le visa"),
        ("observations_sent", sheet.date(p.observations_sent), "date d'envoi de la lettre d'observations"),
        ("response_days", p.response_days, "jours calendaires laissés au bénéficiaire pour répondre"),
        ("response_received", sheet.date(p.response_received), "vide : pas de réponse reçue"),
    ]
    for key, value, hint in rows:
        sheet.append([sheet.text(PROCEDURE_LABELS[key]), value, sheet.text(hint)])
    _list_validation(sheet.ws, list(PHASE_FR.values()), "B1", "provisoire ou définitif")


def _explanations_sheet(wb: Workbook, a: Audit) -> None:
    sheet = _Sheet(
        wb, "Explications", [16, 30, 14, 14, 14, 12, 70, 70],
        ["Ligne", "Intitulé", "Budget", "Éligible", "Écart", "Écart (%)", "Explication", "Brouillon"],
    )  # fmt: skip
    threshold = a.convention.variance_alert_pct
    for line in a.lines:
        text, source = a.explanations.get(line.line, (None, None))
        alert = line.alert(threshold)
        if not alert and source != "beneficiaire":
            continue
        sheet.append(
            [sheet.text(line.line), sheet.text(line.label), sheet.euro(line.budget), sheet.euro(line.eligible),
             sheet.euro(line.variance), sheet.number(_rate(line.variance_pct), '0.00" %"'),
             sheet.text(text if source == "beneficiaire" else None), sheet.text(draft(line) if alert else None)]
        )  # fmt: skip


def _rate(value) -> float | None:
    return None if value is None else float(value)


def _analytics_sheet(wb: Workbook, a: Audit) -> None:
    """Analyse du grand livre: each test's count and its first lines (pay-posting labels masked)."""
    header, *rows = analytics_sheet_rows(a.analytics)
    sheet = _Sheet(wb, ANALYTICS_SHEET, [26, 40, 22, 9, 12, 14, 12, 60], header)
    for title, summary, file, line, day, amount, account, label in rows:
        sheet.append(
            [sheet.text(title, bold=summary is not None), sheet.text(summary), sheet.text(file), line,
             sheet.date(day if isinstance(day, dt.date) else None),
             sheet.euro(euros_to_cents(amount)) if amount is not None else None, sheet.text(account),
             sheet.text(label)]
        )  # fmt: skip
    sheet.filter()


def _activity_sheet(wb: Workbook, a: Audit) -> None:
    """Activité: every row of the activity file, action texts included (they stay out of the HTML)."""
    header, rows = activity_sheet_rows(a.activity)
    sheet = _Sheet(wb, "Activité", [16, 12, 7, 11, 26, 18, 60, 16, 9, 11, 12, 60], header)
    if a.activity is None:
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


def _matricules(a: Audit) -> dict[int, str]:
    table = a.tables.get("payroll")
    if table is None:
        return {}
    return dict(zip(table.frame["row_id"], table.frame["matricule"], strict=True))
