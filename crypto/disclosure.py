"""Open accounts (三公开, 收支公示) as signed documents (docs/disclosure-format.md).

An estate's publication — its service standards and fees, its complaint channels, a statement of
public revenue (公共收益), of income and expense (收支), or of the maintenance fund's use (维修资金)
— is the canonical JSON of::

    {"type": "ownersvote-disclosure", "v": 1,
     "estate": {"id": ESTATE_ID, "name": NAME},
     "kind": "fees" | "complaints" | "revenue" | "statement" | "fund",
     "title": TEXT, "version": N, "previous": SHA256 | null,
     "period": {"from": "YYYY-MM-DD", "until": "YYYY-MM-DD"} | null,
     "publisher": {"role": "organiser" | "firm", "name": TEXT},
     "published": MS, "text": TEXT | null,
     "lines": [{"name": TEXT, "fen"?: INT, "note"?: TEXT}, …],
     "accounts": {"income": [LINE, …], "expense": [LINE, …],
                  "totals": {"income": INT, "expense": INT, "net": INT}} | null,
     "server": JWK, "kid": SERVER_KID, "sig": B64URL}

signed by the server's key over every member but ``kid`` and ``sig`` (and carrying that key as
``server``, so that the file checks on its own; pin the key id to be sure whose it is).  Every
amount is an exact integer number of fen (分, hundredths of a yuan), never a float; a line's
amount is not negative; the totals are the sums of their lines and ``net`` is income less expense
(it may be negative).  A ``fees`` publication lists its fees as lines with amounts (the note says
per what: 元/平方米·月); ``complaints`` lists channels (the note says how to reach them) without
amounts; the three statements have a period and accounts, and no lines.  ``version`` counts the
publications of one kind and period; ``previous`` is the digest of the version before (null for
the first).  The **digest** of a publication is SHA-256 of its whole canonical JSON (the bytes of
the exported file).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .canonical import canonical_json
from .cli import check_signed_file
from .errors import FormatError
from .keys import Signer
from .signed import sign_object, verify_object

DISCLOSURE_TYPE = "ownersvote-disclosure"
KINDS = ("fees", "complaints", "revenue", "statement", "fund")
ACCOUNT_KINDS = ("revenue", "statement", "fund")
PUBLISHER_ROLES = ("organiser", "firm")
# The largest amount a line or total may hold: exact in every JSON reader (2^53 − 1 fen).
MAX_FEN = 2**53 - 1
MAX_LINES = 200
_KEYS = {
    "type",
    "v",
    "estate",
    "kind",
    "title",
    "version",
    "previous",
    "period",
    "publisher",
    "published",
    "text",
    "lines",
    "accounts",
    "server",
    "kid",
    "sig",
}
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _text(value: Any, what: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise FormatError(f"{what} must be a text of 1 to {limit} characters")
    return value


def _fen(value: Any, what: str) -> int:
    if not _is_int(value):
        raise FormatError(f"{what} must be an integer number of fen (not {type(value).__name__})")
    if value < 0 or value > MAX_FEN:
        raise FormatError(f"{what} must be between 0 and {MAX_FEN} fen, not {value}")
    return int(value)


def _day(value: Any, what: str) -> date:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise FormatError(f"{what} must be a date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise FormatError(f"{what}: {exc}") from None


def _lines(value: Any, what: str, *, amounts: bool | None) -> list[dict[str, Any]]:
    """``amounts``: True, every line has ``fen``; False, none has; None, either."""
    if not isinstance(value, list) or len(value) > MAX_LINES:
        raise FormatError(f"{what} must be a list of at most {MAX_LINES} lines")
    for n, line in enumerate(value):
        where = f"{what}[{n}]"
        if not isinstance(line, dict) or "name" not in line or not set(line) <= {"name", "fen", "note"}:
            raise FormatError(f"{where} must be {{name, fen?, note?}}")
        _text(line["name"], f"{where}.name", 200)
        if "note" in line:
            _text(line["note"], f"{where}.note", 500)
        if "fen" in line:
            if amounts is False:
                raise FormatError(f"{where} has an amount, which a {what} line does not")
            _fen(line["fen"], f"{where}.fen")
        elif amounts:
            raise FormatError(f"{where} has no amount (fen)")
    return value


def validate(document: Any, *, signed: bool = True) -> None:
    """Raise :class:`FormatError` unless ``document`` is a well-formed publication, its totals the
    sums of its lines."""
    if not isinstance(document, dict):
        raise FormatError("a publication is a JSON object")
    expected = _KEYS if signed else _KEYS - {"kid", "sig"}
    if set(document) != expected:
        raise FormatError(f"a publication has exactly the members {sorted(expected)}")
    if document["type"] != DISCLOSURE_TYPE or document["v"] != 1:
        raise FormatError("not a publication of version 1")
    estate = document["estate"]
    if not isinstance(estate, dict) or set(estate) != {"id", "name"} or not isinstance(estate["id"], str):
        raise FormatError("estate must be {id, name}")
    _text(estate["name"], "estate.name", 200)
    kind = document["kind"]
    if kind not in KINDS:
        raise FormatError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    _text(document["title"], "title", 200)
    if not _is_int(document["version"]) or document["version"] < 1:
        raise FormatError("version is a positive integer")
    previous = document["previous"]
    if document["version"] == 1 and previous is not None:
        raise FormatError("a first version has no previous")
    if document["version"] > 1 and (not isinstance(previous, str) or not _HEX64.fullmatch(previous)):
        raise FormatError("a later version names the digest of the one before (64 lowercase hex digits)")
    publisher = document["publisher"]
    if not isinstance(publisher, dict) or set(publisher) != {"role", "name"} or publisher["role"] not in PUBLISHER_ROLES:
        raise FormatError(f"publisher must be {{role, name}} with a role of {', '.join(PUBLISHER_ROLES)}")
    _text(publisher["name"], "publisher.name", 200)
    if not _is_int(document["published"]) or document["published"] <= 0:
        raise FormatError("published is a time in milliseconds")
    if document["text"] is not None:
        _text(document["text"], "text", 20000)
    period = document["period"]
    if kind in ACCOUNT_KINDS:
        if not isinstance(period, dict) or set(period) != {"from", "until"}:
            raise FormatError(f"a {kind} publication has a period {{from, until}}")
        start, until = _day(period["from"], "period.from"), _day(period["until"], "period.until")
        if until < start:
            raise FormatError(f"the period ends ({until}) before it begins ({start})")
        # Every zone on Earth is within a day of UTC: a period must be over when it is published.
        published_day = datetime.fromtimestamp(document["published"] / 1000, UTC).date()
        if until > published_day + timedelta(days=1):
            raise FormatError(f"the period ends ({until}) after the publication ({published_day}): a statement is of a past period")
        if document["lines"] != []:
            raise FormatError(f"a {kind} publication keeps its lines in accounts (lines is [])")
        _accounts(document["accounts"])
    else:
        if period is not None:
            raise FormatError(f"a {kind} publication has no period")
        if document["accounts"] is not None:
            raise FormatError(f"a {kind} publication has no accounts")
        _lines(document["lines"], "lines", amounts=(kind == "fees"))
        if not document["lines"] and document["text"] is None:
            raise FormatError(f"a {kind} publication says something: lines or text")
    if signed:
        server = document["server"]
        if not isinstance(server, dict):
            raise FormatError("server is the server's public JWK")


def _accounts(accounts: Any) -> None:
    if not isinstance(accounts, dict) or set(accounts) != {"income", "expense", "totals"}:
        raise FormatError("accounts must be {income, expense, totals}")
    income = _lines(accounts["income"], "accounts.income", amounts=True)
    expense = _lines(accounts["expense"], "accounts.expense", amounts=True)
    totals = accounts["totals"]
    if not isinstance(totals, dict) or set(totals) != {"income", "expense", "net"}:
        raise FormatError("accounts.totals must be {income, expense, net}")
    sums = {"income": sum(line["fen"] for line in income), "expense": sum(line["fen"] for line in expense)}
    for side in ("income", "expense"):
        stated = _fen(totals[side], f"accounts.totals.{side}")
        if stated != sums[side]:
            raise FormatError(f"accounts.totals.{side} is {stated} fen but its lines sum to {sums[side]} fen")
    net = totals["net"]
    if not _is_int(net) or net != sums["income"] - sums["expense"]:
        raise FormatError(f"accounts.totals.net must be income less expense ({sums['income'] - sums['expense']} fen), not {net!r}")


def sign_disclosure(signer: Signer, payload: Mapping[str, Any]) -> dict[str, Any]:
    """The publication signed by the server key it carries (``payload`` without type, v, server)."""
    document = {**payload, "type": DISCLOSURE_TYPE, "v": 1, "server": signer.jwk}
    validate(document, signed=False)
    return sign_object(signer, document)


def digest(document: Mapping[str, Any]) -> str:
    """SHA-256 of the publication's whole canonical JSON (the exported file's bytes)."""
    return hashlib.sha256(canonical_json(dict(document))).hexdigest()


def verify_disclosure(document: Any, server_jwk: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Check a publication: its shape, its sums and the server's signature (by ``server_jwk`` when
    given, which the document must carry).  Returns a summary; :class:`CryptoError` at the first fault."""
    validate(document)
    if server_jwk is not None and document["server"] != dict(server_jwk):
        raise FormatError("the publication carries another server key than the one given")
    verify_object(document, document["server"])
    summary: dict[str, Any] = {
        "kind": document["kind"],
        "title": document["title"],
        "version": document["version"],
        "estate": document["estate"]["name"],
        "digest": digest(document),
    }
    if document["accounts"] is not None:
        summary["totals"] = dict(document["accounts"]["totals"])
    return summary


def yuan(fen: int) -> str:
    """An amount of fen as yuan with two decimals, exactly (−12345 → "-123.45")."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def main(argv: list[str] | None = None, prog: str = "ownersvote verify-disclosure") -> int:
    """Check a published statement, fee standard or complaint channel list offline."""

    def check(document: Any) -> str:
        summary = verify_disclosure(document)
        line = f"{summary['estate']}: {summary['title']} (version {summary['version']}), digest {summary['digest']}"
        if "totals" in summary:
            t = summary["totals"]
            line += f"; income {yuan(t['income'])}, expense {yuan(t['expense'])}, net {yuan(t['net'])} yuan: every total is the sum of its lines"
        return line

    return check_signed_file(
        argv, prog=prog, description="Check an estate's signed publication (docs/disclosure-format.md).", what="publication", check=check
    )


if __name__ == "__main__":
    raise SystemExit(main(prog="python -m crypto.disclosure"))
