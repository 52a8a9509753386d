"""The rules table (parley.authz.rules): each rule against every kind of person, generated from
the table itself, so a new kind or action is tested the moment it is added; every rule is
asked for by the code and every question the code asks has a rule; docs/security.md shows it.
"""

from __future__ import annotations

import ast
import os
import uuid
from pathlib import Path

import pytest

from parley.authz import Actor, Membership
from parley.authz.permissions import Forbidden, StepUpRequired
from parley.authz.rules import RULES, NotInState, Rule, Subject, Who, permits, require_action

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "parley"
DOCS = ROOT / "docs" / "security.md"
BEGIN, END = "<!-- rules-table:begin -->", "<!-- rules-table:end -->"

PROCESS = uuid.uuid4()
OWNER, SIGNATORY, OTHER, MONITOR_PARTY, MEDIATOR_PARTY = "OWN", "SIG", "OTH", "MON", "MED"


def _member(key: str, role: str, *, kind: str = "party") -> Actor:
    membership = Membership(
        process_id=PROCESS,
        role=role,
        party_id=uuid.uuid4(),
        party_key=key,
        is_mediator=kind == "mediator",
        party_kind=kind,
    )
    return Actor(user_id=uuid.uuid4(), name=f"{key}-{role}", memberships={PROCESS: membership})


PERSONAS: dict[str, Actor] = {
    "mediator head": _member(MEDIATOR_PARTY, "head", kind="mediator"),
    "mediator member": _member(MEDIATOR_PARTY, "member", kind="mediator"),
    "mediator viewer": _member(MEDIATOR_PARTY, "viewer", kind="mediator"),
    "owner head": _member(OWNER, "head"),
    "owner member": _member(OWNER, "member"),
    "owner viewer": _member(OWNER, "viewer"),
    "signatory head": _member(SIGNATORY, "head"),
    "signatory member": _member(SIGNATORY, "member"),
    "other head": _member(OTHER, "head"),
    "monitor member": _member(MONITOR_PARTY, "member", kind="guarantor"),
    "observer": Actor(
        user_id=uuid.uuid4(),
        name="observer",
        memberships={PROCESS: Membership(process_id=PROCESS, role="observer")},
    ),
    "operator": Actor(user_id=uuid.uuid4(), name="operator", is_operator=True),
    "anonymous": Actor.anonymous(),
}

# Who each role admits, written out by hand: the engine must agree with this for every rule.
ADMITS: dict[Who, set[str]] = {
    Who.MEDIATOR: {"mediator head", "mediator member"},
    Who.OWNER: {"owner head", "owner member"},
    Who.OWNER_HEAD: {"owner head"},
    Who.SIGNATORY: {"signatory head", "signatory member"},
    Who.SIGNATORY_HEAD: {"signatory head"},
    Who.PARTICIPANT: {
        "mediator head",
        "mediator member",
        "owner head",
        "owner member",
        "signatory head",
        "signatory member",
        "other head",
        "monitor member",
    },
    Who.HEAD: {"mediator head", "owner head", "signatory head", "other head"},
    Who.MONITOR: {"monitor member"},
    Who.OPERATOR: {"operator"},
}


def _subject(rule: Rule, state: str | None = None) -> Subject:
    return Subject(
        process_id=PROCESS,
        state=state if state is not None else (min(rule.states) if rule.states else None),
        owners=frozenset({OWNER}),
        signatories=frozenset({SIGNATORY}),
    )


CASES = [(r, p) for r in RULES for p in PERSONAS]


@pytest.mark.parametrize(
    ("rule", "persona"), CASES, ids=[f"{r.kind}:{r.action}-{p}" for r, p in CASES]
)
def test_each_rule_admits_exactly_its_roles(rule: Rule, persona: str) -> None:
    actor = PERSONAS[persona]
    expected = any(persona in ADMITS[w] for w in rule.who)
    assert permits(actor, rule.kind, rule.action, _subject(rule)) is expected
    stepped = Actor(**{**actor.__dict__, "stepped_up": True})
    if expected:
        require_action(stepped, rule.kind, rule.action, _subject(rule))
        if rule.step_up:
            with pytest.raises(StepUpRequired):
                require_action(actor, rule.kind, rule.action, _subject(rule))
    else:
        with pytest.raises(Forbidden):
            require_action(stepped, rule.kind, rule.action, _subject(rule))


@pytest.mark.parametrize(
    "rule", [r for r in RULES if r.states], ids=lambda r: f"{r.kind}:{r.action}"
)
def test_a_rule_with_states_refuses_every_other_state(rule: Rule) -> None:
    allowed = next(p for p in PERSONAS if any(p in ADMITS[w] for w in rule.who))
    actor = Actor(**{**PERSONAS[allowed].__dict__, "stepped_up": True})
    wrong = _subject(rule, state="a-state-no-rule-names")
    assert not permits(actor, rule.kind, rule.action, wrong)
    with pytest.raises(NotInState):
        require_action(actor, rule.kind, rule.action, wrong)
    assert permits(Actor.system(), rule.kind, rule.action, wrong)  # the server's own CLI


def _asked() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """What the code asks the rules about, read from the source: the (kind, action) pairs
    written out in a call, and those a call names through variables (a kind or an action held
    in a variable counts when the module spells out its value somewhere)."""
    table = {(r.kind, r.action) for r in RULES}
    literal: set[tuple[str, str]] = set()
    through_variables: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        if path.parent.name == "authz" and path.name == "rules.py":
            continue
        tree = ast.parse(path.read_text())
        spelled = {
            n.value
            for n in ast.walk(tree)
            if isinstance(n, ast.Constant) and isinstance(n.value, str)
        }
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None))
                in ("require_action", "permits", "allowed_by")
                and len(node.args) >= 3
            ):
                continue
            kind, action = node.args[1], node.args[2]
            if isinstance(kind, ast.Constant) and isinstance(action, ast.Constant):
                literal.add((kind.value, action.value))
                continue
            kinds = {kind.value} if isinstance(kind, ast.Constant) else spelled
            actions = {action.value} if isinstance(action, ast.Constant) else spelled
            through_variables |= {(k, a) for k, a in table if k in kinds and a in actions}
    return literal, through_variables


def test_every_question_has_a_rule_and_every_rule_is_asked() -> None:
    table = {(r.kind, r.action) for r in RULES}
    literal, through_variables = _asked()
    assert not literal - table, f"asked without a rule: {sorted(literal - table)}"
    unasked = table - literal - through_variables
    assert not unasked, f"rules no code asks for: {sorted(unasked)}"


def test_docs_show_the_rules_table() -> None:
    from parley.authz.rules import rules_table_markdown

    text = DOCS.read_text()
    assert BEGIN in text and END in text, f"{DOCS} lacks the rules-table markers"
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    wanted = f"{head}{BEGIN}\n{rules_table_markdown()}{END}{tail}"
    if os.environ.get("PARLEY_WRITE_DOCS") == "1":
        DOCS.write_text(wanted)
    assert text == wanted, "docs/security.md is stale: run with PARLEY_WRITE_DOCS=1"
