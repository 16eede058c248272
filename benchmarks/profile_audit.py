"""Where the time goes (issue 18), on the three workloads of ``make bench``.

1. ``fec``: the audit of a FEC replicated to a million lines (``replicate_fec.py``), in-process,
   under cProfile: reading, rules, decisions, findings, model, results.json, workbook, letter,
   report; prints each stage's seconds and the functions that cost most.
2. ``cold``: one ``pexaudit audit`` of the sample: the driver's and the kernel's imports
   (``python -X importtime``) and the notebook's cells (papermill's per-cell durations).
3. ``batch``: one convention on a warm kernel, as a batch worker runs it: per-cell durations and
   the HTML export.

    .venv/bin/python benchmarks/profile_audit.py [fec|cold|batch ...] [--lines 1000000] [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SAMPLE = ROOT / "data" / "conventions" / "cd35-2024"
sys.path.insert(0, str(ROOT / "benchmarks"))


def _stages(folder: Path, out: Path) -> dict[str, float]:
    from pexaudit import notebook as nb
    from pexaudit.core.audit import audit, write_results
    from pexaudit.core.checks import checker
    from pexaudit.model.bilan import build
    from pexaudit.render.letter import LetterParties, write_letter
    from pexaudit.render.report import render_all
    from pexaudit.render.workbook import write_workbook

    ck = checker()
    times: dict[str, float] = {}

    def stage(name, call):
        started = time.perf_counter()
        value = call()
        times[name] = time.perf_counter() - started
        return value

    a = stage("audit (read, rules, decisions, aggregates, findings, stakes)", lambda: audit(folder, ck))
    b = stage("model", lambda: build(a))
    stage("results.json", lambda: write_results(a, out / "results.json"))
    stage("workbook", lambda: write_workbook(b, out / "bilan_financier.xlsx"))
    stage("letter", lambda: write_letter(b, LetterParties.from_convention(b.convention), out / "courrier.docx"))
    stage("report sections", lambda: render_all(b))
    del nb
    return times


def fec(lines: int, top: int) -> None:
    from fec_audit import write_convention

    with tempfile.TemporaryDirectory(prefix="pexaudit-profile-") as tmp:
        folder = Path(tmp) / "fec-grand"
        write_convention(folder, lines)
        profile = cProfile.Profile()
        profile.enable()
        times = _stages(folder, Path(tmp))
        profile.disable()
    print(f"== a FEC of {lines:,} lines, in-process (cProfile on: times inflated)")
    for name, seconds in times.items():
        print(f"  {seconds:6.2f} s  {name}")
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(top)
    print(text.getvalue())


def _imports(code: str, top: int) -> None:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True)
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    top_level = [(us, name) for us, name in rows if not name.startswith("   ")]
    for us, name in sorted(top_level, reverse=True)[:top]:
        print(f"  {us / 1e6:6.2f} s  {name.strip()}")


def _cells(notebook: Path) -> None:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    total = 0.0
    for cell in nb["cells"]:
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if duration:
            total += duration
            print(f"  {duration:6.3f} s  {''.join(cell['source']).splitlines()[0][:70]}")
    print(f"  {total:6.3f} s  all cells")


def cold(top: int) -> None:
    print("== the driver's imports (pexaudit audit, before the kernel runs the notebook)")
    _imports("import pexaudit.cli, pexaudit.run.execute, papermill, nbconvert", top)
    print("== the kernel's warm-up imports")
    _imports("import pexaudit.notebook as nb; nb.warm()", top)
    with tempfile.TemporaryDirectory(prefix="pexaudit-profile-") as tmp:
        started = time.perf_counter()
        subprocess.run([str(BIN / "pexaudit"), "audit", str(SAMPLE), "--out", tmp], capture_output=True, check=True)
        print(f"== one cold pexaudit audit of the sample: {time.perf_counter() - started:.2f} s; its cells:")
        _cells(Path(tmp) / "cd35-2024-pex" / "audit.ipynb")


def batch(top: int) -> None:
    from pexaudit.run.execute import Kernel, run_audit

    kernel = Kernel()
    try:
        with tempfile.TemporaryDirectory(prefix="pexaudit-profile-") as tmp:
            run_audit(SAMPLE, tmp, kernel=kernel)  # warm
            started = time.perf_counter()
            run = run_audit(SAMPLE, Path(tmp) / "again", kernel=kernel)
            print(f"== one convention on a warm kernel: {time.perf_counter() - started:.2f} s; its cells:")
            _cells(run.folder / "audit.ipynb")
    finally:
        kernel.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["fec", "cold", "batch"])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    for workload in args.workloads:
        if workload == "fec":
            fec(args.lines, args.top)
        elif workload == "cold":
            cold(args.top)
        elif workload == "batch":
            batch(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
