"""Build the default Word template of the letter, pexaudit/templates/courrier.docx, from scratch.

Run by a developer after changing the wording (``python scripts/make_letter_template.py``);
the audit only reads the result. The template is an ordinary Word document holding Jinja tags
(docxtpl syntax), so an administration can open it in Word or LibreOffice, put in its own
letterhead and wording, and point pexaudit at its copy:

- ``{{ name }}`` prints a value (already in French format: ``1 234,56 €``, ``31/12/2024``);
- ``{%p if cond %}`` ... ``{%p endif %}``, each alone in its paragraph, keep or drop the
  paragraphs (and tables) between them; ``{% if %}`` inside a sentence works too;
- ``{%tr for r in rows %}`` ... ``{%tr endfor %}``, alone in their table rows, repeat the row
  between them for each item.

The values available are those of :func:`pexaudit.render.letter.letter_context`.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "pexaudit" / "templates" / "courrier.docx"
FONT = "Arial"
NBSP = "\u00a0"
GREY = RGBColor(0x59, 0x59, 0x59)
RIGHT_BLOCK = Cm(9)  # addressee, date and signature sit right of this indent


def _styles(doc) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10.5)
    # East-Asian and complex-script fonts too, or Word falls back to the theme font.
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1

    def add(name: str, *, size=None, bold=False, italic=False, caps=False, color=None, **paragraph):
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.quick_style = True
        font = style.font
        font.bold, font.italic, font.all_caps = bold or None, italic or None, caps or None
        if size:
            font.size = Pt(size)
        if color is not None:
            font.color.rgb = color
        fmt = style.paragraph_format
        for key, value in paragraph.items():
            setattr(fmt, key, value)
        return style

    add("Corps", alignment=WD_ALIGN_PARAGRAPH.JUSTIFY)
    add("Expéditeur", size=9, space_after=Pt(0))
    add("Expéditeur titre", size=11, bold=True, space_after=Pt(2))
    add("Destinataire", left_indent=RIGHT_BLOCK, space_after=Pt(0))
    add("Date", left_indent=RIGHT_BLOCK, space_before=Pt(18), space_after=Pt(18))
    add("Références", size=9, space_after=Pt(1))
    add("Titre du courrier", size=12, bold=True, caps=True, alignment=WD_ALIGN_PARAGRAPH.CENTER,
        space_before=Pt(18), space_after=Pt(12))  # fmt: skip
    add("Intertitre", size=11, bold=True, space_before=Pt(12), space_after=Pt(4), keep_with_next=True)
    add("Explication", italic=True, left_indent=Cm(0.8), alignment=WD_ALIGN_PARAGRAPH.JUSTIFY)
    add("Tableau", size=9, space_after=Pt(0), line_spacing=1.0)
    add("Tableau montant", size=9, space_after=Pt(0), line_spacing=1.0, alignment=WD_ALIGN_PARAGRAPH.RIGHT)
    add("Tableau en-tête", size=9, bold=True, space_after=Pt(0), line_spacing=1.0, keep_with_next=True)
    add("Signature", left_indent=RIGHT_BLOCK, space_before=Pt(18), space_after=Pt(60), keep_with_next=True)
    add("Pied de page", size=8, color=GREY, alignment=WD_ALIGN_PARAGRAPH.CENTER, space_after=Pt(0))


def _page(doc) -> None:
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.2), Cm(2.2)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2)
    section.header_distance, section.footer_distance = Cm(1.0), Cm(1.0)


def _para(container, *runs, style: str = "Corps"):
    """A paragraph of runs: plain strings, or (text, "b"/"i") pairs for bold / italic."""
    paragraph = container.add_paragraph(style=style)
    for run in runs:
        text, fmt = (run, "") if isinstance(run, str) else run
        r = paragraph.add_run(text)
        r.bold = "b" in fmt or None
        r.italic = "i" in fmt or None
    return paragraph


def _tag(container, tag: str):
    """A paragraph holding only a docxtpl paragraph tag (it disappears when rendered)."""
    return container.add_paragraph(tag, style="Corps")


def _field(paragraph, code: str) -> None:
    """A Word field (PAGE, NUMPAGES) in its own runs."""
    for kind, text in (("begin", None), ("instr", f" {code} "), ("separate", None), ("text", "1"), ("end", None)):
        run = paragraph.add_run()
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind == "text":
            run.text = text
        else:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)


def _shade(cell, fill: str) -> None:
    props = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    props.append(shading)


def _row_flag(row, flag: str) -> None:
    """``w:tblHeader`` (repeat the row on each page) or ``w:cantSplit`` (keep the row on one page)."""
    props = row._tr.get_or_add_trPr()
    element = OxmlElement(f"w:{flag}")
    element.set(qn("w:val"), "true")
    props.append(element)


def _keep(paragraph):
    """Keep a paragraph on the page of what follows (an intro with its table)."""
    paragraph.paragraph_format.keep_with_next = True
    return paragraph


def _table(doc, columns: list[tuple[str, float, bool]], loop: str | None, cells: list[str]):
    """A bordered table: a shaded header row (repeated on each page), then either a docxtpl row
    loop (``loop`` is the ``for`` clause; ``cells`` the values of the repeated row) or one
    plain row of ``cells``. ``columns``: (heading, width in cm, right-aligned)."""
    rows = 1 + (3 if loop else 1)
    table = doc.add_table(rows=rows, cols=len(columns))
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for index, (heading, width, _) in enumerate(columns):
        table.columns[index].width = Cm(width)
        for row in table.rows:
            row.cells[index].width = Cm(width)
        head = table.rows[0].cells[index]
        head.paragraphs[0].style = doc.styles["Tableau en-tête"]
        head.paragraphs[0].add_run(heading)
        _shade(head, "E7E6E6")
    _row_flag(table.rows[0], "tblHeader")
    body = table.rows[2] if loop else table.rows[1]
    _row_flag(body, "cantSplit")
    for index, (_, _, right) in enumerate(columns):
        paragraph = body.cells[index].paragraphs[0]
        paragraph.style = doc.styles["Tableau montant" if right else "Tableau"]
        paragraph.add_run(cells[index])
    if loop:
        table.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for {loop} %}}")
        table.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    return table


def _header_footer(doc) -> None:
    section = doc.sections[0]
    # The letterhead, on the first page only: replace these lines with the administration's own
    # (logo, bloc-marque). The footer is the same on every page.
    section.different_first_page_header_footer = True
    header = section.first_page_header
    first = header.paragraphs[0]
    first.style = doc.styles["Expéditeur titre"]
    first.add_run("{{ administration.name }}")
    _para(header, "{{ administration.service }}", style="Expéditeur")
    _tag(header, "{%p for line in administration.address_lines %}")
    _para(header, "{{ line }}", style="Expéditeur")
    _tag(header, "{%p endfor %}")

    for part in (section.first_page_footer, section.footer):
        footer = part.paragraphs[0]
        footer.style = doc.styles["Pied de page"]
        footer.add_run("{{ administration.name }} – convention n° {{ convention.reference }} – page ")
        _field(footer, "PAGE")
        footer.add_run(" / ")
        _field(footer, "NUMPAGES")


def _addressee(doc) -> None:
    _para(doc, ("{{ beneficiary.name }}", "b"), style="Destinataire")
    _para(doc, "À l'attention {{ beneficiary.attention }}", style="Destinataire")
    _tag(doc, "{%p for line in beneficiary.address_lines %}")
    _para(doc, "{{ line }}", style="Destinataire")
    _tag(doc, "{%p endfor %}")
    _para(doc, "{{ date_line }}", style="Date")
    for label, value in (
        ("Affaire suivie par : ", "{{ administration.service }}"),
        ("Référence : ", "convention n° {{ convention.reference }} – dossier {{ convention.id }}"),
        ("Bénéficiaire : ", "{{ beneficiary.name }} – SIRET {{ beneficiary.siret }}"),
        ("Objet : ", "{{ subject }}"),
        ("Envoi : ", "lettre recommandée avec accusé de réception"),
    ):
        _para(doc, (label, "b"), value, style="Références")
    _para(
        doc,
        "{% if provisoire %}Lettre d'observations{% else %}Notification du solde définitif{% endif %}",
        style="Titre du courrier",
    )


def _preamble(doc) -> None:
    _para(
        doc,
        f"Vu la convention n° {{{{ convention.reference }}}} «{NBSP}{{{{ convention.title }}}}{NBSP}»"
        "{% if convention.signed %} {{ convention.signed }}{% endif %}, au titre du programme "
        "{{ convention.programme }}, pour la période du {{ convention.start }} au {{ convention.end }} ;",
    )
    _tag(doc, "{%p if definitif %}")
    _para(doc, "Vu ma lettre d'observations du {{ procedure.observations_sent }} ;")
    _tag(doc, "{%p if procedure.answered %}")
    _para(
        doc,
        "Vu votre réponse du {{ procedure.response_received }}{% if procedure.late %}, parvenue après "
        "l'expiration du délai de réponse fixé au {{ procedure.deadline }} et néanmoins examinée{% endif %} ;",
    )
    _tag(doc, "{%p else %}")
    _para(
        doc,
        "En l'absence de réponse de votre part dans le délai imparti"
        "{% if procedure.deadline_known %}, expiré le {{ procedure.deadline }}{% endif %} ;",
    )
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endif %}")
    _para(doc, "Madame, Monsieur,")
    _tag(doc, "{%p if provisoire %}")
    _para(
        doc,
        "J'ai fait procéder au contrôle de l'emploi de la subvention attribuée par la convention citée en "
        "référence, au vu du bilan financier transmis au titre de son article {{ art.justificatifs }}. Ce "
        "contrôle vérifie que les dépenses déclarées répondent aux critères d'éligibilité de l'article "
        "{{ art.eligibilite }} et détermine, en application des articles {{ art.contribution }} et "
        "{{ art.versement }}, le montant de la subvention effectivement justifié.",
    )
    _para(
        doc,
        "Ses conclusions sont provisoires. Conformément à l'article {{ art.contradictoire }} de la "
        "convention, aucun reversement ni aucune diminution de la subvention ne peut être décidé avant "
        "examen des justificatifs que vous présenterez et sans avoir entendu vos représentants : je vous "
        "communique donc ces résultats afin de recueillir vos observations.",
    )
    _tag(doc, "{%p else %}")
    _para(
        doc,
        "J'ai l'honneur de vous notifier, en application de l'article {{ art.notification }} de la "
        "convention, le solde définitif de la subvention attribuée. Conformément à l'article "
        "{{ art.contradictoire }}, il est arrêté après examen des justificatifs présentés et des "
        "observations recueillies au cours de la procédure contradictoire.",
    )
    _tag(doc, "{%p endif %}")


def _settlement(doc) -> None:
    _para(
        doc,
        "{% if provisoire %}Règlement proposé{% elif blocked %}Règlement calculé, non arrêté{% else %}Règlement définitif{% endif %}",
        style="Intertitre",
    )
    columns = [("Élément", 12.0, False), ("Montant", 4.5, True)]
    table = _table(doc, columns, "f in figures", ["{{ f.label }}", "{{ f.value }}"])
    # The result closes the table, in bold and shaded.
    last = table.add_row()
    for index, text in enumerate(("{{ settlement.label }}", "{{ settlement.amount }}")):
        cell = last.cells[index]
        cell.width = Cm((12.0, 4.5)[index])
        paragraph = cell.paragraphs[0]
        paragraph.style = doc.styles["Tableau montant" if index else "Tableau"]
        paragraph.add_run(text).bold = True
        _shade(cell, "E7E6E6")
    _para(doc, "")
    _tag(doc, "{%p if previous %}")
    _para(doc, "Pour mémoire, {{ previous.text }}.")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p if provisoire %}")
    _tag(doc, "{%p if reversement %}")
    _para(
        doc,
        "Le montant justifié étant inférieur aux sommes versées, un reversement de {{ settlement.amount }} est "
        "proposé (article {{ art.contribution }} de la convention). S'il était confirmé à l'issue de la "
        "procédure contradictoire, un titre de perception de ce montant serait émis à votre encontre.",
    )
    _tag(doc, "{%p elif solde %}")
    _para(
        doc,
        "Le montant justifié dépasse les sommes versées de {{ settlement.amount }} : ce montant est proposé ; il "
        "ne pourra être arrêté qu'à l'issue de la procédure contradictoire{% if blocked %} et après examen des "
        "points ci-dessous{% endif %}.",
    )
    _tag(doc, "{%p else %}")
    _para(
        doc,
        "Les sommes versées correspondent au montant justifié : ni versement complémentaire ni reversement "
        "n'est proposé.",
    )
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p elif blocked %}")
    _para(
        doc,
        "Le solde de la subvention ne peut pas encore être arrêté : les points ci-dessous doivent d'abord être "
        "examinés. Aucun versement ni aucun reversement n'est décidé par le présent courrier ; le montant "
        "figurant ci-dessus n'est qu'un calcul, qui sera revu au vu de vos réponses.",
    )
    _tag(doc, "{%p else %}")
    _tag(doc, "{%p if reversement %}")
    _para(
        doc,
        "Le montant justifié étant inférieur aux sommes versées, vous êtes redevable envers l'État de la somme "
        "de {{ settlement.amount }}, dont le reversement est ordonné en application des articles "
        "{{ art.contribution }} et {{ art.contradictoire }} de la convention. Un titre de perception de ce "
        "montant sera émis à votre encontre ; il vous sera adressé par le comptable public chargé de son "
        "recouvrement, auprès duquel le paiement devra être effectué.",
    )
    _tag(doc, "{%p elif solde %}")
    _para(
        doc,
        "Le solde de {{ settlement.amount }} vous sera versé selon les modalités de l'article "
        "{{ art.versement }} de la convention.",
    )
    _tag(doc, "{%p else %}")
    _para(
        doc,
        "Les sommes versées correspondent au montant justifié : la subvention est soldée, sans versement "
        "complémentaire ni reversement.",
    )
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endif %}")


ROW_COLUMNS = [("Dépense", 7.0, False), ("Ligne budgétaire", 3.1, False), ("Montant déclaré", 2.2, True),
               ("Montant écarté", 2.2, True), ("{% if provisoire %}Enjeu sur le solde{% else %}Décision{% endif %}", 2.0, True)]  # fmt: skip
ROW_CELLS = ["{{ r.name }} ({{ r.where }}){% if r.note %} – {{ r.note }}{% endif %}", "{{ r.line }}", "{{ r.amount }}",
             "{{ r.rejected }}", "{% if provisoire %}{{ r.impact }}{% else %}{{ r.decision }}{% endif %}"]  # fmt: skip


def _groups(doc) -> None:
    """Every rejected row, grouped by rule: the rule's sentence in the beneficiary's words, then
    its rows (named by piece, supplier, date and amount; pay rows by matricule and month)."""
    _tag(doc, "{%p for g in rejected.groups %}")
    _keep(_para(doc, ("{{ g.label }}", "b"), " – {{ g.count_label }}, {{ g.total }} : {{ g.sentence }}."))
    _table(doc, ROW_COLUMNS, "r in g.rows", ROW_CELLS)
    _tag(doc, "{%p if g.more %}")
    _para(doc, "… et {{ g.more }} autre(s) dépense(s) de ce motif, listées dans le classeur joint.")
    _tag(doc, "{%p endif %}")
    _para(doc, "")
    _tag(doc, "{%p endfor %}")


def _rejected_rows(doc) -> None:
    _para(doc, "Dépenses écartées", style="Intertitre")
    _tag(doc, "{%p if rejected.count %}")
    _para(
        doc,
        "{{ rejected.count_label }} {% if provisoire %}sont proposées au rejet{% else %}restent écartées{% endif %}, "
        "pour un montant total de {{ rejected.total }}, au regard des critères de l'article {{ art.eligibilite }} "
        "de la convention{% if provisoire %} ; l'enjeu indique de combien le solde évoluerait en votre faveur si la "
        "dépense était admise{% if rejected.stake_known %}, et celui de l'ensemble de ces dépenses est de "
        "{{ rejected.stake }}{% endif %}{% endif %}.",
    )
    _tag(doc, "{%p if rejected.inline %}")
    _groups(doc)
    _tag(doc, "{%p else %}")
    _keep(
        _para(doc, "Elles sont récapitulées ci-dessous par motif et listées une à une en annexe du présent courrier.")
    )
    _table(
        doc,
        [("Motif", 10.5, False), ("Dépenses", 2.5, True), ("Montant écarté", 3.5, True)],
        "g in rejected.groups",
        ["{{ g.label }} : {{ g.sentence }}", "{{ g.count_label }}", "{{ g.total }}"],
    )
    _para(doc, "")
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p else %}")
    _para(doc, "Aucune dépense déclarée n'a été écartée.")
    _tag(doc, "{%p endif %}")


def _points(doc) -> None:
    _tag(doc, "{%p if points %}")
    _para(doc, "Points à examiner", style="Intertitre")
    _keep(
        _para(
            doc,
            "{% if provisoire %}Les points suivants appellent vos explications ou vos justificatifs{% else %}Les points "
            "suivants restent à examiner{% endif %} :",
        )
    )
    _tag(doc, "{%p for p in points %}")
    _para(doc, ("{{ p.label }}", "b"), " : {{ p.text }}")
    _tag(doc, "{%p for d in p.details %}")
    _para(doc, "{{ d }}", style="Explication")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")


def _provisional(doc) -> None:
    _tag(doc, "{%p if provisoire %}")
    _rejected_rows(doc)
    _points(doc)
    _tag(doc, "{%p if gaps %}")
    _para(doc, "Écarts au budget prévisionnel à expliquer", style="Intertitre")
    _para(
        doc,
        "Le bilan financier prévu à l'article {{ art.justificatifs }} doit expliquer les écarts significatifs "
        "entre le budget prévisionnel et sa réalisation. Les lignes suivantes présentent un tel écart ; je "
        "vous remercie de compléter ou de corriger l'explication proposée pour chacune.",
    )
    _tag(doc, "{%p for g in gaps %}")
    _para(
        doc,
        ("{{ g.label }}", "b"),
        " : budget {{ g.budget }}, dépenses déclarées {{ g.declared }}, dépenses retenues {{ g.eligible }}, "
        "écart {{ g.variance }} ({{ g.variance_pct }}).",
    )
    _para(doc, "{{ g.source_label }} : {{ g.explanation }}", style="Explication")
    _tag(doc, "{%p endfor %}")
    _tag(doc, "{%p endif %}")

    _para(doc, "Vos observations", style="Intertitre")
    _para(
        doc,
        "Je vous invite à me faire part de vos observations, accompagnées de tout justificatif utile "
        "(factures, bulletins de paie, preuves de paiement, explication des écarts), dans un délai de "
        "{{ procedure.response_days_label }}{% if procedure.deadline_known %}, soit au plus tard le "
        "{{ procedure.deadline }}{% else %} à compter de la réception du présent courrier{% endif %}. Vos "
        "représentants peuvent également demander à être entendus, conformément à l'article "
        "{{ art.contradictoire }} de la convention.",
    )
    _para(
        doc,
        "Au terme de ce délai et au vu de vos observations, je vous notifierai le solde définitif par lettre "
        "recommandée avec accusé de réception (article {{ art.notification }} de la convention). En "
        "l'absence de réponse, le règlement proposé ci-dessus deviendra définitif{% if blocked %}, une fois "
        "examinés les points ci-dessus{% endif %}.",
    )
    _tag(doc, "{%p endif %}")


def _definitive(doc) -> None:
    _tag(doc, "{%p if definitif %}")
    _tag(doc, "{%p if decisions %}")
    _para(doc, "Décisions prises au vu de vos observations", style="Intertitre")
    _keep(_para(doc, "Au vu des justificatifs et des observations présentés, les décisions suivantes ont été prises :"))
    _table(
        doc,
        [("{{ decisions_heading }}", 5.4, False), ("Décision", 2.6, False), ("Montant déclaré", 2.2, True),
         ("Montant retenu", 2.2, True), ("Motif", 4.1, False)],
        "r in decisions",
        ["{{ r.name }} ({{ r.where }})", "{{ r.decision }}", "{{ r.amount }}", "{{ r.retained }}", "{{ r.motive }}"],
    )  # fmt: skip
    _para(doc, "")
    _tag(doc, "{%p endif %}")
    _rejected_rows(doc)
    _points(doc)
    _tag(doc, "{%p if notify %}")
    _para(doc, "Voies et délais de recours", style="Intertitre")
    _para(
        doc,
        "La présente décision peut faire l'objet d'un recours contentieux devant le {{ administration.court }} "
        "dans un délai de deux mois à compter de sa notification (article {{ art.recours }} de la convention). "
        "Le tribunal peut être saisi par l'application Télérecours, accessible sur le site www.telerecours.fr.",
    )
    _para(
        doc,
        "Dans le même délai, vous pouvez former un recours gracieux auprès de l'auteur de la décision ou un "
        "recours hiérarchique auprès du ministre compétent. Ce recours administratif prolonge le délai de "
        "recours contentieux, qui ne court qu'à compter de la réponse de l'administration ; le silence gardé "
        "pendant deux mois vaut décision implicite de rejet.",
    )
    _tag(doc, "{%p else %}")
    _para(
        doc,
        "Je vous remercie de me faire parvenir vos explications et justificatifs sur ces points ; le solde "
        "définitif vous sera notifié après leur examen (article {{ art.notification }} de la convention).",
    )
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endif %}")


def _closing(doc) -> None:
    _para(
        doc,
        "Mes services ({{ administration.service }}) se tiennent à votre disposition pour tout renseignement "
        "complémentaire.",
    )
    _keep(_para(doc, "Je vous prie d'agréer, Madame, Monsieur, l'expression de ma considération distinguée."))
    _para(doc, "{{ administration.signatory }}", style="Signature")
    _para(
        doc,
        ("Pièces jointes : ", "b"),
        "{{ report_kind }} ({{ enclosure }}) ; bilan financier et dépenses écartées ({{ rejected.workbook }}, "
        "feuille «{NBSP}{{ rejected.sheet }}{NBSP}»).".replace("{NBSP}", NBSP),
        style="Références",
    )


def _annex(doc) -> None:
    """More than INLINE_ROWS rejected rows: every one of them (up to ANNEX_LIMIT), by rule."""
    _tag(doc, "{%p if rejected.annex %}")
    paragraph = _para(doc, "Annexe – dépenses écartées", style="Intertitre")
    paragraph.paragraph_format.page_break_before = True
    _para(
        doc,
        "{{ rejected.count_label }}, {{ rejected.total }} au total, par motif. Chaque dépense est désignée par sa "
        "pièce, son fournisseur, sa date et son montant (les salaires par matricule et mois), puis par le fichier "
        "transmis qui la contient.",
    )
    _groups(doc)
    _tag(doc, "{%p if rejected.beyond %}")
    _para(
        doc,
        "Au-delà, {{ rejected.beyond_label }} pour {{ rejected.beyond_total }} : toutes figurent dans la feuille "
        "«{NBSP}{{ rejected.sheet }}{NBSP}» du classeur {{ rejected.workbook }} joint.".replace("{NBSP}", NBSP),
    )
    _tag(doc, "{%p endif %}")
    _tag(doc, "{%p endif %}")


def build(path: Path = OUT) -> Path:
    doc = Document()
    _styles(doc)
    _page(doc)
    _header_footer(doc)
    _addressee(doc)
    _preamble(doc)
    _settlement(doc)
    _provisional(doc)
    _definitive(doc)
    _closing(doc)
    _annex(doc)
    props = doc.core_properties
    props.title = "Courrier de contrôle de subvention"
    props.author = props.last_modified_by = "pexaudit"
    props.created = props.modified = dt.datetime(2025, 1, 1)
    props.revision = 1
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
