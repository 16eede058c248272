"""Small FEC files written for tests: one dict per line, every variant a real export shows."""

from __future__ import annotations

from pathlib import Path

from pexaudit.inputs.fec import FEC_COLUMNS


def line(journal="HA", num="1", date="20240115", account="60640000", debit="0,00", credit="0,00", **fields) -> dict:
    """One FEC line; unspecified mandatory fields get plausible values."""
    out = {
        "JournalCode": journal, "JournalLib": {"HA": "Achats", "BQ": "Banque"}.get(journal, "Divers"),
        "EcritureNum": num, "EcritureDate": date, "CompteNum": account, "CompteLib": f"Compte {account}",
        "CompAuxNum": "", "CompAuxLib": "", "PieceRef": f"F{num}", "PieceDate": date, "EcritureLib": "Achat",
        "Debit": debit, "Credit": credit, "EcritureLet": "", "DateLet": "", "ValidDate": date,
        "Montantdevise": "", "Idevise": "",
    }  # fmt: skip
    out.update(fields)
    return out


def purchase(
    num="1", date="20240115", cents=12000, account="60640000", supplier="Bureau Vallée", lettered="20240301", **fields
):
    """An invoice: a charge line and the supplier's ``401`` line (lettered when ``lettered`` is a date)."""
    amount = f"{cents // 100},{cents % 100:02d}"
    return [
        line("HA", num, date, account, debit=amount, **fields),
        line("HA", num, date, "40100000", credit=amount, CompAuxNum="F001", CompAuxLib=supplier,
             EcritureLet="AA" if lettered else "", DateLet=lettered or "",
             **{k: v for k, v in fields.items() if k not in ("EcritureLib",)}),
    ]  # fmt: skip


def fec_text(
    rows: list[dict],
    *,
    sep: str = "\t",
    trailing: bool = False,
    montant_sens: bool = False,
    pad: bool = False,
    columns: tuple[str, ...] = FEC_COLUMNS,
    newline: str = "\n",
) -> str:
    names = list(columns)
    if montant_sens:
        at = names.index("Debit")
        names[at : at + 2] = ["Montant", "Sens"]
    lines = []
    for row in rows:
        if montant_sens:
            debit, credit = row["Debit"], row["Credit"]
            side = "C" if credit.strip(" 0,") else "D"
            row = {**row, "Montant": credit if side == "C" else debit, "Sens": side}
        values = [row.get(n, "") for n in names]
        if pad:  # fixed-width export: amounts zero-padded, texts space-padded
            values = [
                v.rjust(13, "0") if n in ("Debit", "Credit", "Montant") and v else v.ljust(12)
                for n, v in zip(names, values)
            ]
        lines.append(values)
    end = sep if trailing else ""
    return newline.join(sep.join(v) + end for v in [names, *lines]) + newline


def write_fec(path: Path, rows: list[dict], *, encoding: str = "utf-8", bom: bool = False, **options) -> Path:
    data = fec_text(rows, **options).encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    return path
