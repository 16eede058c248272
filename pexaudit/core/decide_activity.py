"""The auditor's decisions on the rows of the activity file (SPEC section 10, with section 9).

An action read on a mission outside article 2 may be one of article 2's under another name: an
``accept`` with ``mission`` makes it ``retenue`` for that mission. Any action may be set aside:
a ``reject`` makes it ``ecartee`` (it counts nowhere and raises no finding but DECISION).

:func:`bind_activity` checks what a decision says by itself and finds its row (no GX: ``check``
runs it); :func:`apply_activity` needs the classification: it refuses an ``accept`` on a row
that is not ``hors_mission`` and returns a new :class:`~pexaudit.core.activity.ActivityResult`
with the decided statuses, missions and reasons, recounted (the classified result is never
written into); :func:`activity_decision_findings` states one DECISION per decision (amount null).
Every refusal is an :class:`~pexaudit.errors.InputError` (exit code 2) naming the decision.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from ..fmt import date_fr
from ..inputs.convention import Convention
from ..inputs.decisions import Decision
from ..inputs.parsing import normalize_key
from ..inputs.readers import Table
from ..vocabulary import DECISION_VERBS, decision_label
from .activity import DECIDED_STATUS, STATUS_LABELS, ActivityResult, ActivityRow, action_name, mission_index, tally
from .activity import where as row_place
from .decide import _locate, _Rows
from .registry import Finding, finding

__all__ = ["ACTIVITY_DECISIONS", "activity_decision_findings", "apply_activity", "bind_activity", "check_activity"]

ACTIVITY_DECISIONS = ("accept", "reject")
_WORDS = f"accept (avec mission) ou reject ({DECISION_VERBS['accept']} ou {DECISION_VERBS['reject']})"


def _declared(convention: Convention) -> str:
    return ", ".join(f"{m.code} ({m.label})" for m in convention.missions)


def check_activity(decision: Decision, convention: Convention) -> str | None:
    """What a decision on an action must say by itself; returns the code of its mission (None
    for a reject)."""
    if decision.decision not in ACTIVITY_DECISIONS:
        if decision.decision == "partial":
            raise decision.error(
                f"retenue partielle impossible sur une action du compte rendu d'activité : attendu {_WORDS}"
            )
        raise decision.error(f"décision inconnue « {decision.decision} » sur une action : attendu {_WORDS}")
    if not decision.motive.strip():
        raise decision.error("motif absent ou vide : toute décision est motivée (elle est notifiée au bénéficiaire)")
    if decision.rule is not None:
        raise decision.error(
            f"règle « {decision.rule} » sans objet sur une action du compte rendu d'activité : les règles d'éligibilité "
            "portent sur la paie et les dépenses"
        )
    if decision.amount is not None:
        raise decision.error("montant sans objet sur une action du compte rendu d'activité")
    if decision.decision == "reject":
        if decision.mission is not None:
            raise decision.error(
                f"mission « {decision.mission} » sans objet sur un rejet : l'action écartée garde la mission avec "
                "laquelle elle a été lue ; retirez la mission"
            )
        return None
    if decision.mission is None or not decision.mission.strip():
        raise decision.error(
            "mission absente : l'acceptation d'une action hors mission dit à quelle mission de "
            f"l'{convention.art('missions')} elle se rattache (mission : {_declared(convention)})"
        )
    code = mission_index(convention).get(normalize_key(decision.mission))
    if code is None:
        raise decision.error(
            f"mission « {decision.mission} » inconnue : attendu le code, l'intitulé ou un alias d'une mission "
            f"déclarée dans convention.yaml ({_declared(convention)})"
        )
    return code


def bind_activity(decisions: Sequence[Decision], table: Table | None, convention: Convention) -> dict[int, Decision]:
    """Check every decision on an activity row and find its row: activity row_id -> decision,
    in file order, its ``mission`` the matched code."""
    if not decisions:
        return {}
    first = decisions[0]
    if not convention.missions:
        raise first.error(
            "la convention ne déclare pas de missions (missions de convention.yaml) : le compte rendu d'activité "
            "n'est pas contrôlé, ses lignes ne peuvent pas faire l'objet d'une décision"
        )
    if table is None:
        raise first.error(
            "aucun fichier d'activité (inputs.activity de convention.yaml) : aucune action ne peut faire l'objet "
            "d'une décision"
        )
    indexed = [_Rows.of(table)]
    bound: dict[int, Decision] = {}
    for decision in decisions:
        code = check_activity(decision, convention)
        found, position = _locate(decision, indexed, convention, "aucune action du fichier d'activité")
        row_id = int(found.table.frame["row_id"].iat[position])
        if row_id in bound:
            first_row = bound[row_id].place.row
            where = f" (première décision ligne {first_row})" if first_row else ""
            raise decision.error(f"deux décisions sur la même action{where} : gardez-en une seule")
        bound[row_id] = decision if decision.mission == code else dataclasses.replace(decision, mission=code)
    return bound


def _refuse_accept(decision: Decision, row: ActivityRow, convention: Convention) -> None:
    """An accept on a row that is not ``hors_mission`` (SPEC 10: exit 2, naming the decision)."""
    if row.status == "retenue":
        raise decision.error(
            f"acceptation sans objet : l'{action_name(row)} est déjà retenue (mission {row.mission}) ; seule une "
            "action hors mission se rattache à une mission par une décision (pour l'écarter : reject)"
        )
    raise decision.error(
        f"acceptation impossible : l'{action_name(row)} n'est pas hors mission mais {STATUS_LABELS[row.status]} "
        f"({row.reason}) ; une décision ne rattache à une mission de l'{convention.art('missions')} qu'une action "
        "hors mission : corrigez le fichier d'activité, ou écartez l'action (reject)"
    )


def apply_activity(
    convention: Convention, result: ActivityResult | None, bound: dict[int, Decision]
) -> ActivityResult | None:
    """The activity after the auditor's decisions: a new result, its rows decided, its missions
    and indicators recounted; ``result`` is left as classified."""
    if result is None or not bound:
        return result
    by_id = {r.row_id: r for r in result.rows}
    for row_id, decision in bound.items():  # refused in the decisions' file order
        if decision.decision == "accept" and by_id[row_id].status != "hors_mission":
            _refuse_accept(decision, by_id[row_id], convention)
    rows = tuple(_decided(row, bound.get(row.row_id)) for row in result.rows)
    decided = tally(convention, rows, present=result.present)
    return dataclasses.replace(
        decided, file=result.file, sheet=result.sheet, header_row=result.header_row, evaluated=list(result.evaluated)
    )


def _decided(row: ActivityRow, decision: Decision | None) -> ActivityRow:
    if decision is None:
        return row
    if decision.decision == "accept":
        return dataclasses.replace(
            row, status="retenue", mission=decision.mission, reason=None, faults=(), decision=decision, before=row
        )
    # The report shows the decision beside the status: no fault to add (the motive is the reason).
    return dataclasses.replace(
        row, status=DECIDED_STATUS, reason=decision.motive.strip(), faults=(), decision=decision, before=row
    )


def activity_decision_findings(
    convention: Convention, result: ActivityResult | None, bound: dict[int, Decision]
) -> list[Finding]:
    """DECISION (info), one per decision on an action, in the decisions' file order, with a null
    amount: the action named by its date, its mission as written and its file and line."""
    if result is None or not bound:
        return []
    by_id = {r.row_id: r for r in result.rows}
    labels = {m.code: m.label for m in convention.missions}
    found = []
    for row_id, decision in bound.items():
        row = by_id[row_id]
        before = row.before or row
        label = decision_label(decision.decision, before.status != "retenue")
        if decision.decision == "accept":
            what = (
                f"{label} au titre de la mission « {labels[decision.mission]} » ({decision.mission}, "
                f"{convention.art('missions')})"
            )
        else:
            what = label
        when = f"décision du {date_fr(decision.date)} : " if decision.date else ""
        change = f"{STATUS_LABELS[before.status]} → {STATUS_LABELS[row.status]}"
        found.append(
            finding(
                "DECISION",
                f"{row_place(row)} : {action_name(row)} : {when}{what} – motif : "
                f"{decision.motive.strip().rstrip('.')} ; action {change}",
            )
        )
    return found
