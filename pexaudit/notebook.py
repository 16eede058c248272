"""The few calls ``notebooks/audit.ipynb`` makes: audit, write the outputs, show sections, and
the auditor's workbench (try decisions before writing them).

Kept here so the notebook stays a parameters cell and one line per section. Everything shown
is a view of one :class:`~pexaudit.model.Bilan`, the same the report, the workbook and the
letter render.
"""

from __future__ import annotations

import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .core.audit import audit, write_results
from .model.bilan import Bilan, build
from .render.letter import WORKBOOK, LetterParties, write_letter
from .render.report import section
from .render.workbook import write_workbook

__all__ = [
    "SearchTable",
    "Table",
    "example_scenario",
    "finish",
    "largest_stake",
    "rejected",
    "reset_namespace",
    "scenario",
    "search",
    "show",
    "start",
    "to_examine",
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


# From this many rows on, the workbook is written by a forked copy of the kernel while the cells
# go on (a ledger's 57 000 project rows: 4,5 s of workbook beside 3 s of cells, on two cores);
# below, forking costs more than it saves. :func:`finish` waits for it.
CONCURRENT_ROWS = 10_000
_WRITING: list = []  # the forked writers not yet waited for
_WRITTEN: list[Path] = []  # the folders write_outputs wrote into, until finish() says so


def write_outputs(b: Bilan, out: Path, report_file: str = "rapport.html", *, concurrent: bool | None = None) -> None:
    """results.json, bilan_financier.xlsx and courrier.docx of ``b`` into ``out``.

    ``concurrent`` (default: from :data:`CONCURRENT_ROWS` rows on, where ``fork`` exists)
    writes the workbook in a forked process; :func:`finish` waits for it and raises if it failed.
    """
    out.mkdir(parents=True, exist_ok=True)
    while _WRITING:  # a cell run again before the last one: one workbook writer at a time
        _WRITING.pop(0).join()
    if concurrent is None:
        concurrent = len(b.audit.rows) >= CONCURRENT_ROWS and sys.platform.startswith("linux")
    if concurrent:
        import multiprocessing

        _ = b.to_examine, b.rejected.all_views  # laid out once, before the fork: both sides read them
        writer = multiprocessing.get_context("fork").Process(target=write_workbook, args=(b, out / WORKBOOK))
        writer.start()
        _WRITING.append(writer)
    write_results(b.audit, out / "results.json")
    if not concurrent:
        write_workbook(b, out / WORKBOOK)
    write_letter(b, LetterParties.from_convention(b.convention), out / "courrier.docx", enclosure=report_file)
    _WRITTEN.append(out)


def finish() -> None:
    """Wait for the workbook :func:`write_outputs` writes in the background (the notebook's
    last cell), raise if its writing failed, then say where the documents are."""
    failed = []
    while _WRITING:
        writer = _WRITING.pop(0)
        writer.join()
        if writer.exitcode != 0:
            failed.append(writer.exitcode)
    folders = list(dict.fromkeys(_WRITTEN))
    _WRITTEN.clear()
    if failed:
        raise RuntimeError(f"l'écriture du classeur {WORKBOOK} a échoué (code {failed[0]})")
    for folder in folders:
        print(f"Écrits dans {folder} : results.json, {WORKBOOK}, courrier.docx")


# --- the auditor's workbench (cells tagged remove_cell: not in the report) -------------------


# A run driven by `pexaudit audit` saves its notebook beside the report: a workbench table shows
# there its first rows only (a replicated ledger's 57 000 duplicate rows made a 350 MB notebook).
DRIVEN_ROWS = 100
# True in a run driven by `pexaudit audit` (papermill, namespace reset first): see SearchTable.
_DRIVEN = {"value": False}


@dataclass(frozen=True)
class Table:
    """A table of French texts shown in full: every cell, every reason, no truncation.

    In a run driven by ``pexaudit audit`` (its saved notebook is not the workbench, and the
    workbench's cells are not in the report) the first :data:`DRIVEN_ROWS` rows, then how many
    more there are.
    """

    frame: pd.DataFrame
    caption: str = ""

    def _shown(self) -> tuple[pd.DataFrame, str]:
        more = len(self.frame) - DRIVEN_ROWS
        if not _DRIVEN["value"] or more <= 0:
            return self.frame, self.caption
        note = f"les {DRIVEN_ROWS} premières lignes ; les {more} autres quand le carnet est exécuté dans JupyterLab"
        return self.frame.head(DRIVEN_ROWS), f"{self.caption} ({note})"

    def _repr_html_(self) -> str:
        from .workbench import render_html

        return render_html(*self._shown())

    def __repr__(self) -> str:
        frame, caption = self._shown()
        with pd.option_context("display.max_colwidth", None, "display.max_rows", None, "display.width", 250):
            return f"{caption}\n{frame.to_string(index=False)}"

    def __len__(self) -> int:
        return len(self.frame)


def rejected(b: Bilan, rule: str | None = None, line: str | None = None) -> Table:
    """The rows rejected after decisions, largest stake first, named as people name them.

    Amounts in euros (``1 234,56 €``, empty when unknown), rule and decision in words, every
    reason in full; ``ref`` is what a decision names (``decisions.yaml`` ``- ref:``, or a
    scenario's ``accept``). Filter by rule (``"DOUBLON"``) or budget line id (``"gestion"``).
    """
    from .fmt import eur
    from .workbench import rejected_selection, rejected_table

    frame = rejected_table(b, rule=rule, line=line)
    chosen = rejected_selection(b, rule=rule, line=line)
    n = len(frame)
    caption = (
        f"{n} ligne{'s' if n > 1 else ''} écartée{'s' if n > 1 else ''}, {eur(int(chosen['rejected_amount'].sum()))}"
        " au total ; enjeu : de combien le solde changerait si la ligne seule était admise"
    )
    return Table(frame, caption)


def to_examine(b: Bilan, rule: str | None = None) -> Table:
    """The rows the findings name for you to decide (DOUBLON_PROBABLE: each group of rows that
    look like one invoice paid twice), as people name them, with the ``ref`` a decision cites:
    ``sc.reject(ref, rule="DOUBLON", motive=...)`` for the duplicate, or ``sc.accept`` on both
    rows when they are two expenses (a decided row leaves the group). ``rule`` filters."""
    from .workbench import to_examine_table

    frame = to_examine_table(b, rule)
    groups = len({(r, g) for r, g in zip(frame["constat"], frame["groupe"], strict=True)})
    n = len(frame)
    caption = (
        f"{n} ligne{'s' if n > 1 else ''} à examiner, en {groups} groupe{'s' if groups > 1 else ''} : décidez-les "
        "(rejet du doublon au titre de DOUBLON, ou acceptation des deux lignes)"
        if n
        else "Aucune ligne à examiner : aucun constat ne nomme de lignes à décider"
    )
    return Table(frame, caption)


# DataTables in French (the search table), with French numbers so that amounts sort as numbers.
DATATABLES_FR = {
    "search": "Rechercher :",
    "info": "Lignes _START_ à _END_ sur _TOTAL_",
    "infoEmpty": "Aucune ligne",
    "infoFiltered": "(filtrées parmi _MAX_)",
    "lengthMenu": "_MENU_ lignes par page",
    "zeroRecords": "Aucune ligne ne correspond",
    "emptyTable": "Aucune ligne",
    "decimal": ",",
    "thousands": " ",
    "paginate": {"first": "«", "previous": "‹", "next": "›", "last": "»"},
    "columnControl": {
        "orderAsc": "Croissant",
        "orderDesc": "Décroissant",
        "orderClear": "Sans tri",
        "searchClear": "Sans filtre",
        "searchList": "Filtrer",
        "list": {"all": "Tout cocher", "none": "Tout décocher", "search": "Chercher…", "empty": "Aucune valeur"},
    },
}
_MONEY_COLUMNS = ("montant", "écarté", "retenu", "enjeu")
# JupyterLab's own table style aligns every cell right (selector specificity 0,2,1): texts read
# left, amounts and refs stay on one line.
_SEARCH_CSS = (
    ".dt-container table.pexaudit-lignes th, .dt-container table.pexaudit-lignes td"
    " { text-align: left; vertical-align: top; }"
    " .dt-container table.pexaudit-lignes td.dt-right, .dt-container table.pexaudit-lignes th.dt-right"
    " { text-align: right; white-space: nowrap; }"
    " .dt-container table.pexaudit-lignes td:last-child { white-space: nowrap; }"
    " .dt-container table.pexaudit-lignes td:nth-child(2) { min-width: 14em; }"  # désignation
    " .dt-container table.pexaudit-lignes td:nth-child(6), .dt-container table.pexaudit-lignes td:nth-child(9)"
    " { min-width: 10em; }"  # motifs, libellé
)


@dataclass(frozen=True)
class SearchTable:
    """Every row in an interactive table (itables, offline: its JavaScript travels inside the
    output, nothing is fetched): a search box over every column, a filter and a sort per
    column, pages of 10 to all rows.

    In a run driven by ``pexaudit audit`` the table is replaced by one sentence: its script
    would only run in the browser of whoever executes the notebook (a notebook opened from
    disk is not trusted), and the workbench's cells are not part of the report anyway.
    """

    frame: pd.DataFrame
    caption: str

    def _repr_html_(self) -> str:
        from html import escape

        if _DRIVEN["value"]:
            return f"<p>{escape(self.caption)} : table interactive, affichée quand le carnet est exécuté dans JupyterLab.</p>"
        import itables.options
        from itables import to_html_datatable
        from itables.javascript import generate_init_offline_itables_html

        money = [i for i, c in enumerate(self.frame.columns) if c in _MONEY_COLUMNS]
        table = to_html_datatable(
            self.frame,
            connected=False,
            table_id=f"pexaudit-lignes-{uuid.uuid4().hex[:12]}",
            maxBytes=0, maxRows=0, maxColumns=0,
            showIndex=False,
            allow_html=False,
            display_logo_when_loading=False,
            language=DATATABLES_FR,
            pageLength=10,
            lengthMenu=[10, 25, 100, {"label": "toutes", "value": -1}],
            columnControl=[["orderAsc", "orderDesc", "orderClear", "searchClear", "searchList"]],
            columnDefs=[{"targets": money, "className": "dt-right", "type": "num-fmt"}],
            classes="display compact pexaudit-lignes",
            style="table-layout:auto;width:100%;margin:0",
        )  # fmt: skip
        bundle = generate_init_offline_itables_html(itables.options.dt_bundle)
        return f"{bundle}<style>{_SEARCH_CSS}</style><p><strong>{escape(self.caption)}</strong></p>{table}"

    def __repr__(self) -> str:
        if _DRIVEN["value"]:
            return f"{self.caption} : table interactive, affichée quand le carnet est exécuté dans JupyterLab."
        return f"{self.caption} ({len(self.frame)} lignes)"


def search(b: Bilan) -> SearchTable:
    """Every row, rejected or retained, to search (a supplier, a piece, an amount: ``480,00``)
    and filter by column: to find, for example, the row a duplicate repeats."""
    from .workbench import ALL_HEADERS, all_rows_table

    caption = f"Toutes les lignes : {len(b.audit.rows)}, dont {b.rejected.count} écartées"
    # A driven run shows one sentence (SearchTable): the rows are not laid out for nothing.
    frame = pd.DataFrame(columns=ALL_HEADERS, dtype=object) if _DRIVEN["value"] else all_rows_table(b)
    return SearchTable(frame, caption)


def scenario(b: Bilan):
    """An empty scenario on ``b``: ``sc.accept(ref, motive=...)``, ``sc.reject(ref, rule=...,
    motive=...)``, ``sc.partial(ref, amount=..., rule=..., motive=...)`` each add a decision
    and show the balance after every step; ``sc.write_draft()`` writes them, with the decisions
    file's own, to ``decisions.brouillon.yaml`` in the convention folder. Nothing else writes."""
    from .workbench import Scenario

    return Scenario(b)


def example_scenario(b: Bilan):
    """The notebook's example: up to three decisions on the largest stakes not yet decided
    (accept, retain half, confirm a rejection), the balance after each. Nothing is written."""
    from .workbench import example_scenario as example

    return example(b)


def largest_stake(b: Bilan) -> str | None:
    """The ref of the rejected row whose acceptance would change the balance most (a known stake)."""
    known = [v for v in b.rejected.views() if v.impact is not None]
    return known[0].ref if known else None


def try_decision(b: Bilan, ref: str | None, decision: str = "accept", *, amount: float | None = None,
                 rule: str | None = None, mission: str | None = None):  # fmt: skip
    """The settlement now and with one more decision on ``ref``, recomputed without writing
    anything (no file read, GX not run again): try before recording it in decisions.yaml.
    ``mission``: an action of the activity file accepted for that mission (code, label or
    alias). ``ref`` None (nothing to try): None. Several decisions together: :func:`scenario`."""
    if ref is None:
        return None
    from .errors import InputError
    from .fmt import eur
    from .inputs.decisions import Decision
    from .inputs.parsing import normalize_key
    from .money import as_fraction, round_half_up
    from .vocabulary import DECISION_VERBS, DECISION_WORDS
    from .workbench import RefusedDecision, issue_text, simulate

    word = DECISION_WORDS.get(normalize_key(decision), decision)  # « accepter » as in decisions.yaml
    cents = None if amount is None else round_half_up(as_fraction(amount) * 100)  # exact, half up
    try:
        after = simulate(b, [Decision(ref, word, rule=rule, amount=cents, mission=mission)])
    except InputError as error:  # the decision is wrong, not the data: said as the scenario says it
        raise RefusedDecision(error) from None
    rows = {}
    for label, view in (("actuel", b), (f"avec « {DECISION_VERBS.get(word, word)} » sur {ref}", after)):
        h = view.headline
        rows[label] = {"Éligible": eur(h.eligible), "Montant justifié": eur(h.justified),
                       "Solde": eur(h.balance, signed=True), "Issue": issue_text(h),
                       "Verdict": h.verdict_label}  # fmt: skip
    return pd.DataFrame(rows)


def show(name: str, b: Bilan):
    """One report section (see ``pexaudit.report.SECTIONS``), as JupyterLab displays it."""
    return section(name, b)


def warm() -> None:
    """Pay the imports and set-ups once in a kernel (GX context, matplotlib, templates).

    Run by :mod:`pexaudit.run` on a new kernel while the driver does its own imports; a
    convention audited afterwards gives the same results as on a cold kernel.
    """
    from .core.checks import checker
    from .render.charts import _plt
    from .render.report import _env

    checker()
    _plt()
    _env()


def reset_namespace() -> None:
    """What ``%reset -f`` does (a clean user namespace, output caches flushed), minus the full
    ``gc.collect()`` IPython forces on each reset: 0,4 s on a kernel holding GX and pandas.
    Unreachable cycles are left to Python's automatic collection. Only pexaudit's driver calls
    it (the first cell of a run, :mod:`pexaudit.run`): the kernel then serves runs driven by
    ``pexaudit audit``, where the search table is one sentence (:class:`SearchTable`).
    """
    import gc

    from IPython import get_ipython

    _DRIVEN["value"] = True  # only pexaudit's driver calls this (run.py's first cell)
    while _WRITING:  # a run that failed before its last cell: its writer is not left behind
        _WRITING.pop(0).join()
    _WRITTEN.clear()
    collect = gc.collect
    gc.collect = lambda generation=2: 0
    try:
        get_ipython().reset(new_session=False)
    finally:
        gc.collect = collect
