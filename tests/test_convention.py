"""convention.yaml: typed loading, defaults, and errors that name the file, key and line."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest
import yaml

from pexaudit.errors import InputError
from pexaudit.inputs.convention import add_months, load_convention

from .conftest import BASE_CONVENTION, SAMPLE, deep_merge


def write(tmp_path, data) -> None:
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (tmp_path / "convention.yaml").write_text(text, encoding="utf-8")
    for name in ("paie.csv", "depenses.csv"):
        (tmp_path / name).touch()


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
        (lambda d: d["subsidy"].update(amount=100.005) or d, "subsidy.amount", "montant ambigu « 100.005 »"),
        (lambda d: d["subsidy"].update(amount=100.0051) or d, "subsidy.amount", "au centime près"),
        (lambda d: d["subsidy"].update(amount=0) or d, "subsidy.amount", "strictement positif"),
        (lambda d: d["budget"][1].update(amount=-5) or d, "budget[1].amount", "positif"),
        (lambda d: d["budget"][1].update(kind="personnel") or d, "budget", "exactement une ligne « personnel »"),
        (lambda d: d["budget"][0].update(kind="management") or d, "budget", "exactement une ligne « personnel »"),
        (
            lambda d: d["budget"][1].update(kind="frais") or d,
            "budget[1].kind",
            "attendu personnel, management ou direct",
        ),
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


@pytest.mark.parametrize(
    ("text", "line", "expected"),
    [
        ("id: x\nperiod: {start: 2024-01-01\n", 3, "accolade non fermée"),
        ("id: x\ntitle: a: b\n", 2, "« : » inattendu"),
        ("id: x\n\ttitle: y\n", 2, "tabulation interdite"),
        ("id: x\ntitle: y\nid: z\n", 3, "clé « id » écrite deux fois"),
    ],
)
def test_unreadable_yaml_is_explained_in_french_at_its_line(tmp_path, text, line, expected):
    write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert expected in info.value.message and info.value.row == line
    assert f"ligne {line}" in info.value.message


def test_missing_folder_and_file(tmp_path):
    with pytest.raises(InputError, match="introuvable"):
        load_convention(tmp_path / "nowhere")
    with pytest.raises(InputError, match=r"convention\.yaml absent"):
        load_convention(tmp_path)


def test_unknown_key_far_from_any_known_one_is_one_french_line(tmp_path, recwarn):
    write(tmp_path, deep_merge(BASE_CONVENTION, {"notes_internes": "relance faite"}))
    convention = load_convention(tmp_path)
    assert not recwarn.list  # not a Python warning: a line the CLI and the notebook show
    (note,) = convention.notes
    assert "clé « notes_internes » inconnue, ignorée" in note and "clés possibles ici : " in note
    assert "\n" not in note and "report_due_date" in note


def test_amount_forms(tmp_path):
    write(tmp_path, deep_merge(BASE_CONVENTION, {"subsidy": {"amount": "12 345,67"}}))
    assert load_convention(tmp_path).subsidy_amount == 1_234_567


# --- slips a real user made (issue: no silent wrong result) ----------------------------------

SLIPS = """\
id: slips-2024
title: Convention de test
programme: 177
period: {start: 2024-01-01, end: 2024-12-31}
beneficiary:
  name: Association
  siret: 22350001800013
  bank: {rib: {banque: 30001, guichet: 000682, compte: 00012345678, cle: 01}}
subsidy: {amount: 10000}
budget:
  - {line: personnel, kind: personnel, amount: 9000}
  - {line: 0606, kind: management, amount: 1000}
staff:
  - {employee_id: 000127, allocation: 1}
rules:
  project_codes: [0042, PEX35]
inputs: {payroll: paie.csv, expenses: depenses.csv, accounts: {0606: 0606, 6251: "0606"}}
articles: {contradictoire: 8.1}
"""


def test_identifiers_keep_their_written_form(tmp_path):
    write(tmp_path, SLIPS)
    c = load_convention(tmp_path)
    assert c.staff[0].employee_id == "000127" and c.staff[0].key == "127"  # not the octal 87
    assert c.programme == "177" and c.siret == "22350001800013"
    assert (c.bank.rib.banque, c.bank.rib.guichet, c.bank.rib.compte, c.bank.rib.cle) == (
        "30001", "000682", "00012345678", "01"
    )  # fmt: skip
    assert c.project_codes == ("0042", "PEX35")
    assert [b.line for b in c.budget] == ["personnel", "0606"]
    assert c.accounts == {"0606": "0606", "6251": "0606"}
    assert c.articles["contradictoire"] == "8.1" and c.articles["recours"] == "13"
    assert c.art("contradictoire") == "art. 8.1"


@pytest.mark.parametrize(
    ("change", "key", "expected"),
    [
        ({"signature_date": "2024-13-01"}, "signature_date", "date impossible « 2024-13-01 »"),
        ({"signature_date": "2024-09-31"}, "signature_date", "date impossible « 2024-09-31 »"),
        ({"period": {"end": "31/09/2024"}}, "period.end", "date impossible"),
        ({"rules": {"management_costs": {"mode": "flat_rate", "rate": 8}}}, "rules.management_costs.rate",
         "0,08 pour 8 % (trouvé 8) ; pour 8 %, écrivez 0.08"),
        ({"rules": {"management_costs": {"mode": "actual", "cap_rate": 10}}}, "rules.management_costs.cap_rate",
         "pour 10 %, écrivez 0.1"),
        ({"rules": {"management_costs": {"mode": "actual", "cap_rate": 0}}}, "rules.management_costs.cap_rate",
         "]0 ; 1]"),
        ({"subsidy": {"funding_rate": 80}}, "subsidy.funding_rate", "pour 80 %, écrivez 0.8"),
        ({"rules": {"variance_alert_pct": 0.15}}, "rules.variance_alert_pct", "15 pour 15 %"),
        ({"rules": {"indicator_alert_pct": 0.2}}, "rules.indicator_alert_pct", "pour 20 %, écrivez 20"),
        ({"rules": {"variance_alert_pct": -5}}, "rules.variance_alert_pct", "positif"),
        ({"inputs": {"accounts": {"606": "frais"}}}, "inputs.accounts.606", "ligne budgétaire « frais » inconnue"),
        ({"inputs": {"accounts": {"compte 606": "gestion"}}}, "inputs.accounts.compte 606", "en chiffres"),
        ({"inputs": {"activity": "activite.xlsx"}}, "inputs.activity", "« activite.xlsx » introuvable"),
        ({"missions": [{"code": "a"}, {"code": "A"}]}, "missions[1].code", "en double"),
        ({"missions": [{"code": "a"}], "indicators": [{"code": "i", "mission": "b"}]}, "indicators[0].mission",
         "mission « b » non déclarée"),
        ({"missions": [{"code": "a"}], "indicators": [{"code": "i", "target": -1}]}, "indicators[0].target",
         "positive ou nulle"),
        ({"indicators": [{"code": "i"}, {"code": "I"}]}, "indicators[1].code", "en double"),
        ({"subsidy": {"payments": [{"date": "2024-03-01", "amount": 1, "due": "2024-02-30"}]}},
         "subsidy.payments[0].due", "date impossible"),
    ],
)  # fmt: skip
def test_slips_are_refused_with_key_line_and_unit(tmp_path, change, key, expected):
    write(tmp_path, deep_merge(BASE_CONVENTION, change))
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == key and expected in info.value.message, info.value.message
    lines = (tmp_path / "convention.yaml").read_text(encoding="utf-8").splitlines()
    assert key.rsplit(".", 1)[-1].split("[")[0] in lines[info.value.row - 1]


def test_impossible_date_unquoted_in_yaml_is_an_input_error_at_its_line(tmp_path):
    text = yaml.safe_dump(deep_merge(BASE_CONVENTION, {}), allow_unicode=True, sort_keys=False)
    write(tmp_path, text + "signature_date: 2024-09-31\n")
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == "signature_date" and info.value.row == len(text.splitlines()) + 1


def test_staff_ids_equal_but_for_leading_zeros_are_a_load_error(tmp_path):
    staff = [{"employee_id": "127"}, {"employee_id": "000127"}]
    write(tmp_path, deep_merge(BASE_CONVENTION, {"staff": staff}))
    with pytest.raises(InputError, match="ne diffèrent que par des zéros de tête") as info:
        load_convention(tmp_path)
    assert info.value.key == "staff[1].employee_id"


def test_new_optional_keys(tmp_path):
    change = {
        "reference": "2024-PEX-35-01",
        "administration": {"name": "Préfecture", "court": "tribunal administratif de Rennes"},
        "beneficiary": {"address": "1 avenue de la Préfecture, Rennes", "representative": "Le Président"},
        "subsidy": {"payments": [{"date": "2024-03-01", "amount": 6000}, {"date": "2024-09-15", "amount": 4000,
                                                                          "due": "2024-09-01"}]},
        "missions": [{"code": "coordination", "label": "Coordination"}, {"code": "formation"}],
        "indicators": [{"code": "seances", "label": "Séances", "mission": "Coordination", "target": 20}],
        "rules": {"indicator_alert_pct": 25},
        "inputs": {"fec": {"journals": ["HA"], "label_contains": ["PEX"]}},
    }  # fmt: skip
    write(tmp_path, deep_merge(BASE_CONVENTION, change))
    c = load_convention(tmp_path)
    assert c.reference == "2024-PEX-35-01" and c.administration.court == "tribunal administratif de Rennes"
    assert c.administration.signatory is None and c.beneficiary_representative == "Le Président"
    assert [p.due for p in c.payments] == [None, dt.date(2024, 9, 1)]
    assert [m.label for m in c.missions] == ["Coordination", "formation"]
    assert c.indicators[0].mission == "coordination" and c.indicators[0].target == 20
    assert c.indicator_alert_pct == 25 and c.fec.journals == ("HA",) and c.fec.label_contains == ("PEX",)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("    - {date: 2024-03-01, amount: 18.000,00}", "« amount: 18.000, 00 » est lu comme deux clés"),
        ("    - {date: 2024-03-01, amount: 18000,50}", "« amount: 18000, 50 » est lu comme deux clés"),
        ("    - {date: 2024-03-01, amount: 18.000}", "montant ambigu « 18.000 »"),
        ("    - {date: 2024-03-01, amount: 1.500}", "écrivez 1500 pour 1 500 €"),
    ],
)
def test_french_decimal_commas_and_dotted_thousands_are_refused(tmp_path, line, expected):
    """A French decimal comma inside {...} splits the mapping: never a silently wrong amount."""
    data = deep_merge(BASE_CONVENTION, {})
    data["subsidy"].pop("payments")
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    text = text.replace("subsidy:\n", f"subsidy:\n  payments:\n{line}\n", 1)
    write(tmp_path, text)
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert expected in info.value.message
    assert line.strip() in (tmp_path / "convention.yaml").read_text(encoding="utf-8").splitlines()[info.value.row - 1]


def test_a_label_with_a_comma_inside_braces_is_refused_not_cut(tmp_path):
    change = {"missions": [{"code": "formation"}]}
    text = yaml.safe_dump(deep_merge(BASE_CONVENTION, change), allow_unicode=True, sort_keys=False)
    text = text.replace(
        "- code: formation", "- {code: formation, label: Formation des acteurs, notamment des travailleurs sociaux}"
    )
    write(tmp_path, text)
    with pytest.raises(InputError, match="texte qui contient une virgule se met entre guillemets"):
        load_convention(tmp_path)
    write(tmp_path, text.replace("label: Formation des acteurs, notamment des travailleurs sociaux",
                                 'label: "Formation des acteurs, notamment des travailleurs sociaux"'))  # fmt: skip
    assert load_convention(tmp_path).missions[0].label == "Formation des acteurs, notamment des travailleurs sociaux"


def test_a_percent_sign_is_refused_with_the_unit(tmp_path):
    write(
        tmp_path, deep_merge(BASE_CONVENTION, {"rules": {"management_costs": {"mode": "actual", "cap_rate": "12 %"}}})
    )
    with pytest.raises(InputError, match="sans « % »"):
        load_convention(tmp_path)


# --- preparing a convention: messages say what to write, positions as people count (issue 17) ---

STAFF_A1 = BASE_CONVENTION["staff"][0]


@pytest.mark.parametrize(
    ("change", "key", "write_this"),
    [
        ({"staff": [{**STAFF_A1, "allocation": "80%"}]}, "staff[0].allocation", "écrivez 0.8"),
        ({"staff": [{**STAFF_A1, "allocation": "80 %"}]}, "staff[0].allocation", "écrivez 0.8"),
        ({"staff": [{**STAFF_A1, "allocation": 80}]}, "staff[0].allocation", "écrivez 0.8"),
        ({"rules": {"management_costs": {"mode": "actual", "cap_rate": "10 %"}}}, "rules.management_costs.cap_rate",
         "écrivez 0.1"),
        ({"rules": {"management_costs": {"mode": "flat_rate", "rate": "7,5 %"}}}, "rules.management_costs.rate",
         "écrivez 0.075"),
        ({"subsidy": {"funding_rate": "80%"}}, "subsidy.funding_rate", "écrivez 0.8"),
        ({"rules": {"variance_alert_pct": 0.15}}, "rules.variance_alert_pct", "écrivez 15"),
        ({"rules": {"variance_alert_pct": "15%"}}, "rules.variance_alert_pct", "écrivez 15"),
        ({"rules": {"indicator_alert_pct": "0,2"}}, "rules.indicator_alert_pct", "écrivez 20"),
        ({"rules": {"line_overrun_pct": "10 %"}}, "rules.line_overrun_pct", "écrivez 10"),
        ({"rules": {"line_overrun_pct": 0.1}}, "rules.line_overrun_pct", "écrivez 10"),
        ({"rules": {"first_payment_days": "15 jours"}}, "rules.first_payment_days", "écrivez 15"),
        ({"missions": [{"code": "a"}], "indicators": [{"code": "i", "target": "20 séances"}]},
         "indicators[0].target", "écrivez 20"),
        ({"subsidy": {"amount": 100.0051}}, "subsidy.amount", "écrivez 100.01"),
    ],
)  # fmt: skip
def test_a_unit_slip_ends_with_the_value_to_write(tmp_path, change, key, write_this):
    write(tmp_path, deep_merge(BASE_CONVENTION, change))
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == key
    assert info.value.message.endswith(write_this), info.value.message
    assert info.value.row is not None


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"staff": [STAFF_A1, {**STAFF_A1, "employee_id": "A2", "allocation": 2}]}, "clé « staff, 2e agent, allocation »"),
        ({"budget": [*BASE_CONVENTION["budget"], {"line": "x", "kind": "direct", "amount": -1}]},
         "clé « budget, 3e ligne, amount »"),
        ({"subsidy": {"payments": [{"date": "2024-02-30", "amount": 1}]}}, "clé « subsidy.payments, 1er versement, date »"),
        ({"rules": {"excluded": [{"accounts": ["6234", "62A"], "motive": "x"}]}},
         "clé « rules.excluded, 1re exclusion, accounts, 2e compte »"),
    ],
)  # fmt: skip
def test_list_items_are_counted_as_people_count_them(tmp_path, change, said):
    write(tmp_path, deep_merge(BASE_CONVENTION, change))
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    message = info.value.message
    assert said in message and "[" not in message.split(" : ")[0], message
    assert "ligne " in message and info.value.row is not None


def test_every_list_of_convention_yaml_names_its_items():
    from pexaudit.inputs.keys import KEYS
    from pexaudit.vocabulary import LIST_ITEMS

    lists = {k.path for k in KEYS.values() if k.type == "list"}
    assert lists <= set(LIST_ITEMS), lists - set(LIST_ITEMS)
