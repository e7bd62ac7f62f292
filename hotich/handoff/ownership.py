"""Who owns a resident conversation: the bot, the queue, an officer — changed atomically.

    bot ──request──▶ waiting ──take──▶ officer ──close──▶ closed ──request──▶ waiting …
                       │  └──forward(to)──▶ officer(to) ──forward──▶ officer(other)
                       ├──close──▶ closed            (answered another way, e.g. by phone)
                       └──cancel──▶ bot               (the resident went back to the bot)

Every transition is ONE conditional UPDATE (`… WHERE id=? AND owner='waiting'`) and its audit
row in the same transaction. The database decides races: of two officers taking a chat at the
same time exactly one UPDATE matches a row, on SQLite (one writer at a time) and on PostgreSQL
(the second UPDATE waits for the first one's row lock, then re-checks its WHERE clause).
`bot` and `closed` both mean "the bot answers"; `closed` says an officer ended the last hand-off.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from hotich.db.base import utcnow
from hotich.db.models import HandoffConversation
from hotich.db.session import session_scope
from hotich.handoff import audit
from hotich import identity
from hotich.identity import resident_id_for

BOT, WAITING, OFFICER, CLOSED = "bot", "waiting", "officer", "closed"
OWNERS = (BOT, WAITING, OFFICER, CLOSED)
HUMAN = (WAITING, OFFICER)          # the gateway keeps these conversations away from Rasa


@dataclass(frozen=True)
class Conversation:
    id: int
    sender_id: str
    channel: str
    user_id: str
    resident_id: int | None
    owner: str
    officer_id: int | None
    ticket: int
    procedure: str | None
    reason: str | None
    topic_id: int | None
    requested_at: datetime | None
    taken_at: datetime | None
    closed_at: datetime | None

    @property
    def with_human(self) -> bool:
        return self.owner in HUMAN


@dataclass(frozen=True)
class Transition:
    ok: bool
    conversation: Conversation | None
    refused: str | None = None       # why not: "not_waiting", "not_yours", "already_yours", …


def _snap(row: HandoffConversation) -> Conversation:
    return Conversation(row.id, row.sender_id, row.channel, row.user_id, row.resident_id, row.owner, row.officer_id,
                        row.ticket, row.procedure, row.reason, row.topic_id, row.requested_at, row.taken_at,
                        row.closed_at)


def _load(s, conv_id: int) -> Conversation | None:
    row = s.get(HandoffConversation, conv_id, populate_existing=True)
    return _snap(row) if row is not None else None


# ------------------------------------------------------------------------------ reading

def get(db_url: str, sender_id: str) -> Conversation | None:
    with session_scope(db_url) as s:
        row = s.scalar(select(HandoffConversation).where(HandoffConversation.sender_id == sender_id))
        return _snap(row) if row is not None else None


def get_by_id(db_url: str, conv_id: int) -> Conversation | None:
    with session_scope(db_url) as s:
        return _load(s, conv_id)


def get_by_topic(db_url: str, topic_id: int) -> Conversation | None:
    with session_scope(db_url) as s:
        row = s.scalar(select(HandoffConversation).where(HandoffConversation.topic_id == topic_id)
                       .order_by(HandoffConversation.id.desc()).limit(1))
        return _snap(row) if row is not None else None


def owner_of(db_url: str, sender_id: str) -> str:
    with session_scope(db_url) as s:
        owner = s.scalar(select(HandoffConversation.owner).where(HandoffConversation.sender_id == sender_id))
    return owner or BOT


def ensure(db_url: str, sender_id: str) -> int:
    """The conversation row (created owned by the bot); two first escalations may race."""
    who = identity.address(sender_id)
    for _ in range(3):
        try:
            with session_scope(db_url) as s:
                conv_id = s.scalar(select(HandoffConversation.id).where(HandoffConversation.sender_id == sender_id))
                if conv_id is not None:
                    return conv_id
                row = HandoffConversation(sender_id=sender_id, channel=who.channel, user_id=who.user_id,
                                          resident_id=resident_id_for(s, sender_id), owner=BOT, ticket=0)
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            continue
    raise RuntimeError("could not create the hand-off conversation")


# ------------------------------------------------------------------------------ transitions

def request(db_url: str, sender_id: str, procedure: str | None = None, reason: str = "asked",
            now: datetime | None = None) -> Transition:
    """bot|closed → waiting. Refused (with the current state) when a person already has it."""
    conv_id = ensure(db_url, sender_id)
    now = now or utcnow()
    with session_scope(db_url) as s:
        res = s.execute(update(HandoffConversation)
                        .where(HandoffConversation.id == conv_id, HandoffConversation.owner.in_((BOT, CLOSED)))
                        .values(owner=WAITING, ticket=HandoffConversation.ticket + 1, officer_id=None,
                                procedure=procedure, reason=reason[:32], requested_at=now, taken_at=None,
                                closed_at=None, updated_at=now))
        conv = _load(s, conv_id)
        if res.rowcount != 1:
            return Transition(False, conv, "already_" + conv.owner)
        audit.add(s, conv_id, conv.ticket, "request", "resident", detail=reason, at=now)
        return Transition(True, conv)


def take(db_url: str, conv_id: int, officer_id: int, now: datetime | None = None) -> Transition:
    """waiting → officer(officer_id). Of concurrent takes exactly one wins."""
    now = now or utcnow()
    with session_scope(db_url) as s:
        res = s.execute(update(HandoffConversation)
                        .where(HandoffConversation.id == conv_id, HandoffConversation.owner == WAITING)
                        .values(owner=OFFICER, officer_id=officer_id, taken_at=now, updated_at=now))
        conv = _load(s, conv_id)
        if conv is None:
            return Transition(False, None, "unknown")
        if res.rowcount != 1:
            if conv.owner == OFFICER and conv.officer_id == officer_id:
                return Transition(False, conv, "already_yours")
            return Transition(False, conv, "taken" if conv.owner == OFFICER else "not_waiting")
        audit.add(s, conv_id, conv.ticket, "take", "officer", officer_id=officer_id, at=now)
        return Transition(True, conv)


def forward(db_url: str, conv_id: int, officer_id: int, to_officer_id: int, now: datetime | None = None) -> Transition:
    """officer(officer_id) → officer(to), or waiting → officer(to) (assigning from the queue)."""
    now = now or utcnow()
    if to_officer_id == officer_id:
        return Transition(False, get_by_id(db_url, conv_id), "same_officer")
    with session_scope(db_url) as s:
        mine = (HandoffConversation.owner == OFFICER) & (HandoffConversation.officer_id == officer_id)
        res = s.execute(update(HandoffConversation)
                        .where(HandoffConversation.id == conv_id, mine | (HandoffConversation.owner == WAITING))
                        .values(owner=OFFICER, officer_id=to_officer_id, taken_at=now, updated_at=now))
        conv = _load(s, conv_id)
        if conv is None:
            return Transition(False, None, "unknown")
        if res.rowcount != 1:
            return Transition(False, conv, "not_yours" if conv.owner == OFFICER else "not_open")
        audit.add(s, conv_id, conv.ticket, "forward", "officer", officer_id=officer_id,
                  target_officer_id=to_officer_id, at=now)
        return Transition(True, conv)


def close(db_url: str, conv_id: int, officer_id: int, now: datetime | None = None) -> Transition:
    """officer(officer_id) → closed; waiting → closed (any officer). The bot answers again."""
    now = now or utcnow()
    with session_scope(db_url) as s:
        mine = (HandoffConversation.owner == OFFICER) & (HandoffConversation.officer_id == officer_id)
        res = s.execute(update(HandoffConversation)
                        .where(HandoffConversation.id == conv_id, mine | (HandoffConversation.owner == WAITING))
                        .values(owner=CLOSED, closed_at=now, updated_at=now))
        conv = _load(s, conv_id)
        if conv is None:
            return Transition(False, None, "unknown")
        if res.rowcount != 1:
            return Transition(False, conv, "not_yours" if conv.owner == OFFICER else "not_open")
        audit.add(s, conv_id, conv.ticket, "close", "officer", officer_id=officer_id, at=now)
        return Transition(True, conv)


def cancel(db_url: str, sender_id: str, now: datetime | None = None) -> Transition:
    """waiting → bot: the resident stops waiting. Not once an officer has taken the chat."""
    now = now or utcnow()
    with session_scope(db_url) as s:
        conv_id = s.scalar(select(HandoffConversation.id).where(HandoffConversation.sender_id == sender_id))
        if conv_id is None:
            return Transition(False, None, "unknown")
        res = s.execute(update(HandoffConversation)
                        .where(HandoffConversation.id == conv_id, HandoffConversation.owner == WAITING)
                        .values(owner=BOT, closed_at=now, updated_at=now))
        conv = _load(s, conv_id)
        if res.rowcount != 1:
            return Transition(False, conv, "not_waiting")
        audit.add(s, conv_id, conv.ticket, "cancel", "resident", at=now)
        return Transition(True, conv)


def erased_topics(db_url: str) -> list[tuple[int, int]]:
    """(conversation id, staff topic id) of conversations whose resident erased their data
    (hotich.privacy.erase renames them 'erased:<id>') and whose topic still exists."""
    with session_scope(db_url) as s:
        rows = s.execute(select(HandoffConversation.id, HandoffConversation.topic_id)
                         .where(HandoffConversation.sender_id.like("erased:%"),
                                HandoffConversation.topic_id.is_not(None))).all()
    return [(c, t) for c, t in rows]


def set_topic(db_url: str, conv_id: int, topic_id: int | None) -> None:
    with session_scope(db_url) as s:
        s.execute(update(HandoffConversation).where(HandoffConversation.id == conv_id).values(topic_id=topic_id))
