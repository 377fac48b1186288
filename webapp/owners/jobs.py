"""The QR letters job: letters for a whole estate, a building or a list of units, as one PDF.

The job draws the PDF first and records the letters (their hashes, the voiding of older letters
and the audit event) only at its end, in the same transaction as the job's ``done`` state: a job
that fails or is abandoned changes nothing, and no letter exists whose PDF nobody has.

The PDF holds every letter's token in clear (the database keeps only hashes), so it is kept for
an hour at most and deleted at its first complete download.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from webapp.bodies.operations import organiser_name
from webapp.core.db import db, utcnow
from webapp.core.roles import Role
from webapp.core.timefmt import zone
from webapp.jobs.context import JobContext, safe_filename
from webapp.jobs.kinds import job_kind
from webapp.owners import operations as ops
from webapp.owners.letters import Letter, delivery_key, render_letters
from webapp.owners.notifications import send_texts, sms_numbers
from webapp.registry.models import Unit

# Shares of the progress bar per letter, from where the time goes (docs/performance.md): QR
# codes are most of it, then drawing, writing the file out and recording the letters.
WEIGHTS = {"qr": 14, "pages": 2, "save": 2, "store": 1}


def scope_units(estate_id: int, params: dict) -> list[Unit]:
    """The units a letters job prints, in delivery order."""
    query = select(Unit).where(Unit.estate_id == estate_id).options(selectinload(Unit.building))
    scope = params.get("scope")
    if scope == "building":
        units = list(db.session.scalars(query.where(Unit.building_id == int(params["building_id"]))))
    elif scope == "units":
        wanted = {int(i) for i in params.get("unit_ids", [])}
        units = [u for u in db.session.scalars(query) if u.id in wanted]
    elif scope == "estate":
        units = list(db.session.scalars(query))
    else:
        raise ops.OnboardingError("打印范围无效", "unknown scope for letters")
    return sorted(units, key=lambda u: delivery_key(u.building.name, u.number))


def letters_filename(slug: str, params: dict, day) -> str:
    """``letters-demo-building-2-20261130.pdf``: estate, what was printed, and the day."""
    scope = params.get("scope")
    if scope == "building":
        what = f"-building-{params.get('building_name', params.get('building_id'))}"
    elif scope == "units":
        labels = params.get("unit_labels") or []
        what = f"-{labels[0]}" if len(labels) == 1 else f"-{len(params.get('unit_ids', []))}-units"
    else:
        what = ""
    return safe_filename(f"letters-{slug}{what}-{day:%Y%m%d}.pdf")


def describe(params: dict) -> str:
    scope = params.get("scope")
    if scope == "building":
        return _("Building %(name)s", name=params.get("building_name", ""))
    if scope == "units":
        labels = params.get("unit_labels") or []
        shown = ", ".join(labels[:5]) + ("…" if len(labels) > 5 else "")
        return _("%(n)d units: %(units)s", n=len(params.get("unit_ids", [])), units=shown)
    return _("The whole estate")


@job_kind(
    "letters",
    title=_l("QR letters"),
    start={Role.organiser},
    view={Role.organiser},
    timeout=timedelta(minutes=30),
    result_ttl=timedelta(hours=1),
    delete_after_download=True,
    describe=describe,
    back_endpoint="onboarding.letters",
    notes=(_l("Printing voids the letters printed before for the same units, once the job is done."),),
)
def print_letters(ctx: JobContext, params: dict) -> None:
    n = _print(ctx, params)
    ctx.done(f"已生成 {n:,} 封告知书，共 {n:,} 页。", f"{n:,} letters made, one page each.")


def describe_reissue(params: dict) -> str:
    labels = params.get("unit_labels") or []
    return _("Unit %(unit)s · reason: %(reason)s", unit=labels[0] if labels else "", reason=params.get("reason", ""))


@job_kind(
    "reissue",
    title=_l("Re-issued letter"),
    start={Role.supervisor},
    view={Role.supervisor},
    timeout=timedelta(minutes=10),
    result_ttl=timedelta(hours=1),
    delete_after_download=True,
    describe=describe_reissue,
    back_endpoint="onboarding.letters",
    back_title=_l("QR letters"),
    notes=(
        _l(
            "The letters printed before for this unit no longer work. When the owner registers with the new letter, "
            "their old key is revoked."
        ),
    ),
)
def reissue_letter(ctx: JobContext, params: dict) -> None:
    """A supervisor's new letter for one unit (a lost letter or phone), with the reason."""
    _print(ctx, params, reason=params.get("reason") or None)
    label = (params.get("unit_labels") or [""])[0]
    ctx.done(
        f"已为 {label} 补发新的告知书：请下载并打印。此前的告知书已作废，不能再用来登记。",
        f"A new letter for {label} is made: download and print it. The letters before it no longer work.",
    )


def _print(ctx: JobContext, params: dict, *, reason: str | None = None) -> int:
    """Draw the letters of ``params``' units, save the PDF, then record them (voiding the older
    ones) in the job's transaction; how many."""
    ctx.progress(0, 0, "正在读取房屋清单", "Reading the list of units", force=True)
    estate = ctx.estate
    units = scope_units(estate.id, params)
    if not units:
        raise ops.OnboardingError("没有可以打印信件的房屋", "there are no units to print letters for")
    n = len(units)
    now = utcnow()
    expires_on = (now + timedelta(days=estate.letter_valid_days)).astimezone(zone(estate)) - timedelta(seconds=1)
    base = params["base_url"].rstrip("/")
    secrets = ops.letter_secrets(n)
    letters = [
        Letter(
            estate_name=estate.name,
            building=unit.building.name,
            unit=unit.number,
            url=f"{base}/r/{token}",
            code=code,
            code_url=f"{base}/r",
            expires_on=expires_on.date(),
            help_text=estate.help_text or "物业服务中心或社区居委会",
            help_phone=estate.help_phone,
            organiser=organiser_name(estate),
            proxy_cap=estate.proxy_cap,
        )
        for unit, (token, code) in zip(units, secrets, strict=True)
    ]
    unit_ids = [u.id for u in units]
    filename = letters_filename(estate.slug, params, now.astimezone(zone(estate)).date())
    # End the reading transaction before the long part (see JobContext._may_write).
    db.session.rollback()

    total = n * sum(WEIGHTS.values())
    offsets = {"qr": 0, "pages": n * WEIGHTS["qr"], "save": n * (WEIGHTS["qr"] + WEIGHTS["pages"])}
    texts = {
        "qr": ("正在生成二维码：{done:,} / {total:,}", "Making the QR codes: {done:,} of {total:,}"),
        "pages": ("正在排版信件：{done:,} / {total:,}", "Laying out the letters: {done:,} of {total:,}"),
        "save": ("正在保存 PDF 文件（{n:,} 页）", "Saving the PDF file ({n:,} pages)"),
    }

    def report(stage: str, done: int, of: int) -> None:
        value = offsets[stage] + (WEIGHTS[stage] * n * done // of if of else 0)
        zh, en = texts[stage]
        ctx.progress(value, total, zh.format(done=done, total=of, n=n), en.format(done=done, total=of, n=n), force=stage == "save")

    pdf = render_letters(letters, progress=report)
    ctx.save_result(filename, pdf, "application/pdf")
    ctx.progress(total - n * WEIGHTS["store"], total, f"正在登记 {n:,} 封信件", f"Recording the {n:,} letters", force=True)

    # Record the letters (and void the older ones) in the job's transaction.
    ctx.begin_writing()
    estate = ctx.estate
    by_id = {u.id: u for u in scope_units(estate.id, params)}
    units = [by_id[i] for i in unit_ids if i in by_id]
    if len(units) != n:
        raise ops.OnboardingError(
            "打印期间房屋清单发生了变化，请重新打印", "the registry changed while the letters were made: print them again"
        )
    ops.issue_letters(
        estate,
        units,
        actor=ctx.actor,
        pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"],
        now=now,
        secrets=secrets,
        job_id=ctx.job_id,
        reason=reason,
    )
    return n


@job_kind(
    "texts",
    title=_l("Text messages to owners"),
    start={Role.organiser},
    view={Role.organiser},
    timeout=timedelta(hours=2),
    describe=lambda p: p.get("text", "")[:40],
)
def texts(ctx: JobContext, params: dict) -> None:
    """A text to every registered owner who gave a number for notices."""

    numbers = sms_numbers(ctx.estate_id)
    db.session.rollback()
    sent, failed = send_texts(numbers, params["text"], progress=lambda d, t: ctx.progress(d, t, f"已发送 {d} / {t}", f"Sent {d} of {t}"))
    ctx.done(f"短信已发送 {sent} 条，失败 {failed} 条", f"{sent} text(s) sent, {failed} failed")
