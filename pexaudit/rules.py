"""Eligibility (SPEC section 5): article-4 rules, row by row, then the aggregate rules.

Row rules are GX expectations (``expectations/*.json``, run by :mod:`pexaudit.checks`) over
columns prepared here; what they return is a table of failures. This module turns failures
into each row's ``rules``, ``eligible_amount`` and booked rejection, then applies the
aggregate rules in plain Python: management costs (cap or flat rate) and RAISONNABLE.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from dataclasses import dataclass, field
from fractions import Fraction

import pandas as pd

from .convention import HORS_BUDGET, Convention, matricule_key
from .fec import FEC_EXTRA_COLUMNS, duplicate_keys
from .fmt import eur, pct
from .money import round_half_up
from .parsing import normalize_text
from .registry import FAILING_RULES, RAISONNABLE_MONTH_FACTOR, RAISONNABLE_ROW_SHARE, RULES

__all__ = [
    "Eligibility",
    "apply_management",
    "evaluate",
    "management_cap",
    "management_cap_amount",
    "raisonnable",
    "rule_counts",
]


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


def _dup_rank(frame: pd.DataFrame, keys: list[pd.Series], excluded: set[int]) -> tuple[pd.Series, pd.Series]:
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


@dataclass
class Eligibility:
    """Row-level outcome of the article-4 rules."""

    rows: pd.DataFrame  # one row per input row (+ the forfait row), see ``_ROW_COLUMNS``
    checked: dict[str, dict[str, int]]  # source -> rule -> rows checked
    suites: dict[str, list[str]] = field(default_factory=dict)  # suite -> rules evaluated
    skipped: list[str] = field(default_factory=list)
    plafond: dict[str, int] = field(default_factory=dict)  # line -> cents rejected (cap)
    cap: int | None = None  # cents, actual mode with a cap rate
    forfait: int | None = None  # cents, flat-rate mode


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


def prepare_expenses(frame: pd.DataFrame, convention: Convention) -> pd.DataFrame:
    ids, kinds = _line_of(convention)
    out = frame.copy()
    out["line"] = [ids.get(text.casefold(), HORS_BUDGET) for text in out["ligne"]]
    out["line_kind"] = [kinds.get(line, "") for line in out["line"]]
    out["payeur_key"] = pd.Series([payer_key(p) for p in out["payeur"]], index=out.index, dtype=object)
    out["code_key"] = pd.Series(
        [c.upper() if c else None for c in out["code_analytique"]], index=out.index, dtype=object
    )
    return out


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
    }


def _check(
    checker, role: str, frame: pd.DataFrame, params: dict, keys
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], list[str]]:
    """FORMAT first, then DOUBLON keys built without the FORMAT rows, then the other rules."""
    stage1 = checker.run(role, frame, params, rules={"FORMAT"})
    excluded = set(stage1.failures["row_id"])
    frame = frame.copy()
    frame["dup_rank"], frame["dup_first"] = _dup_rank(frame, keys(frame), excluded)
    stage2 = checker.run(role, frame, params, exclude={"FORMAT"})
    failures = pd.concat([stage1.failures, stage2.failures], ignore_index=True)
    return frame, failures, stage1.evaluated + stage2.evaluated, stage1.skipped + stage2.skipped


def _payroll_keys(frame: pd.DataFrame) -> list[pd.Series]:
    return [frame["matricule_key"], frame["periode"], frame["brut"], frame["charges_patronales"], frame["autres_couts"]]


def _expense_keys(frame: pd.DataFrame) -> list[pd.Series]:
    return [
        frame["piece"].str.strip().str.casefold(),
        frame["fournisseur"].str.strip().str.casefold(),
        frame["montant"],
    ]


def evaluate(convention: Convention, payroll, expenses, checker) -> Eligibility:
    """Apply every row rule and the aggregate rules; nothing is dropped.

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
        frame, failures = check(payroll, prepare_payroll, _payroll_keys)
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
        out["allocation"] = allocation.map(float)
        parts.append(out)

    if expenses is not None:
        keys = duplicate_keys if expenses.kind == "fec" else _expense_keys  # FEC: the date too (SPEC 11)
        frame, failures = check(expenses, prepare_expenses, keys)
        forfait = (frame["line_kind"] == "management") & flat
        amount = frame["montant"].fillna(0).astype("int64")
        out = _outcomes(
            frame, failures, amount, pd.Series(Fraction(1), index=frame.index), forfait, expenses, convention
        )
        out["readable"] = frame["montant"].notna().to_numpy()
        out["line"] = frame["line"]
        for column in ("piece", "fournisseur", "libelle", "date", "compte", "date_paiement", *FEC_EXTRA_COLUMNS):
            if column in frame:  # a FEC's: where the payment date came from, the third party (SPEC 11)
                out[column] = frame[column]
        parts.append(out)

    rows = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=_ROW_COLUMNS)
    rows = _tidy(rows.reindex(columns=_ROW_COLUMNS))
    result = Eligibility(rows=rows, checked=checked, suites=suites, skipped=skipped)
    apply_management(convention, result)
    return result


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
    has_failure = frame["row_id"].isin(failed.keys()).to_numpy()
    is_forfait = forfait.to_numpy(dtype=bool) & ~has_failure
    plain = ~has_failure & ~is_forfait

    numerators = allocation.map(lambda f: f.numerator).to_numpy(dtype=object)
    denominators = allocation.map(lambda f: f.denominator).to_numpy(dtype=object)
    cents = amount.to_numpy(dtype=object)  # Python ints: exact whatever the size
    magnitude = (2 * abs(cents) * numerators + denominators) // (2 * denominators)
    eligible = [m if a >= 0 else -m for a, m in zip(cents, magnitude, strict=True)]
    eligible = [e if p else 0 for e, p in zip(eligible, plain, strict=True)]

    rules: list[list[str]] = []
    booked: list[str | None] = []
    reasons: list[list[str]] = []
    records = frame.set_index("row_id", drop=False).loc[list(failed)].to_dict("records") if failed else []
    failing_records = {rec["row_id"]: rec for rec in records}
    for row_id, a, e, fail, flat, alloc in zip(
        row_ids, cents, eligible, has_failure, is_forfait, allocation, strict=True
    ):
        if fail:
            fails = failed[int(row_id)]
            names = list(dict.fromkeys(f[0] for f in fails))
            rec = failing_records[row_id]
            rules.append(names)
            booked.append(names[0])
            reasons.append(
                list(dict.fromkeys(_reason(rule, col, value, rec, table, convention) for rule, col, value in fails))
            )
        elif flat:
            rules.append(["FORFAIT"] if a else [])
            booked.append("FORFAIT" if a else None)
            reasons.append(["coût réel remplacé par le forfait de gestion"] if a else [])
        elif e != a:
            rules.append(["AFFECTATION"])
            booked.append("AFFECTATION")
            reasons.append([f"quote-part hors projet : affectation de l'agent à {_pct(alloc)}"])
        else:
            rules.append([])
            booked.append(None)
            reasons.append([])
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
            "booked_rule": booked,
            "reasons": reasons,
            "share": allocation.to_numpy(dtype=object),
        }
    )


# ``share``: the exact allocation (a Fraction; 1 for expenses), ``readable``: every amount of the
# row could be read. Both serve the auditor's decisions and the stakes (pexaudit.decisions).
_ROW_COLUMNS = [
    "row_id", "source", "file", "sheet", "row", "line", "amount", "eligible_amount", "rules",
    "booked_rule", "reasons", "who", "month", "allocation", "piece", "fournisseur", "libelle",
    "date", "compte", "date_paiement", "share", "readable", *FEC_EXTRA_COLUMNS,
]  # fmt: skip


_OPTIONAL = [
    "file",
    "sheet",
    "booked_rule",
    "who",
    "month",
    "piece",
    "fournisseur",
    "libelle",
    "date",
    "compte",
    "date_paiement",
    *FEC_EXTRA_COLUMNS,
]


def _tidy(rows: pd.DataFrame) -> pd.DataFrame:
    """Columns a row may lack (a forfait has no file, an expense no month) hold None, not NaN."""
    for column in _OPTIONAL:
        rows[column] = rows[column].astype(object).where(rows[column].notna(), None)
    for column in ("source", "line", "rules", "reasons", "share"):
        rows[column] = rows[column].astype(object)
    rows["readable"] = rows["readable"].astype(bool)
    rows["row"] = rows["row"].astype("Int64")
    for column in ("amount", "eligible_amount"):
        rows[column] = rows[column].astype("int64")
    return rows


def _reason(rule: str, column: str, value, rec: dict, table, convention: Convention) -> str:
    """The French sentence saying why the row breaks ``rule`` (the registry's builder)."""
    return RULES[rule].reason(column, value, rec, table.raw.get((rec["row_id"], column)), convention)


def apply_management(convention: Convention, result: Eligibility) -> None:
    """Aggregate management rule: flat-rate row, or the cap booked as PLAFOND_GESTION."""
    rows = result.rows
    personnel = convention.personnel_line.line
    eligible_personnel = int(rows.loc[rows["line"] == personnel, "eligible_amount"].sum()) if len(rows) else 0
    mode = convention.management_costs
    if mode.mode == "flat_rate":
        amount = round_half_up(mode.rate * eligible_personnel)
        first = convention.management_lines[0].line
        forfait = {
            "row_id": -1, "source": "forfait", "file": None, "sheet": None, "row": None,
            "line": first, "amount": amount, "eligible_amount": amount, "rules": [],
            "booked_rule": None, "share": Fraction(1), "readable": True,
            "reasons": [f"forfait de gestion : {_pct(mode.rate)} × {eur(eligible_personnel)} de personnel éligible"],
        }  # fmt: skip
        result.rows = _tidy(pd.concat([rows, pd.DataFrame([forfait], columns=_ROW_COLUMNS)], ignore_index=True))
        result.forfait = amount
        return
    if mode.cap_rate is None:
        return
    cap = management_cap_amount(mode.cap_rate, eligible_personnel)
    result.cap = cap
    eligible = {
        b.line: int(rows.loc[rows["line"] == b.line, "eligible_amount"].sum()) if len(rows) else 0
        for b in convention.management_lines
    }
    result.plafond = management_cap(eligible, cap)


def management_cap_amount(cap_rate: Fraction, eligible_personnel: int) -> int:
    """round(cap_rate × eligible personnel, 2), never below 0.

    A negative eligible personnel cost (regularisations beyond pay) cannot make management
    costs negative: the cap is then 0 (and the pro-rata split below never divides by 0).
    """
    return max(0, round_half_up(cap_rate * eligible_personnel))


def management_cap(eligible: dict[str, int], cap: int) -> dict[str, int]:
    """Excess of the management lines over ``cap``, taken from each line pro rata.

    Each line's share in cents is rounded down; the cents left over go to the line with the
    largest eligible amount (the first such line in budget order).
    """
    total = sum(eligible.values())
    excess = total - cap
    if excess <= 0 or not eligible:
        return {}
    shares = {line: excess * amount // total for line, amount in eligible.items()}
    left = excess - sum(shares.values())
    largest = max(eligible, key=lambda line: eligible[line])
    shares[largest] += left
    return {line: share for line, share in shares.items() if share}


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
