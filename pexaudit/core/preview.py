"""What ``pexaudit check`` can tell before the rules run (no GX suite, no decision applied).

- :func:`format_blanks`: the empty cells the FORMAT rule will reject, by row and column (an
  empty ``autres_couts`` is 0, an empty ``date_paiement`` is PAIEMENT: neither is listed);
- :func:`foreseen`: the findings the convention and the files alone decide, computed by the
  functions the audit calls (identity, deadlines, DDETS, payments, PAIEMENT_NON_CONTROLE,
  MATRICULE, TOTAL; for a FEC, HORS_CORRESPONDANCE, PAIE_COMPTA and SUBVENTION_COMPTA);
- :func:`citable_lines`: for a FEC, the lines a decision may cite for each entry (the expense
  rows it produced), never its third-party or bank line.

Column-wise where a ledger may be large: a million-line FEC is grouped once.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from .books import hors_correspondance, paie_compta, subvention_compta
from .checks import load_suite_json
from .findings import foreseen_findings
from .registry import Finding

__all__ = ["CitableEntry", "citable_lines", "fec_line_hint", "foreseen", "format_blanks", "required_columns"]


@cache
def required_columns(role: str) -> tuple[str, ...]:
    """The columns FORMAT requires to be given and readable, as the role's GX suite says
    (``expect_column_values_to_not_be_null`` without a condition): a blank cell there is FORMAT."""
    columns = []
    for e in load_suite_json(role)["expectations"]:
        kwargs = e.get("kwargs", {})
        if (
            e.get("meta", {}).get("rule") == "FORMAT"
            and e["type"] == "expect_column_values_to_not_be_null"
            and "row_condition" not in kwargs
        ):
            columns.append(kwargs["column"])
    return tuple(dict.fromkeys(columns))


def format_blanks(table) -> list[tuple[int, str]]:
    """(row number, column) of every empty cell the FORMAT rule will reject, in file order.

    An unreadable value is not blank (``check`` lists it apart, with its text); an empty
    ``autres_couts`` reads 0 and passes (SPEC 4.1).
    """
    if table is None or table.role not in ("payroll", "expenses") or table.frame.empty:
        return []
    frame = table.frame
    found = []
    for column in required_columns(table.role):
        if column not in frame:
            continue
        empty = frame[column].isna().to_numpy()
        if not empty.any():
            continue
        unreadable = {rid for rid, name in table.raw if name == column}
        ids, rows = frame["row_id"].to_numpy()[empty], frame["row"].to_numpy()[empty]
        found += [(int(row), column) for rid, row in zip(ids, rows, strict=True) if int(rid) not in unreadable]
    order = {c: i for i, c in enumerate(required_columns(table.role))}
    return sorted(found, key=lambda item: (item[0], order[item[1]]))


def _payroll_rows(payroll) -> pd.DataFrame:
    """The payroll rows as PAIE_COMPTA reads them (cost, month, readable), before any rule."""
    frame = payroll.frame
    costs = ["brut", "charges_patronales", "autres_couts"]
    return pd.DataFrame(
        {
            "source": "payroll",
            "readable": frame[costs].notna().all(axis=1).to_numpy(),
            "month": frame["periode"].to_numpy(dtype=object),
            "amount": sum(frame[c].fillna(0).astype("int64") for c in costs).to_numpy(),
        }
    )


def foreseen(convention, tables: dict) -> list[Finding]:
    """The findings the audit will state whatever the rules find, in the audit's order."""
    found = foreseen_findings(convention, tables)
    expenses, payroll = tables.get("expenses"), tables.get("payroll")
    ledger = getattr(expenses, "ledger", None) if expenses is not None else None
    if ledger is not None:
        file = ledger.table.file
        found += hors_correspondance(convention, ledger.lines, file)
        if payroll is not None:
            found += paie_compta(convention, _payroll_rows(payroll), ledger.lines, file)
        found += subvention_compta(convention, ledger.lines, file)
    return found


@dataclass(frozen=True)
class CitableEntry:
    """A FEC entry and the refs (``file!!line``) of the expense rows it produced."""

    journal: str
    entry: str
    refs: tuple[str, ...]

    @property
    def name(self) -> str:
        return f"{self.journal} {self.entry}".strip()


def citable_lines(table) -> list[CitableEntry]:
    """For a FEC, each entry that produced expense rows, with their refs, in file order: the lines
    a decision names (a decision on the entry's third-party or bank line is refused)."""
    frame = table.frame
    if table.ledger is None or frame.empty:
        return []
    refs = table.file + "!!" + frame["row"].astype(str)
    grouped = refs.groupby([frame["journal"].astype(str), frame["entry"].astype(str)], sort=False).agg(tuple)
    out = [CitableEntry(journal, entry, group) for (journal, entry), group in grouped.items()]
    return out


REFS_SHOWN = 10  # refs named in a message


def _line_role(account: str, set_aside: bool) -> str:
    if set_aside:
        return "une ligne mise de côté pour son nombre de champs (FEC_FORMAT)"
    if account.startswith("40"):
        return f"la ligne de tiers (compte {account}, le fournisseur)"
    if account.startswith(("42", "467")):
        return f"la ligne de tiers (compte {account}, le salarié ou le membre)"
    if account.startswith("51"):
        return f"la ligne de banque (compte {account})"
    if account.startswith("53"):
        return f"la ligne de caisse (compte {account})"
    return f"une ligne du compte {account}, qu'aucune ligne budgétaire ne retient (inputs.accounts, inputs.fec)"


def _refs(table, rows: pd.DataFrame) -> str:
    refs = [f"{table.file}!!{int(r)}" for r in rows["row"].head(REFS_SHOWN)]
    more = f" et {len(rows) - REFS_SHOWN} autre(s)" if len(rows) > REFS_SHOWN else ""
    return ", ".join(refs) + more


def fec_line_hint(table, number: int) -> str | None:
    """Why line ``number`` of a FEC is not an expense row a decision may name, and which lines to
    cite instead: the charge lines of its entry, or, for a bank entry, the lines it paid. None
    when the FEC has no such line."""
    ledger = getattr(table, "ledger", None)
    if ledger is None:
        return None
    lines = ledger.lines
    found = (lines["line"].to_numpy() == number).nonzero()[0]
    if not len(found):
        return None
    i = int(found[0])
    journal, entry = str(lines["JournalCode"].iat[i]), str(lines["EcritureNum"].iat[i])
    account = str(lines["CompteNum"].iat[i])
    name = f"{journal} {entry}".strip()
    role = _line_role(account, bool(lines["field_fault"].iat[i]) if "field_fault" in lines else False)
    frame = table.frame
    own = frame[(frame["journal"] == journal) & (frame["entry"] == entry)]
    where = f"la ligne {number} de {table.file} est {role} de l'écriture {name}"
    if len(own):
        return (
            f"{where}, pas une ligne de charge retenue : une décision cite la ligne de charge de l'écriture, "
            f"{_refs(table, own)}"
        )
    paid = frame[(frame["payment_journal"] == journal) & (frame["payment_entry"] == entry)]
    if len(paid):
        entries = ", ".join(
            dict.fromkeys(f"{j} {e}".strip() for j, e in zip(paid["journal"], paid["entry"], strict=True))
        )
        return (
            f"{where}, l'écriture de banque qui a payé {len(paid)} ligne(s) retenue(s) ({entries}) : une décision "
            f"cite la ligne de charge, {_refs(table, paid)}"
        )
    return (
        f"{where}, qui ne donne aucune ligne retenue (aucun de ses comptes n'est une ligne budgétaire de "
        "inputs.accounts) : aucune décision ne porte sur elle"
    )
