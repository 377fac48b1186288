"""The petition format and its checker (crypto/petition.py, docs/petition-format.md): an export
that follows the rules verifies; each way of breaking one is named."""

from __future__ import annotations

import copy
import json

import pytest

from crypto import petition as pt
from crypto.errors import CryptoError, FormatError, SignatureInvalid
from crypto.keys import generate_ed25519, generate_p256
from crypto.merkle import MerkleLog
from crypto.serverkeys import key_record
from crypto.treehead import make_receipt

OPENED = 1_780_000_000_000
DAY = 86_400_000
# Eight members; 20% needs 2 heads and 184.00 m² of 920.00.
AREAS = {"M-A": 6000, "M-B": 6000, "M-C": 10000, "M-D": 10000, "M-E": 10000, "M-F": 10000, "M-G": 20000, "M-H": 20000}


class Built:
    def __init__(self, server=None, area_percent: int = 20, heads_percent: int = 20):
        self.server = server or generate_ed25519()
        self.members = [pt.member_entry(m, a, 1) for m, a in sorted(AREAS.items())]
        payload = pt.petition_payload(
            petition_id="qingyuan/petition-1",
            estate={"id": "1", "slug": "qingyuan", "name": "青苑小区"},
            subject="罢免业主委员会主任",
            text="主任长期不履职。",
            category=3,
            opened=OPENED,
            closes=OPENED + 30 * DAY,
            area_percent=area_percent,
            heads_percent=heads_percent,
            members=self.members,
        )
        self.petition = pt.sign_petition(self.server, payload)
        self.digest = pt.petition_digest(self.petition)
        self.entries: list[dict] = []
        self.heads = [self.head(OPENED)]
        self.phones = {m: generate_p256() for m in AREAS}

    def head(self, at: int, final: bool = False) -> dict:
        leaves = [pt.entry_leaf_hash(e) for e in self.entries]
        return pt.tree_head(self.server, "qingyuan/petition-1", self.digest, leaves, n=len(getattr(self, "heads", [])), at=at, final=final)

    def sign(self, member: str, at: int, *, phone=None, **overrides) -> dict:
        phone = phone or self.phones[member]
        doc = pt.make_signature(overrides.get("petition", "qingyuan/petition-1"), overrides.get("digest", self.digest), member)
        text, sig = pt.sign_signature(phone, doc)
        entry = pt.make_entry(text, phone.jwk, sig, at)
        self.entries.append(entry)
        self.heads.append(self.head(at))
        return entry

    def close(self, at: int) -> None:
        self.heads.append(self.head(at, final=True))

    def export(self, state: str = "open") -> dict:
        return {
            "type": pt.EXPORT_TYPE,
            "v": 1,
            "petition": self.petition,
            "members": self.members,
            "entries": self.entries,
            "tree_heads": self.heads,
            "state": state,
            "server_keys": [key_record(self.server.jwk, 0, None)],
        }


def succeeded() -> Built:
    b = Built()
    for n, m in enumerate(("M-A", "M-B", "M-C")):
        b.sign(m, OPENED + (n + 1) * DAY)
    b.close(OPENED + 3 * DAY)
    return b


def test_an_export_that_reached_both_shares_verifies_with_its_count():
    checked = pt.verify_export(succeeded().export("succeeded"))
    assert checked.state == "succeeded"
    assert (checked.progress.area, checked.progress.heads, checked.progress.total_area, checked.progress.total_heads) == (
        22000,
        3,
        92000,
        8,
    )
    assert checked.progress.area_needed == 18400
    assert checked.progress.heads_needed == 2


def test_two_small_members_meet_the_heads_but_not_the_area_so_the_petition_is_still_open():
    b = Built()
    b.sign("M-A", OPENED + DAY)
    b.sign("M-B", OPENED + DAY)
    checked = pt.verify_export(b.export("open"))
    assert checked.progress.heads_met
    assert not checked.progress.area_met
    assert checked.state == "open"


def test_the_share_is_at_least_the_figure_itself_by_exact_integers():
    # 20% of 920.00 m² is 184.00 exactly: 184.00 meets it, 183.99 does not.
    assert pt.progress([(18400, 2)], 92000, 8, 20, 20).area_met
    assert not pt.progress([(18399, 2)], 92000, 8, 20, 20).area_met
    assert pt.progress([(1, 1)], 5, 5, 20, 20).met  # 1 of 5 is 20% of each


def test_a_lapsed_export_verifies_and_says_lapsed():
    b = Built()
    b.sign("M-G", OPENED + DAY)  # the area, one head: not enough heads
    b.close(OPENED + 30 * DAY)
    assert pt.verify_export(b.export("lapsed")).state == "lapsed"


def test_an_export_marked_lapsed_before_its_window_ended_fails():
    b = Built()
    b.close(OPENED + DAY)
    with pytest.raises(FormatError, match="before its signing window ended"):
        pt.verify_export(b.export("lapsed"))


def test_a_share_above_the_statute_is_refused_with_the_article():
    assert "Art. 21" in pt.share_problem(25)
    assert pt.share_problem(20) is None
    with pytest.raises(FormatError, match="above the statute"):
        Built(area_percent=25)


def tampered(mutate) -> dict:
    export = copy.deepcopy(succeeded().export("succeeded"))
    mutate(export)
    return export


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda e: e["members"][0].update(area="70.00"), "root"),
        (lambda e: e["petition"].update(subject="别的事项"), "signature does not verify"),
        (lambda e: e["entries"][1].update(received=e["entries"][1]["received"] + 1), "does not have the root|received"),
        (lambda e: e["entries"][0].update(sig=e["entries"][1]["sig"]), "signature does not verify"),
        (lambda e: e.update(state="open"), "the count says succeeded"),
        (lambda e: e["tree_heads"].pop(), "final tree head|covers"),
        (lambda e: e["entries"].pop(), "covers"),
        (lambda e: e.update(server_keys=[key_record(generate_ed25519().jwk, 0, None)]), "not a server key"),
    ],
    ids=["member-area", "subject", "received", "swapped-sig", "state", "dropped-head", "dropped-entry", "other-server"],
)
def test_a_tampered_export_fails_with_the_reason(mutate, message):
    with pytest.raises(CryptoError, match=message):
        pt.verify_export(tampered(mutate))


def test_a_second_signature_by_the_same_member_fails_the_check():
    b = Built()
    b.sign("M-G", OPENED + DAY)
    b.sign("M-G", OPENED + DAY)
    with pytest.raises(FormatError, match="signed already"):
        pt.verify_export(b.export("open"))


def test_a_signature_by_someone_not_on_the_list_fails_the_check():
    b = Built()
    b.sign("M-Z", OPENED + DAY, phone=generate_p256())
    with pytest.raises(FormatError, match="not a member"):
        pt.verify_export(b.export("open"))


def test_a_signature_for_another_petition_fails_the_check():
    b = Built()
    b.sign("M-G", OPENED + DAY, petition="beiyuan/petition-1")
    with pytest.raises(FormatError, match="another petition"):
        pt.verify_export(b.export("open"))


def test_a_signature_accepted_after_both_shares_were_met_fails_the_check():
    b = Built()
    for m in ("M-A", "M-B", "M-C", "M-D"):
        b.sign(m, OPENED + DAY)
    b.close(OPENED + DAY)
    with pytest.raises(FormatError, match="signing had ended"):
        pt.verify_export(b.export("succeeded"))


def test_a_signature_after_the_window_fails_the_check():
    b = Built()
    b.sign("M-G", OPENED + 31 * DAY)
    with pytest.raises(FormatError, match="outside the signing window"):
        pt.verify_export(b.export("open"))


def test_a_pinned_server_key_excludes_any_other():
    export = succeeded().export("succeeded")
    with pytest.raises(FormatError, match="pinned"):
        pt.verify_export(export, pinned=[generate_ed25519().kid])
    assert pt.verify_export(export, pinned=[export["server_keys"][0]["kid"]]).state == "succeeded"


def receipt_for(b: Built, index: int) -> dict:
    log = MerkleLog()
    log.extend_leaf_hashes(pt.entry_leaf_hash(e) for e in b.entries)
    head = b.heads[-1]
    return make_receipt(head, index, pt.entry_leaf_hash(b.entries[index]), log.inclusion_proof(index, head["size"]))


def test_a_signers_receipt_is_checked_against_the_log_and_a_forged_one_fails():
    b = succeeded()
    assert pt.verify_export(b.export("succeeded"), [receipt_for(b, 1)]).receipts == 1
    forged = receipt_for(b, 1)
    forged["index"] = 0
    with pytest.raises(CryptoError):
        pt.verify_export(b.export("succeeded"), [forged])


def test_the_command_says_ok_on_a_good_export_and_fails_on_a_tampered_one(tmp_path, capsys):
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps(succeeded().export("succeeded"), ensure_ascii=False))
    bad.write_text(json.dumps(tampered(lambda e: e["members"][2].update(heads=2)), ensure_ascii=False))
    assert pt.main([str(good)]) == 0
    out = capsys.readouterr().out
    assert "OK" in out
    assert "3 of 8 members signed" in out
    assert "succeeded" in out
    assert pt.main([str(bad)]) == 1
    assert "FAILED" in capsys.readouterr().err


def test_an_entry_whose_key_is_not_its_own_thumbprint_fails():
    b = Built()
    entry = b.sign("M-G", OPENED + DAY)
    entry["kid"] = generate_p256().kid
    with pytest.raises((SignatureInvalid, FormatError)):
        pt.verify_entry(entry)
