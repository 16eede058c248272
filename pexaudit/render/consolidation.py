"""The controller's consolidated view of a batch, laid out: OUT/consolidation.{json,xlsx} and what
``notebooks/consolidation.ipynb`` shows (exported as consolidation.html by :mod:`pexaudit.run.batch`).

The figures come from :mod:`pexaudit.model.consolidation`, read from each convention's results.json.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from ..core.audit import write_json
from ..fmt import eur, pct
from ..model.consolidation import KIND_KEYS, build
from ..money import euros_to_cents as _cents
from ..vocabulary import KINDS, OUTCOMES, PHASES, VERDICTS
from .charts import data_uri, territory_chart
from .report import css, render_template

__all__ = ["atomic", "load", "section_html", "show", "write_consolidation"]


def write_consolidation(result, render) -> None:
    """Write the three consolidation files into ``result.out``, each complete or not at all.

    ``render(out)`` produces consolidation.html (:func:`render_html` on some warm kernel).
    """
    document = build(result)  # the consolidation model, read from each convention's results.json
    out = result.out
    atomic(out / "consolidation.json", lambda p: write_json(document, p))
    atomic(out / "consolidation.xlsx", lambda p: _workbook(document, p))
    render(str(out))


def atomic(path: Path, write) -> None:
    partial = path.with_name(f".{path.name}.partial")
    write(partial)
    partial.replace(path)


def _workbook(document: dict, path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "Consolidation"
    header = ["Convention", "Territoire", "Bénéficiaire", "Accordé", "Éligible", "Justifié", "Versé", "Solde",
              "Issue", "Montant", "Verdict", "Bloquants", "Alertes", "Informations", "Phase", "Décisions",
              "Éligible personnel", "Éligible coûts de gestion", "Éligible coûts directs", "Éligible hors budget",
              "Autres financements", "Coût restant"]  # fmt: skip
    ws.append(header)
    for r in document["conventions"]:
        ws.append(
            [r["convention_id"], r["territory"], r["beneficiary"], r["granted"], r["eligible"], r["justified"],
             r["paid"], r["balance"], OUTCOMES[r["outcome"]], r["amount"], VERDICTS[r["verdict"]],
             r["findings"]["error"], r["findings"]["warning"], r["findings"]["info"], PHASES[r["phase"]], r["decisions"],
             *(r["eligible_by_kind"][k] for k in KIND_KEYS), r["other_funding"], r["cap_cost"]]
        )  # fmt: skip
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # labels from inputs never become formulas
    last = max(ws.max_row, 2)
    ws.append(
        ["Total", None, None]
        + [f"=SUM({c}2:{c}{last})" for c in "DEFGH"]
        + [None, f'=SUMIF(I2:I{last},"{OUTCOMES["reversement"]}",J2:J{last})']
        + [None] * 6
        + [f"=SUM({c}2:{c}{last})" for c in "QRSTU"]
    )
    for row in ws.iter_rows(min_row=2, min_col=4, max_col=10):
        for cell in row:
            cell.number_format = '#,##0.00 "€"'
    for row in ws.iter_rows(min_row=2, min_col=17, max_col=22):
        for cell in row:
            cell.number_format = '#,##0.00 "€"'
    widths = [22, 10, 40, 14, 14, 14, 14, 14, 22, 14, 22, 10, 10, 12, 12, 10, 14, 14, 14, 14, 14, 14]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:V{last}"
    errors = wb.create_sheet("Erreurs")
    errors.append(["Dossier", "Convention", "Nature", "Erreur"])
    for e in document["errors"]:
        errors.append(
            [e["folder"], e["convention_id"], "données" if e["status"] == "input_error" else "interne", e["error"]]
        )
        for cell in errors[errors.max_row]:
            cell.data_type = "s" if cell.value is not None else cell.data_type
    errors.column_dimensions["A"].width = 50
    errors.column_dimensions["D"].width = 100
    indicators = wb.create_sheet("Indicateurs")
    indicators.append(["Indicateur", "Intitulé", "Conventions", "Réalisé", "Cible", "Taux", "Alertes"])
    for i in document["indicators"]:
        indicators.append([i["code"], i["label"], i["conventions"], i["realised"], i["target"], i["rate"], i["alerts"]])
        indicators.cell(indicators.max_row, 6).number_format = "0.00 %"
        for cell in indicators[indicators.max_row][:2]:
            cell.data_type = "s"
    missions = wb.create_sheet("Missions non réalisées")
    missions.append(["Convention", "Compte rendu absent", "Missions sans action retenue"])
    for m in document["missions"]:
        missions.append([m["convention_id"], "oui" if m["report_missing"] else "non",
                         ", ".join(x["label"] for x in m["not_carried_out"]) or "—"])  # fmt: skip
    for sheet, widths in ((indicators, [22, 44, 12, 12, 12, 10, 10]), (missions, [24, 20, 90])):
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    wb.save(path)


# --- what notebooks/consolidation.ipynb shows ------------------------------------------------


def load(path: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def section_html(document: dict) -> str:
    rows = document["conventions"]
    chart = None
    if rows:
        by_territory = sorted(rows, key=lambda r: (r["territory"] or "", r["convention_id"]))
        chart = data_uri(
            territory_chart(
                [f"{r['territory']} · {r['convention_id']}" for r in by_territory],
                [r["justified"] for r in by_territory],
                [r["balance"] for r in by_territory],
            )
        )
    reversements = [r for r in rows if r["outcome"] == "reversement"]
    return render_template(
        "consolidation.html.j2",
        css=css(), d=document, rows=rows, chart=chart, reversements=reversements, verdicts=VERDICTS,
        outcomes=OUTCOMES, cents=_cents, eur=eur, pct=pct, phases=PHASES, kind_keys=KIND_KEYS,
        kind_labels={kind: KINDS[None if kind == "hors_budget" else kind] for kind in KIND_KEYS},
        generated=dt.date.fromisoformat(document["generated"][:10]),
    )  # fmt: skip


def show(document: dict):
    from IPython.display import HTML

    return HTML(section_html(document))
