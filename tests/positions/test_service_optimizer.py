"""The optimizer and package release over the Miami scenario's positions, on both databases.

In the scenario each delegation keeps some positions to itself (``party:P``), so the mediator
cannot run the optimizer over every contested point until the delegations share them.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from parley.authz import Actor, visible
from parley.authz.permissions import Forbidden
from parley.authz.visibility import SCOPED
from parley.db.engine import read_session, write_session
from parley.positions import queries
from parley.positions.models import PackageShare, Position, ReleasedPackage
from parley.positions.service import (
    OptimizerInputError,
    OptimizerRequest,
    record_position,
    release,
    release_package,
    run_optimizer,
)
from parley.processes.models import Party
from parley.texts.models import Bracket, BracketOption, Document, Provision
from positions.conftest import Miami

CONTESTED = ["plan20/p5", "plan20/p6", "plan20/p10", "plan20/p13", "plan20/p15"]
HEADS = {"UA": "ukraine", "RU": "russia", "EUR": "europe"}


def share_with_mediator(miami: Miami, party: str, keep: tuple[str, ...] = ()) -> int:
    """The delegation's head shares its party-only positions with the mediator, except those
    on the provisions (wids) in ``keep``."""
    actor = miami.actor(HEADS[party])
    with write_session(miami.engine) as session:
        own = session.scalars(
            sa.select(Position)
            .join(Provision, Provision.id == Position.provision_id)
            .where(
                Position.space == f"party:{party}",
                Provision.wid.not_in(keep),
                visible(actor, Position),
            )
            .execution_options(**{SCOPED: True})
        ).all()
        for position in own:
            release(session, actor=actor, obj=position, new_space=f"party:{party}+mediator")
        return len(own)


def share_all(miami: Miami, keep_russias: tuple[str, ...] = ()) -> None:
    for party in HEADS:
        assert share_with_mediator(miami, party, keep_russias if party == "RU" else ()) > 0


def run(miami: Miami, username: str = "mediator", **kw: object) -> dict[str, object]:
    with read_session(miami.engine) as session:
        result = run_optimizer(
            session,
            actor=miami.actor(username),
            process_id=miami.process_id(),
            request=OptimizerRequest(**kw),  # type: ignore[arg-type]
        )
        return result.as_json()


def test_a_party_cannot_run_the_optimizer(miami_ro: Miami) -> None:
    miami = miami_ro
    for username in ("ukraine", "russia", "ukraine-viewer", "observer"):
        with pytest.raises(Forbidden):
            run(miami, username, provisions=("plan20/p5",))


def test_the_mediator_is_told_which_inputs_it_cannot_see(miami_ro: Miami) -> None:
    miami = miami_ro
    with pytest.raises(OptimizerInputError) as caught:
        run(miami)
    missing = caught.value.missing
    assert set(missing) == {"UA", "RU", "EUR"}
    # Ukraine's red line on territory option b is in party:UA only.
    assert "UA: no utility for plan20/p10 option b (no position shared with you)" in missing["UA"]
    assert "RU: no utility for plan20/p10 option a (no position shared with you)" in missing["RU"]


def test_over_what_everyone_shared_the_mediator_gets_a_certified_package(miami_ro: Miami) -> None:
    miami = miami_ro
    # Security guarantees: every party shared both options with the mediator.
    answer = run(miami, provisions=("plan20/p5",))
    assert answer["status"] == "optimal"
    assert answer["package"] == {"plan20/p5": "a"}  # b is Russia's red line
    assert "optimal at every stage" in str(answer["proof"]).lower()  # CP-SAT or DP proof
    assert answer["request"]["parties"] == ["EUR", "RU", "UA"]  # type: ignore[index]


def test_once_shared_the_contested_points_of_the_mediator_text_get_a_certified_package(
    miami: Miami,
) -> None:
    share_all(miami)
    answer = run(miami)
    assert answer["request"]["provisions"] == CONTESTED  # type: ignore[index]
    assert answer["request"]["version"] == "plan20/mediator-text"  # type: ignore[index]
    assert answer["status"] == "optimal"
    package = answer["package"]
    assert isinstance(package, dict)
    # Territory: a and b are red lines, c is no one's. Security: b is Russia's red line.
    # Army: c is Russia's. Sanctions: a is Europe's.
    assert (package["plan20/p10"], package["plan20/p5"], package["plan20/p15"]) == ("c", "a", "b")
    assert package["plan20/p6"] in ("a", "b")
    assert "optimal at every stage" in str(answer["proof"]).lower()
    # The scenario's priorities already sum to 100 over these five points.
    assert answer["priorities"]["UA"] == {  # type: ignore[index]
        "plan20/p5": 30,
        "plan20/p6": 15,
        "plan20/p10": 40,
        "plan20/p13": 10,
        "plan20/p15": 5,
    }
    for objective in ("nash", "pareto", "acceptable"):
        other = run(miami, objective=objective)
        assert other["status"] == "optimal", objective
        assert other["proof"], objective
    acceptable = run(miami, objective="acceptable")
    # 1 option at p10, p5 and p15, 2 at p6 (a, b), 2 at p13: four packages.
    assert acceptable["count"] == 4


def test_bad_requests_name_the_field(miami_ro: Miami) -> None:
    miami = miami_ro
    cases = {
        "objective: 'best' is not one of maxmin, nash, pareto, acceptable": {"objective": "best"},
        "version: 'plan20/us-draft' is not a version with open brackets": {
            "version": "plan20/us-draft"
        },
        "provisions: 'plan20/p1' is not a contested provision of this version": {
            "provisions": ("plan20/p1",)
        },
        "parties: unknown party 'XX'": {"parties": ("XX",)},
        "reservation.US: not one of the chosen parties": {
            "provisions": ("plan20/p5",),
            "reservation": {"US": 10},
        },
        "linkages line 1: 'p9' is not a chosen provision": {
            "provisions": ("plan20/p5",),
            "linkages": "p9=a -> p5=a",
        },
        "reservation.UA: must be 0-10000": {
            "provisions": ("plan20/p5",),
            "reservation": {"UA": 20_000},
        },
    }
    for message, request in cases.items():
        with pytest.raises(OptimizerInputError) as caught:
            run(miami, **request)
        assert message in caught.value.messages, (message, caught.value.messages)


def _release(miami: Miami, username: str = "mediator", **kw: object) -> ReleasedPackage:
    values: dict[str, object] = {
        "request": OptimizerRequest(),
        "package": {
            "plan20/p5": "a",
            "plan20/p6": "b",
            "plan20/p10": "c",
            "plan20/p13": "b",
            "plan20/p15": "b",
        },
        "title": "Illustrative package for the January round",
        **kw,
    }
    with write_session(miami.engine) as session:
        return release_package(
            session,
            actor=miami.actor(username),
            process_id=miami.process_id(),
            **values,  # type: ignore[arg-type]
        )


def released_as(miami: Miami, username: str) -> list[dict[str, object]]:
    with read_session(miami.engine) as session:
        return [
            r.as_json()
            for r in queries.released(session, miami.actor(username), miami.process_id())
        ]


def test_a_released_package_shows_each_party_only_its_own_concessions(miami: Miami) -> None:
    share_all(miami)
    package = _release(miami, note="For discussion")
    assert package.space == "participants"

    ukraine = released_as(miami, "ukraine")
    assert len(ukraine) == 1
    seen = ukraine[0]
    assert [row["option"] for row in seen["package"]] == ["a", "b", "c", "b", "b"]  # type: ignore[index]
    assert [s["party"] for s in seen["shares"]] == ["UA"]  # type: ignore[index]
    own = seen["shares"][0]  # type: ignore[index]
    # Against Ukraine's own best options: a at p10 (90, not c's 55), b at p5, c at p6.
    assert own["concessions"]["provisions"]["plan20/p10"] == {  # type: ignore[index]
        "chosen": "c",
        "best": "a",
        "utility_lost": 35,
        "weighted_lost": 1400,
    }
    assert own["utility"] == 30 * 45 + 15 * 80 + 40 * 55 + 10 * 90 + 5 * 85
    text = json.dumps(seen)
    for hidden in ("RU", "EUR", "proof", "CP-SAT", "programming"):
        assert hidden not in text, hidden

    mediator = released_as(miami, "mediator")[0]
    parties = [s["party"] for s in mediator["shares"]]  # type: ignore[index]
    assert parties == ["EUR", "RU", "UA", None]
    record = mediator["shares"][-1]  # type: ignore[index]
    assert set(record["detail"]["utilities"]) == {"UA", "RU", "EUR"}  # type: ignore[index]
    assert record["detail"]["proof"]  # type: ignore[index]

    assert released_as(miami, "observer") == []  # the observer sees the public record only
    russia = released_as(miami, "russia")[0]
    assert [s["party"] for s in russia["shares"]] == ["RU"]  # type: ignore[index]


def test_releasing_the_optimizers_package_keeps_its_proof(miami: Miami) -> None:
    share_all(miami)
    best = run(miami)
    package = _release(miami, request=OptimizerRequest(objective="maxmin"), package=best["package"])
    mediator = released_as(miami, "mediator")[0]
    assert mediator["id"] == str(package.id)
    proof = mediator["shares"][-1]["detail"]["proof"]  # type: ignore[index]
    assert proof == best["proof"]


def test_only_the_mediator_releases_and_only_acceptable_packages(miami: Miami) -> None:
    share_all(miami)
    with pytest.raises(Forbidden):
        _release(miami, "ukraine")
    with pytest.raises(OptimizerInputError, match="not acceptable to every party"):
        _release(
            miami,
            package={
                "plan20/p5": "b",  # Russia's red line
                "plan20/p6": "b",
                "plan20/p10": "c",
                "plan20/p13": "b",
                "plan20/p15": "b",
            },
        )
    with pytest.raises(OptimizerInputError, match="plan20/p13 needs one of a, b"):
        _release(miami, package={"plan20/p5": "a"})
    with pytest.raises(OptimizerInputError, match="space: a package is released to"):
        _release(miami, space="party:UA")
    with read_session(miami.engine) as session:
        count = session.scalar(
            sa.select(sa.func.count()).select_from(ReleasedPackage)
        )  # the system's own count, not a user's view
    assert count == 0


def test_a_package_with_text_not_visible_to_everyone_cannot_be_released(miami: Miami) -> None:
    share_all(miami)
    with write_session(miami.engine) as session:
        bracket = session.scalars(sa.select(Bracket).where(Bracket.key == "br-territory")).one()
        bracket.space = "mediator"  # as if the territory options were the mediator's draft
    with pytest.raises(OptimizerInputError, match="not visible to everyone in participants"):
        _release(miami)


def test_every_release_is_audited_in_its_own_space(miami: Miami) -> None:
    from parley.audit.models import AuditEvent

    share_all(miami)
    package = _release(miami)
    with read_session(miami.engine) as session:
        events = session.execute(
            sa.select(AuditEvent.action, AuditEvent.space).where(
                AuditEvent.object_type.in_(["released_packages", "package_shares"])
            )
        ).all()
        shares = session.scalars(
            sa.select(PackageShare).where(PackageShare.package_id == package.id)
        ).all()
    assert ("package:release", "participants") in events
    assert {space for action, space in events if action == "package:share"} == {
        "party:UA+mediator",
        "party:RU+mediator",
        "party:EUR+mediator",
        "mediator",
    }
    assert len(shares) == 4


# ---------------------------------------------------------------- privacy


def _private_position(miami: Miami, utility: int, reason: str) -> None:
    """Russia records a party-only position on army option b (priority 15, as in the scenario)."""
    actor = miami.actor("russia")
    with write_session(miami.engine) as session:
        provision = session.scalars(
            sa.select(Provision)
            .join(Document, Document.id == Provision.document_id)
            .where(Document.key == "plan20", Provision.wid == "p6")
        ).one()
        option = session.scalars(
            sa.select(BracketOption)
            .join(Bracket, Bracket.id == BracketOption.bracket_id)
            .where(Bracket.key == "br-army", BracketOption.key == "b")
        ).one()
        record_position(
            session,
            actor=actor,
            process_id=miami.process_id(),
            provision_id=provision.id,
            option_id=option.id,
            values={
                "stance": "red_line" if utility < 10 else "accept",
                "priority": 15,
                "utility": utility,
                "reason": reason,
                "space": "party:RU",
            },
        )


def test_a_party_private_utility_changes_nothing_the_mediator_computes(miami: Miami) -> None:
    share_all(miami, keep_russias=("p6",))  # Russia's army positions stay its own
    request = {"provisions": ("plan20/p5", "plan20/p10", "plan20/p15"), "objective": "nash"}
    before = run(miami, **request)
    _private_position(miami, 3, "CANARY-RU-PRIVATE-REASON")
    after_low = run(miami, **request)
    _private_position(miami, 97, "CANARY-RU-PRIVATE-REASON-2")
    after_high = run(miami, **request)
    assert before == after_low == after_high
    assert "CANARY" not in json.dumps(before)
    with pytest.raises(OptimizerInputError) as caught:
        run(miami, provisions=("plan20/p6",))
    # Russia's army positions are all its own: it is reported, not quietly left out.
    assert caught.value.missing["RU"] == [
        "RU: no priority on any chosen provision (no position with a priority shared with you)"
    ]


def test_party_names_come_from_visible_parties_only(miami_ro: Miami) -> None:
    miami = miami_ro
    with read_session(miami.engine) as session:
        keys = [p.key for p in queries.parties(session, Actor.anonymous(), miami.process_id())]
        every = session.scalars(sa.select(Party.key).where(Party.space == "public")).all()
    assert sorted(keys) == sorted(every)  # the process is published; parties are public


def test_positions_on_a_bracket_the_reader_cannot_see_are_left_out(miami: Miami) -> None:
    with write_session(miami.engine) as session:
        bracket = session.scalars(sa.select(Bracket).where(Bracket.key == "br-army")).one()
        bracket.space = "party:UA"  # as if the army options were Ukraine's own draft

    def army(username: str) -> set[str]:
        with read_session(miami.engine) as session:
            rows = queries.positions(session, miami.actor(username), miami.process_id())
        return {r.party for r in rows if r.bracket_key == "br-army"}

    assert army("ukraine") == {"UA", "EUR"}  # its own, and Europe's shared with everyone
    assert army("mediator") == set()  # Europe's b is in participants, but the bracket is not
    assert army("europe") == set()
    with pytest.raises(OptimizerInputError, match="'plan20/p6' is not a contested provision"):
        run(miami, provisions=("plan20/p6",))
