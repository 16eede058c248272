"""One convention audited: named steps, each handing the next a value it never writes into.

    read_inputs      convention.yaml, the input files, the decisions file   -> Inputs
    evaluate_rows    the row rules (GX suites), the activity rows           -> Evaluated
    apply_decisions  the auditor's decisions on the rows                    -> rows after decisions
    decide_activity  the auditor's decisions on the activity rows           -> ActivityResult
    apply_aggregates management cap or flat rate, once                      -> Aggregates
    settle           budget lines, conservation, settlement                 -> lines, Settlement
    find             every finding of the audit                             -> findings
    weigh            what each rejected row is worth (closed form)          -> Stakes

:func:`audit` runs them all; :func:`assess` runs the steps after the rows are evaluated, which
the notebook's what-if reuses with other decisions (no file read, no GX run). :func:`results`
turns an :class:`Audit` into the ``results.json`` document of SPEC section 7.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import __version__
from ..inputs.convention import Convention, load_convention
from ..inputs.decisions import Decisions, Procedure, load_decisions
from ..inputs.previous import read_previous
from ..inputs.readers import Table, check_columns_used, sha256_of
from ..inputs.sources import read_activity, read_expenses, read_payroll
from ..money import cents_to_euros
from .activity import ActivityResult, activity_findings, activity_json, classify_activity, personnel_cost_by_month
from .aggregate import Aggregates, aggregate
from .analytics import expenses_analytics, fec_analytics, integrity_findings
from .books import book_findings
from .decide import Bound, apply, bind, decision_findings, procedure_findings
from .decide_activity import activity_decision_findings, apply_activity, bind_activity
from .explanations import explain
from .findings import collect_findings
from .registry import Finding
from .rules import Eligibility, Flag, evaluate, raisonnable
from .settlement import Line, Settlement, check_conservation, reconcile, settle, verdict
from .stakes import Stakes, stakes

__all__ = [
    "VOLATILE_KEYS",
    "Audit",
    "Inputs",
    "assess",
    "audit",
    "bind_decisions",
    "decide_activity",
    "decisions_applied",
    "read_inputs",
    "reassess",
    "results",
    "split_rejected",
    "write_json",
]

# Keys of results.json that change from one run to the next on the same inputs.
VOLATILE_KEYS = ("run",)


@dataclass(frozen=True)
class Inputs:
    """Everything read from the convention folder, checked: what ``audit`` and ``check`` share."""

    convention: Convention
    tables: dict[str, Table]  # payroll, expenses (those given)
    activity: Table | None
    decisions: Decisions
    bound: Bound
    previous: dict | None = None  # what an earlier run (--previous) concluded
    previous_rows: dict | None = None  # that run's eligible cents by (file, sheet, row)


def read_inputs(
    folder: str | Path, previous: str | Path | None = None, *, seen: Callable[[str, object], None] | None = None
) -> Inputs:
    """Read and check convention.yaml, the input files and the decisions file; InputError on bad input.

    ``seen(what, value)`` is told of each piece as it is read (``check`` prints them one by one,
    so that what was read before an error is shown).
    """
    seen = seen or (lambda what, value: None)
    convention = load_convention(folder)
    seen("convention", convention)
    decisions = load_decisions(convention.folder, convention.inputs.get("activity"))
    before, before_rows = read_previous(previous, convention.id) if previous else (None, None)
    payroll = read_payroll(convention)
    seen("payroll", payroll)
    expenses = read_expenses(convention, row_id_start=payroll.rows if payroll else 0)
    seen("expenses", expenses)
    activity = read_activity(convention) if convention.missions else None
    seen("activity", activity)
    check_columns_used(convention, [payroll, expenses, activity])
    tables = {t.role: t for t in (payroll, expenses) if t is not None}
    bound = bind_decisions(decisions, tables, activity, convention)
    inputs = Inputs(convention, tables, activity, decisions, bound, before, before_rows)
    seen("decisions", inputs)
    return inputs


def bind_decisions(
    decisions: Decisions, tables: dict[str, Table], activity: Table | None, convention: Convention
) -> Bound:
    """Every decision checked against its row, without GX: payroll and expense rows (SPEC 9),
    then activity rows (SPEC 10; whether an accepted action is hors mission is checked when the
    decisions are applied, by :func:`decide_activity`)."""
    bound = bind(decisions, tables, convention, activity_file=activity.file if activity is not None else None)
    return dataclasses.replace(bound, activity=bind_activity(decisions.activity, activity, convention))


@dataclass(frozen=True)
class Evaluated:
    """The row rules' outcome (before any decision) and the activity rows classified."""

    eligibility: Eligibility
    activity: ActivityResult | None


def evaluate_rows(inputs: Inputs, checker) -> Evaluated:
    """The article-4 row rules (GX suites) over the payroll and expense rows, and the activity rows."""
    c = inputs.convention
    eligibility = evaluate(c, inputs.tables.get("payroll"), inputs.tables.get("expenses"), checker)
    activity = classify_activity(c, inputs.activity, checker) if c.missions else None
    return Evaluated(eligibility, activity)


@dataclass(frozen=True)
class Audit:
    """One convention audited: every hand-off of the steps, kept for the documents to read.

    ``rows`` are the rows after decisions, with the flat-rate row and ``impact``; each row's
    cost splits into ``eligible_amount`` + ``rejected_amount`` (under ``rejected_rule``) +
    ``share_amount`` (under ``share_rule``, AFFECTATION or FORFAIT). ``evaluated`` keeps what
    the rules alone found.
    """

    inputs: Inputs
    evaluated: Evaluated
    activity: ActivityResult | None  # the activity rows after the auditor's decisions (None: no missions)
    aggregates: Aggregates
    rows: pd.DataFrame
    lines: tuple[Line, ...]
    settlement: Settlement
    flags: tuple[Flag, ...]
    findings: tuple[Finding, ...]
    verdict: str
    explanations: dict[str, tuple[str | None, str | None]]
    stakes: Stakes | None
    analytics: dict | None  # SPEC 11: indicative tests over the ledger (FEC lines or expense rows)
    gx_version: str
    suites: dict[str, str]
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now().astimezone())
    seconds: float = 0.0
    # Every line each analytics test flags, for the workbook (SPEC 11: up to analytics.SHEET_LINES
    # a test): a small frame per test made from index arrays; results.json keeps its 20 examples.
    flagged: dict | None = field(default=None, repr=False)

    @property
    def convention(self) -> Convention:
        return self.inputs.convention

    @property
    def tables(self) -> dict[str, Table]:
        return self.inputs.tables

    @property
    def decisions(self) -> Decisions:
        return self.inputs.decisions

    @property
    def bound(self) -> Bound:
        return self.inputs.bound

    @property
    def procedure(self) -> Procedure:
        return self.inputs.decisions.procedure

    @property
    def max_balance(self) -> int | None:
        """Cents; None when the stakes were not computed."""
        return None if self.stakes is None else self.stakes.max_balance

    @property
    def previous(self) -> dict | None:
        return self.inputs.previous

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

    @property
    def inputs_trail(self) -> list[dict]:
        return _inputs(self.inputs, self.activity)

    def line(self, line_id: str) -> Line:
        return next(line for line in self.lines if line.line == line_id)


def audit(folder: str | Path, checker=None, *, previous: str | Path | None = None, impacts: bool = True) -> Audit:
    """Audit the convention in ``folder``; raises InputError on bad input.

    ``previous`` is an earlier results.json of the same convention; ``impacts=False`` skips the
    stakes (``rows[].impact``, ``settlement.max_balance``), for measuring what they cost.
    """
    from .checks import checker as default_checker
    from .checks import suite_versions

    started = time.perf_counter()
    when = dt.datetime.now().astimezone()
    inputs = read_inputs(folder, previous)
    checker = checker or default_checker()
    evaluated = evaluate_rows(inputs, checker)
    expenses = inputs.tables.get("expenses")
    flagged: dict = {}
    return assess(
        inputs,
        evaluated,
        impacts=impacts,
        analytics=ledger_analytics(inputs.convention, expenses, flagged),
        flagged=flagged,
        gx_version=checker.version,
        suites=suite_versions(),
        started=when,
        clock=started,
    )


def assess(
    inputs: Inputs,
    evaluated: Evaluated,
    *,
    impacts: bool = True,
    analytics: dict | None = None,
    gx_version: str = "",
    suites: dict[str, str] | None = None,
    started: dt.datetime | None = None,
    clock: float | None = None,
    flagged: dict | None = None,
) -> Audit:
    """The steps after the row rules: decisions, aggregate rules, settlement, findings, stakes."""
    c = inputs.convention
    decided = apply_decisions(inputs, evaluated)
    activity = decide_activity(inputs, evaluated)
    aggregates = apply_aggregates(c, decided)
    lines, settlement = settle_lines(inputs, aggregates)
    flags = tuple(raisonnable(c, aggregates.rows))
    found = find(inputs, activity, aggregates, lines, settlement, flags)
    weighed = stakes(c, aggregates.rows) if impacts else None
    rows = aggregates.rows.assign(
        impact=weighed.impact if weighed else pd.Series([None] * len(aggregates.rows), dtype=object)
    )
    forfaits = {
        str(line): int(cents)
        for line, cents in zip(
            rows.loc[rows["source"] == "forfait", "line"], rows.loc[rows["source"] == "forfait", "amount"], strict=True
        )
    }
    return Audit(
        inputs=inputs,
        evaluated=evaluated,
        activity=activity,
        aggregates=aggregates,
        rows=rows,
        lines=tuple(lines),
        settlement=settlement,
        flags=flags,
        findings=found,
        verdict=verdict(settlement, found),
        explanations=explain(lines, c.variance_alert_pct, inputs.bound.explanations, forfaits),
        stakes=weighed,
        analytics=analytics,
        gx_version=gx_version,
        suites=suites or {},
        started=started or dt.datetime.now().astimezone(),
        seconds=0.0 if clock is None else round(time.perf_counter() - clock, 3),
        flagged=flagged,
    )


def apply_decisions(inputs: Inputs, evaluated: Evaluated) -> pd.DataFrame:
    """The rows after the auditor's decisions (a new frame)."""
    return apply(inputs.convention, evaluated.eligibility.rows, inputs.bound.rows)


def decide_activity(inputs: Inputs, evaluated: Evaluated) -> ActivityResult | None:
    """The activity rows after the auditor's decisions (a new result; InputError for an accept
    on an action that is not hors mission)."""
    return apply_activity(inputs.convention, evaluated.activity, inputs.bound.activity)


def apply_aggregates(convention: Convention, decided: pd.DataFrame) -> Aggregates:
    """Management cap or flat rate, once, on the rows after decisions."""
    return aggregate(convention, decided)


def settle_lines(inputs: Inputs, aggregates: Aggregates) -> tuple[list[Line], Settlement]:
    """Budget lines and the settlement; a run where conservation fails stops here."""
    lines = reconcile(inputs.convention, aggregates.rows, aggregates.cuts)
    expected_ids = [i for t in inputs.tables.values() for i in t.frame["row_id"].tolist()]
    check_conservation(lines, aggregates.rows, expected_ids)
    return lines, settle(inputs.convention, lines)


def find(
    inputs: Inputs,
    activity: ActivityResult | None,
    aggregates: Aggregates,
    lines: list[Line],
    settlement: Settlement,
    flags: tuple[Flag, ...],
) -> tuple[Finding, ...]:
    """Every finding, in the order of the contract's tables (sections 6, 9, 10, 11); those of
    the activity on the activity after decisions."""
    c, rows = inputs.convention, aggregates.rows
    expenses = inputs.tables.get("expenses")
    return (
        *collect_findings(c, lines, rows, list(flags), inputs.tables, settlement),
        *decision_findings(rows, inputs.bound.rows),
        *activity_decision_findings(c, activity, inputs.bound.activity),
        *procedure_findings(inputs.decisions.procedure, settlement.balance, c),
        *activity_findings(c, activity, personnel_cost_by_month(rows)),
        *([] if expenses is None or expenses.ledger is None else integrity_findings(expenses.ledger.integrity)),
        *book_findings(c, rows, expenses, inputs.tables.get("payroll")),
    )


def reassess(a: Audit, decisions: Decisions, bound: Bound) -> Audit:
    """``a`` with other decisions, recomputed from its evaluated rows (no file read, no GX)."""
    inputs = dataclasses.replace(a.inputs, decisions=decisions, bound=bound)
    return assess(
        inputs,
        a.evaluated,
        impacts=a.stakes is not None,
        analytics=a.analytics,
        gx_version=a.gx_version,
        suites=a.suites,
        started=a.started,
        flagged=a.flagged,
    )


def _inputs(inputs: Inputs, activity: ActivityResult | None) -> list[dict]:
    """The audit trail's inputs: convention.yaml, the input files, the decisions file."""
    convention = inputs.convention
    trail = [{"role": "convention", "path": "convention.yaml", "sha256": sha256_of(convention.file), "rows": None}]
    trail += [
        {"role": t.role, "path": t.file, "sha256": t.sha256, "rows": t.rows, "ignored_rows": t.ignored_rows}
        for t in inputs.tables.values()
    ]
    activity_path = convention.input_path("activity")
    if activity_path is not None:
        rows = len(activity.rows) if activity is not None and activity.present else None
        trail.append(
            {
                "role": "activity",
                "path": convention.inputs["activity"],
                "sha256": sha256_of(activity_path),
                "rows": rows,
            }
        )
    decided = inputs.decisions.trail()
    if decided is not None:
        trail.append(decided)
    return trail


def ledger_analytics(convention: Convention, expenses: Table | None, flagged: dict | None = None) -> dict | None:
    """The analytics of SPEC 11: over every line of a FEC, else over the expense rows; ``flagged``
    receives each test's flagged lines (the workbook's sheet)."""
    if expenses is None:
        return None
    if expenses.ledger is not None:
        ledger = expenses.ledger
        return fec_analytics(
            ledger.lines,
            convention.period_start,
            convention.period_end,
            file=expenses.file,
            integrity=ledger.integrity,
            flagged=flagged,
        )
    return expenses_analytics(expenses.frame, expenses.file, flagged)


def decisions_applied(results: dict) -> int:
    """How many of the controller's decisions a results.json applies, on rows and on actions of
    the activity file alike: one DECISION finding each (the CLI summary and the consolidation)."""
    return sum(1 for f in results["findings"] if f["rule"] == "DECISION")


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
        "inputs": a.inputs_trail,
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
            "other_funding": cents_to_euros(s.other_funding),
            "cap_cost": None if s.cap_cost is None else cents_to_euros(s.cap_cost),
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
