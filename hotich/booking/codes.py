"""Short booking codes a resident can read out over the phone: no 0/O, 1/I/L, 5/S, 2/Z, 8/B."""
from __future__ import annotations

import re
import secrets

ALPHABET = "34679ACDEFGHJKMNPQRTUVWXY"
LENGTH = 6
_CODE_RE = re.compile(rf"(?<![A-Za-z0-9])([{ALPHABET}{ALPHABET.lower()}]{{{LENGTH}}})(?![A-Za-z0-9])")


def new_code() -> str:
    """Random code with at least one digit (so `find_code` recognises it in a sentence)."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
        if any(c.isdigit() for c in code):
            return code


def normalize_code(text: str) -> str | None:
    code = (text or "").strip().upper().replace("-", "").replace(" ", "")
    return code if len(code) == LENGTH and all(c in ALPHABET for c in code) else None


def find_code(text: str) -> str | None:
    """A booking code typed inside a message ("hủy lịch K7M2QX"). Needs a digit, so that
    ordinary 6-letter words are not taken for codes."""
    for m in _CODE_RE.finditer(text or ""):
        token = m.group(1)
        if any(c.isdigit() for c in token):
            return token.upper()
    return None
