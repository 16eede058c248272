"""The registry governs (issue 14): every finding is raised through registry.finding() with a
code the registry holds, and every finding the registry holds is raised somewhere.

Scanned statically (ast), so a rule raised only on a rare path counts as much as a common one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pexaudit.core.registry import FAILING_RULES, FINDINGS, RULES, finding

PACKAGE = Path(__file__).resolve().parent.parent / "pexaudit"


def _calls(name: str) -> list[tuple[Path, ast.Call]]:
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                func = node.func
                called = (
                    func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                )
                if called == name:
                    found.append((path, node))
    return found


def raised_codes() -> set[str]:
    codes = set()
    for path, call in _calls("finding"):
        first = call.args[0] if call.args else None
        assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
            f"{path.name}:{call.lineno}: finding() takes its rule as a literal, so that this test can read it"
        )
        codes.add(first.value)
    return codes


def test_every_raised_finding_is_held_and_every_held_one_is_raised():
    raised = raised_codes()
    assert raised - set(FINDINGS) == set(), "raised but not in the registry"
    assert set(FINDINGS) - raised == set(), "in the registry but never raised"


def test_no_finding_is_built_by_hand():
    """Finding(...) only inside the registry: elsewhere a severity could be restated by hand."""
    outside = [f"{p.name}:{c.lineno}" for p, c in _calls("Finding") if p.name != "registry.py"]
    assert outside == []


def test_severity_comes_from_the_registry():
    assert finding("ECART", "x").severity == "warning"
    assert finding("DDETS", "x", case="avant_validation").severity == "error"
    assert finding("DDETS", "x", case="sans_date").severity == "warning"
    assert finding("CONTRADICTOIRE", "x", case="sans_observations").severity == "error"
    with pytest.raises(KeyError):
        finding("INCONNU", "x")
    with pytest.raises(KeyError):
        finding("DDETS", "x")  # a rule with two severities needs its case
    with pytest.raises(KeyError):
        finding("ECART", "x", case="sans_date")


def test_every_failing_rule_says_what_to_check_and_why_in_the_beneficiary_words():
    for code in FAILING_RULES:
        entry = RULES[code]
        assert entry.hint and entry.beneficiary and entry.reason, code
        assert code not in entry.beneficiary  # no rule code in the beneficiary's words


def test_error_findings_the_beneficiary_can_answer_have_its_words():
    for code, entry in FINDINGS.items():
        severities = set(entry.cases.values()) if entry.cases else {entry.severity}
        if "error" in severities and code != "CONTRADICTOIRE":
            assert entry.beneficiary, code


def test_the_guide_names_no_private_function():
    for entry in (*RULES.values(), *FINDINGS.values()):
        assert "pexaudit." not in entry.where and "_" not in entry.where.split(" ")[0], entry.code
