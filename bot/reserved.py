"""Rasa intents only the gateway itself may send (never a resident's button or typed text).

A button payload comes back from the resident's device, so anything can arrive in its place: a
modified Telegram client can send any callback_data, a script any JSON. Payloads of our own
buttons are ordinary intents the resident may trigger anyway; these few are not.
"""
from __future__ import annotations

RESERVED_INTENTS = frozenset({"handoff_returned"})   # the officer handed the chat back (bot/handoff.py)


def is_reserved(payload: str) -> bool:
    if not payload.startswith("/"):
        return False
    intent = payload[1:].split("{", 1)[0].split("@", 1)[0].strip().lower()
    return intent in RESERVED_INTENTS
