"""An assembly from draft to archive, step by step, for the tests of assemblies, voting and results.

Clocks: the server's clock (``utcnow``) is moved with time-machine; the database's clock, which
decides whether a ballot is in time and when the log is sealed, follows it here through
``webapp.core.db.db_now`` (the tests of that clock itself use the real one).
"""

from __future__ import annotations

import io
import random
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from crypto import roll as croll
from crypto.ballot import make_ballot, sign_ballot
from crypto.keys import generate_ed25519
from tests.test_owners.conftest import LI_TAIL, ZHANG_TAIL, Device
from webapp.demo.registry import uscc

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# One generator for every bidder of a session: each call draws the next registration number.
_BIDDER_RNG = random.Random(7)


def csrf_of(client, url: str = "/") -> str:
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    return found.group(1)


class Scenario:
    """Drives one estate's assembly through its life as its people would."""

    def __init__(self, app, client, post, login, estate, staff, make_staff, db_session, monkeypatch):
        self.app, self.client, self.post, self.login = app, client, post, login
        self.estate, self.staff, self.db = estate, staff, db_session
        self.staff["organiser2"] = make_staff("organiser2", estate=estate, role="organiser")
        self.start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=40)
        self.traveller = time_machine.travel(self.start, tick=True)
        self.traveller.start()
        self.now = self.start
        from sqlalchemy import bindparam

        from webapp.core import db as database
        from webapp.core.db import UTCDateTime, utcnow

        monkeypatch.setattr(database, "db_now", lambda session=None: utcnow())
        monkeypatch.setattr(database, "db_clock", lambda: bindparam("test_clock", callable_=utcnow, type_=UTCDateTime()))
        self.assembly_id = None
        self.devices: dict[str, Device] = {}
        self.sup_keys = {"supervisor": generate_ed25519(), "supervisor2": generate_ed25519()}

    def at(self, when: datetime) -> None:
        self.traveller.stop()
        self.traveller = time_machine.travel(when, tick=True)
        self.traveller.start()
        self.now = when

    def later(self, **delta) -> None:
        self.at(self.now + timedelta(**delta))

    def stop(self) -> None:
        self.traveller.stop()

    # -- people -------------------------------------------------------------------------------

    def as_staff(self, username: str) -> None:
        self.post("/logout")
        self.login(username)

    def staff_key(self, username: str) -> str:
        signer = self.sup_keys[username]
        csrf = csrf_of(self.client, "/staff/keys")
        challenge = self.client.get("/device/challenge?purpose=staff-key").get_json()
        response = self.client.post(
            "/staff/keys",
            json={"jwk": signer.jwk, "signature": signer.sign_b64(challenge["message"].encode()), "challenge": challenge["challenge"]},
            headers={"X-CSRFToken": csrf},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return csrf

    def register_owner(self, label: str, name: str, tail: str) -> Device:
        from webapp.owners import operations as ops
        from webapp.registry.models import Unit

        self.post("/logout")
        unit = next(u for u in self.db.scalars(select(Unit).where(Unit.estate_id == self.estate.id)) if u.label == label)
        issued = ops.issue_letters(self.estate, [unit], actor=self.staff["organiser"], pii_key=self.app.config["OWNERSVOTE_PII_HMAC_KEY"])
        self.db.commit()
        self.client.get(f"/r/{issued[0].token}")
        self.post("/join", {"id-name": name, "id-id_tail": tail})
        device = Device(self.client)
        assert device.register().status_code == 200
        self.devices[label] = device
        self.post("/logout")
        return device

    def sign_in(self, label: str) -> None:
        self.post("/logout")
        assert self.devices[label].signin().status_code == 200

    # -- the assembly -------------------------------------------------------------------------

    @property
    def assembly(self):
        from webapp.assemblies.models import Assembly

        return self.db.get(Assembly, self.assembly_id)

    def local(self, when: datetime) -> str:
        from zoneinfo import ZoneInfo

        return when.astimezone(ZoneInfo(self.estate.timezone)).strftime("%Y-%m-%dT%H:%M")

    def create(self, *, opens: datetime, closes: datetime, replace_allowed: bool = False, title: str = "2026年第一次业主大会"):
        self.as_staff("organiser")
        data = {
            "a-title": title,
            "a-kind": "regular",
            "a-opens_at": self.local(opens),
            "a-closes_at": self.local(closes),
            "a-publication_days": "7",
        }
        if replace_allowed:
            data["a-replace_allowed"] = "y"
        response = self.post(f"/e/{self.estate.slug}/assemblies", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        self.assembly_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
        return self.assembly_id

    def add_item(self, form: str, category: int, title: str, **extra) -> int:
        data = {"i-form": form, "i-category": str(category), "i-title": title, **{f"i-{k}": str(v) for k, v in extra.items()}}
        response = self.post(f"/e/{self.estate.slug}/assemblies/{self.assembly_id}", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        assert "/items/" in response.headers["Location"], response.get_data(as_text=True)[:3000]
        return int(response.headers["Location"].rstrip("/").split("/")[-1])

    def add_bidder(self, item_id: int, name: str, fee: str, rng: random.Random = _BIDDER_RNG) -> None:
        response = self.post(
            f"/e/{self.estate.slug}/assemblies/{self.assembly_id}/items/{item_id}",
            {"b-name": name, "b-uscc": uscc(rng), "b-fee": fee, "b-plan": "24小时保安，电梯维保。"},
        )
        assert response.status_code == 302

    def paper_nomination(self, item_id: int, unit: str, name: str) -> None:
        response = self.post(
            f"/e/{self.estate.slug}/assemblies/{self.assembly_id}/items/{item_id}/paper-nomination",
            {"p-unit": unit, "p-name": name, "p-statement": f"{name}的竞选陈述", "scan": (io.BytesIO(PDF), "提名表.pdf")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302

    def vet_all_and_publish(self, item_id: int) -> None:
        from webapp.candidates.models import Candidate

        self.as_staff("supervisor")
        for candidate in self.db.scalars(select(Candidate).where(Candidate.item_id == item_id, Candidate.state == "submitted")):
            self.post(
                f"/e/{self.estate.slug}/assemblies/{self.assembly_id}/candidates/{candidate.id}/approve", {"d-reason": "符合候选人条件"}
            )
        response = self.post(f"/e/{self.estate.slug}/assemblies/{self.assembly_id}/items/{item_id}/publish-candidates")
        assert response.status_code == 302

    def freeze_and_sign_roll(self) -> None:
        self.as_staff("supervisor")
        csrf = self.staff_key("supervisor")
        self.post(f"/e/{self.estate.slug}/roll", {"assembly": str(self.assembly_id)})
        roll = self.assembly.roll
        assert roll is not None
        doc = self.client.get(f"/p/{self.estate.slug}/roll/{roll.seq}.json").get_json()
        r = doc["roll"]
        payload = croll.roll_payload(
            doc["estate"]["id"], r["id"], r["root"], r["size"], r["area"], r["heads"], r["frozen_at"], r["required_signatures"]
        )
        signature = croll.sign_payload(self.sup_keys["supervisor"], payload)
        assert (
            self.client.post(f"/e/{self.estate.slug}/roll/{roll.seq}/signatures", json=signature, headers={"X-CSRFToken": csrf}).status_code
            == 200
        )

    def publish_notice(self) -> None:
        self.as_staff("organiser")
        response = self.post(f"/e/{self.estate.slug}/assemblies/{self.assembly_id}/publish", follow_redirects=True)
        page = response.get_data(as_text=True)
        assert "公告第" in page or "版本" in page or self.assembly.notice_version >= 1, page[:4000]

    # -- voting -------------------------------------------------------------------------------

    def member_of(self, label: str) -> str:
        from webapp.devices.models import DeviceKey
        from webapp.owners.models import Registration
        from webapp.rolls.models import RollEntry

        key = self.db.scalar(select(DeviceKey).where(DeviceKey.kid == self.devices[label].signer.kid))
        registration: Registration = key.registration
        ref = registration.member_ref
        return self.db.scalar(select(RollEntry.member).where(RollEntry.roll_id == self.assembly.roll_id, RollEntry.member_ref == ref))

    def ballot(self, label: str, choices: dict, *, signer=None, member: str | None = None, **overrides) -> dict:
        assembly = self.assembly
        ballot = make_ballot(
            overrides.get("assembly", assembly.log_id),
            overrides.get("notice", assembly.current_notice.sha256),
            overrides.get("roll_root", assembly.roll.root),
            member or self.member_of(label),
            choices,
        )
        entry = sign_ballot(signer or self.devices[label].signer, ballot)
        return {"ballot": entry["ballot"], "kid": entry["kid"], "sig": entry["sig"]}

    def cast(self, body) -> tuple[int, dict]:
        response = self.client.post(f"/api/v1/a/{self.assembly_id}/ballots", json=body)
        return response.status_code, response.get_json() or {}

    def item_ids(self) -> dict[str, str]:
        """Item title → ballot id, from the published notice."""
        return {item["title"]: item["id"] for item in self.assembly.current_notice.document["items"]}

    def options(self, title: str) -> list[str]:
        return [o["id"] for item in self.assembly.current_notice.document["items"] if item["title"] == title for o in item["options"]]


@pytest.fixture
def scenario(app, client, post, login, estate, staff, make_staff, db_session, monkeypatch):
    s = Scenario(app, client, post, login, estate, staff, make_staff, db_session, monkeypatch)
    yield s
    s.stop()


TITLES = {"statute": "修订管理规约", "election": "补选业主委员会委员", "firm": "选聘物业服务企业", "fund": "使用维修资金更换电梯"}


@pytest.fixture
def voting(scenario):
    """An assembly in its voting window: a resolution, a by-election of one seat among two
    vetted candidates, a firm selection among two bidders; 张三 (1-101) and 李四 (1-102) have
    voting keys on the signed roll; the notice was published 15 days before opening."""
    s = scenario
    s.register_owner("1-101", "张三", ZHANG_TAIL)
    s.register_owner("1-102", "李四", LI_TAIL)
    opens = s.start + timedelta(days=25)
    closes = opens + timedelta(days=7)
    s.create(opens=opens, closes=closes)
    s.add_item("resolution", 2, TITLES["statute"], text="管理规约修订稿见附件。")
    election = s.add_item("election", 3, TITLES["election"], seats=1, by_election="y")
    firm = s.add_item("selection", 4, TITLES["firm"])
    s.add_bidder(firm, "杭州安居物业服务有限公司", "2.30")
    s.add_bidder(firm, "浙江绿城物业服务有限公司", "2.80")
    s.paper_nomination(election, "1-101", "张三")
    s.paper_nomination(election, "1-102", "李四")
    s.vet_all_and_publish(election)
    s.later(days=8)  # the candidates' list has been on display for the estate's 7 days
    s.publish_notice()
    s.freeze_and_sign_roll()
    s.at(opens + timedelta(hours=1))
    return s
