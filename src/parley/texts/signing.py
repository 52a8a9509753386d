"""Ed25519 signing keys and signatures, and offline verification of an exported bundle.

Each delegation has an Ed25519 key. The private half is stored only sealed with a passphrase
that the delegation's head holds (:mod:`parley.sealing`, which also signs and verifies); the
public half is stored in the clear (raw 32 bytes, base64). Signing needs the passphrase every
time.

What is signed (documented in docs/texts.md, never to change silently) is the UTF-8 text::

    parley-signature/1
    <object type>        e.g. "version" or "statement"
    <object id>          the record's UUID, lowercase with hyphens
    <content hash>       lowercase hex SHA-256 of the record's canonical content

one item per line, with ``\\n`` between them and no newline at the end. Binding the type and id
stops a signature over one record being passed off as one over another record with the same
text. :func:`verify_bundle` checks every signature of a bundle using nothing but the bundle.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from parley import sealing
from parley.texts.canonical import languages_hash
from parley.texts.canonical_hash import text_hash
from parley.texts.plain import PlainProvision

__all__ = [
    "FORMAT",
    "MIN_PASSPHRASE",
    "BundleCheck",
    "SigningError",
    "WrongPassphrase",
    "generate_key",
    "signing_message",
    "unlock",
    "verify_bundle",
]

FORMAT = "parley-signature/1"
MIN_PASSPHRASE = 10
_KEY_FORMAT = "parley-key/1"


class SigningError(ValueError):
    pass


class WrongPassphrase(SigningError):
    def __init__(self) -> None:
        super().__init__("passphrase: wrong passphrase for this signing key")


def _check_passphrase(passphrase: str) -> bytes:
    if len(passphrase) < MIN_PASSPHRASE:
        raise SigningError(f"passphrase: at least {MIN_PASSPHRASE} characters")
    return passphrase.encode("utf-8")


def generate_key(passphrase: str) -> tuple[str, str]:
    """A new key pair: (public key as base64, private key sealed with the passphrase).

    The stored text is ``parley-key/1$scrypt$N$r$p$<salt>$<nonce>$<ciphertext>``
    (:mod:`parley.sealing` says how it is sealed).
    """
    _check_passphrase(passphrase)
    return sealing.seal_new_key(passphrase, key_format=_KEY_FORMAT)


def unlock(encrypted: str, passphrase: str, public_key: str) -> sealing.PrivateKey:
    """The private key sealed for ``public_key``, or :class:`WrongPassphrase`."""
    try:
        return sealing.unseal(
            encrypted, passphrase, public_key, key_format=_KEY_FORMAT, label="signing key"
        )
    except sealing.WrongSecret:
        raise WrongPassphrase() from None
    except sealing.SealError as exc:
        raise SigningError(str(exc)) from None


def signing_message(object_type: str, object_id: uuid.UUID | str, content_hash_hex: str) -> bytes:
    oid = str(uuid.UUID(str(object_id)))
    return "\n".join((FORMAT, object_type, oid, content_hash_hex.lower())).encode("utf-8")


# ---------------------------------------------------------------- offline bundle check


@dataclass
class BundleCheck:
    """The outcome of :func:`verify_bundle`: one entry per signature, problems spelled out."""

    checked: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "signatures": len(self.checked),
            "valid": sum(1 for c in self.checked if c["valid"]),
            "checked": self.checked,
            "problems": self.problems,
        }


def _rows(tables: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
    rows = tables.get(name) or []
    if not isinstance(rows, list):
        raise SigningError(f"tables.{name}: expected a list of rows")
    return rows


def _version_hash(tables: Mapping[str, Any], version_id: str) -> str:
    """Recompute a version's content hash from its provision rows in the bundle: the lead
    language's ``provision_texts`` and, for a document with other authentic languages, their
    ``provision_languages`` (texts.canonical.languages_hash)."""
    wids = {row["id"]: row["wid"] for row in _rows(tables, "provisions")}

    def provisions(rows: list[dict[str, Any]]) -> list[PlainProvision]:
        return [
            PlainProvision(
                wid=wids[row["provision_id"]],
                number=row["number"],
                heading=row.get("heading") or None,
                text=row["text"],
                parent_wid=wids.get(row.get("parent_provision_id")),
            )
            for row in sorted(rows, key=lambda row: row["ordinal"])
        ]

    lead_rows = [r for r in _rows(tables, "provision_texts") if r["version_id"] == version_id]
    version = next((r for r in _rows(tables, "versions") if r["id"] == version_id), {})
    document = next(
        (r for r in _rows(tables, "documents") if r["id"] == version.get("document_id")), {}
    )
    authentic = [x for x in str(document.get("languages") or "en").split(",") if x] or ["en"]
    texts: dict[str, list[PlainProvision]] = {authentic[0]: provisions(lead_rows)}
    others = [r for r in _rows(tables, "provision_languages") if r["version_id"] == version_id]
    for lang in authentic[1:]:
        rows = [r for r in others if r["language"] == lang]
        if rows:
            texts[lang] = provisions(rows)
    return languages_hash(authentic[0], texts)


def verify_bundle(bundle: Mapping[str, Any]) -> BundleCheck:
    """Check every signature in an exported bundle against the bundle alone.

    For each row of ``signatures``: its key is in ``signing_keys`` and belongs to the signing
    party; the signed object is in the bundle and its content, recomputed from the bundle's
    rows (a version's provisions in the canonical encoding, a statement's text), hashes to the
    signed hash; a frozen version's stored hash agrees; and the Ed25519 signature over the
    signing message verifies with the key's public half.
    """
    tables = bundle.get("tables")
    if not isinstance(tables, Mapping):
        raise SigningError("not a bundle: no tables")
    result = BundleCheck()
    keys = {row["id"]: row for row in _rows(tables, "signing_keys")}
    parties = {row["id"]: row.get("key", row["id"]) for row in _rows(tables, "parties")}
    versions = {row["id"]: row for row in _rows(tables, "versions")}
    statements = {row["id"]: row for row in _rows(tables, "statements")}
    for i, row in enumerate(_rows(tables, "signatures")):
        where = f"signatures[{i}]"
        party = parties.get(row.get("party_id"), "?")
        entry: dict[str, Any] = {
            "id": row.get("id"),
            "party": party,
            "object_type": row.get("object_type"),
            "object_id": row.get("object_id"),
            "content_hash": row.get("content_hash"),
            "signed_at": row.get("signed_at"),
            "valid": False,
        }
        result.checked.append(entry)
        problems: list[str] = []
        key = keys.get(row.get("key_id"))
        if key is None:
            problems.append(f"{where} ({party}): its signing key is not in the bundle")
        elif key.get("party_id") != row.get("party_id"):
            problems.append(f"{where} ({party}): the key belongs to another party")
        object_type, object_id = row.get("object_type"), row.get("object_id")
        signed_hash = str(row.get("content_hash") or "")
        if object_type == "version":
            version = versions.get(object_id)
            if version is None:
                problems.append(f"{where} ({party}): version {object_id} is not in the bundle")
            else:
                entry["label"] = version.get("label")
                actual = _version_hash(tables, str(object_id))
                if actual != signed_hash:
                    problems.append(
                        f"{where} ({party}): version {version.get('label')!r} now hashes to "
                        f"{actual}, not the signed {signed_hash}"
                    )
                if version.get("content_hash") not in (None, signed_hash):
                    problems.append(
                        f"{where} ({party}): the signed hash differs from the version's frozen hash"
                    )
        elif object_type == "statement":
            statement = statements.get(object_id)
            if statement is None:
                problems.append(f"{where} ({party}): statement {object_id} is not in the bundle")
            else:
                # A statement signature seals every shown field (parley.sessions.verify);
                # one of format 1 signed the text's hash only.
                from parley.sessions.verify import bundle_statement_seal

                if signed_hash not in (
                    bundle_statement_seal(dict(tables), statement),
                    text_hash(statement.get("text") or ""),
                ):
                    problems.append(
                        f"{where} ({party}): the statement no longer has that seal or text hash"
                    )
        else:
            problems.append(f"{where} ({party}): unknown object type {object_type!r}")
        if key is not None and object_id:
            try:
                message = signing_message(str(object_type), object_id, signed_hash)
            except ValueError:
                problems.append(f"{where} ({party}): object id {object_id!r} is not a UUID")
            else:
                if not sealing.verify(key["public_key"], message, str(row.get("signature") or "")):
                    problems.append(f"{where} ({party}): the Ed25519 signature does not verify")
        entry["valid"] = not problems
        result.problems.extend(problems)
    return result
