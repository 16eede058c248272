"""JupyterLab as ``make lab`` starts it, in a throw-away folder, for the browser test and the
guide's screenshots (``scripts/carnet_screenshots.py``).

The folder holds a copy of ``notebooks/audit.ipynb`` and of the sample convention, laid out as
in the repository (the notebook's default ``convention_dir`` is ``../data/conventions/cd35-2024``);
the settings overrides are the repository's ``scripts/jupyterlab-overrides.json`` (French,
no update check, no news), and every Jupyter folder (config, data, runtime, user settings,
workspaces) is inside the throw-away folder, so nothing of the machine's own Jupyter set-up
takes part.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OVERRIDES = ROOT / "scripts" / "jupyterlab-overrides.json"
SAMPLE = ROOT / "data" / "conventions" / "cd35-2024"

# What `make lab` passes (Makefile), plus what a test needs: a token, a port, no browser, the app
# exposed as window.jupyterapp to run its commands.
LAB_FLAGS = [
    "--ServerApp.open_browser=False",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    "--LabApp.news_url=None",
    "--LabApp.extension_manager=readonly",
    "--LabApp.expose_app_in_browser=True",
]


@dataclass(frozen=True)
class Lab:
    url: str  # http://127.0.0.1:PORT/
    token: str
    root: Path
    log: Path

    def notebook_url(self, path: str) -> str:
        return f"{self.url}lab/tree/{path}?token={self.token}"


def lay_out(root: Path, convention: Path = SAMPLE) -> Path:
    """``root/notebooks/audit.ipynb`` and ``root/data/conventions/<name>``: the repository's layout."""
    (root / "notebooks").mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "notebooks" / "audit.ipynb", root / "notebooks" / "audit.ipynb")
    shutil.copytree(convention, root / "data" / "conventions" / convention.name)
    return root


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def jupyter_lab(root: Path, *, timeout: float = 90.0) -> Iterator[Lab]:
    """``jupyter lab`` serving ``root`` on a free local port, stopped after (its own process only)."""
    home = root.parent / f".{root.name}-jupyter"
    settings = home / "app-settings"
    settings.mkdir(parents=True, exist_ok=True)
    shutil.copy2(OVERRIDES, settings / "overrides.json")  # what `make lab` copies
    token = secrets.token_hex(16)
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "GX_ANALYTICS_ENABLED": "False",
    }
    log = home / "lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", *LAB_FLAGS,
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        f"--LabApp.app_settings_dir={settings}", f"--LabApp.user_settings_dir={home / 'user-settings'}",
        f"--LabApp.workspaces_dir={home / 'workspaces'}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"jupyter lab s'est arrêté :\n{log.read_text(errors='replace')[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"jupyter lab ne répond pas :\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield Lab(url, token, root, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
