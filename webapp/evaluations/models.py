"""Evaluation forms, evaluations of an estate's firm, the record of tokens issued, and answers.

Nothing here links an answer to a member: ``EvaluationIssue`` says that a member got its token
(and the SHA-256 of the blinded message it sent, so that a lost reply can be fetched again),
``EvaluationAnswer`` holds the answer and its unblinded token, keyed by the token, with no time
and no reference to anyone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class EvaluationForm(db.Model):
    __tablename__ = "evaluation_forms"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_evaluation_form_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    signed: Mapped[str] = mapped_column(Text)  # the canonical JSON of the signed form
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))


class Evaluation(db.Model):
    __tablename__ = "evaluations"
    __table_args__ = (
        CheckConstraint("state IN ('open', 'published')", name="state_valid"),
        CheckConstraint("closes > opens", name="window_valid"),
        CheckConstraint("min_answers >= 1", name="min_answers_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    firm_id: Mapped[int] = mapped_column(ForeignKey("firms.id", ondelete="RESTRICT"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("evaluation_forms.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(200))
    opens: Mapped[datetime] = mapped_column(UTCDateTime)
    closes: Mapped[datetime] = mapped_column(UTCDateTime)
    min_answers: Mapped[int] = mapped_column(Integer)
    # The evaluation's RSA key (RFC 9474): the private half never leaves the server.
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)
    key_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(10), default="open")
    issued: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    estate = relationship("Estate")
    firm = relationship("Firm")
    form = relationship("EvaluationForm")


class EvaluationIssue(db.Model):
    """A member got its one token for an evaluation (never the token itself)."""

    __tablename__ = "evaluation_issues"
    __table_args__ = (UniqueConstraint("evaluation_id", "member_ref", name="uq_evaluation_issue_member"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    member_ref: Mapped[str] = mapped_column(String(40))
    blinded_sha256: Mapped[str] = mapped_column(String(64))


class EvaluationAnswer(db.Model):
    """An answer and its token, keyed by the token: no time, no member, no registration."""

    __tablename__ = "evaluation_answers"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    token_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    message: Mapped[str] = mapped_column(Text)  # base64url of the signed answer message
    sig: Mapped[str] = mapped_column(Text)  # base64url of the unblinded RSA-PSS signature
