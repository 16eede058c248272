"""Where the assets live: the notebooks, the GX suites and the bundled sample.

In a source checkout they are the repository's top-level ``notebooks/``, ``expectations/`` and
``data/``; in an installed wheel they ship inside the package as ``pexaudit/notebooks``,
``pexaudit/expectations`` and ``pexaudit/data`` (``pyproject.toml`` maps one onto the other),
so ``pexaudit audit`` works from any folder once the package is installed.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["asset_dir", "notebook", "sample", "suites_dir"]

PACKAGE = Path(__file__).resolve().parent


def asset_dir(name: str) -> Path:
    """``notebooks``, ``expectations`` or ``data``: inside the package when installed, else beside it."""
    installed = PACKAGE / name
    if installed.is_dir():
        return installed
    source = PACKAGE.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"pexaudit asset folder {name!r} not found beside {PACKAGE}")


def notebook(name: str = "audit") -> Path:
    return asset_dir("notebooks") / f"{name}.ipynb"


def suites_dir() -> Path:
    return asset_dir("expectations")


def sample() -> Path:
    return asset_dir("data") / "conventions" / "cd35-2024"
