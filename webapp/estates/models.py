"""The estate (小区): the scope of every other object."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from webapp.core.db import UTCDateTime, db, utcnow


class Estate(db.Model):
    __tablename__ = "estates"
    __table_args__ = (
        CheckConstraint("slug <> ''", name="slug_not_empty"),
        CheckConstraint("roll_signatures_required >= 1", name="roll_signatures_positive"),
        CheckConstraint("letter_valid_days BETWEEN 1 AND 365", name="letter_validity_range"),
        CheckConstraint("tally_signatures_required >= 1", name="tally_signatures_positive"),
        CheckConstraint("notice_period_days >= 0", name="notice_period_not_negative"),
        CheckConstraint("objection_cap BETWEEN 1 AND 20", name="objection_cap_range"),
        CheckConstraint("publish_batch BETWEEN 1 AND 1000", name="publish_batch_range"),
        # 业主大会和业主委员会指导规则 Art. 21: 20% of the area and of the heads may require an
        # extraordinary meeting; an estate's rules may lower the shares, never raise them.
        CheckConstraint("petition_area_percent BETWEEN 1 AND 20", name="petition_area_percent_range"),
        CheckConstraint("petition_heads_percent BETWEEN 1 AND 20", name="petition_heads_percent_range"),
        CheckConstraint("petition_window_days BETWEEN 1 AND 180", name="petition_window_days_range"),
        CheckConstraint("petition_convene_days BETWEEN 1 AND 90", name="petition_convene_days_range"),
        CheckConstraint("term_reminder_months BETWEEN 1 AND 24", name="term_reminder_months_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # The estate's own counting rule (rules of procedure may differ from the SPC
    # default); shown on every result where set.
    counting_rule: Mapped[str | None] = mapped_column(Text)
    roll_signatures_required: Mapped[int] = mapped_column(Integer, default=1)
    # Registration options (issue: owner onboarding).
    sms_required: Mapped[bool] = mapped_column(default=False, server_default=false())
    letter_valid_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    help_text: Mapped[str | None] = mapped_column(Text)
    # The help line owners call (a phone number, e.g. "0571-8888 6666"): on the letter and in the
    # footer of every owner page, as a tap-to-call link.
    help_phone: Mapped[str | None] = mapped_column(String(40))
    organiser_label: Mapped[str | None] = mapped_column(String(200))
    # The estate's rules of procedure (议事规则) as far as assemblies need them; an assembly takes
    # a snapshot when its notice is first published.
    # Stricter thresholds by category, in the tally's format ({"6": {"approval": {"at_least": "4/5"}}});
    # never looser than Civil Code Art. 278 (refused when saved).
    thresholds: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    alternates: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tally_signatures_required: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    notice_period_days: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    candidate_publication_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    results_publication_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    # Candidates' eligibility conditions (local regulations; shown on the nomination form).
    eligibility_rules: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # A policy target for the committee's composition (e.g. the share of party members, 50 %),
    # shown to supervisors as information only.
    party_target_percent: Mapped[int | None] = mapped_column(Integer)
    turnout_public: Mapped[bool] = mapped_column(default=False, server_default=false())
    voters_may_certify: Mapped[bool] = mapped_column(default=False, server_default=false())
    proxy_cap: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # Objections one owner may file against one assembly's result (each must be answered before
    # the assembly is archived: without a cap, one owner could hold the archive up at will).
    objection_cap: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    # While voting is open the public sees who has voted, and the log's tree heads, only in
    # batches of at least this many ballots (the last before the close may be smaller): polling
    # cannot tie a unit to fewer leaves than that (docs/security.md).
    publish_batch: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    # Owners' petitions for an extraordinary meeting (webapp/petitions): the shares of area and
    # heads they must reach (at most the statute's 20%), how long they may collect signatures, and
    # how many days the committee has to convene the meeting once both shares are reached.
    petition_area_percent: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    petition_heads_percent: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    petition_window_days: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    petition_convene_days: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    # How many months before the organising body's term ends the supervisors are reminded to
    # prepare the next term (换届; webapp/bodies/reminders.py).
    term_reminder_months: Mapped[int] = mapped_column(Integer, default=6, server_default="6")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Estate {self.slug}>"
