"""Rankings of firms (webapp/rankings): a platform admin publishes a rule and ranks a period; a
background job checks every evaluation result, computes and signs the ranking and its PDF; the
public page shows it from the signed bytes; bad input and tampering are refused with a reason."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select, update

from crypto import ranking as rk
from tests.factories import district_form, exact_folded
from webapp.auth.models import StaffUser
from webapp.core.db import db
from webapp.core.serverkey import signer
from webapp.demo.evaluations import send_answers
from webapp.evaluations import operations as evaluations
from webapp.firms.operations import assign_estate, create_firm
from webapp.jobs.models import Job
from webapp.rankings import operations as ops
from webapp.rankings.models import Ranking, RankingEntry, RankingRule

FORM = district_form(code="district", title="物业服务满意度测评")
RULE = ops.RuleFields(
    code="district-2026",
    title="2026年物业服务考评规则",
    score_percent=70,
    satisfaction_percent=30,
    satisfied_at=60,
    pass_mark=60,
    red_mark=85,
)
CLOSES = datetime(2026, 9, 20, 4, 0, tzinfo=UTC)  # noon, Beijing time
PERIOD = {"title": "2026年第三季度", "start": "2026-07-01", "until": "2026-10-01"}


def evaluate(estate, form, answers: list[tuple[str, int | None]], closes: datetime = CLOSES):
    evaluation = evaluations.open_evaluation(
        estate, form, title=f"{estate.name}第三季度测评", opens=closes - timedelta(days=14), closes=closes, min_answers=2, actor="test"
    )
    members = [
        SimpleNamespace(id=n, estate_id=estate.id, state="approved", can_vote=True, member_ref=f"owner:{n}") for n in range(len(answers))
    ]
    send_answers(
        evaluation, [(m, {"stairs": s, "gate": g}, None) for m, (s, g) in zip(members, answers, strict=True)], closes - timedelta(days=1)
    )
    evaluations.publish_result(evaluation, signer=signer(), actor="test", now=closes)
    return evaluation


@pytest.fixture
def district(app, make_estate, make_staff, db_session):
    """Four estates: 海晨 serves 1 (well) and 2 (badly), 绿城 serves 3 (too few answers) and 4
    (no evaluation)."""
    estates = [make_estate(f"e{n}", name) for n, name in enumerate(["春晖苑", "秋实苑", "夏荷苑", "冬青苑"], start=1)]
    good = create_firm(name="海晨物业服务有限公司", uscc="91350100M000100Y43", actor="test")
    other = create_firm(name="绿城物业服务集团有限公司", uscc="91330100MA27WX4C5P", actor="test")
    for estate, firm in zip(estates, (good, good, other, other), strict=True):
        assign_estate(firm, estate, date(2025, 1, 1), actor="test")
    form = evaluations.publish_form(copy.deepcopy(FORM), signer=signer(), actor="test")
    results = [
        evaluate(estates[0], form, [("satisfied", 10), ("satisfied", 9), ("basic", 9)]),
        evaluate(estates[1], form, [("dissatisfied", 2), ("basic", 4), ("dissatisfied", None)]),
        evaluate(estates[2], form, [("satisfied", 9)]),
    ]
    rule = ops.publish_rule(RULE, signer=signer(), actor="test")
    make_staff("admin", admin=True)
    make_staff("organiser", estate=estates[0], role="organiser")
    db_session.commit()
    return SimpleNamespace(estates=estates, firms=(good, other), form=form, evaluations=results, rule=rule)


def rank(post, district, **changes):
    data = {"rule": district.rule.id, "title": PERIOD["title"], "start": PERIOD["start"], "until": PERIOD["until"], **changes}
    return post("/admin/rankings", data)


def test_an_admin_ranks_a_period_and_the_red_and_black_lists_follow_the_rule(client, post, login, district):
    login("admin")
    response = rank(post, district)
    assert response.status_code == 303
    job_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已公布：4 个小区，红榜 1，黑榜 1。" in job_page
    ranking = db.session.scalars(select(Ranking)).one()
    entries = {e.estate.name: e for e in db.session.scalars(select(RankingEntry))}
    assert entries["春晖苑"].band == "red"
    assert entries["秋实苑"].band == "black"
    assert entries["秋实苑"].fails is True
    assert entries["夏荷苑"].score is None
    assert entries["冬青苑"].score is None

    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "已核验" in page
    assert "答卷数少于公布下限，不计分" in page
    assert "本期没有公布的业主测评结果" in page
    document = client.get(f"/rankings/{ranking.id}/ranking.json").get_json()
    results = [client.get(f"/evaluations/{e.id}/result.json").get_json() for e in district.evaluations]
    summary = rk.verify_ranking(document, signer().jwk, results)
    assert (summary["red"], summary["black"], summary["scored"], summary["results"]) == (1, 1, 2, 3)
    # 春晖苑: stairs (100+100+60)/3, gate 280/300 of 100; score 0.6·260/3 + 0.4·280/3 = 268/3; all satisfied.
    first = document["estates"][0]
    assert first["measures"] == {"owners_score": "268/3", "owners_satisfaction": "100/1", "inspections": None}
    assert first["score"] == rk.frac(rk.read_frac("268/3") * 7 / 10 + 30)
    pdf = client.get(f"/rankings/{ranking.id}/ranking.pdf")
    assert pdf.data.startswith(b"%PDF")
    assert ranking.pdf_sha256
    assert len(ranking.pdf) == len(pdf.data)
    listed = client.get("/rankings").get_data(as_text=True)
    assert "2026年第三季度" in listed
    assert "2026-07-01 – 2026-09-30" in listed  # the quarter's last day, not the first day after it
    history = client.get(f"/rankings/firms/{district.firms[0].uscc}").get_data(as_text=True)
    assert "春晖苑" in history
    assert "秋实苑" in history
    assert "268" not in history  # the page shows scores rounded, the exact ones are in the ranking
    assert f"/rankings/firms/{district.firms[0].uscc}" in client.get(f"/admin/firms/{district.firms[0].id}").get_data(as_text=True)


def test_the_ranking_page_shows_rounded_scores_and_folds_the_exact_fractions_for_checking(client, post, login, district):
    login("admin")
    rank(post, district)
    ranking = db.session.scalars(select(Ranking)).one()
    document = client.get(f"/rankings/{ranking.id}/ranking.json").get_json()
    scored = [e for e in document["estates"] if e["score"]]
    assert len(scored) == 2
    outside, folds = exact_folded(client.get(f"/rankings/{ranking.id}"))
    assert "精确得分" not in outside
    assert len(folds) == 2
    for entry, fold in zip(scored, folds, strict=True):
        assert "/" in entry["score"]  # an exact fraction, as signed
        assert entry["score"] not in outside
        assert f"{rk.shown(rk.read_frac(entry['score']))} 分" in outside  # what owners read
        assert fold.strip().startswith("精确值（用于核对）")
        assert f"精确得分：{entry['score']}" in fold


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"score_percent": 60}, "各项权重之和须为 100%，现为 90%"),
        ({"pass_mark": 120, "red_mark": 130}, "及格线须在 0 到 100 分之间，不能是 120"),
        ({"pass_mark": 0}, "及格线须高于 0 分"),
        ({"red_mark": 50}, "红榜分数线不得低于及格线"),
        ({"fail_periods": 0}, "连续不及格期数须在 1 到 12 之间"),
    ],
)
def test_a_rule_whose_weights_do_not_sum_to_one_or_marks_leave_the_scale_is_refused(client, post, login, district, changes, reason):
    login("admin")
    fields = {
        "code": "other",
        "title": "另一规则",
        "score_percent": 70,
        "satisfaction_percent": 30,
        "satisfied_at": 60,
        "pass_mark": 60,
        "red_mark": 85,
        "fail_periods": 2,
        **changes,
    }
    page = post("/admin/ranking-rules", fields, follow_redirects=True).get_data(as_text=True)
    assert reason in page
    assert db.session.scalar(select(func.count()).select_from(RankingRule)) == 1


def test_a_period_is_ranked_once_and_an_overlapping_one_is_refused(client, post, login, district):
    login("admin")
    rank(post, district)
    again = rank(post, district, title="再排一次", start="2026-09-01", until="2026-12-01")
    assert again.status_code == 200
    assert "这一期与已公布的“2026年第三季度”重叠" in again.get_data(as_text=True)
    backwards = rank(post, district, title="倒过来", start="2027-01-01", until="2026-12-01")
    assert "考评期的结束日期须晚于开始日期" in backwards.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 1
    assert db.session.scalar(select(func.count()).select_from(Job)) == 1


def test_only_platform_admins_reach_the_rules_the_rankings_and_their_jobs(client, post, login, district):
    login("admin")
    job_url = rank(post, district).headers["Location"]
    client.post("/logout")
    login("organiser")
    for url in ("/admin/ranking-rules", "/admin/rankings", job_url, job_url + "/status", job_url + "/download"):
        assert client.get(url).status_code == 403, url
    assert client.get(f"/e/{district.estates[0].slug}/jobs/{job_url.rsplit('/', 1)[1]}").status_code == 404
    assert rank(post, district, title="组织者排名").status_code == 403
    assert client.get("/rankings").status_code == 200  # published rankings are public


def test_a_ranking_changed_in_the_database_is_shown_as_an_alarm_not_as_a_result(client, post, login, district):
    login("admin")
    rank(post, district)
    ranking = db.session.scalars(select(Ranking)).one()
    forged = ranking.document.replace('"band":"black"', '"band":null', 1)
    db.session.execute(update(Ranking).where(Ranking.id == ranking.id).values(document=forged))
    db.session.commit()
    page = client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    assert "这份排名核验不通过" in page
    assert "秋实苑" not in page


def test_a_result_that_does_not_recount_stops_the_ranking_and_nothing_is_kept(client, post, login, district):
    from webapp.evaluations.models import Evaluation

    evaluation = district.evaluations[1]
    signed = evaluation.result
    result = json.loads(signed)
    result["counts"]["items"]["stairs"]["choices"]["dissatisfied"] = 0  # the counts edited after signing
    db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id).values(result=json.dumps(result)))
    db.session.commit()
    login("admin")
    job_url = rank(post, district).headers["Location"]
    job_page = client.get(job_url).get_data(as_text=True)
    assert f"测评 {evaluation.id}（秋实苑）的公布结果核验失败，排名未生成" in job_page
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 0
    # Restored, the same job is retried from its page and publishes.
    db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id).values(result=signed))
    db.session.commit()
    assert post(job_url + "/retry").status_code == 303
    assert "已公布：4 个小区" in client.get(job_url).get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 1


def test_a_result_page_changed_in_the_database_is_shown_as_an_alarm_not_as_counts(client, district):
    from webapp.evaluations.models import Evaluation

    evaluation = district.evaluations[0]
    assert "已核验" in client.get(f"/evaluations/{evaluation.id}/result").get_data(as_text=True)
    result = json.loads(evaluation.result)
    result["counts"]["items"]["stairs"]["choices"]["satisfied"] = 3  # was 2: edited after signing
    db.session.execute(update(Evaluation).where(Evaluation.id == evaluation.id).values(result=json.dumps(result)))
    db.session.commit()
    page = client.get(f"/evaluations/{evaluation.id}/result").get_data(as_text=True)
    assert "此结果未通过核验，请勿采信。" in page
    assert "满意 3" not in page


@pytest.fixture
def configured(app):
    """Swap the key this app (a machine) is configured with; put the original back afterwards."""
    original = app.extensions["ownersvote_server_key"]

    def use(key):
        app.extensions["ownersvote_server_key"] = key

    yield use
    app.extensions["ownersvote_server_key"] = original


def test_a_key_rotated_after_the_evaluations_ranks_and_verifies_them_with_their_own_key(
    client, post, login, district, configured, tmp_path
):
    """Results (and the rule) signed by the old key, the ranking by the new one: the ranking is made,
    its page and every result page verify, and so does the offline check with the new key pinned."""
    from crypto.keys import generate_ed25519
    from webapp.oversight.serverkeys import activate_key, add_key, retire_key

    old, new = signer(), generate_ed25519()
    add_key(new.jwk, actor="operator")
    activate_key(new.kid, actor="operator")
    db.session.commit()
    configured(new)
    retire_key(old.kid, actor="operator")
    db.session.commit()

    login("admin")
    job_page = client.get(rank(post, district).headers["Location"]).get_data(as_text=True)
    assert "已公布：4 个小区，红榜 1，黑榜 1。" in job_page
    ranking = db.session.scalars(select(Ranking)).one()
    assert "已核验" in client.get(f"/rankings/{ranking.id}").get_data(as_text=True)
    for evaluation in district.evaluations:
        assert "已核验" in client.get(f"/evaluations/{evaluation.id}/result").get_data(as_text=True)
    document = client.get(f"/rankings/{ranking.id}/ranking.json").get_json()
    assert document["kid"] == new.kid
    assert document["rule"]["kid"] == new.kid  # the rule signed again by the key that signs the ranking
    assert rk.rule_digest(document["rule"]) == district.rule.digest  # the same rule
    path = tmp_path / "ranking.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    files = []
    for evaluation in district.evaluations:
        files.append(tmp_path / f"result-{evaluation.id}.json")
        files[-1].write_text(evaluation.result)
        assert json.loads(evaluation.result)["kid"] == old.kid
    assert rk.main([str(path), *map(str, files), "--server-key", new.kid]) == 0


# --- the road to re-selection ----------------------------------------------------------------------

Q4 = {"title": "2026年第四季度", "start": "2026-10-01", "until": "2027-01-01"}
Q4_CLOSES = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)


def drafts_of(estate):
    from webapp.assemblies.models import Assembly

    return list(db.session.scalars(select(Assembly).where(Assembly.estate_id == estate.id)))


def test_a_firm_failing_two_consecutive_periods_gets_a_reselection_draft_with_the_pool(client, post, login, district):
    """The draft names the firms of the district's pool (webapp/pool) that may bid: not the
    failing firm (even though it is in the pool), nor a firm only in the register."""
    from webapp.audit.models import AuditEvent
    from webapp.pool.operations import enter_pool

    admin = db.session.scalar(select(StaffUser).where(StaffUser.username == "admin"))
    for firm in district.firms:  # 海晨 (failing) and 绿城
        enter_pool(firm, on=date(2026, 1, 5), reason="2025年度考评合格", today=date(2026, 12, 1), actor=admin)
    create_firm(name="杭州某物业管理有限公司", uscc="91330100MA28QXNY41", actor="test")  # in the register only
    db.session.commit()
    login("admin")
    rank(post, district)  # 秋实苑 fails once: nothing happens
    assert drafts_of(district.estates[1]) == []
    evaluate(district.estates[0], district.form, [("satisfied", 9), ("satisfied", 10)], closes=Q4_CLOSES)
    evaluate(district.estates[1], district.form, [("dissatisfied", 1), ("basic", 3)], closes=Q4_CLOSES)
    job_page = client.get(rank(post, district, **Q4).headers["Location"]).get_data(as_text=True)
    assert "连续 2 期不及格，已为以下小区准备重新选聘的业主大会草稿：秋实苑" in job_page

    [draft] = drafts_of(district.estates[1])
    assert draft.state == "draft"
    assert draft.created_by_id is None
    assert "海晨物业服务有限公司连续 2 期考评不及格" in draft.title
    assert "2026年第三季度" in draft.description
    [item] = draft.items
    assert (item.form, item.category, item.title) == ("selection", 4, "选聘物业服务企业")
    pool = item.text.split("可参与投标的企业：")[1]
    assert "绿城物业服务集团有限公司（统一社会信用代码 91330100MA27WX4C5P）" in pool
    assert "海晨" not in pool  # the failing firm does not bid
    assert "杭州某物业管理有限公司" not in pool  # in the register, not in the pool
    assert item.bidders == []  # each firm is listed as a bidder with the fee it offers, by the organisers
    assert drafts_of(district.estates[0]) == []
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "ranking.reselection")).one()
    assert event.chain == district.estates[1].id
    assert event.details["periods"] == ["2026年第三季度", "2026年第四季度"]
    assert event.details["pool"] == ["91330100MA27WX4C5P"]


def test_an_unscored_period_between_two_failures_breaks_the_run(client, post, login, district):
    login("admin")
    rank(post, district)
    rank(post, district, **Q4)  # 秋实苑 has no evaluation in the fourth quarter: unscored, not failing
    evaluate(district.estates[1], district.form, [("dissatisfied", 1), ("basic", 3)], closes=datetime(2027, 2, 1, 4, 0, tzinfo=UTC))
    rank(post, district, title="2027年第一季度", start="2027-01-01", until="2027-04-01")
    assert drafts_of(district.estates[1]) == []
    assert db.session.scalar(select(func.count()).select_from(Ranking)) == 3
