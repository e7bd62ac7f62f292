"""Gateway side of the officer hand-off: channel-agnostic.

* `route` is a GatewayCore router: while a conversation is owned by the queue or an officer
  (hotich.handoff.ownership), the resident's messages are kept in the DB and relayed to the staff
  topic instead of Rasa — never a bot and a person answering at the same time.
* `after_rasa` is a reply hook: Rasa's `action_talk_to_officer` (and the second NLU miss) answer
  with a custom payload `{"handoff": "request", "procedure": …, "reason": …}`; it becomes the
  escalation here (queue, staff topic with context, what the resident is told).
* `hand_back` runs when an officer closes: the gateway tells Rasa with the message
  `/handoff_returned{"procedure": …}` (Rasa ends any form, resets the other slots, asks whether
  the resident needs anything else) and delivers Rasa's replies. The gateway never writes
  tracker events itself.
* `papers_arrived` tells the officer in the topic that papers came in during the hand-off (they
  went through consent, validation and encrypted storage like any other; bot/uploads.py).

The staff side is a `StaffChannel` (bot/telegram/staff.py: a Telegram forum topic per resident).
Residents are reached through the delivery port (bot/delivery.py), whatever their channel.
Residents' words go to the staff topic (that is the point) and the DB, never to the logs.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Callable, Protocol

from bot.core import to_outgoing
from bot.delivery import Delivery
from bot.messages import Button, IncomingMessage, OutgoingMessage
from bot.rasa_client import RasaClient, RasaUnavailable
from hotich import identity
from hotich.assistant.general import officer_contact
from hotich.assistant.replies import procedure_buttons
from hotich.commune import CommuneProfile
from hotich.handoff import audit, ownership, queue
from hotich.handoff.context import Turn, extra_lines, header, topic_title
from hotich.handoff.hours import OfficerHours
from hotich.handoff.ownership import OFFICER, WAITING, Conversation
from hotich.officers import accounts

log = logging.getLogger(__name__)

CANCEL_PAYLOAD = "/handoff_cancel"
RETURNED_INTENT = "/handoff_returned"
LAST_TURNS = 8

ESCALATED_TEXT = ("Dạ, em đã chuyển cuộc trò chuyện cho {title} của xã. Cán bộ sẽ trả lời anh/chị ngay tại đây; "
                  "trong lúc chờ, anh/chị cứ nhắn thêm thông tin, cán bộ sẽ đọc được.")
STILL_WAITING_TEXT = "Dạ, yêu cầu gặp cán bộ của anh/chị đã được ghi nhận."
RELAYED_TEXT = "✉️ Đã chuyển lời nhắn tới cán bộ."
WITH_OFFICER_TEXT = "Anh/chị đang trò chuyện với cán bộ xã; cán bộ sẽ trả lời anh/chị tại đây."
TAKEN_TEXT = "👩‍💼 {title} đã nhận cuộc trò chuyện và sẽ trả lời anh/chị ngay tại đây."
CANCELLED_TEXT = "Dạ, anh/chị đã quay lại trò chuyện với trợ lý tự động."
NOT_WAITING_TEXT = "Anh/chị đang trò chuyện với trợ lý tự động. Anh/chị cần hỏi gì cứ nhắn em nhé."
# What Rasa's action_handoff_returned says; also said by the gateway if Rasa cannot be reached.
HAND_BACK_TEXT = "Anh/chị cần hỏi thêm gì không ạ?"
LIMITED_TEXT = ("Dạ, em chưa chuyển thêm được cho cán bộ lúc này (nhiều yêu cầu đang chờ, hoặc anh/chị "
                "vừa đề nghị nhiều lần). Anh/chị có thể liên hệ trực tiếp:")

# May this conversation call an officer once more? (the web chat's per-session/per-address limit)
EscalationGate = Callable[[str], bool]
CANCEL_BUTTON = Button("↩️ Quay lại trợ lý tự động", CANCEL_PAYLOAD)

TOPIC_RESIDENT_CANCELLED = "↩️ Người dân đã huỷ yêu cầu và quay lại trợ lý tự động."
TOPIC_PAPERS = ("📎 Người dân vừa gửi {n} tệp giấy tờ (hồ sơ {pid}, {procedure}). Tệp đã được kiểm tra và lưu mã hoá; "
                "cán bộ xem trong tin nhắn riêng với trợ lý bằng lệnh /hoso {pid}.")


class StaffChannel(Protocol):
    """Where officers see escalated chats (Telegram forum topics)."""

    async def open_topic(self, conv: Conversation, title: str, text: str) -> int | None: ...
    async def post(self, conv: Conversation, text: str) -> None: ...
    async def close_topic(self, conv: Conversation, note: str) -> None: ...


@dataclass
class Escalation:
    conversation: Conversation
    replies: list[OutgoingMessage]


def _display_name(db_url: str, conv: Conversation) -> str:
    name = identity.display_name(db_url, conv.resident_id)
    if name:
        return name
    return "Người dân (web chat)" if conv.channel == identity.WEB else f"Người dân #{conv.resident_id or conv.id}"


def _payload_label(payload: str) -> str:
    name = payload[1:].split("{", 1)[0]
    return f"[bấm nút: {name}]"


def returned_message(procedure: str | None) -> str:
    """The message that tells Rasa the officer handed the chat back."""
    return RETURNED_INTENT + json.dumps({"procedure": procedure or ""}, ensure_ascii=False)


def procedure_buttons_out(procedure: str | None = None) -> list[Button]:
    """Topic buttons; the resident's procedure first when known."""
    buttons = [Button(b.title, b.payload) for b in procedure_buttons()]
    if procedure:
        buttons.sort(key=lambda b: 0 if f'"{procedure}"' in b.payload else 1)
    return buttons


class HandoffService:
    def __init__(self, db_url: str, rasa: RasaClient, delivery: Delivery, profile: CommuneProfile,
                 hours: OfficerHours, staff: StaffChannel | None, gate: EscalationGate | None = None,
                 max_open: int = 50) -> None:
        self.db_url = db_url
        self.rasa = rasa
        self.delivery = delivery
        self.gate = gate
        self.max_open = max_open
        self.profile = profile
        self.hours = hours
        self.staff = staff
        self._locks: dict[str, asyncio.Lock] = {}

    @property
    def enabled(self) -> bool:
        """Someone can answer: a Telegram staff group, or officers with a desk account."""
        return self.staff is not None or accounts.any_officer(self.db_url)

    def _lock(self, sender_id: str) -> asyncio.Lock:
        return self._locks.setdefault(sender_id, asyncio.Lock())

    async def is_with_human(self, channel: str, user_id: str) -> bool:
        owner = await asyncio.to_thread(ownership.owner_of, self.db_url, identity.sender_id(channel, user_id))
        return owner in ownership.HUMAN

    # -- router: messages of conversations a person owns ----------------------------------------

    async def route(self, msg: IncomingMessage) -> list[OutgoingMessage] | None:
        sender = msg.sender_id
        if msg.payload == CANCEL_PAYLOAD:
            return await self.cancel(sender)
        if not self.enabled:
            return None   # no staff group: nobody could answer, the bot keeps the chat
        conv = await asyncio.to_thread(ownership.get, self.db_url, sender)
        if conv is None or not conv.with_human:
            return None
        if msg.payload and msg.payload.startswith("/upload_documents"):
            return None   # the papers dialogue (consent, which paper is which) stays with the bot
        async with self._lock(sender):
            conv = await asyncio.to_thread(ownership.get, self.db_url, sender)   # may have closed meanwhile
            if conv is None or not conv.with_human:
                return None
            if msg.start_payload is not None or (msg.payload and msg.payload.startswith("/talk_to_officer")):
                return await self._status_replies(conv)   # reopened the chat / asked again: where they stand
            text = _payload_label(msg.payload) if msg.payload else (msg.text or "")
            await self.relay_from_resident(conv, text)
            log.info("handoff: resident message relayed conv=%d owner=%s len=%d", conv.id, conv.owner, len(text))
            if conv.owner == WAITING:
                return [OutgoingMessage(RELAYED_TEXT, [CANCEL_BUTTON])]
            return []

    async def relay_from_resident(self, conv: Conversation, text: str, kind: str = "text") -> None:
        await asyncio.to_thread(audit.record_message, self.db_url, conv.id, "resident", text, kind)
        await self._post(conv, f"👤 {text}")

    async def _post(self, conv: Conversation, text: str) -> None:
        if self.staff is None:
            return
        if conv.topic_id is None:   # the staff group was unreachable at escalation: try again now
            await self._open_topic(conv)
            conv = await asyncio.to_thread(ownership.get_by_id, self.db_url, conv.id)
        try:
            await self.staff.post(conv, text)
        except Exception as exc:   # kept in the DB; the officer still sees the chat history there
            log.warning("handoff: posting to staff failed conv=%d: %s", conv.id, type(exc).__name__)

    async def papers_arrived(self, sender_id: str, public_id: str, files: int, procedure_name: str) -> None:
        """Papers sent during a hand-off: a note in the topic (the files stay in encrypted storage)."""
        conv = await asyncio.to_thread(ownership.get, self.db_url, sender_id)
        if conv is None or not conv.with_human:
            return
        await asyncio.to_thread(audit.record_message, self.db_url, conv.id, "resident", None, "papers")
        await self._post(conv, TOPIC_PAPERS.format(n=files, pid=public_id, procedure=procedure_name))

    # -- reply hook: Rasa asked for an officer --------------------------------------------------

    async def after_rasa(self, msg: IncomingMessage, out: list[OutgoingMessage]) -> list[OutgoingMessage]:
        requests = [m for m in out if (m.custom or {}).get("handoff") == "request"]
        if not requests:
            return out
        kept = [m for m in out if m not in requests]
        req = requests[-1].custom or {}
        procedure = req.get("procedure") or None
        reason = str(req.get("reason") or "asked")
        if not self.enabled:
            # No staff group configured: the officer's contact, as before live hand-off.
            return kept + [OutgoingMessage.from_reply(officer_contact(self.profile))]
        if await self._limited(msg.sender_id):
            contact = OutgoingMessage.from_reply(officer_contact(self.profile))
            return kept + [OutgoingMessage(LIMITED_TEXT + "\n" + contact.text, contact.buttons)]
        esc = await self.escalate(msg.sender_id, procedure, reason)
        return kept + esc.replies

    async def _limited(self, sender_id: str) -> bool:
        """Over the cap of open escalations, or over this sender's escalation rate. Asking again
        while already waiting is not a new escalation and always gets the queue position."""
        if await asyncio.to_thread(ownership.owner_of, self.db_url, sender_id) in ownership.HUMAN:
            return False
        if await asyncio.to_thread(queue.waiting_count, self.db_url) >= self.max_open:
            log.warning("handoff: open escalations at the cap (%d), new request refused", self.max_open)
            return True
        return self.gate is not None and not self.gate(sender_id)

    async def escalate(self, sender_id: str, procedure: str | None, reason: str) -> Escalation:
        t = await asyncio.to_thread(ownership.request, self.db_url, sender_id, procedure, reason)
        conv = t.conversation
        if not t.ok:
            return Escalation(conv, await self._status_replies(conv))
        log.info("handoff: escalated conv=%d ticket=%d reason=%s", conv.id, conv.ticket, reason)
        status = await asyncio.to_thread(queue.status, self.db_url, conv.id, self.hours)
        wait = queue.wait_text(status, self.hours) if status else ""
        if self.staff is not None:
            await self._open_topic(conv)
        text = ESCALATED_TEXT.format(title=self.profile.officer_title) + ("\n" + wait if wait else "")
        return Escalation(conv, [OutgoingMessage(text, [CANCEL_BUTTON], custom={"handoff": "waiting"})])

    async def _open_topic(self, conv: Conversation) -> None:
        name = await asyncio.to_thread(_display_name, self.db_url, conv)
        turns = await self.last_turns(conv.sender_id)
        extras = await asyncio.to_thread(extra_lines, self.db_url, conv.sender_id, conv.resident_id)
        officer_note = (None if self.hours.is_open() else
                        "⏰ Ngoài giờ làm việc: người dân đã được báo sẽ được trả lời vào giờ làm việc tiếp theo.")
        text = header(name=name, channel=conv.channel, procedure=conv.procedure, reason=conv.reason, turns=turns,
                      extras=extras, wait_note=officer_note)
        try:
            topic_id = await self.staff.open_topic(conv, topic_title(name, conv.procedure, conv.ticket), text)
        except Exception:
            log.exception("handoff: could not open the staff topic for conv=%d", conv.id)
            return
        if topic_id is not None and topic_id != conv.topic_id:
            await asyncio.to_thread(ownership.set_topic, self.db_url, conv.id, topic_id)

    async def _status_replies(self, conv: Conversation) -> list[OutgoingMessage]:
        if conv.owner == OFFICER:
            return [OutgoingMessage(WITH_OFFICER_TEXT, custom={"handoff": "officer"})]
        status = await asyncio.to_thread(queue.status, self.db_url, conv.id, self.hours)
        text = STILL_WAITING_TEXT + (" " + queue.wait_text(status, self.hours) if status else "")
        return [OutgoingMessage(text, [CANCEL_BUTTON], custom={"handoff": "waiting"})]

    async def cancel(self, sender_id: str) -> list[OutgoingMessage]:
        async with self._lock(sender_id):
            t = await asyncio.to_thread(ownership.cancel, self.db_url, sender_id)
        if not t.ok:
            if t.conversation is not None and t.conversation.owner == OFFICER:
                return [OutgoingMessage(WITH_OFFICER_TEXT, custom={"handoff": "officer"})]
            return [OutgoingMessage(NOT_WAITING_TEXT)]
        log.info("handoff: resident cancelled conv=%d", t.conversation.id)
        if self.staff is not None:
            try:
                await self.staff.close_topic(t.conversation, TOPIC_RESIDENT_CANCELLED)
            except Exception as exc:
                log.warning("handoff: closing topic failed conv=%d: %s", t.conversation.id, type(exc).__name__)
        return [OutgoingMessage(CANCELLED_TEXT)] + await self._returned(t.conversation)

    # -- officer side ---------------------------------------------------------------------------

    async def taken(self, conv: Conversation) -> None:
        """An officer took the chat: tell the resident a person answers now."""
        await self.send_to_resident(conv, [OutgoingMessage(TAKEN_TEXT.format(title=self.profile.officer_title),
                                                           custom={"handoff": "officer"})])

    async def officer_text(self, conv: Conversation, officer_id: int, text: str | None, kind: str = "text") -> None:
        """Keep an officer's message (and count it as an answer)."""
        await asyncio.to_thread(audit.record_message, self.db_url, conv.id, "officer", text, kind, officer_id)

    async def hand_back(self, conv: Conversation) -> None:
        """After a close: Rasa is told the officer handed back, its replies go to the resident."""
        async with self._lock(conv.sender_id):
            await self.send_to_resident(conv, await self._returned(conv), kind="handback")

    async def _returned(self, conv: Conversation) -> list[OutgoingMessage]:
        try:
            replies = to_outgoing(await self.rasa.send(conv.sender_id, returned_message(conv.procedure),
                                                       {"channel": conv.channel}))
        except RasaUnavailable as exc:
            log.warning("handoff: Rasa not told of the hand-back conv=%d (%s)", conv.id, type(exc).__name__)
            replies = [OutgoingMessage(HAND_BACK_TEXT, procedure_buttons_out(conv.procedure))]
        for r in replies:   # the web page shows these as part of the hand-off, not as a late answer
            r.custom = {**(r.custom or {}), "handoff": "closed"}
        return replies

    async def send_to_resident(self, conv: Conversation, messages: list[OutgoingMessage],
                               kind: str = "officer") -> str:
        return await self.delivery.send(identity.Address(conv.channel, conv.user_id), messages, kind)

    async def last_turns(self, sender_id: str, n: int = LAST_TURNS) -> list[Turn]:
        data = await self.rasa.tracker(sender_id)
        turns: list[Turn] = []
        for ev in (data or {}).get("events") or []:
            if ev.get("event") == "user":
                text = ev.get("text") or ""
                turns.append(Turn("resident", _payload_label(text) if text.startswith("/") else text))
            elif ev.get("event") == "bot" and ev.get("text"):
                turns.append(Turn("bot", ev["text"]))
        return [t for t in turns if t.text][-n:]
