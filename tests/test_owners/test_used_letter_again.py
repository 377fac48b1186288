"""A used letter brought back to a phone: what the page says depends on who is signed in there.
Its owner, signed in with the key the letter made, is told that all is well (not that the phone
holds no key, which would send them to ask for a new letter that revokes that key); anybody else
gets the ways forward, and nobody is told whose letter it is."""

from __future__ import annotations

from tests.factories import LI_TAIL, WANG_TAIL, ZHANG_TAIL, Device

NO_KEY = 'id="no-key"'
SIGN_IN = "在这部手机上登录"
YOURS = "您已经用这封告知书登记过了"


def register(post, device, code: str, name: str, tail: str) -> None:
    assert post("/r", {"code": code}).status_code == 303
    post("/join", {"id-name": name, "id-id_tail": tail})
    assert device.register().status_code == 200


def again(client, post, code: str) -> str:
    response = post("/r", {"code": code})
    assert response.status_code == 303
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_owner_signed_in_with_the_letters_key_is_told_the_letter_was_theirs_not_that_the_phone_has_no_key(client, post, letter, device):
    _, code = letter("1-101")
    register(post, device, code, "张三", ZHANG_TAIL)
    page = again(client, post, code)
    assert "这封告知书不能使用" in page
    assert YOURS in page
    assert "这部手机已用您的密钥登录" in page
    assert 'href="/me"' in page
    assert "我的页面" in page
    assert NO_KEY not in page
    assert "这部手机上没有您的密钥" not in page
    assert SIGN_IN not in page


def test_a_phone_signed_in_for_the_same_unit_is_not_told_it_holds_no_key(client, post, letter, device):
    _, first = letter("1-102")
    register(post, device, first, "李四", LI_TAIL)
    post("/logout")
    _, second = letter("1-102")  # the co-owner's own letter
    register(post, Device(client), second, "王五", WANG_TAIL)
    page = again(client, post, first)
    assert "这封告知书已经用于登记" in page
    assert "这部手机已经用本户的有效密钥登录" in page
    assert YOURS not in page
    assert NO_KEY not in page
    assert SIGN_IN not in page


def test_a_phone_signed_in_as_another_owner_gets_the_ways_forward_but_no_sign_in_and_no_names(client, post, letter, device):
    _, theirs = letter("1-102")
    register(post, device, theirs, "李四", LI_TAIL)
    post("/logout")
    _, mine = letter("1-101")
    register(post, Device(client), mine, "张三", ZHANG_TAIL)
    page = again(client, post, theirs)
    assert "这封告知书已经用于登记" in page
    assert YOURS not in page
    assert NO_KEY in page  # true: the key signed in here was not made with this letter
    assert SIGN_IN not in page  # signing in again would only sign in the same other owner
    assert 'href="/me"' in page
    assert "李四" not in page
    assert "1-102" not in page


def test_a_phone_nobody_is_signed_in_on_still_gets_the_sign_in_and_the_ways_forward(client, post, letter, device):
    _, code = letter("1-101")
    register(post, device, code, "张三", ZHANG_TAIL)
    post("/logout")
    page = again(client, post, code)
    assert "这封告知书已经用于登记" in page
    assert YOURS not in page
    assert NO_KEY in page
    assert SIGN_IN in page
