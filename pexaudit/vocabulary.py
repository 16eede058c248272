"""Every French word a user reads for a code of the audit, in one place.

results.json speaks in codes (``reversement``, ``a_examiner``, ``partial``); the report, the
workbook, the letter, the notebook and the command line print these labels. A label changed
here changes in every document at once, so two documents never name one thing two ways.
"""

from __future__ import annotations

import re

__all__ = [
    "ACCOUNT_CLASSES",
    "DECISION_LABELS",
    "DECISION_VERBS",
    "DECISION_WORDS",
    "KINDS",
    "LIST_ITEMS",
    "NATURES",
    "OUTCOMES",
    "OUTCOMES_PROPOSED",
    "PAYMENT_SOURCES",
    "PHASES",
    "PROCEDURE_LABELS",
    "ROLES",
    "SEVERITIES",
    "SHEETS",
    "VERDICTS",
    "decision_label",
    "ordinal",
    "payment_text",
    "report_title",
    "spoken_key",
]

VERDICTS = {"conforme": "Conforme", "reversement": "Reversement à émettre", "a_examiner": "À examiner"}
OUTCOMES = {"solde": "Solde à verser", "reversement": "Ordre de reversement", "solde_nul": "Soldé"}
# Before the contradictory procedure ends, amounts are proposed (article 9.1).
OUTCOMES_PROPOSED = {
    "solde": "Solde à verser proposé",
    "reversement": "Ordre de reversement proposé",
    "solde_nul": "Soldé (proposé)",
}
SEVERITIES = {"error": "bloquant", "warning": "alerte", "info": "information"}
PHASES = {"provisoire": "provisoire", "definitif": "définitif"}

# A decision as the auditor writes it (workbook drop-down; any of DECISION_WORDS is read).
DECISION_VERBS = {"accept": "accepter", "reject": "rejeter", "partial": "partiel"}
# Words read for a decision, compared as headers are (case and accents ignored).
DECISION_WORDS = {
    "accept": "accept", "accepter": "accept", "acceptee": "accept", "accepte": "accept",
    "reject": "reject", "rejeter": "reject", "rejetee": "reject", "rejete": "reject",
    "partial": "partial", "partiel": "partial", "partielle": "partial",
}  # fmt: skip
# What a decision did to its row: a reject of a row the rules had already rejected only
# confirms it; of a row they had retained, it rejects it.
DECISION_LABELS = {
    "accept": "admise après examen",
    "reject": "rejetée après examen",
    "confirmed": "rejet confirmé",
    "partial": "retenue en partie",
}


def decision_label(decision: str, rejected_by_rules: bool) -> str:
    """The label of a decision on a row (``rejected_by_rules``: the rules had rejected it in full)."""
    if decision == "reject" and rejected_by_rules:
        return DECISION_LABELS["confirmed"]
    return DECISION_LABELS[decision]


KINDS = {"personnel": "personnel", "management": "coûts de gestion", "direct": "coûts directs", None: "hors budget"}
ROLES = {
    "convention": "Convention", "payroll": "Paie", "expenses": "Dépenses", "activity": "Activité",
    "decisions": "Décisions",
}  # fmt: skip
NATURES = {"payroll": "paie", "expenses": "dépense", "forfait": "forfait"}
# Where a FEC row's payment date comes from (results.json ``rows[].payment.source``, SPEC 11).
PAYMENT_SOURCES = {"banque": "banque", "comptant": "comptant", "lettrage": "date de lettrage"}
ACCOUNT_CLASSES = {
    "60": "60 Achats", "61": "61 Services extérieurs", "62": "62 Autres services extérieurs",
    "63": "63 Impôts et taxes", "64": "64 Charges de personnel",
    "65": "65 Autres charges de gestion courante", "66": "66 Charges financières",
    "67": "67 Charges exceptionnelles", "68": "68 Dotations",
}  # fmt: skip
PROCEDURE_LABELS = {
    "phase": "phase",
    "auditor": "contrôleur",
    "observations_sent": "observations envoyées le",
    "response_days": "délai de réponse (jours)",
    "response_received": "réponse reçue le",
}
# The workbook's sheets, in tab order (decisions.xlsx reads three of them back).
SHEETS = {
    "synthese": "Synthèse",
    "budget": "Budget",
    "personnel": "Personnel",
    "gestion": "Gestion",
    "rejected": "Dépenses écartées",
    "shares": "Quotes-parts",
    "findings": "Constats",
    "trail": "Traçabilité",
    "activity": "Activité",
    "analytics": "Analyse du grand livre",
    "decisions": "Décisions",
    "procedure": "Procédure",
    "explanations": "Explications",
}


def payment_text(source: str | None, day: str | None, journal: str | None, entry: str | None) -> str:
    """How a FEC row was paid, in words (``day`` already a French date): « payée le 05/05/2025 par
    l'écriture BQ 123 (banque) »; no source: « aucun paiement trouvé … »."""
    if source is None or day is None:
        return "aucun paiement trouvé (ni banque, ni caisse, ni lettrage daté)"
    where = f"{journal or ''} {entry or ''}".strip()
    if source == "lettrage":
        return f"payée le {day} selon le lettrage de l'écriture {where} (date de lettrage, sans écriture de banque)"
    return f"payée le {day} par l'écriture {where} ({PAYMENT_SOURCES.get(source, source)})"


def report_title(phase: str) -> str:
    """The report's title by phase of the contradictory procedure."""
    return "Rapport provisoire — procédure contradictoire" if phase == "provisoire" else "Rapport définitif"


# A list item as people count it (« staff, 2e agent », never ``staff[1]``, which counts from 0):
# the noun of the items of each list of convention.yaml and decisions.yaml, by the list's path
# (``[]`` for the items of an outer list), and whether the noun is feminine (1re, not 1er).
LIST_ITEMS = {
    "staff": ("agent", False),
    "budget": ("ligne", True),
    "subsidy.payments": ("versement", False),
    "subsidy.other_funding": ("financeur", False),
    "rules.project_codes": ("code", False),
    "rules.excluded": ("exclusion", True),
    "rules.excluded[].accounts": ("compte", False),
    "rules.excluded[].label_contains": ("mot", False),
    "inputs.fec.journals": ("journal", False),
    "inputs.fec.label_contains": ("texte", False),
    "inputs.fec.subsidy_accounts": ("compte", False),
    "missions": ("mission", True),
    "missions[].aliases": ("alias", False),
    "indicators": ("indicateur", False),
    "rows": ("décision", True),  # decisions.yaml
    "lines": ("explication", True),
    "activity": ("décision", True),
}
_TOKEN = re.compile(r"\[(\d+)\]|[^.\[\]]+")


def ordinal(n: int, feminine: bool = False) -> str:
    """``1er`` / ``1re``, ``2e``, ``3e``…: French ordinals as numerals."""
    if n == 1:
        return "1re" if feminine else "1er"
    return f"{n}e"


def spoken_key(path: str) -> str:
    """A key path as people count list items: ``staff[1].allocation`` is « staff, 2e agent,
    allocation », ``subsidy.payments[0]`` « subsidy.payments, 1er versement »."""
    if "[" not in path:
        return path
    parts: list[str] = []
    names: list[str] = []  # the dotted names since the last list item
    generic = ""  # the path with "[]" for items, to find each list's noun
    for match in _TOKEN.finditer(path):
        if match.group(1) is None:
            names.append(match.group(0))
            generic = f"{generic}.{match.group(0)}" if generic else match.group(0)
            continue
        noun, feminine = LIST_ITEMS.get(generic, ("élément", False))
        parts += [".".join(names)] if names else []
        parts.append(f"{ordinal(int(match.group(1)) + 1, feminine)} {noun}")
        names = []
        generic += "[]"
    if names:
        parts.append(".".join(names))
    return ", ".join(parts)
