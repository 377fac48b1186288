"""The bilingual table of ``--format text``, for committees counting at the meeting."""

from __future__ import annotations

import textwrap
import unicodedata

from .fmt import area, pct, source_en, threshold_en, threshold_zh
from .results import ElectionResult, ItemResult, ResolutionResult, SelectionResult, TallyResult, Weight

WIDTH = 100


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _ljust(s: str, n: int) -> str:
    return s + " " * max(0, n - _width(s))


def _rjust(s: str, n: int) -> str:
    return " " * max(0, n - _width(s)) + s


_NO_LINE_START = set("，。；：、）》」——%.,;:)")


def _wrap_wide(text: str, width: int, indent: str) -> list[str]:
    """Wrap Chinese text by display width (textwrap counts code points and knows no CJK).

    Runs of ASCII (numbers like 189.50, ids like c12) are never split, and closing punctuation
    never starts a line.
    """
    tokens: list[str] = []
    for ch in text:
        if tokens and ch.isascii() and ch != " " and tokens[-1][-1].isascii() and tokens[-1][-1] != " " or tokens and ch in _NO_LINE_START:
            tokens[-1] += ch
        else:
            tokens.append(ch)
    lines, line = [], ""
    for tok in tokens:
        if line and _width(indent + line + tok) > width:
            lines.append(indent + line.rstrip())
            line = tok.lstrip()
        else:
            line += tok
    if line:
        lines.append(indent + line)
    return lines


_HEADER = ["", "面积 m² Area", "占参与", "占总计", "人数 Heads", "占参与", "占总计", ""]
_SUBHEADER = ["", "", "% part.", "% total", "", "% part.", "% total", ""]


def _row(label: str, w: Weight, r: ItemResult, note: str = "", of_participants: bool = True) -> list[str]:
    p, t = r.participation, r.totals
    return [
        label,
        area(w.area),
        (pct(w.area, p.area) or "—") if of_participants else "",
        pct(w.area, t.area) or "—",
        str(w.heads),
        (pct(w.heads, p.heads) or "—") if of_participants else "",
        pct(w.heads, t.heads) or "—",
        note,
    ]


def _table(rows: list[list[str]]) -> list[str]:
    table = [_HEADER, _SUBHEADER, *rows]
    widths = [max(_width(row[c]) for row in table) for c in range(len(_HEADER))]
    out = []
    for row in table:
        cells = [_ljust(row[0], widths[0])]
        cells += [_rjust(row[c], widths[c]) for c in range(1, 7)]
        cells.append(row[7])
        out.append("  " + "  ".join(cells).rstrip())
    return out


def _verdict(passed: bool) -> str:
    return "通过 PASSED" if passed else "未通过 NOT PASSED"


def _item(r: ItemResult) -> list[str]:
    kind = {"resolution": "决议 resolution", "election": "选举 election", "selection": "选定 selection", "plan": "方案选择 plan"}[r.kind]
    title = f" · {r.title}" if r.title else ""
    lines = [f"[{r.item_id}]{title} · 事项类别 category {r.category} · {kind}"]
    q = r.quorum.threshold
    lines.append(f"  参与门槛 Quorum:    {threshold_zh(q)} {threshold_en(q)} of total area AND heads — {source_en(r.quorum.estate_rule)}")
    a = r.approval_rule
    lines.append(
        f"  同意门槛 Approval:  {threshold_zh(a)} {threshold_en(a)} of participating area AND heads — {source_en(r.approval_estate_rule)}"
    )
    rows = [
        _row("全体 Estate totals", r.totals, r, of_participants=False),
        _row("参与 Took part", r.participation, r, "达到 quorum met" if r.quorum.met else "未达到 quorum NOT met"),
    ]
    if isinstance(r, ResolutionResult):
        rows.append(_row("同意 Agree", r.agree, r, "达到 reached" if r.approval.met else "未达到 not reached"))
        rows.append(_row("反对 Disagree", r.disagree, r))
    elif isinstance(r, ElectionResult):
        status: dict[str, str] = {}
        for c in r.eligible:
            status[c] = "达到 eligible"
        for i, c in enumerate(r.alternates, start=r.alternates_pending + 1):
            status[c] = f"候补 alternate {i}"
        for c in r.alternates_tie or ():
            status[c] = "候补并列 tied for alternate"
        for c in r.tie or ():
            status[c] = "并列 TIED, re-vote"
        for i, c in enumerate(r.elected, start=1):
            status[c] = f"当选 elected {i}"
        for t in r.candidates:
            rows.append(_row(f"  {t.option}", t.votes, r, status.get(t.option, "")))
    else:
        assert isinstance(r, SelectionResult)
        for o in r.options:
            note = "选定 WINNER" if o.option == r.winner else ("最接近 closest" if o.option == r.closest else "")
            if r.closest_tie and o.option in r.closest_tie:
                note = "同样接近 equally close"
            rows.append(_row(f"  {o.option}", o.votes, r, note))
    rows.append(_row("弃权 Abstain", r.abstain, r))
    rows.append(_row("废票 Invalid", r.invalid, r))
    lines += _table(rows)
    if isinstance(r, ElectionResult):
        lines.append(
            f"  席位 Seats {r.seats} · 当选 elected {len(r.elected)} · 空缺 unfilled {r.unfilled}"
            + (f" · 并列 tie: {', '.join(r.tie)} for {r.tied_seats}" if r.tie else "")
        )
    lines.append(f"  结果 Result: {_verdict(r.passed)}")
    lines += _wrap_wide("说明：" + r.reason.zh, WIDTH, "  ")
    lines += textwrap.wrap("Reason: " + r.reason.en, WIDTH, initial_indent="  ", subsequent_indent="  ")
    return lines


def render_text(result: TallyResult) -> str:
    t = result.totals
    lines = [
        "业主大会表决统计 · Owners' assembly tally",
        f"总计 Totals: {t.heads} 人 owners · {area(t.area)} m² · 选票 ballots: {result.ballots}",
        "占参与 = share of participants (the legal test) · 占总计 = share of the estate's totals; percentages truncated, tests exact.",
    ]
    for r in result.items:
        lines.append("")
        lines += _item(r)
    return "\n".join(lines) + "\n"
