"""Fixtures for owners' onboarding: an estate with a registry, its staff, and letters."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crypto.keys import generate_ed25519, generate_p256
from webapp.owners import operations as ops
from webapp.registry.models import Unit

ZHANG_TAIL = "31002X"  # 11010519491231002X, 张三, sole owner of 1-101 and 2-201
LI_TAIL = "010014"  # 440524188001010014, 李四, first-listed co-owner of 1-102
WANG_TAIL = "074477"  # 110101199003074477, 王五, second co-owner of 1-102


@pytest.fixture
def letter(estate, staff, db_session, app):
    """Issue a letter for a unit label; returns (token, code)."""

    def issue(label: str = "1-101"):
        unit = next(u for u in db_session.scalars(select(Unit).where(Unit.estate_id == estate.id)) if u.label == label)
        issued = ops.issue_letters(estate, [unit], actor=staff["organiser"], pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
        db_session.commit()
        return issued[0].token, issued[0].code

    return issue


class Device:
    """A phone's browser as the server sees it: a key pair and the signing of challenges."""

    def __init__(self, client, signer=None):
        self.client = client
        self.signer = signer or generate_p256()

    def csrf(self) -> str:
        page = self.client.get("/signin").get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)

    def prove(self, purpose: str) -> tuple[str, str]:
        """(challenge, signature over its message), as the page's script makes them."""
        challenge = self.client.get(f"/device/challenge?purpose={purpose}").get_json()
        return challenge["challenge"], self.signer.sign_b64(challenge["message"].encode())

    def register(self, **extra):
        challenge, signature = self.prove("register")
        body = {"jwk": self.signer.jwk, "signature": signature, "label": "test phone", "challenge": challenge, **extra}
        return self.client.post("/join/device", json=body, headers={"X-CSRFToken": self.csrf()})

    def signin(self):
        challenge, signature = self.prove("signin")
        return self.client.post(
            "/signin", json={"kid": self.signer.kid, "signature": signature, "challenge": challenge}, headers={"X-CSRFToken": self.csrf()}
        )


@pytest.fixture
def device(client):
    return Device(client)


@pytest.fixture
def onboard(client, post, letter, device):
    """Scan a letter, answer the identity check, register the device: the whole owner path."""

    def run(label: str = "1-101", name: str = "张三", tail: str = ZHANG_TAIL):
        token, _code = letter(label)
        client.get(f"/r/{token}")
        post("/join", {"id-name": name, "id-id_tail": tail})
        response = device.register()
        assert response.status_code == 200, response.get_data(as_text=True)
        return token

    return run


@pytest.fixture
def ask_review(client, post, letter, device, db_session):
    """An owner whose details do not match asks the supervisors to check, registers the phone
    and leaves; returns the pending registration."""
    from webapp.owners.models import Registration

    def run(label: str, name: str, tail: str, note: str):
        token, _ = letter(label)
        client.get(f"/r/{token}")
        post("/join", {"id-name": name, "id-id_tail": tail})
        post("/join/review", {"rv-name": name, "rv-note": note})
        device.register()
        post("/logout")
        return db_session.scalar(select(Registration).order_by(Registration.id.desc()))

    return run


@pytest.fixture
def staff_signer(client):
    return generate_ed25519()
