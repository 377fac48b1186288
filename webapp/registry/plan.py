"""From raw registry rows to a validated plan of buildings, units and owners of record.

Pure: the only outside input is the key for the personal-data hashes.  Every bad row is reported
(not only the first), each problem in Chinese and English, and a plan is produced only when
there is none, so an import applies whole or not at all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field

from webapp.core import identity
from webapp.registry.parsing import COLUMNS, RawTable

_AREA_RE = re.compile(r"^(\d+)(?:\.(\d{1,2}))?$")
_SPLIT_RE = re.compile(r"\s*[、;；]\s*")

STATUS_VALUES = {
    "": "delivered",
    "已交付": "delivered",
    "delivered": "delivered",
    "交付": "delivered",
    "未售": "unsold",
    "unsold": "unsold",
    "未交付": "undelivered",
    "undelivered": "undelivered",
    "已售未交付": "undelivered",
}
BASIS_VALUES = {
    "": "registered",
    "登记": "registered",
    "registered": "registered",
    "登记面积": "registered",
    "实测": "surveyed",
    "surveyed": "surveyed",
    "实测面积": "surveyed",
    "合同": "contract",
    "contract": "contract",
    "合同面积": "contract",
}


@dataclass(frozen=True)
class RowProblem:
    row: int  # as a spreadsheet shows it; 0 for the file as a whole
    column: str | None  # our column name
    zh: str
    en: str
    header: str | None = None  # the column's header exactly as written in the file


@dataclass(frozen=True)
class HolderPlan:
    name: str
    id_hash: str
    id_tail_hash: str
    id_masked: str
    phone_hash: str | None
    phone_masked: str | None
    kind: str  # person | organisation


@dataclass(frozen=True)
class OwnerPlan:
    identity_key: str
    kind: str  # person | co_owners | organisation
    holders: tuple[HolderPlan, ...]

    @property
    def display_name(self) -> str:
        return "、".join(h.name for h in self.holders)


@dataclass(frozen=True)
class UnitPlan:
    row: int
    building: str
    number: str
    area_centi: int
    area_basis: str
    status: str
    owner_key: str | None


@dataclass
class RegistryPlan:
    units: list[UnitPlan]
    owners: dict[str, OwnerPlan]
    warnings: list[tuple[str, str]] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "units": [asdict(u) for u in self.units],
            "owners": {
                k: {"identity_key": o.identity_key, "kind": o.kind, "holders": [asdict(h) for h in o.holders]}
                for k, o in self.owners.items()
            },
            "warnings": [list(w) for w in self.warnings],
        }

    @classmethod
    def from_json(cls, data: dict) -> RegistryPlan:
        owners = {
            k: OwnerPlan(o["identity_key"], o["kind"], tuple(HolderPlan(**h) for h in o["holders"])) for k, o in data["owners"].items()
        }
        return cls([UnitPlan(**u) for u in data["units"]], owners, [tuple(w) for w in data["warnings"]])


class RegistryRejected(ValueError):
    def __init__(self, problems: list[RowProblem], warnings: list[tuple[str, str]]):
        super().__init__(f"{len(problems)} problem(s) in the registry")
        self.problems = problems
        self.warnings = warnings


def parse_area(text: str) -> tuple[int | None, tuple[str, str] | None]:
    """Square metres with at most two decimals → hundredths, or a bilingual reason."""
    text = text.strip()
    if not text:
        return None, ("面积缺失", "area is missing")
    if text.startswith("-"):
        return None, (f"面积“{text}”不是正数", f"area '{text}' is not positive")
    match = _AREA_RE.match(text)
    if not match:
        if re.match(r"^\d+\.\d{3,}$", text):
            return None, (f"面积“{text}”超过两位小数", f"area '{text}' has more than two decimals")
        return None, (f"面积“{text}”不是数字", f"area '{text}' is not a number")
    centi = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if centi <= 0:
        return None, (f"面积“{text}”不是正数", f"area '{text}' is not positive")
    return centi, None


def _split(text: str) -> list[str]:
    text = text.strip()
    return [part for part in _SPLIT_RE.split(text)] if text else []


def build_plan(table: RawTable, pii_key: str | bytes) -> RegistryPlan:
    problems: list[RowProblem] = []
    units: list[UnitPlan] = []
    owners: dict[str, OwnerPlan] = {}
    warnings = list(table.warnings)
    seen_units: dict[tuple[str, str], int] = {}
    names_by_id: dict[str, tuple[str, int]] = {}

    def bad(row: int, column: str | None, zh: str, en: str) -> None:
        header = table.headers.get(column, COLUMNS[column][0]) if column else None
        problems.append(RowProblem(row, column, zh, en, header))

    for row, values in table.rows:
        building, number = values["building"].strip(), values["unit"].strip()
        row_ok = True
        if not building:
            bad(row, "building", "楼栋缺失", "building is missing")
            row_ok = False
        if not number:
            bad(row, "unit", "房号缺失", "unit number is missing")
            row_ok = False
        if building and number:
            first = seen_units.get((building, number))
            if first is not None:
                bad(row, "unit", f"房号 {building}-{number} 与第 {first} 行重复", f"unit {building}-{number} duplicates row {first}")
                row_ok = False
            else:
                seen_units[(building, number)] = row
        area, reason = parse_area(values["area"])
        if reason:
            bad(row, "area", *reason)
            row_ok = False
        status = STATUS_VALUES.get(values["status"].strip().lower())
        if status is None:
            bad(
                row,
                "status",
                f"状态“{values['status']}”无法识别（已交付、未售、未交付）",
                f"status '{values['status']}' is not one of delivered, unsold, undelivered",
            )
            row_ok = False
        basis = BASIS_VALUES.get(values["area_basis"].strip().lower())
        if basis is None:
            bad(
                row,
                "area_basis",
                f"面积依据“{values['area_basis']}”无法识别（登记、实测、合同）",
                f"area basis '{values['area_basis']}' is not one of registered, surveyed, contract",
            )
            row_ok = False

        names, ids, phones = _split(values["owner"]), _split(values["id_number"]), _split(values["phone"])
        owner_key = None
        if status == "unsold":
            if names or ids:
                warnings.append((f"第 {row} 行：未售房屋的业主信息已忽略", f"row {row}: owner details of an unsold unit ignored"))
        elif status is not None:
            owner_key = _owner(row, names, ids, phones, pii_key, bad, owners, names_by_id)
            if owner_key is None:
                row_ok = False
        if row_ok and area is not None and status is not None and basis is not None:
            units.append(UnitPlan(row, building, number, area, basis, status, owner_key))

    if not table.rows:
        bad(0, None, "文件中没有房屋数据", "the file has no unit rows")
    if problems:
        problems.sort(key=lambda p: p.row)
        raise RegistryRejected(problems, warnings)
    return RegistryPlan(units, owners, warnings)


def _owner(row, names, ids, phones, pii_key, bad, owners, names_by_id) -> str | None:
    if not names:
        bad(row, "owner", "业主姓名缺失", "owner name is missing")
    if not ids:
        bad(row, "id_number", "证件号缺失", "identity number is missing")
    if not names or not ids:
        return None
    ok = True
    if any(not n for n in names):
        bad(row, "owner", "业主姓名中有空项", "an owner name is empty")
        ok = False
    if len(names) != len(ids):
        bad(
            row,
            "id_number",
            f"业主姓名（{len(names)} 个）与证件号（{len(ids)} 个）数量不一致",
            f"{len(names)} owner name(s) but {len(ids)} identity number(s)",
        )
        return None
    if phones and len(phones) != len(names):
        bad(
            row,
            "phone",
            f"手机号（{len(phones)} 个）与业主（{len(names)} 个）数量不一致",
            f"{len(phones)} phone number(s) for {len(names)} owner(s)",
        )
        ok = False
    holders = []
    seen_in_row: set[str] = set()
    for index, (name, raw_id) in enumerate(zip(names, ids, strict=False)):
        number = identity.normalize_id(raw_id)
        kind = identity.classify_id(number)
        # Enough of a bad number to find it in the file (first 6, last 4), never all of it.
        shown = identity.mask_for_report(number, 6, 4)
        if kind is None:
            why_zh, why_en = identity.id_problem(number)
            bad(
                row,
                "id_number",
                f"证件号“{shown}”无效：{why_zh}（第 {index + 1} 个；须为 18 位居民身份证号或统一社会信用代码）",
                f"identity number '{shown}' (no. {index + 1}) is not a valid 18-character resident ID or unified social credit code: {why_en}",
            )
            ok = False
            continue
        if number in seen_in_row:
            bad(row, "id_number", f"同一行中证件号“{shown}”重复", f"identity number '{shown}' appears twice in the row")
            ok = False
            continue
        seen_in_row.add(number)
        id_hash = identity.keyed_hash(pii_key, number, purpose="id")
        earlier = names_by_id.get(id_hash)
        if earlier and earlier[0] != name:
            bad(
                row,
                "owner",
                f"证件号 {shown} 在第 {earlier[1]} 行对应“{earlier[0]}”，此处为“{name}”",
                f"identity number {shown} belongs to '{earlier[0]}' in row {earlier[1]} but to '{name}' here",
            )
            ok = False
        names_by_id.setdefault(id_hash, (name, row))
        phone_hash = phone_masked = None
        if phones and index < len(phones) and phones[index]:
            phone = identity.normalize_phone(phones[index])
            if not identity.is_mobile(phone):
                shown_phone = identity.mask_for_report(phone, 3, 4)
                if len(phone) == 11:
                    bad(row, "phone", f"手机号“{shown_phone}”无效", f"phone number '{shown_phone}' is not a mainland mobile number")
                else:
                    bad(
                        row,
                        "phone",
                        f"手机号“{shown_phone}”无效：共 {len(phone)} 位，应为 11 位",
                        f"phone number '{shown_phone}' is not a mainland mobile number: it has {len(phone)} characters instead of 11",
                    )
                ok = False
            else:
                phone_hash = identity.keyed_hash(pii_key, phone, purpose="phone")
                phone_masked = identity.mask_phone(phone)
        holders.append(
            HolderPlan(
                name=name,
                id_hash=id_hash,
                id_tail_hash=identity.keyed_hash(pii_key, number[-6:], purpose="id-tail"),
                id_masked=identity.mask_id(number),
                phone_hash=phone_hash,
                phone_masked=phone_masked,
                kind=kind,
            )
        )
    if not ok:
        return None
    key = hashlib.sha256("|".join(sorted(h.id_hash for h in holders)).encode()).hexdigest()
    if key in owners:
        return key  # same owner of record; the first row's order of names stands
    kind = "co_owners" if len(holders) > 1 else holders[0].kind
    owners[key] = OwnerPlan(key, kind, tuple(holders))
    return key
