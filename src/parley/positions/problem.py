"""The package optimizer's input: parties, provisions, options, linkages; parsing and validation.

A *package* picks one option for every provision. Party ``p`` scores a package as

    u_p = sum over provisions j of priority[p][j] * utility[p][option chosen at j]

with priorities summing to 100 per party and utilities 0-100, so ``u_p`` is an integer 0-10,000.
A package is *acceptable* when it uses no red-line option, honours every linkage ("this option
here only together with that option there") and gives every party at least its reservation level.

This module is pure: no solver, no database. :func:`compile_problem` turns a validated problem into
the integer arrays the solvers share, after removing options that can never be in an acceptable
package (red lines, and linkages whose consequence is impossible); :func:`reduced_options` further
drops dominated options before optimising.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

MAX_UTILITY = 100
PRIORITY_TOTAL = 100
MAX_PACKAGE_UTILITY = MAX_UTILITY * PRIORITY_TOTAL

IntArray = npt.NDArray[np.int64]


class ProblemError(ValueError):
    """The problem is malformed; ``messages`` lists every problem found, each naming its field."""

    def __init__(self, messages: Sequence[str]) -> None:
        self.messages = list(messages)
        super().__init__("; ".join(self.messages))


class OptimizerTimeout(RuntimeError):
    """The solver hit the caller's time limit before it could certify an answer."""


@dataclass(frozen=True)
class Option:
    id: str
    utility: Mapping[str, int]
    red_line: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Provision:
    id: str
    priority: Mapping[str, int]
    options: tuple[Option, ...]


@dataclass(frozen=True)
class Linkage:
    """``if_option`` at ``if_provision`` may be chosen only together with ``then_option``."""

    if_provision: str
    if_option: str
    then_provision: str
    then_option: str


@dataclass(frozen=True)
class Problem:
    parties: tuple[str, ...]
    provisions: tuple[Provision, ...]
    linkages: tuple[Linkage, ...] = ()
    reservation: Mapping[str, int] = field(default_factory=dict)
    disagreement: Mapping[str, int] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Parsing


_TOP_KEYS = {"parties", "disagreement", "reservation", "provisions", "linkages"}
_PROVISION_KEYS = {"id", "priority", "options"}
_OPTION_KEYS = {"id", "utility", "red_line"}


def _as_int(value: Any) -> int | None:
    """An integer, or an integral float such as ``40.0``; None for anything else (bools too)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def _int_map(raw: Any, where: str, low: int, high: int, errors: list[str]) -> dict[str, int]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be an object mapping party ids to numbers")
        return {}
    out: dict[str, int] = {}
    for key, value in raw.items():
        number = _as_int(value)
        if number is None or not low <= number <= high:
            errors.append(f"{where}.{key}: must be an integer from {low} to {high}, got {value!r}")
            continue
        out[str(key)] = number
    return out


def _unknown_keys(raw: dict[str, Any], allowed: set[str], where: str, errors: list[str]) -> None:
    for key in sorted(set(raw) - allowed):
        errors.append(f"{where}: unknown field {key!r} (expected one of {sorted(allowed)})")


def _parse_option(raw: Any, where: str, errors: list[str]) -> Option | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be an object with 'id' and 'utility'")
        return None
    _unknown_keys(raw, _OPTION_KEYS, where, errors)
    option_id = raw.get("id")
    if not isinstance(option_id, str) or not option_id:
        errors.append(f"{where}.id: must be a non-empty string")
        return None
    where = f"{where} ({option_id})"
    utility = raw.get("utility")
    if not isinstance(utility, dict) or not utility:
        errors.append(f"{where}.utility: option has no utilities")
        utility_map: dict[str, int] = {}
    else:
        utility_map = _int_map(utility, f"{where}.utility", 0, MAX_UTILITY, errors)
    red = raw.get("red_line", [])
    if not isinstance(red, list) or not all(isinstance(p, str) for p in red):
        errors.append(f"{where}.red_line: must be a list of party ids")
        red = []
    return Option(id=option_id, utility=utility_map, red_line=frozenset(red))


def _parse_provision(raw: Any, where: str, errors: list[str]) -> Provision | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: must be an object with 'id', 'priority' and 'options'")
        return None
    _unknown_keys(raw, _PROVISION_KEYS, where, errors)
    provision_id = raw.get("id")
    if not isinstance(provision_id, str) or not provision_id:
        errors.append(f"{where}.id: must be a non-empty string")
        return None
    where = f"{where} ({provision_id})"
    priority = _int_map(raw.get("priority", {}), f"{where}.priority", 0, PRIORITY_TOTAL, errors)
    raw_options = raw.get("options")
    if not isinstance(raw_options, list) or not raw_options:
        errors.append(f"{where}.options: must be a non-empty list")
        raw_options = []
    options = []
    for i, raw_option in enumerate(raw_options):
        option = _parse_option(raw_option, f"{where}.options[{i}]", errors)
        if option is not None:
            options.append(option)
    return Provision(id=provision_id, priority=priority, options=tuple(options))


def _parse_linkage(raw: Any, where: str, errors: list[str]) -> Linkage | None:
    def pair(value: Any) -> tuple[str, str] | None:
        if (
            isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, str) and v for v in value)
        ):
            return value[0], value[1]
        return None

    if not isinstance(raw, dict) or set(raw) != {"if", "then"}:
        errors.append(f"{where}: must be an object with exactly 'if' and 'then'")
        return None
    first, then = pair(raw["if"]), pair(raw["then"])
    if first is None or then is None:
        errors.append(f"{where}: 'if' and 'then' must each be [provision id, option id]")
        return None
    return Linkage(first[0], first[1], then[0], then[1])


def parse_problem(data: Any) -> Problem:
    """Build a :class:`Problem` from decoded JSON (the CLI contract).

    Raises :class:`ProblemError` listing every problem found, each naming its field.
    """
    errors: list[str] = []
    if not isinstance(data, dict):
        raise ProblemError(["problem: must be a JSON object"])
    _unknown_keys(data, _TOP_KEYS, "problem", errors)
    parties = data.get("parties")
    if not isinstance(parties, list) or not parties:
        errors.append("parties: must be a non-empty list of party ids")
        parties = []
    elif not all(isinstance(p, str) and p for p in parties):
        errors.append("parties: every party id must be a non-empty string")
        parties = [p for p in parties if isinstance(p, str) and p]
    raw_provisions = data.get("provisions")
    if not isinstance(raw_provisions, list) or not raw_provisions:
        errors.append("provisions: must be a non-empty list")
        raw_provisions = []
    provisions = []
    for i, raw in enumerate(raw_provisions):
        provision = _parse_provision(raw, f"provisions[{i}]", errors)
        if provision is not None:
            provisions.append(provision)
    raw_linkages = data.get("linkages", [])
    if not isinstance(raw_linkages, list):
        errors.append("linkages: must be a list")
        raw_linkages = []
    linkages = []
    for i, raw in enumerate(raw_linkages):
        linkage = _parse_linkage(raw, f"linkages[{i}]", errors)
        if linkage is not None:
            linkages.append(linkage)
    reservation = _int_map(data.get("reservation"), "reservation", 0, MAX_PACKAGE_UTILITY, errors)
    disagreement = _int_map(
        data.get("disagreement"), "disagreement", -MAX_PACKAGE_UTILITY, MAX_PACKAGE_UTILITY, errors
    )
    problem = Problem(
        parties=tuple(parties),
        provisions=tuple(provisions),
        linkages=tuple(linkages),
        reservation=reservation,
        disagreement=disagreement,
    )
    errors.extend(validate_problem(problem))
    if errors:
        raise ProblemError(errors)
    return problem


# ---------------------------------------------------------------------------------------------
# Validation


def _check_parties(ids: Any, known: set[str], where: str, errors: list[str]) -> None:
    for party in sorted(set(ids) - known):
        errors.append(f"{where}: unknown party {party!r}")


def validate_problem(problem: Problem) -> list[str]:
    """Every way the problem breaks the contract, as messages naming the field; empty if valid.

    Checked here (not only in :func:`parse_problem`) so that a service building a
    :class:`Problem` directly gets the same guarantees.
    """
    errors: list[str] = []
    parties = set(problem.parties)
    if not problem.parties:
        errors.append("parties: must name at least one party")
    if len(parties) != len(problem.parties):
        errors.append("parties: party ids must be unique")
    if not problem.provisions:
        errors.append("provisions: must contain at least one provision")
    totals = dict.fromkeys(problem.parties, 0)
    seen_provisions: set[str] = set()
    for provision in problem.provisions:
        where = f"provision {provision.id}"
        if provision.id in seen_provisions:
            errors.append(f"{where}: duplicate provision id")
        seen_provisions.add(provision.id)
        _check_parties(provision.priority, parties, f"{where}: priority", errors)
        for party, weight in provision.priority.items():
            if not 0 <= weight <= PRIORITY_TOTAL:
                errors.append(f"{where}: priority of {party} must be 0-{PRIORITY_TOTAL}")
            if party in totals:
                totals[party] += weight
        if not provision.options:
            errors.append(f"{where}: has no options")
        seen_options: set[str] = set()
        for option in provision.options:
            owhere = f"{where}, option {option.id}"
            if option.id in seen_options:
                errors.append(f"{owhere}: duplicate option id")
            seen_options.add(option.id)
            if not option.utility:
                errors.append(f"{owhere}: option has no utilities")
                continue
            _check_parties(option.utility, parties, f"{owhere}: utility", errors)
            _check_parties(option.red_line, parties, f"{owhere}: red_line", errors)
            for party, value in option.utility.items():
                if not 0 <= value <= MAX_UTILITY:
                    errors.append(f"{owhere}: utility for {party} must be 0-{MAX_UTILITY}")
            for party in problem.parties:
                if provision.priority.get(party, 0) > 0 and party not in option.utility:
                    errors.append(
                        f"{owhere}: no utility for party {party}, which gives this provision "
                        f"priority {provision.priority[party]}"
                    )
    for party, total in totals.items():
        if total != PRIORITY_TOTAL:
            errors.append(
                f"party {party}: priorities sum to {total}, they must sum to {PRIORITY_TOTAL}"
            )
    options_of = {p.id: {o.id for o in p.options} for p in problem.provisions}
    for i, link in enumerate(problem.linkages):
        for side, (prov, opt) in (
            ("if", (link.if_provision, link.if_option)),
            ("then", (link.then_provision, link.then_option)),
        ):
            if prov not in options_of:
                errors.append(f"linkages[{i}].{side}: unknown provision {prov!r}")
            elif opt not in options_of[prov]:
                errors.append(f"linkages[{i}].{side}: provision {prov} has no option {opt!r}")
    _check_parties(problem.reservation, parties, "reservation", errors)
    _check_parties(problem.disagreement, parties, "disagreement", errors)
    for party, level in problem.reservation.items():
        if not 0 <= level <= MAX_PACKAGE_UTILITY:
            errors.append(f"reservation.{party}: must be 0-{MAX_PACKAGE_UTILITY}")
    for party, level in problem.disagreement.items():
        if not -MAX_PACKAGE_UTILITY <= level <= MAX_PACKAGE_UTILITY:
            errors.append(f"disagreement.{party}: must be within ±{MAX_PACKAGE_UTILITY}")
    return errors


# ---------------------------------------------------------------------------------------------
# Compilation: the integer form every solver shares


@dataclass(frozen=True)
class Compiled:
    """A validated problem as integer arrays, with impossible options removed.

    ``contrib[j][o, p]`` is ``priority[p][j] * utility[p][o]``: what option ``o`` of provision ``j``
    adds to party ``p``'s package utility. ``allowed[j]`` lists the option indices of provision
    ``j`` that can appear in some package satisfying red lines and linkages (before reservation
    levels, which are left to the solvers). ``links`` holds ``(j, a, t, c)``: option ``a`` at ``j``
    requires option ``c`` at ``t``; only links between allowed options remain.
    """

    problem: Problem
    parties: tuple[str, ...]
    contrib: tuple[IntArray, ...]
    allowed: tuple[tuple[int, ...], ...]
    links: tuple[tuple[int, int, int, int], ...]
    reservation: IntArray
    disagreement: IntArray
    infeasible_reason: str | None

    @property
    def num_parties(self) -> int:
        return len(self.parties)

    @property
    def num_provisions(self) -> int:
        return len(self.contrib)

    def package_ids(self, choice: Sequence[int]) -> dict[str, str]:
        """Option indices (one per provision) to ``{provision id: option id}``."""
        return {
            prov.id: prov.options[o].id
            for prov, o in zip(self.problem.provisions, choice, strict=True)
        }

    def utilities(self, choice: Sequence[int]) -> IntArray:
        total = np.zeros(self.num_parties, dtype=np.int64)
        for j, o in enumerate(choice):
            total += self.contrib[j][o]
        return total

    def is_acceptable(self, choice: Sequence[int]) -> bool:
        """Exact check of a package against red lines, linkages and reservation levels."""
        if any(o not in self.allowed[j] for j, o in enumerate(choice)):
            return False
        if any(choice[j] == a and choice[t] != c for j, a, t, c in self.links):
            return False
        return bool(np.all(self.utilities(choice) >= self.reservation))

    def linked_options(self) -> set[tuple[int, int]]:
        """Every (provision, option) mentioned by a link, on either side."""
        out: set[tuple[int, int]] = set()
        for j, a, t, c in self.links:
            out.add((j, a))
            out.add((t, c))
        return out


def compile_problem(problem: Problem) -> Compiled:
    """Integer form of a *validated* problem; propagates red lines through linkages.

    Propagation to a fixed point: an option is impossible when it is red-lined, when a linkage
    sends it to an impossible option, or when linkages send it to two different options of one
    provision. A provision left with no possible option makes the problem infeasible, and
    ``infeasible_reason`` says which. These local rules only shrink the model and explain the
    obvious infeasibilities; the solvers enforce the remaining links exactly.
    """
    parties = problem.parties
    index = {p: i for i, p in enumerate(parties)}
    contrib: list[IntArray] = []
    for provision in problem.provisions:
        table = np.zeros((len(provision.options), len(parties)), dtype=np.int64)
        for o, option in enumerate(provision.options):
            for party, weight in provision.priority.items():
                table[o, index[party]] = weight * option.utility.get(party, 0)
        contrib.append(table)
    prov_index = {p.id: j for j, p in enumerate(problem.provisions)}
    opt_index = [{o.id: i for i, o in enumerate(p.options)} for p in problem.provisions]
    possible = [
        {o for o, option in enumerate(p.options) if not option.red_line} for p in problem.provisions
    ]
    raw_links = []
    for link in problem.linkages:
        j, lp = prov_index[link.if_provision], prov_index[link.then_provision]
        raw_links.append((j, opt_index[j][link.if_option], lp, opt_index[lp][link.then_option]))
    changed = True
    while changed:
        changed = False
        required: dict[tuple[int, int], dict[int, set[int]]] = {}
        for j, a, t, c in raw_links:
            required.setdefault((j, a), {}).setdefault(t, set()).add(c)
        for (j, a), needs in required.items():
            if a not in possible[j]:
                continue
            for t, options in needs.items():
                # Requiring two different options of one provision, or an impossible one, or
                # (for a link within one provision) a different option of the same provision.
                bad = len(options) > 1 or not options <= possible[t] or (t == j and options != {a})
                if bad:
                    possible[j].discard(a)
                    changed = True
                    break
    reason = None
    for j, provision in enumerate(problem.provisions):
        if not possible[j]:
            red = all(o.red_line for o in provision.options)
            why = "is red-lined" if red else "is red-lined or excluded by a linkage"
            reason = f"every option of provision {provision.id} {why}"
            break
    links = tuple(
        (j, a, t, c)
        for j, a, t, c in dict.fromkeys(raw_links)
        if a in possible[j] and c in possible[t] and (j, a) != (t, c)
    )
    return Compiled(
        problem=problem,
        parties=parties,
        contrib=tuple(contrib),
        allowed=tuple(tuple(sorted(s)) for s in possible),
        links=links,
        reservation=np.array([problem.reservation.get(p, 0) for p in parties], dtype=np.int64),
        disagreement=np.array([problem.disagreement.get(p, 0) for p in parties], dtype=np.int64),
        infeasible_reason=reason,
    )


def reduced_options(compiled: Compiled) -> tuple[tuple[int, ...], ...]:
    """Allowed options minus those weakly dominated by another unlinked option (first kept).

    Swapping a dominated option for its dominator never lowers any party's utility, so it keeps
    reservation levels satisfied and cannot lower a max-min, leximin or Nash value or remove a
    frontier utility vector. Options named in a linkage stay, since swapping them could break
    the linkage. Only for optimising: counting and listing acceptable packages use ``allowed``.
    """
    linked = compiled.linked_options()
    out = []
    for j, allowed in enumerate(compiled.allowed):
        table = compiled.contrib[j]
        keep = []
        for o in allowed:
            if (j, o) in linked:
                keep.append(o)
                continue
            dominated = any(
                (j, q) not in linked
                and q != o
                and bool(np.all(table[q] >= table[o]))
                and (bool(np.any(table[q] > table[o])) or q < o)
                for q in allowed
            )
            if not dominated:
                keep.append(o)
        out.append(tuple(keep))
    return tuple(out)
