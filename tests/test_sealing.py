"""parley.sealing: the one module for sealed Ed25519 keys, and keys stored before it existed.

The vectors below were made (with illustrative secrets) by the two modules that sealed and signed
before :mod:`parley.sealing` took their place; keys and signatures stored by them must keep
opening and verifying.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parley import sealing
from parley.operations import signing as server_signing
from parley.texts import signing as delegation_signing

DELEGATION = {
    "passphrase": "illustrative passphrase",
    "public": "yNq/9Xm/MNJ+x2c/9EURvKG3hfzdNsQmwoXIgRp1J8Y=",
    "sealed": "parley-key/1$scrypt$32768$8$1$bCstWEx21Ya0xOg8VAOGXg==$IbT1u0I7/bBrsouA$"
    "P4DqFW4NqHbw90OcB33NH6GGbblnkYP+Vx0gYJz30q3WW5bzLAAQtM7lagrood5K",
    "signature": "bCxtFEmDy+Iv4hI4UKvuBKyj6Bt2bOqtM9zw8nl3SnAPzBMZKGm79CLJlghYJUMvracuhT7dItf6"
    "k0W+5yRNAg==",
}
SERVER = {
    "secret": "illustrative server secret",
    "key_id": "f709a16604d87251282e7fee18443e30b4343c466877b25859c275bc98892090",
    "public": "rMvZ5fF0UUh9JRAOhnqrkrZpra8deOPSvmxJdG8TCjM=",
    "sealed": "parley-server-key/1$scrypt$32768$8$1$HOyububysKKLoRXQeaK33g==$ywbdJOvi/LgqDdTd$"
    "MOtEhzBFhy++CqHILa3qsgQZR7Zo3+EswNh80uigTf6odMkXYHbajjUuBX21weip",
    "signature": "R1/O/cAp3H6QSc0Vr+/ZSaNIMNKmQltM3zUvZZ/qIDEc6Je2scKHKRkWOlrwCYHBdDv8U9sLZGxMjoa"
    "Sax8sAg==",
}


@functools.cache
def _delegation_key() -> sealing.PrivateKey:
    # Unsealing costs a deliberate scrypt; the property test signs many messages with one key.
    return delegation_signing.unlock(
        DELEGATION["sealed"], DELEGATION["passphrase"], DELEGATION["public"]
    )


def _version_message() -> bytes:
    return delegation_signing.signing_message(
        "version", "00000000-0000-4000-8000-000000000001", "ab" * 32
    )


def _checkpoint_message() -> bytes:
    at = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    return server_signing.checkpoint_message("system", 3, "cd" * 32, at, SERVER["key_id"])


def test_a_delegation_key_sealed_before_still_opens_and_its_signature_verifies() -> None:
    private = delegation_signing.unlock(
        DELEGATION["sealed"], DELEGATION["passphrase"], DELEGATION["public"]
    )
    assert sealing.public_key_of(private) == DELEGATION["public"]
    message = _version_message()
    assert sealing.verify(DELEGATION["public"], message, DELEGATION["signature"])
    # Ed25519 is deterministic: the same key signs the same bytes the same way.
    assert sealing.sign(private, message) == DELEGATION["signature"]


def test_a_server_key_sealed_before_still_opens_and_its_checkpoint_verifies() -> None:
    private = server_signing.unseal(SERVER["sealed"], SERVER["secret"], SERVER["public"])
    assert sealing.key_id_of(SERVER["public"]) == SERVER["key_id"]
    assert sealing.sign(private, _checkpoint_message()) == SERVER["signature"]
    assert sealing.verify(SERVER["public"], _checkpoint_message(), SERVER["signature"])
    assert not sealing.verify(SERVER["public"], _version_message(), SERVER["signature"])


def test_each_kind_of_key_refuses_the_others_format_and_a_wrong_secret() -> None:
    # A server key is not a delegation key, nor the other way round, even with the right secret.
    with pytest.raises(delegation_signing.SigningError, match="^signing key: not a parley-key/1"):
        delegation_signing.unlock(SERVER["sealed"], SERVER["secret"], SERVER["public"])
    with pytest.raises(server_signing.SealError, match="^server key: not a parley-server-key/1"):
        server_signing.unseal(DELEGATION["sealed"], DELEGATION["passphrase"], DELEGATION["public"])
    with pytest.raises(delegation_signing.WrongPassphrase):
        delegation_signing.unlock(DELEGATION["sealed"], "another passphrase", DELEGATION["public"])
    with pytest.raises(server_signing.SealError, match="PARLEY_SECRET_KEY"):
        server_signing.unseal(SERVER["sealed"], "another secret", SERVER["public"])
    # The public key is the associated data: a sealed key does not open for another public key.
    with pytest.raises(sealing.WrongSecret):
        sealing.unseal(
            SERVER["sealed"],
            SERVER["secret"],
            DELEGATION["public"],
            key_format=server_signing.KEY_FORMAT,
            label="server key",
        )


def test_a_damaged_sealed_key_is_named_by_its_label() -> None:
    damaged = SERVER["sealed"].replace("$32768$", "$lots$")
    with pytest.raises(sealing.SealError, match="^checkpoint key: damaged$"):
        sealing.unseal(
            damaged,
            SERVER["secret"],
            SERVER["public"],
            key_format=server_signing.KEY_FORMAT,
            label="checkpoint key",
        )


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=300), st.binary(min_size=1, max_size=300))
def test_a_signature_verifies_its_message_only(message: bytes, other: bytes) -> None:
    private = _delegation_key()
    signature = sealing.sign(private, message)
    assert sealing.verify(DELEGATION["public"], message, signature)
    assert sealing.verify(DELEGATION["public"], message + other, signature) is False
    assert sealing.verify(SERVER["public"], message, signature) is False
