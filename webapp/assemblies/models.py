"""An assembly (业主大会会议) and its agenda.

Times are stored in UTC and shown in the estate's zone.  What owners are asked is fixed by a
published notice version (``NoticeVersion``): a signed document that pages render and ballots
hash; the rows here are the organisers' working copy.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow

STATES = ("draft", "notice", "voting", "closed", "tallied", "certified", "published", "archived")
KINDS = ("first", "regular", "extraordinary")
FORMS = ("resolution", "election", "selection", "plan")  # webapp.assemblies.kinds


class Assembly(db.Model):
    __tablename__ = "assemblies"
    __table_args__ = (
        CheckConstraint(
            "state IN ('draft', 'notice', 'voting', 'closed', 'tallied', 'certified', 'published', 'archived')", name="state_valid"
        ),
        CheckConstraint("kind IN ('first', 'regular', 'extraordinary')", name="kind_valid"),
        CheckConstraint("closes_at > opens_at", name="window_order"),
        CheckConstraint("publication_days >= 1", name="publication_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    replace_allowed: Mapped[bool] = mapped_column(default=False, server_default=false())
    publication_days: Mapped[int] = mapped_column(Integer, default=7)
    nomination_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the organisers called for candidates (征集候选人): owners nominate online from then (or
    # from the notice's publication) until the deadline; before it they see nothing of a draft.
    nominations_opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(12), default="draft")
    roll_id: Mapped[int | None] = mapped_column(ForeignKey("rolls.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The rules that will decide it, fixed at the first publication of the notice.
    rules_snapshot: Mapped[dict | None] = mapped_column(JSON)
    notice_version: Mapped[int] = mapped_column(Integer, default=0)
    # Edits made since the last published version (a new version restarts the notice period).
    notice_dirty: Mapped[bool] = mapped_column(default=False, server_default=false())
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tallied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    results_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[AgendaItem]] = relationship(order_by="AgendaItem.position", cascade="all, delete-orphan", back_populates="assembly")
    notices: Mapped[list[NoticeVersion]] = relationship(order_by="NoticeVersion.version", cascade="all, delete-orphan")
    estate = relationship("Estate")
    roll = relationship("Roll")

    @property
    def log_id(self) -> str:
        """The assembly's id in signed documents (notice, ballots, log): stable and unique."""
        return f"{self.estate.slug}/assembly-{self.id}"

    @property
    def current_notice(self) -> NoticeVersion | None:
        return self.notices[-1] if self.notices else None


class AgendaItem(db.Model):
    __tablename__ = "agenda_items"
    __table_args__ = (
        CheckConstraint("form IN ('resolution', 'election', 'selection', 'plan')", name="form_valid"),
        CheckConstraint("category BETWEEN 1 AND 9", name="category_valid"),
        UniqueConstraint("assembly_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    form: Mapped[str] = mapped_column(String(12))
    category: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    # Elections: seats to fill, and whether this fills only vacancies (补选: any number of seats).
    seats: Mapped[int | None] = mapped_column(Integer)
    by_election: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Elections: the approved candidates' list as published (公示) and when.
    candidates_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    candidates_published: Mapped[list | None] = mapped_column(JSON)

    assembly: Mapped[Assembly] = relationship(back_populates="items")
    bidders: Mapped[list[Bidder]] = relationship(order_by="Bidder.id", cascade="all, delete-orphan")
    plans: Mapped[list[PlanOption]] = relationship(order_by="PlanOption.id", cascade="all, delete-orphan")

    @property
    def ballot_id(self) -> str:
        return f"q{self.id}"


class Bidder(db.Model):
    """A property-service firm bidding in a selection (category 4)."""

    __tablename__ = "bidders"
    __table_args__ = (UniqueConstraint("item_id", "uscc"), CheckConstraint("fee_centi > 0", name="fee_positive"))

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    uscc: Mapped[str] = mapped_column(String(18))
    # Proposed fee in fen (hundredths of a yuan) per m² per month: exact, never a float.
    fee_centi: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str | None] = mapped_column(Text)

    @property
    def ballot_id(self) -> str:
        return f"b{self.id}"


class PlanOption(db.Model):
    """One plan of a choice among plans (方案选择): its title, its text and one attached document
    (drawings, a budget), all listed in the notice."""

    __tablename__ = "plan_options"
    __table_args__ = (CheckConstraint("name <> ''", name="name_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    text: Mapped[str | None] = mapped_column(Text)
    attachment_id: Mapped[int | None] = mapped_column(ForeignKey("attachments.id", ondelete="SET NULL"))

    attachment = relationship("Attachment")

    @property
    def ballot_id(self) -> str:
        return f"p{self.id}"


class NoticeVersion(db.Model):
    """One published version of the notice: the signed document exactly as published."""

    __tablename__ = "notice_versions"
    __table_args__ = (UniqueConstraint("assembly_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assembly_id: Mapped[int] = mapped_column(ForeignKey("assemblies.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    document: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    # What changed from the version before, in both languages ([{"zh": …, "en": …}]).
    changes: Mapped[list] = mapped_column(JSON, default=list)
