"""Owners sign one petition at the same moment: every signature is a leaf of its own, the leaf
indexes follow each other, a member's two requests yield one signature, and the log verifies."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from crypto import petition as cp


def post_all(app, path: str, bodies: list[dict]) -> list[tuple[int, dict]]:
    start = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def submit(n: int) -> None:
        client = app.test_client()
        start.wait()
        try:
            response = client.post(path, json=bodies[n])
            results[n] = (response.status_code, response.get_json())
        except Exception as exc:  # reported by the assertions
            results[n] = (0, {"error": repr(exc)})

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_signatures_at_the_same_moment_each_take_a_leaf_and_one_member_signs_once(crowd):
    from webapp.core.db import db
    from webapp.estates.operations import get_estate
    from webapp.owners.models import Registration
    from webapp.petitions import operations as ops
    from webapp.petitions.models import Petition
    from webapp.rolls.models import RollEntry

    app, built = crowd
    with app.app_context():
        estate = get_estate(built.estate_slug)
        estate.petition_area_percent = estate.petition_heads_percent = 20
        refs = dict(db.session.execute(select(RollEntry.member, RollEntry.member_ref)).all())
        by_ref = {r.member_ref: r for r in db.session.scalars(select(Registration).where(Registration.can_vote.is_(True)))}
        signers = {refs[m]: s for m, s in built.voters.items() if refs.get(m) in by_ref}
        starter = next(iter(signers))
        petition = ops.start(
            estate, by_ref[starter], subject="更换电梯", text_="", category=7, pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"]
        )
        db.session.commit()
        members = {m.member_ref: m.member for m in petition.members}
        path = f"/api/v1/p/{estate.slug}/petitions/{petition.seq}/signatures"
        log_id, digest, petition_id = petition.log_id, petition.digest, petition.id
        # Few enough not to reach 20% of the heads: every one of them must be taken.
        chosen = list(signers)[: max(2, len(members) // 5 - 1)]
    bodies = []
    for ref in chosen:
        text, sig = cp.sign_signature(signers[ref], cp.make_signature(log_id, digest, members[ref]))
        bodies.append({"signature": text, "kid": signers[ref].kid, "sig": sig})
    twice = chosen[0]
    text, sig = cp.sign_signature(signers[twice], cp.make_signature(log_id, digest, members[twice]))
    bodies.append({"signature": text, "kid": signers[twice].kid, "sig": sig})  # the same member, another nonce
    results = post_all(app, path, bodies)
    accepted = [r for r in results if r[0] == 201]
    refused = [r for r in results if r[0] != 201]
    assert all(code == 409 for code, _ in refused), refused
    retry = [
        body for body, (code, answer) in zip(bodies, results, strict=True) if code == 409 and "再点一次" in (answer or {}).get("error", "")
    ]
    for body in retry:  # (SQLite only: no row lock, the loser of a leaf is asked to sign again)
        assert post_all(app, path, [body])[0][0] in (201, 409)
    with app.app_context():
        petition = db.session.get(Petition, petition_id)
        indexes = sorted(s.leaf_index for s in petition.signatures)
        assert indexes == list(range(len(indexes)))
        assert len({s.member for s in petition.signatures}) == len(indexes)
        assert len(indexes) == len(chosen)  # everyone once; the member who sent two, once
        assert len(accepted) >= 1
        checked = cp.verify_export(json.loads(json.dumps(ops.export(petition))))
        assert checked.signatures == len(chosen)
        assert checked.state == "open"
