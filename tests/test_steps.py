"""The audit's steps hand each other values they never write into (issue 14).

Each step returns a new value; the frames of an earlier step are the same after every later
step, after the model is built and every document rendered, and after a what-if. (pandas'
copy-on-write makes the new frames cheap: no defensive copy of a million-row frame.)
"""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from pexaudit import notebook as nb
from pexaudit.core.audit import Audit, assess, evaluate_rows, read_inputs
from pexaudit.inputs.decisions import Decision
from pexaudit.model.bilan import build
from pexaudit.render.report import render_all
from pexaudit.workbench import simulate

from .conftest import ROOT, SAMPLE

FOLDERS = [SAMPLE.parent / "cd35-2024-definitif", ROOT / "tests" / "cases" / "flat-rate"]


def frozen(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.copy(deep=True)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_no_step_writes_into_a_frame_another_step_produced(folder, checker, tmp_path):
    inputs = read_inputs(folder)
    tables = {role: frozen(t.frame) for role, t in inputs.tables.items()}
    evaluated = evaluate_rows(inputs, checker)
    rules_rows = frozen(evaluated.eligibility.rows)
    a = assess(inputs, evaluated)
    aggregated, final = frozen(a.aggregates.rows), frozen(a.rows)
    b = build(a)
    render_all(b)
    nb.write_outputs(b, tmp_path)
    ref = b.rejected.views(1)[0].ref
    simulate(b, [Decision(ref, "accept", "essai")])
    for role, frame in tables.items():
        pd.testing.assert_frame_equal(inputs.tables[role].frame, frame)
    pd.testing.assert_frame_equal(evaluated.eligibility.rows, rules_rows)
    pd.testing.assert_frame_equal(a.aggregates.rows, aggregated)
    pd.testing.assert_frame_equal(a.rows, final)
    assert "impact" not in a.aggregates.rows and "decision" not in evaluated.eligibility.rows


def test_an_audit_is_frozen(audited):
    a = audited(SAMPLE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.verdict = "conforme"
    assert isinstance(a, Audit)
