# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["remove_cell"]
# # Audit d'une convention : bilan financier
#
# Renseignez le dossier de la convention ci-dessous puis exécutez tout (Exécution > Exécuter toutes les cellules).
# Le rapport reprend exactement les sections affichées ici. Les règles sont dans `pexaudit/`
# et `expectations/` : ce carnet ne fait qu'appeler le paquet.

# %% tags=["parameters"]
convention_dir: str = "../data/conventions/cd35-2024"  # dossier de la convention (convention.yaml, paie, dépenses)
out_dir: str = ""  # où écrire results.json et le classeur ; vide : ../reports/brouillon/<id>, jamais un rapport fini
previous: str = ""  # results.json d'un contrôle antérieur de la même convention (phase provisoire) ; vide : aucun
report_file: str = "rapport.html"  # le rapport tel qu'il est envoyé, cité en pièce jointe du courrier (rapport.pdf avec --pdf)

# %%
from pexaudit import notebook as nb

bilan = nb.start(convention_dir, out_dir, previous, report_file)
nb.show("header", bilan)

# %%
nb.show("synthese", bilan)

# %%
nb.show("convention", bilan)

# %%
nb.show("execution", bilan)

# %%
nb.show("personnel", bilan)

# %%
nb.show("gestion", bilan)

# %%
nb.show("controles", bilan)

# %%
nb.show("rejets", bilan)

# %%
nb.show("procedure", bilan)

# %% [markdown] tags=["remove_cell"]
# ## Établi du contrôleur (hors rapport)
#
# Les lignes écartées, le plus fort enjeu d'abord (l'enjeu : de combien le solde changerait si
# la ligne seule était admise). Filtrez : `nb.rejected(bilan, rule="DOUBLON", line="gestion")`.
# La colonne `ref` est ce qu'une décision désigne.

# %% tags=["remove_cell"]
nb.rejected(bilan)

# %% [markdown] tags=["remove_cell"]
# Toutes les lignes, écartées ou retenues : tapez un fournisseur, un n° de pièce ou un montant
# (`480,00`) dans « Rechercher », ou filtrez une colonne par son menu ☰ (pour trouver, par
# exemple, la ligne qu'un doublon répète).

# %% tags=["remove_cell"]
nb.search(bilan)

# %% [markdown] tags=["remove_cell"]
# Les lignes que les constats nomment, retenues mais à décider : chaque groupe de doublons
# probables (une facture payée deux fois sous deux numéros ?). Rejetez le doublon
# (`reject`, règle `DOUBLON`) ou acceptez les deux lignes si ce sont deux dépenses : une ligne
# décidée sort du groupe. Elles figurent aussi dans la feuille « Décisions » du classeur.

# %% tags=["remove_cell"]
nb.to_examine(bilan)

# %% [markdown] tags=["remove_cell"]
# Un scénario essaie plusieurs décisions ensemble, le solde après chacune, sans rien écrire.
# Ci-dessous, un exemple sur les plus forts enjeux. Le vôtre :
# `sc = nb.scenario(bilan)`, puis `sc.accept(ref, motive="…")`,
# `sc.reject(ref, rule="NATURE", motive="…")`, `sc.partial(ref, amount="1 867,45", rule="DOUBLON", motive="…")`,
# `sc.undo()` pour retirer la dernière. `sc.write_draft()` écrit alors `decisions.brouillon.yaml`
# dans le dossier de la convention (avec les décisions déjà prises) : relisez-le puis
# enregistrez-le sous le nom `decisions.yaml`.

# %% tags=["remove_cell"]
exemple = nb.example_scenario(bilan)
exemple

# %%
nb.show("activite", bilan)

# %%
nb.show("analytics", bilan)

# %%
nb.show("constats", bilan)

# %%
nb.show("tracabilite", bilan)

# %%
nb.show("signature", bilan)

# %% tags=["remove_cell"]
nb.finish()
