"""The ranking of firms and its 红黑榜 (crypto/ranking.py): the rule's checks, the scoring rules as
properties (Hypothesis), and the signed document recomputed from its inputs and from the results."""

from __future__ import annotations

import copy
import json
import secrets
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto import blindrsa
from crypto import evaluation as ev
from crypto import ranking as rk
from crypto.encoding import b64url_encode
from crypto.errors import CryptoError, FormatError
from crypto.keys import generate_ed25519
from tests.factories import district_form

SERVER = generate_ed25519()
KEY = blindrsa.BlindKey.generate(2048)
FORM = district_form(code="district", title="物业服务满意度测评", version=1)
RULE = {
    "code": "district-2026",
    "version": 1,
    "title": "2026年物业服务考评规则",
    "weights": {"owners_score": 7000, "owners_satisfaction": 3000},
    "satisfied_at": 60,
    "pass_mark": 60,
    "red_mark": 85,
    "fail_periods": 2,
}
PERIOD = {"title": "2026年第三季度", "from": "2026-07-01", "until": "2026-10-01", "zone": "Asia/Shanghai"}
CLOSES = 1790000000000  # 2026-09-22, Beijing time
FIRMS = {"a": ("海晨物业服务有限公司", "91350100M000100Y43"), "b": ("绿城物业服务集团有限公司", "91330000MA27WX4C5P")}


def rule(**changes) -> dict:
    return rk.sign_rule(SERVER, {**RULE, **changes})


def result(evaluation_id: int, estate: int, firm: str, answers: list[dict], min_answers: int = 2) -> dict:
    """A published result with real tokens (RSA-PSS signatures under the evaluation's key)."""
    form = ev.sign_form(SERVER, FORM)
    digest = ev.form_digest(form)
    jwk = KEY.public_jwk()
    thumbprint = blindrsa.rsa_thumbprint(jwk)
    entries, read = [], []
    for given_answers in answers:
        message = ev.answer_message(
            evaluation=evaluation_id,
            form=digest,
            key=thumbprint,
            nonce=b64url_encode(secrets.token_bytes(32)),
            answers=given_answers,
            comment=None,
        )
        sig = KEY.private.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384())
        entries.append((blindrsa.token_id(message), {"message": b64url_encode(message), "sig": b64url_encode(sig)}))
        read.append(json.loads(message))
    withheld = len(answers) < min_answers
    return ev.sign_result(
        SERVER,
        {
            "evaluation": {
                "id": evaluation_id,
                "form": digest,
                "estate": {"id": estate, "name": f"{estate}号小区"},
                "firm": {"name": FIRMS[firm][0], "uscc": FIRMS[firm][1]},
                "title": "第三季度测评",
                "opens": CLOSES - 86400000 * 14,
                "closes": CLOSES,
            },
            "form": form,
            "suite": blindrsa.SUITE,
            "key": jwk,
            "issued": len(answers) + 3,
            "min_answers": min_answers,
            "withheld": withheld,
            "answers": None if withheld else [entry for _token, entry in sorted(entries, key=lambda e: e[0])],
            "counts": {"answers": len(answers)} if withheld else {"answers": len(answers), "items": ev.count(form, read, min_answers)},
            "server": SERVER.jwk,
        },
    )


def row(estate: int, firm: str, *results: dict, the_rule: dict | None = None) -> dict:
    satisfied_at = (the_rule or RULE)["satisfied_at"]
    return {
        "estate": {"id": estate, "name": f"{estate}号小区"},
        "firm": {"name": FIRMS[firm][0], "uscc": FIRMS[firm][1]},
        "evaluations": [rk.evaluation_inputs(r, satisfied_at) for r in results],
    }


def S(stairs, gate):  # noqa: N802 - an answer, short
    return {"stairs": stairs, "gate": gate}


@pytest.fixture(scope="module")
def published():
    good = result(1, 1, "a", [S("satisfied", 9), S("satisfied", 10), S("basic", 8)])
    poor = result(2, 2, "b", [S("dissatisfied", 3), S("basic", 5), S("dissatisfied", None)])
    quiet = result(3, 3, "a", [S("satisfied", 9)])  # withheld: fewer than 2 answers
    the_rule = rule()
    rows = [row(1, "a", good), row(2, "b", poor), row(3, "a", quiet), row(4, "b")]
    document = rk.sign_ranking(SERVER, rk.build(the_rule, PERIOD, rows, published=CLOSES + 86400000))
    return document, [good, poor, quiet]


# --- the rule ----------------------------------------------------------------------------------


def test_a_rule_whose_weights_do_not_sum_to_one_is_refused_with_the_sum():
    with pytest.raises(FormatError, match="sum to 9000 basis points, not 10000"):
        rule(weights={"owners_score": 6000, "owners_satisfaction": 3000})


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"pass_mark": 101}, "pass_mark is an integer on the scale 0 to 100"),
        ({"pass_mark": -1}, "pass_mark is an integer on the scale 0 to 100"),
        ({"pass_mark": 0}, "above 0"),
        ({"red_mark": 120}, "red_mark is an integer on the scale"),
        ({"red_mark": 50}, "at least the pass mark"),
        ({"satisfied_at": 100.5}, "satisfied_at is an integer"),
        ({"fail_periods": 0}, "fail_periods"),
        ({"weights": {"owners_score": 5000, "mood": 5000}}, "not a measure"),
    ],
)
def test_a_rule_outside_the_scale_or_with_unknown_measures_is_refused(changes, reason):
    with pytest.raises(FormatError, match=reason):
        rule(**changes)


def test_a_signed_rule_verifies_and_any_change_breaks_it():
    signed = rule()
    assert len(rk.verify_rule(signed, SERVER.jwk)) == 64
    signed["pass_mark"] = 50
    with pytest.raises(CryptoError):
        rk.verify_rule(signed, SERVER.jwk)


# --- the scoring rules as properties ------------------------------------------------------------

fractions = st.builds(Fraction, st.integers(0, 10_000), st.integers(1, 100)).filter(lambda f: f <= 100)


@given(st.lists(fractions, max_size=30))
def test_ranks_are_shared_on_equal_scores_and_count_the_strictly_higher(scores):
    ranks = rk.competition_ranks(scores)
    for score, rank in zip(scores, ranks, strict=True):
        assert rank == 1 + sum(1 for other in scores if other > score)
    assert all(ranks[i] == ranks[j] for i in range(len(scores)) for j in range(len(scores)) if scores[i] == scores[j])


@given(fractions, st.integers(1, 100), st.integers(0, 100))
def test_the_band_follows_the_marks_exactly(score, pass_mark, extra):
    red_mark = min(100, pass_mark + extra)
    the_rule = {**RULE, "pass_mark": pass_mark, "red_mark": red_mark}
    expected = "red" if score >= red_mark else "black" if score < pass_mark else None
    assert rk.band(score, the_rule) == expected
    assert rk.band(Fraction(pass_mark), the_rule) != "black"  # the pass mark itself passes
    assert rk.band(Fraction(red_mark), the_rule) == "red"
    assert rk.band(Fraction(pass_mark) - Fraction(1, 10**9), the_rule) == "black"


@given(fractions)
def test_a_score_is_shown_rounded_half_up_to_two_decimals(score):
    exact = Decimal(score.numerator) / Decimal(score.denominator)
    assert rk.shown(score) == str(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


entries = st.builds(
    lambda items, answered, satisfied_share, closes: {
        "id": 0,
        "result": "0" * 64,
        "title": "测评",
        "closes": closes,
        "answers": max([answered] + [i["answered"] for i in items]),
        "issued": 10_000,
        "withheld": False,
        "items": items,
        "choices": {"answered": answered, "satisfied": answered * satisfied_share // 100},
    },
    st.lists(
        st.builds(
            lambda n, w, mean: {"id": f"i{n}", "weight": w, "answered": 5, "mean": rk.frac(mean)},
            st.integers(0, 99),
            st.integers(0, 10_000),
            fractions,
        ),
        max_size=5,
        unique_by=lambda item: item["id"],
    ),
    st.integers(0, 500),
    st.integers(0, 100),
    st.integers(CLOSES - 86400000 * 50, CLOSES + 86400000 * 5),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.lists(entries, max_size=2), min_size=1, max_size=6),
    st.integers(0, 10_000),
    st.randoms(use_true_random=False),
)
def test_scores_are_exact_weighted_means_and_the_ranking_ignores_input_order(estates, score_weight, rng):
    the_rule = {**RULE, "weights": {"owners_score": score_weight, "owners_satisfaction": 10_000 - score_weight}}
    rows = []
    for n, evaluations in enumerate(estates):
        for k, entry in enumerate(evaluations):
            entry["id"] = 100 * n + k
        rows.append(
            {
                "estate": {"id": n, "name": f"{n}号"},
                "firm": {"name": "甲", "uscc": FIRMS["a" if n % 2 else "b"][1]},
                "evaluations": evaluations,
            }
        )
    first = rk.build(the_rule, PERIOD, rows, published=1)
    shuffled = copy.deepcopy(rows)
    rng.shuffle(shuffled)
    assert rk.build(the_rule, PERIOD, shuffled, published=1) == first
    for out in first["estates"]:
        measures = {k: rk.read_frac(v) for k, v in out["measures"].items() if v is not None}
        if out["score"] is None:
            assert out["unscored"] in rk.UNSCORED
            assert out["band"] is None
            assert out["rank"] is None
            continue
        score = rk.read_frac(out["score"])
        weighted = {k: v for k, v in measures.items() if the_rule["weights"][k]}
        assert score == sum(Fraction(the_rule["weights"][k], 10_000) * v for k, v in weighted.items())
        assert min(weighted.values()) <= score <= max(weighted.values())
        assert 0 <= score <= 100
        assert out["fails"] == (score < the_rule["pass_mark"])
    ranked = [out["rank"] for out in first["estates"] if out["rank"] is not None]
    assert ranked == sorted(ranked)


@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_one_more_satisfied_answer_never_lowers_the_satisfaction(satisfied, basic, dissatisfied):
    def satisfaction(s: int) -> Fraction | None:
        answers = [S("satisfied", None)] * s + [S("basic", None)] * basic + [S("dissatisfied", None)] * dissatisfied
        read = [{"answers": a} for a in answers]
        counts = {"answers": len(answers), "items": ev.count(FORM, read, 1)}
        fake = {
            "form": FORM,
            "counts": counts,
            "withheld": False,
            "issued": len(answers),
            "evaluation": {"id": 1, "title": "t", "closes": CLOSES},
        }
        return rk.evaluation_measures(rk.evaluation_inputs(fake, 60))["owners_satisfaction"]

    before, after = satisfaction(satisfied), satisfaction(satisfied + 1)
    assert after is not None
    assert before is None or after >= before


# --- one evaluation's measures ---------------------------------------------------------------------


def test_a_score_item_counts_on_the_0_to_100_scale_and_suppressed_items_weigh_nothing():
    answers = [S("satisfied", 9), S("basic", 7), S("basic", None)]
    inputs = rk.evaluation_inputs(result(5, 1, "a", answers, min_answers=3), 60)
    # gate answered twice, fewer than 3: suppressed and left out; stairs alone weighs everything.
    assert [item["id"] for item in inputs["items"]] == ["stairs"]
    assert inputs["items"][0]["mean"] == "220/3"  # (100 + 60 + 60) / 3
    assert inputs["choices"] == {"answered": 3, "satisfied": 3}
    measures = rk.evaluation_measures(inputs)
    assert measures == {"owners_score": Fraction(220, 3), "owners_satisfaction": Fraction(100)}
    inputs = rk.evaluation_inputs(result(6, 1, "a", answers, min_answers=2), 100)
    gate = next(item for item in inputs["items"] if item["id"] == "gate")
    assert gate["mean"] == "80/1"  # 9 and 7 of 10
    assert inputs["choices"] == {"answered": 3, "satisfied": 1}
    assert rk.evaluation_measures(inputs)["owners_score"] == Fraction(6000, 10000) * Fraction(220, 3) + Fraction(4000, 10000) * 80


# --- the signed ranking --------------------------------------------------------------------------


def test_the_ranking_scores_ranks_and_lists_red_and_black_by_the_rule(published):
    document, _results = published
    rows = {r["estate"]["id"]: r for r in document["estates"]}
    assert [r["estate"]["id"] for r in document["estates"]] == [1, 2, 3, 4]
    assert rows[1]["band"] == "red"
    assert rows[1]["rank"] == 1
    assert rows[2]["band"] == "black"
    assert rows[2]["fails"] is True
    assert rows[3]["score"] is None
    assert rows[3]["unscored"] == "too-few-answers"  # withheld: not scored, never a zero
    assert rows[4]["unscored"] == "no-evaluation"
    assert [f["firm"]["uscc"] for f in document["firms"]] == [FIRMS["a"][1], FIRMS["b"][1]]
    assert document["firms"][0]["red"] == 1
    assert document["firms"][1]["black"] == 1


def test_a_published_ranking_verifies_with_its_results_and_offline(published, tmp_path, capsys):
    document, results = published
    summary = rk.verify_ranking(document, SERVER.jwk, results)
    assert summary["red"] == 1
    assert summary["black"] == 1
    assert summary["results"] == 3
    path = tmp_path / "ranking.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    files = []
    for n, r in enumerate(results):
        files.append(tmp_path / f"result-{n}.json")
        files[-1].write_text(json.dumps(r, ensure_ascii=False))
    assert rk.main([str(path), *map(str, files), "--server-key", SERVER.kid]) == 0
    assert "OK" in capsys.readouterr().out
    assert rk.main([str(path), "--server-key", generate_ed25519().kid]) == 1


def resign(document: dict) -> dict:
    payload = {k: v for k, v in document.items() if k not in ("server", "kid", "sig")}
    return rk.sign_ranking(SERVER, payload)


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (lambda d: d["estates"][1].update(band=None, fails=False), "estates do not follow"),
        (lambda d: d["estates"][0].update(rank=2), "estates do not follow"),
        (lambda d: d["estates"][1]["evaluations"][0]["items"][0].update(mean="100/1"), "estates do not follow"),
        (lambda d: d["firms"][1].update(black=0), "firms do not follow"),
        (lambda d: d["estates"].insert(0, d["estates"].pop(1)), "estates do not follow"),
    ],
)
def test_a_ranking_whose_numbers_do_not_follow_from_its_inputs_fails_even_when_signed(published, tamper, reason):
    document = copy.deepcopy(published[0])
    tamper(document)
    with pytest.raises(FormatError, match=reason):
        rk.verify_ranking(resign(document))


def test_a_ranking_that_took_other_numbers_than_the_result_says_fails(published):
    document, results = published
    changed = copy.deepcopy(document)
    entry = changed["estates"][0]["evaluations"][0]
    entry["choices"]["satisfied"] -= 1  # a consistent ranking, but not what the result says
    payload = rk.build(
        changed["rule"],
        changed["period"],
        [{"estate": r["estate"], "firm": r["firm"], "evaluations": r["evaluations"]} for r in changed["estates"]],
        published=changed["published"],
    )
    forged = rk.sign_ranking(SERVER, payload)
    rk.verify_ranking(forged)  # alone it is consistent
    with pytest.raises(FormatError, match="did not take exactly what its result says"):
        rk.verify_ranking(forged, results=results)


def test_a_result_of_another_estate_or_outside_the_period_is_refused(published):
    document, results = published
    stray = result(9, 1, "a", [S("satisfied", 9), S("basic", 8)])
    with pytest.raises(FormatError, match="not in the ranking"):
        rk.verify_ranking(document, results=[stray])
    late = rk.evaluation_inputs(results[0], 60)
    late["closes"] = CLOSES + 86400000 * 30  # 2026-10-22
    with pytest.raises(FormatError, match="did not close in the period"):
        rk.build(rule(), PERIOD, [{**row(1, "a"), "evaluations": [late]}], published=1)


def test_an_unsigned_or_wrongly_signed_ranking_fails(published):
    document = copy.deepcopy(published[0])
    document["estates"][0]["estate"]["name"] = "别的小区"
    with pytest.raises(CryptoError):
        rk.verify_ranking(document)
    with pytest.raises(FormatError, match="another server key"):
        rk.verify_ranking(published[0], generate_ed25519().jwk)


# --- the inspections measure (version 2) ------------------------------------------------------------


INSPECTOR = generate_ed25519()


def inspection(estate: int, firm: str | None, day: str, scores: tuple[int, int]) -> dict:
    """A signed inspection record (as the estate's supervisor's browser signs it)."""
    from crypto import inspection as insp
    from crypto.canonical import canonical_json

    document = {
        "type": insp.INSPECTION_TYPE,
        "v": 1,
        "estate": {"id": estate, "name": f"{estate}号小区"},
        "firm": {"name": FIRMS[firm][0], "uscc": FIRMS[firm][1]} if firm else None,
        "form": {"code": "district-inspection", "version": 1, "digest": "d" * 64},
        "date": day,
        "kid": INSPECTOR.kid,
        "nonce": b64url_encode(secrets.token_bytes(16)),
        "items": [
            {"id": "stairwells", "score": scores[0], "max": 10, "weight": 6000, "note": None},
            {"id": "fire-lanes", "score": scores[1], "max": 5, "weight": 4000, "note": None},
        ],
        "notes": None,
        "photos": [],
    }
    return {"document": document, "jwk": INSPECTOR.jwk, "sig": INSPECTOR.sign_b64(canonical_json(document))}


def inspected_row(estate: int, firm: str, results: list[dict], records: list[dict], the_rule: dict) -> dict:
    return {**row(estate, firm, *results, the_rule=the_rule), "inspections": [rk.inspection_inputs(r["document"]) for r in records]}


@pytest.fixture(scope="module")
def inspected(published):
    _document, (good, poor, _quiet) = published
    the_rule = rule(code="with-inspections", weights={"owners_score": 5000, "owners_satisfaction": 2000, "inspections": 3000})
    records = {
        1: [inspection(1, "a", "2026-08-01", (10, 5)), inspection(1, "a", "2026-09-01", (5, 5))],  # 100 and 70
        2: [inspection(2, "b", "2026-08-15", (2, 1))],  # 12 + 8 = 20
    }
    rows = [
        inspected_row(1, "a", [good], records[1], the_rule),
        inspected_row(2, "b", [poor], records[2], the_rule),
        inspected_row(4, "b", [], [], the_rule),
        {**row(5, "a", result(5, 5, "a", [S("satisfied", 9), S("basic", 8)]), the_rule=the_rule), "inspections": []},
    ]
    document = rk.sign_ranking(SERVER, rk.build(the_rule, PERIOD, rows, published=CLOSES + 86400000))
    return document, records, [good, poor]


def test_the_inspections_measure_is_the_mean_of_the_inspections_scores_and_weighs_by_the_rule(inspected):
    document, _records, _results = inspected
    rows = {r["estate"]["id"]: r for r in document["estates"]}
    assert document["v"] == 2
    assert rows[1]["measures"]["inspections"] == "85/1"  # (100 + 70) / 2
    assert rows[2]["measures"]["inspections"] == "20/1"
    owners = {name: rk.read_frac(rows[1]["measures"][name]) for name in rk.OWNERS_MEASURES}
    expected = Fraction(5000, 10000) * owners["owners_score"] + Fraction(2000, 10000) * owners["owners_satisfaction"] + Fraction(3, 10) * 85
    assert rk.read_frac(rows[1]["score"]) == expected
    assert rows[4]["unscored"] == "no-evaluation"
    assert rows[5]["unscored"] == "no-inspection"  # answered, but never inspected: not scored, not a zero
    assert rows[5]["measures"]["inspections"] is None


def test_a_ranking_verifies_with_its_signed_inspections_offline(inspected, tmp_path, capsys):
    document, records, results = inspected
    summary = rk.verify_ranking(document, SERVER.jwk, results, [*records[1], *records[2]])
    assert summary["inspections"] == 3
    path = tmp_path / "ranking.json"
    path.write_text(json.dumps(document, ensure_ascii=False))
    files = []
    for n, record in enumerate([*records[1], *results]):
        files.append(tmp_path / f"given-{n}.json")
        files[-1].write_text(json.dumps(record, ensure_ascii=False))
    assert rk.main([str(path), *map(str, files)]) == 0
    assert "2 evaluation results and 2 signed inspections checked" in capsys.readouterr().out


def test_an_inspection_the_ranking_took_otherwise_or_of_another_estate_or_unsigned_fails(inspected):
    document, records, _results = inspected
    stray = inspection(1, "a", "2026-08-02", (1, 1))
    with pytest.raises(FormatError, match="not in the ranking"):
        rk.verify_ranking(document, inspections=[stray])
    tampered = copy.deepcopy(records[2][0])
    tampered["document"]["items"][0]["score"] = 10
    with pytest.raises(CryptoError):
        rk.verify_ranking(document, inspections=[tampered])
    forged = copy.deepcopy(document)
    forged["estates"][0]["inspections"][0]["score"] = "99/1"
    with pytest.raises(FormatError, match="does not follow from its items"):
        rk.verify_ranking(resign(forged))
    moved = copy.deepcopy(document)
    entry = moved["estates"][0]["inspections"].pop()
    moved["estates"][1]["inspections"].append(entry)
    with pytest.raises(FormatError, match="another estate or firm"):
        rk.verify_ranking(
            rk.sign_ranking(
                SERVER,
                rk.build(
                    moved["rule"],
                    moved["period"],
                    [{k: r[k] for k in ("estate", "firm", "evaluations", "inspections")} for r in moved["estates"]],
                    published=moved["published"],
                ),
            ),
            inspections=records[1],
        )


def test_an_inspection_outside_the_period_is_refused():
    late = rk.inspection_inputs(inspection(1, "a", "2026-10-01", (5, 5))["document"])
    with pytest.raises(FormatError, match="not dated in the period"):
        rk.build(rule(), PERIOD, [{**row(1, "a"), "inspections": [late]}], published=1)


def test_a_version_1_ranking_still_verifies_and_carries_no_inspections(published):
    _document, results = published
    the_rule = rule()
    rows = [row(1, "a", results[0]), row(2, "b", results[1])]
    old = rk.sign_ranking(SERVER, rk.build(the_rule, PERIOD, rows, published=CLOSES, version=1))
    assert old["v"] == 1
    assert "inspections" not in old["estates"][0]
    assert set(old["estates"][0]["measures"]) == set(rk.OWNERS_MEASURES)
    assert rk.verify_ranking(old, SERVER.jwk, results[:2])["scored"] == 2
    with pytest.raises(FormatError, match="cannot weigh them"):
        rk.build(rule(weights={"owners_score": 7000, "inspections": 3000}), PERIOD, rows, published=1, version=1)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 10), st.integers(0, 5)), min_size=1, max_size=6))
def test_the_inspections_measure_is_the_exact_mean_whatever_the_order(scores):
    the_rule = rule(weights={"inspections": 10000})
    records = [inspection(7, "a", f"2026-08-{n + 1:02d}", s) for n, s in enumerate(scores)]
    inputs = [rk.inspection_inputs(r["document"]) for r in records]
    built = rk.build(the_rule, PERIOD, [{**row(7, "a", the_rule=the_rule), "inspections": inputs}], published=1)
    again = rk.build(the_rule, PERIOD, [{**row(7, "a", the_rule=the_rule), "inspections": inputs[::-1]}], published=1)
    assert built == again
    expected = sum((Fraction(6000 * a, 10) + Fraction(4000 * b, 5)) / 100 for a, b in scores) / len(scores)
    assert rk.read_frac(built["estates"][0]["score"]) == expected
