"""The demo estate: created once, left alone on later runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from webapp.assemblies.models import Assembly
from webapp.auth.operations import assign_role, create_staff, find_staff
from webapp.core.db import db, utcnow
from webapp.core.instance import instance_path
from webapp.core.roles import Role
from webapp.demo.accounts import build as build_accounts
from webapp.demo.areas import OVERSEER, SUB_DISTRICT
from webapp.demo.areas import build as build_areas
from webapp.demo.assemblies import CLOSES_IN, CLOSING_SOON_TITLE, build
from webapp.demo.district import NEIGHBOURS
from webapp.demo.district import build as build_district
from webapp.demo.evaluations import build as build_evaluations
from webapp.demo.inspections import FIRM_LOGIN
from webapp.demo.inspections import build as build_inspections
from webapp.demo.petitions import build as build_petition
from webapp.demo.pool import NO_FIRM, build_matching
from webapp.demo.registry import demo_csv, demo_rows
from webapp.estates.operations import create_estate, get_estate
from webapp.evaluations.models import Evaluation
from webapp.inspections.models import Inspection
from webapp.rankings.models import Ranking
from webapp.registry.importing import import_file

DEMO_SLUG = "demo"
DEMO_NAME = "绿苑小区（演示）"  # the one name of the demo estate: the pages and the command say it alike
# Fixed, published passwords: the demo refuses to run in production mode.
DEMO_LOGINS = [
    ("admin", "demo-admin-pass", "platform admin"),
    ("organiser", "demo-organiser-pass", "organiser"),
    ("organiser2", "demo-organiser2-pass", "organiser"),
    ("supervisor", "demo-supervisor-pass", "supervisor"),
    ("supervisor2", "demo-supervisor2-pass", "supervisor"),
]
# Real names, as owners read them on the public roll (never the usernames).
DEMO_NAMES = {
    "admin": "区住建局 周建国",
    "organiser": "首次业主大会筹备组 林晓燕",
    "organiser2": "首次业主大会筹备组 赵德明",
    "supervisor": "绿苑社区居委会 王敏",
    "supervisor2": "翠湖街道办事处 陈立新",
}


TRY_UNIT = ("2", "101")


def sample_owner() -> tuple[str, str, str]:
    """(unit, name, last six ID characters) of a real owner in the demo registry, so that a
    visitor can walk the owner's path without knowing anyone's identity number."""

    for row in demo_rows():
        if (row["楼栋"], row["房号"]) == TRY_UNIT and row["证件号"]:
            return f"{row['楼栋']}-{row['房号']}", row["业主"].split("、")[0], row["证件号"].split("、")[0][-6:]
    raise LookupError("the demo registry has no owner for the sample unit")


def ensure_demo(closes_in: timedelta = CLOSES_IN) -> bool:
    """True when this call created the demo estate (its short assembly closes ``closes_in``
    later, on a whole minute when ``closes_in`` is whole minutes)."""
    if get_estate(DEMO_SLUG) is not None:
        return False
    estate = create_estate(DEMO_SLUG, DEMO_NAME, actor="demo")
    for username, password, role in DEMO_LOGINS:
        user = find_staff(username) or create_staff(username, DEMO_NAMES[username], password, admin=role == "platform admin", actor="demo")
        if role != "platform admin":
            assign_role(user, estate, Role(role), actor="demo")
    import_file(estate, demo_csv(), "demo-registry.csv", actor="demo")
    db.session.commit()
    from flask import current_app

    staff = {username: find_staff(username) for username, _, role in DEMO_LOGINS if role != "platform admin"}
    signers: dict = {}
    voters = build(estate, staff, current_app.config["OWNERSVOTE_PII_HMAC_KEY"], instance_path(), closes_in, signers_out=signers)
    db.session.commit()
    build_petition(estate, signers, current_app.config["OWNERSVOTE_PII_HMAC_KEY"], skip_kids={v["kid"] for v in voters})
    db.session.commit()
    build_evaluations(estate, staff, find_staff("admin"), skip_kids={v["kid"] for v in voters})
    db.session.commit()
    build_inspections(estate, staff, find_staff("admin"))
    db.session.commit()
    build_district(estate, find_staff("admin"), base_url=current_app.config.get("OWNERSVOTE_BASE_URL") or "http://127.0.0.1:5000")
    db.session.commit()
    build_matching(find_staff("admin"), find_staff("organiser"))
    neighbours = [get_estate(slug) for slug, *_rest in NEIGHBOURS]
    build_accounts(estate, staff["organiser"], find_staff("admin"), [n for n in neighbours if n is not None], utcnow())
    db.session.commit()
    build_areas(find_staff("admin"))
    db.session.commit()
    return True


def closing_soon() -> Assembly | None:
    """The demo's short assembly, which closes a few minutes after the demo was created."""
    estate = get_estate(DEMO_SLUG)
    if estate is None:
        return None
    return db.session.scalar(select(Assembly).where(Assembly.estate_id == estate.id, Assembly.title == CLOSING_SOON_TITLE))


def demo_voters() -> list[dict]:
    """The demo owners who have not voted yet in the open assembly, with their phones' keys."""
    import json

    path = instance_path() / "demo_voters.json"
    return json.loads(path.read_text()) if path.exists() else []


def demo_evaluation_lines(site: str) -> list[str]:
    """What the demo command says about the owners' evaluations of the firm."""
    estate = get_estate(DEMO_SLUG)
    if estate is None:
        return []
    lines = []
    for evaluation in db.session.scalars(select(Evaluation).where(Evaluation.estate_id == estate.id).order_by(Evaluation.closes)):
        if evaluation.result:
            lines.append(
                f"owners' evaluation '{evaluation.title}': result published at {site}/evaluations/{evaluation.id}/result "
                f"(recount: ownersvote verify-evaluation result.json)"
            )
        else:
            lines.append(f"owners' evaluation '{evaluation.title}': open; a demo owner answers it anonymously from My page ({site}/me)")
    inspected = db.session.scalar(select(func.count()).select_from(Inspection).where(Inspection.estate_id == estate.id))
    if inspected:
        lines.append(
            f"inspections of the firm: {inspected} signed by the supervisors, a rectification notice and its follow-up at "
            f"{site}/p/{DEMO_SLUG}/inspections (staff: /e/{DEMO_SLUG}/inspections); the firm signs in at {site}/firm/login as "
            f"{FIRM_LOGIN[0]} / {FIRM_LOGIN[1]}"
        )
    rankings = list(db.session.scalars(select(Ranking).order_by(Ranking.period_from)))
    for ranking in rankings:
        lines.append(
            f"ranking of firms '{ranking.period_title}': {site}/rankings/{ranking.id} (PDF, signed JSON; ownersvote verify-ranking)"
        )
    lines.append(
        f"the district view (区域总览): {site}/district — {OVERSEER} (翠湖街道办事处) sees {SUB_DISTRICT}'s estates, admin every estate"
    )
    if get_estate(NO_FIRM[0]) is not None:
        lines.append(
            f"the district's pool of firms: {site}/pool; {NO_FIRM[1]} has no firm and one match: {site}/e/{NO_FIRM[0]}/pool (organiser)"
        )
    return lines
