"""A ledger at Excel's row limit: time and peak memory of one ``pexaudit audit``.

Writes a convention whose expenses workbook holds 1 048 575 voucher rows under its header
(1 048 576 rows: Excel's maximum), audits it with the command line as a user would, samples the
resident memory of the whole process tree (CLI + kernel) and prints the figures.

    .venv/bin/python benchmarks/big_workbook.py [--rows 1048575]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
from pathlib import Path

import yaml
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from measure import run_measured  # noqa: E402 - benchmarks/measure.py, beside this script

BIN = Path(sys.executable).parent
EXCEL_MAX_ROWS = 1_048_576


def write_convention(folder: Path, rows: int) -> None:
    folder.mkdir(parents=True)
    convention = {
        "id": "grand-livre-2024",
        "title": "Grand livre à la limite d'Excel",
        "programme": "177",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "beneficiary": {"name": "Conseil départemental d'Ille-et-Vilaine", "siret": "22350001800013"},
        "subsidy": {"amount": 50000, "payments": [{"date": "2024-03-25", "amount": 50000}]},
        "budget": [
            {"line": "personnel", "label": "Personnel", "kind": "personnel", "amount": 45500},
            {"line": "gestion", "label": "Gestion", "kind": "management", "amount": 4500},
        ],
        "staff": [
            {"employee_id": "M0412", "allocation": 1, "start": "2024-02-01", "ddets_validation_date": "2024-01-22"}
        ],
        "rules": {"project_codes": ["PEX35"], "management_costs": {"mode": "actual", "cap_rate": 0.10}},
        "inputs": {"payroll": "paie.csv", "expenses": "depenses.xlsx"},
    }
    (folder / "convention.yaml").write_text(yaml.safe_dump(convention, allow_unicode=True), encoding="utf-8")
    pay = ["matricule;periode;brut;charges_patronales;autres_couts"]
    pay += [f"M0412;{m:02d}/2024;2652,18;997,22;81,00" for m in range(2, 13)]
    (folder / "paie.csv").write_text("\n".join(pay) + "\n", encoding="utf-8")
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Grand livre")
    ws.append(
        [
            "piece",
            "date",
            "date_paiement",
            "fournisseur",
            "libelle",
            "compte",
            "ligne",
            "montant",
            "payeur",
            "code_analytique",
        ]
    )
    start = dt.datetime(2024, 1, 1)
    for i in range(rows):
        day = start + dt.timedelta(days=i % 380)  # some vouchers fall in 2025: PERIODE
        paid = day + dt.timedelta(days=20)
        code = "PEX35" if i % 50 else "RSA35"  # 2 % coded to another project: PROJET
        ws.append([f"M{i:07d}", day, paid, f"Fournisseur {i % 997}", "Fournitures", "6064", "gestion",
                   round(0.01 * (i % 9_000 + 1), 2), None, code])  # fmt: skip
    wb.save(folder / "depenses.xlsx")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=EXCEL_MAX_ROWS - 1, help="voucher rows under the header")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pexaudit-big-") as tmp:
        folder = Path(tmp) / "grand-livre"
        started = time.perf_counter()
        write_convention(folder, args.rows)
        written = time.perf_counter() - started
        size = (folder / "depenses.xlsx").stat().st_size
        command = [str(BIN / "pexaudit"), "audit", str(folder), "--out", str(Path(tmp) / "out")]
        run = run_measured(command, every=0.5)
        elapsed, peak = run.seconds, {"rss": run.tree}
        largest = run.largest
        if run.returncode != 0:
            print(run.stderr[-3000:])
            return 1
        out = Path(tmp) / "out" / "grand-livre-2024"
        res = json.loads((out / "results.json").read_text(encoding="utf-8"))
        sizes = {p.name: p.stat().st_size for p in out.iterdir()}

    print(f"workbook: {args.rows + 1:,} rows (header included), {size / 1e6:.1f} MB, written in {written:.0f} s")
    print(f"pexaudit audit: {elapsed:.0f} s, exit {run.returncode}")
    print(f"peak resident memory (sampled every 0.5 s): whole tree {peak['rss'] / 2**30:.2f} GiB; "
          f"largest single process {largest / 2**30:.2f} GiB")  # fmt: skip
    print(
        f"rows in results.json: {len(res['rows']):,}; eligible {res['totals']['eligible']:,.2f} EUR; verdict {res['verdict']}"
    )
    print("outputs: " + ", ".join(f"{name} {bytes_ / 1e6:.1f} MB" for name, bytes_ in sorted(sizes.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
