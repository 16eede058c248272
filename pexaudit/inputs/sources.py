"""Which reader reads each input of a convention: a FEC is recognised by its header before the
ordinary expenses reader (SPEC 11), every other file is a sheet or a CSV (SPEC 4).

The one place that knows both readers, so that neither imports the other.
"""

from __future__ import annotations

from .convention import Convention
from .fec import looks_like_fec, read_fec
from .readers import Table, read_source

__all__ = ["read_activity", "read_expenses", "read_payroll"]


def read_payroll(convention: Convention) -> Table | None:
    return _read_role(convention, "payroll", 0)


def read_expenses(convention: Convention, row_id_start: int = 0) -> Table | None:
    return _read_role(convention, "expenses", row_id_start)


def read_activity(convention: Convention) -> Table | None:
    return _read_role(convention, "activity", 0)


def _read_role(convention: Convention, role: str, row_id_start: int) -> Table | None:
    name = convention.inputs.get(role)
    if not name:
        return None
    path = convention.folder / name
    if role == "expenses" and path.is_file() and looks_like_fec(path):
        ledger = read_fec(
            path, name, accounts=convention.accounts, journals=convention.fec.journals or None,
            label_contains=convention.fec.label_contains or None, row_id_start=row_id_start,
        )  # fmt: skip
        ledger.table.ledger = ledger
        return ledger.table
    return read_source(
        role, path, name, convention.columns, row_id_start, convention.accounts, convention.sheets.get(role)
    )
