"""Is a stored roll what its supervisors signed?  Checked from the signed bytes, every time it
is shown as confirmed.

The database keeps convenience columns (``rolls.root``, ``rolls.total_area_centi``,
``roll_entries.area_centi``, …) for queries, but a page that says "confirmed" must not trust
them: anyone with write access to the database could edit a column and the page would say
"confirmed" with the edited number.  So the page is rendered from the signed payload and from
the canonical entries, after recomputing the Merkle root over the entries and checking every
supervisor's signature over the payload with keys the estate's supervisors registered.  Any
difference is reported as a tampering alarm, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from crypto.canonical import canonical_json
from crypto.errors import CryptoError
from crypto.keys import verify
from crypto.merkle import leaf_hash, root_of
from crypto.roll import parse_area, validate_roll_entry
from webapp.auth.models import EstateRole
from webapp.core.db import db
from webapp.core.roles import Role
from webapp.devices.models import DeviceKey
from webapp.rolls.models import Roll, RollEntry


@dataclass
class RollCheck:
    roll: Roll
    payload: dict
    entries: list[dict]
    problems: list[tuple[str, str]] = field(default_factory=list)  # (zh, en)
    signers: list[str] = field(default_factory=list)  # kids whose signatures verify

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def required(self) -> int:
        """The signatures the roll needs, as signed (its column where the payload does not say)."""
        return int(self.payload.get("required_signatures") or self.roll.required_signatures)

    @property
    def certified(self) -> bool:
        return self.intact and len(self.signers) >= int(self.payload.get("required_signatures") or 1 << 30)

    @property
    def area_centi(self) -> int:
        return parse_area(self.payload["area"])

    @property
    def heads(self) -> int:
        return int(self.payload["heads"])

    @property
    def size(self) -> int:
        return int(self.payload["size"])


def supervisor_keys(estate_id: int) -> dict[str, dict]:
    """Key id → JWK of every signing key registered by a staff member who supervises the estate
    (revoked keys included: a signature made before a key was retired still stands)."""

    rows = db.session.execute(
        select(DeviceKey.kid, DeviceKey.jwk)
        .join(EstateRole, EstateRole.user_id == DeviceKey.staff_user_id)
        .where(EstateRole.estate_id == estate_id, EstateRole.role == Role.supervisor)
    )
    return {kid: jwk for kid, jwk in rows}


def check_roll(roll: Roll) -> RollCheck:
    entries = [row.entry for row in db.session.scalars(select(RollEntry).where(RollEntry.roll_id == roll.id).order_by(RollEntry.position))]
    payload = dict(roll.payload or {})
    result = RollCheck(roll, payload, entries)
    bad = result.problems.append
    try:
        for entry in entries:
            validate_roll_entry(entry)
        root = root_of([leaf_hash(canonical_json(e)) for e in entries]).hex()
    except (CryptoError, ValueError) as exc:
        bad((f"名册条目格式不正确：{exc}", f"a roll entry is malformed: {exc}"))
        return result
    members = [e["member"] for e in entries]
    if members != sorted(members) or len(set(members)) != len(members):
        bad(("名册条目的顺序被改动或有重复", "the roll's entries are out of order or repeated"))
    if payload.get("root") != root:
        bad(("名册条目与签名的默克尔根不符：条目被改动过", "the entries do not hash to the signed Merkle root: they were changed"))
    try:
        area = sum(parse_area(e["area"]) for e in entries)
        if (
            payload.get("area") != f"{area // 100}.{area % 100:02d}"
            or payload.get("heads") != sum(e["heads"] for e in entries)
            or payload.get("size") != len(entries)
        ):
            bad(("名册合计与签名的合计不符", "the roll's totals differ from the signed totals"))
    except (CryptoError, KeyError, TypeError):
        bad(("名册面积无法读取", "the roll's areas cannot be read"))
    # The convenience columns must say what the signed bytes say.
    columns = {
        "root": (roll.root, payload.get("root")),
        "size": (roll.size, payload.get("size")),
        "area": (f"{roll.total_area_centi // 100}.{roll.total_area_centi % 100:02d}", payload.get("area")),
        "heads": (roll.total_heads, payload.get("heads")),
        "required signatures": (roll.required_signatures, payload.get("required_signatures")),
    }
    for name, (column, signed) in columns.items():
        if column != signed:
            bad(
                (
                    f"数据库中的“{name}”（{column}）与签名内容（{signed}）不符",
                    f"the database's {name} ({column}) differs from the signed value ({signed})",
                )
            )
    for row in db.session.scalars(select(RollEntry).where(RollEntry.roll_id == roll.id)):
        if (
            row.entry.get("heads") != row.heads
            or row.entry.get("area") != f"{row.area_centi // 100}.{row.area_centi % 100:02d}"
            or row.entry.get("member") != row.member
        ):
            bad((f"成员 {row.member} 的数据库列与签名条目不符", f"member {row.member}: the database columns differ from the signed entry"))
    trusted = supervisor_keys(roll.estate_id)
    message = canonical_json(payload) if payload else b""
    for signature in roll.signatures:
        jwk = trusted.get(signature.kid)
        if jwk is None:
            bad(
                (
                    f"签名 {signature.kid[:12]}… 不是本小区监督员登记的密钥",
                    f"signature {signature.kid[:12]}… is not by a key of this estate's supervisors",
                )
            )
            continue
        try:
            verify(jwk, message, signature.sig)
        except (CryptoError, ValueError) as exc:
            bad((f"签名 {signature.kid[:12]}… 无效", f"signature {signature.kid[:12]}… does not verify: {exc}"))
            continue
        if signature.kid not in result.signers:
            result.signers.append(signature.kid)
    if (roll.state == "certified") != (len(result.signers) >= int(payload.get("required_signatures") or 1 << 30)):
        bad(("名册状态与有效签名数不符", "the roll's state does not match its valid signatures"))
    return result
