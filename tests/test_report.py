"""The HTML report's structure, escaping of hostile labels, and pseudonymisation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pexaudit.core.audit import audit
from pexaudit.model.bilan import build
from pexaudit.render.report import SECTIONS, render_all, section_html

from .conftest import SAMPLE

FOLDERS = [SAMPLE, *sorted(p for p in (Path(__file__).parent / "cases").iterdir() if p.is_dir())]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_section_renders_for_every_convention(folder, audited):
    html = render_all(build(audited(folder)))
    assert all(heading in html for _, heading in SECTIONS if heading)
    assert not re.search(r">\s*(nan|None|NaT|&lt;NA&gt;)\s*<", html)  # no missing value leaks into a cell


def test_sections_in_order_with_headings(make_convention, checker):
    html = render_all(build(audit(make_convention(payroll=["A1;03/2024;1000;400;0"]), checker)))
    positions = [html.index(f"{n}. {heading}") for n, heading in enumerate((h for _, h in SECTIONS if h), start=1)]
    assert positions == sorted(positions)
    assert html.count("<img") == 2 and "data:image/png;base64," in html
    assert "<script" not in html


def test_hostile_labels_are_escaped(make_convention, checker):
    expenses = [
        "F1;10/03/2025;20/03/2025;<script>alert(1)</script>;gestion;10;;P1",
        "<img src=x onerror=alert(2)>;10/03/2025;20/03/2025;A;gestion;10;;P1",
    ]
    html = render_all(build(audit(make_convention(expenses=expenses), checker)))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_names_and_matricules_never_appear(make_convention, checker):
    folder = make_convention(
        payroll_header="matricule;nom;periode;brut;charges_patronales",
        payroll=["A1;Zébulon TARTEMPION;03/2024;1000;400", "ZZ77;Ursule VOISIN;03/2024;1000;400"],
    )
    html = render_all(build(audit(folder, checker)))
    for secret in ("Zébulon", "TARTEMPION", "Ursule", "VOISIN", "ZZ77"):
        assert secret not in html
    assert "Agent 1" in html and "Hors liste 1" in html


def test_settlement_in_large_type_in_french_format(make_convention, checker):
    a = audit(make_convention(payroll=["A1;03/2024;1234,56;0;0"]), checker)
    html = section_html("synthese", build(a))
    assert 'class="outcome reversement"' in html
    assert "Ordre de reversement proposé : 8 765,44 €" in html  # provisional phase: proposed


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_the_table_by_account_adds_up_to_the_totals(folder, audited):
    """Cerfa table: the flat rate and the cap are rows of their own, so the columns add up."""
    from pexaudit.model.bilan import by_account

    a = audited(folder)
    rows = by_account(build(a))
    if rows:
        assert sum(r.eligible for r in rows) == a.totals["eligible"]
        assert sum(r.declared or 0 for r in rows) == a.totals["declared"]


def test_definitive_report_shows_the_procedure_and_the_before_after_view(tmp_path, checker, audited):
    """Phase définitive with --previous: title, decisions with motives and effects, every row
    whose eligible amount changed, the earlier settlement beside this one."""
    import json
    import shutil

    from pexaudit.core.audit import results

    folder = tmp_path / "conv"
    shutil.copytree(SAMPLE.parent / "cd35-2024-definitif", folder)
    decisions = (folder / "decisions.yaml").read_text(encoding="utf-8")
    (folder / "decisions.yaml").unlink()
    provisional = results(audit(folder, checker))
    (tmp_path / "provisoire.json").write_text(json.dumps(provisional), encoding="utf-8")
    (folder / "decisions.yaml").write_text(decisions, encoding="utf-8")
    a = audit(folder, checker, previous=tmp_path / "provisoire.json")
    header, procedure, rejets = (section_html(name, build(a)) for name in ("header", "procedure", "rejets"))
    assert "Rapport définitif" in header and "Rapport provisoire" in section_html("header", build(audited(SAMPLE)))
    assert "Phase : <strong>définitive" in procedure and "Décisions du contrôleur" in procedure
    assert "Salle louée par la Ville de Rennes" in procedure and "+600,00 €" in procedure  # motive and effect
    assert "Avant et après" in procedure and "Ordre de reversement : 4 898,58 €" in procedure
    assert "Contrôle précédent (provisoire)" in procedure and "Ce contrôle (définitif)" in procedure
    assert procedure.count("xlsx, feuille « ") >= 4  # decision rows and changed rows, by their file and line
    assert "Enjeu" in rejets
