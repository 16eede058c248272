"""The auditor's workbench in the notebook (issue 17): rows named as people name them, the
search table of every row (offline), scenarios of several decisions and their draft file.

The end-to-end check is the issue's "done when": three decisions tried as a scenario, written
as a draft, saved as decisions.yaml in a copy of the convention and audited, give the balance
the scenario showed. The notebook in a real browser is tests/test_lab.py.
"""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest

from pexaudit import notebook as nb
from pexaudit.core.audit import audit, results
from pexaudit.errors import InputError
from pexaudit.inputs.decisions import Decision, load_decisions, read_yaml_decisions
from pexaudit.model.bilan import build
from pexaudit.workbench import (
    ALL_HEADERS,
    DRAFT,
    REJECTED_HEADERS,
    RefusedDecision,
    Scenario,
    all_rows_table,
    decisions_yaml,
    example_scenario,
    rejected_table,
)

from .conftest import ROOT, SAMPLE
from .lab import LAB_FLAGS

DEFINITIF = ROOT / "data" / "conventions" / "cd35-2024-definitif"
FEC = ROOT / "tests" / "cases" / "fec-reel"
EUROS = re.compile(r"^[+-]?\d{1,3}( \d{3})*,\d{2} €$")
MONEY = ("enjeu", "montant", "écarté", "retenu")


@pytest.fixture(scope="module")
def sample(audited):
    return build(audited(SAMPLE))


@pytest.fixture(scope="module")
def definitif(audited):
    return build(audited(DEFINITIF))


def _check_cells(frame):
    for column in frame.columns:
        for value in frame[column]:
            assert isinstance(value, str), (column, value)
            assert value.lower() not in ("nan", "none", "nat", "<na>"), (column, value)
            if column in MONEY and value:
                assert EUROS.match(value), (column, value)


# --- rows named as people name them -----------------------------------------------------------


def test_rejected_rows_are_named_with_french_amounts_and_full_reasons(sample):
    table = rejected_table(sample)
    assert list(table.columns) == REJECTED_HEADERS
    assert len(table) == len(sample.rejected) == 12
    _check_cells(table)
    first = table.iloc[0]
    assert first["ref"] == "paie.xlsx!Paie 2024!6" and first["enjeu"] == "+4 898,58 €"
    assert first["désignation"] == "Hors liste 1, mars 2024"  # a pay row: pseudonym and month, never a name
    assert first["règle"] == "hors projet (PROJET)" and first["montant"] == "5 372,23 €"
    duplicate = table[table["ref"] == "depenses.xlsx!Mandats 2024!7"].iloc[0]
    assert duplicate["désignation"] == "pièce 2024-004470, CNFPT, 18/04/2024, 480,00 €"
    assert duplicate["emplacement"] == "depenses.xlsx, feuille « Mandats 2024 », ligne 7"
    assert (
        duplicate["ligne budgétaire"] == "Coûts de gestion"
        and duplicate["motifs"] == "répète la ligne 6 du même fichier"
    )
    unreadable = table[table["ref"] == "depenses.xlsx!Mandats 2024!17"].iloc[0]
    assert unreadable["montant"] == unreadable["enjeu"] == unreadable["écarté"] == ""  # unknown: empty, not 0 or NaN
    longest = max((r for v in sample.rejected for r in v.reasons), key=len)
    assert any(longest in cell for cell in table["motifs"])
    assert list(rejected_table(sample, rule="doublon")["ref"]) == [
        "paie.xlsx!Paie 2024!10",
        "depenses.xlsx!Mandats 2024!7",
    ]
    assert set(rejected_table(sample, line="gestion")["ligne budgétaire"]) == {"Coûts de gestion"}


def test_decided_rows_show_the_decision_label(definitif):
    table = rejected_table(definitif)
    _check_cells(table)
    labels = dict(zip(table["ref"], table["décision"], strict=True))
    assert labels["paie.xlsx!Paie 2024!10"] == "retenue en partie"
    assert labels["depenses.xlsx!Mandats 2024!18"] == "rejet confirmé"
    rows = all_rows_table(definitif)
    assert (
        dict(zip(rows["ref"], rows["décision"], strict=True))["depenses.xlsx!Mandats 2024!10"] == "admise après examen"
    )


def test_fec_rows_are_named_by_piece_supplier_date_and_amount(audited):
    """What a user saw: ``…FEC20251231.txt!!292`` with no piece, supplier or label (SPEC 12: a FEC row also by its
    journal and entry)."""
    b = build(audited(FEC))
    rows = all_rows_table(b)
    _check_cells(rows)
    ledger = rows[rows["ref"].str.startswith("111111111FEC20221231.TXT!!")]
    assert len(ledger) > 0
    first = ledger.iloc[0]
    assert (
        first["désignation"]
        == "pièce C1  0523, HOTEL MONSIGNY NICE, 09/05/2023, 31,00 €, journal C1, écriture 00000119"
    )
    assert first["libellé"] == "HOTEL MONSIGNY NICE" and first["emplacement"] == "111111111FEC20221231.TXT, ligne 584"
    rejected = Scenario(b).reject(first["ref"], rule="PIECE", motive="Facture illisible").bilan
    table = rejected_table(rejected)
    assert table[["désignation", "décision", "règle", "écarté"]].values.tolist() == [
        [first["désignation"], "rejetée après examen", "pièce ou fournisseur absent (PIECE)", "31,00 €"]
    ]


def test_the_text_view_of_a_table_cuts_nothing(sample):
    shown = nb.rejected(sample)
    text = repr(shown)
    assert "..." not in text and "…" not in text
    assert "12 lignes écartées, 11 928,29 € au total" in text
    page = html.unescape(shown._repr_html_())
    for reason in (r for v in sample.rejected for r in v.reasons):
        assert reason in text and reason in page


# --- the search table of every row --------------------------------------------------------------


def test_every_row_is_in_the_search_table(sample):
    rows = all_rows_table(sample)
    assert list(rows.columns) == ALL_HEADERS
    assert len(rows) == len(sample.audit.rows)
    _check_cells(rows)
    assert (rows["statut"] == "écartée").sum() == len(sample.rejected)
    same = rows[rows["désignation"].str.contains("CNFPT")]
    assert list(same["statut"]) == ["retenue", "écartée"]  # the duplicate and the row it repeats


def test_the_search_table_is_offline_and_french(sample):
    page = nb.search(sample)._repr_html_()
    assert "_itables_" in page and "dt_src_b64" not in page  # the library travels inside the output
    html = re.sub(r"[A-Za-z0-9+/=]{200,}", "", page)  # the library itself, base64-encoded
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|import[^;]*from\s*['\"]https?:", html)
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert '"search": "Rechercher :"' in html and '"decimal": ","' in html
    assert "Toutes les lignes : 34, dont 12 écartées" in html
    data = json.loads(json.loads(re.search(r'"data_json": ("(?:[^"\\]|\\.)*")', html).group(1)))
    assert len(data) == 34 and "downsampl" not in html  # every row, none dropped
    assert data[18][:3] == ["écartée", "pièce 2024-004470, CNFPT, 18/04/2024, 480,00 €", "480,00 €"]


def test_a_driven_run_shows_one_sentence_instead_of_the_script(sample, monkeypatch):
    monkeypatch.setitem(nb._DRIVEN, "value", True)
    table = nb.search(sample)
    html = table._repr_html_()
    assert "<script" not in html and "JupyterLab" in html and len(html) < 500
    assert repr(table).endswith("table interactive, affichée quand le carnet est exécuté dans JupyterLab.")
    assert "0 lignes" not in repr(table)  # the plain-text view of the saved notebook says the same


# --- scenarios ------------------------------------------------------------------------------------


THREE = [
    ("accept", "depenses.xlsx!Mandats 2024!10", {"motive": "Titre de recette de la Ville produit"}),
    (
        "partial",
        "paie.xlsx!Paie 2024!10",
        {"amount": "1 867,45", "rule": "doublon", "motive": "Rappel justifié en partie"},
    ),
    ("reject", "depenses.xlsx!Mandats 2024!12", {"rule": "PIECE", "motive": "Aucune pièce produite"}),
]


def _three(b):
    sc = nb.scenario(b)
    for verb, ref, kwargs in THREE:
        assert getattr(sc, verb)(ref, **kwargs) is sc  # a cell ending with the call shows the scenario
    return sc


def test_a_scenario_shows_the_balance_after_each_step(sample):
    sc = _three(sample)
    frame = sc.frame
    assert list(frame["étape"]) == ["0", "1", "2", "3"]
    assert frame["solde"].iloc[0] == "-4 898,58 €"
    assert frame["solde"].iloc[1] == "-4 298,58 €" and frame["effet"].iloc[1] == "+600,00 €"
    assert frame["désignation"].iloc[1] == "pièce 2024-006011, Ville de Rennes, 14/06/2024, 600,00 €"
    assert frame["décision"].iloc[2] == "partiel : 1 867,45 € retenus, le reste au titre de DOUBLON"
    assert frame["désignation"].iloc[2] == "Agent 1, juin 2024"
    assert frame["décision"].iloc[3] == "rejeter au titre de PIECE" and frame["effet"].iloc[3] == "0,00 €"
    assert frame["solde"].iloc[2] == frame["solde"].iloc[3] == "-2 431,13 €" and frame["effet"].iloc[2] == "+1 867,45 €"
    assert sample.headline.balance == -489858  # the bilan tried on is untouched
    assert "<table" in sc._repr_html_() and "rien n'est écrit" in html.unescape(sc._repr_html_())
    assert sc.undo().undo().frame["étape"].tolist() == ["0", "1"]


def test_three_decisions_written_as_a_draft_reproduce_the_balance_when_audited(tmp_path, checker):
    """Issue 17's done-when: the draft, saved as decisions.yaml, audits to the scenario's figures."""
    folder = tmp_path / "cd35-2024"
    shutil.copytree(SAMPLE, folder)
    before = sorted(p.name for p in folder.iterdir())
    b = build(audit(folder, checker))
    sc = _three(b)
    assert sorted(p.name for p in folder.iterdir()) == before  # nothing written while trying
    shown = sc.bilan.headline
    draft = sc.write_draft()
    assert draft == folder / DRAFT and load_decisions(folder).rows == ()  # a draft is not applied
    shutil.copy(draft, folder / "decisions.yaml")
    real = build(audit(folder, checker))
    assert real.headline.balance == shown.balance == sc.steps[-1].bilan.headline.balance
    assert (real.headline.eligible, real.headline.justified, real.headline.outcome) == (
        shown.eligible, shown.justified, shown.outcome,
    )  # fmt: skip
    tried, audited_ = results(sc.bilan.audit), results(real.audit)
    for key in ("lines", "totals", "settlement", "verdict"):
        assert tried[key] == audited_[key], key
    assert [f.rule for f in real.findings] == [f.rule for f in sc.bilan.findings]
    assert f"solde montré par le carnet après la dernière : {sc.frame['solde'].iloc[-1]}" in draft.read_text()


def test_the_draft_keeps_the_file_decisions_procedure_and_explanations(definitif, tmp_path):
    sc = Scenario(definitif).accept("paie.xlsx!Paie 2024!6", motive="Agent affecté par avenant du 02/03/2024")
    sc.partial("paie.xlsx!Paie 2024!10", amount=1000, rule="DOUBLON", motive="Rappel justifié pour 1 000 €")
    path = tmp_path / "brouillon.yaml"
    path.write_text(sc.draft(), encoding="utf-8")
    read = read_yaml_decisions(path)
    own = definitif.audit.decisions
    assert read.procedure == own.procedure and read.procedure.phase == "definitif"
    assert [(n.line, n.explanation) for n in read.lines] == [(n.line, n.explanation) for n in own.lines]
    key = lambda d: (d.ref, d.decision, d.motive, d.rule, d.amount, d.date)  # noqa: E731
    expected = [key(d) for d in own.rows if d.ref != "paie.xlsx!Paie 2024!10"] + [
        ("paie.xlsx!Paie 2024!6", "accept", "Agent affecté par avenant du 02/03/2024", None, None, None),
        ("paie.xlsx!Paie 2024!10", "partial", "Rappel justifié pour 1 000 €", "DOUBLON", 100000, None),
    ]  # the scenario's partial replaced the file's on the same row
    assert [key(d) for d in read.rows] == expected
    text = path.read_text(encoding="utf-8")
    assert "# Décisions du contrôleur à l'issue de la procédure contradictoire" in text  # the file's own header
    assert "# essayée dans le carnet, étape 2" in text


def test_the_yaml_writer_reads_back_any_text(tmp_path):
    from pexaudit.inputs.decisions import Decisions, LineNote, Procedure

    odd = 'guillemets " et \\ barre, deux-points : # dièse\nligne, tab\t, \u2028 et 100 %'
    d = Decisions(
        Procedure(auditor="DDETS: pôle « contrôle »"),
        (Decision("a b.xlsx!Feuille: 1!3", "partial", odd, rule="PIECE", amount=-1205),),
        (LineNote("gestion", "- tiret: au début"),),
    )
    path = tmp_path / "d.yaml"
    path.write_text(decisions_yaml(d), encoding="utf-8")
    read = read_yaml_decisions(path)
    assert read.procedure == d.procedure
    assert [(r.ref, r.motive, r.amount, r.rule) for r in read.rows] == [("a b.xlsx!Feuille: 1!3", odd, -1205, "PIECE")]
    assert read.lines[0].explanation == "- tiret: au début"


def test_write_draft_never_replaces_a_decisions_file_unless_asked(definitif, tmp_path, checker, capsys):
    folder = tmp_path / "c"
    shutil.copytree(DEFINITIF, folder)
    original = (folder / "decisions.yaml").read_text(encoding="utf-8")
    sc = Scenario(definitif)
    with pytest.raises(InputError, match="fichier déjà présent"):
        sc.write_draft(folder / "decisions.yaml")
    assert (folder / "decisions.yaml").read_text(encoding="utf-8") == original
    with pytest.raises(InputError, match="fichier déjà présent"):
        Scenario(build(audit(folder, checker))).write_draft("decisions.yaml")  # relative: the convention folder
    assert sc.write_draft(folder / "decisions.yaml", overwrite=True) == folder / "decisions.yaml"
    said = capsys.readouterr().out
    assert "le prochain audit lira" in said and "enregistrez-le sous le nom" not in said
    key = lambda d: (d.ref, d.decision, d.motive, d.rule, d.amount, d.date)  # noqa: E731
    rewritten = read_yaml_decisions(folder / "decisions.yaml")
    assert [key(d) for d in rewritten.rows] == [key(d) for d in definitif.audit.decisions.rows]
    assert not (DEFINITIF / DRAFT).exists()  # the tests never write into the committed sample


def test_a_bad_decision_is_refused_in_french_and_leaves_the_scenario_unchanged(sample):
    sc = nb.scenario(sample).accept("depenses.xlsx!Mandats 2024!10", motive="pièce produite")
    for call, message in (
        (lambda: sc.reject("depenses.xlsx!Mandats 2024!12", motive="non"), "règle absente"),
        (lambda: sc.accept("depenses.xlsx!Mandats 2024!12"), "motif absent"),
        (lambda: sc.partial("paie.xlsx!Paie 2024!10", amount="1 000 000,00", rule="DOUBLON", motive="x"), "hors de"),
        (
            lambda: sc.partial("paie.xlsx!Paie 2024!10", amount="beaucoup", rule="DOUBLON", motive="x"),
            "montant illisible",
        ),
        (lambda: sc.accept("depenses.xlsx!Mandats 2024!999", motive="x"), "Mandats 2024!999"),
        (lambda: sc.reject("forfait", rule="NATURE", motive="x"), "forfait"),
    ):
        with pytest.raises(InputError, match=message) as caught:
            call()
        assert len(sc.steps) == 1
        assert isinstance(caught.value, RefusedDecision)
        shown = "\n".join(caught.value._render_traceback_())
        assert "Décision refusée" in shown and "Le scénario est inchangé (étape 1)" in shown


def test_the_example_scenario_tries_the_largest_undecided_stakes(sample, definitif):
    sc = example_scenario(sample)
    assert [s.decision.decision for s in sc.steps] == ["accept", "partial", "reject"]
    assert [s.decision.ref for s in sc.steps] == [v.ref for v in sample.rejected.views()[:3]]
    decided = {d.ref for d in definitif.audit.decisions.rows}
    assert not decided & {s.decision.ref for s in example_scenario(definitif).steps}


def test_largest_stake(sample):
    assert nb.largest_stake(sample) == "paie.xlsx!Paie 2024!6"


# --- the notebook and JupyterLab's set-up -----------------------------------------------------------


def test_the_workbench_cells_stay_out_of_the_report():
    cells = json.loads((ROOT / "notebooks" / "audit.ipynb").read_text(encoding="utf-8"))["cells"]
    calls = ("nb.rejected", "nb.search", "nb.scenario", "nb.example_scenario", "write_draft", "try_decision")
    workbench = [c for c in cells if any(call in "".join(c["source"]) for call in calls) and c["cell_type"] == "code"]
    assert len(workbench) == 3
    assert all("remove_cell" in c["metadata"].get("tags", []) for c in workbench)
    assert not any("write_draft(" in "".join(c["source"]) for c in workbench)  # nothing is written by running it


def test_make_lab_selects_french_and_the_pins_hold():
    from importlib.metadata import version

    overrides = json.loads((ROOT / "scripts" / "jupyterlab-overrides.json").read_text(encoding="utf-8"))
    assert overrides["@jupyterlab/translation-extension:plugin"] == {"locale": "fr_FR"}
    assert overrides["@jupyterlab/apputils-extension:notification"]["checkForUpdates"] is False
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    for package in ("itables", "jupyterlab-language-pack-fr-FR"):
        assert f"{package}=={version(package)}\n" in lock
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "cp scripts/jupyterlab-overrides.json $(VENV)/share/jupyter/lab/settings/overrides.json" in makefile
    recipe = makefile.split("\nlab:", 1)[1].split("\n\n", 1)[0]
    flags = set(re.findall(r"--(?:LabApp|ServerApp)\.[\w.]+=\S+", recipe))
    assert flags and flags <= set(LAB_FLAGS)  # the browser test starts JupyterLab as make lab does


@pytest.mark.slow
def test_a_run_of_pexaudit_audit_keeps_the_script_out_of_its_notebook(sample_run):
    """The search table's script runs only in the browser of whoever executes the notebook: the
    notebook that ``pexaudit audit`` saves holds one sentence instead (no 800 kB bundle)."""
    proc, folder = sample_run
    assert proc.returncode == 0, proc.stderr
    saved = (folder / "audit.ipynb").read_text(encoding="utf-8")
    assert "_itables_" not in saved and "table interactive, affichée quand le carnet est exécuté" in saved
    assert "Scénario de 3 décisions essayées" in saved  # the other workbench cells keep their output
    report = (folder / "rapport.html").read_text(encoding="utf-8")
    assert "Scénario" not in report and "Toutes les lignes" not in report  # the workbench is not in the report


def test_a_driven_run_shows_the_first_rows_of_a_long_table_and_says_how_many_more(sample, monkeypatch):
    """The notebook `pexaudit audit` saves stays small when a finding names thousands of rows."""
    monkeypatch.setattr(nb, "DRIVEN_ROWS", 5)
    table = nb.rejected(sample)
    assert len(table) == 12
    full = table._repr_html_()
    monkeypatch.setitem(nb._DRIVEN, "value", True)
    html, text = table._repr_html_(), repr(table)
    assert html.count("<tr") == full.count("<tr") - 7
    assert "les 5 premières lignes ; les 7 autres quand le carnet est exécuté dans JupyterLab" in html
    assert len(text.splitlines()) == 1 + 1 + 5  # caption, header, five rows


@pytest.mark.parametrize("fixture", ["sample", "definitif"])
def test_a_driven_run_counts_the_rows_without_laying_them_out(fixture, request, monkeypatch):
    b = request.getfixturevalue(fixture)
    laid_out = nb.search(b)
    monkeypatch.setitem(nb._DRIVEN, "value", True)
    driven = nb.search(b)
    assert driven.caption == laid_out.caption and driven.frame.empty and len(laid_out.frame) > 0
    assert list(driven.frame.columns) == list(laid_out.frame.columns)


def test_try_decision_rounds_an_amount_in_euros_half_up_exactly(sample):
    """0.125 € is 13 cents (half up), where round(0.125 * 100) gives 12 (banker's rounding)."""
    ref = "paie.xlsx!Paie 2024!10"
    tried = {x: nb.try_decision(sample, ref, "partial", amount=x, rule="DOUBLON") for x in (0.12, 0.125, 0.13)}
    assert tried[0.125].equals(tried[0.13]) and not tried[0.125].equals(tried[0.12])
