"""Signed checkpoints of the audit chains, and proof that the current log extends them.

A checkpoint says "chain C had N events, event #N had hash H, at time T", signed with the
server's Ed25519 key (see :mod:`parley.operations.signing`; :mod:`parley.sealing` seals, signs
and verifies). A delegation keeps the checkpoints it has fetched in a file outside the
server. Later, :func:`verify_checkpoints` proves that the log still extends every one of them:
the chain still has at least N events and its event #N still has hash H (and the events up to
it still chain correctly). A rewrite of history — even one that recomputes every later hash and
the chain head, which ``parley verify`` alone cannot see — changes the hash of event #N or
removes it, and is reported.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from parley import sealing
from parley.audit.chain import GENESIS, ChainWalk
from parley.audit.models import AuditEvent, AuditHead
from parley.audit.service import record
from parley.authz import Actor, visible
from parley.authz.visibility import SCOPED
from parley.db.base import utcnow
from parley.operations import signing
from parley.operations.models import Checkpoint, ServerKey

FILE_FORMAT = "parley-checkpoints/1"
SYSTEM_CHAIN = "system"
REQUIRED = ("chain", "seq", "head_hash", "at", "key_id", "signature")


@dataclass(frozen=True)
class Problem:
    """One checkpoint the current log does not honour (or that is itself not genuine)."""

    chain: str
    seq: int | None
    problem: str
    index: int | None = None  # position of the checkpoint in the file, from 0

    def __str__(self) -> str:
        where = f"checkpoint [{self.index}] " if self.index is not None else ""
        at = f" #{self.seq}" if self.seq is not None else ""
        return f"{where}chain {self.chain}{at}: {self.problem}"


@dataclass
class CheckpointRun:
    """What :func:`create_checkpoints` did."""

    created: list[Checkpoint] = field(default_factory=list)
    unchanged: int = 0  # chains whose newest checkpoint is still their head
    refused: list[Problem] = field(default_factory=list)  # chains that no longer extend theirs


class CheckpointFileError(ValueError):
    """A checkpoint file that cannot be read; the message names the field."""


# ---------------------------------------------------------------- the server key


def _system_event(session: Session, actor: Actor, action: str, changes: dict[str, Any]) -> None:
    record(
        session,
        actor=actor,
        process_id=None,
        space=SYSTEM_CHAIN,
        action=action,
        object_type="audit_checkpoints" if "checkpoint" in action else "server_keys",
        object_id=uuid.uuid4(),
        changes=changes,
    )


def server_key(
    session: Session, *, actor: Actor, secret: str
) -> tuple[ServerKey, sealing.PrivateKey]:
    """The server's current signing key, unsealed; made (and audited) on first use.

    Call it after something has locked the ``system`` chain head (as :func:`create_checkpoints`
    does), so that two first uses at once cannot both make a key.
    """
    key = session.scalars(
        sa.select(ServerKey)
        .where(ServerKey.retired_at.is_(None))
        .order_by(ServerKey.created_at.desc())
        .limit(1)
    ).first()
    if key is None:
        key_id, public, sealed = signing.generate_key(secret)
        key = ServerKey(key_id=key_id, public_key=public, sealed_private_key=sealed)
        session.add(key)
        session.flush()
        # The sealed private half stays out of the log; the public half goes in.
        _system_event(
            session,
            actor,
            "audit:server-key:create",
            {"key_id": [None, key_id], "public_key": [None, public]},
        )
    return key, _unsealed(key, secret)


# Unsealing costs a deliberate scrypt (~0.1 s); keep each unsealed key for the process's life
# (a server holds its signing key in memory anyway).
_UNSEALED: dict[tuple[str, str, str], sealing.PrivateKey] = {}


def _unsealed(key: ServerKey, secret: str) -> sealing.PrivateKey:
    ident = (key.key_id, key.sealed_private_key, hashlib.sha256(secret.encode()).hexdigest())
    if ident not in _UNSEALED:
        _UNSEALED[ident] = signing.unseal(key.sealed_private_key, secret, key.public_key)
    return _UNSEALED[ident]


def public_keys(session: Session) -> dict[str, str]:
    """Every key this server has signed with (retired ones too): key id -> public key."""
    rows = session.execute(sa.select(ServerKey.key_id, ServerKey.public_key)).all()
    return {key_id: public for key_id, public in rows}


# ---------------------------------------------------------------- making checkpoints


def _visible_chains(session: Session, actor: Actor, process_id: uuid.UUID | None) -> list[str]:
    """The chains ``actor`` may see (of one process, or every chain for the system)."""
    if actor.is_system and process_id is None:
        return list(session.scalars(sa.select(AuditHead.chain).order_by(AuditHead.chain)))
    query = (
        sa.select(AuditEvent.chain)
        .where(visible(actor, AuditEvent))
        .distinct()
        .order_by(AuditEvent.chain)
    )
    if process_id is not None:
        query = query.where(AuditEvent.process_id == process_id)
    return list(session.scalars(query))


def _latest(session: Session, chains: Sequence[str]) -> dict[str, Checkpoint]:
    """The newest checkpoint of each of ``chains`` (callers have scoped ``chains``)."""
    if not chains:
        return {}
    ranked = (
        sa.select(
            Checkpoint.id,
            sa.func.row_number()
            .over(
                partition_by=Checkpoint.chain,
                order_by=(Checkpoint.at.desc(), Checkpoint.seq.desc()),
            )
            .label("rank"),
        )
        .where(Checkpoint.chain.in_(list(chains)))
        .subquery()
    )
    rows = session.scalars(
        sa.select(Checkpoint)
        .join(ranked, ranked.c.id == Checkpoint.id)
        .where(ranked.c.rank == 1)
        # The chains were chosen through visible() by the caller.
        .execution_options(**{SCOPED: True})
    )
    return {cp.chain: cp for cp in rows}


def _heads(session: Session, chains: Iterable[str]) -> dict[str, AuditHead]:
    return {
        h.chain: h
        for h in session.scalars(
            sa.select(AuditHead)
            .where(AuditHead.chain.in_(list(chains)))
            .execution_options(populate_existing=True)
        )
    }


def _why(walk: ChainWalk) -> str:
    """What broke a walk, naming the event (a checkpoint's problem names the checkpoint's #)."""
    if walk.problem is not None and walk.problem.startswith("expected event"):
        return walk.problem
    return f"event #{walk.broken.seq}: {walk.problem}"


def _events(session: Session, chain: str, after: int, upto: int) -> Iterable[AuditEvent]:
    return session.scalars(
        sa.select(AuditEvent)
        .where(AuditEvent.chain == chain, AuditEvent.seq > after, AuditEvent.seq <= upto)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=500)
    )


def _extends(session: Session, head: AuditHead, last: Checkpoint | None) -> str | None:
    """Why ``head`` is not a correct extension of the chain's newest checkpoint, or None.

    Only the events after the newest checkpoint are re-computed, so a scheduled run costs as
    much as the activity since the last one.
    """
    seq, prev = (0, GENESIS) if last is None else (last.seq, last.head_hash)
    if last is not None:
        if head.seq < last.seq:
            return f"the chain has {head.seq} events, its checkpoint of {last.at} saw {last.seq}"
        found = session.scalar(
            sa.select(AuditEvent.hash).where(
                AuditEvent.chain == head.chain, AuditEvent.seq == last.seq
            )
        )
        if found != last.head_hash:
            return f"event #{last.seq} no longer has the hash checkpointed at {last.at}"
    walk = ChainWalk(head.chain, seq, prev).through(_events(session, head.chain, seq, head.seq))
    if walk.broken is not None:
        return _why(walk)
    if walk.seq != head.seq:
        return f"the log has {walk.seq} events, the head says {head.seq} (truncated)"
    if walk.hash != head.hash:
        return "the head's hash is not that of the newest event"
    return None


def create_checkpoints(
    session: Session,
    actor: Actor,
    *,
    secret: str | None = None,
    process_id: uuid.UUID | None = None,
) -> CheckpointRun:
    """Sign a checkpoint of every chain ``actor`` can see that changed since its last one.

    With ``process_id``, only that process's chains. Before signing, the server checks that
    the chain correctly extends its newest checkpoint (re-computing the events since); a chain
    that does not is refused, not signed. Runs inside the caller's write transaction; one
    ``audit:checkpoint:create`` event on the ``system`` chain records who asked. The ``system``
    chain is itself checkpointed after that event, so a run that finds nothing new adds nothing.
    """
    if secret is None:
        from parley.config import get_settings

        secret = get_settings().secret_key
    run = CheckpointRun()
    # Runs queue here (several workers may each run a schedule): each then sees what the
    # previous one signed, and signs nothing twice.
    session.execute(
        sa.select(AuditHead.chain).where(AuditHead.chain == SYSTEM_CHAIN).with_for_update()
    )
    chains = _visible_chains(session, actor, process_id)
    latest = _latest(session, chains)
    heads = _heads(session, chains)
    changed = [
        c
        for c in chains
        if c in heads
        and (
            c not in latest or (latest[c].seq, latest[c].head_hash) != (heads[c].seq, heads[c].hash)
        )
    ]
    run.unchanged = len(chains) - len(changed)
    run.refused += [
        Problem(c, None, "not signed: no chain head recorded") for c in chains if c not in heads
    ]
    gone = set(_checkpointed_chains(session, actor, process_id)) - set(chains)
    run.refused += [
        Problem(c, latest_seq, "not signed: the chain is gone (its events and head deleted)")
        for c, latest_seq in sorted(_latest_seqs(session, gone).items())
    ]
    if not changed:
        return run
    _system_event(session, actor, "audit:checkpoint:create", {"chains": [None, len(changed)]})
    key, private = server_key(session, actor=actor, secret=secret)
    if actor.is_system and process_id is None:
        # The run's own events moved the system chain; sign where it now stands.
        changed = sorted(set(changed) | {SYSTEM_CHAIN})
    heads = _heads(session, changed)
    now = utcnow()
    for chain in changed:
        head = heads[chain]
        problem = _extends(session, head, latest.get(chain))
        if problem is not None:
            run.refused.append(Problem(chain, head.seq, f"not signed: {problem}"))
            continue
        pid, space = _parts(chain)
        message = signing.checkpoint_message(chain, head.seq, head.hash, now, key.key_id)
        checkpoint = Checkpoint(
            chain=chain,
            process_id=pid,
            space=space,
            seq=head.seq,
            head_hash=head.hash,
            at=now,
            key_id=key.key_id,
            signature=sealing.sign(private, message),
        )
        session.add(checkpoint)
        run.created.append(checkpoint)
    session.flush()
    return run


def _checkpointed_chains(session: Session, actor: Actor, process_id: uuid.UUID | None) -> list[str]:
    query = sa.select(Checkpoint.chain).distinct()
    if not (actor.is_system and process_id is None):
        query = query.where(visible(actor, Checkpoint))
    if process_id is not None:
        query = query.where(Checkpoint.process_id == process_id)
    return list(session.scalars(query.execution_options(**{SCOPED: True})))


def _latest_seqs(session: Session, chains: Iterable[str]) -> dict[str, int]:
    return {c: cp.seq for c, cp in _latest(session, sorted(chains)).items()}


def _parts(chain: str) -> tuple[uuid.UUID | None, str]:
    if chain == SYSTEM_CHAIN:
        return None, SYSTEM_CHAIN
    pid, space = chain.split("/", 1)
    return uuid.UUID(pid), space


# ---------------------------------------------------------------- reading and exporting


def latest_checkpoints(
    session: Session, actor: Actor, process_id: uuid.UUID | None = None
) -> list[Checkpoint]:
    """The newest checkpoint of each chain ``actor`` can see (of one process if given)."""
    chains = _checkpointed_chains(session, actor, process_id)
    return sorted(_latest(session, chains).values(), key=lambda cp: cp.chain)


def as_dict(checkpoint: Checkpoint, public_key: str) -> dict[str, Any]:
    return {
        "format": signing.FORMAT,
        "chain": checkpoint.chain,
        "process_id": None if checkpoint.process_id is None else str(checkpoint.process_id),
        "space": checkpoint.space,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "at": signing.timestamp(checkpoint.at),
        "key_id": checkpoint.key_id,
        "public_key": public_key,
        "signature": checkpoint.signature,
    }


def document(session: Session, checkpoints: Sequence[Checkpoint]) -> dict[str, Any]:
    """The file a delegation keeps: the checkpoints and the keys that signed them."""
    keys = public_keys(session)
    used = sorted({cp.key_id for cp in checkpoints})
    return {
        "format": FILE_FORMAT,
        "server_keys": [{"key_id": k, "public_key": keys.get(k)} for k in used],
        "checkpoints": [as_dict(cp, keys.get(cp.key_id, "")) for cp in checkpoints],
    }


def merge(existing: Mapping[str, Any] | None, new: Mapping[str, Any]) -> dict[str, Any]:
    """Add the checkpoints of ``new`` to a kept file, each (chain, seq, key, time) once."""
    out = parse_document(existing) if existing else []
    seen = {(c["chain"], c["seq"], c["key_id"], c["at"]) for c in out}
    for item in parse_document(new):
        ident = (item["chain"], item["seq"], item["key_id"], item["at"])
        if ident not in seen:
            out.append(item)
            seen.add(ident)
    keys = {c["key_id"]: c.get("public_key") for c in out}
    return {
        "format": FILE_FORMAT,
        "server_keys": [{"key_id": k, "public_key": v} for k, v in sorted(keys.items())],
        "checkpoints": out,
    }


def parse_document(data: Any) -> list[dict[str, Any]]:
    """The checkpoints of a kept file (the API's answer, or a bare list of checkpoints)."""
    items = data.get("checkpoints") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise CheckpointFileError("checkpoints: expected a list of checkpoints")
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise CheckpointFileError(f"checkpoints[{i}]: expected an object")
        for name in REQUIRED:
            if name not in item:
                raise CheckpointFileError(f"checkpoints[{i}].{name}: required")
        if not isinstance(item["seq"], int) or isinstance(item["seq"], bool) or item["seq"] < 1:
            raise CheckpointFileError(f"checkpoints[{i}].seq: expected a positive integer")
        for name in ("chain", "head_hash", "at", "key_id", "signature"):
            if not isinstance(item[name], str):
                raise CheckpointFileError(f"checkpoints[{i}].{name}: expected a string")
        out.append(dict(item))
    return out


def read_file(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointFileError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    return parse_document(data)


# ---------------------------------------------------------------- verification


def _signature_problem(item: Mapping[str, Any], keys: Mapping[str, str]) -> str | None:
    key_id = item["key_id"]
    known = keys.get(key_id)
    given = item.get("public_key")
    try:
        message = signing.checkpoint_message(
            item["chain"], item["seq"], item["head_hash"], item["at"], key_id
        )
    except ValueError as exc:
        return f"malformed: {exc}"
    if known is None:
        # The server no longer admits the key: replaced, or the checkpoint is not from here.
        own = (
            isinstance(given, str)
            and _key_id_or_none(given) == key_id
            and sealing.verify(given, message, item["signature"])
        )
        detail = "its own public key matches its signature" if own else "and its signature fails"
        return f"signed by key {key_id[:16]}… which this server does not hold ({detail})"
    if isinstance(given, str) and given and given != known:
        return f"its public key differs from this server's key {key_id[:16]}…"
    if not sealing.verify(known, message, item["signature"]):
        return "signature does not verify (the checkpoint was altered or is not from this server)"
    return None


def _key_id_or_none(public_key: str) -> str | None:
    try:
        return sealing.key_id_of(public_key)
    except ValueError:
        return None


def verify_checkpoints(session: Session, checkpoints: Sequence[Mapping[str, Any]]) -> list[Problem]:
    """Prove that the current log extends every checkpoint; each failure is one :class:`Problem`.

    For each checkpoint (chain C, length N, head hash H), signed by a key this server holds:
    the chain still has at least N events, its events #1 … #N chain correctly from the
    genesis hash (numbering, links, re-computed hashes, all in chain C's space), and event #N
    has hash H. Events after N are not judged here; ``verify_all`` checks the whole log.
    """
    keys = public_keys(session)
    problems: list[Problem] = []
    by_chain: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    genuine: dict[str, list[tuple[int, Mapping[str, Any]]]] = {}
    for i, item in enumerate(checkpoints):
        missing = [name for name in REQUIRED if name not in item]
        if missing:
            problems.append(Problem(str(item.get("chain")), None, f"missing {missing}", i))
            continue
        bad_signature = _signature_problem(item, keys)
        if bad_signature is not None:
            problems.append(Problem(item["chain"], item["seq"], bad_signature, i))
        else:
            genuine.setdefault(item["chain"], []).append((i, item))
        by_chain.setdefault(item["chain"], []).append((i, item))
    for chain, items in sorted(by_chain.items()):
        problems.extend(_verify_chain(session, chain, items))
    for chain, items in sorted(genuine.items()):
        problems.extend(contradictions(chain, items))
    return sorted(problems, key=lambda p: (p.index if p.index is not None else -1, p.problem))


def verify_stored(session: Session) -> tuple[int, list[Problem]]:
    """Prove that the log extends every checkpoint the server itself stored (``parley verify``
    does this by default): a chain deleted or truncated below a checkpoint, or history
    rewritten before one, is found without any file kept outside."""
    keys = public_keys(session)
    # Checkpoints signed by a key this server never held came with an imported bundle: they
    # vouch for another server's log, and are checked with that server's file (--checkpoints).
    stored = [
        as_dict(cp, keys[cp.key_id])
        for cp in session.scalars(
            sa.select(Checkpoint)
            .order_by(Checkpoint.chain, Checkpoint.at, Checkpoint.seq)
            .execution_options(**{SCOPED: True})  # the system's own check: every chain
        )
        if cp.key_id in keys
    ]
    return len(stored), verify_checkpoints(session, stored)


def contradictions(chain: str, items: Sequence[tuple[int, Mapping[str, Any]]]) -> list[Problem]:
    """Genuine checkpoints of one chain that cannot all be true of one append-only log.

    Two signed checkpoints with the same length and different hashes, or a later one that
    is shorter than an earlier one, prove that the server showed (or kept) two histories —
    for instance one to each delegation. Merging the files of several delegations finds it.
    """
    problems = []
    seen: dict[int, tuple[int, str]] = {}
    for i, item in items:
        seq, hash_ = int(item["seq"]), str(item["head_hash"])
        if seq in seen and seen[seq][1] != hash_:
            other = seen[seq][0]
            text = f"signed with another head hash than checkpoint [{other}]: two histories"
            problems.append(Problem(chain, seq, text, i))
        seen.setdefault(seq, (i, hash_))
    ordered = sorted(items, key=lambda pair: (str(pair[1]["at"]), int(pair[1]["seq"])))
    longest: tuple[int, int] | None = None  # (seq, index) of the longest checkpoint so far
    for i, item in ordered:
        seq = int(item["seq"])
        if longest is not None and seq < longest[0]:
            text = f"shorter than the earlier checkpoint [{longest[1]}] ({longest[0]} events)"
            problems.append(Problem(chain, seq, f"{text}: the history went backwards", i))
        if longest is None or seq > longest[0]:
            longest = (seq, i)
    return problems


def _verify_chain(
    session: Session, chain: str, items: list[tuple[int, Mapping[str, Any]]]
) -> list[Problem]:
    """Check one chain against all of its checkpoints, reading its events once."""
    longest = max(int(item["seq"]) for _, item in items)
    head = session.scalars(
        sa.select(AuditHead)
        .where(AuditHead.chain == chain)
        .execution_options(populate_existing=True)
    ).first()
    count = session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.chain == chain))
    # The events up to the longest checkpoint must chain from the genesis hash; remember the
    # hashes at the checkpointed numbers, and where the prefix first breaks.
    wanted_seqs = {int(item["seq"]) for _, item in items}
    hashes: dict[int, str] = {}
    walk = ChainWalk(chain)
    for event in walk.events(_events(session, chain, 0, longest)):
        if event.seq in wanted_seqs:
            hashes[event.seq] = event.hash
    broken_at = None if walk.broken is None else (walk.seq + 1, _why(walk))
    problems = []
    for i, item in items:
        seq, wanted = int(item["seq"]), item["head_hash"]
        if not count and head is None:
            problem = "the chain is gone (every event and its head deleted)"
        elif head is None or head.seq < seq:
            have = "no head" if head is None else f"its head says {head.seq} events"
            problem = f"the chain is shorter than checkpointed ({have}, {count} events left)"
        elif broken_at is not None and broken_at[0] <= seq:
            problem = f"history before the checkpoint is broken: {broken_at[1]}"
        elif seq not in hashes:
            problem = f"event #{seq} is missing (truncated)"
        elif hashes[seq] != wanted:
            found = hashes[seq][:12]
            problem = (
                f"event #{seq} has hash {found}…, the checkpoint says {wanted[:12]}… (rewritten)"
            )
        else:
            continue
        problems.append(Problem(chain, seq, problem, i))
    return problems
