"""convention.yaml -> a typed, validated :class:`Convention` (SPEC section 3).

Loading fails with :class:`~pexaudit.errors.InputError` (exit code 2) naming the file, the key,
its line in the YAML file and what was expected. Identity checks (SIRET, IBAN, RIB...) are not
load errors: they are findings (see :mod:`pexaudit.findings`).
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import re
import warnings
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path, PurePosixPath

import yaml

from .errors import InputError
from .money import as_fraction
from .parsing import parse_amount, parse_date

__all__ = [
    "HORS_BUDGET",
    "BudgetLine",
    "Convention",
    "ConventionWarning",
    "StaffMember",
    "add_months",
    "load_convention",
]

HORS_BUDGET = "hors_budget"
KINDS = ("personnel", "management", None)
CANONICAL_COLUMNS = frozenset(
    {
        "matricule", "nom", "periode", "brut", "charges_patronales", "autres_couts",
        "code_analytique", "piece", "date", "date_paiement", "fournisseur", "libelle",
        "compte", "ligne", "montant", "payeur",
    }
)  # fmt: skip

# Known keys per mapping, to tell a mistyped key (close to a known one: error) from an extra
# one (a warning). Paths use dots; list items are "[]".
_KNOWN_KEYS = {
    "": {"id", "title", "programme", "period", "signature_date", "report_due_date",
         "report_submitted_date", "beneficiary", "subsidy", "budget", "staff", "rules", "inputs"},
    "period": {"start", "end"},
    "beneficiary": {"name", "siret", "bank"},
    "beneficiary.bank": {"iban", "bic", "rib"},
    "beneficiary.bank.rib": {"banque", "guichet", "compte", "cle"},
    "subsidy": {"amount", "funding_rate", "payments"},
    "subsidy.payments[]": {"date", "amount"},
    "budget[]": {"line", "label", "kind", "amount"},
    "staff[]": {"employee_id", "role", "allocation", "start", "end", "ddets_validation_date"},
    "rules": {"project_codes", "management_costs", "payment_deadline", "variance_alert_pct"},
    "rules.management_costs": {"mode", "cap_rate", "rate"},
    "inputs": {"payroll", "expenses", "activity", "columns"},
}  # fmt: skip


class ConventionWarning(UserWarning):
    """Something in convention.yaml that is not an error but that the auditor should see."""


@dataclass(frozen=True)
class BudgetLine:
    line: str
    label: str
    kind: str | None
    amount: int  # cents


@dataclass(frozen=True)
class StaffMember:
    employee_id: str
    role: str
    allocation: Fraction
    start: dt.date | None
    end: dt.date | None
    ddets_validation_date: dt.date | None


@dataclass(frozen=True)
class Payment:
    date: dt.date
    amount: int  # cents


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
    def budget_total(self) -> int:
        return sum(b.amount for b in self.budget)

    @property
    def staff_by_id(self) -> dict[str, StaffMember]:
        return {s.employee_id: s for s in self.staff}

    def input_path(self, role: str) -> Path | None:
        name = self.inputs.get(role)
        return self.folder / name if name else None


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (31/12 + 2 -> 28/02)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


_MISSING = object()


class _Yaml:
    """Typed access to the parsed YAML with errors that name the key and its line."""

    def __init__(self, data: dict, lines: dict[str, int], file: str) -> None:
        self.data, self.lines, self.file = data, lines, file

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
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int)) or str(value).strip() == "":
            raise self.error(path, f"attendu un texte non vide (trouvé {_kind(value)})")
        text = str(value).strip()
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
        if isinstance(value, str):
            try:
                return parse_date(value)
            except ValueError:
                pass
        raise self.error(path, f"attendu une date AAAA-MM-JJ (trouvé {_kind(value)})")

    def money(self, path: str, *, required: bool = True, default: int | None = None) -> int | None:
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(path, f"attendu un montant en euros (trouvé {_kind(value)})")
        if isinstance(value, (int, float)):
            exact = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
            if not exact.is_finite() or exact != exact.quantize(Decimal("0.01")):
                raise self.error(path, f"attendu un montant au centime près (trouvé {value!r})")
        try:
            return parse_amount(value)
        except ValueError:
            raise self.error(path, f"attendu un montant en euros (trouvé {value!r})") from None

    def rate(self, path: str, *, required: bool = True) -> Fraction | None:
        value = self.get(path, _MISSING if required else None)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise self.error(path, f"attendu un nombre (trouvé {_kind(value)})")
        try:
            return as_fraction(value)
        except (ArithmeticError, ValueError):
            raise self.error(path, f"attendu un nombre (trouvé {value!r})") from None


def _kind(value: object) -> str:
    if value is None or value is _MISSING:
        return "rien"
    if isinstance(value, bool):
        return f"le booléen {value}"
    if isinstance(value, dict):
        return "une table"
    if isinstance(value, list):
        return "une liste"
    return repr(value)


def _key_lines(node: yaml.Node, prefix: str = "", out: dict[str, int] | None = None) -> dict:
    """Map every key path ("budget[1].amount") to its 1-based line in the YAML file."""
    out = {} if out is None else out
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            out[path] = key_node.start_mark.line + 1
            _key_lines(value_node, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = f"{prefix}[{index}]"
            out[path] = item.start_mark.line + 1
            _key_lines(item, path, out)
    return out


def _check_keys(doc: _Yaml, path: str, value: object, warn: list[str]) -> None:
    """Mistyped keys are errors (``report_due_dte``); keys unknown to SPEC are warnings."""
    generic = re.sub(r"\[\d+\]", "[]", path)
    if isinstance(value, dict) and generic in _KNOWN_KEYS:
        known = _KNOWN_KEYS[generic]
        for key, sub in value.items():
            sub_path = f"{path}.{key}" if path else str(key)
            if key not in known:
                close = difflib.get_close_matches(str(key), sorted(known), n=1, cutoff=0.75)
                if close:
                    raise doc.error(sub_path, f"clé inconnue ; vouliez-vous écrire « {close[0]} » ?")
                warn.append(f"clé « {sub_path} » inconnue, ignorée")
                continue
            _check_keys(doc, sub_path, sub, warn)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_keys(doc, f"{path}[{index}]", item, warn)


def _input_name(doc: _Yaml, path: str, folder: Path) -> str | None:
    name = doc.text(path, required=False)
    if name is None:
        return None
    pure = PurePosixPath(name.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts:
        raise doc.error(path, f"attendu un fichier du dossier de la convention (trouvé {name!r})")
    return str(pure)


def load_convention(folder: str | Path) -> Convention:
    """Read and validate ``folder/convention.yaml``."""
    folder = Path(folder)
    path = folder / "convention.yaml"
    label = str(path)
    if not folder.is_dir():
        raise InputError("dossier de convention introuvable", file=str(folder))
    if not path.is_file():
        raise InputError("fichier convention.yaml absent du dossier", file=label)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("attendu un fichier YAML encodé en UTF-8", file=label) from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"YAML illisible ({problem})", file=label, row=mark.line + 1 if mark else None) from None
    if not isinstance(data, dict):
        raise InputError("attendu une table de clés YAML (id, period, budget...)", file=label)
    doc = _Yaml(data, _key_lines(node) if node is not None else {}, label)
    notes: list[str] = []
    _check_keys(doc, "", data, notes)
    for note in notes:
        warnings.warn(f"{label} : {note}", ConventionWarning, stacklevel=2)

    period_start, period_end = doc.date("period.start"), doc.date("period.end")
    if period_start > period_end:
        raise doc.error("period.end", f"la fin ({period_end}) précède le début ({period_start})")
    report_due = doc.date("report_due_date", required=False) or add_months(period_end, 2)

    budget = _budget(doc)
    staff = _staff(doc)
    management = _management_costs(doc)
    if management.mode == "flat_rate" and not any(b.kind == "management" for b in budget):
        raise doc.error(
            "rules.management_costs.mode",
            "le forfait de gestion demande une ligne de budget de nature « management »",
        )
    funding_rate = doc.rate("subsidy.funding_rate", required=False)
    if funding_rate is not None and not (0 < funding_rate <= 1):
        raise doc.error("subsidy.funding_rate", f"attendu un taux dans ]0 ; 1] (trouvé {float(funding_rate)})")
    if funding_rate is None and sum(b.amount for b in budget) <= 0:
        raise doc.error("budget", "le total du budget est nul : indiquer subsidy.funding_rate")
    amount = doc.money("subsidy.amount")
    if amount <= 0:
        raise doc.error("subsidy.amount", "attendu un montant accordé strictement positif")

    payments = []
    for i, _ in enumerate(doc.sequence("subsidy.payments", required=False)):
        doc.mapping(f"subsidy.payments[{i}]")
        payments.append(Payment(doc.date(f"subsidy.payments[{i}].date"), doc.money(f"subsidy.payments[{i}].amount")))

    bank = None
    if doc.mapping("beneficiary.bank", required=False) is not None:
        rib = None
        if doc.mapping("beneficiary.bank.rib", required=False) is not None:
            rib = Rib(*(doc.text(f"beneficiary.bank.rib.{k}") for k in ("banque", "guichet", "compte", "cle")))
        bank = Bank(
            iban=doc.text("beneficiary.bank.iban", required=False),
            bic=doc.text("beneficiary.bank.bic", required=False),
            rib=rib,
        )

    project_codes = tuple(
        doc.text(f"rules.project_codes[{i}]").upper()
        for i, _ in enumerate(doc.sequence("rules.project_codes", required=False))
    )
    alert = doc.rate("rules.variance_alert_pct", required=False)
    if alert is not None and alert < 0:
        raise doc.error("rules.variance_alert_pct", "attendu un pourcentage positif")

    doc.mapping("inputs")
    for role in ("payroll", "expenses"):
        doc.get(f"inputs.{role}")  # the key is required; its value may be null
    inputs = {role: _input_name(doc, f"inputs.{role}", folder) for role in ("payroll", "expenses", "activity")}
    columns = {}
    for header, canonical in (doc.mapping("inputs.columns", required=False) or {}).items():
        if canonical not in CANONICAL_COLUMNS:
            raise doc.error(
                f"inputs.columns.{header}",
                f"colonne cible inconnue {canonical!r} (attendu l'une de : {', '.join(sorted(CANONICAL_COLUMNS))})",
            )
        columns[str(header)] = canonical

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
        bank=bank,
        subsidy_amount=amount,
        funding_rate=funding_rate,
        payments=tuple(payments),
        budget=budget,
        staff=staff,
        project_codes=project_codes,
        management_costs=management,
        payment_deadline=doc.date("rules.payment_deadline", required=False) or report_due,
        variance_alert_pct=alert if alert is not None else Fraction(15),
        inputs=inputs,
        columns=columns,
    )


def _budget(doc: _Yaml) -> tuple[BudgetLine, ...]:
    items = doc.sequence("budget")
    if not items:
        raise doc.error("budget", "attendu au moins une ligne de budget (annexe 2)")
    lines, seen = [], set()
    for i, _ in enumerate(items):
        p = f"budget[{i}]"
        doc.mapping(p)
        line_id = doc.text(f"{p}.line")
        if line_id.lower() in seen or line_id.lower() == HORS_BUDGET:
            raise doc.error(f"{p}.line", f"identifiant de ligne en double ou réservé : {line_id!r}")
        seen.add(line_id.lower())
        kind = doc.get(f"{p}.kind", None)
        if kind not in KINDS:
            raise doc.error(f"{p}.kind", f"attendu personnel, management ou null (trouvé {kind!r})")
        amount = doc.money(f"{p}.amount")
        if amount < 0:
            raise doc.error(f"{p}.amount", f"attendu un montant positif ou nul (trouvé {amount / 100})")
        label = doc.text(f"{p}.label", required=False) or line_id
        lines.append(BudgetLine(line_id, label, kind, amount))
    personnel = [b for b in lines if b.kind == "personnel"]
    if len(personnel) != 1:
        raise doc.error("budget", f"attendu exactement une ligne « personnel » (trouvé {len(personnel)})")
    return tuple(lines)


def _staff(doc: _Yaml) -> tuple[StaffMember, ...]:
    members, seen = [], set()
    for i, _ in enumerate(doc.sequence("staff")):
        p = f"staff[{i}]"
        doc.mapping(p)
        employee_id = doc.text(f"{p}.employee_id")
        if employee_id in seen:
            raise doc.error(f"{p}.employee_id", f"matricule en double : {employee_id!r}")
        seen.add(employee_id)
        allocation = doc.rate(f"{p}.allocation", required=False)
        allocation = Fraction(1) if allocation is None else allocation
        if not (0 < allocation <= 1):
            raise doc.error(f"{p}.allocation", f"attendu une quotité dans ]0 ; 1] (trouvé {float(allocation)})")
        start, end = doc.date(f"{p}.start", required=False), doc.date(f"{p}.end", required=False)
        if start and end and start > end:
            raise doc.error(f"{p}.end", f"la fin ({end}) précède le début ({start})")
        members.append(
            StaffMember(
                employee_id=employee_id,
                role=doc.text(f"{p}.role", required=False) or "",
                allocation=allocation,
                start=start,
                end=end,
                ddets_validation_date=doc.date(f"{p}.ddets_validation_date", required=False),
            )
        )
    return tuple(members)


def _management_costs(doc: _Yaml) -> ManagementCosts:
    if doc.mapping("rules.management_costs", required=False) is None:
        return ManagementCosts(mode="actual")
    mode = doc.text("rules.management_costs.mode")
    if mode == "actual":
        cap = doc.rate("rules.management_costs.cap_rate", required=False)
        if cap is not None and cap < 0:
            raise doc.error("rules.management_costs.cap_rate", "attendu un taux positif")
        return ManagementCosts(mode="actual", cap_rate=cap)
    if mode == "flat_rate":
        rate = doc.rate("rules.management_costs.rate")
        if rate < 0:
            raise doc.error("rules.management_costs.rate", "attendu un taux positif")
        return ManagementCosts(mode="flat_rate", rate=rate)
    raise doc.error("rules.management_costs.mode", f"attendu actual ou flat_rate (trouvé {mode!r})")
