"""Keys and signatures: RFC 8032 vectors, RFC 7638/8037 thumbprints, raw P-256 as WebCrypto signs."""
from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import b64url_encode
from crypto.errors import KeyFormatError, SignatureInvalid
from crypto.keys import (
    P256_ORDER,
    ed25519_from_seed,
    generate_ed25519,
    generate_p256,
    jwk_thumbprint,
    load_private_key,
    public_jwk,
    verify,
)

h = bytes.fromhex

# RFC 8032 §7.1, TEST 1–3 and TEST SHA(abc).
RFC8032 = [
    ("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
     "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
     "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"),
    ("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
     "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
     "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"),
    ("c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
     "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
     "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"),
]


@pytest.mark.parametrize("secret,public,message,signature", RFC8032)
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
    jwk = {"kty": "RSA", "e": "AQAB", "alg": "RS256", "kid": "2011-04-29",
           "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
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


@pytest.mark.parametrize("jwk, message", [
    ({"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}, "^malformed JWK: JWK x must be 32 bytes, not 3$"),
    ({"kty": "EC", "crv": "P-384", "x": "AAAA", "y": "AAAA"},
     r"^unsupported key: kty='EC' crv='P-384' \(Ed25519 or P-256 only\)$"),
    ({"kty": "OKP", "crv": "Ed448", "x": "AAAA"}, r"^unsupported key: kty='OKP' crv='Ed448' \(Ed25519 or P-256 only\)$"),
    ({"kty": "OKP", "crv": "Ed25519"}, "^JWK member 'x' is missing or not a string$"),
    ({"kty": "OKP", "crv": "Ed25519", "x": ["not", "a", "string"]}, "^JWK member 'x' is missing or not a string$"),
    ({"kty": "EC", "crv": "P-256", "x": "A" * 43}, "^JWK member 'y' is missing or not a string$"),
    ({"kty": "OKP", "crv": "Ed25519", "x": "A+"}, "^malformed JWK: JWK x is not unpadded base64url$"),
    ("not an object", "^a JWK must be a JSON object$"),
])
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
