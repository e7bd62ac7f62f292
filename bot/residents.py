"""Resident bookkeeping for the gateway: who wrote, and which QR board brought them."""
from __future__ import annotations

from sqlalchemy import select

from hotich.db.base import utcnow
from hotich.db.models import QrScan, Resident
from hotich.db.session import session_scope
from hotich.deeplink import DeepLink


def touch_resident(db_url: str, channel: str, user_id: str, display_name: str | None) -> tuple[int, bool]:
    """Create or update the resident row; returns (resident id, created now?).

    Two first messages from the same new resident can race; the unique constraint makes the
    loser retry as an update instead of failing.
    """
    from sqlalchemy.exc import IntegrityError

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


def record_scan(db_url: str, resident_id: int, channel: str, link: DeepLink, new_resident: bool) -> None:
    """Count an arrival through a board's code once per resident (a web session, a Telegram user):
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
