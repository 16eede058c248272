"""The user guide and the code agree: generated tables are up to date, every chapter is linked,
nothing points outside the repository, examples load, the schema accepts them."""

from __future__ import annotations

import re

import jsonschema
import pytest
import yaml

from pexaudit.core.registry import FINDINGS, RULES
from pexaudit.docs import convention_template, generated_files, schema_text
from pexaudit.errors import InputError
from pexaudit.inputs.columns import FIELDS
from pexaudit.inputs.convention import load_convention
from pexaudit.inputs.keys import KEYS, json_schema

from .conftest import ROOT, SAMPLE

DOCS = ROOT / "docs"


def test_generated_files_are_up_to_date():
    stale = [str(p.relative_to(ROOT)) for p, text in generated_files(ROOT).items() if p.read_text("utf-8") != text]
    assert not stale, f"run `make docs`: {stale}"


def test_every_chapter_is_linked_and_exists():
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = set(re.findall(r"\]\(([a-z-]+\.md)\)", index))
    chapters = {p.name for p in DOCS.glob("*.md")} - {"README.md"}
    assert linked == chapters
    assert "docs/README.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name} links to a missing {target}"


@pytest.mark.parametrize("path", [ROOT / "README.md", *sorted(DOCS.glob("*.md")), ROOT / "data" / "README.md"],
                         ids=lambda p: p.name)  # fmt: skip
def test_users_are_never_sent_outside_the_repository(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"SPEC\.md|DOMAIN\.md|\.\./shared|TOOLING\.md", text)


def test_the_guide_names_every_key_column_rule_and_finding():
    text = "\n".join(p.read_text(encoding="utf-8") for p in DOCS.glob("*.md"))
    for path in KEYS:
        assert f"`{path}`" in text
    for role in FIELDS:
        for name in FIELDS[role]:
            assert f"`{name}`" in text
    for code in [*RULES, *FINDINGS]:
        assert f"`{code}`" in text


# What a user writes in place of each « À COMPLÉTER » of the template (its comments' examples).
FILLED = {
    "id": "dd33-2025-pex", "title": "Chargé de mission PEX", "start": "2025-01-01", "end": "2025-12-31",
    "name": "Préfecture de la Gironde", "service": "DDETS de la Gironde",
    "court": "tribunal administratif de Bordeaux", "siret": "32738082000032", "amount": "38000.00",
    "date": "2025-02-20", "employee_id": "000127", "project_codes[]": "PEX33",
}  # fmt: skip


def _filled(node, key: str = ""):
    if isinstance(node, dict):
        return {k: _filled(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_filled(v, f"{key}[]") for v in node]
    return FILLED[key] if isinstance(node, str) and node.startswith("À COMPLÉTER") else node


def test_the_template_is_refused_until_filled_in_then_loads_and_names_every_key(tmp_path):
    """`pexaudit init` writes « À COMPLÉTER » where only the user knows the value (no valid fake SIRET,
    no fake association): a load error naming the key and its line until every one is replaced."""
    (tmp_path / "convention.yaml").write_text(convention_template(), encoding="utf-8")
    for name in ("paie.xlsx", "depenses.xlsx"):
        (tmp_path / name).touch()
    with pytest.raises(InputError) as info:
        load_convention(tmp_path)
    assert info.value.key == "id" and "valeur à compléter" in info.value.message and info.value.row
    assert "autre(s) valeur(s) à compléter" in info.value.message
    assert "32738082000032" not in re.sub(r"#.*", "", convention_template())  # examples only in comments
    data = _filled(yaml.load(convention_template(), Loader=_Strings))
    (tmp_path / "convention.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    convention = load_convention(tmp_path)
    assert not convention.notes and convention.management_costs.mode == "flat_rate"
    assert convention.siret == "32738082000032" and convention.staff[0].employee_id == "000127"
    for key in KEYS.values():
        assert re.search(rf"\b{re.escape(key.name.split('[')[0])}\b", convention_template()), key.path


class _Strings(yaml.SafeLoader):
    """YAML as an editor's schema check sees it: dates stay text."""


_Strings.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: node.value)


@pytest.mark.parametrize(
    "source", [SAMPLE / "convention.yaml", *sorted((ROOT / "tests" / "cases").glob("*/convention.yaml")), "template"],
    ids=lambda p: p if isinstance(p, str) else p.parent.name,
)  # fmt: skip
def test_the_json_schema_accepts_real_conventions(source):
    text = convention_template() if source == "template" else source.read_text(encoding="utf-8")
    jsonschema.validate(yaml.load(text, Loader=_Strings), json_schema())


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"rules": {"management_costs": {"mode": "flat_rate", "rate": 8}}}, "rate"),
        ({"rules": {"variance_alert_pct": 0.15}}, "variance_alert_pct"),
        ({"staff": [{"employee_id": "A1", "allocation": 50}]}, "allocation"),
        ({"budget": [{"line": "p", "kind": "salaires", "amount": 1}]}, "kind"),
    ],
)
def test_the_json_schema_catches_unit_slips(change, path):
    data = yaml.load(convention_template(), Loader=_Strings)
    data.update(change)
    with pytest.raises(jsonschema.ValidationError) as info:
        jsonschema.validate(data, json_schema())
    assert path in "/".join(map(str, info.value.absolute_path))


def test_schema_file_is_valid_json_schema():
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert (DOCS / "convention.schema.json").read_text(encoding="utf-8") == schema_text()


YAML_BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


@pytest.mark.parametrize("page", sorted(DOCS.glob("*.md")), ids=lambda p: p.name)
def test_every_yaml_example_of_the_guide_reads_as_written(page, tmp_path):
    """A user copies the examples: none may hide a comma that YAML splits inside {...}."""
    from pexaudit.inputs.convention import read_yaml

    for index, block in enumerate(YAML_BLOCK.findall(page.read_text(encoding="utf-8"))):
        path = tmp_path / f"{page.stem}-{index}.yaml"
        path.write_text(block, encoding="utf-8")
        read_yaml(path, path.name, documented=None)  # raises InputError on a split or a syntax error


@pytest.mark.parametrize("path", [ROOT / "README.md", DOCS / "demarrage.md"], ids=lambda p: p.name)
def test_the_printed_summary_is_the_one_the_sample_gives(path, audited):
    """The summary block a guide shows for ``make demo`` is what the audit of the sample prints."""
    from pexaudit.cli import summary
    from pexaudit.core.audit import results

    text = path.read_text(encoding="utf-8")
    shown = re.search(r"```\n(Convention cd35-2024-pex\n.*?)```", text, re.S)
    assert shown, f"{path.name}: no summary block"
    assert shown.group(1).rstrip("\n") == summary(results(audited(SAMPLE)))
