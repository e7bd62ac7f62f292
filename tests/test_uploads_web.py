"""POST /api/upload on the real web app (no Rasa needed: files never go to Rasa)."""
from __future__ import annotations

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_gateway
from bot.web.uploads import UPLOADS_KEY
from hotich.uploads.service import UploadService
from hotich.uploads.storage import new_key
from tests.gateway_helpers import gateway_settings
from tests.uploads_samples import jpeg_with_gps, tiny_pdf

pytestmark = pytest.mark.asyncio(loop_scope="session")

SESSION = "web-upload-test-01"


async def _client(db_url, tmp_path) -> tuple[TestClient, UploadService]:
    app = build_gateway(gateway_settings(db_url, "http://127.0.0.1:9", upload_dir=tmp_path / "up",
                                         upload_key=new_key(), upload_max_mb=1))
    svc = app[UPLOADS_KEY].service
    svc.max_bytes = 100 * 1024            # small files suffice to test the limit
    client = TestClient(TestServer(app))
    await client.start_server()
    return client, svc


def _form(content: bytes, name: str = "a.pdf", session: str = SESSION) -> FormData:
    fd = FormData()
    fd.add_field("session_id", session)
    fd.add_field("file", content, filename=name, content_type="application/octet-stream")
    return fd


async def test_upload_flow_limits_and_errors(sqlite_url, tmp_path):
    client, svc = await _client(sqlite_url, tmp_path)
    try:
        # no consent yet: not kept, consent asked
        r = await client.post("/api/upload", data=_form(tiny_pdf()))
        body = await r.json()
        assert r.status == 200 and "13/2023/NĐ-CP" in body["messages"][-1]["text"]
        assert svc.store.names() == []

        rid = svc.resident_for(f"web:{SESSION}")
        svc.give_consent(rid)
        svc.start(rid, "khai_sinh")
        r = await client.post("/api/upload", data=_form(jpeg_with_gps(), "IMG.jpg"))
        body = await r.json()
        assert "Đã nhận ảnh" in body["messages"][0]["text"]
        assert body["messages"][0]["buttons"][0]["title"].startswith("Đây là: ")
        assert all(len(b["payload"].encode()) <= 64 for b in body["messages"][0]["buttons"])

        r = await client.post("/api/upload", data=_form(tiny_pdf() + b" " * 200 * 1024))   # over 100 KB
        assert "quá lớn" in (await r.json())["messages"][0]["text"]
        assert len(svc.store.names()) == 1

        r = await client.post("/api/upload", data=_form(tiny_pdf(), session="x"))
        assert r.status == 400
        r = await client.post("/api/upload", json={"session_id": SESSION})
        assert r.status == 400
    finally:
        await client.close()
