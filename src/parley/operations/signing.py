"""The pure part of checkpoints: the server key, sealing it, and what exactly is signed.

The server's Ed25519 private key is stored only sealed with ``PARLEY_SECRET_KEY``, as the text
``parley-server-key/1$scrypt$N$r$p$<salt>$<nonce>$<ciphertext>`` (:mod:`parley.sealing` seals
it, signs and verifies; its key id is the SHA-256 of the raw public key).

What is signed for a checkpoint (documented in docs/operations.md, never to change silently) is
the UTF-8 text::

    parley-checkpoint/1
    <chain>          e.g. "2f0c…/party:AAA" or "system"
    <seq>            the chain's length, in decimal
    <head hash>      lowercase hex SHA-256 of event #seq
    <at>             UTC ISO 8601 with microseconds, e.g. 2026-01-05T10:00:00.000000+00:00
    <key id>         lowercase hex SHA-256 of the raw public key

one item per line, ``\\n`` between them, no newline at the end.
"""

from __future__ import annotations

from datetime import UTC, datetime

from parley import sealing

FORMAT = "parley-checkpoint/1"
KEY_FORMAT = "parley-server-key/1"


class SealError(ValueError):
    """The server key cannot be unsealed (wrong PARLEY_SECRET_KEY, or a damaged row)."""


def generate_key(secret: str) -> tuple[str, str, str]:
    """A new key pair: (key id, public key as base64, private key sealed with ``secret``)."""
    public, sealed = sealing.seal_new_key(secret, key_format=KEY_FORMAT)
    return sealing.key_id_of(public), public, sealed


def unseal(sealed: str, secret: str, public_key: str) -> sealing.PrivateKey:
    """The private key sealed for ``public_key``; :class:`SealError` if ``secret`` is wrong."""
    try:
        return sealing.unseal(sealed, secret, public_key, key_format=KEY_FORMAT, label="server key")
    except sealing.WrongSecret:
        raise SealError(
            "server key: cannot unseal it with this PARLEY_SECRET_KEY (was the secret changed?)"
        ) from None
    except sealing.SealError as exc:
        raise SealError(str(exc)) from None


def timestamp(at: datetime) -> str:
    """One spelling of a time: UTC, ISO 8601, microseconds."""
    if at.tzinfo is None:
        raise ValueError("naive datetime in a checkpoint")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def checkpoint_message(
    chain: str, seq: int, head_hash: str, at: datetime | str, key_id: str
) -> bytes:
    when = at if isinstance(at, str) else timestamp(at)
    lines = (FORMAT, chain, str(int(seq)), head_hash.lower(), when, key_id.lower())
    if any("\n" in line for line in lines):
        raise ValueError("a checkpoint field contains a newline")
    return "\n".join(lines).encode("utf-8")
