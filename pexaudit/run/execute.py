"""Papermill orchestration: one convention through ``notebooks/audit.ipynb``.

Every audit executes the real parameterised notebook. What is not paid again and again is the
start-up: a :class:`Kernel` is started on IPC sockets and warmed (GX, pandas, matplotlib
imported, GX context built) while the driver imports papermill and nbconvert; a batch worker
keeps its kernel and clears the namespace between conventions. The HTML export runs in-process
with one reused exporter.

Outputs are written to a temporary folder beside the final one and moved into place only when
complete, so an interrupted or failed run never leaves a finished-looking report.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .. import __version__
from ..assets import notebook
from ..errors import InputError
from ..inputs.convention import Convention, load_convention
from ..vocabulary import report_title

__all__ = ["NOTEBOOK", "OUTPUTS", "AuditRun", "Kernel", "export_html", "run_audit", "safe_child"]

NOTEBOOK = notebook("audit")
TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "nbconvert"
OUTPUTS = ("results.json", "rapport.html", "bilan_financier.xlsx", "courrier.docx", "audit.ipynb")
WARM_UP = "import pexaudit.notebook as _pex_nb\n_pex_nb.warm()\ndel _pex_nb"
RESET = "from pexaudit.notebook import reset_namespace\nreset_namespace()"


class Kernel:
    """A python3 kernel on IPC sockets (no TCP port races between parallel workers).

    ``Kernel()`` returns at once; the kernel boots, gets one client (kept for every
    notebook run on it: jupyter_client's readiness check alone costs 0,2 s) and runs
    :data:`WARM_UP`, in a background thread. :meth:`ready` waits for it.
    """

    def __init__(self, warm_up: str | None = WARM_UP) -> None:
        from jupyter_client.manager import KernelManager

        self.folder = Path(tempfile.mkdtemp(prefix="pexaudit-kernel-"))
        self.km = KernelManager(kernel_name="python3", transport="ipc")
        self.km.ip = str(self.folder / "k")
        env = {**os.environ, "GX_ANALYTICS_ENABLED": "False", "MPLBACKEND": "Agg"}
        self.km.start_kernel(cwd=str(NOTEBOOK.parent), env=env)
        self.kc = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._boot, args=(warm_up,), daemon=True)
        self._thread.start()

    def _boot(self, code: str | None) -> None:
        try:
            kc = self.km.client()
            kc.start_channels()
            kc.wait_for_ready(timeout=120)
            self.kc = kc
            if code:
                self.run(code)
        except BaseException as exc:
            self._error = exc

    def run(self, code: str, timeout: float = 300) -> None:
        """Execute ``code`` in the kernel and wait for it; raise if it failed."""
        msg_id = self.kc.execute(code, store_history=False)
        while True:
            reply = self.kc.get_shell_msg(timeout=timeout)
            if reply["parent_header"].get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content["status"] != "ok":
            raise RuntimeError(f"kernel: {content.get('ename')}: {content.get('evalue')}")

    def ready(self) -> Kernel:
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"le noyau n'a pas démarré : {self._error}") from self._error
        if not self.km.is_alive():
            raise RuntimeError("le noyau s'est arrêté")
        return self

    def shutdown(self) -> None:
        try:
            self._thread.join(timeout=5)
            if self.kc is not None:
                self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


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


def _exporter():
    """The HTML exporter, built once per process; its first export compiles the templates
    (0,13 s here), so :func:`run_audit` builds it while the kernel boots."""
    global _EXPORTER
    if _EXPORTER is None:
        import nbformat
        from nbconvert import HTMLExporter
        from nbconvert.preprocessors import TagRemovePreprocessor

        exporter = HTMLExporter(template_name="pexaudit", extra_template_basedirs=[str(TEMPLATES)], exclude_input=True)
        exporter.register_preprocessor(
            TagRemovePreprocessor(remove_cell_tags={"remove_cell"}, enabled=True), enabled=True
        )
        exporter.from_notebook_node(
            nbformat.v4.new_notebook(), resources={"pexaudit_title": "", "pexaudit_version": ""}
        )
        _EXPORTER = exporter
    return _EXPORTER


def export_html(notebook_path: Path, html_path: Path, title: str) -> None:
    """Executed notebook -> self-contained HTML, in-process, with the project's template."""
    import nbformat

    notebook = nbformat.read(notebook_path, as_version=4)
    body, _ = _exporter().from_notebook_node(
        notebook, resources={"pexaudit_title": title, "pexaudit_version": __version__}
    )
    html_path.write_text(body, encoding="utf-8")


_ENGINE = "pexaudit"


def _register_engine() -> None:
    """papermill's nbclient engine, saving the output notebook once at the end.

    papermill's own manager writes (and validates) the whole notebook before and after every
    cell, about 0,3 s per audit; the output lives in a temporary folder until the run is
    complete, so only the final save matters. It still happens on failure, with the failing
    cell marked, as papermill does.
    """
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
    from papermill.exceptions import PapermillException
    from papermill.utils import merge_kwargs, remove_args

    try:
        papermill_engines.get_engine(_ENGINE)
        return  # registered already (papermill's public registry, not its private dict)
    except PapermillException:
        pass

    class FinalSaveManager(NotebookExecutionManager):
        def save(self, **kwargs):
            if self.end_time is not None:
                super().save(**kwargs)

    class Engine(NBClientEngine):
        @classmethod
        def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                             autosave_cell_every=30, **kwargs):  # fmt: skip
            manager = FinalSaveManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                                       autosave_cell_every=autosave_cell_every)  # fmt: skip
            manager.end_time = None
            manager.notebook_start()
            try:
                cls.execute_managed_notebook(manager, kernel_name, log_output=log_output, **kwargs)
            finally:
                manager.cleanup_pbar()
                manager.notebook_complete()
            return manager.nb

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):  # fmt: skip
            # As NBClientEngine, with the kernel's own ready client instead of a new one.
            kc = kwargs.pop("kc")
            kwargs = remove_args(["input_path", "timeout", "startup_timeout"], **kwargs)
            client = PapermillNotebookClient(
                nb_man,
                **merge_kwargs(kwargs, timeout=execution_timeout, startup_timeout=start_timeout, kernel_name=kernel_name,
                               log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file),
            )  # fmt: skip
            client.kc = kc
            return client.execute()

    papermill_engines.register(_ENGINE, Engine)


@cache
def _with_reset(notebook: Path):
    """The notebook with a first cell that clears the kernel's namespace (hidden in the report)."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    reset = nbformat.v4.new_code_cell(RESET, metadata={"tags": ["remove_cell", "pexaudit-reset"]})
    nb.cells.insert(0, reset)
    return nb


def execute(notebook: Path, output: Path, parameters: dict, kernel: Kernel) -> None:
    """Run ``notebook`` with papermill on ``kernel``, namespace cleared first.

    An InputError raised in a cell is raised again here as one (exit code 2).
    """
    import copy

    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    _register_engine()
    try:
        pm.execute_notebook(
            copy.deepcopy(_with_reset(notebook)), str(output), parameters=parameters, kernel_name="python3",
            engine_name=_ENGINE, progress_bar=False, log_output=False, km=kernel.ready().km, kc=kernel.kc,
        )  # fmt: skip
    except PapermillExecutionError as exc:
        if exc.ename == "InputError":
            raise InputError(exc.evalue) from None
        raise RuntimeError(f"le carnet a échoué : {exc.ename}: {exc.evalue}") from None


def run_audit(
    convention_dir: str | Path,
    out_root: str | Path,
    *,
    kernel: Kernel | None = None,
    pdf: bool = False,
    previous: str | Path | None = None,
) -> AuditRun:
    """Audit one convention into ``out_root/<id>/`` (the outputs of SPEC section 7).

    With ``kernel`` (a batch worker's), it stays running for the next convention; without, a
    kernel is started, warmed while papermill and nbconvert load, and shut down. Either way
    the notebook's first cell clears the namespace. ``previous`` is the results.json of an
    earlier run of the same convention (SPEC 9: ``previous`` in results.json).
    """
    convention_dir = Path(convention_dir).resolve()
    convention = load_convention(convention_dir)  # bad convention.yaml: exit 2 before any kernel
    own = kernel is None
    if own:
        kernel = Kernel()
    try:
        # Checked in the driver while the kernel boots (pandas loads meanwhile): two decisions
        # files, a malformed one, or another convention's results are exit 2 before the notebook.
        from ..inputs.decisions import load_decisions
        from ..inputs.previous import read_previous

        load_decisions(convention_dir, convention.inputs.get("activity"))
        if previous:
            previous = Path(previous).resolve()
            read_previous(previous, convention.id)
        import papermill  # noqa: F401 - loads while the kernel warms up

        _exporter()  # and the HTML exporter, templates compiled

        out_root = Path(out_root).resolve()
        out_root.mkdir(parents=True, exist_ok=True)
        final = safe_child(out_root, convention.id)
        work = Path(tempfile.mkdtemp(prefix=f".{convention.id}.", suffix=".partial", dir=out_root))
        work.chmod(0o755)
        try:
            parameters = {
                "convention_dir": str(convention_dir),
                "out_dir": str(work),
                "previous": str(previous or ""),
                "report_file": "rapport.pdf" if pdf else "rapport.html",  # the letter's enclosure, as sent
            }
            execute(NOTEBOOK, work / "audit.ipynb", parameters, kernel)
            phase = json.loads((work / "results.json").read_text(encoding="utf-8"))["procedure"]["phase"]
            export_html(work / "audit.ipynb", work / "rapport.html", f"{report_title(phase)} · {convention.id}")
            if pdf:
                from ..render.browser import print_pdf

                print_pdf(work / "rapport.html", work / "rapport.pdf")
            missing = [name for name in OUTPUTS if not (work / name).is_file()]
            if missing:
                raise RuntimeError(f"sorties manquantes : {', '.join(missing)}")
            _replace(work, final)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    finally:
        if own:
            kernel.shutdown()
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
