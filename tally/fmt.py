"""Exact formatting of areas, shares and thresholds, in English and Chinese."""

from __future__ import annotations

from .model import AT_LEAST, Threshold


def area(hundredths: int) -> str:
    """``8950`` → ``"89.50"``: always exactly two decimals, no float on the way."""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), 100)
    return f"{sign}{whole}.{cents:02d}"


def pct(part: int, whole: int) -> str | None:
    """``part/whole`` as a percentage with two decimals, truncated so it never overstates a share
    (2/3 shows as 66.66%, not 66.67%); ``None`` when ``whole`` is zero."""
    if whole <= 0:
        return None
    basis_points = part * 10000 // whole
    return f"{basis_points // 100}.{basis_points % 100:02d}%"


def pct_text(part: int, whole: int) -> str:
    return pct(part, whole) or "n/a"


_DIGITS = "零一二三四五六七八九"


def zh_int(n: int) -> str:
    """Chinese numerals as statutes write them (二, 十, 二百七十八); arabic beyond 9999."""
    if n < 0 or n > 9999:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    out = ""
    zero = False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d:
            if zero:
                out += "零"
                zero = False
            out += ("" if (unit == "十" and d == 1 and not out) else _DIGITS[d]) + unit
        elif out:
            zero = True
    return out


def zh_fraction(t: Threshold) -> str:
    return f"{zh_int(t.q)}分之{zh_int(t.p)}"


def threshold_en(t: Threshold) -> str:
    return f"{'at least' if t.op == AT_LEAST else 'more than'} {t.fraction}"


def threshold_zh(t: Threshold) -> str:
    if t.op == AT_LEAST:
        return f"{zh_fraction(t)}以上"
    if (t.p, t.q) == (1, 2):
        return "过半数"
    return f"超过{zh_fraction(t)}"


SOURCE_EN = "Civil Code Art. 278 ¶2"
SOURCE_ZH = "《民法典》第二百七十八条第二款"


def source_en(estate_rule: bool) -> str:
    if estate_rule:
        return f"the estate's rules of procedure, stricter than {SOURCE_EN}"
    return SOURCE_EN


def source_zh(estate_rule: bool) -> str:
    if estate_rule:
        return f"本小区业主大会议事规则（严于{SOURCE_ZH}）"
    return SOURCE_ZH
