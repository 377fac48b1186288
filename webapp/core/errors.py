from __future__ import annotations

from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError


def install(app: Flask) -> None:
    def page(code: int, title_zh: str, title_en: str):
        def handler(error):
            return render_template("error.html", code=code, title_zh=title_zh, title_en=title_en), code

        return handler

    app.register_error_handler(403, page(403, "无权访问", "Not allowed"))
    app.register_error_handler(404, page(404, "页面不存在", "Page not found"))
    app.register_error_handler(413, page(413, "文件太大", "File too large"))
    app.register_error_handler(429, page(429, "操作太频繁，请稍后再试", "Too many attempts: please wait and try again"))
    app.register_error_handler(CSRFError, page(400, "页面已过期，请返回刷新后重试", "The form expired: go back, reload and try again"))


def json_error(exc, status: int = 400):
    """A UserError as the JSON the device-key scripts show to the person."""
    from webapp.core.i18n import pick

    return jsonify({"error": pick(exc), "error_en": exc.en}), status
