"""The canonical columns of every input file (SPEC sections 4, 10): one home for readers,
convention.yaml validation (``inputs.columns`` targets) and the user guide's tables.

Headers match after :func:`pexaudit.parsing.normalize_key` (case, accents, spaces,
underscores, hyphens and apostrophes ignored), through the canonical name, the aliases below,
and the convention's ``inputs.columns`` mapping (header as written -> canonical name), which
wins over the aliases.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIELDS", "IDENTIFIERS", "Column", "canonical_names"]


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    kind: str  # "text" | "amount" | "date" | "month" | "date_or_month" | "number"
    aliases: tuple[str, ...]
    meaning: str  # French, for the user guide
    condition: str = ""  # French: when a required column may be absent


def _c(name, required, kind, aliases, meaning, condition=""):
    return name, Column(name, required, kind, tuple(aliases), meaning, condition)


FIELDS: dict[str, dict[str, Column]] = {
    "payroll": dict([
        _c("matricule", True, "text", ("matricule", "id agent", "identifiant agent", "employee id", "n° agent",
                                       "numéro agent", "code agent", "matricule agent"),
           "identifiant de l'agent, rapproché de staff.employee_id (zéros de tête ignorés)"),
        _c("nom", False, "text", ("nom", "nom prénom", "nom et prénom", "agent", "nom agent", "salarié", "employé",
                                  "name"),
           "nom de l'agent ; jamais affiché dans le rapport HTML"),
        _c("periode", True, "month", ("période", "mois", "mois de paie", "période de paie", "mois paie", "month",
                                      "date de paie", "mois payé"),
           "mois payé (03/2024, 2024-03, mars 2024 ou une date)"),
        _c("brut", True, "amount", ("brut", "salaire brut", "brut total", "rémunération brute", "montant brut",
                                    "traitement brut", "gross"),
           "salaire brut du mois"),
        _c("charges_patronales", True, "amount", ("charges patronales", "cotisations patronales",
                                                  "charges employeur", "cotisations employeur", "part patronale",
                                                  "charges sociales patronales"),
           "cotisations à la charge de l'employeur"),
        _c("autres_couts", False, "amount", ("autres coûts", "autres charges", "autres frais",
                                             "autres coûts employeur"),
           "autres coûts employeur (titres-restaurant, mobilité) ; colonne absente ou cellule vide : 0"),
        _c("code_analytique", False, "text", ("code analytique", "analytique", "code projet", "axe analytique"),
           "code analytique (information)"),
    ]),
    "expenses": dict([
        _c("piece", True, "text", ("pièce", "n° pièce", "numéro de pièce", "référence pièce", "réf pièce",
                                   "référence", "n° mandat", "numéro de mandat", "mandat", "n° facture",
                                   "numéro de facture", "facture", "pieceref"),
           "référence de la pièce : n° de mandat ou de facture (la colonne est obligatoire, une cellule vide est "
           "un rejet PIECE)"),
        _c("date", True, "date", ("date", "date pièce", "date facture", "date service fait", "date de la pièce",
                                  "date de facture", "piecedate"),
           "date à laquelle la dépense a été engagée (service fait, date de facture)"),
        _c("date_paiement", False, "date", ("date paiement", "date de paiement", "date règlement",
                                            "date de règlement", "date de mandatement", "date mandatement",
                                            "date payé"),
           "date de paiement ; colonne absente : règle PAIEMENT non appliquée (alerte)"),
        _c("fournisseur", True, "text", ("fournisseur", "tiers", "prestataire", "créancier", "nom fournisseur",
                                         "raison sociale"),
           "fournisseur (la colonne est obligatoire, une cellule vide est un rejet PIECE)"),
        _c("libelle", False, "text", ("libellé", "objet", "désignation", "description", "ecriturelib"),
           "libellé de la dépense"),
        _c("compte", False, "text", ("compte", "compte nature", "imputation", "comptenum", "n° compte",
                                     "compte comptable"),
           "compte (M57 ou PCG) ; avec inputs.accounts, donne la ligne budgétaire"),
        _c("ligne", True, "text", ("ligne", "ligne budgétaire", "ligne budget", "poste", "poste budgétaire",
                                   "budget line"),
           "identifiant de la ligne budgétaire (gestion...)",
           "facultative quand inputs.accounts associe les comptes aux lignes"),
        _c("montant", True, "amount", ("montant", "montant ttc", "montant imputé", "montant pris en charge",
                                       "amount", "montant €"),
           "montant imputé ; négatif pour un avoir",
           "remplacée par les deux colonnes debit et credit d'un grand livre"),
        _c("debit", False, "amount", ("débit", "montant débit", "debit"),
           "débit d'un grand livre : montant = débit − crédit (cellule vide : 0)"),
        _c("credit", False, "amount", ("crédit", "montant crédit", "credit"),
           "crédit d'un grand livre (cellule vide : 0)"),
        _c("payeur", False, "text", ("payeur", "payé par", "organisme payeur", "payer"),
           "SIRET ou nom de celui qui a payé ; doit être le bénéficiaire"),
        _c("code_analytique", False, "text", ("code analytique", "analytique", "code projet", "axe analytique"),
           "code analytique ; présent, il doit être l'un des rules.project_codes"),
    ]),
    "activity": dict([
        _c("date", True, "date_or_month", ("date", "date de l'action", "jour", "mois", "date action"),
           "date de l'action (un mois comme « mars 2024 » vaut son premier jour)"),
        _c("mission", True, "text", ("mission", "axe", "axe de mission", "mission article 2"),
           "code ou intitulé d'une mission déclarée dans missions"),
        _c("action", True, "text", ("action", "actions", "description", "libellé", "objet", "intitulé"),
           "ce qui a été fait (texte repris dans le classeur seulement)"),
        _c("indicateur", False, "text", ("indicateur", "code indicateur", "indicator"),
           "code d'un indicateur déclaré ; la ligne compte alors valeur pour cet indicateur"),
        _c("valeur", False, "number", ("valeur", "quantité", "nombre", "value"),
           "valeur comptée pour l'indicateur (1 par défaut)"),
        _c("participants", False, "number", ("participants", "personnes", "nombre de participants",
                                             "personnes touchées", "public touché"),
           "nombre de personnes touchées"),
    ]),
}  # fmt: skip

# Text columns that are identifiers: their written form matters (a numeric Excel cell with a
# zero-padded number format is read as displayed).
IDENTIFIERS = frozenset({"matricule", "code_analytique", "piece", "compte", "payeur", "indicateur"})


def canonical_names() -> frozenset[str]:
    """Every canonical column name, the targets allowed in ``inputs.columns``."""
    return frozenset(name for spec in FIELDS.values() for name in spec)
