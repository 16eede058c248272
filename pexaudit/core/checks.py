"""Great Expectations glue: run the reviewed suites of ``expectations/`` on a frame.

The suites state the row-level rules of SPEC section 5; this module only loads them, passes the
convention's values as suite parameters, and turns GX results into a tidy table of failures
``(row_id, rule, column, value)``. Failing row ids come from GX's ``unexpected_index_list``
(``result_format=COMPLETE`` on a frame whose index is ``row_id``), never from its capped samples.
GX usage statistics are switched off by ``pexaudit/__init__.py``, which runs before this module.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cache

import pandas as pd

from ..assets import suites_dir

__all__ = ["Checker", "SuiteRun", "load_suite_json", "suite_versions"]

SUITE_ROLES = ("payroll", "expenses", "activity")  # one suite and one batch definition each
# COMPLETE: every failing row, not a capped sample. The frame is indexed by row_id, so that
# unexpected_index_list is the failing row ids themselves: naming row_id as an index *column*
# makes GX look each failing row up one by one (0,25 s for 21 400 failures of 57 000 rows).
RESULT_FORMAT = {"result_format": "COMPLETE"}


def load_suite_json(role: str) -> dict:
    return json.loads((suites_dir() / f"{role}.json").read_text(encoding="utf-8"))


def suite_versions() -> dict[str, str]:
    """``{"pexaudit_payroll": "1.0.0", ...}`` for the audit trail."""
    versions = {}
    for role in SUITE_ROLES:
        suite = load_suite_json(role)
        versions[suite["name"]] = suite.get("meta", {}).get("suite_version", "")
    return versions


# Imported by GX's own ``__init__`` for expectations and renderers pexaudit never runs (Altair
# charts, KL divergence, JSON-schema formats): after ``import pexaudit`` (which already stops
# rfc3987_syntax), the GX import takes 1,5-1,7 s with them and 0,8 s without, on this machine.
# They are loaded on first use instead, should GX ever reach them.
_UNUSED_BY_THE_SUITES = frozenset({"altair", "jsonschema", "scipy.stats"})


class _LazyFinder:
    """Finds ``names`` as usual, but hands them to :class:`importlib.util.LazyLoader`:
    the module object exists at once, its code runs on first attribute access."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name, path, target=None):
        if name not in self.names:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return None
        spec.loader = importlib.util.LazyLoader(spec.loader)
        return spec


def import_gx():
    """``great_expectations``, imported without what the suites do not use (loaded on use)."""
    if "great_expectations" in sys.modules:
        return sys.modules["great_expectations"]
    finder = _LazyFinder(_UNUSED_BY_THE_SUITES)
    sys.meta_path.insert(0, finder)
    try:
        import great_expectations
    finally:
        sys.meta_path.remove(finder)
    return great_expectations


# Suite parameters as convention.yaml names them, for the "not applied" notes.
_PARAMETERS_FR = {"project_codes": "rules.project_codes"}


@dataclass
class SuiteRun:
    """Failures of one suite run, plus what was evaluated (for the report)."""

    suite: str
    failures: pd.DataFrame  # row_id, rule, column, value
    evaluated: list[str]  # rules evaluated
    skipped: list[str]  # expectations not applied, in French, with why


class Checker:
    """One ephemeral GX context per process, reused for every convention (warm kernels)."""

    def __init__(self) -> None:
        gx = import_gx()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("pexaudit")
        self._batches = {
            role: source.add_dataframe_asset(role).add_batch_definition_whole_dataframe(role) for role in SUITE_ROLES
        }
        self.version = gx.__version__

    def run(
        self,
        role: str,
        frame: pd.DataFrame,
        parameters: dict,
        *,
        rules: set[str] | None = None,
        exclude: set[str] | None = None,
    ) -> SuiteRun:
        """Validate ``frame`` against the ``role`` suite, restricted to some rules."""
        spec = load_suite_json(role)
        kept, skipped = [], []
        for expectation in spec["expectations"]:
            meta = expectation.get("meta", {})
            rule = meta["rule"]
            if (rules is not None and rule not in rules) or (exclude and rule in exclude):
                continue
            needs_column = meta.get("requires_column")
            needs_param = meta.get("requires_parameter")
            if needs_column and not parameters.get(f"has_{needs_column}"):
                skipped.append(f"{rule} ({meta['fr']}) : colonne {needs_column} absente du fichier")
                continue
            if needs_param and not parameters.get(needs_param):
                if meta.get("quiet"):
                    continue  # nothing to look for (no exclusion written): not a check left out
                skipped.append(f"{rule} ({meta['fr']}) : {_PARAMETERS_FR.get(needs_param, needs_param)} non renseigné")
                continue
            kept.append(expectation)
        suite = self._gx.ExpectationSuite(**{**spec, "expectations": kept})
        columns = ["row_id", "rule", "column", "value"]
        if frame.empty or not kept:
            return SuiteRun(spec["name"], pd.DataFrame(columns=columns), _rules_of(kept), skipped)
        values = {k: v for k, v in parameters.items() if not k.startswith("has_")}
        indexed = frame.set_axis(pd.Index(frame["row_id"].to_numpy()), axis=0)  # unnamed: GX lists it as is
        batch = self._batches[role].get_batch(batch_parameters={"dataframe": indexed})
        result = batch.validate(suite, result_format=RESULT_FORMAT, expectation_parameters=values)
        records = []
        for item in result.results:
            info = item.exception_info or {}
            if info.get("raised_exception"):
                raise RuntimeError(
                    f"GX expectation {item.expectation_config.type} failed to run: {info.get('exception_message')}"
                )
            kwargs = item.expectation_config.kwargs
            rule = item.expectation_config.meta["rule"]
            column = kwargs.get("column") or kwargs.get("column_A")
            hits = item.result.get("unexpected_index_list") or []
            values = indexed[column].loc[hits].tolist() if column and hits else [None] * len(hits)
            records.extend((int(row_id), rule, column, value) for row_id, value in zip(hits, values, strict=True))
            if not item.success and not item.result.get("unexpected_index_list"):
                raise RuntimeError(
                    f"GX expectation {item.expectation_config.type} on {column} failed "
                    "without row ids: cannot tell which rows break the rule"
                )
        failures = pd.DataFrame.from_records(records, columns=columns)
        return SuiteRun(spec["name"], failures, _rules_of(kept), skipped)


def _rules_of(expectations: list[dict]) -> list[str]:
    return list(dict.fromkeys(e["meta"]["rule"] for e in expectations))


@cache
def checker() -> Checker:
    """The process-wide checker (GX import and context set-up are paid once)."""
    return Checker()
