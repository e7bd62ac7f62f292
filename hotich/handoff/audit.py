"""Audit trail of hand-offs: one row per request, take, answer, forward, close, cancel."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotich.db.base import utcnow
from hotich.db.models import HandoffAudit, HandoffConversation, HandoffMessage
from hotich.db.session import session_scope

ACTIONS = ("request", "take", "answer", "forward", "close", "cancel")


@dataclass(frozen=True)
class AuditEntry:
    action: str
    actor: str
    officer_id: int | None
    target_officer_id: int | None
    detail: str | None
    ticket: int
    at: datetime


def add(s: Session, conversation_id: int, ticket: int, action: str, actor: str, officer_id: int | None = None,
        target_officer_id: int | None = None, detail: str | None = None, at: datetime | None = None) -> None:
    """Write one audit row inside the caller's transaction (same commit as the state change)."""
    assert action in ACTIONS, action
    s.add(HandoffAudit(conversation_id=conversation_id, ticket=ticket, action=action, actor=actor,
                       officer_id=officer_id, target_officer_id=target_officer_id,
                       detail=(detail or None) and detail[:64], created_at=at or utcnow()))


def record_message(db_url: str, conversation_id: int, direction: str, text: str | None, kind: str = "text",
                   officer_id: int | None = None) -> None:
    """Keep a message of the hand-off (resident's or officer's); an officer's counts as an answer."""
    with session_scope(db_url) as s:
        ticket = s.scalar(select(HandoffConversation.ticket).where(HandoffConversation.id == conversation_id)) or 0
        s.add(HandoffMessage(conversation_id=conversation_id, ticket=ticket, direction=direction,
                             officer_id=officer_id, kind=kind, text=text))
        if direction == "officer":
            add(s, conversation_id, ticket, "answer", "officer", officer_id=officer_id, detail=kind)


def history(db_url: str, conversation_id: int) -> list[AuditEntry]:
    with session_scope(db_url) as s:
        rows = s.scalars(select(HandoffAudit).where(HandoffAudit.conversation_id == conversation_id)
                         .order_by(HandoffAudit.id))
        return [AuditEntry(r.action, r.actor, r.officer_id, r.target_officer_id, r.detail, r.ticket, r.created_at)
                for r in rows]


def messages(db_url: str, conversation_id: int) -> list[HandoffMessage]:
    with session_scope(db_url) as s:
        return list(s.scalars(select(HandoffMessage).where(HandoffMessage.conversation_id == conversation_id)
                              .order_by(HandoffMessage.id)))
