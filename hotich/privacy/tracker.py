"""Rasa's SQL tracker store, seen from the commune side: delete a conversation, expire old ones.

Rasa keeps every event of a conversation (what the resident typed, slot values such as the name
and phone number of a booking) in the `events` table of its tracker store, keyed by `sender_id`
('<channel>:<user id>', the id the gateway sends). Erasure and retention must reach that copy too.

Never delete a conversation while Rasa is running a turn of it: SQLTrackerStore.save() inserts
every event of the in-memory tracker beyond the number of rows it finds, so rows deleted mid-turn
come back. Erasure therefore happens after the reply (bot/erasure.py), and retention only touches
conversations whose newest event is older than the retention period (no turn can be running).
A Redis tracker store is not reachable from here (README → Personal data).
"""
from __future__ import annotations

import logging
from datetime import datetime
from functools import lru_cache

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from hotich.db.session import normalize_url

log = logging.getLogger(__name__)


@lru_cache(maxsize=None)
def _engine(url: str) -> Engine:
    # Rasa's own database: no pragmas of ours (its journal mode stays Rasa's choice).
    connect_args = {"timeout": 30} if url.startswith("sqlite") else {}
    return create_engine(normalize_url(url), hide_parameters=True, pool_pre_ping=True, connect_args=connect_args)


class TrackerStore:
    def __init__(self, url: str) -> None:
        self.url = url

    def _run(self, sql: str, **params) -> int:
        try:
            with _engine(self.url).begin() as conn:
                return conn.execute(text(sql), params).rowcount or 0
        except (OperationalError, ProgrammingError) as exc:
            if "events" in str(exc.orig) and ("no such table" in str(exc.orig) or "does not exist" in str(exc.orig)):
                return 0   # Rasa has not created its table yet: nothing stored
            raise

    def delete_conversation(self, sender_id: str, up_to: datetime | None = None) -> int:
        """Every event of this conversation (only those stamped up to `up_to`, when given: what a
        concurrent turn wrote back, not the new conversation since); returns the rows deleted."""
        if up_to is None:
            n = self._run("DELETE FROM events WHERE sender_id = :sender", sender=sender_id)
        else:
            n = self._run("DELETE FROM events WHERE sender_id = :sender AND timestamp <= :ts",
                          sender=sender_id, ts=up_to.timestamp())
        if n:
            log.info("tracker: conversation erased (%d events)", n)
        return n

    def purge_idle(self, before: datetime) -> int:
        """Conversations whose newest event is older than `before` (retention)."""
        n = self._run("DELETE FROM events WHERE sender_id IN (SELECT sender_id FROM events GROUP BY sender_id "
                      "HAVING MAX(timestamp) < :cutoff)", cutoff=before.timestamp())
        if n:
            log.info("tracker: retention removed %d events of idle conversations", n)
        return n

    def dispose(self) -> None:
        _engine(self.url).dispose()
