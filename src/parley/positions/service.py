"""Writing positions: one named call per change, audited in the position's own space."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley.audit.records import audited_add, audited_update
from parley.authz import Actor, NotFound, Permission, get_visible, parse_space, require, widens
from parley.authz.permissions import Forbidden
from parley.authz.rules import Subject, require_action
from parley.authz.scope import actor_party, actor_party_id, reads_as_mediator
from parley.authz.spaces import SpaceError
from parley.authz.visibility import INTERNAL, provision_visible
from parley.db.conflict import Conflict
from parley.errors import InputError
from parley.positions import queries
from parley.positions.analytics import (
    BuiltProblem,
    Contested,
    InputsMissing,
    PositionView,
    build_problem,
    parse_linkages,
    single_party_problem,
)
from parley.positions.models import (
    PackageShare,
    Position,
    PositionRevision,
    ReleasedPackage,
    Stance,
)
from parley.positions.problem import validate_problem
from parley.records.release import release
from parley.texts.models import Bracket, BracketOption

if TYPE_CHECKING:
    from parley.positions.optimizer import Result

# The optimizer (OR-Tools, HiGHS) is imported inside the functions that solve: every web
# worker imports this module for positions, and only the mediator's optimizer page needs it.


class PositionError(InputError):
    pass


class PositionConflict(Conflict):
    """Another request recorded the same position at the same moment (answers 409)."""


def snapshot(position: Position) -> dict[str, Any]:
    return {
        "stance": str(position.stance),
        "priority": position.priority,
        "utility": position.utility,
        "fallback_text": position.fallback_text,
        "reason": position.reason,
        "space": position.space,
    }


def _revise(session: Session, position: Position, actor: Actor) -> None:
    count = (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(PositionRevision)
            # Numbered within the space: a released position starts again at 1 there, so no
            # reader learns how often it changed before it was shared.
            .where(
                PositionRevision.position_id == position.id,
                PositionRevision.space == position.space,
            )
        )
        or 0
    )
    audited_add(
        session,
        PositionRevision(
            process_id=position.process_id,
            position_id=position.id,
            revision=count + 1,
            snapshot=snapshot(position),
            changed_by_id=actor.user_id,
            space=position.space,
        ),
        actor=actor,
        action="position:revision",
    )


def _validate(values: dict[str, Any]) -> None:
    try:
        Stance(values["stance"])
    except ValueError:
        raise PositionError(
            f"stance: {values['stance']!r} is not one of {', '.join(Stance)}"
        ) from None
    if not 0 <= int(values.get("priority") or 0) <= 100:
        raise PositionError("priority: must be between 0 and 100")
    utility = values.get("utility")
    if utility is not None and not 0 <= int(utility) <= 100:
        raise PositionError("utility: must be between 0 and 100")


def record_position(
    session: Session,
    *,
    actor: Actor,
    process_id: uuid.UUID,
    provision_id: uuid.UUID,
    option_id: uuid.UUID | None,
    values: dict[str, Any],
) -> Position:
    """Create or update the actor's party's position on a provision (or one of its options).

    A position moves to a wider space only by release (step-up, and only its current content
    reaches the wider chain): an update that names a wider space is applied where the position
    is, then released. A position is never narrowed."""
    party_key = actor_party(actor, process_id)
    party_id = actor_party_id(actor, process_id)
    if party_key is None or party_id is None:
        raise Forbidden("only a delegation records positions")
    require_action(
        actor, "position", "record", Subject(process_id=process_id, owners=frozenset({party_key}))
    )
    _validate(values)
    if not provision_visible(session, actor, process_id, provision_id):
        # Hidden and unknown provisions get the same answer.
        raise PositionError("provision: unknown provision")
    if option_id is not None:
        option = session.get(BracketOption, option_id)
        bracket = session.get(Bracket, option.bracket_id) if option else None
        try:
            if bracket is None or bracket.provision_id != provision_id:
                raise NotFound("option")
            get_visible(session, actor, Bracket, bracket.id)
        except NotFound:
            raise PositionError("option: not an option of this provision") from None
    existing = session.scalars(
        sa.select(Position)
        .where(
            Position.process_id == process_id,
            Position.party_id == party_id,
            Position.provision_id == provision_id,
            Position.option_id.is_(None) if option_id is None else Position.option_id == option_id,
        )
        .execution_options(**{INTERNAL: True})
    ).first()
    mediator = reads_as_mediator(actor, process_id)
    default_space = "mediator" if mediator else f"party:{party_key}"
    # An update without a space keeps the position where it is (never narrows a shared one).
    space = values.get("space") or (existing.space if existing is not None else default_space)
    try:
        parsed = parse_space(space)
    except SpaceError as exc:
        raise PositionError(f"space: {exc}") from None
    if parsed.party not in (None, party_key) or (parsed.kind == "mediator" and not mediator):
        raise PositionError("space: a position lives in its own party's space or a wider one")
    if existing is not None and space != existing.space and not widens(existing.space, space):
        raise PositionError("space: a shared position is never moved back to a narrower space")
    fields = {
        "stance": Stance(values["stance"]),
        "priority": int(values.get("priority") or 0),
        "utility": None if values.get("utility") is None else int(values["utility"]),
        "fallback_text": values.get("fallback_text") or "",
        "reason": values.get("reason") or "",
    }
    if existing is None:
        position = Position(
            process_id=process_id,
            party_id=party_id,
            provision_id=provision_id,
            option_id=option_id,
            space=space,
            **fields,
        )
        require(actor, Permission.PROCESS_RECORD_WRITE, position)
        try:
            audited_add(session, position, actor=actor, action="position:create")
        except sa.exc.IntegrityError as exc:
            # Both requests found no position and both inserted one: the unique index lets the
            # first through and refuses this one (the transaction is rolled back by the caller).
            # PostgreSQL names the index; SQLite names the columns.
            if not any(m in str(exc.orig) for m in ("uq_positions_", "positions.party_id")):
                raise
            raise PositionConflict(
                "position: your delegation's position on this provision was recorded by "
                "another request at the same moment; reload and try again"
            ) from None
        _revise(session, position, actor)
        return position
    position = existing
    require(actor, Permission.PROCESS_RECORD_WRITE, position)
    audited_update(session, position, fields, actor=actor, action="position:update")
    if space != position.space:
        release(session, actor=actor, obj=position, new_space=space)
    # After a release, this is the wider space's first revision: the content as it is now.
    _revise(session, position, actor)
    return position


# ---------------------------------------------------------------------------------------------
# The optimizer over recorded positions, and releasing a package to the parties


class OptimizerInputError(ValueError):
    """The run cannot be built; ``messages`` name the field (or party, provision and option),
    ``missing`` maps each party to the inputs of it that the mediator cannot see."""

    def __init__(
        self, messages: Sequence[str], missing: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        self.messages = list(messages)
        self.missing = {k: list(v) for k, v in (missing or {}).items()}
        super().__init__("; ".join(self.messages))


@dataclass(frozen=True)
class OptimizerRequest:
    """What the mediator asks: over which provisions and parties, and which objective."""

    objective: str = "maxmin"
    version: str | None = None  # "document/label"; None: the first contested version
    provisions: tuple[str, ...] | None = None  # "document/wid"; None: every contested one
    parties: tuple[str, ...] | None = None  # party keys; None: parties with positions on them
    reservation: Mapping[str, int] = field(default_factory=dict)
    disagreement: Mapping[str, int] = field(default_factory=dict)
    linkages: str = ""
    limit: int | None = None
    # Run on the positions there are: an option a party gave no utility for (or did not share)
    # counts as the worst for that party (0), and the run says whose inputs were assumed.
    assume_missing: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "assume_missing": self.assume_missing,
            "objective": self.objective,
            "version": self.version,
            "provisions": list(self.provisions) if self.provisions is not None else None,
            "parties": list(self.parties) if self.parties is not None else None,
            "reservation": dict(self.reservation),
            "disagreement": dict(self.disagreement),
            "linkages": self.linkages,
            "limit": self.limit,
        }


@dataclass
class OptimizerSetup:
    """The choices offered on the optimizer page, and those in effect for a request."""

    versions: list[queries.VersionRow]
    version: queries.VersionRow | None
    contested: list[queries.ContestedRow]
    parties: list[queries.PartyRow]
    chosen_provisions: list[str]
    chosen_parties: list[str]

    def as_json(self) -> dict[str, Any]:
        return {
            "versions": [v.ref for v in self.versions],
            "version": self.version.ref if self.version else None,
            "contested": [
                {
                    "provision": c.ref,
                    "number": c.number,
                    "heading": c.heading,
                    "options": [{"key": o.key, "text": o.text} for o in c.options],
                }
                for c in self.contested
            ],
            "parties": [{"key": p.key, "name": p.name, "kind": p.kind} for p in self.parties],
            "chosen_provisions": self.chosen_provisions,
            "chosen_parties": self.chosen_parties,
        }


@dataclass
class OptimizerRun:
    setup: OptimizerSetup
    request: OptimizerRequest
    built: BuiltProblem
    result: Result
    # party -> "point 6 (Heading), option a", ...: utilities not shared with the caller, as 0
    assumed: dict[str, list[str]] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.result.to_dict(),
            "objective_name": str(self.result.objective_name),
            "request": {
                **self.request.as_json(),
                "version": self.setup.version.ref if self.setup.version else None,
                "provisions": self.setup.chosen_provisions,
                "parties": self.setup.chosen_parties,
            },
            "priorities": self.built.priorities,
            "notes": list(self.built.notes),
            "assumed": self.assumed,
        }


def _require_mediator(actor: Actor, process_id: uuid.UUID) -> None:
    if not reads_as_mediator(actor, process_id):
        raise Forbidden("only the mediator's team runs the optimizer")


def optimizer_setup(
    session: Session,
    *,
    actor: Actor,
    process_id: uuid.UUID,
    request: OptimizerRequest | None = None,
) -> OptimizerSetup:
    """Versions with open brackets, the contested provisions of the chosen one, the parties,
    and which of them a request (or the defaults) picks. Reads only what ``actor`` may see."""
    request = request or OptimizerRequest()
    versions = queries.contested_versions(session, actor, process_id)
    version = versions[0] if versions else None
    if request.version is not None:
        version = next((v for v in versions if v.ref == request.version), None)
        if version is None:
            raise OptimizerInputError(
                [f"version: {request.version!r} is not a version with open brackets"]
            )
    contested = queries.contested(session, actor, version) if version else []
    refs = [c.ref for c in contested]
    if request.provisions is None:
        chosen = refs
    else:
        unknown = [p for p in request.provisions if p not in refs]
        if unknown:
            raise OptimizerInputError(
                [f"provisions: {p!r} is not a contested provision of this version" for p in unknown]
            )
        chosen = [r for r in refs if r in request.provisions]
    all_parties = queries.parties(session, actor, process_id)
    keys = [p.key for p in all_parties]
    if request.parties is None:
        # Parties (not the mediator, guarantors or observers) with a position on an option of
        # any contested provision of the version: a party silent on the chosen ones is then
        # reported as missing inputs rather than quietly left out.
        option_ids = {o.id for c in contested for o in c.options}
        with_positions = {
            p.party
            for p in queries.positions(
                session, actor, process_id, provision_ids=[c.provision_id for c in contested]
            )
            if p.option_id in option_ids
        }
        chosen_parties = [
            p.key for p in all_parties if p.kind == "party" and p.key in with_positions
        ]
    else:
        unknown = [p for p in request.parties if p not in keys]
        if unknown:
            raise OptimizerInputError([f"parties: unknown party {p!r}" for p in unknown])
        chosen_parties = [k for k in keys if k in request.parties]
    return OptimizerSetup(versions, version, contested, all_parties, chosen, chosen_parties)


def _assume_worst(
    views: list[PositionView], contested: list[Contested], parties: Sequence[str]
) -> tuple[list[PositionView], dict[str, list[tuple[str, str]]]]:
    """Every (party, provision, option) without a utility given: utility 0 (the worst), keeping
    the stance of a position that has one (a red line stays a red line)."""
    by_key = {(v.party, v.provision, v.option): v for v in views}
    out = [v for v in views if v.option is None or v.utility is not None]
    assumed: dict[str, list[tuple[str, str]]] = {}
    for party in parties:
        for c in contested:
            for key in c.options:
                found = by_key.get((party, c.id, key))
                if found is not None and found.utility is not None:
                    continue
                stance = found.stance if found is not None else "accept"
                priority = found.priority if found is not None else 0
                out.append(PositionView(party, c.id, key, stance, priority, 0))
                assumed.setdefault(party, []).append((c.id, key))
    return out, assumed


def _build(
    session: Session, actor: Actor, process_id: uuid.UUID, request: OptimizerRequest
) -> tuple[OptimizerSetup, BuiltProblem, dict[str, list[str]]]:
    from parley.positions.optimizer import Objective

    if request.objective not in set(Objective):
        raise OptimizerInputError(
            [f"objective: {request.objective!r} is not one of {', '.join(Objective)}"]
        )
    setup = optimizer_setup(session, actor=actor, process_id=process_id, request=request)
    if setup.version is None:
        raise OptimizerInputError(["version: no version with open brackets that you can see"])
    if not setup.chosen_provisions:
        raise OptimizerInputError(["provisions: choose at least one contested provision"])
    if not setup.chosen_parties:
        raise OptimizerInputError(
            ["parties: choose at least one party"]
            if request.parties is not None
            else ["parties: no party has a position on these provisions that you can see"]
        )
    chosen = [c for c in setup.contested if c.ref in setup.chosen_provisions]
    label = {o.id: (c.ref, o.key) for c in chosen for o in c.options}
    views = [
        PositionView(
            party=p.party,
            provision=label[p.option_id][0],
            option=label[p.option_id][1],
            stance=p.stance,
            priority=p.priority,
            utility=p.utility,
        )
        for p in queries.positions(
            session, actor, process_id, provision_ids=[c.provision_id for c in chosen]
        )
        if p.option_id in label
    ]
    contested = [Contested(c.ref, tuple(o.key for o in c.options)) for c in chosen]
    errors = []
    for name, values in (
        ("reservation", request.reservation),
        ("disagreement", request.disagreement),
    ):
        for party in values:
            if party not in setup.chosen_parties:
                errors.append(f"{name}.{party}: not one of the chosen parties")
    try:
        linkages = parse_linkages(request.linkages, contested)
    except ValueError as exc:
        errors.append(str(exc))
        linkages = []
    if errors:
        raise OptimizerInputError(errors)
    assumed: dict[str, list[tuple[str, str]]] = {}
    if request.assume_missing:
        views, assumed = _assume_worst(views, contested, setup.chosen_parties)
    try:
        built = build_problem(
            contested,
            views,
            setup.chosen_parties,
            reservation=request.reservation,
            disagreement=request.disagreement,
            linkages=linkages,
        )
    except InputsMissing as exc:
        raise OptimizerInputError(exc.messages, exc.missing) from None
    problem_errors = validate_problem(built.problem)
    if problem_errors:
        raise OptimizerInputError(problem_errors)
    # Only what the problem really needed counts as assumed (a party that gives a provision no
    # priority needs no utilities there).
    needed = {(party, c.id) for c in built.problem.provisions for party in c.priority}
    names = {
        c.ref: f"point {c.number}" + (f" ({c.heading})" if c.heading else "")
        for c in setup.contested
    }
    said: dict[str, list[str]] = {}
    for party, items in assumed.items():
        for ref, key in items:
            if (party, ref) in needed:
                said.setdefault(party, []).append(f"{names.get(ref, ref)}, option {key}")
    return setup, built, said


def ask_for_inputs(
    session: Session,
    *,
    actor: Actor,
    process: Any,
    party: str,
    request: OptimizerRequest,
) -> Any:
    """The mediator asks a delegation for the utilities the optimizer had to assume: a note in
    the space the delegation shares with the mediator, listing each provision and option."""
    from dataclasses import replace

    from parley.notes.schemas import NoteIn
    from parley.notes.service import create_note

    _require_mediator(actor, process.id)
    _, _, assumed = _build(session, actor, process.id, replace(request, assume_missing=True))
    items = assumed.get(party)
    if not items:
        raise OptimizerInputError([f"party: nothing is missing from {party} for this run"])
    lines = "\n".join(f"- {item}" for item in items)
    text = (
        "The package optimizer needs your delegation's utilities (0-100) for these options, "
        "shared with the mediator:\n"
        f"{lines}\n"
        "Record them on the Positions page and share them with the mediator."
    )
    data = NoteIn(
        title="Please share your utilities for the package optimizer",
        text=text,
        space=f"party:{party}+mediator",
    )
    return create_note(session, actor=actor, process=process, data=data)


SOLVER_SECONDS = 20.0  # per solver call: a web request must not hold a core for minutes


def run_optimizer(
    session: Session, *, actor: Actor, process_id: uuid.UUID, request: OptimizerRequest
) -> OptimizerRun:
    """Solve ``request`` over the positions the mediator can see; only the mediator's team.

    The result depends on confidential inputs, so it is returned to the caller only, never
    stored; every input is a position the caller may see, since only those are read.
    """
    from parley.positions.optimizer import OptimizerTimeout, solve

    _require_mediator(actor, process_id)
    setup, built, assumed = _build(session, actor, process_id, request)
    try:
        result = solve(built.problem, request.objective, request.limit, time_limit=SOLVER_SECONDS)
    except OptimizerTimeout as exc:
        raise OptimizerInputError(
            [f"the solver could not certify an answer within {SOLVER_SECONDS:.0f} s ({exc})"]
        ) from None
    return OptimizerRun(setup, request, built, result, assumed)


RELEASE_SPACES = ("participants", "public")


def release_package(
    session: Session,
    *,
    actor: Actor,
    process_id: uuid.UUID,
    request: OptimizerRequest,
    package: Mapping[str, str],
    title: str,
    note: str = "",
    space: str = "participants",
) -> ReleasedPackage:
    """Release a package proposed from ``request`` to the parties (audited).

    The problem is rebuilt from the positions the mediator can see now, and the package must be
    acceptable in it. Each party of the problem gets a :class:`PackageShare` in its space with
    the mediator holding only its own utility and concessions, measured against its own best
    option (so nothing it is told depends on another party's preferences); the mediator's share
    keeps every party's figures and the proof.
    """
    from parley.positions.optimizer import concessions, evaluate, is_acceptable, solve

    require_action(actor, "package", "release", Subject(process_id=process_id))
    if space not in RELEASE_SPACES:
        raise OptimizerInputError(
            [f"space: a package is released to {' or '.join(RELEASE_SPACES)}"]
        )
    if not title.strip():
        raise OptimizerInputError(["title: give the package a title"])
    setup, built, _ = _build(session, actor, process_id, request)
    assert setup.version is not None  # _build checked
    problem = built.problem
    errors = [
        f"package: {p.id} needs one of {', '.join(o.id for o in p.options)}"
        for p in problem.provisions
        if package.get(p.id) not in {o.id for o in p.options}
    ]
    errors += [
        f"package: {k!r} is not a chosen provision"
        for k in package
        if k not in setup.chosen_provisions
    ]
    if errors:
        raise OptimizerInputError(errors)
    chosen = {p.id: package[p.id] for p in problem.provisions}
    if not is_acceptable(problem, chosen):
        raise OptimizerInputError(
            ["package: not acceptable to every party (a red line, linkage or reservation level)"]
        )
    # What every reader of the package's space may see must already be visible to them there.
    breadth = parse_space(space).breadth
    narrow = [
        c.ref
        for c in setup.contested
        if c.ref in chosen
        and any(
            o.key == chosen[c.ref] and parse_space(o.bracket_space).breadth < breadth
            for o in c.options
        )
    ]
    if parse_space(setup.version.space).breadth < breadth or narrow:
        raise OptimizerInputError(
            [f"space: the text of this package is not visible to everyone in {space}"]
        )
    proof = f"chosen by the mediator from the {request.objective} results"
    if request.objective in ("maxmin", "nash"):
        result = solve(problem, request.objective, time_limit=SOLVER_SECONDS)
        if result.package == chosen:
            proof = result.proof
    contested = {c.ref: c for c in setup.contested}
    content = []
    for provision_id, option in chosen.items():
        row = contested[provision_id]
        text = next(o.text for o in row.options if o.key == option)
        content.append(
            {"provision": provision_id, "heading": row.heading, "option": option, "text": text}
        )
    released = ReleasedPackage(
        process_id=process_id,
        title=title.strip(),
        note=note.strip(),
        objective=request.objective,
        version_id=setup.version.id,
        package=content,
        released_by_id=actor.user_id,
        space=space,
    )
    require(actor, Permission.PROCESS_RECORD_RELEASE, released)
    audited_add(session, released, actor=actor, action="package:release")
    utilities = evaluate(problem, chosen)
    party_rows = {p.key: p for p in setup.parties}
    for party in problem.parties:
        own = single_party_problem(problem, party)
        share = PackageShare(
            process_id=process_id,
            package_id=released.id,
            party_id=party_rows[party].id,
            utility=utilities[party],
            concessions=concessions(own, chosen)[party],
            detail={"priorities": built.priorities[party]},
            space="mediator" if party_rows[party].kind == "mediator" else f"party:{party}+mediator",
        )
        audited_add(session, share, actor=actor, action="package:share")
    audited_add(
        session,
        PackageShare(
            process_id=process_id,
            package_id=released.id,
            party_id=None,
            utility=None,
            concessions=concessions(problem, chosen),
            detail={
                "request": {**request.as_json(), "version": setup.version.ref},
                "utilities": utilities,
                "priorities": built.priorities,
                "proof": proof,
            },
            space="mediator",
        ),
        actor=actor,
        action="package:share",
    )
    return released
