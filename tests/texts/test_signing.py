"""Ed25519 keys sealed with a passphrase, the signing message, and offline bundle checks."""

from __future__ import annotations

import uuid

import pytest

from parley import sealing
from parley.texts import signing
from parley.texts.canonical import content_hash
from parley.texts.plain import PlainProvision

PASS = "a long enough passphrase"


def test_a_sealed_key_opens_only_with_its_passphrase_and_its_public_key() -> None:
    public, sealed = signing.generate_key(PASS)
    assert sealed.startswith("parley-key/1$scrypt$32768$8$1$")
    assert PASS not in sealed
    private = signing.unlock(sealed, PASS, public)
    assert sealing.public_key_of(private) == public
    with pytest.raises(signing.WrongPassphrase):
        signing.unlock(sealed, PASS + "!", public)
    other_public, _ = signing.generate_key(PASS)
    with pytest.raises(signing.WrongPassphrase):  # the public key is the associated data
        signing.unlock(sealed, PASS, other_public)
    with pytest.raises(signing.SigningError, match="at least 10"):
        signing.generate_key("short")
    with pytest.raises(signing.SigningError, match="damaged|not a"):
        signing.unlock(sealed.replace("$scrypt$", "$pbkdf2$"), PASS, public)


def test_a_signature_binds_the_type_the_record_and_the_hash() -> None:
    public, sealed = signing.generate_key(PASS)
    private = signing.unlock(sealed, PASS, public)
    record = uuid.uuid4()
    digest = "ab" * 32
    message = signing.signing_message("version", record, digest)
    assert message == f"parley-signature/1\nversion\n{record}\n{digest}".encode()
    signature = sealing.sign(private, message)
    assert sealing.verify(public, message, signature)
    for other in (
        signing.signing_message("statement", record, digest),
        signing.signing_message("version", uuid.uuid4(), digest),
        signing.signing_message("version", record, "cd" * 32),
    ):
        assert not sealing.verify(public, other, signature)
    assert not sealing.verify(public, message, "not base64!")
    assert not sealing.verify("garbage", message, signature)


def _bundle(text: str = "Point one.") -> dict[str, object]:
    public, sealed = signing.generate_key(PASS)
    private = signing.unlock(sealed, PASS, public)
    version_id, provision_id, party_id, key_id = (str(uuid.uuid4()) for _ in range(4))
    digest = content_hash([PlainProvision("p1", "1", None, "Point one.")])
    message = signing.signing_message("version", version_id, digest)
    return {
        "tables": {
            "parties": [{"id": party_id, "key": "AAA"}],
            "signing_keys": [{"id": key_id, "party_id": party_id, "public_key": public}],
            "versions": [{"id": version_id, "label": "v1", "content_hash": digest}],
            "provisions": [{"id": provision_id, "wid": "p1"}],
            "provision_texts": [
                {
                    "version_id": version_id,
                    "provision_id": provision_id,
                    "number": "1",
                    "heading": "",
                    "text": text,
                    "ordinal": 0,
                    "parent_provision_id": None,
                }
            ],
            "signatures": [
                {
                    "id": str(uuid.uuid4()),
                    "object_type": "version",
                    "object_id": version_id,
                    "content_hash": digest,
                    "party_id": party_id,
                    "key_id": key_id,
                    "signature": sealing.sign(private, message),
                    "signed_at": "2026-01-01",
                }
            ],
        }
    }


def test_verify_bundle_recomputes_the_hash_from_the_rows() -> None:
    assert signing.verify_bundle(_bundle()).ok
    changed = signing.verify_bundle(_bundle(text="Point one, changed."))
    assert not changed.ok and "now hashes to" in changed.problems[0]
    orphan = _bundle()
    orphan["tables"]["signing_keys"] = []  # type: ignore[index]
    assert "signing key is not in the bundle" in signing.verify_bundle(orphan).problems[0]
    with pytest.raises(signing.SigningError):
        signing.verify_bundle({"format": "nothing"})
