"""Sending papers ahead (issue #5). Until that feature lands, tell residents plainly what to do."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import kb, profile, record, send
from hotich.assistant.replies import ReplyMessage


class ActionUploadDocuments(Action):
    def name(self) -> str:
        return "action_upload_documents"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        procedure = tracker.get_slot("procedure")
        text = ("Hiện xã chưa nhận hồ sơ gửi trước qua tin nhắn. Bạn vui lòng mang hồ sơ đến "
                f"{profile().address} hoặc nộp trực tuyến trên Cổng Dịch vụ công.")
        if procedure in kb().procedures():
            items = "\n".join(f"• {c.label}" for c in kb().checklist(procedure))
            text += f"\nGiấy tờ cho thủ tục {kb().get(procedure).name.lower()}:\n{items}"
        send(dispatcher, ReplyMessage(text))
        record(tracker, "answered", procedure)
        return []


class ActionDeleteMyData(Action):
    def name(self) -> str:
        return "action_delete_my_data"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        send(dispatcher, ReplyMessage("Hiện xã chưa lưu giấy tờ nào bạn gửi qua tin nhắn. "
                                      "Nếu cần hỗ trợ về dữ liệu cá nhân, bạn vui lòng liên hệ cán bộ xã."))
        record(tracker, "answered")
        return []
