"""Job pages: the list per estate, one job with its live progress, its status as JSON for the
page's script, retry, and the download of its result.  Every view checks the caller's role in
the job's estate against what the job's kind allows; anything else is 404."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from webapp.core.db import db
from webapp.core.extensions import limiter
from webapp.core.i18n import is_chinese, pick
from webapp.core.roles import Role, admin_required, is_staff
from webapp.core.timefmt import local
from webapp.core.views import run_operation
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.jobs import operations as ops
from webapp.jobs.context import files_root, runner_mode, safe_filename
from webapp.jobs.forms import RetryForm
from webapp.jobs.kinds import JobKind, get_kind, visible_kinds
from webapp.jobs.models import Job
from webapp.jobs.runner import submit

bp = Blueprint("jobs", __name__)
PAGE_SIZE = 30


def _admin() -> bool:
    return bool(current_user.is_platform_admin)


def _load(estate: Estate, job_id: int) -> tuple[Job, JobKind]:
    job = in_estate(Job, job_id, estate)
    kind = get_kind(job.kind)
    if kind is None or not kind.may_view(g.role, _admin()):
        abort(404)  # the same answer as for another estate's job
    return job, kind


def _tidy(job: Job) -> None:
    """A dead worker's job becomes failed; expired files go.  Committed by the caller."""
    ops.refresh(job, current_app)
    ops.sweep_results(db.session, files_root())


def can_see_jobs(estate: Estate) -> bool:
    if not is_staff():
        return False
    return bool(visible_kinds(current_user.role_in(estate.id), _admin()))


def state_label(state: str) -> str:
    return {"queued": _("Waiting to start"), "running": _("Running"), "done": _("Done"), "failed": _("Failed")}[state]


def _text(zh: str | None, en: str | None) -> str:
    return (zh if is_chinese() else en) or ""


def size_label(size: int | None) -> str:
    if size is None:
        return ""
    if size >= 1024 * 1024:
        return _("%(n).1f MB", n=size / 1024 / 1024)
    return _("%(n)d KB", n=max(1, size // 1024))


def removed_text(job: Job, estate: Estate | None) -> str:
    if job.result_removed_at is None:
        return ""
    at = local(job.result_removed_at, estate)
    if job.result_removed_reason == "downloaded":
        return _("The file was deleted after its first complete download (%(at)s).", at=at)
    if job.result_removed_reason == "expired":
        return _("The file was deleted when its keeping time ended (%(at)s).", at=at)
    return _("The file is no longer on the server (%(at)s).", at=at)


def status_doc(job: Job, kind: JobKind, estate: Estate | None) -> dict:
    """The job's state for its page's script; ``estate`` None for a district job."""
    available = job.result_available
    if not available:
        download = ""
    elif estate is None:
        download = url_for("jobs.district_download", job_id=job.id)
    else:
        download = url_for("jobs.download", slug=estate.slug, job_id=job.id)
    return {
        "id": job.id,
        "state": job.state,
        "state_label": state_label(job.state),
        "done": job.progress_done,
        "total": job.progress_total,
        "percent": job.percent,
        "message": _text(job.message_zh, job.message_en),
        "error": _text(job.error_zh, job.error_en) if job.state == "failed" else "",
        "attempt": job.attempts,
        "started_at": local(job.started_at, estate, "%Y-%m-%d %H:%M:%S"),
        "finished_at": local(job.finished_at, estate, "%Y-%m-%d %H:%M:%S"),
        "result_available": available,
        "result_name": job.result_name if available else "",
        "result_size": size_label(job.result_size) if available else "",
        "sha256": job.result_sha256 if available else "",
        "expires_at": local(job.result_expires_at, estate) if available and job.result_expires_at else "",
        "download_url": download,
        "removed": removed_text(job, estate),
    }


@bp.get("/e/<slug>/jobs")
@estate_view(Role.organiser, Role.supervisor)
def index(estate: Estate):
    kinds = visible_kinds(g.role, _admin())
    page = max(1, request.args.get("page", 1, type=int) or 1)
    jobs, total = ops.jobs_of(estate, kinds, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    changed = [job for job in jobs if ops.refresh(job, current_app)]
    if ops.sweep_results(db.session, files_root()) or changed:
        db.session.commit()
    pages = max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE)
    return render_template("jobs/list.html", estate=estate, jobs=jobs, page=page, pages=pages, get_kind=get_kind, state_label=state_label)


@bp.get("/e/<slug>/jobs/<int:job_id>")
@estate_view(Role.organiser, Role.supervisor)
def job(estate: Estate, job_id: int):
    job, kind = _load(estate, job_id)
    _tidy(job)
    db.session.commit()
    return render_template(
        "jobs/job.html",
        estate=estate,
        job=job,
        kind=kind,
        status=status_doc(job, kind, estate),
        may_retry=kind.may_start(g.role, _admin()),
        retry=RetryForm(),
    )


@bp.get("/e/<slug>/jobs/<int:job_id>/status")
@limiter.exempt  # polled every second while a job runs
@estate_view(Role.organiser, Role.supervisor)
def status(estate: Estate, job_id: int):
    job, kind = _load(estate, job_id)
    if job.active and ops.refresh(job, current_app):
        db.session.commit()
    response = jsonify(status_doc(job, kind, estate))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/e/<slug>/jobs/<int:job_id>/retry")
@estate_view(Role.organiser, Role.supervisor)
def retry(estate: Estate, job_id: int):
    job, kind = _load(estate, job_id)
    if not kind.may_start(g.role, _admin()):
        abort(403)
    if not RetryForm().validate_on_submit():
        abort(400)
    _tidy(job)  # a job whose worker died is failed now, and may be retried
    done, _result = run_operation(
        lambda: ops.retry_job(job, actor=current_user, runner=runner_mode(current_app), root=files_root()),
        _("The job was started again."),
    )
    if done:
        submit(job)
    return redirect(url_for("jobs.job", slug=estate.slug, job_id=job.id), code=303)


def attachment(name: str) -> dict:
    """Content-Disposition parameters for a file name: an ASCII ``filename`` and, when the name
    is not ASCII, the exact one as RFC 6266 / 5987 ``filename*``."""
    name = safe_filename(name)
    try:
        name.encode("ascii")
        return {"filename": name}
    except UnicodeEncodeError:
        simple = safe_filename(unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii"))
        return {"filename": simple, "filename*": "UTF-8''" + quote(name, safe="")}


@bp.get("/e/<slug>/jobs/<int:job_id>/download")
@estate_view(Role.organiser, Role.supervisor)
def download(estate: Estate, job_id: int):
    job, kind = _load(estate, job_id)
    return _send(job, kind, url_for("jobs.job", slug=estate.slug, job_id=job.id))


def _send(job: Job, kind: JobKind, back: str):
    """Stream a job's result file to its reader (audited), or say why it is gone."""
    root = files_root()
    try:
        path = ops.open_result(job, root)
    except ops.ResultGone as exc:
        db.session.commit()  # what open_result tidied up
        flash(pick(exc), "error")
        return redirect(back)
    handle = path.open("rb")
    size = path.stat().st_size
    ops.record_download(job, actor=current_user)
    db.session.commit()
    app, job_id, delete_after = current_app._get_current_object(), job.id, kind.delete_after_download

    def stream():
        sent = 0
        with handle:
            while chunk := handle.read(256 * 1024):
                sent += len(chunk)
                yield chunk
        # Reached only when the server has handed over every byte: a broken download keeps it.
        if delete_after and sent == size:
            with app.app_context():
                ops.mark_downloaded(job_id, files_root(app))
                db.session.commit()

    response = Response(stream(), mimetype=job.result_mimetype or "application/octet-stream", direct_passthrough=True)
    response.headers["Content-Length"] = str(size)
    response.headers.set("Content-Disposition", "attachment", **attachment(job.result_name or "result"))
    response.headers["Cache-Control"] = "no-store"
    return response


# --- district jobs (no estate: the ranking of every estate's firm), for platform admins ----------


def _district(job_id: int) -> tuple[Job, JobKind]:
    job = db.session.get(Job, job_id)
    kind = get_kind(job.kind) if job is not None else None
    if job is None or kind is None or job.estate_id is not None or not kind.admin:
        abort(404)
    return job, kind


def district_back(kind: JobKind, params: dict) -> tuple[str, object] | None:
    if not kind.back_endpoint:
        return None
    try:
        extra = kind.back_args(params) if kind.back_args else {}
    except (KeyError, TypeError, ValueError):
        return None
    return url_for(kind.back_endpoint, **extra), kind.back_title or kind.title


@bp.get("/admin/jobs/<int:job_id>")
@admin_required
def district_job(job_id: int):
    job, kind = _district(job_id)
    _tidy(job)
    db.session.commit()
    return render_template(
        "jobs/district_job.html",
        job=job,
        kind=kind,
        status=status_doc(job, kind, None),
        status_url=url_for("jobs.district_status", job_id=job.id),
        back=district_back(kind, job.params or {}),
        retry=RetryForm(),
    )


@bp.get("/admin/jobs/<int:job_id>/status")
@limiter.exempt  # polled every second while a job runs
@admin_required
def district_status(job_id: int):
    job, kind = _district(job_id)
    if job.active and ops.refresh(job, current_app):
        db.session.commit()
    response = jsonify(status_doc(job, kind, None))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/admin/jobs/<int:job_id>/retry")
@admin_required
def district_retry(job_id: int):
    job, _kind = _district(job_id)
    if not RetryForm().validate_on_submit():
        abort(400)
    _tidy(job)
    done, _result = run_operation(
        lambda: ops.retry_job(job, actor=current_user, runner=runner_mode(current_app), root=files_root()),
        _("The job was started again."),
    )
    if done:
        submit(job)
    return redirect(url_for("jobs.district_job", job_id=job.id), code=303)


@bp.get("/admin/jobs/<int:job_id>/download")
@admin_required
def district_download(job_id: int):
    job, kind = _district(job_id)
    return _send(job, kind, url_for("jobs.district_job", job_id=job.id))
