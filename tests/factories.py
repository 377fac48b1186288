"""Plain helpers and data the tests share: registry rows, owners' answers and phones, the
assembly scenario and its steps, and the checks of refusals.  No fixtures live here (they are in
tests/conftest.py); every test folder imports its helpers from this module and from no other
test module.

tests/conftest.py imports this module for every test, also those of the pure packages that run
without the web application (mutation testing copies only ``tally`` and ``crypto``): so nothing
from ``webapp`` is imported here at load, only inside the helpers that need it."""

from __future__ import annotations

import copy
import html
import io
import json
import os
import random
import re
import shutil
import threading
import uuid
import zipfile
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

import pytest
import time_machine
from openpyxl import Workbook
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from crypto import roll as croll
from crypto.ballot import make_ballot, sign_ballot
from crypto.keys import generate_ed25519, generate_p256
from crypto.notice import notice_digest

# ================================================================================================
# The test databases

PG_URL = os.environ.get("OWNERSVOTE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_HOWTO = (
    "PostgreSQL not reachable at {url} ({error}); its tests are skipped. Start PostgreSQL "
    "(pg_ctlcluster --skip-systemctl-redirect 15 main start) or set OWNERSVOTE_TEST_PG_URL; CI runs them."
)


def postgres_database():
    """Create a fresh database on the server for this test session; yield its URL."""
    admin_url = make_url(PG_URL)
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any failure to reach the server
        message = PG_HOWTO.format(url=admin_url.render_as_string(hide_password=True), error=type(exc).__name__)
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    name = f"ownersvote_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# ================================================================================================
# Staff

# Staff have real names (owners read them on the public roll), never their usernames.
STAFF_NAMES = ["王敏", "陈立新", "林晓燕", "周建国", "赵丽华", "孙志强", "欧阳娜仁托娅", "司马建华"]
# Browsers' user agents, as devices' labels keep them.
ANDROID_UA = "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
LINUX_UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/126.0.0.0 Chrome/126.0.0.0 Safari/537.36"


def csrf_of(client, url: str = "/") -> str:
    """The CSRF token a page gives its scripts (the ``csrf-token`` meta tag)."""
    page = client.get(url).get_data(as_text=True)
    found = re.search(r'name="csrf-token" content="([^"]+)"', page)
    return found.group(1)


def staff_key(client, signer) -> str:
    """Register ``signer`` as the signed-in staff member's signing key; returns the page's CSRF token."""
    csrf = csrf_of(client, "/staff/keys")
    challenge = client.get("/device/challenge?purpose=staff-key").get_json()
    response = client.post(
        "/staff/keys",
        json={"jwk": signer.jwk, "signature": signer.sign_b64(challenge["message"].encode()), "challenge": challenge["challenge"]},
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return csrf


def roll_payload_of(doc: dict) -> dict:
    """The roll payload a supervisor's tool rebuilds from the published roll."""
    roll = doc["roll"]
    return croll.roll_payload(
        doc["estate"]["id"],
        roll["id"],
        roll["root"],
        roll["size"],
        roll["area"],
        roll["heads"],
        roll["frozen_at"],
        roll["required_signatures"],
    )


# ================================================================================================
# Registry files

HEADER = "楼栋,房号,面积,面积依据,业主,证件号,手机,状态"
ZHANG = "11010519491231002X"
LI = "440524188001010014"
WANG = "110101199003074477"
CORP = "91350100M000100Y43"
MOU = "330106198001011235"
ZHAO = "310104197512124564"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


GOOD = csv_bytes(
    f"1,101,89.5,登记,张三,{ZHANG},13812345678,已交付",
    f"1,102,120,实测,李四、王五,{LI}、{WANG},,已交付",
    f"2,201,100.25,,张三,{ZHANG},,",
    "3,301,95.00,合同,,,,未售",
    f"3,302,95.00,合同,某某,{MOU},,未交付",
    f"S,1,50.00,登记,明远商贸有限公司,{CORP},,已交付",
)


def plan_of(data: bytes, filename: str = "r.csv"):
    """Validation alone is pure: no database, no app."""
    from webapp.registry.parsing import read_table  # late: see the docstring
    from webapp.registry.plan import build_plan  # late: see the docstring

    return build_plan(read_table(data, filename), "test-pii-key")


def rejected(data: bytes, filename: str = "r.csv"):
    """The registry's refusal of a file, with every problem it names."""
    from webapp.registry.plan import RegistryRejected  # late: see the docstring

    with pytest.raises(RegistryRejected) as info:
        plan_of(data, filename)
    return info.value


def registry_of(units: int) -> bytes:
    """A registry of ``units`` units in building 1, each of a different owner."""
    from webapp.demo.registry import resident_id  # late: see the docstring

    return csv_bytes(*[f"1,{n},80,,业主{n},{resident_id(random.Random(n))},," for n in range(1, units + 1)])


XLSX_HEADER = ["楼栋", "房号", "面积", "业主", "证件号"]
XLSX_SHEET = "xl/worksheets/sheet1.xml"


def xlsx_row(row: int, values: list[str]) -> bytes:
    """One <row> of inline-string cells of a worksheet's XML."""
    cells = "".join(f'<c r="{chr(65 + i)}{row}" t="inlineStr"><is><t>{escape(v)}</t></is></c>' for i, v in enumerate(values))
    return f'<row r="{row}">{cells}</row>'.encode()


def workbook_with_sheet(sheet_data: bytes, *, dimension: str = "A1:E2") -> bytes:
    """A real workbook from openpyxl whose first sheet is replaced by the given <sheetData> body."""
    book = Workbook()
    book.active.append(XLSX_HEADER)
    plain = io.BytesIO()
    book.save(plain)
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        + f'<dimension ref="{dimension}"/>'.encode()
        + b"<sheetData>"
        + xlsx_row(1, XLSX_HEADER)
        + sheet_data
        + b"</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            if member.filename == XLSX_SHEET:
                target.writestr(XLSX_SHEET, sheet, compresslevel=1)
            else:
                target.writestr(member, source.read(member))
    return out.getvalue()


# ================================================================================================
# Owners: their answers, their phones, their session cookie


ZHANG_TAIL = "31002X"  # 11010519491231002X, 张三, sole owner of 1-101 and 2-201
LI_TAIL = "010014"  # 440524188001010014, 李四, first-listed co-owner of 1-102
WANG_TAIL = "074477"  # 110101199003074477, 王五, second co-owner of 1-102


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


SESSION_COOKIE = "ownersvote_session"


def saved(client) -> str:
    """The session cookie as it stands, to be replayed later."""
    return client.get_cookie(SESSION_COOKIE, domain="ownersvote.test").value


def restore(client, value: str) -> None:
    """Put a saved session cookie back, as an attacker with a copy of it would."""
    client.set_cookie(SESSION_COOKIE, value, domain="ownersvote.test")


# ================================================================================================
# Printed pages: the tools that read them back


def require_tool(tool: str) -> str:
    """The path of one of poppler's tools; skip without it, except in CI, where that fails."""
    path = shutil.which(tool)
    if path is None:
        message = f"{tool} not found: install Debian's poppler-utils to check the rendered letters"
        if IN_CI:
            pytest.fail(message + " (CI=true: required)")
        pytest.skip(message)
    return path


def zxing():
    """The zxing-cpp module that decodes QR codes; skip without it, except in CI."""
    try:
        import zxingcpp
    except ImportError:
        if IN_CI:
            pytest.fail("zxingcpp not importable (pip install zxing-cpp; CI=true: required)")
        pytest.skip("zxingcpp not installed (pip install zxing-cpp) to decode the QR codes")
    return zxingcpp


# ================================================================================================
# An assembly from draft to archive

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
# One generator for every bidder of a session: each call draws the next registration number.
_BIDDER_RNG = random.Random(7)


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
        return staff_key(self.client, self.sup_keys[username])

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

    def announce(self, *owners: tuple[str, str, str]) -> None:
        """The owners (unit, name, identity tail) registered, then an assembly voting 25 days after
        the scenario's start for a week, on the statute's revision alone, its notice published
        eight days later; no roll yet."""
        for label, name, tail in owners:
            self.register_owner(label, name, tail)
        opens = self.start + timedelta(days=25)
        self.create(opens=opens, closes=opens + timedelta(days=7))
        self.add_item("resolution", 2, TITLES["statute"], text="管理规约修订稿见附件。")
        self.later(days=8)
        self.publish_notice()

    def add_item(self, form: str, category: int, title: str, **extra) -> int:
        data = {"i-form": form, "i-category": str(category), "i-title": title, **{f"i-{k}": str(v) for k, v in extra.items()}}
        response = self.post(f"/e/{self.estate.slug}/assemblies/{self.assembly_id}", data)
        assert response.status_code == 302, response.get_data(as_text=True)[:3000]
        assert "/items/" in response.headers["Location"], response.get_data(as_text=True)[:3000]
        return int(response.headers["Location"].rstrip("/").split("/")[-1])

    def add_bidder(self, item_id: int, name: str, fee: str, rng: random.Random = _BIDDER_RNG) -> None:
        from webapp.demo.registry import uscc

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

    def sequence(self):
        """One pass of the sequencer, as its thread would make a second later: the accepted
        ballots become leaves under a signed tree head."""
        from webapp.voting.sequencer import run_once  # (factories import no webapp at load)

        return run_once()

    def receipt(self, code: str) -> dict:
        """The receipt (promise and inclusion proof) of an integrated ballot, as the owner's page
        fetches it."""
        response = self.client.get(f"/p/{self.estate.slug}/a/{self.assembly_id}/receipt/{code}.json")
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    def cast_in_log(self, body) -> tuple[int, dict]:
        """Cast, let the sequencer run, and add the receipt to the answer."""
        code, answer = self.cast(body)
        if code in (200, 201):
            self.sequence()
            answer = {**answer, "receipt": self.receipt(answer["code"])}
        return code, answer

    def item_ids(self) -> dict[str, str]:
        """Item title → ballot id, from the published notice."""
        return {item["title"]: item["id"] for item in self.assembly.current_notice.document["items"]}

    def options(self, title: str) -> list[str]:
        return [o["id"] for item in self.assembly.current_notice.document["items"] if item["title"] == title for o in item["options"]]


TITLES = {"statute": "修订管理规约", "election": "补选业主委员会委员", "firm": "选聘物业服务企业", "fund": "使用维修资金更换电梯"}


# The steps after the window: votes, the close, the tally, certifications.


def count(s, model, *where) -> int:
    """How many rows of ``model`` match ``where``."""
    return s.db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def state(s) -> str:
    """The assembly's state as the database has it now."""
    s.db.expire_all()
    return s.assembly.state


def vote(s) -> None:
    ids = s.item_ids()
    election, firm = s.options(TITLES["election"]), s.options(TITLES["firm"])
    s.sign_in("1-101")
    assert (
        s.cast(
            s.ballot("1-101", {ids[TITLES["statute"]]: "agree", ids[TITLES["election"]]: [election[0]], ids[TITLES["firm"]]: [firm[0]]})
        )[0]
        == 201
    )
    s.sign_in("1-102")
    assert s.cast(s.ballot("1-102", {ids[TITLES["statute"]]: "disagree", ids[TITLES["election"]]: [election[1]]}))[0] == 201


def close(s) -> None:
    s.at(s.assembly.closes_at + timedelta(minutes=1))
    s.client.get(f"/p/{s.estate.slug}/a/{s.assembly_id}")  # the clock's transitions are made on the next request
    assert state(s) == "closed"


def start_tally(s):
    s.as_staff("organiser")
    return s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/tally")


def tallied(s) -> None:
    vote(s)
    close(s)
    assert start_tally(s).status_code == 302
    assert state(s) == "tallied"


def certify_as(s, username: str) -> int:
    s.as_staff(username)
    csrf = s.staff_key(username) if username != "supervisor" else csrf_of(s.client, "/staff/keys")
    bundle = json.loads(s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json").data)
    final = bundle["log"]["tree_heads"][-1]["sth"]
    payload = croll.certification_payload(
        bundle["notice"]["assembly"],
        notice_digest(bundle["notice"]),
        bundle["roll"]["root"],
        final["size"],
        final["root"],
        croll.tally_digest(bundle["tally"]),
    )
    signature = croll.sign_payload(s.sup_keys[username], payload)
    response = s.client.post(
        f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certifications",
        json={**signature, "declared_not_voted": True},
        headers={"X-CSRFToken": csrf},
    )
    return response.status_code


# ================================================================================================
# Refusals: what the person is told, and proof that nothing was written
#
# A refusal must leave the database exactly as it was: no new row, no changed row, and no audit
# event for the refused action.  ``nothing_written`` compares every row of the tables an
# assembly's work touches before and after.


WATCHED = ("estates", "assemblies", "agenda_items", "bidders", "notice_versions", "candidates", "attachments", "audit_events")


def rows(db_session) -> dict[str, list[tuple]]:
    from webapp.core.db import db

    db_session.expire_all()
    return {name: sorted((tuple(row) for row in db_session.execute(select(db.metadata.tables[name])).all()), key=repr) for name in WATCHED}


@contextmanager
def nothing_written(db_session):
    before = rows(db_session)
    yield
    after = rows(db_session)
    for name in WATCHED:
        added = [row for row in after[name] if row not in before[name]]
        removed = [row for row in before[name] if row not in after[name]]
        assert after[name] == before[name], f"{name} changed: added {added}, removed {removed}"


def text_of(response) -> str:
    """The page's visible text, unescaped, whitespace collapsed."""
    page = response.get_data(as_text=True) if not isinstance(response, str) else response
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def exact_folded(response) -> tuple[str, list[str]]:
    """(the page's visible text outside its folded exact values, the text of each fold): exact
    fractions sit in ``<details class="exact">`` under “精确值（用于核对）”, not beside the rounded
    figure an owner reads."""
    page = response.get_data(as_text=True) if not isinstance(response, str) else response
    fold = re.compile(r'<details class="exact">(.*?)</details>', re.S)
    return text_of(fold.sub(" ", page)), [text_of(m) for m in fold.findall(page)]


def errors(response) -> list[str]:
    """The error messages on a page: flashed, or next to the field they are about."""
    page = response.get_data(as_text=True) if not isinstance(response, str) else response
    found = re.findall(r'<p class="(?:flash flash-error|error)"[^>]*>(.*?)</p>', page, re.S)
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", m))).strip() for m in found]


def english(s) -> None:
    """Switch the browser to English (the language switch in the page's header)."""
    assert s.post("/lang", {"lang": "en"}).status_code == 302


# ---- results: certifying and publishing (tests/test_results, tests/test_assemblies)


def events(s, action: str) -> int:
    from webapp.audit.models import AuditEvent

    return count(s, AuditEvent, AuditEvent.action == action)


def as_supervisor(s, username: str = "supervisor") -> str:
    """Sign in as a supervisor with a signing key registered (supervisor's was, for the roll)."""
    s.as_staff(username)
    registered = getattr(s, "_keys_registered", {"supervisor"})
    if username in registered:
        return csrf_of(s.client, "/staff/keys")
    csrf = s.staff_key(username)
    s._keys_registered = registered | {username}
    return csrf


def staff_bundle(s) -> dict:
    response = s.client.get(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/bundle.json")
    assert response.status_code == 200
    return json.loads(response.data)


def payload_of(bundle: dict) -> dict:
    """The certification payload as the supervisor's browser rebuilds it from the bundle."""
    final = bundle["log"]["tree_heads"][-1]["sth"]
    return croll.certification_payload(
        bundle["notice"]["assembly"],
        notice_digest(bundle["notice"]),
        bundle["roll"]["root"],
        final["size"],
        final["root"],
        croll.tally_digest(bundle["tally"]),
    )


def post_certification(s, csrf: str, body: dict, *, english: bool = False):
    if english:
        s.client.set_cookie("lang", "en", domain="ownersvote.test")
    try:
        return s.client.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/certifications", json=body, headers={"X-CSRFToken": csrf})
    finally:
        if english:
            s.client.delete_cookie("lang", domain="ownersvote.test")


def signed(s, username: str, what: dict, **extra) -> dict:
    """``username``'s signature over ``what``, as posted (``payload=``: what the browser signed)."""
    return {**croll.sign_payload(s.sup_keys[username], what), "declared_not_voted": True, **extra}


def page_text(response) -> str:
    return response.get_data(as_text=True)


def published(s) -> None:
    tallied(s)
    csrf = as_supervisor(s)
    assert post_certification(s, csrf, signed(s, "supervisor", payload_of(staff_bundle(s)))).status_code == 200
    s.as_staff("organiser")
    s.post(f"/e/{s.estate.slug}/assemblies/{s.assembly_id}/results/publish")
    assert state(s) == "published"


def bypass_append_only(db_session) -> None:
    """What a database superuser could do: switch the append-only triggers off (PostgreSQL; this
    test's transaction is rolled back, triggers and all).  SQLite has no triggers to bypass."""
    if db_session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        db_session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))


def queue(db_session, estate, kind: str, actor, params: dict | None = None):
    from webapp.jobs import operations as ops

    job = ops.start_job(estate, kind, params or {}, actor=actor, runner="inline")
    db_session.commit()
    return job


# Many voters at once (tests/test_voting/conftest.py builds their assembly).


def post_all(app, assembly_id: int, bodies: list[dict]) -> list[tuple[int, dict]]:
    """Every body posted to the cast endpoint at the same moment, each from a thread of its own."""
    start = threading.Barrier(len(bodies))
    results: list = [None] * len(bodies)

    def submit(n: int) -> None:
        client = app.test_client()  # a request pushes an application context of its own
        start.wait()
        try:
            response = client.post(f"/api/v1/a/{assembly_id}/ballots", json=bodies[n])
            results[n] = (response.status_code, response.get_json())
        except Exception as exc:  # reported by the assertion below
            results[n] = (0, {"error": repr(exc)})

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(len(bodies))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def signed_body(app, built, member: str, signer, choices: dict) -> dict:
    """A member's ballot for the built assembly (bench/assembly_setup.py), signed by ``signer``."""
    from webapp.assemblies.models import Assembly
    from webapp.core.db import db

    with app.app_context():
        assembly = db.session.get(Assembly, built.assembly_id)
        ballot = make_ballot(assembly.log_id, assembly.current_notice.sha256, assembly.roll.root, member, choices)
    entry = sign_ballot(signer, ballot)
    return {"ballot": entry["ballot"], "kid": entry["kid"], "sig": entry["sig"]}


# A firm evaluation form of two sections (the district's rankings' tests; each gives its own code
# and title, and gets a copy of its own).
_DISTRICT_FORM = {
    "code": "district",
    "title": "物业服务满意度测评",
    "scales": {
        "satisfaction": {
            "kind": "choice",
            "choices": [
                {"id": "satisfied", "label": "满意", "points": 100},
                {"id": "basic", "label": "基本满意", "points": 60},
                {"id": "dissatisfied", "label": "不满意", "points": 0},
            ],
        },
        "score": {"kind": "score", "min": 0, "max": 10},
    },
    "sections": [
        {"id": "cleaning", "title": "保洁", "items": [{"id": "stairs", "text": "楼道清洁", "scale": "satisfaction", "weight": 6000}]},
        {"id": "security", "title": "秩序维护", "items": [{"id": "gate", "text": "门岗值守", "scale": "score", "weight": 4000}]},
    ],
}


def district_form(**members) -> dict:
    return {**copy.deepcopy(_DISTRICT_FORM), **members}


# ================================================================================================
# Petitions (tests/test_petitions): eight voting members whose shares of area and heads part ways.


# label: (owners, identity numbers, area, state); co-owners and their numbers joined with 、.
PETITION_HOUSEHOLDS = {
    "1-101": ("张三", "11010519491231002X", "60.00", "已交付"),
    "1-102": ("李四", "440524188001010014", "60.00", "已交付"),
    "1-201": ("王芳", "33010619620315004X", "100.00", "已交付"),
    "1-202": ("赵强", "330105197007080038", "100.00", "已交付"),
    "2-101": ("陈静、刘洋", "330108197511200069、310104198002020073", "100.00", "已交付"),
    "2-102": ("周敏", "320102196810100020", "100.00", "已交付"),
    "2-201": ("吴刚", "510107195505050015", "100.00", "已交付"),
    "4-101": ("吴刚", "510107195505050015", "100.00", "已交付"),
    "3-301": ("", "", "100.00", "未售"),
    "3-302": ("", "", "100.00", "未售"),
}


def petition_registry(*extra: str) -> bytes:
    rows = []
    for label, (owners, numbers, area, status) in PETITION_HOUSEHOLDS.items():
        building, unit = label.split("-")
        rows.append(f"{building},{unit},{area},登记,{owners},{numbers},,{status}")
    return csv_bytes(*rows, *extra)


# Inspections: documents signed as a supervisor's browser signs them, and photos


def photo_bytes(kind: str = "JPEG", *, exif: bool = False, gps: bool = False, colour: tuple[int, int, int] = (200, 60, 40)) -> bytes:
    """A small real image (Pillow): a JPEG or PNG without metadata, or a JPEG with EXIF (a
    camera's), with the place it was taken when ``gps``."""
    from PIL import Image

    image = Image.new("RGB", (48, 32), colour)
    out = io.BytesIO()
    if exif or gps:
        data = Image.Exif()
        data[0x010F] = "Xiaomi"  # Make
        data[0x0132] = "2026:12:08 10:00:00"  # DateTime
        if gps:
            place = data.get_ifd(0x8825)  # GPSInfo: 30°15'12.5" N, 120°9'3" E
            place.update({1: "N", 2: (30.0, 15.0, 12.5), 3: "E", 4: (120.0, 9.0, 3.0)})
        image.save(out, kind, exif=data.tobytes())
    else:
        image.save(out, kind)
    return out.getvalue()


def inspection_document(draft: dict, signer, scores: dict | None = None, *, photos: list[bytes] = (), **changes) -> dict:
    """The inspection document a supervisor's browser builds from the page's draft: every item
    scored (its maximum unless ``scores`` says otherwise), the photos by SHA-256."""
    import hashlib

    scores = scores or {}
    document = {
        "type": draft["type"],
        "v": 1,
        "estate": draft["estate"],
        "firm": draft["firm"],
        "form": draft["form"],
        "date": draft["date"],
        "kid": signer.kid,
        "nonce": _nonce(),
        "items": [
            {"id": i["id"], "score": scores.get(i["id"], i["max"]), "max": i["max"], "weight": i["weight"], "note": None}
            for i in draft["items"]
        ],
        "notes": "楼道整体整洁",
        "photos": [hashlib.sha256(p).hexdigest() for p in photos],
    }
    document.update(changes)
    return document


def notice_document(inspection, signer, *, deadline: str, day: str, items: list[str] = ("3号楼楼道堆放杂物，限期清理",), **changes) -> dict:
    document = {
        "type": "ownersvote-rectification-notice",
        "v": 1,
        "estate": json.loads(inspection.document)["estate"],
        "firm": json.loads(inspection.document)["firm"],
        "inspection": inspection.digest,
        "date": day,
        "deadline": deadline,
        "kid": signer.kid,
        "nonce": _nonce(),
        "items": [{"id": str(n), "text": text, "item": None} for n, text in enumerate(items, start=1)],
        "notes": None,
    }
    document.update(changes)
    return document


def followup_document(notice, signer, rectified: list[bool], *, day: str, photos: list[bytes] = (), **changes) -> dict:
    import hashlib

    document = {
        "type": "ownersvote-rectification-followup",
        "v": 1,
        "estate": json.loads(notice.document)["estate"],
        "notice": notice.digest,
        "date": day,
        "kid": signer.kid,
        "nonce": _nonce(),
        "items": [{"id": str(n), "rectified": done, "note": None} for n, done in enumerate(rectified, start=1)],
        "notes": None,
        "photos": [hashlib.sha256(p).hexdigest() for p in photos],
    }
    document.update(changes)
    return document


def _nonce() -> str:
    from crypto.encoding import b64url_encode

    return b64url_encode(os.urandom(16))


def sign_document(signer, document: dict) -> str:
    from crypto.canonical import canonical_json

    return signer.sign_b64(canonical_json(document))


def post_signed(client, url: str, csrf: str, document: dict, signer, *, sig: str | None = None, photos: list[tuple[bytes, str]] = ()):
    """Post a signed document as the inspection page's script does (multipart, with the photos)."""
    data = {
        "document": json.dumps(document, ensure_ascii=False),
        "kid": signer.kid,
        "sig": sig or sign_document(signer, document),
        "photo": [(io.BytesIO(content), name) for content, name in photos],
    }
    return client.post(url, data=data, headers={"X-CSRFToken": csrf}, content_type="multipart/form-data")


def statements_with(app, needle: str, call):
    """(how many SQL statements holding ``needle`` ``call()`` sent, what it returned): for tests
    that a page reads a table once, however much it shows."""
    from sqlalchemy import event

    from webapp.core.db import db

    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        if needle in statement:
            seen.append(statement)

    with app.app_context():
        bound = db.engines[None]  # the engine, or a test's connection on it (tests/conftest.py)
    engine = bound.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen), result


REDIS_URL = os.environ.get("OWNERSVOTE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def need_redis(url: str = REDIS_URL) -> None:
    """Skip the test when Redis does not answer at ``url`` (fail it in CI, which runs Redis)."""
    import pytest
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        message = f"Redis not reachable at {url} ({type(exc).__name__}): start redis-server or set OWNERSVOTE_TEST_REDIS_URL"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
