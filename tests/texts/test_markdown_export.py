"""Markdown export: readable output that the importer reads back to the same provisions."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.texts.markdown_export import version_to_markdown
from parley.texts.numbered import parse_numbered
from parley.texts.plain import PlainProvision, PlainVersion

from .strategies import TEXT_ALPHABET, version

P = PlainProvision

PLAN = version(
    [
        P("p1", "1", None, "Ceasefire along the line of contact.\n\nA second paragraph."),
        P("p2", "2", "Security", "Guarantees are given:"),
        P("p2-a", "2(a)", None, "by the partners;", "p2"),
        P("p2-b", "2(b)", None, "for ten years.", "p2"),
        P("p2.1", "2.1", None, "A joint commission monitors them.", "p2"),
        P("p2a", "2a", None, "2025. was the year talks began.\n- (a) looks like a sub-point"),
    ],
    title="Illustrative plan",
)


def structure(provisions: tuple[PlainProvision, ...]) -> list[tuple]:
    number_of = {p.wid: p.number for p in provisions}
    return [(p.number, p.heading, p.text, number_of.get(p.parent_wid or "")) for p in provisions]


def test_the_markdown_reads_like_the_plan() -> None:
    out = version_to_markdown(PLAN)
    assert out.startswith("---\ndocument: Illustrative plan\n")
    assert "\n# Illustrative plan\n" in out
    assert "\n1. Ceasefire along the line of contact.\n\n   A second paragraph.\n" in out
    assert "\n## 2. Security\n\nGuarantees are given:\n" in out
    assert "\n   (a) by the partners;\n" in out
    assert "\n   2.1 A joint commission monitors them.\n" in out
    assert "\n2a. 2025\\. was the year talks began.\n    \\- (a) looks like" in out


def test_export_then_import_gives_back_the_same_provisions() -> None:
    parsed = parse_numbered(version_to_markdown(PLAN))
    assert parsed.title == "Illustrative plan"
    assert parsed.metadata["version"] == "v1" and parsed.metadata["author"] == "Illustrative Party"
    assert structure(parsed.provisions) == structure(PLAN.provisions)


def test_metadata_can_be_left_out() -> None:
    out = version_to_markdown(PLAN, metadata=False)
    assert out.startswith("# Illustrative plan\n")


# Lines that look like markup the importer would otherwise act on.
TRICKY = st.sampled_from(
    [
        "2. looks like a point",
        "7.1 looks like a dotted point",
        "(a) looks like a sub-point",
        "b) so does this",
        "- (c) and this",
        "## 3. a heading",
        "# a title",
        "**4.** bold",
        "__5.__ underscored",
        "<!-- not a comment -->",
        "\\ a backslash",
        "\\\\ two",
        "1\\. already escaped",
        "a\\) escaped letter",
        "---",
        "2025.",
        "- an ordinary bullet",
        "* another bullet",
        "3a) inserted",
    ]
)
PLAIN_LINE = (
    st.text(alphabet=TEXT_ALPHABET, min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)
LINE = st.one_of(TRICKY, PLAIN_LINE)


@st.composite
def paragraph(draw: st.DrawFn) -> str:
    first = draw(LINE)
    bullets = draw(st.lists(LINE.map(lambda s: "- " + s), max_size=2))
    return "\n".join([first, *bullets])


TEXT = st.lists(paragraph(), min_size=1, max_size=3).map("\n\n".join)
HEADING = st.one_of(st.none(), LINE)


@st.composite
def numbered_versions(draw: st.DrawFn) -> PlainVersion:
    """A valid numbered version: points (some inserted like 2a), letters, dotted sub-points."""
    provisions: list[PlainProvision] = []

    def add(number: str, parent: str | None, heading_ok: bool = True) -> None:
        heading = draw(HEADING) if heading_ok else None
        provisions.append(P("w" + number, number, heading, draw(TEXT), parent))

    def letters(parent: str) -> None:
        for k in range(draw(st.integers(0, 2))):
            add(f"{parent}({'abc'[k]})", "w" + parent)

    for n in range(1, draw(st.integers(1, 4)) + 1):
        for suffix in ["", *"ab"[: draw(st.integers(0, 1))]]:
            top = f"{n}{suffix}"
            add(top, None)
            letters(top)
            if suffix:
                continue
            for k in range(1, draw(st.integers(0, 2)) + 1):
                add(f"{top}.{k}", "w" + top)
                letters(f"{top}.{k}")
    title = draw(LINE)
    return version(provisions, title=title)


@settings(max_examples=250, deadline=None, derandomize=True)
@given(numbered_versions())
def test_round_trip_holds_for_tricky_texts(v: PlainVersion) -> None:
    markdown = version_to_markdown(v)
    parsed = parse_numbered(markdown)
    assert parsed.title == v.document_title
    assert structure(parsed.provisions) == structure(v.provisions)
