"""convention.yaml: typed loading, defaults, and errors that name the file, key and line."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
import yaml

from pexaudit.convention import ConventionWarning, add_months, load_convention
from pexaudit.errors import InputError

from .conftest import BASE_CONVENTION, SAMPLE, deep_merge


def write(tmp_path, data) -> None:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")


def test_sample_loads_with_seed_figures():
    c = load_convention(SAMPLE)
    assert c.id == "cd35-2024-pex"
    assert c.subsidy_amount == 5_000_000
    assert c.siret == "22350001800013"
    assert c.bank.rib.guichet == "000682"
    assert c.report_due_date == dt.date(2025, 2, 28)
    assert c.payment_deadline == c.report_due_date
    assert c.management_costs.cap_rate == Fraction(1, 10)
    assert c.personnel_line.line == "personnel"


@pytest.mark.parametrize(
    ("end", "due"),
    [
        (dt.date(2024, 12, 31), dt.date(2025, 2, 28)),
        (dt.date(2023, 12, 31), dt.date(2024, 2, 29)),
        (dt.date(2024, 6, 30), dt.date(2024, 8, 30)),
        (dt.date(2024, 8, 31), dt.date(2024, 10, 31)),
        (dt.date(2024, 11, 15), dt.date(2025, 1, 15)),
    ],
)
def test_report_due_date_is_end_plus_two_months_clamped(end, due):
    assert add_months(end, 2) == due


def test_defaults(tmp_path):
    data = deep_merge(BASE_CONVENTION, {})
    data.pop("rules")
    write(tmp_path, data)
    c = load_convention(tmp_path)
    assert c.report_due_date == dt.date(2025, 2, 28)
    assert c.management_costs.mode == "actual" and c.management_costs.cap_rate is None
    assert c.variance_alert_pct == 15
    assert c.project_codes == ()
    assert c.funding_rate is None


def _drop(data: dict, path: str) -> dict:
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node.pop(int(last))
    else:
        node.pop(last)
    return data


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        (lambda d: _drop(d, "id"), "id", "clé obligatoire absente"),
        (lambda d: _drop(d, "period.start"), "period.start", "clé obligatoire absente"),
        (lambda d: _drop(d, "subsidy.amount"), "subsidy.amount", "clé obligatoire absente"),
        (lambda d: _drop(d, "budget"), "budget", "clé obligatoire absente"),
        (lambda d: _drop(d, "beneficiary.siret"), "beneficiary.siret", "clé obligatoire absente"),
        (lambda d: _drop(d, "inputs.payroll"), "inputs.payroll", "clé obligatoire absente"),
        (lambda d: d.update(id="CD35 2024") or d, "id", "[a-z0-9-]+"),
        (lambda d: d["period"].update(start="2025-01-01") or d, "period.end", "précède le début"),
        (lambda d: d["period"].update(end="31 décembre") or d, "period.end", "attendu une date"),
        (lambda d: d["subsidy"].update(amount="beaucoup") or d, "subsidy.amount", "attendu un montant"),
        (lambda d: d["subsidy"].update(amount=100.005) or d, "subsidy.amount", "au centime près"),
        (lambda d: d["subsidy"].update(amount=0) or d, "subsidy.amount", "strictement positif"),
        (lambda d: d["budget"][1].update(amount=-5) or d, "budget[1].amount", "positif"),
        (lambda d: d["budget"][1].update(kind="personnel") or d, "budget", "exactement une ligne « personnel »"),
        (lambda d: d["budget"][0].update(kind="management") or d, "budget", "exactement une ligne « personnel »"),
        (lambda d: d["budget"][1].update(kind="frais") or d, "budget[1].kind", "attendu personnel, management ou null"),
        (lambda d: d["budget"][1].update(line="personnel") or d, "budget[1].line", "en double"),
        (lambda d: d["staff"][0].update(allocation=0) or d, "staff[0].allocation", "]0 ; 1]"),
        (lambda d: d["staff"][0].update(allocation=1.2) or d, "staff[0].allocation", "]0 ; 1]"),
        (lambda d: d["staff"].append(dict(d["staff"][0])) or d, "staff[1].employee_id", "en double"),
        (lambda d: d["staff"][0].update(start="2024-06-01", end="2024-01-31") or d, "staff[0].end", "précède"),
        (lambda d: d.update(budget={"personnel": 1}) or d, "budget", "attendu une liste"),
        (lambda d: d.update(report_due_dte="2025-03-01") or d, "report_due_dte", "report_due_date"),
        (
            lambda d: d["rules"].update(management_costs={"mode": "forfait"}) or d,
            "rules.management_costs.mode",
            "actual ou flat_rate",
        ),
        (
            lambda d: d["rules"].update(management_costs={"mode": "flat_rate"}) or d,
            "rules.management_costs.rate",
            "clé obligatoire absente",
        ),
        (lambda d: d["subsidy"].update(funding_rate=1.5) or d, "subsidy.funding_rate", "]0 ; 1]"),
        (lambda d: d["inputs"].update(payroll="../../etc/passwd") or d, "inputs.payroll", "dossier de la convention"),
        (
            lambda d: d["inputs"].update(columns={"N° mandat": "numero"}) or d,
            "inputs.columns.N° mandat",
            "colonne cible inconnue",
        ),
    ],
)
def test_load_errors_name_file_key_and_expectation(tmp_path, change, key, expected):
    data = change(deep_merge(BASE_CONVENTION, {}))
    write(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    error = info.value
    assert error.file.endswith("convention.yaml")
    assert error.key == key
    assert expected in error.message
    assert error.row is not None or "." not in key  # the YAML line of the key or its parent


def test_error_message_gives_the_yaml_line(tmp_path):
    data = deep_merge(BASE_CONVENTION, {})
    data["staff"][0]["allocation"] = 2
    write(tmp_path, data)
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    lines = (tmp_path / "convention.yaml").read_text(encoding="utf-8").splitlines()
    assert "allocation" in lines[info.value.row - 1]
    assert f"ligne {info.value.row}" in info.value.message


def test_unreadable_yaml(tmp_path):
    write(tmp_path, "id: x\nperiod: {start: 2024-01-01\n")
    with pytest.raises(InputError, match="YAML illisible"):
        load_convention(tmp_path)


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(InputError, match="introuvable"):
        load_convention(tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"convention\.yaml absent"):
        load_convention(tmp_path)


def test_unknown_key_far_from_any_known_one_is_a_warning(tmp_path):
    write(tmp_path, deep_merge(BASE_CONVENTION, {"notes_internes": "relance faite"}))
    with pytest.warns(ConventionWarning, match="notes_internes"):
        load_convention(tmp_path)


def test_amount_forms(tmp_path):
    write(tmp_path, deep_merge(BASE_CONVENTION, {"subsidy": {"amount": "12 345,67"}}))
    assert load_convention(tmp_path).subsidy_amount == 1_234_567
