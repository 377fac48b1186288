"""How a ranking's numbers and words read, on its page and in its PDF (both from the document)."""

from __future__ import annotations

from fractions import Fraction

from crypto import ranking as rk

MEASURES = {
    "owners_score": ("业主测评得分", "owners' evaluation score"),
    "owners_satisfaction": ("业主满意率", "owners' satisfaction rate"),
    "inspections": ("检查考核得分", "supervisors' inspections score"),
}
BANDS = {"red": ("红榜", "red list"), "black": ("黑榜", "black list")}
UNSCORED = {
    "no-evaluation": ("本期没有公布的业主测评结果，不计分", "no owners' evaluation result was published in the period: not scored"),
    "too-few-answers": ("答卷数少于公布下限，不计分（不作零分）", "fewer answers than the minimum for a result: not scored (not a zero)"),
    "no-inspection": (
        "本期没有监督员的检查考核记录，不计分（不作零分）",
        "no supervisors' inspection in the period: not scored (not a zero)",
    ),
}


def measure_text(value: str | None) -> str:
    """A measure of the document (``"p/q"``) shown with two decimals, or a dash."""
    return rk.shown(rk.read_frac(value)) if value else "—"


def percent(basis_points: int) -> str:
    value = Fraction(basis_points, 100)
    return str(value.numerator) if value.denominator == 1 else rk.shown(value)


def rule_text(rule: dict, zh: bool) -> str:
    """The rule in one sentence: how a score is made, the pass and red marks."""
    parts = [f"{MEASURES[name][0 if zh else 1]} {percent(bp)}%" for name, bp in rule["weights"].items() if bp]
    weights = ("，" if zh else ", ").join(parts)
    if zh:
        return (
            f"得分 = {weights}（满 100 分；满意率以分值不低于 {rule['satisfied_at']} 分的选项计为满意）。"
            f"不低于 {rule['red_mark']} 分列入红榜；低于及格线 {rule['pass_mark']} 分列入黑榜，为不及格；"
            f"连续 {rule['fail_periods']} 期不及格的，由业主重新选聘物业服务企业。"
        )
    return (
        f"Score = {weights} (out of 100; answers worth at least {rule['satisfied_at']} points count as satisfied). "
        f"At or above {rule['red_mark']}: red list; below the pass mark of {rule['pass_mark']}: black list, a failing period; "
        f"after {rule['fail_periods']} consecutive failing periods the owners re-select their firm."
    )
