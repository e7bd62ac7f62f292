"""A person's full name as residents type it ("tên tôi là nguyễn văn an" → "Nguyễn Văn An").

Pure text handling: no database, no Rasa. Personal data: callers never log the result.
"""
from __future__ import annotations

import re

from hotich.procedures import canonical_procedure
from hotich.text.normalize import fold

_INTRO = re.compile(r"^\s*(?:tên\s+(?:tôi|em|mình|cháu|con)\s+là|tôi\s+là|em\s+là|mình\s+là|họ\s+tên\s*:?|tên\s*:?)\s*",
                    re.IGNORECASE)
_NAME = re.compile(r"^[^\W\d_]+(?:[\s'.-]+[^\W\d_]+){1,6}$")
# A question or a procedure is not a name, even when it has the shape of one.
_QUESTION_WORDS = re.compile(r"\b(bao nhieu|bao lau|the nao|o dau|khong|gi|nao|sao|may|khi nao|duoc)\b|\?")


def parse_name(text: str) -> str | None:
    """The full name (2–7 words, letters only) in `text`, capitalised; None when it is not one."""
    t = _INTRO.sub("", (text or "").strip()).strip(" .,!")
    if not t or len(t) > 80 or not _NAME.match(t):
        return None
    if _QUESTION_WORDS.search(fold(t)) or canonical_procedure(t):
        return None
    return " ".join(w[:1].upper() + w[1:].lower() for w in t.split())
