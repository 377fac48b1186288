"""Owners' petitions for an extraordinary meeting (业主大会临时会议, 指导规则 Art. 21).

A petition's truth is its signed documents (crypto/petition.py, docs/petition-format.md): the
petition the server signed when an owner started it (``document``), each owner's signature as a
log entry (``PetitionSignature.entry``) and the tree heads the server signed over them.  The
other columns repeat what the pages and the rules need to ask of the database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow


class Petition(db.Model):
    __tablename__ = "petitions"
    __table_args__ = (
        UniqueConstraint("estate_id", "seq", name="uq_petition_seq"),
        CheckConstraint("state IN ('open', 'succeeded', 'lapsed')", name="state_valid"),
        CheckConstraint("category BETWEEN 1 AND 9", name="category_valid"),
        CheckConstraint("area_percent BETWEEN 1 AND 20 AND heads_percent BETWEEN 1 AND 20", name="shares_within_statute"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"))
    # The estate's rules as they stood when the petition started (a later change does not move it).
    area_percent: Mapped[int] = mapped_column(Integer)
    heads_percent: Mapped[int] = mapped_column(Integer)
    convene_days: Mapped[int] = mapped_column(Integer)
    total_area_centi: Mapped[int] = mapped_column(Integer)
    total_heads: Mapped[int] = mapped_column(Integer)
    member_count: Mapped[int] = mapped_column(Integer)
    members_root: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the signed petition
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    tree_state: Mapped[bytes] = mapped_column(LargeBinary)  # the log's frontier (crypto.merkle.TreeState)
    signed_area_centi: Mapped[int] = mapped_column(Integer, default=0)
    signed_heads: Mapped[int] = mapped_column(Integer, default=0)
    succeeded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    convene_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lapsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assembly_id: Mapped[int | None] = mapped_column(ForeignKey("assemblies.id", ondelete="SET NULL"))

    estate = relationship("Estate")
    assembly = relationship("Assembly")
    members = relationship("PetitionMember", back_populates="petition", order_by="PetitionMember.position")
    signatures = relationship("PetitionSignature", back_populates="petition", order_by="PetitionSignature.leaf_index")
    tree_heads = relationship("PetitionTreeHead", back_populates="petition", order_by="PetitionTreeHead.n")

    @property
    def log_id(self) -> str:
        return f"{self.estate.slug}/petition-{self.seq}"


class PetitionMember(db.Model):
    """A voting member of the estate when the petition started: who may sign, with what weight."""

    __tablename__ = "petition_members"
    __table_args__ = (
        UniqueConstraint("petition_id", "member", name="uq_petition_member"),
        UniqueConstraint("petition_id", "member_ref", name="uq_petition_member_ref"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    member: Mapped[str] = mapped_column(String(40))  # the pseudonym the petition lists
    member_ref: Mapped[str] = mapped_column(String(40))  # owner:<id> or developer
    area_centi: Mapped[int] = mapped_column(Integer)
    heads: Mapped[int] = mapped_column(Integer)

    petition = relationship("Petition", back_populates="members")


class PetitionSignature(db.Model):
    """One owner's signature, a leaf of the petition's log: one per member, never replaced."""

    __tablename__ = "petition_signatures"
    __table_args__ = (
        UniqueConstraint("petition_id", "member", name="uq_petition_signature_member"),
        UniqueConstraint("petition_id", "leaf_index", name="uq_petition_signature_index"),
        UniqueConstraint("petition_id", "leaf_hash", name="uq_petition_signature_leaf"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    member: Mapped[str] = mapped_column(String(40))
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registrations.id", ondelete="SET NULL"), index=True)
    kid: Mapped[str] = mapped_column(String(64))
    entry: Mapped[str] = mapped_column(Text)  # canonical JSON of the log entry (the leaf's data)
    leaf_hash: Mapped[str] = mapped_column(String(64))
    leaf_index: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    petition = relationship("Petition", back_populates="signatures")


class PetitionTreeHead(db.Model):
    """A tree head the server signed over the petition's log (one after each signature, and a
    final one when the petition succeeds or lapses)."""

    __tablename__ = "petition_tree_heads"
    __table_args__ = (UniqueConstraint("petition_id", "n", name="uq_petition_tree_head"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    final: Mapped[bool] = mapped_column(default=False)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON of the signed tree head

    petition = relationship("Petition", back_populates="tree_heads")
