"""The auditor's workbench in the notebook: try decisions before writing them (SPEC section 9).

:func:`simulate` recomputes an audit with more decisions from the rows already evaluated (no
file read, no GX run), through the same steps as a real run (:func:`pexaudit.audit.assess`).
:class:`Scenario` chains several such decisions and writes them, on request only, as a draft
``decisions.yaml``. :func:`rejected_table` and :func:`all_rows_table` are the workbench's
tables: rows named as people name them, every cell a French text (SPEC 12).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from html import escape
from pathlib import Path

import pandas as pd

from .core.activity import action_name
from .core.audit import bind_decisions, reassess
from .core.decide import Bound
from .core.names import missing, row_name
from .core.registry import FAILING_RULES, RULES
from .errors import InputError
from .fmt import eur
from .inputs.decisions import Decision, Decisions, same_file
from .inputs.parsing import parse_amount
from .model.bilan import Bilan, RowList, RowView, build
from .vocabulary import DECISION_VERBS

__all__ = [
    "ALL_HEADERS",
    "DRAFT",
    "EXAMINE_HEADERS",
    "REJECTED_COLUMNS",
    "REJECTED_HEADERS",
    "RefusedDecision",
    "Scenario",
    "Step",
    "all_rows_table",
    "decisions_yaml",
    "example_scenario",
    "issue_text",
    "rejected_rows",
    "rejected_selection",
    "rejected_table",
    "render_html",
    "simulate",
    "to_examine_table",
]


def simulate(b: Bilan, decisions: Iterable[Decision], *, replace: bool = False) -> Bilan:
    """The bilan as it would be with ``decisions`` taken, recomputed from the evaluated rows.

    ``simulate(b, [Decision(ref, "accept")])`` returns a new :class:`~pexaudit.model.Bilan`
    whose settlement, lines, findings and stakes follow. A decision on a row of the activity
    file (``Decision(ref, "accept", motive, mission="coordination")``) changes the compte rendu
    d'activité and its findings. The new decisions are added to the file's (replacing any on
    the same row), or replace them all with ``replace=True``. A bad decision raises
    InputError, as in a run.
    """
    a = b.audit
    new = _bind(a, decisions)

    def keep(old: dict, fresh: dict) -> dict:
        return {} if replace else {k: v for k, v in old.items() if k not in fresh}

    rows = {**keep(a.bound.rows, new.rows), **new.rows}
    activity = {**keep(a.bound.activity, new.activity), **new.activity}
    merged = dataclasses.replace(a.decisions, rows=tuple(rows.values()), activity=tuple(activity.values()))
    return build(reassess(a, merged, Bound(rows, a.bound.explanations, activity)))


def _on_activity(a, decision: Decision) -> bool:
    """Whether a decision names a row of the activity file (or gives a mission, which only an
    action takes)."""
    table = a.inputs.activity
    if decision.mission is not None:
        return True
    return table is not None and same_file(decision.ref.split("!", 1)[0], table.file)


def _bind(a, decisions: Iterable[Decision]) -> Bound:
    """Decisions tried in the notebook, checked as a run checks them (activity rows apart)."""
    decisions = list(decisions)
    rows = tuple(d for d in decisions if not _on_activity(a, d))
    activity = tuple(d for d in decisions if _on_activity(a, d))
    return bind_decisions(Decisions(rows=rows, activity=activity), a.tables, a.inputs.activity, a.convention)


REJECTED_COLUMNS = ["ref", "file", "sheet", "row", "line", "amount", "rejected", "rules", "reasons", "impact"]


def rejected_rows(b: Bilan) -> pd.DataFrame:
    """The rows rejected after decisions (the bilan's one list), largest stake first.

    Columns: ref, file, sheet, row, line, amount, rejected (cents), rules, reasons, impact
    (cents, or None where no accept can change the balance in a known way).
    """
    picked = b.rejected.frame
    out = pd.DataFrame(
        {
            "ref": [
                f"{f}!{s or ''}!{r}" for f, s, r in zip(picked["file"], picked["sheet"], picked["row"], strict=True)
            ],
            "file": picked["file"].to_numpy(),
            "sheet": picked["sheet"].to_numpy(),
            "row": picked["row"].to_numpy(),
            "line": picked["line"].to_numpy(),
            "amount": picked["amount"].to_numpy(),
            "rejected": picked["rejected_amount"].to_numpy(),
            "rules": picked["rules"].to_numpy(),
            "reasons": picked["reasons"].to_numpy(),
            "impact": picked["impact"].to_numpy(),
        },
        columns=REJECTED_COLUMNS,
    )
    return out.reset_index(drop=True)


# --- the tables, rows named as people name them (SPEC 12) --------------------------------------

REJECTED_HEADERS = [
    "enjeu", "désignation", "libellé", "ligne budgétaire", "montant", "écarté", "règle", "décision", "motifs",
    "emplacement", "ref",
]  # fmt: skip
ALL_HEADERS = [
    "statut", "désignation", "montant", "écarté", "règle", "motifs", "décision", "ligne budgétaire", "libellé",
    "retenu", "enjeu", "emplacement", "ref",
]  # fmt: skip


def _money(cents: int | None, *, signed: bool = False) -> str:
    """French euros; an unknown amount is an empty cell (never NaN, never a dash to sort)."""
    return "" if cents is None else eur(cents, signed=signed)


def _rule(code: str | None) -> str:
    """The rule's label, then its code (what ``reject`` and ``partial`` name): « ligne en double (DOUBLON) »."""
    return f"{RULES[code].label} ({code})" if code else ""


def _cells(v: RowView, readable: bool) -> dict[str, str]:
    return {
        "statut": "écartée" if v.rule else "retenue",
        "désignation": v.name,
        "libellé": v.libelle or "",
        "ligne budgétaire": v.line_label,
        "montant": _money(v.amount if readable else None),
        "retenu": _money(v.eligible if readable else None),
        "écarté": _money(v.rejected if v.rule and readable else None),
        "règle": _rule(v.rule),
        "décision": v.decision_label or "",
        "motifs": v.readable_reasons,
        "enjeu": _money(v.impact, signed=True),
        "emplacement": v.location,
        "ref": "" if v.source == "forfait" else v.ref,
    }


def _table(views: list[RowView], readable: list[bool], headers: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        [[cells[h] for h in headers] for cells in (_cells(v, r) for v, r in zip(views, readable, strict=True))],
        columns=headers,
        dtype=object,
    )


def _readable(frame: pd.DataFrame) -> list[bool]:
    """Whether each row's amount could be read (unknown counts as read, as the names do)."""
    if "readable" not in frame:
        return [True] * len(frame)
    return [missing(value) or bool(value) for value in frame["readable"]]


def rejected_table(b: Bilan, *, rule: str | None = None, line: str | None = None) -> pd.DataFrame:
    """The rejected rows, largest stake first, as the auditor reads them: every cell a French text.

    The row named by piece, supplier, date and amount (pay rows by agent and month), where it
    is read, its budget line, amounts as ``1 234,56 €`` (empty when unknown), the rule and the
    decision in words, every reason in full, and the ``ref`` a decision names. ``rule`` (a code,
    ``DOUBLON``) and ``line`` (a budget line id) filter.
    """
    frame = rejected_selection(b, rule=rule, line=line)
    unfiltered = frame is b.rejected.frame  # its views are laid out once (the workbook reads them)
    views = b.rejected.views() if unfiltered else RowList(frame, 0, b.rejected.line_labels).views()
    return _table(views, _readable(frame), REJECTED_HEADERS)


def rejected_selection(b: Bilan, *, rule: str | None = None, line: str | None = None) -> pd.DataFrame:
    """The bilan's rejected rows (largest stake first), those of ``rule`` and ``line`` only if given."""
    frame = b.rejected.frame
    if rule:
        frame = frame[frame["rejected_rule"] == rule.upper()]
    if line:
        frame = frame[frame["line"] == line]
    return frame


def all_rows_table(b: Bilan) -> pd.DataFrame:
    """Every row of the audit, rejected or retained, in file order: the workbench's search table
    (a duplicate, a supplier, an amount). Same cells as :func:`rejected_table`, with a status."""
    rows = b.audit.rows
    views = RowList(rows, 0, b.rejected.line_labels).views()
    return _table(views, _readable(rows), ALL_HEADERS)


EXAMINE_HEADERS = ["constat", "groupe", "désignation", "libellé", "ligne budgétaire", "montant", "retenu", "avec",
                   "emplacement", "ref"]  # fmt: skip


def to_examine_table(b: Bilan, rule: str | None = None) -> pd.DataFrame:
    """The rows a finding names for the auditor to decide (DOUBLON_PROBABLE: the rows of each
    group), finding by finding: the finding, its group, the row as people name it, its amounts,
    the refs named with it, and the ``ref`` a decision cites (reject the duplicate under
    DOUBLON, or accept both rows when they are two expenses). ``rule`` filters."""
    out = []
    for e in b.to_examine:
        if rule and e.rule != rule.upper():
            continue
        v = e.row
        cells = _cells(v, True)
        out.append(
            [f"{e.label} ({e.rule})", str(e.group), cells["désignation"], cells["libellé"], cells["ligne budgétaire"],
             cells["montant"], cells["retenu"], e.others_text, cells["emplacement"], v.ref]
        )  # fmt: skip
    return pd.DataFrame(out, columns=EXAMINE_HEADERS, dtype=object)


def render_html(frame: pd.DataFrame, caption: str = "") -> str:
    """A table of texts as HTML: every cell in full (no truncation), escaped, amounts and refs on one line."""
    money = [c for c in ("enjeu", "montant", "retenu", "écarté", "éligible", "montant justifié", "solde", "effet")
             if c in frame.columns]  # fmt: skip
    styler = frame.style.hide(axis="index").format(escape="html", na_rep="")
    if caption:
        styler = styler.set_caption(escape(caption))
    styler = styler.set_table_styles(
        [
            {"selector": "th, td", "props": "text-align: left; vertical-align: top;"},
            {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold;"},
        ]
    ).set_table_styles(
        {c: [{"selector": "td, th", "props": "text-align: right; white-space: nowrap;"}] for c in money},
        overwrite=False,
    )
    if "ref" in frame.columns:  # copied whole into a decision
        styler = styler.set_table_styles(
            {"ref": [{"selector": "td", "props": "white-space: nowrap;"}]}, overwrite=False
        )
    return styler.to_html()


# --- scenarios: several decisions tried together, written only on request ----------------------

DRAFT = "decisions.brouillon.yaml"


class RefusedDecision(InputError):
    """A decision the scenario refused (the audit would refuse it too): the scenario is unchanged."""

    def __init__(self, error: InputError, step: int | None = None) -> None:
        super().__init__(error.expected, file=error.file, sheet=error.sheet, row=error.row, column=error.column,
                         key=error.key)  # fmt: skip
        self.step = step

    def _render_traceback_(self) -> list[str]:
        return [
            f"\x1b[1;31mDécision refusée\x1b[0m : {self.message}",
            f"Le scénario est inchangé (étape {self.step}) : corrigez la décision puis relancez la cellule."
            if self.step is not None
            else "Rien n'est écrit ni changé : corrigez la décision puis relancez la cellule.",
        ]


@dataclass(frozen=True)
class Step:
    """One decision of a scenario and the bilan after it (and every decision before it)."""

    decision: Decision
    row_id: int
    name: str  # the row as people name it
    bilan: Bilan


def _decision_text(d: Decision) -> str:
    verb = DECISION_VERBS.get(d.decision, d.decision)
    if d.decision == "partial":
        return f"{verb} : {eur(d.amount)} retenus, le reste au titre de {d.rule}"
    if d.decision == "reject":
        return f"{verb} au titre de {d.rule}" if d.rule else verb
    if d.mission is not None:
        return f"{verb} pour la mission {d.mission}"
    return verb if d.amount is None else f"{verb} pour {eur(d.amount)}"


def _euros(ref: str, amount) -> int | None:
    if amount is None:
        return None
    try:
        return parse_amount(amount)
    except ValueError:
        raise InputError(
            f"décision sur « {ref} » : montant illisible « {amount} » : écrivez des euros, par exemple 1867.45 ou "
            "« 1 867,45 »"
        ) from None


class Scenario:
    """Decisions tried together on a bilan: the balance after each, nothing written.

    ``sc.accept(ref, motive=...)``, ``sc.reject(ref, rule=..., motive=...)``, ``sc.partial(ref,
    amount=..., rule=..., motive=...)`` add a step (cumulative: each is simulated on the bilan
    of the step before, with the decisions file's own decisions, a later decision on a row
    replacing an earlier one); a decision the audit would refuse raises its French message and
    leaves the scenario as it was. Shown in a notebook, it is the table of the steps.
    :meth:`write_draft` writes the whole as a draft ``decisions.yaml``.
    """

    def __init__(self, bilan: Bilan) -> None:
        self.base = bilan
        self.steps: list[Step] = []

    @property
    def bilan(self) -> Bilan:
        """The bilan after the last step."""
        return self.steps[-1].bilan if self.steps else self.base

    # adding decisions

    def accept(
        self, ref: str, *, motive: str = "", amount=None, date: dt.date | None = None, mission: str | None = None
    ) -> Scenario:
        """Accept the row (``amount`` in euros: only for a row whose amount could not be read);
        an action of the activity file read hors mission, for ``mission`` (a declared mission)."""
        return self._step(ref, "accept", motive, None, amount, date, mission)

    def reject(self, ref: str, *, rule: str | None = None, motive: str = "", date: dt.date | None = None) -> Scenario:
        """Reject the row in full under ``rule`` (a code: NATURE, DOUBLON, …); an action of the
        activity file, without a rule."""
        return self._step(ref, "reject", motive, rule, None, date)

    def partial(self, ref: str, *, amount=None, rule: str | None = None, motive: str = "",
                date: dt.date | None = None) -> Scenario:  # fmt: skip
        """Retain ``amount`` euros of the row's cost (``1867.45`` or ``"1 867,45"``); the rest is
        rejected under ``rule``."""
        return self._step(ref, "partial", motive, rule, amount, date)

    def _step(
        self, ref: str, decision: str, motive: str, rule: str | None, amount, date: dt.date | None,
        mission: str | None = None,
    ) -> Scenario:  # fmt: skip
        try:
            cents = _euros(ref, amount)
        except InputError as exc:
            raise RefusedDecision(exc, len(self.steps)) from None
        return self.add(
            Decision(ref, decision, motive, rule=rule.upper() if rule else None, amount=cents, date=date,
                     mission=mission)
        )  # fmt: skip

    def add(self, decision: Decision) -> Scenario:
        """One more step with ``decision`` (a :class:`~pexaudit.decisions.Decision`, amount in cents)."""
        a = self.base.audit
        try:
            bound = _bind(a, [decision])
            if bound.activity:  # its mission as the code, as the draft will write it
                decision = next(iter(bound.activity.values()))
            after = simulate(self.bilan, [decision])
        except InputError as exc:
            raise RefusedDecision(exc, len(self.steps)) from None
        if bound.activity:
            row_id = next(iter(bound.activity))
            name = action_name(next(r for r in a.activity.rows if r.row_id == row_id))
        else:
            row_id = next(iter(bound.rows))
            rows = a.rows
            name = row_name(next(rows[rows["row_id"] == row_id].itertuples(index=False)), with_location=False)
        self.steps.append(Step(decision, row_id, name, after))
        return self

    def undo(self) -> Scenario:
        """Remove the last step."""
        if self.steps:
            self.steps.pop()
        return self

    # showing it

    @property
    def frame(self) -> pd.DataFrame:
        """One row per step (0: the situation with the decisions file's own decisions)."""
        own = len(self.base.audit.decisions.rows) + len(self.base.audit.decisions.activity)
        start = (
            f"situation actuelle ({own} décision{'s' if own > 1 else ''} du fichier)" if own else "situation actuelle"
        )
        out = [self._line(0, start, "", "", self.base, self.base)]
        previous = self.base
        for i, step in enumerate(self.steps, 1):
            out.append(self._line(i, _decision_text(step.decision), step.name, step.decision.ref, step.bilan, previous))
            previous = step.bilan
        return pd.DataFrame(out, columns=SCENARIO_HEADERS, dtype=object)

    @staticmethod
    def _line(step: int, decision: str, name: str, ref: str, b: Bilan, before: Bilan) -> list:
        h = b.headline
        change = h.balance - before.headline.balance
        return [
            str(step), decision, name, ref, eur(h.eligible), eur(h.justified), eur(h.balance, signed=True),
            eur(change, signed=True) if step else "", issue_text(h), h.verdict_label,
        ]  # fmt: skip

    def caption(self) -> str:
        n = len(self.steps)
        if not n:
            return "Scénario vide : ajoutez une décision (accept, reject, partial) ; rien n'est écrit."
        return (
            f"Scénario de {n} décision{'s' if n > 1 else ''} essayée{'s' if n > 1 else ''}, soldes cumulés ; "
            "rien n'est écrit tant que write_draft() n'est pas appelé."
        )

    def _repr_html_(self) -> str:
        return render_html(self.frame, self.caption())

    def __repr__(self) -> str:
        with pd.option_context("display.max_colwidth", None, "display.width", 250):
            return f"{self.caption()}\n{self.frame.to_string(index=False)}"

    # writing it

    def decisions(self) -> Decisions:
        """The decisions file as it would be: its own decisions, those of the scenario (replacing
        any on the same row), its procedure and its lines' explanations."""
        return self.bilan.audit.decisions

    def draft(self, when: dt.datetime | None = None) -> str:
        """The draft ``decisions.yaml`` (SPEC 9) of the scenario: see :meth:`write_draft`."""
        when = when or dt.datetime.now()
        d = self.decisions()
        tried = {id(step.decision): i for i, step in enumerate(self.steps, 1)}
        h = self.bilan.headline
        head = [
            f"# Brouillon de decisions.yaml écrit par le carnet (pexaudit) le {when:%d/%m/%Y à %H:%M}, "
            f"convention {self.base.convention.id}.",
            "# Rien n'en est appliqué sous ce nom : relisez chaque décision et son motif, puis enregistrez ce fichier",
            "# sous le nom decisions.yaml dans le dossier de la convention et relancez l'audit.",
            f"# Scénario essayé : {len(self.steps)} décision(s) ; solde montré par le carnet après la dernière : "
            f"{eur(h.balance, signed=True)} ({h.outcome_label} : {eur(h.amount)}).",
        ]
        if d.path is not None and d.path.suffix == ".yaml":
            kept = _leading_comments(d.path)
            if kept:
                head += ["#", f"# En-tête de {d.path.name} :", *kept]
        return "\n".join([*head, decisions_yaml(d, tried)]) + "\n"

    def write_draft(self, path: str | Path | None = None, *, overwrite: bool = False) -> Path:
        """Write :meth:`draft` to ``path`` (default: ``<convention>/decisions.brouillon.yaml``; a
        relative path starts from the convention folder).

        The draft is rewritten at each call; any other existing file (a ``decisions.yaml``
        above all) is replaced only with ``overwrite=True``. Returns the path written.
        """
        target = self.base.convention.folder / (path or DRAFT)
        if target.exists() and target.name != DRAFT and not overwrite:
            raise InputError(
                "fichier déjà présent : le brouillon ne remplace pas un fichier existant (un decisions.yaml "
                "surtout) ; choisissez un autre nom, ou write_draft(..., overwrite=True) pour le remplacer",
                file=str(target),
            )
        target.write_text(self.draft(), encoding="utf-8")
        written = len(self.decisions().rows) + len(self.decisions().activity)
        then = ("C'est le fichier de décisions que le prochain audit lira : relisez-le." if target.name == "decisions.yaml"
                else "Relisez-le, puis enregistrez-le sous le nom decisions.yaml.")  # fmt: skip
        print(f"Brouillon écrit : {target} ({written} décisions, dont {len(self.steps)} du scénario). {then}")
        if (self.base.convention.folder / "decisions.xlsx").is_file():
            print("Le dossier contient decisions.xlsx : le brouillon en reprend les décisions ; gardez l'un ou "
                  "l'autre (les deux ensemble sont refusés).")  # fmt: skip
        return target


def issue_text(h) -> str:
    """A headline's outcome and amount, as the scenario and try_decision show them."""
    return f"{h.outcome_label} : {eur(h.amount)}"


SCENARIO_HEADERS = ["étape", "décision", "désignation", "ref", "éligible", "montant justifié", "solde", "effet",
                    "issue", "verdict"]  # fmt: skip


def _leading_comments(path: Path) -> list[str]:
    out = []
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if not line.startswith("#"):
            break
        out.append(line)
    return out


# YAML double-quoted scalars read JSON strings as written, except these line breaks.
_BREAKS = str.maketrans({"\u2028": "\\u2028", "\u2029": "\\u2029", "\x85": "\\x85"})


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).translate(_BREAKS)


def _amount(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def _decision_items(decisions, tried: dict[int, int]) -> list[str]:
    """The YAML items of ``decisions`` (under ``rows:`` or ``activity:``), each key only when set."""
    out = []
    for decision in decisions:
        if id(decision) in tried:
            out.append(f"  # essayée dans le carnet, étape {tried[id(decision)]}")
        out.append(f"  - ref: {_quoted(decision.ref)}")
        out.append(f"    decision: {decision.decision}")
        if decision.amount is not None:
            out.append(f"    amount: {_amount(decision.amount)}")
        if decision.rule:
            out.append(f"    rule: {decision.rule}")
        if decision.mission:
            out.append(f"    mission: {_quoted(decision.mission)}")
        out.append(f"    motive: {_quoted(decision.motive.strip())}")
        if decision.date:
            out.append(f"    date: {decision.date.isoformat()}")
    return out


def decisions_yaml(d: Decisions, tried: dict[int, int] | None = None) -> str:
    """``d`` in decisions.yaml's format (SPEC 9), which :func:`~pexaudit.decisions.read_yaml_decisions`
    reads back to the same decisions. ``tried`` (``id(decision)`` -> step) marks the scenario's."""
    tried = tried or {}
    p = d.procedure
    out = [f"phase: {p.phase}"]
    if p.auditor:
        out.append(f"auditor: {_quoted(p.auditor)}")
    out.append("procedure:")
    if p.observations_sent:
        out.append(f"  observations_sent: {p.observations_sent.isoformat()}")
    out.append(f"  response_days: {p.response_days}")
    if p.response_received:
        out.append(f"  response_received: {p.response_received.isoformat()}")
    out.append("rows:" if d.rows else "rows: []")
    out += _decision_items(d.rows, tried)
    if d.activity:
        out.append("activity:")
        out += _decision_items(d.activity, tried)
    if d.lines:
        out.append("lines:")
        for note in d.lines:
            out.append(f"  - line: {_quoted(note.line)}")
            out.append(f"    explanation: {_quoted(note.explanation)}")
    return "\n".join(out)


# --- the example scenario of the notebook --------------------------------------------------------

EXAMPLE_MOTIVE = "Exemple du carnet, à remplacer par le motif réel"


def example_scenario(b: Bilan, steps: int = 3) -> Scenario:
    """Up to ``steps`` decisions on the rejected rows with the largest stakes that no decision
    covers yet: accept the first, retain half of the second, confirm the third's rejection."""
    sc = Scenario(b)
    picked = [
        v for v in b.rejected.views()
        if v.impact is not None and v.decision is None and v.rule in FAILING_RULES and v.amount
    ][:steps]  # fmt: skip
    for i, v in enumerate(picked):
        if i == 0:
            sc.add(Decision(v.ref, "accept", f"{EXAMPLE_MOTIVE} (pièce produite par le bénéficiaire)"))
        elif i == 1:
            half = int(Fraction(v.amount, 2))
            sc.add(Decision(v.ref, "partial", f"{EXAMPLE_MOTIVE} (justifiée pour moitié)", rule=v.rule, amount=half))
        else:
            sc.add(Decision(v.ref, "reject", f"{EXAMPLE_MOTIVE} (aucune pièce nouvelle)", rule=v.rule))
    return sc
