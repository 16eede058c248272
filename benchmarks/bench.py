"""Speed figures for pexaudit, measured in one run on this machine.

1. The naive floor: the papermill CLI on a trivial notebook that imports GX, then the
   ``jupyter nbconvert --to html --no-input`` CLI on its output.
2. One cold ``pexaudit audit`` of the bundled sample (a new process, a new kernel).
3. ``pexaudit batch`` of 24 synthetic conventions with 2 workers.

Prints the times and the ratios the project holds itself to (issue 4): one cold audit at most
0.9 x the naive floor; the batch at most 0.15 x the time of 24 cold single audits.

    .venv/bin/python benchmarks/bench.py [--conventions 24] [--workers 2]
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conventions", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=1, help="runs of the floor and of the cold audit (median)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from synth import write_conventions  # benchmarks/synth.py, beside this script

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

    budget = args.conventions * cold
    print(f"naive floor: papermill GX notebook {papermill:.2f} s + nbconvert CLI {nbconvert:.2f} s = {floor:.2f} s")
    print(f"cold pexaudit audit (sample): {cold:.2f} s  -> {cold / floor:.2f} x floor (target <= 0.90)")
    print(f"batch of {args.conventions} conventions, {args.workers} workers: {batch:.2f} s ({audited} audited, "
          f"{batch / max(audited, 1):.2f} s each)")  # fmt: skip
    print(
        f"  {args.conventions} cold audits would take {budget:.1f} s -> batch = {batch / budget:.3f} x (target <= 0.15)"
    )
    ok = cold <= 0.9 * floor and batch <= 0.15 * budget
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
