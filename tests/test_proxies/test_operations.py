"""Letters of proxy (委托书), the rules of webapp.proxies.operations: the organiser enters a letter,
only a supervisor approves or rejects it, with a reason; one person represents at most the
estate's ``proxy_cap`` owners; the owner may withdraw until the assembly's roll is frozen, and
not after; the proxy proves who they are by name and the last six characters of their identity
number, which are kept only as a keyed hash; and a roll is not frozen while a letter waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import PDF, registry_of
from webapp.assemblies.operations import AssemblyFields, attach, create_assembly
from webapp.audit.models import AuditEvent
from webapp.proxies import operations as ops
from webapp.proxies.models import Proxy
from webapp.registry.importing import import_file
from webapp.rolls.operations import RollError, freeze_roll

# Two people who act as proxies: the last six characters of their identity numbers.
CHEN, CHEN_TAIL = "陈小红", "12456X"
LIU, LIU_TAIL = "刘强", "074519"


@pytest.fixture
def estate(make_estate, db_session):
    """Five units in building 1 (1-1 … 1-5), each of a different owner: five voting members."""
    estate = make_estate("proxies", "委托小区")
    import_file(estate, registry_of(5), "registry.csv", actor="test")
    db_session.commit()
    return estate


@pytest.fixture
def pii_key(app) -> str:
    return app.config["OWNERSVOTE_PII_HMAC_KEY"]


@pytest.fixture
def assembly(estate, staff, db_session):
    """A draft assembly of the estate, opening in a month, with no roll yet."""
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    assembly = create_assembly(
        estate,
        AssemblyFields(title="2026年第一次业主大会", kind="regular", opens_at=opens, closes_at=opens + timedelta(days=7)),
        actor=staff["organiser"],
    )
    db_session.commit()
    return assembly


@pytest.fixture
def enter(assembly, staff, db_session, pii_key):
    """The organiser enters a letter of proxy for a unit; returns the pending Proxy."""

    def run(unit: str, name: str = CHEN, tail: str = CHEN_TAIL, *, actor=None) -> Proxy:
        actor = actor or staff["organiser"]
        scan = attach(assembly, actor=actor, kind="proxy", owner_id=None, data=PDF, filename="委托书.pdf")
        proxy = ops.create(
            assembly,
            actor=actor,
            unit_label=unit,
            proxy_name=name,
            proxy_id_tail=tail,
            scope="代为出席本次业主大会会议并就全部议题投票",
            signed_on=date(2026, 3, 1),
            scan_id=scan.id,
            scan_sha256=scan.sha256,
            pii_key=pii_key,
        )
        db_session.commit()
        return proxy

    return run


@pytest.fixture
def approve(assembly, staff, db_session):
    def run(proxy: Proxy, *, actor=None) -> None:
        ops.decide(proxy, assembly, actor=actor or staff["supervisor"], approve=True, reason="委托书签名与登记一致")
        db_session.commit()

    return run


def approved_for(db_session, assembly) -> int:
    return db_session.scalar(select(func.count(Proxy.id)).where(Proxy.assembly_id == assembly.id, Proxy.state == "approved"))


# -- the cap on owners per proxy ------------------------------------------------------------------


def test_one_person_represents_at_most_three_owners_by_default(estate, assembly, enter, approve, db_session):
    assert estate.proxy_cap == 3
    for unit in ("1-1", "1-2", "1-3"):
        approve(enter(unit))
    fourth = enter("1-4")
    with pytest.raises(ops.ProxyError) as refused:
        approve(fourth)
    db_session.rollback()
    assert "(3)" in refused.value.en
    assert "3 位" in refused.value.zh
    assert db_session.get(Proxy, fourth.id).state == "pending"
    assert approved_for(db_session, assembly) == 3


def test_the_estates_own_cap_on_owners_per_proxy_is_applied(estate, assembly, enter, approve, db_session):
    estate.proxy_cap = 1
    db_session.commit()
    approve(enter("1-1"))
    second = enter("1-2")
    with pytest.raises(ops.ProxyError, match=r"already represents 1 owners, the estate's limit \(1\)"):
        approve(second)
    db_session.rollback()
    assert db_session.get(Proxy, second.id).state == "pending"


def test_the_cap_counts_the_owners_of_one_person_not_of_every_proxy(estate, assembly, enter, approve, db_session):
    estate.proxy_cap = 1
    db_session.commit()
    approve(enter("1-1", CHEN, CHEN_TAIL))
    approve(enter("1-2", LIU, LIU_TAIL))
    assert approved_for(db_session, assembly) == 2


def test_the_same_person_typed_with_full_width_characters_still_counts_against_the_cap(estate, enter, approve, db_session):
    estate.proxy_cap = 1
    db_session.commit()
    approve(enter("1-1", CHEN, CHEN_TAIL))
    again = enter("1-2", " 陈 小红 ", CHEN_TAIL.lower())
    with pytest.raises(ops.ProxyError):
        approve(again)


def test_a_withdrawn_proxy_no_longer_counts_against_the_cap(estate, assembly, enter, approve, db_session):
    estate.proxy_cap = 1
    db_session.commit()
    first = enter("1-1")
    approve(first)
    ops.withdraw(first, assembly, by="owner:1")
    db_session.commit()
    approve(enter("1-2"))
    assert approved_for(db_session, assembly) == 1


# -- who may decide -------------------------------------------------------------------------------


def test_only_a_supervisor_of_the_estate_approves_a_letter_of_proxy(assembly, staff, enter, make_estate, make_staff, db_session):
    proxy = enter("1-1")
    other_estate = make_estate("elsewhere", "别处小区")
    outsiders = [
        staff["organiser"],
        make_staff("admin", admin=True),
        make_staff("other-supervisor", estate=other_estate, role="supervisor"),
    ]
    for actor in outsiders:
        with pytest.raises(ops.ProxyError, match="you may not do this step"):
            ops.decide(proxy, assembly, actor=actor, approve=True, reason="同意")
        db_session.rollback()
        assert db_session.get(Proxy, proxy.id).state == "pending"
    ops.decide(proxy, assembly, actor=staff["supervisor"], approve=True, reason="同意")
    db_session.commit()
    assert proxy.state == "approved"
    assert proxy.decided_by_id == staff["supervisor"].id


def test_a_supervisor_cannot_enter_a_letter_of_proxy(staff, enter, db_session):
    with pytest.raises(ops.ProxyError, match="you may not do this step"):
        enter("1-1", actor=staff["supervisor"])
    db_session.rollback()
    assert db_session.scalar(select(func.count(Proxy.id))) == 0


def test_a_decision_needs_a_written_reason_and_is_made_once(assembly, staff, enter, db_session):
    proxy = enter("1-1")
    with pytest.raises(ops.ProxyError, match="written reason"):
        ops.decide(proxy, assembly, actor=staff["supervisor"], approve=False, reason="  ")
    ops.decide(proxy, assembly, actor=staff["supervisor"], approve=False, reason="委托书缺少业主签名")
    db_session.commit()
    assert (proxy.state, proxy.reason) == ("rejected", "委托书缺少业主签名")
    with pytest.raises(ops.ProxyError, match="already decided"):
        ops.decide(proxy, assembly, actor=staff["supervisor2"], approve=True, reason="补签了")


def test_a_decision_is_written_to_the_audit_log_with_its_reason(assembly, enter, approve, db_session):
    proxy = enter("1-1")
    approve(proxy)
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "proxy.decide"))
    assert event.object_id == str(proxy.id)
    assert event.details["decision"] == "approved"
    assert event.details["reason"] == "委托书签名与登记一致"


# -- withdrawal by the owner ----------------------------------------------------------------------


@pytest.mark.parametrize("decided", [False, True], ids=["pending", "approved"])
def test_the_owner_withdraws_a_proxy_before_the_roll_is_frozen(assembly, enter, approve, db_session, decided):
    proxy = enter("1-1")
    if decided:
        approve(proxy)
    ops.withdraw(proxy, assembly, by="owner:1", reason="业主本人出席")
    db_session.commit()
    assert (proxy.state, proxy.reason) == ("withdrawn", "业主本人出席")
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "proxy.withdraw"))
    assert event.details["reason"] == "业主本人出席"


def test_a_withdrawn_owner_may_name_a_new_proxy(assembly, enter, db_session):
    first = enter("1-1", CHEN, CHEN_TAIL)
    with pytest.raises(ops.ProxyError, match="already has a proxy"):
        enter("1-1", LIU, LIU_TAIL)
    db_session.rollback()
    ops.withdraw(first, assembly, by="owner:1")
    db_session.commit()
    assert enter("1-1", LIU, LIU_TAIL).state == "pending"


def test_a_proxy_cannot_be_withdrawn_once_the_assemblys_roll_is_frozen(estate, assembly, staff, enter, approve, db_session, pii_key):
    proxy = enter("1-1")
    approve(proxy)
    freeze_roll(estate, actor=staff["supervisor"], pii_key=pii_key, assembly=assembly)
    db_session.commit()
    assert assembly.roll_id is not None
    with pytest.raises(ops.ProxyError, match="roll is frozen"):
        ops.withdraw(proxy, assembly, by="owner:1")
    db_session.rollback()
    assert db_session.get(Proxy, proxy.id).state == "approved"
    assert db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "proxy.withdraw")) == 0


def test_a_proxy_cannot_be_withdrawn_once_voting_has_started(assembly, enter, approve, db_session):
    proxy = enter("1-1")
    approve(proxy)
    assembly.state = "voting"
    with pytest.raises(ops.ProxyError, match="voting has started"):
        ops.withdraw(proxy, assembly, by="owner:1")
    assert proxy.state == "approved"


def test_a_rejected_proxy_cannot_be_withdrawn(assembly, staff, enter, db_session):
    proxy = enter("1-1")
    ops.decide(proxy, assembly, actor=staff["supervisor"], approve=False, reason="签名不符")
    with pytest.raises(ops.ProxyError, match="no longer in force"):
        ops.withdraw(proxy, assembly, by="owner:1")
    assert proxy.state == "rejected"


# -- the proxy's identity -------------------------------------------------------------------------


@pytest.fixture
def proxy_letter(assembly, staff, enter, approve, db_session, pii_key):
    """An approved proxy (陈小红 for 1-1) and the invitation of the letter printed for them."""
    proxy = enter("1-1")
    approve(proxy)
    issued = ops.issue_letter(proxy, assembly, actor=staff["organiser"], pii_key=pii_key)
    db_session.commit()
    return proxy, issued.invitation


def test_the_proxy_is_recognised_by_name_and_identity_number_tail(proxy_letter, pii_key):
    proxy, invitation = proxy_letter
    assert ops.check_proxy_identity(invitation, CHEN, CHEN_TAIL, pii_key=pii_key) is proxy


def test_a_tail_typed_in_lower_case_or_with_spaces_and_a_name_with_full_width_spaces_still_match(proxy_letter, pii_key):
    proxy, invitation = proxy_letter
    assert ops.check_proxy_identity(invitation, "陈\u3000小红", " 12456x ", pii_key=pii_key) is proxy


@pytest.mark.parametrize(
    ("name", "tail"),
    [(CHEN, "12456Y"), (CHEN, LIU_TAIL), (LIU, CHEN_TAIL), ("陈小", CHEN_TAIL), (CHEN, "2456X"), (CHEN, ""), ("", CHEN_TAIL)],
    ids=["one-character-off", "someone-elses-tail", "someone-elses-name", "part-of-the-name", "five-characters", "no-tail", "no-name"],
)
def test_a_wrong_name_or_tail_is_not_the_proxy(proxy_letter, pii_key, name, tail):
    _, invitation = proxy_letter
    assert ops.check_proxy_identity(invitation, name, tail, pii_key=pii_key) is None


def test_the_tail_is_checked_against_a_hash_made_with_the_servers_key(proxy_letter, pii_key):
    proxy, invitation = proxy_letter
    stored = " ".join(str(value) for value in vars(proxy).values())
    assert CHEN_TAIL not in stored
    assert proxy.proxy_tail_masked == "****6X"
    assert ops.check_proxy_identity(invitation, CHEN, CHEN_TAIL, pii_key="another-server-key") is None


def test_a_withdrawn_proxy_is_no_longer_recognised(proxy_letter, assembly, pii_key, db_session):
    proxy, invitation = proxy_letter
    ops.withdraw(proxy, assembly, by="owner:1")
    db_session.commit()
    assert ops.check_proxy_identity(invitation, CHEN, CHEN_TAIL, pii_key=pii_key) is None


def test_a_proxy_gets_a_letter_only_once_approved(assembly, staff, enter, pii_key):
    proxy = enter("1-1")
    with pytest.raises(ops.ProxyError, match="once the proxy is approved"):
        ops.issue_letter(proxy, assembly, actor=staff["organiser"], pii_key=pii_key)


# -- freezing the roll ----------------------------------------------------------------------------


def test_a_pending_letter_of_proxy_blocks_freezing_the_assemblys_roll(estate, assembly, staff, enter, db_session, pii_key):
    enter("1-1")
    assert ops.freeze_problems(assembly) == [
        ("还有委托书等待审核：请先处理，再冻结名册", "letters of proxy are still waiting for a decision: decide them before freezing")
    ]
    with pytest.raises(RollError, match="letters of proxy are still waiting for a decision"):
        freeze_roll(estate, actor=staff["supervisor"], pii_key=pii_key, assembly=assembly)
    db_session.rollback()
    assert assembly.roll_id is None


@pytest.mark.parametrize("approved", [True, False], ids=["approved", "rejected"])
def test_once_every_letter_is_decided_the_roll_freezes(estate, assembly, staff, enter, db_session, pii_key, approved):
    proxy = enter("1-1")
    ops.decide(proxy, assembly, actor=staff["supervisor"], approve=approved, reason="已核对")
    db_session.commit()
    assert ops.freeze_problems(assembly) == []
    roll = freeze_roll(estate, actor=staff["supervisor"], pii_key=pii_key, assembly=assembly)
    db_session.commit()
    assert assembly.roll_id == roll.id


def test_a_pending_letter_of_another_assembly_does_not_block_this_one(estate, assembly, staff, enter, db_session):
    enter("1-1")
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(days=60)
    other = create_assembly(
        estate,
        AssemblyFields(title="2026年临时业主大会", kind="extraordinary", opens_at=opens, closes_at=opens + timedelta(days=7)),
        actor=staff["organiser"],
    )
    db_session.commit()
    assert ops.freeze_problems(other) == []


def test_no_letter_of_proxy_is_entered_for_an_unknown_unit(enter, db_session):
    for unit in ("9-999", "", "1-"):
        with pytest.raises(ops.ProxyError, match="no unit"):
            enter(unit)
        db_session.rollback()


def test_a_letter_names_the_proxys_full_tail(enter, db_session):
    with pytest.raises(ops.ProxyError, match="last six characters"):
        enter("1-1", CHEN, "2456X")
    db_session.rollback()
    assert db_session.scalar(select(func.count(Proxy.id))) == 0
