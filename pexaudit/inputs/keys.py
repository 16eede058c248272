"""Every key of convention.yaml, described once (SPEC sections 3, 9, 10, 11).

The loader (:mod:`pexaudit.convention`) refuses to read a key that is not here; the same table
gives the JSON Schema editors use for completion and checking (:func:`json_schema`), the user
guide's reference table and the commented template of ``pexaudit init``
(:mod:`pexaudit.docs`). Descriptions are in French: they are for users.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ARTICLES", "KEYS", "Key", "allowed_keys", "json_schema"]

# The seed convention's article numbers, the default of ``articles:``.
ARTICLES = {
    "missions": "2",
    "eligibilite": "4",
    "contribution": "5",
    "versement": "6",
    "justificatifs": "7",
    "ddets": "8.4",
    "contradictoire": "9.1",
    "notification": "9.3",
    "recours": "13",
}

# type -> (French name in the guide, JSON Schema)
TYPES: dict[str, tuple[str, dict]] = {
    "text": ("texte", {"type": "string"}),
    "identifier": ("identifiant (texte tel qu'écrit)", {"type": ["string", "integer"]}),
    "date": ("date AAAA-MM-JJ", {"type": "string", "format": "date"}),
    "money": ("montant en euros", {"type": ["number", "string"]}),
    "fraction": ("fraction dans ]0 ; 1]", {"type": "number", "exclusiveMinimum": 0, "maximum": 1}),
    "percent": (
        "pourcentage (15 pour 15 %)",
        {"type": "number", "minimum": 0, "not": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
    ),
    "number": ("nombre", {"type": "number", "minimum": 0}),
    "integer": ("nombre entier", {"type": "integer", "minimum": 0}),
    "file": ("nom de fichier du dossier", {"type": "string"}),
    "mapping": ("table de clés", {"type": "object"}),
    "list": ("liste", {"type": "array"}),
    "choice": ("valeur parmi une liste", {}),
}


@dataclass(frozen=True)
class Key:
    path: str  # dotted, "[]" for list items: "subsidy.payments[].date"
    type: str  # a key of TYPES
    doc: str  # French
    required: bool = False
    default: str = ""  # French, when absent
    choices: tuple = ()
    nullable: bool = True
    free: bool = False  # a mapping with keys of the user's choice (inputs.columns, inputs.accounts)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _k(path, type_, doc, **kw) -> tuple[str, Key]:
    return path, Key(path, type_, doc, **kw)


KEYS: dict[str, Key] = dict([
    _k("id", "text", "identifiant de la convention, en minuscules, chiffres et tirets ([a-z0-9-]+) ; nomme le dossier "
       "du rapport (le numéro de département en tête, cd35-2024-pex, donne le territoire de la consolidation)",
       required=True, nullable=False),
    _k("title", "text", "intitulé de l'action subventionnée", required=True, nullable=False),
    _k("programme", "identifier", "programme budgétaire (« 177 »)", required=True, nullable=False),
    _k("reference", "text", "numéro de la convention, cité dans les courriers", default="un blanc à compléter"),
    _k("period", "mapping", "période de réalisation de l'action", required=True, nullable=False),
    _k("period.start", "date", "premier jour de la période", required=True, nullable=False),
    _k("period.end", "date", "dernier jour de la période", required=True, nullable=False),
    _k("signature_date", "date", "date de signature de la convention (délai de versement, art. 6)"),
    _k("report_due_date", "date", "date limite de remise du bilan (art. 7)",
       default="fin de période + 2 mois, au dernier jour du mois (31/12/2024 → 28/02/2025)"),
    _k("report_submitted_date", "date", "date de remise du bilan par le bénéficiaire",
       default="non renseignée : délai non contrôlé"),
    _k("administration", "mapping", "l'expéditeur des courriers : des fonctions, pas des personnes"),
    _k("administration.name", "text", "administration (Préfecture d'Ille-et-Vilaine)", default="un blanc à compléter"),
    _k("administration.service", "text", "service qui suit le dossier (DDETS d'Ille-et-Vilaine)",
       default="un blanc à compléter"),
    _k("administration.address", "text", "adresse de l'administration", default="un blanc à compléter"),
    _k("administration.signatory", "text", "fonction du signataire (Le Secrétaire général de la préfecture)",
       default="un blanc à compléter"),
    _k("administration.court", "text", "juridiction des recours (tribunal administratif de Rennes, art. 13)",
       default="un blanc à compléter"),
    _k("beneficiary", "mapping", "le bénéficiaire de la subvention", required=True, nullable=False),
    _k("beneficiary.name", "text", "raison sociale ; sert aussi à reconnaître le payeur (règle PAYEUR)",
       required=True, nullable=False),
    _k("beneficiary.address", "text", "adresse du bénéficiaire (destinataire des courriers)",
       default="un blanc à compléter"),
    _k("beneficiary.representative", "text", "représentant légal (Le Président du Conseil départemental)",
       default="un blanc à compléter"),
    _k("beneficiary.siret", "identifier", "SIRET à 14 chiffres, entre guillemets (contrôlé : constat SIRET)",
       required=True, nullable=False),
    _k("beneficiary.bank", "mapping", "coordonnées bancaires (contrôlées : constats IBAN, BIC, RIB)"),
    _k("beneficiary.bank.iban", "identifier", "IBAN, espaces permis"),
    _k("beneficiary.bank.bic", "identifier", "BIC de 8 ou 11 caractères"),
    _k("beneficiary.bank.rib", "mapping", "RIB comparé à l'IBAN"),
    _k("beneficiary.bank.rib.banque", "identifier", "code banque (5 caractères)", required=True, nullable=False),
    _k("beneficiary.bank.rib.guichet", "identifier", "code guichet (5 caractères)", required=True, nullable=False),
    _k("beneficiary.bank.rib.compte", "identifier", "numéro de compte (11 caractères)", required=True, nullable=False),
    _k("beneficiary.bank.rib.cle", "identifier", "clé RIB (2 chiffres)", required=True, nullable=False),
    _k("subsidy", "mapping", "la subvention", required=True, nullable=False),
    _k("subsidy.amount", "money", "montant accordé (art. 5), strictement positif", required=True, nullable=False),
    _k("subsidy.funding_rate", "fraction", "part du coût éligible financée par l'État (0,8 pour 80 %)",
       default="montant accordé / total du budget"),
    _k("subsidy.other_funding", "list", "autres financeurs de l'action, pour le contrôle du non-surfinancement "
       "(constat SURFINANCEMENT)", default="aucun"),
    _k("subsidy.other_funding[].funder", "text", "nom du financeur (CAF de la Gironde, Région...)", required=True,
       nullable=False),
    _k("subsidy.other_funding[].amount", "money", "montant accordé par ce financeur, positif ou nul", required=True,
       nullable=False),
    _k("subsidy.payments", "list", "versements effectués par l'État (art. 6)", default="aucun versement"),
    _k("subsidy.payments[].date", "date", "date du versement", required=True, nullable=False),
    _k("subsidy.payments[].amount", "money", "montant versé", required=True, nullable=False),
    _k("subsidy.payments[].due", "date", "date à laquelle cette tranche était due (constat VERSEMENT_DELAI)",
       default="seul le premier versement est comparé à la signature (rules.first_payment_days)"),
    _k("budget", "list", "budget prévisionnel (annexe 2) : exactement une ligne de nature personnel, des lignes de "
       "coûts de gestion (management) et de coûts directs (direct)",
       required=True, nullable=False),
    _k("budget[].line", "identifier", "identifiant de la ligne (personnel, gestion...), cité par les dépenses",
       required=True, nullable=False),
    _k("budget[].label", "text", "intitulé de la ligne", default="l'identifiant"),
    _k("budget[].kind", "choice", "nature : personnel (la paie, une seule ligne), management (frais de gestion, coûts "
       "indirects : plafond ou forfait) ou direct (tout autre coût de l'action : déplacements, formation, prestations, "
       "achats ; éligible ligne à ligne)", default="direct", choices=("personnel", "management", "direct", None)),
    _k("budget[].amount", "money", "montant prévu, positif ou nul", required=True, nullable=False),
    _k("staff", "list", "les personnes dont la paie peut être imputée", required=True),
    _k("staff[].employee_id", "identifier", "matricule tel qu'il figure dans la paie ; les zéros de tête sont "
       "ignorés au rapprochement (000127 = 127)", required=True, nullable=False),
    _k("staff[].role", "text", "fonction (affichée ; jamais le nom)"),
    _k("staff[].allocation", "fraction", "quotité affectée au projet (0,5 pour un mi-temps)", default="1"),
    _k("staff[].start", "date", "prise de poste", default="début ouvert"),
    _k("staff[].end", "date", "fin de poste", default="fin ouverte"),
    _k("staff[].ddets_validation_date", "date", "validation du recrutement par la DDETS (art. 8.4)",
       default="non renseignée : alerte DDETS"),
    _k("rules", "mapping", "paramètres des règles", default="coûts réels sans plafond, alerte d'écart à 15 %"),
    _k("rules.project_codes", "list", "codes analytiques du projet ; une dépense portant un autre code est rejetée "
       "(PROJET)", default="aucun : le code analytique n'est pas contrôlé"),
    _k("rules.project_codes[]", "identifier", "un code analytique"),
    _k("rules.management_costs", "mapping", "coûts de gestion : réels (plafonnés ou non) ou forfaitaires",
       default="réels, sans plafond"),
    _k("rules.management_costs.mode", "choice", "actual (coûts réels) ou flat_rate (forfait)", required=True,
       choices=("actual", "flat_rate"), nullable=False),
    _k("rules.management_costs.cap_rate", "fraction", "mode actual : plafond en fraction du personnel éligible "
       "(0,10 pour 10 %)", default="pas de plafond"),
    _k("rules.management_costs.rate", "fraction", "mode flat_rate : forfait en fraction du personnel éligible "
       "(0,08 pour 8 %)", default="obligatoire en mode flat_rate"),
    _k("rules.management_costs.base", "choice", "assiette du plafond ou du forfait : personnel (le personnel "
       "éligible) ou direct (le personnel et les lignes de coûts directs éligibles)", default="personnel",
       choices=("personnel", "direct")),
    _k("rules.payment_deadline", "date", "date limite de paiement des dépenses (règle PAIEMENT)",
       default="report_due_date"),
    _k("rules.variance_alert_pct", "percent", "écart budgétaire, en pourcentage, au-delà duquel une explication est "
       "due (constat ECART)", default="15"),
    _k("rules.line_overrun_pct", "percent", "fongibilité : dépassement permis d'une ligne du budget, en pourcentage ; "
       "l'éligible d'une ligne au-delà de budget × (1 + pct / 100) est écarté (DEPASSEMENT)",
       default="aucune limite par ligne"),
    _k("rules.first_payment_days", "integer", "délai, en jours après la signature, du premier versement (art. 6 ; "
       "constat VERSEMENT_DELAI)", default="15"),
    _k("rules.excluded", "list", "dépenses que la convention exclut (règle EXCLUE) : par début de compte ou par mot du "
       "libellé, avec un motif", default="aucune"),
    _k("rules.excluded[].accounts", "list", "débuts de numéros de compte exclus (6234, 6257...)",
       default="aucun (label_contains est alors obligatoire)"),
    _k("rules.excluded[].accounts[]", "identifier", "un début de numéro de compte"),
    _k("rules.excluded[].label_contains", "list", "mots dont la présence dans le libellé exclut la dépense (casse et "
       "accents ignorés)", default="aucun (accounts est alors obligatoire)"),
    _k("rules.excluded[].label_contains[]", "text", "un mot ou une expression cherché dans le libellé"),
    _k("rules.excluded[].motive", "text", "motif de l'exclusion, cité dans la raison du rejet (cadeaux et réceptions)",
       required=True, nullable=False),
    _k("rules.indicator_alert_pct", "percent", "retard d'un indicateur sur sa cible, en pourcentage, au-delà duquel "
       "une alerte est émise (constat INDICATEUR)", default="20"),
    _k("inputs", "mapping", "les fichiers du dossier", required=True, nullable=False),
    _k("inputs.payroll", "file", "fichier de paie (.xlsx ou .csv) ; null si aucun", required=True),
    _k("inputs.expenses", "file", "fichier des dépenses (.xlsx, .csv, ou un FEC) ; null si aucun", required=True),
    _k("inputs.activity", "file", "fichier d'activité pour le compte rendu qualitatif (.xlsx ou .csv)",
       default="aucun"),
    _k("inputs.sheets", "mapping", "la feuille à lire dans un classeur .xlsx, par fichier (même masquée)",
       default="la première feuille visible qui contient l'en-tête"),
    _k("inputs.sheets.payroll", "text", "feuille du fichier de paie (« Paie 2025 »)"),
    _k("inputs.sheets.expenses", "text", "feuille du fichier des dépenses"),
    _k("inputs.sheets.activity", "text", "feuille du fichier d'activité"),
    _k("inputs.columns", "mapping", "en-têtes propres aux fichiers : « en-tête tel qu'écrit » → nom canonique ; "
       "« colonne F » désigne une colonne par sa lettre quand deux en-têtes sont identiques",
       default="{} : les en-têtes usuels sont reconnus", free=True),
    _k("inputs.accounts", "mapping", "début de numéro de compte → ligne budgétaire (le plus long préfixe l'emporte) ; "
       "donne la ligne d'une dépense sans colonne ligne, et sélectionne les lignes d'un FEC",
       default="{}", free=True),
    _k("inputs.fec", "mapping", "sélection des lignes d'un FEC", default="toutes les lignes des comptes associés"),
    _k("inputs.fec.journals", "list", "seulement ces journaux (HA, OD...)", default="tous"),
    _k("inputs.fec.journals[]", "identifier", "un code journal"),
    _k("inputs.fec.label_contains", "list", "seulement les lignes dont EcritureLib ou PieceRef contient l'un de ces "
       "textes (casse et accents ignorés)", default="toutes"),
    _k("inputs.fec.label_contains[]", "text", "un texte cherché"),
    _k("inputs.fec.subsidy_accounts", "list", "débuts des comptes où les livres enregistrent cette subvention "
       "(« 7441 ») : leur solde est rapproché de la subvention accordée et des versements (constat "
       "SUBVENTION_COMPTA)", default="aucun : pas de rapprochement"),
    _k("inputs.fec.subsidy_accounts[]", "identifier", "un début de numéro de compte, en chiffres"),
    _k("articles", "mapping", "numéros d'articles de la convention cités dans les messages et les courriers",
       default=", ".join(f"{k}: {v}" for k, v in ARTICLES.items())),
    *(_k(f"articles.{name}", "identifier", f"article « {name} »", default=number) for name, number in ARTICLES.items()),
    _k("missions", "list", "missions du poste (article 2) ; déclarées, elles déclenchent le contrôle d'activité",
       default="aucune : pas de contrôle d'activité"),
    _k("missions[].code", "identifier", "code court de la mission, unique", required=True, nullable=False),
    _k("missions[].label", "text", "intitulé de la mission", default="le code"),
    _k("missions[].aliases", "list", "autres noms de la mission dans le fichier d'activité", default="aucun"),
    _k("missions[].aliases[]", "text", "un autre nom de la mission"),
    _k("indicators", "list", "indicateurs attendus, avec leur cible", default="aucun"),
    _k("indicators[].code", "identifier", "code de l'indicateur, unique (casse ignorée)", required=True,
       nullable=False),
    _k("indicators[].label", "text", "intitulé de l'indicateur", default="le code"),
    _k("indicators[].mission", "identifier", "code d'une mission déclarée", default="aucune"),
    _k("indicators[].target", "number", "cible, positive ou nulle", default="aucune : pas d'alerte"),
])  # fmt: skip


def allowed_keys(path: str) -> set[str] | None:
    """The keys allowed under the mapping ``path`` ("" for the top), or None for a free mapping."""
    key = KEYS.get(path)
    if key is not None and key.free:
        return None
    prefix = f"{path}." if path else ""
    names = {k[len(prefix) :].split(".")[0].split("[")[0] for k in KEYS if k.startswith(prefix) and k != path}
    return {n for n in names if n} or None


def json_schema() -> dict:
    """JSON Schema (draft 2020-12) of convention.yaml, for editors (yaml-language-server)."""

    def node(path: str) -> dict:
        key = KEYS.get(path)
        schema: dict = {}
        if key is not None:
            schema = dict(TYPES[key.type][1])
            if key.choices:
                schema["enum"] = list(key.choices)
            schema["description"] = key.doc + (f" (défaut : {key.default})" if key.default else "")
            if key.nullable and "type" in schema:
                types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
                schema["type"] = [*types, "null"]
        children = allowed_keys(path) if (key is None or key.type == "mapping") else None
        if children:
            prefix = f"{path}." if path else ""
            schema["properties"] = {name: node(prefix + name) for name in sorted(children, key=_order(prefix))}
            schema["required"] = [n for n in schema["properties"] if KEYS[prefix + n].required]
            schema["additionalProperties"] = True  # unknown keys are a warning, not an error
        if key is not None and key.type == "list":
            items = f"{path}[]"
            if items in KEYS:
                schema["items"] = node(items)
            else:
                schema["items"] = {"type": "object", **{k: v for k, v in node(items).items() if k != "description"}}
        return schema

    root = node("")
    root.update({"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "pexaudit convention.yaml",
                 "type": "object"})  # fmt: skip
    return root


def _order(prefix: str):
    order = list(KEYS)
    return lambda name: order.index(prefix + name)
