"""The auditor's decisions applied (SPEC section 9): bound to their rows, then their effects.

:func:`bind` checks every decision against the input rows (a bad decision is an
:class:`~pexaudit.errors.InputError`, exit code 2, naming the decision); :func:`apply` returns
the rows after the decisions, a new frame (the rules' frame is never written into);
:func:`decision_findings` and :func:`procedure_findings` state DECISION and CONTRADICTOIRE.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from ..errors import InputError
from ..fmt import date_fr, eur
from ..inputs.convention import HORS_BUDGET, Convention
from ..inputs.decisions import DECISIONS, Decision, Decisions, LineNote, Procedure, same_file
from ..inputs.parsing import normalize_key
from ..inputs.readers import Table
from ..money import round_half_up
from ..vocabulary import decision_label
from .names import row_name
from .preview import fec_line_hint
from .registry import FAILING_RULES, RULES, Finding, finding

__all__ = ["Bound", "apply", "bind", "counted", "decision_findings", "eligible_share", "procedure_findings"]

_FORFAIT_REFS = {"forfait", "forfaitdegestion"}


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
    """Decisions checked against the input rows: ``rows`` maps row_id -> decision (file order);
    ``activity`` maps an activity row's row_id -> decision, its mission the matched code
    (:func:`pexaudit.core.decide_activity.bind_activity`)."""

    rows: dict[int, Decision]
    explanations: dict[str, str]  # budget line id -> the beneficiary's explanation
    activity: dict[int, Decision] = field(default_factory=dict)


def bind(
    decisions: Decisions, tables: dict[str, Table], convention: Convention, *, activity_file: str | None = None
) -> Bound:
    """Check every decision on a payroll or expense row (SPEC section 9's list of errors) and
    find its input row. ``activity_file`` (the activity file's name) only sharpens the message
    of a decision that names an action under ``rows:``."""
    indexed = [_Rows.of(t) for t in tables.values() if t.role in ("payroll", "expenses")] if decisions.rows else []
    bound: dict[int, Decision] = {}
    for decision in decisions.rows:
        check(decision)
        parts = _split_ref(decision.ref.strip())
        if activity_file and parts and same_file(parts[0], activity_file):
            raise decision.error(
                f"« {parts[0]} » est le fichier d'activité : une décision sur une action s'écrit sous activity: "
                "(accept avec mission, ou reject), pas sous rows:"
            )
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
    if decision.mission is not None:
        raise decision.error(
            f"mission « {decision.mission} » sans objet sur une ligne de paie ou de dépense : une mission ne se "
            "donne qu'à une action du compte rendu d'activité"
        )
    if decision.decision not in DECISIONS:
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


def _locate(
    decision: Decision, indexed: list[_Rows], convention: Convention, what: str = "aucune ligne d'entrée"
) -> tuple[_Rows, int]:
    """The table and position of the row a decision names; ``what`` begins the message of a ref
    that names none (« aucune ligne d'entrée », « aucune action du fichier d'activité »)."""
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
    in_file = [r for r in indexed if _same(r.table.file, file)]
    if not in_file:
        raise decision.error(f"{what} ne correspond : fichier « {file} » inconnu (fichiers lus : {known})")
    found = next((r for r in in_file if _same(r.table.sheet or "", sheet)), None)
    if found is None:
        raise decision.error(f"{what} ne correspond : feuille « {sheet} » ({known})")
    if not row.isdigit():
        raise decision.error(f"numéro de ligne « {row} » illisible : attendu le n° de ligne Excel ou CSV")
    number = int(row)
    if number not in found.index:
        raise decision.error(f"{what} ne correspond : {_why_not(found.table, number)}")
    return found, int(found.index.get_loc(number))


_same = same_file


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
    if hint := fec_line_hint(table, number):  # a FEC's 401 or bank line: name the charge line to cite
        return hint
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

DECIDED = ("amount", "eligible_amount", "rejected_rule", "rejected_amount", "share_rule", "share_amount")


def apply(convention: Convention, rows: pd.DataFrame, bound: dict[int, Decision]) -> pd.DataFrame:
    """The rows after decisions (SPEC 9): a new frame with ``decision`` (the :class:`Decision`
    or None) and ``rules_eligible`` (what the rules alone made eligible); the amounts and the
    booking of each decided row follow its decision, ``rules`` stays what the rules found."""
    decided = np.full(len(rows), None, dtype=object)
    columns: dict[str, np.ndarray] = {}
    if bound:
        columns = {name: rows[name].to_numpy(dtype=object).copy() for name in DECIDED}
        positions = pd.Index(rows["row_id"]).get_indexer(list(bound))
        keep = counted(convention, rows).to_numpy()
        for position, decision in zip(positions, bound.values(), strict=True):
            effect = _effect(decision, rows.iloc[position], bool(keep[position]))
            for name, value in zip(DECIDED, effect, strict=True):
                columns[name][position] = value
            decided[position] = decision
        for name in ("amount", "eligible_amount", "rejected_amount", "share_amount"):
            columns[name] = columns[name].astype("int64")
    return rows.assign(**columns, decision=decided, rules_eligible=rows["eligible_amount"])


def counted(convention: Convention, rows: pd.DataFrame) -> pd.Series:
    """Whether a row failing nothing counts: not a management expense under the flat rate."""
    if convention.management_costs.mode != "flat_rate":
        return pd.Series(True, index=rows.index)
    management = {b.line for b in convention.management_lines}
    return ~((rows["source"] == "expenses") & rows["line"].isin(management))


def eligible_share(cost: int, share: Fraction) -> int:
    """cost × allocation, rounded half-up to the cent (AFFECTATION keeps the rest)."""
    return cost if share == 1 else round_half_up(share * cost)


def _effect(decision: Decision, rec, counts: bool) -> tuple:
    """(amount, eligible_amount, rejected_rule, rejected_amount, share_rule, share_amount) of a decided row."""
    cost = int(rec["amount"])
    if decision.decision == "accept":
        cost = cost if decision.amount is None else decision.amount
        eligible = eligible_share(cost, rec["share"]) if counts else 0
        share = None if eligible == cost else ("AFFECTATION" if counts else "FORFAIT")
        return cost, eligible, None, 0, share, cost - eligible
    if decision.decision == "partial":
        # ``amount`` is the cost of a row failing no rule (SPEC 9): the allocation (or the flat
        # rate) takes its share of it; only the rest of the cost goes under the decision's rule.
        kept = decision.amount
        eligible = eligible_share(kept, rec["share"]) if counts else 0
        share = None if eligible == kept else ("AFFECTATION" if counts else "FORFAIT")
        return cost, eligible, decision.rule, cost - kept, share, kept - eligible
    if rec["rejected_rule"] is not None:  # a reject of a row the rules rejected: only the motive
        return tuple(rec[name] for name in DECIDED)
    return cost, 0, decision.rule, cost, None, 0


# --- findings -------------------------------------------------------------------------------


def _verb(decision: Decision, rec) -> str:
    """What the decision did, with its figures: « rejetée après examen au titre de PROJET (hors projet) »."""
    rules_rejected = rec.rejected_by_rules
    label = decision_label(decision.decision, rules_rejected)
    rule = f"{decision.rule} ({RULES[decision.rule].label})" if decision.rule else ""
    if decision.decision == "accept":
        read = f", au montant lu sur la pièce de {eur(decision.amount)}" if decision.amount is not None else ""
        return f"{label}{read}"
    if decision.decision == "partial":
        return (
            f"{label} : {eur(decision.amount)} retenus sur {eur(int(rec.amount))}, le reste écarté au titre de {rule}"
        )
    if rules_rejected:
        first = next(r for r in rec.rules if r in FAILING_RULES)
        return f"{label} (déjà écartée au titre de {first})"
    return f"{label} au titre de {rule}"


def decision_findings(rows: pd.DataFrame, bound: dict[int, Decision]) -> list[Finding]:
    """DECISION (info), one per decision in file order; amount = row eligible after − before."""
    if not bound:
        return []
    picked = rows.set_index("row_id", drop=False).loc[list(bound)]
    picked = picked.assign(rejected_by_rules=[any(r in FAILING_RULES for r in rules) for rules in picked["rules"]])
    found = []
    for decision, rec in zip(bound.values(), picked.itertuples(index=False), strict=True):
        before, after = int(rec.rules_eligible), int(rec.eligible_amount)
        when = f"décision du {date_fr(decision.date)} : " if decision.date else ""
        message = (
            f"{row_name(rec)} : {when}{_verb(decision, rec)} – motif : {decision.motive.rstrip().rstrip('.')} ; "
            f"éligible de la ligne {eur(before)} → {eur(after)} ({eur(after - before, signed=True)})"
        )
        found.append(finding("DECISION", message, after - before))
    return found


def procedure_findings(procedure: Procedure, balance: int, convention: Convention) -> list[Finding]:
    """CONTRADICTOIRE: a definitive reversement nobody was heard on (error); a late answer (warning)."""
    art = convention.art("contradictoire")
    found = []
    if procedure.phase == "definitif" and balance < 0 and procedure.observations_sent is None:
        found.append(
            finding(
                "CONTRADICTOIRE",
                f"phase définitive : reversement de {eur(-balance)} sans lettre d'observations préalable "
                f"(date d'envoi des observations absente) ; l'{art} ne permet le reversement qu'après examen des "
                "justificatifs présentés par le bénéficiaire et l'avoir entendu : envoyez d'abord la lettre "
                "d'observations (phase provisoire)",
                -balance,
                case="sans_observations",
            )
        )
    if procedure.late:
        late = (procedure.response_received - procedure.response_deadline).days
        found.append(
            finding(
                "CONTRADICTOIRE",
                f"réponse du bénéficiaire reçue le {date_fr(procedure.response_received)}, {late} jour(s) après "
                f"l'échéance du {date_fr(procedure.response_deadline)} (observations envoyées le "
                f"{date_fr(procedure.observations_sent)}, {procedure.response_days} jours pour répondre) : elle "
                f"est examinée néanmoins ({art})",
                case="reponse_tardive",
            )
        )
    return found
