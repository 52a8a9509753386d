"""The pure part of checkpoints: the server key, sealing it, and what exactly is signed.

The server's Ed25519 private key is stored only sealed with ``PARLEY_SECRET_KEY``: scrypt
(N=2^15, r=8, p=1) derives an AES-256-GCM key, which encrypts the raw 32-byte private key with
the public key as associated data. The stored text is
``parley-server-key/1$scrypt$N$r$p$<salt>$<nonce>$<ciphertext>`` (base64 parts).

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

import base64
import binascii
import hashlib
import os
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

FORMAT = "parley-checkpoint/1"
KEY_FORMAT = "parley-server-key/1"
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


class SealError(ValueError):
    """The server key cannot be unsealed (wrong PARLEY_SECRET_KEY, or a damaged row)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def public_key_of(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(
        encoding=serialization.Encoding.Raw, format=serialization.PublicFormat.Raw
    )
    return _b64(raw)


def key_id_of(public_key_b64: str) -> str:
    """The SHA-256 (hex) of the raw public key; ValueError when it is not 32 bytes of base64."""
    try:
        raw = base64.b64decode(public_key_b64, validate=True)
    except binascii.Error:
        raise ValueError("public key: not base64") from None
    if len(raw) != 32:
        raise ValueError("public key: not 32 bytes")
    return hashlib.sha256(raw).hexdigest()


def generate_key(secret: str) -> tuple[str, str, str]:
    """A new key pair: (key id, public key as base64, private key sealed with ``secret``)."""
    private = Ed25519PrivateKey.generate()
    public = public_key_of(private)
    raw = private.private_bytes(
        encoding=serialization.Encoding.Raw,
        format=serialization.PrivateFormat.Raw,
        encryption_algorithm=serialization.NoEncryption(),
    )
    salt, nonce = os.urandom(16), os.urandom(12)
    sealed = AESGCM(_kek(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)).encrypt(
        nonce, raw, public.encode("ascii")
    )
    parts = [_b64(salt), _b64(nonce), _b64(sealed)]
    text = "$".join([KEY_FORMAT, "scrypt", str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P), *parts])
    return key_id_of(public), public, text


def unseal(sealed: str, secret: str, public_key: str) -> Ed25519PrivateKey:
    """The private key sealed for ``public_key``; :class:`SealError` if ``secret`` is wrong."""
    parts = sealed.split("$")
    if len(parts) != 8 or parts[0] != KEY_FORMAT or parts[1] != "scrypt":
        raise SealError("server key: not a parley-server-key/1 sealed key")
    try:
        n, r, p = int(parts[2]), int(parts[3]), int(parts[4])
        salt, nonce, ciphertext = (base64.b64decode(x, validate=True) for x in parts[5:8])
    except (ValueError, binascii.Error):
        raise SealError("server key: damaged") from None
    if not (2**14 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 4):
        raise SealError("server key: scrypt costs out of range")
    try:
        raw = AESGCM(_kek(secret, salt, n, r, p)).decrypt(
            nonce, ciphertext, public_key.encode("ascii")
        )
    except InvalidTag:
        raise SealError(
            "server key: cannot unseal it with this PARLEY_SECRET_KEY (was the secret changed?)"
        ) from None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if public_key_of(private) != public_key:
        raise SealError("server key: the private half does not match the public key")
    return private


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


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    return _b64(private.sign(message))


def verify(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
