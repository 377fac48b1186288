"""Issue 17 item 9: a ballot belongs to the registration whose key signed it, never to the
session that carried it to the server."""

from __future__ import annotations

from sqlalchemy import select

from tests.factories import TITLES
from webapp.devices.models import DeviceKey
from webapp.voting.models import Ballot


def _registration_of(s, label: str) -> int:
    return s.db.scalar(select(DeviceKey.registration_id).where(DeviceKey.kid == s.devices[label].signer.kid))


def _choices(s) -> dict:
    ids = s.item_ids()
    return {ids[TITLES["statute"]]: "disagree", ids[TITLES["election"]]: [s.options(TITLES["election"])[1]]}


def test_a_ballot_relayed_by_another_owners_session_is_the_signers_and_hidden_from_the_relayer(voting):
    s = voting
    body = s.ballot("1-101", _choices(s))  # signed on 张三's phone
    s.sign_in("1-102")  # 李四's session carries it
    code, answer = s.cast(body)
    assert code == 201, answer
    s.db.expire_all()
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id))
    assert ballot.registration_id == _registration_of(s, "1-101")
    relayer_page = s.client.get(answer["next"]).get_data(as_text=True)
    assert "您的选择" not in relayer_page
    s.sign_in("1-101")
    signer_page = s.client.get(answer["next"]).get_data(as_text=True)
    assert "您的选择" in signer_page


def test_a_relayed_ballot_on_the_full_path_is_the_signers_too(voting, monkeypatch):
    from webapp.voting import routes

    s = voting
    monkeypatch.setattr(routes, "cast_fast", lambda *args, **kwargs: None)  # every ballot takes cast_online
    body = s.ballot("1-101", _choices(s))
    s.sign_in("1-102")
    code, answer = s.cast(body)
    assert code == 201, answer
    s.db.expire_all()
    ballot = s.db.scalar(select(Ballot).where(Ballot.assembly_id == s.assembly_id))
    assert ballot.registration_id == _registration_of(s, "1-101")
