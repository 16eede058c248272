"""Command line: ``pexaudit demo | audit | check | batch``.

Thin: parses arguments, calls :mod:`pexaudit.run`, prints a French summary. Exit codes
(SPEC section 8): 0 done whatever the verdict, 2 bad input, 1 internal error.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import traceback
from pathlib import Path

import click

from . import __version__
from .errors import InputError
from .fmt import eur, pct
from .money import euros_to_cents as _cents
from .vocabulary import OUTCOMES, VERDICTS


def summary(results: dict, folder: Path | None = None) -> str:
    """The French summary printed after an audit, read from results.json."""
    from .core.audit import decisions_applied, split_rejected

    s, t = results["settlement"], results["totals"]
    severities = [f["severity"] for f in results["findings"]]
    parts = split_rejected({r: _cents(v) for r, v in line["rejected"].items()} for line in results["lines"])
    others = "".join(
        f" ; {label} : {eur(parts[key])}"
        for key, label in (("unallocated", "hors quotité affectée"), ("forfait", "remplacées par le forfait"))
        if parts[key]
    )
    lines = [
        f"Convention {results['convention_id']}",
        f"  Subvention accordée : {eur(_cents(s['granted']))} ; versée : {eur(_cents(s['paid']))}",
        f"  Dépenses déclarées : {eur(_cents(t['declared']))} ; éligibles : {eur(_cents(t['eligible']))} ; "
        f"rejetées : {eur(parts['rejected'])}{others}",
        f"  Montant justifié : {eur(_cents(s['justified']))} (taux de financement {pct(s['funding_rate'] * 100)})",
        f"  {OUTCOMES[s['outcome']]} : {eur(_cents(s['amount']))}",
        f"  Verdict : {VERDICTS[results['verdict']]} ({severities.count('error')} constat(s) bloquant(s), "
        f"{severities.count('warning')} alerte(s), {severities.count('info')} information(s))",
    ]
    decided = decisions_applied(results)
    procedure = results.get("procedure") or {}
    if procedure.get("phase") == "definitif":
        lines.insert(1, f"  Phase définitive : {decided} décision(s) du contrôleur appliquée(s)")
    else:
        applied = f", {decided} décision(s) déjà appliquée(s)" if decided else ""
        lines.insert(1, f"  Phase provisoire : montants proposés, à soumettre au bénéficiaire{applied}")
    if folder is not None:
        lines.append(f"  Rapport : {folder / 'rapport.html'}")
        if (folder / "rapport.pdf").is_file():  # --pdf: the report as sent with the letter
            lines.append(f"  Rapport PDF : {folder / 'rapport.pdf'}")
        lines.append(f"  Classeur : {folder / 'bilan_financier.xlsx'}")
        lines.append(f"  Courrier : {folder / 'courrier.docx'}")
    return "\n".join(lines)


def _fail(exc: BaseException) -> None:
    if isinstance(exc, InputError):
        click.echo(f"Erreur dans les données : {exc.message}", err=True)
        sys.exit(2)
    if isinstance(exc, KeyboardInterrupt):
        click.echo("Interrompu : aucun rapport n'a été écrit pour la convention en cours.", err=True)
        sys.exit(130)
    click.echo(f"Erreur interne : {type(exc).__name__}: {exc}", err=True)
    if os.environ.get("PEXAUDIT_DEBUG"):
        traceback.print_exc()
    sys.exit(1)


def _notes(convention) -> None:
    for note in convention.notes:
        click.echo(f"Avertissement : {note}", err=True)


def _audit_and_print(convention: Path, out: Path, pdf: bool, previous: Path | None = None) -> None:
    from .run.execute import run_audit

    started = time.perf_counter()
    click.echo(f"Audit de {convention} …", err=True)
    try:
        run = run_audit(convention, out, pdf=pdf, previous=previous)
    except BaseException as exc:
        _fail(exc)
    _notes(run.convention)
    results = json.loads(run.results_path.read_text(encoding="utf-8"))
    click.echo(summary(results, run.folder))
    click.echo(f"  Durée : {time.perf_counter() - started:.1f} s".replace(".", ","), err=True)


_USAGE = [
    (r"Missing option '(.+?)'\.?", r"option obligatoire absente : \1"),
    (r"Missing argument '(.+?)'\.?", r"argument obligatoire absent : \1"),
    (r"No such option:? '?(.+?)'?\.?(?: Did you mean '?(.+?)'?\?)?", r"option inconnue : \1"),
    (r"No such command '(.+?)'\.?(?: Did you mean '?(.+?)'?\?)?", r"commande inconnue « \1 »"),
    (r"Got unexpected extra arguments? \((.+?)\)", r"argument en trop : \1"),
    (r"Invalid value for '(.+?)': (.+?) is not in the range (.+?)\.", r"valeur invalide pour \1 : \2 hors de \3"),
    (r"Invalid value for '(.+?)': (.+)", r"valeur invalide pour \1 : \2"),
]


class _FrenchGroup(click.Group):
    """Click's usage errors in French, exit code 2, with where to find help."""

    def main(self, *args, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            return super().main(*args, **kwargs)
        except click.UsageError as exc:
            message = exc.format_message()
            for pattern, french in _USAGE:
                if found := re.fullmatch(pattern, message.strip(), flags=re.S):
                    message = found.expand(french)
                    break
            suggested = re.search(r"Did you mean '?([^'?]+)'?\?", exc.format_message())
            if suggested:
                message += f" ; vouliez-vous écrire « {suggested.group(1)} » ?"
            command = exc.ctx.command_path if exc.ctx else "pexaudit"
            click.echo(f"Erreur d'utilisation : {message}\nAide : {command} --help", err=True)
            sys.exit(2)
        except click.exceptions.Abort:
            click.echo("Interrompu.", err=True)
            sys.exit(130)


_HELP = {"help_option_names": ["-h", "--help"]}
_HELP_OPTION = click.help_option("-h", "--help", help="Affiche cette aide et quitte.")


@click.group(cls=_FrenchGroup, context_settings=_HELP)
@_HELP_OPTION
@click.version_option(__version__, prog_name="pexaudit", help="Affiche la version et quitte.")
def main() -> None:
    """pexaudit : contrôle du compte rendu financier des conventions de subvention de l'État.

    Exemple : pexaudit audit data/conventions/cd35-2024 --out reports
    """


def _out(help_text: str, **kwargs):
    """The ``--out`` folder option, shared by demo, audit and batch."""
    return click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), help=help_text, **kwargs)


_PDF = click.option("--pdf", is_flag=True, help="Exporte aussi rapport.pdf (Chromium sans interface).")


@main.command()
@_HELP_OPTION
@_out("Dossier des rapports.", default=Path("reports"), show_default=True)
@_PDF
def demo(out: Path, pdf: bool) -> None:
    """Audite la convention d'exemple (CD 35, 2024) dans reports/ et affiche la synthèse.

    Exemple : pexaudit demo
    """
    from .assets import sample

    _audit_and_print(sample(), out, pdf)


@main.command()
@_HELP_OPTION
@click.argument("convention", type=click.Path(path_type=Path))
@_out(
    "Dossier où écrire OUT/<id>/ (results.json, rapport.html, bilan_financier.xlsx, courrier.docx, audit.ipynb) ; obligatoire.",
    required=True,
)
@_PDF
@click.option(
    "--previous",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="results.json d'un contrôle antérieur de la même convention (la phase provisoire) : repris dans "
    "« previous » et dans la lettre.",
)
def audit(convention: Path, out: Path, pdf: bool, previous: Path | None) -> None:
    """Audite une convention par le carnet notebooks/audit.ipynb (papermill). Les décisions du
    contrôleur (decisions.yaml ou decisions.xlsx du dossier) sont appliquées.

    Exemple : pexaudit audit conventions/dd33-2025 --out rapports/definitif --previous rapports/provisoire/dd33-2025-pex/results.json
    """
    _audit_and_print(convention, out, pdf, previous)


@main.command()
@_HELP_OPTION
@click.argument("convention", type=click.Path(path_type=Path))
def check(convention: Path) -> None:
    """Vérifie convention.yaml et les fichiers d'entrée, sans rapport : pour chaque fichier, la
    ligne d'en-tête trouvée, les colonnes reconnues et ignorées, les lignes de total écartées et
    les premières valeurs illisibles avec leur ligne.

    Exemple : pexaudit check data/conventions/cd35-2024
    """
    try:
        from .core.activity import check_summary, decided_unmatched, unmatched_missions
        from .core.audit import read_inputs

        read: dict = {}

        def seen(what: str, value) -> None:
            """Print each piece as it is read: what was read before an error is shown."""
            read[what] = value
            if what == "convention":
                click.echo(describe_convention(value))
                for reading in value.readings:
                    click.echo(f"Lecture : {reading}")
                _notes(value)
            elif what in ("payroll", "expenses") and value is not None:
                click.echo(describe_table(value))
                if what == "expenses" and (notes := _expense_notes(read["convention"], value)):
                    click.echo(notes)
            elif what == "activity":
                conv = read["convention"]
                click.echo(check_summary(conv, value) if value is None else describe_table(value))
                if value is not None:
                    for line in unmatched_missions(conv, value):
                        click.echo(f"  {line}")
            elif what == "decisions":
                if decided := describe_decisions(value):
                    click.echo(decided)
                    activity = read.get("activity")
                    if note := decided_unmatched(read["convention"], activity, value.bound.activity,
                                                 value.decisions.path.name):  # fmt: skip
                        click.echo(f"  {note}")
                if foreseen := describe_foreseen(value):
                    click.echo(foreseen)

        read_inputs(convention, seen=seen)
    except BaseException as exc:
        _fail(exc)
    click.echo("Données lisibles : l'audit peut être lancé.")


def describe_decisions(inputs) -> str | None:
    """What ``check`` says of the decisions file: its phase and counts, once every decision is checked."""
    decisions, bound = inputs.decisions, inputs.bound
    if decisions.path is None:
        return None
    counts = {kind: sum(d.decision == kind for d in bound.rows.values()) for kind in ("accept", "reject", "partial")}
    phase = {"provisoire": "provisoire", "definitif": "définitive"}[decisions.procedure.phase]
    actions = ""
    if bound.activity:  # refs, words and missions checked; whether an accepted action is hors mission needs GX
        accepted = sum(d.decision == "accept" for d in bound.activity.values())
        actions = (
            f", {len(bound.activity)} décision(s) sur le compte rendu d'activité (admises {accepted}, écartées "
            f"{len(bound.activity) - accepted} ; qu'une action admise soit hors mission se vérifie à l'audit)"
        )
    return (
        f"{decisions.path.name} : phase {phase}, {len(bound.rows)} décision(s) (acceptées {counts['accept']}, "
        f"rejetées {counts['reject']}, partielles {counts['partial']}), {len(bound.explanations)} explication(s) "
        f"de ligne{actions}"
    )


def describe_foreseen(inputs) -> str | None:
    """The findings the audit will state whatever the rules find (no GX needed): identity,
    deadlines, DDETS, payments, PAIEMENT_NON_CONTROLE, MATRICULE, TOTAL, and for a FEC
    HORS_CORRESPONDANCE, PAIE_COMPTA and SUBVENTION_COMPTA."""
    from .core.preview import foreseen
    from .vocabulary import SEVERITIES

    found = foreseen(inputs.convention, inputs.tables)
    if not found:
        return None
    lines = [f"L'audit signalera déjà, avant les règles d'éligibilité ({len(found)} constat(s)) :"]
    lines += [f"  {SEVERITIES[f.severity]} {f.rule} : {f.message}" for f in found]
    return "\n".join(lines)


def describe_convention(conv) -> str:
    """The figures read from convention.yaml, so that a slip in an amount shows at once."""
    from .fmt import date_fr

    payments = " ; ".join(f"{eur(p.amount)} le {date_fr(p.date)}" for p in conv.payments) or "aucun"
    kinds = {"personnel": "personnel", "management": "gestion", "direct": "direct"}
    budget = ", ".join(f"{b.line} {eur(b.amount)} ({kinds[b.kind]})" for b in conv.budget)
    staff = ", ".join(f"{s.role or 'agent'} à {pct(s.allocation * 100, 0)}" for s in conv.staff) or "aucun"
    mode = conv.management_costs
    management = (
        f"forfait de {pct(mode.rate * 100)}"
        if mode.mode == "flat_rate"
        else (f"coûts réels plafonnés à {pct(mode.cap_rate * 100)}" if mode.cap_rate else "coûts réels sans plafond")
    )
    if mode.base == "direct":
        management += " du personnel et des coûts directs"
    lines = [
        f"convention.yaml : {conv.id}, période du {date_fr(conv.period_start)} au {date_fr(conv.period_end)}",
        f"  subvention accordée {eur(conv.subsidy_amount)} ; versements : {payments}",
        f"  budget : {budget} (total {eur(conv.budget_total)}) ; gestion : {management}",
        f"  personnel : {staff}",
    ]
    if conv.other_funding:
        funders = " ; ".join(f"{f.funder} {eur(f.amount)}" for f in conv.other_funding)
        lines.append(f"  autres financeurs : {funders} (non-surfinancement)")
    if conv.line_overrun_pct is not None:
        lines.append(f"  fongibilité : chaque ligne au plus budget + {pct(conv.line_overrun_pct)} (DEPASSEMENT)")
    for e in conv.excluded:
        what = [f"comptes {', '.join(e.accounts)}"] if e.accounts else []
        if e.label_contains:
            what.append("libellés contenant " + ", ".join(f"« {w} »" for w in e.label_contains))
        lines.append(f"  exclu ({e.motive}) : {' ; '.join(what)}")
    return "\n".join(lines)


def _expense_notes(conv, table) -> str | None:
    """What the rules will not apply, and rows going to hors_budget, said before the audit."""
    notes = []  # no date_paiement column: PAIEMENT_NON_CONTROLE, said with the other findings foreseen
    lines = {b.line.casefold() for b in conv.budget}
    outside = int((~table.frame["ligne"].str.strip().str.casefold().isin(lines)).sum())
    if outside:
        notes.append(
            f"{outside} dépense(s) sans ligne du budget : hors_budget, rejet NATURE (colonne ligne, inputs.accounts)"
        )
    return "\n".join(f"{table.file} : {note}" for note in notes) or None


def describe_table(table) -> str:
    """What ``check`` says of one input file, in French."""
    if table.ledger is not None:
        return _describe_fec(table)
    where = f"feuille « {table.sheet} », " if table.sheet else ""
    lines = [f"{table.file} : {where}en-tête ligne {table.header_row}, {table.rows} ligne(s) de données"]
    lines += [f"  {note}" for note in table.notes]
    recognised = ", ".join(f"{name} ← « {header} »" for name, header in table.headers.items())
    lines.append(f"  colonnes reconnues : {recognised}")
    if table.ignored_columns:
        lines.append("  colonnes ignorées : " + ", ".join(f"« {h} »" for h in table.ignored_columns))
    for total in table.totals:
        label = f"« {total.label} »" if total.label else "dernière ligne égale à la somme des lignes"
        lines.append(f"  ligne {total.row} ignorée : total {label}")
    unreadable = table.unreadable()
    if unreadable:
        effect = "ligne non retenue, ACTIVITE_ILLISIBLE" if table.role == "activity" else "rejet FORMAT"
        lines.append(f"  {len(table.raw)} valeur(s) illisible(s) ({effect}), dont :")
        lines += [
            f"    ligne {row}, {column} : « {text} »{_why(table.role, column, text)}"
            for row, column, text in unreadable
        ]
    lines += _blanks(table)
    return "\n".join(lines)


BLANKS_SHOWN = 10


def _blanks(table) -> list[str]:
    """The empty cells the FORMAT rule will reject, by row and column (SPEC 5): said before the audit."""
    from .core.preview import format_blanks

    blanks = format_blanks(table)
    if not blanks:
        return []
    rows = len({row for row, _ in blanks})
    out = [
        f"  {len(blanks)} cellule(s) vide(s) où une valeur est obligatoire, sur {rows} ligne(s) qui seront "
        f"rejetée(s) (FORMAT) si rien n'est écrit, dont :"
    ]
    for row, column in blanks[:BLANKS_SHOWN]:
        header = table.headers.get(column)
        written = f" (« {header} »)" if header and header != column else ""
        out.append(f"    ligne {row}, {column}{written} : vide")
    if len(blanks) > BLANKS_SHOWN:
        out.append(f"    … et {len(blanks) - BLANKS_SHOWN} autre(s)")
    if table.role == "payroll" and table.has("autres_couts"):
        out.append("  (une cellule autres_couts vide vaut 0 : elle n'est pas rejetée)")
    return out


def _why(role: str, column: str, text: str) -> str:
    """Why a value is unreadable, when the parser can say (« date impossible »)."""
    from .inputs.columns import FIELDS
    from .inputs.readers import _PARSERS

    kind = FIELDS[role][column].kind if column in FIELDS[role] else None
    try:
        _PARSERS[kind](text) if kind in _PARSERS else None
    except ValueError as exc:
        reason = str(exc).split(" : ")[0]
        return f" ({reason})" if "impossible" in reason else ""
    return ""


def _describe_fec(table) -> str:
    """What ``check`` says of a FEC: how its records were read, what was set aside and why, the
    integrity faults, where the payment dates come from (SPEC 11)."""
    from .inputs.fec import ENDINGS

    ledger = table.ledger
    integrity, reading = ledger.integrity, ledger.reading
    separator = "tabulation" if ledger.separator == "\t" else "« | »"
    lines = [
        f"{table.file} : reconnu comme un FEC (en-tête de {reading['fields']} colonnes), encodage {ledger.encoding}, "
        f"séparateur {separator}",
        *(f"  {note}" for note in table.notes),
    ]
    endings = ", ".join(f"{ENDINGS[kind]} {n}" for kind, n in reading["endings"].items())
    records = f"  enregistrements : {reading['records']} (en-tête compris) ; fins d'enregistrement : {endings}"
    if reading["blank"]:
        records += f" ; {reading['blank']} enregistrement(s) vide(s) ignoré(s)"
    lines.append(records)
    if reading["trailing"]:
        lines.append(
            f"  {reading['trailing']} ligne(s) terminée(s) par un séparateur (champ final vide) : lues sur "
            f"{reading['fields']} champs"
        )
    if reading["set_aside"]:
        shown = "; ".join(f"ligne {e['line']} : {e['faults']}" for e in reading["set_aside_examples"])
        more = " …" if reading["set_aside"] > len(reading["set_aside_examples"]) else ""
        lines.append(
            f"  {reading['set_aside']} ligne(s) mise(s) de côté pour leur nombre de champs (FEC_FORMAT) : aucune "
            f"n'est lue, leurs montants comptent 0 dans leur écriture et elles ne donnent aucune dépense ({shown}{more})"
        )
    faults = [
        (integrity["unbalanced"], "écriture(s) déséquilibrée(s) (FEC_EQUILIBRE)"),
        (integrity["format_lines"] - integrity.get("field_lines", 0), "ligne(s) avec un champ obligatoire absent ou "
         "une date ou un montant illisible (FEC_FORMAT)"),
        (integrity["date_lines"], "ligne(s) validée(s) avant leur date d'écriture (FEC_DATES)"),
        (integrity.get("multi_date_entries", 0), "écriture(s) datée(s) de plusieurs jours (FEC_ECRITURE)"),
    ]  # fmt: skip
    lines += [f"  {count} {what}" for count, what in faults if count]
    frame = table.frame
    if len(frame):
        sources = frame["payment_source"].value_counts().to_dict()
        unpaid = int(frame["payment_source"].isna().sum())
        said = [
            (sources.get("banque", 0), "par l'écriture de banque lettrée comme leur tiers"),
            (sources.get("lettrage", 0), "par la date de lettrage (DateLet : avoir ou compensation)"),
            (sources.get("comptant", 0), "comptant (écriture avec une ligne 51 ou 53)"),
            (unpaid, "sans date de paiement (rejet PAIEMENT)"),
        ]
        lines.append("  date de paiement des lignes retenues : " + ", ".join(f"{n} {what}" for n, what in said if n))
        claims = int(frame["note_de_frais"].sum())
        if claims:
            lines.append(
                f"  {claims} ligne(s) retenue(s) dont le tiers est un compte 42 (frais avancés par un salarié) : "
                "nommée(s) « note de frais » dans le rapport et les courriers, jamais par le nom du salarié"
            )
    unreadable = table.unreadable()
    if unreadable:
        lines.append(f"  {len(table.raw)} valeur(s) illisible(s) sur les lignes retenues (rejet FORMAT), dont :")
        lines += [f"    ligne {row}, {column} : « {text} »" for row, column, text in unreadable]
    lines += _blanks(table)
    lines += _citable(table)
    return "\n".join(lines)


ENTRIES_SHOWN = 20


def _citable(table) -> list[str]:
    """For each FEC entry, the lines a decision may cite: the expense rows it produced (its charge
    lines), never its third-party (40, 42, 467) or bank (51, 53) line."""
    from .core.preview import citable_lines

    entries = citable_lines(table)
    if not entries:
        return []
    several = [e for e in entries if len(e.refs) > 1]
    single = [e for e in entries if len(e.refs) == 1]
    out = [
        "  lignes qu'une décision peut citer (ref) : les lignes de charge retenues de chaque écriture, jamais sa ligne "
        "de tiers (40, 42, 467) ni sa ligne de banque (51, 53)"
    ]
    if several:
        out.append(f"    {len(several)} écriture(s) de plusieurs lignes retenues :")
        out += [f"      {e.name} : {', '.join(e.refs)}" for e in several[:ENTRIES_SHOWN]]
        if len(several) > ENTRIES_SHOWN:
            out.append(f"      … et {len(several) - ENTRIES_SHOWN} autre(s)")
    if single:
        shown = " ; ".join(f"{e.name} : {e.refs[0]}" for e in single[:3])
        out.append(
            f"    {len(single)} écriture(s) d'une seule ligne retenue, la ligne à citer ({shown}{' …' if len(single) > 3 else ''})"
        )
    return out


@main.command()
@_HELP_OPTION
@click.argument("folder", type=click.Path(path_type=Path))
def init(folder: Path) -> None:
    """Prépare un nouveau dossier de convention : un convention.yaml commenté à remplir (chaque
    clé, avec son unité) et le carnet audit.ipynb à ouvrir dans JupyterLab.

    Exemple : pexaudit init conventions/dd33-2025
    """
    try:
        from .init import init_folder

        written = init_folder(folder)
    except BaseException as exc:
        _fail(exc)
    for path in written:
        click.echo(f"écrit : {path}")
    click.echo(
        "Remplissez convention.yaml (chaque « À COMPLÉTER » ; pexaudit check nomme ceux qui restent), déposez la "
        "paie et les dépenses dans le dossier, puis :\n"
        f"  pexaudit check {folder}\n  pexaudit audit {folder} --out rapports"
    )


@main.command()
@_HELP_OPTION
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@_out("Dossier des rapports et de consolidation.{json,html,xlsx} ; obligatoire.", required=True)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Processus d'audit en parallèle (un noyau chaud chacun).",
)
@click.option(
    "--scheduler",
    metavar="ADRESSE",
    default=None,
    help="Adresse d'un ordonnanceur Dask distributed existant (tcp://hôte:8786).",
)
@click.option("--no-progress", is_flag=True, help="Sans barre de progression.")
@click.option(
    "--previous",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Dossier d'un lot antérieur : chaque convention y retrouve DIR/<id>/results.json (« previous »).",
)
def batch(
    paths: tuple[Path, ...], out: Path, workers: int, scheduler: str | None, no_progress: bool, previous: Path | None
) -> None:
    """Audite toutes les conventions trouvées (dossiers contenant convention.yaml) et consolide.

    Une convention en erreur est listée avec son erreur ; les autres continuent.
    Code de sortie 2 si une convention a des données invalides.

    Exemple : pexaudit batch conventions/ --out reports --workers 2
    """
    from .run.batch import run_batch

    try:
        if previous is not None and not previous.is_dir():
            raise InputError("dossier du lot antérieur introuvable (--previous)", file=str(previous))
        result = run_batch(
            paths, out, workers=workers, scheduler=scheduler, progress=not no_progress, previous=previous
        )
    except BaseException as exc:
        _fail(exc)
    done = [o for o in result.outcomes if o.ok]
    failed = [o for o in result.outcomes if not o.ok]
    consolidated = json.loads((result.out / "consolidation.json").read_text(encoding="utf-8"))
    totals = consolidated["totals"]
    click.echo(
        f"{len(done)} convention(s) auditée(s), {len(failed)} en erreur, en {result.seconds:.1f} s".replace(".", ",")
    )
    click.echo(
        f"  Justifié : {eur(_cents(totals['justified']))} ; versé : {eur(_cents(totals['paid']))} ; "
        f"reversements définitifs : {eur(_cents(totals['reversements_definitifs']))}, proposés : "
        f"{eur(_cents(totals['reversements_proposes']))} ; soldes à verser : {eur(_cents(totals['soldes']))}"
    )
    for o in failed:
        click.echo(f"  Erreur ({'données' if o.status == 'input_error' else 'interne'}) : {o.error}", err=True)
    click.echo(f"  Consolidation : {result.out / 'consolidation.html'}")
    sys.exit(result.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
