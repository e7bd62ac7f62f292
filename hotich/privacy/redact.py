"""Strip personal data from free text before it is stored for analytics (Nghị định 13/2023)."""
from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Vietnamese phone numbers: 0xxxxxxxxx / +84xxxxxxxxx / 84..., with optional spaces, dots or dashes.
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)\d{9}(?:\d{3})?(?!\d)")       # CMND (9) / CCCD (12)
_LONG_DIGITS = re.compile(r"\d{6,}")


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text or "")
    text = _PHONE.sub("[sđt]", text)
    text = _ID_NUMBER.sub("[số giấy tờ]", text)
    return _LONG_DIGITS.sub("[số]", text)
