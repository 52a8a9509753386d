"""Who may do what to which record: the one table of ownership and role rules.

Reading is decided by spaces (:mod:`parley.authz.visibility`). Changing is decided here: each
kind of record has actions (``create``, ``update``, ``close``, ``approve``, ...), and each action
names who may take it and in which states of the record. Services call :func:`require_action`
before they write; views call :func:`permits` to show only the actions a user may take. The
table is rendered into ``docs/security.md`` and the permission tests are generated from it, so a
new kind or action without a rule fails the suite.

Who is who, for one record in one process:

* ``mediator`` — a head or member of the mediator's delegation (the convener of the process);
* ``owner`` / ``owner head`` — a head or member (or only the head) of a delegation that owns the
  record: the party of a position, the donor of a pledge, the author of an amendment;
* ``signatory`` / ``signatory head`` — a head or member (or only the head) of a delegation named
  as a signatory of a joint statement, or as a party to minutes;
* ``participant`` — a head or member of any delegation of the process, the mediator's included;
* ``head`` — the head of any delegation of the process;
* ``monitor`` — a head or member of a guarantor's or observer's delegation (neutral assessments);
* ``operator`` — the server's operator (accounts, first heads of delegations; never content).

Viewers and observers never change anything. The operator's command line on the server (the
system actor) passes every rule: it loads scenarios and imports bundles.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from parley.authz.actor import Actor, Membership
from parley.authz.permissions import Forbidden, StepUpRequired


class Who(enum.StrEnum):
    MEDIATOR = "mediator"
    OWNER = "owner"
    OWNER_HEAD = "owner head"
    SIGNATORY = "signatory"
    SIGNATORY_HEAD = "signatory head"
    PARTICIPANT = "participant"
    HEAD = "head"
    MONITOR = "monitor"
    OPERATOR = "operator"


class NotInState(Exception):
    """The actor may take the action, but not in the record's current state (answers 409).

    The message names the state, e.g. "status: a closed meeting cannot be closed again"."""


@dataclass(frozen=True)
class Rule:
    kind: str
    action: str
    who: frozenset[Who]
    # The states in which the action is allowed; empty means any state.
    states: frozenset[str] = frozenset()
    step_up: bool = False
    note: str = ""


@dataclass(frozen=True)
class Subject:
    """What the rules need to know about one record (or, for ``create``, the record to be)."""

    process_id: uuid.UUID
    state: str | None = None
    owners: frozenset[str] = field(default_factory=frozenset)  # party keys
    signatories: frozenset[str] = field(default_factory=frozenset)  # party keys


M, OWN, OH, S, SH, P, H, MON, OP = (
    Who.MEDIATOR,
    Who.OWNER,
    Who.OWNER_HEAD,
    Who.SIGNATORY,
    Who.SIGNATORY_HEAD,
    Who.PARTICIPANT,
    Who.HEAD,
    Who.MONITOR,
    Who.OPERATOR,
)


def _r(
    kind: str,
    action: str,
    *who: Who,
    states: Iterable[str] = (),
    step_up: bool = False,
    note: str = "",
) -> Rule:
    return Rule(kind, action, frozenset(who), frozenset(states), step_up, note)


# Shared plan records are the mediator's; a delegation keeps its own plan in its own space.
PLAN_OWNER = "owner: the delegation whose own space (party:X, party:X+mediator) holds it"

RULES: tuple[Rule, ...] = (
    # --- every kind ---
    _r(
        "record",
        "release",
        OH,
        M,
        step_up=True,
        note="to a wider space; owner: the party of the narrower space",
    ),
    # --- set-up -----------------------------------------------------------------------------
    _r(
        "delegation-member",
        "add",
        OH,
        OP,
        step_up=True,
        note="also a change of role; operator: only a delegation's first head, never itself",
    ),
    _r("delegation-member", "remove", OH, note="a delegation keeps at least one head"),
    _r("note", "create", P),
    _r(
        "note",
        "update",
        OWN,
        note="owner: the delegation whose space holds the note; in a shared space its author's",
    ),
    # --- texts --------------------------------------------------------------------------------
    _r("document", "create", P),
    _r(
        "version",
        "create",
        OWN,
        M,
        note="owner: the authoring party; parties draft, the mediator all kinds",
    ),
    _r("version", "freeze", OWN, M, note="owner: the authoring party"),
    _r("document", "languages", M, note="its authentic languages and working translations"),
    _r(
        "version",
        "translate",
        OWN,
        M,
        note="a text in another language, or confirming a pending one; owner: the author",
    ),
    _r(
        "version",
        "override-languages",
        M,
        step_up=True,
        note="freeze or sign with a language pending or a cross-language finding, with a reason",
    ),
    _r("version", "sign", H, step_up=True, note="each delegation's head, with its signing key"),
    _r("signing-key", "create", OH),
    _r("amendment", "draft", P),
    _r("amendment", "submit", OWN, states=("draft",), step_up=True, note="widens its space"),
    _r("amendment", "withdraw", OWN),
    _r("amendment", "accept", M),
    _r("amendment", "reject", M),
    _r("amendment", "bracket", M, note="folded into a bracket as an option"),
    _r("bracket", "create", M),
    _r("bracket", "support", P, note="a delegation its own support; the mediator any party's"),
    _r("bracket", "decide", M, note="add an option, resolve, or reopen (undo a resolution)"),
    # --- positions ----------------------------------------------------------------------------
    _r("position", "record", OWN, note="owner: the party whose stance it is"),
    _r("package", "release", M, step_up=True),
    # --- meetings -----------------------------------------------------------------------------
    _r("meeting", "schedule", M),
    _r("meeting", "update", M, states=("planned", "held"), note="time, place, outcome, agenda"),
    _r("meeting", "hold", M, states=("planned",)),
    _r("meeting", "close", M, states=("planned", "held")),
    _r("room", "open", M, states=("planned", "held"), note="state: the meeting's"),
    _r("minutes", "draft", M, OWN, note="owner: the delegation of the room"),
    _r("minutes", "amend", M, OWN, states=("draft", "circulated", "amended")),
    _r("minutes", "circulate", M, OWN, states=("draft", "amended")),
    _r(
        "minutes",
        "approve",
        SH,
        M,
        states=("circulated", "amended"),
        note="signatory: a delegation whose approval the minutes need",
    ),
    _r("passage", "carry", M),
    # --- statements ---------------------------------------------------------------------------
    _r("statement", "record", P, note="unilateral and press statements: the speaker's party"),
    _r("statement", "update", OWN, M, states=("draft",)),
    _r("joint-statement", "draft", M, SH),
    _r("joint-statement", "revise", M, SH, states=("draft",), note="voids every approval"),
    _r(
        "joint-statement",
        "approve",
        SH,
        states=("draft", "published"),
        note="published: one recorded as already issued may still be signed as it stands",
    ),
    _r("joint-statement", "sign", SH, states=("draft", "published"), step_up=True),
    _r(
        "joint-statement",
        "publish",
        M,
        SH,
        states=("draft",),
        step_up=True,
        note="once every signatory signed; widens to public",
    ),
    # --- commitments --------------------------------------------------------------------------
    _r(
        "commitment",
        "record",
        OWN,
        M,
        note="owner: the donor's delegation, or the delegation of a coalition the donor is in",
    ),
    _r("commitment", "update", OWN, M, states=("pledged",), note="terms, before any money moved"),
    _r("commitment", "link", OWN, M, note="tie to a provision or a step"),
    _r("fulfilment", "record", OWN, M, note="pledged, allocated, delivered; owner: the donor's"),
    _r("fulfilment", "assess", MON, M, note="honoured or breached: a neutral assessment"),
    # --- sequencing ---------------------------------------------------------------------------
    _r("step", "create", M, OWN, note=PLAN_OWNER),
    _r("step", "update", M, OWN, note=PLAN_OWNER),
    _r("milestone", "create", M, OWN, note=PLAN_OWNER),
    _r("milestone", "update", M, OWN, note=PLAN_OWNER),
    _r("constraint", "create", M, OWN, note=PLAN_OWNER),
    _r("constraint", "update", M, OWN, note=PLAN_OWNER),
    _r("constraint", "remove", M, OWN, note=PLAN_OWNER),
    _r("status-claim", "claim", OWN, note="a party's own claim about a step; owner: the claimant"),
    _r("status-claim", "assess", MON, M, note="the neutral assessment"),
    # --- record and intake --------------------------------------------------------------------
    _r("source", "add", P),
    _r("proposal", "review", P, note="accept, merge or reject, in the reviewer's spaces"),
)

_BY_KEY: dict[tuple[str, str], Rule] = {(r.kind, r.action): r for r in RULES}
assert len(_BY_KEY) == len(RULES), "two rules for one kind and action"


def rule(kind: str, action: str) -> Rule:
    """The rule for ``kind`` and ``action``; a missing rule is a programming error."""
    try:
        return _BY_KEY[(kind, action)]
    except KeyError:
        raise LookupError(f"no rule for {kind}:{action} in parley.authz.rules") from None


def _holds(who: Who, actor: Actor, membership: Membership | None, subject: Subject) -> bool:
    if who is Who.OPERATOR:
        return actor.is_operator
    if membership is None or not membership.can_write or membership.party_key is None:
        return False
    key = membership.party_key
    head = membership.role == "head"
    if who is Who.MEDIATOR:
        return membership.is_mediator
    if who is Who.PARTICIPANT:
        return True
    if who is Who.HEAD:
        return head
    if who is Who.MONITOR:
        return membership.party_kind in ("guarantor", "observer")
    if who is Who.OWNER:
        return key in subject.owners
    if who is Who.OWNER_HEAD:
        return head and key in subject.owners
    if who is Who.SIGNATORY:
        return key in subject.signatories
    if who is Who.SIGNATORY_HEAD:
        return head and key in subject.signatories
    raise AssertionError(who)


def allowed_by(actor: Actor, kind: str, action: str, subject: Subject) -> frozenset[Who]:
    """The roles through which ``actor`` may take the action (empty when it may not)."""
    found = rule(kind, action)
    membership = actor.membership(subject.process_id)
    return frozenset(w for w in found.who if _holds(w, actor, membership, subject))


def permits(actor: Actor, kind: str, action: str, subject: Subject) -> bool:
    """Whether ``actor`` may take ``action`` on the record now (role and state both)."""
    if actor.is_system:
        return True
    found = rule(kind, action)
    if found.states and subject.state not in found.states:
        return False
    return bool(allowed_by(actor, kind, action, subject))


def require_action(actor: Actor, kind: str, action: str, subject: Subject) -> Rule:
    """Raise :class:`Forbidden` (403) unless the actor may, :class:`NotInState` (409) when
    it may but not in this state, and :class:`StepUpRequired` when the rule asks for step-up
    and the actor has not just proved who it is. Returns the rule."""
    found = rule(kind, action)
    if actor.is_system:
        return found
    if not allowed_by(actor, kind, action, subject):
        raise Forbidden(f"not allowed: {kind}:{action}")
    if found.states and subject.state not in found.states:
        raise NotInState(
            f"status: cannot {action} a {kind.replace('-', ' ')} that is {subject.state}"
        )
    if found.step_up and not actor.stepped_up:
        raise StepUpRequired()
    return found


def rules_table_markdown() -> str:
    """The rules as the Markdown table in docs/security.md."""
    lines = [
        "| record | action | who | in state | step-up | note |",
        "|---|---|---|---|---|---|",
    ]
    for r in RULES:
        who = ", ".join(sorted(w.value for w in r.who))
        states = ", ".join(sorted(r.states)) or "any"
        lines.append(
            f"| {r.kind} | {r.action} | {who} | {states} | {'yes' if r.step_up else ''} "
            f"| {r.note} |"
        )
    return "\n".join(lines) + "\n"
