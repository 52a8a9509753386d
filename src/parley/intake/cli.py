"""`parley intake` and `parley intake-eval`.

    parley intake FILE_OR_URL... [--published YYYY-MM-DD] [--format json] [--workers N]
                                 [--dask SCHEDULER_ADDRESS] [--gazetteer FILE] [--feed-state FILE]
                                 [--process KEY [--space SPACE] [--db URL]]
    parley intake-eval tests/intake/gold [--format json]

With `--format json`, `intake` prints one JSON object per source, one per line. With `--process`,
each new source and its proposals are stored in that process's review queue (see
parley.intake.service), and each object gains a `review` member saying what was stored.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from parley.intake.evaluate import evaluate_dir
from parley.intake.gazetteer import Gazetteer, default_gazetteer
from parley.intake.records import Extraction
from parley.intake.runner import run_intake
from parley.intake.sources import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TIMEOUT,
    SourceError,
    deduplicate,
    load_sources,
)

PROGRESS_FROM = 4  # sources; fewer finish before a bar would be useful


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def load_gazetteer(path: Path | None) -> Gazetteer:
    """A gazetteer from a JSON or YAML file (parties/people/documents/places), or the default."""
    if path is None:
        return default_gazetteer()
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise _fail(f"--gazetteer: cannot read {path} ({exc.strerror})") from exc
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data: Any = yaml.safe_load(raw)
        else:
            data = json.loads(raw)
    except Exception as exc:  # noqa: BLE001 - any parse error is reported the same way
        raise _fail(f"--gazetteer: {path} is not valid JSON/YAML ({exc})") from exc
    if isinstance(data, dict) and isinstance(data.get("gazetteer"), dict):
        data = data["gazetteer"]
    if not isinstance(data, dict):
        raise _fail(f"--gazetteer: {path} must hold a mapping with parties/people/documents/places")
    try:
        return Gazetteer.from_dict(data)
    except ValueError as exc:
        raise _fail(f"--gazetteer: {path}: {exc}") from exc


def _summary(console: Console, result: Extraction) -> None:
    src = result.source
    head = f"[bold]{src.title or src.url or '(untitled)'}[/bold]"
    head += f"  published {src.published.isoformat() if src.published else 'unknown'}"
    console.rule(head)
    if result.people:
        table = Table(
            "person", "title", "party", "mentions", "new?", title="People", title_justify="left"
        )
        for p in result.people:
            table.add_row(
                p.name, p.title or "", p.party or "", str(len(p.mentions)), "" if p.known else "new"
            )
        console.print(table)
    if result.meetings:
        table = Table(
            "date",
            "as written",
            "place",
            "format",
            "participants",
            title="Meetings",
            title_justify="left",
        )
        for m in result.meetings:
            table.add_row(
                m.date.isoformat() if m.date else "?",
                m.date_text,
                m.place or "",
                m.format or "",
                ", ".join(m.participants),
            )
        console.print(table)
    if result.quotes:
        table = Table("speaker", "verb", "quote", title="Quotations", title_justify="left")
        for q in result.quotes:
            text = q.text if len(q.text) <= 90 else q.text[:87] + "..."
            table.add_row(", ".join(q.speakers) or "(unnamed)", q.verb or "", text)
        console.print(table)
    if result.commitments:
        table = Table(
            "donor", "recipient", "amount", "period", title="Commitments", title_justify="left"
        )
        for c in result.commitments:
            amount = f"{c.amount:,} {c.currency}"
            if c.alt_amount:
                amount += f" ({c.alt_amount:,} {c.alt_currency})"
            table.add_row(c.donor or "?", c.recipient or "", amount, c.period or "")
        console.print(table)
    if result.documents:
        console.print("[bold]Documents:[/bold] " + "; ".join(d.name for d in result.documents))
    for d in result.demands:
        console.print(
            f"[bold]{d.kind.replace('_', ' ').capitalize()}[/bold] ({d.party or '?'}): {d.text}"
        )
    for w in result.warnings:
        console.print(f"[yellow]warning[/yellow] {w.kind}: {w.text!r} -- {w.detail}")


def intake(
    targets: list[str] = typer.Argument(
        ..., metavar="FILE_OR_URL...", help="Files, folders, URLs or feeds."
    ),
    published: str | None = typer.Option(
        None, "--published", help="Publication date YYYY-MM-DD for all."
    ),
    output: str = typer.Option(
        "text", "--format", help="text (a summary) or json (one object per source)."
    ),
    workers: int = typer.Option(1, "--workers", min=1, help="Extraction processes."),
    dask: str | None = typer.Option(
        None, "--dask", metavar="SCHEDULER_ADDRESS", help="Run on a Dask cluster."
    ),
    gazetteer: Path | None = typer.Option(
        None, "--gazetteer", help="JSON/YAML gazetteer (default: Miami)."
    ),
    feed_state: Path | None = typer.Option(
        None, "--feed-state", help="File remembering feed items read."
    ),
    timeout: float = typer.Option(DEFAULT_TIMEOUT, "--timeout", help="Seconds to wait for a URL."),
    max_bytes: int = typer.Option(
        DEFAULT_MAX_BYTES, "--max-bytes", help="Largest page or feed accepted."
    ),
    process: str | None = typer.Option(
        None, "--process", metavar="KEY", help="Store sources and proposals in this process."
    ),
    space: str | None = typer.Option(
        None, "--space", help="Space to store in (with --process; default: public)."
    ),
    db: str | None = typer.Option(
        None, "--db", help="Database URL (default: PARLEY_DATABASE_URL or var/parley.db)."
    ),
) -> None:
    """Propose evidence-linked records from news reports (and with --process, queue them)."""
    if output not in ("text", "json"):
        raise _fail(f"--format: expected 'text' or 'json', got {output!r}")
    when: date | None = None
    if published is not None:
        try:
            when = date.fromisoformat(published)
        except ValueError as exc:
            raise _fail(f"--published: expected a date YYYY-MM-DD, got {published!r}") from exc
    if process is None and (space is not None or db is not None):
        raise _fail("--space and --db need --process KEY")
    gz = load_gazetteer(gazetteer) if process is None or gazetteer is not None else None
    try:
        sources = load_sources(
            targets, published=when, feed_state=feed_state, timeout=timeout, max_bytes=max_bytes
        )
    except SourceError as exc:
        raise _fail(str(exc)) from exc
    if process is not None:
        _store(sources, process, space, db, gz, output, workers, dask)
        return
    assert gz is not None
    kept, dropped = deduplicate(sources)
    for dup, original in dropped:
        typer.echo(f"note: {dup.origin} repeats {original}; stored once", err=True)
    if not kept:
        typer.echo("note: no new sources", err=True)
        return
    err = Console(stderr=True)
    try:
        if len(kept) >= PROGRESS_FROM:
            columns = (
                TextColumn("extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task("extract", total=len(kept))
                results = run_intake(
                    kept,
                    gazetteer=gz,
                    workers=workers,
                    dask=dask,
                    progress=lambda n: bar.advance(task, n),
                )
        else:
            results = run_intake(kept, gazetteer=gz, workers=workers, dask=dask)
    except OSError as exc:  # e.g. a Dask scheduler that cannot be reached
        raise _fail(f"--dask: cannot run on {dask!r} ({exc})") from exc
    if output == "json":
        for result in results:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    console = Console()
    for result in results:
        _summary(console, result)


def _store(
    sources: list[Any],
    key: str,
    space: str | None,
    db: str | None,
    gazetteer: Gazetteer | None,
    output: str,
    workers: int,
    dask: str | None,
) -> None:
    """`--process`: plan (read), extract (no transaction open), store (one transaction)."""
    from parley.authz import Actor
    from parley.cli import open_engine, resolve_process_key
    from parley.db.engine import read_session, write_session
    from parley.intake.service import (
        IntakeError,
        extract_plan,
        plan_intake,
        process_named,
        store_intake,
    )

    engine = open_engine(db)
    key = resolve_process_key(engine, key)
    actor = Actor.system("cli:intake")
    try:
        with read_session(engine) as session:
            found = process_named(session, key)
            assert found is not None
            plan = plan_intake(
                session,
                actor=actor,
                process=found,
                sources=sources,
                space=space,
                gazetteer=gazetteer,
            )
    except IntakeError as exc:
        raise _fail(f"--{exc}") from exc
    for dup, stored_id, original in plan.duplicates:
        what = f"stored source {stored_id}" if stored_id else original
        typer.echo(f"note: {dup.origin} repeats {what} in {plan.space}; stored once", err=True)
    err = Console(stderr=True)
    try:
        if len(plan.kept) >= PROGRESS_FROM:
            columns = (
                TextColumn("extracting"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=err, transient=True) as bar:
                task = bar.add_task("extract", total=len(plan.kept))
                extractions = extract_plan(
                    plan, workers=workers, dask=dask, progress=lambda n: bar.advance(task, n)
                )
        else:
            extractions = extract_plan(plan, workers=workers, dask=dask)
    except OSError as exc:
        raise _fail(f"--dask: cannot run on {dask!r} ({exc})") from exc
    with write_session(engine) as session:
        found = process_named(session, key)
        assert found is not None
        outcomes = store_intake(
            session, actor=actor, process=found, plan=plan, extractions=extractions
        )
    console = Console()
    for outcome in outcomes:
        review = outcome.to_dict()
        if output == "json":
            body = (
                outcome.extraction.to_dict()
                if outcome.extraction
                else {"source": outcome.info.to_dict()}
            )
            typer.echo(json.dumps({**body, "review": review}, ensure_ascii=False))
            continue
        if outcome.extraction is not None:
            _summary(console, outcome.extraction)
        if outcome.status == "stored":
            kinds = ", ".join(f"{n} {k}" for k, n in sorted(outcome.kinds.items()))
            console.print(
                f"stored source {outcome.source_id} in {outcome.space}: "
                f"{outcome.proposals} proposals ({kinds or 'none'}) for review"
            )
        else:
            console.print(f"{outcome.origin}: already stored in {outcome.space}")


def intake_eval(
    directory: Path = typer.Argument(..., help="Folder of NAME.txt + NAME.json gold reports."),
    output: str = typer.Option("text", "--format", help="text (a table) or json."),
    gazetteer: Path | None = typer.Option(
        None, "--gazetteer", help="JSON/YAML gazetteer (default: Miami)."
    ),
) -> None:
    """Precision, recall and F1 per field against hand-annotated reports."""
    if output not in ("text", "json"):
        raise _fail(f"--format: expected 'text' or 'json', got {output!r}")
    if not directory.is_dir():
        raise _fail(f"DIRECTORY: {directory} is not a folder")
    gz = load_gazetteer(gazetteer)
    try:
        report = evaluate_dir(directory, gz)
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise _fail(f"{directory}: {exc}") from exc
    if output == "json":
        typer.echo(json.dumps(report.to_dict()))
        return
    table = Table(
        "field",
        "precision",
        "recall",
        "F1",
        "tp",
        "fp",
        "fn",
        title=f"Intake on {report.reports} reports",
    )
    labels = {
        "people_with_titles": "people with titles",
        "quotes": "quotations (found)",
        "meetings": "meetings (date + place)",
        "commitments": "commitments (donor + amount + currency)",
        "documents": "documents",
        "demands": "demands (party + sentence)",
        "parties": "parties",
        "statements": "statements (every signatory)",
        "statements_dated": "statements (signatories + date + place)",
        "commitments_full": "commitments (all fields)",
    }
    for name, score in report.scores.items():
        table.add_row(
            labels.get(name, name),
            f"{score.precision:.3f}",
            f"{score.recall:.3f}",
            f"{score.f1:.3f}",
            str(score.tp),
            str(score.fp),
            str(score.fn),
        )
    console = Console()
    console.print(table)
    console.print(f"quote speaker accuracy: {report.quote_speaker_accuracy:.3f}")


def register(app: typer.Typer) -> None:
    """Add `intake` and `intake-eval` to the parley command line."""
    app.command("intake")(intake)
    app.command("intake-eval")(intake_eval)
