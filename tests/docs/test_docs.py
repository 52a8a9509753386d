"""Docs that tests keep honest: every scenario field, command, setting and table is documented.

Each test reads the code's own description of itself (the JSON Schema, the Click command tree,
``Settings.model_fields``, the SQLAlchemy metadata) and fails naming what docs/ is missing.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from pydantic_core import PydanticUndefined
from typer.testing import CliRunner

from parley.audit.chain import event_hash
from parley.audit.verify import verify_all
from parley.authz import Actor
from parley.config import Settings
from parley.db.engine import create_db_engine, read_session, write_session
from parley.db.registry import metadata
from parley.scenario.loader import load_scenario
from parley.scenario.validate import ScenarioError, schema, validate
from parley.scenario.yamlfile import load_with_lines

DOCS = Path(__file__).resolve().parents[2] / "docs"
OWN_DOCS = ("concepts.md", "scenario.md", "cli.md", "configuration.md", "audit.md")


def read(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def backticked(text: str) -> set[str]:
    """Every `code span` of a Markdown text, and every word inside one."""
    spans = re.findall(r"`([^`\n]+)`", text)
    return set(spans) | {word for span in spans for word in re.findall(r"[\w.+:-]+", span)}


def sections(text: str, level: int) -> dict[str, str]:
    """Map each heading of ``level`` to its text, up to the next heading of that level or above."""
    found: dict[str, str] = {}
    heading: str | None = None
    body: list[str] = []
    for line in text.splitlines():
        match = re.match(r"^(#+) (.*)$", line)
        if match and len(match.group(1)) <= level:
            if heading is not None:
                found[heading] = "\n".join(body)
            heading = match.group(2).strip() if len(match.group(1)) == level else None
            body = []
        elif heading is not None:
            body.append(line)
    if heading is not None:
        found[heading] = "\n".join(body)
    return found


def fenced_block(text: str, marker: str) -> str:
    """The fenced code block that follows ``<!-- marker -->``."""
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert match, f"no code block after <!-- {marker} -->"
    return match.group(1) + "\n"


# --- docs/scenario.md against the JSON Schema -------------------------------------------


def schema_fields(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (property name, property schema) at any depth of a JSON Schema node."""
    if isinstance(node, dict):
        yield from (node.get("properties") or {}).items()
        for value in node.values():
            yield from schema_fields(value)
    elif isinstance(node, list):
        for value in node:
            yield from schema_fields(value)


def enum_values(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.get("enum") or []:
            yield str(value)
        for value in node.values():
            yield from enum_values(value)
    elif isinstance(node, list):
        for value in node:
            yield from enum_values(value)


def scenario_sections() -> dict[str, str]:
    return {
        heading.strip("`"): body
        for heading, body in sections(read("scenario.md"), 2).items()
        if heading.startswith("`")
    }


def test_every_top_level_section_of_the_schema_has_its_own_heading() -> None:
    missing = sorted(set(schema()["properties"]) - set(scenario_sections()))
    assert not missing, f"docs/scenario.md lacks a '## `NAME`' heading for: {missing}"


def test_every_schema_field_is_documented() -> None:
    names = {name for name, _ in schema_fields(schema())}
    missing = sorted(names - backticked(read("scenario.md")))
    assert not missing, f"fields of schema.json not mentioned in docs/scenario.md: {missing}"


@pytest.mark.parametrize("section", sorted(schema()["properties"]))
def test_every_field_and_allowed_value_is_documented_in_its_section(section: str) -> None:
    body = scenario_sections().get(section, "")
    words = backticked(body) | backticked(f"`{section}`")
    sub = schema()["properties"][section]
    missing = sorted({name for name, _ in schema_fields(sub)} - words)
    assert not missing, f"docs/scenario.md section `{section}` does not mention: {missing}"
    values = sorted(set(enum_values(sub)) - words)
    assert not values, f"docs/scenario.md section `{section}` does not list the values: {values}"


def test_the_complete_example_uses_every_section() -> None:
    data, _ = load_with_lines(fenced_block(read("scenario.md"), "example: complete"))
    assert sorted(data) == sorted(schema()["properties"])


def test_the_complete_example_loads_and_its_audit_chains_verify(
    databases: Any, tmp_path: Path
) -> None:
    text = fenced_block(read("scenario.md"), "example: complete")
    data, lines = load_with_lines(text, "example.yaml")
    validate(data, lines, "example.yaml")
    engine = create_db_engine(databases.sqlite("empty", tmp_path / "example.db"))
    try:
        with write_session(engine) as session:
            load_scenario(session, data, actor=Actor.system("docs-test"))
        with read_session(engine) as session:
            report = verify_all(session)
    finally:
        engine.dispose()
    assert report.ok, report.breaks
    # Its spaces are the ones the page explains: one chain each, plus `system` for accounts;
    # docs/audit.md quotes what `parley verify` says about this very database.
    assert report.chains == 8
    said = (
        f"ok: {report.chains} chains, {report.events} events, {report.records} records, "
        f"{report.checkpoints} stored checkpoints verified"
    )
    assert said in " ".join(read("audit.md").split())


def test_the_broken_example_prints_exactly_the_documented_problems() -> None:
    doc = read("scenario.md")
    data, lines = load_with_lines(fenced_block(doc, "example: broken"), "broken.yaml")
    with pytest.raises(ScenarioError) as caught:
        validate(data, lines, "broken.yaml")
    assert str(caught.value) + "\n" == fenced_block(doc, "output: broken")
    assert "documents[0].versions[1].provisions[3].text: required (line" in str(caught.value)


def test_scenario_check_prints_the_documented_problems_one_per_line(tmp_path: Path) -> None:
    from parley.cli import app

    doc = read("scenario.md")
    path = tmp_path / "broken.yaml"
    path.write_text(fenced_block(doc, "example: broken"), encoding="utf-8")
    # A narrow console: nothing may wrap a problem over two lines.
    result = CliRunner().invoke(app, ["scenario", "check", str(path)], env={"COLUMNS": "40"})
    assert result.exit_code == 2
    assert result.output == fenced_block(doc, "output: broken").replace("broken.yaml", str(path))


# --- docs/cli.md against the command tree ------------------------------------------------


def command_tree() -> Iterator[tuple[str, Any]]:
    """Every (path, Click command) below ``parley``, groups included, e.g. ("scenario load", …)."""
    from parley.cli import app

    def walk(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        yield path, command
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            if not sub.hidden:
                yield from walk(sub, f"{path} {name}".strip())

    yield from walk(typer.main.get_command(app), "")


def cli_sections() -> dict[str, str]:
    found: dict[str, str] = {}
    for level in (2, 3, 4):
        for heading, body in sections(read("cli.md"), level).items():
            match = re.fullmatch(r"`parley( [^`]*)?`.*", heading)
            if match:
                found[(match.group(1) or "").strip()] = body
    return found


def test_every_command_has_help_text() -> None:
    missing = [path or "(parley)" for path, cmd in command_tree() if not (cmd.help or "").strip()]
    assert not missing, f"commands without help text: {missing}"


def test_every_option_has_help_text() -> None:
    missing = [
        f"parley {path} {param.opts[0]}"
        for path, cmd in command_tree()
        for param in cmd.params
        if param.param_type_name == "option" and not (getattr(param, "help", None) or "").strip()
    ]
    assert not missing, f"options without help text: {missing}"


def test_every_command_has_a_section_in_cli_md() -> None:
    documented = cli_sections()
    missing = [f"parley {path}".strip() for path, _ in command_tree() if path not in documented]
    assert not missing, f"docs/cli.md has no '### `parley ...`' heading for: {missing}"


def test_every_option_is_documented_in_its_command_section() -> None:
    documented = cli_sections()
    missing = []
    for path, cmd in command_tree():
        words = backticked(documented.get(path, ""))
        for param in cmd.params:
            if param.param_type_name != "option":
                continue
            names = [o for o in param.opts + param.secondary_opts if o.startswith("--")]
            if names and not any(name in words for name in names):
                missing.append(f"parley {path} {names[0]}")
    assert not missing, f"options not mentioned in their docs/cli.md section: {missing}"


# --- docs/configuration.md against Settings -----------------------------------------------


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_with_its_variable_and_default(name: str) -> None:
    variable = f"PARLEY_{name.upper()}"
    lines = read("configuration.md").splitlines()
    rows = [line for line in lines if line.startswith(f"| `{variable}` |")]
    assert rows, f"docs/configuration.md has no table row for {variable}"
    field = Settings.model_fields[name]
    if field.default is not PydanticUndefined:
        assert f"`{field.default}`" in rows[0], f"{variable}: default `{field.default}` not shown"


def test_documented_variables_exist() -> None:
    documented = set(re.findall(r"\|\s*`PARLEY_([A-Z_]+)`", read("configuration.md")))
    settings = {name.upper() for name in Settings.model_fields}
    test_only = {"TEST_POSTGRES", "REQUIRE_POSTGRES", "REQUIRE_BROWSER", "TEST_RLS"}
    stale = sorted(documented - settings - test_only)
    assert not stale, f"docs/configuration.md documents settings that do not exist: {stale}"


# --- docs/concepts.md and docs/audit.md ----------------------------------------------------


def test_every_table_is_named_in_concepts() -> None:
    missing = sorted(set(metadata.tables) - backticked(read("concepts.md")))
    assert not missing, f"tables not named in docs/concepts.md: {missing}"


def test_the_audit_page_names_every_field_the_hash_covers() -> None:
    covered = [p for p in inspect.signature(event_hash).parameters]
    missing = sorted(set(covered) - backticked(read("audit.md")))
    assert not missing, f"docs/audit.md does not say that the hash covers: {missing}"


# --- links between the pages ----------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@pytest.mark.parametrize("name", OWN_DOCS)
def test_relative_links_and_anchors_resolve(name: str) -> None:
    broken = []
    for target in re.findall(r"\]\(([^)\s]+)\)", read(name)):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        path = (DOCS / (file or name)).resolve()
        if not path.exists():
            broken.append(target)
        elif anchor and path.suffix == ".md":
            headings = re.findall(r"^#+ (.*)$", path.read_text(encoding="utf-8"), re.M)
            if anchor not in {slug(h) for h in headings}:
                broken.append(target)
    assert not broken, f"{name}: broken links {broken}"
