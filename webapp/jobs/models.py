"""The job record: one piece of long work (letters for a whole estate, later a registry apply,
ballot sheets, the audit bundle …) run outside the request that asked for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.core.db import UTCDateTime, db, utcnow

STATES = ("queued", "running", "done", "failed")
ACTIVE_STATES = ("queued", "running")


class Job(db.Model):
    """State ``queued`` → ``running`` → ``done`` or ``failed``; a failed job can be queued again
    (a new attempt).  Progress, the heartbeat and the end state are written by the job's runner in
    transactions of their own, never in the request that started it.

    A result file lives under the instance folder (``OWNERSVOTE_JOB_FILES``), outside the web root;
    ``result_file`` is its path relative to that folder, ``result_name`` the name a browser saves
    it under.  Files holding secrets (QR letters) are removed at the first complete download or
    at ``result_expires_at``, whichever comes first; ``result_removed_at`` says when and why.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state_valid"),
        CheckConstraint("attempts >= 1", name="attempts_positive"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0", name="progress_not_negative"),
        CheckConstraint("result_removed_reason IN ('downloaded', 'expired', 'missing', 'retried')", name="removed_reason_valid"),
        Index("ix_jobs_estate_id_created_at", "estate_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a district job (the ranking of every estate's firm), seen by platform admins only.
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    # Where it runs: "rq" (a worker process), "thread" (the web process) or "inline" (tests).
    runner: Mapped[str] = mapped_column(String(8))
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid of the process running it
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    message_zh: Mapped[str | None] = mapped_column(Text)
    message_en: Mapped[str | None] = mapped_column(Text)
    error_zh: Mapped[str | None] = mapped_column(Text)
    error_en: Mapped[str | None] = mapped_column(Text)
    result_file: Mapped[str | None] = mapped_column(String(400))
    result_name: Mapped[str | None] = mapped_column(String(255))
    result_mimetype: Mapped[str | None] = mapped_column(String(100))
    result_size: Mapped[int | None] = mapped_column(BigInteger)
    result_sha256: Mapped[str | None] = mapped_column(String(64))
    result_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_removed_reason: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    estate = relationship("Estate")
    actor = relationship("StaffUser")

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def result_available(self) -> bool:
        return self.state == "done" and self.result_file is not None and self.result_removed_at is None

    @property
    def percent(self) -> int:
        if self.state == "done":
            return 100
        if not self.progress_total:
            return 0
        return min(100, self.progress_done * 100 // self.progress_total)

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state}>"
