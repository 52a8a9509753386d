"""The durability harness: kill -9 a live Parley server under concurrent writes, then check.

One *cycle*: start the real server (``python -m uvicorn --factory parley.app:create_app``) on
a prepared database, let several users of several delegations write through the JSON API with
Bearer tokens (notes, and positions on the illustrative plan), send SIGKILL to the server's
whole process group at a random moment, and check the database:

* every write the client saw acknowledged (``201``) is present, with the content it sent;
* nothing is half-written: every note has its ``note:create`` audit event and every event its
  note, every position revision its ``position:revision`` event and the other way round, every
  position's current reason appears in one of its revisions;
* the audit chains verify (``verify_all``; ``parley verify`` once more at the end), and SQLite's
  ``integrity_check`` and ``foreign_key_check`` are clean.

On SQLite the harness can also simulate a *power cut*, not just a crash: the server runs under
``powerloss.c`` (an LD_PRELOAD shim, compiled here with the system C compiler) that keeps a copy
of each database file as of its last ``fsync``; after the kill every file is put back to that
copy, as if the machine had lost every page the program had not forced to disk. With the
shipped setting (WAL, ``synchronous=FULL``) nothing acknowledged may be lost even then. The
deliberately unsafe run starts the server with ``tests/reliability/unsafe/sitecustomize.py``,
which turns ``synchronous`` OFF (or NORMAL), and the same checks must then report losses:
proof that the harness can fail. docs/reliability.md describes what this does and does not show.

Run by hand: ``python tests/reliability/harness.py --backend sqlite --cycles 20``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIO = HERE / "scenario.yaml"
SHIM_SOURCE = HERE / "powerloss.c"
UNSAFE_SITE = HERE / "unsafe"
KEY = "durability"
API = f"/api/v1/processes/{KEY}"
PG_ADMIN = os.environ.get("PARLEY_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
STANCES = ("accept", "accept_with_changes", "reject", "red_line")
SQLITE_FILES = ("", "-wal", "-journal")  # what a power cut can leave behind (-shm is rebuilt)


# ---------------------------------------------------------------- the database


@dataclass
class Database:
    """A prepared database: the scenario loaded, an API token for every user."""

    backend: str
    url: str
    tokens: dict[str, str]  # username -> Bearer token
    spaces: dict[str, str]  # username -> the narrowest space it writes in ("" if it cannot)
    writers: list[str]  # usernames that may write (heads and members)
    provisions: list[str]  # provision ids of the plan
    path: Path | None = None  # the SQLite file
    pg_name: str | None = None
    # username -> (session cookie, CSRF token), for clients that act like a browser
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def drop(self) -> None:
        if self.pg_name is not None:
            _pg_exec(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')
            self.pg_name = None


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.encode())


def postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used here, or None."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip()


def scenario_data(extra_users_per_party: int = 0) -> dict[str, Any]:
    """tests/reliability/scenario.yaml, with ``extra_users_per_party`` more members each."""
    from parley.scenario.loader import read_scenario

    data = read_scenario(SCENARIO)
    for party in data["parties"]:
        for i in range(1, extra_users_per_party + 1):
            name = f"{party['key'].lower()}-user{i}"
            data["users"].append(
                {"username": name, "password": f"{name}-password", "party": party["key"]}
                | {"role": "member"}
            )
    return data


def prepare_database(backend: str, workdir: Path, *, extra_users_per_party: int = 0) -> Database:
    """Migrate a fresh database, load the scenario, mint a token per user."""
    from argon2 import PasswordHasher

    from parley.auth.models import User
    from parley.auth.service import create_token, start_session
    from parley.authz import Actor
    from parley.db import migrate
    from parley.db.engine import create_db_engine, read_session, write_session
    from parley.processes.models import Process
    from parley.scenario.loader import load_scenario
    from parley.texts.models import Provision

    workdir.mkdir(parents=True, exist_ok=True)
    path: Path | None = None
    pg_name: str | None = None
    if backend == "sqlite":
        path = workdir / "parley.db"
        url = f"sqlite:///{path}"
    else:
        pg_name = f"parley_reliability_{uuid.uuid4().hex[:10]}"
        _pg_exec(f'CREATE DATABASE "{pg_name}"')
        url = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_name
    data = scenario_data(extra_users_per_party)
    parties = {p["key"]: p["kind"] for p in data["parties"]}
    system = Actor.system("reliability")
    engine = create_db_engine(url)
    try:
        migrate.upgrade(engine)
        # Cheap argon2 parameters while loading: the hash format is the real one; nobody here
        # signs in with a password (the clients use tokens).
        fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        with mock.patch("parley.auth.passwords._hasher", fast), write_session(engine) as s:
            load_scenario(s, data, actor=system)
        tokens: dict[str, str] = {}
        sessions: dict[str, tuple[str, str]] = {}
        with write_session(engine) as s:
            for user in s.scalars(sa.select(User).order_by(User.username)):
                tokens[user.username] = create_token(s, actor=system, user=user, name="harness")
                cookie, web = start_session(s, user, hours=12)
                sessions[user.username] = (cookie, web.csrf_token)
        with read_session(engine) as s:
            process_id = s.scalars(sa.select(Process.id).where(Process.key == KEY)).one()
            provisions = [
                str(p)
                for p in s.scalars(
                    sa.select(Provision.id)
                    .where(Provision.process_id == process_id)
                    .order_by(Provision.id)
                )
            ]
        if path is not None:
            with engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    spaces: dict[str, str] = {}
    writers: list[str] = []
    for user in data["users"]:
        party = user.get("party")
        if party is None or user.get("role") not in ("head", "member"):
            spaces[user["username"]] = ""
            continue
        spaces[user["username"]] = "mediator" if parties[party] == "mediator" else f"party:{party}"
        writers.append(user["username"])
    database = Database(backend, url, tokens, spaces, writers, provisions, path, pg_name, sessions)
    if path is not None:
        mark_durable(path)
    return database


# ---------------------------------------------------------------- power cuts (SQLite)


def build_shim(workdir: Path) -> Path | None:
    """Compile powerloss.c into a shared object; None when there is no C compiler."""
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return None
    out = workdir / "powerloss.so"
    if not out.exists():
        workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [compiler, "-shared", "-fPIC", "-O2", "-o", str(out), str(SHIM_SOURCE), "-ldl"],
            check=True,
            capture_output=True,
        )
    return out


def mark_durable(db_path: Path) -> None:
    """fsync the database files and record them as durable (the harness wrote them itself)."""
    for suffix in SQLITE_FILES:
        file = Path(f"{db_path}{suffix}")
        durable = Path(f"{file}.durable")
        if file.exists():
            with file.open("rb+") as handle:
                os.fsync(handle.fileno())
            shutil.copyfile(file, durable)
        else:
            durable.unlink(missing_ok=True)


def simulate_power_loss(db_path: Path) -> dict[str, int]:
    """Put every database file back to its state at its last fsync; drop never-synced files.

    Returns the bytes dropped per file, for the report.
    """
    dropped: dict[str, int] = {}
    for suffix in SQLITE_FILES:
        file = Path(f"{db_path}{suffix}")
        durable = Path(f"{file}.durable")
        size = file.stat().st_size if file.exists() else 0
        if durable.exists():
            shutil.copyfile(durable, file)
            dropped[file.name] = max(size - durable.stat().st_size, 0)
        elif file.exists():
            file.unlink()
            dropped[file.name] = size
    Path(f"{db_path}-shm").unlink(missing_ok=True)  # shared memory: never on disk after a cut
    return dropped


# ---------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A uvicorn process (and its workers) in a process group of its own, so that one SIGKILL
    takes down every process that could still be writing."""

    def __init__(
        self,
        database_url: str,
        log: Path,
        *,
        workers: int = 1,
        app: str = "parley.app:create_app",
        factory: bool = True,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.log = log
        self.workers = workers
        self.app = app
        self.factory = factory
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def start(self, timeout: float = 90.0) -> str:
        port = free_port()
        command = [sys.executable, "-m", "uvicorn", self.app, "--host", "127.0.0.1"]
        command += ["--port", str(port), "--log-level", "warning", "--no-access-log"]
        if self.factory:
            command.append("--factory")
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        env = {
            **os.environ,
            "PARLEY_DATABASE_URL": self.database_url,
            "PARLEY_ENVIRONMENT": "development",
            **self.env,
        }
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if httpx.get(self.base_url + "/api/v1/health", timeout=2).status_code == 200:
                    # Every worker must be ready, not only the first one to answer.
                    if self.workers > 1:
                        time.sleep(1.0)
                    return self.base_url
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer within {timeout:.0f} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group: no shutdown handler, no flush, no goodbye."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        self.kill()

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


# ---------------------------------------------------------------- the writers


@dataclass(frozen=True)
class Ack:
    kind: str  # "note" | "position"
    marker: str  # the unique title (note) or reason (position) the client sent
    user: str
    object_id: str
    cycle: int


@dataclass
class Ledger:
    """What the clients saw: acknowledged writes, refusals, and requests with no answer."""

    acks: list[Ack] = field(default_factory=list)
    unanswered: int = 0  # sent (or perhaps sent) when the server died: either outcome is fine
    refused: Counter[str] = field(default_factory=Counter)  # "status: detail" -> count
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ack(self, ack: Ack) -> None:
        with self.lock:
            self.acks.append(ack)

    def in_cycle(self, cycle: int) -> int:
        with self.lock:
            return sum(1 for a in self.acks if a.cycle == cycle)


def _write_once(
    client: httpx.Client, database: Database, user: str, marker: str, rng: random.Random
) -> tuple[str, httpx.Response]:
    if rng.random() < 0.5:
        body = {
            "title": marker,
            "text": f"Illustrative note {marker}.",
            "space": database.spaces[user],
        }
        return "note", client.post(f"{API}/notes", json=body)
    body = {
        "provision_id": rng.choice(database.provisions),
        "stance": rng.choice(STANCES),
        "priority": rng.randint(0, 100),
        "reason": marker,
    }
    return "position", client.post(f"{API}/positions", json=body)


def writer(
    base_url: str,
    database: Database,
    user: str,
    cycle: int,
    seed: int,
    stop: threading.Event,
    ledger: Ledger,
) -> None:
    """Write as ``user`` until ``stop`` is set; record what the server answered."""
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {database.tokens[user]}"}
    seq = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        while not stop.is_set():
            seq += 1
            marker = f"DUR-{cycle}-{user}-{seq}"
            try:
                kind, response = _write_once(client, database, user, marker, rng)
            except httpx.ConnectError:
                time.sleep(0.05)  # the server is down: nothing was sent
                continue
            except httpx.TransportError:
                with ledger.lock:
                    ledger.unanswered += 1
                time.sleep(0.05)
                continue
            if response.status_code == 201:
                object_id = str(response.json()["id"])
                ledger.ack(Ack(kind, marker, user, object_id, cycle))
            else:
                detail = response.text[:120].replace("\n", " ")
                with ledger.lock:
                    ledger.refused[f"{response.status_code} {kind}: {detail}"] += 1


# ---------------------------------------------------------------- the checks


@dataclass
class Findings:
    lost: list[str] = field(default_factory=list)  # acknowledged, not found (or changed)
    half_written: list[str] = field(default_factory=list)
    verify_breaks: list[str] = field(default_factory=list)
    integrity: str = "ok"
    duplicate_positions: int = 0  # reported, not a durability failure

    @property
    def ok(self) -> bool:
        return not (self.lost or self.half_written or self.verify_breaks) and self.integrity == "ok"


def _uid(value: Any) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(value)


def check(database: Database, acks: list[Ack]) -> Findings:
    """Compare what the clients saw acknowledged with what the database holds."""
    from parley.audit.models import AuditEvent
    from parley.audit.verify import verify_all
    from parley.db.engine import create_db_engine, read_session
    from parley.notes.models import Note
    from parley.positions.models import Position, PositionRevision

    findings = Findings()
    engine = create_db_engine(database.url)
    try:
        with read_session(engine) as s:
            if database.backend == "sqlite":
                integrity = [r[0] for r in s.execute(sa.text("PRAGMA integrity_check"))]
                foreign = s.execute(sa.text("PRAGMA foreign_key_check")).all()
                findings.integrity = "; ".join(integrity) + (f"; fk: {foreign}" if foreign else "")
            notes = {_uid(i): t for i, t in s.execute(sa.select(Note.id, Note.title))}
            events = s.execute(sa.select(AuditEvent.action, AuditEvent.object_id)).all()
            note_events = {_uid(o) for a, o in events if a == "note:create"}
            revision_events = {_uid(o) for a, o in events if a == "position:revision"}
            revisions = {
                _uid(i): (_uid(p), snap)
                for i, p, snap in s.execute(
                    sa.select(
                        PositionRevision.id, PositionRevision.position_id, PositionRevision.snapshot
                    )
                )
            }
            positions = {_uid(i): r for i, r in s.execute(sa.select(Position.id, Position.reason))}
            keys = Counter(
                s.execute(
                    sa.select(Position.party_id, Position.provision_id, Position.option_id)
                ).all()
            )
            findings.duplicate_positions = sum(n - 1 for n in keys.values() if n > 1)
            report = verify_all(s)
            findings.verify_breaks = [str(b) for b in report.breaks]
    except sa.exc.DatabaseError as exc:  # e.g. "database disk image is malformed"
        findings.integrity = f"unreadable: {str(exc).splitlines()[0]}"
        findings.lost = [a.marker for a in acks]
        return findings
    finally:
        engine.dispose()

    reasons = {(pid, snap.get("reason")) for pid, snap in revisions.values()}
    for ack in acks:
        if ack.kind == "note":
            if notes.get(_uid(ack.object_id)) != ack.marker:
                findings.lost.append(ack.marker)
        elif (_uid(ack.object_id), ack.marker) not in reasons:
            findings.lost.append(ack.marker)
    half = findings.half_written
    half += [f"note {n} has no note:create event" for n in notes if n not in note_events]
    half += [f"note:create event for missing note {n}" for n in note_events - notes.keys()]
    half += [f"revision {r} has no audit event" for r in revisions if r not in revision_events]
    half += [f"revision event for missing {r}" for r in revision_events - revisions.keys()]
    half += [
        f"position {p} (reason {r!r}) matches none of its revisions"
        for p, r in positions.items()
        if (p, r) not in reasons
    ]
    return findings


def parley_verify(url: str) -> subprocess.CompletedProcess[str]:
    """``parley verify --db URL``, as an operator would run it."""
    script = Path(sys.executable).with_name("parley")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "parley.cli"]
    return subprocess.run(
        [*command, "verify", "--db", url], capture_output=True, text=True, timeout=300, cwd=ROOT
    )


# ---------------------------------------------------------------- cycles


@dataclass
class Figures:
    backend: str
    mode: str
    cycles: int = 0
    acknowledged: int = 0
    acknowledged_notes: int = 0
    acknowledged_positions: int = 0
    unanswered: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    lost: int = 0
    half_written: int = 0
    verify_ok: bool = True
    parley_verify_exit: int | None = None
    integrity: str = "ok"
    bytes_dropped_by_power_cuts: int = 0
    read_back: int = 0  # acknowledged notes fetched through the API after a restart
    read_back_missing: int = 0
    server_errors: int = 0  # 5xx answers (not acknowledged, so not counted as lost)
    duplicate_positions: int = 0  # one party, one provision, two position rows
    first_loss_cycle: int | None = None
    examples: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def run_cycles(
    database: Database,
    workdir: Path,
    *,
    cycles: int,
    seed: int = 8,
    shim: Path | None = None,
    unsafe_synchronous: str | None = None,
    kill_window: tuple[float, float] = (0.2, 1.2),
    readback: int = 20,
    log: Any = None,
) -> Figures:
    """Run ``cycles`` write-and-SIGKILL cycles; with ``shim`` each kill is also a power cut."""
    started = time.monotonic()
    rng = random.Random(seed)
    mode = "kill -9" + (" + power cut" if shim else "")
    if unsafe_synchronous:
        mode += f" (UNSAFE synchronous={unsafe_synchronous})"
    figures = Figures(database.backend, mode)
    ledger = Ledger()
    env: dict[str, str] = {}
    if shim is not None:
        assert database.path is not None, "power cuts are simulated on SQLite only"
        env |= {"LD_PRELOAD": str(shim), "PARLEY_POWERLOSS_DIR": str(database.path.parent)}
    if unsafe_synchronous:
        marker = workdir / "unsafe-active"
        path = os.pathsep.join(p for p in (str(UNSAFE_SITE), os.environ.get("PYTHONPATH")) if p)
        env |= {
            "PYTHONPATH": path,
            "PARLEY_UNSAFE_SYNCHRONOUS": unsafe_synchronous,
            "PARLEY_UNSAFE_MARKER": str(marker),
        }
    log_path = workdir / "server.log"
    for cycle in range(1, cycles + 1):
        server = Server(database.url, log_path, env=env)
        base_url = server.start()
        # The restarted server serves what it acknowledged before the last kill.
        figures.read_back += _read_back(base_url, database, ledger.acks, rng, readback, figures)
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=writer,
                args=(base_url, database, user, cycle, rng.randrange(1 << 30), stop, ledger),
                daemon=True,
            )
            for user in database.writers
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while ledger.in_cycle(cycle) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)  # kill only once writes flow, at a random moment after that
        time.sleep(rng.uniform(*kill_window))
        server.kill()
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        if shim is not None and database.path is not None:
            figures.bytes_dropped_by_power_cuts += sum(simulate_power_loss(database.path).values())
        findings = check(database, ledger.acks)
        if database.path is not None and shim is not None:
            mark_durable(database.path)  # the check itself opened (and checkpointed) the files
        if log is not None:
            log(
                f"[{database.backend}] cycle {cycle}/{cycles}: {ledger.in_cycle(cycle)} acked, "
                f"{len(findings.lost)} lost, {len(findings.half_written)} half-written"
            )
        if not findings.ok and figures.first_loss_cycle is None:
            figures.first_loss_cycle = cycle
        figures.cycles = cycle
        figures.lost = len(findings.lost)
        figures.half_written = len(findings.half_written)
        figures.verify_ok = not findings.verify_breaks
        figures.integrity = findings.integrity
        figures.duplicate_positions = findings.duplicate_positions
        figures.examples = (findings.lost + findings.half_written + findings.verify_breaks)[:5]

    verified = parley_verify(database.url)
    figures.parley_verify_exit = verified.returncode
    if verified.returncode != 0:
        figures.examples.append("parley verify: " + (verified.stdout + verified.stderr)[-600:])
    figures.acknowledged = len(ledger.acks)
    figures.acknowledged_notes = sum(1 for a in ledger.acks if a.kind == "note")
    figures.acknowledged_positions = figures.acknowledged - figures.acknowledged_notes
    figures.unanswered = ledger.unanswered
    figures.refused = dict(ledger.refused.most_common(10))
    figures.server_errors = sum(n for k, n in ledger.refused.items() if k.startswith("5"))
    figures.seconds = round(time.monotonic() - started, 1)
    return figures


def _read_back(
    base_url: str,
    database: Database,
    acks: list[Ack],
    rng: random.Random,
    count: int,
    figures: Figures,
) -> int:
    """Fetch a sample of acknowledged notes through the API, as their authors."""
    notes = [a for a in acks if a.kind == "note"]
    for ack in rng.sample(notes, min(count, len(notes))):
        answer = httpx.get(
            f"{base_url}{API}/notes/{ack.object_id}",
            headers={"Authorization": f"Bearer {database.tokens[ack.user]}"},
            timeout=30,
        )
        if answer.status_code != 200 or answer.json().get("title") != ack.marker:
            figures.read_back_missing += 1
            if len(figures.examples) < 10:
                figures.examples.append(f"read back {ack.marker}: HTTP {answer.status_code}")
    return min(count, len(notes))


def main() -> None:  # pragma: no cover - run by hand and by `make reliability`
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--no-power-cut", action="store_true", help="SQLite: kill -9 only")
    parser.add_argument("--unsafe", choices=["OFF", "NORMAL"], help="the deliberately unsafe run")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    with tempfile.TemporaryDirectory(prefix="parley-durability-") as tmp:
        for backend in backends:
            work = Path(tmp) / backend
            database = prepare_database(backend, work)
            try:
                shim = None
                if backend == "sqlite" and not args.no_power_cut:
                    shim = build_shim(Path(tmp))
                figures = run_cycles(
                    database,
                    work,
                    cycles=args.cycles,
                    seed=args.seed,
                    shim=shim,
                    unsafe_synchronous=args.unsafe if backend == "sqlite" else None,
                    log=lambda line: print(line, file=sys.stderr),
                )
            finally:
                database.drop()
            results.append(figures.as_json())
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
