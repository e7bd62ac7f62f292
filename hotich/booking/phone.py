"""Vietnamese mobile numbers: 03x/05x/07x/08x/09x + 8 digits, also written +84 / 84 / with spaces.

Personal data: callers must never log the number, only whether it was valid.
"""
from __future__ import annotations

import re

_MOBILE = re.compile(r"^0[35789]\d{8}$")
# A run of digits with the separators people type: "0912 345 678", "+84 912.345.678", "(+84)912-345-678".
_CANDIDATE = re.compile(r"(?:\(?\+?84\)?[\s.-]?|0)\d(?:[\s.-]?\d){7,9}")


def normalize_phone(text: str) -> str | None:
    """'+84 912 345 678' → '0912345678'; None if it is not a Vietnamese mobile number."""
    digits = re.sub(r"[\s.()\-]", "", text or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits if _MOBILE.match(digits) else None


def find_phone(text: str) -> tuple[str | None, str]:
    """The first valid mobile number in free text, and the text without it.

    Returns (None, text) when there is none.
    """
    for m in _CANDIDATE.finditer(text or ""):
        number = normalize_phone(m.group(0))
        if number:
            return number, (text[:m.start()] + " " + text[m.end():]).strip()
    return None, text


def has_digits(text: str) -> bool:
    return any(ch.isdigit() for ch in text or "")


def mask_phone(number: str) -> str:
    """'0912345678' → '0912 *** 678' (what the bot echoes back)."""
    return f"{number[:4]} *** {number[-3:]}" if number and len(number) >= 7 else "***"


def pretty_phone(number: str) -> str:
    return f"{number[:4]} {number[4:7]} {number[7:]}" if number and len(number) == 10 else number
