"""People: names, titles and affiliations, merged across mentions.

A title is read from the words right before a name ("US Special Envoy Steve Witkoff",
"Russia's chief negotiator, Vladimir Medinsky") or from an apposition right after it
("Rustem Umerov, Ukraine's chief negotiator,"; "Andriy Yermak, Zelenskyy's chief of staff,").
Titles are normalised to a small vocabulary ("spokesman" -> "spokesperson"); "former" is kept
because it changes the meaning. A definite title used on its own ("the prime minister said")
refers to the person in the report who holds that title.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parley.intake.gazetteer import Gazetteer, KnownPerson

# canonical title -> the ways reports write it (lower case).
TITLES: dict[str, tuple[str, ...]] = {
    "special envoy": ("special envoy", "special presidential envoy", "special representative"),
    "envoy": ("envoy", "peace envoy"),
    "vice president": ("vice president", "vice-president"),
    "president": ("president",),
    "prime minister": ("prime minister", "premier"),
    "foreign minister": (
        "foreign minister",
        "minister of foreign affairs",
        "minister for foreign affairs",
    ),
    "defence minister": (
        "defence minister",
        "defense minister",
        "minister of defence",
        "minister of defense",
    ),
    "foreign secretary": ("foreign secretary",),
    "secretary of state": ("secretary of state",),
    "army secretary": ("army secretary", "secretary of the army"),
    "national security adviser": ("national security adviser", "national security advisor"),
    "foreign policy aide": ("foreign policy aide", "foreign-policy aide", "foreign policy adviser"),
    "adviser": ("adviser", "advisor", "presidential adviser", "senior adviser"),
    "aide": ("aide",),
    "chief negotiator": (
        "chief negotiator",
        "lead negotiator",
        "top negotiator",
        "head negotiator",
    ),
    "spokesperson": ("spokesperson", "spokesman", "spokeswoman", "press secretary"),
    "chancellor": ("chancellor", "chancellor of the exchequer"),
    "head of the presidential office": (
        "head of the presidential office",
        "head of the presidential administration",
        "head of the president's office",
    ),
    "finance minister": ("finance minister", "minister of finance"),
    "economy minister": ("economy minister", "economics minister", "minister of economy"),
    "energy minister": ("energy minister", "minister of energy"),
    "interior minister": ("interior minister", "minister of the interior"),
    "deputy foreign minister": ("deputy foreign minister",),
    "deputy prime minister": ("deputy prime minister",),
    "defence secretary": ("defence secretary", "defense secretary", "secretary of defense"),
    "secretary general": ("secretary general", "secretary-general"),
    "chief executive": ("chief executive", "chief executive officer", "ceo"),
    "chief of staff": ("chief of staff",),
    "army chief": (
        "army chief",
        "chief of the general staff",
        "commander-in-chief",
        "commander in chief",
        "armed forces chief",
    ),
    "military intelligence chief": (
        "military intelligence chief",
        "head of military intelligence",
        "intelligence chief",
    ),
    "security council secretary": (
        "security council secretary",
        "secretary of the security council",
        "secretary of the national security and defence council",
        "secretary of the national security and defense council",
        "national security secretary",
    ),
    "foreign policy chief": ("foreign policy chief", "top diplomat", "high representative"),
    "ambassador": ("ambassador",),
    "mission chief": ("mission chief", "head of mission"),
    "negotiator": ("negotiator",),
}

_VARIANT_TO_TITLE = {v: t for t, variants in TITLES.items() for v in variants}
# "head of Ukraine's presidential office", "secretary of Ukraine's National Security and Defence
# Council": a possessive stands where the variant says "of the".
_OF_POSS = r"of\ (?:the\ |[A-Z][\w-]+(?:'s|’s)\ )"
_POSS_RE = re.compile(r"\bof\s+[a-z][\w-]*(?:'s|’s)\s+")
_TITLE_ALT = "|".join(
    re.escape(v).replace(r"of\ the\ ", _OF_POSS)
    for v in sorted(_VARIANT_TO_TITLE, key=len, reverse=True)
)
# "President of Ukraine Volodymyr Zelenskyy", "Special Envoy of the President of the United
# States Steven Witkoff": the office's country between the title and the name.
_OF_COUNTRY = r"(?:\s+of\s+(?:the\s+)?[A-Z][\w-]+(?:\s+(?:of\s+the\s+)?[A-Z][\w-]+){0,3})?"
_PUFFERY = (
    r"(?:(?:top|senior|veteran|longtime|long-time)\s+)??"  # lazy: "top negotiator" is a title
)
RANKS = (
    "Lt.",
    "Lt",
    "Col.",
    "Col",
    "Gen.",
    "General",
    "Lieutenant",
    "Colonel",
    "Admiral",
    "Sir",
    "Dame",
    "Dr.",
    "Dr",
    "Mr.",
    "Mr",
    "Mrs.",
    "Mrs",
    "Ms.",
    "Ms",
    "Maj.",
    "Major",
    "Capt.",
    "Captain",
    "Sgt.",
    "Prince",
    "Princess",
    "Sheikh",
)
_RANK_ALT = "|".join(re.escape(r) for r in sorted(RANKS, key=len, reverse=True))
_CAP = r"[A-Z][\w.\-’']*"

# Title right before the name, or as an apposition ("Russia's chief negotiator, V. Medinsky").
BEFORE_RE = re.compile(
    rf"(?i:(?P<former>\bformer\s+)?{_PUFFERY}(?P<title>\b(?:{_TITLE_ALT}))){_OF_COUNTRY}\s*,?\s+"
    rf"(?:(?:{_RANK_ALT})\s+)*$"
)
# Apposition after the name: ", Ukraine's chief negotiator," / ", a special envoy of Russian ...".
AFTER_RE = re.compile(
    rf"^\s*,\s+(?:(?:then|now)\s+)?(?:(?:a|an|the)\s+)?"
    rf"(?:(?P<poss>{_CAP}(?:\s{_CAP}){{0,2}})(?:'s|’s)\s+|(?P<adj>{_CAP}(?:\s{_CAP})?)\s+)?"
    rf"(?i:(?P<former>former\s+)?{_PUFFERY}(?P<title>(?:{_TITLE_ALT})))\b"
    rf"(?:\s+(?:of|to)\s+(?P<obj>(?:the\s+)?{_CAP}(?:\s{_CAP}){{0,4}}))?"
    r"(?=\s*(?:[,.;:)]|$|\s(?:who|since|and|said|told|was|has|is|had|will|also)\b))"
)
HEAD_OF_RE = re.compile(
    rf"^\s*,\s+(?:the\s+)?(?i:head|chief|director) of (?P<org>(?:the\s+)?{_CAP}(?:\s{_CAP}){{0,5}})"
)
# "Ukraine's", "Kremlin", "White House", "Russian" right before a title.
AFFIL_RE = re.compile(rf"(?P<aff>{_CAP}(?:\s{_CAP}){{0,2}}?)(?:'s|’s)?\s*$")
ANAPHOR_RE = re.compile(rf"\b[Tt]he\s+(?P<title>(?i:{_TITLE_ALT}))\b(?!\s+[A-Z])")

_STOP_RE = re.compile(r"(\w+)\. ")
_RANK_PREFIX_RE = re.compile(rf"^(?:(?:{_RANK_ALT})\s+)+")


def normalise_title(text: str) -> str:
    low = _POSS_RE.sub("of the ", " ".join(text.lower().split()))
    return _VARIANT_TO_TITLE.get(low, low)


def compatible_titles(found: str, held: str) -> bool:
    """Does a title in a report agree with one the record holds? "envoy" fits "special envoy"."""
    if found.startswith("former ") != held.startswith("former "):
        return False
    return found == held or found.endswith(" " + held) or held.endswith(" " + found)


def strip_rank(name: str) -> tuple[str, int]:
    """Remove ranks and honorifics in front of a name; returns (name, characters removed)."""
    m = _RANK_PREFIX_RE.match(name)
    return (name[m.end() :], m.end()) if m else (name, 0)


@dataclass
class TitleFind:
    title: str
    affiliation: str | None  # a party name
    span: tuple[int, int]  # where the title phrase is


def _affiliation(phrase: str | None, gazetteer: Gazetteer) -> str | None:
    """The party a phrase like "Ukraine's", "Kremlin" or "President Vladimir Putin" names."""
    if not phrase:
        return None
    words = phrase.replace("’", "'").split()
    # Try the longest prefix first ("White House adviser", "European Council President").
    for n in range(min(len(words), 3), 0, -1):
        chunk = " ".join(words[:n])
        party = gazetteer.party(chunk)
        if party:
            return party[0]
    # Then a person named in it ("Putin's", "President Vladimir Putin").
    for n in range(min(len(words), 3), 0, -1):
        person = gazetteer.person(" ".join(words[-n:]))
        if person and person.party:
            return person.party
    return None


def title_before(text: str, start: int, gazetteer: Gazetteer) -> TitleFind | None:
    window_start = max(0, start - 80)
    window = text[window_start:start]
    # Stop at a sentence or paragraph break: a title never crosses one ("Lt. Col." is no break).
    cut = window.rfind("\n")
    for stop in _STOP_RE.finditer(window):
        if stop.group(1) + "." not in RANKS:
            cut = max(cut, stop.end() - 1)
    if cut >= 0:
        window_start += cut + 1
        window = text[window_start:start]
    m = BEFORE_RE.search(window)
    if m is None:
        return None
    title = normalise_title(m.group("title"))
    if m.groupdict().get("former"):
        title = "former " + title
    prefix = window[: m.start()]
    aff = AFFIL_RE.search(prefix)
    affiliation = _affiliation(aff.group("aff"), gazetteer) if aff else None
    return TitleFind(title, affiliation, (window_start + m.start(), window_start + m.end("title")))


def title_after(text: str, end: int, gazetteer: Gazetteer) -> TitleFind | None:
    window = text[end : end + 120]
    m = AFTER_RE.match(window)
    if m:
        title = normalise_title(m.group("title"))
        if m.group("former"):
            title = "former " + title
        affiliation = (
            _affiliation(m.group("poss"), gazetteer)
            or _affiliation(m.group("adj"), gazetteer)
            or _affiliation(m.group("obj"), gazetteer)
        )
        return TitleFind(title, affiliation, (end + m.start("title"), end + m.end("title")))
    h = HEAD_OF_RE.match(window)
    if h:
        org = h.group("org").rstrip(".")
        title = "head of " + " ".join(org.lower().split())
        return TitleFind(
            title,
            _affiliation(org.removeprefix("the "), gazetteer),
            (end + h.start(), end + h.end()),
        )
    return None


@dataclass
class Person:
    """A person as assembled from the mentions in one report."""

    name: str
    known: KnownPerson | None
    mentions: list[tuple[int, int]] = field(default_factory=list)
    title: str | None = None
    title_span: tuple[int, int] | None = None
    affiliation: str | None = None

    @property
    def party(self) -> str | None:
        if self.known and self.known.party:
            return self.known.party
        return self.affiliation

    @property
    def surname(self) -> str:
        return self.name.split()[-1]
