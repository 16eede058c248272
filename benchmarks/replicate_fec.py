"""A large FEC built by replicating a real one (issue 18): every copy of the real ledger gets fresh
entry numbers and piece references, so that no entry, piece or duplicate repeats across copies,
and its lettering codes are made unique per copy (a letter still joins the lines of one copy).

The real ledger is ``tests/external/fec/111111111FEC20221231.TXT`` (934 lines, 248 entries, an
association's 2023 books). :data:`PROJECT_ACCOUNTS` are seven of its class-6 accounts, 53 of its
lines: a convention mapping them selects about 5 % of the lines (some 57 000 project rows at a
million lines).

    .venv/bin/python benchmarks/replicate_fec.py OUT.txt [--lines 1000000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "external" / "fec" / "111111111FEC20221231.TXT"
PROJECT_ACCOUNTS = ("62700000", "60680000", "61600000", "60100000", "62510000", "62260000", "62570000")
ENCODING = "iso-8859-15"

__all__ = ["PROJECT_ACCOUNTS", "REAL", "replicate"]


def _read(path: Path) -> tuple[str, list[list[str]]]:
    text = path.read_bytes().decode(ENCODING)
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0], [line.split("|") for line in lines[1:]]


def replicate(out: Path, lines: int = 1_000_000, source: Path = REAL) -> int:
    """Write ``out``: copies of ``source`` until ``lines`` data lines; return the lines written."""
    header, rows = _read(source)
    names = header.split("|")
    num, piece, letter = names.index("EcritureNum"), names.index("PieceRef"), names.index("EcritureLet")
    width = max(len(r[num]) for r in rows)
    top = max(int(r[num]) for r in rows if r[num].strip().isdigit())  # copies number on, without gaps
    written = 0
    with out.open("w", encoding=ENCODING, newline="") as f:
        f.write(header + "\r\n")
        copy = 0
        while written < lines:
            base = copy * top
            chunk = []
            for r in rows[: lines - written]:
                fields = list(r)
                number = fields[num].strip()
                fields[num] = str(base + int(number)).zfill(width) if number.isdigit() else f"{number}{copy}"
                if fields[piece].strip():
                    fields[piece] = f"{fields[piece].strip()}-{copy}"
                if fields[letter].strip():
                    fields[letter] = f"{fields[letter].strip()}{copy}"
                chunk.append("|".join(fields))
            f.write("\r\n".join(chunk) + "\r\n")
            written += len(chunk)
            copy += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    print(f"{replicate(args.out, args.lines):,} lines written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
