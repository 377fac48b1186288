"""What decides an agenda item: its Civil Code Art. 278 category, the statute's thresholds and any
stricter rule the estate records (its rules of procedure).  Pure: no database, no request.
"""

from __future__ import annotations

from dataclasses import dataclass

from tally.document import parse_rules
from tally.fmt import threshold_en, threshold_zh
from tally.model import TallyInputError, Threshold
from webapp.core.errors_base import UserError

ARTICLE_278_ZH = (
    "《民法典》第二百七十八条：业主共同决定事项，应当由专有部分面积占比三分之二以上的业主且人数占比三分之二以上的业主参与表决。"
    "决定前款第六项至第八项规定的事项，应当经参与表决专有部分面积四分之三以上的业主且参与表决人数四分之三以上的业主同意。"
    "决定前款其他事项，应当经参与表决专有部分面积过半数的业主且参与表决人数过半数的业主同意。"
)
ARTICLE_278_EN = (
    "Civil Code Art. 278 ¶2: owners holding at least two thirds of the exclusive area and at least two thirds of the owners must "
    "take part. Matters 6 to 8 need the consent of at least three quarters of the participating area and of the participating "
    "owners; the other matters need more than half of each."
)


@dataclass(frozen=True)
class Category:
    number: int
    zh: str
    en: str
    plain_zh: str
    plain_en: str


CATEGORIES = {
    1: Category(
        1,
        "制定和修改业主大会议事规则",
        "Adopt or amend the assembly's rules of procedure",
        "决定业主大会怎样开会、怎样表决的规则。",
        "The rules for how the owners' assembly meets and votes.",
    ),
    2: Category(
        2,
        "制定和修改管理规约",
        "Adopt or amend the management statute",
        "全体业主共同遵守的小区公约，例如装修、养宠、停车的规矩。",
        "The estate's common rules every owner keeps, e.g. on renovation, pets, parking.",
    ),
    3: Category(
        3,
        "选举业主委员会或者更换业主委员会成员",
        "Elect the owners' committee or replace members",
        "选出代表业主办事的业主委员会委员。",
        "Choose the owners who sit on the owners' committee.",
    ),
    4: Category(
        4,
        "选聘和解聘物业服务企业或者其他管理人",
        "Select or dismiss the property-service firm or other manager",
        "选哪家物业公司管理小区，或者解聘现在的物业公司。",
        "Choose which firm manages the estate, or dismiss the current one.",
    ),
    5: Category(
        5,
        "使用建筑物及其附属设施的维修资金",
        "Use the building maintenance fund",
        "动用维修资金，例如更换电梯、修屋顶。",
        "Spend money from the maintenance fund, e.g. new lifts or roof repairs.",
    ),
    6: Category(
        6,
        "筹集建筑物及其附属设施的维修资金",
        "Raise the building maintenance fund",
        "要求业主续交或增交维修资金。",
        "Ask owners to pay more into the maintenance fund.",
    ),
    7: Category(
        7,
        "改建、重建建筑物及其附属设施",
        "Rebuild or reconstruct buildings and facilities",
        "改建或重建楼房、大门、车库等设施。",
        "Rebuild or reconstruct buildings, gates, garages and other facilities.",
    ),
    8: Category(
        8,
        "改变共有部分的用途或者利用共有部分从事经营活动",
        "Change the use of common parts or run a business on them",
        "把公共部分改作他用，或者出租、经营公共部分。",
        "Use common parts for something else, or let or run a business on them.",
    ),
    9: Category(
        9,
        "有关共有和共同管理权利的其他重大事项",
        "Other major matters of common ownership and management",
        "上面没有列出的其他共同重大事项。",
        "Any other major common matter not listed above.",
    ),
}


def threshold_words(t: Threshold, zh: bool) -> str:
    """One wording of a threshold for pages, notices and results: the tally's own (tally.fmt)."""
    return threshold_zh(t) if zh else threshold_en(t)


@dataclass(frozen=True)
class Thresholds:
    category: int
    quorum: Threshold
    approval: Threshold
    quorum_estate: bool
    approval_estate: bool

    def explain(self, zh: bool) -> str:
        """Plain words: who must take part, who must agree, and the source of each rule."""
        if zh:
            source_q = "本小区议事规则（严于法律）" if self.quorum_estate else "《民法典》第二百七十八条"
            source_a = "本小区议事规则（严于法律）" if self.approval_estate else "《民法典》第二百七十八条"
            return (
                f"参与表决：专有部分面积{threshold_words(self.quorum, True)}且人数{threshold_words(self.quorum, True)}的业主（{source_q}）；"
                f"通过：参与表决的面积{threshold_words(self.approval, True)}且人数{threshold_words(self.approval, True)}同意（{source_a}）。"
            )
        source_q = "the estate's stricter rules" if self.quorum_estate else "Civil Code Art. 278"
        source_a = "the estate's stricter rules" if self.approval_estate else "Civil Code Art. 278"
        return (
            f"Turnout: owners holding {threshold_words(self.quorum, False)} of the area and {threshold_words(self.quorum, False)} of the owners "
            f"must take part ({source_q}); passing: {threshold_words(self.approval, False)} of the participating area and of the "
            f"participating owners must agree ({source_a})."
        )

    def in_one_line(self, zh: bool) -> str:
        """What it takes to pass, in one plain line (the ballot shows it under each item; the
        notice gives the whole rule)."""
        if zh:
            source = "本小区议事规则" if self.approval_estate else "《民法典》第二百七十八条"
            return f"通过需要：参与表决的业主中，面积和人数都{threshold_words(self.approval, True)}同意（{source}）。"
        source = "the estate's rules" if self.approval_estate else "Civil Code Art. 278"
        return f"To pass: {threshold_words(self.approval, False)} of the voting area and of the voting owners must agree ({source})."


class RulesError(UserError):
    pass


def check_estate_thresholds(thresholds: dict, alternates: int = 0) -> dict:
    """The estate's stricter thresholds, validated and written in lowest terms; a rule looser than
    the statute is refused with the reason."""
    try:
        rules = parse_rules({"thresholds": thresholds or {}, "alternates": alternates})
    except TallyInputError as exc:
        looser = "looser than the statute" in exc.problem
        zh = f"{exc.path}：比法律规定宽松；本小区的规则只能严于《民法典》第二百七十八条" if looser else f"{exc.path}：{exc.problem}"
        raise RulesError(zh, str(exc)) from None
    out: dict = {}
    for category, rule in sorted(rules.thresholds.items()):
        entry = {}
        if rule.quorum is not None:
            entry["quorum"] = rule.quorum.to_document()
        if rule.approval is not None:
            entry["approval"] = rule.approval.to_document()
        if entry:
            out[str(category)] = entry
    return out


def thresholds_for(category: int, estate_thresholds: dict | None) -> Thresholds:
    rules = parse_rules({"thresholds": estate_thresholds or {}})
    quorum, quorum_estate = rules.quorum(category)
    approval, approval_estate = rules.approval(category)
    return Thresholds(category, quorum, approval, quorum_estate, approval_estate)


def rules_snapshot(*, thresholds: dict, alternates: int, required_signatures: int, counting_rule: str | None) -> dict:
    """The rules an assembly is decided by, as its notice records them."""
    return {
        "thresholds": check_estate_thresholds(thresholds, alternates),
        "alternates": alternates,
        "required_signatures": required_signatures,
        "counting_rule": counting_rule or None,
    }
