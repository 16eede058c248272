"""Speed figures for pexaudit, measured in one run on this machine.

1. The naive floor: the papermill CLI on a trivial notebook that imports GX, then the
   ``jupyter nbconvert --to html --no-input`` CLI on its output.
2. One cold ``pexaudit audit`` of the bundled sample (a new process, a new kernel).
3. ``pexaudit batch`` of 24 synthetic conventions with 2 workers.
4. What the stakes cost (issue 9): the in-process audit (read -> rules -> settlement ->
   findings, no kernel, no rendering) of 100 000 expense rows of which 10 000 rejected, with
   and without ``rows[].impact`` and ``settlement.max_balance``.

Prints the times and the ratios the project holds itself to (issue 18): one cold audit at most
0.4 x the naive floor; the batch of 24 at most 0.05 x 24 naive floors (about 0.5 s a
convention); (issue 9) the stakes add at most 20 % to the in-process audit. The third ratio of
issue 18, a million-line FEC, is benchmarks/fec_audit.py.

    .venv/bin/python benchmarks/bench.py [--conventions 24] [--workers 2] [--only impacts]
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

import nbformat

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "data" / "conventions" / "cd35-2024"


def timed(command: list[str], cwd: Path | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 2):
        raise SystemExit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def naive_floor(work: Path) -> tuple[float, float]:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_code_cell("convention_dir = ''", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("import great_expectations as gx\ngx.__version__"),
    ]
    nbformat.write(notebook, work / "trivial.ipynb")
    papermill = timed([str(BIN / "papermill"), "--no-progress-bar", "trivial.ipynb", "trivial.out.ipynb"], cwd=work)
    nbconvert = timed([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", "trivial.out.ipynb"], cwd=work)
    return papermill, nbconvert


def write_ledger(folder: Path, rows: int, rejected: int) -> None:
    """A convention whose expenses CSV has ``rows`` vouchers, ``rejected`` of them coded to
    another project (PROJET), a part-time agent (AFFECTATION) and a cap that binds."""
    import datetime as dt

    import yaml

    folder.mkdir(parents=True)
    convention = {
        "id": "enjeux-2024", "title": "Mesure des enjeux", "programme": "177",
        "period": {"start": "2024-01-01", "end": "2024-12-31"},
        "beneficiary": {"name": "Conseil départemental d'Ille-et-Vilaine", "siret": "22350001800013"},
        "subsidy": {"amount": 5_000_000, "payments": [{"date": "2024-03-25", "amount": 2_500_000}]},
        "budget": [{"line": "personnel", "label": "Personnel", "kind": "personnel", "amount": 1_000_000},
                   {"line": "gestion", "label": "Gestion", "kind": "management", "amount": 4_000_000}],
        "staff": [{"employee_id": "M0412", "allocation": 0.8, "start": "2024-01-01",
                   "ddets_validation_date": "2023-12-01"}],
        "rules": {"project_codes": ["PEX35"], "management_costs": {"mode": "actual", "cap_rate": 0.5}},
        "inputs": {"payroll": "paie.csv", "expenses": "depenses.csv"},
    }  # fmt: skip
    (folder / "convention.yaml").write_text(yaml.safe_dump(convention, allow_unicode=True), encoding="utf-8")
    pay = ["matricule;periode;brut;charges_patronales;autres_couts"]
    pay += [f"M0412;{m:02d}/2024;62652,18;21997,22;81,00" for m in range(1, 13)]
    (folder / "paie.csv").write_text("\n".join(pay) + "\n", encoding="utf-8")
    step = rows // rejected
    lines = ["piece;date;date_paiement;fournisseur;libelle;ligne;montant;payeur;code_analytique"]
    start = dt.date(2024, 1, 1)
    for i in range(rows):
        day = start + dt.timedelta(days=i % 360)
        code = "RSA35" if i % step == 0 else "PEX35"
        lines.append(f"M{i:07d};{day:%d/%m/%Y};{day + dt.timedelta(days=20):%d/%m/%Y};Fournisseur {i % 997};"
                     f"Fournitures;gestion;{(i % 9000 + 1) / 100:.2f};;{code}")  # fmt: skip
    (folder / "depenses.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def impact_overhead(
    work: Path, rows: int = 100_000, rejected: int = 10_000, repeat: int = 5
) -> tuple[float, float, float]:
    """Median seconds of the in-process audit without and with the stakes (runs interleaved), and
    of the stakes alone."""
    from pexaudit.core.audit import audit
    from pexaudit.core.checks import checker

    folder = work / "enjeux"
    write_ledger(folder, rows, rejected)
    gx = checker()
    audit(folder, gx, impacts=False)  # warm: imports, GX context, caches
    without, with_ = [], []
    for _ in range(repeat):
        for impacts, times in ((False, without), (True, with_)):
            started = time.perf_counter()
            a = audit(folder, gx, impacts=impacts)
            times.append(time.perf_counter() - started)
    staked = int(a.rows["impact"].notna().sum())
    assert staked == rejected, f"{staked} rows with a stake, {rejected} expected"
    return statistics.median(without), statistics.median(with_), _time_stakes(a, repeat)


def _time_stakes(a, repeat: int) -> float:
    """Median seconds of the closed form alone (every row's impact and max_balance)."""
    from pexaudit.core.stakes import stakes

    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        stakes(a.convention, a.rows)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the floor and of the cold audit (median)")
    parser.add_argument("--only", choices=["impacts"], help="run only this measurement")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from synth import write_conventions  # benchmarks/synth.py, beside this script

    with tempfile.TemporaryDirectory(prefix="pexaudit-bench-") as tmp:
        without, with_, alone = impact_overhead(Path(tmp))
    overhead = with_ / without - 1
    print(f"in-process audit, 100 000 expense rows (10 000 rejected): {without:.2f} s without impacts, "
          f"{with_:.2f} s with impacts -> {overhead:+.1%} (target <= +20 %); the closed form alone: "
          f"{alone * 1000:.0f} ms = {alone / without:.1%}")  # fmt: skip
    if args.only == "impacts":
        return 0 if overhead <= 0.20 else 1

    with tempfile.TemporaryDirectory(prefix="pexaudit-bench-") as tmp:
        work = Path(tmp)
        floors, audits = [], []
        for _ in range(args.repeat):
            floors.append(naive_floor(work))
            audits.append(timed([str(BIN / "pexaudit"), "audit", str(SAMPLE), "--out", str(work / "single")]))
        papermill = statistics.median(f[0] for f in floors)
        nbconvert = statistics.median(f[1] for f in floors)
        floor = papermill + nbconvert
        cold = statistics.median(audits)
        write_conventions(work / "conventions", args.conventions)
        batch = timed(
            [str(BIN / "pexaudit"), "batch", str(work / "conventions"), "--out", str(work / "batch"),
             "--workers", str(args.workers), "--no-progress"]
        )  # fmt: skip
        consolidation = json.loads((work / "batch" / "consolidation.json").read_text(encoding="utf-8"))
        audited = consolidation["totals"]["conventions"]

    floors = args.conventions * floor
    print(f"naive floor: papermill GX notebook {papermill:.2f} s + nbconvert CLI {nbconvert:.2f} s = {floor:.2f} s")
    print(f"cold pexaudit audit (sample): {cold:.2f} s  -> {cold / floor:.2f} x floor (target <= 0.40)")
    print(f"batch of {args.conventions} conventions, {args.workers} workers: {batch:.2f} s ({audited} audited, "
          f"{batch / max(audited, 1):.2f} s each)")  # fmt: skip
    print(f"  {args.conventions} naive floors: {floors:.1f} s -> batch = {batch / floors:.3f} x (target <= 0.05)")
    ok = cold <= 0.4 * floor and batch <= 0.05 * floors and overhead <= 0.20
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
