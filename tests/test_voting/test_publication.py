"""Batches that hide the order (issue 19, item 3): the sequencer puts a batch's leaves in random
order, and while voting is open the public sees who has voted, and the log's tree heads, only in
batches of at least the estate's ``publish_batch`` ballots."""

from __future__ import annotations

import re
from datetime import timedelta
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from tests.factories import TITLES, signed_body, statements_with

UNIT = re.compile(r'<td class="unit"[^>]*>([^<]+)</td>')


@settings(deadline=None)  # (the first example imports the app)
@given(st.lists(st.integers(min_value=0, max_value=6), max_size=40), st.integers(min_value=1, max_value=12), st.booleans())
def test_published_heads_are_a_batch_apart_except_the_first_and_the_final(steps, batch, closed):
    from webapp.voting.publication import published

    sizes, size = [0], 0
    for step in steps:
        size += step
        sizes.append(size)
    heads = [SimpleNamespace(size=s, final=closed and n == len(sizes) - 1) for n, s in enumerate(sizes)]
    shown = published(heads, batch, open_=True)
    assert shown[0] is heads[0]
    for before, after in zip(shown, shown[1:], strict=False):
        assert after.final or after.size - before.size >= batch
    if closed:
        assert shown[-1] is heads[-1]
    # nothing a batch past the last one shown is held back
    assert all(h.size - shown[-1].size < batch for h in heads if h.size > shown[-1].size)
    assert published(heads, batch, open_=False) == heads


@settings(deadline=None)
@given(st.lists(st.sampled_from("abcdef"), max_size=30))
def test_a_batch_is_shuffled_but_one_members_ballots_keep_their_order(members):
    from webapp.voting.log import batch_order

    rows = [(n, m) for n, m in enumerate(members)]
    ordered = batch_order(rows, member=lambda row: row[1])
    assert sorted(ordered) == rows
    for m in set(members):
        assert [row[0] for row in ordered if row[1] == m] == [row[0] for row in rows if row[1] == m]


def _snapshot(client, slug: str, assembly_id: int) -> tuple[set[str], list[int]]:
    page = client.get(f"/p/{slug}/a/{assembly_id}/turnout").get_data(as_text=True)
    heads = client.get(f"/p/{slug}/a/{assembly_id}/log/heads.json").get_json()
    return set(UNIT.findall(page)), [h["size"] for h in heads]


def test_polling_the_turnout_and_heads_cannot_tie_a_unit_to_fewer_leaves_than_a_batch(voting_pg):
    """The probe of issue 19, rerun: poll the public turnout and ``heads.json`` after every
    ballot (as often as anything can change, with the sequencer integrating each ballot on its
    own); then, with the final log, every unit can still be any of at least a batch's leaves."""
    from webapp.assemblies.models import Assembly
    from webapp.core import db as database
    from webapp.core.db import db
    from webapp.estates.models import Estate
    from webapp.voting.publication import shown
    from webapp.voting.sequencer import run_once
    from webapp.voting.turnout import units_by_member

    app, built = voting_pg
    batch, voters = 5, 23
    with app.app_context():
        assembly = db.session.get(Assembly, built.assembly_id)
        slug, estate_id = assembly.estate.slug, assembly.estate_id
        db.session.execute(update(Estate).where(Estate.id == estate_id).values(publish_batch=batch))
        db.session.commit()
    client = app.test_client()
    taken = {b.member for b in _ballots(app, built.assembly_id)}
    chosen = [(m, s) for m, s in sorted(built.voters.items()) if m not in taken][:voters]
    polls = [_snapshot(client, slug, built.assembly_id)]
    for member, signer in chosen:
        response = client.post(f"/api/v1/a/{built.assembly_id}/ballots", json=signed_body(app, built, member, signer, {}))
        assert response.status_code == 201, response.get_json()
        with app.app_context():
            run_once()
        polls.append(_snapshot(client, slug, built.assembly_id))
    for _, sizes in polls:
        assert all(b - a >= batch for a, b in zip(sizes, sizes[1:], strict=False))  # heads shown a batch apart
    with app.app_context():  # the close, by the database's clock
        db.session.execute(
            update(Assembly).where(Assembly.id == built.assembly_id).values(closes_at=database.db_now() - timedelta(seconds=1))
        )
        db.session.commit()
        run_once()
        assembly = db.session.get(Assembly, built.assembly_id)
        assert assembly.state == "closed"
        pub = shown(assembly)
        unit_member = {label: member for member, units in units_by_member(assembly).items() for label, _ in units}
    final_units, _ = _snapshot(client, slug, built.assembly_id)
    polls.append((final_units, []))
    leaf_of = {b.member: b.leaf_index for b in _ballots(app, built.assembly_id) if b.member in dict(chosen)}
    seen: set[str] = set(polls[0][0])
    sizes_seen = [max(polls[0][1], default=0)]
    smallest = None
    for units, sizes in polls[1:]:
        new = units - seen
        if new:
            low, high = sizes_seen[-1], (max(sizes) if sizes else pub.integrated)
            for label in new:
                leaf = leaf_of[unit_member[label]]
                assert low <= leaf < high, (label, leaf, low, high)
            if sizes:  # while voting: a whole batch
                assert high - low >= batch, (low, high)
            smallest = high - low if smallest is None else min(smallest, high - low)
            sizes_seen.append(high)
            seen |= new
    assert {unit_member[u] for u in seen - polls[0][0]} == set(leaf_of)
    assert pub.last_batch == voters % batch  # the last batch before the close: smaller, and said
    page = client.get(f"/p/{slug}/a/{built.assembly_id}/turnout").get_data(as_text=True)
    assert f"最后一批只有 {voters % batch} 张" in page


def _ballots(app, assembly_id: int):
    from webapp.core.db import db
    from webapp.voting.models import Ballot

    with app.app_context():
        return list(db.session.scalars(select(Ballot).where(Ballot.assembly_id == assembly_id)))


def _head_reads(s, path: str) -> tuple[int, object]:
    return statements_with(s.app, "FROM tree_heads", lambda: s.client.get(path))


def test_the_turnout_pages_read_the_logs_tree_heads_once(voting):
    # The public page is polled while voting is open; it read every tree head three times.
    s = voting
    ids = s.item_ids()
    s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [s.options(TITLES["election"])[0]]}))
    s.sequence()
    reads, response = _head_reads(s, f"/p/{s.estate.slug}/a/{s.assembly_id}/turnout")
    assert response.status_code == 200
    assert reads == 1
    s.as_staff("organiser")
    reads, response = _head_reads(s, f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/turnout")
    assert response.status_code == 200
    assert reads == 1


def _zhang_voted_and_shown(s):
    """张三 (1-101) has voted, and the public sees it at once (batches of one)."""
    from webapp.core.db import db
    from webapp.estates.models import Estate

    db.session.execute(update(Estate).where(Estate.id == s.estate.id).values(publish_batch=1))
    db.session.commit()
    ids = s.item_ids()
    s.sign_in("1-101")
    code, body = s.cast(s.ballot("1-101", {ids[TITLES["statute"]]: "agree"}))
    assert code == 201, body
    s.sequence()
    return s


def test_the_public_turnout_names_units_but_never_their_areas(voting):
    """The published roll pairs each pseudonym with its area and the bundle each pseudonym with
    its choices: a public list of units with their areas would join the two, and tell how a unit
    of unique area voted (a phone walk did so for 23 units). The public sees unit numbers only."""
    s = _zhang_voted_and_shown(voting)
    page = s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}/turnout").get_data(as_text=True)
    assert "1-101" in UNIT.findall(page)
    row = re.search(r"<tr><td class=\"unit\"[^>]*>1-101</td>(.*?)</tr>", page)
    assert row is not None
    assert row.group(1) == ""  # no cell beside the unit's number
    assert "Area (m²)" not in page


def test_an_owner_finds_their_unit_on_the_public_turnout(voting):
    s = _zhang_voted_and_shown(voting)
    base = f"/p/{s.estate.slug}/a/{s.assembly_id}/turnout"
    found = s.client.get(base + "?unit=%EF%BC%91-101").get_data(as_text=True)  # a full-width 1, as phones type it
    assert "1-101 在名单上" in found
    missing = s.client.get(base + "?unit=1-102").get_data(as_text=True)
    assert "1-102 不在名单上。已投票的房屋分批公布" in missing  # (no space after a Chinese full stop)
    assert "等下一批才显示" in missing  # voting is open: units come in batches


def test_a_unit_the_roll_does_not_have_is_called_a_typo_not_a_vote_still_to_show(voting):
    s = _zhang_voted_and_shown(voting)
    base = f"/p/{s.estate.slug}/a/{s.assembly_id}/turnout"
    typo = s.client.get(base + "?unit=99-9999").get_data(as_text=True)
    assert "本次会议的表决名册上没有 99-9999 这套房屋" in typo
    assert "不在名单上" not in typo
    assert "等下一批才显示" not in typo
