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
# Les lignes écartées, la plus forte enjeu d'abord (l'enjeu : de combien le solde évoluerait si
# la ligne était admise). Filtrez : `nb.rejected(bilan, rule="DOUBLON", line="gestion")`.
# Essayez une décision avant de l'inscrire dans `decisions.yaml` :
# `nb.try_decision(bilan, "depenses.xlsx!Mandats 2024!10", "accept")`, ou `"partial"` avec
# `amount=…, rule=…`. Rien n'est écrit.

# %% tags=["remove_cell"]
rejetees = nb.rejected(bilan)
rejetees

# %% tags=["remove_cell"]
nb.try_decision(bilan, nb.largest_stake(rejetees), "accept")

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
