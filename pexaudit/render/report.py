"""The bilan financier as HTML sections: what the notebook displays and nbconvert exports.

Each section lays out the :class:`~pexaudit.model.Bilan` (computed once, shared with the
workbook and the letter) as an HTML fragment (an ``IPython.display.HTML`` in a kernel, so
JupyterLab shows exactly what the exported report shows). Fragments come from Jinja templates
in ``templates/sections/`` with autoescape on: labels read from input files stay text. No
arithmetic on money here: every amount comes from the model. Employee names never reach a
fragment: agents are "Agent 1", "Agent 2"... in the order of ``staff``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from .. import __version__
from ..core.activity import personnel_cost_by_month
from ..core.analytics import analytics_context
from ..fmt import date_fr, eur, month_fr, pct
from ..model.bilan import (
    ACCOUNT_GROUPS,
    Bilan,
    RowList,
    by_account,
    comparison,
    controls,
    line_labels,
    personnel_months,
    trail,
)
from ..vocabulary import KINDS, PHASES, ROLES, SEVERITIES, SHEETS
from .activity import activity_section
from .charts import benford_chart, budget_chart, data_uri, personnel_chart

__all__ = ["SECTIONS", "css", "render_all", "render_template", "section", "section_html"]

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
# Long tables list their first rows only; every row is in the workbook (a 1 048 576-row
# ledger must not make a 500 MB report).
MAX_TABLE_ROWS = 300
# Cents from which the execution table prints on a landscape page (amounts of six digits and more).
WIDE_AMOUNT = 100_000_00
# (function name, heading) in report order; the headings are what readers look for.
SECTIONS = [
    ("header", None),
    ("synthese", "Synthèse"),
    ("convention", "La convention"),
    ("execution", "Exécution budgétaire"),
    ("personnel", "Frais de personnel"),
    ("gestion", "Coûts de gestion"),
    ("controles", "Contrôles d'éligibilité (article 4)"),
    ("rejets", "Dépenses écartées"),
    ("procedure", "Procédure contradictoire"),
    ("activite", "Compte rendu d'activité"),
    ("analytics", "Analyse du grand livre"),
    ("constats", "Constats"),
    ("tracabilite", "Traçabilité"),
    ("signature", "Visa"),
]
# Section numbers follow the list: a section added in the middle renumbers the rest.
NUMBERS = {name: index for index, name in enumerate((n for n, heading in SECTIONS if heading), start=1)}


@cache
def _env() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES / "sections")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=lambda value: "" if value is None else value,  # a missing label is an empty cell
    )
    env.filters.update(eur=eur, pct=pct, date=date_fr, month=month_fr)
    return env


def render_template(name: str, **context) -> str:
    """One template of ``templates/sections/`` rendered with the report's filters (tests, the
    consolidation)."""
    return _env().get_template(name).render(**context)


@cache
def css() -> Markup:
    """The report's stylesheet, our own text: inserted as is into a ``<style>`` (escaping would turn
    its quotes into ``&#34;``, which CSS does not read)."""
    return Markup((TEMPLATES / "report.css").read_text(encoding="utf-8"))


def _common(b: Bilan) -> dict:
    return {
        "b": b,
        "convention": b.convention,
        "headline": b.headline,
        "phase": b.phase,
        "phase_labels": PHASES,
        "proposed": b.proposed,
        "severity_labels": SEVERITIES,
        "kind_labels": KINDS,
        "role_labels": ROLES,
        "sheets": SHEETS,
        "threshold": b.convention.variance_alert_pct,
        "max_rows": MAX_TABLE_ROWS,
    }


def _header(b: Bilan) -> dict:
    return {"css": css(), "title": b.title}


def _synthese(b: Bilan) -> dict:
    c = b.convention
    if b.proposed:
        then = (
            f" Montants proposés : ils ne seront arrêtés qu'après les observations du bénéficiaire "
            f"({c.art('contradictoire')})."
        )
    else:
        then = f" Montants arrêtés après la procédure contradictoire, notifiés ({c.art('notification')})."
    notes = {
        "solde": "Le montant justifié dépasse les versements : l'État verse le solde." + then,
        "reversement": "Les versements dépassent le montant justifié : un ordre de reversement est à émettre "
        f"({c.art('contribution')} et {c.art('contradictoire')})." + then,
        "solde_nul": "Le montant justifié égale les versements : ni solde ni reversement." + then,
    }
    note = notes[b.headline.outcome]
    if b.headline.verdict == "a_examiner":
        note = (
            "Un constat bloquant reste à examiner : aucun solde n'est versé ni aucun reversement ordonné avant son "
            "examen (voir les constats)." + then
        )
    return {"outcome_note": note}


def _convention(b: Bilan) -> dict:
    c = b.convention
    bank = c.bank
    found = {rule: [f for f in b.findings if f.rule == rule] for rule in ("SIRET", "IBAN", "BIC", "RIB")}
    identity = [{"label": "SIRET", "value": c.siret, "findings": found["SIRET"]}]
    if bank is not None:
        if bank.iban:
            identity.append({"label": "IBAN", "value": bank.iban, "findings": found["IBAN"]})
        if bank.bic:
            identity.append({"label": "BIC", "value": bank.bic, "findings": found["BIC"]})
        if bank.rib:
            rib = bank.rib
            value = f"{rib.banque} {rib.guichet} {rib.compte} {rib.cle}"
            identity.append({"label": "RIB", "value": value, "findings": found["RIB"]})
    total = c.budget_total
    return {"identity": identity, "share": lambda cents: pct(cents * 100 / total) if total else "—"}


def _execution(b: Bilan) -> dict:
    chart = budget_chart(
        [{"label": li.label, "budget": li.budget / 100, "declared": li.declared / 100, "eligible": li.eligible / 100}
         for li in b.lines]
    )  # fmt: skip
    # Ten columns, seven of amounts: from 100 000 € on they no longer fit across a portrait page.
    limits = any(li.limit is not None for li in b.lines)
    wide = limits or max([b.headline.budget, b.headline.declared, *(abs(li.variance) for li in b.lines)]) >= WIDE_AMOUNT
    return {
        "lines": b.lines,
        "chart": data_uri(chart),
        "by_account": by_account(b),
        "account_groups": ACCOUNT_GROUPS,
        "limits": limits,
        "wide": wide,
    }


def _personnel(b: Bilan) -> dict:
    c = b.convention
    staff = [
        {"who": f"Agent {i}", "role": s.role, "allocation": s.allocation * 100, "start": s.start, "end": s.end,
         "ddets": s.ddets_validation_date}
        for i, s in enumerate(c.staff, start=1)
    ]  # fmt: skip
    months = personnel_months(b)
    total = {
        "rows": sum(m.rows for m in months),
        "declared": sum(m.declared for m in months),
        "eligible": sum(m.eligible for m in months),
        "rejected": sum(m.rejected for m in months),
    }
    chart = None
    dated = [m for m in months if m.month is not None]
    if months:
        frame = pd.DataFrame(
            {"month": pd.to_datetime([m.month.replace(day=15) for m in dated]), "who": [m.who for m in dated],
             "eligible": [m.eligible / 100 for m in dated], "rejected": [m.rejected / 100 for m in dated]}
        )  # fmt: skip
        spans = [(s["who"], s["start"], s["end"]) for s in staff]
        chart = data_uri(personnel_chart(frame, spans, (c.period_start, c.period_end)))
    return {"staff": staff, "months": months, "months_total": total, "chart": chart}


def _gestion(b: Bilan) -> dict:
    c = b.convention
    mode = c.management_costs
    aggregates = b.audit.aggregates
    management = [b.line(m.line) for m in c.management_lines]
    base = "personnel éligible" if mode.base == "personnel" else "personnel et coûts directs éligibles"
    if mode.mode == "flat_rate":
        rule_text = (
            f"Forfait : {pct(mode.rate * 100)} × {base} {eur(aggregates.base)} = "
            f"{eur(aggregates.forfait)}, porté sur la première ligne de gestion ; les coûts de gestion réels sont "
            "remplacés par le forfait (règle FORFAIT)."
        )
    elif aggregates.cap is not None:
        before = sum(li.before_cuts for li in management)
        cut = b.headline.cuts.get("PLAFOND_GESTION", 0)
        rule_text = (
            f"Coûts réels plafonnés à {pct(mode.cap_rate * 100)} de l'assiette ({base}) : "
            f"{pct(mode.cap_rate * 100)} × {eur(aggregates.base)} = {eur(aggregates.cap)}. Éligible avant plafond : {eur(before)}"
            + (f" ; écrêtement de {eur(cut)} (PLAFOND_GESTION)." if cut else " : le plafond n'est pas atteint.")
        )
    else:
        rule_text = "Coûts de gestion réels, sans plafond."
    ids = {m.line for m in c.management_lines}
    rows = b.audit.rows
    kept = rows[rows["line"].isin(ids) & (rows["eligible_amount"] != 0)]
    listed = RowList(kept, int(kept["eligible_amount"].sum()), line_labels(b.audit))
    return {"rule_text": rule_text, "lines": management, "rows": listed.views(MAX_TABLE_ROWS), "count": len(kept),
            "sheet": SHEETS["gestion"]}  # fmt: skip


def _controles(b: Bilan) -> dict:
    e = b.audit.evaluated.eligibility
    return {"controls": controls(b), "skipped": e.skipped, "suites": list(b.audit.suites)}


def _rejets(b: Bilan) -> dict:
    return {
        "rejected": b.rejected,
        "rows": b.rejected.views(MAX_TABLE_ROWS),
        "by_rule": b.rejected_by_rule,
        "shares": b.shares_by_rule,
        "cuts": b.cuts,
        "sheet": SHEETS["rejected"],
    }


def _procedure(b: Bilan) -> dict:
    """Dates and deadline, decisions with motives and effects, explanations, what is at stake,
    and with --previous the settlement and the rows whose eligible amount changed."""
    return {
        "procedure": b.procedure,
        "late": b.procedure.late,
        "decisions": b.decisions,
        "activity_decisions": b.activity_decisions,
        "explanations": [li for li in b.lines if li.explanation],
        "comparison": comparison(b),
    }


def _activite(b: Bilan) -> dict:
    return activity_section(b.convention, b.audit.activity, personnel_cost_by_month(b.audit.rows))


def _analytics(b: Bilan) -> dict:
    analytics = b.audit.analytics
    chart = None
    if analytics and analytics["benford"]["n"]:
        benford = analytics["benford"]
        chart = data_uri(benford_chart(benford["observed"], benford["expected"]))
    return analytics_context(analytics, chart)


def _constats(b: Bilan) -> dict:
    return {"findings": b.findings}


def _tracabilite(b: Bilan) -> dict:
    a = b.audit
    return {
        "inputs": trail(b),
        "tool_version": __version__,
        "gx_version": a.gx_version,
        "suites": a.suites,
        "run_date": a.started.strftime("%d/%m/%Y à %H:%M"),
        "notes": a.convention.notes,
    }


def _signature(b: Bilan) -> dict:
    return {}


def section_html(name: str, b: Bilan) -> str:
    context = {**_common(b), **globals()[f"_{name}"](b), "number": NUMBERS.get(name)}
    return _env().get_template(f"{name}.html.j2").render(**context)


def section(name: str, b: Bilan):
    """A section as an IPython HTML object (a string outside a kernel)."""
    html = section_html(name, b)
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return html
    return HTML(html)


def render_all(b: Bilan) -> str:
    """All sections, in order, as one HTML fragment (tests, previews)."""
    return "\n".join(section_html(name, b) for name, _ in SECTIONS)
