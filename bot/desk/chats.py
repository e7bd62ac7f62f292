"""Escalated conversations as the desk shows and acts on them.

Ownership goes through hotich.handoff.ownership — the same conditional updates the Telegram staff
topics use — so an officer on Telegram and one on the desk can never both own a chat. Effects on
the resident (told an officer took the chat, officer's words, hand-back to the bot) go through
the gateway's HandoffService, as for the staff topics.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select

from bot.handoff import HandoffService
from bot.messages import OutgoingMessage
from hotich import procedures
from hotich.db.models import HandoffConversation, HandoffMessage, Resident
from hotich.db.session import session_scope
from hotich.handoff import ownership
from hotich.handoff.context import Turn, extra_lines
from hotich.handoff.ownership import OFFICER, WAITING, Conversation
from hotich.officers.accounts import Officer

MAX_ANSWER = 2000


@dataclass(frozen=True)
class ChatRow:
    id: int
    name: str
    channel: str
    procedure_name: str
    owner: str
    officer_id: int | None
    waiting_since: datetime | None

    def waited_minutes(self, now: datetime) -> int:
        if self.waiting_since is None:
            return 0
        since = self.waiting_since if self.waiting_since.tzinfo else self.waiting_since.replace(tzinfo=timezone.utc)
        return max(0, int((now - since).total_seconds() // 60))


@dataclass(frozen=True)
class ChatMessage:
    direction: str          # resident | officer
    kind: str
    text: str
    at: datetime


class ChatRefused(Exception):
    """A Vietnamese message: why the action did not happen (someone else owns it, closed…)."""


def _name(s, conv_id_resident: int | None, channel: str) -> str:
    name = s.scalar(select(Resident.display_name).where(Resident.id == conv_id_resident)) if conv_id_resident else None
    return name or ("Người dân (web chat)" if channel == "web" else f"Người dân ({channel})")


class DeskChats:
    def __init__(self, handoff: HandoffService) -> None:
        self.handoff = handoff
        self.db_url = handoff.db_url

    def open_chats(self) -> list[ChatRow]:
        """Conversations waiting for an officer (oldest first), then those an officer owns."""
        with session_scope(self.db_url) as s:
            rows = s.scalars(select(HandoffConversation).where(HandoffConversation.owner.in_((WAITING, OFFICER)))
                             .order_by(HandoffConversation.owner.desc(), HandoffConversation.requested_at)).all()
            out = []
            for r in rows:
                p = procedures.get(r.procedure)
                out.append(ChatRow(r.id, _name(s, r.resident_id, r.channel), r.channel, p.name if p else "—",
                                   r.owner, r.officer_id, r.requested_at))
            return out

    def conversation(self, conv_id: int) -> Conversation | None:
        return ownership.get_by_id(self.db_url, conv_id)

    def row(self, conv_id: int) -> ChatRow | None:
        return next((c for c in self.open_chats() if c.id == conv_id), None)

    def messages(self, conv: Conversation) -> list[ChatMessage]:
        with session_scope(self.db_url) as s:
            rows = s.scalars(select(HandoffMessage).where(HandoffMessage.conversation_id == conv.id,
                                                          HandoffMessage.ticket == conv.ticket)
                             .order_by(HandoffMessage.id)).all()
            return [ChatMessage(r.direction, r.kind, r.text or f"[{r.kind}]", r.created_at) for r in rows]

    async def context(self, conv: Conversation) -> tuple[list[Turn], list[str]]:
        """The last turns with the bot and the resident's appointments/papers, as the staff topic shows."""
        turns = await self.handoff.last_turns(conv.sender_id)
        extras = await asyncio.to_thread(extra_lines, self.db_url, conv.sender_id, conv.resident_id)
        return turns, extras

    async def take(self, conv_id: int, officer: Officer) -> Conversation:
        t = await asyncio.to_thread(ownership.take, self.db_url, conv_id, officer.handoff_id)
        if not t.ok:
            raise ChatRefused(_refusal(t.conversation, officer))
        await self.handoff.taken(t.conversation)
        return t.conversation

    async def answer(self, conv_id: int, officer: Officer, text: str) -> None:
        conv = self._owned(conv_id, officer)
        text = text.strip()[:MAX_ANSWER]
        if not text:
            raise ChatRefused("Anh/chị chưa nhập nội dung trả lời.")
        await self.handoff.officer_text(conv, officer.handoff_id, text)
        await self.handoff.send_to_resident(conv, [OutgoingMessage(text, custom={"handoff": "officer"})])

    async def hand_back(self, conv_id: int, officer: Officer) -> None:
        self._owned(conv_id, officer)
        t = await asyncio.to_thread(ownership.close, self.db_url, conv_id, officer.handoff_id)
        if not t.ok:
            raise ChatRefused(_refusal(t.conversation, officer))
        await self.handoff.hand_back(t.conversation)

    async def forward(self, conv_id: int, officer: Officer, to: Officer) -> None:
        self._owned(conv_id, officer)
        if to.handoff_id == officer.handoff_id:
            raise ChatRefused("Cuộc trò chuyện đã do anh/chị phụ trách.")
        t = await asyncio.to_thread(ownership.forward, self.db_url, conv_id, officer.handoff_id, to.handoff_id)
        if not t.ok:
            raise ChatRefused(_refusal(t.conversation, officer))
        await self.handoff.taken(t.conversation)

    def _owned(self, conv_id: int, officer: Officer) -> Conversation:
        conv = ownership.get_by_id(self.db_url, conv_id)
        if conv is None or conv.owner != OFFICER or conv.officer_id != officer.handoff_id:
            raise ChatRefused(_refusal(conv, officer))
        return conv


def _refusal(conv: Conversation | None, officer: Officer) -> str:
    if conv is None:
        return "Cuộc trò chuyện này không còn nữa."
    if conv.owner == OFFICER and conv.officer_id != officer.handoff_id:
        return "Cuộc trò chuyện này đã có cán bộ khác nhận."
    if conv.owner == WAITING:
        return "Anh/chị cần nhận cuộc trò chuyện trước khi trả lời."
    return "Cuộc trò chuyện này đã kết thúc hoặc đã trả lại cho trợ lý."
