"""Documents sent ahead (issue #5): consent records, submissions, their files and officer reviews.

Files themselves are encrypted blobs under UPLOAD_DIR (hotich.uploads.storage); rows here hold
only random names, hashes and sizes. Every row hangs off a resident (ON DELETE CASCADE), and
`purge_after` on a submission drives the retention job.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hotich.db.base import Base, utcnow


class UploadConsent(Base):
    """The resident agreed to the storage notice (Nghị định 13/2023/NĐ-CP) of this text version."""

    __tablename__ = "upload_consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    text_version: Mapped[str] = mapped_column(String(16))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class UploadSubmission(Base):
    """One set of papers for one procedure: draft → submitted → reviewed."""

    __tablename__ = "upload_submissions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)     # random; what officers type
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=True)
    procedure: Mapped[str] = mapped_column(String(32))
    case: Mapped[str | None] = mapped_column(String(32))                 # KB sub-case: its checklist is asked
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    appointment_id: Mapped[int | None] = mapped_column(Integer)          # booking's appointment, if any
    appointment_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    officers_notified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by: Mapped[int | None] = mapped_column(BigInteger)          # officer's Telegram user id
    purge_after: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    files: Mapped[list["UploadFile"]] = relationship(back_populates="submission", cascade="all, delete-orphan",
                                                     passive_deletes=True, order_by="UploadFile.id")
    reviews: Mapped[list["UploadReview"]] = relationship(cascade="all, delete-orphan", passive_deletes=True,
                                                         order_by="UploadReview.id")


class UploadFile(Base):
    __tablename__ = "upload_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(24), unique=True)     # random; used in buttons
    submission_id: Mapped[int] = mapped_column(ForeignKey("upload_submissions.id", ondelete="CASCADE"),
                                               index=True)
    item_id: Mapped[str | None] = mapped_column(String(64))             # checklist item; None until chosen
    blob_name: Mapped[str] = mapped_column(String(64), unique=True)     # random file name under UPLOAD_DIR
    sha256: Mapped[str] = mapped_column(String(64))                     # of the stored (cleaned) plaintext
    size: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))                        # jpeg | png | pdf
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    submission: Mapped[UploadSubmission] = relationship(back_populates="files")


class UploadReview(Base):
    """The officer's verdict on one checklist item of a submission."""

    __tablename__ = "upload_reviews"
    __table_args__ = (UniqueConstraint("submission_id", "item_id", name="uq_upload_reviews_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("upload_submissions.id", ondelete="CASCADE"),
                                               index=True)
    item_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))                     # "ok" | "more"
    note: Mapped[str | None] = mapped_column(Text)
    officer_id: Mapped[int] = mapped_column(BigInteger)
    reviewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
