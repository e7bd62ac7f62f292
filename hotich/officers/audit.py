"""The officer audit log: who did what on the desk and when — never the content of papers or chats."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from hotich.db.models import OfficerAudit
from hotich.db.session import session_scope
from hotich.officers.accounts import Officer


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    username: str
    action: str
    target: str | None
    detail: str | None


def record(db_url: str, officer: Officer | None, action: str, target: str | None = None,
           detail: str | None = None, username: str | None = None) -> None:
    with session_scope(db_url) as s:
        s.add(OfficerAudit(officer_id=officer.id if officer else None,
                           username=officer.username if officer else (username or "?")[:64],
                           action=action[:32], target=(target or None) and target[:64],
                           detail=(detail or None) and detail[:200]))


def recent(db_url: str, limit: int = 100) -> list[AuditRow]:
    with session_scope(db_url) as s:
        rows = s.scalars(select(OfficerAudit).order_by(OfficerAudit.id.desc()).limit(limit))
        return [AuditRow(r.created_at, r.username, r.action, r.target, r.detail) for r in rows]
