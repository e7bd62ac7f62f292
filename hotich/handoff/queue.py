"""Where a waiting resident stands in the queue, and how long they may wait."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select

from hotich.db.models import HandoffAudit, HandoffConversation
from hotich.db.session import session_scope
from hotich.handoff.hours import OfficerHours
from hotich.handoff.ownership import WAITING

DEFAULT_HANDLE = timedelta(minutes=10)     # before there is any history to learn from
MIN_HANDLE, MAX_HANDLE = timedelta(minutes=3), timedelta(minutes=30)
HISTORY = 20


@dataclass(frozen=True)
class QueueStatus:
    position: int                  # 1 = next
    open_now: bool
    eta: datetime | None           # rough time the officer should reach this chat


def position(db_url: str, conv_id: int) -> int | None:
    """1 for the oldest waiting chat; None when this one is not waiting."""
    with session_scope(db_url) as s:
        me = s.get(HandoffConversation, conv_id)
        if me is None or me.owner != WAITING or me.requested_at is None:
            return None
        ahead = s.scalar(select(func.count()).select_from(HandoffConversation).where(
            HandoffConversation.owner == WAITING,
            or_(HandoffConversation.requested_at < me.requested_at,
                and_(HandoffConversation.requested_at == me.requested_at, HandoffConversation.id < me.id))))
        return int(ahead or 0) + 1


def waiting_count(db_url: str) -> int:
    """Escalations waiting for an officer right now (all channels)."""
    with session_scope(db_url) as s:
        return int(s.scalar(select(func.count()).select_from(HandoffConversation)
                            .where(HandoffConversation.owner == WAITING)) or 0)


def average_handling(db_url: str) -> timedelta:
    """Mean time from take to close over the latest closed hand-offs, bounded."""
    with session_scope(db_url) as s:
        rows = s.execute(select(HandoffAudit.conversation_id, HandoffAudit.ticket, HandoffAudit.action,
                                HandoffAudit.created_at)
                         .where(HandoffAudit.action.in_(("take", "close")))
                         .order_by(HandoffAudit.id.desc()).limit(HISTORY * 4)).all()
    closes = {(c, t): at for c, t, a, at in rows if a == "close"}
    takes = {(c, t): at for c, t, a, at in rows if a == "take"}
    spans = [closes[k] - takes[k] for k in closes if k in takes and closes[k] >= takes[k]][:HISTORY]
    if not spans:
        return DEFAULT_HANDLE
    avg = sum(spans, timedelta()) / len(spans)
    return min(max(avg, MIN_HANDLE), MAX_HANDLE)


def status(db_url: str, conv_id: int, hours: OfficerHours) -> QueueStatus | None:
    pos = position(db_url, conv_id)
    if pos is None:
        return None
    now = hours.now()
    start = hours.next_open(now)
    eta = None if start is None else start + (pos - 1) * average_handling(db_url)
    return QueueStatus(pos, hours.is_open(now), eta)


def wait_text(st: QueueStatus, hours: OfficerHours) -> str:
    """What the waiting resident reads."""
    if st.open_now:
        minutes = max(1, round((st.eta - hours.now()).total_seconds() / 60)) if st.eta else None
        ahead = "Bạn là người tiếp theo." if st.position == 1 else f"Bạn đang ở vị trí số {st.position} trong hàng chờ."
        wait = f" Thời gian chờ dự kiến khoảng {minutes} phút." if minutes and st.position > 1 else ""
        return ahead + wait
    when = hours.describe(st.eta) if st.eta else "giờ làm việc tiếp theo"
    return (f"Hiện đã ngoài giờ làm việc của cán bộ. Cán bộ sẽ trả lời bạn từ khoảng {when}. "
            f"Bạn đang ở vị trí số {st.position} trong hàng chờ; bạn cứ để lại lời nhắn tại đây, "
            "cán bộ sẽ đọc khi vào làm việc.")
