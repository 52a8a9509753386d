"""``parley text ...``: import, diff, match, compare, freeze, keys, sign, export, verify, check.

Run by the operator on the server (the command line sees every space); every write is one
transaction and is audited as ``cli:text``. Results are JSON on standard output, or a file with
``-o``; bad input is an ``error:`` line naming the field or line on standard error, exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from parley.cli import DbOption, ProcessOption, open_engine, resolve_process_key

text_app = typer.Typer(
    help="Negotiating texts: import, redline, match, compare, freeze, sign, export.",
    no_args_is_help=True,
)

DocArg = Annotated[str, typer.Argument(metavar="DOC", help="The document's key.")]
OutOption = Annotated[
    Path | None, typer.Option("-o", "--output", help="Write to this file instead of stdout.")
]


def _fail(*messages: str) -> NoReturn:
    for message in messages:
        typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)


def _engine(db: str | None) -> Any:
    """The database, with every model loaded first.

    A command runs in a fresh process: the text models refer to ``users`` and other tables of
    other packages by foreign key, and SQLAlchemy resolves those only when the models that own
    them are imported (``parley text import --parent`` and ``parley text sign`` once failed
    with ``NoReferencedTableError``).
    """
    import parley.db.registry  # noqa: F401  (imported for its side effect: every model)

    return open_engine(db)


def _actor(name: str) -> Any:
    from parley.authz import Actor

    return Actor.system(f"cli:text-{name}")


def _process(session: Any, engine: Any, key: str | None) -> Any:
    import sqlalchemy as sa

    from parley.processes.models import Process

    process_key = resolve_process_key(engine, key)
    return session.scalars(sa.select(Process).where(Process.key == process_key)).one()


def _doc_version(
    session: Any, actor: Any, process: Any, doc_key: str, label: str
) -> tuple[Any, Any]:
    from parley.texts import queries as q

    try:
        doc = q.document(session, actor, process.id, doc_key)
    except LookupError:
        _fail(f"document: no document {doc_key!r} in {process.key}")
    try:
        return doc, q.version(session, actor, doc, label)
    except LookupError:
        _fail(f"version: {doc_key} has no version {label!r}")


def _emit(body: bytes | str, output: Path | None) -> None:
    data = body.encode("utf-8") if isinstance(body, str) else body
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc}")
    typer.echo(json.dumps({"written": str(output), "bytes": len(data)}))


def _errors(exc: Exception) -> list[str]:
    return list(getattr(exc, "errors", None) or [str(exc)])


@text_app.command("import")
def import_text(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A numbered text (Markdown or plain).")
    ],
    document: Annotated[
        str, typer.Option("--document", help="The document's key (created if new).")
    ],
    version: Annotated[str, typer.Option("--version", help="The new version's label.")],
    process: ProcessOption = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="party_draft, mediator_text, compromise, agreed or signed.",
        ),
    ] = "party_draft",
    author: Annotated[
        str | None, typer.Option("--author", help="The authoring party's key.")
    ] = None,
    space: Annotated[
        str | None,
        typer.Option("--space", help="The version's space (default: the document's)."),
    ] = None,
    parent: Annotated[
        str | None,
        typer.Option("--parent", help="Parent version label (default: the newest version)."),
    ] = None,
    document_kind: Annotated[
        str, typer.Option("--document-kind", help="Kind of a new document (default plan).")
    ] = "plan",
    language: Annotated[
        str | None,
        typer.Option(
            "--language",
            help="Import FILE as the text in this language (uk, ru, ...) of the existing "
            "version --version, aligned to its provisions (not as a new version).",
        ),
    ] = None,
    pair: Annotated[
        list[str] | None,
        typer.Option(
            "--pair",
            metavar="NUMBER=ID",
            help="With --language: pair the text's point NUMBER with the provision ID "
            "(NUMBER= for none); repeatable.",
        ),
    ] = None,
    accept_uncertain: Annotated[
        bool,
        typer.Option(
            "--accept-uncertain",
            help="With --language: store the suggested pairings although some are uncertain.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import a numbered text as a new version; ids are kept from the parent where they match.

    With --language the text is instead another language of an existing version: it is paired
    with the version's provisions, and nothing is stored while a pairing is uncertain (exit 1,
    the pairings printed) until --pair settles it or --accept-uncertain accepts them.
    """
    from parley.db.engine import write_session
    from parley.errors import InputError
    from parley.texts.service import import_version

    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{file}: cannot read: {exc}")
    if (pair or accept_uncertain) and not language:
        _fail("--pair, --accept-uncertain: only with --language")
    engine = _engine(db)
    if language:
        _import_language(
            engine, file, text, document, version, language, pair or [], accept_uncertain, process
        )
        return
    try:
        with write_session(engine) as session:
            result = import_version(
                session,
                actor=_actor("import"),
                process=_process(session, engine, process),
                document=document,
                label=version,
                text=text,
                kind=kind,
                author=author,
                space=space,
                parent=parent,
                document_kind=document_kind,
            )
            summary = result.summary()
    except InputError as exc:  # TextError, or a hidden character (parley.textguard)
        _fail(*(f"{file}: {e}" for e in _errors(exc)))
    for warning in summary["warnings"]:
        typer.echo(f"warning: {file}: {warning}", err=True)
    typer.echo(json.dumps(summary))


def _import_language(
    engine: Any,
    file: Path,
    text: str,
    document: str,
    version: str,
    language: str,
    pair: list[str],
    accept_uncertain: bool,
    process: str | None,
) -> None:
    from parley.db.engine import write_session
    from parley.texts.service import TextError
    from parley.texts.service_languages import import_language

    pairs: dict[str, str] = {}
    for item in pair:
        number, sep, wid = item.partition("=")
        if not sep or not number.strip():
            _fail(f"--pair: {item!r} is not NUMBER=ID")
        pairs[number.strip()] = wid.strip()
    actor = _actor("import")
    try:
        with write_session(engine) as session:
            proc = _process(session, engine, process)
            doc, v = _doc_version(session, actor, proc, document, version)
            result = import_language(
                session,
                actor=actor,
                doc=doc,
                version=v,
                text=text,
                language=language,
                pairs=pairs or None,
                accept_uncertain=accept_uncertain,
            )
            summary = result.summary()
    except TextError as exc:
        _fail(*(f"{file}: {e}" for e in _errors(exc)))
    for warning in summary["warnings"]:
        typer.echo(f"warning: {file}: {warning}", err=True)
    typer.echo(json.dumps(summary, ensure_ascii=False))
    if not summary["stored"]:
        for p in summary["uncertain"]:
            where = f"provision {p['wid']} ({p['lead_number']})" if p["wid"] else "no provision"
            typer.echo(f"check: point {p['number']} ({language}) = {where}", err=True)
        typer.echo(
            "not stored: settle the pairings with --pair NUMBER=ID, or --accept-uncertain",
            err=True,
        )
        raise typer.Exit(1)


@text_app.command("languages")
def languages(
    doc: DocArg,
    authentic: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[LANGUAGE ...]",
            help="The authentic languages, the lead one first (en uk ru); none: just show.",
        ),
    ] = None,
    translations: Annotated[
        str | None,
        typer.Option("--translations", help="Working translations, comma-separated (fr,de)."),
    ] = None,
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Show or declare a document's authentic languages and working translations."""
    from parley.db.engine import write_session
    from parley.texts import queries as q
    from parley.texts.service import TextError
    from parley.texts.service_languages import set_languages

    engine = _engine(db)
    actor = _actor("languages")
    try:
        with write_session(engine) as session:
            proc = _process(session, engine, process)
            try:
                document = q.document(session, actor, proc.id, doc)
            except LookupError:
                _fail(f"document: no document {doc!r} in {proc.key}")
            if authentic or translations is not None:
                set_languages(
                    session,
                    actor=actor,
                    doc=document,
                    authentic=authentic or q.authentic_languages(document),
                    translations=translations or "",
                )
            out = {
                "document": doc,
                "languages": q.authentic_languages(document),
                "translations": q.working_translations(document),
            }
    except TextError as exc:
        _fail(*_errors(exc))
    typer.echo(json.dumps(out))


@text_app.command("diff")
def diff(
    doc: DocArg,
    old: Annotated[str, typer.Argument(metavar="V1", help="The older version's label.")],
    new: Annotated[str, typer.Argument(metavar="V2", help="The newer version's label.")],
    fmt: Annotated[str, typer.Option("--format", help="html, md or json.")] = "json",
    process: ProcessOption = None,
    output: OutOption = None,
    db: DbOption = None,
) -> None:
    """A word-level redline from V1 to V2 (moved provisions marked as moved)."""
    from parley.db.engine import read_session
    from parley.texts.exporting import DIFF_FORMATS, diff_download, redline_of

    if fmt not in DIFF_FORMATS:
        _fail(f"--format: one of {', '.join(DIFF_FORMATS)}")
    engine = _engine(db)
    actor = _actor("diff")
    with read_session(engine) as session:
        proc = _process(session, engine, process)
        document, v1 = _doc_version(session, actor, proc, doc, old)
        _, v2 = _doc_version(session, actor, proc, doc, new)
        download = diff_download(redline_of(session, actor, document, v1, v2), fmt, document)
    _emit(download.body, output)


@text_app.command("match")
def match(
    doc: DocArg,
    old: Annotated[str, typer.Argument(metavar="V1", help="The older version's label.")],
    new: Annotated[str, typer.Argument(metavar="V2", help="The newer version's label.")],
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Suggested provision matches from V1 to V2, with scores (JSON)."""
    from parley.db.engine import read_session
    from parley.texts.exporting import match_of

    engine = _engine(db)
    actor = _actor("match")
    with read_session(engine) as session:
        proc = _process(session, engine, process)
        document, v1 = _doc_version(session, actor, proc, doc, old)
        _, v2 = _doc_version(session, actor, proc, doc, new)
        result = match_of(session, document, v1, v2)
    typer.echo(
        json.dumps(
            {
                "threshold": result.threshold,
                "suggestions": [
                    {
                        "kind": s.kind,
                        "old": list(s.old_wids),
                        "new": list(s.new_wids),
                        "score": round(s.score, 4),
                        "renumbered": s.renumbered,
                    }
                    for s in result.suggestions
                ],
            }
        )
    )


@text_app.command("compare")
def compare_versions(
    doc: DocArg,
    labels: Annotated[
        list[str], typer.Argument(metavar="VERSION...", help="Versions, in column order.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="html or docx.")] = "html",
    process: ProcessOption = None,
    output: OutOption = None,
    db: DbOption = None,
) -> None:
    """The N-column comparison of versions (compromise column last), as HTML or DOCX."""
    from parley.db.engine import read_session
    from parley.texts.exporting import comparison_download, comparison_of

    if fmt not in ("html", "docx"):
        _fail("--format: html or docx")
    engine = _engine(db)
    actor = _actor("compare")
    with read_session(engine) as session:
        proc = _process(session, engine, process)
        chosen = [_doc_version(session, actor, proc, doc, label) for label in labels]
        document = chosen[0][0]
        result = comparison_of(session, actor, document, [v for _, v in chosen])
        download = comparison_download(result, fmt, document)
    if fmt == "docx" and output is None:
        _fail("-o: a DOCX comparison is written to a file")
    _emit(download.body, output)


@text_app.command("freeze")
def freeze(
    doc: DocArg,
    label: Annotated[str, typer.Argument(metavar="VERSION", help="The version's label.")],
    override: Annotated[
        str | None,
        typer.Option(
            "--override",
            metavar="REASON",
            help="Freeze although a language is pending or the cross-language check has "
            "findings; the reason is audited and kept on the version.",
        ),
    ] = None,
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Freeze a version: set its content hash (over every authentic language); it can never
    change afterwards. Refused while its languages are not in step, unless --override."""
    from parley.authz.rules import NotInState
    from parley.db.engine import write_session
    from parley.texts.service import TextError, freeze_version

    engine = _engine(db)
    actor = _actor("freeze")
    try:
        with write_session(engine) as session:
            proc = _process(session, engine, process)
            document, version = _doc_version(session, actor, proc, doc, label)
            digest = freeze_version(
                session, actor=actor, doc=document, version=version, override=override
            )
    except (TextError, NotInState) as exc:
        _fail(*_errors(exc))
    typer.echo(json.dumps({"document": doc, "version": label, "content_hash": digest}))


def _passphrase(confirm: bool) -> str:
    value: str = typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm)
    return value


@text_app.command("keygen")
def keygen(
    party: Annotated[str, typer.Option("--party", help="The delegation's party key.")],
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Create a delegation's Ed25519 signing key, encrypted with a passphrase (prompted)."""
    from parley.db.engine import write_session
    from parley.texts.service import TextError, generate_signing_key

    engine = _engine(db)
    passphrase = _passphrase(confirm=True)
    try:
        with write_session(engine) as session:
            key = generate_signing_key(
                session,
                actor=_actor("keygen"),
                process=_process(session, engine, process),
                passphrase=passphrase,
                party=party,
            )
            out = {"party": party, "key_id": str(key.id), "public_key": key.public_key}
    except TextError as exc:
        _fail(*_errors(exc))
    typer.echo(json.dumps(out))


@text_app.command("sign")
def sign(
    doc: DocArg,
    label: Annotated[str, typer.Argument(metavar="VERSION", help="The frozen version's label.")],
    party: Annotated[str, typer.Option("--party", help="The signing party's key.")],
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Sign a frozen version for a party with its key (the passphrase is prompted)."""
    from parley.authz.rules import NotInState
    from parley.db.engine import write_session
    from parley.texts.service import TextError, sign_version

    engine = _engine(db)
    actor = _actor("sign")
    passphrase = _passphrase(confirm=False)
    try:
        with write_session(engine) as session:
            proc = _process(session, engine, process)
            document, version = _doc_version(session, actor, proc, doc, label)
            signature = sign_version(
                session,
                actor=actor,
                doc=document,
                version=version,
                passphrase=passphrase,
                party=party,
            )
            out = {
                "document": doc,
                "version": label,
                "party": party,
                "content_hash": signature.content_hash,
                "signature": signature.signature,
            }
    except (TextError, NotInState) as exc:
        _fail(*_errors(exc))
    typer.echo(json.dumps(out))


@text_app.command("export")
def export(
    doc: DocArg,
    label: Annotated[str, typer.Argument(metavar="VERSION", help="The version's label.")],
    fmt: Annotated[str, typer.Option("--format", help="md, docx or akn.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The file to write.")],
    against: Annotated[
        str | None,
        typer.Option("--against", help="DOCX only: show tracked changes from this version."),
    ] = None,
    language: Annotated[
        str | None,
        typer.Option("--language", help="The version's text in this language (default: lead)."),
    ] = None,
    process: ProcessOption = None,
    db: DbOption = None,
) -> None:
    """Export a version as Markdown, DOCX (tracked changes with --against) or Akoma Ntoso,
    in one of its languages."""
    from parley.db.engine import read_session
    from parley.texts.exporting import FORMATS, version_download

    if fmt not in FORMATS:
        _fail(f"--format: one of {', '.join(FORMATS)}")
    if against and fmt != "docx":
        _fail("--against: only with --format docx")
    engine = _engine(db)
    actor = _actor("export")
    with read_session(engine) as session:
        proc = _process(session, engine, process)
        document, version = _doc_version(session, actor, proc, doc, label)
        base = _doc_version(session, actor, proc, doc, against)[1] if against else None
        try:
            download = version_download(session, actor, document, version, fmt, base, language)
        except ValueError as exc:
            _fail(str(exc))
    _emit(download.body, output)


@text_app.command("verify-signatures")
def verify_signatures(
    bundle: Annotated[Path, typer.Argument(metavar="BUNDLE", help="An exported bundle (JSON).")],
) -> None:
    """Check every signature in an exported bundle offline, using only the bundle."""
    from parley.texts.signing import SigningError, verify_bundle

    try:
        data = json.loads(bundle.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{bundle}: cannot read: {exc}")
    except json.JSONDecodeError as exc:
        _fail(f"{bundle}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    try:
        result = verify_bundle(data)
    except (SigningError, KeyError, TypeError, AttributeError) as exc:
        _fail(f"{bundle}: not a bundle with signatures: {exc}")
    typer.echo(json.dumps(result.as_dict()))
    for problem in result.problems:
        typer.echo(f"error: {problem}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@text_app.command("crosscheck")
def crosscheck_files(
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE FILE [FILE ...]",
            help="Language versions in the numbered text format, each with 'language:' in its "
            "front matter; the first one leads the alignment.",
        ),
    ],
    glossary: Annotated[
        Path | None,
        typer.Option(
            "--glossary",
            help="A YAML glossary (term -> language -> forms), added to the default one.",
        ),
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="json or text.")] = "json",
) -> None:
    """Compare language versions of one text, no database: exit 0 clean, 1 findings, 2 bad input."""
    from parley.texts.crosscheck import (
        LanguageText,
        crosscheck,
        crosscheck_to_dict,
        crosscheck_to_text,
    )
    from parley.texts.glossary import GlossaryError, default_glossary, load_glossary
    from parley.texts.numbered import NumberedTextError, parse_numbered

    if fmt not in ("json", "text"):
        _fail("--format: json or text")
    if len(files) < 2:
        _fail("FILE: give at least two language versions")
    terms = default_glossary()
    if glossary is not None:
        try:
            terms = terms.merged(
                load_glossary(glossary.read_text(encoding="utf-8"), source=str(glossary))
            )
        except (OSError, UnicodeDecodeError) as exc:
            _fail(f"{glossary}: cannot read: {exc}")
        except GlossaryError as exc:
            _fail(*exc.errors)
    texts: list[LanguageText] = []
    problems: list[str] = []
    first_of: dict[str, Path] = {}
    for file in files:
        try:
            parsed = parse_numbered(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            problems.append(f"{file}: cannot read: {exc}")
            continue
        except NumberedTextError as exc:
            problems.extend(f"{file}: {e}" for e in exc.errors)
            continue
        language = parsed.language
        if language is None:
            problems.append(f"{file}: no language: add 'language: xx' to the front matter")
            continue
        if language in first_of:
            problems.append(f"{file}: language {language} again (already {first_of[language]})")
            continue
        first_of[language] = file
        texts.append(LanguageText(language, parsed.provisions, parsed.title))
    if problems:
        _fail(*problems)
    result = crosscheck(texts, glossary=terms)
    if fmt == "json":
        typer.echo(json.dumps(crosscheck_to_dict(result), ensure_ascii=False))
    else:
        typer.echo(crosscheck_to_text(result), nl=False)
    if result.findings:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``parley text ...`` to ``app``."""
    app.add_typer(text_app, name="text")
