"""Ranking rules the district publishes, and the published rankings of firms (红黑榜).

A ranking's truth is its signed document (``document``, canonical JSON, crypto/ranking.py); the
``RankingEntry`` rows repeat each estate's line of it so that the road to re-selection and a firm's
score history can be asked of the database.  Pages render from the document, after checking it."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class RankingRule(db.Model):
    __tablename__ = "ranking_rules"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_ranking_rule_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    signed: Mapped[str] = mapped_column(Text)  # the canonical JSON of the signed rule
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class Ranking(db.Model):
    __tablename__ = "rankings"
    __table_args__ = (UniqueConstraint("rule_code", "period_from", "period_until", name="uq_ranking_period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("ranking_rules.id", ondelete="RESTRICT"), index=True)
    rule_code: Mapped[str] = mapped_column(String(40))  # the rule's code: consecutive periods are its rankings
    period_title: Mapped[str] = mapped_column(String(200))
    period_from: Mapped[date] = mapped_column(Date)
    period_until: Mapped[date] = mapped_column(Date)
    document: Mapped[str] = mapped_column(Text)  # the canonical JSON of the signed ranking
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes] = mapped_column(LargeBinary)  # the notice-board PDF, made from the document
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))

    @property
    def period_last_day(self) -> date:
        """The period's last day, as people write a period ("to 30 September"): ``period_until``
        itself is the first day after it."""
        return date.fromordinal(self.period_until.toordinal() - 1)

    rule = relationship("RankingRule")
    entries = relationship("RankingEntry", back_populates="ranking", order_by="RankingEntry.position")


class RankingEntry(db.Model):
    """One estate's line of a ranking: its firm, score (``"p/q"``, or none), band and whether it failed."""

    __tablename__ = "ranking_entries"
    __table_args__ = (UniqueConstraint("ranking_id", "estate_id", "firm_id", name="uq_ranking_entry"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ranking_id: Mapped[int] = mapped_column(ForeignKey("rankings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="RESTRICT"), index=True)
    score: Mapped[str | None] = mapped_column(String(60))
    shown: Mapped[str | None] = mapped_column(String(10))
    rank: Mapped[int | None] = mapped_column(Integer)
    band: Mapped[str | None] = mapped_column(String(5))
    fails: Mapped[bool] = mapped_column(Boolean, default=False)

    ranking = relationship("Ranking", back_populates="entries")
    estate = relationship("Estate")
    firm = relationship("Firm")
