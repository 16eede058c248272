"""Batch audits: good and broken conventions, consolidation files, warm = cold, Dask."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import openpyxl
import pytest

from pexaudit.run.batch import find_conventions, run_batch, territory_of
from pexaudit.run.execute import RESET, Kernel, run_audit

from .conftest import ROOT, SAMPLE, run_cli

pytestmark = pytest.mark.slow
CASES = ROOT / "tests" / "cases"
VOLATILE = ("run",)


def stable(results: dict) -> dict:
    return {k: v for k, v in results.items() if k not in VOLATILE}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """The sample, the three cases, a convention with a bad yaml and one with a missing column."""
    root = tmp_path_factory.mktemp("conventions")
    shutil.copytree(SAMPLE, root / "cd35")
    shutil.copytree(SAMPLE.parent / "cd35-2024-definitif", root / "cd35-definitif")
    for case in ("flat-rate", "cap-binds", "partial-mid-year"):
        shutil.copytree(CASES / case, root / "cases" / case)
    (root / "broken-yaml").mkdir()
    (root / "broken-yaml" / "convention.yaml").write_text("id: broken\nperiod: {start: 2024-01-01}\n", encoding="utf-8")
    shutil.copytree(CASES / "flat-rate", root / "broken-column")
    text = (
        (root / "broken-column" / "convention.yaml")
        .read_text(encoding="utf-8")
        .replace("id: flat-rate-2024", "id: broken-column")
    )
    (root / "broken-column" / "convention.yaml").write_text(text, encoding="utf-8")
    (root / "broken-column" / "paie.csv").write_text("matricule;periode;brut\nA1;01/2024;1\n", encoding="utf-8")
    shutil.copytree(CASES / "flat-rate", root / "bad-date")  # an impossible date must not stop the batch
    text = (root / "bad-date" / "convention.yaml").read_text(encoding="utf-8")
    text = text.replace("id: flat-rate-2024", "id: bad-date").replace(
        "signature_date: 2024-01-20", "signature_date: 2024-09-31"
    )
    (root / "bad-date" / "convention.yaml").write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    proc = run_cli("batch", root, "--out", out, "--workers", "2")
    return root, out, proc


def test_finds_every_convention_folder(mixed):
    root, _, _ = mixed
    names = sorted(p.name for p in find_conventions([root]))
    assert names == ["bad-date", "broken-column", "broken-yaml", "cap-binds", "cd35", "cd35-definitif", "flat-rate",
                     "partial-mid-year"]  # fmt: skip


def test_batch_exit_code_and_summary(mixed):
    _, _, proc = mixed
    assert proc.returncode == 2, proc.stderr
    assert "5 convention(s) auditée(s), 3 en erreur" in proc.stdout
    assert "reversements définitifs : 2 138,87 €, proposés : 13 487,87 €" in proc.stdout
    assert "period.end" in proc.stderr and "charges_patronales" in proc.stderr
    assert "date impossible « 2024-09-31 »" in proc.stderr and "signature_date" in proc.stderr


def test_each_convention_has_its_outputs_and_right_results(mixed):
    _, out, _ = mixed
    for case in ("flat-rate", "cap-binds", "partial-mid-year"):
        expected = json.loads((CASES / case / "expected.json").read_text(encoding="utf-8"))
        conv_id = next(
            line.split(":", 1)[1].strip()
            for line in (CASES / case / "convention.yaml").read_text().splitlines()
            if line.startswith("id:")
        )
        results = json.loads((out / conv_id / "results.json").read_text(encoding="utf-8"))
        assert results["totals"] == expected["totals"]
        assert results["verdict"] == expected["verdict"]
        assert all((out / conv_id / name).is_file() for name in ("rapport.html", "bilan_financier.xlsx", "audit.ipynb"))
    assert not (out / "broken").exists() and not (out / "broken-column").exists()
    assert not list(out.glob(".*partial"))


def test_consolidation_files(mixed):
    _, out, _ = mixed
    document = json.loads((out / "consolidation.json").read_text(encoding="utf-8"))
    assert [r["convention_id"] for r in document["conventions"]] == [
        "cap-binds-2024",
        "flat-rate-2024",
        "partial-2024",
        "cd35-2024-pex",
        "cd35-2024-pex-definitif",
    ]
    by_id = {r["convention_id"]: r for r in document["conventions"]}
    assert by_id["cd35-2024-pex"]["outcome"] == "reversement" and by_id["cd35-2024-pex"]["amount"] == 4898.58
    assert by_id["cd35-2024-pex"]["territory"] == "35"
    assert document["totals"]["reversements"] == round(4898.58 + 8589.29 + 2138.87, 2)
    assert document["totals"]["reversements_proposes"] == round(4898.58 + 8589.29, 2)
    assert document["totals"]["reversements_definitifs"] == 2138.87
    definitive = by_id["cd35-2024-pex-definitif"]
    assert (
        definitive["phase"] == "definitif"
        and definitive["decisions"] == 4
        and by_id["cd35-2024-pex"]["phase"] == "provisoire"
    )
    assert document["totals"]["soldes"] == round(3230.00 + 5504.42, 2)
    assert {e["status"] for e in document["errors"]} == {"input_error"} and len(document["errors"]) == 3
    root = str(mixed[0])
    assert root not in json.dumps(document)  # folders as the controller named them, no machine path
    assert {e["folder"] for e in document["errors"]} == {
        f"{Path(root).name}/{n}" for n in ("bad-date", "broken-column", "broken-yaml")
    }
    html = (out / "consolidation.html").read_text(encoding="utf-8")
    assert "Consolidation des bilans financiers" in html and "4 898,58 €" in html
    assert "<script" not in html and 'src="data:image/png;base64,' in html
    assert "Conventions non auditées" in html and "broken-yaml" in html
    sheet = openpyxl.load_workbook(out / "consolidation.xlsx")["Consolidation"]
    assert sheet.max_row == 7 and sheet["A7"].value == "Total" and sheet["D7"].value.startswith("=SUM(")
    assert sheet["O1"].value == "Phase" and sheet["P1"].value == "Décisions"
    assert openpyxl.load_workbook(out / "consolidation.xlsx")["Erreurs"].max_row == 4
    assert root not in html


def test_warm_and_cold_runs_give_identical_results(tmp_path):
    """The same conventions on one reused kernel, in two orders, and each on a cold kernel."""
    cases = [SAMPLE, CASES / "partial-mid-year", CASES / "flat-rate"]
    cold = {}
    for case in cases:
        run = run_audit(case, tmp_path / "cold")
        cold[run.convention.id] = run.folder
    kernel = Kernel()
    try:
        for case in [*cases, *reversed(cases)]:
            run = run_audit(case, tmp_path / "warm", kernel=kernel)
            warm_results = json.loads(run.results_path.read_text(encoding="utf-8"))
            cold_results = json.loads((cold[run.convention.id] / "results.json").read_text(encoding="utf-8"))
            assert stable(warm_results) == stable(cold_results)
            assert _html(run.folder) == _html(cold[run.convention.id])
        kernel.run("x_from_a_previous_audit = 1")
        kernel.run(RESET)
        kernel.run("assert 'x_from_a_previous_audit' not in globals() and 'audit' not in globals()")
    finally:
        kernel.shutdown()


def _html(folder: Path) -> str:
    import re

    text = (folder / "rapport.html").read_text(encoding="utf-8")
    return re.sub(r"\d{2}/\d{2}/\d{4} à \d{2}:\d{2}", "<date>", text)


def test_dask_scheduler_runs_the_same_job(tmp_path):
    from distributed import LocalCluster

    root = tmp_path / "conventions"
    shutil.copytree(CASES / "cap-binds", root / "a")
    shutil.copytree(CASES / "flat-rate", root / "b")
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        result = run_batch([root], tmp_path / "out", scheduler=cluster.scheduler_address, progress=False)
    assert result.exit_code == 0
    assert sorted(o.convention_id for o in result.outcomes) == ["cap-binds-2024", "flat-rate-2024"]
    res = json.loads((tmp_path / "out" / "cap-binds-2024" / "results.json").read_text(encoding="utf-8"))
    assert res["settlement"]["amount"] == 3230.0
    assert (tmp_path / "out" / "consolidation.html").is_file()


@pytest.mark.parametrize(
    ("convention_id", "territory"),
    [("cd35-2024-pex", "35"), ("cd2a-2024", "2A"), ("dep974-2024", "974"), ("pex-2024", "pex-2024")],
)
def test_territory_of(convention_id, territory):
    assert territory_of(convention_id) == territory


def test_one_worker_runs_in_process_and_consolidates(tmp_path):
    root = tmp_path / "conventions"
    shutil.copytree(CASES / "flat-rate", root / "a")
    result = run_batch([root], tmp_path / "out", workers=1, progress=False)
    assert result.exit_code == 0 and [o.convention_id for o in result.outcomes] == ["flat-rate-2024"]
    for name in ("consolidation.json", "consolidation.xlsx", "consolidation.html"):
        assert (tmp_path / "out" / name).is_file()
    assert not list((tmp_path / "out").glob(".*"))  # no partial file left behind


def test_the_consolidation_counts_decisions_as_the_audit_summary_does(audited, tmp_path):
    """Decisions on actions of the activity file count too: one figure, in the CLI summary
    (« N décision(s) du contrôleur appliquée(s) ») and in the consolidation's row."""
    from pexaudit.cli import summary
    from pexaudit.core.audit import results as results_of
    from pexaudit.model.consolidation import build as consolidate
    from pexaudit.run.batch import BatchResult, Outcome

    res = results_of(audited(ROOT / "tests" / "cases" / "activity-decisions"))
    (tmp_path / res["convention_id"]).mkdir()
    (tmp_path / res["convention_id"] / "results.json").write_text(json.dumps(res), encoding="utf-8")
    outcome = Outcome(str(tmp_path), "ok", res["convention_id"], "titre", "bénéficiaire", "35", name="c")
    (row,) = consolidate(BatchResult([outcome], tmp_path, 0.0))["conventions"]
    assert row["decisions"] == 4  # one expense row and three actions
    assert "Phase définitive : 4 décision(s) du contrôleur appliquée(s)" in summary(res)


def test_a_duplicate_id_names_both_folders_as_given_never_by_machine_path(tmp_path):
    from pexaudit.run.batch import _precheck, display_names, name_folders

    lot = tmp_path / "lot2"
    for name in ("a", "b"):
        shutil.copytree(SAMPLE, lot / name / "cd35-2024")
    folders = find_conventions([lot])
    todo, failed = _precheck(folders)
    assert len(todo) == 1 and len(failed) == 1
    name_folders(failed, display_names(folders, [lot]))
    (outcome,) = failed
    assert outcome.name == "lot2/b/cd35-2024"
    assert str(tmp_path) not in outcome.error
    assert "déjà utilisé par lot2/a/cd35-2024" in outcome.error and "lot2/b/cd35-2024/convention.yaml" in outcome.error
