"""The staff pages of onboarding in plain words: readable devices, states and times, never the
raw codes, user-agent strings or UTC."""

from __future__ import annotations

import pytest

from crypto.keys import generate_ed25519
from webapp.devices import operations as device_ops

ANDROID = "Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36"
LINUX = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/126.0.0.0 Chrome/126.0.0.0 Safari/537.36"


@pytest.mark.parametrize(
    ("label", "zh"),
    [
        (ANDROID, "Android 手机 · Chrome"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
            "iPhone · Safari",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN",
            "iPhone · 微信",
        ),
        (
            "Mozilla/5.0 (Linux; Android 12; HarmonyOS; NOH-AN00) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/99.0 HuaweiBrowser/14.0.4.300 Mobile Safari/537.36",
            "鸿蒙手机 · 华为浏览器",
        ),
        (LINUX, "Linux 电脑 · Chromium"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.51",
            "Windows 电脑 · Edge",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
            "Mac 电脑 · Safari",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Android 平板 · Chrome",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
            "Linux 电脑 · Chrome",
        ),
        # what the script stored before it kept the whole string
        ("X11; Linux x86_64", "Linux 电脑"),
        ("Linux; Android 10; K", "Android 手机"),
        ("iPhone; CPU iPhone OS 17_4 like Mac OS X", "iPhone"),
        ("Windows NT 10.0; Win64; x64", "Windows 电脑"),
        ("test phone", "未知设备"),
        (None, "未知设备"),
    ],
)
def test_a_device_label_reads_as_the_device_and_browser(app, label, zh):
    from webapp.devices.names import device_name

    with app.test_request_context("/"):
        assert device_name(label) == zh


def test_device_names_speak_english_when_chosen(app):
    from webapp.devices.names import device_name

    with app.test_request_context("/", headers={"Cookie": "lang=en"}):
        assert device_name(ANDROID) == "Android phone · Chrome"
        assert device_name("X11; Linux x86_64") == "Linux computer"


def test_the_staff_keys_page_has_a_header_row_and_readable_devices_and_states(client, login, staff, db_session):
    keys = [
        device_ops.add_device_key(jwk=generate_ed25519().jwk, label=label, staff=staff["supervisor"])
        for label in (LINUX, "X11; Linux x86_64")
    ]
    device_ops.revoke_key(keys[1], actor=staff["supervisor"], reason="旧电脑已交回")
    db_session.commit()
    login("supervisor")
    page = client.get("/staff/keys").get_data(as_text=True)
    assert "<thead>" in page
    assert "<th>设备</th>" in page
    assert "<th>状态</th>" in page
    assert "Linux 电脑 · Chromium" in page
    assert "有效" in page
    assert "已撤销" in page
    assert "旧电脑已交回" in page
    for raw in ("X11;", "Mozilla", ">active<", ">revoked<"):
        assert raw not in page
    assert keys[0].kid[:16] in page
    assert "修改我的密码" in page


def test_the_queue_speaks_chinese_with_local_times(client, login, post, ask_review, onboard, staff, db_session, estate):
    from webapp.core.timefmt import local

    onboard()  # 1-101, approved by the automatic check
    post("/logout")
    pending = ask_review("1-102", "Maximilian-Alexander Vandenberghe-Oppenheimer", "000000", "I bought it in March")
    login("supervisor")
    page = client.get(f"/e/{estate.slug}/registrations").get_data(as_text=True)
    assert "Maximilian-Alexander Vandenberghe-Oppenheimer" in page
    assert local(pending.created_at, estate) in page
    assert "UTC" not in page
    assert "已交付" in page
    assert "系统自动核验" in page
    assert "已通过" in page
    for raw in ("delivered", "approved", "automatic identity check", "pending"):
        assert f">{raw}" not in page, raw
        assert f"· {raw}" not in page, raw
    assert 'placeholder="房号，如 3-1201"' in page


def test_the_unit_page_shows_devices_states_and_letters_readably(client, login, post, onboard, staff, db_session, estate):
    from sqlalchemy import select

    from webapp.devices.models import DeviceKey
    from webapp.registry.models import Unit

    onboard()
    post("/logout")
    key = db_session.scalar(select(DeviceKey))
    key.label = ANDROID
    db_session.commit()
    unit = next(u for u in db_session.scalars(select(Unit)) if u.label == "1-101")
    login("supervisor")
    page = client.get(f"/e/{estate.slug}/units/{unit.id}").get_data(as_text=True)
    assert "Android 手机 · Chrome" in page
    assert "Mozilla" not in page
    assert "已通过" in page
    assert "有效" in page
    assert "已使用" in page
    assert "系统自动核验" in page
    for raw in (">approved", ">active<", ">used<", "test phone"):
        assert raw not in page, raw


def test_the_owners_page_names_the_device_readably(client, post, onboard, db_session):
    from sqlalchemy import select

    from webapp.devices.models import DeviceKey

    onboard()
    db_session.scalar(select(DeviceKey)).label = ANDROID
    db_session.commit()
    page = client.get("/me").get_data(as_text=True)
    assert "Android 手机 · Chrome" in page
    assert "Mozilla" not in page
