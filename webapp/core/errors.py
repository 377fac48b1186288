from __future__ import annotations

import math
import time
from datetime import UTC
from typing import NoReturn

from flask import Flask, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import BadRequest, Forbidden

from webapp.core.db import db, lost_connection
from webapp.core.extensions import LimitedHere, limiter
from webapp.core.i18n import is_chinese, pick
from webapp.core.serverkey import KeyNotUsable

# What each refusal means and what to do next, in both languages.
PAGES = {
    400: (
        "请求无法处理",
        "The request could not be handled",
        "请返回上一页重试；如果一再出现，请联系物业或社区。",
        "Go back and try again; if it keeps happening, contact the property office or community office.",
    ),
    403: (
        "无权访问",
        "Not allowed",
        "您的账号没有这个页面的权限。如需权限，请联系平台管理员。",
        "Your account may not open this page. Ask the platform administrator if you need access.",
    ),
    404: (
        "页面不存在",
        "Page not found",
        "地址可能有误，或内容已不存在。请从首页重新进入。",
        "The address may be wrong or the page no longer exists. Start again from the home page.",
    ),
    405: (
        "不能这样打开这个页面",
        "This page cannot be opened this way",
        "请从页面上的按钮或链接进入。",
        "Use the buttons and links on the pages.",
    ),
    410: ("已失效", "No longer available", "请从首页重新开始。", "Start again from the home page."),
    413: (
        "文件太大",
        "File too large",
        "请压缩或拆分文件后再上传：名册文件最大 20 MB，附件和扫描件最大 10 MB。",
        "Make the file smaller and upload it again: a registry file may have 20 MB, an attachment or scan 10 MB.",
    ),
    429: (
        "操作太频繁，请稍后再试",
        "Too many attempts: please wait and try again",
        "为了安全，短时间内的尝试次数有限。",
        "For safety, the number of attempts in a short time is limited.",
    ),
    503: (
        "系统暂时无法使用",
        "The service is briefly unavailable",
        "系统的一部分暂时没有响应，请几分钟后再试。已经投出的票不受影响。",
        "Part of the system is not answering. Please try again in a few minutes. Ballots already cast are safe.",
    ),
    500: (
        "系统出错了",
        "Something went wrong on our side",
        "您的操作没有被保存。请稍后再试；如果一再出现，请联系平台管理员。",
        "Nothing was saved. Please try again later; if it keeps happening, tell the platform administrator.",
    ),
}


class Refused(Forbidden):
    """A 403 that says why, in both languages: the error page shows the reason in the reader's."""

    def __init__(self, zh: str, en: str):
        super().__init__(description=en)
        self.zh, self.en = zh, en


class Malformed(BadRequest):
    """A 400 that says what was wrong with the request, in both languages."""

    def __init__(self, zh: str, en: str):
        super().__init__(description=en)
        self.zh, self.en = zh, en


def forbid(zh: str, en: str) -> NoReturn:
    raise Refused(zh, en)


def _retry_at(error=None):
    """When a rate-limited caller may try again (the limit that refused it)."""
    if isinstance(error, LimitedHere):
        return error.retry_at
    try:
        current = limiter.current_limit
        return current.reset_at if current is not None else None
    except Exception:  # outside a limited request there is nothing to say
        return None


# This server's configured key may not sign (not in the key set, not active yet, or retired):
# nothing was signed or saved; the readiness check says the same to the load balancer.
CANNOT_SIGN = (
    "这台服务器暂时不能签名",
    "This server cannot sign right now",
    "您的操作没有被保存。请稍后再试；如果一再出现，请告知平台管理员（服务器签名密钥）。",
    "Nothing was saved. Please try again in a moment; if it keeps happening, tell the platform administrator (the server signing key).",
)


# A connection to the database lost mid-request: nobody can say whether the commit happened.
UNKNOWN_OUTCOME = (
    "请再发送一次",
    "Please send again",
    "与数据库的连接中断了，无法确定刚才的操作是否已保存。请刷新页面查看；如果没有保存，请再发送一次。",
    "The connection to the database was interrupted, so we cannot tell whether what you sent was saved. "
    "Reload the page to see; if it was not saved, please send it again.",
)


def install(app: Flask) -> None:
    def page(code: int, texts: tuple[str, str, str, str] | None = None):
        title_zh, title_en, next_zh, next_en = texts or PAGES[code]

        def handler(error):
            from datetime import datetime

            if code in (500, 503):
                db.session.rollback()
            retry = _retry_at(error) if code == 429 else None
            retry_at = datetime.fromtimestamp(retry, UTC) if retry else None

            # A refusal, or an unavailability that says what still works (webapp.core.sessions).
            reason = pick(error) if isinstance(getattr(error, "zh", None), str) else None
            if request.accept_mimetypes.best == "application/json" or request.is_json:
                # A refusal with a reason answers with the reason itself; ``reason`` repeats it
                # for clients that show the title separately.
                if reason:
                    body = {"error": reason, "error_en": error.en, "reason": reason, "reason_en": error.en}
                else:
                    body = {"error": title_zh if is_chinese() else title_en, "error_en": title_en}
                response = make_response(jsonify(body), code)
            else:
                response = make_response(
                    render_template(
                        "error.html",
                        code=code,
                        title_zh=title_zh,
                        title_en=title_en,
                        next_zh=next_zh,
                        next_en=next_en,
                        retry_at=retry_at,
                        reason=reason,
                    ),
                    code,
                )
            if isinstance(error, LimitedHere):  # (Flask-Limiter's own 429s get theirs from it)
                response.headers["Retry-After"] = str(max(1, math.ceil(error.retry_at - time.time())))
            return response

        return handler

    for code in PAGES:
        app.register_error_handler(code, page(code))

    def csrf_expired(error):
        return render_template(
            "error.html",
            code=400,
            title_zh="页面已过期，请返回刷新后重试",
            title_en="The form expired: go back, reload and try again",
            next_zh="为了安全，表单有有效期。请返回上一页，刷新后再提交。",
            next_en="Forms expire for safety. Go back, reload the page and submit again.",
            retry_at=None,
        ), 400

    app.register_error_handler(CSRFError, csrf_expired)

    unknown_outcome = page(503, UNKNOWN_OUTCOME)

    def database_error(error):
        # The connection was lost during the request (after the first statement, which
        # RetryingSession sends again): if it was lost at the commit, nobody can say whether the
        # commit happened.  Anything else is a server error as before.
        if not lost_connection(error):
            raise error
        return unknown_outcome(error)

    app.register_error_handler(DBAPIError, database_error)
    app.register_error_handler(KeyNotUsable, page(503, CANNOT_SIGN))


def json_error(exc, status: int = 400):
    """A UserError as the JSON the device-key scripts show to the person."""

    return jsonify({"error": pick(exc), "error_en": exc.en}), status
