"""The shape of a message: is it a short chat turn or a resident describing a situation?

Pure Python (runs inside Rasa's venv too). Short turns ("lệ phí bao nhiêu", "ok", a button) are
what the intent classifier is trained on; a family story of two sentences or twenty words is not,
and goes to the FAQ search instead.
"""
from __future__ import annotations

import re

LONG_WORDS = 12          # "chồng tôi là người Hàn Quốc, đăng ký kết hôn ở xã được không" is 13
MIN_SENTENCE_WORDS = 3   # "Dạ. Cho hỏi ạ." is not two sentences of content
_SENTENCE_END = re.compile(r"[.!?;\n]+")


def word_count(text: str) -> int:
    return len(re.findall(r"\w+", text or ""))


def sentences(text: str) -> list[str]:
    """Pieces of `text` with at least MIN_SENTENCE_WORDS words."""
    return [p for p in _SENTENCE_END.split(text or "") if word_count(p) >= MIN_SENTENCE_WORDS]


def is_long_message(text: str) -> bool:
    """A narrative: many words, or more than one sentence of content. Button payloads never are."""
    if not text or text.startswith("/"):
        return False
    return word_count(text) >= LONG_WORDS or len(sentences(text)) >= 2
