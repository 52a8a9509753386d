"""Sealed Ed25519 keys: the one place Parley makes, seals, unseals, signs and verifies.

Two kinds of key use it, each with its own text format and secret:

* a delegation's signing key (``parley-key/1``, sealed with the head's passphrase;
  :mod:`parley.texts.signing`, used for versions and joint statements);
* the server's checkpoint key (``parley-server-key/1``, sealed with ``PARLEY_SECRET_KEY``;
  :mod:`parley.operations.signing`).

A sealed key is stored as the text ``<format>$scrypt$N$r$p$<salt>$<nonce>$<ciphertext>``
(base64 parts): scrypt (N=2^15, r=8, p=1) derives an AES-256-GCM key from the secret, which
encrypts the raw 32-byte private key with the public key (base64) as associated data, so a
sealed key cannot be paired with another public key. Never change these formats silently:
stored keys and signatures must keep verifying. What each caller signs (its canonical bytes)
is its own business; this module signs and verifies bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

__all__ = [
    "PrivateKey",
    "SealError",
    "WrongSecret",
    "key_id_of",
    "public_key_of",
    "seal_new_key",
    "sign",
    "unseal",
    "verify",
]

PrivateKey = Ed25519PrivateKey

# scrypt at these costs takes about 0.1 s and 32 MiB per try on a laptop: slow for someone
# guessing secrets offline, quick enough for a person signing or a server starting.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1


class SealError(ValueError):
    """A sealed key that cannot be opened: not of the expected format, damaged, or mismatched.

    The message starts with the ``label`` the caller named the key by ("signing key", ...).
    """


class WrongSecret(SealError):
    """The secret does not open the sealed key (or the public key is not its own)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _kek(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def public_key_of(private: Ed25519PrivateKey) -> str:
    """The raw 32-byte public key, base64."""
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


def seal_new_key(secret: str, *, key_format: str) -> tuple[str, str]:
    """A new key pair: (public key as base64, private key sealed with ``secret``)."""
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
    costs = [str(_SCRYPT_N), str(_SCRYPT_R), str(_SCRYPT_P)]
    return public, "$".join([key_format, "scrypt", *costs, *parts])


def unseal(
    sealed: str, secret: str, public_key: str, *, key_format: str, label: str
) -> Ed25519PrivateKey:
    """The private key sealed for ``public_key``.

    :class:`WrongSecret` when ``secret`` does not open it, :class:`SealError` (its message
    starting with ``label``) when the text is not a ``key_format`` sealed key or is damaged.
    """
    parts = sealed.split("$")
    if len(parts) != 8 or parts[0] != key_format or parts[1] != "scrypt":
        raise SealError(f"{label}: not a {key_format} sealed key")
    try:
        n, r, p = int(parts[2]), int(parts[3]), int(parts[4])
        salt, nonce, ciphertext = (base64.b64decode(x, validate=True) for x in parts[5:8])
    except (ValueError, binascii.Error):
        raise SealError(f"{label}: damaged") from None
    if not (2**14 <= n <= 2**20 and 1 <= r <= 32 and 1 <= p <= 4):
        raise SealError(f"{label}: scrypt costs out of range")
    try:
        raw = AESGCM(_kek(secret, salt, n, r, p)).decrypt(
            nonce, ciphertext, public_key.encode("ascii")
        )
    except InvalidTag:
        raise WrongSecret(f"{label}: the secret does not open it") from None
    private = Ed25519PrivateKey.from_private_bytes(raw)
    if public_key_of(private) != public_key:
        raise SealError(f"{label}: the private half does not match the public key")
    return private


def sign(private: Ed25519PrivateKey, message: bytes) -> str:
    """The Ed25519 signature of ``message`` (the caller's canonical bytes), base64."""
    return _b64(private.sign(message))


def verify(public_key_b64: str, message: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the signature of ``message`` by ``public_key_b64``.

    Anything malformed (not base64, not a key) is simply not a valid signature."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key_b64, validate=True))
        public.verify(base64.b64decode(signature_b64, validate=True), message)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
