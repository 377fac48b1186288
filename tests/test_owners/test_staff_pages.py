"""The staff pages of onboarding in plain words: readable devices, states and times, never the
raw codes, user-agent strings or UTC."""

from __future__ import annotations

from tests.factories import ANDROID_UA


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
    key.label = ANDROID_UA
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
    db_session.scalar(select(DeviceKey)).label = ANDROID_UA
    db_session.commit()
    page = client.get("/me").get_data(as_text=True)
    assert "Android 手机 · Chrome" in page
    assert "Mozilla" not in page
