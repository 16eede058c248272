"""The compte rendu d'activité (SPEC section 10): reader, classification, counts, findings,
report context, workbook rows, consolidation. No kernel; GX through the session checker."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import jsonschema
import pandas as pd
import pytest
import yaml
from openpyxl import Workbook

from pexaudit.core.activity import (
    STATUSES,
    activity_findings,
    activity_json,
    check_summary,
    classify_activity,
    personnel_cost_by_month,
)
from pexaudit.core.audit import audit
from pexaudit.core.checks import load_suite_json
from pexaudit.inputs.convention import load_convention
from pexaudit.inputs.sources import read_activity
from pexaudit.model.consolidation import consolidate_indicators, consolidate_missions
from pexaudit.render.activity import activity_section, activity_sheet_rows
from pexaudit.render.charts import activity_months_chart, indicator_chart

from .conftest import BASE_CONVENTION, SAMPLE, deep_merge

HEADER = "Date;Mission;Action;Indicateur;Valeur;Participants"
ACTIVITY_RULES = {"ACTIVITE_ABSENTE", "HORS_MISSION", "MISSION_NON_REALISEE", "INDICATEUR", "ACTIVITE_SANS_AGENT",
                  "ACTIVITE_ILLISIBLE"}  # fmt: skip
MISSIONS = [
    {"code": "coordination", "label": "Coordination inter-partenariale"},
    {"code": "ccapex_locales", "label": "Développement des CCAPEX infra-départementales"},
    {"code": "formation", "label": "Formation des acteurs"},
    {"code": "donnees", "label": "Gestion des données"},
]
INDICATORS = [
    {"code": "seances", "label": "Séances de CCAPEX", "mission": "coordination", "target": 10},
    {"code": "Formes", "label": "Travailleurs sociaux formés", "mission": "formation", "target": 5},
    {"code": "zero", "label": "Cible nulle", "target": 0},
    {"code": "libre", "label": "Sans cible"},
]


@pytest.fixture
def folder(tmp_path):
    """Write a convention with missions and an activity file; returns its loaded Convention."""

    def make(lines: list[str] | None, changes: dict | None = None, *, name: str = "activite.csv",
             encoding: str = "utf-8", header: str = HEADER, workbook: Workbook | None = None):  # fmt: skip
        path = tmp_path / f"conv{len(list(tmp_path.iterdir()))}"
        path.mkdir()
        base = {"missions": MISSIONS, "indicators": INDICATORS, "inputs": {"payroll": None, "expenses": None}}
        data = deep_merge(deep_merge(BASE_CONVENTION, base), changes or {})
        if workbook is not None:
            workbook.save(path / name)
        elif lines is not None:
            (path / name).write_bytes("\n".join([header, *lines]).encode(encoding) + b"\n")
        if lines is not None or workbook is not None:
            data["inputs"]["activity"] = name
        (path / "convention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        return load_convention(path)

    return make


def classify(convention, checker):
    return classify_activity(convention, read_activity(convention), checker)


def by_row(result) -> dict[int, object]:
    return {r.row: r for r in result.rows}


# --- the reader on awkward files ---------------------------------------------------------


def test_reader_title_rows_merged_header_and_every_date_form(folder, checker):
    wb = Workbook()
    ws = wb.active
    ws.title = "CR 2024"
    ws.append(["Compte rendu d'activité 2024 - chargée de mission PEX"])
    ws.append([])
    # A two-level header: « Date » merged down over rows 3-4, « Détail » over Mission | Action.
    ws.append(["Date", "Détail", None, "Indicateur", None, "Participants"])
    ws.append([None, "Mission", "Action", None, "Valeur", None])
    ws.merge_cells("A3:A4")
    ws.merge_cells("B3:C3")
    ws.append([dt.datetime(2024, 3, 12), "Coordination", "CCAPEX centrale", "seances", None, 12])
    ws.append(["12/04/2024", "coordination", "CCAPEX centrale", "seances", None, 10])
    ws.append(["mars 2024", "Formation", "Formation CESF", "formes", 3, 3])
    ws.append(["2024-05-06", "donnees", "Remontée Dihal", None, None, None])
    ws.append([45383, "donnees", "Remontée Dihal", None, None, None])  # Excel serial: 01/04/2024
    ws.append(["Mars 2024", "donnees", "Remontée Dihal", None, None, None])
    ws.append(["03/2024", "donnees", "Remontée Dihal", None, None, None])
    convention = folder(None, workbook=wb, name="activite.xlsx")
    table = read_activity(convention)
    assert (table.sheet, table.header_row, table.frame["row"].tolist()) == ("CR 2024", 4, [5, 6, 7, 8, 9, 10, 11])
    assert table.frame["date"].tolist() == [
        dt.date(2024, 3, 12), dt.date(2024, 4, 12), dt.date(2024, 3, 1), dt.date(2024, 5, 6),
        dt.date(2024, 4, 1), dt.date(2024, 3, 1), dt.date(2024, 3, 1),
    ]  # fmt: skip
    result = classify_activity(convention, table, checker)
    assert [r.status for r in result.rows] == ["retenue"] * 7
    assert (result.file, result.sheet, result.header_row) == ("activite.xlsx", "CR 2024", 4)


def test_reader_windows_1252_csv_with_semicolons(folder, checker):
    lines = ["15/03/2024;Données;Remontée mensuelle à la Dihal;;;", "16/03/2024;Développement des CCAPEX "
             "infra-départementales;Séance à Vitré;;;8"]  # fmt: skip
    convention = folder(lines, encoding="cp1252")
    table = read_activity(convention)
    assert table.frame["mission"].tolist() == ["Données", "Développement des CCAPEX infra-départementales"]
    assert any("cp1252" in note for note in table.notes)
    result = classify_activity(convention, table, checker)
    assert [(r.mission, r.status) for r in result.rows] == [("donnees", "retenue"), ("ccapex_locales", "retenue")]
    assert [r.mission_text for r in result.rows] == table.frame["mission"].tolist()


# --- classification ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, status, reason",
    [
        ("15/03/2024;coordination;x;;;", "retenue", None),
        ("31/02/2024;coordination;x;;;", "illisible", "date illisible « 31/02/2024 »"),
        (";coordination;x;;;", "illisible", "date absente"),
        ("15/03/2024;coordination;x;seances;dix;", "illisible", "valeur illisible « dix »"),
        ("15/03/2024;coordination;x;;;une vingtaine", "illisible", "nombre de participants illisible « une vingtaine »"),
        ("15/03/2024;;x;;;", "illisible", "mission absente"),
        ("15/03/2024;coordination;x;inconnu;;", "illisible", "indicateur « inconnu » non déclaré"),
        ("15/01/2025;coordination;x;;;", "hors_periode", "action du 15/01/2025 hors de la période 01/01/2024 – 31/12/2024"),
        ("31/12/2023;coordination;x;;;", "hors_periode", "action du 31/12/2023 hors de la période"),
        ("15/03/2024;Aide sociale à l'enfance;x;;;", "hors_mission", "mission « Aide sociale à l'enfance » étrangère à l'art. 2"),
    ],
)  # fmt: skip
def test_each_status_and_its_reason(folder, checker, line, status, reason):
    (row,) = classify(folder([line]), checker).rows
    assert row.status == status
    if reason is None:
        assert row.reason is None and row.faults == ()
    else:
        assert row.reason.startswith(reason)
        assert "«" not in " ".join(row.faults) or status == "hors_periode"  # faults quote no cell


def test_period_bounds_are_inside(folder, checker):
    result = classify(folder(["01/01/2024;coordination;x;;;", "31/12/2024;coordination;x;;;"]), checker)
    assert [r.status for r in result.rows] == ["retenue", "retenue"]


@pytest.mark.parametrize(
    "line, status",
    [
        ("15/01/2025;Autre fonction;x;seances;dix;", "illisible"),  # unreadable beats hors période and hors mission
        ("15/01/2025;;x;;;", "illisible"),
        ("15/01/2025;Autre fonction;x;;;", "hors_periode"),  # hors période beats hors mission
        ("15/03/2024;Autre fonction;x;inconnu;;", "illisible"),
    ],
)
def test_precedence(folder, checker, line, status):
    (row,) = classify(folder([line]), checker).rows
    assert row.status == status


def test_several_faults_of_the_winning_status_are_all_given(folder, checker):
    (row,) = classify(folder(["bientôt;;x;inconnu;dix;beaucoup"]), checker).rows
    assert row.status == "illisible"
    assert row.reason.split(" ; ")[0] == "date illisible « bientôt »"
    assert set(row.faults) == {
        "date illisible", "valeur illisible", "nombre de participants illisible", "mission absente",
        "indicateur non déclaré",
    }  # fmt: skip


@pytest.mark.parametrize(
    "written",
    ["coordination", "COORDINATION", " Coordination ", "Coordination inter-partenariale",
     "coordination interpartenariale", "COORDINATION-INTER_PARTENARIALE", "Coördination"],
)  # fmt: skip
def test_missions_match_by_code_or_label_ignoring_case_accents_and_separators(folder, checker, written):
    (row,) = classify(folder([f"15/03/2024;{written};x;;;"]), checker).rows
    assert (row.status, row.mission, row.mission_text) == ("retenue", "coordination", written.strip())


@pytest.mark.parametrize("written", ["ccapex_locales", "CCAPEX locales", "ccapex-locales", "Ccapex Locales"])
def test_mission_codes_with_underscores(folder, checker, written):
    (row,) = classify(folder([f"15/03/2024;{written};x;;;"]), checker).rows
    assert row.mission == "ccapex_locales"


def test_unmatched_mission_and_indicator_keep_the_text_as_written(folder, checker):
    result = classify(folder(["15/03/2024;Instruction RSA;x;;;", "15/03/2024;coordination;x;Inconnu;;"]), checker)
    assert [(r.mission, r.indicator) for r in result.rows] == [("Instruction RSA", None), ("coordination", "Inconnu")]


def test_indicator_codes_ignore_case_and_count_whatever_the_mission(folder, checker):
    lines = [
        "15/03/2024;coordination;x;SEANCES;;",
        "16/03/2024;formation;x;seances;2;",
        "17/03/2024;donnees;x;formes;;",
    ]
    result = classify(folder(lines), checker)
    assert [r.indicator for r in result.rows] == ["seances", "seances", "Formes"]
    realised = {i.code: i.realised for i in result.indicators}
    assert realised == {"seances": 3, "Formes": 1, "zero": 0, "libre": 0}


def test_value_defaults_to_one_on_an_indicator_row_only(folder, checker):
    lines = ["15/03/2024;coordination;x;seances;;", "15/03/2024;coordination;x;;;", "15/03/2024;coordination;x;;4;",
             "15/03/2024;coordination;x;seances;2,5;", "15/03/2024;coordination;x;seances;0;"]  # fmt: skip
    result = classify(folder(lines), checker)
    assert [r.value for r in result.rows] == [Decimal(1), None, Decimal(4), Decimal("2.5"), Decimal(0)]
    assert [r["value"] for r in activity_json(result)["rows"]] == [1, None, 4, 2.5, 0]
    assert result.indicators[0].realised == Decimal("3.5")  # 1 + 2,5 + 0: a row without indicator counts nowhere


def test_only_retenue_rows_count(folder, checker):
    lines = ["15/03/2024;coordination;x;seances;;5", "15/01/2025;coordination;x;seances;;7",
             "15/03/2024;Autre;x;seances;;9", "15/03/2024;coordination;x;seances;;dix"]  # fmt: skip
    result = classify(folder(lines), checker)
    mission = result.missions[0]
    assert (mission.actions, mission.participants) == (1, 5)
    assert result.indicators[0].realised == 1
    assert result.counts() == {"retenue": 1, "illisible": 1, "hors_periode": 1, "hors_mission": 1}


def test_sums_are_exact(folder, checker):
    lines = ["15/03/2024;coordination;x;seances;0,1;0,1"] * 3
    result = classify(folder(lines, {"indicators": [{"code": "seances", "target": "0.3"}]}), checker)
    (indicator,) = result.indicators
    assert indicator.realised == Decimal("0.3") and result.missions[0].participants == Decimal("0.3")
    assert indicator.rate == 1 and indicator.alert is False
    block = activity_json(result)
    assert block["indicators"][0]["realised"] == 0.3 and block["missions"][0]["participants"] == 0.3


@pytest.mark.parametrize(
    "done, alert_pct, alert",
    [(8, 20, False), (7, 20, True), (10, 0, False), (9, 0, True), (0, 100, False), (11, 20, False), (5, 50, False),
     (4, 50, True)],
)  # fmt: skip
def test_indicator_alert_threshold(folder, checker, done, alert_pct, alert):
    changes = {"rules": {"indicator_alert_pct": alert_pct}} if alert_pct else {}
    convention = folder([f"15/03/2024;coordination;x;seances;{done};"], changes)
    if alert_pct == 0:  # 0 is not a percent the loader accepts as "unset": set it on the object
        convention = dataclasses.replace(convention, indicator_alert_pct=Fraction(0))
    indicator = classify(convention, checker).indicators[0]
    assert indicator.rate == Fraction(done, 10)
    assert indicator.alert is alert


def test_target_zero_or_null_has_no_rate_and_no_alert(folder, checker):
    result = classify(folder(["15/03/2024;coordination;x;zero;3;", "15/03/2024;coordination;x;libre;;"]), checker)
    block = {i["code"]: i for i in activity_json(result)["indicators"]}
    assert (block["zero"]["target"], block["zero"]["realised"], block["zero"]["rate"], block["zero"]["alert"]) == (
        0, 3, None, False,
    )  # fmt: skip
    assert (block["libre"]["target"], block["libre"]["rate"], block["libre"]["alert"]) == (None, None, False)


def test_rate_is_not_rounded(folder, checker):
    result = classify(folder(["15/03/2024;coordination;x;seances;1;"], {"indicators": [{"code": "seances",
                                                                                        "target": 3}]}), checker)  # fmt: skip
    assert result.indicators[0].rate == Fraction(1, 3)
    assert activity_json(result)["indicators"][0]["rate"] == 1 / 3


def test_empty_file_counts_zero_and_alerts(folder, checker):
    result = classify(folder([]), checker)
    assert result.rows == () and all(m.actions == 0 for m in result.missions)
    assert [i.alert for i in result.indicators] == [True, True, False, False]


# --- without missions, without a file ----------------------------------------------------


def test_without_missions_nothing_is_read(folder, checker):
    convention = folder(["not;a;header"], {"missions": [], "indicators": []})
    assert classify_activity(convention, None, checker) is None
    result = classify_activity(convention, None, checker)  # without missions, the file is not read
    assert (result, activity_findings(convention, result, {}), activity_json(result)) == (None, [], None)
    assert "seulement haché" in check_summary(convention, read_activity(convention))


def test_missions_without_a_file_give_zeros_and_only_activite_absente(folder, checker):
    convention = folder(None)
    result = classify_activity(convention, read_activity(convention), checker)
    found = activity_findings(convention, result, {})
    block = activity_json(result)
    assert block["rows"] == []
    assert all(m["actions"] == 0 and m["participants"] == 0 for m in block["missions"])
    assert all(i["realised"] == 0 and i["alert"] is False for i in block["indicators"])
    assert [(f.rule, f.severity) for f in found] == [("ACTIVITE_ABSENTE", "warning")]
    assert "4 missions (art. 2)" in found[0].message and "art. 7" in found[0].message
    assert "ACTIVITE_ABSENTE" in check_summary(convention, None)


# --- findings ----------------------------------------------------------------------------


@pytest.fixture
def mixed(folder, checker):
    lines = [
        "15/01/2024;coordination;Réunion avec la famille Durand;seances;;4",  # 2: January, no pay
        "20/01/2024;coordination;x;;;",  # 3: January again: one finding for the month
        "15/02/2024;Instruction FSL;Dossier de M. Martin;;;",  # 4: HORS_MISSION
        "16/02/2024;Aide sociale à l'enfance;y;;;",  # 5: HORS_MISSION, one per action
        "15/03/2024;coordination;x;seances;trois;",  # 6: illisible
        "15/01/2025;formation;x;formes;5;",  # 7: hors période
        "15/04/2024;formation;x;formes;3;",  # 8: April, pay 0 after decisions; formes 3 < 5 x 0,8
        "15/05/2024;formation;x;;;",  # 9: May, pay negative (regularisation)
        "15/06/2024;Instruction FSL;z;;;",  # 10: June: only hors_mission, no ACTIVITE_SANS_AGENT
        "15/07/2024;formation;x;;;",  # 11: July, paid
    ]
    convention = folder(lines, {"articles": {"missions": "3", "justificatifs": "8"}})
    return convention, classify(convention, checker)


PAY = {dt.date(2024, 2, 1): 300000, dt.date(2024, 4, 1): 0, dt.date(2024, 5, 1): -5000, dt.date(2024, 7, 1): 1}


def test_findings_follow_spec_table_order_and_counts(mixed):
    convention, result = mixed
    found = activity_findings(convention, result, PAY)
    rules = [f.rule for f in found]
    assert rules == [
        "HORS_MISSION", "HORS_MISSION", "HORS_MISSION", "MISSION_NON_REALISEE", "MISSION_NON_REALISEE",
        "INDICATEUR", "INDICATEUR", "ACTIVITE_SANS_AGENT", "ACTIVITE_SANS_AGENT", "ACTIVITE_SANS_AGENT",
        "ACTIVITE_ILLISIBLE", "ACTIVITE_ILLISIBLE",
    ]  # fmt: skip
    severities = {f.rule: f.severity for f in found}
    assert severities.pop("HORS_MISSION") == "error" and set(severities.values()) == {"warning"}
    assert all(f.amount is None for f in found)
    months = [f.message.split(" : ")[0] for f in found if f.rule == "ACTIVITE_SANS_AGENT"]
    assert months == ["janvier 2024", "avril 2024", "mai 2024"]
    assert "2 actions retenues" in next(f.message for f in found if f.rule == "ACTIVITE_SANS_AGENT")


def test_messages_name_file_row_and_the_conventions_own_articles(mixed):
    convention, result = mixed
    found = activity_findings(convention, result, PAY)
    hors = [f.message for f in found if f.rule == "HORS_MISSION"]
    assert hors[0].startswith("activite.csv, ligne 4 : action du 15/02/2024 rattachée à « Instruction FSL »")
    assert all("art. 3" in m for m in hors)
    missions = [f.message for f in found if f.rule == "MISSION_NON_REALISEE"]
    assert missions == [
        "mission « Développement des CCAPEX infra-départementales » (ccapex_locales, art. 3) : aucune action "
        "retenue dans le compte rendu d'activité (art. 8)",
        "mission « Gestion des données » (donnees, art. 3) : aucune action retenue dans le compte rendu "
        "d'activité (art. 8)",
    ]
    indicator = next(f.message for f in found if f.rule == "INDICATEUR")
    assert indicator == (
        "indicateur « Séances de CCAPEX » (seances) : 1 réalisé pour une cible de 10, soit 10,00 % ; en deçà de la "
        "cible de plus de 20 % (seuil : 8) (art. 8)"
    )
    unreadable = [f.message for f in found if f.rule == "ACTIVITE_ILLISIBLE"]
    assert unreadable[0].startswith("activite.csv, ligne 6 : ligne non retenue (illisible) : valeur illisible")
    assert unreadable[1].startswith("activite.csv, ligne 7 : ligne non retenue (hors période)")


def test_findings_never_quote_an_action_or_an_unreadable_cell(mixed):
    convention, result = mixed
    text = " ".join(f.message for f in activity_findings(convention, result, PAY))
    assert "Durand" not in text and "Martin" not in text and "trois" not in text


def test_a_sheet_is_named_in_messages(folder, checker):
    wb = Workbook()
    ws = wb.active
    ws.title = "Actions"
    ws.append(["Date", "Mission", "Action"])
    ws.append([dt.datetime(2024, 3, 1), "Autre", "x"])
    convention = folder(None, workbook=wb, name="activite.xlsx")
    (finding,) = [
        f for f in activity_findings(convention, classify(convention, checker), {}) if f.rule == "HORS_MISSION"
    ]
    assert finding.message.startswith("activite.xlsx, feuille « Actions », ligne 2 :")


def test_personnel_cost_by_month_sums_payroll_rows_after_decisions():
    rows = pd.DataFrame(
        {"source": ["payroll", "payroll", "payroll", "expenses", "forfait", "payroll"],
         "month": [dt.date(2024, 2, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1), None, None, None],
         "eligible_amount": [100, -30, 0, 999, 999, 555]}
    )  # fmt: skip
    assert personnel_cost_by_month(rows) == {dt.date(2024, 2, 1): 70, dt.date(2024, 3, 1): 0}
    assert personnel_cost_by_month(pd.DataFrame()) == {}


# --- results.json ------------------------------------------------------------------------


def test_activity_json_matches_the_contract_schema(mixed, schema, folder, checker):
    _, result = mixed
    block_schema = schema["properties"]["activity"]
    validator = jsonschema.Draft202012Validator(block_schema, format_checker=jsonschema.FormatChecker())
    block = activity_json(result)
    validator.validate(block)
    validator.validate(None)
    validator.validate(activity_json(classify_activity(folder(None), None, checker)))
    assert set(block) == {"missions", "indicators", "rows"}
    assert set(block["rows"][0]) == {"file", "sheet", "row", "date", "mission", "indicator", "value", "status",
                                     "reason"}  # fmt: skip
    json.dumps(block)  # plain JSON types only


def test_rows_keep_file_order_and_lineage(mixed):
    _, result = mixed
    block = activity_json(result)
    assert [r["row"] for r in block["rows"]] == list(range(2, 12))
    assert {r["file"] for r in block["rows"]} == {"activite.csv"} and {r["sheet"] for r in block["rows"]} == {None}
    assert {r["status"] for r in block["rows"]} <= set(STATUSES)


# --- the GX suite ------------------------------------------------------------------------


def test_activity_suite_loads_and_names_statuses(checker):
    import great_expectations as gx

    spec = load_suite_json("activity")
    assert gx.ExpectationSuite(**spec).name == "pexaudit_activity"
    assert spec["meta"]["suite_version"] and spec["meta"]["fr"]
    for expectation in spec["expectations"]:
        meta = expectation["meta"]
        assert meta["rule"] in STATUSES[1:] and meta["notes"] and meta["fr"]
        assert meta["finding"] == ("HORS_MISSION" if meta["rule"] == "hors_mission" else "ACTIVITE_ILLISIBLE")


def test_classification_uses_gx_row_ids_beyond_any_sample_cap(folder, checker):
    lines = [f"{d:02d}/03/2024;Autre fonction;x;;;" for d in range(1, 29)] * 10  # 280 rows, all hors mission
    result = classify(folder(lines), checker)
    assert Counter(r.status for r in result.rows) == {"hors_mission": 280}
    assert result.evaluated == ["illisible", "hors_periode", "hors_mission"]


# --- report, workbook, consolidation ------------------------------------------------------


def _render(context: dict) -> str:
    from pexaudit.render.report import render_template

    return render_template("activite.html.j2", **context)


def test_report_section_shows_counts_not_action_texts(mixed):
    convention, result = mixed
    context = activity_section(convention, result, PAY)
    html = _render({**context, "number": "9"})
    assert "9. Compte rendu d'activité (articles 3 et 8)" in html
    for secret in ("Durand", "Martin", "trois", "Réunion avec"):
        assert secret not in html
    assert "activite.csv, ligne 4" in html and "Instruction FSL" in html  # the mission as written is shown
    assert html.count("data:image/png;base64,") == 2
    months = {m["label"]: m for m in context["months"]}
    assert (
        len(months) == 12
        and months["janvier 2024"]["vacant_activity"]
        and not months["juillet 2024"]["vacant_activity"]
    )
    assert not months["juin 2024"]["vacant_activity"]  # only a hors-mission action in June
    assert [i["alert"] for i in context["indicators"]] == [True, True, False, False]
    assert context["counts_text"] == "5 retenues, 1 illisible, 1 hors période, 3 hors mission"


def test_report_section_without_missions_or_without_file(folder, checker):
    convention = folder(None)
    html = _render(activity_section(convention, classify_activity(convention, None, checker), {}))
    assert "Aucun fichier d'activité" in html and "Gestion des données" in html and "<img" not in html
    bare = folder(None, {"missions": [], "indicators": []})
    assert "ne déclare pas les missions" in _render(activity_section(bare, None, {}))


def test_report_lists_at_most_300_actions(folder, checker):
    lines = ["15/03/2024;coordination;x;;;"] * 305
    convention = folder(lines)
    context = activity_section(convention, classify(convention, checker), {})
    assert len(context["actions"]) == 300 and context["count"] == 305
    assert "300 premières lignes sur 305" in _render(context)


def test_charts_are_png():
    png = indicator_chart([{"label": "Séances de CCAPEX suivies (centrale et locales) sur l'année", "rate": 40.0,
                            "alert": True}, {"label": "Remontées", "rate": 125.0, "alert": False}], 80.0)  # fmt: skip
    assert png.startswith(b"\x89PNG")
    months = [{"month": dt.date(2024, m, 1), "actions": m % 3, "staffed": m > 1} for m in range(1, 13)]
    assert activity_months_chart(months).startswith(b"\x89PNG")


def test_workbook_rows_hold_the_action_texts_and_reasons(mixed):
    _, result = mixed
    header, rows = activity_sheet_rows(result)
    assert header[:4] == ["Fichier", "Feuille", "Ligne", "Date"] and len(header) == len(rows[0])
    first, fsl = rows[0], rows[2]
    assert first == ["activite.csv", None, 2, dt.date(2024, 1, 15), "coordination", "coordination",
                     "Réunion avec la famille Durand", "seances", 1, 4, "retenue", None]  # fmt: skip
    assert fsl[4:7] == ["Instruction FSL", None, "Dossier de M. Martin"] and fsl[10] == "hors mission"
    assert rows[4][11] == "valeur illisible « trois »"
    assert activity_sheet_rows(None) == (header, [])


def _doc(convention_id, indicators, missions=(), findings=()):
    return {"convention_id": convention_id, "findings": list(findings),
            "activity": {"missions": list(missions), "indicators": indicators, "rows": []}}  # fmt: skip


def test_consolidate_indicators_sums_the_same_code_across_conventions():
    docs = [
        _doc("a", [{"code": "seances", "label": "Séances", "mission": None, "target": 20, "realised": 0.1,
                    "rate": 0.005, "alert": True}]),
        _doc("b", [{"code": "SEANCES", "label": "Séances CCAPEX", "mission": None, "target": None, "realised": 0.2,
                    "rate": None, "alert": False},
                   {"code": "formes", "label": "Formés", "mission": None, "target": 10, "realised": 12, "rate": 1.2,
                    "alert": False}]),
        {"convention_id": "c", "activity": None, "findings": []},
    ]  # fmt: skip
    out = {i["code"]: i for i in consolidate_indicators(docs)}
    seances = out["seances"]
    assert (seances["conventions"], seances["realised"], seances["target"], seances["alerts"]) == (2, 0.3, 20, 1)
    assert seances["rate"] == 0.005  # only conventions with a target count in the rate
    assert [c["convention_id"] for c in seances["by_convention"]] == ["a", "b"]
    assert (out["formes"]["realised"], out["formes"]["rate"]) == (12, 1.2)


def test_consolidate_missions_lists_what_was_not_carried_out():
    missions = [{"code": "a", "label": "A", "actions": 0, "participants": 0},
                {"code": "b", "label": "B", "actions": 3, "participants": 7}]  # fmt: skip
    docs = [_doc("x", [], missions), _doc("y", [], missions, [{"rule": "ACTIVITE_ABSENTE"}]),
            {"convention_id": "z", "activity": None, "findings": []}]  # fmt: skip
    assert consolidate_missions(docs) == [
        {"convention_id": "x", "report_missing": False, "not_carried_out": [{"code": "a", "label": "A"}]},
        {"convention_id": "y", "report_missing": True, "not_carried_out": [{"code": "a", "label": "A"}]},
    ]


def test_check_summary_reports_what_was_read(folder):
    convention = folder(["15/03/2024;coordination;x;;;dix", "bientôt;coordination;x;;;"])
    line = check_summary(convention, read_activity(convention))
    assert re.match(r"activite\.csv : 2 actions, en-tête ligne 1, 2 ligne\(s\) avec une valeur illisible", line)


# --- the bundled sample (data/README.md) --------------------------------------------------


def test_sample_activity_gives_the_planted_findings(checker):
    a = audit(SAMPLE, checker)
    result = a.activity
    found = [f for f in a.findings if f.rule in ACTIVITY_RULES]
    assert Counter(f.rule for f in found) == {"HORS_MISSION": 1, "INDICATEUR": 1, "ACTIVITE_SANS_AGENT": 1,
                                              "ACTIVITE_ILLISIBLE": 2}  # fmt: skip
    odd = {r.row: r.status for r in result.rows if r.status != "retenue"}
    assert odd == {19: "hors_mission", 32: "illisible", 46: "hors_periode"}
    assert next(f for f in found if f.rule == "ACTIVITE_SANS_AGENT").message.startswith("janvier 2024 : 2 actions")
    indicators = {i.code: (i.realised, i.rate, i.alert) for i in result.indicators}
    assert indicators == {
        "seances_ccapex": (16, Fraction(4, 5), False),  # exactly the 80 % threshold: no alert
        "personnes_formees": (44, Fraction(11, 15), True),
        "reunions_bailleurs": (5, Fraction(5, 6), False),
        "remontees_dihal": (11, Fraction(11, 12), False),
    }
    assert [m.actions for m in result.missions] == [15, 4, 4, 5, 12]
    assert a.settlement.balance < 0  # the HORS_MISSION error does not change a reversement
