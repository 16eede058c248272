"""Data flows one way (issue 14): inputs -> core -> model -> renderers -> orchestration -> entry.

Every import inside the package, module-level and in-function alike, is read statically (ast)
and must point to the importer's own layer or a lower one; there is no import cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pexaudit"
ORDER = ("base", "inputs", "core", "model", "render", "run", "entry")
# Where each module sits. Folders name their layer; the few modules at the top of the package
# are the base every layer may use (errors, money, French formats and words) and the entry points.
TOP = {
    "__init__": "base", "errors": "base", "money": "base", "fmt": "base", "vocabulary": "base", "assets": "base",
    "cli": "entry", "__main__": "entry", "notebook": "entry", "workbench": "entry", "init": "entry", "docs": "entry",
}  # fmt: skip


def layer_of(module: str) -> str:
    parts = module.split(".")[1:]  # pexaudit.<layer>.<module> or pexaudit.<module>
    if parts and parts[0] in ORDER:
        return parts[0]
    name = parts[0] if parts else "__init__"
    assert name in TOP, f"pexaudit.{name}: put it in a layer folder ({', '.join(ORDER[1:-1])}) or in TOP"
    return TOP[name]


def modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(name: str, path: Path, known: dict) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(up + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name and m != "pexaudit"}


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, known) for name, path in known.items()}


def test_imports_point_down_the_layers():
    wrong = []
    for name, deps in graph().items():
        mine = ORDER.index(layer_of(name))
        for dep in deps:
            if ORDER.index(layer_of(dep)) > mine:
                wrong.append(f"{name} ({layer_of(name)}) imports {dep} ({layer_of(dep)})")
    assert wrong == [], "\n".join(sorted(wrong))


def test_no_import_cycle():
    g = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for dep in sorted(g[node]):
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*path[path.index(dep) :], dep]))
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node, [node])
    assert cycles == []
