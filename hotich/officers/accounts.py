"""Officer accounts: argon2id password hashes, lock-out after repeated wrong passwords.

`authenticate` never says which of username or password was wrong, and spends the same hashing
work for an unknown username, so the sign-in page cannot be used to find valid usernames.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from hotich.db.base import utcnow
from hotich.db.models import OfficerAccount
from hotich.db.session import session_scope

MAX_FAILED_LOGINS = 5          # wrong passwords in a row before the account is locked
LOCKOUT = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
ROLES = ("officer", "admin")

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("không-phải-mật-khẩu-thật")


class AccountError(Exception):
    """A Vietnamese message for the officer or the admin running the CLI."""


class LockedOut(AccountError):
    def __init__(self, until: datetime) -> None:
        super().__init__("Tài khoản tạm khóa do nhập sai mật khẩu nhiều lần. Vui lòng thử lại sau ít phút.")
        self.until = until


@dataclass(frozen=True)
class Officer:
    id: int
    username: str
    role: str
    telegram_id: int | None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def handoff_id(self) -> int:
        """The id this officer owns hand-offs as: the linked Telegram id, else minus the row id."""
        return self.telegram_id if self.telegram_id is not None else -self.id


def _view(row: OfficerAccount) -> Officer:
    return Officer(row.id, row.username, row.role, row.telegram_id)


def _aware(dt: datetime | None) -> datetime | None:
    return dt.replace(tzinfo=timezone.utc) if dt is not None and dt.tzinfo is None else dt


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Mật khẩu cần ít nhất {MIN_PASSWORD_LENGTH} ký tự.")


def add(db_url: str, username: str, password: str, role: str = "officer", telegram_id: int | None = None) -> Officer:
    username = username.strip().lower()
    if not username or len(username) > 64 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise AccountError("Tên đăng nhập chỉ gồm chữ, số, dấu chấm, gạch dưới hoặc gạch ngang (tối đa 64 ký tự).")
    if role not in ROLES:
        raise AccountError(f"Vai trò phải là một trong: {', '.join(ROLES)}.")
    check_password_strength(password)
    with session_scope(db_url) as s:
        if s.scalar(select(OfficerAccount.id).where(OfficerAccount.username == username)) is not None:
            raise AccountError(f"Tài khoản {username} đã có.")
        if telegram_id is not None and s.scalar(
                select(OfficerAccount.id).where(OfficerAccount.telegram_id == telegram_id)) is not None:
            raise AccountError("Tài khoản Telegram này đã gắn với một cán bộ khác.")
        row = OfficerAccount(username=username, password_hash=_hasher.hash(password), role=role,
                             telegram_id=telegram_id, failed_logins=0, active=True)
        s.add(row)
        s.flush()
        return _view(row)


def set_password(db_url: str, username: str, password: str) -> None:
    check_password_strength(password)
    with session_scope(db_url) as s:
        row = s.scalar(select(OfficerAccount).where(OfficerAccount.username == username.strip().lower()))
        if row is None:
            raise AccountError(f"Không có tài khoản {username}.")
        row.password_hash = _hasher.hash(password)
        row.failed_logins, row.locked_until = 0, None


def remove(db_url: str, username: str) -> None:
    """Delete the account; its sessions go with it, its audit rows keep the username."""
    with session_scope(db_url) as s:
        row = s.scalar(select(OfficerAccount).where(OfficerAccount.username == username.strip().lower()))
        if row is None:
            raise AccountError(f"Không có tài khoản {username}.")
        s.delete(row)


def get(db_url: str, officer_id: int) -> Officer | None:
    with session_scope(db_url) as s:
        row = s.get(OfficerAccount, officer_id)
        return _view(row) if row is not None and row.active else None


def all_officers(db_url: str) -> list[Officer]:
    with session_scope(db_url) as s:
        return [_view(r) for r in s.scalars(select(OfficerAccount).where(OfficerAccount.active)
                                            .order_by(OfficerAccount.username))]


def by_handoff_id(db_url: str, handoff_id: int) -> Officer | None:
    """The desk account behind a hand-off owner id (see Officer.handoff_id)."""
    with session_scope(db_url) as s:
        if handoff_id < 0:
            row = s.get(OfficerAccount, -handoff_id)
        else:
            row = s.scalar(select(OfficerAccount).where(OfficerAccount.telegram_id == handoff_id))
        return _view(row) if row is not None else None


def authenticate(db_url: str, username: str, password: str, now: datetime | None = None) -> Officer | None:
    """The officer, or None for a wrong username/password; raises LockedOut while locked."""
    now = now or utcnow()
    with session_scope(db_url) as s:
        row = s.scalar(select(OfficerAccount).where(OfficerAccount.username == (username or "").strip().lower(),
                                                    OfficerAccount.active))
        if row is None:
            try:
                _hasher.verify(_DUMMY_HASH, password or "x")
            except VerificationError:
                pass
            return None
        locked = _aware(row.locked_until)
        if locked is not None and locked > now:
            raise LockedOut(locked)
        try:
            _hasher.verify(row.password_hash, password or "")
        except (VerificationError, InvalidHashError):
            row.failed_logins += 1
            if row.failed_logins >= MAX_FAILED_LOGINS:
                row.locked_until, row.failed_logins = now + LOCKOUT, 0
            return None
        row.failed_logins, row.locked_until = 0, None
        if _hasher.check_needs_rehash(row.password_hash):
            row.password_hash = _hasher.hash(password)
        return _view(row)


class OfficerIds:
    """`officer_id in OfficerIds(...)`: an officer's Telegram id from the settings, or the hand-off
    id of an active desk account (see Officer.handoff_id). Services that check "is this an
    officer" take this instead of a fixed set, so desk accounts added later count at once."""

    def __init__(self, db_url: str, telegram_ids: frozenset[int] = frozenset()) -> None:
        self.db_url = db_url
        self.telegram_ids = telegram_ids

    def __contains__(self, officer_id: object) -> bool:
        if not isinstance(officer_id, int):
            return False
        return officer_id in self.telegram_ids or by_handoff_id(self.db_url, officer_id) is not None


def any_officer(db_url: str) -> bool:
    """True when at least one active desk account exists (the desk can take escalated chats)."""
    with session_scope(db_url) as s:
        return s.scalar(select(OfficerAccount.id).where(OfficerAccount.active).limit(1)) is not None
