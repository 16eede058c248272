"""What a million-line FEC adds to a whole ``pexaudit audit`` (issue 18), measured in one run.

The ledger is the real FEC of ``tests/external/fec`` (934 lines) replicated to a million lines by
``benchmarks/replicate_fec.py`` (fresh entry numbers, pieces and letters per copy); the
convention maps seven of its class-6 accounts, which select about 57 000 project rows. Measured:

- a bare ``pandas.read_csv`` of the big FEC with its separator, every column as text (the least
  any reader must do), in its own process;
- ``pexaudit audit`` of the convention on the original 934-line FEC and on the big one, as a
  user runs it (CLI, kernel, notebook, report, workbook, letter), with the resident memory of
  every process of the tree sampled.

Targets: what the million lines add (big audit − audit of the original) at most 3 × the bare
read; the largest process at most 1.5 GB.

    .venv/bin/python benchmarks/fec_audit.py [--lines 1000000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from measure import run_measured  # noqa: E402 - benchmarks/measure.py, beside this script
from replicate_fec import PROJECT_ACCOUNTS, REAL, replicate  # noqa: E402

SMALL_LINES = 934  # the real ledger itself
BARE = r"""
import sys, time, pandas as pd
started = time.perf_counter()
pd.read_csv(sys.argv[1], sep="|", dtype=str, encoding="iso-8859-15")
print(time.perf_counter() - started)
"""
FEC_NAME = "123456789FEC20231231.txt"


def write_convention(folder: Path, lines: int) -> None:
    """The association's convention on its ledger replicated to ``lines`` lines (the original when
    ``lines`` is its own size): personnel, management under a cap, purchases as a direct line."""
    folder.mkdir(parents=True)
    replicate(folder / FEC_NAME, lines, REAL)
    lines_of = {"62700000": "gestion", "61600000": "gestion"}
    convention = {
        "id": folder.name,
        "title": "Chargé de mission PEX (grand livre FEC répliqué)",
        "programme": "177",
        "period": {"start": "2023-01-01", "end": "2023-12-31"},
        "beneficiary": {"name": "Association Nectar", "siret": "32738082000032"},
        "subsidy": {"amount": 50000, "payments": [{"date": "2023-02-15", "amount": 50000}]},
        "budget": [
            {"line": "personnel", "label": "Personnel", "kind": "personnel", "amount": 40000},
            {"line": "gestion", "label": "Gestion", "kind": "management", "amount": 4000},
            {"line": "achats", "label": "Achats et services", "kind": "direct", "amount": 6000},
        ],
        "staff": [{"employee_id": "A1", "allocation": 1, "start": "2023-01-01", "ddets_validation_date": "2022-12-15"}],
        "rules": {"management_costs": {"mode": "actual", "cap_rate": 0.10}},
        "inputs": {
            "payroll": "paie.csv",
            "expenses": FEC_NAME,
            "accounts": {account: lines_of.get(account, "achats") for account in PROJECT_ACCOUNTS},
        },
    }
    (folder / "convention.yaml").write_text(yaml.safe_dump(convention, allow_unicode=True), encoding="utf-8")
    pay = ["matricule;periode;brut;charges_patronales"] + [f"A1;{m:02d}/2023;2652,18;997,22" for m in range(1, 13)]
    (folder / "paie.csv").write_text("\n".join(pay) + "\n", encoding="utf-8")


def audit(folder: Path, out: Path) -> dict:
    """Wall time of ``pexaudit audit``, peak RSS of its largest process and of the whole tree."""
    run = run_measured([str(BIN / "pexaudit"), "audit", str(folder), "--out", str(out)])
    if run.returncode != 0:
        raise SystemExit(f"pexaudit audit {folder.name} failed ({run.returncode}):\n{run.stderr[-3000:]}")
    results = json.loads((out / folder.name / "results.json").read_text(encoding="utf-8"))
    return {"seconds": run.seconds, "tree": run.tree, "largest": run.largest, "results": results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measure (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pexaudit-fec-audit-") as tmp:
        work = Path(tmp)
        started = time.perf_counter()
        big, small = work / "fec-grand-2024", work / "fec-petit-2024"
        write_convention(big, args.lines)
        write_convention(small, SMALL_LINES)
        generated = time.perf_counter() - started
        fec = big / FEC_NAME
        bares, smalls, bigs = [], [], []
        for _ in range(args.repeat):
            proc = subprocess.run([sys.executable, "-c", BARE, str(fec)], capture_output=True, text=True, check=True)
            bares.append(float(proc.stdout))
            smalls.append(audit(small, work / "out"))
            bigs.append(audit(big, work / "out"))
        bare = statistics.median(bares)
        small_s = statistics.median(r["seconds"] for r in smalls)
        big_s = statistics.median(r["seconds"] for r in bigs)
        largest = max(r["largest"] for r in bigs)
        tree = max(r["tree"] for r in bigs)
        res = bigs[0]["results"]
        size = fec.stat().st_size / 1e6
    added = big_s - small_s
    print(f"FEC: {res['analytics']['lines']:,} lines ({size:.0f} MB), {res['inputs'][2]['rows']} project rows; "
          f"written in {generated:.0f} s")  # fmt: skip
    print(f"bare pandas.read_csv (tab, all columns as text): {bare:.2f} s")
    print(f"pexaudit audit, FEC of {SMALL_LINES} lines: {small_s:.2f} s")
    print(f"pexaudit audit, FEC of {args.lines:,} lines: {big_s:.2f} s")
    print(f"  the {args.lines:,} lines add {added:.2f} s = {added / bare:.2f} x the bare read (target <= 3)")
    print(f"  peak RSS: largest process {largest / 2**30:.2f} GiB (target < 1.5 GB), whole tree {tree / 2**30:.2f} GiB")
    ok = added <= 3 * bare and largest < 1.5e9
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
