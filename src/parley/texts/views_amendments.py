"""Amendment workflow and bracket editor pages, with their JSON twins (see views.py)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from parley.audit.chain import jsonable
from parley.authz import Actor, NotFound
from parley.processes.models import Process
from parley.texts import queries as q
from parley.texts import service as svc
from parley.texts import service_amendments as am
from parley.texts.languages import language_name
from parley.texts.models import Amendment, Document, Version
from parley.texts.view_support import (
    API,
    PAGE,
    api_write,
    back,
    bracket_json,
    doc_of,
    form_body,
    form_error,
    form_write,
    membership,
    version_json,
    version_of,
    write,
)
from parley.web.deps import Csrf, CurrentActor, Db, Form, SignedIn, process_by_key
from parley.web.flash import flash
from parley.web.routing import ParleyRouter
from parley.web.templating import render

router = ParleyRouter()


# ---------------------------------------------------------------- amendments


def _amendment_json(
    db: Session,
    doc: Document,
    a: Amendment,
    parties: dict[uuid.UUID, Any],
    versions: dict[uuid.UUID, Version],
    current: Version | None,
) -> dict[str, Any]:
    change = am.change_of(db, a)
    base = versions.get(a.base_version_id)
    flag: dict[str, Any] | None = None
    if current is not None and base is not None and str(a.status) in ("draft", "submitted"):
        applied = am.check_amendment(db, doc, a, current)
        flag = {
            "against": current.label,
            "applies": applied.ok,
            "conflicts": list(applied.conflicts),
            "merged": applied.merged,
        }
    result = versions.get(a.result_version_id) if a.result_version_id else None
    return {
        "key": a.key,
        "party": parties[a.party_id].key if a.party_id in parties else None,
        "kind": str(a.kind),
        "language": a.language or q.lead_language(doc),
        "status": str(a.status),
        "base": base.label if base else None,
        "provision": change.wid,
        "after": change.after_wid,
        "number": a.number,
        "heading": a.heading,
        "text": a.text,
        "parts": list(a.parts or []),
        "justification": a.justification,
        "space": a.space,
        "created_at": jsonable(a.created_at),
        "submitted_at": jsonable(a.submitted_at),
        "decided_at": jsonable(a.decided_at),
        "result_version": result.label if result else None,
        "check": flag,
    }


def _amendments(db: Session, actor: Actor, process: Process, doc: Document) -> dict[str, Any]:
    versions_list = q.versions(db, actor, doc)
    versions = {v.id: v for v in versions_list}
    parties = q.parties(db, process.id)
    current = q.current_text(db, actor, doc)
    items = [
        _amendment_json(db, doc, a, parties, versions, current)
        for a in q.amendments(db, actor, doc)
    ]
    # Provisions the actor can name: those of the versions it can see (never a hidden draft's).
    wids: dict[str, str] = {}
    for v in versions_list:
        for r in q.provision_rows(db, v):
            wids[r.wid] = r.number
    return {
        "current_text": current.label if current else None,
        "amendments": items,
        "versions": [v.label for v in versions_list],
        "provisions": [{"wid": w, "number": n} for w, n in wids.items()],
    }


@router.get(PAGE + "/{doc_key}/amendments", include_in_schema=False)
def amendments_page(
    request: Request, key: str, doc_key: str, db: Db, actor: CurrentActor
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    return render(
        request,
        "texts/amendments.html",
        process=process,
        doc=doc,
        data=_amendments(db, actor, process, doc),
        membership=membership(actor, process),
        kinds=["substitute", "insert", "delete", "move", "split", "merge"],
        # A document in several languages: an amendment says which language its text is in.
        languages=[
            (code, language_name(code))
            for code in (*q.authentic_languages(doc), *q.working_translations(doc))
        ],
    )


@router.get(API + "/{doc_key}/amendments", tags=["texts"])
def amendments_api(key: str, doc_key: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """Amendments the caller can see, each checked against the current text."""
    process, doc = doc_of(db, actor, key, doc_key)
    return _amendments(db, actor, process, doc)


class AmendmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    base: str
    kind: str
    provision: str | None = None
    after: str | None = None
    text: str = ""
    heading: str = ""
    number: str = ""
    parts: list[str] = []
    justification: str = ""
    language: str = ""  # the language of `text` (ISO 639-1); empty: the document's lead one


def _create_amendment(
    request: Request, actor: Actor, key: str, doc_key: str, body: AmendmentIn
) -> dict[str, str]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, str]:
        assert doc is not None
        try:
            base = q.version(session, actor, doc, body.base)
        except NotFound:
            raise svc.TextError(f"base: no version {body.base!r}") from None
        a = am.create_amendment(
            session,
            actor=actor,
            doc=doc,
            base=base,
            kind=body.kind,
            wid=body.provision or None,
            after=body.after or None,
            text=body.text,
            heading=body.heading,
            number=body.number,
            parts=body.parts,
            justification=body.justification,
            language=body.language,
        )
        return {"key": a.key, "status": str(a.status), "space": a.space}

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/amendments", tags=["texts"], dependencies=[Csrf], status_code=201)
def amendment_create_api(
    request: Request, key: str, doc_key: str, body: AmendmentIn, actor: SignedIn
) -> dict[str, str]:
    """Draft an amendment for the caller's delegation (private until submitted)."""
    return api_write(_create_amendment, request, actor, key, doc_key, body)


@router.post(PAGE + "/{doc_key}/amendments", include_in_schema=False, dependencies=[Csrf])
def amendment_create_form(
    request: Request, key: str, doc_key: str, actor: SignedIn, form: Form
) -> Response:
    body = form_body(AmendmentIn, form, parts=_parts(form))
    then = f"/p/{key}/texts/{doc_key}/amendments"
    return form_write(request, then, _create_amendment, request, actor, key, doc_key, body)


def _parts(form: FormData) -> list[str]:
    # A split's new texts are paragraphs; a merge names its provisions, by commas or spaces.
    parts = str(form.get("parts") or "")
    if form.get("kind") == "split":
        return [p.strip() for p in parts.replace("\r", "").split("\n\n") if p.strip()]
    return [p.strip() for p in parts.replace(",", " ").split() if p.strip()]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = "participants"  # submit: participants | mediator
    bracket: str | None = None  # bracket: an existing bracket's key


ACTIONS = ("submit", "withdraw", "reject", "bracket")


def _decide(
    request: Request,
    actor: Actor,
    key: str,
    doc_key: str,
    amendment_key: str,
    action: str,
    body: DecisionIn,
) -> dict[str, str]:
    if action not in ACTIONS:
        raise NotFound("action")

    def run(session: Session, process: Process, doc: Document | None) -> dict[str, str]:
        assert doc is not None
        a = q.amendment(session, actor, doc, amendment_key)
        if action == "submit":
            am.submit_amendment(session, actor=actor, amendment=a, to=body.to)
        elif action == "withdraw":
            am.withdraw_amendment(session, actor=actor, amendment=a)
        elif action == "reject":
            am.reject_amendment(session, actor=actor, amendment=a)
        else:
            bracket = None
            if body.bracket:
                found = q.brackets(
                    session, actor, q.versions(session, actor, doc), key=body.bracket
                )
                if not found:
                    raise svc.TextError(f"bracket: no bracket {body.bracket!r}")
                bracket = found[0].bracket
            am.bracket_amendment(session, actor=actor, doc=doc, amendment=a, bracket=bracket)
        return {"key": a.key, "status": str(a.status), "space": a.space}

    return write(request, actor, key, doc_key, run)


@router.post(
    API + "/{doc_key}/amendments/{amendment_key}/{action}", tags=["texts"], dependencies=[Csrf]
)
def amendment_action_api(
    request: Request,
    key: str,
    doc_key: str,
    amendment_key: str,
    action: str,
    body: DecisionIn,
    actor: SignedIn,
) -> dict[str, str]:
    """`submit` (to participants or the mediator), `withdraw`, or the mediator's `reject` and
    `bracket` (fold into a bracket of the current text as an option)."""
    return api_write(_decide, request, actor, key, doc_key, amendment_key, action, body)


@router.post(
    PAGE + "/{doc_key}/amendments/{amendment_key}/{action}",
    include_in_schema=False,
    dependencies=[Csrf],
)
def amendment_action_form(
    request: Request,
    key: str,
    doc_key: str,
    amendment_key: str,
    action: str,
    actor: SignedIn,
    form: Form,
) -> Response:
    body = form_body(DecisionIn, form)
    then = f"/p/{key}/texts/{doc_key}/amendments"
    return form_write(
        request, then, _decide, request, actor, key, doc_key, amendment_key, action, body
    )


class AcceptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amendments: list[str] = Field(min_length=1)
    label: str
    onto: str | None = None


def _accept(
    request: Request, actor: Actor, key: str, doc_key: str, body: AcceptIn
) -> dict[str, str]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, str]:
        assert doc is not None
        chosen = [q.amendment(session, actor, doc, k) for k in body.amendments]
        onto = q.version(session, actor, doc, body.onto) if body.onto else None
        v = am.accept_amendments(
            session, actor=actor, doc=doc, amendments=chosen, label=body.label, onto=onto
        )
        return {"version": v.label, "space": v.space}

    return write(request, actor, key, doc_key, run)


@router.post(API + "/{doc_key}/accept", tags=["texts"], dependencies=[Csrf], status_code=201)
def accept_api(
    request: Request, key: str, doc_key: str, body: AcceptIn, actor: SignedIn
) -> dict[str, str]:
    """The mediator accepts submitted amendments into a new mediator text (conflicts: 422)."""
    return api_write(_accept, request, actor, key, doc_key, body)


@router.post(PAGE + "/{doc_key}/accept", include_in_schema=False, dependencies=[Csrf])
def accept_form(request: Request, key: str, doc_key: str, actor: SignedIn, form: Form) -> Response:
    keys = [str(k) for k in form.getlist("amendment") if str(k)]
    try:
        body = AcceptIn(
            amendments=keys,
            label=str(form.get("label") or ""),
            onto=str(form.get("onto") or "") or None,
        )
    except ValueError:
        return render(
            request,
            "error.html",
            422,
            title="Not done",
            message="amendment: choose at least one; label: required",
        )
    return form_write(
        request,
        lambda result: f"/p/{key}/texts/{doc_key}/v/{result['version']}",
        _accept,
        request,
        actor,
        key,
        doc_key,
        body,
    )


# ---------------------------------------------------------------- brackets


def _bracket_page_data(
    db: Session, actor: Actor, process: Process, doc: Document, v: Version
) -> dict[str, Any]:
    return {
        "version": version_json(v, q.parties(db, process.id)),
        "brackets": [bracket_json(b) for b in q.brackets(db, actor, [v])],
        "provisions": [
            {"wid": r.wid, "number": r.number, "heading": r.heading}
            for r in q.provision_rows(db, v)
        ],
        "parties": sorted(p.key for p in q.parties(db, process.id).values()),
    }


@router.get(PAGE + "/{doc_key}/v/{label}/brackets", include_in_schema=False)
def brackets_page(
    request: Request, key: str, doc_key: str, label: str, db: Db, actor: CurrentActor
) -> Response:
    process, doc = doc_of(db, actor, key, doc_key)
    v = version_of(db, actor, doc, label)
    return render(
        request,
        "texts/brackets.html",
        process=process,
        doc=doc,
        data=_bracket_page_data(db, actor, process, doc, v),
        membership=membership(actor, process),
    )


@router.get(API + "/{doc_key}/v/{label}/brackets", tags=["texts"])
def brackets_api(key: str, doc_key: str, label: str, db: Db, actor: CurrentActor) -> dict[str, Any]:
    """The brackets of a version the caller can see, with options, proposers, supporters."""
    process, doc = doc_of(db, actor, key, doc_key)
    return _bracket_page_data(db, actor, process, doc, version_of(db, actor, doc, label))


class OptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str
    proposer: str | None = None


class BracketIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    provision: str
    label: str = ""
    options: list[OptionIn] = Field(min_length=1)


def _create_bracket(
    request: Request, actor: Actor, key: str, doc_key: str, label: str, body: BracketIn
) -> dict[str, str]:
    def run(session: Session, process: Process, doc: Document | None) -> dict[str, str]:
        assert doc is not None
        v = q.version(session, actor, doc, label)
        b = am.create_bracket(
            session,
            actor=actor,
            doc=doc,
            version=v,
            wid=body.provision,
            label=body.label,
            options=[(o.text, o.proposer or None) for o in body.options],
        )
        return {"key": b.key, "space": b.space}

    return write(request, actor, key, doc_key, run)


@router.post(
    API + "/{doc_key}/v/{label}/brackets", tags=["texts"], dependencies=[Csrf], status_code=201
)
def bracket_create_api(
    request: Request, key: str, doc_key: str, label: str, body: BracketIn, actor: SignedIn
) -> dict[str, str]:
    """The mediator brackets a provision of an unfrozen version, with options."""
    return api_write(_create_bracket, request, actor, key, doc_key, label, body)


def parse_option_lines(text: str, parties: set[str]) -> list[OptionIn]:
    """One option a line; ``AAA: text`` names the proposing party when AAA is a party key."""
    options = []
    for line in text.replace("\r", "").split("\n"):
        line = line.strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        if sep and head.strip() in parties and rest.strip():
            options.append(OptionIn(text=rest.strip(), proposer=head.strip()))
        else:
            options.append(OptionIn(text=line))
    return options


@router.post(PAGE + "/{doc_key}/v/{label}/brackets", include_in_schema=False, dependencies=[Csrf])
def bracket_create_form(
    request: Request,
    key: str,
    doc_key: str,
    label: str,
    db: Db,
    actor: SignedIn,
    form: Form,
) -> Response:
    process = process_by_key(db, actor, key)
    parties = {p.key for p in q.parties(db, process.id).values()}
    try:
        body = form_body(
            BracketIn,
            form,
            # The path's "label" is the version's, so the form names the bracket's otherwise.
            label=str(form.get("bracket_label") or ""),
            options=parse_option_lines(str(form.get("options") or ""), parties),
        )
        _create_bracket(request, actor, key, doc_key, label, body)
    except svc.TextError as exc:
        return form_error(request, exc)
    except ValueError:
        return render(
            request,
            "error.html",
            422,
            title="Not done",
            message="options: at least one option, one a line",
        )
    return back(f"/p/{key}/texts/{doc_key}/v/{label}/brackets")


class BracketActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    option: str | None = None  # support, resolve: the option's key
    text: str = ""  # option: the new option's text
    proposer: str | None = None
    party: str | None = None  # support
    stance: str | None = None  # support: supports | objects | "" (clear)


BRACKET_ACTIONS = ("option", "support", "resolve", "reopen")


def _bracket_action(
    request: Request,
    actor: Actor,
    key: str,
    doc_key: str,
    bracket_key: str,
    action: str,
    body: BracketActionIn,
) -> dict[str, Any]:
    if action not in BRACKET_ACTIONS:
        raise NotFound("action")

    def run(session: Session, process: Process, doc: Document | None) -> dict[str, Any]:
        assert doc is not None
        found = q.brackets(session, actor, q.versions(session, actor, doc), key=bracket_key)
        if not found:
            raise NotFound("bracket")
        view = found[0]
        if action == "option":
            o = am.add_option(
                session,
                actor=actor,
                bracket=view.bracket,
                text=body.text,
                proposer=body.proposer or None,
            )
            return {"bracket": view.bracket.key, "option": o.key}
        if action == "reopen":
            am.reopen_bracket(session, actor=actor, bracket=view.bracket)
            return {"bracket": view.bracket.key, "reopened": True}
        option = next((o.option for o in view.options if o.option.key == body.option), None)
        if option is None:
            raise svc.TextError(f"option: {bracket_key} has no option {body.option!r}")
        if action == "support":
            party = body.party or svc.membership_party(actor, process.id)[0]
            if not party:
                raise svc.TextError("party: whose support")
            am.set_support(
                session, actor=actor, option=option, party=party, kind=body.stance or None
            )
            return {
                "bracket": view.bracket.key,
                "option": option.key,
                "party": party,
                "stance": body.stance or None,
            }
        am.resolve_bracket(session, actor=actor, bracket=view.bracket, option_key=option.key)
        return {"bracket": view.bracket.key, "resolved": option.key}

    return write(request, actor, key, doc_key, run)


@router.post(
    API + "/{doc_key}/brackets/{bracket_key}/{action}", tags=["texts"], dependencies=[Csrf]
)
def bracket_action_api(
    request: Request,
    key: str,
    doc_key: str,
    bracket_key: str,
    action: str,
    body: BracketActionIn,
    actor: SignedIn,
) -> dict[str, Any]:
    """`option` (add one), `support` (a party supports or objects), `resolve` (choose one),
    `reopen` (undo a resolution while the version is not frozen)."""
    return api_write(_bracket_action, request, actor, key, doc_key, bracket_key, action, body)


@router.post(
    PAGE + "/{doc_key}/brackets/{bracket_key}/{action}",
    include_in_schema=False,
    dependencies=[Csrf],
)
def bracket_action_form(
    request: Request,
    key: str,
    doc_key: str,
    bracket_key: str,
    action: str,
    actor: SignedIn,
    form: Form,
) -> Response:
    body = form_body(BracketActionIn, form)
    return_to = str(form.get("return_to") or request.query_params.get("return_to") or "")
    target = return_to if return_to.startswith(f"/p/{key}/texts/") else f"/p/{key}/texts/{doc_key}"
    answer = form_write(
        request, target, _bracket_action, request, actor, key, doc_key, bracket_key, action, body
    )
    if answer.status_code != 303:
        return answer
    if action == "resolve":
        undo = f"/p/{key}/texts/{doc_key}/brackets/{bracket_key}/reopen?" + urlencode(
            {"return_to": target}
        )
        words = (
            f"Bracket {bracket_key} resolved on option {body.option}: "
            "its text is now the provision's."
        )
        return flash(request, answer, words, undo_action=undo, undo_label="Undo: reopen it")
    if action == "reopen":
        words = f"Bracket {bracket_key} reopened: the provision has its earlier text again."
        return flash(request, answer, words)
    return answer
