"""Shared fixtures: one GX checker per test session, and small convention builders."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

os.environ["GX_ANALYTICS_ENABLED"] = "False"

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCHEMA_PATH = ROOT / "tests" / "results.schema.json"
SAMPLE = ROOT / "data" / "conventions" / "cd35-2024"


@pytest.fixture(scope="session")
def checker():
    from pexaudit.core.checks import checker as make

    return make()


@pytest.fixture(scope="session")
def audited(checker):
    """The audit of a committed convention folder (a case, the sample), computed once per session
    and shared: an Audit is frozen, and no step writes into another's frame, so sharing is safe."""
    from pexaudit.core.audit import audit

    cache = {}

    def get(folder):
        key = Path(folder).resolve()
        if key not in cache:
            cache[key] = audit(key, checker)
        return cache[key]

    return get


@pytest.fixture(scope="session")
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def run_cli(*args, cwd=None):
    """``python -m pexaudit ARGS`` in a subprocess, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "pexaudit", *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """One real ``pexaudit audit`` of the bundled sample, shared by the CLI and browser tests."""
    out = tmp_path_factory.mktemp("reports")
    proc = run_cli("audit", SAMPLE, "--out", out)
    return proc, out / "cd35-2024-pex"


BASE_CONVENTION = {
    "id": "test-2024",
    "title": "Convention de test",
    "programme": "177",
    "period": {"start": "2024-01-01", "end": "2024-12-31"},
    "beneficiary": {"name": "Conseil départemental d'Ille-et-Vilaine", "siret": "22350001800013"},
    "subsidy": {"amount": 10000, "payments": [{"date": "2024-03-01", "amount": 10000}]},
    "budget": [
        {"line": "personnel", "label": "Personnel", "kind": "personnel", "amount": 9000},
        {"line": "gestion", "label": "Gestion", "kind": "management", "amount": 1000},
    ],
    "staff": [{"employee_id": "A1", "role": "Chargée de mission", "allocation": 1, "start": "2024-01-01",
               "ddets_validation_date": "2023-12-01"}],
    "rules": {"project_codes": ["P1"], "management_costs": {"mode": "actual", "cap_rate": None}},
    "inputs": {"payroll": "paie.csv", "expenses": "depenses.csv", "activity": None},
}  # fmt: skip

PAYROLL_HEADER = "matricule;periode;brut;charges_patronales;autres_couts"
EXPENSES_HEADER = "piece;date;date_paiement;fournisseur;ligne;montant;payeur;code_analytique"


def deep_merge(base: dict, changes: dict) -> dict:
    """A deep copy of ``base`` with ``changes`` merged in (``base`` is never modified)."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture
def make_convention(tmp_path):
    """Write a convention folder: yaml overrides, payroll and expense CSV lines (no header)."""

    def make(
        changes: dict | None = None,
        payroll: list[str] | None = None,
        expenses: list[str] | None = None,
        payroll_header: str = PAYROLL_HEADER,
        expenses_header: str = EXPENSES_HEADER,
        name: str = "conv",
    ) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        data = deep_merge(BASE_CONVENTION, changes or {})
        (folder / "convention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        (folder / "paie.csv").write_text("\n".join([payroll_header, *(payroll or [])]) + "\n", encoding="utf-8")
        (folder / "depenses.csv").write_text("\n".join([expenses_header, *(expenses or [])]) + "\n", encoding="utf-8")
        return folder

    return make
