"""``pexaudit init DIR``: a new convention folder for a user who has only the package."""

from __future__ import annotations

from pathlib import Path

import nbformat

from .assets import notebook
from .docs import convention_template
from .errors import InputError

__all__ = ["init_folder"]


def init_folder(folder: Path) -> list[Path]:
    """Write ``folder/convention.yaml`` (commented, to fill) and ``folder/audit.ipynb``.

    The notebook's parameters point at the folder itself, and its outputs go to
    ``folder/rapport-brouillon/`` (never over a report written by ``pexaudit audit``).
    """
    folder = Path(folder)
    target = folder / "convention.yaml"
    if target.exists():
        raise InputError("un convention.yaml existe déjà : rien n'est écrasé", file=str(target))
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(convention_template(), encoding="utf-8")
    nb = nbformat.read(notebook("audit"), as_version=4)
    values = {"convention_dir": '"."  # ce dossier (convention.yaml, paie, dépenses)',
              "out_dir": '"rapport-brouillon"  # où écrire results.json et le classeur : ./rapport-brouillon'}  # fmt: skip
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            # Only the values change: every parameter of the notebook (previous...) stays defined.
            lines = cell.source.splitlines()
            for index, line in enumerate(lines):
                name = line.split(":", 1)[0].strip()
                if name in values:
                    lines[index] = f"{name}: str = {values[name]}"
            cell.source = "\n".join(lines)
    copy = folder / "audit.ipynb"
    nbformat.write(nb, copy)
    return [target, copy]
