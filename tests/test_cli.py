"""The command line end to end: the demo, show, verify, accounts; every command in a fresh
process, and what ``parley --help`` imports."""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from parley.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_demo_loads_the_miami_scenario_and_it_verifies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    scenario = ROOT / "examples" / "miami" / "scenario.yaml"
    result = runner.invoke(app, ["demo", "--no-serve", "--scenario", str(scenario)])
    assert result.exit_code == 0, result.output
    assert "ukraine" in result.output and "mediator" in result.output
    url = f"sqlite:///{tmp_path / 'var' / 'demo.db'}"
    assert runner.invoke(app, ["verify", "--db", url]).exit_code == 0
    shown = runner.invoke(app, ["show", "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "territory" in shown.output.lower()
    assert "plan20" in shown.output
    # Running the demo again starts from a clean database rather than failing.
    again = runner.invoke(app, ["demo", "--no-serve", "--scenario", str(scenario)])
    assert again.exit_code == 0, again.output


def test_accounts_and_memberships(small_url: str) -> None:
    result = runner.invoke(app, ["user", "add", "newbie", "--password", "short", "--db", small_url])
    assert result.exit_code == 2 and "at least" in result.output
    result = runner.invoke(
        app, ["user", "add", "newbie", "--password", "long-enough-pw", "--db", small_url]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        app,
        [
            "user",
            "join",
            "newbie",
            "--process",
            "small",
            "--party",
            "ZZZ",
            "--role",
            "member",
            "--db",
            small_url,
        ],
    )
    assert result.exit_code == 2 and "no party 'ZZZ'" in result.output
    result = runner.invoke(
        app,
        [
            "user",
            "join",
            "newbie",
            "--process",
            "small",
            "--party",
            "BBB",
            "--role",
            "member",
            "--db",
            small_url,
        ],
    )
    assert result.exit_code == 0, result.output
    token = runner.invoke(app, ["token", "create", "newbie", "--db", small_url])
    assert token.exit_code == 0 and token.output.startswith("pt_")
    assert runner.invoke(app, ["verify", "--db", small_url]).exit_code == 0


def test_commands_on_an_uninitialised_database_say_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", "--db", f"sqlite:///{tmp_path / 'new.db'}"])
    assert result.exit_code == 2
    assert "parley db upgrade" in result.output


# --- the lazy command group, in fresh processes -------------------------------------------
#
# In-process tests share one interpreter that has long imported every model and module; a user
# runs one command in a fresh one. These run the console script's code in new interpreters.

PARLEY = "import sys; from parley.cli import app; sys.argv[0] = 'parley'; app()"
SMALL = ROOT / "tests" / "scenario" / "small.yaml"
TEXTS = ROOT / "tests" / "texts" / "fixtures"
GOLD = ROOT / "tests" / "intake" / "gold"
# A one-step plan and a two-provision problem, both illustrative.
PLAN = {
    "origin": "signing",
    "steps": [{"id": "ceasefire", "duration": [0, 30]}],
    "events": ["signing"],
    "constraints": [{"id": "c1", "from": "signing", "to": "ceasefire.start", "min": 0, "max": 3}],
}
PROBLEM = {
    "parties": ["AAA", "BBB"],
    "disagreement": {"AAA": 0, "BBB": 0},
    "provisions": [
        {
            "id": "p1",
            "priority": {"AAA": 100, "BBB": 100},
            "options": [
                {"id": "a", "utility": {"AAA": 100, "BBB": 20}},
                {"id": "b", "utility": {"AAA": 40, "BBB": 80}},
            ],
        }
    ],
    "linkages": [],
}
# Never run for real here, with the reason; every other command is.
HELP_ONLY = {
    "serve": "serves until stopped (the web tests serve the app)",
    "db app-role": "PostgreSQL only (tests/db)",
    "user security-keys": "needs an enrolled key (tests/auth/test_security_keys.py)",
}


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT / "src"), os.environ.get("PYTHONPATH")) if p)
    return {
        **os.environ,
        "PYTHONPATH": path,
        "COLUMNS": "100",
        "PARLEY_DATABASE_URL": "",
        # One server key for every process: checkpoints one command signs, another verifies.
        "PARLEY_SECRET_KEY": "a-fixed-secret-key-for-the-fresh-process-tests",
    }


def fresh(*args: str, stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``parley ARGS`` in a new interpreter, as the console script runs it."""
    return subprocess.run(
        [sys.executable, "-c", PARLEY, *args],
        input=stdin,
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def modules_after(*args: str) -> set[str]:
    """Every module imported by ``parley ARGS`` in a new interpreter."""
    probe = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print('MODULES', json.dumps(sorted(sys.modules)), "
        "file=sys.stderr))\n" + PARLEY
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *args], env=_env(), capture_output=True, text=True
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("MODULES ")][-1]
    return set(json.loads(line.removeprefix("MODULES ")))


def all_commands() -> list[str]:
    """Every command path below ``parley`` (groups included), e.g. ``"text import"``."""
    import typer

    def walk(command: Any, path: str) -> Iterator[str]:
        if path:
            yield path
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    return sorted(walk(typer.main.get_command(app), ""))


def test_help_imports_the_command_group_and_nothing_else() -> None:
    """``parley --help`` lists every command without importing one (no database, no engine)."""
    loaded = modules_after("--help")
    assert "typer" in loaded  # the probe ran the command line
    from parley.cli import COMMAND_MODULES

    # The capability packages themselves (empty __init__s) are looked at, none of their modules.
    packages = {name.rsplit(".", 1)[0] for name in COMMAND_MODULES}
    ours = {m for m in loaded if m.startswith("parley")} - packages
    assert sorted(ours) == ["parley", "parley.cli"]
    heavy = {"sqlalchemy", "pydantic", "fastapi", "numpy", "scipy", "spacy", "ortools"}
    assert sorted(heavy & {m.split(".")[0] for m in loaded}) == []


def test_a_small_engine_command_imports_its_engine_only(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    loaded = modules_after("plan", "check", str(plan))
    assert "parley.sequencing.check" in loaded
    packages = {m.split(".")[1] for m in loaded if m.startswith("parley.")}
    assert packages == {"cli", "sequencing"}
    heavy = {"sqlalchemy", "fastapi", "scipy", "spacy", "ortools", "rich"}
    assert sorted(heavy & {m.split(".")[0] for m in loaded}) == []


def test_every_listed_help_line_is_the_command_s_own() -> None:
    """``--help`` lists lazy commands from parley.cli.CAPABILITIES / EXPORTS: each line must be
    what the command itself says, and every capability command must be listed there."""
    from parley.cli import CAPABILITIES, COMMAND_MODULES, EXPORTS, capability_tree

    for table, path in ((CAPABILITIES, ()), (EXPORTS, ("export",))):
        for name, entry in table.items():
            tree: Any = capability_tree(entry.module)
            for step in path:
                tree = tree.commands[step]
            assert tree.commands[name].help == entry.help, name
    for module in COMMAND_MODULES:
        tree = capability_tree(module)
        assert tree is not None
        top = {n for n in tree.commands if n != "export"}
        assert top <= {n for n, e in CAPABILITIES.items() if e.module == module}, module
        exports = set(tree.commands["export"].commands)
        assert exports <= {n for n, e in EXPORTS.items() if e.module == module}, module


def test_every_command_answers_help_in_a_fresh_process() -> None:
    commands = all_commands()
    assert len(commands) > 40
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = pool.map(lambda c: fresh(*c.split(), "--help"), commands)
        done = dict(zip(commands, results, strict=True))
    broken = {c: r.stderr[-500:] for c, r in done.items() if r.returncode != 0}
    assert not broken
    for command, result in done.items():
        assert f"Usage: parley {command}" in " ".join(result.stdout.split()), command


def test_every_command_runs_in_a_fresh_process(tmp_path: Path) -> None:
    """A real run of every command that works on a throwaway SQLite database, each in a new
    interpreter: a command that forgot to load a model fails here (e.g. a version with a parent
    refers to lineage -> users)."""
    db = ["--db", f"sqlite:///{tmp_path / 'cli.db'}"]
    copy = ["--db", f"sqlite:///{tmp_path / 'copy.db'}"]
    plan, problem = tmp_path / "plan.json", tmp_path / "problem.json"
    plan.write_text(json.dumps(PLAN), encoding="utf-8")
    problem.write_text(json.dumps(PROBLEM), encoding="utf-8")
    keys = "AAA passphrase!\nAAA passphrase!\n"
    ran: set[str] = set()

    def ok(*args: str, stdin: str | None = None, codes: tuple[int, ...] = (0,)) -> str:
        done = fresh(*args, stdin=stdin, cwd=tmp_path)
        assert done.returncode in codes, f"parley {' '.join(args)}:\n{done.stderr[-1500:]}"
        words = [a for a in args if not a.startswith("-")]
        ran.update(" ".join(words[:n]) for n in (1, 2))
        return done.stdout

    ok("scenario", "check", str(SMALL))
    ok("scenario", "schema")
    ok("scenario", "load", str(SMALL), *db)
    ok("db", "upgrade", *db)
    ok("db", "current", *db)
    ok("show", *db)
    us = str(TEXTS / "miami_us_draft.md")
    ok("text", "import", "--document", "plan20", "--version", "us", us, "--author", "MED", *db)
    ok("text", "import", "--document", "plan20", "--version", "counter", "--parent", "us",
       str(TEXTS / "miami_ua_eu_counter.md"), "--author", "AAA", *db)  # fmt: skip
    ok("text", "languages", "plan20", "en", "uk", *db)
    ok("text", "diff", "plan20", "us", "counter", *db)
    ok("text", "match", "plan20", "us", "counter", *db)
    ok("text", "compare", "plan20", "us", "counter", "-o", str(tmp_path / "cmp.html"), *db)
    ok("text", "freeze", "plan20", "counter", *db)
    ok("text", "keygen", "--party", "AAA", *db, stdin=keys)
    ok("text", "sign", "plan20", "counter", "--party", "AAA", *db, stdin=keys)
    ok("text", "export", "plan20", "counter", "--format", "md", "-o", str(tmp_path / "c.md"), *db)
    ok("user", "add", "newbie", "--password", "long-enough-pw", *db)
    ok("user", "passwd", "newbie", "--password", "another-long-pw", *db)
    ok("user", "join", "newbie", "--process", "small", "--party", "BBB", "--role", "member", *db)
    ok("user", "unlock", "newbie", *db)
    # newbie has no second factor: the reset says so, naming the field (exit 2).
    ok("user", "reset-second-factor", "newbie", *db, codes=(2,))
    texts = ROOT / "examples" / "miami" / "texts"
    # The Russian text carries the demo's deliberate divergence: exit 1 with findings.
    ok(
        "text",
        "crosscheck",
        *(str(texts / f"plan20-mediator-text.{lang}.md") for lang in ("en", "uk", "ru")),
        codes=(1,),
    )
    ok("token", "create", "newbie", *db)
    listed = ok("token", "list", "newbie", *db)
    token_id = next(w for w in listed.split() if w.count("-") == 4)
    ok("token", "revoke", token_id, *db)
    ok("statement", "export", "st1", str(tmp_path / "st1.json"), *db)
    ok("statement", "verify", str(tmp_path / "st1.json"), codes=(0, 1))
    ok("export", "ics", str(tmp_path / "small.ics"), *db)
    ok("export", "ledger", *db)
    ok("checkpoint", "create", *db)
    ok("checkpoint", "list", *db)
    checkpoints = tmp_path / "checkpoints.json"
    checkpoints.write_text(ok("checkpoint", "list", *db), encoding="utf-8")
    ok("checkpoint", "verify", str(checkpoints), *db)
    ok("verify", "--checkpoints", str(checkpoints), *db)
    ok("export", "bundle", str(tmp_path / "bundle.json"), *db)
    ok("text", "verify-signatures", str(tmp_path / "bundle.json"))
    ok("import", "bundle", str(tmp_path / "bundle.json"), *copy)
    ok("backup", str(tmp_path / "backup.db"), *db)
    ok("restore", str(tmp_path / "backup.db"), "--db", f"sqlite:///{tmp_path / 'restored.db'}")
    ok("verify", *copy)
    ok("plan", "check", str(plan))
    ok("plan", "what-if", str(plan), "ceasefire", "2")
    ok("optimize", str(problem), "--objective", "maxmin")
    ok("intake", str(GOLD / "01_miami_round.txt"), "--format", "json")
    ok("intake-eval", str(GOLD), "--format", "json")
    ok("demo", "--no-serve", "--scenario", str(SMALL))

    groups = {c.split()[0] for c in all_commands() if " " in c}
    missing = set(all_commands()) - ran - groups - set(HELP_ONLY)
    assert not missing, f"run these commands in this test (or say why not in HELP_ONLY): {missing}"
