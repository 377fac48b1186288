"""Keys and signatures: RFC 8032 vectors, RFC 7638/8037 thumbprints, raw P-256 as WebCrypto signs."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448

from crypto.encoding import b64url_encode
from crypto.errors import KeyFormatError, SignatureInvalid
from crypto.keys import (
    P256_ORDER,
    ed25519_from_seed,
    generate_ed25519,
    generate_p256,
    jwk_thumbprint,
    load_private_key,
    load_public_key,
    p256_from_seed,
    public_jwk,
    verify,
)

h = bytes.fromhex

# RFC 8032 §7.1, TEST 1–3 and TEST SHA(abc).
RFC8032 = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
    (
        "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        "af82",
        "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
    ),
]


@pytest.mark.parametrize(("secret", "public", "message", "signature"), RFC8032)
def test_rfc8032_vectors(secret, public, message, signature):
    signer = ed25519_from_seed(h(secret))
    assert signer.jwk == {"crv": "Ed25519", "kty": "OKP", "x": b64url_encode(h(public))}
    assert signer.sign(h(message)) == h(signature)
    verify(signer.jwk, h(message), h(signature))
    bad = bytearray(h(signature))
    bad[0] ^= 1
    with pytest.raises(SignatureInvalid):
        verify(signer.jwk, h(message), bytes(bad))
    with pytest.raises(SignatureInvalid):
        verify(signer.jwk, h(message) + b"x", h(signature))


def test_rfc8037_ed25519_thumbprint():
    jwk = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
    assert jwk_thumbprint(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    # WebCrypto's extra members do not change a key's identity.
    assert jwk_thumbprint({**jwk, "ext": True, "key_ops": ["verify"], "kid": "x"}) == jwk_thumbprint(jwk)


def test_rfc7638_example_thumbprint():
    jwk = {
        "kty": "RSA",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    with pytest.raises(KeyFormatError):
        public_jwk(jwk)  # RSA never signs anything in OwnersVote


def test_p256_raw_signatures_as_webcrypto_makes_them():
    signer = generate_p256()
    message = b'{"a":1}'
    raw = signer.sign(message)
    assert len(raw) == 64
    verify(signer.jwk, message, raw)
    verify(signer.jwk, message, b64url_encode(raw))
    # A WebCrypto-style JWK export with ext/key_ops verifies too.
    verify({**signer.jwk, "ext": True, "key_ops": ["verify"]}, message, raw)
    # DER (what OpenSSL produces natively) is refused: browsers never send it.
    der = signer._key.sign(message, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(SignatureInvalid, match="DER"):
        verify(signer.jwk, message, der)
    with pytest.raises(SignatureInvalid):
        verify(signer.jwk, message, raw[:63])
    with pytest.raises(SignatureInvalid, match="out of range"):
        verify(signer.jwk, message, P256_ORDER.to_bytes(32, "big") + raw[32:])
    with pytest.raises(SignatureInvalid):
        verify(signer.jwk, message + b" ", raw)
    with pytest.raises(SignatureInvalid):
        verify(generate_p256().jwk, message, raw)


def test_high_s_signature_is_accepted_as_webcrypto_does_not_normalise():
    signer = generate_p256()
    raw = signer.sign(b"m")
    s = int.from_bytes(raw[32:], "big")
    verify(signer.jwk, b"m", raw[:32] + (P256_ORDER - s).to_bytes(32, "big"))


def test_verify_raises_rather_than_returning():
    signer = generate_ed25519()
    assert verify(signer.jwk, b"m", signer.sign(b"m")) is None


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "^malformed JWK: JWK x must be 32 bytes, not 3$"),
        ({"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"}, r"^unsupported key: kty='EC' crv='P-384' \(Ed25519 or P-256 only\)$"),
        ({"kty": "OKP", "crv": "Ed448", "x": "AAAA"}, r"^unsupported key: kty='OKP' crv='Ed448' \(Ed25519 or P-256 only\)$"),
        ({"kty": "OKP", "crv": "Ed25519"}, "^JWK member 'x' is missing or not a string$"),
        ({"kty": "OKP", "crv": "Ed25519", "x": ["not", "a", "string"]}, "^JWK member 'x' is missing or not a string$"),
        ({"kty": "EC", "crv": "P-256", "x": "A" * 43}, "^JWK member 'y' is missing or not a string$"),
        ({"kty": "OKP", "crv": "Ed25519", "x": "A+"}, "^malformed JWK: JWK x is not unpadded base64url$"),
        ("not an object", "^a JWK must be a JSON object$"),
    ],
)
def test_malformed_keys_are_refused(jwk, message):
    with pytest.raises(KeyFormatError, match=message):
        public_jwk(jwk)


def test_private_members_and_off_curve_points_are_refused():
    signer = generate_p256()
    with pytest.raises(KeyFormatError, match=r"^JWK carries private key material \('d'\); only public keys travel$"):
        public_jwk({**signer.jwk, "d": "AAAA"})
    off_curve = {**signer.jwk, "y": b64url_encode(b"\x01" * 32)}
    with pytest.raises(KeyFormatError, match="^JWK is not a valid P-256 public key: "):
        public_jwk(off_curve)


def test_private_key_round_trip():
    for signer in (generate_ed25519(), generate_p256()):
        again = load_private_key(signer.private_bytes())
        assert again.kid == signer.kid
        verify(signer.jwk, b"x", again.sign(b"x"))


# --- thumbprints, private keys, caching and signature edge cases ---------------------------

ED_JWK = {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}  # RFC 8037 §A.2


@pytest.mark.parametrize(
    ("jwk", "message"),
    [
        ("not an object", "^a JWK must be a JSON object$"),
        ({"kty": "oct", "k": "AAAA"}, "^unsupported JWK key type 'oct'$"),
        ({"crv": "Ed25519", "x": "AAAA"}, "^unsupported JWK key type None$"),
        ({"kty": "OKP", "crv": "Ed25519"}, "^JWK member 'x' is missing or not a string$"),
        ({**ED_JWK, "x": 1}, "^JWK member 'x' is missing or not a string$"),
        ({**ED_JWK, "x": 'a"b'}, "^JWK member 'x' has characters no JWK uses$"),
        ({**ED_JWK, "x": "a\\b"}, "^JWK member 'x' has characters no JWK uses$"),
        ({**ED_JWK, "x": "é"}, "^JWK member 'x' has characters no JWK uses$"),
        ({**ED_JWK, "x": "a\nb"}, "^JWK member 'x' has characters no JWK uses$"),
        ({**ED_JWK, "crv": "Ed\u00a025519"}, "^JWK member 'crv' has characters no JWK uses$"),
    ],
)
def test_thumbprint_refuses_what_would_need_json_escaping(jwk, message):
    with pytest.raises(KeyFormatError, match=message):
        jwk_thumbprint(jwk)


def test_public_jwk_refuses_a_curve_under_the_wrong_key_type():
    signer = generate_p256()
    ed = generate_ed25519()
    with pytest.raises(KeyFormatError, match=r"^unsupported key: kty='EC' crv='Ed25519' \(Ed25519 or P-256 only\)$"):
        public_jwk({**ed.jwk, "kty": "EC"})
    with pytest.raises(KeyFormatError, match=r"^unsupported key: kty='OKP' crv='P-256' \(Ed25519 or P-256 only\)$"):
        public_jwk({**signer.jwk, "kty": "OKP"})
    assert public_jwk({**signer.jwk, "ext": True, "kid": "k"}) == signer.jwk


def test_a_cached_key_is_never_served_for_a_different_jwk():
    """load_public_key caches by (kty, crv, x, y): every one of them must still be checked."""
    signer = generate_p256()
    verify(signer.jwk, b"m", signer.sign(b"m"))  # now cached
    with pytest.raises(KeyFormatError, match="^unsupported key: kty='OKP' crv='P-256'"):
        load_public_key({**signer.jwk, "kty": "OKP"})
    with pytest.raises(KeyFormatError, match="^unsupported key: kty='EC' crv='P-384'"):
        load_public_key({**signer.jwk, "crv": "P-384"})
    with pytest.raises(KeyFormatError, match="^JWK is not a valid P-256 public key: "):
        load_public_key({**signer.jwk, "y": b64url_encode(b"\x01" * 32)})
    every_private_member = {name: "AAAA" for name in ("d", "p", "q", "dp", "dq", "qi", "oth", "k")}
    with pytest.raises(KeyFormatError, match="^JWK carries private key material"):
        load_public_key({**signer.jwk, **every_private_member})
    with pytest.raises(KeyFormatError, match="^a JWK must be a JSON object$"):
        load_public_key([("kty", "EC")])  # type: ignore[arg-type]
    assert load_public_key(signer.jwk) is load_public_key(dict(signer.jwk))


def test_signature_refusals_say_why():
    ed = ed25519_from_seed(h(RFC8032[0][0]))
    good = ed.sign(b"m")
    cases = [
        ("A+", "^signature is not unpadded base64url$"),
        (b64url_encode(good)[:-1] + "B", "^signature is not in canonical base64url form$"),
        (12345, "^signature must be bytes or base64url text$"),
        (good[:63], "^an Ed25519 signature is 64 bytes, not 63$"),
        (bytes(64), "^signature does not verify$"),
    ]
    for signature, message in cases:
        with pytest.raises(SignatureInvalid, match=message):
            verify(ed.jwk, b"m", signature)
    verify(ed.jwk, b"m", bytearray(good))


def test_p256_signature_values_must_lie_in_1_to_n_minus_1():
    signer = generate_p256()
    raw = signer.sign(b"m")
    r, s = raw[:32], raw[32:]
    out_of_range = "^P-256 signature values r, s are out of range$"
    for bad in (bytes(32) + s, r + bytes(32), r + P256_ORDER.to_bytes(32, "big"), P256_ORDER.to_bytes(32, "big") + s, b"\xff" * 32 + s):
        with pytest.raises(SignatureInvalid, match=out_of_range):
            verify(signer.jwk, b"m", bad)
    # 1 and n − 1 are in range: such a signature is well-formed, and simply does not verify.
    one, top = (1).to_bytes(32, "big"), (P256_ORDER - 1).to_bytes(32, "big")
    for edge in (one + s, r + one, top + s, r + top):
        with pytest.raises(SignatureInvalid, match="^signature does not verify$"):
            verify(signer.jwk, b"m", edge)
    with pytest.raises(SignatureInvalid, match=r"^a P-256 signature is 64 raw bytes r‖s, not 70 bytes \(DER is refused\)$"):
        verify(signer.jwk, b"m", bytes(70))


def test_private_keys_load_from_der_and_pem():
    for signer in (generate_ed25519(), generate_p256()):
        der = signer.private_bytes()
        pem = signer._key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        for data in (der, pem, b"\n  " + pem):
            again = load_private_key(data)
            assert again.jwk == signer.jwk
            assert again.kid == signer.kid
            assert again.deterministic is False


def test_private_keys_of_other_types_are_refused():
    def pkcs8(key):
        return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())

    with pytest.raises(KeyFormatError, match="^only P-256 elliptic-curve keys are supported$"):
        load_private_key(pkcs8(ec.generate_private_key(ec.SECP384R1())))
    with pytest.raises(KeyFormatError, match="^only Ed25519 and P-256 private keys are supported$"):
        load_private_key(pkcs8(ed448.Ed448PrivateKey.generate()))
    with pytest.raises(KeyFormatError, match="^cannot read private key: "):
        load_private_key(b"not a key")
    with pytest.raises(KeyFormatError, match="^cannot read private key: "):
        load_private_key(b"-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n")


def test_seeded_p256_keys_follow_the_documented_derivation_and_sign_deterministically():
    """p256_from_seed: scalar = SHA-256("ownersvote p-256 test key" ‖ 0x00 ‖ seed) mod (n − 1) + 1,
    and RFC 6979 signatures, so that synthetic bundles are reproducible byte for byte."""
    seed = b"supervisor 1"
    scalar = int.from_bytes(hashlib.sha256(b"ownersvote p-256 test key\x00" + seed).digest(), "big") % (P256_ORDER - 1) + 1
    expected = ec.derive_private_key(scalar, ec.SECP256R1()).public_key().public_numbers()
    signer = p256_from_seed(seed)
    assert signer.jwk == {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url_encode(expected.x.to_bytes(32, "big")),
        "y": b64url_encode(expected.y.to_bytes(32, "big")),
    }
    assert signer.deterministic is True
    assert signer.algorithm == "P-256"
    assert signer.sign(b"m") == signer.sign(b"m")
    verify(signer.jwk, b"m", signer.sign_b64(b"m"))


def test_generated_p256_keys_sign_with_fresh_randomness():
    signer = generate_p256()
    assert signer.deterministic is False
    assert signer.sign(b"m") != signer.sign(b"m")
    assert generate_ed25519().algorithm == "Ed25519"


def test_seeded_p256_keys_still_sign_with_a_cryptography_without_rfc6979(monkeypatch):
    """cryptography < 43 has no deterministic ECDSA (pyproject allows >= 42): signing falls back to
    randomised signatures, which verify the same."""
    import crypto.keys

    class OldEC:
        """cryptography's ec module as crypto.keys sees it, with an ECDSA that lacks the keyword."""

        def __getattr__(self, name):
            return getattr(ec, name)

        @staticmethod
        def ECDSA(algorithm, **kwargs):  # noqa: N802 -- stands in for cryptography's ec.ECDSA, so keeps its name
            if kwargs:
                raise TypeError("ECDSA() got an unexpected keyword argument 'deterministic_signing'")
            return ec.ECDSA(algorithm)

    monkeypatch.setattr(crypto.keys, "ec", OldEC())
    signer = p256_from_seed(b"old cryptography")
    signature = signer.sign(b"m")
    monkeypatch.undo()
    assert len(signature) == 64
    verify(signer.jwk, b"m", signature)
