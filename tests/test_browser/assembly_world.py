"""An estate where an owners' assembly is held, for the browser tests of assemblies, voting and
results: eight households of one person each (so that a handful of votes can reach the quorum),
two organisers, two supervisors, a clock the tests move, and the people's browsers.

Clocks: the server's clock is moved with time-machine (the live server runs in a thread of the
test process, so it follows); the database's clock, which decides whether a ballot is in time,
follows it through ``webapp.core.db.db_now``.  The clock only ever moves *forward* from the
real time: Chromium keeps the real time, and a session cookie the server dates in the browser's
past would be dropped at once.  Server-side sessions last 12 hours, so after a jump of days
people sign in again, as they would.
"""

from __future__ import annotations

import itertools
import re
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import time_machine
from sqlalchemy import select

from tests.test_browser.net import new_page, staff_login
from webapp.core.identity import resident_check_digit

PASSWORD = "correct horse battery"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TITLES = {"statute": "修订管理规约", "election": "补选业主委员会委员", "firm": "选聘物业服务企业"}
BIDDERS = (("杭州安居物业服务有限公司", "2.30"), ("浙江绿城物业服务有限公司", "2.80"))


def _id(first17: str) -> str:
    return first17 + resident_check_digit(first17)


# label: (name, identity number, area); one person per household, areas of the same order so
# that six households of eight make both two-thirds tests of the quorum.
HOUSEHOLDS = {
    "1-101": ("张三", _id("11010519491231002"), "89.50"),
    "1-102": ("李四", _id("44052418800101001"), "120.00"),
    "1-201": ("王芳", _id("33010619620315004"), "96.30"),
    "1-202": ("赵强", _id("33010519700708003"), "110.00"),
    "2-101": ("陈静", _id("33010819751120006"), "88.80"),
    "2-102": ("刘洋", _id("31010419800202007"), "102.50"),
    "2-201": ("周敏", _id("32010219681010002"), "95.00"),
    "2-202": ("吴刚", _id("51010719550505001"), "130.40"),
}
PROXY = ("孙丽", "07112X")  # the proxy of 王芳 (1-201): name and the last six characters of the ID


def tail(label: str) -> str:
    return HOUSEHOLDS[label][1][-6:]


def registry_csv() -> bytes:
    lines = ["楼栋,房号,面积,面积依据,业主,证件号,手机,状态"]
    for label, (name, number, area) in HOUSEHOLDS.items():
        building, unit = label.split("-")
        lines.append(f"{building},{unit},{area},登记,{name},{number},,已交付")
    return ("\n".join(lines) + "\n").encode()


_numbers = itertools.count(1)


class Clock:
    """The server's (and the database's) clock, started at the real time and moved forward."""

    def __init__(self, monkeypatch):
        from webapp.core import db as database
        from webapp.core.db import utcnow

        monkeypatch.setattr(database, "db_now", lambda session=None: utcnow())
        self.now = datetime.now(UTC).replace(microsecond=0)
        self._travel = time_machine.travel(self.now, tick=True)
        self._travel.start()

    def at(self, when: datetime) -> None:
        assert when >= self.now, "the clock only moves forward (the browser keeps the real time)"
        self._travel.stop()
        self._travel = time_machine.travel(when, tick=True)
        self._travel.start()
        self.now = when

    def later(self, **delta) -> None:
        self.at(self.now + timedelta(**delta))

    def stop(self) -> None:
        self._travel.stop()


def wait_for_jobs(live, timeout: float = 120) -> None:
    """Wait until no background job of the live server is queued or running: a job another test
    left behind (a failed test does not wait for its job) holds SQLite's only write lock while it
    stores its result, and these tests write from their own thread too."""
    import time

    from webapp.core.db import db
    from webapp.jobs.models import Job

    deadline = time.monotonic() + timeout
    while True:
        with live.app_context():
            busy = db.session.scalar(select(db.func.count(Job.id)).where(Job.state.in_(("queued", "running"))))
        if not busy or time.monotonic() > deadline:
            return
        time.sleep(0.5)


def reset_limits(live) -> None:
    """Rate limits count per address, and every browser here is 127.0.0.1; a moved clock also
    leaves hits dated in the future.  Each test starts and ends with clean counters."""
    from webapp.core.extensions import limiter

    with live.app_context():
        limiter.reset()


@dataclass
class World:
    live: object
    slug: str
    name: str
    users: dict[str, str]
    base: str
    contexts: list = field(default_factory=list)

    # -- the database, as the tests set things up -------------------------------------------

    def estate(self):
        from webapp.estates.operations import get_estate

        return get_estate(self.slug)

    def staff(self, who: str):
        from webapp.auth.models import StaffUser
        from webapp.core.db import db

        return db.session.scalar(select(StaffUser).where(StaffUser.username == self.users[who]))

    def assembly(self, assembly_id: int):
        from webapp.assemblies.models import Assembly
        from webapp.core.db import db

        return db.session.get(Assembly, assembly_id)

    def set_rules(self, **values) -> None:
        """Change the estate's rules with one UPDATE (a read-then-write on the live SQLite file
        could meet the server's own writes)."""
        from sqlalchemy import update

        from webapp.core.db import db
        from webapp.estates.models import Estate

        with self.live.app_context():
            db.session.execute(update(Estate).where(Estate.slug == self.slug).values(**values))
            db.session.commit()

    def letter(self, label: str) -> str:
        """A fresh letter's token for a unit, as an organiser's print run makes it."""
        from webapp.core.db import db
        from webapp.owners import operations as ops
        from webapp.registry.models import Unit

        with self.live.app_context():
            estate = self.estate()
            unit = next(u for u in db.session.scalars(select(Unit).where(Unit.estate_id == estate.id)) if u.label == label)
            issued = ops.issue_letters(estate, [unit], actor=self.staff("organiser"), pii_key=self.live.config["OWNERSVOTE_PII_HMAC_KEY"])
            db.session.commit()
            return issued[0].token

    # -- people in their browsers -----------------------------------------------------------

    def browser_of(self, browser, phone: bool = True, user_agent: str | None = None):
        context, page = new_page(browser, phone=phone, user_agent=user_agent)
        self.contexts.append(context)
        return context, page

    def staff_page(self, browser, who: str):
        """A staff member on a phone, logged in."""
        _context, page = self.browser_of(browser)
        staff_login(page, self.base, self.users[who], PASSWORD)
        assert "/login" not in page.url, page.content()[:2000]
        return page

    def owner_phone(self, browser, label: str, name: str | None = None, id_tail: str | None = None, url: str | None = None):
        """An owner (or a proxy, with the address read from their own letter) registers a phone:
        the letter's address, the identity check, the key made on the phone; the page ends on
        the owner's page."""
        _context, page = self.browser_of(browser)
        page.goto(url or f"{self.base}/r/{self.letter(label)}")
        page.fill("#id-name", name or HOUSEHOLDS[label][0])
        page.fill("#id-id_tail", id_tail or tail(label))
        page.click("form button.primary")
        page.wait_for_url("**/join/device")
        page.click("[data-action=register-key]")
        page.wait_for_url("**/me")
        return page

    def close(self) -> None:
        errors = []
        for context in self.contexts:
            try:
                context.close()
            except Exception as exc:  # report the first; close every context
                errors.append(exc)
        self.contexts.clear()
        if errors:
            raise errors[0]


def make_world(live, *, roll_signatures: int = 1, tally_signatures: int = 1) -> World:
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.estates.operations import create_estate
    from webapp.registry.importing import import_file

    n = next(_numbers)
    with live.app_context():
        estate = create_estate(f"cuihu{n}", f"翠湖{n}号小区", actor="test")
        import_file(estate, registry_csv(), "registry.csv", actor="test")
        estate.roll_signatures_required = roll_signatures
        estate.tally_signatures_required = tally_signatures
        estate.help_text = "物业服务中心（3号楼底商），电话 0571-8888 6666"
        # Eight households: each ballot is shown as its own batch, so the flows can watch the
        # turnout move (publication in batches has its own tests: tests/test_voting/test_publication.py).
        estate.publish_batch = 1
        estate.eligibility_rules = [
            {"zh": "本小区业主，具有完全民事行为能力", "en": "An owner in this estate with full civil capacity"},
            {"zh": "无拖欠物业服务费、维修资金", "en": "No arrears of property fees or maintenance fund"},
        ]
        users = {}
        names = {"organiser": "筹备组 林晓燕", "organiser2": "筹备组 何建平", "supervisor": "居委会 王敏", "supervisor2": "街道办 陈立新"}
        for who, name in names.items():
            user = create_staff(f"{who}-av{n}", name, PASSWORD, actor="test")
            assign_role(user, estate, Role.organiser if who.startswith("organiser") else Role.supervisor, actor="test")
            users[who] = user.username
        db.session.commit()
        return World(live=live, slug=estate.slug, name=estate.name, users=users, base=live.base)


# -- an assembly set up on the server, as the first test does it through the pages ------------


def announce(world: World, clock: Clock, *, seats: int = 2, candidates=("2-101", "2-102", "2-201"), attachment: bool = False) -> int:
    """An assembly with a resolution, a by-election and a firm selection, its candidates vetted
    and on display for the estate's 7 days, its notice published 16 days before voting opens
    (the clock ends at the notice's publication).  ``attachment``: the resolution's draft is
    attached as a PDF (管理规约修订稿.pdf)."""
    import random

    from webapp.assemblies import lifecycle
    from webapp.assemblies import operations as ops
    from webapp.assemblies.operations import AssemblyFields, ItemFields
    from webapp.candidates import operations as cops
    from webapp.core.db import db
    from webapp.demo.registry import uscc

    rng = random.Random(7)
    opens = (clock.now + timedelta(days=25)).replace(minute=0, second=0)
    with world.live.app_context():
        estate, organiser, supervisor = world.estate(), world.staff("organiser"), world.staff("supervisor")
        assembly = ops.create_assembly(
            estate,
            AssemblyFields(
                title="2026年第一次业主大会", kind="regular", opens_at=opens, closes_at=opens + timedelta(days=7), publication_days=7
            ),
            actor=organiser,
        )
        statute = ops.add_item(
            assembly, "resolution", ItemFields(category=2, title=TITLES["statute"], text="管理规约修订稿见附件。"), actor=organiser
        )
        if attachment:
            ops.attach(assembly, actor=organiser, kind="item", owner_id=statute.id, data=PDF, filename="管理规约修订稿.pdf")
        election = ops.add_item(
            assembly, "election", ItemFields(category=3, title=TITLES["election"], seats=seats, by_election=True), actor=organiser
        )
        firm = ops.add_item(assembly, "selection", ItemFields(category=4, title=TITLES["firm"]), actor=organiser)
        for name, fee in BIDDERS:
            ops.add_bidder(firm, actor=organiser, name=name, uscc=uscc(rng), fee=fee, plan="24小时保安，电梯维保。")
        for label in candidates:
            name = HOUSEHOLDS[label][0]
            candidate = cops.paper_nomination(
                election,
                actor=organiser,
                unit_label=label,
                name=name,
                statement=f"{name}：愿意为大家服务。",
                party_member=False,
                scan=PDF + label.encode(),
                scan_name=f"提名表-{label}.pdf",
            )
            cops.decide(candidate, actor=supervisor, approve=True, reason="符合候选人条件")
        cops.publish_list(election, actor=supervisor)
        db.session.commit()
        assembly_id = assembly.id
    clock.later(days=8)
    with world.live.app_context():
        lifecycle.publish_notice(world.assembly(assembly_id), actor=world.staff("organiser"))
        db.session.commit()
    return assembly_id


def server_key(world: World, who: str):
    """A signing key for a supervisor, made outside any browser (for tests about something else)."""
    from crypto.keys import generate_ed25519
    from webapp.core.db import db
    from webapp.devices import operations as device_ops

    signer = generate_ed25519()
    with world.live.app_context():
        device_ops.add_device_key(jwk=signer.jwk, label="test", staff=world.staff(who))
        db.session.commit()
    return signer


def freeze_and_sign(world: World, assembly_id: int) -> None:
    """The supervisors freeze the roll for the assembly and sign it (outside the browser)."""
    from webapp.core.db import db
    from webapp.rolls.operations import add_signature, freeze_roll, signing_message

    signers = {who: server_key(world, who) for who in ("supervisor", "supervisor2")}
    with world.live.app_context():
        estate = world.estate()
        roll = freeze_roll(
            estate,
            actor=world.staff("supervisor"),
            pii_key=world.live.config["OWNERSVOTE_PII_HMAC_KEY"],
            assembly=world.assembly(assembly_id),
        )
        for who in ("supervisor", "supervisor2")[: estate.roll_signatures_required]:
            add_signature(roll, estate, actor=world.staff(who), kid=signers[who].kid, sig=signers[who].sign_b64(signing_message(roll)))
        db.session.commit()


def phone_outside_the_browser(world: World, label: str):
    """An owner who registered a phone earlier (made here: the test is about others)."""
    from crypto.keys import generate_p256
    from webapp.core.db import db
    from webapp.devices import operations as device_ops
    from webapp.owners import operations as ops
    from webapp.owners.models import Invitation
    from webapp.owners.tokens import token_hash

    token = world.letter(label)
    signer = generate_p256()
    with world.live.app_context():
        invitation = db.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash(token)))
        holder = invitation.unit.owner.holders[0]
        registration = ops.register_matched(invitation, holder)
        device_ops.add_device_key(jwk=signer.jwk, label="Mozilla/5.0 (Linux; Android 14) Chrome/131.0 Mobile", registration=registration)
        db.session.commit()
    return signer


def vote_outside_the_browser(world: World, assembly_id: int, signer, marks: dict[str, object]) -> dict:
    """A ballot signed on an owner's phone elsewhere, sent to the same API the ballot page uses;
    returns the server's promise (the sequencer integrates it).  ``marks`` by item title: 'agree'
    …, or option names."""
    from crypto.ballot import make_ballot, sign_ballot
    from webapp.core.db import db
    from webapp.devices.models import DeviceKey
    from webapp.rolls.models import RollEntry
    from webapp.voting.casting import cast_online
    from webapp.voting.sequencer import run_once

    with world.live.app_context():
        assembly = world.assembly(assembly_id)
        registration = db.session.scalar(select(DeviceKey).where(DeviceKey.kid == signer.kid)).registration
        member = db.session.scalar(
            select(RollEntry.member).where(RollEntry.roll_id == assembly.roll_id, RollEntry.member_ref == registration.member_ref)
        )
        choices = {}
        for item in assembly.current_notice.document["items"]:
            mark = marks.get(item["title"])
            if mark is None:
                continue
            if item["kind"] == "resolution":
                choices[item["id"]] = mark
            else:
                names = [mark] if isinstance(mark, str) else list(mark)
                choices[item["id"]] = [o["id"] for o in item["options"] if o["name"] in names]
        ballot = make_ballot(assembly.log_id, assembly.current_notice.sha256, assembly.roll.root, member, choices)
        entry = sign_ballot(signer, ballot)
        cast = cast_online(assembly, {"ballot": entry["ballot"], "kid": entry["kid"], "sig": entry["sig"]})
        db.session.commit()
        # The sequencer's pass that follows within a second (the tests' clock may jump ahead
        # next, past the promise's deadline, faster than its thread would get to it).
        run_once()
        return cast.promise


def job_done(page, timeout: float = 60_000) -> str:
    """On the job page a button led to: wait, as a person watching its progress bar does, until
    the job is done; what its page then says."""
    page.wait_for_url(re.compile(r".*/jobs/\d+$"))
    page.wait_for_selector(".job-status[data-job-state=done]", timeout=timeout)
    return page.inner_text(".job-message")


def opening(world: World, assembly_id: int) -> datetime:
    with world.live.app_context():
        return world.assembly(assembly_id).opens_at


def closing(world: World, assembly_id: int) -> datetime:
    with world.live.app_context():
        return world.assembly(assembly_id).closes_at


def local_input(when: datetime) -> str:
    """A time as a datetime-local field takes it, in the estate's zone."""
    from zoneinfo import ZoneInfo

    return when.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def signin_owner(page, base: str) -> None:
    """Sign in again on the phone that holds the key (sessions end after 12 hours)."""
    page.goto(f"{base}/signin")
    page.click("[data-action=signin]")
    page.wait_for_url("**/me")


def voting_an_hour_in(world: World, browser, clock: Clock, label: str = "1-101"):
    """An assembly announced, its roll frozen and signed by the supervisors, voting open for an
    hour; and the phone of the owner ``label`` (registered, not signed in).  Returns (the
    assembly's id, the phone)."""
    assembly_id = announce(world, clock)
    phone = world.owner_phone(browser, label)
    freeze_and_sign(world, assembly_id)
    clock.at(opening(world, assembly_id) + timedelta(hours=1))
    return assembly_id, phone


def open_ballot(page, base: str) -> None:
    """Sign in on the owner's page and open the ballot from it, as an owner does."""
    signin_owner(page, base)
    page.click("a:text('立即投票')")
    page.wait_for_selector("#ballot")


def relogin(page, base: str, username: str) -> None:
    """Log in again in the same browser (its signing key stays in it)."""
    staff_login(page, base, username, PASSWORD)
    assert "/login" not in page.url, page.content()[:2000]


def pdf_pages(pdf: Path, out: Path, first_only: bool = True) -> list[Path]:
    """Rasterise a PDF (its first page, by default) with pdftoppm; the PNGs made."""
    args = ["pdftoppm", "-r", "100", "-png"] + (["-f", "1", "-l", "1"] if first_only else []) + [str(pdf), str(out)]
    subprocess.run(args, check=True)
    return sorted(out.parent.glob(out.name + "*.png"))


def pdf_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True).stdout.decode()


def qr_urls(pdf: Path, tmp: Path) -> list[str]:
    """The QR codes of a PDF's pages, read back (a printed letter, as an owner's camera reads it)."""
    import zxingcpp
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp / "qr")], check=True)
    urls = []
    for png in sorted(tmp.glob("qr*.png")):
        urls += [r.text for r in zxingcpp.read_barcodes(Image.open(png))]
    return urls


def upload(name: str, data: bytes = PDF, mime: str = "application/pdf") -> dict:
    """A file for ``set_input_files``."""
    return {"name": name, "mimeType": mime, "buffer": data}


__all__ = [
    "BIDDERS",
    "Clock",
    "HOUSEHOLDS",
    "PDF",
    "PROXY",
    "TITLES",
    "World",
    "announce",
    "closing",
    "freeze_and_sign",
    "local_input",
    "make_world",
    "opening",
    "pdf_pages",
    "pdf_text",
    "phone_outside_the_browser",
    "qr_urls",
    "relogin",
    "reset_limits",
    "server_key",
    "signin_owner",
    "tail",
    "upload",
    "vote_outside_the_browser",
]
