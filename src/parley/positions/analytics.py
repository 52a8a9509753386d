"""Mediator analytics over positions: the convergence map, computed sticking points, and the
optimizer's problem built from recorded positions.

Pure: plain dataclasses in, plain dataclasses out; no database, no web. The caller decides
*which* positions go in (only those the actor may see: see :mod:`parley.positions.queries`),
so everything computed here is computed over inputs the actor may see in full.

Definitions (docs/positions.md explains them to users):

* **Stance score**: ``accept`` 100, ``accept_with_changes`` 50, ``reject`` 0, ``red_line`` 0.
* **Row score** (one provision, or one option of it): the mean stance score over the parties with
  a position on the provision, rounded; a party with a position on the provision but none on
  this option counts 0 (agreement needs a known acceptance). A row is **blocked** when any party
  holds a red line on it.
* **Provision score**: the best row score among its unblocked rows (0 when every row is blocked):
  how far the parties agree on the most agreeable version of the provision still open.
* **Document score**: the mean of its provision scores, rounded.
* **Sticking point** (computed): a row on which one party holds a red line and another accepts
  it (``accept`` or ``accept_with_changes``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from parley.positions.problem import Linkage, Option, Problem, Provision

STANCE_SCORE = {"accept": 100, "accept_with_changes": 50, "reject": 0, "red_line": 0}
# Colour order of the convergence map, worst to best.
STANCE_CODE = {"red_line": 0, "reject": 1, "accept_with_changes": 2, "accept": 3}
ACCEPTING = frozenset({"accept", "accept_with_changes"})


@dataclass(frozen=True)
class PositionView:
    """One position as the analytics see it: who, on what, and what it says."""

    party: str
    provision: str  # "plan20/p10"
    option: str | None  # the option key, or None for the provision as a whole
    stance: str
    priority: int = 0
    utility: int | None = None


# ---------------------------------------------------------------------------------------------
# Convergence


@dataclass(frozen=True)
class MapRow:
    provision: str
    option: str | None
    stances: dict[str, str]  # party -> stance
    utilities: dict[str, int | None]
    score: int
    blocked: bool

    @property
    def label(self) -> str:
        return self.provision if self.option is None else f"{self.provision} · {self.option}"


@dataclass(frozen=True)
class ProvisionScore:
    provision: str
    score: int
    best: str | None  # the option (or "(whole)") that reaches the score; None if all blocked
    parties: tuple[str, ...]  # parties with a position on the provision


@dataclass(frozen=True)
class ComputedStickingPoint:
    provision: str
    option: str | None
    red_line: tuple[str, ...]
    accepting: tuple[str, ...]


@dataclass(frozen=True)
class Convergence:
    parties: tuple[str, ...]
    rows: tuple[MapRow, ...]
    provisions: tuple[ProvisionScore, ...]
    document_score: int | None
    sticking_points: tuple[ComputedStickingPoint, ...]


def _mean(values: Sequence[int]) -> int:
    # Round half up: 62.5 shows as 63, like a person would round it.
    return math.floor(sum(values) / len(values) + 0.5) if values else 0


def convergence(
    positions: Sequence[PositionView],
    parties: Sequence[str] = (),
    provision_order: Sequence[str] = (),
) -> Convergence:
    """The convergence map over ``positions`` (all of them: filter by document first).

    Columns are ``parties`` (in that order) plus any other party with a position; rows follow
    ``provision_order`` (then any other provision, sorted), options sorted within a provision
    with the provision as a whole first.
    """
    columns = list(dict.fromkeys([*parties, *sorted({p.party for p in positions})]))
    rank = {p: i for i, p in enumerate(provision_order)}
    cells: dict[tuple[str, str | None], dict[str, PositionView]] = {}
    for position in positions:
        cells.setdefault((position.provision, position.option), {})[position.party] = position

    def order(key: tuple[str, str | None]) -> tuple[int, str, int, str]:
        provision, option = key
        return (
            rank.get(provision, len(rank)),
            _natural(provision),
            0 if option is None else 1,
            option or "",
        )

    engaged: dict[str, set[str]] = {}  # provision -> parties with a position on it
    for position in positions:
        engaged.setdefault(position.provision, set()).add(position.party)
    rows = []
    for provision, option in sorted(cells, key=order):
        by_party = cells[provision, option]
        stances = {p: by_party[p].stance for p in columns if p in by_party}
        # Parties engaged on the provision but silent on this option count as not agreeing.
        values = [STANCE_SCORE[stances[p]] if p in stances else 0 for p in engaged[provision]]
        rows.append(
            MapRow(
                provision=provision,
                option=option,
                stances=stances,
                utilities={p: by_party[p].utility for p in columns if p in by_party},
                score=_mean(values),
                blocked="red_line" in stances.values(),
            )
        )
    scores = []
    for provision in dict.fromkeys(r.provision for r in rows):
        mine = [r for r in rows if r.provision == provision]
        open_rows = [r for r in mine if not r.blocked]
        best = max(open_rows, key=lambda r: r.score, default=None)  # first on ties
        scores.append(
            ProvisionScore(
                provision=provision,
                score=best.score if best else 0,
                best=None if best is None else (best.option or "(whole)"),
                parties=tuple(p for p in columns if any(p in r.stances for r in mine)),
            )
        )
    return Convergence(
        parties=tuple(columns),
        rows=tuple(rows),
        provisions=tuple(scores),
        document_score=_mean([s.score for s in scores]) if scores else None,
        sticking_points=tuple(sticking_points(rows)),
    )


def sticking_points(rows: Sequence[MapRow]) -> list[ComputedStickingPoint]:
    """Rows where a red line meets an acceptance of the same provision or option."""
    found = []
    for row in rows:
        red = tuple(p for p, s in row.stances.items() if s == "red_line")
        accepting = tuple(p for p, s in row.stances.items() if s in ACCEPTING)
        if red and accepting:
            found.append(ComputedStickingPoint(row.provision, row.option, red, accepting))
    return found


def _natural(text: str) -> str:
    """A sort key that puts p2 before p10 (zero-padded digits)."""
    return re.sub(r"\d+", lambda m: m.group(0).zfill(8), text)


# ---------------------------------------------------------------------------------------------
# The optimizer's problem, built from positions


@dataclass(frozen=True)
class Contested:
    """A contested provision: its id (``doc/wid``) and its options' keys, as offered for choice."""

    id: str
    options: tuple[str, ...]
    label: str = ""


class InputsMissing(ValueError):
    """Some inputs the problem needs are not among the positions given; ``missing`` says which.

    ``missing`` maps a party to messages naming provision and option; ``messages`` has them all.
    """

    def __init__(self, messages: Sequence[str], missing: Mapping[str, Sequence[str]]) -> None:
        self.messages = list(messages)
        self.missing = {k: list(v) for k, v in missing.items()}
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class BuiltProblem:
    problem: Problem
    raw_priorities: dict[str, dict[str, int]]  # party -> provision -> priority as recorded
    priorities: dict[str, dict[str, int]]  # after normalising to 100 over the chosen provisions
    notes: tuple[str, ...] = field(default_factory=tuple)


def normalise_priorities(raw: Mapping[str, int], total: int = 100) -> dict[str, int]:
    """Scale ``raw`` weights to integers summing to ``total`` (largest-remainder method).

    Each share is ``raw * total / sum`` rounded down; the points still missing go one each to
    the largest remainders, ties to the larger raw weight, then to the earlier key. All-zero
    input is returned unchanged (the caller reports it).
    """
    keys = list(raw)
    whole = sum(raw.values())
    if whole <= 0:
        return {k: 0 for k in keys}
    floors = {k: raw[k] * total // whole for k in keys}
    left = total - sum(floors.values())
    by_remainder = sorted(
        range(len(keys)),
        key=lambda i: (-(raw[keys[i]] * total % whole), -raw[keys[i]], i),
    )
    for i in by_remainder[:left]:
        floors[keys[i]] += 1
    return floors


def build_problem(
    provisions: Sequence[Contested],
    positions: Sequence[PositionView],
    parties: Sequence[str],
    *,
    reservation: Mapping[str, int] | None = None,
    disagreement: Mapping[str, int] | None = None,
    linkages: Sequence[Linkage] = (),
) -> BuiltProblem:
    """The optimizer's :class:`Problem` over the chosen contested provisions.

    * A party's **priority** for a provision is the highest priority on its positions on that
      provision (a delegation repeats it on every option); the priorities of each party over
      the chosen provisions are then scaled to sum to 100 (:func:`normalise_priorities`).
    * Its **utility** for an option is the utility of its position on that option.
    * An option is **red-lined** by every party whose position on it is ``red_line``.

    Raises :class:`InputsMissing` naming party, provision and option for every utility that a
    party with priority on the provision did not give (or that is not among ``positions``), and
    every party that gives no priority to any chosen provision.
    """
    chosen = {c.id for c in provisions}
    by_key: dict[tuple[str, str, str | None], PositionView] = {}
    for position in positions:
        if position.provision in chosen and position.party in parties:
            by_key[position.party, position.provision, position.option] = position
    raw: dict[str, dict[str, int]] = {}
    missing: dict[str, list[str]] = {}
    notes: list[str] = []
    for party in parties:
        raw[party] = {}
        for contested in provisions:
            recorded = [
                p.priority
                for (who, prov, _), p in by_key.items()
                if who == party and prov == contested.id
            ]
            raw[party][contested.id] = max(recorded, default=0)
            if len(set(recorded)) > 1:
                notes.append(
                    f"{party} gave {contested.id} different priorities {sorted(set(recorded))} "
                    f"on its positions; the highest, {max(recorded)}, is used"
                )
        if sum(raw[party].values()) == 0:
            missing.setdefault(party, []).append(
                f"{party}: no priority on any chosen provision (no position with a priority "
                "shared with you)"
            )
    priorities = {party: normalise_priorities(raw[party]) for party in parties}
    built: list[Provision] = []
    for contested in provisions:
        options = []
        for key in contested.options:
            utility: dict[str, int] = {}
            red: set[str] = set()
            for party in parties:
                found = by_key.get((party, contested.id, key))
                if found is not None and found.stance == "red_line":
                    red.add(party)
                if priorities[party][contested.id] == 0:
                    utility[party] = 0 if found is None else found.utility or 0
                    continue
                if found is None or found.utility is None:
                    why = "no position" if found is None else "a position without a utility"
                    missing.setdefault(party, []).append(
                        f"{party}: no utility for {contested.id} option {key} ({why} "
                        "shared with you)"
                    )
                    continue
                utility[party] = found.utility
            options.append(Option(id=key, utility=utility, red_line=frozenset(red)))
        weights = {p: priorities[p][contested.id] for p in parties if priorities[p][contested.id]}
        built.append(Provision(id=contested.id, priority=weights, options=tuple(options)))
    if missing:
        messages = [m for party in parties for m in missing.get(party, [])]
        raise InputsMissing(messages, missing)
    problem = Problem(
        parties=tuple(parties),
        provisions=tuple(built),
        linkages=tuple(linkages),
        reservation=dict(reservation or {}),
        disagreement=dict(disagreement or {}),
    )
    return BuiltProblem(problem, raw, priorities, tuple(notes))


def single_party_problem(problem: Problem, party: str) -> Problem:
    """``problem`` as ``party`` alone sees it: its own priorities, utilities and red lines.

    Used for what a party is told about a released package, so that nothing in it depends on
    another party's preferences (not even which options another party red-lined).
    """
    provisions = []
    for provision in problem.provisions:
        weight = provision.priority.get(party, 0)
        provisions.append(
            Provision(
                id=provision.id,
                priority={party: weight} if weight else {},
                options=tuple(
                    Option(
                        id=o.id,
                        utility={party: o.utility.get(party, 0)},
                        red_line=frozenset({party}) & o.red_line,
                    )
                    for o in provision.options
                ),
            )
        )
    return Problem(parties=(party,), provisions=tuple(provisions), linkages=problem.linkages)


_LINK = re.compile(r"^\s*(\S+?)\s*=\s*(\S+)\s*->\s*(\S+?)\s*=\s*(\S+)\s*$")


def parse_linkages(text: str, provisions: Sequence[Contested]) -> list[Linkage]:
    """Linkages written one a line as ``p10=c -> p5=a`` (``plan20/p10`` works too).

    Raises ValueError naming the line for anything else, or for unknown provisions or options.
    """
    by_id = {c.id: c for c in provisions}
    by_wid: dict[str, list[Contested]] = {}
    for c in provisions:
        by_wid.setdefault(c.id.rsplit("/", 1)[-1], []).append(c)

    def resolve(name: str, option: str, line: int) -> tuple[str, str]:
        found = [by_id[name]] if name in by_id else by_wid.get(name, [])
        if len(found) != 1:
            why = "is ambiguous" if found else "is not a chosen provision"
            raise ValueError(f"linkages line {line}: {name!r} {why}")
        if option not in found[0].options:
            raise ValueError(
                f"linkages line {line}: {found[0].id} has no option {option!r} "
                f"(options: {', '.join(found[0].options)})"
            )
        return found[0].id, option

    out = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _LINK.match(line)
        if match is None:
            raise ValueError(
                f"linkages line {number}: write 'provision=option -> provision=option', "
                f"got {line.strip()!r}"
            )
        if_name, if_option, then_name, then_option = match.groups()
        first = resolve(if_name, if_option, number)
        then = resolve(then_name, then_option, number)
        out.append(Linkage(first[0], first[1], then[0], then[1]))
    return out
