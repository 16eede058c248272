"""The letter of the phase, ``courrier.docx`` (SPEC sections 9 and 12), rendered with docxtpl.

``provisoire``: the *lettre d'observations* (proposed settlement, every rejected row grouped by
rule with the reason in the beneficiary's words, budget gaps to explain, the points still to
examine, time to answer, article 9.1). ``definitif``: the notification of the final settlement
(decisions and motives, the rows that stay rejected, articles 9.1 and 9.3, *voies et délais de
recours*); while an error finding stands (verdict *à examiner*) it says what is still to be
examined and promises no payment.

The Word template is the document itself, with Jinja tags typed in it
(``templates/courrier.docx``, built by ``scripts/make_letter_template.py``): an administration
can put its letterhead and its own wording in Word without touching code. This module only lays
out the :class:`~pexaudit.model.Bilan` the report and the workbook render (the same rows, totals
and labels): every value is already a French string (``1 234,56 €``, ``31/12/2024``), every
absent value a visible blank such as ``[adresse à compléter]``, never ``None``.

No staff names: pay rows are named by matricule and month, the beneficiary's own identifier;
reasons are the registry's sentences in the beneficiary's words (never a rule code, a key of
convention.yaml or a bare line number) and the auditor's motives.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from docxtpl import DocxTemplate
from jinja2 import Environment, StrictUndefined

from ..core.registry import FINDINGS
from ..fmt import date_fr, eur, pct
from ..inputs.convention import HORS_BUDGET
from ..inputs.keys import ARTICLES
from ..model.bilan import Bilan, FindingView, RowView
from ..vocabulary import OUTCOMES, SHEETS

__all__ = [
    "ANNEX_LIMIT",
    "DEFAULT_ARTICLES",
    "INLINE_ROWS",
    "TEMPLATE",
    "LetterParties",
    "letter_context",
    "write_letter",
]

TEMPLATE = Path(__file__).resolve().parents[1] / "templates" / "courrier.docx"
# Article numbers of the seed convention; a convention numbering its articles otherwise says
# so in convention.yaml (`articles:`), and the letter quotes its own numbers.
DEFAULT_ARTICLES = MappingProxyType(ARTICLES)
# Up to this many rejected rows are listed in the body of the letter; beyond, in an annex
# table, up to ANNEX_LIMIT rows (then their count and total, and the workbook sheet).
INLINE_ROWS = 15
ANNEX_LIMIT = 500
WORKBOOK = "bilan_financier.xlsx"

# Visible blanks for what the convention does not say: the author fills them in Word.
BLANKS = {
    "administration_name": "[administration à compléter]",
    "service": "[service à compléter]",
    "administration_address": "[adresse à compléter]",
    "signatory": "[qualité du signataire à compléter]",
    "court": "[tribunal administratif à compléter]",
    "beneficiary_name": "[bénéficiaire à compléter]",
    "beneficiary_address": "[adresse à compléter]",
    "representative": "[représentant légal à compléter]",
    "siret": "[SIRET à compléter]",
    "convention_id": "[identifiant à compléter]",
    "title": "[intitulé à compléter]",
    "programme": "[programme à compléter]",
    "period_start": "[date à compléter]",
    "period_end": "[date à compléter]",
    "reference": "[numéro à compléter]",
    "date": "[date à compléter]",
    "amount": "[montant à compléter]",
}

# The letter's own wording of the outcome: in provisoire the amounts are proposed.
_OUTCOME_LABELS = {
    "provisoire": {
        "solde": "Solde proposé, à verser par l'État",
        "reversement": "Reversement proposé",
        "solde_nul": "Solde proposé (ni versement ni reversement)",
    },
    "definitif": {
        "solde": "Solde à verser par l'État",
        "reversement": "Montant à reverser à l'État",
        "solde_nul": "Subvention soldée (ni versement ni reversement)",
    },
    "a_examiner": {
        "solde": "Solde calculé, non arrêté (points à examiner)",
        "reversement": "Reversement calculé, non arrêté (points à examiner)",
        "solde_nul": "Solde calculé, non arrêté (points à examiner)",
    },
}


def _text(value: object) -> str | None:
    """A present value as stripped text; ``None`` for null, empty or blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    text = str(value).strip()
    return dt.date.fromisoformat(text) if text else None


@dataclass(frozen=True)
class LetterParties:
    """Who writes to whom about which convention: the letter's sender, addressee and references.

    Built from convention.yaml (:meth:`from_convention`): ``administration`` and
    ``beneficiary`` give the parties, the top-level keys the convention's references, and
    ``articles`` its own article numbers (missing keys keep :data:`DEFAULT_ARTICLES`). Functions,
    not persons: ``signatory`` is "Le Secrétaire général de la préfecture", not a name.
    """

    administration_name: str | None = None
    service: str | None = None
    administration_address: str | None = None  # lines separated by "\n"
    signatory: str | None = None
    court: str | None = None  # article 13: "tribunal administratif de Rennes"
    beneficiary_name: str | None = None
    beneficiary_address: str | None = None
    representative: str | None = None
    siret: str | None = None
    convention_id: str | None = None
    title: str | None = None
    programme: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    reference: str | None = None  # the convention's number
    signature_date: dt.date | None = None
    place: str | None = None  # "Rennes": the date line reads "Rennes, le ..."
    articles: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("period_start", "period_end", "signature_date"):
            object.__setattr__(self, name, _date(getattr(self, name)))
        given = {str(k): _text(v) for k, v in (self.articles or {}).items()}
        articles = {**DEFAULT_ARTICLES, **{k: v for k, v in given.items() if v}}
        object.__setattr__(self, "articles", MappingProxyType(articles))

    @classmethod
    def from_convention(cls, convention) -> LetterParties:
        """From a loaded :class:`~pexaudit.convention.Convention` (SPEC section 3)."""
        admin = convention.administration
        return cls(
            administration_name=admin.name,
            service=admin.service,
            administration_address=admin.address,
            signatory=admin.signatory,
            court=admin.court,
            beneficiary_name=convention.beneficiary_name,
            beneficiary_address=convention.beneficiary_address,
            representative=convention.beneficiary_representative,
            siret=convention.siret,
            convention_id=convention.id,
            title=convention.title,
            programme=convention.programme,
            period_start=convention.period_start,
            period_end=convention.period_end,
            reference=convention.reference,
            signature_date=convention.signature_date,
            articles=convention.articles,
        )

    def value(self, name: str) -> str:
        """The field as letter text, or its visible blank."""
        raw = getattr(self, name)
        if isinstance(raw, dt.date):
            return date_fr(raw)
        return _text(raw) or BLANKS[name]

    def lines(self, name: str) -> list[str]:
        """A multi-line field (an address) as its lines, or its blank as one line."""
        text = _text(getattr(self, name))
        lines = [line.strip() for line in text.splitlines() if line.strip()] if text else []
        return lines or [BLANKS[name]]


def _attention(who: str) -> str:
    """« À l'attention de » + a function: ``Le Président`` -> ``du Président``."""
    for article, contracted in (("Le ", "du "), ("La ", "de la "), ("Les ", "des "), ("L'", "de l'"), ("L’", "de l’")):
        if who.startswith(article):
            return contracted + who[len(article) :]
    return f"de {who}"


def _siret(text: str | None) -> str:
    """``22350001800013`` -> ``223 500 018 00013`` (SIREN by threes, then the NIC)."""
    if not text:
        return BLANKS["siret"]
    digits = text.replace(" ", "")
    if len(digits) == 14 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return text


NBSP = "\u00a0"


def _eur(cents: int | None, *, signed: bool = False) -> str:
    """``1 234,56 €`` with no-break spaces: an amount never splits across two lines of a letter."""
    return "—" if cents is None else eur(cents, signed=signed).replace(" ", NBSP)


def _pct(value) -> str:
    return pct(value).replace(" ", NBSP)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _line_label(row: RowView) -> str:
    return "Hors budget" if row.line == HORS_BUDGET else row.line_label


def _row_item(row: RowView) -> dict:
    """A rejected row as the beneficiary finds it in its own books, and why, in its words."""
    return {
        "name": row.letter_name,
        "where": row.where,  # as the report says it
        "line": _line_label(row),
        "amount": _eur(row.amount),
        "rejected": _eur(row.rejected),
        "reason": row.beneficiary_reason or "",
        "note": f"{row.decision_label} : {row.decision.motive.strip().rstrip('.')}" if row.decision else "",
        "decision": (row.decision_label or "").capitalize() or "—",
        "impact": "non chiffré" if row.impact is None else _eur(row.impact, signed=True),
    }


def _rejected(b: Bilan) -> dict:
    """Every rejected row, grouped by rule, in the body up to INLINE_ROWS rows, else in an annex
    (up to ANNEX_LIMIT rows; beyond, their count and total and the workbook sheet)."""
    rejected = b.rejected
    count = rejected.count
    groups = []
    listed = listed_total = 0
    for group in b.rejected_by_rule:
        take = max(0, min(group.count, ANNEX_LIMIT - listed))
        views = group.rows.views(take) if take else []
        listed += len(views)
        listed_total += sum(v.rejected for v in views)
        groups.append(
            {
                "label": group.label.capitalize(),
                "sentence": (group.beneficiary or group.label).capitalize(),
                "count_label": _plural(group.count, "dépense", "dépenses"),
                "total": _eur(group.amount),
                "rows": [_row_item(v) for v in views],
                "more": group.count - len(views),
            }
        )
    beyond = count - listed
    stake = b.stake
    return {
        "count": count,
        "count_label": _plural(count, "dépense", "dépenses"),
        "total": _eur(rejected.total),
        "groups": groups,
        "inline": 0 < count <= INLINE_ROWS,
        "annex": count > INLINE_ROWS,
        "beyond": beyond > 0,
        "beyond_label": _plural(beyond, "autre dépense", "autres dépenses"),
        "beyond_total": _eur(rejected.total - listed_total),
        "stake": BLANKS["amount"] if stake is None else _eur(stake),
        "stake_known": stake is not None,
        "workbook": WORKBOOK,
        "sheet": SHEETS["rejected"],
    }


def _gaps(b: Bilan) -> list[dict]:
    gaps = []
    for line in b.lines:
        if not line.alert:
            continue
        mine = line.explanation_source == "beneficiaire"
        gaps.append(
            {
                "label": line.label,
                "budget": _eur(line.budget),
                "declared": _eur(line.spent),
                "eligible": _eur(line.eligible),
                "variance": _eur(line.variance, signed=True),
                "variance_pct": _pct(line.variance_pct),
                "explanation": _text(line.explanation) or "[explication à fournir]",
                "source": "beneficiaire" if mine else "brouillon",
                "source_label": (
                    "Votre explication"
                    if mine
                    else "Projet d'explication établi à partir des seuls chiffres, à compléter ou corriger"
                ),
            }
        )
    return gaps


def _decisions(b: Bilan) -> list[dict]:
    """The decisions on payroll and expense rows, then those on the actions of the compte rendu
    d'activité: an action by its date and its mission as the beneficiary wrote it, never by its
    text (which may name a household); no amount."""
    rows = [
        {
            "name": d.row.letter_name,
            "where": d.row.location,
            "line": _line_label(d.row),
            "amount": _eur(d.row.amount),
            "retained": _eur(d.retained),
            "decision": d.label.capitalize(),
            "motive": d.decision.motive.strip(),
        }
        for d in b.decisions
    ]
    for d in b.activity_decisions:
        mission = f" au titre de la mission «{NBSP}{d.mission_label}{NBSP}»" if d.mission else ""
        rows.append(
            {
                "name": d.name.replace("« ", f"«{NBSP}").replace(" »", f"{NBSP}»"),
                "where": d.location,
                "line": "Compte rendu d'activité",
                "amount": "—",
                "retained": "—",
                "decision": f"{d.label.capitalize()}{mission}",
                "motive": d.decision.motive.strip(),
            }
        )
    return rows


def _points(b: Bilan) -> list[dict]:
    """The error findings the beneficiary can answer, one entry per rule, in its words."""
    by_rule: dict[str, list[FindingView]] = {}
    for f in b.answerable:
        by_rule.setdefault(f.rule, []).append(f)
    out = []
    for rule, found in by_rule.items():
        entry = FINDINGS[rule]
        sentence = entry.beneficiary or entry.meaning
        out.append(
            {
                "label": entry.label.capitalize(),
                "text": f"{sentence[0].upper()}{sentence[1:]}"
                + (f" ({_plural(len(found), 'cas', 'cas')})." if len(found) > 1 else "."),
                "details": _details(b, rule),
            }
        )
    return out


def _details(b: Bilan, rule: str) -> list[str]:
    """What the beneficiary recognises of a finding on its own files: for HORS_MISSION, each
    action by its date and the mission as it wrote it."""
    activity = b.audit.activity
    if rule != "HORS_MISSION" or activity is None:
        return []
    return [
        f"action du {date_fr(r.date)} rattachée à «{NBSP}{r.mission_text}{NBSP}»"
        for r in activity.rows
        if r.status == "hors_mission"
    ]


def _procedure(b: Bilan) -> dict:
    proc = b.procedure
    days = proc.response_days
    sent, deadline, received = proc.observations_sent, proc.response_deadline, proc.response_received
    return {
        "response_days": days,
        "response_days_label": _plural(days, "jour", "jours"),
        "observations_sent": date_fr(sent) if sent else BLANKS["date"],
        "sent_known": sent is not None,
        "deadline": date_fr(deadline) if deadline else BLANKS["date"],
        "deadline_known": deadline is not None,
        "answered": received is not None,
        "response_received": date_fr(received) if received else BLANKS["date"],
        "late": proc.late,
    }


def _previous(b: Bilan) -> dict | None:
    """What the earlier run (``--previous``) said, as a sentence: "la lettre d'observations proposait ..."."""
    previous = b.audit.previous
    if not previous or previous.get("outcome") not in OUTCOMES:
        return None
    from ..money import euros_to_cents

    amount = _eur(euros_to_cents(previous["amount"]))
    what = {
        "reversement": f"un reversement de {amount}",
        "solde": f"un solde de {amount} à vous verser",
        "solde_nul": "ni versement ni reversement",
    }[previous["outcome"]]
    if previous.get("phase") == "definitif":
        return {"text": f"la précédente notification fixait {what}", "amount": amount}
    return {"text": f"la lettre d'observations proposait {what}", "amount": amount}


def letter_context(b: Bilan, parties: LetterParties, *, enclosure: str = "rapport.html") -> dict:
    """The template's context: French strings and lists of them, nothing ``None``.

    ``enclosure`` is the report as it is sent (``rapport.pdf`` when one was made).
    """
    phase = b.phase
    provisoire = phase == "provisoire"
    blocked = b.headline.verdict == "a_examiner"
    h = b.headline
    art = dict(parties.articles)
    outcome = h.outcome
    proposed = " proposé" if provisoire else ""
    figures = [
        {"label": f"Subvention accordée (article {art['contribution']})", "value": _eur(h.granted)},
        {"label": "Dépenses déclarées", "value": _eur(h.declared - h.forfait)},
        *(
            [{"label": "Forfait de gestion (calculé sur le personnel retenu)", "value": _eur(h.forfait)}]
            if h.forfait
            else []
        ),
        {"label": f"Dépenses écartées ({_plural(b.rejected.count, 'dépense', 'dépenses')})", "value": _eur(h.rejected)},
        *(
            [
                {
                    "label": "Non retenu sans être écarté (quotité, forfait, plafond, dépassement)",
                    "value": _eur(h.not_retained - h.rejected),
                }
            ]
            if h.not_retained != h.rejected
            else []
        ),
        {"label": "Dépenses retenues" + (" (forfait compris)" if h.forfait else ""), "value": _eur(h.eligible)},
        {"label": "Taux de financement", "value": _pct(h.funding_rate * 100)},
        *[
            {"label": f"Autre financement de l'action : {funder}", "value": _eur(amount)}
            for funder, amount in h.funders
        ],
        *(
            [{"label": "Coût restant (dépenses retenues − autres financements)", "value": _eur(h.cap_cost)}]
            if h.cap_cost is not None
            else []
        ),
        {
            "label": f"Montant justifié{proposed} (taux × dépenses retenues, dans la limite de la subvention"
            + (" et du coût restant)" if h.cap_cost is not None else ")"),
            "value": _eur(h.justified),
        },
        {"label": f"Montant versé (article {art['versement']})", "value": _eur(h.paid)},
    ]
    procedure = _procedure(b)
    if provisoire:
        subject = "Contrôle de l'emploi de la subvention – lettre d'observations (procédure contradictoire)"
        date = procedure["observations_sent"]
    elif blocked:
        subject = "Contrôle de l'emploi de la subvention – points restant à examiner avant l'arrêté du solde"
        date = BLANKS["date"]
    else:
        subject = "Contrôle de l'emploi de la subvention – notification du solde définitif" + (
            " et ordre de reversement" if outcome == "reversement" else ""
        )
        date = BLANKS["date"]
    place = _text(parties.place)
    labels = _OUTCOME_LABELS["a_examiner" if blocked and not provisoire else phase]
    return {
        "phase": phase,
        "provisoire": provisoire,
        "definitif": not provisoire,
        "blocked": blocked,
        "notify": not provisoire and not blocked,
        "subject": subject,
        "date_line": f"{place}, le {date}" if place else f"Le {date}",
        "art": art,
        "administration": {
            "name": parties.value("administration_name"),
            "service": parties.value("service"),
            "address_lines": parties.lines("administration_address"),
            "address": ", ".join(parties.lines("administration_address")),
            "signatory": parties.value("signatory"),
            "court": parties.value("court"),
        },
        "beneficiary": {
            "name": parties.value("beneficiary_name"),
            "address_lines": parties.lines("beneficiary_address"),
            "representative": parties.value("representative"),
            "attention": _attention(parties.value("representative")),
            "siret": _siret(_text(parties.siret)),
        },
        "convention": {
            "id": parties.value("convention_id"),
            "title": parties.value("title"),
            "programme": parties.value("programme"),
            "start": parties.value("period_start"),
            "end": parties.value("period_end"),
            "reference": parties.value("reference"),
            "signed": f"signée le {date_fr(parties.signature_date)}" if parties.signature_date else "",
        },
        "figures": figures,
        "settlement": {
            "outcome": outcome,
            "label": labels[outcome],
            "amount": _eur(h.amount),
            "justified": _eur(h.justified),
            "paid": _eur(h.paid),
        },
        "reversement": outcome == "reversement",
        "solde": outcome == "solde",
        "solde_nul": outcome == "solde_nul",
        "rejected": _rejected(b),
        "points": _points(b),
        "gaps": _gaps(b),
        "decisions": _decisions(b),
        "decisions_heading": "Dépense ou action" if b.activity_decisions else "Dépense",
        "procedure": procedure,
        "previous": _previous(b),
        "enclosure": enclosure,
        "report_kind": "rapport provisoire" if provisoire else "rapport définitif",
    }


def _environment() -> Environment:
    # Autoescape: a label such as "Dépôt & frais <2024>" stays text in the document XML.
    # StrictUndefined: a tag mistyped in Word fails loudly instead of printing nothing.
    return Environment(autoescape=True, undefined=StrictUndefined)


def write_letter(
    b: Bilan,
    parties: LetterParties,
    path: Path,
    template: Path | None = None,
    *,
    enclosure: str = "rapport.html",
) -> None:
    """Render ``courrier.docx`` for the phase of ``b`` at ``path``.

    ``template`` is a .docx holding Jinja tags (docxtpl syntax); the default is the bundled
    ``templates/courrier.docx``. The file is written whole or not at all.
    """
    path = Path(path)
    document = DocxTemplate(str(template or TEMPLATE))
    document.render(letter_context(b, parties, enclosure=enclosure), _environment(), autoescape=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".courrier-", suffix=".docx", dir=path.parent)
    os.close(fd)
    try:
        document.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; readable like the other outputs
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
