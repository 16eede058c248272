"""The two kinds of failure the command line tells apart (SPEC section 8).

``InputError`` is bad input (exit code 2): its message names the file, sheet, row and column
and what was expected. Anything else is an internal error (exit code 1).
"""

from __future__ import annotations

from .vocabulary import spoken_key

__all__ = ["ConservationError", "InputError"]


class InputError(Exception):
    """Bad input, located as precisely as the input allows."""

    def __init__(
        self,
        expected: str,
        *,
        file: str | None = None,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        key: str | None = None,
    ) -> None:
        self.expected = expected
        self.file, self.sheet, self.row, self.column, self.key = file, sheet, row, column, key
        super().__init__(self.message)

    @property
    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"feuille « {self.sheet} »")
        if self.row:
            parts.append(f"ligne {self.row}")
        if self.column:
            parts.append(f"colonne « {self.column} »")
        if self.key:  # list items counted as people count them: « staff, 2e agent, allocation »
            parts.append(f"clé « {spoken_key(self.key)} »")
        return ", ".join(parts)

    @property
    def message(self) -> str:
        return f"{self.location} : {self.expected}" if self.location else self.expected

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in a notebook: the clear message, not a Python traceback."""
        return [
            f"\x1b[1;31mErreur dans les données\x1b[0m : {self.message}",
            "Corrigez le fichier ou la clé indiqués, puis relancez le carnet.",
        ]

    def __reduce__(self):  # keep the location through pickling (Dask, process pools)
        return _rebuild, (self.expected, self.file, self.sheet, self.row, self.column, self.key)


def _rebuild(expected, file, sheet, row, column, key):
    return InputError(expected, file=file, sheet=sheet, row=row, column=column, key=key)


class ConservationError(AssertionError):
    """declared != eligible + rejected on a line, or an input row lost or duplicated."""
