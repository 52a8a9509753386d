"""Spaces: parsing, printing, breadth, and which moves are releases to a wider audience.

The property tests compare ``widens`` with a reference model that spells out who reads each
space: ``public`` everyone (outsiders included), ``participants`` every delegation and the
mediator, ``mediator`` the mediator's team, ``party:P`` delegation P, ``party:P+mediator``
delegation P and the mediator. A move widens exactly when the new readers are a strict superset
of the old ones.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.authz.spaces import Space, SpaceError, parse_space, widens

# Keys follow the scenario schema's key pattern.
KEY = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,15}", fullmatch=True)
# A handful of keys, so that generated pairs often name the same party.
FEW_KEYS = st.sampled_from(["AAA", "BBB", "UA", "RU"])
KINDS = ("public", "participants", "mediator", "party", "party+mediator")

SETTINGS = settings(max_examples=300, derandomize=True, deadline=None)


def spelled(kind: str, party: str | None) -> str:
    if kind == "party":
        return f"party:{party}"
    if kind == "party+mediator":
        return f"party:{party}+mediator"
    return kind


def space_parts(keys: st.SearchStrategy[str]) -> st.SearchStrategy[tuple[str, str | None]]:
    return st.one_of(
        st.sampled_from([("public", None), ("participants", None), ("mediator", None)]),
        st.tuples(st.sampled_from(["party", "party+mediator"]), keys),
    )


def readers(kind: str, party: str | None, all_parties: frozenset[str]) -> frozenset[str]:
    """The reference model: who can read a space, as a set of principals."""
    delegations = frozenset(f"delegation:{p}" for p in all_parties)
    return {
        "public": delegations | {"mediator", "outsiders"},
        "participants": delegations | {"mediator"},
        "mediator": frozenset({"mediator"}),
        "party": frozenset({f"delegation:{party}"}),
        "party+mediator": frozenset({f"delegation:{party}", "mediator"}),
    }[kind]


def universe(*parties: str | None) -> frozenset[str]:
    # One party that no space names, so that "every delegation" is never just the named ones.
    return frozenset(p for p in parties if p is not None) | {"someone-else"}


# --- parse_space and str ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "party"),
    [
        ("public", "public", None),
        ("participants", "participants", None),
        ("mediator", "mediator", None),
        ("party:UA", "party", "UA"),
        ("party:UA+mediator", "party+mediator", "UA"),
        ("party:EU.fr-2", "party", "EU.fr-2"),
    ],
)
def test_each_kind_of_space_parses_and_prints_back(text: str, kind: str, party: str | None) -> None:
    space = parse_space(text)
    assert space == Space(kind, party)
    assert str(space) == text


def test_surrounding_whitespace_is_ignored() -> None:
    assert parse_space("  party:UA+mediator\n") == Space("party+mediator", "UA")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Public",
        "PUBLIC",
        "everyone",
        "party",
        "party:",
        "party:+mediator",
        "mediator+party:UA",
        "participants:UA",
        "party+mediator",
        "private",
    ],
)
def test_an_invalid_space_is_refused_by_name(text: str) -> None:
    with pytest.raises(SpaceError) as caught:
        parse_space(text)
    assert repr(text.strip()) in str(caught.value)


def test_a_party_space_must_name_a_known_party_when_keys_are_given() -> None:
    assert parse_space("party:UA", {"UA", "RU"}) == Space("party", "UA")
    assert parse_space("party:RU+mediator", {"UA", "RU"}) == Space("party+mediator", "RU")
    with pytest.raises(SpaceError, match=r"unknown party 'XX'") as caught:
        parse_space("party:XX+mediator", {"UA", "RU"})
    assert "'party:XX+mediator'" in str(caught.value)


def test_shared_spaces_need_no_party_keys() -> None:
    for text in ("public", "participants", "mediator"):
        assert parse_space(text, set()) == Space(text)


@SETTINGS
@given(space_parts(KEY))
def test_every_valid_space_prints_back_exactly(parts: tuple[str, str | None]) -> None:
    text = spelled(*parts)
    assert str(parse_space(text)) == text
    assert parse_space(text) == Space(*parts)


@SETTINGS
@given(st.text(max_size=30))
def test_anything_else_raises_space_error_naming_the_string(text: str) -> None:
    stripped = text.strip()
    is_party = stripped.startswith("party:") and stripped not in ("party:", "party:+mediator")
    if stripped in ("public", "participants", "mediator") or is_party:
        assert str(parse_space(text)) == stripped
        return
    with pytest.raises(SpaceError) as caught:
        parse_space(text)
    assert repr(stripped) in str(caught.value)


@SETTINGS
@given(space_parts(KEY), st.sets(KEY, max_size=4))
def test_party_keys_decide_whether_a_party_space_is_known(
    parts: tuple[str, str | None], keys: set[str]
) -> None:
    kind, party = parts
    text = spelled(kind, party)
    if party is None or party in keys:
        assert parse_space(text, keys) == Space(kind, party)
    else:
        with pytest.raises(SpaceError, match="unknown party"):
            parse_space(text, keys)


# --- breadth ---------------------------------------------------------------------------


def test_breadth_orders_the_kinds_of_space() -> None:
    b = {kind: Space(kind, "P" if kind.startswith("party") else None).breadth for kind in KINDS}
    assert b["party"] == b["mediator"] < b["party+mediator"] < b["participants"] < b["public"]


# --- widens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("party:UA", "party:UA+mediator"),
        ("party:UA", "participants"),
        ("party:UA", "public"),
        ("party:UA+mediator", "participants"),
        ("party:UA+mediator", "public"),
        ("mediator", "participants"),
        ("mediator", "public"),
        ("participants", "public"),
    ],
)
def test_releases_to_a_wider_audience(old: str, new: str) -> None:
    assert widens(old, new)
    assert not widens(new, old)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("party:UA", "party:RU"),
        ("party:UA", "party:RU+mediator"),
        ("party:UA+mediator", "party:RU+mediator"),
        ("party:UA+mediator", "party:RU"),
        ("party:UA", "mediator"),
        ("mediator", "party:UA"),
        ("party:UA+mediator", "mediator"),
        ("public", "participants"),
        ("public", "public"),
        ("party:UA", "party:UA"),
    ],
)
def test_moves_that_are_not_releases(old: str, new: str) -> None:
    assert not widens(old, new)


def test_sharing_mediator_notes_with_one_party_is_a_release() -> None:
    assert widens("mediator", "party:UA+mediator")


def test_widens_refuses_an_invalid_space() -> None:
    with pytest.raises(SpaceError):
        widens("party:UA", "everyone")
    with pytest.raises(SpaceError):
        widens("nowhere", "public")


@SETTINGS
@given(space_parts(FEW_KEYS), space_parts(FEW_KEYS))
def test_widens_only_when_every_old_reader_keeps_access_and_someone_gains_it(
    old: tuple[str, str | None], new: tuple[str, str | None]
) -> None:
    everyone = universe(old[1], new[1])
    before, after = readers(*old, everyone), readers(*new, everyone)
    if widens(spelled(*old), spelled(*new)):
        assert before < after
    else:
        assert not before < after


@SETTINGS
@given(space_parts(FEW_KEYS), space_parts(FEW_KEYS))
def test_widens_never_moves_a_party_space_to_another_party(
    old: tuple[str, str | None], new: tuple[str, str | None]
) -> None:
    if old[1] is not None and new[1] is not None and old[1] != new[1]:
        assert not widens(spelled(*old), spelled(*new))


@SETTINGS
@given(space_parts(KEY), space_parts(KEY))
def test_widens_implies_greater_breadth(
    old: tuple[str, str | None], new: tuple[str, str | None]
) -> None:
    if widens(spelled(*old), spelled(*new)):
        assert Space(*new).breadth > Space(*old).breadth


@SETTINGS
@given(space_parts(FEW_KEYS), space_parts(FEW_KEYS), space_parts(FEW_KEYS))
def test_widens_is_a_strict_order(
    a: tuple[str, str | None], b: tuple[str, str | None], c: tuple[str, str | None]
) -> None:
    x, y, z = spelled(*a), spelled(*b), spelled(*c)
    assert not widens(x, x)
    assert not (widens(x, y) and widens(y, x))
    if widens(x, y) and widens(y, z):
        assert widens(x, z)
