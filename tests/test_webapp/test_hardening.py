"""Issue 17: open redirects, NUL bytes and over-deep JSON, letter tokens in error pages."""

from __future__ import annotations

import pytest

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
