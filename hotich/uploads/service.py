"""Submissions of papers sent ahead: consent, draft → submitted → reviewed, retention, deletion.

Every resident-side call takes the resident's id and filters on it, so one resident can never
reach another's submission or file, whatever id they type or replay. Officer-side calls take the
officer's Telegram user id and refuse anyone not in OFFICER_TELEGRAM_IDS. Ids shown to people
(`public_id`) are random, never sequential. Bytes are only ever handled through the BlobStore
(encrypted); logs carry ids and sizes only.
"""
from __future__ import annotations

import logging
from collections.abc import Container
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, selectinload

from hotich import identity
from hotich.db.base import utcnow
from hotich.db.models import Resident, UploadConsent, UploadFile, UploadReview, UploadSubmission
from hotich.db.session import session_scope
from hotich.kb import KnowledgeBase
from hotich.kb.models import ChecklistItem
from hotich.uploads.storage import BlobStore
from hotich.uploads.validate import Rejected, check_size, validate

log = logging.getLogger(__name__)

CONSENT_VERSION = "v1-2026-11"
DAY = timedelta(days=1)
ORPHAN_GRACE_S = 3600          # a blob not in the DB after an hour was left by a crash mid-upload
_ALPHABET = string.ascii_letters + string.digits

DRAFT, SUBMITTED, REVIEWED = "draft", "submitted", "reviewed"
OK, MORE = "ok", "more"


class UploadError(Exception):
    """A refusal the resident or officer reads; `message` is Vietnamese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = code
        self.message = message


class NotFound(UploadError):
    def __init__(self) -> None:
        super().__init__("not_found", "Không tìm thấy hồ sơ hoặc tệp này.")


class Forbidden(UploadError):
    def __init__(self) -> None:
        super().__init__("forbidden", "Chức năng này chỉ dành cho cán bộ xã.")


ERR_NO_CONSENT = UploadError("no_consent", "Bạn cần đồng ý cho xã lưu giấy tờ trước khi gửi.")
ERR_NO_DRAFT = UploadError("no_draft", "Bạn chưa chọn thủ tục để gửi giấy tờ.")
ERR_NO_FILES = UploadError("no_files", "Bạn chưa gửi tệp nào nên chưa thể nộp hồ sơ.")
ERR_SUBMISSIONS_DAY = UploadError("submissions_day", "Dạ, hôm nay anh/chị đã mở nhiều hồ sơ gửi trước. "
                                                    "Anh/chị vui lòng tiếp tục vào ngày mai, hoặc mang giấy tờ "
                                                    "đến Trung tâm Phục vụ hành chính công của xã.")
ERR_FILES_DAY = UploadError("files_day", "Dạ, hôm nay anh/chị đã gửi nhiều tệp. Anh/chị vui lòng gửi tiếp vào ngày "
                                         "mai, hoặc mang giấy tờ đến Trung tâm Phục vụ hành chính công của xã.")
ERR_OFF = UploadError("off", "Hiện xã chưa nhận giấy tờ gửi trước qua tin nhắn. "
                             "Bạn vui lòng mang giấy tờ đến Trung tâm Phục vụ hành chính công của xã.")


def new_public_id(n: int = 12) -> str:
    """~71 bits from the OS CSPRNG: not guessable, short enough to type after /hoso."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(n))


def _aware(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes for timezone columns; they are UTC."""
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt


# ---------------------------------------------------------------------------- views

@dataclass(frozen=True)
class FileView:
    public_id: str
    item_id: str | None
    kind: str
    size: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True)
class ReviewView:
    item_id: str
    status: str
    note: str | None


@dataclass(frozen=True)
class SubmissionView:
    public_id: str
    resident_id: int
    procedure: str
    status: str
    files: tuple[FileView, ...]
    reviews: dict[str, ReviewView]
    created_at: datetime
    submitted_at: datetime | None
    appointment_at: datetime | None
    purge_after: datetime
    case: str | None = None

    def files_for(self, item_id: str | None) -> list[FileView]:
        return [f for f in self.files if f.item_id == item_id]


@dataclass(frozen=True)
class ItemState:
    index: int                    # 1-based position in the checklist (short button payloads)
    item: ChecklistItem
    files: list[FileView]
    review: ReviewView | None


Recipient = identity.Address       # where a resident is reached (for the review result)


@dataclass
class PurgeReport:
    submissions: int = 0
    files: int = 0
    orphans: int = 0
    consents: int = 0
    errors: list[str] = field(default_factory=list)


def _view(row: UploadSubmission) -> SubmissionView:
    return SubmissionView(
        public_id=row.public_id, resident_id=row.resident_id, procedure=row.procedure, case=row.case,
        status=row.status,
        files=tuple(FileView(f.public_id, f.item_id, f.kind, f.size, f.sha256, _aware(f.created_at))
                    for f in row.files),
        reviews={r.item_id: ReviewView(r.item_id, r.status, r.note) for r in row.reviews},
        created_at=_aware(row.created_at), submitted_at=_aware(row.submitted_at),
        appointment_at=_aware(row.appointment_at), purge_after=_aware(row.purge_after))


def _load(s: Session, *where) -> UploadSubmission | None:
    return s.scalar(select(UploadSubmission).where(*where)
                    .options(selectinload(UploadSubmission.files), selectinload(UploadSubmission.reviews))
                    .order_by(UploadSubmission.id.desc()).limit(1))


# ---------------------------------------------------------------------------- service

class UploadService:
    def __init__(self, db_url: str, store: BlobStore | None, kb: KnowledgeBase, *, max_bytes: int = 20 * 1024 * 1024,
                 max_files: int = 20, retention_days: int = 30,
                 officer_ids: Container[int] = frozenset(),
                 max_files_day: int = 60, max_submissions_day: int = 5) -> None:
        self.db_url = db_url
        self.store = store
        self.kb = kb
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.max_files_day = max_files_day              # stored per resident in the last 24 hours
        self.max_submissions_day = max_submissions_day  # sets opened per resident, last 24 hours
        self.retention = timedelta(days=retention_days)
        self.officer_ids = officer_ids   # Telegram officer ids, or hotich.officers.accounts.OfficerIds

    @classmethod
    def from_settings(cls, settings, kb: KnowledgeBase | None = None,
                      officer_ids: Container[int] | None = None) -> "UploadService":
        store = BlobStore(settings.upload_dir, settings.upload_key)
        if not store.can_encrypt:
            log.warning("uploads: UPLOAD_KEY not set; documents sent ahead are refused")
        return cls(settings.database_url, store, kb or KnowledgeBase.load(settings.kb_dir),
                   max_bytes=settings.upload_max_mb * 1024 * 1024, max_files=settings.upload_max_files,
                   retention_days=settings.retention_days,
                   officer_ids=settings.officer_telegram_ids if officer_ids is None else officer_ids,
                   max_files_day=settings.upload_max_files_day,
                   max_submissions_day=settings.upload_max_submissions_day)

    @property
    def enabled(self) -> bool:
        return self.store is not None and self.store.can_encrypt

    def _store(self) -> BlobStore:
        if not self.enabled:
            raise ERR_OFF
        return self.store

    # -- residents ------------------------------------------------------------------------------

    def resident_for(self, sender_id: str, create: bool = True) -> int | None:
        """The resident id for a conversation id '<channel>:<user id>' (hotich.identity)."""
        who = identity.address(sender_id)
        if create and who.user_id:
            return identity.touch(self.db_url, who.channel, who.user_id, None)[0]
        with session_scope(self.db_url) as s:
            return identity.resident_id_for(s, sender_id)

    def recipient(self, resident_id: int) -> Recipient | None:
        return identity.resident_address(self.db_url, resident_id)

    # -- consent --------------------------------------------------------------------------------

    def has_consent(self, resident_id: int) -> bool:
        with session_scope(self.db_url) as s:
            return s.scalar(select(func.count()).select_from(UploadConsent)
                            .where(UploadConsent.resident_id == resident_id)) > 0

    def give_consent(self, resident_id: int, version: str = CONSENT_VERSION, now: datetime | None = None) -> None:
        with session_scope(self.db_url) as s:
            exists = s.scalar(select(UploadConsent.id).where(UploadConsent.resident_id == resident_id,
                                                            UploadConsent.text_version == version))
            if exists is None:
                s.add(UploadConsent(resident_id=resident_id, text_version=version, given_at=now or utcnow()))
        log.info("uploads: consent recorded resident=%d version=%s", resident_id, version)

    # -- drafts ---------------------------------------------------------------------------------

    def draft(self, resident_id: int) -> SubmissionView | None:
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.resident_id == resident_id, UploadSubmission.status == DRAFT)
            return _view(row) if row else None

    def latest(self, resident_id: int) -> SubmissionView | None:
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.resident_id == resident_id)
            return _view(row) if row else None

    def start(self, resident_id: int, procedure: str, now: datetime | None = None,
              case: str | None = None) -> SubmissionView:
        """The resident's open draft for this procedure and sub-case (one draft at a time; switching
        procedure keeps the files but clears which paper each one is)."""
        self.kb.get(procedure)   # KeyError on an unknown procedure
        if not self.has_consent(resident_id):
            raise ERR_NO_CONSENT
        now = now or utcnow()
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.resident_id == resident_id, UploadSubmission.status == DRAFT)
            if row is None:
                opened = s.scalar(select(func.count()).select_from(UploadSubmission)
                                  .where(UploadSubmission.resident_id == resident_id,
                                         UploadSubmission.created_at > now - DAY)) or 0
                if opened >= self.max_submissions_day:
                    raise ERR_SUBMISSIONS_DAY
                row = UploadSubmission(public_id=new_public_id(), resident_id=resident_id, procedure=procedure,
                                       case=case, status=DRAFT, created_at=now, purge_after=now + self.retention)
                s.add(row)
                s.flush()
                log.info("uploads: draft opened resident=%d submission=%d", resident_id, row.id)
            elif row.procedure != procedure:
                row.procedure, row.case = procedure, case
                for f in row.files:
                    f.item_id = None
            elif case is not None:
                row.case = case
            s.flush()
            s.refresh(row)
            return _view(row)

    def add_file(self, resident_id: int, data: bytes, filename: str | None = None,
                 now: datetime | None = None) -> tuple[SubmissionView, FileView]:
        """Validate and store one file in the resident's draft. Raises Rejected / UploadError.
        Nothing is written anywhere unless consent was given and a draft is open."""
        store = self._store()
        if not self.has_consent(resident_id):
            raise ERR_NO_CONSENT
        current = self.draft(resident_id)
        if current is None:
            raise ERR_NO_DRAFT
        if len(current.files) >= self.max_files:   # early answer, before parsing; decided again below
            raise self._too_many()
        clean = validate(data, filename, self.max_bytes)
        blob = store.put(clean.data)
        now = now or utcnow()
        try:
            with session_scope(self.db_url) as s:
                # The UPDATE comes first: it locks the draft (PostgreSQL row lock, SQLite write lock),
                # so parallel uploads count and insert one after the other and never pass max_files.
                locked = s.execute(update(UploadSubmission)
                                   .where(UploadSubmission.public_id == current.public_id,
                                          UploadSubmission.resident_id == resident_id,
                                          UploadSubmission.status == DRAFT)
                                   .values(purge_after=now + self.retention)   # kept N days after its last file
                                   .execution_options(synchronize_session=False)).rowcount
                if locked != 1:
                    raise ERR_NO_DRAFT
                row = _load(s, UploadSubmission.public_id == current.public_id)
                if len(row.files) >= self.max_files:
                    raise self._too_many()
                today = s.scalar(select(func.count()).select_from(UploadFile).join(UploadSubmission)
                                 .where(UploadSubmission.resident_id == resident_id,
                                        UploadFile.created_at > now - DAY)) or 0
                if today >= self.max_files_day:
                    raise ERR_FILES_DAY
                f = UploadFile(public_id=new_public_id(), submission_id=row.id, blob_name=blob.name,
                               sha256=blob.sha256, size=blob.size, kind=clean.kind, created_at=now)
                s.add(f)
                s.flush()
                s.refresh(row)
                view = _view(row)
                fv = next(x for x in view.files if x.public_id == f.public_id)
        except BaseException:
            store.delete(blob.name)   # never leave bytes without a row
            raise
        log.info("uploads: file stored resident=%d kind=%s size=%d", resident_id, clean.kind, blob.size)
        return view, fv

    def _too_many(self) -> UploadError:
        return UploadError("too_many", f"Mỗi hồ sơ gửi tối đa {self.max_files} tệp. "
                                       "Anh/chị xóa bớt tệp hoặc nộp hồ sơ này trước nhé.")

    def check_declared_size(self, size: int | None) -> None:
        """Before downloading from a channel: refuse what is announced as too big."""
        check_size(size, self.max_bytes)

    def checklist(self, procedure: str, case: str | None = None) -> tuple[ChecklistItem, ...]:
        """The papers of the submission's case, never the optional papers of other cases."""
        known = case in self.kb.get(procedure).cases
        return self.kb.case_checklist(procedure, case if known else None)

    def item_states(self, view: SubmissionView) -> list[ItemState]:
        return [ItemState(i, item, view.files_for(item.id), view.reviews.get(item.id))
                for i, item in enumerate(self.checklist(view.procedure, view.case), start=1)]

    def missing(self, view: SubmissionView, required_only: bool = True) -> list[ChecklistItem]:
        return [st.item for st in self.item_states(view)
                if not st.files and (st.item.required or not required_only)]

    def attach(self, resident_id: int, file_public_id: str, item_index: int) -> tuple[SubmissionView, ChecklistItem]:
        """Say which checklist paper a file is (index 1-based). Only the owner's draft files."""
        with session_scope(self.db_url) as s:
            f = self._own_file(s, resident_id, file_public_id, draft_only=True)
            items = self.checklist(f.submission.procedure, f.submission.case)
            if not 1 <= item_index <= len(items):
                raise NotFound()
            f.item_id = items[item_index - 1].id
            s.flush()
            row = _load(s, UploadSubmission.id == f.submission_id)
            return _view(row), items[item_index - 1]

    def remove_file(self, resident_id: int, file_public_id: str) -> SubmissionView:
        store = self.store
        if store is None:
            raise ERR_OFF
        with session_scope(self.db_url) as s:
            f = self._own_file(s, resident_id, file_public_id, draft_only=True)
            name, sub_id = f.blob_name, f.submission_id
            s.delete(f)
            s.flush()
            row = _load(s, UploadSubmission.id == sub_id)
            view = _view(row)
        store.delete(name)
        return view

    def read_own_file(self, resident_id: int, file_public_id: str) -> tuple[FileView, bytes]:
        """A resident's own file (decrypted). Another resident's id raises NotFound, like a wrong id."""
        store = self._store()
        with session_scope(self.db_url) as s:
            f = self._own_file(s, resident_id, file_public_id, draft_only=False)
            fv = FileView(f.public_id, f.item_id, f.kind, f.size, f.sha256, _aware(f.created_at))
            name = f.blob_name
        return fv, store.get(name, fv.sha256)

    def _own_file(self, s: Session, resident_id: int, file_public_id: str, draft_only: bool) -> UploadFile:
        q = (select(UploadFile).join(UploadSubmission)
             .where(UploadFile.public_id == file_public_id, UploadSubmission.resident_id == resident_id))
        if draft_only:
            q = q.where(UploadSubmission.status == DRAFT)
        f = s.scalar(q)
        if f is None:
            raise NotFound()
        return f

    # -- submit ---------------------------------------------------------------------------------

    def submit(self, resident_id: int, appointment_id: int | None = None, appointment_at: datetime | None = None,
               now: datetime | None = None) -> SubmissionView:
        now = now or utcnow()
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.resident_id == resident_id, UploadSubmission.status == DRAFT)
            if row is None:
                raise ERR_NO_DRAFT
            if not row.files:
                raise ERR_NO_FILES
            row.status = SUBMITTED
            row.submitted_at = now
            row.appointment_id = appointment_id
            row.appointment_at = appointment_at
            row.purge_after = max(now, _aware(appointment_at) or now) + self.retention
            s.flush()
            log.info("uploads: submitted resident=%d submission=%d files=%d", resident_id, row.id, len(row.files))
            return _view(row)

    # -- officers -------------------------------------------------------------------------------

    def is_officer(self, officer_id: int | None) -> bool:
        return officer_id is not None and officer_id in self.officer_ids

    def _officer(self, officer_id: int | None) -> None:
        if not self.is_officer(officer_id):
            log.warning("uploads: officer action refused for user=%s", officer_id)
            raise Forbidden()

    def to_notify(self) -> list[SubmissionView]:
        """Submitted sets whose officers have not been told yet (durable: survives restarts)."""
        with session_scope(self.db_url) as s:
            rows = s.scalars(select(UploadSubmission).where(UploadSubmission.status == SUBMITTED,
                                                            UploadSubmission.officers_notified_at.is_(None))
                             .options(selectinload(UploadSubmission.files), selectinload(UploadSubmission.reviews))
                             .order_by(UploadSubmission.id)).all()
            return [_view(r) for r in rows]

    def mark_notified(self, public_id: str) -> None:
        with session_scope(self.db_url) as s:
            row = s.scalar(select(UploadSubmission).where(UploadSubmission.public_id == public_id))
            if row is not None:
                row.officers_notified_at = utcnow()

    def awaiting_review(self, officer_id: int) -> list[SubmissionView]:
        self._officer(officer_id)
        with session_scope(self.db_url) as s:
            rows = s.scalars(select(UploadSubmission).where(UploadSubmission.status == SUBMITTED)
                             .options(selectinload(UploadSubmission.files), selectinload(UploadSubmission.reviews))
                             .order_by(UploadSubmission.submitted_at)).all()
            return [_view(r) for r in rows]

    def officer_submission(self, officer_id: int, public_id: str) -> SubmissionView:
        self._officer(officer_id)
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.public_id == public_id, UploadSubmission.status != DRAFT)
            if row is None:
                raise NotFound()
            return _view(row)

    def officer_files(self, officer_id: int, public_id: str) -> list[tuple[FileView, bytes]]:
        """Decrypted files of a submitted set, for sending to that officer only."""
        view = self.officer_submission(officer_id, public_id)
        store = self._store()
        with session_scope(self.db_url) as s:
            names = dict(s.execute(select(UploadFile.public_id, UploadFile.blob_name).join(UploadSubmission)
                                   .where(UploadSubmission.public_id == public_id)).all())
        log.info("uploads: officer=%d opened submission=%s files=%d", officer_id, public_id, len(view.files))
        return [(f, store.get(names[f.public_id], f.sha256)) for f in view.files]

    def officer_file(self, officer_id: int, public_id: str, file_public_id: str) -> tuple[FileView, bytes]:
        """One decrypted file of a submitted set, for that officer's screen only."""
        view = self.officer_submission(officer_id, public_id)
        f = next((x for x in view.files if x.public_id == file_public_id), None)
        if f is None:
            raise NotFound()
        with session_scope(self.db_url) as s:
            blob = s.scalar(select(UploadFile.blob_name).where(UploadFile.public_id == file_public_id))
        if blob is None:
            raise NotFound()
        log.info("uploads: officer=%d opened one file of submission=%s", officer_id, public_id)
        return f, self._store().get(blob, f.sha256)

    def review_item(self, officer_id: int, public_id: str, item_index: int, status: str,
                    note: str | None = None) -> tuple[SubmissionView, ChecklistItem]:
        self._officer(officer_id)
        if status not in (OK, MORE):
            raise ValueError(status)
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.public_id == public_id, UploadSubmission.status != DRAFT)
            if row is None:
                raise NotFound()
            items = self.checklist(row.procedure, row.case)
            if not 1 <= item_index <= len(items):
                raise NotFound()
            item = items[item_index - 1]
            rev = s.scalar(select(UploadReview).where(UploadReview.submission_id == row.id,
                                                      UploadReview.item_id == item.id))
            if rev is None:
                rev = UploadReview(submission_id=row.id, item_id=item.id, status=status, officer_id=officer_id)
                s.add(rev)
            rev.status, rev.officer_id, rev.reviewed_at = status, officer_id, utcnow()
            if note is not None:
                rev.note = note.strip()[:1000] or None
            elif status == OK:
                rev.note = None
            s.flush()
            s.expire(row)
            row = _load(s, UploadSubmission.id == row.id)
            return _view(row), item

    def finish_review(self, officer_id: int, public_id: str) -> tuple[SubmissionView, Recipient | None]:
        """Close the review; returns the set and where to tell the resident."""
        self._officer(officer_id)
        with session_scope(self.db_url) as s:
            row = _load(s, UploadSubmission.public_id == public_id, UploadSubmission.status != DRAFT)
            if row is None:
                raise NotFound()
            row.status = REVIEWED
            row.reviewed_at = utcnow()
            row.reviewed_by = officer_id
            resident = s.get(Resident, row.resident_id)
            s.flush()
            log.info("uploads: officer=%d reviewed submission=%d", officer_id, row.id)
            return _view(row), (identity.Address(resident.channel, resident.channel_user_id) if resident else None)

    # -- the resident's data: summary and erasure -----------------------------------------------

    def summary(self, resident_id: int) -> tuple[int, int, bool]:
        """(submissions, files, consent given) held for this resident."""
        with session_scope(self.db_url) as s:
            subs = s.scalar(select(func.count()).select_from(UploadSubmission)
                            .where(UploadSubmission.resident_id == resident_id)) or 0
            files = s.scalar(select(func.count()).select_from(UploadFile).join(UploadSubmission)
                             .where(UploadSubmission.resident_id == resident_id)) or 0
            consent = (s.scalar(select(func.count()).select_from(UploadConsent)
                                .where(UploadConsent.resident_id == resident_id)) or 0) > 0
        return subs, files, consent

    def delete_all_for_resident(self, resident_id: int) -> PurgeReport:
        """Erase every submission, file (bytes and rows) and consent of this resident."""
        report = PurgeReport()
        with session_scope(self.db_url) as s:
            ids = list(s.scalars(select(UploadSubmission.id).where(UploadSubmission.resident_id == resident_id)))
            self._purge_rows(s, ids, report)
            report.consents = s.execute(delete(UploadConsent).where(UploadConsent.resident_id == resident_id)).rowcount or 0
        log.info("uploads: resident=%d erased submissions=%d files=%d", resident_id, report.submissions, report.files)
        return report

    def _purge_rows(self, s: Session, submission_ids: list[int], report: PurgeReport) -> None:
        """Delete the blobs first, then the rows (same transaction). A crash in between leaves rows
        whose blobs are gone: the next run deletes them again, harmlessly (idempotent)."""
        if not submission_ids:
            return
        names = list(s.scalars(select(UploadFile.blob_name).where(UploadFile.submission_id.in_(submission_ids))))
        if names:
            if self.store is None:
                raise ERR_OFF
            for name in names:
                self.store.delete(name)   # no key needed to delete
        report.files += s.execute(delete(UploadFile).where(UploadFile.submission_id.in_(submission_ids))).rowcount or 0
        s.execute(delete(UploadReview).where(UploadReview.submission_id.in_(submission_ids)))
        report.submissions += s.execute(delete(UploadSubmission)
                                        .where(UploadSubmission.id.in_(submission_ids))).rowcount or 0

    # -- retention ------------------------------------------------------------------------------

    def purge(self, now: datetime | None = None, batch: int = 200) -> PurgeReport:
        """Delete every submission past its `purge_after` (bytes and rows), and blobs on disk that
        no row points to. Idempotent: safe on a schedule, after restarts, from two processes."""
        now = now or utcnow()
        report = PurgeReport()
        while True:
            with session_scope(self.db_url) as s:
                ids = list(s.scalars(select(UploadSubmission.id).where(UploadSubmission.purge_after <= now)
                                     .order_by(UploadSubmission.id).limit(batch)))
                self._purge_rows(s, ids, report)
            if len(ids) < batch:
                break
        if self.store is not None:
            report.orphans = self._sweep_orphans()
        if report.submissions or report.orphans:
            log.info("uploads: retention purged submissions=%d files=%d orphans=%d",
                     report.submissions, report.files, report.orphans)
        return report

    def _sweep_orphans(self) -> int:
        store = self.store
        on_disk = store.names()
        if not on_disk:
            return 0
        with session_scope(self.db_url) as s:
            known = set(s.scalars(select(UploadFile.blob_name)))
        now_ts, n = time.time(), 0
        for name in on_disk:
            if name not in known and store.age_s(name, now_ts) > ORPHAN_GRACE_S:
                store.remove_any(name)
                n += 1
        return n


__all__ = ["UploadService", "UploadError", "NotFound", "Forbidden", "Rejected", "SubmissionView", "FileView",
           "ItemState", "Recipient", "PurgeReport", "CONSENT_VERSION", "DRAFT", "SUBMITTED", "REVIEWED", "OK", "MORE"]
