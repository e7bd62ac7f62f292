"""The schema is built by Alembic the same way on SQLite and PostgreSQL, and can be torn down."""
from sqlalchemy import inspect

from hotich.db.migrate import downgrade, upgrade
from hotich.db.models import Base
from hotich.db.session import get_engine


def test_migrations_create_every_model_table(db_url):
    tables = set(inspect(get_engine(db_url)).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_then_upgrade_again(db_url):
    downgrade(db_url, "base")
    assert not set(Base.metadata.tables) & set(inspect(get_engine(db_url)).get_table_names())
    upgrade(db_url)
    assert set(Base.metadata.tables) <= set(inspect(get_engine(db_url)).get_table_names())
