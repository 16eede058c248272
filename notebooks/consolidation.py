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
# # Consolidation d'un lot de conventions
#
# `pexaudit batch` exécute ce carnet après les audits ; dans JupyterLab, indiquez le
# `consolidation.json` d'un lot déjà audité.

# %% tags=["parameters"]
consolidation_json: str = "../reports/consolidation.json"  # écrit par pexaudit batch

# %%
from pexaudit.render import consolidation

document = consolidation.load(consolidation_json)
consolidation.show(document)
