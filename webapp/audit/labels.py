"""The audit log in words people read: action codes as plain Chinese or English, details as
labelled values (yes/no, lists, changes from → to), never raw codes or JSON.

The log itself keeps the codes (they are part of each event's hash); only the page translates.
To label a new action, add one line to its package's ``AUDIT_ACTIONS`` (registered from the
package's ``init_app``); a new detail key, one line to ``DETAILS``.
An action without a line still reads sensibly: its family's name (``FAMILIES``, by the part
before the first dot) and the code, and a detail key without one shows as a readable phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Every action recorded in webapp/, registered by the package that records it (its init_app calls
# register_actions); tests/test_audit/test_labels.py checks that none is missing.
ACTIONS: dict[str, Any] = {}


def register_actions(actions: dict[str, Any]) -> None:
    """Label a package's audit actions (their codes stay in the log; pages show the label)."""
    ACTIONS.update(actions)


# Families of actions, for codes added later without a line in ACTIONS.
FAMILIES = {
    "estate": _l("Estate"),
    "registry": _l("Registry"),
    "staff": _l("Staff account"),
    "letter": _l("QR letters"),
    "registration": _l("Registration"),
    "owner": _l("Owner"),
    "device_key": _l("Device key"),
    "roll": _l("Electoral roll"),
    "assembly": _l("Assembly"),
    "agenda": _l("Agenda"),
    "candidate": _l("Candidates"),
    "nomination": _l("Candidates"),
    "proxy": _l("Proxies"),
    "ballot": _l("Ballots"),
    "paper": _l("Paper ballots"),
    "tally": _l("Tally"),
    "result": _l("Results"),
    "objection": _l("Objections"),
    "job": _l("Background jobs"),
    "firm": _l("Property-service firms"),
    "evaluation": _l("Owners' evaluations"),
    "ranking": _l("Rankings of firms"),
    "pool": _l("The district's pool of firms"),
    "petition": _l("Owners' petitions"),
    "inspection": _l("Inspections"),
    "body": _l("Organising body"),
    "disclosure": _l("Open accounts"),
}

# Detail keys, as the operations pass them to ``record``.
DETAILS = {
    "district": _l("District"),
    "sub_district": _l("Sub-district"),
    "uscc": _l("Unified social credit code"),
    "author": _l("Written by"),
    "chars": _l("Length (characters)"),
    "date": _l("Date"),
    "deadline": _l("Rectify by"),
    "inspection": _l("Inspection no."),
    "items": _l("Items"),
    "notice": _l("Notice no."),
    "photos": _l("Photos"),
    "rectified": _l("Items rectified"),
    "score": _l("Score"),
    "period": _l("Period"),
    "periods": _l("Failing periods"),
    "estates": _l("Estates"),
    "red": _l("Red list"),
    "black": _l("Black list"),
    "firm": _l("Firm"),
    "ranking": _l("Ranking no."),
    "pool": _l("Firms that may bid"),
    "since": _l("From"),
    "title": _l("Title"),
    "form": _l("Form digest"),
    "key": _l("Key id"),
    "member": _l("Voting member"),
    "answers": _l("Answers"),
    "issued": _l("Tokens issued"),
    "code": _l("Form code"),
    "version": _l("Version"),
    "digest": _l("Digest"),
    "income": _l("Income"),
    "expense": _l("Expense"),
    "net": _l("Net"),
    "username": _l("Account"),
    "platform_admin": _l("Platform administrator"),
    "role": _l("Role"),
    "count": _l("Number"),
    "units": _l("Units"),
    "unit": _l("Unit"),
    "reason": _l("Reason"),
    "by": _l("Replaced by registration no."),
    "can_vote": _l("Votes for the household"),
    "previous": _l("Until now"),
    "now": _l("From now on"),
    "kid": _l("Key"),
    # owners' petitions (webapp.petitions)
    "area": _l("Area signed (m²)"),
    "heads": _l("Owners who signed"),
    "told": _l("Staff told"),
    "state": _l("State"),
    "registration": _l("Registration no."),
    "slug": _l("Short name"),
    "name": _l("Name"),
    "source": _l("File"),
    "added_units": _l("Units added"),
    "removed_units": _l("Units removed"),
    "changed_units": _l("Units changed"),
    "added_owners": _l("Owners added"),
    "removed_owners": _l("Owners removed"),
    "changed_owners": _l("Owners changed"),
    "seq": _l("Roll no."),
    "root": _l("Merkle root"),
    "size": _l("Members"),
    "keys": _l("Voting keys"),
    "signatures": _l("Signatures so far"),
    "certified": _l("Roll now in force"),
    "in_force": _l("Supplement now in force"),
    "keys_added": _l("Keys added"),
    "keys_revoked": _l("Keys revoked"),
    # estate settings (inside "changes")
    "roll_signatures_required": _l("Supervisor signatures needed"),
    "sms_required": _l("Text message check"),
    "letter_valid_days": _l("Days a letter stays valid"),
    "organiser_label": _l("Who sends the letters"),
    "help_text": _l("Where owners get help"),
    "help_phone": _l("Help line"),
    "counting_rule": _l("Own counting rule"),
    "petition_area_percent": _l("Share of the area a petition needs (%)"),
    "petition_heads_percent": _l("Share of the heads a petition needs (%)"),
    "petition_window_days": _l("Days a petition collects signatures"),
    "petition_convene_days": _l("Days to convene once a petition succeeds"),
    "term_reminder_months": _l("Months ahead of a term's end the supervisors are reminded"),
    # a tampering alarm (webapp.results)
    "step": _l("Step refused"),
    "problems": _l("Problems found"),
    "checks": _l("Checks that failed"),
    # and the other keys operations record
    "assembly": _l("Assembly no."),
    "at": _l("At"),
    "attempt": _l("Attempt"),
    "ballots": _l("Ballots"),
    "bundle_sha256": _l("Audit bundle (SHA-256)"),
    "candidates": _l("Candidates"),
    "category": _l("Article 278 category"),
    "channel": _l("Channel"),
    "closes": _l("Voting closes"),
    "counted": _l("Counted"),
    "decision": _l("Decision"),
    "due": _l("Due at"),
    "fee_centi": _l("Fee (fen per m² per month)"),
    "file": _l("File"),
    "filename": _l("File name"),
    "final_head": _l("Final tree head"),
    "fingerprint": _l("Registry fingerprint"),
    "first": _l("First version"),
    "invitation": _l("Letter no."),
    "item": _l("Agenda item no."),
    "kind": _l("Kind"),
    "leaf_hash": _l("Leaf hash"),
    "listed": _l("Was on the published list"),
    "log_size": _l("Ballots in the log"),
    "opens": _l("Voting opens"),
    "owner": _l("Belongs to no."),
    "params": _l("Parameters"),
    "previous_error": _l("Earlier error"),
    "proxy": _l("Letter of proxy no."),
    "proxy_keys": _l("Proxies' keys"),
    "replace_allowed": _l("Ballots may be replaced"),
    "required": _l("Signatures required"),
    "roll": _l("Roll no."),
    "round": _l("Entry round"),
    "same_scan": _l("Same scan"),
    "scan_sha256": _l("Scan (SHA-256)"),
    "seats": _l("Seats"),
    "serial": _l("Sheet no."),
    "sha256": _l("SHA-256"),
    "sheets": _l("Sheets printed"),
    "tally_sha256": _l("Tally (SHA-256)"),
    "until": _l("Until"),
    # the district's pool of firms (webapp/pool; a firm's profile changes are inside "changes")
    "estate": _l("Estate"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "address": _l("Address"),
    "qualifications": _l("Qualifications"),
    "notes": _l("Notes"),
    "from_pool": _l("Taken from the district's pool"),
    "term_start": _l("Term begins"),
    "term_end": _l("Term ends"),
    "members": _l("Members named"),
    "supervisors": _l("Supervisors told"),
    "totals": _l("Totals (fen)"),
}

# Values the application itself stores in English (reasons, roles, states), in the reader's words.
WORDS = {
    "developer": _l("Developer (unsold and undelivered units)"),
    "organiser": _l("Organiser"),
    "supervisor": _l("Supervisor"),
    "active": _l("Active"),
    "pending": _l("Waiting for approval"),
    "revoked": _l("Revoked"),
    "approved": _l("Approved"),
    "rejected": _l("Rejected"),
    "committee": _l("Owners' committee (业主委员会)"),
    "preparatory": _l("Preparatory group (筹备组)"),
    "management": _l("Property management committee (物管会)"),
    "fees": _l("Service standards and fees"),
    "complaints": _l("Complaint channels"),
    "revenue": _l("Public revenue"),
    "statement": _l("Income and expense statement"),
    "fund": _l("Maintenance fund's use"),
    "superseded": _l("Replaced by a newer registration"),
    "used": _l("Used"),
    "delivered": _l("delivered"),
    "unsold": _l("unsold"),
    "undelivered": _l("sold, not yet delivered"),
    "void": _l("Voided"),
    "reissued": _l("printed again"),
    "replaced by a new registration": _l("replaced by a new registration"),
    "registration rejected": _l("the registration was rejected"),
    "automatic identity check": _l("Automatic identity check"),
}


def register_words(words: dict[str, Any]) -> None:
    """Words for values a package stores in English (each value's ``str()`` is the reader's)."""
    WORDS.update(words)


# Who acted, when it was not a staff member.
ACTORS = {
    "owner": _l("The owner"),
    "automatic check": _l("Automatic identity check"),
    "system": _l("The system"),
    "cli": _l("Command line (server)"),
    "demo": _l("Demo data"),
    "clock": _l("The clock (on time, by itself)"),
}

# A key whose meaning depends on the action: (action, key) -> label.
DETAILS_BY_ACTION = {
    ("ranking.rule", "code"): _l("Rule code"),
    ("item.add", "form"): _l("Item kind"),
    ("attachment.add", "size"): _l("File size (bytes)"),
    ("attachment.remove", "size"): _l("File size (bytes)"),
    ("job.download", "size"): _l("File size (bytes)"),
}

HASH_KEYS = {"kid", "root", "sha256", "leaf_hash", "bundle_sha256", "tally_sha256", "scan_sha256", "fingerprint", "final_head", "digest"}
OMIT_WHEN_EMPTY = {"reason", "registration"}
LIST_SHOWN = 12


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    code: bool = False  # a key id, a hash, a short name: shown in a monospace font


def action_label(code: str) -> str:
    known = ACTIONS.get(code)
    if known is not None:
        return str(known)
    family = FAMILIES.get(code.split(".", 1)[0])
    return _("%(family)s: %(code)s", family=family, code=code) if family else code


def detail_label(key: str, action: str | None = None) -> str:
    known = DETAILS_BY_ACTION.get((action, key)) if action else None
    known = known if known is not None else DETAILS.get(key)
    return str(known) if known is not None else key.replace("_", " ").capitalize()


_OWNER_REF = re.compile(r"owner:(\d+)")


def word(value: str | None) -> str:
    """A value the application stored in English, in the reader's language; other text as it is.
    A voting member's reference (``owner:<id>``, ``developer``) is named as such."""
    if value is None:
        return ""
    known = WORDS.get(value)
    if known is not None:
        return str(known)
    owner = _OWNER_REF.fullmatch(value)
    if owner:
        return _("owner no. %(id)s", id=owner.group(1))
    return value


def value_text(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, float)):
        return f"{value:,}" if isinstance(value, int) and abs(value) >= 10000 else str(value)
    if isinstance(value, str):
        return word(value)
    if isinstance(value, (list, tuple)):
        if not value:
            return "—"
        shown = _(", ").join(value_text(v) for v in value[:LIST_SHOWN])
        if len(value) > LIST_SHOWN:
            return _("%(first)s … (%(n)d in all)", first=shown, n=len(value))
        return shown
    if isinstance(value, dict):
        if set(value) == {"from", "to"}:
            return _("%(old)s → %(new)s", old=value_text(value["from"]), new=value_text(value["to"]))
        return _("; ").join(f"{detail_label(k)}: {value_text(v)}" for k, v in value.items())
    return str(value)


def short_hash(value: str) -> str:
    return value if len(value) <= 20 else f"{value[:16]}…"


def details(event) -> list[Detail]:
    """The event's details as labelled, readable values, in the order they were recorded."""
    found: list[Detail] = []
    for key, value in (event.details or {}).items():
        if key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                found.append(Detail(detail_label(field), value_text(change)))
        elif key in HASH_KEYS and isinstance(value, str):
            found.append(Detail(detail_label(key, getattr(event, "action", None)), short_hash(value), code=True))
        elif key == "slug":
            found.append(Detail(detail_label(key), str(value), code=True))
        elif key in OMIT_WHEN_EMPTY and value in (None, ""):
            continue
        else:
            found.append(Detail(detail_label(key, getattr(event, "action", None)), value_text(value)))
    return found


def actor_label(event, staff: dict | None = None) -> tuple[str, str | None]:
    """(name, account) of who acted: a staff member's display name and username, or a word for
    the owner, the automatic check or the system."""
    user = (staff or {}).get(event.actor_id) if event.actor_id is not None else None
    if user is not None:
        return user.display_name, user.username
    known = ACTORS.get(event.actor)
    if known is not None:
        return str(known), None
    kind, _sep, who = (event.actor or "").partition(":")
    if kind == "owner" and who.isdigit():
        return _("The owner"), _("owner no. %(id)s", id=who)
    if kind == "firm" and who:
        return _("Property firm"), who
    return event.actor, None


_GAP = re.compile(r"sequence gap: expected (\d+), found (\d+)")


def chain_problem(problem) -> str:
    """A broken link of the hash chain, in the reader's language."""
    gap = _GAP.fullmatch(problem.message)
    if gap:
        return _("events are missing: expected no. %(expected)s, found no. %(found)s", expected=gap.group(1), found=gap.group(2))
    if problem.message == "previous-hash link broken":
        return _("the link to the previous event is broken")
    if problem.message == "event content does not match its hash":
        return _("the event was changed after it was written")
    return problem.message
