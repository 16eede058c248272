# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] tags=["remove_cell"]
# # Audit d'une convention : bilan financier
#
# Renseignez le dossier de la convention ci-dessous puis exécutez tout (Run > Run All Cells).
# Le rapport reprend exactement les sections affichées ici. Les règles sont dans `pexaudit/`
# et `expectations/` : ce carnet ne fait qu'appeler le paquet.

# %% tags=["parameters"]
convention_dir: str = "../data/conventions/cd35-2024"  # dossier de la convention (convention.yaml, paie, dépenses)
out_dir: str = ""  # où écrire results.json et le classeur ; vide : ../reports/brouillon/<id>, jamais un rapport fini
previous: str = ""  # results.json d'un contrôle antérieur de la même convention (phase provisoire) ; vide : aucun

# %%
from pexaudit import notebook as nb

audit = nb.start(convention_dir, out_dir, previous)
nb.show("header", audit)

# %%
nb.show("synthese", audit)

# %%
nb.show("convention", audit)

# %%
nb.show("execution", audit)

# %%
nb.show("personnel", audit)

# %%
nb.show("gestion", audit)

# %%
nb.show("controles", audit)

# %%
nb.show("rejets", audit)

# %%
nb.show("procedure", audit)

# %% [markdown] tags=["remove_cell"]
# ## Établi du contrôleur (hors rapport)
#
# Les lignes écartées, la plus forte enjeu d'abord (l'enjeu : de combien le solde évoluerait si
# la ligne était admise). Filtrez : `nb.rejected(audit, rule="DOUBLON", line="gestion")`.
# Essayez une décision avant de l'inscrire dans `decisions.yaml` :
# `nb.try_decision(audit, "depenses.xlsx!Mandats 2024!10", "accept")`, ou `"partial"` avec
# `amount=…, rule=…`. Rien n'est écrit.

# %% tags=["remove_cell"]
rejetees = nb.rejected(audit)
rejetees

# %% tags=["remove_cell"]
nb.try_decision(audit, nb.largest_stake(rejetees), "accept")

# %%
nb.show("activite", audit)

# %%
nb.show("analytics", audit)

# %%
nb.show("constats", audit)

# %%
nb.show("tracabilite", audit)

# %%
nb.show("signature", audit)
