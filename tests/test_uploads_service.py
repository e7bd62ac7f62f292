"""Submissions on SQLite and PostgreSQL: consent first, encrypted blobs, ownership, officer review,
erasure on request and the retention purge."""
from __future__ import annotations

import hashlib
import os
import stat
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from hotich.config import ROOT
from hotich.db.base import utcnow
from hotich.db.models import Resident, UploadConsent, UploadFile, UploadReview, UploadSubmission
from hotich.db.session import session_scope
from hotich.kb import KnowledgeBase
from hotich.uploads import dialogue
from hotich.uploads.service import (MORE, OK, REVIEWED, SUBMITTED, Forbidden, NotFound, Rejected, UploadError,
                                    UploadService)
from hotich.uploads.storage import BlobStore, new_key
from hotich.uploads.validate import validate
from tests.uploads_samples import jpeg_with_gps, tiny_pdf, windows_exe

OFFICER = 111
KB = KnowledgeBase.load(ROOT / "data" / "kb")


@pytest.fixture
def svc(db_url, tmp_path):
    return UploadService(db_url, BlobStore(tmp_path / "uploads", new_key()), KB, max_bytes=2 * 1024 * 1024,
                         max_files=3, retention_days=30, officer_ids={OFFICER})


def stored_pdf() -> bytes:
    return validate(tiny_pdf(), "a.pdf", 10 * 1024 * 1024).data


def resident(svc: UploadService, name: str) -> int:
    return svc.resident_for(f"telegram:{name}")


def ready(svc: UploadService, name: str, procedure: str = "khai_sinh") -> int:
    rid = resident(svc, name)
    svc.give_consent(rid)
    svc.start(rid, procedure)
    return rid


def count(db_url: str, model) -> int:
    with session_scope(db_url) as s:
        return s.scalar(select(func.count()).select_from(model))


def blob_files(svc: UploadService) -> list[str]:
    return svc.store.names()


def test_nothing_is_stored_without_consent(svc, db_url):
    rid = resident(svc, "a")
    with pytest.raises(UploadError) as err:
        svc.add_file(rid, jpeg_with_gps())
    assert err.value.code == "no_consent"
    with pytest.raises(UploadError):
        svc.start(rid, "khai_sinh")
    assert blob_files(svc) == [] and count(db_url, UploadFile) == 0


def test_consent_is_recorded_with_time_and_text_version(svc, db_url):
    rid = resident(svc, "a")
    svc.give_consent(rid)
    svc.give_consent(rid)   # pressing twice records it once
    with session_scope(db_url) as s:
        rows = s.scalars(select(UploadConsent)).all()
    assert len(rows) == 1 and rows[0].text_version and rows[0].given_at is not None
    assert "13/2023/NĐ-CP" in dialogue.consent_text(30)


def test_happy_path_encrypted_on_disk_with_sha256(svc, db_url, tmp_path):
    rid = ready(svc, "a")
    pdf = stored_pdf()   # what is kept: the rewrite of what was sent
    view, f = svc.add_file(rid, tiny_pdf(), "to_khai.pdf")
    assert f.kind == "pdf" and f.sha256 == hashlib.sha256(pdf).hexdigest()
    # on disk: random name, 0600 file in a 0700 dir, and the plaintext is nowhere in it
    [name] = blob_files(svc)
    path = tmp_path / "uploads" / name
    raw = path.read_bytes()
    assert pdf not in raw and b"%PDF" not in raw and b"/Catalog" not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "uploads").st_mode) == 0o700
    assert f.public_id not in name and "to_khai" not in name
    # the owner reads back exactly what was sent
    assert svc.read_own_file(rid, f.public_id)[1] == pdf

    # checklist: attach to "Tờ khai" (1) then a photo to "Giấy chứng sinh" (2) → nothing required missing
    view, item = svc.attach(rid, f.public_id, 1)
    assert item.id == "to_khai"
    assert [m.id for m in svc.missing(view)] == ["giay_chung_sinh"]
    view, photo = svc.add_file(rid, jpeg_with_gps(), "IMG.jpg")
    view, _ = svc.attach(rid, photo.public_id, 2)
    assert svc.missing(view) == []
    sent = svc.submit(rid)
    assert sent.status == SUBMITTED and len(sent.files) == 2
    assert sent.purge_after >= utcnow() + timedelta(days=29)
    assert svc.draft(rid) is None
    assert [v.public_id for v in svc.to_notify()] == [sent.public_id]


def test_submission_is_linked_to_the_appointment_and_kept_after_it(svc):
    rid = ready(svc, "a")
    svc.add_file(rid, tiny_pdf())
    appt = utcnow() + timedelta(days=10)
    sent = svc.submit(rid, appointment_id=42, appointment_at=appt)
    assert sent.appointment_at == appt
    assert sent.purge_after == appt + timedelta(days=30)
    assert "lịch hẹn" in dialogue.submitted(sent, 30).text


def test_invalid_files_and_limits_leave_nothing_behind(svc, db_url):
    rid = ready(svc, "a")
    with pytest.raises(Rejected):
        svc.add_file(rid, windows_exe(), "anh.jpg")
    with pytest.raises(Rejected):
        svc.add_file(rid, tiny_pdf() + b"\x00" * (3 * 1024 * 1024), "big.pdf")
    assert blob_files(svc) == [] and count(db_url, UploadFile) == 0
    for _ in range(3):
        svc.add_file(rid, tiny_pdf())
    with pytest.raises(UploadError) as err:
        svc.add_file(rid, tiny_pdf())
    assert err.value.code == "too_many" and "tối đa 3 tệp" in err.value.message
    assert len(blob_files(svc)) == 3


def test_resident_a_cannot_reach_b_files(svc):
    a = ready(svc, "a")
    b = ready(svc, "b")
    _, fb = svc.add_file(b, tiny_pdf(), "b.pdf")
    for call in (lambda: svc.read_own_file(a, fb.public_id), lambda: svc.attach(a, fb.public_id, 1),
                 lambda: svc.remove_file(a, fb.public_id)):
        with pytest.raises(NotFound):
            call()
    # B's file is untouched and still B's
    assert svc.read_own_file(b, fb.public_id)[1] == stored_pdf()
    assert svc.draft(a).files == ()
    # A submitting or erasing does nothing to B
    svc.add_file(a, tiny_pdf())
    svc.delete_all_for_resident(a)
    assert svc.read_own_file(b, fb.public_id)[1] == stored_pdf()


def test_officer_only_can_view_and_review(svc, db_url):
    rid = ready(svc, "a")
    _, f = svc.add_file(rid, jpeg_with_gps())
    svc.attach(rid, f.public_id, 2)
    sent = svc.submit(rid)
    for who in (None, 999, rid):
        with pytest.raises(Forbidden):
            svc.officer_files(who, sent.public_id)
        with pytest.raises(Forbidden):
            svc.review_item(who, sent.public_id, 2, OK)
    with pytest.raises(NotFound):
        svc.officer_files(OFFICER, "doesNotExist")
    files = svc.officer_files(OFFICER, sent.public_id)
    assert len(files) == 1 and files[0][1].startswith(b"\xff\xd8")
    svc.review_item(OFFICER, sent.public_id, 2, OK)
    view, item = svc.review_item(OFFICER, sent.public_id, 1, MORE, "Chưa có tờ khai, bạn điền mẫu tại xã")
    assert item.id == "to_khai"
    view, to = svc.finish_review(OFFICER, sent.public_id)
    assert view.status == REVIEWED and to.channel == "telegram" and to.user_id == "a"
    text = dialogue.review_result(svc, view).text
    assert "Giấy chứng sinh (bản chính): đạt" in text
    assert "cần bổ sung — Chưa có tờ khai" in text
    assert count(db_url, UploadReview) == 2


def test_a_draft_is_not_visible_to_officers(svc):
    rid = ready(svc, "a")
    svc.add_file(rid, tiny_pdf())
    draft = svc.draft(rid)
    with pytest.raises(NotFound):
        svc.officer_files(OFFICER, draft.public_id)


def test_delete_all_removes_bytes_and_rows(svc, db_url):
    a = ready(svc, "a")
    svc.add_file(a, tiny_pdf())
    svc.add_file(a, jpeg_with_gps())
    svc.submit(a)
    svc.start(a, "ket_hon")
    svc.add_file(a, tiny_pdf())
    b = ready(svc, "b")
    _, fb = svc.add_file(b, tiny_pdf())
    assert svc.summary(a) == (2, 3, True)
    report = svc.delete_all_for_resident(a)
    assert (report.submissions, report.files, report.consents) == (2, 3, 1)
    assert svc.summary(a) == (0, 0, False)
    assert len(blob_files(svc)) == 1                 # only B's blob is left on disk
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(UploadSubmission)
                        .where(UploadSubmission.resident_id == a)) == 0
        assert s.get(Resident, a) is not None         # the resident row itself belongs to the gateway
    assert not svc.has_consent(a)
    assert svc.read_own_file(b, fb.public_id)[1] == stored_pdf()
    # a second request is harmless
    assert svc.delete_all_for_resident(a).files == 0


def test_retention_purge(svc, db_url):
    old = ready(svc, "old")
    svc.add_file(old, tiny_pdf())
    svc.submit(old)
    fresh = ready(svc, "fresh")
    svc.add_file(fresh, tiny_pdf())
    svc.submit(fresh, appointment_at=utcnow() + timedelta(days=20))   # kept until 30 days after the visit
    abandoned = ready(svc, "draft")
    svc.add_file(abandoned, tiny_pdf())
    assert len(blob_files(svc)) == 3

    assert svc.purge().submissions == 0                              # nothing due yet
    later = utcnow() + timedelta(days=31)
    report = svc.purge(now=later)
    assert (report.submissions, report.files) == (2, 2)             # the old one and the abandoned draft
    assert len(blob_files(svc)) == 1
    assert svc.latest(old) is None and svc.draft(abandoned) is None
    assert svc.latest(fresh) is not None
    # idempotent: running again (a restart, a second scheduler) changes nothing
    assert svc.purge(now=later).submissions == 0
    report = svc.purge(now=utcnow() + timedelta(days=51))
    assert report.submissions == 1 and blob_files(svc) == []
    assert count(db_url, UploadFile) == 0


def test_purge_removes_orphan_blobs_and_survives_missing_ones(svc, db_url):
    rid = ready(svc, "a")
    _, f = svc.add_file(rid, tiny_pdf())
    with session_scope(db_url) as s:
        name = s.scalar(select(UploadFile.blob_name))
    svc.store.delete(name)                    # e.g. a crash after the bytes went, before the rows
    orphan = svc.store.put(b"left by a crash")
    old = 10 ** 9
    os.utime(svc.store.root / orphan.name, (old, old))
    report = svc.purge(now=utcnow() + timedelta(days=31))
    assert report.submissions == 1 and report.orphans == 1
    assert blob_files(svc) == [] and count(db_url, UploadFile) == 0


def test_feature_is_off_without_a_key(db_url, tmp_path):
    svc = UploadService(db_url, BlobStore(tmp_path / "u", ""), KB)
    rid = svc.resident_for("web:abcdefgh")
    svc.give_consent(rid)
    svc.start(rid, "khai_sinh")
    with pytest.raises(UploadError) as err:
        svc.add_file(rid, tiny_pdf())
    assert err.value.code == "off"


def test_dialogue_turns_consent_submit_erase_and_appointment_link(svc, db_url):
    from datetime import date

    from hotich.db.models.booking import Booking
    from hotich.uploads.flow import P_CONSENT, P_DELETE, P_SEND, delete_turn, find_appointment, upload_turn

    sender = "web:turns-0001"
    rid = svc.resident_for(sender)
    day = (utcnow() + timedelta(days=3)).date()
    with session_scope(db_url) as s:
        s.add(Booking(code="K7M2QX", sender_id=sender, channel="web", user_id="turns-0001", procedure="khai_sinh",
                      day=date(day.year, day.month, day.day), start_min=9 * 60, minutes=30, seats=1, status="booked"))
    appt = find_appointment(db_url, sender)
    assert appt is not None and appt.procedure == "khai_sinh"

    # the procedure is inferred from the appointment; consent is asked first
    turn = upload_turn(svc, rid, None, None, appointment=appt)
    assert turn.procedure == "khai_sinh" and turn.prompt == P_CONSENT
    assert not svc.has_consent(rid)
    turn = upload_turn(svc, rid, "ok", "khai_sinh", appointment=appt)    # a typed "có" fills the consent form with ok
    assert svc.has_consent(rid) and "Giấy chứng sinh" in turn.messages[0].text
    _, f = svc.add_file(rid, tiny_pdf())
    turn = upload_turn(svc, rid, f"a:{f.public_id}:2", None)
    assert "Đã ghi nhận: Giấy chứng sinh" in turn.messages[0].text
    turn = upload_turn(svc, rid, "send", None, appointment=appt)      # Tờ khai missing → asked first
    assert "Vẫn nộp" in [b.title for b in turn.messages[0].buttons] and turn.prompt == P_SEND
    turn = upload_turn(svc, rid, "send!", None, appointment=appt)
    assert "gắn với lịch hẹn lúc 09:00" in turn.messages[0].text
    assert svc.latest(rid).appointment_at is not None

    # another resident's file id in a button does nothing
    other = ready(svc, "other")
    _, fo = svc.add_file(other, tiny_pdf())
    assert "không còn trong hồ sơ" in upload_turn(svc, rid, f"x:{fo.public_id}", None).messages[0].text
    assert len(svc.draft(other).files) == 1

    # erase: asked (erase_form waits), then confirmed
    sender = svc_sender(svc, rid)
    turn = delete_turn(svc, sender, None)
    assert "1 hồ sơ" in turn.messages[0].text and turn.prompt == P_DELETE
    turn = delete_turn(svc, sender, "yes")
    assert "Đã xóa toàn bộ" in turn.messages[0].text and svc.summary(rid) == (0, 0, False)
    assert "không có gì để xóa" in delete_turn(svc, sender, None).messages[0].text


def svc_sender(svc, resident_id: int) -> str:
    from hotich.db.models import Resident
    from hotich.db.session import session_scope
    with session_scope(svc.db_url) as s:
        r = s.get(Resident, resident_id)
        return f"{r.channel}:{r.channel_user_id}"


def test_parallel_uploads_never_exceed_max_files(svc, db_url):
    """Eight uploads at once into a draft that takes three: exactly three are kept, no stray bytes."""
    from concurrent.futures import ThreadPoolExecutor

    rid = ready(svc, "racer")
    samples = [jpeg_with_gps(color=(i * 20, 10, 10)) for i in range(8)]

    def upload(data: bytes) -> str:
        try:
            svc.add_file(rid, data, "a.jpg")
            return "kept"
        except UploadError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(upload, samples))
    assert outcomes.count("kept") == 3 and outcomes.count("too_many") == 5, outcomes
    assert count(db_url, UploadFile) == 3 and len(blob_files(svc)) == 3


def test_files_and_submissions_per_resident_per_day_are_capped(db_url, tmp_path):
    svc = UploadService(db_url, BlobStore(tmp_path / "uploads", new_key()), KB, max_files=20,
                        max_files_day=4, max_submissions_day=2)
    rid = ready(svc, "busy")
    for i in range(4):
        svc.add_file(rid, jpeg_with_gps(color=(i, 0, 0)))
    with pytest.raises(UploadError) as err:
        svc.add_file(rid, jpeg_with_gps())
    assert err.value.code == "files_day" and "ngày mai" in err.value.message
    svc.submit(rid)
    second = svc.start(rid, "ket_hon")            # a second set today: fine
    with session_scope(db_url) as s:              # (closed without files, as if handed in at the desk)
        s.execute(UploadSubmission.__table__.update()
                  .where(UploadSubmission.public_id == second.public_id).values(status=SUBMITTED))
    with pytest.raises(UploadError) as err:
        svc.start(rid, "khai_tu")                 # a third one within 24 hours
    assert err.value.code == "submissions_day"
    other = ready(svc, "neighbour")               # another resident is not affected
    svc.add_file(other, jpeg_with_gps())
