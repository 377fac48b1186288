"""Who is signed in, told without Flask-Login where nobody can be."""

from __future__ import annotations

from flask import g


def test_a_request_without_a_sign_in_cookie_is_nobody_and_flask_login_is_not_asked(app):
    from webapp.core.roles import is_staff, user_kind

    with app.test_request_context("/api/v1/a/1/ballots", method="POST"):
        assert user_kind() is None
        assert not is_staff()
        assert "_login_user" not in g  # Flask-Login loaded no user (nor hashed the client for it)


def test_a_request_with_the_session_cookie_asks_flask_login(app):
    from webapp.core.roles import user_kind

    name = app.config["SESSION_COOKIE_NAME"]
    with app.test_request_context("/", headers={"Cookie": f"{name}=whatever"}):
        assert user_kind() is None  # an unknown session signs nobody in
        assert "_login_user" in g
