"""Issue 17 item 10: a used letter and an unknown one cost the same work (never timed: the same
statements and the same hashing)."""

from __future__ import annotations

import re

from sqlalchemy import event

from tests.factories import ZHANG_TAIL
from webapp.owners import tokens


def _work(app, client, monkeypatch, url):
    """The SQL statements (outside the session store) and the token hashes one scan costs."""
    from webapp.core.db import db

    statements: list[str] = []
    hashed: list[str] = []
    original = tokens.token_hash
    monkeypatch.setattr(tokens, "token_hash", lambda token: hashed.append(token) or original(token))

    def seen(conn, cursor, statement, parameters, context, executemany):
        # The test's savepoints and the session store's own writes are not the scan's work.
        if "server_sessions" not in statement and not re.search(r"(?i)SAVEPOINT", statement):
            statements.append(re.sub(r"\s+", " ", statement))

    with app.app_context():
        engine = db.engines[None]
    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = client.get(url)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    return response.status_code, statements, len(hashed)


def test_a_used_letter_and_an_unknown_one_do_the_same_work(app, client, post, letter, device, monkeypatch):
    token, _ = letter()
    client.get(f"/r/{token}")
    post("/join", {"id-name": "张三", "id-id_tail": ZHANG_TAIL})
    device.register()
    post("/logout")
    used = _work(app, client, monkeypatch, f"/r/{token}")
    unknown = _work(app, client, monkeypatch, "/r/" + "A" * 43)
    too_long = _work(app, client, monkeypatch, "/r/" + "A" * 80)
    assert used[0] == unknown[0] == too_long[0] == 303
    assert used[1] == unknown[1] == too_long[1]
    assert len(used[1]) == 1  # one statement finds the letter, its registration and its keys
    assert used[2] == unknown[2] == too_long[2] == 1
