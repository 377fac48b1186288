"""Every control of the app's forms is a thumb's target on a phone (Chromium at 390×844, in
Chinese): each visible input, select and button at least 44 px tall, date, month, time, file,
email and tel inputs as much as text ones (a checkbox or radio button by the label around it),
and nothing wider than the screen.  Walks forms that have date and file inputs: the inspection
form, a rectification notice's deadline, the organising body's term, the open accounts' statement,
the district's areas page, and the firm's answer with its photos."""

from __future__ import annotations

import random
from datetime import date
from types import SimpleNamespace

import pytest

from tests.test_browser.assembly_world import PASSWORD
from tests.test_browser.net import new_page, staff_login
from webapp.demo.registry import uscc

pytestmark = pytest.mark.browser

_runs = iter(range(1, 1000))

# (the control, what is too small or too wide about it), for every control on the page.
_CONTROLS_JS = """
() => {
  const vw = window.innerWidth, found = [], types = {};
  const name = (el) => `${el.tagName.toLowerCase()}${el.type ? '[type=' + el.type + ']' : ''}${el.id ? '#' + el.id : ''}`
                       + (el.textContent || '').trim().slice(0, 20);
  for (const el of document.querySelectorAll('input, select, button, textarea, a.button')) {
    if (el.type === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;  // not shown
    types[el.tagName === 'INPUT' ? el.type : el.tagName.toLowerCase()] = true;
    // A checkbox or radio button is tapped through its label.
    const target = ['checkbox', 'radio'].includes(el.type)
      ? (el.closest('label') || (el.id && document.querySelector(`label[for="${el.id}"]`)) || el) : el;
    const box = target.getBoundingClientRect();
    if (box.height < 44 - 0.5) found.push(`${name(el)} is ${box.height.toFixed(1)} px tall`);
  }
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > vw + 0.5 || r.left < -0.5)) found.push(`${name(el)} reaches ${Math.round(r.right)} px`);
  }
  if (document.documentElement.scrollWidth > vw) found.push(`the page is ${document.documentElement.scrollWidth} px wide`);
  return {found: found, types: Object.keys(types).sort()};
}
"""


@pytest.fixture
def forms_world(live):
    """An estate served by a firm, its organiser and supervisor (with a signing key), a platform
    admin, the standard inspection form and one signed inspection."""
    from crypto.keys import generate_ed25519
    from tests.factories import LINUX_UA, inspection_document, sign_document
    from webapp.auth.operations import assign_role, create_staff
    from webapp.core.db import db
    from webapp.core.roles import Role
    from webapp.devices import operations as device_ops
    from webapp.estates.operations import create_estate
    from webapp.firms.operations import assign_estate, create_account, create_firm
    from webapp.inspections import operations as ops
    from webapp.inspections.standard import STANDARD_FORM

    n = next(_runs)
    with live.app_context():
        estate = create_estate(f"controls-{n}", f"控件小区（{n}）", actor="test")
        firm = create_firm(name=f"控件物业服务有限公司（{n}）", uscc=uscc(random.Random(9100 + n)), actor="test")
        assign_estate(firm, estate, date(2025, 1, 1), actor="test")
        users = {}
        for role, title in (("organiser", "筹备组联络人 林晓燕"), ("supervisor", "社区居委会 王敏")):
            users[role] = create_staff(f"controls-{role}-{n}", title, PASSWORD, actor="test")
            assign_role(users[role], estate, getattr(Role, role), actor="test")
        admin = create_staff(f"controls-admin-{n}", "区住建局 周建国", PASSWORD, admin=True, actor="test")
        signer = generate_ed25519()
        device_ops.add_device_key(jwk=signer.jwk, label=LINUX_UA, staff=users["supervisor"])
        form = ops.latest_forms()[0] if ops.latest_forms() else ops.publish_form(dict(STANDARD_FORM), actor="test")
        document = inspection_document(ops.draft(estate, form), signer, {"stairwells": 2})
        inspection = ops.record_inspection(
            estate, actor=users["supervisor"], document=document, kid=signer.kid, sig=sign_document(signer, document)
        )
        firm_user = create_account(firm, username=f"controls-firm-{n}", display_name="项目经理 吴志刚", password=PASSWORD, actor="test")
        db.session.commit()
        return SimpleNamespace(
            firm=firm_user.username,
            slug=estate.slug,
            organiser=users["organiser"].username,
            supervisor=users["supervisor"].username,
            admin=admin.username,
            inspection=inspection.id,
        )


def controls(page) -> dict:
    return page.evaluate(_CONTROLS_JS)


def test_every_form_control_is_a_thumbs_height_and_nothing_is_wider_than_the_phone(browser, live, forms_world):
    world, base = forms_world, live.base
    walked: dict[str, list[str]] = {}
    for who, path, must_have in (
        (world.supervisor, f"/e/{world.slug}/inspections/new", {"number", "text", "file", "button"}),
        (world.supervisor, f"/e/{world.slug}/inspections/{world.inspection}", {"date", "textarea"}),
        (world.supervisor, f"/e/{world.slug}/organising-body", {"date", "select", "text"}),
        (world.organiser, f"/e/{world.slug}/accounts/new/statement", {"date"}),
        (world.admin, "/admin/district", {"select", "text"}),
        (world.firm, f"/firm/inspections/{world.inspection}", {"file", "textarea", "button"}),
    ):
        context, page = new_page(browser)
        if who == world.firm:
            page.goto(f"{base}/firm/login")
            page.fill("#username", who)
            page.fill("#password", PASSWORD)
            page.click("button.primary")
        else:
            staff_login(page, base, who, PASSWORD)
        page.goto(base + path)
        seen = controls(page)
        assert must_have <= set(seen["types"]), (path, seen["types"])  # the walk reaches the controls it is about
        walked[path] = seen["found"]
        context.close()
    assert {path: found for path, found in walked.items() if found} == {}


# Checkboxes and radio buttons as a template might write them: the field macro's label.check, a
# ballot's label.choice, and plain labels (around the box, or after it naming it), one of them
# long enough to wrap on a phone.
_BOXES = """
<div class="field"><label class="check"><input type="checkbox" id="b-check"> 平台管理员</label></div>
<label class="choice"><input type="radio" name="b-choice" id="b-choice"> 同意</label>
<p><label><input type="checkbox" id="b-plain"> 我没有投票</label></p>
<div class="field"><label><input type="checkbox" id="b-field"> 补选</label></div>
<div class="field"><label><input type="checkbox" id="b-long"> 业主可以在投票截止前更换已投出的选票（以最后一张为准）；更换时须在自己的手机上重新签名，原来的选票不再计入结果。</label></div>
<div><input type="radio" name="b-for" id="b-for"><label for="b-for">补选：只补足空缺的名额</label></div>
"""


def test_a_checkbox_or_radio_button_with_its_label_is_a_thumbs_height_whatever_the_labels_class(browser, live):
    context, page = new_page(browser)
    page.goto(f"{live.base}/login")  # any page of the app: its stylesheet, fonts and width
    page.evaluate("(html) => document.querySelector('main').insertAdjacentHTML('beforeend', html)", _BOXES)
    seen = controls(page)
    assert {"checkbox", "radio"} <= set(seen["types"])
    assert seen["found"] == []
    context.close()
