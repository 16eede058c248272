"""Eligibility (SPEC section 5): article-4 rules, row by row, then the aggregate rules.

Row rules are GX expectations (``expectations/*.json``, run by :mod:`pexaudit.checks`) over
columns prepared here; what they return is a table of failures. This module turns failures
into each row's ``rules``, ``eligible_amount`` and booked rejection; RAISONNABLE is here too.
The aggregate rules (management cap or flat rate, DEPASSEMENT) run after the auditor's
decisions, in :mod:`pexaudit.aggregate`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
import statistics
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..fmt import pct
from ..inputs.convention import HORS_BUDGET, Convention, label_key, matricule_key
from ..inputs.fec import FEC_EXTRA_COLUMNS
from ..inputs.parsing import normalize_text
from .registry import FAILING_RULES, RAISONNABLE_MONTH_FACTOR, RAISONNABLE_ROW_SHARE, RULES

__all__ = ["ROW_COLUMNS", "Eligibility", "Flag", "dup_rank", "evaluate", "raisonnable", "rule_counts", "tidy"]


def rule_counts(rows: pd.DataFrame) -> dict[str, int]:
    """How many rows list each rule (a row counts once per rule it lists)."""
    if rows.empty:
        return {}
    return {str(k): int(v) for k, v in rows["rules"].explode().dropna().value_counts().items()}


def month_end(month: dt.date | None) -> dt.date | None:
    if month is None:
        return None
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def payer_key(text: str) -> str | None:
    """SIRET digits (spaces and dots ignored) or a name key (case, accents, spaces ignored)."""
    if not text:
        return None
    digits = text.replace(" ", "").replace(".", "").replace("\u00a0", "")
    return digits if digits.isdigit() else normalize_text(text)


def dup_rank(frame: pd.DataFrame, keys: list[pd.Series], excluded: set[int]) -> tuple[pd.Series, pd.Series]:
    """Occurrence rank of each row's key (0 = first, file order) and the Excel row of the first.

    Rows in ``excluded`` (FORMAT failures) take no part: their rank is null.
    """
    mask = ~frame["row_id"].isin(excluded)
    ranks = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    firsts = pd.Series(pd.NA, index=frame.index, dtype="Int64")
    if mask.any():
        groups = frame.loc[mask].groupby([key[mask] for key in keys], sort=False, dropna=False)
        ranks[mask] = groups.cumcount().astype("Int64")
        firsts[mask] = groups["row"].transform("first").astype("Int64")
    return ranks, firsts


@dataclass(frozen=True)
class Eligibility:
    """What the row rules found, before any decision: the first hand-off of an audit.

    ``rows`` holds one row per input row (never the flat-rate row, which the aggregate rules
    add after the decisions), see ``ROW_COLUMNS``. Each row's cost splits exactly into
    ``eligible_amount`` + ``rejected_amount`` (booked under ``rejected_rule``, a failing rule) +
    ``share_amount`` (booked under ``share_rule``: AFFECTATION or FORFAIT, shares that are not
    rejections).
    """

    rows: pd.DataFrame
    checked: dict[str, dict[str, int]]  # source -> rule -> rows checked
    suites: dict[str, list[str]] = field(default_factory=dict)  # suite -> rules evaluated
    skipped: list[str] = field(default_factory=list)


def _line_of(convention: Convention) -> tuple[dict[str, str], dict[str, str]]:
    ids = {b.line.casefold(): b.line for b in convention.budget}
    kinds = {b.line: b.kind or "" for b in convention.budget}
    return ids, kinds


def prepare_payroll(frame: pd.DataFrame, convention: Convention) -> pd.DataFrame:
    staff = convention.staff_by_key
    out = frame.copy()
    out["matricule_key"] = pd.Series([matricule_key(m) for m in out["matricule"]], index=out.index, dtype=object)
    out["month_end"] = pd.Series([month_end(m) for m in out["periode"]], index=out.index, dtype=object)
    out["staff_start"] = pd.Series(
        [staff[m].start if m in staff else None for m in out["matricule_key"]], index=out.index, dtype=object
    )
    out["staff_end"] = pd.Series(
        [staff[m].end if m in staff else None for m in out["matricule_key"]], index=out.index, dtype=object
    )
    return out


def per_value(column: pd.Series, function) -> pd.Series:
    """``function`` of every value of ``column``, computed once per distinct value (a ledger
    repeats its lines, accounts and suppliers: tens of thousands of rows, a few thousand values)."""
    codes, uniques = pd.factorize(column, use_na_sentinel=False)
    values = np.empty(len(uniques), dtype=object)
    values[:] = [function(value) for value in uniques]
    return pd.Series(values[codes], index=column.index, dtype=object)


def prepare_expenses(frame: pd.DataFrame, convention: Convention) -> pd.DataFrame:
    ids, kinds = _line_of(convention)
    line = per_value(frame["ligne"], lambda text: ids.get(text.casefold(), HORS_BUDGET))
    return frame.assign(
        line=line,
        line_kind=per_value(line, lambda value: kinds.get(value, "")),
        payeur_key=per_value(frame["payeur"], payer_key),
        code_key=per_value(frame["code_analytique"], lambda c: c.upper() if c else None),
        # EXCLUE compares account prefixes and label words as the convention's exclusions do (label_key)
        compte_key=per_value(frame["compte"], lambda c: (c or "").replace(" ", "").strip()),
        libelle_key=per_value(frame["libelle"], label_key),
    )


def _parameters(convention: Convention, role: str, table) -> dict:
    common = {"period_start": convention.period_start, "period_end": convention.period_end}
    if role == "payroll":
        return {**common, "staff_keys": [s.key for s in convention.staff]}
    keys = {payer_key(convention.siret), payer_key(convention.beneficiary_name)}
    return {
        **common,
        "payment_deadline": convention.payment_deadline,
        "payer_keys": sorted(k for k in keys if k),
        "project_codes": list(convention.project_codes),
        "has_date_paiement": table.has("date_paiement"),
        **_exclusion_patterns(convention),
    }


def _exclusion_patterns(convention: Convention) -> dict[str, list[str]]:
    """EXCLUE's suite parameters: ``^prefix`` per excluded account, the escaped words (label_key)."""
    accounts = {f"^{re.escape(p)}" for e in convention.excluded for p in e.accounts}
    words = {re.escape(label_key(w)) for e in convention.excluded for w in e.label_contains if label_key(w)}
    return {"excluded_accounts": sorted(accounts), "excluded_words": sorted(words)}


def _check(
    checker, role: str, frame: pd.DataFrame, params: dict, keys
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """FORMAT first, then DOUBLON keys built without the FORMAT rows, then the other rules."""
    stage1 = checker.run(role, frame, params, rules={"FORMAT"})
    excluded = set(stage1.failures["row_id"])
    frame = frame.copy()
    frame["dup_rank"], frame["dup_first"] = dup_rank(frame, keys(frame), excluded)
    stage2 = checker.run(role, frame, params, exclude={"FORMAT"})
    failures = pd.concat([stage1.failures, stage2.failures], ignore_index=True)
    return frame, failures, stage1.evaluated + stage2.evaluated, stage1.skipped + stage2.skipped


def evaluate(convention: Convention, payroll, expenses, checker) -> Eligibility:
    """Apply every row rule (SPEC 5's table); nothing is dropped. The aggregate rules come after
    the decisions (:mod:`pexaudit.aggregate`).

    Column-wise: per-row Python work is done only for rows that break a rule (their reasons).
    """
    parts: list[pd.DataFrame] = []
    checked: dict[str, dict[str, int]] = {}
    suites: dict[str, list[str]] = {}
    skipped: list[str] = []
    flat = convention.management_costs.mode == "flat_rate"

    def check(table, prepare, keys) -> tuple[pd.DataFrame, pd.DataFrame]:
        frame = prepare(table.frame, convention)
        params = _parameters(convention, table.role, table)
        frame, failures, evaluated, skip = _check(checker, table.role, frame, params, keys)
        suites[f"pexaudit_{table.role}"], checked[table.role] = evaluated, {r: len(frame) for r in evaluated}
        skipped.extend(skip)
        return frame, failures

    if payroll is not None:
        frame, failures = check(payroll, prepare_payroll, RULES["DOUBLON"].keys["payroll"])
        staff = convention.staff_by_key
        pseudonyms = {s.key: f"Agent {i}" for i, s in enumerate(convention.staff, start=1)}
        unknown = [m for m in dict.fromkeys(frame["matricule_key"]) if m not in pseudonyms]
        pseudonyms |= {m: f"Hors liste {i}" for i, m in enumerate(unknown, start=1)}
        allocation = frame["matricule_key"].map(lambda m: staff[m].allocation if m in staff else Fraction(1))
        costs = ["brut", "charges_patronales", "autres_couts"]
        amount = sum(frame[c].fillna(0).astype("int64") for c in costs)
        out = _outcomes(frame, failures, amount, allocation, pd.Series(False, index=frame.index), payroll, convention)
        out["readable"] = frame[costs].notna().all(axis=1).to_numpy()
        out["line"] = convention.personnel_line.line
        out["who"] = frame["matricule_key"].map(pseudonyms)
        out["month"] = frame["periode"]
        out["matricule"] = frame["matricule"]
        out["allocation"] = allocation.map(float)
        parts.append(out)

    if expenses is not None:
        keys = RULES["DOUBLON"].keys["fec" if expenses.kind == "fec" else "expenses"]  # FEC: the date too
        frame, failures = check(expenses, prepare_expenses, keys)
        forfait = (frame["line_kind"] == "management") & flat
        amount = frame["montant"].fillna(0).astype("int64")
        out = _outcomes(
            frame, failures, amount, pd.Series(Fraction(1), index=frame.index), forfait, expenses, convention
        )
        out["readable"] = frame["montant"].notna().to_numpy()
        out["line"] = frame["line"]
        for column in ("piece", "fournisseur", "libelle", "date", "compte", "date_paiement", *LEDGER_COLUMNS):
            if column in frame:
                out[column] = frame[column].to_numpy()
        parts.append(out)

    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=ROW_COLUMNS)
    return Eligibility(rows=tidy(rows.reindex(columns=ROW_COLUMNS)), checked=checked, suites=suites, skipped=skipped)


def _filled(size: int, value: object) -> np.ndarray:
    """An object array of ``size`` times the same (immutable) ``value``."""
    out = np.empty(size, dtype=object)
    out.fill(value)
    return out


def _outcomes(
    frame: pd.DataFrame,
    failures: pd.DataFrame,
    amount: pd.Series,
    allocation: pd.Series,
    forfait: pd.Series,
    table,
    convention: Convention,
) -> pd.DataFrame:
    """amount, eligible_amount, rules, booked_rule and reasons of every row of ``frame``."""
    order = {rule: i for i, rule in enumerate(FAILING_RULES)}
    failed: dict[int, list] = {}
    for row_id, rule, column, value in sorted(failures.itertuples(index=False), key=lambda f: (f[0], order[f[1]])):
        failed.setdefault(int(row_id), []).append((rule, column, value))
    row_ids = frame["row_id"].to_numpy()
    has_failure = frame["row_id"].isin(list(failed)).to_numpy()
    is_forfait = forfait.to_numpy(dtype=bool) & ~has_failure
    plain = ~has_failure & ~is_forfait

    numerators = per_value(allocation, lambda f: f.numerator).to_numpy(dtype=object)
    denominators = per_value(allocation, lambda f: f.denominator).to_numpy(dtype=object)
    cents = amount.to_numpy(dtype=object)  # Python ints: exact whatever the size
    magnitude = (2 * abs(cents) * numerators + denominators) // (2 * denominators)
    eligible = np.where(plain, np.where(cents >= 0, magnitude, -magnitude), 0).astype(object)

    # Rows failing nothing share their (immutable) trace; a failing row gets its rules and the
    # reasons the registry writes for it: the only per-row work, and only for failing rows.
    size = len(frame)
    rules, reasons = _filled(size, ()), _filled(size, ())
    booked = np.full(size, None, dtype=object)
    shared = np.full(size, None, dtype=object)
    flat = is_forfait & (cents != 0)
    rules[flat] = _filled(int(flat.sum()), ("FORFAIT",))
    reasons[flat] = _filled(int(flat.sum()), ("coût réel remplacé par le forfait de gestion",))
    shared[flat] = "FORFAIT"
    unallocated = plain & (eligible != cents)
    if unallocated.any():
        rules[unallocated] = _filled(int(unallocated.sum()), ("AFFECTATION",))
        shared[unallocated] = "AFFECTATION"
        texts = per_value(
            allocation[unallocated], lambda a: (f"quote-part hors projet : affectation de l'agent à {_pct(a)}",)
        )
        reasons[unallocated] = texts.to_numpy(dtype=object)
    if failed:
        records = frame.set_index("row_id", drop=False).loc[list(failed)].to_dict("records")
        positions = pd.Index(row_ids).get_indexer(list(failed))
        for position, rec in zip(positions, records, strict=True):
            fails = failed[int(rec["row_id"])]
            names = list(dict.fromkeys(f[0] for f in fails))
            rules[position] = names
            booked[position] = names[0]
            reasons[position] = list(
                dict.fromkeys(_reason(rule, col, value, rec, table, convention) for rule, col, value in fails)
            )
    return pd.DataFrame(
        {
            "row_id": frame["row_id"].to_numpy(),
            "source": table.role,
            "file": frame["file"].to_numpy(),
            "sheet": frame["sheet"].to_numpy(),
            "row": frame["row"].to_numpy(),
            "amount": cents,
            "eligible_amount": eligible,
            "rules": rules,
            "rejected_rule": booked,
            "rejected_amount": np.where(booked != None, cents, 0),  # noqa: E711 - elementwise on objects
            "share_rule": shared,
            "share_amount": np.where(shared != None, cents - eligible, 0),  # noqa: E711
            "reasons": reasons,
            "share": allocation.to_numpy(dtype=object),
        }
    )


# ``share``: the exact allocation (a Fraction; 1 for expenses), ``readable``: every amount of the
# row could be read. Both serve the auditor's decisions and the stakes.
ROW_COLUMNS = [
    "row_id", "source", "file", "sheet", "row", "line", "amount", "eligible_amount", "rules",
    "rejected_rule", "rejected_amount", "share_rule", "share_amount", "reasons", "who", "month", "allocation",
    "piece", "fournisseur", "libelle", "date", "compte", "date_paiement", "share", "readable", "matricule",
    *FEC_EXTRA_COLUMNS,
]  # fmt: skip
# Columns of an expenses frame carried when the reader gives them (a FEC: journal and entry of
# the line, where its payment date came from, its third-party account).
LEDGER_COLUMNS = FEC_EXTRA_COLUMNS
MONEY_COLUMNS = ("amount", "eligible_amount", "rejected_amount", "share_amount")


_OPTIONAL = [
    "file",
    "sheet",
    "rejected_rule",
    "share_rule",
    "who",
    "month",
    "piece",
    "fournisseur",
    "libelle",
    "date",
    "compte",
    "date_paiement",
    "matricule",
    *FEC_EXTRA_COLUMNS,
]


def tidy(rows: pd.DataFrame) -> pd.DataFrame:
    """Columns a row may lack (a forfait has no file, an expense no month) hold None, not NaN."""
    for column in _OPTIONAL:
        rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    for column in ("source", "line", "rules", "reasons", "share"):
        rows[column] = rows[column].astype(object)
    rows["readable"] = rows["readable"].astype(bool)
    rows["row"] = rows["row"].astype("Int64")
    for column in MONEY_COLUMNS:
        rows[column] = rows[column].astype("int64")
    return rows


def _reason(rule: str, column: str, value, rec: dict, table, convention: Convention) -> str:
    """The French sentence saying why the row breaks ``rule`` (the registry's builder)."""
    return RULES[rule].reason(column, value, rec, table.raw.get((rec["row_id"], column)), convention)


def _pct(rate: Fraction) -> str:
    return pct(rate * 100).replace(",00 %", " %")


@dataclass(frozen=True)
class Flag:
    """A RAISONNABLE warning: one month of one person, or one management row."""

    kind: str  # "month" | "row"
    who: str
    label: str
    amount: int
    threshold: Fraction
    row_id: int | None = None


def raisonnable(convention: Convention, rows: pd.DataFrame) -> list[Flag]:
    """RAISONNABLE (warnings, no rejection), SPEC section 5."""
    flags: list[Flag] = []
    personnel = convention.personnel_line.line
    pay = rows[(rows["source"] == "payroll") & (rows["line"] == personnel)]
    pay = pay[pay["month"].notna()]
    for who, group in pay.groupby("who", sort=False):
        months = group.groupby("month", sort=True)["eligible_amount"].sum()
        nonzero = [int(v) for v in months if v != 0]
        if not nonzero:
            continue
        median = Fraction(statistics.median(Fraction(v) for v in nonzero))
        threshold = median * RAISONNABLE_MONTH_FACTOR
        for month, value in months.items():
            if value != 0 and value > threshold:
                flags.append(Flag("month", who, month.strftime("%m/%Y"), int(value), threshold))
    management = {b.line for b in convention.management_lines}
    budget = sum(b.amount for b in convention.management_lines)
    limit = Fraction(budget) * RAISONNABLE_ROW_SHARE
    costs = rows[(rows["source"] == "expenses") & rows["line"].isin(management)]
    for rec in costs.itertuples(index=False):
        if rec.eligible_amount > limit:
            flags.append(
                Flag(
                    "row", rec.piece or "", f"{rec.file}, ligne {rec.row}", int(rec.eligible_amount), limit, rec.row_id
                )
            )
    return flags
