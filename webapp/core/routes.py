from __future__ import annotations

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.core.db import db
from webapp.core.extensions import LOCALES
from webapp.core.views import local_target
from webapp.estates.models import Estate

bp = Blueprint("core", __name__)


@bp.get("/")
def index():
    estates = []
    if current_user.is_authenticated and getattr(current_user, "is_platform_admin", False):
        estates = list(db.session.scalars(select(Estate).order_by(Estate.name)))
    elif current_user.is_authenticated and hasattr(current_user, "roles"):
        estates = sorted((db.session.get(Estate, r.estate_id) for r in current_user.roles), key=lambda e: e.name)
    return render_template("index.html", estates=estates)


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "zh_CN")
    target = local_target(request.form.get("next"), url_for("core.index"))
    response = make_response(redirect(target))
    if lang in LOCALES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/healthz")
def health():
    db.session.execute(select(1))
    return {"status": "ok"}
