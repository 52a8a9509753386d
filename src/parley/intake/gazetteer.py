"""The gazetteer: what the process's own record already knows, as plain data.

Extraction uses it so that known people, their aliases and the process's parties are always
recognised ("the Kremlin" and "Moscow" are Russia, "Brussels" is the European Union), so that
mentioned documents are matched to the process's documents, and so that a title in a report can be
checked against the titles the record holds.

A gazetteer is built from a plain dict (the lead's scenario file or the process record provides it):

    {"parties":   [{"name": "Russia", "aliases": ["Moscow", "the Kremlin"],
                    "adjectives": ["Russian"]}],
     "people":    [{"name": "Steve Witkoff", "aliases": ["Witkoff"], "titles": ["special envoy"],
                    "party": "United States"}],
     "documents": [{"name": "20-point peace plan", "aliases": ["20-point plan"], "kind": "plan"}],
     "places":    ["Miami", "Geneva"]}

Beyond the process's parties, a small table of other states and organisations (`WORLD`) lets a
report's "Norway pledged ..." name Norway as a party that is not (yet) in the process.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Other states and organisations reports name as donors or actors: name -> (aliases, adjectives).
WORLD: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "Belgium": (("Belgium",), ("Belgian",)),
    "Canada": (("Canada", "Ottawa"), ("Canadian",)),
    "China": (("China", "Beijing"), ("Chinese",)),
    "Czech Republic": (("Czech Republic", "Czechia", "Prague"), ("Czech",)),
    "Denmark": (("Denmark", "Copenhagen"), ("Danish",)),
    "Estonia": (("Estonia",), ("Estonian",)),
    "Finland": (("Finland", "Helsinki"), ("Finnish",)),
    "Hungary": (("Hungary", "Budapest"), ("Hungarian",)),
    "India": (("India", "New Delhi"), ("Indian",)),
    "Italy": (("Italy",), ("Italian",)),
    "Japan": (("Japan", "Tokyo"), ("Japanese",)),
    "Latvia": (("Latvia",), ("Latvian",)),
    "Lithuania": (("Lithuania",), ("Lithuanian",)),
    "Netherlands": (("Netherlands", "the Netherlands", "The Hague"), ("Dutch",)),
    "Norway": (("Norway", "Oslo"), ("Norwegian",)),
    "Poland": (("Poland", "Warsaw"), ("Polish",)),
    "Qatar": (("Qatar", "Doha"), ("Qatari",)),
    "Saudi Arabia": (("Saudi Arabia", "Riyadh"), ("Saudi",)),
    "Slovakia": (("Slovakia", "Bratislava"), ("Slovak",)),
    "Spain": (("Spain", "Madrid"), ("Spanish",)),
    "Sweden": (("Sweden", "Stockholm"), ("Swedish",)),
    "Switzerland": (("Switzerland", "Bern"), ("Swiss",)),
    "Türkiye": (("Türkiye", "Turkey", "Ankara"), ("Turkish",)),
    "United Arab Emirates": (("United Arab Emirates", "UAE"), ("Emirati",)),
    "South Korea": (("South Korea", "Seoul", "Republic of Korea"), ("South Korean",)),
    "North Korea": (("North Korea", "Pyongyang"), ("North Korean",)),
    "Portugal": (("Portugal", "Lisbon"), ("Portuguese",)),
    "Australia": (("Australia", "Canberra"), ("Australian",)),
    "New Zealand": (("New Zealand", "Wellington"), ()),
    "Iceland": (("Iceland", "Reykjavik"), ("Icelandic",)),
    "Austria": (("Austria", "Vienna"), ("Austrian",)),
    "Ireland": (("Ireland", "Dublin"), ("Irish",)),
    "Greece": (("Greece", "Athens"), ("Greek",)),
    "Romania": (("Romania", "Bucharest"), ("Romanian",)),
    "Bulgaria": (("Bulgaria", "Sofia"), ("Bulgarian",)),
    "Croatia": (("Croatia", "Zagreb"), ("Croatian",)),
    "Luxembourg": (("Luxembourg",), ()),
    "Moldova": (("Moldova", "Chisinau"), ("Moldovan",)),
    "Belarus": (("Belarus", "Minsk"), ("Belarusian",)),
    "Iran": (("Iran", "Tehran"), ("Iranian",)),
    "Brazil": (("Brazil", "Brasilia"), ("Brazilian",)),
    "NATO": (("NATO",), ()),
    "United Nations": (("United Nations", "UN"), ()),
    "International Monetary Fund": (("International Monetary Fund", "IMF"), ()),
    "World Bank": (("World Bank",), ()),
    "G7": (("G7", "Group of Seven"), ()),
    "European Bank for Reconstruction and Development": (
        ("European Bank for Reconstruction and Development", "EBRD"),
        (),
    ),
    "European Investment Bank": (("European Investment Bank", "EIB"), ()),
}


@dataclass(frozen=True)
class KnownParty:
    name: str
    aliases: tuple[str, ...] = ()
    adjectives: tuple[str, ...] = ()
    kind: str = "party"


@dataclass(frozen=True)
class KnownPerson:
    name: str
    aliases: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()
    party: str | None = None


@dataclass(frozen=True)
class KnownDocument:
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "other"


def norm(text: str) -> str:
    """Lookup key: lower case, straight apostrophes, no leading "the", no possessive."""
    key = " ".join(text.replace("’", "'").split()).lower()
    if key.startswith("the "):
        key = key[4:]
    if key.endswith("'s"):
        key = key[:-2]
    elif key.endswith("'"):
        key = key[:-1]
    return key


@dataclass(frozen=True)
class Gazetteer:
    parties: tuple[KnownParty, ...] = ()
    people: tuple[KnownPerson, ...] = ()
    documents: tuple[KnownDocument, ...] = ()
    places: tuple[str, ...] = ()

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Gazetteer:
        """Build from plain data; raises ValueError naming the entry that is malformed."""

        def strs(entry: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
            value = entry.get(key, [])
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ValueError(f"{where}.{key} must be a list of strings")
            return tuple(value)

        def name_of(entry: Any, where: str) -> str:
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("name"), str)
                or not entry["name"]
            ):
                raise ValueError(f"{where}.name must be a non-empty string")
            return str(entry["name"])

        parties = []
        for i, p in enumerate(data.get("parties", [])):
            where = f"parties[{i}]"
            parties.append(
                KnownParty(
                    name_of(p, where),
                    strs(p, "aliases", where),
                    strs(p, "adjectives", where),
                    str(p.get("kind", "party")),
                )
            )
        people = []
        for i, p in enumerate(data.get("people", [])):
            where = f"people[{i}]"
            party = p.get("party") if isinstance(p, dict) else None
            people.append(
                KnownPerson(
                    name_of(p, where),
                    strs(p, "aliases", where),
                    tuple(t.lower() for t in strs(p, "titles", where)),
                    party if isinstance(party, str) else None,
                )
            )
        documents = []
        for i, d in enumerate(data.get("documents", [])):
            where = f"documents[{i}]"
            documents.append(
                KnownDocument(
                    name_of(d, where), strs(d, "aliases", where), str(d.get("kind", "other"))
                )
            )
        places = data.get("places", [])
        if not isinstance(places, list) or not all(isinstance(v, str) for v in places):
            raise ValueError("places must be a list of strings")
        return cls(tuple(parties), tuple(people), tuple(documents), tuple(places))

    def to_dict(self) -> dict[str, Any]:
        return {
            "parties": [
                {
                    "name": p.name,
                    "aliases": list(p.aliases),
                    "adjectives": list(p.adjectives),
                    "kind": p.kind,
                }
                for p in self.parties
            ],
            "people": [
                {
                    "name": p.name,
                    "aliases": list(p.aliases),
                    "titles": list(p.titles),
                    "party": p.party,
                }
                for p in self.people
            ],
            "documents": [
                {"name": d.name, "aliases": list(d.aliases), "kind": d.kind} for d in self.documents
            ],
            "places": list(self.places),
        }

    @cached_property
    def fingerprint(self) -> str:
        """A stable hash of the content; pipelines are cached per fingerprint."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    # -- lookups ------------------------------------------------------------------------

    @cached_property
    def _party_index(self) -> dict[str, tuple[str, bool]]:
        index: dict[str, tuple[str, bool]] = {}
        for name, (aliases, adjectives) in WORLD.items():
            for alias in (name, *aliases, *adjectives):
                index[norm(alias)] = (name, False)
        # The process's own parties win over the world table.
        for party in self.parties:
            for alias in (party.name, *party.aliases, *party.adjectives):
                index[norm(alias)] = (party.name, True)
        return index

    @cached_property
    def _person_index(self) -> dict[str, KnownPerson]:
        index: dict[str, KnownPerson] = {}
        for person in self.people:
            for alias in (person.name, *person.aliases):
                index[norm(alias)] = person
        return index

    @cached_property
    def _document_index(self) -> dict[str, KnownDocument]:
        index: dict[str, KnownDocument] = {}
        for doc in self.documents:
            for alias in (doc.name, *doc.aliases):
                index[norm(alias)] = doc
        return index

    @cached_property
    def _place_index(self) -> dict[str, str]:
        return {norm(p): p for p in self.places}

    def party(self, text: str) -> tuple[str, bool] | None:
        """(canonical party name, is a party of the process) for an alias, or None."""
        return self._party_index.get(norm(text))

    def person(self, text: str) -> KnownPerson | None:
        return self._person_index.get(norm(text))

    def person_named(self, name: str) -> KnownPerson | None:
        return next((p for p in self.people if p.name == name), None)

    def document(self, text: str) -> KnownDocument | None:
        return self._document_index.get(norm(text))

    def place(self, text: str) -> str | None:
        return self._place_index.get(norm(text))

    def party_aliases(self) -> list[tuple[str, str, bool]]:
        """Every (alias, canonical name, known) pair, process parties last so they win."""
        out: list[tuple[str, str, bool]] = []
        for name, (aliases, adjectives) in WORLD.items():
            out.extend((a, name, False) for a in (name, *aliases, *adjectives))
        for party in self.parties:
            out.extend(
                (a, party.name, True) for a in (party.name, *party.aliases, *party.adjectives)
            )
        return out


MIAMI_PROCESS: dict[str, Any] = {
    "parties": [
        {
            "name": "United States",
            "kind": "mediator",
            "aliases": [
                "US",
                "U.S.",
                "USA",
                "America",
                "Washington",
                "the White House",
                "White House",
                "the United States",
                "Pentagon",
                "the Pentagon",
                "State Department",
            ],
            "adjectives": ["American", "US", "U.S."],
        },
        {
            "name": "Ukraine",
            "aliases": ["Kyiv", "Kiev", "Bankova"],
            "adjectives": ["Ukrainian", "Ukrainians"],
        },
        {
            "name": "Russia",
            "aliases": ["Moscow", "the Kremlin", "Kremlin", "Russian Federation"],
            "adjectives": ["Russian", "Russians"],
        },
        {
            "name": "European Union",
            "kind": "party",
            "aliases": [
                "EU",
                "E.U.",
                "Brussels",
                "European Commission",
                "the Commission",
                "European Council",
            ],
            "adjectives": [],
        },
        {
            "name": "Europe",
            "kind": "party",
            "aliases": ["European partners", "European allies", "Europeans"],
            "adjectives": ["European"],
        },
        {
            "name": "France",
            "aliases": ["Paris", "Élysée", "Elysee", "the Élysée"],
            "adjectives": ["French"],
        },
        {"name": "Germany", "aliases": ["Berlin"], "adjectives": ["German"]},
        {
            "name": "United Kingdom",
            "aliases": ["UK", "U.K.", "Britain", "Great Britain", "London", "Downing Street"],
            "adjectives": ["British"],
        },
    ],
    "people": [
        {
            "name": "Steve Witkoff",
            "aliases": ["Witkoff", "Steven Witkoff"],
            "titles": ["special envoy", "envoy"],
            "party": "United States",
        },
        {
            "name": "Jared Kushner",
            "aliases": ["Kushner"],
            "titles": ["adviser", "envoy"],
            "party": "United States",
        },
        {
            "name": "Donald Trump",
            "aliases": ["Trump", "Donald J. Trump"],
            "titles": ["president"],
            "party": "United States",
        },
        {
            "name": "Marco Rubio",
            "aliases": ["Rubio"],
            "titles": ["secretary of state", "national security adviser"],
            "party": "United States",
        },
        {
            "name": "Dan Driscoll",
            "aliases": ["Driscoll", "Daniel Driscoll"],
            "titles": ["army secretary"],
            "party": "United States",
        },
        {
            "name": "Volodymyr Zelenskyy",
            "aliases": [
                "Zelenskyy",
                "Zelensky",
                "Zelenskiy",
                "Volodymyr Zelensky",
                "Volodymyr Zelenskiy",
            ],
            "titles": ["president"],
            "party": "Ukraine",
        },
        {
            "name": "Rustem Umerov",
            "aliases": ["Umerov"],
            "titles": ["chief negotiator", "security council secretary", "defence minister"],
            "party": "Ukraine",
        },
        {
            "name": "Andrii Sybiha",
            "aliases": ["Sybiha", "Andriy Sybiha"],
            "titles": ["foreign minister"],
            "party": "Ukraine",
        },
        {
            "name": "Andriy Yermak",
            "aliases": ["Yermak", "Andrii Yermak"],
            "titles": ["chief of staff", "head of the presidential office"],
            "party": "Ukraine",
        },
        {
            "name": "Vladimir Putin",
            "aliases": ["Putin"],
            "titles": ["president"],
            "party": "Russia",
        },
        {
            "name": "Kirill Dmitriev",
            "aliases": ["Dmitriev"],
            "titles": ["special envoy", "envoy", "head of the russian direct investment fund"],
            "party": "Russia",
        },
        {
            "name": "Dmitry Peskov",
            "aliases": ["Peskov", "Dmitri Peskov"],
            "titles": ["spokesperson"],
            "party": "Russia",
        },
        {
            "name": "Yury Ushakov",
            "aliases": ["Ushakov", "Yuri Ushakov"],
            "titles": ["foreign policy aide", "aide"],
            "party": "Russia",
        },
        {
            "name": "Sergei Lavrov",
            "aliases": ["Lavrov", "Sergey Lavrov"],
            "titles": ["foreign minister"],
            "party": "Russia",
        },
        {
            "name": "Emmanuel Macron",
            "aliases": ["Macron"],
            "titles": ["president"],
            "party": "France",
        },
        {
            "name": "Friedrich Merz",
            "aliases": ["Merz"],
            "titles": ["chancellor"],
            "party": "Germany",
        },
        {
            "name": "Keir Starmer",
            "aliases": ["Starmer", "Sir Keir Starmer"],
            "titles": ["prime minister"],
            "party": "United Kingdom",
        },
        {
            "name": "Ursula von der Leyen",
            "aliases": ["von der Leyen"],
            "titles": ["president"],
            "party": "European Union",
        },
        {
            "name": "Antonio Costa",
            "aliases": ["António Costa", "Costa"],
            "titles": ["president"],
            "party": "European Union",
        },
        {
            "name": "Kaja Kallas",
            "aliases": ["Kallas"],
            "titles": ["foreign policy chief", "high representative"],
            "party": "European Union",
        },
    ],
    "documents": [
        {
            "name": "20-point peace plan",
            "kind": "plan",
            "aliases": [
                "20-point plan",
                "20-point peace framework",
                "20-point framework",
                "twenty-point plan",
            ],
        },
        {
            "name": "28-point plan",
            "kind": "plan",
            "aliases": ["28-point peace plan", "28-point proposal"],
        },
        {
            "name": "Multilateral security guarantee framework",
            "kind": "security_framework",
            "aliases": ["multilateral security guarantees framework", "multilateral framework"],
        },
        {
            "name": "US security guarantee framework",
            "kind": "security_framework",
            "aliases": [
                "U.S. security guarantee framework",
                "US security guarantees framework",
                "US security guarantee framework for Ukraine",
                "bilateral security guarantee framework",
            ],
        },
        {
            "name": "Economic and prosperity plan",
            "kind": "economic_plan",
            "aliases": [
                "economic and prosperity plan",
                "prosperity plan",
                "economic prosperity plan",
            ],
        },
    ],
    "places": [
        "Miami",
        "Hallandale Beach",
        "Mar-a-Lago",
        "Palm Beach",
        "Geneva",
        "Abu Dhabi",
        "Istanbul",
        "Jeddah",
        "Riyadh",
        "Berlin",
        "Paris",
        "London",
        "Brussels",
        "Moscow",
        "Kyiv",
        "Rome",
        "Budapest",
        "Washington",
        "White House",
        "Downing Street",
        "Élysée Palace",
        "Elysee Palace",
        "Kremlin",
        "Anchorage",
        "Alaska",
        "Doha",
        "Davos",
        "Munich",
        "Florida",
        "Warsaw",
        "Helsinki",
        "Vatican",
    ],
}


def default_gazetteer() -> Gazetteer:
    """The gazetteer of the illustrative Miami process (the lead's scenario provides the same)."""
    return Gazetteer.from_dict(MIAMI_PROCESS)
