"""courrier.docx, the letter of the phase (SPEC sections 9 and 12): rendered from the bilan of a
real audit, read back with python-docx, checked for what the beneficiary must read in it."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
import zipfile

import pytest
from docx import Document
from pdfminer.high_level import extract_text

from pexaudit.core.audit import audit
from pexaudit.model.bilan import build
from pexaudit.render.letter import ANNEX_LIMIT, DEFAULT_ARTICLES, TEMPLATE, LetterParties, letter_context, write_letter

from .conftest import ROOT, SAMPLE

DEFINITIVE = SAMPLE.parent / "cd35-2024-definitif"
NBSP = "\u00a0"
NAME = "DUPONT"  # a staff member's name in the payroll file: must never reach a letter
PAY_HEADER = "matricule;nom;periode;brut;charges_patronales;autres_couts"


def parties(**changes) -> LetterParties:
    base = dict(
        administration_name="Préfecture d'Ille-et-Vilaine",
        service="DDETS d'Ille-et-Vilaine, pôle contrôle des subventions",
        administration_address="3 avenue de la Préfecture\n35026 Rennes Cedex 9",
        signatory="Le Secrétaire général de la préfecture",
        court="tribunal administratif de Rennes",
        beneficiary_name="Conseil départemental d'Ille-et-Vilaine",
        beneficiary_address="1 avenue de la Préfecture\nCS 24218\n35042 Rennes Cedex",
        representative="Le Président du Conseil départemental",
        siret="22350001800013",
        convention_id="cd35-2024-pex",
        title="Chargé de mission Prévention des expulsions locatives",
        programme="177",
        period_start="2024-01-01",
        period_end="2024-12-31",
        reference="2024-PEX-035",
        signature_date="2024-03-12",
        place="Rennes",
    )
    return LetterParties(**(base | changes))


def read(path) -> str:
    """Every paragraph of the body, its tables (row by row, cells joined by " | "), headers and
    footers, one per line; no-break spaces read as spaces."""
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    for section in doc.sections:
        for part in (section.first_page_header, section.header, section.first_page_footer, section.footer):
            parts += [p.text for p in part.paragraphs]
    return "\n".join(parts).replace(NBSP, " ")


def body_rows(path) -> list[list[str]]:
    """The rows of every table headed « Dépense » (the rejected rows and the decisions)."""
    doc = Document(str(path))
    rows = []
    for table in doc.tables:
        if table.rows[0].cells[0].text == "Dépense":
            rows += [[c.text.replace(NBSP, " ") for c in row.cells] for row in table.rows[1:]]
    return rows


def letter_of(b, tmp_path, who=None, name="courrier.docx", **kwargs) -> str:
    path = tmp_path / name
    write_letter(b, who or parties(), path, **kwargs)
    return read(path)


@pytest.fixture(scope="module")
def sample(audited):
    return build(audited(SAMPLE))


@pytest.fixture(scope="module")
def definitive(audited):
    return build(audited(DEFINITIVE))


def test_template_uses_only_known_values(sample):
    """Every tag of the bundled template is a value of the context (StrictUndefined would fail)."""
    context = letter_context(sample, parties())
    with zipfile.ZipFile(TEMPLATE) as z:
        xml = z.read("word/document.xml").decode("utf-8")
    for name in set(re.findall(r"\{\{\s*([a-z_]+)", re.sub(r"<[^>]+>", "", xml))):
        assert name in context or name in ("r", "g", "f", "p", "d", "line"), name


def test_provisional_letter_lists_every_rejected_row_grouped_by_rule(sample, tmp_path):
    text = letter_of(sample, tmp_path)
    assert "Lettre d'observations" in text and "Règlement proposé" in text
    assert "Reversement proposé | 4 898,58 €" in text and "sera versé" not in text
    assert f"{sample.rejected.count} dépenses sont proposées au rejet, pour un montant total de 11 928,29 €" in text
    rows = body_rows(tmp_path / "courrier.docx")
    assert len(rows) == sample.rejected.count  # every rejected row, none else (no AFFECTATION share)
    for group in sample.rejected_by_rule:
        assert group.beneficiary[1:] in text  # the rule's sentence, in the beneficiary's words
    # named as the beneficiary finds them: piece, supplier, date, amount; pay rows by matricule and month
    assert any(r[0].startswith("pièce 2024-004470, CNFPT, 18/04/2024, 480,00 €") for r in rows)
    assert any(r[0].startswith("matricule M0412, juin 2024") for r in rows)
    assert "Pièces jointes : rapport provisoire (rapport.html)" in text


def test_the_letter_and_the_report_show_the_same_figures(sample, tmp_path):
    """SPEC 12: count and total of the rejected rows, the settlement, the same in every document."""
    from pexaudit.render.report import section_html

    text = letter_of(sample, tmp_path)
    rejets = section_html("rejets", sample)
    assert f"<strong>{sample.rejected.count}</strong> lignes écartées" in rejets
    assert "11 928,29 €" in rejets and "11 928,29 €" in text
    assert f"Dépenses écartées ({sample.rejected.count} dépenses) | 11 928,29 €" in text


INTERNAL = re.compile(
    r"\b(FORMAT|DOUBLON|PIECE|PERIODE|PAIEMENT|PAYEUR|PROJET|NATURE|EXCLUE|AFFECTATION|FORFAIT|PLAFOND_GESTION|"
    r"DEPASSEMENT)\b|staff\.|rules\.|inputs\.|project_codes|payment_deadline|\bligne \d+\b(?! de)"
)


@pytest.mark.parametrize("fixture", ["sample", "definitive"])
def test_no_internal_message_reaches_the_beneficiary(fixture, request, tmp_path):
    """No rule code, convention.yaml key or bare line number in what the beneficiary reads
    (rows carry their file and line after their name, in parentheses)."""
    b = request.getfixturevalue(fixture)
    text = letter_of(b, tmp_path)
    prose = re.sub(r"\([^()]*, ligne \d+\)", "", text)  # the row's location, after its name
    assert not INTERNAL.findall(prose), INTERNAL.findall(prose)[:5]


def test_definitive_notification(definitive, tmp_path):
    text = letter_of(definitive, tmp_path)
    assert "Notification du solde définitif" in text and "Voies et délais de recours" in text
    assert "Décisions prises au vu de vos observations" in text
    assert "Admise après examen" in text and "Retenue en partie" in text and "Rejet confirmé" in text
    assert "Montant à reverser à l'État | 2 138,87 €" in text
    rows = body_rows(tmp_path / "courrier.docx")
    decisions = len(definitive.decisions)
    assert len(rows) == decisions + definitive.rejected.count
    assert "Pièces jointes : rapport définitif (rapport.html)" in text


def test_the_enclosure_is_the_report_as_sent(sample, tmp_path):
    assert "rapport provisoire (rapport.pdf)" in letter_of(sample, tmp_path, enclosure="rapport.pdf")


def pay_folder(make_convention, months: int, *, decisions: str | None = None, changes: dict | None = None):
    """A convention whose pay rows name the employee, and ``months`` rows rejected as PERIODE."""
    rows = [f"A1;{NAME} Karim;{m:02d}/2023;1000,00;400,00;0" for m in range(1, 13)][:months]
    rows += [f"A1;{NAME} Karim;03/2024;1000,00;400,00;0", f"Sous-total {NAME};;;2000,00;800,00;0"]
    folder = make_convention(changes, payroll=rows, payroll_header=PAY_HEADER)
    if decisions:
        (folder / "decisions.yaml").write_text(decisions, encoding="utf-8")
    return folder


def test_more_than_fifteen_rejected_rows_go_to_an_annex(make_convention, checker, tmp_path):
    expenses = [f"F{i};10/01/2023;20/01/2023;Fournisseur {i};gestion;10,00;;P1" for i in range(20)]
    folder = make_convention(expenses=expenses)
    b = build(audit(folder, checker))
    text = letter_of(b, tmp_path)
    assert "listées une à une en annexe" in text and "Annexe – dépenses écartées" in text
    rows = body_rows(tmp_path / "courrier.docx")
    assert len(rows) == 20 and all(r[0].startswith("pièce F") for r in rows)
    assert "| 20 dépenses | 200,00 €" in text  # the summary by rule


def test_beyond_the_annex_limit_the_count_and_total_and_the_workbook(make_convention, checker, tmp_path, monkeypatch):
    import pexaudit.render.letter as letter

    monkeypatch.setattr(letter, "ANNEX_LIMIT", 18)
    expenses = [f"F{i};10/01/2023;20/01/2023;Fournisseur {i};gestion;10,00;;P1" for i in range(20)]
    b = build(audit(make_convention(expenses=expenses), checker))
    text = letter_of(b, tmp_path)
    assert len(body_rows(tmp_path / "courrier.docx")) == 18
    assert "Au-delà, 2 autres dépenses pour 20,00 €" in text and "feuille « Dépenses écartées »" in text
    assert ANNEX_LIMIT == 500


def test_no_staff_name_in_the_letter(make_convention, checker, tmp_path):
    b = build(audit(pay_folder(make_convention, 3), checker))
    path = tmp_path / "courrier.docx"
    write_letter(b, parties(), path)
    with zipfile.ZipFile(path) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    assert NAME not in xml.upper()
    assert "matricule A1, janvier 2023" in read(path)


def test_a_examiner_promises_no_payment(make_convention, checker, tmp_path):
    """An error finding stands (DDETS: hired before validation): the notification says what is
    still to be examined and promises nothing (SPEC 12)."""
    changes = {"staff": [{"employee_id": "A1", "role": "Chargée", "allocation": 1, "start": "2024-01-01",
                          "ddets_validation_date": "2024-02-01"}],
               "subsidy": {"amount": 10000, "payments": [{"date": "2024-03-01", "amount": 1000}]}}  # fmt: skip
    folder = pay_folder(make_convention, 0, changes=changes, decisions="phase: definitif\n")
    b = build(audit(folder, checker))
    assert b.headline.verdict == "a_examiner" and b.headline.balance > 0
    text = letter_of(b, tmp_path)
    assert "sera versé" not in text and "Voies et délais de recours" not in text
    assert "Points à examiner" in text and "validation du recrutement par les services de l'État" in text
    assert "ne peut pas encore être arrêté" in text


def test_provisional_solde_is_proposed_never_promised(make_convention, checker, tmp_path):
    changes = {"subsidy": {"amount": 10000, "payments": [{"date": "2024-03-01", "amount": 1000}]}}
    b = build(audit(pay_folder(make_convention, 0, changes=changes), checker))
    assert b.headline.outcome == "solde"
    text = letter_of(b, tmp_path)
    assert "Solde proposé, à verser par l'État" in text and "sera versé" not in text
    assert "ce montant est proposé" in text


def test_articles_of_the_convention(sample, definitive, tmp_path):
    """A convention numbering its articles otherwise: the letter quotes its own numbers."""
    own = {"eligibilite": "3", "contribution": "10", "versement": "11", "justificatifs": "12",
           "contradictoire": "15.2", "notification": "15.4", "recours": "19"}  # fmt: skip
    who = parties(articles=own)
    text = letter_of(sample, tmp_path, who, name="p.docx")
    assert "conformément à l'article 15.2 de la convention" in text
    assert "Montant versé (article 11)" in text and "Subvention accordée (article 10)" in text
    assert "au regard des critères de l'article 3 de la convention" in text
    text += letter_of(definitive, tmp_path, who, name="d.docx")
    assert "(article 19 de la convention)" in text
    for default in ("article 9.1", "article 9.3", "article 13", "article 6 ", "article 7", "article 4 de"):
        assert default not in text, default
    assert parties(articles={"recours": "14"}).articles == DEFAULT_ARTICLES | {"recours": "14"}


def test_missing_fields_become_visible_blanks(definitive, tmp_path):
    who = LetterParties(beneficiary_name="Association Toit pour tous", convention_id="asso-2024")
    text = letter_of(definitive, tmp_path, who)
    for blank in (
        "[administration à compléter]",
        "Affaire suivie par : [service à compléter]",
        "[adresse à compléter]",
        "[qualité du signataire à compléter]",
        "devant le [tribunal administratif à compléter]",
        "À l'attention de [représentant légal à compléter]",
        "SIRET [SIRET à compléter]",
        "convention n° [numéro à compléter] – dossier asso-2024",
        "du [date à compléter] au [date à compléter]",
        "Le [date à compléter]",
    ):
        assert blank in text, blank
    assert "None" not in text


def test_attention_line_reads_as_french(sample, tmp_path):
    assert "À l'attention du Président du Conseil départemental" in letter_of(sample, tmp_path)


def test_from_a_loaded_convention(definitive):
    who = LetterParties.from_convention(definitive.convention)
    assert who.value("court") == "tribunal administratif de Rennes"
    assert who.value("period_end") == "31/12/2024" and who.value("period_start") == "01/01/2024"
    assert LetterParties().value("beneficiary_name") == "[bénéficiaire à compléter]"


def test_custom_template(definitive, tmp_path):
    """An administration's own template: any .docx with tags, restyled in Word."""
    from docx import Document as New

    mine = New()
    mine.add_paragraph("Préfecture de la Somme – {{ subject }}")
    mine.add_paragraph("{{ settlement.label }} : {{ settlement.amount }}")
    mine.save(str(tmp_path / "mine.docx"))
    text = letter_of(definitive, tmp_path, template=tmp_path / "mine.docx")
    assert "Préfecture de la Somme – Contrôle de l'emploi de la subvention" in text
    assert "Montant à reverser à l'État : 2 138,87 €" in text


def test_unknown_tag_in_a_template_fails_loudly(sample, tmp_path):
    from docx import Document as New

    mine = New()
    mine.add_paragraph("{{ settlment.amount }}")
    mine.save(str(tmp_path / "typo.docx"))
    with pytest.raises(Exception, match="settlment"):
        write_letter(sample, parties(), tmp_path / "out.docx", tmp_path / "typo.docx")
    assert not (tmp_path / "out.docx").exists()
    assert not list(tmp_path.glob(".courrier-*"))


@pytest.mark.slow
@pytest.mark.parametrize("fixture", ["sample", "definitive"])
def test_letter_converts_to_pdf(tmp_path, fixture, request):
    """LibreOffice Writer (headless) opens the letter and prints it to PDF."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (make apps installs it)")
    path = tmp_path / "courrier.docx"
    write_letter(request.getfixturevalue(fixture), parties(), path)
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "courrier.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")
    # Columns wide enough: every word of every table cell prints whole (« Déplacement s » fails).
    printed = set(re.findall(r"[^\W\d_]+", unicodedata.normalize("NFKC", extract_text(str(pdf)))))
    cells = {cell.text for table in Document(str(path)).tables for row in table.rows for cell in row.cells}
    words = {word for text in cells for word in re.findall(r"[^\W\d_]{4,}", unicodedata.normalize("NFKC", text))}
    assert words and words <= printed, sorted(words - printed)


def test_bundled_template_is_what_the_script_builds(tmp_path):
    """templates/courrier.docx is generated: edit scripts/make_letter_template.py, then run it."""
    import importlib.util

    script = TEMPLATE.parents[2] / "scripts" / "make_letter_template.py"
    spec = importlib.util.spec_from_file_location("make_letter_template", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    fresh = module.build(tmp_path / "courrier.docx")
    with zipfile.ZipFile(TEMPLATE) as bundled, zipfile.ZipFile(fresh) as built:
        assert bundled.namelist() == built.namelist()
        for name in bundled.namelist():
            assert bundled.read(name) == built.read(name), f"{name}: run python scripts/make_letter_template.py"


def test_the_flat_rate_is_not_shown_as_declared_by_the_beneficiary(tmp_path, checker):
    """Flat-rate mode: the letter shows the beneficiary's declared spending and the flat amount apart."""
    b = build(audit(ROOT / "tests" / "cases" / "flat-rate", checker))
    text = letter_of(b, tmp_path)
    forfait = b.headline.forfait
    assert forfait and "Forfait de gestion (calculé sur le personnel retenu)" in text
    assert "Dépenses retenues (forfait compris)" in text


def test_a_fec_row_is_said_paid_as_the_report_says(audited, tmp_path):
    """The bank entry that paid a rejected FEC row (or that none did), in the same words as the
    report's Dépenses écartées: the beneficiary finds the payment in its own books."""
    from pexaudit.render.report import section_html

    b = build(audited(ROOT / "tests" / "cases" / "fec-banque"))
    views = b.rejected.views()
    assert views and all(v.payment for v in views)
    text = letter_of(b, tmp_path)
    report = section_html("rejets", b)
    for v in views:
        assert v.payment in text
        assert v.payment in report.replace("&#39;", "'")
