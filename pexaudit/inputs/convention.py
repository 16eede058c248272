"""convention.yaml -> a typed, validated :class:`Convention` (SPEC sections 3, 9, 10, 11).

Loading fails with :class:`~pexaudit.errors.InputError` (exit code 2) naming the file, the key,
its line in the YAML file and what was expected. Identity checks (SIRET, IBAN, RIB...) are not
load errors: they are findings (see :mod:`pexaudit.findings`).

The YAML is read so that a slip cannot change a value silently: identifiers keep the text as
written (``employee_id: 000127`` is ``"000127"``, not the octal 87), an impossible date
(``2024-09-31``) is an error at its line, a repeated key is an error, and rates are refused in
the wrong unit (``rate: 8`` for 8 %). Every key is described once, in :mod:`pexaudit.keys`,
which also gives the JSON Schema and the user guide's table.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path, PurePosixPath

import yaml

from ..errors import InputError
from ..money import as_fraction
from ..vocabulary import spoken_key
from .columns import canonical_names
from .keys import ARTICLES, KEYS, allowed_keys
from .parsing import normalize_key, parse_amount, parse_date, strip_accents

__all__ = [
    "HORS_BUDGET",
    "Administration",
    "BudgetLine",
    "Convention",
    "Exclusion",
    "Indicator",
    "Mission",
    "OtherFunding",
    "StaffMember",
    "add_months",
    "label_key",
    "load_convention",
    "matricule_key",
    "read_yaml",
]

HORS_BUDGET = "hors_budget"
KINDS = ("personnel", "management", "direct")
INPUT_ROLES = ("payroll", "expenses", "activity")


@dataclass(frozen=True)
class BudgetLine:
    line: str
    label: str
    kind: str | None  # personnel | management | direct; None only for the generated hors_budget line
    amount: int  # cents


@dataclass(frozen=True)
class Exclusion:
    """An entry of ``rules.excluded``: account prefixes and/or label words, and the motive quoted."""

    accounts: tuple[str, ...]
    label_contains: tuple[str, ...]
    motive: str

    def matches(self, compte: str, libelle: str) -> bool:
        """``compte`` starts with a prefix, or ``libelle`` contains a word (case and accents ignored)."""
        account = compte.replace(" ", "").strip()
        label = label_key(libelle)
        return any(account.startswith(p) for p in self.accounts) or any(
            label_key(w) in label for w in self.label_contains
        )


@dataclass(frozen=True)
class OtherFunding:
    funder: str
    amount: int  # cents


@dataclass(frozen=True)
class StaffMember:
    employee_id: str  # as written
    role: str
    allocation: Fraction
    start: dt.date | None
    end: dt.date | None
    ddets_validation_date: dt.date | None

    @property
    def key(self) -> str:
        return matricule_key(self.employee_id)


@dataclass(frozen=True)
class Payment:
    date: dt.date
    amount: int  # cents
    due: dt.date | None = None


@dataclass(frozen=True)
class Rib:
    banque: str
    guichet: str
    compte: str
    cle: str


@dataclass(frozen=True)
class Bank:
    iban: str | None
    bic: str | None
    rib: Rib | None


@dataclass(frozen=True)
class ManagementCosts:
    mode: str  # "actual" | "flat_rate"
    cap_rate: Fraction | None = None
    rate: Fraction | None = None
    base: str = "personnel"  # "personnel" | "direct": the cap or flat rate applies to personnel (+ direct lines)


@dataclass(frozen=True)
class Administration:
    """The letters' sender (SPEC section 3): functions, not persons."""

    name: str | None = None
    service: str | None = None
    address: str | None = None
    signatory: str | None = None
    court: str | None = None


@dataclass(frozen=True)
class Mission:
    code: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    mission: str | None  # a mission code
    target: Fraction | None


@dataclass(frozen=True)
class FecSelection:
    journals: tuple[str, ...] = ()
    label_contains: tuple[str, ...] = ()
    subsidy_accounts: tuple[str, ...] = ()  # account prefixes where the books record this subsidy


@dataclass(frozen=True)
class Convention:
    folder: Path
    id: str
    title: str
    programme: str
    period_start: dt.date
    period_end: dt.date
    signature_date: dt.date | None
    report_due_date: dt.date
    report_submitted_date: dt.date | None
    beneficiary_name: str
    siret: str
    bank: Bank | None
    subsidy_amount: int  # cents
    funding_rate: Fraction | None
    payments: tuple[Payment, ...]
    budget: tuple[BudgetLine, ...]
    staff: tuple[StaffMember, ...]
    project_codes: tuple[str, ...]
    management_costs: ManagementCosts
    payment_deadline: dt.date
    variance_alert_pct: Fraction
    inputs: dict[str, str | None]
    columns: dict[str, str] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)  # account prefix -> budget line id
    sheets: dict[str, str] = field(default_factory=dict)  # role -> sheet to read (inputs.sheets)
    fec: FecSelection = field(default_factory=FecSelection)
    reference: str | None = None
    administration: Administration = field(default_factory=Administration)
    beneficiary_address: str | None = None
    beneficiary_representative: str | None = None
    articles: dict[str, str] = field(default_factory=lambda: dict(ARTICLES))
    missions: tuple[Mission, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    indicator_alert_pct: Fraction = Fraction(20)
    other_funding: tuple[OtherFunding, ...] = ()
    line_overrun_pct: Fraction | None = None  # fongibilité (DEPASSEMENT); None: no limit per line
    first_payment_days: int = 15
    excluded: tuple[Exclusion, ...] = ()
    notes: tuple[str, ...] = ()  # unknown keys, ignored: one French line each
    readings: tuple[str, ...] = ()  # how a value written the old way is now read: said by ``check``

    @property
    def file(self) -> Path:
        return self.folder / "convention.yaml"

    @property
    def personnel_line(self) -> BudgetLine:
        return next(b for b in self.budget if b.kind == "personnel")

    @property
    def management_lines(self) -> tuple[BudgetLine, ...]:
        return tuple(b for b in self.budget if b.kind == "management")

    @property
    def direct_lines(self) -> tuple[BudgetLine, ...]:
        return tuple(b for b in self.budget if b.kind == "direct")

    @property
    def other_funding_total(self) -> int:
        return sum(f.amount for f in self.other_funding)

    def exclusion(self, compte: str, libelle: str) -> Exclusion | None:
        """The first ``rules.excluded`` entry, in the order written, that excludes this expense."""
        return next((e for e in self.excluded if e.matches(compte or "", libelle or "")), None)

    @property
    def budget_total(self) -> int:
        return sum(b.amount for b in self.budget)

    @property
    def staff_by_key(self) -> dict[str, StaffMember]:
        """Staff by matricule key (leading zeros ignored, SPEC section 3)."""
        return {s.key: s for s in self.staff}

    def art(self, name: str) -> str:
        """``"art. 9.1"`` with the convention's own numbering (``articles:``)."""
        return f"art. {self.articles[name]}"

    def input_path(self, role: str) -> Path | None:
        name = self.inputs.get(role)
        return self.folder / name if name else None


def label_key(text: object) -> str:
    """A label as EXCLUE compares it: case and accents ignored, runs of spaces as one space."""
    return " ".join(strip_accents(str(text or "")).casefold().split())


def matricule_key(text: object) -> str:
    """Matricules match ignoring leading zeros: ``000127`` is ``127`` (and ``000`` is ``0``)."""
    written = str(text).strip()
    stripped = written.lstrip("0")
    return stripped or ("0" if written else "")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (31/12 + 2 -> 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- reading YAML without losing what was written ------------------------------------------


@dataclass(frozen=True)
class _BadDate:
    """A YAML timestamp that names no real day (``2024-09-31``): an error where it is read."""

    text: str


class _DuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        super().__init__(key)
        self.key, self.line = key, line


class _Loader(yaml.SafeLoader):
    """SafeLoader with mapping keys as written, impossible dates kept, repeated keys refused."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> dict:
    loader.flatten_mapping(node)
    out: dict = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            key = key_node.value
        else:
            key = str(loader.construct_object(key_node, deep=True))
        if key in out:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
    return out


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return _BadDate(node.value)


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)

# PyYAML's messages, in French (the rest is shown as PyYAML writes it).
_YAML_PROBLEMS = {
    "mapping values are not allowed here": "« : » inattendu (une valeur contenant « : » doit être entre guillemets, "
    "ou l'indentation est fausse)",
    "could not find expected ':'": "« : » attendu après la clé (ligne incomplète ou guillemet non fermé)",
    "found character '\\t' that cannot start any token": "tabulation interdite : indentez avec des espaces",
    "expected ',' or '}', but got": "accolade non fermée : « } » ou « , » attendu",
    "expected ',' or ']', but got": "crochet non fermé : « ] » ou « , » attendu",
    "found unexpected end of stream": "fin de fichier inattendue (guillemet ou accolade non fermé)",
    "found undefined alias": "alias YAML inconnu",
    "expected <block end>, but found": "indentation incohérente (ou une apostrophe dans un texte écrit entre "
    "apostrophes : mettez ce texte entre guillemets)",
    "did not find expected key": "indentation incohérente : clé attendue",
    "did not find expected '-' indicator": "indentation incohérente dans une liste",
    "found unknown escape character": "caractère d'échappement inconnu entre guillemets (écrivez \\\\ ou des "
    "guillemets simples)",
}


def _yaml_error(exc: yaml.YAMLError, label: str) -> InputError:
    problem = getattr(exc, "problem", None) or str(exc)
    mark = getattr(exc, "problem_mark", None)
    french = next((fr for en, fr in _YAML_PROBLEMS.items() if problem.startswith(en)), None)
    text = french or f"syntaxe YAML invalide ({problem})"
    context = getattr(exc, "context_mark", None)
    if context is not None and mark is not None and context.line != mark.line:
        text += f" ; l'élément commencé ligne {context.line + 1} n'est pas fermé"
    return InputError(text, file=label, row=mark.line + 1 if mark else None)


def _scan(node: yaml.Node, prefix: str = "", lines=None, texts=None) -> tuple[dict[str, int], dict[str, str]]:
    """Every key path ("budget[1].amount") -> its 1-based line, and scalar paths -> written text."""
    lines = {} if lines is None else lines
    texts = {} if texts is None else texts
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            lines[path] = key_node.start_mark.line + 1
            _scan(value_node, path, lines, texts)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            lines[path] = item.start_mark.line + 1
            _scan(item, path, lines, texts)
    elif isinstance(node, yaml.ScalarNode):
        texts[prefix] = node.value
    return lines, texts


_MISSING = object()


def _generic(path: str) -> str:
    return re.sub(r"\[\d+\]", "[]", path)


def _documented(path: str) -> bool:
    generic = _generic(path)
    if generic in KEYS or generic.endswith("[]"):
        return True
    return any(generic.startswith(f"{k.path}.") for k in KEYS.values() if k.free)


class _Yaml:
    """Typed access to the parsed YAML with errors that name the key and its line."""

    def __init__(
        self, data: dict, lines: dict[str, int], texts: dict[str, str], file: str, documented=_documented
    ) -> None:
        self.data, self.lines, self.texts, self.file = data, lines, texts, file
        self.documented = documented  # key paths a reader may ask for (None: any)

    def error(self, path: str, expected: str) -> InputError:
        """An error on ``path``, located at its line or, for a missing key, its parent's."""
        line, up = self.lines.get(path), path
        while line is None and up:
            parent = re.sub(r"(\.[^.\[]+|\[\d+\])$", "", up)
            if parent == up:
                break
            up, line = parent, self.lines.get(parent)
        return InputError(expected, file=self.file, row=line, key=path or None)

    def get(self, path: str, default: object = _MISSING) -> object:
        assert self.documented is None or self.documented(path), (
            f"convention.yaml key {path} is read but not described in pexaudit/inputs/keys.py"
        )
        node: object = self.data
        for part in re.findall(r"[^.\[\]]+|\[\d+\]", path):
            if part.startswith("["):
                index = int(part[1:-1])
                node = node[index] if isinstance(node, list) and index < len(node) else _MISSING
            else:
                node = node.get(part, _MISSING) if isinstance(node, dict) else _MISSING
            if node is _MISSING:
                break
        if node is _MISSING:
            if default is _MISSING:
                raise self.error(path, "clé obligatoire absente")
            return default
        return node

    def mapping(self, path: str, *, required: bool = True) -> dict | None:
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if not isinstance(value, dict):
            raise self.error(path, f"attendu une table de clés (trouvé {_kind(value)})")
        return value

    def sequence(self, path: str, *, required: bool = True) -> list:
        value = self.get(path, _MISSING if required else None)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(path, f"attendu une liste (trouvé {_kind(value)})")
        return value

    def text(self, path: str, *, required: bool = True, pattern: str | None = None) -> str | None:
        """A text; a number or a date is taken as written (``programme: 177`` is ``"177"``)."""
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if isinstance(value, (dict, list)) or (isinstance(value, str) and not value.strip()):
            raise self.error(path, f"attendu un texte non vide (trouvé {_kind(value)})")
        text = value.strip() if isinstance(value, str) else self.texts.get(path, str(value)).strip()
        if pattern and not re.fullmatch(pattern, text):
            raise self.error(path, f"attendu un texte de la forme {pattern} (trouvé {text!r})")
        return text

    def date(self, path: str, *, required: bool = True) -> dt.date | None:
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, _BadDate):
            raise self.error(path, f"date impossible « {value.text} » : ce jour n'existe pas (attendu AAAA-MM-JJ)")
        if isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError as exc:
                if "impossible" in str(exc):
                    raise self.error(path, f"date impossible « {value.strip()} » : ce jour n'existe pas") from None
        raise self.error(path, f"attendu une date AAAA-MM-JJ (trouvé {_kind(value)})")

    def money(self, path: str, *, required: bool = True, default: int | None = None) -> int | None:
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(path, f"attendu un montant en euros (trouvé {_kind(value)})")
        written = self.texts.get(path, "")
        if isinstance(value, float) and _DOTTED_THOUSANDS.fullmatch(written):
            raise self.error(
                path,
                f"montant ambigu « {written} » : en YAML le point marque les décimales ({written} = {_fr(as_fraction(value))}) ; "
                f"écrivez {written.replace('.', '')} pour {written.replace('.', ' ')} €, ou le montant entre guillemets "
                f'("{written.replace(".", " ")},00")',
            )
        if isinstance(value, (int, float)):
            exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if not exact.is_finite():
                raise self.error(path, f"attendu un montant en euros (trouvé {value!r})")
            if exact != exact.quantize(Decimal("0.01")):
                cents = exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
                raise self.error(
                    path, f"attendu un montant au centime près (trouvé {value!r}) ; arrondi au centime, écrivez {cents}"
                )
        try:
            return parse_amount(value)
        except ValueError:
            raise self.error(path, f"attendu un montant en euros (trouvé {value!r})") from None

    def number(self, path: str, *, required: bool = True, unit: str = "number") -> Fraction | None:
        """A number; ``unit`` (a type of keys.py: number, integer, fraction, percent) says what to
        write instead of a slip (« 80 % », « 15 jours », « 1 000 »), so every error ends with the
        value to write when there is one."""
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(path, f"attendu {_UNITS[unit]} (trouvé {_kind(value)})")
        if isinstance(value, str):
            written = value.strip()
            found = _PERCENT_SIGN.fullmatch(written)
            if found:
                number = as_fraction(found.group(1).replace(",", "."))
                meant = number / 100 if unit == "fraction" else number
                raise self.error(
                    path,
                    f"attendu {_UNITS[unit]}, sans « % » (trouvé « {written} ») ; pour {_fr(number)} %, écrivez "
                    f"{_yaml_number(meant)}",
                )
            try:
                return as_fraction(written.replace(",", "."))
            except (ArithmeticError, ValueError):
                plain = _NUMBER_WITH_WORDS.fullmatch(re.sub(r"[\s\u00a0\u202f]", "", written))
                hint = f" ; écrivez {_yaml_number(as_fraction(plain.group(1).replace(',', '.')))}" if plain else ""
                raise self.error(path, f"attendu {_UNITS[unit]} (trouvé « {written} »){hint}") from None
        try:
            return as_fraction(value)
        except (ArithmeticError, ValueError):
            raise self.error(path, f"attendu {_UNITS[unit]} (trouvé {value!r})") from None

    def fraction(self, path: str, *, required: bool = True) -> Fraction | None:
        """A rate in ]0 ; 1] (``0.08`` for 8 %): ``8`` or ``8 %`` is refused with the value to write."""
        value = self.number(path, required=required, unit="fraction")
        if value is None:
            return None
        if not 0 < value <= 1:
            expected = f"attendu une fraction dans ]0 ; 1], par exemple 0,08 pour 8 % (trouvé {_fr(value)})"
            if 1 < value <= 100:  # a percentage written for a fraction
                expected += f" ; pour {_fr(value)} %, écrivez {_yaml_number(value / 100)}"
            elif value > 100:
                expected += " ; une fraction ne dépasse pas 1, soit 100 %"
            raise self.error(path, expected)
        return value

    def percent(self, path: str, *, required: bool = True) -> Fraction | None:
        """A percentage (``15`` for 15 %): a value in ]0 ; 1] is refused as a likely fraction."""
        value = self.number(path, required=required, unit="percent")
        if value is None:
            return None
        if value < 0:
            raise self.error(path, f"attendu un pourcentage positif, par exemple 15 pour 15 % (trouvé {_fr(value)})")
        if 0 < value <= 1:
            raise self.error(
                path,
                f"attendu un pourcentage, par exemple 15 pour 15 % (trouvé {_fr(value)}, qui ressemble à une "
                f"fraction) ; pour {_fr(value * 100)} %, écrivez {_yaml_number(value * 100)}",
            )
        return value

    def identifiers(self, path: str) -> tuple[str, ...]:
        return tuple(self.text(f"{path}[{i}]") for i, _ in enumerate(self.sequence(path, required=False)))


_DOTTED_THOUSANDS = re.compile(r"\d{1,3}(\.\d{3})+")
_PERCENT_SIGN = re.compile(r"(-?\d+(?:[.,]\d+)?)\s*%")
# A number followed by a unit word (« 15 jours », « 20 personnes »), spaces already removed.
_NUMBER_WITH_WORDS = re.compile(r"(-?\d+(?:[.,]\d+)?)[^\d.,]*", re.I)
# What a numeric key expects, by its type in keys.py.
_UNITS = {
    "number": "un nombre",
    "integer": "un nombre entier",
    "fraction": "une fraction dans ]0 ; 1], par exemple 0,08 pour 8 %",
    "percent": "un pourcentage, par exemple 15 pour 15 %",
}


def _yaml_number(value: Fraction) -> str:
    """A number as convention.yaml wants it written: a decimal point (``0.08``)."""
    return _fr(value).replace(",", ".")


def _fr(value: Fraction) -> str:
    """A number as a French reader writes it: ``0,08``, ``8``, ``12,5``."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _kind(value: object) -> str:
    if value is None or value is _MISSING:
        return "rien"
    if isinstance(value, bool):
        return f"le booléen {value}"
    if isinstance(value, dict):
        return "une table"
    if isinstance(value, list):
        return "une liste"
    if isinstance(value, _BadDate):
        return value.text
    return repr(value)


# A key this close to a known one (difflib's ratio) is a slip, refused; any other unknown key is noted.
CLOSE_KEY_RATIO = 0.8
PLACEHOLDER = "À COMPLÉTER"


def _check_placeholders(doc: _Yaml) -> None:
    """A value beginning with « À COMPLÉTER » (what ``pexaudit init`` leaves to fill) is an error
    naming the first such key; the others are counted with their lines, to fill them at once."""
    mark = label_key(PLACEHOLDER)
    found = [(path, text) for path, text in doc.texts.items() if label_key(text).startswith(mark)]
    if not found:
        return
    path, text = found[0]
    others = ""
    if len(found) > 1:
        lines = sorted({doc.lines.get(p) or doc.error(p, "").row or 0 for p, _ in found[1:]} - {0})
        shown = ", ".join(map(str, lines[:15])) + (" …" if len(lines) > 15 else "")
        others = f" ; {len(found) - 1} autre(s) valeur(s) à compléter" + (f", lignes {shown}" if lines else "")
    raise doc.error(
        path, f"valeur à compléter (« {text.strip()} ») : remplacez-la par la valeur de la convention{others}"
    )


def _check_keys(doc: _Yaml, path: str, value: object, notes: list[str]) -> None:
    """Mistyped keys are errors (``report_due_dte``); keys unknown to SPEC are noted."""
    generic = _generic(path)
    if isinstance(value, dict) and (known := allowed_keys(generic)) is not None:
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=CLOSE_KEY_RATIO)
                if close:
                    raise doc.error(sub_path, f"clé inconnue ; vouliez-vous écrire « {close[0]} » ?")
                line = doc.lines.get(sub_path)
                where = f" (ligne {line})" if line else ""
                notes.append(
                    f"convention.yaml{where} : clé « {spoken_key(sub_path)} » inconnue, ignorée ; clés possibles ici : "
                    f"{', '.join(sorted(known))}"
                )
                continue
            _check_keys(doc, sub_path, sub, notes)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_keys(doc, f"{path}[{index}]", item, notes)


def _read_yaml(folder: Path) -> _Yaml:
    path = folder / "convention.yaml"
    label = str(path)
    if not folder.is_dir():
        raise InputError("dossier de convention introuvable", file=str(folder))
    if not path.is_file():
        raise InputError("fichier convention.yaml absent du dossier", file=label)
    doc = read_yaml(path, label)
    if not isinstance(doc.data, dict):
        raise InputError("attendu une table de clés YAML (id, period, budget...)", file=label)
    return doc


def read_yaml(path: Path, label: str, documented=_documented) -> _Yaml:
    """Parse a YAML file as convention.yaml is read (written texts and lines kept, impossible
    dates and repeated keys caught, PyYAML's messages in French). ``doc.data`` may be anything
    the file holds (None for an empty file); ``documented=None`` lets a reader ask for any key."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("attendu un fichier YAML encodé en UTF-8", file=label) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as exc:
        raise InputError(f"clé « {exc.key} » écrite deux fois", file=label, row=exc.line) from None
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, label) from None
    if node is not None:
        _comma_splits(node, text, label)
    lines, texts = _scan(node) if node is not None else ({}, {})
    return _Yaml(data, lines, texts, label, documented)


def _comma_splits(node: yaml.Node, text: str, label: str) -> None:
    """A comma inside ``{...}`` separates keys: ``{amount: 18.000,00}`` is ``amount: 18.0`` and a
    key ``00``; ``{label: Formation, notamment ...}`` a cut label and a key. Such a key has no
    ``:`` before its (empty) value: refuse it rather than read a wrong amount or label."""
    if isinstance(node, yaml.MappingNode):
        previous = None
        for key, value in node.value:
            if (
                node.flow_style
                and isinstance(value, yaml.ScalarNode)
                and value.value == ""
                and ":" not in text[key.end_mark.index : value.start_mark.index]
            ):
                before = f"{previous[0].value}: {previous[1].value}, " if previous else ""
                raise InputError(
                    f"« , » entre accolades : « {before}{key.value} » est lu comme deux clés. Un montant s'écrit avec "
                    'un point (18000.00) ou entre guillemets ("18 000,00"), un taux avec un point (0.12) ; un texte '
                    "qui contient une virgule se met entre guillemets",
                    file=label,
                    row=key.start_mark.line + 1,
                )
            previous = (key, value) if isinstance(value, yaml.ScalarNode) else None
            _comma_splits(value, text, label)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _comma_splits(item, text, label)


# --- the convention, section by section ----------------------------------------------------


def load_convention(folder: str | Path) -> Convention:
    """Read and validate ``folder/convention.yaml``."""
    folder = Path(folder)
    doc = _read_yaml(folder)
    notes: list[str] = []
    _check_keys(doc, "", doc.data, notes)
    _check_placeholders(doc)

    period_start, period_end = doc.date("period.start"), doc.date("period.end")
    if period_start > period_end:
        raise doc.error("period.end", f"la fin ({period_end}) précède le début ({period_start})")
    report_due = doc.date("report_due_date", required=False) or add_months(period_end, 2)
    budget, readings = _budget(doc)
    missions = _missions(doc)
    alert = doc.percent("rules.variance_alert_pct", required=False)
    indicator_alert = doc.percent("rules.indicator_alert_pct", required=False)
    return Convention(
        folder=folder,
        id=doc.text("id", pattern=r"[a-z0-9-]+"),
        title=doc.text("title"),
        programme=doc.text("programme"),
        period_start=period_start,
        period_end=period_end,
        signature_date=doc.date("signature_date", required=False),
        report_due_date=report_due,
        report_submitted_date=doc.date("report_submitted_date", required=False),
        beneficiary_name=doc.text("beneficiary.name"),
        siret=doc.text("beneficiary.siret"),
        bank=_bank(doc),
        **_subsidy(doc, budget),
        budget=budget,
        staff=_staff(doc),
        project_codes=tuple(code.upper() for code in doc.identifiers("rules.project_codes")),
        management_costs=_management_costs(doc, budget),
        payment_deadline=doc.date("rules.payment_deadline", required=False) or report_due,
        variance_alert_pct=alert if alert is not None else Fraction(15),
        **_inputs(doc, folder, budget),
        reference=doc.text("reference", required=False),
        administration=_administration(doc),
        beneficiary_address=doc.text("beneficiary.address", required=False),
        beneficiary_representative=doc.text("beneficiary.representative", required=False),
        articles=_articles(doc),
        missions=missions,
        indicators=_indicators(doc, missions),
        indicator_alert_pct=indicator_alert if indicator_alert is not None else Fraction(20),
        line_overrun_pct=doc.percent("rules.line_overrun_pct", required=False),
        first_payment_days=_first_payment_days(doc),
        excluded=_excluded(doc),
        notes=tuple(notes),
        readings=readings,
    )


def _subsidy(doc: _Yaml, budget: tuple[BudgetLine, ...]) -> dict:
    funding_rate = doc.fraction("subsidy.funding_rate", required=False)
    if funding_rate is None and sum(b.amount for b in budget) <= 0:
        raise doc.error("budget", "le total du budget est nul : indiquer subsidy.funding_rate")
    amount = doc.money("subsidy.amount")
    if amount <= 0:
        raise doc.error("subsidy.amount", "attendu un montant accordé strictement positif")
    payments = []
    for i, _ in enumerate(doc.sequence("subsidy.payments", required=False)):
        p = f"subsidy.payments[{i}]"
        doc.mapping(p)
        payments.append(Payment(doc.date(f"{p}.date"), doc.money(f"{p}.amount"), doc.date(f"{p}.due", required=False)))
    others = []
    for i, _ in enumerate(doc.sequence("subsidy.other_funding", required=False)):
        p = f"subsidy.other_funding[{i}]"
        doc.mapping(p)
        funder, other = doc.text(f"{p}.funder"), doc.money(f"{p}.amount")
        if other < 0:
            raise doc.error(f"{p}.amount", f"attendu un montant positif ou nul (trouvé {_fr(Fraction(other, 100))})")
        others.append(OtherFunding(funder, other))
    return {
        "subsidy_amount": amount,
        "funding_rate": funding_rate,
        "payments": tuple(payments),
        "other_funding": tuple(others),
    }


def _bank(doc: _Yaml) -> Bank | None:
    if doc.mapping("beneficiary.bank", required=False) is None:
        return None
    rib = None
    if doc.mapping("beneficiary.bank.rib", required=False) is not None:
        rib = Rib(*(doc.text(f"beneficiary.bank.rib.{k}") for k in ("banque", "guichet", "compte", "cle")))
    return Bank(
        iban=doc.text("beneficiary.bank.iban", required=False),
        bic=doc.text("beneficiary.bank.bic", required=False),
        rib=rib,
    )


def _budget(doc: _Yaml) -> tuple[tuple[BudgetLine, ...], tuple[str, ...]]:
    """The budget lines, and how a line written ``kind: null`` is now read (said by ``check``)."""
    items = doc.sequence("budget")
    if not items:
        raise doc.error("budget", "attendu au moins une ligne de budget (annexe 2)")
    lines, seen, readings = [], set(), []
    for i, _ in enumerate(items):
        p = f"budget[{i}]"
        doc.mapping(p)
        line_id = doc.text(f"{p}.line")
        if line_id.lower() in seen or line_id.lower() == HORS_BUDGET:
            raise doc.error(f"{p}.line", f"identifiant de ligne en double ou réservé : {line_id!r}")
        seen.add(line_id.lower())
        kind = doc.get(f"{p}.kind", None)
        if kind is None:
            if f"{p}.kind" in doc.lines:  # written ``kind: null``: it used to justify nothing (NATURE)
                line = doc.lines[f"{p}.kind"]
                readings.append(
                    f"convention.yaml (ligne {line}) : ligne budgétaire « {line_id} » de nature null, lue comme "
                    "direct (coûts directs de l'action, éligibles dépense par dépense) ; auparavant, ses dépenses "
                    "étaient rejetées (NATURE). Écrivez kind: direct pour ne plus voir ce message, ou imputez ces "
                    "dépenses sur une ligne de nature management si ce sont des frais de gestion"
                )
            kind = "direct"
        if kind not in KINDS:
            raise doc.error(
                f"{p}.kind", f"attendu personnel, management ou direct (trouvé {doc.texts.get(f'{p}.kind', kind)!r})"
            )
        amount = doc.money(f"{p}.amount")
        if amount < 0:
            raise doc.error(f"{p}.amount", f"attendu un montant positif ou nul (trouvé {amount / 100})")
        label = doc.text(f"{p}.label", required=False) or line_id
        lines.append(BudgetLine(line_id, label, kind, amount))
    personnel = [b for b in lines if b.kind == "personnel"]
    if len(personnel) != 1:
        raise doc.error("budget", f"attendu exactement une ligne « personnel » (trouvé {len(personnel)})")
    return tuple(lines), tuple(readings)


def _staff(doc: _Yaml) -> tuple[StaffMember, ...]:
    members: list[StaffMember] = []
    seen: dict[str, str] = {}
    for i, _ in enumerate(doc.sequence("staff")):
        p = f"staff[{i}]"
        doc.mapping(p)
        employee_id = doc.text(f"{p}.employee_id")
        key = matricule_key(employee_id)
        if key in seen:
            same = (
                ""
                if seen[key] == employee_id
                else f" (« {seen[key]} » et « {employee_id} » ne diffèrent que par des zéros de tête)"
            )
            raise doc.error(f"{p}.employee_id", f"matricule en double : {employee_id!r}{same}")
        seen[key] = employee_id
        allocation = doc.fraction(f"{p}.allocation", required=False)
        start, end = doc.date(f"{p}.start", required=False), doc.date(f"{p}.end", required=False)
        if start and end and start > end:
            raise doc.error(f"{p}.end", f"la fin ({end}) précède le début ({start})")
        members.append(
            StaffMember(
                employee_id=employee_id,
                role=doc.text(f"{p}.role", required=False) or "",
                allocation=Fraction(1) if allocation is None else allocation,
                start=start,
                end=end,
                ddets_validation_date=doc.date(f"{p}.ddets_validation_date", required=False),
            )
        )
    return tuple(members)


def _management_costs(doc: _Yaml, budget: tuple[BudgetLine, ...]) -> ManagementCosts:
    if doc.mapping("rules.management_costs", required=False) is None:
        return ManagementCosts(mode="actual")
    mode = doc.text("rules.management_costs.mode")
    base = doc.text("rules.management_costs.base", required=False) or "personnel"
    if base not in ("personnel", "direct"):
        raise doc.error("rules.management_costs.base", f"attendu personnel ou direct (trouvé {base!r})")
    if mode == "actual":
        cap_rate = doc.fraction("rules.management_costs.cap_rate", required=False)
        return ManagementCosts(mode="actual", cap_rate=cap_rate, base=base)
    if mode == "flat_rate":
        if not any(b.kind == "management" for b in budget):
            raise doc.error(
                "rules.management_costs.mode",
                "le forfait de gestion demande une ligne de budget de nature « management »",
            )
        return ManagementCosts(mode="flat_rate", rate=doc.fraction("rules.management_costs.rate"), base=base)
    raise doc.error("rules.management_costs.mode", f"attendu actual ou flat_rate (trouvé {mode!r})")


def _first_payment_days(doc: _Yaml) -> int:
    days = doc.number("rules.first_payment_days", required=False, unit="integer")
    if days is None:
        return 15
    if days < 0 or days.denominator != 1:
        raise doc.error(
            "rules.first_payment_days", f"attendu un nombre entier de jours, 0 ou plus (trouvé {_fr(days)})"
        )
    return int(days)


def _excluded(doc: _Yaml) -> tuple[Exclusion, ...]:
    """``rules.excluded``: each entry names accounts and/or label words, and a motive."""
    entries = []
    for i, _ in enumerate(doc.sequence("rules.excluded", required=False)):
        p = f"rules.excluded[{i}]"
        doc.mapping(p)
        accounts = tuple(a.replace(" ", "") for a in doc.identifiers(f"{p}.accounts"))
        for j, prefix in enumerate(accounts):
            if not prefix.isdigit():
                raise doc.error(
                    f"{p}.accounts[{j}]",
                    f"attendu un début de numéro de compte en chiffres, comme 6234 (trouvé {prefix!r})",
                )
        words = doc.identifiers(f"{p}.label_contains")
        if not accounts and not words:
            raise doc.error(
                p,
                'exclusion sans accounts ni label_contains : attendu des débuts de comptes (accounts: ["6234"]) '
                "ou des mots du libellé (label_contains: [amende])",
            )
        if doc.get(f"{p}.motive", None) is None:
            raise doc.error(f"{p}.motive", "motif absent : le motif de l'exclusion est cité dans la raison du rejet")
        entries.append(Exclusion(accounts, words, doc.text(f"{p}.motive")))
    return tuple(entries)


def _input_name(doc: _Yaml, path: str, folder: Path) -> str | None:
    name = doc.text(path, required=False)
    if name is None:
        return None
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise doc.error(path, f"attendu un fichier du dossier de la convention (trouvé {name!r})")
    if not (folder / pure).is_file():
        raise doc.error(path, f"fichier « {pure} » introuvable dans le dossier de la convention")
    return str(pure)


def _inputs(doc: _Yaml, folder: Path, budget: tuple[BudgetLine, ...]) -> dict:
    doc.mapping("inputs")
    for role in ("payroll", "expenses"):
        doc.get(f"inputs.{role}")  # the key is required; its value may be null
    inputs = {role: _input_name(doc, f"inputs.{role}", folder) for role in INPUT_ROLES}
    targets = canonical_names()
    columns = {}
    for header, canonical in (doc.mapping("inputs.columns", required=False) or {}).items():
        if canonical not in targets:
            raise doc.error(
                f"inputs.columns.{header}",
                f"colonne cible inconnue {canonical!r} (attendu l'une de : {', '.join(sorted(targets))})",
            )
        columns[str(header)] = canonical
    lines = {b.line.casefold(): b.line for b in budget}
    accounts = {}
    for prefix in doc.mapping("inputs.accounts", required=False) or {}:
        path = f"inputs.accounts.{prefix}"
        if not re.fullmatch(r"\d+", prefix.strip()):
            raise doc.error(path, f"attendu un début de numéro de compte en chiffres, comme 606 (trouvé {prefix!r})")
        target = doc.text(path)
        if target.casefold() not in lines:
            raise doc.error(
                path, f"ligne budgétaire « {target} » inconnue (attendu l'une de : {', '.join(b.line for b in budget)})"
            )
        accounts[prefix.strip()] = lines[target.casefold()]
    fec = FecSelection()
    if doc.mapping("inputs.fec", required=False) is not None:
        subsidy = doc.identifiers("inputs.fec.subsidy_accounts")
        for index, prefix in enumerate(subsidy):
            if not re.fullmatch(r"\d+", prefix.strip()):
                raise doc.error(
                    f"inputs.fec.subsidy_accounts[{index}]",
                    f"attendu un début de numéro de compte en chiffres, comme 7441 (trouvé {prefix!r})",
                )
        fec = FecSelection(
            doc.identifiers("inputs.fec.journals"),
            doc.identifiers("inputs.fec.label_contains"),
            tuple(p.strip() for p in subsidy),
        )
    sheets = {}
    if doc.mapping("inputs.sheets", required=False) is not None:
        sheets = {
            r: doc.text(f"inputs.sheets.{r}") for r in INPUT_ROLES if doc.get(f"inputs.sheets.{r}", None) is not None
        }
    return {"inputs": inputs, "columns": columns, "accounts": accounts, "fec": fec, "sheets": sheets}


def _administration(doc: _Yaml) -> Administration:
    if doc.mapping("administration", required=False) is None:
        return Administration()
    return Administration(
        **{
            k: doc.text(f"administration.{k}", required=False)
            for k in ("name", "service", "address", "signatory", "court")
        }
    )


def _articles(doc: _Yaml) -> dict[str, str]:
    """The known article names only: an unknown one (``sanctions``) is a warning noted by _check_keys."""
    articles = dict(ARTICLES)
    for name in doc.mapping("articles", required=False) or {}:
        if name in ARTICLES:
            articles[name] = doc.text(f"articles.{name}")
    return articles


def _missions(doc: _Yaml) -> tuple[Mission, ...]:
    """Missions with their codes, labels and aliases; a label or alias that would match two
    missions (as the activity file's ``mission`` cells are matched) is an error."""
    missions, seen = [], set()
    names: dict[str, tuple[int, str]] = {}  # normalized code, label or alias -> (mission index, as written)
    for i, _ in enumerate(doc.sequence("missions", required=False)):
        p = f"missions[{i}]"
        doc.mapping(p)
        code = doc.text(f"{p}.code")
        if normalize_key(code) in seen:
            raise doc.error(f"{p}.code", f"code de mission en double : {code!r}")
        seen.add(normalize_key(code))
        label = doc.text(f"{p}.label", required=False) or code
        aliases = doc.identifiers(f"{p}.aliases")
        written = [(f"{p}.code", code), (f"{p}.label", label)]
        written += [(f"{p}.aliases[{j}]", alias) for j, alias in enumerate(aliases)]
        for path, text in written:
            key = normalize_key(text)
            other = names.get(key)
            if key and other is not None and other[0] != i:
                raise doc.error(
                    path,
                    f"« {text} » désigne deux missions (déjà « {other[1]} » de la mission "
                    f"« {missions[other[0]].code} ») : un libellé ou un alias ne doit correspondre qu'à une mission",
                )
            names.setdefault(key, (i, text))
        missions.append(Mission(code, label, aliases))
    return tuple(missions)


def _indicators(doc: _Yaml, missions: tuple[Mission, ...]) -> tuple[Indicator, ...]:
    codes = {normalize_key(m.code): m.code for m in missions}
    indicators, seen = [], set()
    for i, _ in enumerate(doc.sequence("indicators", required=False)):
        p = f"indicators[{i}]"
        doc.mapping(p)
        code = doc.text(f"{p}.code")
        if code.casefold() in seen:
            raise doc.error(f"{p}.code", f"code d'indicateur en double : {code!r}")
        seen.add(code.casefold())
        mission = doc.text(f"{p}.mission", required=False)
        if mission is not None:
            if normalize_key(mission) not in codes:
                declared = ", ".join(m.code for m in missions) or "aucune mission déclarée"
                raise doc.error(f"{p}.mission", f"mission « {mission} » non déclarée dans missions ({declared})")
            mission = codes[normalize_key(mission)]
        target = doc.number(f"{p}.target", required=False)
        if target is not None and target < 0:
            raise doc.error(f"{p}.target", f"attendu une cible positive ou nulle (trouvé {_fr(target)})")
        indicators.append(Indicator(code, doc.text(f"{p}.label", required=False) or code, mission, target))
    return tuple(indicators)
