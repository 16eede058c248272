"""Every test case's results.json and the amounts each document shows stay as recorded.

A restructuring moves code, not figures: this test shows, document by document, any amount
that changed. ``PEXAUDIT_UPDATE_SNAPSHOTS=1`` rewrites ``tests/snapshots/`` after an announced
change (see tests/snapshots.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .snapshots import record

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(p for p in (ROOT / "tests" / "cases").iterdir() if (p / "expected.json").is_file()) + sorted(
    p for p in (ROOT / "data" / "conventions").iterdir() if (p / "convention.yaml").is_file()
)
STORE = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_documents_keep_their_figures(case, audited, tmp_path):
    got = json.loads(json.dumps(record(audited(case), tmp_path), default=str))
    path = STORE / f"{case.name}.json"
    if os.environ.get("PEXAUDIT_UPDATE_SNAPSHOTS") or not path.exists():
        STORE.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = json.loads(path.read_text(encoding="utf-8"))
    for part in ("results", "report", "workbook", "letter"):
        assert got[part] == want[part], part
