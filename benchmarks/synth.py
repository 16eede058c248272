"""Synthetic conventions for benchmarks and batch tests: one per territory, seeded.

Each looks like the bundled sample (a *chargé de mission* post, payroll by month, a dozen
management vouchers with a few anomalies) with figures drawn from plausible 2024 ranges (attaché pay, 35-45 % employer contributions).
Nothing here is used by an audit.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import yaml

__all__ = ["TERRITORIES", "write_convention", "write_conventions"]

TERRITORIES = ["35", "59", "75", "80", "92", "13", "69", "33", "31", "44", "67", "06",
               "34", "76", "38", "62", "93", "94", "29", "56", "22", "14", "2A", "974"]  # fmt: skip
SUPPLIERS = ["UGAP", "Bureau Vallée", "SNCF Voyageurs", "Orange Business Services", "CNFPT", "La Poste"]
ACCOUNTS = {"UGAP": "60632", "Bureau Vallée": "6064", "SNCF Voyageurs": "6251", "Orange Business Services": "6262",
            "CNFPT": "6184", "La Poste": "6261"}  # fmt: skip


def _money(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def write_convention(
    folder: Path, territory: str, seed: int, *, xlsx: bool = False, year: int = 2024, suffix: str = ""
) -> Path:
    """Write one convention folder and return it."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    personnel = rng.randrange(40_000, 52_000, 500)
    management = rng.randrange(2_000, 6_000, 250)
    granted = personnel + management - rng.choice([0, 0, 2_000, 5_000])
    hire_month = rng.choice([1, 1, 2, 3, 4])
    allocation = rng.choice([1.0, 1.0, 0.8, 0.5])
    flat = rng.random() < 0.25
    staff_id = f"M{territory}{rng.randrange(100, 999)}"
    convention = {
        "id": f"cd{territory.lower()}-{year}-pex{suffix}",
        "title": "Chargé de mission Prévention des expulsions locatives",
        "programme": "177",
        "period": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "signature_date": f"{year}-03-{rng.randrange(1, 28):02d}",
        "report_submitted_date": f"{year + 1}-02-{rng.randrange(10, 28):02d}" if rng.random() < 0.8 else f"{year + 1}-03-15",
        "beneficiary": {"name": f"Conseil départemental {territory}", "siret": "22350001800013"},
        "subsidy": {"amount": granted, "payments": [{"date": f"{year}-04-{rng.randrange(1, 28):02d}", "amount": granted}]},
        "budget": [
            {"line": "personnel", "label": "Charges de personnel", "kind": "personnel", "amount": personnel},
            {"line": "gestion", "label": "Coûts de gestion", "kind": "management", "amount": management},
        ],
        "staff": [{"employee_id": staff_id, "role": "Chargé de mission PEX", "allocation": allocation,
                   "start": f"{year}-{hire_month:02d}-01", "end": None, "ddets_validation_date": f"{year}-{hire_month:02d}-01"}],
        "rules": {"project_codes": [f"PEX{territory}"],
                  "management_costs": {"mode": "flat_rate", "rate": 0.08} if flat else {"mode": "actual", "cap_rate": 0.10},
                  "variance_alert_pct": 15},
        "inputs": {"payroll": "paie.xlsx" if xlsx else "paie.csv", "expenses": "depenses.csv", "activity": None},
    }  # fmt: skip
    (folder / "convention.yaml").write_text(
        yaml.safe_dump(convention, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )

    gross = rng.uniform(2_300, 3_300)
    pay = []
    for month in range(hire_month, 13):
        brut = gross + (1_500 if month == 11 and rng.random() < 0.5 else 0)
        pay.append(
            [
                staff_id,
                "Agent synthétique",
                f"{month:02d}/{year}",
                round(brut, 2),
                round(brut * rng.uniform(0.36, 0.42), 2),
                4.5 * rng.randrange(8, 22),
            ]
        )
    if rng.random() < 0.5:
        pay.append(list(pay[rng.randrange(len(pay))]))  # an exported duplicate
    header = ["matricule", "nom", "periode", "brut", "charges_patronales", "autres_couts"]
    if xlsx:
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.append([f"Paie {year} - territoire {territory}"])
        ws.append(header)
        for row in pay:
            ws.append(row)
        wb.properties.created = wb.properties.modified = dt.datetime(year + 1, 1, 15)
        wb.save(folder / "paie.xlsx")
    else:
        lines = [";".join(header)] + [
            ";".join(str(v) if i < 3 else _money(v) for i, v in enumerate(row)) for row in pay
        ]
        (folder / "paie.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    expenses = ["piece;date;date_paiement;fournisseur;libelle;compte;ligne;montant;payeur;code_analytique"]
    for index in range(rng.randrange(8, 16)):
        supplier = rng.choice(SUPPLIERS)
        day = dt.date(year, rng.randrange(1, 13), rng.randrange(1, 28))
        paid = day + dt.timedelta(days=rng.randrange(5, 40))
        code = f"PEX{territory}" if rng.random() > 0.08 else "AUTRE"
        line = "gestion" if rng.random() > 0.05 else "communication"
        expenses.append(
            f"{year}-{index:05d};{day:%d/%m/%Y};{paid:%d/%m/%Y};{supplier};Dépense {index};{ACCOUNTS[supplier]};{line};"
            f"{_money(rng.uniform(20, 900))};;{code}"
        )
    (folder / "depenses.csv").write_text("\n".join(expenses) + "\n", encoding="utf-8")
    return folder


def write_conventions(root: Path, count: int, *, seed: int = 2024) -> list[Path]:
    """``count`` conventions under ``root``, one per territory (payroll in .xlsx every third)."""
    folders = []
    for i in range(count):
        territory = TERRITORIES[i % len(TERRITORIES)]
        suffix = f"-{i // len(TERRITORIES)}" if i >= len(TERRITORIES) else ""
        folders.append(
            write_convention(
                root / f"cd{territory.lower()}-{i:02d}", territory, seed + i, xlsx=i % 3 == 0, suffix=suffix
            )
        )
    return folders
