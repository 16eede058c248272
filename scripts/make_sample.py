"""Write the bundled samples' payroll, expense and activity workbooks (data/conventions/cd35-2024/
and its definitive phase, data/conventions/cd35-2024-definitif/, which audits the same files
with the auditor's decisions.yaml).

Run once by a developer (``python scripts/make_sample.py``); the audit never writes into data/.
The figures, the planted anomalies and the decisions are explained in data/README.md.
"""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal as D
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

CONVENTIONS = Path(__file__).resolve().parent.parent / "data" / "conventions"
FOLDERS = (CONVENTIONS / "cd35-2024", CONVENTIONS / "cd35-2024-definitif")  # same workbooks, byte for byte

# Contract attaché territorial: base pay (indice majoré ~449, 5 907,34 € per 100 points a
# year) 2 210,18 € + IFSE 442,00 € = 2 652,18 € gross a month; employer contributions 37,6 %
# of gross (inside DOMAIN.md's 35-45 % band); other costs = titres-restaurant employer share,
# 4,50 € a worked day.
BRUT = D("2652.18")
CHARGES = D("997.22")
MEALS = {2: 18, 3: 19, 4: 20, 5: 16, 6: 19, 7: 18, 8: 9, 9: 21, 10: 22, 11: 18, 12: 16}
CIA_BRUT, CIA_CHARGES = D("1500.00"), D("564.00")  # complément indemnitaire annuel, November


def payroll_rows() -> list[list]:
    rows = []
    for month, days in MEALS.items():
        brut, charges = BRUT, CHARGES
        if month == 11:
            brut, charges = brut + CIA_BRUT, charges + CIA_CHARGES
        rows.append(["M0412", "DUPONT Claire", dt.datetime(2024, month, 1), brut, charges, D("4.50") * days, "PEX35"])
        if month == 6:  # June exported twice: DOUBLON
            rows.append(list(rows[-1]))
        if month == 3:  # the head of department's pay charged by mistake: PROJET
            rows.append(
                ["M0388", "MARTIN Yves", dt.datetime(2024, 3, 1), D("3842.10"), D("1444.63"), D("85.50"), "PEX35"]
            )
        if month == 10:  # regularisation of two days of unpaid leave: negative row, kept
            rows.append(["M0412", "DUPONT Claire", dt.datetime(2024, 10, 1), D("-96.17"), D("-36.16"), D("0"), "PEX35"])
    # December overtime paid in January 2025: the month paid is outside the period (PERIODE)
    rows.append(["M0412", "DUPONT Claire", dt.datetime(2025, 1, 1), D("212.40"), D("79.86"), D("0"), "PEX35"])
    return rows


CD35 = "Conseil départemental d'Ille-et-Vilaine"
EXPENSES = [
    # piece, date, date_paiement, fournisseur, libellé, compte, ligne, montant, payeur, code
    ["2024-002214", "2024-02-08", "2024-02-29", "UGAP", "Ordinateur portable et station d'accueil", "60632", "gestion", "1149.00", CD35, "PEX35"],
    ["2024-002215", "2024-03-15", "2024-03-28", "UGAP", "Avoir : remise sur station d'accueil", "60632", "gestion", "-150.00", CD35, "PEX35"],
    ["2024-004470", "2024-04-18", "2024-05-14", "CNFPT", "Formation « Prévention des expulsions : procédure et acteurs »", "6184", "gestion", "480.00", "22350001800013", "PEX35"],
    ["2024-004470", "2024-04-18", "2024-05-14", "CNFPT", "Formation « Prévention des expulsions : procédure et acteurs »", "6184", "gestion", "480.00", "22350001800013", "PEX35"],
    ["2024-004102", "2024-04-30", "2024-05-21", "Orange Business Services", "Téléphonie mobile, 2e trimestre", "6262", "gestion", "62.50", CD35, "PEX35"],
    ["2024-005318", "2024-05-22", "2024-06-11", "SNCF Voyageurs", "Rennes - Paris, réunion nationale DIHAL", "6251", "gestion", "142.00", CD35, "PEX35"],
    ["2024-006011", "2024-06-14", "2024-07-02", "Ville de Rennes", "Location de salle, journée départementale CCAPEX", "6132", "gestion", "600.00", "Ville de Rennes", "PEX35"],
    ["2024-006540", "2024-06-28", "2024-07-16", "SNCF Voyageurs", "Déplacements CCAPEX locales (Fougères, Vitré, Redon)", "6251", "gestion", "186.00", CD35, "PEX35"],
    ["", "2024-07-09", "2024-07-31", "La Poste", "Affranchissement des courriers CCAPEX", "6261", "gestion", "96.40", CD35, "PEX35"],
    ["2024-007125", "2024-07-31", "2024-08-20", "Orange Business Services", "Téléphonie mobile, 3e trimestre", "6262", "gestion", "62.50", CD35, "PEX35"],
    ["2024-007390", "2024-08-05", "2024-08-27", "Éditions ASH", "Abonnement Actualités sociales hebdomadaires", "6182", "gestion", "189.00", CD35, "RSA35"],
    ["2024-008002", "2024-09-02", "2024-09-24", "Agence Ouest Recrutement", "Annonce de recrutement du chargé de mission", "6231", "personnel", "420.00", CD35, "PEX35"],
    ["2024-008515", "2024-09-16", "2024-10-08", "Bureau Vallée Rennes", "Fournitures de bureau", "6064", "gestion", "87.35", CD35, "PEX35"],
    ["2024-009188", "2024-10-07", "2024-10-29", "Bureau Vallée Rennes", "Classeurs et fournitures", "6064", "gestion", "1 2O4,00", CD35, "PEX35"],
    ["2024-009740", "2024-10-21", "2024-11-12", "Studio Graphique Armor", "Conception du guide des aides au maintien dans le logement", "6238", "communication", "540.00", CD35, "PEX35"],
    ["2024-010060", "2024-10-31", "2024-11-19", "Orange Business Services", "Téléphonie mobile, 4e trimestre (oct.-nov.)", "6262", "gestion", "62.50", CD35, "PEX35"],
    ["2024-011231", "2024-12-12", "2025-03-14", "Rent A Car Rennes", "Location de véhicule, CCAPEX de Redon", "6135", "gestion", "138.60", CD35, "PEX35"],
    ["2024-011902", "2024-12-31", "2025-01-20", "Orange Business Services", "Téléphonie mobile, décembre", "6262", "gestion", "62.50", CD35, "PEX35"],
    ["2025-000217", "2025-01-09", "2025-01-28", "Bureau Vallée Rennes", "Fournitures de bureau", "6064", "gestion", "64.90", CD35, "PEX35"],
]  # fmt: skip


FIXED = dt.datetime(2025, 2, 14, 9, 30)  # fixed metadata: regenerating gives the same bytes


def _workbook() -> Workbook:
    wb = Workbook()
    wb.properties.creator = "pexaudit sample"
    wb.properties.created = wb.properties.modified = FIXED
    return wb


def _title(ws, text: str) -> None:
    ws.append([text])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([])


def write_payroll(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "Paie 2024"
    _title(ws, "Conseil départemental d'Ille-et-Vilaine - extraction paie 2024 - CCAPEX")
    ws.append(["Matricule", "Nom", "Période", "Brut", "Charges patronales", "Autres coûts", "Code analytique"])
    for row in payroll_rows():
        ws.append([float(v) if isinstance(v, D) else v for v in row])
        ws.cell(ws.max_row, 3).number_format = "mmmm yyyy"
        for col in (4, 5, 6):
            ws.cell(ws.max_row, col).number_format = "#,##0.00"
    wb.save(path)


def write_expenses(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "Mandats 2024"
    _title(ws, "Grand livre analytique PEX35 - mandats imputés à la convention")
    ws.append(
        [
            "N° mandat",
            "Date",
            "Date de paiement",
            "Fournisseur",
            "Libellé",
            "Compte",
            "Ligne",
            "Montant",
            "Payeur",
            "Code analytique",
        ]
    )
    for piece, date, paid, *rest, amount, payer, code in EXPENSES:
        value = float(amount) if amount.replace(".", "").lstrip("-").isdigit() else amount
        ws.append(
            [piece or None, dt.datetime.fromisoformat(date), dt.datetime.fromisoformat(paid), *rest, value, payer, code]
        )
        ws.cell(ws.max_row, 2).number_format = ws.cell(ws.max_row, 3).number_format = "dd/mm/yyyy"
    wb.save(path)


# A year of the chargée de mission hired on 01/02/2024 (SPEC section 10): CCAPEX sessions,
# trainings of social workers, meetings with landlords, monthly Dihal reports. Missions are
# written as people write them: code or label, any case, with or without accents. Planted:
# January 2024 before the hire (ACTIVITE_SANS_AGENT), an FSL case file, a function of the
# Département outside article 2 (HORS_MISSION), an unreadable number of participants and a
# training dated January 2025 (ACTIVITE_ILLISIBLE), trainings short of the target (INDICATEUR).
# date (a date, or text as typed), mission, action, indicateur, valeur, participants
ACTIVITY = [
    ["janvier 2024", "Coordination", "CCAPEX centrale : séance de janvier", "seances_ccapex", None, 14],
    ["2024-01-25", "coordination", "Réunion de lancement du dispositif avec la DDETS", None, None, 6],
    ["2024-02-12", "Gestion des données relatives à la prévention des expulsions", "Remontée mensuelle à la Dihal (données de janvier)", "remontees_dihal", None, None],
    ["2024-02-13", "Coordination", "CCAPEX centrale : séance de février", "seances_ccapex", None, 13],
    ["2024-03-07", "Relogement", "Rencontre avec Archipel Habitat : mutations et apurement des dettes", "reunions_bailleurs", None, 4],
    ["2024-03-11", "donnees", "Remontée mensuelle à la Dihal (données de février)", "remontees_dihal", None, None],
    ["2024-03-12", "Coordination", "CCAPEX centrale : séance de mars", "seances_ccapex", None, 15],
    ["2024-03-21", "Formation", "Formation des travailleurs sociaux du CDAS de Rennes Nord : la procédure d'expulsion", "personnes_formees", 12, 12],
    ["2024-04-09", "Coordination", "CCAPEX centrale : séance d'avril", "seances_ccapex", None, 14],
    ["2024-04-10", "Données", "Remontée mensuelle à la Dihal (données de mars)", "REMONTEES_DIHAL", None, None],
    ["2024-04-18", "CCAPEX locales", "CCAPEX locale du pays de Fougères", "seances_ccapex", None, 9],
    ["2024-04-25", "relogement", "Rencontre avec Néotoa : accompagnement des ménages en dette", "reunions_bailleurs", None, 3],
    ["2024-05-13", "donnees", "Remontée mensuelle à la Dihal (données d'avril)", "remontees_dihal", None, None],
    ["2024-05-14", "Coordination", "CCAPEX centrale : séance de mai", "seances_ccapex", None, 16],
    ["2024-05-16", "Formation des acteurs à la prévention des expulsions, notamment des travailleurs sociaux", "Formation au diagnostic social et financier, CDAS de Fougères", "personnes_formees", 15, 15],
    ["2024-05-30", "Action sociale - FSL", "Instruction de demandes d'aide du FSL (commission du 30/05)", None, None, None],
    ["2024-06-10", "donnees", "Remontée mensuelle à la Dihal (données de mai)", "remontees_dihal", None, None],
    ["2024-06-11", "Coordination", "CCAPEX centrale : séance de juin", "seances_ccapex", None, 13],
    ["2024-06-20", "Relogement", "Comité des bailleurs sociaux du département", "reunions_bailleurs", None, 11],
    ["2024-06-27", "ccapex_locales", "CCAPEX locale de Vitré", "seances_ccapex", None, 8],
    ["2024-07-04", "donnees", "Indicateurs de la charte : tableau semestriel", None, None, None],
    ["2024-07-09", "Coordination", "CCAPEX centrale : séance de juillet", "seances_ccapex", None, 12],
    ["2024-07-11", "Relogement", "Rencontre avec Espacil Habitat : mutations provoquées", "reunions_bailleurs", None, 3],
    ["15/07/2024", "donnees", "Remontée mensuelle à la Dihal (données de juin)", "remontees_dihal", None, None],
    ["2024-08-12", "donnees", "Remontée mensuelle à la Dihal (données de juillet)", "remontees_dihal", None, None],
    ["2024-08-27", "Coordination", "CCAPEX centrale : séance d'août", "seances_ccapex", None, 11],
    ["2024-09-09", "donnees", "Remontée mensuelle à la Dihal (données d'août)", "remontees_dihal", None, None],
    ["2024-09-10", "Coordination", "CCAPEX centrale : séance de septembre", "seances_ccapex", None, 14],
    ["2024-09-19", "Relogement", "Réunion inter-bailleurs sur les mutations provoquées", "reunions_bailleurs", None, "une dizaine"],
    ["2024-09-24", "CCAPEX locales", "CCAPEX locale du pays de Redon", "seances_ccapex", None, 10],
    ["2024-09-26", "Coordination", "Commission de coordination des actions de prévention (charte)", None, None, 18],
    ["2024-10-08", "Coordination", "CCAPEX centrale : séance d'octobre", "seances_ccapex", None, 15],
    ["2024-10-10", "Formation", "Formation des travailleurs sociaux, CDAS de Redon : la procédure et ses enjeux", "personnes_formees", 9, 9],
    ["2024-10-14", "donnees", "Remontée mensuelle à la Dihal (données de septembre)", "remontees_dihal", None, None],
    ["2024-11-12", "donnees", "Remontée mensuelle à la Dihal (données d'octobre)", "remontees_dihal", None, None],
    ["2024-11-12", "Coordination", "CCAPEX centrale : séance de novembre", "seances_ccapex", None, 14],
    ["2024-11-21", "CCAPEX locales", "CCAPEX locale du pays de Saint-Malo", "seances_ccapex", None, 11],
    ["2024-11-28", "Formation", "Sensibilisation des conseillers en économie sociale et familiale", "personnes_formees", 8, 8],
    ["2024-12-05", "Relogement", "Rencontre avec les agences immobilières du parc privé", "reunions_bailleurs", None, 7],
    ["2024-12-09", "donnees", "Remontée mensuelle à la Dihal (données de novembre)", "remontees_dihal", None, None],
    ["2024-12-10", "Coordination", "CCAPEX centrale : séance de décembre", "seances_ccapex", None, 13],
    ["2024-12-12", "Coordination", "Comité de suivi de la charte départementale", None, None, 22],
    ["2025-01-16", "Formation", "Formation des travailleurs sociaux, CDAS de Saint-Malo", "personnes_formees", 14, 14],
]  # fmt: skip


def write_activity(path: Path) -> None:
    wb = _workbook()
    ws = wb.active
    ws.title = "Activité 2024"
    _title(ws, "Conseil départemental d'Ille-et-Vilaine - compte rendu d'activité 2024 - chargée de mission PEX")
    ws.append(["Date", "Mission", "Action", "Indicateur", "Valeur", "Participants"])
    for date, *rest in ACTIVITY:
        value = dt.datetime.fromisoformat(date) if date[:4].isdigit() else date  # else text as typed
        ws.append([value, *rest])
        if isinstance(value, dt.datetime):
            ws.cell(ws.max_row, 1).number_format = "dd/mm/yyyy"
    wb.save(path)


def main() -> int:
    for folder in FOLDERS:
        folder.mkdir(exist_ok=True)
        write_payroll(folder / "paie.xlsx")
        write_expenses(folder / "depenses.xlsx")
        write_activity(folder / "activite.xlsx")
        print(f"wrote {folder / 'paie.xlsx'}, {folder / 'depenses.xlsx'} and {folder / 'activite.xlsx'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
