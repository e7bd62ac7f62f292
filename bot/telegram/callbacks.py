"""Inline-button callback data and pressed keyboards, both durable in the commune DB.

Telegram's callback_data is at most 64 bytes. A Rasa payload that fits is sent as is; a longer one
(e.g. '/ask_documents{"procedure":"xac_nhan_hon_nhan","case":"da_ly_hon"}') is stored and sent as
`cb:<token>`, the token being a hash of the payload: the same button always gets the same token,
and a keyboard sent weeks ago still works after a restart.
"""
from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from hotich.db.base import utcnow
from hotich.db.models import TelegramCallback, TelegramPress
from hotich.db.session import session_scope

MAX_CALLBACK_BYTES = 64
PREFIX = "cb:"
DONE = "cb:done"          # the marker button left on a keyboard once it was pressed
KEEP_CALLBACKS = timedelta(days=180)
KEEP_PRESSES = timedelta(days=30)


def token_for(payload: str) -> str:
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:16]


def fits(payload: str) -> bool:
    return (len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(PREFIX))


class CallbackStore:
    def __init__(self, db_url: str) -> None:
        self.db_url = db_url

    # -- callback data ------------------------------------------------------------------------

    def data_for(self, payload: str) -> str:
        """callback_data for a button payload (stores it when it is too long)."""
        if fits(payload):
            return payload
        token = token_for(payload)
        with session_scope(self.db_url) as s:
            res = s.execute(update(TelegramCallback).where(TelegramCallback.token == token)
                            .values(last_used_at=utcnow()))
            if not res.rowcount:
                try:
                    with s.begin_nested():
                        s.add(TelegramCallback(token=token, payload=payload))
                except IntegrityError:
                    pass   # stored meanwhile by a concurrent reply with the same button
        return PREFIX + token

    def resolve(self, data: str) -> str | None:
        """The payload behind callback_data; None for an expired/unknown token or the marker."""
        if data == DONE:
            return None
        if not data.startswith(PREFIX):
            return data
        with session_scope(self.db_url) as s:
            return s.scalar(select(TelegramCallback.payload).where(TelegramCallback.token == data[len(PREFIX):]))

    # -- pressed keyboards ----------------------------------------------------------------------

    def claim_press(self, bot_id: int, chat_id: int, message_id: int) -> bool:
        """True for the first press on this message's keyboard, False for any later tap."""
        try:
            with session_scope(self.db_url) as s:
                s.add(TelegramPress(bot_id=bot_id, chat_id=chat_id, message_id=message_id))
            return True
        except IntegrityError:
            return False

    def prune(self) -> int:
        now = utcnow()
        with session_scope(self.db_url) as s:
            a = s.execute(delete(TelegramCallback).where(TelegramCallback.last_used_at < now - KEEP_CALLBACKS))
            b = s.execute(delete(TelegramPress).where(TelegramPress.pressed_at < now - KEEP_PRESSES))
            return (a.rowcount or 0) + (b.rowcount or 0)
