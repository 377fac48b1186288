"""Paper ballots (纸质表决票): sheets, double entry by two organisers, disputes decided by a
supervisor from the scan (docs/architecture.md).

A returned sheet is entered twice, independently, by two different organisers, each with the
scan; the second entry does not show the first.  When both agree (choices and scan), the ballot
goes into the same log as online ones, as a paper ballot signed by the server key naming both
authors and the scan's SHA-256.  When they differ, a supervisor decides from the scan, with a
written reason.  One ballot per member: online first means paper refused, and the reverse.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import select

from crypto.ballot import make_paper_ballot
from webapp.assemblies.kinds import kind_of
from webapp.audit.operations import record
from webapp.auth.models import StaffUser
from webapp.core.db import db, utcnow
from webapp.core.errors_base import UserError
from webapp.core.roles import Role
from webapp.voting.casting import cast_paper
from webapp.voting.models import PaperEntry, PaperSheet

RESOLUTION_MARKS = ("agree", "disagree", "abstain", "blank", "spoiled")


class PaperError(UserError):
    pass


def qr_text(assembly, sheet: PaperSheet) -> str:
    return f"ownersvote:paper:{assembly.log_id}:{sheet.member}:{sheet.serial}"


def new_sheets(assembly, members: list[str], *, actor) -> list[PaperSheet]:
    """A sheet (with a fresh serial) for each member; earlier sheets stay valid (one ballot per
    member is enforced by the log, whichever sheet comes back)."""
    sheets = []
    for member in members:
        sheet = PaperSheet(assembly_id=assembly.id, member=member, serial="P-" + secrets.token_hex(5).upper(), state="printed")
        db.session.add(sheet)
        sheets.append(sheet)
    db.session.flush()
    record("paper.print", actor=actor, estate_id=assembly.estate_id, obj=assembly, sheets=len(sheets))
    return sheets


def choices_from_marks(items: list[dict], marks: dict[str, object]) -> dict:
    """What an organiser read off a sheet, as ballot choices.  Unmarked items are left out (an
    abstention); a resolution marked both ways is kept as spoiled (废票)."""
    choices: dict = {}
    for item in items:
        try:
            choice = kind_of(item["kind"]).choice_from_mark(item, marks.get(item["id"]))
        except ValueError as exc:
            raise PaperError(*exc.args) from None
        if choice is not None:
            choices[item["id"]] = choice
    return choices


def ruling_choices(items: list[dict], marks: dict[str, object]) -> dict:
    """A supervisor's ruling as ballot choices: exactly what was chosen for each item.  A
    resolution needs a choice of its own (None here); "nothing marked" is one, never a default."""
    missing = [item["title"] for item in items if item["kind"] == "resolution" and marks.get(item["id"]) is None]
    if missing:
        raise PaperError(
            "请为每个事项选择裁定结果（“未填写”也须选择）：" + "、".join(missing),
            'choose a ruling for every item ("nothing marked" too): ' + ", ".join(missing),
        )
    return choices_from_marks(items, marks)


def sheet_by_serial(assembly, serial: str) -> PaperSheet:
    sheet = db.session.scalar(select(PaperSheet).where(PaperSheet.assembly_id == assembly.id, PaperSheet.serial == serial.strip().upper()))
    if sheet is None:
        raise PaperError(f"没有编号为 {serial} 的表决票", f"no ballot sheet with serial {serial}")
    return sheet


def enter(assembly, sheet: PaperSheet, *, actor, choices: dict, scan_id: int, scan_sha256: str, now: datetime | None = None):
    """One organiser's entry of a returned sheet; the second one casts the ballot or opens a dispute."""

    if actor.role_in(assembly.estate_id) is not Role.organiser:
        raise PaperError("只有组织者录入纸质表决票", "only organisers enter paper ballots")
    if sheet.state not in ("printed", "entered"):
        raise PaperError("这张表决票已经处理过", "this sheet has already been dealt with")
    entries = list(db.session.scalars(select(PaperEntry).where(PaperEntry.sheet_id == sheet.id)))
    if any(e.entered_by_id == actor.id for e in entries):
        raise PaperError(
            "同一张表决票须由两位不同的组织者分别录入：您已经录过这张",
            "two different organisers must enter each sheet: you have entered this one already",
        )
    entry = PaperEntry(
        sheet_id=sheet.id, entered_by_id=actor.id, choices=choices, scan_id=scan_id, scan_sha256=scan_sha256, created_at=now or utcnow()
    )
    db.session.add(entry)
    db.session.flush()
    record(
        "paper.enter",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=sheet,
        serial=sheet.serial,
        scan_sha256=scan_sha256,
        round=len(entries) + 1,
    )
    if not entries:
        sheet.state = "entered"
        return None
    first = entries[0]
    if first.choices == choices and first.scan_sha256 == scan_sha256:
        return _cast(assembly, sheet, [first, entry], choices, scan_sha256, actor=actor, resolved_by=None)
    sheet.state = "disputed"
    db.session.flush()
    record(
        "paper.dispute",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=sheet,
        serial=sheet.serial,
        same_scan=first.scan_sha256 == scan_sha256,
    )
    return None


def _cast(assembly, sheet: PaperSheet, entries: list[PaperEntry], choices: dict, scan_sha256: str, *, actor, resolved_by: str | None):

    names = [db.session.get(StaffUser, e.entered_by_id).username for e in entries[:2]]
    ballot = make_paper_ballot(
        assembly.log_id,
        assembly.current_notice.sha256,
        assembly.roll.root,
        sheet.member,
        choices,
        scan_sha256,
        names,
        serial=sheet.serial,
        resolved_by=resolved_by,
    )
    db.session.commit()  # the entries are kept even if the ballot is then refused (e.g. voted online)
    try:
        cast = cast_paper(assembly, ballot, actor=actor)
    except UserError as exc:
        db.session.rollback()
        sheet = db.session.get(PaperSheet, sheet.id)
        sheet.state, sheet.reason = "refused", exc.en
        record("paper.refused", actor=actor, estate_id=assembly.estate_id, obj=sheet, serial=sheet.serial, reason=exc.en)
        db.session.commit()
        raise
    sheet = db.session.get(PaperSheet, sheet.id)
    sheet.state, sheet.ballot_id = "cast", cast.ballot.id
    db.session.flush()
    return cast


def resolve(assembly, sheet: PaperSheet, *, actor, choices: dict | None, reason: str, now: datetime | None = None):
    """A supervisor decides a disputed sheet from the scan: the choices to count, or none (the
    sheet is refused, e.g. unsigned or illegible), always with a written reason."""

    if actor.role_in(assembly.estate_id) is not Role.supervisor:
        raise PaperError("只有监督员可以裁定有争议的表决票", "only supervisors decide disputed sheets")
    if sheet.state != "disputed":
        raise PaperError("这张表决票没有争议", "this sheet is not disputed")
    if not (reason or "").strip():
        raise PaperError("请写明理由", "a written reason is required")
    entries = list(db.session.scalars(select(PaperEntry).where(PaperEntry.sheet_id == sheet.id).order_by(PaperEntry.id)))
    sheet.decided_by_id, sheet.decided_at, sheet.reason = actor.id, now or utcnow(), reason.strip()
    record(
        "paper.resolve",
        actor=actor,
        estate_id=assembly.estate_id,
        obj=sheet,
        serial=sheet.serial,
        counted=choices is not None,
        reason=sheet.reason,
    )
    if choices is None:
        sheet.state = "refused"
        db.session.flush()
        return None
    return _cast(assembly, sheet, entries, choices, entries[0].scan_sha256, actor=actor, resolved_by=actor.username)
