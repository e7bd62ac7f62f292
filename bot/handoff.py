"""Gateway side of the officer hand-off (issue #6): channel-agnostic.

* `route` is a GatewayCore router: while a conversation is owned by the queue or an officer
  (hotich.handoff.ownership), the resident's messages are kept in the DB and relayed to the staff
  topic instead of Rasa — never a bot and a person answering at the same time.
* `after_rasa` is a reply hook: Rasa's `action_talk_to_officer` (and the second NLU miss) answer
  with a custom payload `{"handoff": "request", "procedure": …, "reason": …}`; it becomes the
  escalation here (queue, staff topic with context, what the resident is told).
* `hand_back` runs when an officer closes: Rasa's stale form/slots are reset through its HTTP
  API (the procedure is kept) and the resident is asked "Bạn cần hỏi thêm gì không?".

The staff side is a `StaffChannel` (bot/telegram/staff.py: a Telegram forum topic per resident).
Residents are reached through `senders[channel]`: web residents through the outbox's pending
answers (the page polls GET /api/pending), Telegram residents through the Telegram adapter.
Residents' words go to the staff topic (that is the point) and the DB, never to the logs.
"""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Protocol
from urllib.parse import quote

import aiohttp
from sqlalchemy import select

from bot.messages import Button, IncomingMessage, OutgoingMessage
from hotich.assistant.general import officer_contact
from hotich.assistant.replies import procedure_buttons
from hotich.commune import CommuneProfile
from hotich.db.base import utcnow
from hotich.db.models import PendingMessage, Resident
from hotich.db.session import session_scope
from hotich.handoff import audit, ownership, queue
from hotich.handoff.context import Turn, extra_lines, header, topic_title
from hotich.handoff.hours import OfficerHours
from hotich.handoff.ownership import OFFICER, WAITING, Conversation

log = logging.getLogger(__name__)

CANCEL_PAYLOAD = "/handoff_cancel"
KEEP_SLOTS = {"procedure", "session_started_metadata"}
LAST_TURNS = 8

ESCALATED_TEXT = ("Mình đã chuyển cuộc trò chuyện cho {title} của xã. Cán bộ sẽ trả lời bạn ngay tại đây; "
                  "trong lúc chờ, bạn cứ nhắn thêm thông tin, cán bộ sẽ đọc được.")
STILL_WAITING_TEXT = "Yêu cầu gặp cán bộ của bạn đã được ghi nhận."
RELAYED_TEXT = "✉️ Đã chuyển lời nhắn tới cán bộ."
WITH_OFFICER_TEXT = "Bạn đang trò chuyện với cán bộ xã; cán bộ sẽ trả lời bạn tại đây."
TAKEN_TEXT = "👩‍💼 {title} đã nhận cuộc trò chuyện và sẽ trả lời bạn ngay tại đây."
CANCELLED_TEXT = "Bạn đã quay lại trò chuyện với trợ lý tự động. Bạn cần hỏi gì cứ nhắn nhé."
NOT_WAITING_TEXT = "Bạn đang trò chuyện với trợ lý tự động. Bạn cần hỏi gì cứ nhắn nhé."
HAND_BACK_TEXT = "Bạn cần hỏi thêm gì không?"
LIMITED_TEXT = ("Dạ, em chưa chuyển thêm được cho cán bộ lúc này (nhiều yêu cầu đang chờ, hoặc anh/chị "
                "vừa đề nghị nhiều lần). Anh/chị có thể liên hệ trực tiếp:")

# May this conversation call an officer once more? (the web chat's per-session/per-address limit)
EscalationGate = Callable[[str], bool]
CANCEL_BUTTON = Button("↩️ Quay lại trợ lý tự động", CANCEL_PAYLOAD)

TOPIC_RESIDENT_CANCELLED = "↩️ Người dân đã huỷ yêu cầu và quay lại trợ lý tự động."


class StaffChannel(Protocol):
    """Where officers see escalated chats (Telegram forum topics)."""

    async def open_topic(self, conv: Conversation, title: str, text: str) -> int | None: ...
    async def post(self, conv: Conversation, text: str) -> None: ...
    async def close_topic(self, conv: Conversation, note: str) -> None: ...


# (user id on the channel, messages) → delivered?
ResidentSender = Callable[[str, list[OutgoingMessage]], Awaitable[bool]]


@dataclass
class Escalation:
    conversation: Conversation
    replies: list[OutgoingMessage]


# ---------------------------------------------------------------------------- DB helpers (sync)

def _display_name(db_url: str, conv: Conversation) -> str:
    with session_scope(db_url) as s:
        name = None
        if conv.resident_id is not None:
            name = s.scalar(select(Resident.display_name).where(Resident.id == conv.resident_id))
    if name:
        return name
    return "Người dân (web chat)" if conv.channel == "web" else f"Người dân #{conv.resident_id or conv.id}"


def queue_web_answer(db_url: str, user_id: str, messages: list[OutgoingMessage]) -> None:
    """An answer the web page collects with GET /api/pending (the outbox's pending answers)."""
    now = utcnow()
    with session_scope(db_url) as s:
        s.add(PendingMessage(sender_id=f"web:{user_id}", channel="web", user_id=user_id, text=None, payload=None,
                             attempts=0, created_at=now, answered_at=now,
                             answers=json.dumps([m.to_json() for m in messages], ensure_ascii=False)))


def _payload_label(payload: str) -> str:
    name = payload[1:].split("{", 1)[0]
    return f"[bấm nút: {name}]"


# ---------------------------------------------------------------------------- the service

class HandoffService:
    def __init__(self, db_url: str, rasa_url: str, profile: CommuneProfile, hours: OfficerHours,
                 gate: EscalationGate | None = None, max_open: int = 50) -> None:
        self.db_url = db_url
        self.gate = gate
        self.max_open = max_open
        self.rasa_url = rasa_url.rstrip("/")
        self.profile = profile
        self.hours = hours
        self.staff: StaffChannel | None = None            # set by the Telegram staff desk
        self.senders: dict[str, ResidentSender] = {"web": self._send_web}
        self._locks: dict[str, asyncio.Lock] = {}
        self._http: aiohttp.ClientSession | None = None

    # -- wiring ---------------------------------------------------------------------------------

    def install(self, core) -> "HandoffService":
        core.routers.append(self.route)
        core.reply_hooks.append(self.after_rasa)
        return self

    @property
    def enabled(self) -> bool:
        return self.staff is not None

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    def _lock(self, sender_id: str) -> asyncio.Lock:
        return self._locks.setdefault(sender_id, asyncio.Lock())

    async def is_with_human(self, channel: str, user_id: str) -> bool:
        owner = await asyncio.to_thread(ownership.owner_of, self.db_url, f"{channel}:{user_id}")
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
        async with self._lock(sender):
            conv = await asyncio.to_thread(ownership.get, self.db_url, sender)   # may have closed meanwhile
            if conv is None or not conv.with_human:
                return None
            if msg.start_payload is not None or (msg.payload and msg.payload.startswith("/talk_to_officer")):
                return await self._status_replies(conv)   # reopened the chat / asked again: where they stand
            if msg.payload:
                text = _payload_label(msg.payload)
            else:
                text = msg.text or ""
            await self.relay_from_resident(conv, text)
            log.info("handoff: resident message relayed conv=%d owner=%s len=%d", conv.id, conv.owner, len(text))
            if conv.owner == WAITING:
                return [OutgoingMessage(RELAYED_TEXT, [CANCEL_BUTTON])]
            return []

    async def relay_from_resident(self, conv: Conversation, text: str, kind: str = "text") -> None:
        await asyncio.to_thread(audit.record_message, self.db_url, conv.id, "resident", text, kind)
        if self.staff is not None:
            if conv.topic_id is None:   # the staff group was unreachable at escalation: try again now
                await self._open_topic(conv)
                conv = await asyncio.to_thread(ownership.get_by_id, self.db_url, conv.id)
            try:
                await self.staff.post(conv, f"👤 {text}")
            except Exception as exc:   # kept in the DB; the officer still sees the chat history there
                log.warning("handoff: relay to staff failed conv=%d: %s", conv.id, type(exc).__name__)

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
            contact = officer_contact(self.profile)
            return kept + [OutgoingMessage(contact.text, [Button(b.title, b.payload) for b in contact.buttons])]
        if await self._limited(msg.sender_id):
            contact = officer_contact(self.profile)
            return kept + [OutgoingMessage(LIMITED_TEXT + "\n" + contact.text,
                                           [Button(b.title, b.payload) for b in contact.buttons])]
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
        await self.reset_rasa(t.conversation)
        return [OutgoingMessage(CANCELLED_TEXT, procedure_buttons_out())]

    # -- officer side ---------------------------------------------------------------------------

    async def taken(self, conv: Conversation) -> None:
        """An officer took the chat: tell the resident a person answers now."""
        await self.send_to_resident(conv, [OutgoingMessage(TAKEN_TEXT.format(title=self.profile.officer_title),
                                                           custom={"handoff": "officer"})])

    async def officer_text(self, conv: Conversation, officer_id: int, text: str | None, kind: str = "text") -> None:
        """Keep an officer's message (and count it as an answer)."""
        await asyncio.to_thread(audit.record_message, self.db_url, conv.id, "officer", text, kind, officer_id)

    async def hand_back(self, conv: Conversation) -> None:
        """After a close: clean Rasa state (procedure kept), then the bot speaks again."""
        async with self._lock(conv.sender_id):
            await self.reset_rasa(conv)
            await self.send_to_resident(conv, [OutgoingMessage(HAND_BACK_TEXT, procedure_buttons_out(conv.procedure),
                                                               custom={"handoff": "closed"})])

    async def send_to_resident(self, conv: Conversation, messages: list[OutgoingMessage]) -> bool:
        sender = self.senders.get(conv.channel)
        if sender is None:
            log.warning("handoff: no way to reach channel=%s conv=%d", conv.channel, conv.id)
            return False
        try:
            return await sender(conv.user_id, messages)
        except Exception as exc:
            log.warning("handoff: sending to resident failed conv=%d: %s", conv.id, type(exc).__name__)
            return False

    async def _send_web(self, user_id: str, messages: list[OutgoingMessage]) -> bool:
        await asyncio.to_thread(queue_web_answer, self.db_url, user_id, messages)
        return True

    # -- Rasa HTTP API --------------------------------------------------------------------------

    async def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._http

    def _tracker_url(self, sender_id: str) -> str:
        return f"{self.rasa_url}/conversations/{quote(sender_id, safe='')}/tracker"

    async def tracker(self, sender_id: str, events: bool = True) -> dict[str, Any] | None:
        session = await self._session()
        try:
            async with session.get(self._tracker_url(sender_id),
                                   params={"include_events": "AFTER_RESTART" if events else "NONE"}) as resp:
                if resp.status != 200:
                    log.warning("handoff: tracker of a conversation: HTTP %d", resp.status)
                    return None
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("handoff: tracker not available: %s", type(exc).__name__)
            return None

    async def last_turns(self, sender_id: str, n: int = LAST_TURNS) -> list[Turn]:
        data = await self.tracker(sender_id)
        turns: list[Turn] = []
        for ev in (data or {}).get("events") or []:
            if ev.get("event") == "user":
                text = ev.get("text") or ""
                turns.append(Turn("resident", _payload_label(text) if text.startswith("/") else text))
            elif ev.get("event") == "bot" and ev.get("text"):
                turns.append(Turn("bot", ev["text"]))
        return [t for t in turns if t.text][-n:]

    async def reset_rasa(self, conv: Conversation) -> bool:
        """No stale form or slot after a hand-off; the procedure stays in context."""
        data = await self.tracker(conv.sender_id, events=False)
        if data is None:
            return False
        slots: dict[str, Any] = data.get("slots") or {}
        events: list[dict[str, Any]] = [{"event": "active_loop", "name": None}]
        for name, value in slots.items():
            if name in KEEP_SLOTS or value is None:
                continue
            events.append({"event": "slot", "name": name, "value": 0.0 if name == "fallback_count" else None})
        if not slots.get("procedure") and conv.procedure:
            events.append({"event": "slot", "name": "procedure", "value": conv.procedure})
        session = await self._session()
        try:
            async with session.post(self._tracker_url(conv.sender_id) + "/events", json=events,
                                    params={"include_events": "NONE"}) as resp:
                ok = resp.status == 200
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            log.warning("handoff: Rasa reset failed conv=%d: %s", conv.id, type(exc).__name__)
            return False
        log.info("handoff: Rasa state reset conv=%d events=%d ok=%s", conv.id, len(events), ok)
        return ok


def procedure_buttons_out(procedure: str | None = None) -> list[Button]:
    """Topic buttons after a hand-back; the resident's procedure first when known."""
    buttons = [Button(b.title, b.payload) for b in procedure_buttons()]
    if procedure:
        buttons.sort(key=lambda b: 0 if f'"{procedure}"' in b.payload else 1)
    return buttons


def install_handoff(core, settings, profile: CommuneProfile, hours: OfficerHours | None = None,
                    gate: EscalationGate | None = None) -> HandoffService:
    """bot/app.py hook: register the router and the reply hook on the core."""
    from hotich.handoff.hours import load_officer_hours

    hours = hours or load_officer_hours(settings.commune_profile, profile=profile)
    service = HandoffService(settings.database_url, settings.rasa_url, profile, hours, gate=gate,
                             max_open=settings.handoff_max_open).install(core)
    core.handoff = service    # the Telegram staff desk finds it here
    return service
