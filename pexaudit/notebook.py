"""The few calls ``notebooks/audit.ipynb`` makes: audit, write the outputs, show sections.

Kept here so the notebook stays a parameters cell and one line per section.
"""

from __future__ import annotations

from pathlib import Path

from .audit import Audit, audit, results, write_json
from .report import section
from .workbook import write_workbook

__all__ = ["show", "start"]


def start(convention_dir: str, out_dir: str) -> Audit:
    """Audit ``convention_dir``; write results.json and bilan_financier.xlsx into ``out_dir``."""
    a = audit(convention_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_json(results(a), out / "results.json")
    write_workbook(a, out / "bilan_financier.xlsx")
    return a


def show(name: str, a: Audit):
    """One report section (see ``pexaudit.report.SECTIONS``), as JupyterLab displays it."""
    return section(name, a)
