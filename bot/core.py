"""The channel-agnostic gateway pipeline: normalise → record → route → Rasa → neutral messages.

Channel adapters (bot/web, bot/telegram, bot/zalo) turn their updates into IncomingMessage,
call `GatewayCore.handle`, and render the returned OutgoingMessages for their channel. Nothing
in here knows about Telegram or HTML.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Awaitable, Callable, Sequence

from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.rasa_client import RasaClient, RasaUnavailable
from hotich import identity
from hotich.deeplink import parse_payload
from hotich.privacy.logid import log_id
from hotich.text.normalize import nfc

log = logging.getLogger(__name__)

SERVICE_DOWN_TEXT = (
    "Dạ, em xin lỗi, trợ lý đang tạm gián đoạn nên chưa trả lời anh/chị ngay được. "
    "Tin nhắn của anh/chị đã được ghi lại, em sẽ trả lời khi hệ thống hoạt động trở lại. "
    "Nếu việc gấp, anh/chị vui lòng gọi Trung tâm Phục vụ hành chính công của xã."
)
EMPTY_TEXT = "Dạ, em xin lỗi, em chưa xử lý được tin nhắn này. Anh/chị thử nhắn lại sau ít phút nhé."
MAX_TEXT = 2000   # longer messages are cut: nobody types more, and it bounds NLU cost

# A router may take over a message before it reaches Rasa (e.g. an officer owns the chat).
# It returns None to let the message go on to Rasa, or the replies to send instead.
Router = Callable[[IncomingMessage], Awaitable[list[OutgoingMessage] | None]]
# A reply hook sees Rasa's replies and may replace them (a custom {"handoff": "request"}
# payload becomes the escalation to an officer; see bot/handoff.py).
ReplyHook = Callable[[IncomingMessage, list[OutgoingMessage]], Awaitable[list[OutgoingMessage]]]


def to_outgoing(replies: list[dict]) -> list[OutgoingMessage]:
    """Rasa's REST answer → neutral messages."""
    out = [OutgoingMessage.from_rasa(r) for r in replies]
    if not out:
        # Rasa answers 200 with nothing when the actions server failed: treat as unavailable.
        raise RasaUnavailable("empty reply (actions server down?)")
    return out


def start_message(start_payload: str | None) -> str:
    """What a deep link says to Rasa: the procedure's overview, or a plain greeting."""
    link = parse_payload(start_payload)
    if link and link.procedure:
        return "/choose_procedure" + json.dumps({"procedure": link.procedure})
    return "/greet"


class GatewayCore:
    def __init__(self, rasa: RasaClient, db_url: str, routers: Sequence[Router] = (),
                 reply_hooks: Sequence[ReplyHook] = ()) -> None:
        self.rasa = rasa
        self.db_url = db_url
        self.routers = tuple(routers)
        self.reply_hooks = tuple(reply_hooks)

    async def handle(self, msg: IncomingMessage) -> list[OutgoingMessage]:
        """Answer one resident message. Raises RasaUnavailable when Rasa cannot answer, so the
        adapter can tell the resident at once (SERVICE_DOWN_TEXT) and keep the message."""
        if msg.text:
            msg.text = nfc(msg.text)[:MAX_TEXT]
        resident_id, is_new = await asyncio.to_thread(
            identity.touch, self.db_url, msg.channel, msg.user_id, msg.display_name)
        msg.metadata.setdefault("resident_id", resident_id)

        if msg.start_payload is not None:
            link = parse_payload(msg.start_payload)
            if link is not None:
                await asyncio.to_thread(identity.record_scan, self.db_url, resident_id, msg.channel, link, is_new)
            text = start_message(msg.start_payload)
        else:
            text = msg.payload or msg.text or ""
        if not text.strip():
            return []

        for router in self.routers:
            routed = await router(msg)
            if routed is not None:
                return routed

        log.info("to rasa: sender=%s kind=%s len=%d", log_id(msg.sender_id),
                 "payload" if text.startswith("/") else "text", len(text))
        replies = await self.rasa.send(msg.sender_id, text, {"channel": msg.channel, **msg.metadata})
        out = to_outgoing(replies)
        for hook in self.reply_hooks:
            out = await hook(msg, out)
        return out


__all__ = ["GatewayCore", "IncomingMessage", "OutgoingMessage", "Button", "RasaUnavailable",
           "SERVICE_DOWN_TEXT", "EMPTY_TEXT", "start_message"]
