"""One home per rule and finding: code, article-4 criterion, French label and meaning, what to
do, severity, where it is evaluated, and (row rules) the sentence that says why a row fails.

The report, the workbook, the command line and the user guide read this table; GX suites and
Python functions do the evaluating (``where`` names them). Thresholds quoted in messages are
constants here, so a message never repeats a literal of the code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .fmt import date_fr, month_fr

__all__ = [
    "FAILING_RULES",
    "FINDINGS",
    "MASSIVE_SHARE",
    "RAISONNABLE_MONTH_FACTOR",
    "RAISONNABLE_ROW_SHARE",
    "RULES",
    "RULE_ORDER",
    "SIGNATURE_PAYMENT_DAYS",
    "Entry",
    "entry",
]

# RAISONNABLE (SPEC 5): a month above 1,5 × the person's median month; a management row above
# 20 % of the management budget. VERSEMENT_DELAI (SPEC 6): fifteen days after signature (art. 6).
RAISONNABLE_MONTH_FACTOR = Fraction(3, 2)
RAISONNABLE_ROW_SHARE = Fraction(1, 5)
SIGNATURE_PAYMENT_DAYS = 15
# REJET_MASSIF (SPEC 6): more than this share of a line's declared cost under one rule.
MASSIVE_SHARE = Fraction(1, 2)

SEVERITY_LABELS = {"error": "bloquant", "warning": "alerte", "info": "information"}


@dataclass(frozen=True)
class Entry:
    code: str
    kind: str  # "ligne" (a row rule), "agrégat" (after the rows), "constat" (a finding)
    label: str  # short French label
    meaning: str  # French: what it means
    action: str  # French: what to do
    where: str  # where it is evaluated: a GX suite or a Python function
    criterion: str | None = None  # article-4 criterion (row and aggregate rules)
    severity: str | None = None  # findings: error / warning / info, or "error / warning"
    reason: Callable | None = None  # row rules: (column, value, rec, raw, convention) -> str


def _n(value: Fraction) -> str:
    """``Fraction(3, 2)`` as ``1,5``."""
    return f"{float(value):g}".replace(".", ",")


def _period(convention) -> str:
    return f"{date_fr(convention.period_start)} – {date_fr(convention.period_end)}"


def _format(column, value, rec, raw, convention) -> str:
    return f"{column} {'absent' if raw is None else f'illisible « {raw} »'}"


def _doublon(column, value, rec, raw, convention) -> str:
    return f"répète la ligne {rec.get('dup_first')} du même fichier"


def _piece(column, value, rec, raw, convention) -> str:
    return "n° de pièce absent" if column == "piece" else "fournisseur absent"


def _periode(column, value, rec, raw, convention) -> str:
    if column == "date":
        return f"date {date_fr(value)} hors de la période {_period(convention)}"
    month = rec["periode"]
    end = rec.get("month_end")
    if month > convention.period_end or (end is not None and end < convention.period_start):
        return f"mois {month_fr(month)} hors de la période {_period(convention)}"
    start, stop = rec.get("staff_start"), rec.get("staff_end")
    return f"mois {month_fr(month)} hors de l'emploi de l'agent ({date_fr(start)} – {date_fr(stop)})"


def _paiement(column, value, rec, raw, convention) -> str:
    if column == "date_paiement_given":
        return "date de paiement absente"
    return f"payé le {date_fr(value)}, après la date limite du {date_fr(convention.payment_deadline)}"


def _payeur(column, value, rec, raw, convention) -> str:
    return f"payé par « {rec.get('payeur')} », pas par le bénéficiaire"


def _projet(column, value, rec, raw, convention) -> str:
    if column == "matricule_key":
        return "agent absent de la liste du personnel affecté au projet (staff)"
    return f"code analytique « {rec.get('code_analytique')} » hors projet"


def _nature(column, value, rec, raw, convention) -> str:
    if rec.get("line") == "hors_budget":
        ligne = rec.get("ligne")
        if not ligne:
            compte = rec.get("compte")
            return f"compte « {compte} » sans ligne budgétaire" if compte else "ligne budgétaire absente"
        return f"ligne « {ligne} » absente du budget"
    return f"ligne « {rec.get('line')} » : pas une ligne de coûts de gestion"


_SUITES = "expectations/payroll.json, expectations/expenses.json"
_ROW = "ligne"

_ENTRIES = [
    Entry("FORMAT", _ROW, "montant, date ou mois absent ou illisible",
          "un montant, une date ou le mois ne peut pas être lu : la ligne ne peut pas être contrôlée",
          "corrigez la valeur dans le fichier (la cellule fautive est citée) ; un montant écrit « 1 2O4,00 » "
          "contient une lettre", _SUITES, "Identifiables et contrôlables", reason=_format),
    Entry("DOUBLON", _ROW, "ligne en double",
          "la ligne répète une ligne précédente (mêmes valeurs lues) : seule la première est retenue",
          "vérifiez que la pièce n'a pas été saisie ou exportée deux fois", _SUITES,
          "Identifiables et contrôlables", reason=_doublon),
    Entry("PIECE", _ROW, "pièce ou fournisseur absent",
          "la dépense n'a pas de n° de pièce ou pas de fournisseur : elle n'est pas identifiable",
          "demandez la pièce justificative (mandat, facture)", "expectations/expenses.json",
          "Identifiables et contrôlables", reason=_piece),
    Entry("PERIODE", _ROW, "hors période",
          "la dépense ou le mois payé est hors de la période de la convention, ou hors de l'emploi de l'agent",
          "vérifiez period, staff.start et staff.end, et la date ou le mois de la ligne", _SUITES,
          "Engendrés pendant la réalisation du projet", reason=_periode),
    Entry("PAIEMENT", _ROW, "paiement absent ou tardif",
          "la dépense n'a pas été payée, ou l'a été après la date limite (rules.payment_deadline)",
          "demandez la preuve du paiement (date de mandatement, relevé)", "expectations/expenses.json",
          "Dépensés par le bénéficiaire", reason=_paiement),
    Entry("PAYEUR", _ROW, "payé par un tiers",
          "la colonne payeur ne désigne ni le SIRET ni le nom du bénéficiaire",
          "vérifiez qui a payé ; un autre organisme ne peut pas justifier la subvention",
          "expectations/expenses.json", "Dépensés par le bénéficiaire", reason=_payeur),
    Entry("PROJET", _ROW, "hors projet",
          "paie : agent absent de staff ; dépense : code analytique hors de rules.project_codes",
          "vérifiez les matricules de staff et les codes analytiques du projet", _SUITES,
          "Liés à l'objet du projet", reason=_projet),
    Entry("NATURE", _ROW, "nature non prévue au budget de gestion",
          "la dépense n'est pas imputée sur une ligne de coûts de gestion du budget (annexe 2)",
          "vérifiez la colonne ligne ou le mapping inputs.accounts ; le personnel ne se justifie que par la paie",
          "expectations/expenses.json", "Nécessaires, prévus au budget", reason=_nature),
    Entry("AFFECTATION", "agrégat", "quote-part non affectée au projet",
          "la part du coût d'un agent qui excède sa quotité (staff.allocation) : ce n'est pas une anomalie",
          "rien, si la quotité de la convention est la bonne", "pexaudit.rules._outcomes",
          "Liés à l'objet du projet"),
    Entry("FORFAIT", "agrégat", "remplacé par le forfait de gestion",
          "en mode forfait, les coûts de gestion réels sont remplacés par le forfait : ce n'est pas un rejet",
          "rien ; le forfait est une ligne calculée", "pexaudit.rules.apply_management", "Coûts de gestion forfaitaires"),
    Entry("PLAFOND_GESTION", "agrégat", "coûts de gestion au-delà du plafond",
          "les coûts de gestion éligibles dépassent cap_rate × personnel éligible : l'excédent est écarté",
          "rien, sauf si le plafond de la convention est autre", "pexaudit.rules.management_cap", "Raisonnables"),
    # --- findings (SPEC 6, 9, 10, 11), in the order of the contract's tables -----------------
    Entry("SIRET", "constat", "SIRET invalide", "le SIRET n'a pas 14 chiffres ou sa clé (Luhn) est fausse",
          "corrigez beneficiary.siret (entre guillemets)", "pexaudit.findings.siret_findings", severity="error"),
    Entry("IBAN", "constat", "IBAN invalide", "l'IBAN ne respecte pas la norme ISO 13616 (longueur, format, clé)",
          "demandez un RIB au bénéficiaire", "pexaudit.findings.bank_findings", severity="error"),
    Entry("BIC", "constat", "BIC invalide", "le BIC n'a pas 8 ou 11 caractères au format ISO 9362",
          "vérifiez beneficiary.bank.bic", "pexaudit.findings.bank_findings", severity="warning"),
    Entry("RIB", "constat", "RIB incohérent",
          "un champ du RIB a une longueur fausse, la clé RIB est fausse, ou le RIB ne concorde pas avec l'IBAN",
          "comparez au RIB du bénéficiaire ; le message dit si un zéro de tête en trop explique l'écart",
          "pexaudit.findings.bank_findings", severity="warning"),
    Entry("BILAN_DELAI", "constat", "bilan remis en retard",
          "report_submitted_date est après report_due_date", "appréciez les suites (la convention peut prévoir "
          "la suppression de la subvention)", "pexaudit.findings._deadlines", severity="error"),
    Entry("DDETS", "constat", "validation DDETS", "prise de poste avant la validation DDETS (bloquant) ou date "
          "de validation absente (alerte)", "obtenez la validation ou renseignez ddets_validation_date",
          "pexaudit.findings._staff", severity="error / warning"),
    Entry("ECART", "constat", "écart budgétaire", "l'éligible d'une ligne s'écarte du budget de plus de "
          "variance_alert_pct : une explication est due", "demandez l'explication (compte rendu financier)",
          "pexaudit.findings._lines", severity="warning"),
    Entry("RAISONNABLE", "constat", "montant inhabituel",
          f"un mois de paie au-delà de {_n(RAISONNABLE_MONTH_FACTOR)} fois la médiane des mois de l'agent, ou une "
          f"dépense de gestion au-delà de {_n(RAISONNABLE_ROW_SHARE * 100)} % du budget de gestion (aucun rejet)", "vérifiez la pièce (prime, rappel, achat important)",
          "pexaudit.rules.raisonnable", severity="warning"),
    Entry("VERSEMENT_DELAI", "constat", "versement tardif",
          f"un versement après sa date due, ou le premier versement plus de {SIGNATURE_PAYMENT_DAYS} jours après la "
          "signature",
          "information : le retard est celui de l'État", "pexaudit.findings._payments", severity="info"),
    Entry("PAIEMENT_NON_CONTROLE", "constat", "paiement non contrôlé",
          "le fichier des dépenses n'a pas de colonne date de paiement : la règle PAIEMENT n'est pas appliquée",
          "demandez un export avec la date de paiement", "pexaudit.findings._rejections", severity="warning"),
    Entry("REJETS", "constat", "dépenses écartées", "une règle a écarté des lignes : nombre et montant",
          "lisez le tableau des dépenses écartées", "pexaudit.findings._rejections", severity="warning"),
    Entry("MATRICULE", "constat", "matricules à vérifier",
          "un agent de staff n'a aucune ligne de paie alors que des lignes portent des matricules inconnus : "
          "probablement un matricule mal écrit", "comparez staff.employee_id aux matricules de la paie",
          "pexaudit.findings._safety_nets", severity="warning"),
    Entry("REJET_MASSIF", "constat", "rejet massif",
          f"plus de {_n(MASSIVE_SHARE * 100)} % du coût déclaré d'une ligne est écarté par une seule règle : un problème de "
          "correspondance (colonnes, codes, dates) est probable", "relisez le message : il dit quoi vérifier",
          "pexaudit.findings._safety_nets", severity="warning"),
    Entry("TOTAL", "constat", "ligne de total discordante",
          "une ligne de total ou de sous-total d'un fichier ne correspond pas à la somme de ses lignes",
          "vérifiez que l'export est complet", "pexaudit.findings._totals", severity="warning"),
    Entry("DECISION", "constat", "décision du contrôleur", "une décision prise sur une ligne, avec son motif "
          "et son effet", "information", "pexaudit.decisions", severity="info"),
    Entry("CONTRADICTOIRE", "constat", "procédure contradictoire",
          "un reversement définitif sans lettre d'observations (bloquant), ou une réponse reçue après le délai "
          "(alerte)", "envoyez la lettre d'observations avant de notifier", "pexaudit.decisions",
          severity="error / warning"),
    Entry("ACTIVITE_ABSENTE", "constat", "compte rendu d'activité absent",
          "des missions sont déclarées mais aucun fichier d'activité n'est fourni",
          "demandez le compte rendu qualitatif (inputs.activity)", "pexaudit.activity", severity="warning"),
    Entry("HORS_MISSION", "constat", "action hors mission", "une action ne relève d'aucune mission déclarée : "
          "le poste ne peut exercer d'autre fonction", "demandez des explications au bénéficiaire",
          "pexaudit.activity", severity="error"),
    Entry("MISSION_NON_REALISEE", "constat", "mission non réalisée", "une mission déclarée n'a aucune action "
          "retenue", "demandez des explications (exécution partielle)", "pexaudit.activity", severity="warning"),
    Entry("INDICATEUR", "constat", "indicateur en retard", "un indicateur est sous sa cible au-delà du seuil "
          "indicator_alert_pct", "demandez des explications", "pexaudit.activity", severity="warning"),
    Entry("ACTIVITE_SANS_AGENT", "constat", "activité sans agent", "des actions sont déclarées un mois sans "
          "coût de personnel éligible : qui a agi ?", "vérifiez les dates d'emploi et la paie",
          "pexaudit.activity", severity="warning"),
    Entry("ACTIVITE_ILLISIBLE", "constat", "action illisible ou hors période", "une ligne d'activité ne peut "
          "pas être lue ou est hors période", "corrigez la ligne citée", "pexaudit.activity", severity="warning"),
    Entry("FEC_EQUILIBRE", "constat", "écritures déséquilibrées", "des écritures du FEC ont un débit différent "
          "du crédit", "demandez un export complet du FEC", "pexaudit.analytics", severity="error"),
    Entry("FEC_FORMAT", "constat", "FEC non conforme", "des lignes du FEC ont un champ obligatoire absent ou "
          "une date ou un montant illisible", "demandez un FEC conforme (article A. 47 A-1 du LPF)",
          "pexaudit.analytics", severity="error"),
    Entry("FEC_DATES", "constat", "validation avant écriture", "des lignes ont une date de validation "
          "antérieure à la date d'écriture", "interrogez le bénéficiaire sur sa procédure de validation",
          "pexaudit.analytics", severity="warning"),
    Entry("FEC_ECRITURE", "constat", "écriture datée de plusieurs jours",
          "les lignes d'une même écriture (journal et numéro) portent des dates d'écriture différentes : une "
          "écriture n'a qu'une date", "demandez au bénéficiaire si le logiciel réutilise les numéros d'écriture "
          "(deux écritures sous un même numéro) ou si l'écriture a été modifiée après coup",
          "pexaudit.analytics", severity="warning"),
    Entry("DOUBLON_PROBABLE", "constat", "facture probablement payée deux fois",
          "des dépenses retenues du même fournisseur et du même montant, à 7 jours au plus d'intervalle, sous deux "
          "numéros de pièce (ou, dans un FEC, la même pièce à deux dates) : une même facture payée ou saisie deux "
          "fois ? Rien n'est rejeté", "comparez les pièces ; rejetez le doublon par une décision (decisions.yaml : "
          "le constat donne les références des lignes), ou acceptez les lignes si ce sont deux dépenses",
          "pexaudit.books.doublon_probable", severity="warning"),
    Entry("HORS_CORRESPONDANCE", "constat", "dépenses du projet sur des comptes non associés",
          "des lignes de charges (classe 6) du FEC portent les mots du projet (inputs.fec.label_contains) sur des "
          "comptes qu'inputs.accounts n'associe à aucune ligne budgétaire : elles ne sont pas dans les dépenses",
          "si ce sont des coûts du projet, ajoutez leurs comptes à inputs.accounts (le constat donne le montant par "
          "compte) ; sinon rien", "pexaudit.books.hors_correspondance", severity="info"),
    Entry("PAIE_COMPTA", "constat", "paie déclarée supérieure aux livres",
          "le coût de la paie déclarée pour les mois de la période dépasse les charges de personnel (comptes 64) "
          "du FEC sur ces mêmes mois", "demandez le rapprochement de la paie et de la comptabilité (journal de paie, "
          "DSN) ; une paie plus élevée que les livres n'est pas justifiée", "pexaudit.books.paie_compta",
          severity="warning"),
    Entry("SUBVENTION_COMPTA", "constat", "subvention non retrouvée dans les livres",
          "les comptes d'inputs.fec.subsidy_accounts ne portent ni le montant accordé (subvention comptée à la "
          "notification) ni les versements de l'exercice du FEC (comptée à l'encaissement)",
          "demandez comment la subvention a été comptabilisée (compte, date, produit constaté d'avance)",
          "pexaudit.books.subvention_compta", severity="warning"),
]  # fmt: skip

RULES: dict[str, Entry] = {e.code: e for e in _ENTRIES if e.kind != "constat"}
FINDINGS: dict[str, Entry] = {e.code: e for e in _ENTRIES if e.kind == "constat"}
FAILING_RULES = tuple(code for code, e in RULES.items() if e.kind == "ligne")
RULE_ORDER = tuple(RULES)


def entry(code: str) -> Entry:
    return RULES.get(code) or FINDINGS[code]
