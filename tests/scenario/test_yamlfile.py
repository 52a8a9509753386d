"""Reading YAML with the line of every value: the basis of every scenario error message."""

from __future__ import annotations

import string
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.scenario.yamlfile import YamlError, format_path, load_with_lines

NESTED = """\
# An illustrative fragment (line 1 is this comment).
scenario: 1
process:
  key: nested
  title: Nested lines
documents:
  - key: plan
    versions:
      - label: v1
        provisions:
          - {id: p1, number: "1", text: First point.}
          - id: p2
            number: "2"
            text: Second point.
      - label: v2
        provisions:
          - id: p1
            number: "1"
            text: |
              A text over
              two lines.
"""


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line of ``text`` that contains ``needle``."""
    found = [i for i, line in enumerate(text.splitlines(), start=1) if needle in line]
    return found[nth - 1]


def test_the_data_is_the_same_as_plain_yaml() -> None:
    data, _ = load_with_lines(NESTED)
    assert data == yaml.safe_load(NESTED)


@pytest.mark.parametrize(
    ("path", "needle", "nth"),
    [
        (("scenario",), "scenario: 1", 1),
        (("process", "title"), "title: Nested lines", 1),
        (("documents", 0, "key"), "- key: plan", 1),
        (("documents", 0, "versions", 0, "provisions", 0, "text"), "First point.", 1),
        (("documents", 0, "versions", 0, "provisions", 1), "- id: p2", 1),
        (("documents", 0, "versions", 0, "provisions", 1, "text"), "Second point.", 1),
        (("documents", 0, "versions", 1, "label"), "label: v2", 1),
        (("documents", 0, "versions", 1, "provisions", 0, "number"), 'number: "1"', 2),
    ],
)
def test_nested_paths_have_their_1_based_lines(
    path: tuple[str | int, ...], needle: str, nth: int
) -> None:
    _, lines = load_with_lines(NESTED)
    assert lines[path] == line_of(NESTED, needle, nth)


def test_a_mapping_is_placed_at_its_first_key_and_a_block_text_at_its_indicator() -> None:
    _, lines = load_with_lines(NESTED)
    # A missing field is reported at the line where its object starts.
    assert lines[("process",)] == line_of(NESTED, "key: nested")
    assert lines[()] == line_of(NESTED, "scenario: 1")
    block = ("documents", 0, "versions", 1, "provisions", 0, "text")
    assert lines[block] == line_of(NESTED, "text: |")


def test_duplicate_keys_are_reported_with_their_path_and_line() -> None:
    text = "scenario: 1\nprocess:\n  key: a\n  title: T\n  key: b\n"
    with pytest.raises(YamlError) as caught:
        load_with_lines(text, "dup.yaml")
    assert str(caught.value) == "process.key: duplicate key (line 5)"


def test_duplicate_keys_deep_in_a_list_name_the_item() -> None:
    text = "parties:\n  - {key: A, name: Alpha}\n  - key: B\n    name: Beta\n    name: Bis\n"
    with pytest.raises(YamlError, match=r"^parties\[1\]\.name: duplicate key \(line 5\)$"):
        load_with_lines(text)


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("scenario: 1\nparties: [A, B\nprocess: x\n", 3),
        ("scenario: 1\nprocess:\n  key: a\n title: b\n", 4),
        ("scenario: 1\ntitle: 'unclosed\n", 3),
        ("scenario: 1\n---\nscenario: 2\n", 2),
    ],
)
def test_invalid_yaml_names_the_file_and_the_line(text: str, line: int) -> None:
    with pytest.raises(YamlError) as caught:
        load_with_lines(text, "broken.yaml")
    message = str(caught.value)
    assert message.startswith("broken.yaml: not valid YAML: ")
    assert message.endswith(f"(line {line})")


def test_dates_and_times_become_iso_strings() -> None:
    text = (
        "day: 2025-12-22\n"
        "aware: 2025-12-22T10:00:00-05:00\n"
        "naive: 2025-12-22 10:00:00\n"
        "quoted: '2025-12-22'\n"
        "items: [2026-01-01]\n"
    )
    data, _ = load_with_lines(text)
    assert data == {
        "day": "2025-12-22",
        "aware": "2025-12-22T10:00:00-05:00",
        "naive": "2025-12-22T10:00:00",
        "quoted": "2025-12-22",
        "items": ["2026-01-01"],
    }


def test_an_impossible_unquoted_date_is_reported_with_its_line() -> None:
    with pytest.raises(YamlError, match=r"\(line 2\)"):
        load_with_lines("scenario: 1\nprocess: {key: k, title: T, start_date: 2026-02-30}\n", "f")


def test_other_scalars_keep_their_yaml_types() -> None:
    data, _ = load_with_lines('n: 1\nx: 1.5\nb: true\nnone: null\ns: "1"\n')
    assert data == {"n": 1, "x": 1.5, "b": True, "none": None, "s": "1"}


def test_mapping_keys_are_always_strings() -> None:
    # YAML 1.1 reads an unquoted NO as false: a key spelt so becomes "False" (see docs/scenario.md).
    data, lines = load_with_lines("1: one\nNO: norway\n'NO': quoted\n")
    assert data == {"1": "one", "False": "norway", "NO": "quoted"}
    assert lines[("NO",)] == 3


def test_an_empty_file_is_none() -> None:
    assert load_with_lines("") == (None, {})
    assert load_with_lines("# nothing but a comment\n") == (None, {})


@pytest.mark.parametrize(
    ("path", "text"),
    [
        ((), "(top level)"),
        (("scenario",), "scenario"),
        (
            ("documents", 0, "versions", 1, "provisions", 3, "text"),
            "documents[0].versions[1].provisions[3].text",
        ),
        (("sessions", 2, "participants", "parties", 0), "sessions[2].participants.parties[0]"),
        ((0, "key"), "[0].key"),
    ],
)
def test_paths_are_written_as_in_error_messages(path: tuple[str | int, ...], text: str) -> None:
    assert format_path(path) == text


# --- a property: every value of a generated document is placed on the line that holds it ----

NAMES = st.text(string.ascii_lowercase, min_size=1, max_size=8).filter(
    # Words YAML 1.1 reads as booleans or null would not come back as the same key.
    lambda s: s not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)
SCALARS = st.one_of(
    st.integers(-1000, 1000),
    st.booleans(),
    st.text(string.ascii_letters + " ", min_size=1, max_size=20).map(lambda s: "w" + s.strip()),
)
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=4),
        st.dictionaries(NAMES, children, min_size=1, max_size=4),
    ),
    max_leaves=25,
)


def scalar_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in scalar_paths(v, path + (k,))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in scalar_paths(v, path + (i,))]
    return [path]


def lookup(value: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@settings(max_examples=150, derandomize=True, deadline=None)
@given(st.dictionaries(NAMES, TREES, min_size=1, max_size=5), st.booleans())
def test_every_scalar_is_placed_on_the_line_that_holds_it(
    document: dict[str, Any], flow: bool
) -> None:
    text = yaml.safe_dump(
        document, sort_keys=False, default_flow_style=None if flow else False, width=10**6
    )
    data, lines = load_with_lines(text)
    assert data == document
    source = text.splitlines()
    for path in scalar_paths(document):
        line = source[lines[path] - 1]
        assert yaml.safe_dump(lookup(document, path)).splitlines()[0] in line
        if isinstance(path[-1], str) and not flow:
            assert f"{path[-1]}:" in line


ALIAS_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefg", "bcdefgh", strict=False)
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scenario: 1\nkey: a\x00b\n", "control character #x0000 is not allowed (line 2)"),
        ("a: 1\nb: !foo x\n", "b: could not determine a constructor for the tag '!foo' (line 2)"),
        ("a: !!python/object:os.system x\n", "could not determine a constructor"),
        ("a: !!binary xx\n", "a: failed to decode base64 data"),
        ("a: !!bool maybe\n", "a: 'maybe' is not a bool (line 1)"),
        ("? [a]\n: b\n", "a key must be a plain value"),
        ("&a [*a]\n", "an alias that contains itself"),
        ("[" * 3000 + "]" * 3000, "nested too deeply"),
        (ALIAS_BOMB, "aliases expand into too many values"),
    ],
)
def test_hostile_yaml_is_a_yaml_error_with_a_clear_message(text: str, message: str) -> None:
    with pytest.raises(YamlError) as raised:
        load_with_lines(text)
    assert message in str(raised.value)
