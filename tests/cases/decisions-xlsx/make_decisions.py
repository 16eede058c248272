"""Write this case's decisions.xlsx as an auditor leaves it: the bilan workbook's three sheets,
filled in (``python tests/cases/decisions-xlsx/make_decisions.py``; a test checks the committed
file holds what this script writes).

On purpose: a title row above the header, columns the reader ignores, an undecided row, an
English word beside French ones, an amount typed as text, Procédure keys without accents, and
a Brouillon column whose text must never be read back.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent

DECISIONS = [
    ["Décisions du contrôleur (classeur bilan_financier.xlsx rempli)"],
    [],
    ["Fichier", "Feuille", "Ligne", "Référence", "Enjeu (solde)", "Décision", "Montant retenu", "Règle", "Motif"],
    ["paie.csv", None, 4, "Agent 1 01/2024", 3500, "accepter", None, None, "Arrivée anticipée validée par la DDETS"],
    ["paie.csv", None, 5, "Hors liste 1 03/2024", 1360.8, None, None, None, "non décidé : ligne ignorée"],
    ["depenses.csv", None, 3, "G2 · Orange", None, "accept", None, None, "Remboursement de la Ville de Rennes produit"],
    ["depenses.csv", None, 4, "G3 · Traiteur", None, "Rejeter", None, "piece", "Aucune facture produite"],
    ["depenses.csv", None, 5, "G4 · Annonce", 145.8, "partiel", "150,00 €", "NATURE", "Annonce commune à deux postes"],
]
PROCEDURE = [
    ["Phase", "definitif"],
    ["Controleur", "DDETS de la Gironde"],
    ["Observations envoyees le", None],
    ["Délai de réponse (jours)", 15],
    ["Reponse recue le", None],
]
EXPLANATIONS = [
    ["Ligne", "Intitulé", "Explication", "Brouillon"],
    ["gestion", "Coûts de gestion", "Forfait de gestion de l'article 5.", "brouillon : jamais relu"],
    ["personnel", "Charges de personnel", None, "brouillon sans explication : ignoré"],
]


def write(path: Path) -> None:
    wb = Workbook()
    for title, rows in (("Décisions", DECISIONS), ("Procédure", PROCEDURE), ("Explications", EXPLANATIONS)):
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    del wb["Sheet"]
    wb.save(path)


if __name__ == "__main__":
    write(HERE / "decisions.xlsx")
    print(f"wrote {HERE / 'decisions.xlsx'}")
