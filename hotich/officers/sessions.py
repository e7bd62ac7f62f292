"""Desk sign-in sessions kept server-side: the cookie holds a random token, the DB its SHA-256.

A session ends on sign-out, when the account is removed, or after IDLE minutes without a
request; a request on an expired session finds nothing and is sent back to the sign-in page.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, select

from hotich.db.base import utcnow
from hotich.db.models import DeskFormToken, DeskSession, OfficerAccount
from hotich.db.session import session_scope
from hotich.officers.accounts import Officer, _view

FORM_TOKEN_KEEP = timedelta(days=2)


@dataclass(frozen=True)
class SignedIn:
    officer: Officer
    csrf_token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(dt: datetime) -> datetime:
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def open_session(db_url: str, officer_id: int) -> tuple[str, str]:
    """(cookie token, CSRF token) of a new session."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    with session_scope(db_url) as s:
        s.add(DeskSession(token_hash=_hash(token), officer_id=officer_id, csrf_token=csrf))
    return token, csrf


def resume(db_url: str, token: str | None, idle: timedelta, now: datetime | None = None) -> SignedIn | None:
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    with session_scope(db_url) as s:
        row = s.scalar(select(DeskSession).where(DeskSession.token_hash == _hash(token)))
        if row is None:
            return None
        if _aware(row.last_seen_at) + idle < now:
            s.delete(row)
            return None
        account = s.get(OfficerAccount, row.officer_id)
        if account is None or not account.active:
            s.delete(row)
            return None
        row.last_seen_at = now
        return SignedIn(_view(account), row.csrf_token)


def close_session(db_url: str, token: str | None) -> None:
    if token:
        with session_scope(db_url) as s:
            s.execute(delete(DeskSession).where(DeskSession.token_hash == _hash(token)))


def new_form_token() -> str:
    return secrets.token_urlsafe(18)


def use_form_token(db_url: str, token: str | None) -> bool:
    """True the first time a rendered form is submitted, False for a double submit."""
    from sqlalchemy.exc import IntegrityError

    if not token or len(token) > 64:
        return False
    try:
        with session_scope(db_url) as s:
            s.add(DeskFormToken(token=token))
            s.execute(delete(DeskFormToken).where(DeskFormToken.used_at < utcnow() - FORM_TOKEN_KEEP))
    except IntegrityError:
        return False
    return True
