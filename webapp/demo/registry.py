"""A generated but realistic registry for the demo estate: 12 buildings of 25 floors with four
flats a floor (1,200 units), typical floor plans, couples holding their flat jointly, buyers with
several flats, a company holding shops, and the developer's unsold and undelivered flats.
Deterministic for a given seed, so the demo is the same on every machine."""

from __future__ import annotations

import csv
import io
import random
from datetime import date, timedelta

from webapp.core.identity import org_code_check_char, resident_check_digit, uscc_check_char
from webapp.registry.counting import format_area

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国建华志强海燕春梅晓东晓燕小红玉兰丹辉鑫宇浩然子涵雨欣梓萱思远嘉怡一鸣俊杰文博欣怡佳琪"
REGIONS = ["330102", "330105", "330106", "330108", "330110", "310104", "320102", "440305", "110105", "510107"]
# (area in hundredths of m², share): a 2-bedroom, 3-bedroom, large 3-bedroom and a 4-bedroom plan.
PLANS = [8950, 12035, 14368, 16820]


def _name(rng: random.Random) -> str:
    given = rng.choice(["", ""]) + GIVEN[rng.randrange(len(GIVEN))]
    if rng.random() < 0.7:
        given += GIVEN[rng.randrange(len(GIVEN))]
    return SURNAMES[rng.randrange(len(SURNAMES))] + given


def resident_id(rng: random.Random) -> str:
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    first17 = f"{rng.choice(REGIONS)}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return first17 + resident_check_digit(first17)


def uscc(rng: random.Random) -> str:
    org8 = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = "91330100" + org8 + org_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def phone(rng: random.Random) -> str:
    return f"1{rng.choice('3578')}{rng.randrange(10**9):09d}"


def demo_rows(seed: int = 2026) -> list[dict[str, str]]:
    rng = random.Random(seed)
    units = [(str(b), f"{floor}{flat:02d}", PLANS[flat - 1]) for b in range(1, 13) for floor in range(1, 26) for flat in range(1, 5)]
    rows: list[dict[str, str]] = []
    company = ("杭州明远商贸有限公司", uscc(rng), phone(rng))
    multi_buyers = [(_name(rng), resident_id(rng), phone(rng)) for _ in range(25)]
    for index, (building, number, area) in enumerate(units):
        row = {
            "楼栋": building,
            "房号": number,
            "面积": format_area(area),
            "面积依据": "登记",
            "业主": "",
            "证件号": "",
            "手机": "",
            "状态": "已交付",
        }
        roll = rng.random()
        if int(building) == 12 and int(number) >= 2001:
            row["状态"], row["面积依据"] = "未售", "实测"
        elif int(building) == 11 and int(number) >= 2201:
            row["状态"], row["面积依据"] = "未交付", "合同"
            row["业主"], row["证件号"], row["手机"] = _name(rng), resident_id(rng), phone(rng)
        elif int(building) == 1 and int(number) < 200:
            row["业主"], row["证件号"], row["手机"] = company
        elif roll < 0.06:
            row["业主"], row["证件号"], row["手机"] = multi_buyers[index % len(multi_buyers)]
        elif roll < 0.36:
            a, b = _name(rng), _name(rng)
            row["业主"], row["证件号"], row["手机"] = f"{a}、{b}", f"{resident_id(rng)}、{resident_id(rng)}", f"{phone(rng)}、{phone(rng)}"
        else:
            row["业主"], row["证件号"], row["手机"] = _name(rng), resident_id(rng), phone(rng) if rng.random() < 0.9 else ""
            if rng.random() < 0.05:
                row["面积"] = f"{area // 100 + rng.randrange(-2, 3)}.{rng.randrange(100):02d}"
                row["面积依据"] = "实测"
        rows.append(row)
    return rows


def demo_csv(seed: int = 2026) -> bytes:
    rows = demo_rows(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")
