"""Staff accounts: platform admins disable, enable and revoke keys with written reasons; staff
change their own passwords; every staff member has a real name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from crypto.keys import generate_ed25519
from tests.factories import restore, saved
from webapp.audit.models import AuditEvent
from webapp.auth.models import StaffUser
from webapp.devices import operations as device_ops
from webapp.devices.models import DeviceKey

UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chromium/126.0.0.0 Chrome/126.0.0.0 Safari/537.36"


def second_client(app):
    return app.test_client()


def events(db_session, action: str) -> list[AuditEvent]:
    return list(db_session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_staff_list_names_each_role_with_its_estate(client, login, people):
    login("root")
    page = client.get("/admin/staff").get_data(as_text=True)
    assert "绿苑小区 · 监督员" in page
    assert "绿苑小区 · 组织者" in page
    assert not re.search(r"(组织者|监督员) #\d", page)
    assert "居委会 王敏" in page
    assert f"/admin/staff/{people['supervisor'].id}" in page


def test_a_disabled_accounts_open_session_ends_at_once_through_the_admin_page(app, client, login, post, people, db_session):
    supervisor = second_client(app)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', supervisor.get("/login").get_data(as_text=True)).group(1)
    assert supervisor.post("/login", data={"username": "sup", "password": "correct horse battery", "csrf_token": token}).status_code == 302
    assert supervisor.get("/e/lvyuan/registrations").status_code == 200

    login("root")
    user_id = people["supervisor"].id
    # a reason is required
    post(f"/admin/staff/{user_id}/disable", {"disable-reason": ""})
    db_session.expire_all()
    assert db_session.get(StaffUser, user_id).active
    response = post(f"/admin/staff/{user_id}/disable", {"disable-reason": "已调离本社区"}, follow_redirects=True)
    assert "已停用" in response.get_data(as_text=True)
    assert "已调离本社区" in response.get_data(as_text=True)
    db_session.expire_all()
    assert not db_session.get(StaffUser, user_id).active
    assert [e.details for e in events(db_session, "staff.disable")] == [{"username": "sup", "reason": "已调离本社区"}]

    # the supervisor's open session is over, and the password no longer logs in
    assert supervisor.get("/e/lvyuan/registrations").status_code == 302
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', supervisor.get("/login").get_data(as_text=True)).group(1)
    refused = supervisor.post("/login", data={"username": "sup", "password": "correct horse battery", "csrf_token": token})
    assert refused.status_code == 200
    assert "此账号已停用" in refused.get_data(as_text=True)

    # enabled again (with a reason), the password works again
    post(f"/admin/staff/{user_id}/enable", {"enable-reason": "调回本社区"})
    db_session.expire_all()
    assert db_session.get(StaffUser, user_id).active
    assert events(db_session, "staff.enable")[0].details["reason"] == "调回本社区"
    assert supervisor.post("/login", data={"username": "sup", "password": "correct horse battery", "csrf_token": token}).status_code == 302


def test_a_platform_admin_cannot_disable_their_own_account(client, login, post, people, db_session):
    login("root")
    post(f"/admin/staff/{people['admin'].id}/disable", {"disable-reason": "试试"})
    db_session.expire_all()
    assert db_session.get(StaffUser, people["admin"].id).active
    assert client.get("/admin/staff").status_code == 200


def test_only_platform_admins_manage_accounts(client, login, post, people, db_session):
    login("org")
    user_id = people["supervisor"].id
    assert client.get(f"/admin/staff/{user_id}").status_code == 403
    assert post(f"/admin/staff/{user_id}/disable", {"disable-reason": "x"}).status_code == 403
    assert post(f"/admin/staff/{user_id}/keys/revoke", {"revoke-all-reason": "x"}).status_code == 403
    db_session.expire_all()
    assert db_session.get(StaffUser, user_id).active


def test_a_platform_admin_revokes_a_staff_members_key_with_a_written_reason(client, login, post, people, db_session):
    login("root")
    user_id, first, second = people["supervisor"].id, *people["keys"]
    page = client.get(f"/admin/staff/{user_id}").get_data(as_text=True)
    assert first.kid[:16] in page
    assert "Linux 电脑 · Chromium" in page
    post(f"/admin/staff/{user_id}/keys/{first.id}/revoke", {"revoke-reason": ""})
    db_session.expire_all()
    assert db_session.get(DeviceKey, first.id).state == "active"
    post(f"/admin/staff/{user_id}/keys/{first.id}/revoke", {"revoke-reason": "笔记本电脑被盗"})
    db_session.expire_all()
    assert db_session.get(DeviceKey, first.id).state == "revoked"
    assert db_session.get(DeviceKey, second.id).state == "active"
    event = events(db_session, "device_key.revoke")[-1]
    assert event.actor == "root"
    assert event.details == {"kid": first.kid, "reason": "笔记本电脑被盗"}
    # and all that remain at once
    post(f"/admin/staff/{user_id}/keys/revoke", {"revoke-all-reason": "账号停用前收回全部密钥"})
    db_session.expire_all()
    assert {k.state for k in db_session.scalars(select(DeviceKey).where(DeviceKey.staff_user_id == user_id))} == {"revoked"}
    assert db_session.get(DeviceKey, first.id).revoked_reason == "笔记本电脑被盗"


def test_a_key_of_another_account_cannot_be_revoked_through_this_ones_address(client, login, post, people, make_staff, db_session):
    other = make_staff("sup2", name="街道办 陈立新")
    login("root")
    key = people["keys"][0]
    post(f"/admin/staff/{other.id}/keys/{key.id}/revoke", {"revoke-reason": "x"})
    db_session.expire_all()
    assert db_session.get(DeviceKey, key.id).state == "active"


def test_staff_change_their_own_password(app, client, login, post, people, db_session):
    elsewhere = second_client(app)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', elsewhere.get("/login").get_data(as_text=True)).group(1)
    elsewhere.post("/login", data={"username": "sup", "password": "correct horse battery", "csrf_token": token})
    assert elsewhere.get("/staff/keys").status_code == 200

    login("sup")
    before = saved(client)
    wrong = post("/staff/password", {"current": "not my password", "new": "a brand new secret", "again": "a brand new secret"})
    assert wrong.status_code == 200
    assert "当前密码不正确" in wrong.get_data(as_text=True)
    differ = post("/staff/password", {"current": "correct horse battery", "new": "a brand new secret", "again": "another secret!!"})
    assert "两次输入的新密码不一致" in differ.get_data(as_text=True)
    short = post("/staff/password", {"current": "correct horse battery", "new": "short", "again": "short"})
    assert "新密码须为 10 到 200 个字符" in short.get_data(as_text=True)
    db_session.expire_all()
    user = db_session.get(StaffUser, people["supervisor"].id)
    assert user.session_epoch == 0

    done = post("/staff/password", {"current": "correct horse battery", "new": "a brand new secret", "again": "a brand new secret"})
    assert done.status_code == 302
    assert saved(client) != before  # a new session id
    assert client.get("/staff/keys").status_code == 200  # this session goes on
    assert elsewhere.get("/staff/keys").status_code == 302  # every other one has ended
    [event] = events(db_session, "staff.password")
    assert event.actor == "sup"
    assert "new" not in event.details
    assert "a brand new secret" not in str(event.details)
    db_session.expire_all()
    assert db_session.get(StaffUser, user.id).password_hash.startswith("$argon2")

    # a saved copy of the old session cookie is worth nothing
    restore(client, before)
    assert client.get("/staff/keys").status_code == 302
    post("/logout")
    assert post("/login", {"username": "sup", "password": "correct horse battery"}).status_code == 200
    assert post("/login", {"username": "sup", "password": "a brand new secret"}).status_code == 302


def test_a_staff_member_needs_a_real_name(client, login, post, people, db_session):
    from webapp.auth.operations import StaffError, create_staff

    with pytest.raises(StaffError, match="real name"):
        create_staff("nameless", "  ", "correct horse battery", actor="test")
    login("root")
    page = post("/admin/staff", {"username": "nameless", "display_name": "", "password": "correct horse battery"}).get_data(as_text=True)
    assert "请填写本人真实姓名" in page
    assert db_session.scalar(select(StaffUser).where(StaffUser.username == "nameless")) is None


def test_the_staff_forms_length_errors_name_the_field(client, login, post, people):
    login("root")
    page = post("/admin/staff", {"username": "u" * 121, "display_name": "名" * 201, "password": "short"}).get_data(as_text=True)
    assert "用户名最多 120 个字符" in page
    assert "姓名最多 200 个字符" in page
    assert "初始密码须为 10 到 200 个字符" in page


@pytest.mark.parametrize("value", ["0", "10", ""])
def test_the_settings_form_gives_the_allowed_range_for_signatures(client, login, post, people, value):
    login("root")
    page = post("/e/lvyuan/settings", {"name": "绿苑小区", "roll_signatures_required": value, "letter_valid_days": "30"}).get_data(
        as_text=True
    )
    assert "请填写 1 到 9 之间的数字" in page
    assert "该字段是必填字段" not in page


def test_the_settings_form_gives_the_allowed_range_for_letter_days(client, login, post, people):
    login("root")
    page = post("/e/lvyuan/settings", {"name": "绿苑小区", "roll_signatures_required": "1", "letter_valid_days": "0"}).get_data(
        as_text=True
    )
    assert "请填写 1 到 365 之间的天数" in page
    assert "该字段是必填字段" not in page


def test_the_public_roll_names_supervisors_by_their_real_names(db_session, people, app):
    from tests.factories import GOOD
    from webapp.registry.importing import import_file
    from webapp.rolls.operations import add_signature, freeze_roll, roll_document, signing_message

    estate, supervisor = people["estate"], people["supervisor"]
    import_file(estate, GOOD, "r.csv", actor="test")
    signer = generate_ed25519()
    key = device_ops.add_device_key(jwk=signer.jwk, label=UA, staff=supervisor)
    roll = freeze_roll(estate, actor=supervisor, pii_key=app.config["OWNERSVOTE_PII_HMAC_KEY"])
    add_signature(roll, estate, actor=supervisor, kid=key.kid, sig=signer.sign_b64(signing_message(roll)))
    db_session.commit()
    from webapp.rolls.routes import _signers
    from webapp.rolls.verification import check_roll

    # The roll's page names its signers by their real names (the signed document itself carries
    # key ids only: a name is not something a signature covers).
    assert [s["name"] for s in _signers(roll, check_roll(roll))] == ["居委会 王敏"]
    assert all(set(s) == {"kid", "jwk"} for s in roll_document(roll, estate)["supervisors"])


def test_account_changes_show_in_the_platform_audit_log_for_admins_only(client, login, post, people):
    login("root")
    post(f"/admin/staff/{people['supervisor'].id}/disable", {"disable-reason": "已调离本社区"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "平台审计日志" in page
    assert "停用工作人员账号" in page
    assert "已调离本社区" in page
    assert "区住建局 周建国" in page
    assert "staff.disable" not in page
    post("/logout")
    login("org")
    assert client.get("/admin/audit").status_code == 403


def test_an_admin_records_a_supervisors_identity_as_the_registry_keeps_owners(client, login, post, people, db_session, app):
    from tests.factories import GOOD, ZHANG
    from webapp.registry.importing import import_file
    from webapp.registry.models import OwnerHolder

    import_file(people["estate"], GOOD, "r.csv", actor="test")
    db_session.commit()
    login("root")
    user_id = people["supervisor"].id
    page = post(f"/admin/staff/{user_id}/identity", {"identity-id_number": "110105199001010000"}, follow_redirects=True).get_data(
        as_text=True
    )
    assert "身份证号无效" in page
    db_session.expire_all()
    assert db_session.get(type(people["supervisor"]), user_id).id_hash is None
    page = post(f"/admin/staff/{user_id}/identity", {"identity-id_number": ZHANG.lower()}, follow_redirects=True).get_data(as_text=True)
    assert "身份已记录" in page
    assert ZHANG not in page
    db_session.expire_all()
    holder_hashes = set(db_session.scalars(select(OwnerHolder.id_hash)))
    assert db_session.get(type(people["supervisor"]), user_id).id_hash in holder_hashes
    assert events(db_session, "staff.identity")
