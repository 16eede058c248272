"""One model of the bilan, built once from an audit, that every document lays out (SPEC 12).

:func:`build` turns an :class:`~pexaudit.audit.Audit` into a :class:`Bilan` of frozen views:
the headline, the budget lines, the rejected rows (one definition), the shares apart (AFFECTATION,
FORFAIT) and the line-level cuts (PLAFOND_GESTION, DEPASSEMENT), the decisions with their
labels (on the activity rows too), the procedure, the findings, the trail. The HTML report, the workbook, the letter, the
notebook and the consolidation read it and only lay it out: every figure and every list is
computed here, once, in integer cents, and every label comes from :mod:`pexaudit.vocabulary`.

*Rejected*, everywhere, means a row that after decisions fails a rule or carries a ``reject``
or ``partial`` decision: its ``rejected_rule`` is set. Its rejected amount is its cost minus its
eligible amount, its AFFECTATION or FORFAIT share excluded (a share is not a rejection).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

import pandas as pd

from ..core.activity import STATUS_LABELS, ActivityRow, action_name
from ..core.activity import where as activity_place
from ..core.aggregate import line_limits
from ..core.audit import Audit
from ..core.explanations import draft
from ..core.names import location, missing, ref_of, row_name, supplier
from ..core.registry import FAILING_RULES, FINDINGS, RULES, Finding
from ..core.stakes import by_impact
from ..errors import ConservationError
from ..fmt import date_fr
from ..inputs.convention import HORS_BUDGET
from ..inputs.decisions import Decision, Procedure
from ..vocabulary import (
    ACCOUNT_CLASSES,
    KINDS,
    NATURES,
    OUTCOMES,
    OUTCOMES_PROPOSED,
    SEVERITIES,
    VERDICTS,
    decision_label,
    payment_text,
    report_title,
)

__all__ = [
    "ACCOUNT_GROUPS",
    "SHARE_RULES",
    "ActivityDecisionView",
    "Bilan",
    "DecisionView",
    "ExamineView",
    "FindingView",
    "Headline",
    "LineView",
    "RowList",
    "RowView",
    "RuleGroup",
    "build",
    "line_labels",
    "rejected_mask",
]

SHARE_RULES = ("AFFECTATION", "FORFAIT")  # shares of a row's cost that are not rejections
CUT_RULES = ("PLAFOND_GESTION", "DEPASSEMENT")  # line-level cuts of the aggregate rules


def rejected_mask(rows: pd.DataFrame) -> pd.Series:
    """The one definition of a rejected row (SPEC 12): after decisions, it fails a rule or
    carries a ``reject`` / ``partial`` decision; an accepted row is not rejected."""
    return rows["rejected_rule"].notna()


def _money(value) -> int | None:
    return None if missing(value) else int(value)


@dataclass(frozen=True)
class RowView:
    """One input row as documents show it: named as a person finds it, with its figures."""

    ref: str  # file!sheet!row, what a decision names
    source: str  # payroll | expenses | forfait
    nature: str  # paie | dépense | forfait
    name: str  # report and workbook: pseudonym for pay rows
    letter_name: str  # letters: matricule for pay rows
    location: str  # file, sheet, line
    file: str | None
    sheet: str | None
    row: int | None
    line: str
    line_label: str
    amount: int  # cents: the row's cost
    eligible: int
    rejected: int  # cost − eligible − share
    share: int  # AFFECTATION or FORFAIT share
    rule: str | None  # the rule the rejected part is booked under
    rule_label: str | None
    share_rule: str | None
    rules: tuple[str, ...]  # what the rules found (the trace)
    reasons: tuple[str, ...]  # the rules' reasons, for the auditor
    beneficiary_reason: str | None  # why, in the beneficiary's words (letters)
    decision: Decision | None
    decision_label: str | None
    impact: int | None  # cents: the balance change if this row alone were accepted
    supplier: str | None
    piece: str | None
    date: dt.date | None
    libelle: str | None
    compte: str | None
    who: str | None
    month: dt.date | None
    # A FEC row (SPEC 11): its own journal and entry, and the entry whose date is its payment date.
    journal: str | None = None
    entry: str | None = None
    paid_on: dt.date | None = None  # date_paiement
    payment_source: str | None = None  # comptant | banque | lettrage (None: no payment found)
    payment_journal: str | None = None
    payment_entry: str | None = None
    payment: str | None = None  # in words, for a FEC row: « payée le 05/05/2025 par l'écriture BQ 123 (banque) »

    @property
    def where(self) -> str:
        """Where the row is read, then how it was paid for a FEC row (report and letter)."""
        return f"{self.location} ; {self.payment}" if self.payment else self.location

    @property
    def readable_reasons(self) -> str:
        return " ; ".join(self.reasons)


@dataclass(frozen=True)
class RowList:
    """A list of rows with how many it holds and their total (what it says they weigh)."""

    frame: pd.DataFrame  # the rows, in the order shown
    total: int  # cents
    line_labels: dict[str, str] = field(repr=False, default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.frame)

    def __len__(self) -> int:
        return len(self.frame)

    def __bool__(self) -> bool:
        return not self.frame.empty

    def views(self, limit: int | None = None) -> list[RowView]:
        """The first ``limit`` rows (all when None) as :class:`RowView` objects."""
        if limit is None or "all_views" in self.__dict__:
            return list(self.all_views[:limit])
        # the first rows only: the report's tables and the letter's annex show a few hundred of a
        # ledger's tens of thousands, whose views no other document may need
        return [row_view(rec, self.line_labels) for rec in self.frame.head(limit).itertuples(index=False)]

    @cached_property
    def all_views(self) -> tuple[RowView, ...]:
        """Every row as a :class:`RowView`, laid out once (the workbook lists the rejected rows
        twice, the workbench once more)."""
        return tuple(row_view(rec, self.line_labels) for rec in self.frame.itertuples(index=False))

    def __iter__(self) -> Iterator[RowView]:
        return iter(self.views())


@dataclass(frozen=True)
class RuleGroup:
    """The rows booked under one rule, after decisions: count and amount taken together."""

    rule: str
    label: str
    beneficiary: str | None
    count: int
    amount: int
    rows: RowList | None = None


@dataclass(frozen=True)
class Cut:
    """What an aggregate rule took on a budget line (PLAFOND_GESTION, DEPASSEMENT)."""

    line: str
    line_label: str
    rule: str
    rule_label: str
    amount: int


@dataclass(frozen=True)
class LineView:
    line: str
    label: str
    kind: str | None
    kind_label: str
    budget: int
    declared: int
    eligible: int
    rejected: dict[str, int]
    variance: int
    variance_pct: Fraction | None
    execution_rate: Fraction | None
    alert: bool
    cuts: dict[str, int]  # PLAFOND_GESTION / DEPASSEMENT on this line
    forfait: int  # the computed flat rate booked on this line (not declared by the beneficiary)
    limit: int | None  # the fongibilité limit (rules.line_overrun_pct), or None
    explanation: str | None
    explanation_source: str | None
    draft: str | None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def before_cuts(self) -> int:
        return self.eligible + sum(self.cuts.values())

    @property
    def spent(self) -> int:
        """What the beneficiary declared (the computed flat rate left out)."""
        return self.declared - self.forfait


@dataclass(frozen=True)
class DecisionView:
    row: RowView
    decision: Decision
    label: str
    rule: str | None
    rule_label: str | None
    retained: int | None  # cents: the cost retained (accept: the cost; partial: its amount; reject: 0)
    effect: int  # cents: the row's eligible amount after − before


@dataclass(frozen=True)
class ActivityDecisionView:
    """A decision on an action of the activity file, as every document names it: by its date,
    its mission as written and its file and line, never by the action's text (it may name a
    household)."""

    ref: str  # file!sheet!row, what the decision names
    name: str  # « action du 25/07/2024 rattachée à « Instruction FSL » »
    location: str  # activite.csv, ligne 7
    row: ActivityRow  # after the decision (its text: workbook only)
    decision: Decision
    label: str  # admise après examen | rejetée après examen | rejet confirmé
    before: str  # status as classified
    before_label: str
    after: str  # status after the decision: retenue | ecartee
    after_label: str
    mission: str | None  # accept: the mission code the action is attached to
    mission_label: str | None
    reason: str | None  # why the classification did not retain it (None: it was retenue)


@dataclass(frozen=True)
class FindingView:
    rule: str
    severity: str
    severity_label: str
    label: str
    message: str
    amount: int | None
    refs: tuple[str, ...]


EXAMINE_OTHERS_SHOWN = 5  # the other rows of a group a document names one by one


@dataclass(frozen=True)
class ExamineView:
    """A row a finding names (``refs``: DOUBLON_PROBABLE) for the auditor to decide: the
    workbench lists it and the ``Décisions`` sheet offers it below the rejected rows."""

    rule: str  # the finding's rule
    label: str  # the finding's label
    group: int  # which finding of that rule, 1-based (a DOUBLON_PROBABLE group)
    row: RowView
    refs: tuple[str, ...]  # every row the finding names, this one included (shared by its group)

    @property
    def others_text(self) -> str:
        """The other rows, the first :data:`EXAMINE_OTHERS_SHOWN` by ref, then how many more (a
        group of a thousand copies would not fit an Excel cell)."""
        # Only the first few refs are looked at: a group's rows each print this text.
        first = [r for r in self.refs[: EXAMINE_OTHERS_SHOWN + 1] if r != self.row.ref]
        shown = ", ".join(first[:EXAMINE_OTHERS_SHOWN])
        more = len(self.refs) - 1 - EXAMINE_OTHERS_SHOWN  # refs hold this row (see above)
        return f"{shown} et {more} autre{'s' if more > 1 else ''}" if more > 0 else shown


@dataclass(frozen=True)
class Headline:
    verdict: str
    verdict_label: str
    outcome: str
    outcome_label: str  # "proposé" in phase provisoire
    amount: int
    granted: int
    paid: int
    justified: int
    balance: int
    funding_rate: Fraction
    rate_text: str
    budget: int
    declared: int
    eligible: int
    not_retained: int  # declared − eligible: rejected + shares + cuts
    rejected: int  # Σ rejected rows (cost − eligible − share)
    shares: dict[str, int]  # AFFECTATION, FORFAIT
    cuts: dict[str, int]  # PLAFOND_GESTION, DEPASSEMENT
    forfait: int  # the computed flat rate (counted in declared and eligible)
    max_balance: int | None
    counts: dict[str, int]  # findings by severity
    by_rate: int  # min(granted, round(rate × eligible)): the justified amount before the co-funders' term
    other_funding: int  # Σ subsidy.other_funding
    cap_cost: int | None  # eligible − other funding, floored at 0 (None without co-funders)
    funders: tuple[tuple[str, int], ...]  # (funder, cents) as convention.yaml names them


@dataclass(frozen=True)
class Bilan:
    """Every figure, list and label the documents show, computed once from one audit."""

    audit: Audit = field(repr=False)
    phase: str
    proposed: bool
    title: str
    headline: Headline
    lines: tuple[LineView, ...]
    rejected: RowList
    rejected_by_rule: tuple[RuleGroup, ...]
    shares: RowList
    shares_by_rule: tuple[RuleGroup, ...]
    cuts: tuple[Cut, ...]
    decisions: tuple[DecisionView, ...]
    procedure: Procedure
    findings: tuple[FindingView, ...]
    activity_decisions: tuple[ActivityDecisionView, ...] = ()  # in the decisions' file order

    @property
    def convention(self):
        return self.audit.convention

    def line(self, line_id: str) -> LineView:
        return next(line for line in self.lines if line.line == line_id)

    @cached_property
    def to_examine(self) -> tuple[ExamineView, ...]:
        """The rows named by findings (refs), for the auditor to decide. Laid out when a document
        asks: a what-if scenario rebuilds the bilan after each decision and reads the balance only."""
        return _to_examine(self.audit.rows, self.findings, line_labels(self.audit))

    @cached_property
    def answerable(self) -> tuple[FindingView, ...]:
        """The error findings the beneficiary can answer (every error but CONTRADICTOIRE, which
        concerns the administration's own procedure)."""
        return tuple(f for f in self.findings if f.severity == "error" and f.rule != "CONTRADICTOIRE")

    @cached_property
    def stake(self) -> int | None:
        """What accepting every rejected row together would change (the granted ceiling applies
        once): max_balance − balance."""
        h = self.headline
        return None if h.max_balance is None else h.max_balance - h.balance

    @cached_property
    def retained_rows(self) -> pd.DataFrame:
        """Every row, rejected or not, for the workbench's search (all rows, in file order)."""
        return self.audit.rows


# --- building -------------------------------------------------------------------------------


def line_labels(a: Audit) -> dict[str, str]:
    labels = {b.line: b.label for b in a.convention.budget}
    labels[HORS_BUDGET] = "Hors budget"
    return labels


def _beneficiary_reason(rule: str | None, decision: Decision | None) -> str | None:
    if decision is not None and decision.decision in ("reject", "partial") and decision.rule:
        sentence = RULES[decision.rule].beneficiary or RULES[decision.rule].label
        return f"{sentence[0].upper()}{sentence[1:]} – {decision.motive.strip().rstrip('.')}."
    if rule is None:
        return None
    sentence = RULES[rule].beneficiary or RULES[rule].label
    return f"{sentence[0].upper()}{sentence[1:]}."


def row_view(rec, line_labels: dict[str, str]) -> RowView:
    """A row of the audit's frame (an ``itertuples`` record) as documents show it."""
    rule = None if missing(rec.rejected_rule) else rec.rejected_rule
    decision = None if missing(rec.decision) else rec.decision
    rules = tuple(rec.rules)
    label = None
    if decision is not None:
        label = decision_label(decision.decision, any(r in FAILING_RULES for r in rules))
    source = rec.source
    month = rec.month if isinstance(rec.month, dt.date) else None
    day = rec.date if isinstance(rec.date, dt.date) else None
    name = row_name(rec, with_location=False)
    return RowView(
        ref=ref_of(rec) if source != "forfait" else "forfait",
        source=source,
        nature=NATURES.get(source, source),
        name=name,
        # only a pay row is named otherwise in a letter (matricule, not agent)
        letter_name=row_name(rec, letter=True, with_location=False) if source == "payroll" else name,
        location=location(rec),
        file=rec.file,
        sheet=rec.sheet,
        row=None if missing(rec.row) else int(rec.row),
        line=rec.line,
        line_label=line_labels.get(rec.line, rec.line),
        amount=int(rec.amount),
        eligible=int(rec.eligible_amount),
        rejected=int(rec.rejected_amount),
        share=int(rec.share_amount),
        rule=rule,
        rule_label=RULES[rule].label if rule else None,
        share_rule=None if missing(rec.share_rule) else rec.share_rule,
        rules=rules,
        reasons=tuple(rec.reasons),
        beneficiary_reason=_beneficiary_reason(rule, decision),
        decision=decision,
        decision_label=label,
        impact=_money(getattr(rec, "impact", None)),
        supplier=supplier(rec) if source == "expenses" else None,
        piece=rec.piece if source == "expenses" else None,
        date=day,
        libelle=rec.libelle if source == "expenses" else None,
        compte=rec.compte if source == "expenses" else None,
        who=rec.who if source == "payroll" else None,
        month=month,
        **_payment(rec, source),
    )


def _payment(rec, source: str) -> dict:
    """The FEC columns of a row (journal, entry, where its payment date comes from), with the
    sentence documents print; empty for any other row."""
    journal = getattr(rec, "journal", None)
    if source != "expenses" or missing(journal):
        return {}
    paid = rec.date_paiement if isinstance(rec.date_paiement, dt.date) else None
    payment_source = None if missing(rec.payment_source) else rec.payment_source
    pj = None if missing(rec.payment_journal) else rec.payment_journal
    pe = None if missing(rec.payment_entry) else rec.payment_entry
    return {
        "journal": journal,
        "entry": None if missing(rec.entry) else rec.entry,
        "paid_on": paid,
        "payment_source": payment_source,
        "payment_journal": pj,
        "payment_entry": pe,
        "payment": payment_text(payment_source, date_fr(paid) if paid else None, pj, pe),
    }


def _groups(frame: pd.DataFrame, rule_column: str, amount_column: str, labels: dict, rules) -> tuple[RuleGroup, ...]:
    counts = frame[rule_column].value_counts()
    amounts = frame.groupby(rule_column)[amount_column].sum()
    out = []
    for rule in rules:
        if rule in counts.index:
            part = frame[frame[rule_column] == rule]
            out.append(
                RuleGroup(
                    rule=rule,
                    label=RULES[rule].label,
                    beneficiary=RULES[rule].beneficiary,
                    count=int(counts[rule]),
                    amount=int(amounts[rule]),
                    rows=RowList(part, int(part[amount_column].sum()), labels),
                )
            )
    return tuple(out)


def build(a: Audit) -> Bilan:
    """The bilan of ``a``: every view the documents render."""
    c = a.convention
    phase = a.procedure.phase
    proposed = phase == "provisoire"
    labels = line_labels(a)
    rows = a.rows
    rejected_frame = by_impact(rows[rejected_mask(rows)])
    rejected = RowList(rejected_frame, int(rejected_frame["rejected_amount"].sum()), labels)
    share_frame = rows[rows["share_rule"].notna()]
    shares = RowList(share_frame, int(share_frame["share_amount"].sum()), labels)
    forfaits = rows[rows["source"] == "forfait"]
    forfait_by_line = {str(k): int(v) for k, v in forfaits.groupby("line")["amount"].sum().items()}
    threshold = c.variance_alert_pct
    limits = line_limits(c)
    lines = tuple(
        LineView(
            line=line.line,
            label=line.label,
            kind=line.kind,
            kind_label=KINDS.get(line.kind, KINDS[None]) if line.line != HORS_BUDGET else KINDS[None],
            budget=line.budget,
            declared=line.declared,
            eligible=line.eligible,
            rejected=dict(line.rejected),
            variance=line.variance,
            variance_pct=line.variance_pct,
            execution_rate=line.execution_rate,
            alert=line.alert(threshold),
            cuts={r: a.aggregates.cut(line.line, r) for r in CUT_RULES if a.aggregates.cut(line.line, r)},
            forfait=forfait_by_line.get(line.line, 0),
            limit=limits.get(line.line),
            explanation=a.explanations.get(line.line, (None, None))[0],
            explanation_source=a.explanations.get(line.line, (None, None))[1],
            draft=draft(line, forfait_by_line.get(line.line, 0)) if line.alert(threshold) else None,
        )
        for line in a.lines
    )
    cuts = tuple(
        Cut(line.line, line.label, rule, RULES[rule].label, amount)
        for line in lines
        for rule, amount in line.cuts.items()
    )
    decided = rows[rows["decision"].notna()]
    decisions = tuple(_decision_view(rec, labels) for rec in decided.itertuples(index=False))
    findings = tuple(_finding_view(f) for f in a.findings)
    headline = _headline(a, proposed, rejected.total, shares, cuts, int(forfaits["amount"].sum()))
    apart = headline.rejected + sum(headline.shares.values()) + sum(headline.cuts.values())
    if apart != headline.not_retained:
        raise ConservationError(
            f"rejected {headline.rejected} + shares + cuts = {apart} != declared - eligible {headline.not_retained}"
        )
    return Bilan(
        audit=a,
        phase=phase,
        proposed=proposed,
        title=report_title(phase),
        headline=headline,
        lines=lines,
        rejected=rejected,
        rejected_by_rule=_groups(rejected_frame, "rejected_rule", "rejected_amount", labels, FAILING_RULES),
        shares=shares,
        shares_by_rule=_groups(share_frame, "share_rule", "share_amount", labels, SHARE_RULES),
        cuts=cuts,
        decisions=decisions,
        procedure=a.procedure,
        findings=findings,
        activity_decisions=_activity_decisions(a),
    )


def _to_examine(
    rows: pd.DataFrame, findings: tuple[FindingView, ...], labels: dict[str, str]
) -> tuple[ExamineView, ...]:
    """The rows each finding with ``refs`` names, finding by finding, in the finding's order.

    Only the rows whose line number a ref holds are named (a ledger of a million rows is not)."""
    named = [f for f in findings if f.refs]
    if not named:
        return ()
    numbers = {int(ref.rsplit("!", 1)[1]) for f in named for ref in f.refs if ref.rsplit("!", 1)[1].isdigit()}
    candidates = rows[(rows["source"] != "forfait") & rows["row"].isin(numbers)]
    by_ref = {ref_of(rec): rec for rec in candidates.itertuples(index=False)}
    out, groups = [], Counter()
    for f in named:
        groups[f.rule] += 1
        refs = tuple(f.refs)
        for ref in refs:
            rec = by_ref.get(ref)
            if rec is not None:
                out.append(ExamineView(f.rule, f.label, groups[f.rule], row_view(rec, labels), refs))
    return tuple(out)


def _activity_decisions(a: Audit) -> tuple[ActivityDecisionView, ...]:
    if a.activity is None or not a.bound.activity:
        return ()
    by_id = {r.row_id: r for r in a.activity.rows}
    labels = {m.code: m.label for m in a.convention.missions}
    out = []
    for row_id, d in a.bound.activity.items():
        row = by_id[row_id]
        before = row.before or row
        mission = d.mission if d.decision == "accept" else None
        out.append(
            ActivityDecisionView(
                ref=row.ref,
                name=action_name(row),
                location=activity_place(row),
                row=row,
                decision=d,
                label=decision_label(d.decision, before.status != "retenue"),
                before=before.status,
                before_label=STATUS_LABELS[before.status],
                after=row.status,
                after_label=STATUS_LABELS[row.status],
                mission=mission,
                mission_label=labels.get(mission) if mission else None,
                reason=before.reason,
            )
        )
    return tuple(out)


def _decision_view(rec, labels: dict[str, str]) -> DecisionView:
    view = row_view(rec, labels)
    d = rec.decision
    if d.decision == "accept":
        retained = view.amount
    elif d.decision == "partial":
        retained = d.amount
    else:
        retained = 0
    rule = None if d.decision == "accept" else (d.rule if view.rule == d.rule else view.rule)
    return DecisionView(
        row=view,
        decision=d,
        label=view.decision_label,
        rule=rule,
        rule_label=RULES[rule].label if rule else None,
        retained=retained,
        effect=int(rec.eligible_amount) - int(rec.rules_eligible),
    )


def _finding_view(f: Finding) -> FindingView:
    return FindingView(
        rule=f.rule,
        severity=f.severity,
        severity_label=SEVERITIES[f.severity],
        label=FINDINGS[f.rule].label,
        message=f.message,
        amount=f.amount,
        refs=f.refs,
    )


def _rate_text(rate: Fraction) -> str:
    from ..fmt import pct

    return pct(rate * 100) if rate.denominator <= 10_000 else f"{pct(rate * 100, 4)} (non arrondi)"


def _headline(a: Audit, proposed: bool, rejected: int, shares: RowList, cuts, forfait: int) -> Headline:
    s = a.settlement
    totals = a.totals
    share_amounts = {rule: 0 for rule in SHARE_RULES}
    for rule, cents in shares.frame.groupby("share_rule")["share_amount"].sum().items():
        share_amounts[str(rule)] = int(cents)
    cut_amounts = {rule: sum(cut.amount for cut in cuts if cut.rule == rule) for rule in CUT_RULES}
    counts = Counter(f.severity for f in a.findings)
    return Headline(
        verdict=a.verdict,
        verdict_label=VERDICTS[a.verdict],
        outcome=s.outcome,
        outcome_label=(OUTCOMES_PROPOSED if proposed else OUTCOMES)[s.outcome],
        amount=s.amount,
        granted=s.granted,
        paid=s.paid,
        justified=s.justified,
        balance=s.balance,
        funding_rate=s.funding_rate,
        rate_text=_rate_text(s.funding_rate),
        budget=totals["budget"],
        declared=totals["declared"],
        eligible=totals["eligible"],
        not_retained=totals["rejected"],
        rejected=rejected,
        shares=share_amounts,
        cuts=cut_amounts,
        forfait=forfait,
        max_balance=a.max_balance,
        counts={sev: counts.get(sev, 0) for sev in SEVERITIES},
        by_rate=s.by_rate,
        other_funding=s.other_funding,
        cap_cost=s.cap_cost,
        funders=tuple((f.funder, f.amount) for f in a.convention.other_funding),
    )


def account_class(compte: object) -> str | None:
    """The class of an account number (``"6064"`` -> ``"60"``), or None."""
    return compte[:2] if isinstance(compte, str) and compte[:2].isdigit() else None


def account_label(cls: str) -> str:
    return ACCOUNT_CLASSES.get(cls, f"{cls} Autres")


# --- derived tables the documents show ---------------------------------------------------------


@dataclass(frozen=True)
class AccountRow:
    group: str  # "directes" | "indirectes" | "retenues" (line-level cuts)
    label: str
    declared: int | None
    eligible: int


ACCOUNT_GROUPS = {
    "directes": "Charges directes (personnel et coûts directs)",
    "indirectes": "Charges indirectes (coûts de gestion)",
    "retenues": "Non retenu sur les lignes (plafond, fongibilité)",
}


def by_account(b: Bilan) -> tuple[AccountRow, ...]:
    """The compte rendu financier's table (Cerfa 15059): the direct charges (payroll as class 64,
    the expenses of the personnel and direct lines) by account class, then the indirect charges
    (management rows by class, the computed flat rate), then the line-level cuts as negative rows
    (PLAFOND_GESTION, DEPASSEMENT), so that the eligible column sums to the eligible total."""
    rows = b.audit.rows
    if rows.empty:
        return ()
    management = {m.line for m in b.convention.management_lines}
    charges = rows[rows["source"] != "forfait"]
    classes = charges["compte"].map(account_class).where(charges["source"] != "payroll", "64")
    indirect = charges["line"].isin(management)
    out = []
    for group, mask in (("directes", ~indirect), ("indirectes", indirect)):
        part = charges[mask].assign(cls=classes[mask])
        for cls, found in part.dropna(subset=["cls"]).groupby("cls"):
            out.append(AccountRow(group, account_label(str(cls)), int(found["amount"].sum()),
                                  int(found["eligible_amount"].sum())))  # fmt: skip
        unknown = part[part["cls"].isna()]
        if len(unknown):
            out.append(AccountRow(group, "Compte non renseigné", int(unknown["amount"].sum()),
                                  int(unknown["eligible_amount"].sum())))  # fmt: skip
        if group == "indirectes" and b.headline.forfait:
            out.append(AccountRow(group, "Forfait de gestion (calculé)", b.headline.forfait, b.headline.forfait))
    for cut in b.cuts:
        out.append(AccountRow("retenues", f"{cut.rule_label} ({cut.line_label})", None, -cut.amount))
    return tuple(out)


@dataclass(frozen=True)
class MonthRow:
    month: dt.date | None
    who: str
    rows: int
    declared: int
    eligible: int
    rejected: int  # declared − eligible (rejections and the AFFECTATION share)


def personnel_months(b: Bilan) -> tuple[MonthRow, ...]:
    """Per month and agent (pseudonym): rows, declared, eligible, not retained."""
    pay = b.audit.rows[b.audit.rows["source"] == "payroll"]
    if pay.empty:
        return ()
    keys = pay["month"].map(lambda m: m.isoformat() if isinstance(m, dt.date) else "")
    grouped = pay.assign(month_key=keys).groupby(["month_key", "who"], sort=True, dropna=False)
    out = []
    for (key, who), group in grouped:
        declared, eligible = int(group["amount"].sum()), int(group["eligible_amount"].sum())
        month = dt.date.fromisoformat(key) if key else None
        out.append(MonthRow(month, str(who), len(group), declared, eligible, declared - eligible))
    return tuple(out)


@dataclass(frozen=True)
class Control:
    criterion: str | None
    rule: str
    label: str
    checked: int | None  # rows the suite checked (None: an aggregate rule)
    rows: int  # rows booked under the rule after decisions
    amount: int


def controls(b: Bilan) -> tuple[Control, ...]:
    """Each rule: rows checked, then the rows booked under it and their amount, both after
    decisions (SPEC 12: counts and amounts are taken at the same moment)."""
    checked = b.audit.evaluated.eligibility.checked
    by_rule = {g.rule: g for g in b.rejected_by_rule}
    out = []
    for rule in FAILING_RULES:
        group = by_rule.get(rule)
        out.append(
            Control(
                RULES[rule].criterion,
                rule,
                RULES[rule].label,
                sum(checked.get(src, {}).get(rule, 0) for src in ("payroll", "expenses")),
                group.count if group else 0,
                group.amount if group else 0,
            )
        )
    for group in b.shares_by_rule:
        out.append(Control(RULES[group.rule].criterion, group.rule, group.label, None, group.count, group.amount))
    for rule in CUT_RULES:
        amount = b.headline.cuts.get(rule, 0)
        if amount:
            lines = sum(1 for cut in b.cuts if cut.rule == rule)
            out.append(Control(RULES[rule].criterion, rule, RULES[rule].label, None, lines, amount))
    return tuple(out)


@dataclass(frozen=True)
class Change:
    row: RowView
    before: int
    after: int

    @property
    def change(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class Comparison:
    phase: str | None
    outcome: str
    outcome_label: str
    balance: int
    amount: int
    changes: tuple[Change, ...]


def comparison(b: Bilan) -> Comparison | None:
    """Before / after, with --previous: the earlier settlement and every row whose eligible changed."""
    a = b.audit
    previous = a.inputs.previous
    if previous is None:
        return None
    from ..money import euros_to_cents

    earlier = a.inputs.previous_rows or {}
    labels = line_labels(a)
    changes = []
    for rec in a.rows[a.rows["source"] != "forfait"].itertuples(index=False):
        key = (rec.file, rec.sheet if isinstance(rec.sheet, str) else None, int(rec.row))
        if key in earlier and earlier[key] != int(rec.eligible_amount):
            changes.append(Change(row_view(rec, labels), earlier[key], int(rec.eligible_amount)))
    return Comparison(
        phase=previous.get("phase"),
        outcome=previous["outcome"],
        outcome_label=OUTCOMES[previous["outcome"]],
        balance=euros_to_cents(previous["balance"]),
        amount=euros_to_cents(previous["amount"]),
        changes=tuple(changes),
    )


@dataclass(frozen=True)
class TrailItem:
    role: str
    path: str
    sha256: str
    rows: int | None
    sheet: str | None
    header_row: int | None
    ignored: tuple[str, ...]  # total rows set aside, named without their label


def trail(b: Bilan) -> tuple[TrailItem, ...]:
    """The inputs of the audit trail; total rows are named by kind and line, never by their
    label, which in a payroll export often names an employee."""
    from ..core.findings import total_label

    a = b.audit
    out = []
    for item in a.inputs_trail:
        table = a.tables.get(item["role"])
        out.append(
            TrailItem(
                role=item["role"],
                path=item["path"],
                sha256=item["sha256"],
                rows=item["rows"],
                sheet=table.sheet if table else None,
                header_row=table.header_row if table else None,
                ignored=tuple(total_label(t) for t in table.totals) if table else (),
            )
        )
    return tuple(out)
