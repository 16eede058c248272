"""The compte rendu d'activité as documents show it: the report's section (counts, indicators,
charts, actions by date, mission and source row only: action texts may name households) and the
workbook's Activité sheet (every row, texts included)."""

from __future__ import annotations

import datetime as dt

from ..core.activity import (
    MAX_REPORT_ROWS,
    SHEET,
    STATUS_LABELS,
    ActivityResult,
    ActivityRow,
    count_text,
    json_number,
    where,
)
from ..fmt import month_fr, number_fr
from ..inputs.convention import Convention
from ..vocabulary import decision_label
from .charts import activity_months_chart, data_uri, indicator_chart

__all__ = ["SHEET_HEADER", "SHEET_KINDS", "activity_section", "activity_sheet_rows", "decided_label"]


def _months_of(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def decided_label(row: ActivityRow) -> str | None:
    """What the auditor's decision did to an action: « admise après examen », « rejetée après
    examen », or « rejet confirmé » for an action the classification had not retained."""
    if row.decision is None:
        return None
    before = row.before or row
    return decision_label(row.decision.decision, before.status != "retenue")


def activity_section(convention: Convention, result: ActivityResult | None, eligible_by_month: dict) -> dict:
    """Context of ``templates/sections/activite.html.j2`` (no action text, no name)."""
    art2, art7 = convention.articles["missions"], convention.articles["justificatifs"]
    context: dict = {
        "art2_number": art2,
        "art7_number": art7,
        "art2": convention.art("missions"),
        "art7": convention.art("justificatifs"),
        "declared": result is not None,
        "present": bool(result and result.present),
        "alert_pct": count_text(convention.indicator_alert_pct),
        "sheet": SHEET,
    }
    if result is None:
        return context
    labels = {m.code: m.label for m in result.missions}
    context["missions"] = [
        {"code": m.code, "label": m.label, "actions": m.actions, "participants": count_text(m.participants),
         "done": m.actions > 0}
        for m in result.missions
    ]  # fmt: skip
    indicators = []
    for i in result.indicators:
        indicators.append(
            {"code": i.code, "label": i.label, "mission": labels.get(i.mission, i.mission or ""),
             "target": "—" if i.target is None else count_text(i.target), "realised": count_text(i.realised),
             "rate": "—" if i.rate is None else f"{number_fr(i.rate * 100, 1)} %", "alert": i.alert}
        )  # fmt: skip
    context["indicators"] = indicators
    if not result.present:
        return context
    counts = result.counts()
    plural = {"retenue": "retenues", "illisible": "illisibles", "ecartee": "écartées"}
    context["counts_text"] = ", ".join(
        f"{n} {plural.get(s, STATUS_LABELS[s]) if n > 1 else STATUS_LABELS[s]}" for s, n in counts.items()
    )
    context["total_rows"] = len(result.rows)
    sheet = f", feuille « {result.sheet} »" if result.sheet else ""
    context["source"] = f"{result.file}{sheet}, en-tête ligne {result.header_row}"
    rated = [i for i in result.indicators if i.rate is not None]
    context["indicator_chart"] = (
        data_uri(
            indicator_chart(
                [{"label": i.label, "rate": float(i.rate * 100), "alert": i.alert} for i in rated],
                float(100 - result.alert_pct),
            )
        )
        if rated
        else None
    )
    by_month = result.actions_by_month()
    months = []
    for month in _months_of(convention.period_start, convention.period_end):
        actions, cost = by_month.get(month, 0), eligible_by_month.get(month, 0)
        months.append(
            {"month": month, "label": month_fr(month), "actions": actions, "eligible": cost, "staffed": cost > 0,
             "vacant_activity": actions > 0 and cost <= 0}
        )  # fmt: skip
    context["months"] = months
    context["months_chart"] = data_uri(activity_months_chart(months))
    context["actions"] = [
        {"date": r.date, "mission": r.mission or "", "status": r.status, "status_label": STATUS_LABELS[r.status],
         "faults": ", ".join(r.faults), "source": where(r), "decision": decided_label(r)}
        for r in result.rows[:MAX_REPORT_ROWS]
    ]  # fmt: skip
    context["decided"] = sum(1 for r in result.rows if r.decision is not None)
    context["count"] = len(result.rows)
    return context


SHEET_HEADER = [
    "Fichier", "Feuille", "Ligne", "Date", "Mission (telle qu'écrite)", "Mission retenue", "Action",
    "Indicateur", "Valeur", "Participants", "Statut", "Motif",
]  # fmt: skip
# Kind of each column of the Activité sheet: text cells must be written as strings (never formulas).
SHEET_KINDS = ["text", "text", "int", "date", "text", "text", "text", "text", "number", "number", "text", "text"]


def activity_sheet_rows(result: ActivityResult | None) -> tuple[list[str], list[list]]:
    """Header and rows of the workbook sheet ``Activité``: every row, action texts included."""
    if result is None:
        return SHEET_HEADER, []
    missions = {m.code for m in result.missions}
    rows = []
    for r in result.rows:
        reason = r.reason
        if r.decision is not None:  # the decision and its motive (an accepted action has no reason)
            mission = f" pour la mission {r.decision.mission}" if r.decision.decision == "accept" else ""
            reason = f"{decided_label(r)}{mission} : {r.decision.motive.strip()}"
        rows.append(
            [r.file, r.sheet, r.row, r.date, r.mission_text or None,
             r.mission if r.mission in missions else None, r.action or None, r.indicator, json_number(r.value),
             json_number(r.participants), STATUS_LABELS[r.status], reason]
        )  # fmt: skip
    return SHEET_HEADER, rows
