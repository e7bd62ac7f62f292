"""Papers sent ahead on Telegram, through the fake Bot API server and the real python-telegram-bot.

Rasa is played by a small server that runs the real dialogue turn (hotich.uploads.flow, what
actions/uploads.py calls), so button presses go the whole way: Telegram → gateway → "Rasa" → DB.
"""
from __future__ import annotations

from tests.fake_rasa import RasaServer

import asyncio
import itertools
import json
import time
from dataclasses import replace

import pytest
from aiohttp import web

from bot.web.uploads import UPLOADS_KEY
from hotich.uploads.service import UploadService
from hotich.db.models import UploadFile
from hotich.db.session import session_scope
from hotich.uploads.flow import delete_turn, upload_turn
from hotich.uploads.storage import new_key
from tests.fake_telegram import FakeTelegram, _decode
from tests.gateway_helpers import gateway_settings, running_gateway
from hotich.uploads.validate import validate
from tests.uploads_samples import fake_pdf, jpeg_with_gps, tiny_pdf, windows_exe

# The fixtures live on the session loop (pyproject); the tests must share it with the servers.
pytestmark = pytest.mark.asyncio(loop_scope="session")

RESIDENT = 5550001
OTHER = 5550002
OFFICER = 9990001
_files = itertools.count(1)


class UploadFakeTelegram(FakeTelegram):
    """The shared fake plus what this feature needs: documents in updates, sendDocument with bytes."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.documents: dict[int, tuple[int, str, bytes]] = {}   # message_id → (chat, file name, bytes)

    async def _params(self, request):
        if not request.content_type.startswith("multipart/"):
            return await super()._params(request)
        raw = dict(request.query)
        form = await request.post()
        for k, v in form.items():
            raw[k] = (v.filename, v.file.read()) if hasattr(v, "file") else v
        return {k: _decode(k, v) for k, v in raw.items()}

    async def _m_sendDocument(self, p):
        chat_id = self._check_chat(p)
        doc = p.get("document")
        name, content = doc if isinstance(doc, tuple) else ("?", b"")
        msg = self._new_message(chat_id, document={"file_id": f"doc{len(self.documents)}", "file_unique_id": "u",
                                                   "file_name": name}, caption=p.get("caption"))
        self.documents[msg["message_id"]] = (chat_id, name, content)
        return msg

    async def push_file(self, user_id: int, content: bytes, *, photo: bool = False, file_name: str | None = None,
                        declared_size: int | None = None) -> str:
        file_id = f"f{next(_files)}"
        self.add_file(file_id, content, f"{'photos' if photo else 'documents'}/{file_id}")
        size = len(content) if declared_size is None else declared_size
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": self._chat(user_id),
               "from": self.user(user_id)}
        if photo:
            msg["photo"] = [{"file_id": file_id, "file_unique_id": file_id + "u", "width": 64, "height": 48,
                             "file_size": size}]
        else:
            msg["document"] = {"file_id": file_id, "file_unique_id": file_id + "u", "file_name": file_name,
                               "mime_type": "application/octet-stream", "file_size": size}
        await self.push({"message": msg})
        return file_id

    def downloads(self) -> list[str]:
        return [c.params["file_path"] for c in self.calls_of("download")]

    def buttons(self, message: dict) -> list[tuple[str, str]]:
        return [(b["text"], b.get("callback_data")) for row in (message.get("reply_markup") or {}).get(
            "inline_keyboard", []) for b in row]


class FlowRasa(RasaServer):
    """Plays Rasa's REST webhook for the upload intents by running the real dialogue turn."""

    def __init__(self, service: UploadService) -> None:
        self.service = service
        super().__init__()
        self.slots: dict[str, dict] = {}

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        sender, message = body["sender"], body["message"]
        svc = self.service
        slots = self.slots.setdefault(sender, {})
        intent, _, ents = message.lstrip("/").partition("{")
        ents = json.loads("{" + ents) if ents else {}
        rid = await asyncio.to_thread(svc.resident_for, sender)
        if intent == "upload_documents":
            turn = await asyncio.to_thread(upload_turn, svc, rid, ents.get("upload"),
                                           ents.get("procedure") or slots.get("procedure"))
        elif intent == "delete_my_data":
            turn = await asyncio.to_thread(delete_turn, svc, sender, ents.get("upload"))
        else:
            return web.json_response([{"text": "Xin chào!"}])
        if turn.procedure:
            slots["procedure"] = turn.procedure
        return web.json_response([{"text": m.text, "buttons": [{"title": b.title, "payload": b.payload}
                                                               for b in m.buttons]} for m in turn.messages])


@pytest.fixture
async def tg(sqlite_url, tmp_path):
    fake = await UploadFakeTelegram().start()
    settings = gateway_settings(sqlite_url, "http://127.0.0.1:9", telegram_token=fake.token,
                                telegram_base_url=fake.base_url, telegram_base_file_url=fake.base_file_url,
                                telegram_mode="polling", officer_telegram_ids=frozenset({OFFICER}),
                                upload_dir=tmp_path / "uploads", upload_key=new_key(), upload_max_mb=1,
                                upload_max_files=5, retention_days=30)
    rasa = FlowRasa(UploadService.from_settings(settings))
    await rasa.start()
    try:
        async with running_gateway(replace(settings, rasa_url=rasa.url)) as client:
            fake.gateway = client.app[UPLOADS_KEY]
            yield fake
    finally:
        await rasa.stop()
        await fake.stop()


async def last_to(fake: UploadFakeTelegram, chat: int, count: int) -> dict:
    msgs = await fake.wait_messages(chat, count)
    await asyncio.sleep(0.05)
    return fake.messages_to(chat)[count - 1]


async def press(fake: UploadFakeTelegram, user: int, message: dict, title_start: str) -> None:
    data = next(d for t, d in fake.buttons(message) if t.startswith(title_start))
    await fake.push_callback(user, message["message_id"], data)


async def consent_and_choose(fake: UploadFakeTelegram, user: int = RESIDENT) -> int:
    """/gui_ho_so → procedure → consent → checklist. Returns how many messages the resident has."""
    await fake.push_message(user, "/gui_ho_so")
    m = await last_to(fake, user, 1)
    assert "thủ tục nào" in m["text"]
    await press(fake, user, m, "Đăng ký khai sinh")
    m = await last_to(fake, user, 2)
    assert "13/2023/NĐ-CP" in m["text"]
    await press(fake, user, m, "Tôi đồng ý")
    m = await last_to(fake, user, 3)
    assert "Giấy chứng sinh" in m["text"]
    return 3


def stored_blobs(fake) -> list[str]:
    return fake.gateway.service.store.names()


async def test_photo_and_pdf_happy_path_then_officer_review(tg):
    fake = tg
    n = await consent_and_choose(fake)

    # a PDF document → "Đây là: …" buttons → it is the declaration (item 1)
    await fake.push_file(RESIDENT, tiny_pdf(), file_name="to_khai.pdf")
    m = await last_to(fake, RESIDENT, n + 1)
    assert "Đã nhận tệp pdf" in m["text"]
    assert any(t.startswith("Đây là: Tờ khai") for t, _ in fake.buttons(m))
    await press(fake, RESIDENT, m, "Đây là: Tờ khai")
    m = await last_to(fake, RESIDENT, n + 2)
    assert "Còn thiếu (bắt buộc): Giấy chứng sinh" in m["text"]

    # a photo (with GPS in its EXIF) → birth certificate (item 2)
    await fake.push_file(RESIDENT, jpeg_with_gps(), photo=True)
    m = await last_to(fake, RESIDENT, n + 3)
    assert "Đã nhận ảnh" in m["text"]
    await press(fake, RESIDENT, m, "Đây là: Giấy chứng sinh")
    m = await last_to(fake, RESIDENT, n + 4)
    assert "Đã đủ giấy tờ bắt buộc" in m["text"]
    await press(fake, RESIDENT, m, "Nộp hồ sơ")
    m = await last_to(fake, RESIDENT, n + 5)
    assert "Đã nộp hồ sơ gửi trước" in m["text"]
    assert len(stored_blobs(fake)) == 2

    # the officer is notified (background task in the real gateway; one round here)
    assert await fake.gateway.notify_officers_once() == 1
    note = await last_to(fake, OFFICER, 1)
    pid = note["text"].split("mã ")[1].split()[0]
    assert "Thủ tục: đăng ký khai sinh" in note["text"]
    assert await fake.gateway.notify_officers_once() == 0          # told once

    # "Xem hồ sơ": the two files, decrypted, to the officer only, then the review keyboard
    await press(fake, OFFICER, note, "Xem hồ sơ")
    keyboard_msg = await last_to(fake, OFFICER, 4)
    docs = list(fake.documents.values())
    assert [d[0] for d in docs] == [OFFICER, OFFICER]
    assert docs[0][2] == validate(tiny_pdf(), "a.pdf", 10 * 1024 * 1024).data   # the stored rewrite
    assert docs[1][2].startswith(b"\xff\xd8") and b"Exif" not in docs[1][2]   # location stripped
    assert all(c.params.get("protect_content") in (True, "true", "True") for c in fake.calls_of("sendDocument"))
    assert "Đánh giá từng giấy tờ" in keyboard_msg["text"]

    await press(fake, OFFICER, keyboard_msg, "2. Đạt")
    await fake.wait_messages(OFFICER, 5)
    await press(fake, OFFICER, keyboard_msg, "1. Cần bổ sung")
    ask = await last_to(fake, OFFICER, 6)
    assert "Ghi chú cho mục 1" in ask["text"]
    await fake.push_message(OFFICER, "Tờ khai thiếu chữ ký người đi khai")
    await fake.wait_messages(OFFICER, 7)
    await press(fake, OFFICER, keyboard_msg, "Gửi kết quả")
    await fake.wait_messages(OFFICER, 8)

    result = await last_to(fake, RESIDENT, n + 6)
    assert f"mã {pid}" in result["text"]
    assert "Giấy chứng sinh (bản chính): đạt" in result["text"]
    assert "cần bổ sung — Tờ khai thiếu chữ ký người đi khai" in result["text"]


async def test_renamed_executable_is_refused_and_not_kept(tg):
    fake = tg
    n = await consent_and_choose(fake)
    await fake.push_file(RESIDENT, windows_exe(), file_name="anh_cccd.jpg")
    m = await last_to(fake, RESIDENT, n + 1)
    assert "không được lưu" in m["text"] and "JPEG" in m["text"]
    assert stored_blobs(fake) == []


async def test_fake_pdf_is_refused(tg):
    fake = tg
    n = await consent_and_choose(fake)
    await fake.push_file(RESIDENT, fake_pdf(), file_name="giay_chung_sinh.pdf")
    m = await last_to(fake, RESIDENT, n + 1)
    assert "không phải PDF hợp lệ" in m["text"]
    assert stored_blobs(fake) == []


async def test_oversize_is_refused_without_downloading(tg):
    fake = tg
    n = await consent_and_choose(fake)
    await fake.push_file(RESIDENT, tiny_pdf(), file_name="big.pdf", declared_size=25 * 1024 * 1024)
    m = await last_to(fake, RESIDENT, n + 1)
    assert "quá lớn" in m["text"] and "tối đa 1 MB" in m["text"]
    assert fake.downloads() == [] and fake.calls_of("getFile") == []
    assert stored_blobs(fake) == []


async def test_file_without_consent_is_not_kept_and_consent_is_asked(tg):
    fake = tg
    await fake.push_file(RESIDENT, jpeg_with_gps(), photo=True)
    m = await last_to(fake, RESIDENT, 2)
    assert "chưa lưu tệp" in fake.messages_to(RESIDENT)[0]["text"]
    assert "13/2023/NĐ-CP" in m["text"]
    assert fake.downloads() == [] and stored_blobs(fake) == []
    with session_scope(fake.gateway.service.db_url) as s:
        assert s.query(UploadFile).count() == 0


async def test_non_officer_cannot_view_or_review(tg):
    fake = tg
    n = await consent_and_choose(fake)
    await fake.push_file(RESIDENT, tiny_pdf(), file_name="a.pdf")
    m = await last_to(fake, RESIDENT, n + 1)
    await press(fake, RESIDENT, m, "Đây là: Tờ khai")
    m = await last_to(fake, RESIDENT, n + 2)
    await press(fake, RESIDENT, m, "Nộp hồ sơ")
    await last_to(fake, RESIDENT, n + 3)
    await press(fake, RESIDENT, await last_to(fake, RESIDENT, n + 3), "Vẫn nộp")
    m = await last_to(fake, RESIDENT, n + 4)
    pid = m["text"].split("mã ")[1].split(",")[0]

    # another resident types the (secret) id, and forges the officer's buttons
    await fake.push_message(OTHER, f"/hoso {pid}")
    refused = await last_to(fake, OTHER, 1)
    assert refused["text"] == "Lệnh này chỉ dành cho cán bộ xã."
    await fake.push_message(OTHER, "/gui_ho_so")
    other_msg = await last_to(fake, OTHER, 2)
    for data in (f"rv:v:{pid}", f"rv:ok:{pid}:1", f"rv:done:{pid}"):
        await fake.push_callback(OTHER, other_msg["message_id"], data)
    await fake.wait_idle()
    await asyncio.sleep(0.3)
    assert fake.documents == {}                                    # no file went anywhere
    answers = [c.params for c in fake.calls_of("answerCallbackQuery")]
    assert sum(1 for a in answers if a.get("text") == "Lệnh này chỉ dành cho cán bộ xã.") == 3
    assert all(m.get("text") != "Đã gửi kết quả" for m in fake.messages_to(RESIDENT))
    view = fake.gateway.service.officer_submission(OFFICER, pid)
    assert view.status == "submitted" and view.reviews == {}

    # the officer can
    await fake.push_message(OFFICER, f"/hoso {pid}")
    await fake.wait_messages(OFFICER, 2)
    assert [d[0] for d in fake.documents.values()] == [OFFICER]


async def test_delete_my_data_from_telegram(tg):
    fake = tg
    n = await consent_and_choose(fake)
    await fake.push_file(RESIDENT, tiny_pdf(), file_name="a.pdf")
    await last_to(fake, RESIDENT, n + 1)
    assert len(stored_blobs(fake)) == 1
    await fake.push_message(RESIDENT, "/xoa_du_lieu")
    m = await last_to(fake, RESIDENT, n + 2)
    assert "1 tệp" in m["text"]
    await press(fake, RESIDENT, m, "Xóa toàn bộ")
    m = await last_to(fake, RESIDENT, n + 3)
    assert "Đã xóa toàn bộ dữ liệu" in m["text"]
    assert stored_blobs(fake) == []
