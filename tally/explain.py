"""Plain Chinese and English sentences a supervisor can read out at the meeting.

Every reason states the estate's totals, who took part, each count, the thresholds with their
legal source, and which test failed.  Shares are given against the participants (the legal
test) and against the estate's totals (what owners often expect), each labelled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .fmt import area, pct_text, source_en, source_zh, threshold_en, threshold_zh
from .results import (
    Check,
    ElectionResult,
    ItemResult,
    OptionTally,
    Reason,
    ResolutionResult,
    SelectionResult,
    Weight,
)


def explain(r: ItemResult) -> Reason:
    if isinstance(r, ResolutionResult):
        return _resolution(r)
    if isinstance(r, ElectionResult):
        return _election(r)
    # A selection or a choice among plans: one decision, told in the kind's words.
    assert isinstance(r, SelectionResult)
    return _one_of(r)


def _failed_en(c: Check) -> str:
    if not c.area_met and not c.heads_met:
        return "both the area test and the heads test failed"
    return "the area test failed" if not c.area_met else "the heads test failed"


def _failed_zh(c: Check) -> str:
    if not c.area_met and not c.heads_met:
        return "面积和人数均未达到"
    return "面积未达到" if not c.area_met else "人数未达到"


def _met_en(c: Check) -> str:
    return "met" if c.met else f"not met ({_failed_en(c)})"


def _met_zh(c: Check) -> str:
    return "已达到" if c.met else f"未达到（{_failed_zh(c)}）"


def _head(r: ItemResult) -> tuple[list[str], list[str]]:
    t, p, q = r.totals, r.participation, r.quorum
    en = [
        f"Estate totals: {area(t.area)} m² of exclusive area and {_owners(t.heads)} (heads).",
        f"Took part: {area(p.area)} m² ({pct_text(p.area, t.area)} of the total area) and {_owners(p.heads)} "
        f"({pct_text(p.heads, t.heads)} of the total heads). The quorum is {threshold_en(q.threshold)} of the total "
        f"area and {threshold_en(q.threshold)} of the total heads ({source_en(q.estate_rule)}): {_met_en(q)}.",
    ]
    zh = [
        f"全体业主专有部分总面积 {area(t.area)} 平方米，总人数 {t.heads} 人。",
        f"参与表决的业主专有部分面积 {area(p.area)} 平方米，占总面积的 {pct_text(p.area, t.area)}；人数 {p.heads} 人，"
        f"占总人数的 {pct_text(p.heads, t.heads)}。依据{source_zh(q.estate_rule)}，应由专有部分面积占比"
        f"{threshold_zh(q.threshold)}且人数占比{threshold_zh(q.threshold)}的业主参与表决：{_met_zh(q)}。",
    ]
    return en, zh


def _rule_en(r: ItemResult, who: str) -> str:
    t = threshold_en(r.approval_rule)
    return f"{who} needs {t} of the participating area and {t} of the participating heads ({source_en(r.approval_estate_rule)})"


def _rule_zh(r: ItemResult) -> str:
    t = threshold_zh(r.approval_rule)
    return f"依据{source_zh(r.approval_estate_rule)}，须经参与表决专有部分面积{t}且参与表决人数{t}的业主同意"


def _shares_en(w: Weight, r: ItemResult) -> str:
    p, t = r.participation, r.totals
    return (
        f"{pct_text(w.area, p.area)} of the participating area and {pct_text(w.heads, p.heads)} of the participating "
        f"heads (the legal test); {pct_text(w.area, t.area)} of the total area and {pct_text(w.heads, t.heads)} of "
        f"the total heads"
    )


def _shares_zh(w: Weight, r: ItemResult) -> str:
    p, t = r.participation, r.totals
    return (
        f"占参与表决面积的 {pct_text(w.area, p.area)}、参与表决人数的 {pct_text(w.heads, p.heads)}（法定计算口径）；"
        f"占总面积的 {pct_text(w.area, t.area)}、总人数的 {pct_text(w.heads, t.heads)}"
    )


def _owners(n: int) -> str:
    return "1 owner" if n == 1 else f"{n} owners"


def _w_en(w: Weight) -> str:
    return f"{area(w.area)} m² and {_owners(w.heads)}"


def _w_zh(w: Weight) -> str:
    return f"面积 {area(w.area)} 平方米、{w.heads} 人"


def _resolution(r: ResolutionResult) -> Reason:
    en, zh = _head(r)
    en.append(
        f"Agree: {_w_en(r.agree)}, that is {_shares_en(r.agree, r)}. Disagree: {_w_en(r.disagree)}. "
        f"Abstain (including items left unmarked): {_w_en(r.abstain)}. Invalid: {_w_en(r.invalid)}. "
        f"Abstentions and invalid marks take part but do not agree."
    )
    zh.append(
        f"同意：{_w_zh(r.agree)}，{_shares_zh(r.agree, r)}。反对：{_w_zh(r.disagree)}。"
        f"弃权（含未填写）：{_w_zh(r.abstain)}。废票：{_w_zh(r.invalid)}。弃权票和废票计入参与表决，但不计为同意。"
    )
    en.append(f"Approval: {_rule_en(r, 'the item')}: {_met_en(r.approval)}.")
    zh.append(f"{_rule_zh(r)}：{_met_zh(r.approval)}。")
    if r.passed:
        en.append("Result: passed.")
        zh.append("结论：通过。")
    elif not r.quorum.met:
        en.append(f"Result: not passed, because the quorum was not met ({_failed_en(r.quorum)}).")
        zh.append(f"结论：未通过，因参与表决的业主未达到规定比例（{_failed_zh(r.quorum)}）。")
    else:
        en.append(f"Result: not passed, because approval was not reached ({_failed_en(r.approval)}).")
        zh.append(f"结论：未通过，因同意的业主未达到规定比例（{_failed_zh(r.approval)}）。")
    return Reason("".join(zh), " ".join(en))


def _option_en(t: OptionTally, r: ItemResult, verdict: str) -> str:
    v, p, tot = t.votes, r.participation, r.totals
    return (
        f"{t.option}: {_owners(v.heads)} and {area(v.area)} m², {pct_text(v.heads, p.heads)} of the participating heads "
        f"and {pct_text(v.area, p.area)} of the participating area ({pct_text(v.heads, tot.heads)} and "
        f"{pct_text(v.area, tot.area)} of the totals) — {verdict}"
    )


def _option_zh(t: OptionTally, r: ItemResult, verdict: str) -> str:
    v, p, tot = t.votes, r.participation, r.totals
    return (
        f"{t.option}：{v.heads} 人、面积 {area(v.area)} 平方米，占参与表决人数的 {pct_text(v.heads, p.heads)}、"
        f"参与表决面积的 {pct_text(v.area, p.area)}（占总人数的 {pct_text(v.heads, tot.heads)}、"
        f"总面积的 {pct_text(v.area, tot.area)}）——{verdict}"
    )


def _names_en(names: Iterable[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _names_zh(names: Iterable[str]) -> str:
    return "、".join(names)


def _election(r: ElectionResult) -> Reason:
    en, zh = _head(r)
    en.insert(0, f"Election of {r.seats} seat(s) among {len(r.candidates)} candidate(s).")
    zh.insert(0, f"选举 {r.seats} 个席位，候选人 {len(r.candidates)} 名。")
    en.append(f"{_rule_en(r, 'Each candidate')}, and a met quorum; seats then go by heads, then by area.")
    zh.append(f"{_rule_zh(r)}，且参与表决须达到规定比例，方可当选；当选名次先按同意人数、再按同意面积排列。")
    quorum = r.quorum.met
    lines_en, lines_zh = [], []
    for t in r.candidates:
        if t.reached and quorum:
            v_en, v_zh = "eligible", "达到当选比例"
        elif t.reached:
            v_en, v_zh = "threshold reached but the quorum failed", "达到比例，但参与表决未达到规定比例"
        else:
            v_en, v_zh = f"not eligible ({_failed_en(t.check)})", f"未达到当选比例（{_failed_zh(t.check)}）"
        lines_en.append(_option_en(t, r, v_en))
        lines_zh.append(_option_zh(t, r, v_zh))
    en.append("Votes: " + "; ".join(lines_en) + ".")
    zh.append("得票：" + "；".join(lines_zh) + "。")
    en.append(
        f"Abstained (no candidate marked): {_w_en(r.abstain)}. Spoiled (more marks than seats, or an unknown or "
        f"repeated candidate): {_w_en(r.invalid)}."
    )
    zh.append(f"弃权（未选任何候选人）：{_w_zh(r.abstain)}。废票（所选人数超过席位数，或选了非候选人、重复选同一人）：{_w_zh(r.invalid)}。")
    if not quorum:
        en.append("Nobody is elected, because the quorum was not met.")
        zh.append("因参与表决的业主未达到规定比例，无人当选。")
    elif r.elected:
        en.append(f"Elected, in rank order: {', '.join(r.elected)}.")
        zh.append(f"当选（按名次）：{'、'.join(r.elected)}。")
    else:
        en.append("Nobody is elected.")
        zh.append("无人当选。")
    if r.tie:
        en.append(
            f"{_names_en(r.tie)} are fully tied (same heads and same area) for the last {r.tied_seats} seat(s); "
            f"this count does not break the tie: a re-vote among them decides."
        )
        zh.append(f"{_names_zh(r.tie)} 的同意人数和面积完全相同，争夺最后 {r.tied_seats} 个席位；本次计票不作取舍，由其间重新表决决定。")
    if r.unfilled:
        by_election = r.unfilled - r.tied_seats
        en.append(
            f"Unfilled seats: {r.unfilled}"
            + (f", of which {r.tied_seats} await the re-vote" if r.tied_seats else "")
            + (
                (f"; {by_election} goes to a by-election" if by_election == 1 else f"; {by_election} go to a by-election")
                if by_election
                else ""
            )
            + "."
        )
        zh.append(
            f"空缺席位 {r.unfilled} 个"
            + (f"，其中 {r.tied_seats} 个待重新表决" if r.tied_seats else "")
            + (f"，{by_election} 个须补选" if by_election else "")
            + "。"
        )
    if r.alternates_wanted and quorum:
        en.append(
            f"Alternates (up to {r.alternates_wanted} under the estate's rules, eligible candidates without a seat in "
            f"the same order): {', '.join(r.alternates) if r.alternates else 'none'}."
        )
        zh.append(
            f"候补委员（依议事规则至多 {r.alternates_wanted} 名，由未当选但达到当选比例者按名次递补）："
            f"{'、'.join(r.alternates) if r.alternates else '无'}。"
        )
        if r.alternates_pending:
            en.append(
                f"The first {r.alternates_pending} alternate place(s), ahead of those named, go to the tied candidates "
                f"who lose the re-vote."
            )
            zh.append(f"前 {r.alternates_pending} 个候补名次（排在上列人员之前）由重新表决中未当选的并列候选人依次递补。")
        if r.alternates_tie:
            en.append(f"{_names_en(r.alternates_tie)} are fully tied for the last alternate place(s); this count does not break the tie.")
            zh.append(f"{_names_zh(r.alternates_tie)} 并列争夺最后的候补名次，本次计票不作取舍。")
    if r.passed:
        en.append(f"Result: passed, all {r.seats} seat(s) filled.")
        zh.append(f"结论：通过，{r.seats} 个席位全部产生。")
    elif not quorum:
        en.append(f"Result: not passed, because the quorum was not met ({_failed_en(r.quorum)}).")
        zh.append(f"结论：未通过，因参与表决的业主未达到规定比例（{_failed_zh(r.quorum)}）。")
    else:
        why_en = "a tie must be decided by a re-vote" if r.tie else f"{r.unfilled} seat(s) remain unfilled"
        why_zh = "存在并列，须重新表决" if r.tie else f"尚有 {r.unfilled} 个席位空缺"
        en.append(f"Result: not passed, because {why_en}.")
        zh.append(f"结论：未通过，因{why_zh}。")
    return Reason("".join(zh), " ".join(en))


@dataclass(frozen=True, slots=True)
class _OneOfWords:
    """The words that differ between a selection's reasons and a plan's (方案选择)."""

    intro_en: str  # "{n}" is the number of options
    intro_zh: str
    noun_en: str  # "option" / "plan"
    noun_zh: str  # 选项 / 方案
    spoiled_en: str
    spoiled_zh: str
    chosen_en: str  # "{w}" is the winner
    chosen_zh: str
    subject_en: str  # "An option" / "A plan"
    to_be_en: str  # "selected" / "chosen"
    closest_en: str
    no_closest_en: str
    no_closest_zh: str
    none_en: str  # said when the quorum fails
    closest_zh: str  # 最接近规定比例的{…}是


_ONE_OF_WORDS = {
    "selection": _OneOfWords(
        intro_en="Selection of one among {n} option(s).",
        intro_zh="在 {n} 个选项中选定一个。",
        noun_en="option",
        noun_zh="选项",
        spoiled_en="more than one mark, or an unknown option",
        spoiled_zh="选择多于一项或选了非候选项",
        chosen_en="Result: passed; selected: {w}.",
        chosen_zh="结论：通过，选定 {w}。",
        subject_en="An option",
        to_be_en="selected",
        closest_en="Closest",
        no_closest_en="none is named closest",
        no_closest_zh="不指定最接近者",
        none_en="nothing is selected",
        closest_zh="最接近规定比例的是",
    ),
    "plan": _OneOfWords(
        intro_en="Choice of one plan among {n} plan(s).",
        intro_zh="在 {n} 个方案中选定一个方案。",
        noun_en="plan",
        noun_zh="方案",
        spoiled_en="more than one plan marked, or an unknown plan",
        spoiled_zh="选择多于一个方案或选了本事项以外的方案",
        chosen_en="Result: passed; plan chosen: {w}.",
        chosen_zh="结论：通过，选定方案 {w}。",
        subject_en="A plan",
        to_be_en="chosen",
        closest_en="Closest plan",
        no_closest_en="no plan is named closest",
        no_closest_zh="不指定最接近的方案",
        none_en="no plan is chosen",
        closest_zh="最接近规定比例的方案是",
    ),
}


def _one_of(r: SelectionResult) -> Reason:
    """A selection's or a plan's reason: the same decision, told in the kind's words."""
    words = _ONE_OF_WORDS[r.kind]
    noun_en, noun_zh = words.noun_en, words.noun_zh
    en, zh = _head(r)
    en.insert(0, words.intro_en.format(n=len(r.options)))
    zh.insert(0, words.intro_zh.format(n=len(r.options)))
    en.append(f"{_rule_en(r, words.subject_en)}, and a met quorum, to be {words.to_be_en}.")
    zh.append(f"{_rule_zh(r)}，且参与表决须达到规定比例，方可选定。")
    lines_en, lines_zh = [], []
    for t in r.options:
        v_en = "reached" if t.reached else f"not reached ({_failed_en(t.check)})"
        v_zh = "达到规定比例" if t.reached else f"未达到规定比例（{_failed_zh(t.check)}）"
        lines_en.append(_option_en(t, r, v_en))
        lines_zh.append(_option_zh(t, r, v_zh))
    en.append("Votes: " + "; ".join(lines_en) + ".")
    zh.append("得票：" + "；".join(lines_zh) + "。")
    en.append(f"Abstained: {_w_en(r.abstain)}. Spoiled ({words.spoiled_en}): {_w_en(r.invalid)}.")
    zh.append(f"弃权：{_w_zh(r.abstain)}。废票（{words.spoiled_zh}）：{_w_zh(r.invalid)}。")
    if r.winner:
        en.append(words.chosen_en.format(w=r.winner))
        zh.append(words.chosen_zh.format(w=r.winner))
        return Reason("".join(zh), " ".join(en))
    if not r.quorum.met:
        en.append(f"Result: not passed, because the quorum was not met ({_failed_en(r.quorum)}); {words.none_en}.")
        zh.append(f"结论：未通过，因参与表决的业主未达到规定比例（{_failed_zh(r.quorum)}），未选定任何{noun_zh}。")
    else:
        en.append(f"Result: not passed: no {noun_en} reached the threshold on both area and heads.")
        zh.append(f"结论：未通过，没有{noun_zh}在面积和人数上同时达到规定比例。")
    closest = next((t for t in r.options if t.option == r.closest), None)
    if closest is not None:
        en.append(
            f"{words.closest_en} (largest of the smaller of its two shares of the participants): {closest.option}, with "
            f"{pct_text(closest.votes.heads, r.participation.heads)} of the participating heads and "
            f"{pct_text(closest.votes.area, r.participation.area)} of the participating area."
        )
        zh.append(
            f"{words.closest_zh} {closest.option}（按面积与人数两项占比中较小者比较），获参与表决人数的 "
            f"{pct_text(closest.votes.heads, r.participation.heads)}、参与表决面积的 "
            f"{pct_text(closest.votes.area, r.participation.area)}。"
        )
    elif r.closest_tie:
        en.append(f"{_names_en(r.closest_tie)} came equally close; {words.no_closest_en}.")
        zh.append(f"{_names_zh(r.closest_tie)} 同样接近规定比例，{words.no_closest_zh}。")
    if r.category == 4:
        en.append(
            "Under Civil Code Art. 948, if the contract of the serving property-service firm has expired and the "
            "firm keeps serving, the contract continues in force for an open-ended term; either side may end it "
            "with 60 days' written notice."
        )
        zh.append(
            "依据《民法典》第九百四十八条，物业服务期限届满后，业主没有依法作出续聘或者另聘物业服务人决定，"
            "物业服务人继续提供物业服务的，原物业服务合同继续有效，但是服务期限为不定期；"
            "当事人可以随时解除不定期物业服务合同，但是应当提前六十日书面通知对方。"
        )
    return Reason("".join(zh), " ".join(en))
