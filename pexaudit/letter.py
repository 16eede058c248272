"""The letter of the phase, ``courrier.docx`` (SPEC section 9), rendered with docxtpl.

``provisoire``: the *lettre d'observations* (proposed settlement, rejected rows with their
reasons and stakes, budget gaps to explain, time to answer, article 9.1). ``definitif``: the
notification of the final settlement (decisions and motives, articles 9.1 and 9.3, *voies et
délais de recours*).

The Word template is the document itself, with Jinja tags typed in it
(``templates/courrier.docx``, built by ``scripts/make_letter_template.py``): an administration
can put its letterhead and its own wording in Word without touching code. This module only
builds the context: every value is already a French string (``1 234,56 €``, ``31/12/2024``),
and every absent value is a visible blank such as ``[adresse à compléter]``, never ``None``.

No staff names: the context is built from an allow-list of results.json fields (row lineage,
budget line, amounts, rules, the tool's reasons, the auditor's motives); a name carried by any
other field never reaches the letter, and a PAYEUR reason, which quotes the payer as written,
is replaced by its generic wording.
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

from .convention import HORS_BUDGET
from .fmt import OUTCOMES, date_fr, eur, pct
from .keys import ARTICLES
from .money import euros_to_cents
from .registry import FAILING_RULES, RULES

__all__ = ["DEFAULT_ARTICLES", "MAX_ROWS", "TEMPLATE", "LetterParties", "letter_context", "write_letter"]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "courrier.docx"
# Article numbers of the seed convention; a convention numbering its articles otherwise says
# so in convention.yaml (`articles:`), and the letter quotes its own numbers.
DEFAULT_ARTICLES = MappingProxyType(ARTICLES)
# A letter stays readable: the rows with the largest stakes, then a pointer to the workbook,
# which lists every rejected row.
MAX_ROWS = 15
WORKBOOK = "bilan_financier.xlsx"
WORKBOOK_SHEET = "Dépenses écartées"
DEFAULT_RESPONSE_DAYS = 30

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

# In provisoire the amounts are proposed (SPEC section 9).
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
}
_DECISIONS = {"accept": "Admise", "reject": "Écartée", "partial": "Admise en partie"}
_NATURES = {"payroll": "paie", "expenses": "dépense"}


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
    line_labels: Mapping[str, str] = field(default_factory=dict)  # budget line id -> label
    articles: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("period_start", "period_end", "signature_date"):
            object.__setattr__(self, name, _date(getattr(self, name)))
        given = {str(k): _text(v) for k, v in (self.articles or {}).items()}
        articles = {**DEFAULT_ARTICLES, **{k: v for k, v in given.items() if v}}
        object.__setattr__(self, "articles", MappingProxyType(articles))
        labels = {str(k): str(v) for k, v in (self.line_labels or {}).items() if _text(v)}
        object.__setattr__(self, "line_labels", MappingProxyType(labels))

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
            line_labels={b.line: b.label for b in convention.budget},
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

    def line_label(self, line: str) -> str:
        if line in self.line_labels:
            return self.line_labels[line]
        return "Hors budget" if line == HORS_BUDGET else line


def _siret(text: str | None) -> str:
    """``22350001800013`` -> ``223 500 018 00013`` (SIREN by threes, then the NIC)."""
    if not text:
        return BLANKS["siret"]
    digits = text.replace(" ", "")
    if len(digits) == 14 and digits.isdigit():
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return text


NBSP = "\u00a0"


def _eur(euros: float | None, *, signed: bool = False) -> str:
    """``1 234,56 €`` with no-break spaces: an amount never splits across two lines of a letter."""
    return "—" if euros is None else _cents(euros_to_cents(euros), signed=signed)


def _cents(cents: int, *, signed: bool = False) -> str:
    return eur(cents, signed=signed).replace(" ", NBSP)


def _pct(value: float | None) -> str:
    return pct(value).replace(" ", NBSP)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _ref(row: Mapping) -> str:
    """Where the beneficiary finds the row in its own file: ``depenses.xlsx, Mandats 2024, ligne 12``."""
    parts = [_text(row.get("file")) or "fichier inconnu"]
    if _text(row.get("sheet")):
        parts.append(str(row["sheet"]).strip())
    if row.get("row") is not None:
        parts.append(f"ligne {row['row']}")
    return ", ".join(parts)


def _rule_label(rule: str | None) -> str:
    entry = RULES.get(rule or "")
    return entry.label if entry else (rule or "")


def _safe_reason(reason: str) -> str:
    # A PAYEUR reason quotes the payer as written in the ledger, possibly a person.
    if reason.startswith("payé par «"):
        return "le payeur indiqué n'est pas le bénéficiaire"
    return reason


def _failing(row: Mapping) -> list[str]:
    return [rule for rule in row.get("rules") or [] if rule in FAILING_RULES]


def _is_rejected(row: Mapping) -> bool:
    """After decisions: a row failing a rule without an ``accept``, or a ``reject`` / ``partial``."""
    if row.get("source") == "forfait":
        return False
    decision = row.get("decision")
    if decision:
        return decision.get("decision") in ("reject", "partial")
    return bool(_failing(row))


def _motive(row: Mapping) -> str:
    """Why the row is not (fully) retained: the decision's rule and motive, else the rules' reasons."""
    decision = row.get("decision")
    if decision and decision.get("decision") in ("reject", "partial"):
        rule = decision.get("rule") or next(iter(_failing(row)), None)
        head = _rule_label(rule).capitalize()
        return f"{head} – {decision['motive']}" if head else str(decision["motive"])
    rules = _failing(row)
    head = ", ".join(_rule_label(rule) for rule in rules).capitalize()
    reasons = list(dict.fromkeys(_safe_reason(str(r)) for r in row.get("reasons") or [] if _text(r)))
    return f"{head} – {' ; '.join(reasons)}" if reasons else head


def _rejected_item(row: Mapping, parties: LetterParties) -> dict:
    amount, eligible = row.get("amount") or 0.0, row.get("eligible_amount") or 0.0
    impact = row.get("impact")
    return {
        "ref": _ref(row),
        "nature": _NATURES.get(row.get("source"), ""),
        "line": parties.line_label(row.get("line") or ""),
        "amount": _eur(amount),
        "rejected": _eur(round(amount - eligible, 2)),
        "motive": _motive(row),
        "impact": "non chiffré" if impact is None else _eur(impact, signed=True),
    }


def _rejected(rows: list[Mapping], settlement: Mapping, parties: LetterParties, max_rows: int) -> dict:
    """Rejected rows by stake (impact, largest first; unread amounts last), capped to ``max_rows``."""
    ranked = sorted(
        enumerate(rows),
        key=lambda pair: (
            pair[1].get("impact") is None,
            -(pair[1].get("impact") or 0.0),
            -((pair[1].get("amount") or 0.0) - (pair[1].get("eligible_amount") or 0.0)),
            pair[0],
        ),
    )
    shown = [_rejected_item(row, parties) for _, row in ranked[:max_rows]]
    total = sum(euros_to_cents(r.get("amount") or 0.0) - euros_to_cents(r.get("eligible_amount") or 0.0) for r in rows)
    # The joint stake: max_balance - balance (the cap on the granted amount applies once); without
    # it, the sum of the rows' own stakes; unknown when results carry neither.
    impacts = [euros_to_cents(r["impact"]) for r in rows if r.get("impact") is not None]
    if settlement.get("max_balance") is not None:
        stake = euros_to_cents(settlement["max_balance"]) - euros_to_cents(settlement.get("balance") or 0.0)
    else:
        stake = sum(impacts) if impacts else None
    return {
        "count": len(rows),
        "count_label": _plural(len(rows), "dépense", "dépenses"),
        "rows": shown,
        "shown": len(shown),
        "capped": len(rows) > len(shown),
        "more": len(rows) - len(shown),
        "total": _cents(total),
        "stake": BLANKS["amount"] if stake is None else _cents(stake),
        "stake_known": stake is not None,
        "workbook": WORKBOOK,
        "sheet": WORKBOOK_SHEET,
    }


def _gaps(lines: list[Mapping], parties: LetterParties, forfaits: Mapping[str, int]) -> list[dict]:
    gaps = []
    for line in lines:
        if not line.get("alert"):
            continue
        source = line.get("explanation_source")
        gaps.append(
            {
                "label": parties.line_label(line.get("line") or ""),
                "budget": _eur(line.get("budget")),
                "declared": _cents(euros_to_cents(line.get("declared") or 0) - forfaits.get(line.get("line"), 0)),
                "eligible": _eur(line.get("eligible")),
                "variance": _eur(line.get("variance"), signed=True),
                "variance_pct": _pct(line.get("variance_pct")),
                "explanation": _text(line.get("explanation")) or "[explication à fournir]",
                "source": "beneficiaire" if source == "beneficiaire" else "brouillon",
                "source_label": (
                    "Votre explication"
                    if source == "beneficiaire"
                    else "Projet d'explication établi à partir des seuls chiffres, à compléter ou corriger"
                ),
            }
        )
    return gaps


def _decisions(rows: list[Mapping], parties: LetterParties) -> list[dict]:
    out = []
    for row in rows:
        decision = row.get("decision")
        if not decision:
            continue
        kind = decision.get("decision")
        if kind == "accept":
            retained = decision.get("amount") if decision.get("amount") is not None else row.get("amount")
        elif kind == "partial":
            retained = decision.get("amount")
        else:
            retained = 0.0
        label = _DECISIONS.get(kind, kind)
        if kind in ("reject", "partial") and decision.get("rule"):
            label = f"{label} ({_rule_label(decision['rule'])})"
        out.append(
            {
                "ref": _ref(row),
                "line": parties.line_label(row.get("line") or ""),
                "amount": _eur(row.get("amount")),
                "retained": _eur(retained),
                "decision": label,
                "motive": str(decision.get("motive") or "").strip(),
            }
        )
    return out


def _procedure(results: Mapping, phase: str) -> dict:
    proc = results.get("procedure") or {}
    days = proc.get("response_days")
    days = DEFAULT_RESPONSE_DAYS if days is None else int(days)
    sent = _date(proc.get("observations_sent"))
    deadline = _date(proc.get("response_deadline")) or (sent + dt.timedelta(days=days) if sent else None)
    received = _date(proc.get("response_received"))
    return {
        "response_days": days,
        "response_days_label": _plural(days, "jour", "jours"),
        "observations_sent": date_fr(sent) if sent else BLANKS["date"],
        "sent_known": sent is not None,
        "deadline": date_fr(deadline) if deadline else BLANKS["date"],
        "deadline_known": deadline is not None,
        "answered": received is not None,
        "response_received": date_fr(received) if received else BLANKS["date"],
        "late": bool(received and deadline and received > deadline),
    }


def _previous(results: Mapping) -> dict | None:
    """What the earlier run (``--previous``) said, as a sentence: "la lettre d'observations proposait ..."."""
    previous = results.get("previous")
    if not previous or previous.get("outcome") not in OUTCOMES:
        return None
    amount = _eur(previous.get("amount"))
    what = {
        "reversement": f"un reversement de {amount}",
        "solde": f"un solde de {amount} à vous verser",
        "solde_nul": "ni versement ni reversement",
    }[previous["outcome"]]
    if previous.get("phase") == "definitif":
        return {"text": f"la précédente notification fixait {what}", "amount": amount}
    return {"text": f"la lettre d'observations proposait {what}", "amount": amount}


def letter_context(results: Mapping, parties: LetterParties, *, max_rows: int = MAX_ROWS) -> dict:
    """The template's context: French strings and lists of them, nothing ``None``."""
    phase = (results.get("procedure") or {}).get("phase") or "provisoire"
    if phase not in _OUTCOME_LABELS:
        raise ValueError(f"unknown phase {phase!r}")
    provisoire = phase == "provisoire"
    s = results["settlement"]
    totals = results.get("totals") or {}
    art = dict(parties.articles)
    outcome = s["outcome"]
    rows = [row for row in results.get("rows") or [] if _is_rejected(row)]
    # The flat rate is computed, not declared: the beneficiary's declared spending is the rest.
    forfaits: dict[str, int] = {}
    for row in results.get("rows") or []:
        if row.get("source") == "forfait":
            forfaits[row["line"]] = forfaits.get(row["line"], 0) + euros_to_cents(row["amount"])
    forfait = sum(forfaits.values())
    procedure = _procedure(results, phase)
    proposed = " proposé" if provisoire else ""
    figures = [
        {"label": f"Subvention accordée (article {art['contribution']})", "value": _eur(s["granted"])},
        {"label": "Dépenses déclarées", "value": _cents(euros_to_cents(totals.get("declared") or 0) - forfait)},
        *(
            [{"label": "Forfait de gestion (calculé sur le personnel retenu)", "value": _cents(forfait)}]
            if forfait
            else []
        ),
        {
            "label": "Dépenses retenues" + (" (forfait compris)" if forfait else ""),
            "value": _eur(totals.get("eligible")),
        },
        {"label": "Taux de financement", "value": _pct(float(s["funding_rate"]) * 100)},
        {
            "label": f"Montant justifié{proposed} (taux × dépenses retenues, dans la limite de la subvention)",
            "value": _eur(s["justified"]),
        },
        {"label": f"Montant versé (article {art['versement']})", "value": _eur(s["paid"])},
    ]
    if provisoire:
        subject = "Contrôle de l'emploi de la subvention – lettre d'observations (procédure contradictoire)"
        date = procedure["observations_sent"]
    else:
        subject = "Contrôle de l'emploi de la subvention – notification du solde définitif" + (
            " et ordre de reversement" if outcome == "reversement" else ""
        )
        date = BLANKS["date"]
    place = _text(parties.place)
    maintained = [row for row in rows if not row.get("decision")]
    return {
        "phase": phase,
        "provisoire": provisoire,
        "definitif": not provisoire,
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
            "label": _OUTCOME_LABELS[phase][outcome],
            "amount": _eur(s["amount"]),
            "justified": _eur(s["justified"]),
            "paid": _eur(s["paid"]),
        },
        "reversement": outcome == "reversement",
        "solde": outcome == "solde",
        "solde_nul": outcome == "solde_nul",
        "rejected": _rejected(rows, s, parties, max_rows),
        "maintained": _rejected(maintained, {}, parties, max_rows),
        "gaps": _gaps(results.get("lines") or [], parties, forfaits),
        "decisions": _decisions(results.get("rows") or [], parties),
        "procedure": procedure,
        "previous": _previous(results),
    }


def _environment() -> Environment:
    # Autoescape: a label such as "Dépôt & frais <2024>" stays text in the document XML.
    # StrictUndefined: a tag mistyped in Word fails loudly instead of printing nothing.
    return Environment(autoescape=True, undefined=StrictUndefined)


def write_letter(
    results: Mapping,
    parties: LetterParties,
    path: Path,
    template: Path | None = None,
    *,
    max_rows: int = MAX_ROWS,
) -> None:
    """Render ``courrier.docx`` for the phase of ``results`` (SPEC section 9) at ``path``.

    ``template`` is a .docx holding Jinja tags (docxtpl syntax); the default is the bundled
    ``templates/courrier.docx``. The file is written whole or not at all.
    """
    path = Path(path)
    document = DocxTemplate(str(template or TEMPLATE))
    document.render(letter_context(results, parties, max_rows=max_rows), _environment(), autoescape=True)
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
