"""Papermill orchestration: one convention through ``notebooks/audit.ipynb``.

Outputs are written to a temporary folder beside the final one and moved into place only when
complete, so an interrupted or failed run never leaves a finished-looking report.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .convention import Convention, load_convention
from .errors import InputError

__all__ = ["NOTEBOOK", "OUTPUTS", "AuditRun", "export_html", "run_audit", "safe_child"]

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "audit.ipynb"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "nbconvert"
OUTPUTS = ("results.json", "rapport.html", "bilan_financier.xlsx", "audit.ipynb")


@dataclass
class AuditRun:
    convention: Convention
    folder: Path  # OUT/<id>

    @property
    def results_path(self) -> Path:
        return self.folder / "results.json"


def safe_child(parent: Path, name: str) -> Path:
    """``parent/name``, refusing any name that would leave ``parent``."""
    child = (parent / name).resolve()
    if child.parent != parent.resolve() or name in ("", ".", ".."):
        raise InputError(f"nom de dossier de sortie refusé : {name!r}")
    return child


_EXPORTER = None


def export_html(notebook_path: Path, html_path: Path, title: str) -> None:
    """Executed notebook -> self-contained HTML, in-process, with the project's template."""
    global _EXPORTER
    import nbformat
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    if _EXPORTER is None:
        exporter = HTMLExporter(template_name="pexaudit", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True)
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={"remove_cell"}, enabled=True), enabled=True
        )
        _EXPORTER = exporter
    notebook = nbformat.read(notebook_path, as_version=4)
    body, _ = _EXPORTER.from_notebook_node(
        notebook, resources={"pexaudit_title": title, "pexaudit_version": __version__}
    )
    html_path.write_text(body, encoding="utf-8")


def start_kernel():
    """A started python3 kernel on IPC sockets (no TCP port races between workers)."""
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name="python3", transport="ipc")
    km.ip = str(Path(tempfile.mkdtemp(prefix="pexaudit-kernel-")) / "k")
    km.start_kernel(cwd=str(ROOT / "notebooks"), env={**os.environ, "GX_ANALYTICS_ENABLED": "False"})
    return km


def _execute(convention_dir: Path, out_dir: Path, notebook_out: Path, km=None) -> None:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    own = km is None
    if own:
        km = start_kernel()
    try:
        pm.execute_notebook(
            str(NOTEBOOK),
            str(notebook_out),
            parameters={"convention_dir": str(convention_dir), "out_dir": str(out_dir)},
            kernel_name="python3",
            progress_bar=False,
            log_output=False,
            km=km,
        )
    except PapermillExecutionError as exc:
        if exc.ename == "InputError":
            raise InputError(exc.evalue) from None
        raise RuntimeError(f"le carnet d'audit a échoué : {exc.ename}: {exc.evalue}") from None
    finally:
        if own:
            km.shutdown_kernel(now=True)
            shutil.rmtree(Path(km.ip).parent, ignore_errors=True)


def run_audit(convention_dir: str | Path, out_root: str | Path, *, km=None, pdf: bool = False) -> AuditRun:
    """Audit one convention into ``out_root/<id>/`` (the four outputs of SPEC section 7)."""
    convention_dir = Path(convention_dir).resolve()
    convention = load_convention(convention_dir)  # bad convention.yaml: exit 2 before any kernel
    out_root = Path(out_root).resolve()
    out_root.mkdir(parents=True, exist_ok=True)
    final = safe_child(out_root, convention.id)
    work = Path(tempfile.mkdtemp(prefix=f".{convention.id}.", suffix=".partial", dir=out_root))
    work.chmod(0o755)
    try:
        _execute(convention_dir, work, work / "audit.ipynb", km=km)
        export_html(work / "audit.ipynb", work / "rapport.html", f"Bilan financier {convention.id}")
        if pdf:
            from .browser import print_pdf

            print_pdf(work / "rapport.html", work / "rapport.pdf")
        missing = [name for name in OUTPUTS if not (work / name).is_file()]
        if missing:
            raise RuntimeError(f"sorties manquantes : {', '.join(missing)}")
        _replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return AuditRun(convention, final)


def _replace(work: Path, final: Path) -> None:
    """Move the finished folder into place; an older report is removed only after."""
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.{os.getpid()}.old")
        final.rename(old)
    work.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
