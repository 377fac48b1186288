"""Chinese identity numbers: validation, keyed hashing and masking.

No maintained PyPI library validates both the resident ID (GB 11643-1999) and the unified
social credit code (GB 32100-2015) without pulling in region tables we do not need, and both
checks are a dozen lines of published arithmetic, so they are written here.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata

_RESIDENT_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_RESIDENT_CHECK = "10X98765432"
_RESIDENT_RE = re.compile(r"^\d{17}[\dX]$")

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")

_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


def normalize_id(raw: str) -> str:
    # NFKC: full-width digits and letters (１２３Ｘ) from Chinese input methods are the same number.
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", raw)).upper()


def resident_check_digit(first17: str) -> str:
    return _RESIDENT_CHECK[sum(int(c) * w for c, w in zip(first17, _RESIDENT_WEIGHTS, strict=False)) % 11]


def is_resident_id(number: str) -> bool:
    """18-digit resident identity card (also used by permanent-residence cards for foreigners
    and residence permits for Hong Kong, Macao and Taiwan residents), by its GB 11643 check
    digit.  The birth date inside is not checked: the check digit is what the standard defines
    as the test of a well-formed number, and a registry is no place to reject an owner over the
    date the police station printed."""
    return bool(_RESIDENT_RE.match(number)) and resident_check_digit(number[:17]) == number[17]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_ALPHABET.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS, strict=False))
    return _USCC_ALPHABET[(31 - total % 31) % 31]


_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def org_code_check_char(first8: str) -> str:
    """GB 11714 check character of the 9-character organisation code inside a USCC."""
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=False))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def is_uscc(number: str) -> bool:
    """Unified social credit code of an organisation (统一社会信用代码): its own check character
    and that of the organisation code in positions 9-17, which together keep a mistyped
    resident ID from passing as a credit code by chance."""
    return bool(_USCC_RE.match(number)) and uscc_check_char(number[:17]) == number[17] and org_code_check_char(number[8:16]) == number[16]


def classify_id(number: str) -> str | None:
    """'person', 'organisation', or None when the number is not a valid identity number."""
    if is_resident_id(number):
        return "person"
    if is_uscc(number):
        return "organisation"
    return None


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[\s\-]", "", raw)
    if digits.startswith("+86"):
        digits = digits[3:]
    return digits


def is_mobile(number: str) -> bool:
    return bool(_PHONE_RE.match(number))


_CONTACT_STRIP_RE = re.compile(r"[\s\-()]")
_SERVICE_RE = re.compile(r"^[48]00\d{7}$")


def contact_phone(raw: str) -> str | None:
    """A firm's contact number as it is written on its letterhead, or None when it is none of
    China's numbers: a mobile (1[3-9] and nine digits), a landline with its area code (010 and
    02x have three digits, the others four; the local number has seven or eight digits and does
    not start with 0 or 1), or a 400/800 service number.  Spaces, dashes, brackets, full-width
    digits and a +86 or 0086 prefix are allowed; the result is the normalised form (a mobile as
    eleven digits, ``0571-87654321``, ``400-820-8820``)."""
    digits = _CONTACT_STRIP_RE.sub("", unicodedata.normalize("NFKC", raw or ""))
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
            break
    if not digits.isdigit():
        return None
    if is_mobile(digits):
        return digits
    if _SERVICE_RE.match(digits):
        return f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    if digits.startswith("0") and len(digits) >= 10:
        area = digits[:3] if digits[1] in "12" else digits[:4]
        local = digits[len(area) :]
        if len(local) in (7, 8) and local[0] not in "01":
            return f"{area}-{local}"
    return None


def keyed_hash(key: str | bytes, value: str, *, purpose: str) -> str:
    """HMAC-SHA256 with a purpose label, so an identity hash can never be confused with (or
    replayed as) a phone hash or an identity-tail hash."""
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def mask_id(number: str) -> str:
    # Only the region prefix is shown: the tail is what owners prove at registration.
    return number[:4] + "*" * (len(number) - 4)


def mask_phone(number: str) -> str:
    return number[:3] + "****" + number[-4:] if len(number) >= 8 else "*" * len(number)


def mask_for_report(value: str, head: int, tail: int) -> str:
    """Enough of a bad number for the person who uploaded the file to find it there, never all of
    it: the first ``head`` and last ``tail`` characters with the middle masked.  A short value
    shows fewer, so that at least a third of it (and at least one character) stays hidden.

    Only for the import report, which goes to the staff member holding the file: stored masks
    (``mask_id``) never show the tail, which owners prove at registration."""
    hidden = max(1, -(-len(value) // 3))
    while head + tail > len(value) - hidden:
        if head > tail:
            head -= 1
        else:
            tail -= 1
    return value[:head] + "*" * (len(value) - head - tail) + (value[len(value) - tail :] if tail else "")


_SCIENTIFIC_RE = re.compile(r"^\d(\.\d+)?E\+?\d+$")


def id_problem(number: str) -> tuple[str, str]:
    """Why a normalised number is not a valid identity number, in Chinese and English."""
    if _SCIENTIFIC_RE.match(number):
        return (
            "Excel 把它存成了数字，后几位已丢失；请把该列设为文本，重新填入证件号",
            "Excel stored it as a number and lost its last digits; format the column as text and enter the numbers again",
        )
    if len(number) != 18:
        return f"共 {len(number)} 位，应为 18 位", f"it has {len(number)} character{'' if len(number) == 1 else 's'} instead of 18"
    if not (_RESIDENT_RE.match(number) or _USCC_RE.match(number)):
        return "含有证件号中不会出现的字符", "it contains characters no identity number has"
    return "校验位不符，可能有输错的字符", "its check character does not match, so a character is probably mistyped"
