"""The auditor's decisions and the contradictory procedure (SPEC section 9).

Sections 5 and 6 propose; the auditor decides. A convention folder may hold ``decisions.yaml``
or ``decisions.xlsx`` (the ``Décisions`` sheet of bilan_financier.xlsx, filled in and saved
under that name). This module reads either into :class:`Decisions` (:func:`load_decisions`),
checks every decision against the input rows (:func:`bind`: a bad decision is an
:class:`~pexaudit.errors.InputError`, exit code 2, naming the decision by the YAML line of its
``- ref:`` or its Excel row), applies them to the rows the rules evaluated (:func:`apply`) and
states the findings DECISION and CONTRADICTOIRE. :func:`simulate` and :func:`rejected_rows`
serve the notebook's workbench: they recompute from rows already evaluated, with no file read
and no GX run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import difflib
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from .convention import HORS_BUDGET, Convention, read_yaml
from .errors import InputError
from .findings import Finding
from .fmt import PHASES as PHASE_FR
from .fmt import date_fr, eur
from .money import cents_to_euros, euros_to_cents, round_half_up
from .parsing import is_blank, normalize_key, parse_amount, parse_date, text_of
from .readers import Table, sha256_of, xlsx_sheets
from .registry import FAILING_RULES, RULES
from .rules import Eligibility
from .stakes import by_impact

__all__ = [
    "DECISION_WORDS",
    "FILES",
    "PHASES",
    "Bound",
    "Decision",
    "Decisions",
    "LineNote",
    "Place",
    "Procedure",
    "apply",
    "bind",
    "decision_findings",
    "load_decisions",
    "load_previous",
    "procedure_findings",
    "read_previous",
    "read_xlsx_decisions",
    "read_yaml_decisions",
    "rejected_rows",
    "simulate",
]

FILES = ("decisions.yaml", "decisions.xlsx")
DEFAULT_RESPONSE_DAYS = 30
# Words accepted for a decision, compared as headers are (case and accents ignored).
DECISION_WORDS = {
    "accept": "accept", "accepter": "accept", "acceptee": "accept", "accepte": "accept",
    "reject": "reject", "rejeter": "reject", "rejetee": "reject", "rejete": "reject",
    "partial": "partial", "partiel": "partial", "partielle": "partial",
}  # fmt: skip
DECISION_FR = {"accept": "accepter", "reject": "rejeter", "partial": "partiel"}
PHASES = tuple(PHASE_FR)  # provisoire, definitif (their French labels live in pexaudit.fmt)
_FORFAIT_REFS = {"forfait", "forfaitdegestion"}


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """Where a decision is written: the file, its sheet (Excel) and its line or row."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Decision:
    """One decision on one input row (``ref`` = ``file!sheet!row``; CSV: ``file!!line``).

    ``amount`` (cents) is the cost retained by a ``partial``, or the cost read on the voucher
    by an ``accept`` of a row whose amount could not be read. Built by hand (the notebook's
    workbench), it needs only ``ref`` and ``decision``: ``Decision(ref, "accept")``.
    """

    ref: str
    decision: str  # accept | reject | partial (anything else is refused by bind)
    motive: str = "simulation"
    rule: str | None = None
    amount: int | None = None
    date: dt.date | None = None
    place: Place = field(default_factory=Place)

    def error(self, expected: str, *, column: str | None = None, key: str | None = None) -> InputError:
        """An error naming this decision: its ref, and the line of its ``- ref:`` or its Excel row."""
        p = self.place
        return InputError(
            f"décision sur « {self.ref} » : {expected}", file=p.file, sheet=p.sheet, row=p.row, column=column, key=key
        )

    def as_json(self) -> dict:
        """``rows[].decision`` of results.json."""
        amount = None if self.amount is None else cents_to_euros(self.amount)
        return {"decision": self.decision, "rule": self.rule, "amount": amount, "motive": self.motive}


@dataclass(frozen=True)
class LineNote:
    """The beneficiary's explanation of a budget line's gap (``lines`` / sheet ``Explications``)."""

    line: str
    explanation: str
    place: Place = field(default_factory=Place)


@dataclass(frozen=True)
class Procedure:
    """The contradictory procedure of article 9.1: phase, dates, time given to answer."""

    phase: str = "provisoire"
    auditor: str | None = None
    observations_sent: dt.date | None = None
    response_days: int = DEFAULT_RESPONSE_DAYS
    response_received: dt.date | None = None

    @property
    def response_deadline(self) -> dt.date | None:
        if self.observations_sent is None:
            return None
        return self.observations_sent + dt.timedelta(days=self.response_days)

    @property
    def late(self) -> bool:
        """The answer came after the deadline (the deadline day itself is on time)."""
        deadline = self.response_deadline
        return bool(deadline and self.response_received and self.response_received > deadline)

    def as_json(self) -> dict:
        def iso(day: dt.date | None) -> str | None:
            return day.isoformat() if day else None

        return {
            "phase": self.phase,
            "auditor": self.auditor,
            "observations_sent": iso(self.observations_sent),
            "response_days": self.response_days,
            "response_deadline": iso(self.response_deadline),
            "response_received": iso(self.response_received),
        }


@dataclass(frozen=True)
class Decisions:
    """What the convention folder's decisions file says (nothing: phase provisoire)."""

    procedure: Procedure = field(default_factory=Procedure)
    rows: tuple[Decision, ...] = ()
    lines: tuple[LineNote, ...] = ()
    path: Path | None = None

    def trail(self) -> dict | None:
        """The ``inputs[]`` entry of the audit trail (role ``decisions``), or None."""
        if self.path is None:
            return None
        return {"role": "decisions", "path": self.path.name, "sha256": sha256_of(self.path), "rows": len(self.rows)}


def load_decisions(folder: str | Path) -> Decisions:
    """``decisions.yaml`` or ``decisions.xlsx`` of ``folder``; both is an error; neither: none."""
    folder = Path(folder)
    present = [folder / name for name in FILES if (folder / name).is_file()]
    if len(present) > 1:
        raise InputError(
            "decisions.yaml et decisions.xlsx sont présents tous les deux : gardez-en un seul (le classeur rempli "
            "ou le fichier YAML), pour qu'aucune décision ne soit prise deux fois",
            file=str(folder),
        )
    if not present:
        return Decisions()
    path = present[0]
    return read_yaml_decisions(path) if path.suffix == ".yaml" else read_xlsx_decisions(path)


# --- decisions.yaml -------------------------------------------------------------------------

_YAML_KEYS = {
    "": ("phase", "auditor", "procedure", "rows", "lines"),
    "procedure": ("observations_sent", "response_days", "response_received"),
    "rows[]": ("ref", "decision", "motive", "rule", "amount", "date"),
    "lines[]": ("line", "explanation"),
}


def read_yaml_decisions(path: Path) -> Decisions:
    """Read ``decisions.yaml`` with convention.yaml's care: lines kept, impossible dates caught."""
    doc = read_yaml(path, str(path), documented=None)
    if doc.data is None:
        return Decisions(path=path)
    if not isinstance(doc.data, dict):
        raise InputError("attendu une table de clés YAML (phase, auditor, procedure, rows, lines)", file=doc.file)
    _check_yaml_keys(doc)
    rows = tuple(_yaml_decision(doc, i) for i, _ in enumerate(doc.sequence("rows", required=False)))
    notes = tuple(_yaml_note(doc, i) for i, _ in enumerate(doc.sequence("lines", required=False)))
    return Decisions(_yaml_procedure(doc), rows, notes, path)


def _check_yaml_keys(doc) -> None:
    """An unknown key is an error (a mistyped ``amont`` would silently drop an amount)."""
    blocks = [("", doc.data)]
    if isinstance(doc.data.get("procedure"), dict):
        blocks.append(("procedure", doc.data["procedure"]))
    for part in ("rows", "lines"):
        items = doc.data.get(part)
        if isinstance(items, list):
            blocks += [(f"{part}[{i}]", item) for i, item in enumerate(items) if isinstance(item, dict)]
    for path, mapping in blocks:
        allowed = _YAML_KEYS[path.split("[")[0] + ("[]" if "[" in path else "")]
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
                hint = f" ; vouliez-vous écrire « {close[0]} » ?" if close else ""
                raise doc.error(
                    f"{path}.{key}" if path else str(key),
                    f"clé inconnue{hint} (clés possibles ici : {', '.join(allowed)})",
                )


def _yaml_procedure(doc) -> Procedure:
    phase = doc.text("phase", required=False)
    if doc.get("procedure", None) is not None:
        doc.mapping("procedure")
    days = doc.number("procedure.response_days", required=False)
    if days is not None and (days < 0 or days.denominator != 1):
        raise doc.error("procedure.response_days", f"attendu un nombre entier de jours, 0 ou plus (trouvé {days})")
    procedure = Procedure(
        phase=_phase(phase, lambda text: doc.error("phase", text)),
        auditor=doc.text("auditor", required=False),
        observations_sent=doc.date("procedure.observations_sent", required=False),
        response_days=DEFAULT_RESPONSE_DAYS if days is None else int(days),
        response_received=doc.date("procedure.response_received", required=False),
    )
    _check_dates(procedure, lambda text: doc.error("procedure.response_received", text))
    return procedure


def _phase(text: str | None, error) -> str:
    if text is None or not text.strip():
        return "provisoire"
    phase = normalize_key(text)
    if phase not in PHASES:
        raise error(f"phase inconnue « {text} » : attendu provisoire ou définitif")
    return phase


def _check_dates(procedure: Procedure, error) -> None:
    sent, received = procedure.observations_sent, procedure.response_received
    if sent and received and received < sent:
        raise error(
            f"réponse reçue le {date_fr(received)}, avant l'envoi des observations le {date_fr(sent)} : "
            "vérifiez les deux dates"
        )


@contextmanager
def _about(ref: str, place: Place) -> Iterator[None]:
    """Errors read inside a decision name the decision (its ``- ref:`` line)."""
    try:
        yield
    except InputError as exc:
        raise InputError(
            f"décision sur « {ref} » : {exc.expected}", file=place.file, row=place.row, key=exc.key
        ) from None


def _yaml_text(doc, path: str) -> str:
    """A free text as written (a number or a date stays as typed); missing or empty: ``""``."""
    value = doc.get(path, None)
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise doc.error(path, "attendu un texte")
    return value.strip() if isinstance(value, str) else doc.texts.get(path, str(value)).strip()


def _yaml_decision(doc, index: int) -> Decision:
    p = f"rows[{index}]"
    place = Place(doc.file, None, doc.lines.get(p))
    if not isinstance(doc.get(p), dict):
        raise doc.error(p, "attendu une décision : ref, decision, motive (et rule, amount selon la décision)")
    ref = _yaml_text(doc, f"{p}.ref")
    with _about(ref or f"n° {index + 1}", place):
        if not ref:
            raise doc.error(f"{p}.ref", "référence absente : attendu ref: fichier!feuille!ligne (CSV : fichier!!ligne)")
        word = _yaml_text(doc, f"{p}.decision")
        rule = _yaml_text(doc, f"{p}.rule")
        return Decision(
            ref=ref,
            decision=DECISION_WORDS.get(normalize_key(word), word),
            motive=_yaml_text(doc, f"{p}.motive"),
            rule=rule.upper() if rule else None,
            amount=doc.money(f"{p}.amount", required=False),
            date=doc.date(f"{p}.date", required=False),
            place=place,
        )


def _yaml_note(doc, index: int) -> LineNote:
    p = f"lines[{index}]"
    doc.mapping(p)
    line = doc.text(f"{p}.line")
    explanation = _yaml_text(doc, f"{p}.explanation")
    if not explanation:
        raise doc.error(f"{p}.explanation", f"explication vide pour la ligne « {line} »")
    return LineNote(line, explanation, Place(doc.file, None, doc.lines.get(p)))


# --- decisions.xlsx -------------------------------------------------------------------------

_SHEETS = {"decisions": "Décisions", "procedure": "Procédure", "explications": "Explications"}
_DECISION_COLUMNS = {
    "fichier": "Fichier", "feuille": "Feuille", "ligne": "Ligne", "decision": "Décision",
    "montantretenu": "Montant retenu", "regle": "Règle", "motif": "Motif",
}  # fmt: skip
_REQUIRED_COLUMNS = ("fichier", "ligne", "decision", "motif")
# The Procédure sheet's keys (accents optional), and the English ones of decisions.yaml.
PROCEDURE_KEYS = {
    "phase": "phase",
    "controleur": "auditor",
    "auditor": "auditor",
    "observationsenvoyeesle": "observations_sent",
    "observationssent": "observations_sent",
    "delaindereponsejours": "response_days",
    "delaidereponsejours": "response_days",
    "delaidereponse": "response_days",
    "responsedays": "response_days",
    "reponserecuele": "response_received",
    "responsereceived": "response_received",
}
PROCEDURE_LABELS = {
    "phase": "phase",
    "auditor": "contrôleur",
    "observations_sent": "observations envoyées le",
    "response_days": "délai de réponse (jours)",
    "response_received": "réponse reçue le",
}
_HEADER_ROWS = 20


def read_xlsx_decisions(path: Path) -> Decisions:
    """Sheets ``Décisions`` (required), ``Procédure`` and ``Explications`` (optional)."""
    label = str(path)
    sheets = {
        normalize_key(name): (name, list(rows))
        for name, rows in xlsx_sheets(path, label, select=lambda name: normalize_key(name) in _SHEETS)
    }
    if "decisions" not in sheets:
        raise InputError(
            "feuille « Décisions » absente : attendu le classeur bilan_financier.xlsx rempli puis enregistré sous "
            "le nom decisions.xlsx (feuilles Décisions, Procédure, Explications)",
            file=label,
        )
    rows = _xlsx_decisions(label, *sheets["decisions"])
    procedure = _xlsx_procedure(label, *sheets["procedure"]) if "procedure" in sheets else Procedure()
    notes = _xlsx_notes(label, *sheets["explications"]) if "explications" in sheets else ()
    return Decisions(procedure, rows, notes, path)


def _header(file: str, sheet: str, rows: list, required: tuple[str, ...], labels: dict[str, str]) -> tuple[int, dict]:
    """(position of the header row in ``rows``, column key -> index), as section 4 finds headers."""
    for position, (_, values) in enumerate(rows[:_HEADER_ROWS]):
        found = {}
        for index, value in enumerate(values):
            found.setdefault(normalize_key(value), index)
        if all(key in found for key in required):
            return position, {key: found[key] for key in labels if key in found}
    raise InputError(
        f"ligne d'en-tête introuvable dans les {_HEADER_ROWS} premières lignes : attendu les colonnes "
        + ", ".join(labels[k] for k in required),
        file=file,
        sheet=sheet,
    )


def _cell(values: tuple, columns: dict, key: str) -> object:
    index = columns.get(key)
    return values[index] if index is not None and index < len(values) else None


def _xlsx_decisions(file: str, sheet: str, rows: list) -> tuple[Decision, ...]:
    start, columns = _header(file, sheet, rows, _REQUIRED_COLUMNS, _DECISION_COLUMNS)
    out = []
    for number, values in rows[start + 1 :]:
        word = text_of(_cell(values, columns, "decision"))
        if not word:
            continue  # a row the auditor left undecided
        place = Place(file, sheet, number)
        ref = "!".join(
            (text_of(_cell(values, columns, "fichier")), text_of(_cell(values, columns, "feuille")),
             _row_number(_cell(values, columns, "ligne"))),
        )  # fmt: skip
        rule = text_of(_cell(values, columns, "regle"))
        amount = _cell(values, columns, "montantretenu")
        try:
            cents = None if is_blank(amount) else parse_amount(amount)
        except ValueError:
            raise InputError(
                f"décision sur « {ref} » : montant retenu illisible « {text_of(amount)} » (attendu un montant en euros)",
                file=file, sheet=sheet, row=number, column="Montant retenu",
            ) from None  # fmt: skip
        out.append(
            Decision(
                ref=ref,
                decision=DECISION_WORDS.get(normalize_key(word), word),
                motive=text_of(_cell(values, columns, "motif")),
                rule=rule.upper() if rule else None,
                amount=cents,
                place=place,
            )
        )
    return tuple(out)


def _row_number(value: object) -> str:
    """The ``Ligne`` cell as a row number (``12.0`` read from Excel is ``12``)."""
    text = text_of(value)
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _xlsx_procedure(file: str, sheet: str, rows: list) -> Procedure:
    values: dict[str, object] = {}
    for number, cells in rows:
        if not cells or is_blank(cells[0]):
            continue
        key = PROCEDURE_KEYS.get(normalize_key(cells[0]))
        if key is None:
            raise InputError(
                f"clé « {text_of(cells[0])} » inconnue : attendu l'une de {', '.join(PROCEDURE_LABELS.values())}",
                file=file, sheet=sheet, row=number, column="A",
            )  # fmt: skip
        values[key] = (number, cells[1] if len(cells) > 1 else None)
    procedure = Procedure(
        phase=_xlsx_value(values, "phase", file, sheet, lambda v: _phase(text_of(v), _fail)) or "provisoire",
        auditor=_xlsx_value(values, "auditor", file, sheet, text_of) or None,
        observations_sent=_xlsx_value(values, "observations_sent", file, sheet, parse_date),
        response_days=_default(_xlsx_value(values, "response_days", file, sheet, _days), DEFAULT_RESPONSE_DAYS),
        response_received=_xlsx_value(values, "response_received", file, sheet, parse_date),
    )
    row = values.get("response_received", (None,))[0]
    _check_dates(procedure, lambda text: InputError(text, file=file, sheet=sheet, row=row, column="B"))
    return procedure


def _default(value, default):
    return default if value is None else value


def _fail(text: str) -> ValueError:
    return ValueError(text)


def _days(value: object) -> int:
    text = text_of(value)
    if not text.isdigit():
        raise ValueError(f"attendu un nombre entier de jours (trouvé « {text} »)")
    return int(text)


def _xlsx_value(values: dict, key: str, file: str, sheet: str, parse):
    if key not in values or is_blank(values[key][1]):
        return None
    number, value = values[key]
    try:
        return parse(value)
    except ValueError as exc:
        raise InputError(
            f"{PROCEDURE_LABELS[key]} : {exc} (trouvé « {text_of(value)} »)", file=file, sheet=sheet, row=number,
            column="B",
        ) from None  # fmt: skip


def _xlsx_notes(file: str, sheet: str, rows: list) -> tuple[LineNote, ...]:
    labels = {"ligne": "Ligne", "explication": "Explication"}  # « Brouillon » is never read back
    start, columns = _header(file, sheet, rows, ("ligne", "explication"), labels)
    notes = []
    for number, values in rows[start + 1 :]:
        text = text_of(_cell(values, columns, "explication"))
        if not text:
            continue
        line = text_of(_cell(values, columns, "ligne"))
        if not line:
            raise InputError("explication sans ligne budgétaire", file=file, sheet=sheet, row=number, column="Ligne")
        notes.append(LineNote(line, text, Place(file, sheet, number)))
    return tuple(notes)


# --- binding decisions to input rows --------------------------------------------------------


@dataclass
class _Rows:
    """One input table, indexed by the row number a person sees."""

    table: Table
    index: pd.Index

    @classmethod
    def of(cls, table: Table) -> _Rows:
        return cls(table, pd.Index(table.frame["row"].to_numpy()))

    def cost(self, position: int) -> tuple[int, bool]:
        """(cost in cents, readable): payroll brut + charges + autres coûts; expenses montant."""
        rec = self.table.frame.iloc[position]
        parts = ("brut", "charges_patronales", "autres_couts") if self.table.role == "payroll" else ("montant",)
        values = [rec[p] for p in parts]
        readable = not any(pd.isna(v) for v in values)
        return sum(0 if pd.isna(v) else int(v) for v in values), readable


@dataclass(frozen=True)
class Bound:
    """Decisions checked against the input rows: ``rows`` maps row_id -> decision (file order)."""

    rows: dict[int, Decision]
    explanations: dict[str, str]  # budget line id -> the beneficiary's explanation


def bind(decisions: Decisions, tables: dict[str, Table], convention: Convention) -> Bound:
    """Check every decision (SPEC section 9's list of errors) and find its input row."""
    indexed = [_Rows.of(t) for t in tables.values() if t.role in ("payroll", "expenses")] if decisions.rows else []
    bound: dict[int, Decision] = {}
    for decision in decisions.rows:
        check(decision)
        found, position = _locate(decision, indexed, convention)
        cost, readable = found.cost(position)
        _check_amount(decision, cost, readable)
        row_id = int(found.table.frame["row_id"].iat[position])
        if row_id in bound:
            first = bound[row_id].place.row
            where = f" (première décision ligne {first})" if first else ""
            raise decision.error(f"deux décisions sur la même ligne d'entrée{where} : gardez-en une seule")
        bound[row_id] = decision
    return Bound(bound, _explanations(decisions.lines, tables, convention))


def check(decision: Decision) -> None:
    """What a decision must say by itself, whatever its row."""
    if decision.decision not in DECISION_FR:
        raise decision.error(
            f"décision inconnue « {decision.decision} » : attendu accept, reject ou partial "
            "(accepter, rejeter ou partiel)"
        )
    if not decision.motive.strip():
        raise decision.error("motif absent ou vide : toute décision est motivée (elle est notifiée au bénéficiaire)")
    if decision.rule is not None and decision.rule not in FAILING_RULES:
        raise decision.error(f"règle inconnue « {decision.rule} » : attendu l'une de {', '.join(FAILING_RULES)}")
    if decision.decision in ("reject", "partial") and decision.rule is None:
        raise decision.error(
            f"règle absente : {'un rejet' if decision.decision == 'reject' else 'une retenue partielle'} dit la règle "
            f"au titre de laquelle le montant est écarté ({', '.join(FAILING_RULES)})"
        )
    if decision.decision == "reject" and decision.amount is not None:
        raise decision.error("montant interdit sur un rejet : la ligne est écartée en entier (pour en garder une "
                             "partie, utilisez partial)")  # fmt: skip


def _check_amount(decision: Decision, cost: int, readable: bool) -> None:
    amount = decision.amount
    if decision.decision == "accept":
        if readable and amount is not None:
            raise decision.error(
                f"montant interdit sur l'acceptation d'une ligne lisible (montant lu : {eur(cost)}) : pour n'en "
                "retenir qu'une partie, utilisez partial"
            )
        if not readable and amount is None:
            raise decision.error(
                "montant absent : le montant de cette ligne n'a pas pu être lu ; l'acceptation donne le montant "
                "lu sur la pièce (amount, ou Montant retenu)"
            )
    elif decision.decision == "partial":
        if not readable:
            raise decision.error(
                "retenue partielle impossible : le montant de la ligne n'a pas pu être lu ; acceptez-la avec le "
                "montant lu sur la pièce (accept et amount), ou rejetez-la"
            )
        if amount is None:
            raise decision.error("montant retenu absent : une retenue partielle dit le montant retenu (amount)")
        low, high = min(0, cost), max(0, cost)
        if not low <= amount <= high:
            raise decision.error(
                f"montant retenu {eur(amount)} hors de l'intervalle de 0 au coût de la ligne ({eur(cost)}), "
                "de même signe"
            )


def _split_ref(ref: str) -> tuple[str, str, str] | None:
    if ref.count("!") < 2:
        return None
    head, row = ref.rsplit("!", 1)
    file, sheet = head.split("!", 1)
    return file.strip(), sheet.strip(), row.strip()


def _locate(decision: Decision, indexed: list[_Rows], convention: Convention) -> tuple[_Rows, int]:
    ref = decision.ref.strip()
    parts = _split_ref(ref)
    # The forfait row has no file and no row (results.json: file, sheet and row null).
    forfait = parts is not None and (normalize_key(parts[0]) in _FORFAIT_REFS or not (parts[0] or parts[2]))
    if normalize_key(ref) in _FORFAIT_REFS or forfait:
        raise decision.error(
            "la ligne générée du forfait de gestion ne peut pas faire l'objet d'une décision : elle est calculée "
            "(taux du forfait × personnel éligible)"
        )
    if parts is None:
        raise decision.error("référence illisible : attendu fichier!feuille!ligne (pour un CSV : fichier!!ligne)")
    file, sheet, row = parts
    if not file:
        raise decision.error("fichier absent de la référence : attendu fichier!feuille!ligne")
    known = ", ".join(_describe(r.table) for r in indexed) or "aucun fichier d'entrée"
    same_file = [r for r in indexed if _same(r.table.file, file)]
    if not same_file:
        raise decision.error(
            f"aucune ligne d'entrée ne correspond : fichier « {file} » inconnu (fichiers lus : {known})"
        )
    found = next((r for r in same_file if _same(r.table.sheet or "", sheet)), None)
    if found is None:
        raise decision.error(f"aucune ligne d'entrée ne correspond : feuille « {sheet} » ({known})")
    if not row.isdigit():
        raise decision.error(f"numéro de ligne « {row} » illisible : attendu le n° de ligne Excel ou CSV")
    number = int(row)
    if number not in found.index:
        raise decision.error(f"aucune ligne d'entrée ne correspond : {_why_not(found.table, number)}")
    return found, int(found.index.get_loc(number))


def _same(a: str, b: str) -> bool:
    return a.replace("\\", "/").strip().casefold() == b.replace("\\", "/").strip().casefold()


def _describe(table: Table) -> str:
    rows = table.frame["row"]
    span = f"lignes {rows.min()} à {rows.max()}" if len(rows) else "aucune ligne"
    sheet = f"!{table.sheet}!" if table.sheet else "!!"
    return f"{table.file}{sheet} ({span})"


def _why_not(table: Table, number: int) -> str:
    if number in table.ignored_rows:
        return f"la ligne {number} de {table.file} est une ligne de total, qui n'est pas une ligne d'entrée"
    if table.header_row and number <= table.header_row:
        return f"la ligne {number} de {table.file} est au-dessus des données (en-tête ligne {table.header_row})"
    return f"{table.file} n'a pas de ligne de données n° {number} ({_describe(table)})"


def _explanations(notes: Iterable[LineNote], tables: dict[str, Table], convention: Convention) -> dict[str, str]:
    ids = {b.line.casefold(): b.line for b in convention.budget}
    expenses = tables.get("expenses")
    if expenses is not None and (~expenses.frame["ligne"].str.casefold().isin(ids)).any():
        ids[HORS_BUDGET] = HORS_BUDGET  # rows go there: a line of the bilan
    out: dict[str, str] = {}
    for note in notes:
        line = ids.get(note.line.strip().casefold())
        where = {"file": note.place.file, "sheet": note.place.sheet, "row": note.place.row}
        if line is None:
            raise InputError(
                f"explication sur la ligne « {note.line} » inconnue : attendu l'une de {', '.join(ids.values())}",
                **where,
            )
        if line in out:
            raise InputError(f"deux explications pour la ligne « {line} »", **where)
        out[line] = note.explanation
    return out


# --- applying decisions ---------------------------------------------------------------------


def apply(convention: Convention, baseline: Eligibility, bound: dict[int, Decision]) -> Eligibility:
    """The rows after decisions (SPEC 9), before the aggregate rules (pexaudit.aggregate).

    Adds ``decision`` (the :class:`Decision` or None) and ``rules_after`` (what the row fails
    after decisions, for the findings); ``rules`` stays what the rules found.
    """
    rows = baseline.rows[baseline.rows["source"] != "forfait"].reset_index(drop=True)
    decided = np.full(len(rows), None, dtype=object)
    columns = {"rules_after": rows["rules"].to_numpy(dtype=object)}
    if bound:
        columns = {
            "amount": rows["amount"].to_numpy(dtype="int64").copy(),
            "eligible_amount": rows["eligible_amount"].to_numpy(dtype="int64").copy(),
            "booked_rule": rows["booked_rule"].to_numpy(dtype=object).copy(),
            "rules_after": rows["rules"].to_numpy(dtype=object).copy(),
        }
        positions = pd.Index(rows["row_id"]).get_indexer(list(bound))
        counted = _counted(convention, rows).to_numpy()
        for position, decision in zip(positions, bound.values(), strict=True):
            effect = _effect(decision, rows.iloc[position], bool(counted[position]))
            for values, value in zip(columns.values(), effect, strict=True):
                values[position] = value
            decided[position] = decision
    rows = rows.assign(**columns, decision=decided)
    return Eligibility(rows=rows, checked=baseline.checked, suites=baseline.suites, skipped=baseline.skipped)


def _counted(convention: Convention, rows: pd.DataFrame) -> pd.Series:
    """Whether a row failing nothing counts: not a management expense under the flat rate."""
    if convention.management_costs.mode != "flat_rate":
        return pd.Series(True, index=rows.index)
    management = {b.line for b in convention.management_lines}
    return ~((rows["source"] == "expenses") & rows["line"].isin(management))


def eligible_share(cost: int, share: Fraction) -> int:
    """cost × allocation, rounded half-up to the cent (AFFECTATION keeps the rest)."""
    return cost if share == 1 else round_half_up(share * cost)


def _effect(decision: Decision, rec, counted: bool) -> tuple[int, int, str | None, list[str]]:
    """(amount, eligible_amount, booked_rule, rules_after) of a decided row."""
    rules = list(rec["rules"])
    if decision.decision == "accept":
        cost = int(rec["amount"]) if decision.amount is None else decision.amount
        eligible = eligible_share(cost, rec["share"]) if counted else 0
        booked = None if eligible == cost else ("AFFECTATION" if counted else "FORFAIT")
        return cost, eligible, booked, [booked] if booked else []
    amount = int(rec["amount"])
    if decision.decision == "partial":
        eligible = eligible_share(decision.amount, rec["share"]) if counted else 0
        return amount, eligible, decision.rule, [decision.rule]
    if rules and rules[0] in FAILING_RULES:  # a reject of a row already rejected: only the motive
        return amount, int(rec["eligible_amount"]), rec["booked_rule"], rules
    return amount, 0, decision.rule, [decision.rule]


# --- findings -------------------------------------------------------------------------------


def where(rec) -> str:
    """``depenses.xlsx, feuille « Mandats 2024 », ligne 12`` (no label: the report names nobody)."""
    sheet = f", feuille « {rec.sheet} »" if isinstance(rec.sheet, str) and rec.sheet else ""
    return f"{rec.file}{sheet}, ligne {rec.row}"


def _verb(decision: Decision, before_rules: list[str], cost: int) -> str:
    label = f"{decision.rule} ({RULES[decision.rule].label})" if decision.rule else ""
    if decision.decision == "accept":
        read = f", au montant lu sur la pièce de {eur(decision.amount)}" if decision.amount is not None else ""
        return f"acceptée{read}"
    if decision.decision == "partial":
        return f"retenue pour {eur(decision.amount)} sur {eur(cost)}, le reste écarté au titre de {label}"
    if before_rules and before_rules[0] in FAILING_RULES:
        return f"rejet confirmé (déjà écartée au titre de {before_rules[0]})"
    return f"rejetée au titre de {label}"


def decision_findings(rows: pd.DataFrame, baseline: pd.DataFrame, bound: dict[int, Decision]) -> list[Finding]:
    """DECISION (info), one per decision in file order; amount = row eligible after − before."""
    if not bound:
        return []
    after = rows.set_index("row_id").loc[list(bound)]
    before = baseline.set_index("row_id").loc[list(bound), "eligible_amount"]
    found = []
    for (row_id, decision), rec in zip(bound.items(), after.itertuples(), strict=True):
        delta = int(rec.eligible_amount) - int(before[row_id])
        when = f"décision du {date_fr(decision.date)} : " if decision.date else ""
        message = (
            f"{where(rec)} : {when}{_verb(decision, rec.rules, int(rec.amount))} – motif : "
            f"{decision.motive.rstrip().rstrip('.')} ; "
            f"éligible de la ligne {eur(int(before[row_id]))} → {eur(int(rec.eligible_amount))} "
            f"({eur(delta, signed=True)})"
        )
        found.append(Finding("DECISION", "info", message, delta))
    return found


def procedure_findings(procedure: Procedure, balance: int, convention: Convention) -> list[Finding]:
    """CONTRADICTOIRE: a definitive reversement nobody was heard on (error); a late answer (warning)."""
    art = convention.art("contradictoire")
    found = []
    if procedure.phase == "definitif" and balance < 0 and procedure.observations_sent is None:
        found.append(
            Finding(
                "CONTRADICTOIRE", "error",
                f"phase définitive : reversement de {eur(-balance)} sans lettre d'observations préalable "
                f"(date d'envoi des observations absente) ; l'{art} ne permet le reversement qu'après examen des "
                "justificatifs présentés par le bénéficiaire et l'avoir entendu : envoyez d'abord la lettre "
                "d'observations (phase provisoire)",
                -balance,
            )
        )  # fmt: skip
    if procedure.late:
        late = (procedure.response_received - procedure.response_deadline).days
        found.append(
            Finding(
                "CONTRADICTOIRE", "warning",
                f"réponse du bénéficiaire reçue le {date_fr(procedure.response_received)}, {late} jour(s) après "
                f"l'échéance du {date_fr(procedure.response_deadline)} (observations envoyées le "
                f"{date_fr(procedure.observations_sent)}, {procedure.response_days} jours pour répondre) : elle "
                f"est examinée néanmoins ({art})",
            )
        )  # fmt: skip
    return found


# --- --previous -----------------------------------------------------------------------------


def read_previous(path: str | Path, convention_id: str) -> tuple[dict, dict[tuple, int]]:
    """``previous`` of results.json from an earlier run's results.json of the same convention, and
    that run's eligible amount of each input row (cents) by (file, sheet, row), for the
    before/after view."""
    path = Path(path)
    label = str(path)
    if not path.is_file():
        raise InputError("résultats antérieurs introuvables (--previous : attendu le results.json d'un contrôle "
                         "antérieur)", file=label)  # fmt: skip
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        settlement = document["settlement"]
        found = document["convention_id"]
        balance = euros_to_cents(settlement["balance"])
        amount = euros_to_cents(settlement.get("amount", abs(settlement["balance"])))
        outcome = settlement["outcome"]
        if outcome not in ("solde", "reversement", "solde_nul"):
            raise ValueError(outcome)
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        raise InputError("attendu un results.json de pexaudit (convention_id, settlement)", file=label) from None
    if found != convention_id:
        raise InputError(
            f"résultats d'une autre convention (« {found} », attendu « {convention_id} ») : --previous prend un "
            "contrôle antérieur de la même convention",
            file=label,
        )
    procedure = document.get("procedure")
    phase = procedure.get("phase") if isinstance(procedure, dict) else None
    summary = {
        "phase": phase if phase in PHASES else None,
        "balance": cents_to_euros(balance),
        "outcome": outcome,
        "amount": cents_to_euros(amount),
    }
    rows = {}
    for row in document.get("rows") or []:
        if isinstance(row, dict) and row.get("source") != "forfait" and row.get("row") is not None:
            with contextlib.suppress(TypeError, ValueError, KeyError):
                rows[(row.get("file"), row.get("sheet"), int(row["row"]))] = euros_to_cents(row["eligible_amount"])
    return summary, rows


def load_previous(path: str | Path, convention_id: str) -> dict:
    """``previous`` of results.json from an earlier run's results.json of the same convention."""
    return read_previous(path, convention_id)[0]


# --- the notebook's workbench ---------------------------------------------------------------


def simulate(audit, decisions: Iterable[Decision], *, replace: bool = False):
    """The audit as it would be with ``decisions`` taken, recomputed from the evaluated rows.

    No file is read and GX does not run again: ``simulate(audit, [Decision(ref, "accept")])``
    returns a new :class:`~pexaudit.audit.Audit` whose settlement, lines, findings and stakes
    follow. The new decisions are added to the file's (replacing any on the same row), or
    replace them all with ``replace=True``. A bad decision raises InputError, as in a run.
    """
    from .audit import reassess

    new = bind(Decisions(rows=tuple(decisions)), audit.tables, audit.convention).rows
    kept = {} if replace else {k: v for k, v in audit.bound.rows.items() if k not in new}
    rows = {**kept, **new}
    merged = dataclasses.replace(audit.decisions, rows=tuple(rows.values()))
    return reassess(audit, merged, Bound(rows, audit.bound.explanations))


REJECTED_COLUMNS = ["ref", "file", "sheet", "row", "line", "amount", "rejected", "rules", "reasons", "impact"]


def ref_of(rec) -> str:
    """``file!sheet!row`` (CSV: ``file!!line``), as decisions name a row."""
    sheet = rec.sheet if isinstance(rec.sheet, str) else ""
    return f"{rec.file}!{sheet}!{rec.row}"


def rejected_rows(audit) -> pd.DataFrame:
    """The rows rejected after decisions, largest stake first (unknown stakes last).

    Columns: ref, file, sheet, row, line, amount, rejected (cents), rules, reasons, impact
    (cents, or None where no accept can change the balance in a known way).
    """
    rows = audit.rows
    mask = rows["booked_rule"].isin(FAILING_RULES) & (rows["source"] != "forfait")
    picked = rows.loc[mask]
    out = pd.DataFrame(
        {
            "ref": [ref_of(rec) for rec in picked.itertuples(index=False)],
            "file": picked["file"].to_numpy(),
            "sheet": picked["sheet"].to_numpy(),
            "row": picked["row"].to_numpy(),
            "line": picked["line"].to_numpy(),
            "amount": picked["amount"].to_numpy(),
            "rejected": (picked["amount"] - picked["eligible_amount"]).to_numpy(),
            "rules": picked["rules"].to_numpy(),
            "reasons": picked["reasons"].to_numpy(),
            "impact": picked["impact"].to_numpy(),
        },
        columns=REJECTED_COLUMNS,
    )
    return by_impact(out).reset_index(drop=True)
