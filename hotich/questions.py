"""Question log: what residents ask and whether the bot could answer (redacted, for analytics)."""
from __future__ import annotations


from hotich.db.models import QuestionLog
from hotich.db.session import session_scope
from hotich.identity import resident_id_for
from hotich.privacy.redact import redact


def log_question(db_url: str, sender_id: str, text: str, intent: str | None, procedure: str | None,
                 confidence: float | None, outcome: str) -> None:
    if not text or text.startswith("/"):
        return  # button presses are not questions
    with session_scope(db_url) as s:
        s.add(QuestionLog(resident_id=resident_id_for(s, sender_id), sender_id=sender_id,
                          text_redacted=redact(text)[:1000], intent=intent, procedure=procedure,
                          confidence=confidence, outcome=outcome))
