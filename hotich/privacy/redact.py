"""Strip personal data from free text before it is stored for analytics (Nghị định 13/2023)."""
from __future__ import annotations

import re

_SEP = r"[\s.\-–_/]*"           # what people put between digit groups: spaces, dots, dashes
_AT = r"(?:@|\s*[\(\[\{]\s*(?:at|a còng|a cong)\s*[\)\]\}]\s*|\s+(?:at|a còng|a cong)\s+)"
_DOT = r"(?:\.|\s*[\(\[\{]\s*(?:dot|chấm|cham)\s*[\)\]\}]\s*|\s+(?:dot|chấm|cham)\s+)"
# a@b.c, and the spelled-out forms "ten (at) gmail [dot] com", "ten a còng gmail chấm com"
_EMAIL = re.compile(rf"[\w.+-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)+", re.IGNORECASE)
# Vietnamese phone numbers: 0xxxxxxxxx / +84 / 84 / (+84), digits grouped by spaces, dots or dashes.
_PHONE = re.compile(rf"(?<![\w+])(?:\(\s*\+?84\s*\)|\+?84|0){_SEP}\d(?:{_SEP}\d){{7,9}}(?!\d)")
# CCCD (12 digits) typed in groups ("001 203 004 567"): before phones, which start with 0 too
_CCCD_GROUPED = re.compile(r"(?<!\d)\d{3}(?:[\s.\-]\d{3}){3}(?!\d)")
# CMND (9 digits) / CCCD (12)
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{3}[\s.\-]?){2}\d{3}(?:[\s.\-]?\d{3})?(?!\d)")
_LONG_DIGITS = re.compile(r"\d{6,}")


def redact(text: str) -> str:
    text = _EMAIL.sub("[email]", text or "")
    text = _CCCD_GROUPED.sub("[số giấy tờ]", text)
    text = _PHONE.sub("[sđt]", text)
    text = _ID_NUMBER.sub("[số giấy tờ]", text)
    return _LONG_DIGITS.sub("[số]", text)
