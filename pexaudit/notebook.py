"""The few calls ``notebooks/audit.ipynb`` makes: audit, write the outputs, show sections, and
the auditor's workbench (try decisions before writing them).

Kept here so the notebook stays a parameters cell and one line per section. Everything shown
is a view of one :class:`~pexaudit.model.Bilan`, the same the report, the workbook and the
letter render.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .audit import audit, write_results
from .letter import LetterParties, write_letter
from .model import Bilan, build
from .report import section
from .workbook import write_workbook

__all__ = [
    "largest_stake",
    "rejected",
    "reset_namespace",
    "show",
    "start",
    "try_decision",
    "warm",
    "write_outputs",
]


DRAFTS = Path("..") / "reports" / "brouillon"


def start(convention_dir: str, out_dir: str = "", previous: str = "", report_file: str = "rapport.html") -> Bilan:
    """Audit ``convention_dir``; write results.json, bilan_financier.xlsx and courrier.docx into ``out_dir``.

    An empty ``out_dir`` (the notebook's default in JupyterLab) writes to
    ``../reports/brouillon/<id>/``: an interactive run never overwrites the finished report that
    ``pexaudit audit`` or ``make demo`` wrote. ``previous``: an earlier results.json of the
    same convention (typically the provisional run), or empty. ``report_file``: the report as
    it is sent, which the letter names as its enclosure (``rapport.pdf`` with ``--pdf``).
    """
    b = build(audit(convention_dir, previous=previous or None))
    for note in b.convention.notes:
        print(f"Avertissement : {note}")
    write_outputs(b, Path(out_dir) if out_dir else DRAFTS / b.convention.id, report_file)
    return b


def write_outputs(b: Bilan, out: Path, report_file: str = "rapport.html") -> None:
    """results.json, bilan_financier.xlsx and courrier.docx of ``b`` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    write_results(b.audit, out / "results.json")
    write_workbook(b, out / "bilan_financier.xlsx")
    write_letter(b, LetterParties.from_convention(b.convention), out / "courrier.docx", enclosure=report_file)


# The workbench table's columns, in French (``ref`` is what decisions.yaml's ``- ref:`` names).
REJECTED_FR = {"ref": "ref", "file": "fichier", "sheet": "feuille", "row": "ligne", "line": "ligne budgétaire",
               "amount": "montant (€)", "rejected": "rejeté (€)", "rules": "règles", "reasons": "motifs",
               "impact": "enjeu (€)"}  # fmt: skip


def rejected(b: Bilan, rule: str | None = None, line: str | None = None):
    """The rows rejected after decisions, largest stake first, in euros; filter by rule or line.

    ``ref`` is what a decision names (``decisions.yaml`` ``- ref:``, or ``try_decision``).
    """
    from .workbench import rejected_rows

    table = rejected_rows(b)
    if rule:
        table = table[table["rules"].map(lambda rules: rule in rules)]
    if line:
        table = table[table["line"] == line]
    euros = {
        c: pd.Series([None if v is None or v != v else v / 100 for v in table[c]], index=table.index, dtype=object)
        for c in ("amount", "rejected", "impact")
    }
    texts = {"rules": table["rules"].map(", ".join), "reasons": table["reasons"].map(" ; ".join)}
    return table.assign(**euros, **texts).rename(columns=REJECTED_FR).reset_index(drop=True)


def largest_stake(table) -> str | None:
    """The ref of the rejected row whose acceptance would change the balance most (a known stake)."""
    known = table[table[REJECTED_FR["impact"]].notna()]
    return None if known.empty else known[REJECTED_FR["ref"]].iloc[0]


def try_decision(b: Bilan, ref: str | None, decision: str = "accept", *, amount: float | None = None,
                 rule: str | None = None):  # fmt: skip
    """The settlement now and with one more decision on ``ref``, recomputed without writing
    anything (no file read, GX not run again): try before recording it in decisions.yaml.
    ``ref`` None (nothing to try): None."""
    if ref is None:
        return None
    from .decisions import Decision
    from .fmt import eur
    from .parsing import normalize_key
    from .vocabulary import DECISION_VERBS, DECISION_WORDS
    from .workbench import simulate

    word = DECISION_WORDS.get(normalize_key(decision), decision)  # « accepter » as in decisions.yaml
    cents = None if amount is None else round(amount * 100)
    after = simulate(b, [Decision(ref, word, rule=rule, amount=cents)])
    rows = {}
    for label, view in (("actuel", b), (f"avec « {DECISION_VERBS.get(word, word)} » sur {ref}", after)):
        h = view.headline
        rows[label] = {"Éligible": eur(h.eligible), "Montant justifié": eur(h.justified),
                       "Solde": eur(h.balance, signed=True), "Issue": f"{h.outcome_label} : {eur(h.amount)}"}  # fmt: skip
    return pd.DataFrame(rows)


def show(name: str, b: Bilan):
    """One report section (see ``pexaudit.report.SECTIONS``), as JupyterLab displays it."""
    return section(name, b)


def warm() -> None:
    """Pay the imports and set-ups once in a kernel (GX context, matplotlib, templates).

    Run by :mod:`pexaudit.run` on a new kernel while the driver does its own imports; a
    convention audited afterwards gives the same results as on a cold kernel.
    """
    from .charts import _plt
    from .checks import checker
    from .report import _env

    checker()
    _plt()
    _env()


def reset_namespace() -> None:
    """What ``%reset -f`` does (a clean user namespace, output caches flushed), minus the full
    ``gc.collect()`` IPython forces on each reset: 0,4 s on a kernel holding GX and pandas.
    Unreachable cycles are left to Python's automatic collection.
    """
    import gc

    from IPython import get_ipython

    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        get_ipython().reset(new_session=False)
    finally:
        gc.collect = collect
