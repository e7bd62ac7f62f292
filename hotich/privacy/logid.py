"""Pseudonyms for logs: a short keyed hash instead of a web session id or a sender id.

A web session id is the resident's identity on the web chat (whoever holds it reads the chat), so
it never reaches a log. The same id always gives the same pseudonym within a deployment, which
keeps the lines of one conversation together; without the key the pseudonym cannot be turned back
or recomputed from a guessed id. The key comes from LOG_ID_KEY, or is random for the process.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets

_key: bytes = secrets.token_bytes(32)


def set_log_key(key: str) -> None:
    """Use LOG_ID_KEY (stable pseudonyms across restarts); empty keeps the random process key."""
    global _key
    if key:
        _key = key.encode("utf-8")


def log_id(value: str) -> str:
    """'<channel>:' kept readable, the id itself replaced by 10 hex characters of HMAC-SHA256."""
    channel, sep, rest = value.partition(":")
    if not sep:
        channel, rest = "", value
    digest = hmac.new(_key, rest.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
    return f"{channel}:{digest}" if channel else digest
