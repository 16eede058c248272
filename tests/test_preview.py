"""What `pexaudit check` says before the audit (issue 17 item 4): the blank cells that will be
FORMAT, the findings the audit will state whatever the rules find, and for a FEC the lines a
decision may cite; a decision citing a FEC entry's 401 or bank line names the line to use."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pexaudit.cli import main
from pexaudit.core.audit import read_inputs
from pexaudit.core.preview import citable_lines, fec_line_hint, foreseen, format_blanks
from pexaudit.errors import InputError

from .conftest import SAMPLE

CASES = sorted(p for p in (Path(__file__).parent / "cases").iterdir() if (p / "convention.yaml").is_file())
FEC_BANQUE = Path(__file__).parent / "cases" / "fec-banque"
FEC_FILE = "987654321FEC20241231.txt"

PAYROLL = [
    "A1;01/2024;;400;",  # brut blank: FORMAT
    "A1;02/2024;1000;400;",  # autres_couts blank: 0, not FORMAT
    "A1;;1000;400;10",  # month blank: FORMAT
    "A1;04/2024;1000;4OO;",  # unreadable, not blank: listed apart
]
EXPENSES = [
    "F1;;05/03/2024;Papeterie;gestion;100;;P1",  # date blank: FORMAT
    "F2;05/03/2024;;Papeterie;gestion;50;;P1",  # date_paiement blank: PAIEMENT, not FORMAT
    "F3;06/03/2024;07/03/2024;Papeterie;gestion;;;P1",  # montant blank: FORMAT
]


def test_format_blanks_are_the_rows_the_audit_rejects_for_an_empty_cell(make_convention, audited):
    folder = make_convention(
        payroll=PAYROLL,
        expenses=EXPENSES,
        expenses_header="piece;date;date_paiement;fournisseur;ligne;montant;payeur;code_analytique",
    )
    inputs = read_inputs(folder)
    pay, exp = inputs.tables["payroll"], inputs.tables["expenses"]
    assert format_blanks(pay) == [(2, "brut"), (4, "periode")]
    assert format_blanks(exp) == [(2, "date"), (4, "montant")]
    rows = audited(folder).rows
    format_rows = {(r.source, int(r.row)) for r in rows.itertuples() if "FORMAT" in r.rules}
    blank = {("payroll", 2), ("payroll", 4), ("expenses", 2), ("expenses", 4)}
    assert blank <= format_rows and ("payroll", 3) not in format_rows
    assert format_rows - blank == {("payroll", 5)}  # the unreadable one, said apart with its text

    out = CliRunner().invoke(main, ["check", str(folder)]).output
    assert "2 cellule(s) vide(s) où une valeur est obligatoire, sur 2 ligne(s) qui seront rejetée(s) (FORMAT)" in out
    assert "ligne 2, brut : vide" in out and "ligne 4, periode : vide" in out
    assert "ligne 2, date : vide" in out and "ligne 4, montant : vide" in out
    assert "ligne 3, autres_couts" not in out and "autres_couts vide vaut 0" in out
    assert "ligne 3, date_paiement" not in out


@pytest.mark.parametrize("case", [*CASES, SAMPLE], ids=lambda p: p.name)
def test_what_check_foresees_the_audit_states(case, audited):
    a = audited(case)
    said = [(f.rule, f.severity, f.message) for f in a.findings]
    for f in foreseen(a.convention, a.tables):
        assert (f.rule, f.severity, f.message) in said, f.message


def test_check_prints_the_findings_it_foresees(tmp_path):
    folder = tmp_path / "fec"
    shutil.copytree(FEC_BANQUE, folder)
    out = CliRunner().invoke(main, ["check", str(folder)]).output
    assert "L'audit signalera déjà, avant les règles d'éligibilité (3 constat(s)) :" in out
    for rule in ("HORS_CORRESPONDANCE", "PAIE_COMPTA", "SUBVENTION_COMPTA"):
        assert f" {rule} : " in out
    assert out.rstrip().endswith("Données lisibles : l'audit peut être lancé.")


def test_check_lists_the_lines_a_decision_may_cite_for_each_fec_entry(tmp_path):
    folder = tmp_path / "fec"
    shutil.copytree(FEC_BANQUE, folder)
    table = read_inputs(folder).tables["expenses"]
    entries = {e.name: e.refs for e in citable_lines(table)}
    assert entries["HA 1"] == (f"{FEC_FILE}!!2",) and entries["OD 1"] == (f"{FEC_FILE}!!10",)
    # an entry of two charge lines: both are named
    text = (folder / FEC_FILE).read_text(encoding="utf-8")
    second = "HA\tAchats\t1\t20240304\t60640000\tCompte 60640000\t\t\tFA-101\t20240304\tPEX agrafes\t30,00\t0,00\t\t\t20240304\t\t\n"
    lines = text.splitlines(keepends=True)
    lines.insert(2, second)
    (folder / FEC_FILE).write_text("".join(lines), encoding="utf-8")
    out = CliRunner().invoke(main, ["check", str(folder)]).output
    assert "lignes qu'une décision peut citer (ref)" in out
    assert f"1 écriture(s) de plusieurs lignes retenues :\n      HA 1 : {FEC_FILE}!!2, {FEC_FILE}!!3" in out


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (3, f"la ligne 3 de {FEC_FILE} est la ligne de tiers (compte 40100000, le fournisseur) de l'écriture HA 1, "
            f"pas une ligne de charge retenue : une décision cite la ligne de charge de l'écriture, {FEC_FILE}!!2"),
        (5, f"la ligne 5 de {FEC_FILE} est la ligne de banque (compte 51200000) de l'écriture BQ 1, l'écriture de "
            f"banque qui a payé 1 ligne(s) retenue(s) (HA 1) : une décision cite la ligne de charge, {FEC_FILE}!!2"),
        (11, f"la ligne 11 de {FEC_FILE} est la ligne de tiers (compte 42100000, le salarié ou le membre) de l'écriture OD 1"),
    ],
)  # fmt: skip
def test_a_decision_on_the_401_or_bank_line_names_the_charge_line(tmp_path, line, said):
    folder = tmp_path / "fec"
    shutil.copytree(FEC_BANQUE, folder)
    (folder / "decisions.yaml").write_text(
        f'rows:\n  - ref: "{FEC_FILE}!!{line}"\n    decision: accept\n    motive: facture produite\n', encoding="utf-8"
    )
    with pytest.raises(InputError) as info:
        read_inputs(folder)
    assert said in info.value.message and info.value.row == 2


def test_a_line_outside_the_ledger_is_not_explained_as_a_fec_line(tmp_path):
    folder = tmp_path / "fec"
    shutil.copytree(FEC_BANQUE, folder)
    table = read_inputs(folder).tables["expenses"]
    assert fec_line_hint(table, 2000) is None
    assert "aucune ligne retenue" in fec_line_hint(table, 30)  # the subsidy's line (7441): no charge at all
    assert "aucune ligne retenue" in fec_line_hint(table, 28)  # the net pay's 421 line: a pay entry
