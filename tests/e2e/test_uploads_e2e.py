"""Papers sent ahead on the web chat, against the real trained stack (actions server + Rasa + gateway):
consent → checklist → files through POST /api/upload → "Đây là: …" → submit → erase."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from hotich.db.models import UploadConsent, UploadFile, UploadSubmission
from hotich.db.session import session_scope
from tests.uploads_samples import jpeg_with_gps, tiny_pdf, windows_exe

pytestmark = pytest.mark.e2e


def upload(stack, session_id: str, content: bytes, filename: str) -> tuple[int, dict]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"session_id\"\r\n\r\n{session_id}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()
    req = urllib.request.Request(f"{stack.web_url}/api/upload", data=body, method="POST",
                                 headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def button(messages: list[dict], title_start: str) -> str:
    for m in messages:
        for b in m.get("buttons", []):
            if b["title"].startswith(title_start):
                return b["payload"]
    raise AssertionError(f"no button {title_start!r} in {[b['title'] for m in messages for b in m['buttons']]}")


def text(body: dict) -> str:
    return "\n".join(m["text"] for m in body["messages"])


def counts(db_url: str, resident_sender: str | None = None) -> tuple[int, int, int]:
    with session_scope(db_url) as s:
        return (s.scalar(select(func.count()).select_from(UploadSubmission)),
                s.scalar(select(func.count()).select_from(UploadFile)),
                s.scalar(select(func.count()).select_from(UploadConsent)))


def test_web_upload_happy_path_and_erasure(stack, chat):
    sid = "upl-" + uuid.uuid4().hex[:20]
    upload_dir = Path(stack.env["UPLOAD_DIR"])

    # a file before consent is not kept: the consent question comes instead
    status, body = upload(stack, sid, tiny_pdf(), "to_khai.pdf")
    assert status == 200 and "chưa lưu tệp" in text(body)
    assert not upload_dir.exists() or not any(upload_dir.iterdir())

    # the resident asks in their own words; the bot asks which procedure (or knows it) and for consent
    status, body = chat(stack, sid, "tôi muốn gửi trước ảnh hồ sơ khai sinh")
    assert status == 200, body
    if "thủ tục nào" in text(body):
        status, body = chat(stack, sid, payload=button(body["messages"], "Đăng ký khai sinh"))
    assert "Nghị định 13/2023/NĐ-CP" in text(body)
    status, body = chat(stack, sid, payload=button(body["messages"], "Tôi đồng ý"))
    assert "Giấy chứng sinh" in text(body) and "khai sinh" in text(body)

    # the declaration as a PDF, then a photo of the birth certificate
    status, body = upload(stack, sid, tiny_pdf(), "to_khai.pdf")
    assert status == 200 and "Đã nhận tệp pdf" in text(body)
    status, body = chat(stack, sid, payload=button(body["messages"], "Đây là: Tờ khai"))
    assert "Còn thiếu (bắt buộc): Giấy chứng sinh" in text(body)

    status, body = upload(stack, sid, windows_exe(), "giay_chung_sinh.jpg")
    assert status == 200 and "không được lưu" in text(body)

    status, body = upload(stack, sid, jpeg_with_gps(), "IMG_2040.jpg")
    assert "Đã nhận ảnh" in text(body)
    status, body = chat(stack, sid, payload=button(body["messages"], "Đây là: Giấy chứng sinh"))
    assert "Đã đủ giấy tờ bắt buộc" in text(body)
    status, body = chat(stack, sid, payload=button(body["messages"], "Nộp hồ sơ"))
    assert "Đã nộp hồ sơ gửi trước" in text(body)

    with session_scope(stack.db_url) as s:
        sub = s.scalars(select(UploadSubmission)).one()
        assert sub.status == "submitted" and len(sub.files) == 2
    blobs = sorted(upload_dir.iterdir())
    assert len(blobs) == 2
    assert all(tiny_pdf() not in p.read_bytes() and b"%PDF" not in p.read_bytes() for p in blobs)

    # "xóa dữ liệu của tôi": asked, then everything goes — bytes and rows
    status, body = chat(stack, sid, "xóa dữ liệu của tôi")
    assert "2 tệp" in text(body), text(body)
    status, body = chat(stack, sid, payload=button(body["messages"], "Xóa toàn bộ"))
    assert "Đã xóa toàn bộ dữ liệu" in text(body)
    assert counts(stack.db_url) == (0, 0, 0)
    assert not any(upload_dir.iterdir())


def test_typed_consent_after_a_question_in_between(stack, chat):
    sid = "upl-" + uuid.uuid4().hex[:20]
    status, body = chat(stack, sid, payload='/upload_documents{"procedure":"khai_tu"}')
    assert status == 200 and "Nghị định 13/2023/NĐ-CP" in text(body)
    status, body = chat(stack, sid, "lệ phí đăng ký khai tử bao nhiêu")
    assert "Nghị định 13/2023/NĐ-CP" in text(body) and len(body["messages"]) >= 2   # answered, then asked again
    status, body = chat(stack, sid, "đồng ý")
    assert "Giấy tờ cho thủ tục" in text(body) and "khai tử" in text(body)
    assert counts(stack.db_url)[2] >= 1


def test_web_upload_rejects_bad_requests(stack):
    status, body = upload(stack, "bad session!", tiny_pdf(), "a.pdf")
    assert status == 400 and "Phiên trò chuyện không hợp lệ" in body["error"]
