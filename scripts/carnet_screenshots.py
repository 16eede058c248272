"""Screenshots of the workbench for the guide (docs/carnet.md): python scripts/carnet_screenshots.py

Starts JupyterLab as `make lab` does (French, no update check) on a throw-away copy of the
notebook and the sample convention, runs every cell in headless Chromium, and saves the
outputs of the workbench's cells into docs/images/. Not run by the tests (tests/test_lab.py
drives the same set-up and checks it); rerun it when the workbench's look changes.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pexaudit.render.browser import open_page  # noqa: E402
from tests.lab import jupyter_lab, lay_out  # noqa: E402
from tests.test_lab import DONE, KERNEL, PANEL, SEARCH  # noqa: E402

IMAGES = ROOT / "docs" / "images"
# image name -> the code of the cell whose output it shows
SHOTS = {
    "carnet-rejets.png": "nb.rejected(",
    "carnet-recherche.png": "nb.search(",
    "carnet-scenario.png": "nb.example_scenario(",
}


def _bring(page, code: str) -> None:
    """Scroll the cell whose source holds ``code`` into view and mark its output for the shot."""
    page.evaluate(
        f"(async () => {{ const nb = {PANEL}.content;"
        f" const i = nb.widgets.findIndex(c => c.model.type === 'code' && c.model.sharedModel.getSource().includes({code!r}));"
        " nb.activeCellIndex = i; await nb.scrollToItem(i, 'start'); })()",
        await_promise=True,
    )
    page.wait_until(
        f"(() => {{ const nb = {PANEL}.content;"
        f" const cell = nb.widgets.find(c => c.model.type === 'code' && c.model.sharedModel.getSource().includes({code!r}));"
        " const out = cell.node.querySelector('.jp-OutputArea-output'); if (!out) return false;"
        " document.querySelectorAll('[data-shot]').forEach(e => e.removeAttribute('data-shot'));"
        " out.setAttribute('data-shot', '1'); return true; })()",
        timeout=30,
    )
    time.sleep(0.5)


def main() -> None:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = lay_out(Path(tmp) / "depot")
        with (
            jupyter_lab(root) as lab,
            open_page(lab.notebook_url("notebooks/audit.ipynb"), width=1400, height=2200) as page,
        ):
            page.wait_until(f"{KERNEL} === 'idle'", timeout=120)
            page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_until(DONE, timeout=300)
            for name, code in SHOTS.items():
                _bring(page, code)
                if code == "nb.search(":
                    page.wait_until(f"!!{SEARCH}", timeout=30)
                    page.evaluate(f"{SEARCH}.querySelector('.dt-search input').focus()")
                    page.type_text("CNFPT")
                    time.sleep(0.5)
                (IMAGES / name).write_bytes(page.screenshot('[data-shot="1"]'))
                print(IMAGES / name)


if __name__ == "__main__":
    main()
