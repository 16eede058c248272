"""Batch audits: every convention folder under some paths, on warm kernels, then consolidation.

Each convention is audited exactly as ``pexaudit audit`` would (:func:`pexaudit.run.run_audit`,
the real notebook through papermill). Workers are processes that keep one warm kernel each and
clear its namespace between conventions; with ``scheduler`` the same per-convention job runs on
an existing Dask distributed cluster. A convention that fails is listed with its error and the
others go on.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..assets import notebook
from ..errors import InputError
from ..inputs.convention import load_convention
from ..render.consolidation import atomic
from .execute import execute, export_html

__all__ = [
    "BatchResult", "Outcome", "audit_one", "find_conventions", "name_folders", "previous_results", "run_batch",
    "territory_of",
]  # fmt: skip


@dataclass
class Outcome:
    folder: str  # absolute path, where it ran
    status: str  # "ok" | "input_error" | "internal_error"
    convention_id: str | None = None
    title: str | None = None
    beneficiary: str | None = None
    territory: str | None = None
    error: str | None = None
    seconds: float = 0.0
    name: str | None = None  # the folder as the controller named it: no machine path in reports

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class BatchResult:
    outcomes: list[Outcome]
    out: Path
    seconds: float

    @property
    def exit_code(self) -> int:
        statuses = {o.status for o in self.outcomes}
        if "input_error" in statuses:
            return 2
        return 1 if "internal_error" in statuses else 0


def territory_of(convention_id: str) -> str:
    """The département in an id such as ``cd35-2024-pex`` (``35``, ``2A``, ``974``); else the id."""
    for token in convention_id.lower().split("-"):
        match = re.fullmatch(r"[a-z]*?(\d{2,3}|2[ab])", token)
        if match:
            return match.group(1).upper()
    return convention_id


def display_names(folders: Iterable[Path], paths: Iterable[str | Path]) -> dict[str, str]:
    """Each folder as ``<given folder name>/<path below it>``: what a report may show of it."""
    roots = [Path(p).resolve() for p in paths]
    names = {}
    for folder in folders:
        root = next((r for r in roots if folder == r or r in folder.parents), None)
        if root is None:
            names[str(folder)] = folder.name
        else:
            names[str(folder)] = str(Path(root.name) / folder.relative_to(root)) if folder != root else root.name
    return names


def find_conventions(paths: Iterable[str | Path]) -> list[Path]:
    """Every folder holding a ``convention.yaml``, under each path (or the path itself)."""
    found: dict[Path, None] = {}
    for path in map(Path, paths):
        if not path.exists():
            raise InputError("dossier introuvable", file=str(path))
        if (path / "convention.yaml").is_file():
            found[path.resolve()] = None
            continue
        for yaml_file in sorted(path.rglob("convention.yaml")):
            if not any(part.startswith(".") for part in yaml_file.relative_to(path).parts):
                found[yaml_file.parent.resolve()] = None
    return list(found)


# --- worker side: one warm kernel per process, reused --------------------------------------

_KERNEL = None
_LOCK = threading.Lock()


def _kernel():
    global _KERNEL
    from .execute import Kernel

    if _KERNEL is None or not _KERNEL.km.is_alive():
        _KERNEL = Kernel()
        import atexit
        from multiprocessing import util

        util.Finalize(None, _KERNEL.shutdown, exitpriority=100)  # process-pool workers
        atexit.register(_KERNEL.shutdown)  # Dask workers and plain processes
    return _KERNEL


def start_worker() -> None:
    """Process-pool initializer: start the kernel before the first convention arrives."""
    _kernel()


def previous_results(previous_dir: str | Path | None, folder: str | Path) -> Path | None:
    """``DIR/<id>/results.json`` of an earlier batch for the convention in ``folder``, if any."""
    if previous_dir is None:
        return None
    found = Path(previous_dir) / load_convention(folder).id / "results.json"
    return found if found.is_file() else None


def audit_one(folder: str, out_root: str, previous_dir: str | None = None) -> Outcome:
    """Audit one convention on this process's warm kernel; errors become an Outcome."""
    from .execute import run_audit

    started = time.perf_counter()
    outcome = Outcome(folder=folder, status="ok")
    with _LOCK:  # one convention at a time per kernel (Dask may run tasks in threads)
        try:
            previous = previous_results(previous_dir, folder)
            run = run_audit(folder, out_root, kernel=_kernel(), previous=previous)
            c = run.convention
            outcome.convention_id, outcome.title, outcome.beneficiary = c.id, c.title, c.beneficiary_name
            outcome.territory = territory_of(c.id)
        except InputError as exc:
            outcome.status, outcome.error = "input_error", exc.message
        except Exception as exc:
            outcome.status, outcome.error = "internal_error", f"{type(exc).__name__}: {exc}"
    outcome.seconds = round(time.perf_counter() - started, 3)
    return outcome


# --- driver -----------------------------------------------------------------------------


def _precheck(folders: list[Path]) -> tuple[list[Path], list[Outcome]]:
    """Load every convention.yaml first: bad ones and duplicate ids never reach a kernel."""
    todo, failed, seen = [], [], {}
    for folder in folders:
        try:
            convention = load_convention(folder)
        except InputError as exc:
            failed.append(Outcome(folder=str(folder), status="input_error", error=exc.message))
            continue
        if convention.id in seen:
            message = (
                f"identifiant {convention.id!r} déjà utilisé par {seen[convention.id]} : les rapports s'écraseraient"
            )
            failed.append(
                Outcome(
                    str(folder),
                    "input_error",
                    convention.id,
                    error=f"{folder / 'convention.yaml'}, clé « id » : {message}",
                )
            )
            continue
        seen[convention.id] = folder
        todo.append(folder)
    return todo, failed


def name_folders(outcomes: list[Outcome], names: dict[str, str]) -> None:
    """Each outcome's folder as the controller named it, in its name and in its error: its own
    folder and any other one the error cites (a duplicate id's first folder). No machine path
    reaches the consolidation."""
    by_length = sorted(names.items(), key=lambda item: -len(item[0]))  # a folder inside another: longest first
    for outcome in outcomes:
        outcome.name = names.get(outcome.folder, Path(outcome.folder).name)
        if outcome.error:
            for folder, name in [(outcome.folder, outcome.name), *by_length]:
                outcome.error = outcome.error.replace(folder, name)


def render_consolidation(out: str) -> None:
    """consolidation.html on this process's warm kernel (run where the audits ran)."""

    with _LOCK:
        render_html(Path(out), _kernel())


def run_batch(
    paths: Iterable[str | Path],
    out: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    progress: bool = True,
    previous: str | Path | None = None,
) -> BatchResult:
    """Audit every convention found, then write OUT/consolidation.{json,html,xlsx}.

    The consolidation notebook runs on one of the workers' warm kernels once the audits are
    done, not on a kernel of its own. ``previous``: an earlier batch's output folder, where
    each convention finds its earlier ``<id>/results.json``.
    """
    from ..render.consolidation import write_consolidation

    prior = None if previous is None else str(Path(previous).resolve())
    started = time.perf_counter()
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    folders = find_conventions(paths)
    todo, outcomes = _precheck(folders)
    names = display_names(folders, paths)
    bar = _Progress(len(folders), progress, names)
    for failed in outcomes:
        bar.update(failed)

    def finish(render) -> BatchResult:
        bar.close()
        name_folders(outcomes, names)
        result = BatchResult(sorted(outcomes, key=lambda o: o.folder), out, 0.0)
        write_consolidation(result, render)
        return result

    try:
        if scheduler:
            from distributed import Client, as_completed

            with Client(scheduler) as client:
                futures = [client.submit(audit_one, str(f), str(out), prior, pure=False) for f in todo]
                outcomes += [bar.update(future.result()) for future in as_completed(futures)]
                result = finish(lambda o: client.submit(render_consolidation, o, pure=False).result())
        elif workers <= 1 or len(todo) <= 1:
            outcomes += [bar.update(audit_one(str(f), str(out), prior)) for f in todo]
            result = finish(render_consolidation)
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            context = multiprocessing.get_context("spawn")  # no fork of a process holding ZMQ threads
            size = min(workers, len(todo))
            with ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=start_worker) as pool:
                futures = [pool.submit(audit_one, str(f), str(out), prior) for f in todo]
                outcomes += [bar.update(future.result()) for future in as_completed(futures)]
                result = finish(lambda o: pool.submit(render_consolidation, o).result())
    finally:
        if _KERNEL is not None:
            _KERNEL.shutdown()
    result.seconds = round(time.perf_counter() - started, 3)
    return result


class _Progress:
    """A bar and a live count on stderr: ``Audits: 12/24 [ok 11, erreurs 1]``."""

    def __init__(self, total: int, enabled: bool, names: dict[str, str] | None = None) -> None:
        self.names = names or {}
        self.ok = self.failed = 0
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="Audits", dynamic_ncols=True,
                            bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]")  # fmt: skip

    def update(self, outcome: Outcome) -> Outcome:
        if outcome.ok:
            self.ok += 1
        else:
            self.failed += 1
        if self.bar is not None:
            self.bar.set_postfix_str(f"ok {self.ok}, erreurs {self.failed}", refresh=False)
            self.bar.update(1)
            if not outcome.ok:
                name = self.names.get(outcome.folder, outcome.folder)
                self.bar.write(f"  échec : {name} : {(outcome.error or '').replace(outcome.folder, name)}")
        return outcome

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


NOTEBOOK = notebook("consolidation")


def render_html(out: Path, kernel) -> None:
    """notebooks/consolidation.ipynb on ``kernel`` -> OUT/consolidation.html."""
    notebook = out / f".consolidation.{os.getpid()}.ipynb"
    try:
        execute(NOTEBOOK, notebook, {"consolidation_json": str(out / "consolidation.json")}, kernel)
        atomic(out / "consolidation.html", lambda p: export_html(notebook, p, "Consolidation des bilans financiers"))
    finally:
        notebook.unlink(missing_ok=True)
