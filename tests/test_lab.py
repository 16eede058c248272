"""The workbench in a real browser (issue 17): JupyterLab as `make lab` starts it, in French,
driven by Debian's headless Chromium through the DevTools protocol.

The test opens notebooks/audit.ipynb in a throw-away copy of the repository's layout (the
notebook and the sample convention), runs every cell with JupyterLab's own command, then
checks what an auditor sees: menus in French, no cell in error, the workbench's tables, the
search table answering a search, and no request leaving the machine. A screenshot is kept in
reports/test-artifacts/.
"""

from __future__ import annotations

import os
import re
import time

import pytest

from pexaudit.render.browser import chromium_path, open_page

from .conftest import ROOT
from .lab import jupyter_lab, lay_out

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("PEXAUDIT_SKIP_BROWSER")), reason="PEXAUDIT_SKIP_BROWSER set (make test installs chromium)"
    ),
    pytest.mark.skipif(chromium_path() is None, reason="chromium absent: `make apps` installs it"),
]
ARTIFACTS = ROOT / "reports" / "test-artifacts"

PANEL = "window.jupyterapp?.shell?.currentWidget"
KERNEL = f"{PANEL}?.sessionContext?.session?.kernel?.status"
CODE_CELLS = f"{PANEL}.content.widgets.filter(c => c.model.type === 'code')"
DONE = f"""(() => {{
  const cells = {CODE_CELLS};
  return cells.length > 0 && cells.every(c => c.model.executionCount) && {KERNEL} === 'idle'
    && !cells.some(c => c.promptNode && c.promptNode.textContent.includes('*'));
}})()"""
ERRORS = f"""{CODE_CELLS}.flatMap(c => c.model.outputs.toJSON()
  .filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue))"""
SEARCH = "document.querySelector('table.pexaudit-lignes')?.closest('.dt-container')"
INFO = f"{SEARCH}?.querySelector('.dt-info')?.textContent"


def _count(info: str) -> int:
    """« Lignes 1 à 10 sur 34 » -> 34 (the rows the search keeps)."""
    found = re.search(r"sur (\d+)", info or "")
    assert found, info
    return int(found.group(1))


def test_the_workbench_runs_in_jupyterlab_in_french(tmp_path):
    started = time.monotonic()
    root = lay_out(tmp_path / "depot")
    with (
        jupyter_lab(root) as lab,
        open_page(lab.notebook_url("notebooks/audit.ipynb"), width=1400, height=1000) as page,
    ):
        page.wait_until(f"{KERNEL} === 'idle'", timeout=120, what="le noyau du carnet n'a pas démarré")
        menus = page.evaluate("Array.from(document.querySelectorAll('.lm-MenuBar-itemLabel')).map(e => e.textContent)")
        assert "Fichier" in menus and "Exécution" in menus and "File" not in menus, menus

        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        page.wait_until(DONE, timeout=300, what="le carnet n'a pas fini de s'exécuter")
        assert page.evaluate(ERRORS) == []

        # the workbench: rejected rows named as people name them, the scenario (their text view)
        text = page.evaluate(
            f"{CODE_CELLS}.flatMap(c => c.model.outputs.toJSON()).map(o => [o.data?.['text/plain']].flat().join('')).join('\\n')"
        )
        assert "12 lignes écartées, 11 928,29 € au total" in text
        assert "pièce 2024-004470, CNFPT, 18/04/2024, 480,00 €" in text
        assert "Scénario de 3 décisions essayées" in text and "NaN" not in text
        # the search table (JupyterLab draws only the cells in view: bring it there)
        page.evaluate(
            f"(async () => {{ const nb = {PANEL}.content;"
            " const i = nb.widgets.findIndex(c => c.model.sharedModel.getSource().includes('nb.search('));"
            " nb.activeCellIndex = i; await nb.scrollToItem(i, 'start'); })()",
            await_promise=True,
        )
        page.wait_until(f"!!{SEARCH}", timeout=30, what="la table de recherche n'est pas apparue")
        assert _count(page.evaluate(INFO)) == 34
        page.evaluate(f"{SEARCH}.querySelector('.dt-search input').focus()")
        page.type_text("CNFPT")
        page.wait_until(f"/sur 2 /.test({INFO})", timeout=10, what="la recherche n'a pas filtré la table")
        assert "filtrées parmi 34" in page.evaluate(INFO)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / "carnet-etabli-jupyterlab.png").write_bytes(page.screenshot())
        cells = page.evaluate(f"Array.from({SEARCH}.querySelectorAll('tbody tr')).map(r => r.cells[1].textContent)")
        assert cells == ["pièce 2024-004470, CNFPT, 18/04/2024, 480,00 €"] * 2  # the duplicate and the row it repeats

        assert page.external_requests(lab.url, lab.url.replace("http:", "ws:")) == []
        assert page.requests, "aucune requête enregistrée : l'enregistrement ne marche pas"
    print(f"\nJupyterLab, carnet exécuté et recherche : {time.monotonic() - started:.1f} s")
