"""The compte rendu quantitatif et qualitatif (SPEC section 10; articles 2 and 7).

Article 7 asks for a report on the missions of article 2, and article 2 forbids any other
function. With ``missions`` declared in convention.yaml, every row of the activity file is
classified ``retenue``, ``illisible``, ``hors_periode`` or ``hors_mission`` (in that order of
precedence), counted per mission and per indicator, and cross-checked with the months the post
was paid. Row checks are the GX suite ``expectations/activity.json`` run by
:mod:`pexaudit.checks`; this module prepares the columns it reads, turns the failing row ids
into statuses and French reasons, and does the rest in plain Python with exact numbers
(``Decimal`` values, ``Fraction`` targets and rates).

What users read is in French; action texts may name households, so they reach the workbook
only: the report context built here holds counts, indicators, charts and source rows.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

import pandas as pd

from ..fmt import date_fr, eur, month_fr, number_fr
from ..inputs.convention import Convention, label_key
from ..inputs.decisions import Decision
from ..inputs.parsing import normalize_key, text_of
from .registry import STATUSES as ACTIVITY_STATUSES
from .registry import Finding, finding

__all__ = [
    "STATUSES",
    "STATUS_LABELS",
    "ActivityResult",
    "ActivityRow",
    "IndicatorResult",
    "MissionResult",
    "action_name",
    "activity_findings",
    "activity_json",
    "check_summary",
    "classify_activity",
    "count_text",
    "json_number",
    "mission_index",
    "personnel_cost_by_month",
    "prepare_activity",
    "suite_parameters",
    "tally",
]

# Row statuses in order of precedence (SPEC section 10): the first that applies wins. A row the
# auditor rejects becomes "ecartee" (pexaudit.core.decide_activity).
STATUSES = ("retenue", "illisible", "hors_periode", "hors_mission")  # as read
DECIDED_STATUS = "ecartee"
STATUS_LABELS = {code: entry.label for code, entry in ACTIVITY_STATUSES.items()}
_PRECEDENCE = {status: rank for rank, status in enumerate(STATUSES[1:])}
# The report lists at most this many actions; every row is in the workbook's Activité sheet.
MAX_REPORT_ROWS = 300
SHEET = "Activité"


@dataclass(frozen=True)
class ActivityRow:
    """One row of the activity file, classified."""

    row_id: int
    file: str
    sheet: str | None
    row: int  # as Excel shows it (CSV: the line)
    date: dt.date | None
    mission: str | None  # the matched mission code, else the text as written (None: empty)
    mission_text: str  # as written
    action: str  # as written: workbook only, never the HTML report
    indicator: str | None  # the matched indicator code, else the text as written (None: empty)
    value: Decimal | None  # valeur; 1 when empty on an indicator row; None when unreadable
    participants: Decimal | None
    status: str  # one of STATUSES, or "ecartee" after a reject
    reason: str | None  # French; may quote what the cell holds (results.json, workbook); a reject's motive
    faults: tuple[str, ...] = ()  # French, never quoting a cell (HTML report, findings)
    decision: Decision | None = None  # the auditor's decision on the row (its mission: the code)
    before: ActivityRow | None = None  # a decided row as the classification left it

    @property
    def month(self) -> dt.date | None:
        return self.date.replace(day=1) if self.date else None

    @property
    def ref(self) -> str:
        """``file!sheet!row`` (CSV: ``file!!line``), as a decision names the row."""
        return f"{self.file}!{self.sheet or ''}!{self.row}"


def action_name(row: ActivityRow) -> str:
    """An action as the beneficiary finds it in its own file, without its text (which may name
    a household): ``action du 25/07/2024 rattachée à « Instruction FSL »``."""
    when = f"action du {date_fr(row.date)}" if row.date else "action non datée"
    return f"{when} rattachée à « {row.mission_text} »" if row.mission_text else f"{when} sans mission"


@dataclass(frozen=True)
class MissionResult:
    code: str
    label: str
    actions: int  # retenue rows
    participants: Decimal  # sum over retenue rows (0 when none)


@dataclass(frozen=True)
class IndicatorResult:
    code: str
    label: str
    mission: str | None
    target: Fraction | None
    realised: Decimal
    rate: Fraction | None  # realised / target, not rounded; None for a null or 0 target
    alert: bool


@dataclass
class ActivityResult:
    """The activity block of results.json, with what the report and workbook need besides."""

    missions: tuple[MissionResult, ...]
    indicators: tuple[IndicatorResult, ...]
    rows: tuple[ActivityRow, ...]
    alert_pct: Fraction
    file: str | None = None  # None: no activity file (inputs.activity null)
    sheet: str | None = None
    header_row: int | None = None
    evaluated: list[str] = field(default_factory=list)  # suite rules evaluated

    @property
    def present(self) -> bool:
        return self.file is not None

    def counts(self) -> dict[str, int]:
        """Rows per status, every status of the classification present; ``ecartee`` when a
        decision rejected a row."""
        found = Counter(r.status for r in self.rows)
        decided = {DECIDED_STATUS: found[DECIDED_STATUS]} if found.get(DECIDED_STATUS) else {}
        return {**{status: found.get(status, 0) for status in STATUSES}, **decided}

    def actions_by_month(self) -> dict[dt.date, int]:
        """Retenue actions per month (first day), in month order."""
        found = Counter(r.month for r in self.rows if r.status == "retenue" and r.month)
        return dict(sorted(found.items()))


# --- classification ---------------------------------------------------------------------


def mission_index(convention: Convention) -> dict[str, str]:
    """Normalized code, label or alias -> code (the loader refuses a name matching two missions)."""
    index: dict[str, str] = {}
    for mission in convention.missions:
        for name in (mission.label, *mission.aliases):
            index.setdefault(normalize_key(name), mission.code)
    for mission in convention.missions:
        index[normalize_key(mission.code)] = mission.code
    index.pop("", None)  # a label of punctuation only must not match a cell of punctuation only
    return index


def prepare_activity(frame: pd.DataFrame, convention: Convention) -> pd.DataFrame:
    """The columns the suite reads: ``mission_key`` and ``indicator_key`` (null when empty)."""
    out = frame.copy()
    out["mission_key"] = pd.Series(
        [normalize_key(m) if m else None for m in out["mission"]], index=out.index, dtype=object
    )
    out["indicator_key"] = pd.Series(
        [i.casefold() if i else None for i in out["indicateur"]], index=out.index, dtype=object
    )
    return out


def suite_parameters(convention: Convention) -> dict:
    """Suite parameters of ``expectations/activity.json`` for this convention."""
    return {
        "period_start": convention.period_start,
        "period_end": convention.period_end,
        "mission_keys": sorted(mission_index(convention)),
        "indicator_keys": sorted({i.code.casefold() for i in convention.indicators}),
    }


def classify_activity(convention: Convention, table, checker=None) -> ActivityResult | None:
    """Classify and count the activity rows (``table`` from :func:`pexaudit.sources.read_activity`).

    None without ``missions`` (no activity check). With missions but no table (no activity
    file), every mission and indicator is at 0, without alert, and there are no rows.
    """
    if not convention.missions:
        return None
    if table is None:
        return tally(convention, (), present=False)
    if checker is None:
        from .checks import checker as default_checker

        checker = default_checker()
    frame = prepare_activity(table.frame, convention)
    run = checker.run("activity", frame, suite_parameters(convention))
    failed: dict[int, list[tuple[str, str]]] = {}
    for row_id, status, column, _value in run.failures.itertuples(index=False):
        failed.setdefault(int(row_id), []).append((status, column))
    missions = mission_index(convention)
    indicators = {i.code.casefold(): i.code for i in convention.indicators}
    rows = []
    for rec in frame.to_dict("records"):
        rows.append(_row(rec, failed.get(int(rec["row_id"]), []), missions, indicators, table, convention))
    result = tally(convention, tuple(rows), present=True)
    result.file, result.sheet, result.header_row = table.file, table.sheet, table.header_row
    result.evaluated = run.evaluated
    return result


def _row(rec: dict, fails: list, missions: dict, indicators: dict, table, convention: Convention) -> ActivityRow:
    mission_text = text_of(rec["mission"])
    indicator_text = text_of(rec["indicateur"])
    mission = missions.get(normalize_key(mission_text), mission_text) if mission_text else None
    indicator = indicators.get(indicator_text.casefold(), indicator_text) if indicator_text else None
    value = _present(rec["valeur"])
    if value is None and indicator_text and not rec["valeur_given"]:
        value = Decimal(1)  # SPEC 10: valeur defaults to 1 on an indicator row
    status, reason, faults = "retenue", None, ()
    if fails:
        status = min((s for s, _ in fails), key=_PRECEDENCE.__getitem__)
        columns = list(dict.fromkeys(c for s, c in fails if s == status))
        details = [_detail(status, c, rec, table, convention, mission_text, indicator_text) for c in columns]
        reason = " ; ".join(d[0] for d in details)
        faults = tuple(d[1] for d in details)
    return ActivityRow(
        row_id=int(rec["row_id"]),
        file=rec["file"],
        sheet=rec["sheet"] if isinstance(rec["sheet"], str) else None,
        row=int(rec["row"]),
        date=_present(rec["date"]),
        mission=mission,
        mission_text=mission_text,
        action=text_of(rec["action"]),
        indicator=indicator,
        value=value,
        participants=_present(rec["participants"]),
        status=status,
        reason=reason,
        faults=faults,
    )


def _present(value):
    """A parsed cell, or None (pandas may hand back NaN or NA for a missing object)."""
    return None if value is None or value is pd.NA or (isinstance(value, float) and value != value) else value


_COLUMN_NAMES = {"date": "date", "valeur": "valeur", "participants": "nombre de participants"}


def _detail(status: str, column: str, rec: dict, table, convention: Convention, mission: str, indicator: str):
    """(reason quoting the cell, fault without it) for one failing check of a row."""
    if status == "hors_periode":
        period = f"{date_fr(convention.period_start)} – {date_fr(convention.period_end)}"
        text = f"action du {date_fr(rec['date'])} hors de la période {period}"
        return text, text
    if status == "hors_mission":
        text = f"mission « {mission} » étrangère à l'{convention.art('missions')} de la convention"
        return text, f"hors mission ({convention.art('missions')})"
    if column == "mission":
        return "mission absente", "mission absente"
    if column == "indicator_key":
        declared = ", ".join(i.code for i in convention.indicators) or "aucun"
        return (
            f"indicateur « {indicator} » non déclaré dans convention.yaml (indicateurs déclarés : {declared})",
            "indicateur non déclaré",
        )
    name = _COLUMN_NAMES[column]
    raw = table.raw.get((rec["row_id"], column))
    if raw is None:  # a blank date (a blank valeur or participants cell is no fault)
        return f"{name} absente", f"{name} absente"
    return f"{name} illisible « {raw} »", f"{name} illisible"


def tally(convention: Convention, rows: tuple[ActivityRow, ...], *, present: bool) -> ActivityResult:
    """Missions and indicators counted over the ``retenue`` rows (file, sheet and header left
    unset: the caller knows them)."""
    kept = [r for r in rows if r.status == "retenue"]
    missions = tuple(
        MissionResult(
            m.code,
            m.label,
            sum(1 for r in kept if r.mission == m.code),
            sum((r.participants for r in kept if r.mission == m.code and r.participants is not None), Decimal(0)),
        )
        for m in convention.missions
    )
    keep = 1 - convention.indicator_alert_pct / 100
    indicators = []
    for ind in convention.indicators:
        realised = sum((r.value for r in kept if r.indicator == ind.code and r.value is not None), Decimal(0))
        rate = Fraction(realised) / ind.target if ind.target else None
        alert = present and bool(ind.target) and Fraction(realised) < ind.target * keep
        indicators.append(IndicatorResult(ind.code, ind.label, ind.mission, ind.target, realised, rate, alert))
    return ActivityResult(missions, tuple(indicators), rows, convention.indicator_alert_pct)


# --- results.json -----------------------------------------------------------------------


def json_number(value: Decimal | Fraction | int | None) -> int | float | None:
    """A JSON number: an int when whole, else the nearest float."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    value = Fraction(value)
    return value.numerator if value.denominator == 1 else float(value)


def activity_json(result: ActivityResult | None) -> dict | None:
    """The ``activity`` block of results.json (``results.schema.json``); None without missions."""
    if result is None:
        return None
    return {
        "missions": [
            {"code": m.code, "label": m.label, "actions": m.actions, "participants": json_number(m.participants)}
            for m in result.missions
        ],
        "indicators": [
            {
                "code": i.code,
                "label": i.label,
                "mission": i.mission,
                "target": json_number(i.target),
                "realised": json_number(i.realised),
                "rate": None if i.rate is None else float(i.rate),
                "alert": i.alert,
            }
            for i in result.indicators
        ],
        "rows": [
            {
                "file": r.file,
                "sheet": r.sheet,
                "row": r.row,
                "date": r.date.isoformat() if r.date else None,
                "mission": r.mission,
                "indicator": r.indicator,
                "value": json_number(r.value),
                "status": r.status,
                "reason": r.reason,
            }
            for r in result.rows
        ],
    }


# --- findings ---------------------------------------------------------------------------


def personnel_cost_by_month(rows: pd.DataFrame) -> dict[dt.date, int]:
    """Eligible personnel cost of all staff per month (first day -> cents), from payroll rows.

    ``rows`` are the audit's rows after decisions (``Audit.rows``); a month absent is 0. This
    is the ``eligible_by_month`` argument of :func:`activity_findings` and
    :func:`activity_section`.
    """
    out: dict[dt.date, int] = {}
    if rows.empty:
        return out
    pay = rows[rows["source"] == "payroll"]
    for month, cents in zip(pay["month"], pay["eligible_amount"], strict=True):
        if isinstance(month, dt.date):
            key = month.replace(day=1)
            out[key] = out.get(key, 0) + int(cents)
    return dict(sorted(out.items()))


def where(row: ActivityRow) -> str:
    sheet = f", feuille « {row.sheet} »" if row.sheet else ""
    return f"{row.file}{sheet}, ligne {row.row}"


def count_text(value: Decimal | Fraction | int) -> str:
    """A count as a French reader writes it: ``12``, ``12,5``."""
    value = Fraction(value)
    if value.denominator == 1:
        return number_fr(value, 0)
    return number_fr(value, 2).rstrip("0").rstrip(",")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' if count > 1 else ''}"


def activity_findings(
    convention: Convention, result: ActivityResult | None, eligible_by_month: dict[dt.date, int]
) -> list[Finding]:
    """The findings of SPEC section 10, in the order of its table.

    ``eligible_by_month``: first day of a month -> eligible personnel cost of all staff that
    month in cents, after decisions (:func:`personnel_cost_by_month`); a month absent is 0.
    """
    if result is None:
        return []
    art2, art7 = convention.art("missions"), convention.art("justificatifs")
    if not result.present:
        return [
            finding("ACTIVITE_ABSENTE", f"la convention déclare {_plural(len(result.missions), 'mission')} ({art2}) mais aucun fichier "
                f"d'activité (inputs.activity) : le compte rendu quantitatif et qualitatif de la réalisation des "
                f"missions demandé par l'{art7} n'est pas fourni",
            )
        ]  # fmt: skip
    found: list[Finding] = []
    for r in result.rows:
        if r.status == "hors_mission":
            found.append(
                finding("HORS_MISSION", f"{where(r)} : action du {date_fr(r.date)} rattachée à « {r.mission_text} », qui n'est pas "
                    f"une mission de l'{art2} ; la convention interdit de confier au poste d'autres fonctions",
                )
            )  # fmt: skip
    for m in result.missions:
        if m.actions == 0:
            found.append(
                finding("MISSION_NON_REALISEE", f"mission « {m.label} » ({m.code}, {art2}) : aucune action retenue dans le compte rendu "
                    f"d'activité ({art7})",
                )
            )  # fmt: skip
    pct_text = count_text(result.alert_pct)
    for i in result.indicators:
        if i.alert:
            floor = i.target * (1 - result.alert_pct / 100)
            found.append(
                finding("INDICATEUR", f"indicateur « {i.label} » ({i.code}) : {count_text(i.realised)} réalisé pour une cible de {count_text(i.target)}, "
                    f"soit {number_fr(i.rate * 100, 2)} % ; en deçà de la cible de plus de {pct_text} % "
                    f"(seuil : {count_text(floor)}) ({art7})",
                )
            )  # fmt: skip
    for month, actions in result.actions_by_month().items():
        cost = eligible_by_month.get(month, 0)
        if cost <= 0:
            found.append(
                finding("ACTIVITE_SANS_AGENT", f"{month_fr(month)} : {_plural(actions, 'action')} retenue{'s' if actions > 1 else ''} alors que le "
                    f"coût de personnel éligible du mois est de {eur(cost)} : le poste était vacant, qui a agi ? "
                    f"({art2})",
                )
            )  # fmt: skip
    for r in result.rows:
        if r.status in ("illisible", "hors_periode"):
            found.append(
                finding("ACTIVITE_ILLISIBLE", f"{where(r)} : ligne non retenue ({STATUS_LABELS[r.status]}) : {' ; '.join(r.faults)} ; "
                    f"détail dans le classeur, feuille « {SHEET} »",
                )
            )  # fmt: skip
    return found


def check_summary(convention: Convention, table) -> str:
    """One French line for ``pexaudit check`` (no GX: what was read, not how it is classified)."""
    if table is None:
        if convention.missions:
            return "activité : aucun fichier (inputs.activity) alors que des missions sont déclarées (ACTIVITE_ABSENTE)"
        return "activité : aucune mission déclarée, pas de contrôle d'activité"
    if not convention.missions:
        return f"{table.file} : aucune mission déclarée dans convention.yaml, fichier seulement haché"
    where = f"feuille « {table.sheet} », " if table.sheet else ""
    unreadable = len({row_id for row_id, _ in table.raw})
    return (
        f"{table.file} : {_plural(table.rows, 'action')}, {where}en-tête ligne {table.header_row}"
        + (f", {unreadable} ligne(s) avec une valeur illisible (ACTIVITE_ILLISIBLE)" if unreadable else "")
        + "".join(f" ; {note}" for note in table.notes)
    )


def _without_mission(convention: Convention, table):
    """``(mission as written, row number, row_id)`` of each activity row whose mission text
    matches no mission's code, label or alias (an empty mission is not listed)."""
    index = mission_index(convention)
    for text, row, row_id in zip(table.frame["mission"], table.frame["row"], table.frame["row_id"], strict=True):
        written = text_of(text)
        if written and normalize_key(written) not in index:
            yield written, int(row), int(row_id)


def unmatched_missions(convention: Convention, table) -> list[str]:
    """What ``check`` says of activity rows whose mission matches no code, label or alias: one
    line per text written, with its rows and the closest mission (highest difflib ratio, over
    each mission's label, code and aliases, case and accents ignored), named by its label."""
    rows: dict[str, list[int]] = {}
    for written, row, _row_id in _without_mission(convention, table):
        rows.setdefault(written, []).append(row)
    out = []
    for written, numbers in rows.items():
        closest = max(
            convention.missions,
            key=lambda m: max(
                difflib.SequenceMatcher(None, label_key(written), label_key(name)).ratio()
                for name in (m.label, m.code, *m.aliases)
            ),
        )
        shown = ", ".join(map(str, numbers[:10])) + (" …" if len(numbers) > 10 else "")
        out.append(
            f"mission « {written} » (ligne{'s' if len(numbers) > 1 else ''} {shown}) : aucune mission ne correspond "
            f"(HORS_MISSION) ; la plus proche : « {closest.label} » ({closest.code}) — si c'est elle, ajoutez "
            f"« {written} » à ses aliases"
        )
    return out


def decided_unmatched(convention: Convention, table, decided: dict, file: str) -> str | None:
    """What ``check`` adds, once the decisions are read, about the actions listed by
    :func:`unmatched_missions` that the decisions ``file`` already decides (``decided``: row_id
    -> decision, missions as codes): their lines and what is decided, so that none is taken
    for an action still to settle."""
    if table is None or not decided:
        return None
    labels = {m.code: m.label for m in convention.missions}
    items = []
    for _written, row, row_id in _without_mission(convention, table):
        if (decision := decided.get(row_id)) is not None:
            what = f"admise pour « {labels[decision.mission]} »" if decision.decision == "accept" else "écartée"
            items.append(f"ligne {row} ({what})")
    if not items:
        return None
    return f"parmi les actions sans mission correspondante, décidées dans {file} : {', '.join(items)}"


# --- report, workbook, consolidation ----------------------------------------------------
