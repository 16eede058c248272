"""The user guide's reference tables, generated from the code so that guide and code agree.

``python -m pexaudit.docs`` (``make docs``) rewrites, in ``docs/*.md``, every block between
``<!-- BEGIN GENERATED: name -->`` and ``<!-- END GENERATED -->``, and writes the JSON Schema of
convention.yaml (``docs/convention.schema.json``, also shipped in the package). A test fails
when a committed file differs from what this module generates.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from .core.registry import FINDINGS, RULES
from .inputs.columns import FIELDS
from .inputs.keys import KEYS, TYPES, json_schema
from .vocabulary import SEVERITIES

__all__ = ["BLOCKS", "convention_template", "generated_files", "render_block"]

PACKAGE = Path(__file__).resolve().parent
ROLES_FR = {"payroll": "Paie", "expenses": "Dépenses", "activity": "Activité"}


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def keys_table() -> str:
    rows = []
    for key in KEYS.values():
        kind = TYPES[key.type][0]
        if key.choices:
            kind += " : " + ", ".join("null" if c is None else str(c) for c in key.choices)
        required = "oui" if key.required else "non"
        rows.append([f"`{key.path}`", kind, required, key.default or "—", key.doc])
    return _table(["clé", "type et unité", "obligatoire", "défaut", "signification"], rows)


def columns_table(role: str) -> str:
    rows = []
    for column in FIELDS[role].values():
        required = "oui" if column.required else "non"
        if column.condition:
            required += f" ({column.condition})"
        aliases = ", ".join(f"« {a} »" for a in column.aliases)
        rows.append([f"`{column.name}`", required, column.meaning, aliases])
    return _table(["nom canonique", "obligatoire", "signification", "en-têtes reconnus"], rows)


def rules_table() -> str:
    rows = [[f"`{e.code}`", e.criterion or "—", e.label, e.meaning, e.action, e.where] for e in RULES.values()]
    return _table(["règle", "critère (article 4)", "libellé", "signification", "que faire", "évaluée par"], rows)


def findings_table() -> str:
    rows = []
    for e in FINDINGS.values():
        severity = " / ".join(SEVERITIES[s] for s in e.severity_text.split(" / "))
        rows.append([f"`{e.code}`", severity, e.meaning, e.action, e.where])
    return _table(["constat", "gravité", "quand", "que faire", "évalué par"], rows)


BLOCKS = {
    "convention-keys": keys_table,
    "columns-payroll": lambda: columns_table("payroll"),
    "columns-expenses": lambda: columns_table("expenses"),
    "columns-activity": lambda: columns_table("activity"),
    "rules": rules_table,
    "findings": findings_table,
    "convention-template": lambda: "```yaml\n" + convention_template().rstrip() + "\n```",
}
_BLOCK = re.compile(r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED -->)", re.S)


def render_block(name: str) -> str:
    return BLOCKS[name]() + "\n"


def convention_template() -> str:
    """The commented convention.yaml that ``pexaudit init`` writes (every key, with its unit)."""
    return (PACKAGE / "templates" / "convention.yaml").read_text(encoding="utf-8")


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def regenerate(text: str) -> str:
    return _BLOCK.sub(lambda m: m.group(1) + render_block(m.group("name")) + m.group(4), text)


def generated_files(root: Path) -> dict[Path, str]:
    """Every generated file under ``root`` (the repository) with the text it must hold."""
    files = {path: regenerate(path.read_text(encoding="utf-8")) for path in sorted((root / "docs").glob("*.md"))}
    files[root / "docs" / "convention.schema.json"] = schema_text()
    files[PACKAGE / "convention.schema.json"] = schema_text()
    return files


def main() -> int:
    root = PACKAGE.parent
    changed = 0
    for path, text in generated_files(root).items():
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed += 1
            print(f"écrit : {path.relative_to(root)}")
    print(f"{changed} fichier(s) régénéré(s)")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
