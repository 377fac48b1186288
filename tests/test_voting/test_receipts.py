"""A ballot sent again gets the receipt it got the first time; a second, different ballot of the
same member is refused, and the log and the audit trail hold the first one only."""

from __future__ import annotations

from tests.factories import TITLES


def test_a_ballot_sent_again_gets_its_promise_then_its_receipt_and_a_second_one_is_refused(voting):
    """The fast path takes only the common case; a repeat and a second ballot of the same member
    fall back to the full path, which answers as before."""
    from sqlalchemy import select

    from webapp.audit.models import AuditEvent
    from webapp.voting.models import Ballot

    s = voting
    ids = s.item_ids()
    s.sign_in("1-101")
    first = s.ballot("1-101", {ids[TITLES["statute"]]: "agree"})
    code, body = s.cast(first)
    assert code == 201, body
    code, again = s.cast(first)
    assert code == 200, again
    assert again["repeated"] is True, again
    assert again["promise"] == body["promise"], again
    assert "receipt" not in again  # not in the log yet
    s.sequence()
    code, third = s.cast(first)
    assert code == 200, third
    assert third["promise"] == body["promise"], third
    assert third["receipt"]["promise"] == body["promise"], third
    assert third["receipt"]["code"] == body["code"], third
    code, other = s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "disagree"}))
    assert code == 409, other
    assert "already" in other["error_en"], other
    ballots = list(s.db.scalars(select(Ballot).where(Ballot.assembly_id == s.assembly_id)))
    assert len(ballots) == 1
    assert ballots[0].leaf_index == 0
    events = list(s.db.scalars(select(AuditEvent).where(AuditEvent.action == "ballot.accept")))
    assert [e.object_id for e in events] == [str(ballots[0].id)]
    assert events[0].details == {"assembly": s.assembly_id, "channel": "online", "leaf_hash": ballots[0].leaf_hash}


# -- the receipt check page: a receipt of either version, a promise alone, or the code ----------

EVIDENCE_EN = "this signed promise is evidence against the server"
EVIDENCE_ZH = "这份有服务器签名的受理凭证是对服务器不利的证据"


def checked(s, *, code: str = "", pasted=None, english: bool = True) -> str:
    """The check page's answer, as text, to a typed code or a pasted receipt or promise."""
    import html
    import json
    import re

    if english:
        s.client.set_cookie("lang", "en", domain="ownersvote.test")
    try:
        body = {"code": code, "receipt": "" if pasted is None else json.dumps(pasted)}
        response = s.post(f"/p/{s.estate.slug}/a/{s.assembly_id}/check", body)
    finally:
        if english:
            s.client.delete_cookie("lang", domain="ownersvote.test")
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def cast_one(s):
    ids = s.item_ids()
    s.sign_in("1-101")
    code, body = s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "agree"}))
    assert code == 201, body
    return body


def test_a_ballot_accepted_and_not_yet_in_the_log_is_waiting_not_an_alarm(voting):
    s = voting
    body = cast_one(s)
    for page in (checked(s, code=body["code"]), checked(s, pasted=body["promise"])):
        assert "Your ballot is accepted and waits for the next batch of the public log" in page
        assert "The check did not pass" not in page
        assert "evidence against the server" not in page
    page = checked(s, pasted=body["promise"], english=False)
    assert "您的选票已被受理，正在等待下一批记入公开的投票记录" in page
    assert "服务器的受理凭证签名有效" in page


def test_a_version_3_receipt_and_a_promise_alone_pass_once_the_batch_is_in(voting):
    s = voting
    body = cast_one(s)
    s.sequence()
    receipt = s.receipt(body["code"])
    assert receipt["v"] == 3
    assert receipt["promise"] == body["promise"]
    for pasted in (receipt, body["promise"]):
        page = checked(s, pasted=pasted)
        assert "Your ballot is in the log." in page, page
        assert "the server's promise is validly signed" in page
        assert "the server kept its promise: tree head no. 1 covered your ballot" in page
        assert "✘" not in page
    page = checked(s, code=body["code"], english=False)
    # The receipt numbers the entry ("第 N 条") and the server its signatures ("第 n 次"): the
    # check page names both as such, and never the word 日志 an owner would not know.
    entry = f"公开投票记录第 {receipt['index'] + 1} 条"
    assert f"您的选票（{entry}）包含在" in page
    assert "服务器守约：它的第 1 次签名" in page
    assert "日志" not in page.split("供技术人员")[0]
    assert "✘" not in page
    # An owner reads this page: the Merkle tree's jargon stays in the technical sections.
    assert "树头" not in page


def test_a_version_2_receipt_still_passes(voting):
    s = voting
    body = cast_one(s)
    s.sequence()
    receipt = s.receipt(body["code"])
    old = {k: v for k, v in receipt.items() if k != "promise"} | {"v": 2}
    page = checked(s, pasted=old)
    assert "Your ballot is in the log." in page, page
    assert "the server's promise is validly signed" not in page  # a version 2 receipt has none
    assert "kept its promise" not in page
    assert "✘" not in page


def test_a_tampered_promise_fails_and_proves_nothing(voting):
    s = voting
    body = cast_one(s)
    s.sequence()
    promise = {**body["promise"], "deadline": body["promise"]["deadline"] + 3_600_000}
    page = checked(s, pasted=promise)
    assert "the promise itself does not verify: signature does not verify" in page
    assert "evidence against the server" not in page
    receipt = s.receipt(body["code"])
    page = checked(s, pasted={**receipt, "promise": promise})
    assert "the receipt itself does not verify: the receipt's promise: signature does not verify" in page


def test_a_promise_for_a_ballot_the_log_does_not_have_is_evidence_against_the_server(voting):
    import hashlib

    from crypto.promise import make_promise
    from webapp.core.serverkey import signer

    s = voting
    body = cast_one(s)
    s.sequence()
    leaf = hashlib.sha256(b"a ballot the server accepted and then lost").digest()
    accepted = body["promise"]["accepted"]
    promise = make_promise(signer(), s.assembly.log_id, leaf, accepted, accepted + 60_000)
    page = checked(s, pasted=promise)
    assert "the server promised to put this ballot in the log by" in page
    assert "and the log does not have it" in page
    assert EVIDENCE_EN in page
    assert "Keep what you checked: the server signed it, so it is evidence against the server." in page
    assert EVIDENCE_ZH in checked(s, pasted=promise, english=False)


def test_a_ballot_still_waiting_after_its_deadline_is_evidence_against_the_server(voting):
    s = voting
    body = cast_one(s)
    s.later(minutes=2)  # the promise said one minute; no sequencer ran
    page = checked(s, code=body["code"])
    assert "the promised deadline" in page
    assert "has passed and your ballot is still not in the log" in page
    assert EVIDENCE_EN in page
    assert "waits for the next batch" not in page


def test_a_ballot_integrated_after_its_deadline_is_a_broken_promise(voting):
    s = voting
    body = cast_one(s)
    s.later(minutes=2)
    s.sequence()  # late: the first tree head covering the ballot is signed after the deadline
    receipt = s.receipt(body["code"])
    page = checked(s, pasted=receipt)
    assert "Your ballot is in the log." not in page
    assert "the server broke its promise: the first tree head covering your ballot (no. 1) was signed at" in page
    assert EVIDENCE_EN in page
    page = checked(s, pasted=body["promise"], english=False)
    assert "服务器违背了承诺" in page
    assert EVIDENCE_ZH in page


def test_a_receipt_address_with_a_mistyped_code_leads_to_the_check_that_says_what_to_do(voting):
    s = voting
    body = cast_one(s)
    s.sequence()
    wrong = ("Z" if body["code"][0] != "Z" else "Y") + body["code"][1:]
    response = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/receipt/{wrong}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/p/{s.estate.slug}/a/{s.assembly_id}/check?code={wrong}")
    page = s.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "最常见的原因是抄错了一个字符" in page
    # The receipt's JSON (what the phone polls and programs read) still answers 404, not a page.
    assert s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/receipt/{wrong}.json").status_code == 404


def test_the_notice_offers_the_receipt_not_vote_now_to_an_owner_whose_household_has_voted(voting):
    s = voting
    notice = f"/p/{s.estate.slug}/a/{s.assembly_id}"
    s.sign_in("1-101")
    before = s.client.get(notice).get_data(as_text=True)
    assert ">立即投票</a>" in before
    body = cast_one(s)
    after = s.client.get(notice).get_data(as_text=True)
    assert ">立即投票</a>" not in after
    assert f"/receipt/{body['code']}" in after
    s.post("/logout")
    assert ">立即投票</a>" in s.client.get(notice).get_data(as_text=True)  # anyone else is still invited


def test_check_pressed_with_nothing_entered_says_what_to_enter(voting):
    page = checked(voting)
    assert "Type the tracking code from your receipt, or paste or upload the receipt file, then press Check." in page
    assert "The check did not pass" not in page


def test_a_code_typed_on_another_assemblys_page_points_to_its_own(voting):
    """An owner who voted in two assemblies types one's code on the other's check page: not a
    typing slip, and not a dead end."""
    from datetime import timedelta

    from webapp.assemblies.operations import AssemblyFields, prepare_draft
    from webapp.core.db import db, db_now

    s = voting
    body = cast_one(s)
    s.sequence()
    now = db_now()
    fields = AssemblyFields(
        title="2027年第一次业主大会", kind="regular", opens_at=now + timedelta(days=30), closes_at=now + timedelta(days=37)
    )
    other = prepare_draft(s.estate, fields, [], prepared_by="test", now=now)
    db.session.commit()
    response = s.post(f"/p/{s.estate.slug}/a/{other.id}/check", {"code": body["code"], "receipt": ""})
    html = response.get_data(as_text=True)
    assert "这个追踪码属于本小区另一场会议" in html
    assert "抄错了一个字符" not in html
    assert f'href="/p/{s.estate.slug}/a/{s.assembly_id}/check?code={body["code"]}"' in html
    # and there, the same code is found
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/check?code={body['code']}").get_data(as_text=True)
    assert 'class="flash flash-success"' in page
    assert "check-hint" not in page


def test_the_check_gives_todays_times_without_the_date_and_keeps_another_days_date_to_its_time(voting):
    from datetime import timedelta

    s = voting
    noon = (s.assembly.opens_at + timedelta(days=1)).replace(hour=4, minute=0, second=0, microsecond=0)  # 12:00 in Beijing
    s.at(noon)
    body = cast_one(s)
    page = checked(s, pasted=body["promise"], english=False)
    assert "服务器的受理凭证签名有效：12:00:" in page, page
    assert noon.strftime("%Y-%m-%d") not in page
    s.at(noon + timedelta(days=2))  # read two days later: the date comes with the time, never apart from it
    page = checked(s, pasted=body["promise"], english=False)
    assert f"服务器的受理凭证签名有效：{noon:%Y-%m-%d}\u00a012:00:" in page, page


def test_a_receipt_page_says_your_ballot_only_to_the_owner_whose_ballot_it_is(voting):
    """A receipt's address is shared (its code, its QR): to anyone else the page speaks of "this
    ballot", before the batch is in the log and after, in its text and in what its script says
    once it has checked the proof; "your ballot" only to the owner signed in."""
    import html

    s = voting
    body = cast_one(s)
    path = f"/p/{s.estate.slug}/a/{s.assembly_id}/receipt/{body['code']}"

    def page() -> str:
        """The page's text and what its script may show (its data- attributes) alike."""
        response = s.client.get(path)
        assert response.status_code == 200
        return html.unescape(response.get_data(as_text=True))

    for _stage in ("accepted", "in the log"):
        s.sign_in("1-101")
        assert "您的表决票" in page()
        s.post("/logout")
        anyone = page()
        assert "您的" not in anyone, anyone
        assert "这张表决票" in anyone
        s.sequence()
