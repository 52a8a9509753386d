"""Offline verification of joint statements: from a statement file or a whole process bundle.

Pure: JSON in, a report out. The verifier recomputes each text's hash from the text itself,
rebuilds the signed message and checks every signature against the public key carried in the
file, so it trusts nothing the file merely asserts (a stored hash or a "valid" flag).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from parley.texts.canonical_hash import text_hash
from parley.texts.signing import signing_message, verify

STATEMENT_FORMAT = "parley-statement"
STATEMENT_FORMAT_VERSION = 1


class VerifyError(ValueError):
    """The file is not something the verifier understands; the message names the field."""


@dataclass
class SignatureCheck:
    party: str
    public_key: str
    valid: bool
    reason: str = ""
    current: bool = True  # over the statement's present text (older ones were voided by a revision)


@dataclass
class StatementCheck:
    process: str
    statement: str
    text_hash: str
    hash_matches: bool  # the hash recorded in the file is the hash of the text
    signatories: list[str]
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
) -> StatementCheck:
    actual = text_hash(text)
    check = StatementCheck(process, key, actual, recorded_hash == actual, sorted(signatories))
    try:
        message = signing_message("statement", statement_id, actual)
    except ValueError:
        raise VerifyError(f"statement.id: {statement_id!r} is not a UUID") from None
    good: set[str] = set()
    for item in signatures:
        party, public = item.get("party", "?"), item.get("public_key", "")
        sig = item.get("signature", "")
        if item.get("content_hash") not in (None, actual):
            check.signatures.append(
                SignatureCheck(party, public, False, "signs an earlier text", current=False)
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
        return [
            _check(
                str(data["process"]),
                str(statement["id"]),
                str(statement["key"]),
                str(statement["text"]),
                str(statement.get("text_hash", "")),
                [str(s) for s in data.get("signatories", [])],
                list(data.get("signatures", [])),
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
    "STATEMENT_FORMAT",
    "StatementCheck",
    "VerifyError",
    "verify_any",
    "verify_bundle",
    "verify_statement_file",
]
