"""Shared plumbing for the actions: settings, KB and profile loaded once; sending replies."""
from __future__ import annotations

import logging
import time
from functools import lru_cache
from typing import Any

from rasa_sdk import Tracker
from sqlalchemy.exc import SQLAlchemyError
from rasa_sdk.executor import CollectingDispatcher

from hotich.assistant.replies import ReplyMessage
from hotich.commune import CommuneProfile, load_profile
from hotich.commune_settings import effective_profile
from hotich.config import Settings, load_settings
from hotich.privacy.logid import log_id, set_log_key
from hotich.kb import KnowledgeBase
from hotich.questions import log_question

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def settings() -> Settings:
    loaded = load_settings()
    set_log_key(loaded.log_id_key)   # the same pseudonyms as the gateway when LOG_ID_KEY is set
    return loaded


@lru_cache(maxsize=1)
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(settings().kb_dir)


@lru_cache(maxsize=1)
def _profile_file() -> CommuneProfile:
    return load_profile(settings().commune_profile)


_PROFILE_TTL_S = 15.0
_profile_cache: tuple[float, CommuneProfile] | None = None


def profile() -> CommuneProfile:
    """The commune profile with the settings officers saved on the desk; re-read every few
    seconds so a change of hours, holidays or seats applies without restarting the server."""
    global _profile_cache
    now = time.monotonic()
    if _profile_cache is None or now - _profile_cache[0] > _PROFILE_TTL_S:
        try:
            current = effective_profile(_profile_file(), settings().database_url)
        except SQLAlchemyError as exc:   # DB busy or down: the file's settings still answer residents
            log.warning("commune settings not readable (%s); using the profile file", type(exc).__name__)
            current = _profile_cache[1] if _profile_cache else _profile_file()
        _profile_cache = (now, current)
    return _profile_cache[1]


def send(dispatcher: CollectingDispatcher, *messages: ReplyMessage) -> None:
    for m in messages:
        dispatcher.utter_message(text=m.text, buttons=[{"title": b.title, "payload": b.payload} for b in m.buttons])


def latest(tracker: Tracker) -> tuple[str, str | None, float | None]:
    msg: dict[str, Any] = tracker.latest_message or {}
    intent = msg.get("intent") or {}
    return msg.get("text") or "", intent.get("name"), intent.get("confidence")


def entity(tracker: Tracker, name: str) -> str | None:
    return next(tracker.get_latest_entity_values(name), None)


def case_of(tracker: Tracker, procedure: str | None) -> str | None:
    """The sub-case being discussed (slot `case` = "<procedure>:<case>") when it is `procedure`'s."""
    value = tracker.get_slot("case") or ""
    proc, _, case = value.partition(":")
    return case if procedure and proc == procedure and case else None


def record(tracker: Tracker, outcome: str, procedure: str | None = None, *, route: str | None = None,
           entry_id: str | None = None, score: float | None = None) -> None:
    """Log the resident's question (redacted) and what the router decided. Never lets a DB
    problem break the answer."""
    text, intent, confidence = latest(tracker)
    try:
        log_question(settings().database_url, tracker.sender_id, text, intent, procedure, confidence, outcome,
                     route=route, entry_id=entry_id, score=score)
    except Exception:  # analytics must not cost the resident an answer
        log.exception("question log failed for sender %s", log_id(tracker.sender_id))
