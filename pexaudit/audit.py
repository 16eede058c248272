"""One convention audited end to end: read -> check -> settle -> findings -> results.json.

:func:`audit` is what the notebook calls; it touches files only to read the inputs.
:func:`results` turns an :class:`Audit` into the ``results.json`` document of SPEC section 7.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import __version__
from .activity import ActivityResult, activity_findings, activity_json, classify_activity, personnel_cost_by_month
from .analytics import expenses_analytics, fec_analytics, integrity_findings
from .books import book_findings
from .convention import Convention, load_convention
from .decisions import (
    Bound,
    Decisions,
    Procedure,
    apply,
    bind,
    decision_findings,
    load_decisions,
    procedure_findings,
    read_previous,
)
from .explanations import explain
from .findings import Finding, collect_findings
from .money import cents_to_euros
from .readers import Table, check_columns_used, read_activity, read_expenses, read_payroll, sha256_of
from .rules import Eligibility, Flag, evaluate, raisonnable
from .settlement import Line, Settlement, check_conservation, reconcile, settle, verdict
from .stakes import stakes

__all__ = ["VOLATILE_KEYS", "Audit", "audit", "reassess", "results", "split_rejected", "write_json"]

# Keys of results.json that change from one run to the next on the same inputs.
VOLATILE_KEYS = ("run",)


@dataclass
class Audit:
    """One convention audited: the rules' outcome, the auditor's decisions, what follows.

    ``eligibility`` (and so ``rows``, ``lines``, ``settlement``, ``findings``) is the state
    after the decisions; ``baseline`` what the rules alone found. Rows carry, beside the
    rules' columns: ``decision`` (a :class:`~pexaudit.decisions.Decision` or None),
    ``rules_after`` (what the row fails after decisions), ``impact`` (cents or None) and
    ``booked_rule`` after decisions.
    """

    convention: Convention
    tables: dict[str, Table]
    eligibility: Eligibility
    lines: list[Line]
    settlement: Settlement
    flags: list[Flag]
    findings: list[Finding]
    verdict: str
    inputs: list[dict]
    gx_version: str
    suites: dict[str, str]
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    seconds: float = 0.0
    activity: ActivityResult | None = None
    analytics: dict | None = None  # SPEC 11: indicative tests over the ledger (FEC lines or expense rows)
    baseline: Eligibility | None = None  # the rules' outcome before decisions
    decisions: Decisions = field(default_factory=Decisions)
    bound: Bound = field(default_factory=lambda: Bound({}, {}))
    explanations: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    max_balance: int | None = None  # cents; None when stakes were not computed
    previous: dict | None = None  # what an earlier run (--previous) concluded
    previous_rows: dict | None = None  # that run's eligible cents by (file, sheet, row)

    @property
    def rows(self) -> pd.DataFrame:
        return self.eligibility.rows

    @property
    def procedure(self) -> Procedure:
        return self.decisions.procedure

    @property
    def totals(self) -> dict[str, int]:
        return {
            "budget": sum(line.budget for line in self.lines),
            "declared": sum(line.declared for line in self.lines),
            "eligible": sum(line.eligible for line in self.lines),
            "rejected": sum(line.rejected_total for line in self.lines),
        }

    @property
    def breakdown(self) -> dict[str, int]:
        """What left the declared amount, told apart for the headline: rejected by the rules (and
        the cap), the unallocated share of part-time staff (AFFECTATION), the actual management
        costs replaced by the flat rate (FORFAIT). ``totals.rejected`` keeps their sum."""
        return split_rejected(line.rejected for line in self.lines)

    def line(self, line_id: str) -> Line:
        return next(line for line in self.lines if line.line == line_id)


def audit(folder: str | Path, checker=None, *, previous: str | Path | None = None, impacts: bool = True) -> Audit:
    """Audit the convention in ``folder``; raises InputError on bad input.

    The decisions file of the folder (SPEC 9) is read and checked before the rules run;
    ``previous`` is an earlier results.json of the same convention; ``impacts=False`` skips the
    stakes (``rows[].impact``, ``settlement.max_balance``), for measuring what they cost.
    """
    from .checks import checker as default_checker
    from .checks import suite_versions

    started = time.perf_counter()
    when = dt.datetime.now().astimezone()
    convention = load_convention(folder)
    decisions = load_decisions(convention.folder)
    before, before_rows = read_previous(previous, convention.id) if previous else (None, None)
    payroll = read_payroll(convention)
    expenses = read_expenses(convention, row_id_start=payroll.rows if payroll else 0)
    activity_table = read_activity(convention) if convention.missions else None
    check_columns_used(convention, [payroll, expenses, activity_table])
    tables = {t.role: t for t in (payroll, expenses) if t is not None}
    bound = bind(decisions, tables, convention)
    checker = checker or default_checker()
    baseline = evaluate(convention, payroll, expenses, checker)
    activity = classify_activity(convention, activity_table, checker) if convention.missions else None
    parts = _assess(convention, tables, baseline, decisions, bound, activity, impacts=impacts)
    return Audit(
        convention=convention,
        tables=tables,
        **parts,
        inputs=_inputs(convention, tables, decisions, activity),
        gx_version=checker.version,
        suites=suite_versions(),
        started=when,
        seconds=round(time.perf_counter() - started, 3),
        baseline=baseline,
        decisions=decisions,
        bound=bound,
        previous=before,
        previous_rows=before_rows,
        activity=activity,
        analytics=ledger_analytics(convention, expenses),
    )


def _assess(
    convention: Convention,
    tables: dict[str, Table],
    baseline: Eligibility,
    decisions: Decisions,
    bound: Bound,
    activity: ActivityResult | None,
    *,
    impacts: bool = True,
) -> dict:
    """From the rules' rows: decisions, lines, conservation, settlement, findings, stakes, verdict.

    The activity file is classified once (``activity``); its findings depend on the eligible
    personnel cost after decisions (ACTIVITE_SANS_AGENT), so they are computed here.
    """
    eligibility = apply(convention, baseline, bound.rows)
    lines = reconcile(convention, eligibility.rows, eligibility.plafond)
    expected_ids = [i for t in tables.values() for i in t.frame["row_id"].tolist()]
    check_conservation(lines, eligibility.rows, expected_ids)
    after = eligibility.rows.assign(rules=eligibility.rows["rules_after"])  # what the findings read
    flags = raisonnable(convention, after)
    settlement = settle(convention, lines)
    findings = [
        *collect_findings(convention, lines, after, flags, tables),
        *decision_findings(eligibility.rows, baseline.rows, bound.rows),
        *procedure_findings(decisions.procedure, settlement.balance, convention),
        *activity_findings(convention, activity, personnel_cost_by_month(eligibility.rows)),
        *_ledger_findings(tables.get("expenses")),
        *book_findings(convention, eligibility.rows, tables.get("expenses"), tables.get("payroll")),
    ]
    max_balance = None
    if impacts:
        found = stakes(convention, eligibility.rows)
        eligibility.rows["impact"] = found.impact
        max_balance = found.max_balance
    else:
        eligibility.rows["impact"] = pd.Series([None] * len(eligibility.rows), dtype=object)
    return {
        "eligibility": eligibility,
        "lines": lines,
        "settlement": settlement,
        "flags": flags,
        "findings": findings,
        "verdict": verdict(settlement, findings),
        "explanations": explain(lines, convention.variance_alert_pct, bound.explanations, _forfaits(eligibility.rows)),
        "max_balance": max_balance,
    }


def _forfaits(rows: pd.DataFrame) -> dict[str, int]:
    """The flat-rate amount booked on each line (cents): computed, not declared by the beneficiary."""
    flat = rows[rows["source"] == "forfait"]
    return {str(line): int(amount) for line, amount in zip(flat["line"], flat["amount"], strict=True)}


def reassess(a: Audit, decisions: Decisions, bound: Bound) -> Audit:
    """``a`` with other decisions, recomputed from its evaluated rows (no file read, no GX)."""
    impacts = a.max_balance is not None
    parts = _assess(a.convention, a.tables, a.baseline, decisions, bound, a.activity, impacts=impacts)
    return dataclasses.replace(a, **parts, decisions=decisions, bound=bound)


def _ledger_findings(expenses: Table | None) -> list:
    """SPEC 11's integrity findings of a FEC (FEC_EQUILIBRE, FEC_FORMAT, FEC_DATES): they depend on
    the file alone, not on the decisions."""
    if expenses is None or expenses.ledger is None:
        return []
    return integrity_findings(expenses.ledger.integrity)


def _inputs(
    convention: Convention, tables: dict[str, Table], decisions: Decisions, activity: ActivityResult | None
) -> list[dict]:
    """The audit trail's inputs: convention.yaml, the input files, the decisions file."""
    inputs = [{"role": "convention", "path": "convention.yaml", "sha256": sha256_of(convention.file), "rows": None}]
    inputs += [
        {"role": t.role, "path": t.file, "sha256": t.sha256, "rows": t.rows, "ignored_rows": t.ignored_rows}
        for t in tables.values()
    ]
    activity_path = convention.input_path("activity")
    if activity_path is not None:
        rows = len(activity.rows) if activity is not None and activity.present else None
        inputs.append(
            {
                "role": "activity",
                "path": convention.inputs["activity"],
                "sha256": sha256_of(activity_path),
                "rows": rows,
            }
        )
    trail = decisions.trail()
    if trail is not None:
        inputs.append(trail)
    return inputs


def ledger_analytics(convention: Convention, expenses: Table | None) -> dict | None:
    """The analytics of SPEC 11: over every line of a FEC, else over the expense rows."""
    if expenses is None:
        return None
    if expenses.ledger is not None:
        ledger = expenses.ledger
        return fec_analytics(
            ledger.lines, convention.period_start, convention.period_end, file=expenses.file, integrity=ledger.integrity
        )
    return expenses_analytics(expenses.frame, expenses.file)


def split_rejected(rejected_by_line) -> dict[str, int]:
    """``{"rejected", "unallocated", "forfait"}`` in cents from per-line ``rejected`` dicts."""
    out = {"rejected": 0, "unallocated": 0, "forfait": 0}
    for rejected in rejected_by_line:
        for rule, amount in rejected.items():
            out[{"AFFECTATION": "unallocated", "FORFAIT": "forfait"}.get(rule, "rejected")] += amount
    return out


def _rate(value) -> float | None:
    return None if value is None else float(value)


def _payment(rec) -> dict | None:
    """Where a FEC row's payment date came from (SPEC 11): the entry that says so."""
    if rec.payment_source is None or rec.date_paiement is None:
        return None
    return {
        "source": rec.payment_source,
        "journal": rec.payment_journal,
        "entry": rec.payment_entry,
        "date": rec.date_paiement.isoformat(),
    }


def _rows(a: Audit, only_rejected: bool = False) -> Iterator[dict]:
    cited = a.rows["rules"].map(bool) | a.rows["decision"].notna() | (a.rows["source"] == "forfait")
    rows = a.rows[cited] if only_rejected else a.rows
    expenses = a.tables.get("expenses")
    fec = expenses.file if expenses is not None and expenses.kind == "fec" else None
    for rec in rows.itertuples(index=False):
        payment = {"payment": _payment(rec)} if fec is not None and rec.source == "expenses" else {}
        yield {
            "source": rec.source,
            "file": rec.file if isinstance(rec.file, str) else None,
            "sheet": rec.sheet if isinstance(rec.sheet, str) else None,
            "row": None if rec.row is None or pd.isna(rec.row) else int(rec.row),
            "line": rec.line,
            "amount": cents_to_euros(rec.amount),
            "eligible_amount": cents_to_euros(rec.eligible_amount),
            "rules": list(rec.rules),
            "reasons": list(rec.reasons),
            "decision": None if rec.decision is None else rec.decision.as_json(),
            "impact": None if rec.impact is None else cents_to_euros(rec.impact),
            **payment,
        }


def results(a: Audit, *, only_rejected: bool = False) -> dict:
    """The results.json document (SPEC section 7, ``results.schema.json``).

    ``only_rejected`` keeps the rows that fail a rule or carry a decision, and the flat-rate row (what a letter
    cites): a million-row ledger need not be turned into dicts twice.
    """
    summary = _summary(a)
    return {
        **{k: summary[k] for k in _HEAD},
        "rows": list(_rows(a, only_rejected)),
        **{k: v for k, v in summary.items() if k not in _HEAD},
    }


_HEAD = ("convention_id", "tool_version", "inputs", "lines", "totals", "settlement")


def write_results(a: Audit, path: Path) -> None:
    """results.json, with ``rows`` streamed one by one (a million rows stay out of memory)."""
    summary = _summary(a)
    head = {k: summary[k] for k in _HEAD}
    tail = {k: v for k, v in summary.items() if k not in _HEAD}
    with path.open("w", encoding="utf-8") as out:
        text = json.dumps(head, ensure_ascii=False, indent=2)
        out.write(text[:-2] + ',\n  "rows": [')
        for index, row in enumerate(_rows(a)):
            out.write(("\n    " if index == 0 else ",\n    ") + json.dumps(row, ensure_ascii=False))
        out.write("\n  ],\n" + json.dumps(tail, ensure_ascii=False, indent=2)[2:] + "\n")


def _summary(a: Audit) -> dict:
    threshold = a.convention.variance_alert_pct
    s = a.settlement
    return {
        "convention_id": a.convention.id,
        "tool_version": __version__,
        "inputs": a.inputs,
        "lines": [
            {
                "line": line.line,
                "kind": line.kind,
                "budget": cents_to_euros(line.budget),
                "declared": cents_to_euros(line.declared),
                "eligible": cents_to_euros(line.eligible),
                "rejected": {rule: cents_to_euros(v) for rule, v in line.rejected.items()},
                "variance": cents_to_euros(line.variance),
                "variance_pct": _rate(line.variance_pct),
                "execution_rate": _rate(line.execution_rate),
                "alert": line.alert(threshold),
                "explanation": a.explanations.get(line.line, (None, None))[0],
                "explanation_source": a.explanations.get(line.line, (None, None))[1],
            }
            for line in a.lines
        ],
        "totals": {k: cents_to_euros(v) for k, v in a.totals.items()},
        "settlement": {
            "granted": cents_to_euros(s.granted),
            "funding_rate": float(s.funding_rate),
            "justified": cents_to_euros(s.justified),
            "paid": cents_to_euros(s.paid),
            "balance": cents_to_euros(s.balance),
            "outcome": s.outcome,
            "amount": cents_to_euros(s.amount),
            **({} if a.max_balance is None else {"max_balance": cents_to_euros(a.max_balance)}),
        },
        "findings": [
            {
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "amount": None if f.amount is None else cents_to_euros(f.amount),
                **({"refs": list(f.refs)} if f.refs else {}),
            }
            for f in a.findings
        ],
        "verdict": a.verdict,
        "procedure": a.procedure.as_json(),
        "previous": a.previous,
        "activity": activity_json(a.activity),
        "analytics": a.analytics,
        "gx_version": a.gx_version,
        "suites": a.suites,
        "run": {"started": a.started.isoformat(timespec="seconds"), "seconds": a.seconds},
    }


def write_json(document: dict, path: Path) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
