"""Importing numbered texts: every marker form, sub-points, titles, and errors with lines."""

from __future__ import annotations

import pytest

from parley.texts.numbered import NumberedTextError, default_wid, parse_numbered

# An illustrative plan written for these tests, using every supported marker form.
PLAN = """\
# Illustrative framework

1. The parties confirm the sovereignty of the state.
   A second line of the same paragraph.

   A second paragraph.
   - a bullet line
   - another bullet line
2) Security guarantees are given:
   (a) by the partners;
   (b) for ten years.
2a. An inserted point.
## 3. Elections
Elections are held within 100 days.
3.1 Observers are invited.
3.2 Results are certified
   a) by the commission,
   b) within a week.
**4.** A bold-numbered point.
- (a) a bulleted sub-point.
"""


def numbers_and_parents(text: str) -> list[tuple[str, str | None]]:
    parsed = parse_numbered(text)
    by_wid = {p.wid: p.number for p in parsed.provisions}
    return [(p.number, by_wid.get(p.parent_wid or "")) for p in parsed.provisions]


def errors_of(text: str) -> list[str]:
    with pytest.raises(NumberedTextError) as caught:
        parse_numbered(text)
    return caught.value.errors


def test_every_marker_form_becomes_a_provision_with_its_parent() -> None:
    assert numbers_and_parents(PLAN) == [
        ("1", None),
        ("2", None),
        ("2(a)", "2"),
        ("2(b)", "2"),
        ("2a", None),
        ("3", None),
        ("3.1", "3"),
        ("3.2", "3"),
        ("3.2(a)", "3.2"),
        ("3.2(b)", "3.2"),
        ("4", None),
        ("4(a)", "4"),
    ]


def test_title_headings_and_text_are_kept() -> None:
    parsed = parse_numbered(PLAN)
    assert parsed.title == "Illustrative framework"
    first, *_ = parsed.provisions
    assert first.text == (
        "The parties confirm the sovereignty of the state. A second line of the same paragraph."
        "\n\nA second paragraph.\n- a bullet line\n- another bullet line"
    )
    three = next(p for p in parsed.provisions if p.number == "3")
    assert three.heading == "Elections"
    assert three.text == "Elections are held within 100 days."
    assert parsed.lines[:3] == (3, 9, 10)
    assert parsed.warnings == ()


def test_ids_come_from_numbers_unless_the_caller_supplies_them() -> None:
    parsed = parse_numbered(PLAN)
    assert [p.wid for p in parsed.provisions][:4] == ["p1", "p2", "p2-a", "p2-b"]
    assert default_wid("3.2(a)") == "p3.2-a"
    custom = parse_numbered("1. One.\n2. Two.", wid_for=lambda n: f"uuid-{n}")
    assert [p.wid for p in custom.provisions] == ["uuid-1", "uuid-2"]


def test_a_plain_first_line_is_the_title_and_front_matter_is_metadata() -> None:
    parsed = parse_numbered("---\nversion: v2\nauthor: Mediator\n---\nPlan\n\n1. One.\n")
    assert parsed.title == "Plan"
    assert parsed.metadata == {"version": "v2", "author": "Mediator"}
    assert parse_numbered("1. One.").title is None


def test_windows_line_endings_and_html_comments() -> None:
    parsed = parse_numbered("1. One\r\n<!-- a note\r\nstill a note -->\r\n2. Two\r\n")
    assert [p.text for p in parsed.provisions] == ["One", "Two"]


def test_escaped_numbers_stay_text() -> None:
    parsed = parse_numbered("1. In the year\n2025\\. was hard.\n\\(a) is not a sub-point\n")
    assert parsed.provisions[0].text == "In the year 2025. was hard. (a) is not a sub-point"
    assert len(parsed.provisions) == 1


def test_numbers_inside_a_line_are_not_points() -> None:
    parsed = parse_numbered("1. The 2. round and 3) more\n1.5% growth is text\n")
    assert len(parsed.provisions) == 1


def test_starting_above_one_is_a_warning_not_an_error() -> None:
    parsed = parse_numbered("5. Five.\n6. Six.\n")
    assert parsed.warnings == ("line 1: numbering starts at 5, not 1",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1. One\n3. Three\n", ["line 2: point 3 follows 1"]),
        ("1. One\n2. Two\n1. Again\n", ["line 3: point 1 appears twice (first on line 1)"]),
        (
            "1. One\n2. Two\n3. Three\n2a. Late\n",
            ["line 4: point 2a follows 3 (an inserted point repeats the number before it)"],
        ),
        ("1. One\n1b. Skip\n", ["line 2: point 1b follows 1"]),
        ("1. One\n2.\n3. Three\n", ["line 2: point 2 is empty"]),
        ("## 1. Heading only\n", ["line 1: point 1 is empty"]),
        (
            "Title\nA preamble\n1. One\n",
            ["line 2: text before the first point (only a title, on line 1, may come first)"],
        ),
        ("1. One\n2.1 Sub\n", ["line 2: point 2.1 is not under point 2"]),
        ("1. One\n1.2 Sub\n", ["line 2: point 1.2 follows 1 (its first sub-point is 1.1)"]),
        ("1. One\n1.1 A\n1.3 C\n", ["line 3: point 1.3 follows 1.1"]),
        ("1. One\n(b) B\n", ["line 2: point 1(b) starts at (b) instead of (a)"]),
        ("1. One\n(a) A\n(c) C\n", ["line 3: point 1(c) follows (a)"]),
        ("Title\n(a) A\n1. One\n", ["line 2: sub-point (a) before any point"]),
        (
            "1. One\n## Section two\n2. Two\n",
            [
                "line 2: heading without a point number "
                "(write '## 8. Section two' or drop the heading)"
            ],
        ),
        ("1. One\n<!-- open\n", ["end of text: an HTML comment ('<!--') is not closed"]),
        ("Just a title\n", ["line 2: no numbered points found (a point starts like '1. ')"]),
        ("---\nkey value\n---\n1. One\n", ["line 2: front matter line is not 'key: value'"]),
    ],
)
def test_problems_are_reported_with_their_line(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_all_problems_are_reported_together_in_line_order() -> None:
    errors = errors_of("Title\nPreamble\n1. One\n3. Three\n3. Again\n4.\n6) Six\n")
    assert errors == [
        "line 2: text before the first point (only a title, on line 1, may come first)",
        "line 4: point 3 follows 1",
        "line 5: point 3 appears twice (first on line 4)",
        "line 6: point 4 is empty",
        "line 7: point 6 follows 4",
    ]
    with pytest.raises(NumberedTextError, match="line 4: point 3 follows 1"):
        parse_numbered("Title\nPreamble\n1. One\n3. Three\n")


def test_going_backwards_is_an_error() -> None:
    assert errors_of("1. One\n2. Two\n3. Three\n2b. B\n")[0].startswith("line 4: point 2b")
    assert errors_of("4. Four\n5. Five\n3. Three\n") == ["line 3: point 3 goes backwards after 5"]


def test_a_heading_point_with_sub_points_needs_no_text_of_its_own() -> None:
    parsed = parse_numbered("## 1. Security\n1.1 Guarantees.\n1.2 Monitoring.\n")
    assert parsed.provisions[0].heading == "Security" and parsed.provisions[0].text == ""


def test_ids_that_collide_are_refused() -> None:
    with pytest.raises(NumberedTextError, match="same id"):
        parse_numbered("1. One\n2. Two\n", wid_for=lambda n: "same")
