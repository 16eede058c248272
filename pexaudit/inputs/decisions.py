"""The auditor's decisions and the contradictory procedure, as the decisions file says them (SPEC 9).

Sections 5 and 6 propose; the auditor decides. A convention folder may hold ``decisions.yaml``
or ``decisions.xlsx`` (the ``Décisions`` sheet of bilan_financier.xlsx, filled in and saved
under that name). This module reads either into :class:`Decisions` (:func:`load_decisions`);
a bad file is an :class:`~pexaudit.errors.InputError` (exit code 2) naming the decision by the
YAML line of its ``- ref:`` or its Excel row. Checking decisions against the input rows and
applying them is :mod:`pexaudit.decide`.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..fmt import date_fr
from ..money import cents_to_euros
from ..vocabulary import DECISION_VERBS, DECISION_WORDS, PROCEDURE_LABELS
from ..vocabulary import PHASES as PHASE_LABELS
from .convention import read_yaml
from .parsing import is_blank, normalize_key, parse_amount, parse_date, text_of
from .readers import sha256_of, xlsx_sheets

__all__ = [
    "DEFAULT_RESPONSE_DAYS",
    "FILES",
    "PHASES",
    "Decision",
    "Decisions",
    "LineNote",
    "Place",
    "Procedure",
    "load_decisions",
    "read_xlsx_decisions",
    "read_yaml_decisions",
    "same_file",
]

FILES = ("decisions.yaml", "decisions.xlsx")
DEFAULT_RESPONSE_DAYS = 30
DECISIONS = tuple(DECISION_VERBS)  # accept, reject, partial
PHASES = tuple(PHASE_LABELS)  # provisoire, definitif


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

    On a row of the activity file (SPEC 10), ``mission`` is the mission of article 2 an
    ``accept`` attaches the action to (a code, label or alias as written; binding stores the
    code); ``rule`` and ``amount`` have no meaning there.
    """

    ref: str
    decision: str  # accept | reject | partial (anything else is refused by bind)
    motive: str = "simulation"
    rule: str | None = None
    amount: int | None = None
    date: dt.date | None = None
    place: Place = field(default_factory=Place)
    mission: str | None = None  # activity rows only

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
    """What the convention folder's decisions file says (nothing: phase provisoire).

    ``rows`` are the decisions on payroll and expense rows, ``activity`` those on the rows of
    the activity file (``activity:`` of decisions.yaml; in decisions.xlsx, the rows of the
    ``Décisions`` sheet whose ``Fichier`` is the activity file).
    """

    procedure: Procedure = field(default_factory=Procedure)
    rows: tuple[Decision, ...] = ()
    lines: tuple[LineNote, ...] = ()
    path: Path | None = None
    activity: tuple[Decision, ...] = ()

    def trail(self) -> dict | None:
        """The ``inputs[]`` entry of the audit trail (role ``decisions``), or None; ``rows``
        counts every decision, on activity rows too."""
        if self.path is None:
            return None
        rows = len(self.rows) + len(self.activity)
        return {"role": "decisions", "path": self.path.name, "sha256": sha256_of(self.path), "rows": rows}


def load_decisions(folder: str | Path, activity_file: str | None = None) -> Decisions:
    """``decisions.yaml`` or ``decisions.xlsx`` of ``folder``; both is an error; neither: none.

    ``activity_file`` is the activity file as convention.yaml names it (``inputs.activity``):
    the rows of decisions.xlsx naming it are decisions on activity rows.
    """
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
    return read_yaml_decisions(path) if path.suffix == ".yaml" else read_xlsx_decisions(path, activity_file)


# --- decisions.yaml -------------------------------------------------------------------------

_YAML_KEYS = {
    "": ("phase", "auditor", "procedure", "rows", "lines", "activity"),
    "procedure": ("observations_sent", "response_days", "response_received"),
    "rows[]": ("ref", "decision", "motive", "rule", "amount", "date"),
    "lines[]": ("line", "explanation"),
    "activity[]": ("ref", "decision", "mission", "motive", "date"),
}


def read_yaml_decisions(path: Path) -> Decisions:
    """Read ``decisions.yaml`` with convention.yaml's care: lines kept, impossible dates caught."""
    doc = read_yaml(path, str(path), documented=None)
    if doc.data is None:
        return Decisions(path=path)
    if not isinstance(doc.data, dict):
        raise InputError(
            "attendu une table de clés YAML (phase, auditor, procedure, rows, lines, activity)", file=doc.file
        )
    _check_yaml_keys(doc)
    rows = tuple(_yaml_decision(doc, i) for i, _ in enumerate(doc.sequence("rows", required=False)))
    notes = tuple(_yaml_note(doc, i) for i, _ in enumerate(doc.sequence("lines", required=False)))
    activity = tuple(_yaml_activity(doc, i) for i, _ in enumerate(doc.sequence("activity", required=False)))
    return Decisions(_yaml_procedure(doc), rows, notes, path, activity)


def _check_yaml_keys(doc) -> None:
    """An unknown key is an error (a mistyped ``amont`` would silently drop an amount)."""
    blocks = [("", doc.data)]
    if isinstance(doc.data.get("procedure"), dict):
        blocks.append(("procedure", doc.data["procedure"]))
    for part in ("rows", "lines", "activity"):
        items = doc.data.get(part)
        if isinstance(items, list):
            blocks += [(f"{part}[{i}]", item) for i, item in enumerate(items) if isinstance(item, dict)]
    for path, mapping in blocks:
        allowed = _YAML_KEYS[path.split("[")[0] + ("[]" if "[" in path else "")]
        for key in mapping:
            if key not in allowed and path.startswith("activity[") and key in _YAML_KEYS["rows[]"]:
                raise doc.error(
                    f"{path}.{key}",
                    f"« {key} » ne s'écrit que pour une ligne de dépense ou de paie (rows:) : une décision sur "
                    "une action admet l'action pour une mission (accept, mission) ou l'écarte (reject), sans règle "
                    "ni montant",
                )
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


def _yaml_activity(doc, index: int) -> Decision:
    """One decision of ``activity:``: an activity row accepted for a mission, or rejected."""
    p = f"activity[{index}]"
    place = Place(doc.file, None, doc.lines.get(p))
    if not isinstance(doc.get(p), dict):
        raise doc.error(p, "attendu une décision sur une action : ref, decision, mission (pour accept), motive")
    ref = _yaml_text(doc, f"{p}.ref")
    with _about(ref or f"n° {index + 1} de activity", place):
        if not ref:
            raise doc.error(
                f"{p}.ref", "référence absente : attendu ref: fichier!feuille!ligne de l'action (CSV : fichier!!ligne)"
            )
        word = _yaml_text(doc, f"{p}.decision")
        return Decision(
            ref=ref,
            decision=DECISION_WORDS.get(normalize_key(word), word),
            motive=_yaml_text(doc, f"{p}.motive"),
            date=doc.date(f"{p}.date", required=False),
            place=place,
            mission=_yaml_text(doc, f"{p}.mission") or None,
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
    "montantretenu": "Montant retenu", "regle": "Règle", "motif": "Motif", "mission": "Mission",
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
_HEADER_ROWS = 20


def read_xlsx_decisions(path: Path, activity_file: str | None = None) -> Decisions:
    """Sheets ``Décisions`` (required), ``Procédure`` and ``Explications`` (optional).

    A row of ``Décisions`` whose ``Fichier`` is ``activity_file`` is a decision on an activity
    row (its ``Mission`` column, optional, says the mission an acceptance attaches it to).
    """
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
    decided = _xlsx_decisions(label, *sheets["decisions"])
    procedure = _xlsx_procedure(label, *sheets["procedure"]) if "procedure" in sheets else Procedure()
    notes = _xlsx_notes(label, *sheets["explications"]) if "explications" in sheets else ()
    on_activity = [bool(activity_file) and same_file(d.ref.split("!", 1)[0], activity_file) for d in decided]
    rows = tuple(d for d, act in zip(decided, on_activity, strict=True) if not act)
    activity = tuple(d for d, act in zip(decided, on_activity, strict=True) if act)
    return Decisions(procedure, rows, notes, path, activity)


def same_file(a: str, b: str) -> bool:
    """Two names of one input file: case, surrounding spaces and the slash direction ignored."""
    return a.replace("\\", "/").strip().casefold() == b.replace("\\", "/").strip().casefold()


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
        mission = text_of(_cell(values, columns, "mission"))
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
                mission=mission or None,
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
