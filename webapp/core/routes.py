from __future__ import annotations

from flask import Blueprint, make_response, redirect, request, url_for
from sqlalchemy import select

from webapp.core import sessions
from webapp.core.db import db
from webapp.core.extensions import LOCALES
from webapp.core.views import local_target

bp = Blueprint("core", __name__)


@bp.post("/lang")
def set_language():
    lang = request.form.get("lang", "zh_CN")
    target = local_target(request.form.get("next"), url_for("estates.index"))
    response = make_response(redirect(target))
    if lang in LOCALES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response


@bp.get("/healthz")
@sessions.optional
def health():
    db.session.execute(select(1))
    return {"status": "ok"}
