"""Data-driven: every folder of tests/cases/ is a convention with a hand-computed expected.json.

Dropping a folder in adds a test. Only the keys present in expected.json are compared; rows are
matched by (source, file, row) and every input row must be there; activity missions and
indicators by code, activity rows by (file, row). A folder with a decisions file (SPEC 9) also
states rows' ``decision`` and ``impact``, ``settlement.max_balance``, ``procedure`` and the
DECISION findings' amounts (``decision_amounts``, in file order). ``finding_amounts`` and
``finding_refs`` give, per rule, the amounts and the refs of its findings in order.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest

from pexaudit.core.audit import results

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "expected.json").is_file())


@pytest.fixture(scope="module")
def audits(audited):
    return {case.name: audited(case) for case in CASES}


@pytest.fixture(scope="module")
def computed(audits):
    return {name: results(a) for name, a in audits.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_case(case, computed, audits, schema):
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    got = computed[case.name]
    jsonschema.validate(got, schema)
    lines = {line["line"]: line for line in got["lines"]}
    assert set(lines) == set(expected["lines"])
    for line_id, want in expected["lines"].items():
        for key, value in want.items():
            assert lines[line_id][key] == value, f"{line_id}.{key}"
    assert got["totals"] == expected["totals"]
    for key, value in expected["settlement"].items():
        assert got["settlement"][key] == value, f"settlement.{key}"
    assert got["verdict"] == expected["verdict"]
    if "rows" in expected:
        keyed = {(r["source"], r["file"], r["row"]): r for r in got["rows"]}
        assert len(keyed) == len(got["rows"]) == len(expected["rows"])
        for want in expected["rows"]:
            row = keyed[(want["source"], want["file"], want["row"])]
            assert {k: row[k] for k in want} == want
    if "analytics" in expected:
        for key, value in expected["analytics"].items():
            have = got["analytics"][key]
            assert (have if not isinstance(value, dict) else {k: have[k] for k in value}) == value, f"analytics.{key}"
    if "expense_rows" in expected:  # what a FEC line became: supplier, payment date from the lettering
        rows = audits[case.name].rows
        frame = rows[rows["source"] == "expenses"].set_index("row")
        for row, want in expected["expense_rows"].items():
            rec = frame.loc[int(row)]
            assert {k: str(rec[k]) for k in want} == want, row
    if "inputs" in expected:
        by_path = {item["path"]: item for item in got["inputs"]}
        for path, want in expected["inputs"].items():
            assert {k: by_path[path].get(k) for k in want} == want, path
    if "findings" in expected:
        assert Counter(f["rule"] for f in got["findings"]) == Counter(expected["findings"])
    for rule, amounts in expected.get("finding_amounts", {}).items():
        assert [f["amount"] for f in got["findings"] if f["rule"] == rule] == amounts, rule
    for rule, refs in expected.get("finding_refs", {}).items():
        assert [f.get("refs") for f in got["findings"] if f["rule"] == rule] == refs, rule
    if "procedure" in expected:
        assert got["procedure"] == expected["procedure"]
    if "decision_amounts" in expected:
        assert [f["amount"] for f in got["findings"] if f["rule"] == "DECISION"] == expected["decision_amounts"]
    if "activity" in expected:
        want, have = expected["activity"], got["activity"]
        for key in ("missions", "indicators"):
            assert {m["code"]: m for m in have[key]} == {m["code"]: m for m in want[key]}, key
        keyed = {(r["file"], r["row"]): r for r in have["rows"]}
        assert len(keyed) == len(have["rows"]) == len(want["rows"])
        for row in want["rows"]:
            assert {k: keyed[(row["file"], row["row"])][k] for k in row} == row
