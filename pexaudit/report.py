"""The bilan financier as HTML sections: what the notebook displays and nbconvert exports.

Each section function takes an :class:`~pexaudit.audit.Audit` and returns an HTML fragment
(an ``IPython.display.HTML`` in a kernel, so JupyterLab shows exactly what the exported report
shows). Fragments come from Jinja templates in ``templates/sections/`` with autoescape on:
labels read from input files stay text. Employee names never reach a fragment: agents are
"Agent 1", "Agent 2"... in the order of ``staff``.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, select_autoescape

from . import __version__
from .activity import activity_section, personnel_cost_by_month
from .analytics import analytics_context
from .audit import Audit
from .charts import benford_chart, budget_chart, data_uri, personnel_chart
from .convention import HORS_BUDGET
from .fmt import OUTCOMES, PHASES, SEVERITIES, VERDICTS, date_fr, eur, month_fr, pct, report_title
from .money import euros_to_cents
from .registry import FAILING_RULES, RULES
from .rules import rule_counts
from .stakes import by_impact

__all__ = ["SECTIONS", "render_all", "section"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
# Long tables list their first rows only; every row is in the workbook (a 1 048 576-row
# ledger must not make a 500 MB report).
MAX_TABLE_ROWS = 300
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
KINDS = {"personnel": "personnel", "management": "coûts de gestion", None: "autre"}
ROLES = {
    "convention": "Convention", "payroll": "Paie", "expenses": "Dépenses", "activity": "Activité",
    "decisions": "Décisions",
}  # fmt: skip
ACCOUNT_CLASSES = {
    "60": "60 Achats", "61": "61 Services extérieurs", "62": "62 Autres services extérieurs",
    "63": "63 Impôts et taxes", "64": "64 Charges de personnel",
    "65": "65 Autres charges de gestion courante", "66": "66 Charges financières",
    "67": "67 Charges exceptionnelles", "68": "68 Dotations",
}  # fmt: skip


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


@cache
def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


def _cents_pct(numerator: int, denominator: int) -> Fraction | None:
    return None if not denominator else Fraction(numerator * 100, denominator)


def source_label(rec) -> str:
    if rec.source == "forfait":
        return "forfait (calculé)"
    sheet = f", feuille « {rec.sheet} »" if isinstance(rec.sheet, str) and rec.sheet else ""
    return f"{rec.file}{sheet}, ligne {int(rec.row)}"


PROPOSED = {
    "solde": "Solde à verser proposé",
    "reversement": "Ordre de reversement proposé",
    "solde_nul": "Soldé (proposé)",
}


def phase_of(a: Audit) -> str:
    return a.decisions.procedure.phase if a.decisions is not None else "provisoire"


def _common(a: Audit) -> dict:
    proposed = phase_of(a) == "provisoire"  # before the contradictory procedure, amounts are proposed
    return {
        "a": a,
        "c": a.convention,
        "s": a.settlement,
        "totals": a.totals,
        "phase": phase_of(a),
        "phase_labels": PHASES,
        "proposed": proposed,
        "verdict_label": VERDICTS[a.verdict],
        "outcome_label": (PROPOSED if proposed else OUTCOMES)[a.settlement.outcome],
        "severity_labels": SEVERITIES,
        "kind_labels": KINDS,
        "role_labels": ROLES,
        "threshold": a.convention.variance_alert_pct,
    }


def _header(a: Audit) -> dict:
    return {"css": _css(), "title": report_title(phase_of(a))}


def _synthese(a: Audit) -> dict:
    s = a.settlement
    c = a.convention
    if phase_of(a) == "provisoire":
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
    rate = s.funding_rate
    rate_text = pct(rate * 100) if rate.denominator <= 10_000 else f"{pct(rate * 100, 4)} (non arrondi)"
    counts = Counter(f.severity for f in a.findings)
    return {"outcome_note": notes[s.outcome], "rate_text": rate_text, "counts": counts, "parts": a.breakdown}


def _convention(a: Audit) -> dict:
    c = a.convention
    bank = c.bank
    findings = a.findings  # the identity checks already ran with the audit
    identity = [{"label": "SIRET", "value": c.siret, "findings": [f for f in findings if f.rule == "SIRET"]}]
    if bank is not None:
        if bank.iban:
            identity.append(
                {"label": "IBAN", "value": bank.iban, "findings": [f for f in findings if f.rule == "IBAN"]}
            )
        if bank.bic:
            identity.append({"label": "BIC", "value": bank.bic, "findings": [f for f in findings if f.rule == "BIC"]})
        if bank.rib:
            rib = bank.rib
            value = f"{rib.banque} {rib.guichet} {rib.compte} {rib.cle}"
            identity.append({"label": "RIB", "value": value, "findings": [f for f in findings if f.rule == "RIB"]})
    total = c.budget_total
    return {"identity": identity, "share": lambda cents: pct(_cents_pct(cents, total))}


def _line_rows(a: Audit) -> list[dict]:
    threshold = a.convention.variance_alert_pct
    return [
        {
            "line": line.line,
            "label": line.label,
            "budget": line.budget,
            "declared": line.declared,
            "eligible": line.eligible,
            "rejected_total": line.rejected_total,
            "variance": line.variance,
            "variance_pct": line.variance_pct,
            "execution_pct": None if line.execution_rate is None else line.execution_rate * 100,
            "alert": line.alert(threshold),
        }
        for line in a.lines
    ]


def _execution(a: Audit) -> dict:
    lines = _line_rows(a)
    chart = budget_chart(
        [
            {
                "label": li["label"],
                "budget": li["budget"] / 100,
                "declared": li["declared"] / 100,
                "eligible": li["eligible"] / 100,
            }
            for li in lines
        ]
    )
    for li in lines:
        li["explanation"], li["explanation_source"] = a.explanations.get(li["line"], (None, None))
    return {"lines": lines, "chart": data_uri(chart), "by_account": by_account(a)}


def account_class(compte: object) -> str | None:
    """The class of an account number (``"6064"`` -> ``"60"``), or None."""
    return compte[:2] if isinstance(compte, str) and compte[:2].isdigit() else None


def by_account(a: Audit) -> list[dict]:
    """Declared and eligible charges by account class (Cerfa 15059), payroll as class 64."""
    rows = a.rows
    if rows.empty:
        return []
    classes = rows["compte"].map(account_class)
    classes = classes.where(rows["source"] != "payroll", "64")
    known = rows.assign(cls=classes).dropna(subset=["cls"])
    if known.empty:
        return []
    out = []
    for cls, group in known.groupby("cls"):
        out.append(
            {
                "label": ACCOUNT_CLASSES.get(cls, f"{cls} Autres"),
                "declared": int(group["amount"].sum()),
                "eligible": int(group["eligible_amount"].sum()),
            }
        )
    unknown = rows[classes.isna() & (rows["source"] != "forfait")]
    if len(unknown):
        out.append(
            {
                "label": "Compte non renseigné",
                "declared": int(unknown["amount"].sum()),
                "eligible": int(unknown["eligible_amount"].sum()),
            }
        )
    # Then what is not a charge of an account, so that the column adds up to the eligible total.
    forfait = rows[rows["source"] == "forfait"]
    if len(forfait):
        amount = int(forfait["amount"].sum())
        out.append({"label": "Forfait de gestion (calculé)", "declared": amount, "eligible": amount})
    cap = sum(a.eligibility.plafond.values())
    if cap:
        out.append({"label": "Écrêtement des coûts de gestion (plafond)", "declared": None, "eligible": -cap})
    return out


def personnel_months(a: Audit) -> pd.DataFrame:
    """Per agent and month: rows, declared, eligible, rejected (cents)."""
    pay = a.rows[a.rows["source"] == "payroll"].copy()
    if pay.empty:
        return pd.DataFrame(columns=["month", "who", "rows", "declared", "eligible", "rejected"])
    pay["month"] = pay["month"].map(lambda m: m if m is not None and not pd.isna(m) else None)
    pay["rejected"] = pay["amount"] - pay["eligible_amount"]
    pay["month_key"] = pay["month"].map(lambda m: m.isoformat() if m else "")
    grouped = pay.groupby(["month_key", "who"], sort=True, dropna=False).agg(
        month=("month", "first"), rows=("row_id", "size"), declared=("amount", "sum"),
        eligible=("eligible_amount", "sum"), rejected=("rejected", "sum"),
    )  # fmt: skip
    return grouped.reset_index().drop(columns="month_key")


def _personnel(a: Audit) -> dict:
    c = a.convention
    staff = [
        {
            "who": f"Agent {i}",
            "role": s.role,
            "allocation": s.allocation * 100,
            "start": s.start,
            "end": s.end,
            "ddets": s.ddets_validation_date,
        }
        for i, s in enumerate(c.staff, start=1)
    ]
    months = personnel_months(a)
    rows = [
        {"label": month_fr(m.month) if m.month else "mois illisible", "who": m.who, "rows": int(m.rows),
         "declared": int(m.declared), "eligible": int(m.eligible), "rejected": int(m.rejected)}
        for m in months.itertuples(index=False)
    ]  # fmt: skip
    total = {k: sum(r[k] for r in rows) for k in ("rows", "declared", "eligible", "rejected")}
    chart = None
    if rows:
        dated = months[months["month"].notna()]
        frame = pd.DataFrame(
            {"month": pd.to_datetime(dated["month"].map(lambda m: m.replace(day=15))), "who": dated["who"],
             "eligible": dated["eligible"] / 100, "rejected": dated["rejected"] / 100}
        )  # fmt: skip
        spans = [(s["who"], s["start"], s["end"]) for s in staff]
        chart = data_uri(personnel_chart(frame, spans, (c.period_start, c.period_end)))
    return {"staff": staff, "months": rows, "months_total": total, "chart": chart}


def _gestion(a: Audit) -> dict:
    c = a.convention
    mode = c.management_costs
    personnel = a.line(c.personnel_line.line).eligible
    cap = a.eligibility.cap
    if mode.mode == "flat_rate":
        rule_text = (
            f"Forfait : {pct(mode.rate * 100)} × personnel éligible {eur(personnel)} = {eur(a.eligibility.forfait)}, "
            "porté sur la première ligne de gestion ; les coûts de gestion réels sont remplacés par le forfait (règle FORFAIT)."
        )
    elif cap is not None:
        before = sum(a.line(b.line).eligible + a.eligibility.plafond.get(b.line, 0) for b in c.management_lines)
        cut = sum(a.eligibility.plafond.values())
        rule_text = (
            f"Coûts réels plafonnés à {pct(mode.cap_rate * 100)} du personnel éligible : "
            f"{pct(mode.cap_rate * 100)} × {eur(personnel)} = {eur(cap)}. Éligible avant plafond : {eur(before)}"
            + (f" ; écrêtement de {eur(cut)} (PLAFOND_GESTION)." if cut else " : le plafond n'est pas atteint.")
        )
    else:
        rule_text = "Coûts de gestion réels, sans plafond."
    lines = []
    for b in c.management_lines:
        line = a.line(b.line)
        cut = a.eligibility.plafond.get(b.line, 0)
        lines.append(
            {
                "label": b.label,
                "budget": b.amount,
                "declared": line.declared,
                "before_cap": line.eligible + cut,
                "cap_cut": cut,
                "eligible": line.eligible,
            }
        )
    management = {b.line for b in c.management_lines}
    kept = a.rows[a.rows["line"].isin(management) & (a.rows["eligible_amount"] != 0)]
    rows = [
        {**rec._asdict(), "source_label": source_label(rec)}
        for rec in kept.head(MAX_TABLE_ROWS).itertuples(index=False)
    ]
    for r in rows:
        if r["source"] == "forfait":
            r["piece"], r["libelle"] = "forfait", "forfait de gestion"
    return {"rule_text": rule_text, "lines": lines, "rows": rows, "count": len(kept), "sheet": "Gestion"}


def _controles(a: Audit) -> dict:
    counts = rule_counts(a.rows)
    controls = []
    for rule in FAILING_RULES:
        checked = sum(a.eligibility.checked.get(src, {}).get(rule, 0) for src in ("payroll", "expenses"))
        controls.append(
            {"criterion": RULES[rule].criterion, "rule": rule, "what": RULES[rule].label, "checked": checked,
             "rows": counts.get(rule, 0), "amount": sum(line.rejected.get(rule, 0) for line in a.lines)}
        )  # fmt: skip
    for rule in ("AFFECTATION", "FORFAIT", "PLAFOND_GESTION"):
        amount = sum(line.rejected.get(rule, 0) for line in a.lines)
        if amount:
            count = counts.get(rule, 0)
            controls.append(
                {
                    "criterion": RULES[rule].criterion,
                    "rule": rule,
                    "what": RULES[rule].label,
                    "checked": "—",
                    "rows": count,
                    "amount": amount,
                }
            )
    return {"controls": controls, "skipped": a.eligibility.skipped, "suites": list(a.suites)}


def _rejets(a: Audit) -> dict:
    rows = by_impact(a.rows[a.rows["rules"].str.len() > 0])
    out = []
    for rec in rows.head(MAX_TABLE_ROWS).itertuples(index=False):
        out.append(
            {"source_label": source_label(rec), "kind": "paie" if rec.source == "payroll" else "dépense",
             "reference": row_reference(rec),
             "line": rec.line if rec.line != HORS_BUDGET else "hors budget", "amount": rec.amount,
             "rejected": rec.amount - rec.eligible_amount, "rules": rec.rules, "reasons": rec.reasons,
             "impact": getattr(rec, "impact", None), "decision": DECISIONS_FR.get(getattr(rec.decision, "decision", None))}
        )  # fmt: skip
    plafond = sum(a.eligibility.plafond.values())
    total = int((rows["amount"] - rows["eligible_amount"]).sum()) + plafond
    return {"rows": out, "count": len(rows), "total": total, "sheet": "Dépenses écartées", "parts": a.breakdown}


DECISIONS_FR = {"accept": "acceptée", "reject": "rejet confirmé", "partial": "retenue en partie"}


def row_reference(rec) -> str:
    """A row as the report names it: its source, never a name (payroll rows are Agent n, month)."""
    if rec.source == "payroll":
        return f"{rec.who}, {month_fr(rec.month) if rec.month else 'mois illisible'}"
    return " · ".join(str(v) for v in (rec.piece, rec.fournisseur, rec.libelle) if v)


def _procedure(a: Audit) -> dict:
    """Dates and deadline, decisions with motives and effects, explanations, what is at stake,
    and with --previous the settlement and the rows whose eligible amount changed."""
    procedure = a.decisions.procedure
    before = {rid: int(v) for rid, v in zip(a.baseline.rows["row_id"], a.baseline.rows["eligible_amount"], strict=True)}
    decided = a.rows[a.rows["decision"].notna()]
    decisions = []
    for rec in decided.itertuples(index=False):
        d = rec.decision
        decisions.append(
            {"source_label": source_label(rec), "reference": row_reference(rec), "decision": DECISIONS_FR[d.decision],
             "rule": d.rule if d.decision != "accept" else None, "amount": d.amount, "motive": d.motive,
             "date": d.date, "effect": int(rec.eligible_amount) - before.get(rec.row_id, 0)}
        )  # fmt: skip
    explanations = [
        {"label": line.label, "text": text, "source": source, "alert": line.alert(a.convention.variance_alert_pct)}
        for line in a.lines
        for text, source in [a.explanations.get(line.line, (None, None))]
        if text
    ]
    late = (
        procedure.response_received is not None
        and procedure.response_deadline is not None
        and procedure.response_received > procedure.response_deadline
    )
    return {
        "procedure": procedure,
        "late": late,
        "decisions": decisions,
        "explanations": explanations,
        "max_balance": a.max_balance,
        "comparison": _comparison(a),
    }


def _comparison(a: Audit) -> dict | None:
    """Before / after, with --previous: the earlier settlement and every row whose eligible changed."""
    if a.previous is None:
        return None
    changed = []
    earlier = a.previous_rows or {}
    for rec in a.rows[a.rows["source"] != "forfait"].itertuples(index=False):
        key = (rec.file, rec.sheet if isinstance(rec.sheet, str) else None, int(rec.row))
        if key in earlier and earlier[key] != int(rec.eligible_amount):
            changed.append(
                {"source_label": source_label(rec), "reference": row_reference(rec), "before": earlier[key],
                 "after": int(rec.eligible_amount), "change": int(rec.eligible_amount) - earlier[key]}
            )  # fmt: skip
    previous = a.previous
    return {
        "phase": previous.get("phase"),
        "balance": euros_to_cents(previous["balance"]),
        "outcome": OUTCOMES[previous["outcome"]],
        "amount": euros_to_cents(previous["amount"]),
        "rows": changed[:MAX_TABLE_ROWS],
        "count": len(changed),
    }


def _activite(a: Audit) -> dict:
    return activity_section(a.convention, a.activity, personnel_cost_by_month(a.rows))


def _analytics(a: Audit) -> dict:
    chart = None
    if a.analytics and a.analytics["benford"]["n"]:
        benford = a.analytics["benford"]
        chart = data_uri(benford_chart(benford["observed"], benford["expected"]))
    return analytics_context(a.analytics, chart)


def _constats(a: Audit) -> dict:
    return {"findings": a.findings}


def _tracabilite(a: Audit) -> dict:
    inputs = []
    for item in a.inputs:
        table = a.tables.get(item["role"])
        inputs.append(
            {**item, "sheet": table.sheet if table else None, "header_row": table.header_row if table else None}
        )
    return {
        "inputs": inputs,
        "tool_version": __version__,
        "gx_version": a.gx_version,
        "suites": a.suites,
        "run_date": a.started.strftime("%d/%m/%Y à %H:%M"),
        "ignored": [(t.file, t.totals) for t in a.tables.values() if t.totals],
        "notes": a.convention.notes,
    }


def _signature(a: Audit) -> dict:
    return {}


def section_html(name: str, a: Audit) -> str:
    context = {**_common(a), **globals()[f"_{name}"](a), "number": NUMBERS.get(name)}
    return _env().get_template(f"{name}.html.j2").render(**context)


def section(name: str, a: Audit):
    """A section as an IPython HTML object (a string outside a kernel)."""
    html = section_html(name, a)
    try:
        from IPython.display import HTML
    except ImportError:  # pragma: no cover - IPython ships with the kernel
        return html
    return HTML(html)


def render_all(a: Audit) -> str:
    """All sections, in order, as one HTML fragment (tests, previews)."""
    return "\n".join(section_html(name, a) for name, _ in SECTIONS)
