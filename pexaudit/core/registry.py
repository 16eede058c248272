"""One home per rule and finding: code, article-4 criterion, French label and meaning, what to
do, severity, where it is evaluated, and (row rules) the sentence that says why a row fails.

The registry governs: a finding exists only through :func:`finding`, which takes its severity
from the rule's entry (per case where a rule has two, as DDETS and CONTRADICTOIRE do); what
varies per rule (the reason builder, the REJET_MASSIF hint, the beneficiary's wording) lives in
the entry. The report, the workbook, the letter, the command line and the user guide read this
table; GX suites and Python steps do the evaluating. Thresholds quoted in messages are
constants here, so a message never repeats a literal of the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from ..fmt import date_fr, month_fr

__all__ = [
    "FAILING_RULES",
    "FINDINGS",
    "MASSIVE_SHARE",
    "RAISONNABLE_MONTH_FACTOR",
    "RAISONNABLE_ROW_SHARE",
    "RULES",
    "RULE_ORDER",
    "SEVERITIES",
    "SIGNATURE_PAYMENT_DAYS",
    "STATUSES",
    "Entry",
    "Finding",
    "entry",
    "finding",
]

# RAISONNABLE (SPEC 5): a month above 1,5 × the person's median month; a management row above
# 20 % of the management budget. VERSEMENT_DELAI (SPEC 6): by default fifteen days after signature
# (art. 6; rules.first_payment_days).
RAISONNABLE_MONTH_FACTOR = Fraction(3, 2)
RAISONNABLE_ROW_SHARE = Fraction(1, 5)
SIGNATURE_PAYMENT_DAYS = 15
# REJET_MASSIF (SPEC 6): more than this share of a line's declared cost under one rule.
MASSIVE_SHARE = Fraction(1, 2)

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Entry:
    code: str
    kind: str  # "ligne" (a row rule), "agrégat" (after the rows), "constat" (a finding)
    label: str  # short French label
    meaning: str  # French: what it means
    action: str  # French: what to do
    where: str  # French: where it is evaluated (a GX suite, a step of the audit), for the guide
    criterion: str | None = None  # article-4 criterion (row and aggregate rules)
    severity: str | None = None  # findings: error / warning / info
    cases: Mapping[str, str] = field(default_factory=dict)  # findings with two severities: case -> severity
    reason: Callable | None = None  # row rules: (column, value, rec, raw, convention) -> str
    hint: str | None = None  # failing rules: what to check when one rule rejects most of a line
    beneficiary: str | None = None  # failing rules: why a row is rejected, in the beneficiary's words
    keys: Mapping[str, Callable] = field(default_factory=dict)  # DOUBLON: table kind -> key columns of a frame

    @property
    def severity_text(self) -> str:
        """``error``, or ``error / warning`` for a rule whose severity depends on the case."""
        return " / ".join(dict.fromkeys(self.cases.values())) if self.cases else (self.severity or "")


@dataclass(frozen=True)
class Finding:
    """A finding is data: its rule, severity, a French message, an amount in cents, the rows it
    names (``file!sheet!row``). Build one with :func:`finding`, never by hand."""

    rule: str
    severity: str
    message: str
    amount: int | None = None  # cents
    refs: tuple[str, ...] = ()


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


def _text_key(column):
    return column.str.strip().str.casefold()


# DOUBLON compares parsed values (SPEC 5); FEC rows add the date (SPEC 11: software writes
# « sans » or a journal code as PieceRef, so two equal postage bills of different months are not
# a duplicate; an invoice booked twice is).
_DUPLICATE_KEYS = {
    "payroll": lambda f: [f["matricule_key"], f["periode"], f["brut"], f["charges_patronales"], f["autres_couts"]],
    "expenses": lambda f: [_text_key(f["piece"]), _text_key(f["fournisseur"]), f["montant"]],
    "fec": lambda f: [_text_key(f["piece"]), _text_key(f["fournisseur"]), f["montant"], f["date"]],
}


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
    return f"ligne « {rec.get('line')} » : le personnel ne se justifie que par la paie, pas par une dépense"


def _exclue(column, value, rec, raw, convention) -> str:
    found = convention.exclusion(rec.get("compte") or "", rec.get("libelle") or "")
    return f"exclue par la convention : {found.motive}" if found else "exclue par la convention"


_SUITES = "suites GX expectations/payroll.json et expectations/expenses.json"
_ROW = "ligne"

_ENTRIES = [
    Entry("FORMAT", _ROW, "montant, date ou mois absent ou illisible",
          "un montant, une date ou le mois ne peut pas être lu : la ligne ne peut pas être contrôlée",
          "corrigez la valeur dans le fichier (la cellule fautive est citée) ; un montant écrit « 1 2O4,00 » "
          "contient une lettre", _SUITES, "Identifiables et contrôlables", reason=_format,
          hint="le format des montants et des dates, et les colonnes reconnues (pexaudit check)",
          beneficiary="le montant, la date ou le mois de cette dépense ne peut pas être lu dans le fichier transmis"),
    Entry("DOUBLON", _ROW, "ligne en double",
          "la ligne répète une ligne précédente (mêmes valeurs lues) : seule la première est retenue",
          "vérifiez que la pièce n'a pas été saisie ou exportée deux fois", _SUITES,
          "Identifiables et contrôlables", reason=_doublon, keys=_DUPLICATE_KEYS,
          hint="que le fichier n'a pas été exporté ou concaténé deux fois",
          beneficiary="cette dépense figure deux fois dans le fichier transmis : elle n'est retenue qu'une fois"),
    Entry("PIECE", _ROW, "pièce ou fournisseur absent",
          "la dépense n'a pas de n° de pièce ou pas de fournisseur : elle n'est pas identifiable",
          "demandez la pièce justificative (mandat, facture)", "suite GX expectations/expenses.json",
          "Identifiables et contrôlables", reason=_piece,
          hint="que les colonnes pièce et fournisseur sont bien reconnues (pexaudit check, inputs.columns)",
          beneficiary="cette dépense n'a pas de numéro de pièce ou de fournisseur : elle ne peut pas être rattachée à un justificatif"),
    Entry("PERIODE", _ROW, "hors période",
          "la dépense ou le mois payé est hors de la période de la convention, ou hors de l'emploi de l'agent",
          "vérifiez period, staff.start et staff.end, et la date ou le mois de la ligne", _SUITES,
          "Engendrés pendant la réalisation du projet", reason=_periode,
          hint="period, staff.start et staff.end, que les dates sont lues dans le bon sens (jour/mois) et que la bonne feuille du classeur est lue (inputs.sheets)",
          beneficiary="cette dépense a été engagée hors de la période de la convention ou de la période d'emploi de l'agent"),
    Entry("PAIEMENT", _ROW, "paiement absent ou tardif",
          "la dépense n'a pas été payée, ou l'a été après la date limite (rules.payment_deadline)",
          "demandez la preuve du paiement (date de mandatement, relevé)", "suite GX expectations/expenses.json",
          "Dépensés par le bénéficiaire", reason=_paiement,
          hint="la colonne date de paiement et rules.payment_deadline",
          beneficiary="le paiement de cette dépense avant la date limite n'est pas établi"),
    Entry("PAYEUR", _ROW, "payé par un tiers",
          "la colonne payeur ne désigne ni le SIRET ni le nom du bénéficiaire",
          "vérifiez qui a payé ; un autre organisme ne peut pas justifier la subvention",
          "suite GX expectations/expenses.json", "Dépensés par le bénéficiaire", reason=_payeur,
          hint="beneficiary.name et beneficiary.siret, et la colonne payeur",
          beneficiary="cette dépense n'a pas été payée par votre organisme"),
    Entry("PROJET", _ROW, "hors projet",
          "paie : agent absent de staff ; dépense : code analytique hors de rules.project_codes",
          "vérifiez les matricules de staff et les codes analytiques du projet", _SUITES,
          "Liés à l'objet du projet", reason=_projet,
          hint="les matricules de staff (zéros de tête, format des cellules) et rules.project_codes",
          beneficiary="cette dépense n'est pas rattachée au projet financé (agent non affecté au poste, ou code analytique d'un autre projet)"),
    Entry("NATURE", _ROW, "nature non prévue au budget",
          "la dépense est imputée sur la ligne de personnel (qui ne se justifie que par la paie) ou sur aucune "
          "ligne du budget (annexe 2)",
          "vérifiez la colonne ligne ou le mapping inputs.accounts, et les identifiants des lignes du budget",
          "suite GX expectations/expenses.json", "Nécessaires, prévus au budget", reason=_nature,
          hint="la colonne ligne ou le mapping inputs.accounts, et les identifiants des lignes du budget",
          beneficiary="cette dépense n'est imputée sur aucune ligne du budget de la convention (annexe 2), ou l'est sur les frais de personnel, qui se justifient par la paie"),
    Entry("EXCLUE", _ROW, "dépense exclue par la convention",
          "le compte commence par un compte exclu, ou le libellé contient un mot exclu (rules.excluded) : la "
          "raison cite le motif de la première exclusion qui s'applique",
          "vérifiez la nature de la dépense ; si elle n'est pas de celles que la convention exclut, acceptez-la "
          "(décision accept)", "suite GX expectations/expenses.json", "Nécessaires à la réalisation du projet",
          reason=_exclue,
          hint="rules.excluded : un début de compte trop court ou un mot trop courant (« repas » exclut aussi « repas de formation ») écarte plus que la convention n'exclut",
          beneficiary="cette dépense est d'une nature que la convention exclut"),
    Entry("AFFECTATION", "agrégat", "quote-part non affectée au projet",
          "la part du coût d'un agent qui excède sa quotité (staff.allocation) : ce n'est pas une anomalie",
          "rien, si la quotité de la convention est la bonne", "règle de ligne (quotité de staff)",
          "Liés à l'objet du projet"),
    Entry("FORFAIT", "agrégat", "remplacé par le forfait de gestion",
          "en mode forfait, les coûts de gestion réels sont remplacés par le forfait : ce n'est pas un rejet",
          "rien ; le forfait est une ligne calculée", "règle agrégée, après les décisions", "Coûts de gestion forfaitaires"),
    Entry("PLAFOND_GESTION", "agrégat", "coûts de gestion au-delà du plafond",
          "les coûts de gestion éligibles dépassent cap_rate × l'assiette (le personnel éligible, ou avec base: "
          "direct le personnel et les coûts directs éligibles) : l'excédent est écarté",
          "rien, sauf si le plafond de la convention est autre", "règle agrégée, après les décisions", "Raisonnables"),
    Entry("DEPASSEMENT", "agrégat", "ligne au-delà de sa limite de fongibilité",
          "l'éligible d'une ligne dépasse budget × (1 + line_overrun_pct / 100) : l'excédent est écarté sur la "
          "ligne (le personnel et les coûts directs d'abord, puis le plafond ou le forfait de gestion, puis les "
          "lignes de gestion)",
          "rien, si la clause de fongibilité de la convention est la bonne ; sinon un avenant au budget",
          "règle agrégée, après les décisions", "Prévus au budget"),
    # --- findings (SPEC 6, 9, 10, 11), in the order of the contract's tables -----------------
    Entry("SIRET", "constat", "SIRET invalide", "le SIRET n'a pas 14 chiffres ou sa clé (Luhn) est fausse",
          "corrigez beneficiary.siret (entre guillemets)", "convention.yaml (identité)", severity="error",
          beneficiary="le numéro SIRET indiqué pour votre organisme n'est pas valide : merci de nous communiquer votre SIRET (avis de situation au répertoire SIRENE)"),
    Entry("IBAN", "constat", "IBAN invalide", "l'IBAN ne respecte pas la norme ISO 13616 (longueur, format, clé)",
          "demandez un RIB au bénéficiaire", "convention.yaml (identité)", severity="error",
          beneficiary="les coordonnées bancaires (IBAN) indiquées ne sont pas valides : merci de nous transmettre un relevé d'identité bancaire"),
    Entry("BIC", "constat", "BIC invalide", "le BIC n'a pas 8 ou 11 caractères au format ISO 9362",
          "vérifiez beneficiary.bank.bic", "convention.yaml (identité)", severity="warning"),
    Entry("RIB", "constat", "RIB incohérent",
          "un champ du RIB a une longueur fausse, la clé RIB est fausse, ou le RIB ne concorde pas avec l'IBAN",
          "comparez au RIB du bénéficiaire ; le message dit si un zéro de tête en trop explique l'écart",
          "convention.yaml (identité)", severity="warning"),
    Entry("BILAN_DELAI", "constat", "bilan remis en retard",
          "report_submitted_date est après report_due_date", "appréciez les suites (la convention peut prévoir "
          "la suppression de la subvention)", "convention.yaml (dates)", severity="error",
          beneficiary="le bilan financier a été transmis après la date prévue par la convention"),
    Entry("DDETS", "constat", "validation DDETS", "prise de poste avant la validation DDETS (bloquant) ou date "
          "de validation absente (alerte)", "obtenez la validation ou renseignez ddets_validation_date",
          "convention.yaml (staff)", cases={"avant_validation": "error", "sans_date": "warning"},
          beneficiary="le poste a été occupé avant la validation du recrutement par les services de l'État (DDETS)"),
    Entry("ECART", "constat", "écart budgétaire", "l'éligible d'une ligne s'écarte du budget de plus de "
          "variance_alert_pct : une explication est due", "demandez l'explication (compte rendu financier)",
          "lignes budgétaires, après les décisions", severity="warning"),
    Entry("RAISONNABLE", "constat", "montant inhabituel",
          f"un mois de paie au-delà de {_n(RAISONNABLE_MONTH_FACTOR)} fois la médiane des mois de l'agent, ou une "
          f"dépense de gestion au-delà de {_n(RAISONNABLE_ROW_SHARE * 100)} % du budget de gestion (aucun rejet)", "vérifiez la pièce (prime, rappel, achat important)",
          "lignes retenues, après les décisions", severity="warning"),
    Entry("VERSEMENT_DELAI", "constat", "versement tardif",
          "un versement après sa date due, ou le premier versement plus de rules.first_payment_days jours (par "
          f"défaut {SIGNATURE_PAYMENT_DAYS}) après la signature",
          "information : le retard est celui de l'État", "convention.yaml (versements)", severity="info"),
    Entry("DEPASSEMENT", "constat", "ligne au-delà de sa limite de fongibilité",
          "l'éligible d'une ligne dépasse sa limite de fongibilité (budget + line_overrun_pct) : l'excédent n'est "
          "pas retenu", "vérifiez le budget et la clause de fongibilité ; demandez une explication",
          "lignes budgétaires, après les décisions", severity="warning"),
    Entry("SURFINANCEMENT", "constat", "surfinancement",
          "avec les autres financeurs (subsidy.other_funding), la subvention dépasserait le coût éligible de "
          "l'action : le montant justifié est limité au coût éligible moins les autres financements",
          "vérifiez les montants des autres financeurs", "règlement (autres financements)", severity="warning"),
    Entry("PAIEMENT_NON_CONTROLE", "constat", "paiement non contrôlé",
          "le fichier des dépenses n'a pas de colonne date de paiement : la règle PAIEMENT n'est pas appliquée",
          "demandez un export avec la date de paiement", "lignes écartées, après les décisions", severity="warning"),
    Entry("REJETS", "constat", "dépenses écartées", "une règle a écarté des lignes : nombre et montant",
          "lisez le tableau des dépenses écartées", "lignes écartées, après les décisions", severity="warning"),
    Entry("MATRICULE", "constat", "matricules à vérifier",
          "un agent de staff n'a aucune ligne de paie alors que des lignes portent des matricules inconnus : "
          "probablement un matricule mal écrit", "comparez staff.employee_id aux matricules de la paie",
          "lignes écartées, après les décisions", severity="warning"),
    Entry("REJET_MASSIF", "constat", "rejet massif",
          f"plus de {_n(MASSIVE_SHARE * 100)} % du coût déclaré d'une ligne est écarté par une seule règle : un problème de "
          "correspondance (colonnes, codes, dates) est probable", "relisez le message : il dit quoi vérifier",
          "lignes écartées, après les décisions", severity="warning"),
    Entry("TOTAL", "constat", "ligne de total discordante",
          "une ligne de total ou de sous-total d'un fichier ne correspond pas à la somme de ses lignes",
          "vérifiez que l'export est complet", "fichiers d'entrée (lignes de total)", severity="warning"),
    Entry("DECISION", "constat", "décision du contrôleur", "une décision prise sur une ligne, avec son motif "
          "et son effet (sur une action du compte rendu d'activité : son statut avant et après, sans montant)",
          "information", "fichier de décisions", severity="info"),
    Entry("CONTRADICTOIRE", "constat", "procédure contradictoire",
          "un reversement définitif sans lettre d'observations (bloquant), ou une réponse reçue après le délai "
          "(alerte)", "envoyez la lettre d'observations avant de notifier", "fichier de décisions",
          cases={"sans_observations": "error", "reponse_tardive": "warning"}),
    Entry("ACTIVITE_ABSENTE", "constat", "compte rendu d'activité absent",
          "des missions sont déclarées mais aucun fichier d'activité n'est fourni",
          "demandez le compte rendu qualitatif (inputs.activity)", "fichier d'activité (suite GX expectations/activity.json)", severity="warning"),
    Entry("HORS_MISSION", "constat", "action hors mission", "une action ne relève d'aucune mission déclarée : "
          "le poste ne peut exercer d'autre fonction", "demandez des explications au bénéficiaire",
          "fichier d'activité (suite GX expectations/activity.json)", severity="error",
          beneficiary="des actions du compte rendu d'activité ne relèvent pas des missions prévues par la convention"),
    Entry("MISSION_NON_REALISEE", "constat", "mission non réalisée", "une mission déclarée n'a aucune action "
          "retenue", "demandez des explications (exécution partielle)", "fichier d'activité (suite GX expectations/activity.json)", severity="warning"),
    Entry("INDICATEUR", "constat", "indicateur en retard", "un indicateur est sous sa cible au-delà du seuil "
          "indicator_alert_pct", "demandez des explications", "fichier d'activité (suite GX expectations/activity.json)", severity="warning"),
    Entry("ACTIVITE_SANS_AGENT", "constat", "activité sans agent", "des actions sont déclarées un mois sans "
          "coût de personnel éligible : qui a agi ?", "vérifiez les dates d'emploi et la paie",
          "fichier d'activité (suite GX expectations/activity.json)", severity="warning"),
    Entry("ACTIVITE_ILLISIBLE", "constat", "action illisible ou hors période", "une ligne d'activité ne peut "
          "pas être lue ou est hors période", "corrigez la ligne citée", "fichier d'activité (suite GX expectations/activity.json)", severity="warning"),
    Entry("FEC_EQUILIBRE", "constat", "écritures déséquilibrées", "des écritures du FEC ont un débit différent "
          "du crédit", "demandez un export complet du FEC", "FEC (intégrité)", severity="error",
          beneficiary="le fichier des écritures comptables transmis contient des écritures dont le débit n'égale pas le crédit : merci de transmettre un export complet"),
    Entry("FEC_FORMAT", "constat", "FEC non conforme", "des lignes du FEC ont un champ obligatoire absent ou "
          "une date ou un montant illisible", "demandez un FEC conforme (article A. 47 A-1 du LPF)",
          "FEC (intégrité)", severity="error",
          beneficiary="le fichier des écritures comptables transmis n'est pas conforme au format réglementaire (article A. 47 A-1 du livre des procédures fiscales) : merci de transmettre un export conforme"),
    Entry("FEC_DATES", "constat", "validation avant écriture", "des lignes ont une date de validation "
          "antérieure à la date d'écriture", "interrogez le bénéficiaire sur sa procédure de validation",
          "FEC (intégrité)", severity="warning"),
    Entry("FEC_ECRITURE", "constat", "écriture datée de plusieurs jours",
          "les lignes d'une même écriture (journal et numéro) portent des dates d'écriture différentes : une "
          "écriture n'a qu'une date", "demandez au bénéficiaire si le logiciel réutilise les numéros d'écriture "
          "(deux écritures sous un même numéro) ou si l'écriture a été modifiée après coup",
          "FEC (intégrité)", severity="warning"),
    Entry("DOUBLON_PROBABLE", "constat", "facture probablement payée deux fois",
          "des dépenses retenues du même fournisseur et du même montant, à 7 jours au plus d'intervalle, sous deux "
          "numéros de pièce (ou, dans un FEC, la même pièce à deux dates) : une même facture payée ou saisie deux "
          "fois ? Rien n'est rejeté", "comparez les pièces ; rejetez le doublon par une décision (decisions.yaml : "
          "le constat donne les références des lignes), ou acceptez les lignes si ce sont deux dépenses",
          "dépenses retenues, après les décisions", severity="warning"),
    Entry("HORS_CORRESPONDANCE", "constat", "dépenses du projet sur des comptes non associés",
          "des lignes de charges (classe 6) du FEC portent les mots du projet (inputs.fec.label_contains) sur des "
          "comptes qu'inputs.accounts n'associe à aucune ligne budgétaire : elles ne sont pas dans les dépenses",
          "si ce sont des coûts du projet, ajoutez leurs comptes à inputs.accounts (le constat donne le montant par "
          "compte) ; sinon rien", "FEC et inputs.accounts", severity="info"),
    Entry("PAIE_COMPTA", "constat", "paie déclarée supérieure aux livres",
          "le coût de la paie déclarée pour les mois de la période dépasse les charges de personnel (comptes 64) "
          "du FEC sur ces mêmes mois", "demandez le rapprochement de la paie et de la comptabilité (journal de paie, "
          "DSN) ; une paie plus élevée que les livres n'est pas justifiée", "paie et FEC (comptes 64)",
          severity="warning"),
    Entry("SUBVENTION_COMPTA", "constat", "subvention non retrouvée dans les livres",
          "les comptes d'inputs.fec.subsidy_accounts ne portent ni le montant accordé (subvention comptée à la "
          "notification) ni les versements de l'exercice du FEC (comptée à l'encaissement)",
          "demandez comment la subvention a été comptabilisée (compte, date, produit constaté d'avance)",
          "FEC (inputs.fec.subsidy_accounts)", severity="warning"),
]  # fmt: skip

# The statuses of an activity row (SPEC 10), in order of precedence: the first that applies wins.
_ACTIVITY = "fichier d'activité (suite GX expectations/activity.json)"
STATUSES: dict[str, Entry] = {e.code: e for e in [
    Entry("retenue", "activité", "retenue", "l'action est datée dans la période et relève d'une mission de l'article 2 : "
          "elle compte", "rien", _ACTIVITY),
    Entry("illisible", "activité", "illisible", "la date, la valeur ou le nombre de participants ne peut pas être lu, la "
          "mission est vide ou l'indicateur n'est pas déclaré", "corrigez la ligne citée", _ACTIVITY),
    Entry("hors_periode", "activité", "hors période", "l'action est datée hors de la période de la convention",
          "vérifiez la date", _ACTIVITY),
    Entry("hors_mission", "activité", "hors mission", "la mission n'est ni un code, ni un libellé, ni un alias de "
          "missions : l'article 2 interdit d'autres fonctions (constat HORS_MISSION)",
          "demandez des explications ; une décision accept avec mission la rattache", _ACTIVITY),
    Entry("ecartee", "activité", "écartée", "le contrôleur a écarté l'action par une décision (motif cité)",
          "rien : la décision est motivée", "fichier de décisions"),
]}  # fmt: skip

RULES: dict[str, Entry] = {e.code: e for e in _ENTRIES if e.kind != "constat"}
FINDINGS: dict[str, Entry] = {e.code: e for e in _ENTRIES if e.kind == "constat"}
FAILING_RULES = tuple(code for code, e in RULES.items() if e.kind == "ligne")
RULE_ORDER = tuple(RULES)


def entry(code: str) -> Entry:
    return RULES.get(code) or FINDINGS[code]


def finding(
    rule: str, message: str, amount: int | None = None, *, case: str | None = None, refs: Iterable[str] = ()
) -> Finding:
    """The one way to raise a finding: its severity is the registry's (``case`` picks it for a
    rule with two). An unknown rule or case is a programming error (KeyError)."""
    e = FINDINGS[rule]
    severity = e.cases[case] if e.cases else e.severity
    if severity not in SEVERITIES or (case is not None and not e.cases):
        raise KeyError(f"{rule}: no severity for case {case!r}")
    return Finding(rule, severity, message, amount, tuple(refs))
