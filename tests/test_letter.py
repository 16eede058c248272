"""courrier.docx, the letter of the phase (SPEC section 9): rendered from hand-built results,
read back with python-docx, checked for what the beneficiary must read in it."""

from __future__ import annotations

import copy
import shutil
import subprocess
import zipfile

import jsonschema
import pytest
from docx import Document
from docxtpl import DocxTemplate

from pexaudit.letter import DEFAULT_ARTICLES, TEMPLATE, LetterParties, letter_context, write_letter

NAME = "Marie DUPONT"  # a staff member: must never reach a letter
NBSP = "\u00a0"


def _row(file, sheet, row, line, amount, eligible, rules=(), reasons=(), impact=None, decision=None, source=None):
    return {
        "source": source or ("payroll" if file.startswith("paie") else "expenses"),
        "file": file, "sheet": sheet, "row": row, "line": line, "amount": amount,
        "eligible_amount": eligible, "rules": list(rules), "reasons": list(reasons),
        "decision": decision, "impact": impact,
    }  # fmt: skip


def _line(line, kind, budget, declared, eligible, rejected, alert=False, explanation=None, source=None):
    variance = round(eligible - budget, 2)
    return {
        "line": line, "kind": kind, "budget": budget, "declared": declared, "eligible": eligible,
        "rejected": rejected, "variance": variance, "variance_pct": round(variance / budget * 100, 2),
        "execution_rate": eligible / budget, "alert": alert, "explanation": explanation,
        "explanation_source": source,
    }  # fmt: skip


def provisional() -> dict:
    """Reversement proposed: four rejected rows, the management line alerted with a draft."""
    rows = [
        _row("paie.xlsx", "Paie 2024", 2, "personnel", 3649.40, 3649.40, source="payroll") | {"nom": NAME, "who": NAME},
        _row("paie.xlsx", "Paie 2024", 3, "personnel", 3649.40, 0.0, ["DOUBLON"],
             ["répète la ligne 2 du même fichier"], impact=3649.40) | {"nom": NAME},
        _row("paie.xlsx", "Paie 2024", 14, "personnel", 3100.0, 0.0, ["PERIODE"],
             ["mois décembre 2023 hors de la période 01/01/2024 – 31/12/2024"], impact=3100.0),
        _row("paie.xlsx", "Paie 2024", 15, "personnel", 32811.75, 32811.75),
        _row("depenses.xlsx", "Mandats 2024", 9, "gestion", 700.0, 0.0, ["NATURE"],
             ["ligne « personnel » : pas une ligne de coûts de gestion"], impact=700.0),
        _row("depenses.xlsx", "Mandats 2024", 12, "gestion", 120.50, 0.0, ["PAYEUR"],
             [f"payé par « {NAME} », pas par le bénéficiaire"], impact=120.50),
        _row("depenses.xlsx", "Mandats 2024", 13, "gestion", 1679.50, 1679.50),
    ]  # fmt: skip
    draft = (
        "Dépenses retenues 1 679,50 € pour un budget de 4 500,00 € (écart -2 820,50 €) ; "
        "dépenses déclarées 2 500,00 € : sous-consommation."
    )
    return {
        "convention_id": "cd35-2024-pex",
        "tool_version": "0.1.0",
        "inputs": [],
        "lines": [
            _line("personnel", "personnel", 45500.0, 43210.55, 36461.15, {"DOUBLON": 3649.40, "PERIODE": 3100.0}),
            _line(
                "gestion",
                "management",
                4500.0,
                2500.0,
                1679.50,
                {"NATURE": 700.0, "PAYEUR": 120.50},
                alert=True,
                explanation=draft,
                source="brouillon",
            ),
        ],
        "totals": {"budget": 50000.0, "declared": 45710.55, "eligible": 38140.65, "rejected": 7569.90},
        "settlement": {
            "granted": 50000.0,
            "funding_rate": 1.0,
            "justified": 38140.65,
            "paid": 50000.0,
            "balance": -11859.35,
            "outcome": "reversement",
            "amount": 11859.35,
            "max_balance": -4289.45,
        },
        "rows": rows,
        "findings": [{"rule": "RAISONNABLE", "severity": "warning", "message": f"{NAME} : mois élevé", "amount": None}],
        "verdict": "reversement",
        "procedure": {
            "phase": "provisoire",
            "auditor": f"{NAME}, DDETS",
            "observations_sent": "2025-03-14",
            "response_days": 30,
            "response_deadline": "2025-04-13",
            "response_received": None,
        },
        "previous": None,
    }


def definitive() -> dict:
    """After the answer: one row accepted, one rejected, one partial, one maintained; reversement."""
    res = provisional()
    rows = res["rows"]
    rows[2] |= {"eligible_amount": 3100.0, "impact": None,
                "decision": {"decision": "accept", "rule": None, "amount": None,
                             "motive": "Bulletin de janvier 2024 produit, mal daté dans l'export"}}  # fmt: skip
    rows[4] |= {"decision": {"decision": "reject", "rule": "NATURE", "amount": None,
                             "motive": "Déplacement sans lien avec les missions de l'article 2"}}  # fmt: skip
    rows[5] |= {"eligible_amount": 60.25, "impact": 60.25,
                "decision": {"decision": "partial", "rule": "PAYEUR", "amount": 60.25,
                             "motive": "Moitié de la facture acquittée par le Département"}}  # fmt: skip
    res["lines"] = [
        _line("personnel", "personnel", 45500.0, 43210.55, 39561.15, {"DOUBLON": 3649.40}),
        _line("gestion", "management", 4500.0, 2500.0, 1739.75, {"NATURE": 700.0, "PAYEUR": 60.25}, alert=True,
              explanation="Poste de travail pris en charge sur fonds propres.", source="beneficiaire"),
    ]  # fmt: skip
    res["totals"] = {"budget": 50000.0, "declared": 45710.55, "eligible": 41300.90, "rejected": 4409.65}
    res["settlement"] = {
        "granted": 50000.0, "funding_rate": 1.0, "justified": 41300.90, "paid": 50000.0,
        "balance": -8699.10, "outcome": "reversement", "amount": 8699.10, "max_balance": -4289.45,
    }  # fmt: skip
    res["procedure"] = {
        "phase": "definitif", "auditor": f"{NAME}, DDETS", "observations_sent": "2025-03-14",
        "response_days": 30, "response_deadline": "2025-04-13", "response_received": "2025-04-08",
    }  # fmt: skip
    res["previous"] = {"phase": "provisoire", "balance": -11859.35, "outcome": "reversement", "amount": 11859.35}
    return res


def solde(phase: str) -> dict:
    res = provisional()
    res["settlement"] |= {"paid": 36906.09, "balance": 1234.56, "outcome": "solde", "amount": 1234.56}
    res["procedure"]["phase"] = phase
    res["verdict"] = "conforme"
    return res


def parties(**changes) -> LetterParties:
    base = dict(
        administration_name="Préfecture d'Ille-et-Vilaine",
        service="DDETS d'Ille-et-Vilaine, pôle contrôle des subventions",
        administration_address="3 avenue de la Préfecture\n35026 Rennes Cedex 9",
        signatory="Le Secrétaire général de la préfecture",
        court="tribunal administratif de Rennes",
        beneficiary_name="Conseil départemental d'Ille-et-Vilaine",
        beneficiary_address="1 avenue de la Préfecture\nCS 24218\n35042 Rennes Cedex",
        representative="Monsieur le Président du Conseil départemental",
        siret="22350001800013",
        convention_id="cd35-2024-pex",
        title="Chargé de mission Prévention des expulsions locatives",
        programme="177",
        period_start="2024-01-01",
        period_end="2024-12-31",
        reference="2024-PEX-035",
        signature_date="2024-03-12",
        place="Rennes",
        line_labels={"personnel": "Charges de personnel", "gestion": "Coûts de gestion"},
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


def table_rows(path, heading: str) -> list[list[str]]:
    """The rows (header excluded) of the body table whose first header cell is ``heading``."""
    doc = Document(str(path))
    for table in doc.tables:
        if table.rows[0].cells[0].text == heading:
            return [[cell.text.replace(NBSP, " ") for cell in row.cells] for row in table.rows[1:]]
    raise AssertionError(f"no table headed {heading!r}")


def render(tmp_path, results, who=None, name="courrier.docx", **kwargs) -> str:
    path = tmp_path / name
    write_letter(results, who or parties(), path, **kwargs)
    return read(path)


@pytest.mark.parametrize("build", [provisional, definitive, lambda: solde("provisoire"), lambda: solde("definitif")])
def test_hand_built_results_follow_the_schema(build, schema):
    jsonschema.validate(build(), schema)


def test_template_uses_only_known_values():
    """Every variable the default template reads is in the context (a typo would fail loudly)."""
    names = DocxTemplate(str(TEMPLATE)).get_undeclared_template_variables()
    context = letter_context(provisional(), parties())
    assert names <= set(context), names - set(context)


def test_provisional_letter(tmp_path):
    text = render(tmp_path, provisional())
    assert "Lettre d'observations" in text
    assert "Notification du solde définitif" not in text
    # sender, addressee, references, French administrative form
    assert "Préfecture d'Ille-et-Vilaine" in text
    assert "Affaire suivie par : DDETS d'Ille-et-Vilaine, pôle contrôle des subventions" in text
    assert "À l'attention de Monsieur le Président du Conseil départemental" in text
    assert "35042 Rennes Cedex" in text and "35026 Rennes Cedex 9" in text
    assert "convention n° 2024-PEX-035 – dossier cd35-2024-pex" in text
    assert "SIRET 223 500 018 00013" in text
    assert "Rennes, le 14/03/2025" in text
    assert (
        "Vu la convention n° 2024-PEX-035 « Chargé de mission Prévention des expulsions locatives » signée le "
        "12/03/2024, au titre du programme 177, pour la période du 01/01/2024 au 31/12/2024 ;" in text
    )
    assert "Je vous prie d'agréer" in text and "Le Secrétaire général de la préfecture" in text
    # proposed settlement, French formats
    assert "Règlement proposé" in text
    assert "Montant justifié proposé (taux × dépenses retenues, dans la limite de la subvention) | 38 140,65 €" in text
    assert "Montant versé (article 6) | 50 000,00 €" in text
    assert "Taux de financement | 100,00 %" in text
    assert "Reversement proposé | 11 859,35 €" in text
    assert "un titre de perception de ce montant serait émis" in text
    # rejected rows, largest stake first, with reasons and stakes
    rows = table_rows(tmp_path / "courrier.docx", "Pièce (fichier, feuille, ligne)")
    assert [r[0] for r in rows] == [
        "paie.xlsx, Paie 2024, ligne 3",
        "paie.xlsx, Paie 2024, ligne 14",
        "depenses.xlsx, Mandats 2024, ligne 9",
        "depenses.xlsx, Mandats 2024, ligne 12",
    ]
    assert rows[0] == [
        "paie.xlsx, Paie 2024, ligne 3", "Charges de personnel", "3 649,40 €",
        "Ligne en double – répète la ligne 2 du même fichier", "+3 649,40 €",
    ]  # fmt: skip
    assert rows[1][3] == "Hors période – mois décembre 2023 hors de la période 01/01/2024 – 31/12/2024"
    assert "Dépenses écartées : 4 dépenses, pour un montant total non retenu de 7 569,90 €" in text
    assert "l'enjeu de l'ensemble de ces dépenses est de 7 569,90 €" in text
    assert "feuille « Dépenses écartées » du classeur bilan_financier.xlsx" in text
    # the gap to explain, with the tool's draft
    assert "Écarts au budget prévisionnel à expliquer" in text
    assert "Coûts de gestion : budget 4 500,00 €, dépenses déclarées 2 500,00 €, dépenses retenues 1 679,50 €" in text
    assert "écart -2 820,50 € (-62,68 %)" in text
    assert "Projet d'explication établi à partir des seuls chiffres" in text and "sous-consommation" in text
    assert "Charges de personnel : budget" not in text  # not alerted
    # time to answer, deadline, article 9.1 and 9.3
    assert "dans un délai de 30 jours, soit au plus tard le 13/04/2025" in text
    assert "conformément à l'article 9.1 de la convention" in text
    assert "article 9.3" in text
    assert "Voies et délais de recours" not in text


def test_results_without_stakes(tmp_path):
    """Results without impact nor max_balance: rows "non chiffré", no total stake claimed."""
    res = provisional()
    res["settlement"].pop("max_balance")
    for row in res["rows"]:
        row.pop("impact")
    text = render(tmp_path, res)
    assert "l'enjeu de l'ensemble" not in text
    assert "si la dépense était admise." in text
    assert {r[4] for r in table_rows(tmp_path / "courrier.docx", "Pièce (fichier, feuille, ligne)")} == {"non chiffré"}


def test_provisional_without_sending_date_counts_from_receipt(tmp_path):
    res = provisional()
    res["procedure"] |= {"observations_sent": None, "response_deadline": None, "response_days": 45}
    text = render(tmp_path, res)
    assert "dans un délai de 45 jours à compter de la réception du présent courrier" in text
    assert "Rennes, le [date à compléter]" in text


def test_deadline_computed_when_results_omit_it(tmp_path):
    res = provisional()
    del res["procedure"]["response_deadline"]
    res["procedure"]["observations_sent"] = "2025-01-31"
    assert "soit au plus tard le 02/03/2025" in render(tmp_path, res)


def test_rejected_rows_capped_by_stake_with_total_and_workbook(tmp_path):
    res = provisional()
    extra = [
        _row("depenses.xlsx", "Mandats 2024", 100 + i, "gestion", 10.0 + i, 0.0, ["PIECE"], ["n° de pièce absent"],
             impact=10.0 + i)
        for i in range(40)
    ]  # fmt: skip
    unreadable = _row("depenses.xlsx", "Mandats 2024", 99, "gestion", 0.0, 0.0, ["FORMAT"], ["montant illisible « ? »"])
    res["rows"] += [*extra, unreadable]
    res["settlement"].pop("max_balance")
    text = render(tmp_path, res, max_rows=6)
    rows = table_rows(tmp_path / "courrier.docx", "Pièce (fichier, feuille, ligne)")
    assert len(rows) == 6
    assert [r[4] for r in rows] == ["+3 649,40 €", "+3 100,00 €", "+700,00 €", "+120,50 €", "+49,00 €", "+48,00 €"]
    assert "Dépenses écartées : 45 dépenses" in text
    assert "Seules les 6 dépenses dont l'enjeu est le plus élevé figurent ci-dessous" in text
    assert "la liste complète (45 dépenses) figure dans la feuille « Dépenses écartées »" in text
    # without max_balance the stake is the sum of the rows' impacts
    stake = 3649.40 + 3100 + 700 + 120.50 + sum(10 + i for i in range(40))
    assert f"l'enjeu de l'ensemble de ces dépenses est de {stake:,.2f} €".replace(",", " ").replace(".", ",") in text
    # an unread amount has no stake: listed last, "non chiffré"
    context = letter_context(res, parties(), max_rows=100)
    assert context["rejected"]["rows"][-1]["impact"] == "non chiffré"
    # amounts never split across two lines: no-break spaces
    assert context["rejected"]["rows"][0]["impact"] == f"+3{NBSP}649,40{NBSP}€"


def test_definitive_letter_with_decisions_and_reversement(tmp_path):
    text = render(tmp_path, definitive())
    assert "Notification du solde définitif" in text
    assert "Lettre d'observations" not in text
    assert "notification du solde définitif et ordre de reversement" in text
    assert "Vu ma lettre d'observations du 14/03/2025 ;" in text
    assert "Vu votre réponse du 08/04/2025 ;" in text
    assert "en application de l'article 9.3 de la convention" in text
    assert "Conformément à l'article 9.1" in text
    assert "Règlement définitif" in text
    assert "Montant justifié (taux × dépenses retenues, dans la limite de la subvention) | 41 300,90 €" in text
    assert "Montant à reverser à l'État | 8 699,10 €" in text
    assert "vous êtes redevable envers l'État de la somme de 8 699,10 €" in text
    assert "Un titre de perception de ce montant sera émis à votre encontre" in text
    assert "Pour mémoire, la lettre d'observations proposait un reversement de 11 859,35 €." in text
    decisions = table_rows(tmp_path / "courrier.docx", "Pièce (fichier, feuille, ligne)")
    assert decisions[:3] == [
        ["paie.xlsx, Paie 2024, ligne 14", "Charges de personnel", "3 100,00 €", "Admise", "3 100,00 €",
         "Bulletin de janvier 2024 produit, mal daté dans l'export"],
        ["depenses.xlsx, Mandats 2024, ligne 9", "Coûts de gestion", "700,00 €",
         "Écartée (nature non prévue au budget)", "0,00 €",
         "Déplacement sans lien avec les missions de l'article 2"],
        ["depenses.xlsx, Mandats 2024, ligne 12", "Coûts de gestion", "120,50 €",
         "Admise en partie (payé par un tiers)", "60,25 €", "Moitié de la facture acquittée par le Département"],
    ]  # fmt: skip
    # the row without a decision stays rejected, with its reason
    assert "Les autres dépenses écartées (1 dépense, pour 3 649,40 €) le restent" in text
    assert (
        "paie.xlsx, Paie 2024, ligne 3 | Charges de personnel | 3 649,40 € | 3 649,40 € | "
        "Ligne en double – répète la ligne 2 du même fichier" in text
    )
    # voies et délais de recours: two months, the court of article 13
    assert "Voies et délais de recours" in text
    assert (
        "recours contentieux devant le tribunal administratif de Rennes dans un délai de deux mois à compter "
        "de sa notification (article 13 de la convention)" in text
    )
    assert "recours gracieux" in text and "recours hiérarchique" in text
    assert "www.telerecours.fr" in text
    assert "Vos observations" not in text and "Écarts au budget" not in text


def test_definitive_without_answer_and_late_answer(tmp_path):
    res = definitive()
    res["procedure"]["response_received"] = None
    text = render(tmp_path, res, name="a.docx")
    assert "En l'absence de réponse de votre part dans le délai imparti, expiré le 13/04/2025 ;" in text
    res["procedure"]["response_received"] = "2025-04-20"
    text = render(tmp_path, res, name="b.docx")
    assert (
        "Vu votre réponse du 20/04/2025, parvenue après l'expiration du délai de réponse fixé au 13/04/2025 "
        "et néanmoins examinée ;" in text
    )
    # a definitive run without the date of the lettre d'observations shows the blank to fill
    res["procedure"] |= {"observations_sent": None, "response_deadline": None}
    text = render(tmp_path, res, name="c.docx")
    assert "Vu ma lettre d'observations du [date à compléter] ;" in text


@pytest.mark.parametrize(
    ("phase", "label", "sentence"),
    [
        ("provisoire", "Solde proposé, à verser par l'État | 1 234,56 €",
         "Un solde de 1 234,56 € resterait à vous verser à l'issue de la procédure contradictoire."),
        ("definitif", "Solde à verser par l'État | 1 234,56 €",
         "Le solde de 1 234,56 € vous sera versé selon les modalités de l'article 6 de la convention."),
    ],
)  # fmt: skip
def test_solde(tmp_path, phase, label, sentence):
    text = render(tmp_path, solde(phase))
    assert label in text
    assert sentence in text
    assert "titre de perception" not in text
    assert "reversement" not in text.split("Objet : ", 1)[1].split("\n", 1)[0]


def test_solde_nul(tmp_path):
    res = solde("definitif")
    res["settlement"] |= {"paid": 38140.65, "balance": 0.0, "outcome": "solde_nul", "amount": 0.0}
    text = render(tmp_path, res)
    assert "Subvention soldée (ni versement ni reversement) | 0,00 €" in text
    assert "la subvention est soldée, sans versement complémentaire ni reversement" in text
    assert "titre de perception" not in text


def test_articles_of_the_convention(tmp_path):
    """A convention numbering its articles otherwise: the letter quotes its own numbers."""
    own = {"eligibilite": "3", "contribution": "10", "versement": "11", "justificatifs": "12",
           "contradictoire": "15.2", "notification": "15.4", "recours": "19"}  # fmt: skip
    who = parties(articles=own)
    text = render(tmp_path, provisional(), who, name="p.docx")
    assert "conformément à l'article 15.2 de la convention" in text
    assert "(article 15.4 de la convention)" in text
    assert "Montant versé (article 11)" in text and "Subvention accordée (article 10)" in text
    assert "au regard des critères de l'article 3 de la convention" in text
    assert "au titre de son article 12" in text
    text += render(tmp_path, definitive(), who, name="d.docx")
    assert (
        "tribunal administratif de Rennes dans un délai de deux mois à compter de sa notification (article 19" in text
    )
    for default in ("article 9.1", "article 9.3", "article 13", "article 6 ", "article 7", "article 4 de"):
        assert default not in text, default
    # a partial mapping keeps the defaults for the rest
    assert parties(articles={"recours": "14"}).articles == DEFAULT_ARTICLES | {"recours": "14"}


def test_missing_fields_become_visible_blanks(tmp_path):
    who = LetterParties(beneficiary_name="Association Toit pour tous", convention_id="asso-2024")
    text = render(tmp_path, definitive(), who)
    for blank in (
        "[administration à compléter]",
        "Affaire suivie par : [service à compléter]",
        "[adresse à compléter]",
        "[qualité du signataire à compléter]",
        "devant le [tribunal administratif à compléter]",
        "À l'attention de [représentant légal à compléter]",
        "SIRET [SIRET à compléter]",
        "convention n° [numéro à compléter] – dossier asso-2024",
        "programme [programme à compléter]",
        "du [date à compléter] au [date à compléter]",
        "Le [date à compléter]",
    ):
        assert blank in text, blank
    assert "None" not in text
    assert "Association Toit pour tous" in text
    # budget lines without labels show their ids
    assert "| personnel |" in text


def test_no_staff_name_leaks(tmp_path):
    """A name in row fields, in the auditor, in a finding or quoted by a PAYEUR reason stays out."""
    for build in (provisional, definitive):
        path = tmp_path / f"{build.__name__}.docx"
        write_letter(build(), parties(), path, max_rows=100)
        with zipfile.ZipFile(path) as z:
            xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        assert "DUPONT" not in xml.upper()
    assert "Payé par un tiers – le payeur indiqué n'est pas le bénéficiaire" in read(tmp_path / "provisional.docx")


def test_text_from_inputs_is_escaped(tmp_path):
    """Ampersands and angle brackets from inputs stay text (autoescape), the document stays valid."""
    res = provisional()
    res["rows"][4]["reasons"] = ["ligne « Frais & <divers> » absente du budget"]
    text = render(tmp_path, res, parties(service="Pôle R&D <contrôle>"))
    assert "ligne « Frais & <divers> » absente du budget" in text
    assert "Affaire suivie par : Pôle R&D <contrôle>" in text


def test_from_a_loaded_convention(tmp_path):
    import yaml

    from pexaudit.convention import load_convention

    from .conftest import BASE_CONVENTION, deep_merge

    data = deep_merge(BASE_CONVENTION, {
        "administration": {"name": "Préfecture d'Ille-et-Vilaine", "service": "DDETS", "address": None,
                           "signatory": "Le Secrétaire général", "court": "tribunal administratif de Rennes"},
        "articles": {"recours": "14"},
    })  # fmt: skip
    (tmp_path / "convention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for name in ("paie.csv", "depenses.csv"):
        (tmp_path / name).touch()
    who = LetterParties.from_convention(load_convention(tmp_path))
    assert who.value("court") == "tribunal administratif de Rennes"
    assert who.value("period_end") == "31/12/2024" and who.value("period_start") == "01/01/2024"
    assert who.value("reference") == "[numéro à compléter]"
    assert who.lines("administration_address") == ["[adresse à compléter]"]
    assert who.line_label("personnel") == "Personnel" and who.line_label("hors_budget") == "Hors budget"
    assert who.articles["recours"] == "14" and who.articles["contradictoire"] == "9.1"
    assert LetterParties().value("beneficiary_name") == "[bénéficiaire à compléter]"


def test_custom_template(tmp_path):
    """An administration's own template: any .docx with tags, restyled in Word."""
    from docx import Document as New

    mine = New()
    mine.add_paragraph("Préfecture de la Somme – {{ subject }}")
    mine.add_paragraph("{{ settlement.label }} : {{ settlement.amount }}")
    mine.save(str(tmp_path / "mine.docx"))
    text = render(tmp_path, definitive(), template=tmp_path / "mine.docx")
    assert "Préfecture de la Somme – Contrôle de l'emploi de la subvention" in text
    assert "Montant à reverser à l'État : 8 699,10 €" in text


def test_unknown_tag_in_a_template_fails_loudly(tmp_path):
    from docx import Document as New

    mine = New()
    mine.add_paragraph("{{ settlment.amount }}")
    mine.save(str(tmp_path / "typo.docx"))
    with pytest.raises(Exception, match="settlment"):
        write_letter(provisional(), parties(), tmp_path / "out.docx", tmp_path / "typo.docx")
    assert not (tmp_path / "out.docx").exists()
    assert not list(tmp_path.glob(".courrier-*"))


def test_results_are_not_modified(tmp_path):
    res = definitive()
    before = copy.deepcopy(res)
    render(tmp_path, res)
    assert res == before


@pytest.mark.slow
@pytest.mark.parametrize("build", [provisional, definitive])
def test_letter_converts_to_pdf(tmp_path, build):
    """LibreOffice Writer (headless) opens the letter and prints it to PDF."""
    soffice = shutil.which("soffice")
    if not soffice:
        pytest.skip("LibreOffice is not installed (make apps installs it)")
    path = tmp_path / "courrier.docx"
    write_letter(build(), parties(), path)
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "courrier.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")


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
    from pexaudit.audit import audit, results

    from .conftest import ROOT

    a = audit(ROOT / "tests" / "cases" / "flat-rate", checker)
    write_letter(results(a, only_rejected=True), LetterParties.from_convention(a.convention), tmp_path / "c.docx")
    cells = [
        [c.text.replace("\u00a0", " ") for c in r.cells] for t in Document(tmp_path / "c.docx").tables for r in t.rows
    ]
    # the results' declared 15 432,00 € includes the computed flat amount of 852,00 €
    assert ["Dépenses déclarées", "14 580,00 €"] in cells
    assert ["Forfait de gestion (calculé sur le personnel retenu)", "852,00 €"] in cells
    assert ["Dépenses retenues (forfait compris)", "11 502,00 €"] in cells
