"""The reasons a supervisor reads out at the meeting, word for word (docs/tally-format.md).

Every figure below is worked out by hand from the ballots in the test; shares are truncated to
two decimals (2/3 → 66.66%).  The sentences are the ones explain.py is meant to produce: a
change to any of them should be a deliberate change to these tests.
"""

from __future__ import annotations

from .helpers import doc, election, item, members, selection, votes

STATUTE_QUORUM_EN = "The quorum is at least 2/3 of the total area and at least 2/3 of the total heads (Civil Code Art. 278 ¶2)"
STATUTE_QUORUM_ZH = "依据《民法典》第二百七十八条第二款，应由专有部分面积占比三分之二以上且人数占比三分之二以上的业主参与表决"
MAJORITY_ZH = "依据《民法典》第二百七十八条第二款，须经参与表决专有部分面积过半数且参与表决人数过半数的业主同意"
BOTH_FAILED_EN = "both the area test and the heads test failed"
BOTH_FAILED_ZH = "面积和人数均未达到"


def _sentences_en(*parts: str) -> str:
    return " ".join(parts)


def test_election_without_a_quorum_word_for_word():
    # 4 owners of 100.00 m²; 2 vote for c1: 200.00 m² and 2 heads take part (50% < 2/3).
    d = doc(members(*["100.00"] * 4), [election(["c1", "c2"], 1)], votes([["c1"], ["c1"], None, None], "e"), {"alternates": 2})
    r = item(d, "e")
    assert r["reason"]["en"] == _sentences_en(
        "Election of 1 seat(s) among 2 candidate(s).",
        "Estate totals: 400.00 m² of exclusive area and 4 owners (heads).",
        "Took part: 200.00 m² (50.00% of the total area) and 2 owners (50.00% of the total heads). "
        f"{STATUTE_QUORUM_EN}: not met ({BOTH_FAILED_EN}).",
        "Each candidate needs more than 1/2 of the participating area and more than 1/2 of the participating heads "
        "(Civil Code Art. 278 ¶2), and a met quorum; seats then go by heads, then by area.",
        "Votes: c1: 2 owners and 200.00 m², 100.00% of the participating heads and 100.00% of the participating "
        "area (50.00% and 50.00% of the totals) — threshold reached but the quorum failed; c2: 0 owners and 0.00 m², "
        "0.00% of the participating heads and 0.00% of the participating area (0.00% and 0.00% of the totals) — "
        f"not eligible ({BOTH_FAILED_EN}).",
        "Abstained (no candidate marked): 0.00 m² and 0 owners. Spoiled (more marks than seats, or an unknown or "
        "repeated candidate): 0.00 m² and 0 owners.",
        "Nobody is elected, because the quorum was not met.",
        "Unfilled seats: 1; 1 goes to a by-election.",
        f"Result: not passed, because the quorum was not met ({BOTH_FAILED_EN}).",
    )
    assert r["reason"]["zh"] == "".join(
        [
            "选举 1 个席位，候选人 2 名。",
            "全体业主专有部分总面积 400.00 平方米，总人数 4 人。",
            "参与表决的业主专有部分面积 200.00 平方米，占总面积的 50.00%；人数 2 人，占总人数的 50.00%。"
            f"{STATUTE_QUORUM_ZH}：未达到（{BOTH_FAILED_ZH}）。",
            f"{MAJORITY_ZH}，且参与表决须达到规定比例，方可当选；当选名次先按同意人数、再按同意面积排列。",
            "得票：c1：2 人、面积 200.00 平方米，占参与表决人数的 100.00%、参与表决面积的 100.00%（占总人数的 50.00%、"
            "总面积的 50.00%）——达到比例，但参与表决未达到规定比例；c2：0 人、面积 0.00 平方米，占参与表决人数的 0.00%、"
            f"参与表决面积的 0.00%（占总人数的 0.00%、总面积的 0.00%）——未达到当选比例（{BOTH_FAILED_ZH}）。",
            "弃权（未选任何候选人）：面积 0.00 平方米、0 人。废票（所选人数超过席位数，或选了非候选人、重复选同一人）：面积 0.00 平方米、0 人。",
            "因参与表决的业主未达到规定比例，无人当选。",
            "空缺席位 1 个，1 个须补选。",
            f"结论：未通过，因参与表决的业主未达到规定比例（{BOTH_FAILED_ZH}）。",
        ]
    )


def test_election_that_fills_its_seats_word_for_word():
    # 9 owners of 100.00 m² each mark two of a, b, c, d: a+b ×4, a+c ×3, b+c ×2.
    # a 7/9 (77.77%), b 6/9 (66.66%), c 5/9 (55.55%) are eligible; d has nothing.  Two seats: a, b;
    # up to two alternates: c.
    marks = [["a", "b"]] * 4 + [["a", "c"]] * 3 + [["b", "c"]] * 2
    d = doc(members(*["100.00"] * 9), [election(["a", "b", "c", "d"], 2)], votes(marks, "e"), {"alternates": 2})
    r = item(d, "e")
    assert (r["elected"], r["alternates"], r["passed"]) == (["a", "b"], ["c"], True)

    def line(name, heads, share, verdict):
        return (
            f"{name}: {heads} owners and {heads}00.00 m², {share} of the participating heads and {share} of the "
            f"participating area ({share} and {share} of the totals) — {verdict}"
        )

    assert r["reason"]["en"] == _sentences_en(
        "Election of 2 seat(s) among 4 candidate(s).",
        "Estate totals: 900.00 m² of exclusive area and 9 owners (heads).",
        f"Took part: 900.00 m² (100.00% of the total area) and 9 owners (100.00% of the total heads). {STATUTE_QUORUM_EN}: met.",
        "Each candidate needs more than 1/2 of the participating area and more than 1/2 of the participating heads "
        "(Civil Code Art. 278 ¶2), and a met quorum; seats then go by heads, then by area.",
        "Votes: "
        + "; ".join(
            [
                line("a", 7, "77.77%", "eligible"),
                line("b", 6, "66.66%", "eligible"),
                line("c", 5, "55.55%", "eligible"),
                "d: 0 owners and 0.00 m², 0.00% of the participating heads and 0.00% of the participating area "
                f"(0.00% and 0.00% of the totals) — not eligible ({BOTH_FAILED_EN})",
            ]
        )
        + ".",
        "Abstained (no candidate marked): 0.00 m² and 0 owners. Spoiled (more marks than seats, or an unknown or "
        "repeated candidate): 0.00 m² and 0 owners.",
        "Elected, in rank order: a, b.",
        "Alternates (up to 2 under the estate's rules, eligible candidates without a seat in the same order): c.",
        "Result: passed, all 2 seat(s) filled.",
    )

    def line_zh(name, heads, share, verdict):
        return (
            f"{name}：{heads} 人、面积 {heads}00.00 平方米，占参与表决人数的 {share}、参与表决面积的 {share}"
            f"（占总人数的 {share}、总面积的 {share}）——{verdict}"
        )

    assert r["reason"]["zh"] == "".join(
        [
            "选举 2 个席位，候选人 4 名。",
            "全体业主专有部分总面积 900.00 平方米，总人数 9 人。",
            f"参与表决的业主专有部分面积 900.00 平方米，占总面积的 100.00%；人数 9 人，占总人数的 100.00%。{STATUTE_QUORUM_ZH}：已达到。",
            f"{MAJORITY_ZH}，且参与表决须达到规定比例，方可当选；当选名次先按同意人数、再按同意面积排列。",
            "得票："
            + "；".join(
                [
                    line_zh("a", 7, "77.77%", "达到当选比例"),
                    line_zh("b", 6, "66.66%", "达到当选比例"),
                    line_zh("c", 5, "55.55%", "达到当选比例"),
                    "d：0 人、面积 0.00 平方米，占参与表决人数的 0.00%、参与表决面积的 0.00%（占总人数的 0.00%、总面积的 0.00%）"
                    f"——未达到当选比例（{BOTH_FAILED_ZH}）",
                ]
            )
            + "。",
            "弃权（未选任何候选人）：面积 0.00 平方米、0 人。废票（所选人数超过席位数，或选了非候选人、重复选同一人）：面积 0.00 平方米、0 人。",
            "当选（按名次）：a、b。",
            "候补委员（依议事规则至多 2 名，由未当选但达到当选比例者按名次递补）：c。",
            "结论：通过，2 个席位全部产生。",
        ]
    )


def test_nobody_elected_with_a_quorum_is_said_plainly():
    r = item(doc(members(*["100.00"] * 4), [election(["c1", "c2"], 2)], votes([["c1"], ["c1"], ["c2"], ["c2"]], "e")), "e")
    assert "Nobody is elected. Unfilled seats: 2; 2 go to a by-election." in r["reason"]["en"]
    assert "because the quorum" not in r["reason"]["en"]
    assert r["reason"]["zh"].endswith("无人当选。空缺席位 2 个，2 个须补选。结论：未通过，因尚有 2 个席位空缺。")


def test_two_alternates_are_named_in_rank_order():
    # Ten owners each leave out a different pair of a–e: every candidate has 6 of 10 heads and the
    # areas (100.00 m² plus 2^k hundredths for owner k) rank a > b > c > d > e.
    pairs = [("a", "b"), ("a", "c"), ("a", "d"), ("a", "e"), ("b", "c"), ("b", "d"), ("b", "e"), ("c", "d"), ("c", "e"), ("d", "e")]
    five = ["a", "b", "c", "d", "e"]
    marks = [[c for c in five if c not in pair] for pair in pairs]
    areas = [f"{100 + (2**k) // 100}.{(2**k) % 100:02d}" for k in range(10)]
    r = item(doc(members(*areas), [election(five, 3)], votes(marks, "e"), {"alternates": 2}), "e")
    assert r["elected"] == ["a", "b", "c"]
    assert r["alternates"] == ["d", "e"]
    assert ("Alternates (up to 2 under the estate's rules, eligible candidates without a seat in the same order): d, e.") in r["reason"][
        "en"
    ]
    assert "候补委员（依议事规则至多 2 名，由未当选但达到当选比例者按名次递补）：d、e。" in r["reason"]["zh"]


def test_no_eligible_candidate_left_for_alternates_says_none():
    marks = [["c1", "c2"]] * 4 + [["c3"]] * 2
    r = item(doc(members(*["100.00"] * 6), [election(["c1", "c2", "c3"], 2)], votes(marks, "e"), {"alternates": 3}), "e")
    assert "eligible candidates without a seat in the same order): none." in r["reason"]["en"]
    assert "由未当选但达到当选比例者按名次递补）：无。" in r["reason"]["zh"]


def test_a_tie_of_two_names_them_with_and():
    marks = [["c1", "c2"], ["c1", "c3"], ["c1", "c2"], ["c1", "c3"], ["c2", "c3"]]
    r = item(doc(members(*["100.00"] * 5), [election(["c1", "c2", "c3", "c4"], 2)], votes(marks, "e")), "e")
    assert (
        "c2 and c3 are fully tied (same heads and same area) for the last 1 seat(s); this count does not break "
        "the tie: a re-vote among them decides."
    ) in r["reason"]["en"]
    assert "c2、c3 的同意人数和面积完全相同，争夺最后 1 个席位；本次计票不作取舍，由其间重新表决决定。" in r["reason"]["zh"]


def test_selection_without_a_winner_word_for_word():
    # 4 owners of 100.00 m²: f1 2 (50%, not more than half), f2 1, one abstains.  Closest: f1.
    r = item(doc(members(*["100.00"] * 4), [selection(["f1", "f2", "f3"])], votes([["f1"], ["f1"], ["f2"], []], "s")), "s")
    assert (r["winner"], r["closest"]) == (None, "f1")

    def line(name, heads, owners, share):
        return (
            f"{name}: {owners} and {heads}00.00 m², {share} of the participating heads and {share} of the "
            f"participating area ({share} and {share} of the totals) — not reached ({BOTH_FAILED_EN})"
        )

    assert r["reason"]["en"] == _sentences_en(
        "Selection of one among 3 option(s).",
        "Estate totals: 400.00 m² of exclusive area and 4 owners (heads).",
        f"Took part: 400.00 m² (100.00% of the total area) and 4 owners (100.00% of the total heads). {STATUTE_QUORUM_EN}: met.",
        "An option needs more than 1/2 of the participating area and more than 1/2 of the participating heads "
        "(Civil Code Art. 278 ¶2), and a met quorum, to be selected.",
        "Votes: "
        + "; ".join(
            [
                line("f1", 2, "2 owners", "50.00%"),
                line("f2", 1, "1 owner", "25.00%"),
                "f3: 0 owners and 0.00 m², 0.00% of the participating heads and 0.00% of the participating area "
                f"(0.00% and 0.00% of the totals) — not reached ({BOTH_FAILED_EN})",
            ]
        )
        + ".",
        "Abstained: 100.00 m² and 1 owner. Spoiled (more than one mark, or an unknown option): 0.00 m² and 0 owners.",
        "Result: not passed: no option reached the threshold on both area and heads.",
        "Closest (largest of the smaller of its two shares of the participants): f1, with 50.00% of the "
        "participating heads and 50.00% of the participating area.",
        "Under Civil Code Art. 948, if the contract of the serving property-service firm has expired and the firm "
        "keeps serving, the contract continues in force for an open-ended term; either side may end it with 60 days' "
        "written notice.",
    )

    def line_zh(name, heads, share):
        return (
            f"{name}：{heads} 人、面积 {heads}00.00 平方米，占参与表决人数的 {share}、参与表决面积的 {share}"
            f"（占总人数的 {share}、总面积的 {share}）——未达到规定比例（{BOTH_FAILED_ZH}）"
        )

    assert r["reason"]["zh"] == "".join(
        [
            "在 3 个选项中选定一个。",
            "全体业主专有部分总面积 400.00 平方米，总人数 4 人。",
            f"参与表决的业主专有部分面积 400.00 平方米，占总面积的 100.00%；人数 4 人，占总人数的 100.00%。{STATUTE_QUORUM_ZH}：已达到。",
            f"{MAJORITY_ZH}，且参与表决须达到规定比例，方可选定。",
            "得票："
            + "；".join(
                [
                    line_zh("f1", 2, "50.00%"),
                    line_zh("f2", 1, "25.00%"),
                    "f3：0 人、面积 0.00 平方米，占参与表决人数的 0.00%、参与表决面积的 0.00%（占总人数的 0.00%、总面积的 0.00%）"
                    f"——未达到规定比例（{BOTH_FAILED_ZH}）",
                ]
            )
            + "。",
            "弃权：面积 100.00 平方米、1 人。废票（选择多于一项或选了非候选项）：面积 0.00 平方米、0 人。",
            "结论：未通过，没有选项在面积和人数上同时达到规定比例。",
            "最接近规定比例的是 f1（按面积与人数两项占比中较小者比较），获参与表决人数的 50.00%、参与表决面积的 50.00%。",
            "依据《民法典》第九百四十八条，物业服务期限届满后，业主没有依法作出续聘或者另聘物业服务人决定，"
            "物业服务人继续提供物业服务的，原物业服务合同继续有效，但是服务期限为不定期；"
            "当事人可以随时解除不定期物业服务合同，但是应当提前六十日书面通知对方。",
        ]
    )


def test_selection_without_a_quorum_word_for_word():
    # 3 owners of 100.00 m²; only one votes (f1): 1/3 takes part.  Category 9: no Art. 948.
    r = item(doc(members(*["100.00"] * 3), [selection(["f1", "f2"], 9)], votes([["f1"], None, None], "s")), "s")
    assert r["reason"]["en"] == _sentences_en(
        "Selection of one among 2 option(s).",
        "Estate totals: 300.00 m² of exclusive area and 3 owners (heads).",
        f"Took part: 100.00 m² (33.33% of the total area) and 1 owner (33.33% of the total heads). {STATUTE_QUORUM_EN}: "
        f"not met ({BOTH_FAILED_EN}).",
        "An option needs more than 1/2 of the participating area and more than 1/2 of the participating heads "
        "(Civil Code Art. 278 ¶2), and a met quorum, to be selected.",
        "Votes: f1: 1 owner and 100.00 m², 100.00% of the participating heads and 100.00% of the participating area "
        "(33.33% and 33.33% of the totals) — reached; f2: 0 owners and 0.00 m², 0.00% of the participating heads and "
        f"0.00% of the participating area (0.00% and 0.00% of the totals) — not reached ({BOTH_FAILED_EN}).",
        "Abstained: 0.00 m² and 0 owners. Spoiled (more than one mark, or an unknown option): 0.00 m² and 0 owners.",
        f"Result: not passed, because the quorum was not met ({BOTH_FAILED_EN}); nothing is selected.",
        "Closest (largest of the smaller of its two shares of the participants): f1, with 100.00% of the "
        "participating heads and 100.00% of the participating area.",
    )
    assert r["reason"]["zh"] == "".join(
        [
            "在 2 个选项中选定一个。",
            "全体业主专有部分总面积 300.00 平方米，总人数 3 人。",
            f"参与表决的业主专有部分面积 100.00 平方米，占总面积的 33.33%；人数 1 人，占总人数的 33.33%。{STATUTE_QUORUM_ZH}："
            f"未达到（{BOTH_FAILED_ZH}）。",
            f"{MAJORITY_ZH}，且参与表决须达到规定比例，方可选定。",
            "得票：f1：1 人、面积 100.00 平方米，占参与表决人数的 100.00%、参与表决面积的 100.00%（占总人数的 33.33%、"
            "总面积的 33.33%）——达到规定比例；f2：0 人、面积 0.00 平方米，占参与表决人数的 0.00%、参与表决面积的 0.00%"
            f"（占总人数的 0.00%、总面积的 0.00%）——未达到规定比例（{BOTH_FAILED_ZH}）。",
            "弃权：面积 0.00 平方米、0 人。废票（选择多于一项或选了非候选项）：面积 0.00 平方米、0 人。",
            f"结论：未通过，因参与表决的业主未达到规定比例（{BOTH_FAILED_ZH}），未选定任何选项。",
            "最接近规定比例的是 f1（按面积与人数两项占比中较小者比较），获参与表决人数的 100.00%、参与表决面积的 100.00%。",
        ]
    )
