"""The wheel, installed into a fresh virtual environment, audits from another folder.

A user who runs ``pip install pexaudit-*.whl`` has no repository: the notebooks, the GX suites,
the templates and the sample must come with the package.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow


def _run(*args, cwd: Path, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(list(map(str, args)), cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv holding the pinned dependencies and the wheel built from this checkout."""
    base = tmp_path_factory.mktemp("wheel")
    dist = base / "dist"
    proc = _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", dist, ROOT, cwd=base)
    assert proc.returncode == 0, proc.stderr
    shutil.rmtree(ROOT / "build", ignore_errors=True)
    assert "Deprecat" not in proc.stderr and "is absent from the `packages`" not in proc.stderr, proc.stderr
    (wheel,) = dist.glob("pexaudit-*.whl")
    env_dir = base / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    proc = _run(python, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.lock", cwd=base)
    assert proc.returncode == 0, proc.stderr
    proc = _run(python, "-m", "pip", "install", "--quiet", "--no-deps", wheel, cwd=base)
    assert proc.returncode == 0, proc.stderr
    elsewhere = base / "ailleurs"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{env_dir / 'bin'}{os.pathsep}{env['PATH']}"
    return env_dir / "bin" / "pexaudit", elsewhere, env


def test_wheel_is_not_the_checkout(installed):
    pexaudit, elsewhere, env = installed
    proc = _run(pexaudit.parent / "python", "-c", "import pexaudit, pexaudit.assets as a; print(pexaudit.__file__, a.notebook())",
                cwd=elsewhere, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert str(ROOT) not in proc.stdout and "site-packages" in proc.stdout
    package = Path(proc.stdout.split()[0]).parent
    assert (package / "guide" / "convention.md").is_file() and (package / "guide" / "convention.schema.json").is_file()


def test_demo_audit_check_batch_and_init_from_another_folder(installed):
    pexaudit, elsewhere, env = installed
    proc = _run(pexaudit, "demo", "--out", "rapports", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "Ordre de reversement : 4 898,58 €" in proc.stdout
    folder = elsewhere / "rapports" / "cd35-2024-pex"
    for name in ("results.json", "rapport.html", "bilan_financier.xlsx", "courrier.docx", "audit.ipynb"):
        assert (folder / name).is_file(), name

    shutil.copytree(ROOT / "tests" / "cases" / "gironde-mi-temps", elsewhere / "conventions" / "dd33")
    proc = _run(pexaudit, "check", "conventions/dd33", cwd=elsewhere, env=env)
    assert proc.returncode == 0 and "ligne 16 ignorée : total « TOTAL »" in proc.stdout, proc.stderr
    proc = _run(pexaudit, "audit", "conventions/dd33", "--out", "rapports", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    results = json.loads((elsewhere / "rapports" / "dd33-2025-pex" / "results.json").read_text(encoding="utf-8"))
    assert results["settlement"]["amount"] == 750.0

    proc = _run(pexaudit, "init", "conventions/nouvelle", cwd=elsewhere, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "conventions" / "nouvelle" / "audit.ipynb").is_file()
    proc = _run(
        pexaudit, "batch", "conventions", "--out", "lot", "--workers", "1", "--no-progress", cwd=elsewhere, env=env
    )
    assert proc.returncode == 2, proc.stderr  # the new folder is not filled in yet: listed, the other audited
    assert "1 convention(s) auditée(s), 1 en erreur" in proc.stdout
    assert (elsewhere / "lot" / "consolidation.html").is_file()


def test_the_notebook_of_init_runs_as_written(tmp_path):
    """`pexaudit init` then Run All: every parameter defined (no NameError), outputs where it says."""
    import shutil as sh

    import papermill

    from pexaudit.init import init_folder

    folder = tmp_path / "dd33"
    init_folder(folder)
    sh.copy(ROOT / "tests" / "cases" / "gironde-mi-temps" / "convention.yaml", folder / "convention.yaml")
    for name in ("export_paie.xlsx", "grand_livre.csv"):
        sh.copy(ROOT / "tests" / "cases" / "gironde-mi-temps" / name, folder / name)
    papermill.execute_notebook(str(folder / "audit.ipynb"), str(tmp_path / "out.ipynb"), cwd=str(folder),
                               kernel_name="python3", progress_bar=False)  # fmt: skip
    assert (folder / "rapport-brouillon" / "results.json").is_file()
