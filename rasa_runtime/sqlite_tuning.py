"""Rasa's SQLite tracker store in WAL mode with synchronous=NORMAL.

In SQLite's default mode every saved turn is a commit with several fsyncs, done synchronously on
Rasa's event loop: under a crowd, saving and loading trackers were more than half of a turn
(docs/performance.md). In WAL mode a commit appends to the log without an fsync and readers do
not wait for writers. Conversations still survive a restart or a crash of Rasa; a power cut may
lose the last turns written before it.
"""
from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine


def _tune(dbapi_connection, _record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")   # replicas writing at once wait, not fail
        cursor.close()


def install() -> None:
    event.listen(Engine, "connect", _tune)
