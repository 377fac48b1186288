"""An estate of eight voting members for petitions: two small households, a household of two
co-owners, an owner of two units and the developer's two unsold units (one member), so that the
shares of area and of heads part ways (tests/factories.py's ``PETITION_HOUSEHOLDS``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from tests.factories import PETITION_HOUSEHOLDS, Device, petition_registry


class PetitionWorld:
    def __init__(self, app, client, post, login, estate, staff, db, monkeypatch):
        self.app, self.client, self.post, self.login = app, client, post, login
        self.estate, self.staff, self.db = estate, staff, db
        self.devices: dict[str, Device] = {}
        self.start_time = datetime.now(UTC).replace(microsecond=0)
        self.traveller = time_machine.travel(self.start_time, tick=True)
        self.traveller.start()
        from sqlalchemy import bindparam

        from webapp.core import db as database
        from webapp.core.db import UTCDateTime, utcnow

        # The database's clock follows the moved one (as tests/factories.py's Scenario does).
        monkeypatch.setattr(database, "db_now", lambda session=None: utcnow())
        monkeypatch.setattr(database, "db_clock", lambda: bindparam("test_clock", callable_=utcnow, type_=UTCDateTime()))

    def later(self, **delta) -> None:
        self.traveller.stop()
        self.start_time += timedelta(**delta)
        self.traveller = time_machine.travel(self.start_time, tick=True)
        self.traveller.start()

    def stop(self) -> None:
        self.traveller.stop()

    def as_staff(self, username: str) -> None:
        self.post("/logout")
        self.login(username)

    def register(self, label: str, name: str | None = None, *, estate=None, actor=None) -> Device:
        """An owner scans the letter for ``label``, answers the identity check, registers a phone."""
        from webapp.owners import operations as ops
        from webapp.registry.models import Unit

        self.post("/logout")
        estate = estate or self.estate
        unit = next(u for u in self.db.scalars(select(Unit).where(Unit.estate_id == estate.id)) if u.label == label)
        issued = ops.issue_letters(
            estate, [unit], actor=actor or self.staff["organiser"], pii_key=self.app.config["OWNERSVOTE_PII_HMAC_KEY"]
        )
        self.db.commit()
        names, numbers = PETITION_HOUSEHOLDS[label][0].split("、"), PETITION_HOUSEHOLDS[label][1].split("、")
        who = name or names[0]
        self.client.get(f"/r/{issued[0].token}")
        self.post("/join", {"id-name": who, "id-id_tail": numbers[names.index(who)][-6:]})
        device = Device(self.client)
        response = device.register()
        assert response.status_code == 200, response.get_data(as_text=True)
        self.devices[name or (label if estate is self.estate else f"{estate.slug}:{label}")] = device
        self.post("/logout")
        return device

    def sign_in(self, who: str) -> None:
        self.post("/logout")
        assert self.devices[who].signin().status_code == 200

    def start(self, who: str = "1-101", subject: str = "罢免业主委员会主任并补选", text: str = "主任长期不履职。", category: int = 3):
        self.sign_in(who)
        response = self.post("/me/petitions", {"subject": subject, "text": text, "category": str(category)})
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        return self.latest()

    def latest(self):
        from webapp.petitions.models import Petition

        self.db.expire_all()
        return self.db.scalars(select(Petition).order_by(Petition.id.desc())).first()

    def body(self, petition, who: str, *, signer=None, member: str | None = None, **overrides) -> dict:
        """What ``who``'s phone sends: the signature document signed with its key."""
        from crypto import petition as cp

        doc = cp.make_signature(
            overrides.get("petition", petition.log_id),
            overrides.get("digest", petition.digest),
            member or self.member_of(petition, who),
        )
        text, sig = cp.sign_signature(signer or self.devices[who].signer, doc)
        return {"signature": text, "kid": (signer or self.devices[who].signer).kid, "sig": sig}

    def member_of(self, petition, who: str) -> str:
        from webapp.devices.models import DeviceKey
        from webapp.petitions.models import PetitionMember

        key = self.db.scalar(select(DeviceKey).where(DeviceKey.kid == self.devices[who].signer.kid))
        ref = key.registration.member_ref
        return self.db.scalar(
            select(PetitionMember.member).where(PetitionMember.petition_id == petition.id, PetitionMember.member_ref == ref)
        )

    def sign(self, petition, body, *, english: bool = False) -> tuple[int, dict]:
        headers = {}
        if english:
            self.client.set_cookie("lang", "en", domain="ownersvote.test")
        try:
            response = self.client.post(f"/api/v1/p/{petition.estate.slug}/petitions/{petition.seq}/signatures", json=body, headers=headers)
        finally:
            if english:
                self.client.delete_cookie("lang", domain="ownersvote.test")
        return response.status_code, response.get_json() or {}


@pytest.fixture
def world(app, client, post, login, make_estate, make_staff, db_session, monkeypatch):
    from webapp.registry.importing import import_file

    estate = make_estate("qingyuan", "青苑小区")
    import_file(estate, petition_registry(), "registry.csv", actor="test")
    db_session.commit()
    staff = {
        "organiser": make_staff("organiser", estate=estate, role="organiser"),
        "supervisor": make_staff("supervisor", estate=estate, role="supervisor"),
    }
    w = PetitionWorld(app, client, post, login, estate, staff, db_session, monkeypatch)
    yield w
    w.stop()


@pytest.fixture(scope="module")
def crowd(database_url, instance_dir, tmp_path_factory):
    """An estate of 30 units whose owners all registered a phone, in a database of its own on the
    session's backend (bench/assembly_setup.py builds it, as for concurrent casting), so that
    threads sign at once through real connections."""
    import importlib.util
    import sys
    from pathlib import Path

    from sqlalchemy.engine import make_url

    spec = importlib.util.spec_from_file_location(
        "bench_assembly_setup", Path(__file__).resolve().parents[2] / "bench" / "assembly_setup.py"
    )
    setup = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = setup
    spec.loader.exec_module(setup)
    sqlite = database_url.startswith("sqlite")
    if sqlite:
        url = f"sqlite:///{tmp_path_factory.mktemp('petition') / 'crowd.sqlite3'}"
    else:
        admin = make_url(database_url).set(database="postgres").render_as_string(hide_password=False)
        url = setup.create_database(admin, "ownersvote_test_petition")
    try:
        app = setup.app_for(url, TESTING=True)
        built = setup.build(app, units=30)
        yield app, built
        from webapp.core.db import db

        with app.app_context():
            db.engine.dispose()
    finally:
        if not sqlite:
            setup.drop_database(admin, url)
