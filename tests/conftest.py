"""Shared fixtures.

`db_url` runs a test on a fresh, migrated SQLite file AND on a fresh database in the local
PostgreSQL (TEST_POSTGRES_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
Set TEST_SKIP_POSTGRES=1 to run SQLite only on a machine without PostgreSQL (CI never does).
"""
from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, text

from hotich.db.migrate import upgrade
from hotich.db.session import get_engine

PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_database(name: str) -> str:
    base, _, _ = PG_ADMIN_URL.rpartition("/")
    return f"{base}/{name}"


def make_postgres_db() -> tuple[str, callable]:
    """Create an empty PostgreSQL database; returns (url, drop)."""
    name = f"hotich_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_database(name)

    def drop() -> None:
        get_engine(url).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A migrated, empty commune database on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'hotich.db'}"
        upgrade(url)
        yield url
        get_engine(url).dispose()
        return
    if os.environ.get("TEST_SKIP_POSTGRES") == "1":
        pytest.skip("TEST_SKIP_POSTGRES=1")
    url, drop = make_postgres_db()
    try:
        upgrade(url)
        yield url
    finally:
        drop()


@pytest.fixture
def sqlite_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'hotich.db'}"
    upgrade(url)
    yield url
    get_engine(url).dispose()
