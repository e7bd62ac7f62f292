"""Who a resident is, for every channel: (channel, channel user id) ↔ resident row ↔ sender id.

The sender id "<channel>:<channel user id>" is the conversation id used with Rasa and in every
table keyed by conversation (hand-off, bookings, queues, question log). Channels: "web"
(session id), "telegram" (user id), "zalo_bot" (Zalo Bot Platform chat id), "zalo_oa" (OA
follower id). Every feature — the gateway's and the domain's — goes through this module
instead of splitting or building ids itself.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotich.db.base import utcnow
from hotich.db.models import QrScan, Resident
from hotich.db.session import session_scope
from hotich.deeplink import DeepLink

WEB, TELEGRAM, ZALO_BOT, ZALO_OA = "web", "telegram", "zalo_bot", "zalo_oa"



@dataclass(frozen=True)
class Address:
    """Where a resident is reached: a channel and the channel's id for them."""
    channel: str
    user_id: str

    @property
    def sender_id(self) -> str:
        return sender_id(self.channel, self.user_id)


def sender_id(channel: str, user_id: str) -> str:
    return f"{channel}:{user_id}"


def address(sender: str) -> Address:
    channel, _, user_id = sender.partition(":")
    return Address(channel, user_id)


def resident_id_for(s: Session, sender: str) -> int | None:
    """The resident row of a conversation id, inside the caller's transaction."""
    a = address(sender)
    return s.scalar(select(Resident.id).where(Resident.channel == a.channel, Resident.channel_user_id == a.user_id))


def touch(db_url: str, channel: str, user_id: str, display_name: str | None) -> tuple[int, bool]:
    """Create or update the resident row; returns (resident id, created now?).

    Two first messages from the same new resident can race; the unique constraint makes the
    loser retry as an update instead of failing.
    """
    for _ in range(2):
        try:
            with session_scope(db_url) as s:
                row = s.scalar(select(Resident).where(Resident.channel == channel,
                                                      Resident.channel_user_id == user_id))
                if row is None:
                    row = Resident(channel=channel, channel_user_id=user_id, display_name=display_name)
                    s.add(row)
                    s.flush()
                    return row.id, True
                row.last_seen_at = utcnow()
                if display_name and row.display_name != display_name:
                    row.display_name = display_name
                return row.id, False
        except IntegrityError:
            continue
    raise RuntimeError("could not record resident")


def resident_address(db_url: str, resident_id: int) -> Address | None:
    with session_scope(db_url) as s:
        row = s.get(Resident, resident_id)
        return Address(row.channel, row.channel_user_id) if row is not None else None


def display_name(db_url: str, resident_id: int | None) -> str | None:
    if resident_id is None:
        return None
    with session_scope(db_url) as s:
        return s.scalar(select(Resident.display_name).where(Resident.id == resident_id))


def record_scan(db_url: str, resident_id: int, channel: str, link: DeepLink, new_resident: bool) -> None:
    """Count an arrival through a board's code once per resident (a web session, a chat user):
    reloading the page or replaying the start request does not inflate the board's statistics."""
    with session_scope(db_url) as s:
        seen = s.scalar(select(QrScan.id).where(QrScan.resident_id == resident_id, QrScan.channel == channel,
                                                QrScan.board_code.is_(None) if link.board is None
                                                else QrScan.board_code == link.board,
                                                QrScan.procedure.is_(None) if link.procedure is None
                                                else QrScan.procedure == link.procedure).limit(1))
        if seen is not None:
            return
        s.add(QrScan(resident_id=resident_id, channel=channel, board_code=link.board,
                     procedure=link.procedure, new_resident=new_resident))
