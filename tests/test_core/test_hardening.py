"""Issue 17: open redirects, NUL bytes and over-deep JSON, letter tokens in error pages."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.core.views import local_target

EVIL = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/\\evil.example",
    "/x\\..\\\\evil.example",
    "//evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\u3000/evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
]


@pytest.mark.parametrize("value", EVIL)
def test_a_next_with_controls_whitespace_or_backslashes_is_refused(value):
    assert local_target(value, "/home") == "/home"


@pytest.mark.parametrize("value", ["/", "/e/lvyuan?page=2", "/p/lvyuan/assemblies#x", "/e/lvyuan/a%09b"])
def test_a_plain_local_path_is_kept(value):
    assert local_target(value, "/home") == value


def test_login_does_not_redirect_to_another_site_through_a_tab(client, post, make_staff):
    make_staff("admin", admin=True)
    response = post("/login?next=/%09/evil.example", {"username": "admin", "password": "correct horse battery"})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil.example" not in location


def test_the_language_switch_does_not_redirect_to_another_site_through_a_tab(client, post):
    response = post("/lang", {"lang": "en", "next": "/\t/evil.example"})
    assert response.status_code == 302
    assert "evil.example" not in response.headers["Location"]


# ---------------------------------------------------------------- NUL bytes and over-deep JSON


@pytest.mark.parametrize("path", ["/p/%00/assemblies", "/p/lvyuan/assemblies?page=%00", "/e/lv%00yuan"])
def test_a_nul_in_a_path_or_query_is_refused_with_a_400(client, make_estate, path):
    make_estate()
    response = client.get(path)
    assert response.status_code == 400
    assert "不允许的空字符" in response.get_data(as_text=True)


def test_a_nul_in_a_form_value_is_refused_with_a_400_before_the_view(client, post, make_staff):
    make_staff("admin", admin=True)
    response = post("/login", {"username": "ad\x00min", "password": "correct horse battery"})
    assert response.status_code == 400
    assert "不允许的空字符" in response.get_data(as_text=True)


def test_a_nul_in_a_paper_sheets_serial_is_refused_with_a_400(client, post, make_staff, make_estate):
    estate = make_estate()
    make_staff("org", estate=estate, role="organiser")
    response = post("/e/lvyuan/assemblies/1/paper", {"serial": "\x00"})
    assert response.status_code == 400


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.mark.parametrize("url", ["/signin", "/api/v1/a/1/ballots"])
def test_deeply_nested_json_is_malformed_not_a_server_error(client, url):
    body = '{"kid": "x", "signature": "y", "extra": ' + _deep(100_000) + "}"
    response = client.post(url, data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested deeper" in response.get_json()["error_en"]


def test_json_nested_a_few_levels_passes_the_depth_check():
    from webapp.core.inputs import too_deep

    assert not too_deep(b'{"a": [[{"b": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}]]]}')
    assert too_deep(_deep(33).encode())
    assert not too_deep(_deep(32).encode())


# ---------------------------------------------------------------- a letter's token in a page

TOKEN = "Q2hlY2tUaGF0VGhlVG9rZW5OZXZlckFwcGVhcnNJbkFQYWdl"


def test_the_rate_limit_page_at_a_letter_address_does_not_echo_the_token(client, make_estate):
    make_estate()
    for _ in range(40):
        response = client.get(f"/r/{TOKEN}")
        if response.status_code == 429:
            break
    assert response.status_code == 429
    page = response.get_data(as_text=True)
    assert TOKEN not in page
    assert 'name="next" value="/"' in page


def test_the_error_page_at_a_letter_address_does_not_echo_the_token(app, db_session):
    from flask import render_template

    with app.test_request_context(f"/r/{TOKEN}"):
        page = render_template("error.html", code=500, title_zh="x", title_en="x", next_zh="x", next_en="x")
    assert TOKEN not in page


def test_the_language_form_returns_to_an_ordinary_page_with_its_query(app, db_session):
    from webapp.core.views import language_next

    with app.test_request_context("/p/lvyuan/assemblies?page=2"):
        assert language_next() == "/p/lvyuan/assemblies?page=2"


def _too_deep_one_byte_at_a_time(body: bytes) -> bool:
    """The first implementation (one regex alternation and one Python step per byte), kept as
    the reference the faster one must agree with on any text, well formed or not."""
    import re

    brackets = re.sub(rb"[^\[\]{}]", b"", re.sub(rb'"(?:[^"\\]|\\.)*"', b"", body, flags=re.DOTALL))
    depth = 0
    for byte in brackets:
        depth += 1 if byte in b"[{" else -1
        if depth > 32:
            return True
    return False


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"', b"\\", b"a", b",", b"\n", b'\\"', b"[[[[[[[[", b"]]]]]]]]"]), max_size=120))
def test_the_depth_check_agrees_with_the_byte_by_byte_reference_on_any_text(parts):
    from webapp.core.inputs import too_deep

    body = b"".join(parts)
    assert too_deep(body) == _too_deep_one_byte_at_a_time(body)
