"""RSA blind signatures (crypto/blindrsa.py) against RFC 9474's own test vector (Appendix A.3,
RSABSSA-SHA384-PSS-Deterministic, the variant Privacy Pass uses), and the vendored browser client
(@cloudflare/blindrsa-ts) against the same vector and against our signer, run under Node.js."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from crypto import blindrsa
from crypto.encoding import b64url_encode
from crypto.errors import SignatureInvalid


def _hex(text: str) -> bytes:
    digits = "".join(text.split())
    return bytes.fromhex(digits.zfill(len(digits) + len(digits) % 2))  # the RFC prints d with 1,023 digits


# RFC 9474, Appendix A.3 (RSABSSA-SHA384-PSS-Deterministic Test Vector), as printed (its salt and
# encoded_msg are left out: the salt is the blinder's, and encoded_msg = sig^e mod n is checked below).
A1 = {
    "p": """e1f4d7a34802e27c7392a3cea32a262a34dc3691bd87f3f310dc756734889305
59c120fd0410194fb8a0da55bd0b81227e843fdca6692ae80e5a5d414116d4803fca
7d8c30eaaae57e44a1816ebb5c5b0606c536246c7f11985d731684150b63c9a3ad9e
41b04c0b5b27cb188a692c84696b742a80d3cd00ab891f2457443dadfeba6d6daf10
8602be26d7071803c67105a5426838e6889d77e8474b29244cefaf418e381b312048
b457d73419213063c60ee7b0d81820165864fef93523c9635c22210956e53a8d9632
2493ffc58d845368e2416e078e5bcb5d2fd68ae6acfa54f9627c42e84a9d3f277401
7e32ebca06308a12ecc290c7cd1156dcccfb2311""",
    "q": """c601a9caea66dc3835827b539db9df6f6f5ae77244692780cd334a006ab353c8
06426b60718c05245650821d39445d3ab591ed10a7339f15d83fe13f6a3dfb20b945
2c6a9b42eaa62a68c970df3cadb2139f804ad8223d56108dfde30ba7d367e9b0a7a8
0c4fdba2fd9dde6661fc73fc2947569d2029f2870fc02d8325acf28c9afa19ecf962
daa7916e21afad09eb62fe9f1cf91b77dc879b7974b490d3ebd2e95426057f35d0a3
c9f45f79ac727ab81a519a8b9285932d9b2e5ccd347e59f3f32ad9ca359115e7da00
8ab7406707bd0e8e185a5ed8758b5ba266e8828f8d863ae133846304a2936ad7bc7c
9803879d2fc4a28e69291d73dbd799f8bc238385""",
    "n": """aec4d69addc70b990ea66a5e70603b6fee27aafebd08f2d94cbe1250c556e047
a928d635c3f45ee9b66d1bc628a03bac9b7c3f416fe20dabea8f3d7b4bbf7f963be3
35d2328d67e6c13ee4a8f955e05a3283720d3e1f139c38e43e0338ad058a9495c533
77fc35be64d208f89b4aa721bf7f7d3fef837be2a80e0f8adf0bcd1eec5bb040443a
2b2792fdca522a7472aed74f31a1ebe1eebc1f408660a0543dfe2a850f106a617ec6
685573702eaaa21a5640a5dcaf9b74e397fa3af18a2f1b7c03ba91a6336158de420d
63188ee143866ee415735d155b7c2d854d795b7bc236cffd71542df34234221a0413
e142d8c61355cc44d45bda94204974557ac2704cd8b593f035a5724b1adf442e78c5
42cd4414fce6f1298182fb6d8e53cef1adfd2e90e1e4deec52999bdc6c29144e8d52
a125232c8c6d75c706ea3cc06841c7bda33568c63a6c03817f722b50fcf898237d78
8a4400869e44d90a3020923dc646388abcc914315215fcd1bae11b1c751fd52443aa
c8f601087d8d42737c18a3fa11ecd4131ecae017ae0a14acfc4ef85b83c19fed33cf
d1cd629da2c4c09e222b398e18d822f77bb378dea3cb360b605e5aa58b20edc29d00
0a66bd177c682a17e7eb12a63ef7c2e4183e0d898f3d6bf567ba8ae84f84f1d23bf8
b8e261c3729e2fa6d07b832e07cddd1d14f55325c6f924267957121902dc19b3b329
48bdead5""",
    "e": "010001",
    "d": """d43242aefe1fb2c13fbc66e20b678c4336d20b1808c558b6e62ad16a28707718
0b177e1f01b12f9c6cd6c52630257ccef26a45135a990928773f3bd2fc01a313f1da
c97a51cec71cb1fd7efc7adffdeb05f1fb04812c924ed7f4a8269925dad88bd7dcfb
c4ef01020ebfc60cb3e04c54f981fdbd273e69a8a58b8ceb7c2d83fbcbd6f784d052
201b88a9848186f2a45c0d2826870733e6fd9aa46983e0a6e82e35ca20a439c5ee7b
502a9062e1066493bdadf8b49eb30d9558ed85abc7afb29b3c9bc644199654a46766
81af4babcea4e6f71fe4565c9c1b85d9985b84ec1abf1a820a9bbebee0df1398aae2
c85ab580a9f13e7743afd3108eb32100b870648fa6bc17e8abac4d3c99246b1f0ea9
f7f93a5dd5458c56d9f3f81ff2216b3c3680a13591673c43194d8e6fc93fc1e37ce2
986bd628ac48088bc723d8fbe293861ca7a9f4a73e9fa63b1b6d0074f5dea2a624c5
249ff3ad811b6255b299d6bc5451ba7477f19c5a0db690c3e6476398b1483d10314a
fd38bbaf6e2fbdbcd62c3ca9797a420ca6034ec0a83360a3ee2adf4b9d4ba29731d1
31b099a38d6a23cc463db754603211260e99d19affc902c915d7854554aabf608e3a
c52c19b8aa26ae042249b17b2d29669b5c859103ee53ef9bdc73ba3c6b537d5c34b6
d8f034671d7f3a8a6966cc4543df223565343154140fd7391c7e7be03e241f4ecfeb
877a051""",
    "msg": """8f3dc6fb8c4a02f4d6352edf0907822c1210a9b32f9bdda4c45a698c80023a
a6b59f8cfec5fdbb36331372ebefedae7d""",
    "inv": """80682c48982407b489d53d1261b19ec8627d02b8cda5336750b8cee332ae26
0de57b02d72609c1e0e9f28e2040fc65b6f02d56dbd6aa9af8fde656f70495dfb723
ba01173d4707a12fddac628ca29f3e32340bd8f7ddb557cf819f6b01e445ad96f874
ba235584ee71f6581f62d4f43bf03f910f6510deb85e8ef06c7f09d9794a008be7ff
2529f0ebb69decef646387dc767b74939265fec0223aa6d84d2a8a1cc912d5ca25b4
e144ab8f6ba054b54910176d5737a2cff011da431bd5f2a0d2d66b9e70b39f4b050e
45c0d9c16f02deda9ddf2d00f3e4b01037d7029cd49c2d46a8e1fc2c0c17520af1f4
b5e25ba396afc4cd60c494a4c426448b35b49635b337cfb08e7c22a39b256dd032c0
0adddafb51a627f99a0e1704170ac1f1912e49d9db10ec04c19c58f420212973e0cb
329524223a6aa56c7937c5dffdb5d966b6cd4cbc26f3201dd25c80960a1a111b3294
7bb78973d269fac7f5186530930ed19f68507540eed9e1bab8b00f00d8ca09b3f099
aae46180e04e3584bd7ca054df18a1504b89d1d1675d0966c4ae1407be325cdf623c
f13ff13e4a28b594d59e3eadbadf6136eee7a59d6a444c9eb4e2198e8a974f27a39e
b63af2c9af3870488b8adaad444674f512133ad80b9220e09158521614f1faadfe85
05ef57b7df6813048603f0dd04f4280177a11380fbfc861dbcbd7418d62155248dad
5fdec0991f""",
    "blinded_msg": """10c166c6a711e81c46f45b18e5873cc4f494f003180dd7f115585d
871a28930259654fe28a54dab319cc5011204c8373b50a57b0fdc7a678bd74c52325
9dfe4fd5ea9f52f170e19dfa332930ad1609fc8a00902d725cfe50685c95e5b2968c
9a2828a21207fcf393d15f849769e2af34ac4259d91dfd98c3a707c509e1af55647e
faa31290ddf48e0133b798562af5eabd327270ac2fb6c594734ce339a14ea4fe1b9a
2f81c0bc230ca523bda17ff42a377266bc2778a274c0ae5ec5a8cbbe364fcf0d2403
f7ee178d77ff28b67a20c7ceec009182dbcaa9bc99b51ebbf13b7d542be337172c64
74f2cd3561219fe0dfa3fb207cff89632091ab841cf38d8aa88af6891539f263adb8
eac6402c41b6ebd72984e43666e537f5f5fe27b2b5aa114957e9a580730308a5f5a9
c63a1eb599f093ab401d0c6003a451931b6d124180305705845060ebba6b0036154f
cef3e5e9f9e4b87e8f084542fd1dd67e7782a5585150181c01eb6d90cb9588383738
4a5b91dbb606f266059ecc51b5acbaa280e45cfd2eec8cc1cdb1b7211c8e14805ba6
83f9b78824b2eb005bc8a7d7179a36c152cb87c8219e5569bba911bb32a1b923ca83
de0e03fb10fba75d85c55907dda5a2606bf918b056c3808ba496a4d95532212040a5
f44f37e1097f26dc27b98a51837daa78f23e532156296b64352669c94a8a855acf30
533d8e0594ace7c442""",
    "blind_sig": """364f6a40dbfbc3bbb257943337eeff791a0f290898a6791283bba581
d9eac90a6376a837241f5f73a78a5c6746e1306ba3adab6067c32ff69115734ce014
d354e2f259d4cbfb890244fd451a497fe6ecf9aa90d19a2d441162f7eaa7ce3fc4e8
9fd4e76b7ae585be2a2c0fd6fb246b8ac8d58bcb585634e30c9168a434786fe5e0b7
4bfe8187b47ac091aa571ffea0a864cb906d0e28c77a00e8cd8f6aba4317a8cc7bf3
2ce566bd1ef80c64de041728abe087bee6cadd0b7062bde5ceef308a23bd1ccc154f
d0c3a26110df6193464fc0d24ee189aea8979d722170ba945fdcce9b1b4b63349980
f3a92dc2e5418c54d38a862916926b3f9ca270a8cf40dfb9772bfbdd9a3e0e089236
9c18249211ba857f35963d0e05d8da98f1aa0c6bba58f47487b8f663e395091275f8
2941830b050b260e4767ce2fa903e75ff8970c98bfb3a08d6db91ab1746c86420ee2
e909bf681cac173697135983c3594b2def673736220452fde4ddec867d40ff42dd3d
a36c84e3e52508b891a00f50b4f62d112edb3b6b6cc3dbd546ba10f36b03f06c0d82
aeec3b25e127af545fac28e1613a0517a6095ad18a98ab79f68801e05c175e15bae2
1f821e80c80ab4fdec6fb34ca315e194502b8f3dcf7892b511aee45060e3994cd15e
003861bc7220a2babd7b40eda03382548a34a7110f9b1779bf3ef6011361611e6bc5
c0dc851e1509de1a""",
    "sig": """6fef8bf9bc182cd8cf7ce45c7dcf0e6f3e518ae48f06f3c670c649ac737a8b
8119a34d51641785be151a697ed7825fdfece82865123445eab03eb4bb91cecf4d69
51738495f8481151b62de869658573df4e50a95c17c31b52e154ae26a04067d5ecdc
1592c287550bb982a5bb9c30fd53a768cee6baabb3d483e9f1e2da954c7f4cf492fe
3944d2fe456c1ecaf0840369e33fb4010e6b44bb1d721840513524d8e9a3519f40d1
b81ae34fb7a31ee6b7ed641cb16c2ac999004c2191de0201457523f5a4700dd64926
7d9286f5c1d193f1454c9f868a57816bf5ff76c838a2eeb616a3fc9976f65d4371de
ecfbab29362caebdff69c635fe5a2113da4d4d8c24f0b16a0584fa05e80e607c5d9a
2f765f1f069f8d4da21f27c2a3b5c984b4ab24899bef46c6d9323df4862fe51ce300
fca40fb539c3bb7fe2dcc9409e425f2d3b95e70e9c49c5feb6ecc9d43442c33d5000
3ee936845892fb8be475647da9a080f5bc7f8a716590b3745c2209fe05b17992830c
e15f32c7b22cde755c8a2fe50bd814a0434130b807dc1b7218d4e85342d70695a5d7
f29306f25623ad1e8aa08ef71b54b8ee447b5f64e73d09bdd6c3b7ca224058d7c67c
c7551e9241688ada12d859cb7646fbd3ed8b34312f3b49d69802f0eaa11bc4211c2f
7a29cd5c01ed01a39001c5856fab36228f5ee2f2e1110811872fe7c865c42ed59029
c706195d52""",
}
V = {name: _hex(value) for name, value in A1.items()}
INT = {name: int.from_bytes(V[name], "big") for name in ("p", "q", "n", "e", "d", "inv")}


def vector_key() -> rsa.RSAPrivateKey:
    p, q, d, e = INT["p"], INT["q"], INT["d"], INT["e"]
    public = rsa.RSAPublicNumbers(e, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), public).private_key(
        unsafe_skip_rsa_key_validation=False
    )


def test_the_vector_is_transcribed_whole():
    assert INT["p"] * INT["q"] == INT["n"]
    assert len(V["msg"]) == 48
    assert len(V["sig"]) == len(V["blinded_msg"]) == len(V["blind_sig"]) == 512


def test_blind_signing_the_vectors_blinded_message_gives_the_vectors_blind_signature():
    assert blindrsa.blind_sign(vector_key(), V["blinded_msg"]) == V["blind_sig"]


def test_unblinding_the_vectors_blind_signature_gives_its_signature():
    # RFC 9474 §4.4 Finalize, step 3: s = blind_sig * inv mod n (the phone's step, checked here).
    s = int.from_bytes(V["blind_sig"], "big") * INT["inv"] % INT["n"]
    assert s.to_bytes(512, "big") == V["sig"]


def test_the_vectors_signature_verifies_over_its_message():
    blindrsa.verify(vector_key().public_key(), V["msg"], V["sig"])


def test_a_signature_over_another_message_or_under_another_key_is_refused():
    key = vector_key().public_key()
    with pytest.raises(SignatureInvalid):
        blindrsa.verify(key, V["msg"][:-1], V["sig"])  # another message
    with pytest.raises(SignatureInvalid):
        blindrsa.verify(key, V["msg"], V["sig"][:-1] + bytes([V["sig"][-1] ^ 1]))
    other = blindrsa.BlindKey.generate(2048).private.public_key()
    with pytest.raises(SignatureInvalid):
        blindrsa.verify(other, V["msg"], V["sig"][:256])


def test_blind_signing_refuses_a_message_of_the_wrong_size_or_not_below_the_modulus():
    key = vector_key()
    with pytest.raises(blindrsa.BlindSigningError):
        blindrsa.blind_sign(key, V["blinded_msg"][1:])
    with pytest.raises(blindrsa.BlindSigningError):
        blindrsa.blind_sign(key, b"\xff" * 512)


def test_the_public_jwk_round_trips_and_names_the_key_by_its_thumbprint():
    key = vector_key()
    jwk = blindrsa.public_jwk(key.public_key())
    assert jwk["e"] == "AQAB"
    assert blindrsa.load_public(jwk).public_numbers() == key.public_key().public_numbers()
    assert blindrsa.rsa_thumbprint(jwk) == blindrsa.rsa_thumbprint(dict(reversed(list(jwk.items()))))


# --- the vendored browser client under Node.js -------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
BUNDLE = ROOT / "webapp" / "static" / "js" / "vendor" / "blindrsa-0.4.4.min.js"
NODE = shutil.which("node")
NODE_HOWTO = "node (Node.js >= 20) is not on PATH: the browser client's tests are skipped; CI runs them."

CLIENT = r"""
const fs = require("fs"); const vm = require("vm");
const ctx = { crypto: globalThis.crypto, TextEncoder, Uint8Array, console };
vm.createContext(ctx); vm.runInContext(fs.readFileSync(process.argv[2], "utf8"), ctx);
const { RSABSSA } = ctx.BlindRSATs;
const hex = (s) => Uint8Array.from(s.match(/../g).map((h) => parseInt(h, 16)));
const tohex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const input = JSON.parse(fs.readFileSync(0, "utf8"));
(async () => {
  const suite = RSABSSA.SHA384.PSS.Deterministic();
  const key = await crypto.subtle.importKey("jwk", input.jwk, { name: "RSA-PSS", hash: "SHA-384" }, true, ["verify"]);
  if (input.step === "finalize") {
    const sig = await suite.finalize(key, hex(input.prepared), hex(input.blind_sig), hex(input.inv));
    console.log(JSON.stringify({ sig: tohex(sig) }));
  } else if (input.step === "blind") {
    const prepared = suite.prepare(hex(input.msg));
    const { blindedMsg, inv } = await suite.blind(key, prepared);
    console.log(JSON.stringify({ prepared: tohex(prepared), blinded: tohex(blindedMsg), inv: tohex(inv) }));
  }
})().catch((e) => { console.error(String(e)); process.exit(1); });
"""


@pytest.fixture(scope="module")
def node() -> str:
    if not NODE:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(NODE_HOWTO)
        pytest.skip(NODE_HOWTO)
    return NODE


def _client(node: str, tmp_path: Path, payload: dict) -> dict:
    script = tmp_path / "client.cjs"
    script.write_text(CLIENT)
    done = subprocess.run([node, str(script), str(BUNDLE)], input=json.dumps(payload), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_browser_client_finalizes_the_vectors_blind_signature_into_its_signature(node, tmp_path):
    jwk = blindrsa.public_jwk(vector_key().public_key())
    out = _client(
        node,
        tmp_path,
        {"step": "finalize", "jwk": jwk, "prepared": V["msg"].hex(), "blind_sig": V["blind_sig"].hex(), "inv": V["inv"].hex()},
    )
    assert bytes.fromhex(out["sig"]) == V["sig"]


def test_a_token_blinded_by_the_browser_client_and_signed_by_our_signer_verifies(node, tmp_path):
    key = blindrsa.BlindKey.generate(2048)
    jwk = key.public_jwk()
    blinded = _client(node, tmp_path, {"step": "blind", "jwk": jwk, "msg": b"evaluation answer".hex()})
    blind_sig = blindrsa.blind_sign(key.private, bytes.fromhex(blinded["blinded"]))
    out = _client(
        node,
        tmp_path,
        {"step": "finalize", "jwk": jwk, "prepared": blinded["prepared"], "blind_sig": blind_sig.hex(), "inv": blinded["inv"]},
    )
    prepared = bytes.fromhex(blinded["prepared"])
    assert prepared == b"evaluation answer"  # the deterministic variant prepares nothing
    blindrsa.verify(key.private.public_key(), prepared, bytes.fromhex(out["sig"]))
    assert b64url_encode(prepared) != b64url_encode(bytes.fromhex(blinded["blinded"]))
