from __future__ import annotations

from flask import Blueprint, current_app, jsonify, make_response, redirect, request, url_for
from sqlalchemy import select

from webapp.core import metrics, readiness, sessions
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


@bp.get("/readyz")
@sessions.optional
def ready():
    """Whether this process may take requests: 200, or 503 naming what is wrong."""
    answers = readiness.run_checks(current_app._get_current_object())
    ok = all(answer == "ok" for answer in answers.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": answers}), 200 if ok else 503


@bp.get("/metrics")
@sessions.optional
def metrics_page():
    return metrics.page(current_app._get_current_object())
