"""Resident text → the terms the lexical index counts: accent-folded syllables and bigrams.

"Đăng kí kết hôn vs ng nước ngoài" → normalize_message (NFC, tone placement, "vs" → "với",
"ng" → "người") → fold → ["dang", "ki", "ket", "hon", …] plus "dang_ki", "ki_ket", …
Bigrams keep "nuoc_ngoai" (foreign) apart from "trong_nuoc" although both contain "nuoc".
"""
from __future__ import annotations

import re

from hotich.text.normalize import fold, normalize_message

_WORD_RE = re.compile(r"[a-z0-9]+")
# Both spellings are in use ("ký"/"kí", "lý"/"lí"): one term for each pair.
_I_Y = {"ky": "ki", "ly": "li", "my": "mi", "sy": "si", "ty": "ti", "hy": "hi"}
# Politeness particles and address words: present in almost every letter, never the point.
_FILLER = frozenset({"a", "ah", "oi", "nhe", "nha", "voi", "cho", "em", "anh", "chi", "minh",
                     "toi", "ban", "admin", "xin", "hoi", "cam", "on", "la", "thi", "ma", "va",
                     "nhu", "the", "nao", "vay", "gi", "de", "duoc", "khong", "co", "nhung",
                     "cua", "mot", "cac", "nay", "do", "ra", "di", "o", "neu", "khi", "can"})


def syllables(text: str) -> list[str]:
    """Folded syllables of the normalised text, fillers kept (bigrams need their neighbours)."""
    return [_I_Y.get(w, w) for w in _WORD_RE.findall(fold(normalize_message(text)))]


def terms(text: str) -> list[str]:
    """Unigrams (without fillers) and all adjacent bigrams."""
    syl = syllables(text)
    uni = [s for s in syl if s not in _FILLER]
    bi = [f"{a}_{b}" for a, b in zip(syl, syl[1:]) if not (a in _FILLER and b in _FILLER)]
    return uni + bi
