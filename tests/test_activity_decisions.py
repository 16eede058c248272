"""The auditor's decisions on activity rows (SPEC section 10, with section 9): reading, checking,
effect on the compte rendu d'activité and its findings, the documents, the what-if, the workbook
round trip, ``check``.

The hand-computed end-to-end case is tests/cases/activity-decisions (an action read hors mission
admitted for a mission it carries out, an FSL case file set aside, a CCAPEX session set aside
that takes its indicator below the alert).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import textwrap
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from docx import Document

from pexaudit.cli import main, summary
from pexaudit.core.audit import audit, results
from pexaudit.errors import InputError
from pexaudit.inputs.decisions import Decision, read_yaml_decisions
from pexaudit.model.bilan import build
from pexaudit.render.letter import LetterParties, write_letter
from pexaudit.render.report import render_all, section_html
from pexaudit.render.workbook import write_workbook
from pexaudit.workbench import Scenario, simulate

from .conftest import ROOT

CASE = ROOT / "tests" / "cases" / "activity-decisions"
# The case's motives (an ecartee action's reason is its motive, so a what-if must say the same).
MOTIVES = {
    "depenses.csv!!3": "Facture de Bureau Plus produite avec la réponse du 08/04/2025",
    "activite.csv!!7": "La commission d'attribution du bailleur relève du relogement des ménages menacés d'expulsion",
    "activite.csv!!8": "Instruction d'un dossier individuel, étrangère aux missions du poste",
    "activite.csv!!9": "Séance annulée faute de quorum, aucun compte rendu produit",
}
OK_PAY = "A1;03/2024;1000,00;400,00;0"
OK_EXP = "F1;10/03/2024;20/03/2024;Papeterie;gestion;100,00;;P1"
MISSIONS = {
    "missions": [
        {"code": "coordination", "label": "Coordination inter-partenariale", "aliases": ["CCAPEX centrale"]},
        {"code": "relogement", "label": "Renforcement des capacités de relogement"},
    ],
    "indicators": [{"code": "seances", "label": "Séances", "mission": "coordination", "target": 2}],
    "inputs": {"activity": "activite.csv"},
}
ACTIVITY = [
    "date;mission;action;indicateur;valeur;participants",
    "15/03/2024;coordination;Séance de la CCAPEX;seances;;8",  # 2: retenue
    "16/03/2024;Instruction FSL;Dossier de la famille Durand;;;",  # 3: hors_mission
    "17/03/2024;coordination;Réunion;;;beaucoup",  # 4: illisible
    "15/01/2025;coordination;Séance;seances;;",  # 5: hors_periode
]


@pytest.fixture
def folder(make_convention):
    """A convention with two missions and a four-row activity file; ``decisions`` YAML text."""

    made = []

    def make(decisions: str | None = None, changes: dict | None = None) -> Path:
        made.append(None)
        path = make_convention(
            {**MISSIONS, **(changes or {})}, payroll=[OK_PAY], expenses=[OK_EXP], name=f"conv{len(made)}"
        )
        (path / "activite.csv").write_text("\n".join(ACTIVITY) + "\n", encoding="utf-8")
        if decisions is not None:
            (path / "decisions.yaml").write_text(textwrap.dedent(decisions), encoding="utf-8")
        return path

    return make


def rules(a) -> Counter:
    return Counter(f.rule for f in a.findings)


# --- bad decisions: exit 2, naming the decision (the YAML line of its - ref:) ----------------

BAD = [
    ('{ref: "activite.csv!!3", decision: partial, motive: x}', ["retenue partielle impossible", "accept (avec mission)"]),
    ('{ref: "activite.csv!!3", decision: approve, motive: x}', ["décision inconnue « approve »"]),
    ('{ref: "activite.csv!!3", decision: accept, motive: x}', ["mission absente", "relogement (Renforcement"]),
    ('{ref: "activite.csv!!3", decision: accept, mission: logement, motive: x}', ["mission « logement » inconnue"]),
    ('{ref: "activite.csv!!3", decision: reject, mission: relogement, motive: x}', ["sans objet sur un rejet"]),
    ('{ref: "activite.csv!!3", decision: accept, mission: relogement, motive: " "}', ["motif absent ou vide"]),
    ('{ref: "activite.csv!!3", decision: accept, mission: relogement}', ["motif absent ou vide"]),
    ('{ref: "activite.csv!!99", decision: reject, motive: x}', ["aucune action du fichier d'activité", "n° 99"]),
    ('{ref: "paie.csv!!2", decision: reject, motive: x}', ["fichier « paie.csv » inconnu", "activite.csv!!"]),
    ('{ref: "activite.csv!Feuil1!3", decision: reject, motive: x}', ["feuille « Feuil1 »"]),
    ('{ref: "activite.csv!!3", decision: reject, rule: NATURE, motive: x}', ["activity, 1re décision, rule", "sans règle ni montant"]),
    ('{ref: "activite.csv!!3", decision: accept, mission: relogement, amount: 10, motive: x}', ["« amount » ne s'écrit que pour une ligne"]),
    ('{ref: "activite.csv!!3", decision: reject, motiv: x}', ["clé inconnue", "vouliez-vous écrire « motive »"]),
    ('{ref: "activite.csv!!3", decision: reject, motive: x, date: 2025-02-30}', ["date impossible"]),
    ('{ref: "", decision: reject, motive: x}', ["référence absente"]),
    ("accept", ["attendu une décision sur une action"]),
    # the three that need the classification (GX): raised when the decisions are applied
    ('{ref: "activite.csv!!2", decision: accept, mission: relogement, motive: x}', ["acceptation sans objet", "déjà retenue"]),
    ('{ref: "activite.csv!!4", decision: accept, mission: relogement, motive: x}', ["acceptation impossible", "illisible"]),
    ('{ref: "activite.csv!!5", decision: accept, mission: relogement, motive: x}', ["acceptation impossible", "hors période"]),
]  # fmt: skip


@pytest.mark.parametrize(("item", "fragments"), BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_a_bad_activity_decision_is_an_input_error_naming_it(folder, checker, item, fragments):
    path = folder(f"phase: provisoire\nactivity:\n  - {item}\n")
    with pytest.raises(InputError) as caught:
        audit(path, checker)
    message = caught.value.message
    assert "decisions.yaml" in message and "ligne 3" in message, message
    for fragment in fragments:
        assert fragment in message, message


def test_two_decisions_on_one_action_name_both(folder, checker):
    path = folder(
        """
        activity:
          - {ref: "activite.csv!!3", decision: reject, motive: a}
          - {ref: "ACTIVITE.CSV!!3", decision: accept, mission: relogement, motive: b}
        """
    )
    with pytest.raises(InputError, match=r"ligne 4 : décision sur « ACTIVITE.CSV!!3 » : deux décisions .*ligne 3"):
        audit(path, checker)


def test_an_action_decided_under_rows_is_sent_to_activity(folder, checker):
    path = folder('rows:\n  - {ref: "activite.csv!!3", decision: accept, motive: x}\n')
    with pytest.raises(
        InputError, match=r"ligne 2 .*le fichier d'activité : une décision sur une action s'écrit sous activity"
    ):
        audit(path, checker)  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"missions": [], "indicators": []}, "ne déclare pas de missions"),
        ({"inputs": {"activity": None}}, "aucun fichier d'activité"),
    ],
)
def test_activity_decisions_need_missions_and_an_activity_file(folder, checker, changes, fragment):
    path = folder('activity:\n  - {ref: "activite.csv!!3", decision: reject, motive: x}\n', changes)
    with pytest.raises(InputError, match=fragment) as caught:
        audit(path, checker)
    assert "ligne 2" in caught.value.message


XLSX_HEADER = ["Fichier", "Feuille", "Ligne", "Décision", "Montant retenu", "Règle", "Motif", "Mission"]


@pytest.mark.parametrize(
    ("values", "fragment"),
    [
        (["activite.csv", None, 3, "partiel", None, None, "x", None], "retenue partielle impossible"),
        (["activite.csv", None, 3, "rejeter", None, "NATURE", "x", None], "règle « NATURE » sans objet"),
        (["activite.csv", None, 3, "accepter", 12, None, "x", "relogement"], "montant sans objet"),
        (["activite.csv", None, 3, "accepter", None, None, "x", "logement"], "mission « logement » inconnue"),
        (["activite.csv", None, 3, "accepter", None, None, "x", None], "mission absente"),
        (["activite.csv", None, 2.0, "accepter", None, None, "x", "relogement"], "acceptation sans objet"),
        (["paie.csv", None, 2, "accepter", None, None, "x", "relogement"], "sans objet sur une ligne de paie"),
    ],
)
def test_xlsx_activity_errors_name_the_sheet_and_row(folder, checker, values, fragment):
    path = folder()
    wb = openpyxl.Workbook()
    wb.active.title = "Décisions"
    wb.active.append(XLSX_HEADER)
    wb.active.append(values)
    wb.save(path / "decisions.xlsx")
    with pytest.raises(InputError) as caught:
        audit(path, checker)
    message = caught.value.message
    assert "decisions.xlsx" in message and "Décisions" in message and "ligne 2" in message, message
    assert fragment in message, message


# --- the effect on the compte rendu --------------------------------------------------------


def test_accept_attaches_the_action_to_the_mission_named_by_code_label_or_alias(folder, checker):
    for written in ("relogement", "RENFORCEMENT des capacités de relogement"):
        path = folder(f'activity:\n  - {{ref: "activite.csv!!3", decision: accept, mission: "{written}", motive: x}}\n')
        a = audit(path, checker)
        row = next(r for r in results(a)["activity"]["rows"] if r["row"] == 3)
        assert (row["status"], row["mission"], row["reason"]) == ("retenue", "relogement", None)
        assert next(m for m in a.activity.missions if m.code == "relogement").actions == 1
        assert "HORS_MISSION" not in rules(a) and "MISSION_NON_REALISEE" not in rules(a)
    path = folder('activity:\n  - {ref: "activite.csv!!3", decision: accept, mission: ccapex centrale, motive: x}\n')
    assert next(r for r in audit(path, checker).activity.rows if r.row == 3).mission == "coordination"


def test_reject_sets_any_action_aside_and_only_decision_is_raised(folder, checker):
    before = audit(folder(), checker)
    assert rules(before)["HORS_MISSION"] == 1 and rules(before)["ACTIVITE_ILLISIBLE"] == 2
    path = folder(
        """
        activity:
          - {ref: "activite.csv!!2", decision: reject, motive: Séance non documentée}
          - {ref: "activite.csv!!3", decision: reject, motive: Hors mission}
          - {ref: "activite.csv!!4", decision: reject, motive: Illisible}
          - {ref: "activite.csv!!5", decision: reject, motive: Hors période}
        """
    )
    a = audit(path, checker)
    got = results(a)["activity"]
    assert [(r["row"], r["status"], r["mission"], r["reason"]) for r in got["rows"]] == [
        (2, "ecartee", "coordination", "Séance non documentée"),
        (3, "ecartee", "Instruction FSL", "Hors mission"),  # keeps the mission it was read with
        (4, "ecartee", "coordination", "Illisible"),
        (5, "ecartee", "coordination", "Hors période"),
    ]
    assert got["missions"][0]["actions"] == 0 and got["indicators"][0]["realised"] == 0
    activity_rules = {"DECISION", "HORS_MISSION", "MISSION_NON_REALISEE", "INDICATEUR", "ACTIVITE_ILLISIBLE"}
    assert {k: n for k, n in rules(a).items() if k in activity_rules} == {
        "DECISION": 4, "MISSION_NON_REALISEE": 2, "INDICATEUR": 1,
    }  # fmt: skip
    # the classified activity is not written into: the step returned a new result
    assert [r.status for r in a.evaluated.activity.rows] == ["retenue", "hors_mission", "illisible", "hors_periode"]
    assert a.activity is not a.evaluated.activity


def test_decision_findings_name_the_action_by_date_mission_and_line_never_its_text(audited):
    a = audited(CASE)
    found = [f for f in a.findings if f.rule == "DECISION"]
    assert [f.amount for f in found] == [10000, None, None, None]  # the expense first, then the actions
    assert found[1].message.startswith(
        "activite.csv, ligne 7 : action du 20/06/2024 rattachée à « Commission d'attribution » : décision du "
        "22/04/2025 : admise après examen au titre de la mission « Renforcement des capacités de relogement » "
        "(relogement, art. 2) – motif : "
    )
    assert found[1].message.endswith("; action hors mission → retenue")
    assert "rejet confirmé" in found[2].message and found[2].message.endswith("hors mission → écartée")
    assert "rejetée après examen" in found[3].message and found[3].message.endswith("retenue → écartée")
    text = " ".join(f.message for f in a.findings)
    assert "Durand" not in text and "bailleur social" not in text


# --- the documents -------------------------------------------------------------------------


def test_the_model_labels_activity_decisions(audited):
    b = build(audited(CASE))
    views = b.activity_decisions
    assert [(v.ref, v.label, v.before, v.after, v.mission) for v in views] == [
        ("activite.csv!!7", "admise après examen", "hors_mission", "retenue", "relogement"),
        ("activite.csv!!8", "rejet confirmé", "hors_mission", "ecartee", None),
        ("activite.csv!!9", "rejetée après examen", "retenue", "ecartee", None),
    ]
    assert views[0].name == "action du 20/06/2024 rattachée à « Commission d'attribution »"
    assert views[0].location == "activite.csv, ligne 7"
    assert views[0].mission_label == "Renforcement des capacités de relogement"


def test_the_report_lists_activity_decisions_without_action_texts(audited):
    b = build(audited(CASE))
    procedure = section_html("procedure", b)
    assert "Décisions sur le compte rendu d'activité" in procedure
    assert "action du 09/07/2024 rattachée à « Instruction FSL »" in procedure and "rejet confirmé" in procedure
    assert "Séance annulée faute de quorum" in procedure  # the auditor's motive
    activity = section_html("activite", b)
    assert "2 écartées" in activity and "3 actions ont fait l'objet d'une décision du contrôleur" in activity
    assert "décision : admise après examen" in activity
    html = render_all(b)
    assert "Durand" not in html and "bailleur social" not in html and "CDAS Nord" not in html


def test_the_definitive_letter_lists_activity_decisions_by_date_and_mission(audited, tmp_path):
    b = build(audited(CASE))
    write_letter(b, LetterParties.from_convention(b.convention), tmp_path / "courrier.docx")
    doc = Document(str(tmp_path / "courrier.docx"))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    text = "\n".join([p.text for p in doc.paragraphs] + cells)
    assert "Dépense ou action" in cells
    assert any(c.startswith("action du 20/06/2024 rattachée à «\u00a0Commission d'attribution\u00a0»") for c in cells)
    assert "Admise après examen au titre de la mission «\u00a0Renforcement des capacités de relogement\u00a0»" in cells
    assert "Rejet confirmé" in cells and "Rejetée après examen" in cells
    assert "Durand" not in text and "bailleur social" not in text


def test_the_workbook_prefills_hors_mission_and_decided_actions(audited, tmp_path):
    write_workbook(build(audited(CASE)), tmp_path / "b.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "b.xlsx")
    sheet = wb["Décisions"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in header}
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    actions = {r[col["Ligne"]]: r for r in rows if r[col["Fichier"]] == "activite.csv"}
    assert sorted(actions) == [7, 8, 9]  # hors mission as read, or decided; never a plain retained action
    assert [actions[n][col["Décision"]] for n in (7, 8, 9)] == ["accepter", "rejeter", "rejeter"]
    assert [actions[n][col["Mission"]] for n in (7, 8, 9)] == ["relogement", None, None]
    assert actions[7][col["Règles"]] == "hors mission" and actions[7][col["Référence"]].startswith("action du 20/06")
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists["P2"] == '"coordination,formation,relogement,donnees"'
    activity = {r[2]: r for r in wb["Activité"].iter_rows(min_row=2, values_only=True)}
    assert activity[8][10] == "écartée" and activity[8][11].startswith("rejet confirmé : Instruction")


def test_without_missions_the_decisions_sheet_has_no_mission_column(make_convention, checker, tmp_path):
    write_workbook(build(audit(make_convention(payroll=[OK_PAY]), checker)), tmp_path / "b.xlsx")
    header = [c.value for c in openpyxl.load_workbook(tmp_path / "b.xlsx")["Décisions"][1]]
    assert header[-1] == "Constat" and "Mission" not in header


def test_the_summary_counts_every_decision(audited):
    assert "Phase définitive : 4 décision(s) du contrôleur appliquée(s)" in summary(results(audited(CASE)))


def _provisional(tmp_path: Path) -> Path:
    folder = tmp_path / "conv"
    shutil.copytree(CASE, folder, ignore=shutil.ignore_patterns("decisions.yaml", "expected.json"))
    return folder


def _same_activity(got: dict, want: dict) -> None:
    for key in ("activity", "verdict", "settlement", "totals"):
        assert got[key] == want[key], key
    assert Counter(f["rule"] for f in got["findings"]) == Counter(f["rule"] for f in want["findings"])


def test_round_trip_fill_the_workbook_save_it_as_decisions_xlsx_and_run_again(checker, tmp_path, audited):
    """The auditor fills the Décisions sheet of the provisional workbook (the pre-filled hors
    mission actions, and a retained one added below), saves it as decisions.xlsx: same audit."""
    folder = _provisional(tmp_path)
    write_workbook(build(audit(folder, checker)), tmp_path / "bilan_financier.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "bilan_financier.xlsx")
    sheet = wb["Décisions"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) + 1 for name in header}
    at = {(sheet.cell(r, 1).value, sheet.cell(r, 3).value): r for r in range(2, sheet.max_row + 1)}
    assert set(at) == {("depenses.csv", 3), ("activite.csv", 7), ("activite.csv", 8)}
    new = sheet.max_row + 1
    for name, value in (("Fichier", "activite.csv"), ("Ligne", 9)):
        sheet.cell(new, col[name], value)
    at[("activite.csv", 9)] = new
    fill = {
        ("depenses.csv", 3): ("accepter", None, MOTIVES["depenses.csv!!3"]),
        ("activite.csv", 7): ("accepter", "Renforcement des capacités de relogement", MOTIVES["activite.csv!!7"]),
        ("activite.csv", 8): ("rejeter", None, MOTIVES["activite.csv!!8"]),
        ("activite.csv", 9): ("Rejeter", None, MOTIVES["activite.csv!!9"]),
    }
    for key, (decision, mission, motive) in fill.items():
        for name, value in (("Décision", decision), ("Mission", mission), ("Motif", motive)):
            sheet.cell(at[key], col[name], value)
    procedure = wb["Procédure"]
    procedure["B1"], procedure["B2"] = "définitif", "DDETS d'Ille-et-Vilaine, pôle contrôle des subventions"
    procedure["B3"], procedure["B5"] = dt.datetime(2025, 3, 14), dt.datetime(2025, 4, 8)
    wb.save(folder / "decisions.xlsx")
    again = results(audit(folder, checker))
    _same_activity(again, results(audited(CASE)))
    assert next(i for i in again["inputs"] if i["role"] == "decisions")["rows"] == 4


def test_round_trip_keeps_the_decisions_already_taken(checker, tmp_path, audited):
    """The workbook of a decided audit, saved as decisions.xlsx as it is, decides the same."""
    folder = _provisional(tmp_path)
    write_workbook(build(audited(CASE)), folder / "decisions.xlsx")
    _same_activity(results(audit(folder, checker)), results(audited(CASE)))


# --- the what-if ---------------------------------------------------------------------------

CASE_DECISIONS = [
    Decision("depenses.csv!!3", "accept", MOTIVES["depenses.csv!!3"]),
    Decision("activite.csv!!7", "accept", MOTIVES["activite.csv!!7"], mission="relogement"),
    Decision("activite.csv!!8", "reject", MOTIVES["activite.csv!!8"]),
    Decision("activite.csv!!9", "reject", MOTIVES["activite.csv!!9"]),
]


def test_simulate_equals_a_run_with_the_same_activity_decisions(checker, tmp_path, audited):
    provisional = build(audit(_provisional(tmp_path), checker))
    assert rules(provisional.audit)["HORS_MISSION"] == 2
    tried = simulate(provisional, CASE_DECISIONS)
    want = results(audited(CASE))
    got = results(tried.audit)
    assert got["activity"] == want["activity"] and got["verdict"] == want["verdict"] == "conforme"
    assert [f["rule"] for f in got["findings"]] == [f["rule"] for f in want["findings"]]
    assert provisional.audit.activity.rows[5].status == "hors_mission"  # the bilan tried on is unchanged


def test_simulate_keeps_the_files_activity_decisions_or_replaces_them(audited):
    b = build(audited(CASE))
    kept = simulate(b, [Decision("paie.csv!!2", "reject", "essai", rule="PERIODE")])
    assert [r.status for r in kept.audit.activity.rows] == [r.status for r in b.audit.activity.rows]
    assert len(kept.activity_decisions) == 3
    dropped = simulate(b, [], replace=True)
    assert dropped.activity_decisions == () and Counter(f.rule for f in dropped.findings)["HORS_MISSION"] == 2


def test_a_scenario_on_actions_writes_a_draft_that_audits_the_same(checker, tmp_path, audited):
    folder = _provisional(tmp_path)
    sc = Scenario(build(audit(folder, checker)))
    sc.accept("depenses.csv!!3", motive=MOTIVES["depenses.csv!!3"])
    sc.accept("activite.csv!!7", motive=MOTIVES["activite.csv!!7"], mission="Renforcement des capacités de relogement")
    sc.reject("activite.csv!!8", motive=MOTIVES["activite.csv!!8"])
    sc.reject("activite.csv!!9", motive=MOTIVES["activite.csv!!9"])
    frame = sc.frame
    assert frame["décision"].tolist()[2:] == ["accepter pour la mission relogement", "rejeter", "rejeter"]
    assert frame["désignation"].tolist()[2] == "action du 20/06/2024 rattachée à « Commission d'attribution »"
    draft = sc.write_draft()
    read = read_yaml_decisions(draft)
    assert [(d.ref, d.decision, d.mission) for d in read.activity] == [
        ("activite.csv!!7", "accept", "relogement"),
        ("activite.csv!!8", "reject", None),
        ("activite.csv!!9", "reject", None),
    ]
    assert sc.draft().count("# essayée dans le carnet") == 4
    draft.rename(folder / "decisions.yaml")
    assert results(audit(folder, checker))["activity"] == results(audited(CASE))["activity"]


def test_a_refused_action_decision_leaves_the_scenario_unchanged(audited):
    sc = Scenario(build(audited(CASE)))
    with pytest.raises(InputError, match="acceptation sans objet"):
        sc.accept("activite.csv!!2", motive="x", mission="coordination")
    assert sc.steps == []


# --- check ---------------------------------------------------------------------------------


def test_check_counts_activity_decisions_and_refuses_a_bad_one_without_gx(folder, tmp_path):
    out = CliRunner().invoke(main, ["check", str(CASE)])
    assert out.exit_code == 0, out.output
    assert "3 décision(s) sur le compte rendu d'activité (admises 1, écartées 2" in out.output
    # lines 7 and 8 match no mission; decisions.yaml decides both: check says so, not only "no mission"
    assert "« Commission d'attribution » (ligne 7) : aucune mission ne correspond" in out.output
    assert (
        "parmi les actions sans mission correspondante, décidées dans decisions.yaml : ligne 7 (admise pour "
        "« Renforcement des capacités de relogement »), ligne 8 (écartée)"
    ) in out.output
    undecided = CliRunner().invoke(main, ["check", str(_provisional(tmp_path))])
    assert undecided.exit_code == 0 and "décidées dans" not in undecided.output
    path = folder('activity:\n  - {ref: "activite.csv!!3", decision: accept, mission: logement, motive: x}\n')
    out = CliRunner().invoke(main, ["check", str(path)])
    assert out.exit_code == 2 and "mission « logement » inconnue" in out.output and "ligne 2" in out.output


def test_the_case_results_are_what_expected_json_says(audited):
    """A guard on the case's own files: the decisions file is read as the case's _how says."""
    expected = json.loads((CASE / "expected.json").read_text(encoding="utf-8"))
    assert "rejet confirmé" in expected["_how"]
    d = read_yaml_decisions(CASE / "decisions.yaml")
    assert [x.mission for x in d.activity] == ["Renforcement des capacités de relogement", None, None]
    assert [x.place.row for x in d.activity] == [13, 18, 21]  # the line of each - ref:
    assert {x.ref: x.motive for x in (*d.rows, *d.activity)} == MOTIVES


def test_try_decision_accepts_an_action_for_a_mission(checker, tmp_path):
    """One activity decision tried alone, as the scenario tries it: the issue after it is the
    one simulate gives (a mission named by its label, as in the scenario)."""
    from pexaudit import notebook as nb

    b = build(audit(_provisional(tmp_path), checker))
    label = "Renforcement des capacités de relogement"
    tried = nb.try_decision(b, "activite.csv!!7", "accept", mission=label)
    after = simulate(b, [Decision("activite.csv!!7", "accept", mission=label)])
    assert Counter(f.rule for f in after.findings)["HORS_MISSION"] == 1
    column = tried.columns[1]
    assert column == "avec « accepter » sur activite.csv!!7"
    assert tried[column]["Issue"].startswith(after.headline.outcome_label)
    assert tried[column]["Verdict"] == after.headline.verdict_label  # what an activity decision changes
    assert tried["actuel"]["Verdict"] == b.headline.verdict_label
    with pytest.raises(InputError, match="mission"):
        nb.try_decision(b, "activite.csv!!7", "accept", mission="inconnue")
    # a refused trial is the decision's fault, said as the scenario says it, not "Erreur dans les données"
    from pexaudit.workbench import RefusedDecision

    with pytest.raises(RefusedDecision) as refused:
        nb.try_decision(b, "activite.csv!!7", "accept")
    shown = "\n".join(refused.value._render_traceback_())
    assert "Décision refusée" in shown and "Rien n'est écrit ni changé" in shown
