"""Figures for the officer's statistics page: what residents ask, how often the bot could answer,
appointments per day, papers reviewed (the unanswered questions themselves: hotich.questions). Aggregated in Python so SQLite and PostgreSQL agree on
week boundaries; a commune's volume is small."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hotich import procedures
from hotich.db.models import Booking, QuestionLog, UploadSubmission
from hotich.db.session import session_scope
from hotich.questions import MISSED_OUTCOMES

ANSWERED = frozenset({"answered"})
# Outcomes that mean the resident did not get an answer from the knowledge base.
UNANSWERED = frozenset(MISSED_OUTCOMES) | {"out_of_scope"}
TOPIC_OF_INTENT = {"ask_documents": "Giấy tờ", "ask_fee": "Lệ phí", "ask_processing_time": "Thời gian",
                   "ask_deadline": "Thời hạn", "ask_online": "Trực tuyến", "ask_who_comes": "Ai phải có mặt",
                   "ask_office_info": "Giờ làm việc, địa chỉ", "book_appointment": "Đặt lịch",
                   "upload_documents": "Gửi trước hồ sơ", "talk_to_officer": "Gặp cán bộ"}


@dataclass(frozen=True)
class QuestionFigures:
    weeks: list[date]                                  # Monday of each week, oldest first
    by_procedure: dict[str, list[int]]                 # procedure name → count per week
    by_topic: dict[str, list[int]]                     # topic label → count per week
    answered: int
    unanswered: int

    @property
    def answered_share(self) -> float:
        total = self.answered + self.unanswered
        return self.answered / total if total else 0.0


def _local_day(dt: datetime, tz: ZoneInfo) -> date:
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(tz).date()


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def question_figures(db_url: str, today: date, weeks: int, tz: str = "Asia/Ho_Chi_Minh") -> QuestionFigures:
    zone = ZoneInfo(tz)
    mondays = [_monday(today) - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    since = datetime.combine(mondays[0], datetime.min.time(), zone)
    index = {m: i for i, m in enumerate(mondays)}
    by_proc: dict[str, list[int]] = {}
    by_topic: dict[str, list[int]] = {}
    answered = unanswered = 0
    with session_scope(db_url) as s:
        rows = s.execute(select(QuestionLog.created_at, QuestionLog.procedure, QuestionLog.intent, QuestionLog.outcome)
                         .where(QuestionLog.created_at >= since)).all()
    for created, proc, intent, outcome in rows:
        week = index.get(_monday(_local_day(created, zone)))
        if week is None:
            continue
        p = procedures.get(proc)
        by_proc.setdefault(p.name if p else "Chưa rõ thủ tục", [0] * weeks)[week] += 1
        by_topic.setdefault(TOPIC_OF_INTENT.get(intent or "", "Khác"), [0] * weeks)[week] += 1
        if outcome in ANSWERED:
            answered += 1
        elif outcome in UNANSWERED:
            unanswered += 1
    return QuestionFigures(mondays, by_proc, by_topic, answered, unanswered)


def appointments_per_day(db_url: str, first: date, last: date) -> list[tuple[date, int]]:
    with session_scope(db_url) as s:
        days = s.scalars(select(Booking.day).where(Booking.day >= first, Booking.day <= last,
                                                   Booking.status == "booked")).all()
    counts = Counter(days)
    return [(first + timedelta(days=i), counts.get(first + timedelta(days=i), 0))
            for i in range((last - first).days + 1)]


def papers_reviewed(db_url: str, since: datetime, tz: str = "Asia/Ho_Chi_Minh") -> list[tuple[date, int]]:
    zone = ZoneInfo(tz)
    with session_scope(db_url) as s:
        stamps = s.scalars(select(UploadSubmission.reviewed_at).where(UploadSubmission.reviewed_at >= since)).all()
    counts = Counter(_local_day(t, zone) for t in stamps)
    return sorted(counts.items())
