"""Letters of proxy: organisers upload, supervisors decide, owners may withdraw, the proxy gets a letter."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from webapp.assemblies.loaders import load_assembly
from webapp.assemblies.models import Assembly
from webapp.assemblies.operations import attach
from webapp.core.db import db
from webapp.core.errors_base import UserError
from webapp.core.forms import PageForm
from webapp.core.i18n import pick
from webapp.core.roles import Role
from webapp.core.timefmt import zone
from webapp.core.views import run_operation
from webapp.estates.access import estate_view, in_estate
from webapp.estates.models import Estate
from webapp.owners.access import owner_required
from webapp.owners.letters import Letter, render_letters
from webapp.owners.staff_routes import _origin
from webapp.proxies import operations as ops
from webapp.proxies.models import Proxy

bp = Blueprint("proxies", __name__)


@bp.route("/e/<slug>/assemblies/<int:assembly_id>/proxies", methods=["GET", "POST"])
@estate_view(Role.organiser, Role.supervisor)
def manage(estate: Estate, assembly_id: int):
    assembly = load_assembly(estate, assembly_id)
    role = current_user.role_in(estate.id)
    form = PageForm()
    if request.method == "POST":
        if role is not Role.organiser or not form.validate_on_submit():
            abort(403)
        scan = request.files.get("scan")

        def create():

            if scan is None or not scan.filename:
                raise ops.ProxyError("请上传委托书扫描件", "attach the scan of the letter of proxy")
            try:
                signed_on = date.fromisoformat(request.form.get("signed_on", ""))
            except ValueError:
                raise ops.ProxyError("请填写委托书的签署日期", "give the date the letter was signed") from None
            attachment = attach(assembly, actor=current_user, kind="proxy", owner_id=None, data=scan.read(), filename=scan.filename)
            proxy = ops.create(
                assembly,
                actor=current_user,
                unit_label=request.form.get("unit", ""),
                proxy_name=request.form.get("name", ""),
                proxy_id_tail=request.form.get("tail", ""),
                scope=request.form.get("scope", ""),
                signed_on=signed_on,
                scan_id=attachment.id,
                scan_sha256=attachment.sha256,
                pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"],
            )
            attachment.owner_id = proxy.id
            return proxy

        run_operation(create, _("Letter of proxy entered. A supervisor decides it before the roll is frozen."))
        return redirect(url_for("proxies.manage", slug=estate.slug, assembly_id=assembly.id))
    proxies = list(db.session.scalars(select(Proxy).where(Proxy.assembly_id == assembly.id).order_by(Proxy.created_at.desc())))
    return render_template(
        "proxies/manage.html",
        estate=estate,
        assembly=assembly,
        proxies=proxies,
        form=form,
        organiser=role is Role.organiser,
        supervisor=role is Role.supervisor,
        cap=estate.proxy_cap,
    )


@bp.post("/e/<slug>/assemblies/<int:assembly_id>/proxies/<int:proxy_id>/<any(approve,reject,withdraw,letter):action>")
@estate_view(Role.organiser, Role.supervisor, admin=False)
def act(estate: Estate, assembly_id: int, proxy_id: int, action: str):
    assembly = load_assembly(estate, assembly_id)
    proxy = in_estate(Proxy, proxy_id, estate)
    if proxy.assembly_id != assembly.id or not PageForm().validate_on_submit():
        abort(404)
    reason = request.form.get("reason", "")
    if action in ("approve", "reject"):
        run_operation(
            lambda: ops.decide(proxy, assembly, actor=current_user, approve=action == "approve", reason=reason), _("Decision recorded.")
        )
    elif action == "withdraw":
        if current_user.role_in(estate.id) is not Role.organiser:
            abort(403)
        run_operation(
            lambda: ops.withdraw(proxy, assembly, by=current_user, reason=reason or "the owner's written withdrawal"), _("Proxy withdrawn.")
        )
    else:
        try:
            issued = ops.issue_letter(proxy, assembly, actor=current_user, pii_key=current_app.config["OWNERSVOTE_PII_HMAC_KEY"])
        except UserError as exc:
            db.session.rollback()

            flash(pick(exc), "error")
        else:
            base = _origin()

            letter = Letter(
                estate_name=estate.name,
                building=proxy.unit.building.name,
                unit=proxy.unit.number,
                url=f"{base}/r/{issued.token}",
                code=issued.code,
                code_url=f"{base}/r",
                expires_on=issued.invitation.expires_at.astimezone(zone(estate)).date(),
                help_text=estate.help_text or "物业服务中心或社区居委会",
                help_phone=estate.help_phone,
                organiser=f"受托人 {proxy.proxy_name} 专用（{assembly.title}）",
                proxy_cap=estate.proxy_cap,
                for_proxy=True,
            )
            pdf = render_letters([letter])
            db.session.commit()
            response = Response(pdf, mimetype="application/pdf")
            response.headers["Content-Disposition"] = f'attachment; filename="proxy-letter-{estate.slug}-{proxy.id}.pdf"'
            response.headers["Cache-Control"] = "no-store"
            return response
    return redirect(url_for("proxies.manage", slug=estate.slug, assembly_id=assembly.id))


@bp.route("/me/proxies/<int:proxy_id>/withdraw", methods=["GET", "POST"])
@owner_required
def owner_withdraw(proxy_id: int):
    """The owner withdraws a letter of proxy in two steps: this page says what withdrawing does
    and asks; only its own form (which carries ``confirm``) withdraws."""
    proxy = db.session.get(Proxy, proxy_id)
    if proxy is None or proxy.estate_id != current_user.estate_id or current_user.owner_id != proxy.owner_id:
        abort(404)
    assembly = db.session.get(Assembly, proxy.assembly_id)
    form = PageForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        if request.form.get("confirm") != "yes":  # a form from elsewhere: ask first
            return redirect(url_for("proxies.owner_withdraw", proxy_id=proxy.id))
        done, _result = run_operation(
            lambda: ops.withdraw(proxy, assembly, by=f"owner:{current_user.id}", reason="withdrawn by the owner online"),
            _("Proxy withdrawn. %(name)s can no longer vote for your household.", name=proxy.proxy_name),
        )
        return redirect(url_for("portal.me") + ("#proxies" if done else ""))
    return render_template(
        "proxies/withdraw.html",
        proxy=proxy,
        assembly=assembly,
        estate=current_user.estate,
        form=form,
        in_force=proxy.state in ("pending", "approved"),
        may_withdraw=assembly.roll_id is None and assembly.state in ("draft", "notice"),
    )
