"""Question log: what residents ask and whether the bot could answer (redacted, for analytics)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from hotich.db.base import utcnow
from hotich.db.models import QuestionLog
from hotich.db.session import session_scope
from hotich.identity import resident_id_for
from hotich.privacy.redact import redact

# Outcomes where the bot did not give one confident answer.
MISSED_OUTCOMES = ("fallback", "none", "clarify")
# Below this NLU confidence an answer counts as a guess worth reviewing.
LOW_CONFIDENCE = 0.6


def log_question(db_url: str, sender_id: str, text: str, intent: str | None, procedure: str | None,
                 confidence: float | None, outcome: str, *, route: str | None = None,
                 entry_id: str | None = None, score: float | None = None) -> None:
    if not text or text.startswith("/"):
        return  # button presses are not questions
    with session_scope(db_url) as s:
        s.add(QuestionLog(resident_id=resident_id_for(s, sender_id), sender_id=sender_id,
                          text_redacted=redact(text)[:1000], intent=intent, procedure=procedure,
                          confidence=confidence, outcome=outcome, route=route, entry_id=entry_id,
                          score=score))


@dataclass(frozen=True)
class Unanswered:
    text: str                 # redacted, as the first resident wrote it
    count: int
    outcomes: dict[str, int]  # "fallback" / "none" / "clarify" / "low_confidence" → times
    last_at: datetime


def unanswered(db_url: str, days: int = 30, now: datetime | None = None) -> list[Unanswered]:
    """Messages the bot missed, hesitated on or guessed, grouped by text, most frequent first."""
    since = (now or utcnow()) - timedelta(days=days)
    with session_scope(db_url) as s:
        rows = s.execute(select(QuestionLog.text_redacted, QuestionLog.outcome, QuestionLog.confidence,
                                QuestionLog.created_at)
                         .where(QuestionLog.created_at >= since,
                                or_(QuestionLog.outcome.in_(MISSED_OUTCOMES),
                                    QuestionLog.confidence < LOW_CONFIDENCE))
                         .order_by(QuestionLog.created_at)).all()
    groups: dict[str, tuple[str, Counter, datetime]] = {}
    for text, outcome, confidence, at in rows:
        key = " ".join(text.lower().split())
        kind = outcome if outcome in MISSED_OUTCOMES else "low_confidence"
        first, kinds, _ = groups.get(key, (text, Counter(), at))
        kinds[kind] += 1
        groups[key] = (first, kinds, at)
    out = [Unanswered(first, sum(k.values()), dict(k), last) for first, k, last in groups.values()]
    return sorted(out, key=lambda u: (-u.count, u.text))
