"""Offline verification of joint statements: from a statement file or a whole process bundle.

Pure: JSON in, a report out. The verifier recomputes each statement's seal from the fields the
statement shows (title, text, date, place, signatories, linked provisions: see
:func:`statement_seal`), rebuilds the signed message and checks every signature against the
public key carried in the file, so it trusts nothing the file merely asserts (a stored hash or
a "valid" flag). A file that shows another title, date or place than the one signed fails.

Signatures made before seals (format 1) signed the text's hash only. They still verify, as
what they are: ``covers`` is ``"text"``, they do not count as a current signature, and the
statement is not ``ok`` until its signatories sign the seal.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from parley.sealing import verify
from parley.texts.canonical_hash import text_hash
from parley.texts.signing import signing_message

STATEMENT_FORMAT = "parley-statement"
STATEMENT_FORMAT_VERSION = 2
SEAL_FORMAT = "parley-statement-seal/2"


def statement_seal(
    *,
    title: str,
    text: str,
    made_on: str | None,
    place: str,
    signatories: Iterable[str],
    provisions: Iterable[str],
) -> str:
    """The hash a signatory approves and signs: every field a joint statement shows.

    sha256 (hex) of the canonical JSON (sorted keys, no spaces, UTF-8) of the format tag, the
    NFC title and place, the text's hash (:func:`text_hash`), the date (ISO) or null, and the
    sorted party keys of the signatories and ``document/wid`` references of the provisions.
    """

    def nfc(value: str) -> str:
        return unicodedata.normalize("NFC", value or "")

    payload = {
        "format": SEAL_FORMAT,
        "title": nfc(title),
        "text_hash": text_hash(text),
        "made_on": made_on or None,
        "place": nfc(place),
        "signatories": sorted(set(signatories)),
        "provisions": sorted(set(provisions)),
    }
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def bundle_statement_seal(tables: dict[str, Any], row: dict[str, Any]) -> str:
    """The seal of one ``statements`` row of a bundle, from the bundle's rows alone."""
    parties = {p["id"]: p["key"] for p in tables.get("parties", [])}
    documents = {d["id"]: d["key"] for d in tables.get("documents", [])}
    provisions = {
        p["id"]: f"{documents.get(p['document_id'], p['document_id'])}/{p['wid']}"
        for p in tables.get("provisions", [])
    }
    return statement_seal(
        title=str(row.get("title") or ""),
        text=str(row.get("text") or ""),
        made_on=row.get("made_on") or None,
        place=str(row.get("place") or ""),
        signatories=[
            parties.get(s["party_id"], s["party_id"])
            for s in tables.get("statement_signatories", [])
            if s["statement_id"] == row["id"]
        ],
        provisions=[
            provisions.get(p["provision_id"], p["provision_id"])
            for p in tables.get("statement_provisions", [])
            if p["statement_id"] == row["id"]
        ],
    )


class VerifyError(ValueError):
    """The file is not something the verifier understands; the message names the field."""


@dataclass
class SignatureCheck:
    party: str
    public_key: str
    valid: bool
    reason: str = ""
    current: bool = True  # over the statement's present seal (older ones were voided)
    covers: str = "all"  # "all" shown fields (the seal) or "text" only (format 1)


@dataclass
class StatementCheck:
    process: str
    statement: str
    text_hash: str
    hash_matches: bool  # the hash recorded in the file is the hash of the text
    signatories: list[str]
    seal: str = ""  # recomputed from every shown field: what current signatures sign
    signatures: list[SignatureCheck] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # signatories without a valid signature

    @property
    def ok(self) -> bool:
        return (
            self.hash_matches
            and not self.missing
            and all(s.valid for s in self.signatures if s.current)
        )

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def _check(
    process: str,
    statement_id: str,
    key: str,
    text: str,
    recorded_hash: str,
    signatories: list[str],
    signatures: list[dict[str, str]],
    seal: str,
) -> StatementCheck:
    actual = text_hash(text)
    check = StatementCheck(
        process, key, actual, recorded_hash == actual, sorted(signatories), seal=seal
    )
    try:
        message = signing_message("statement", statement_id, seal)
        legacy = signing_message("statement", statement_id, actual)
    except ValueError:
        raise VerifyError(f"statement.id: {statement_id!r} is not a UUID") from None
    good: set[str] = set()
    for item in signatures:
        party, public = item.get("party", "?"), item.get("public_key", "")
        sig = item.get("signature", "")
        signed = item.get("content_hash")
        if signed == actual and signed != seal:
            valid = verify(public, legacy, sig)
            check.signatures.append(
                SignatureCheck(
                    party,
                    public,
                    valid,
                    "signs the text only (format 1): title, date, place, signatories and "
                    "provisions are not covered"
                    if valid
                    else "signature does not verify",
                    current=False,
                    covers="text",
                )
            )
            continue
        if signed not in (None, seal):
            check.signatures.append(
                SignatureCheck(party, public, False, "signs something else", current=False)
            )
            continue
        valid = verify(public, message, sig)
        check.signatures.append(
            SignatureCheck(party, public, valid, "" if valid else "signature does not verify")
        )
        if valid:
            good.add(party)
    check.missing = sorted(set(signatories) - good)
    return check


def verify_statement_file(data: dict[str, Any]) -> list[StatementCheck]:
    """Verify a ``parley-statement`` file (the JSON twin of a joint statement's page)."""
    if data.get("format") != STATEMENT_FORMAT:
        raise VerifyError(f"format: expected {STATEMENT_FORMAT!r}")
    try:
        statement = data["statement"]
        signatories = [str(s) for s in data.get("signatories", [])]
        seal = statement_seal(
            title=str(statement.get("title") or ""),
            text=str(statement["text"]),
            made_on=statement.get("made_on") or None,
            place=str(statement.get("place") or ""),
            signatories=signatories,
            provisions=[str(p) for p in data.get("provisions", [])],
        )
        return [
            _check(
                str(data["process"]),
                str(statement["id"]),
                str(statement["key"]),
                str(statement["text"]),
                str(statement.get("text_hash", "")),
                signatories,
                list(data.get("signatures", [])),
                seal,
            )
        ]
    except (KeyError, TypeError) as exc:
        raise VerifyError(f"statement: missing field {exc}") from None


def verify_bundle(data: dict[str, Any], statement_key: str | None = None) -> list[StatementCheck]:
    """Verify every joint statement (or one) of a ``parley-bundle`` process export."""
    tables = data.get("tables")
    if data.get("format") != "parley-bundle" or not isinstance(tables, dict):
        raise VerifyError("format: expected 'parley-bundle' with tables")
    try:
        process = tables["processes"][0]["key"]
        parties = {row["id"]: row["key"] for row in tables.get("parties", [])}
        keys = {row["id"]: row["public_key"] for row in tables.get("signing_keys", [])}
        checks = []
        for row in tables.get("statements", []):
            if row["kind"] != "joint" or (statement_key and row["key"] != statement_key):
                continue
            signatories = [
                parties.get(s["party_id"], s["party_id"])
                for s in tables.get("statement_signatories", [])
                if s["statement_id"] == row["id"]
            ]
            signatures = [
                {
                    "party": parties.get(s["party_id"], s["party_id"]),
                    "public_key": keys.get(s["key_id"], ""),
                    "signature": s["signature"],
                    "content_hash": s["content_hash"],
                }
                for s in tables.get("signatures", [])
                if s["object_type"] == "statement" and s["object_id"] == row["id"]
            ]
            checks.append(
                _check(
                    process,
                    row["id"],
                    row["key"],
                    row["text"],
                    row["text_hash"],
                    signatories,
                    signatures,
                    bundle_statement_seal(tables, row),
                )
            )
    except (KeyError, IndexError, TypeError) as exc:
        raise VerifyError(f"tables: missing field {exc}") from None
    if statement_key and not checks:
        raise VerifyError(f"statement: no joint statement {statement_key!r} in the bundle")
    return checks


def verify_any(data: dict[str, Any], statement_key: str | None = None) -> list[StatementCheck]:
    """A statement file or a process bundle, whichever ``data`` is."""
    if data.get("format") == STATEMENT_FORMAT:
        checks = verify_statement_file(data)
        if statement_key and checks[0].statement != statement_key:
            raise VerifyError(f"statement: the file holds {checks[0].statement!r}")
        return checks
    return verify_bundle(data, statement_key)


__all__ = [
    "SEAL_FORMAT",
    "STATEMENT_FORMAT",
    "StatementCheck",
    "VerifyError",
    "bundle_statement_seal",
    "statement_seal",
    "verify_any",
    "verify_bundle",
    "verify_statement_file",
]
