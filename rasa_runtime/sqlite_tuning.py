"""Rasa's SQLite tracker store in WAL mode with synchronous=NORMAL, the WAL kept open.

In SQLite's default mode every saved turn is a commit with several fsyncs, done synchronously on
Rasa's event loop: under a crowd, saving and loading trackers were more than half of a turn
(docs/performance.md). In WAL mode a commit appends to the log without an fsync and readers do
not wait for writers. Conversations still survive a restart or a crash of Rasa; a power cut may
lose the last turns written before it.

Rasa's SQLAlchemy 1.4 opens and closes a connection per operation (NullPool), and closing the
last connection to a WAL database checkpoints it with fsyncs — ~35 ms per save, the same as
without WAL. One idle connection per database file, kept for the life of the process, makes
every close a cheap one (0.6 ms per open/save/close measured).
"""
from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Engine

_keepers: dict[str, sqlite3.Connection] = {}


def _tune(dbapi_connection, _record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    # Setting journal_mode again on a WAL database is itself slow: only when it is not WAL yet.
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")   # replicas writing at once wait, not fail
    path = cursor.execute("PRAGMA database_list").fetchone()[2]
    cursor.close()
    if path and path not in _keepers:
        keeper = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        keeper.execute("SELECT count(*) FROM sqlite_master").fetchone()   # opens the WAL; no transaction held
        _keepers[path] = keeper


def install() -> None:
    event.listen(Engine, "connect", _tune)
