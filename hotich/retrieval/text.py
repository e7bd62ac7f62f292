"""Resident text → the terms the lexical index counts: accent-folded syllables and bigrams.

"Đăng kí kết hôn vs ng nước ngoài" → normalize_message (NFC, tone placement, "vs" → "với",
"ng" → "người") → fold → ["dang", "ki", "ket", "hon", …] plus "dang_ki", "ki_ket", …
Bigrams keep "nuoc_ngoai" (foreign) apart from "trong_nuoc" although both contain "nuoc".
"""
from __future__ import annotations

import re

from hotich.text.normalize import fold, nfc, normalize_message

# Procedure shorthand residents use in chat, expanded before normalize_message, which reads
# "kh" as "không" ("dc kh" = "được không"): right after "dk"/"đăng ký" it means kết hôn.
_SHORTHAND = [
    (re.compile(r"(?<!\w)(dk|đk|dang ky|đăng ký|dang ki|đăng kí) kh(?!\w)"), "đăng ký kết hôn"),
    (re.compile(r"(?<!\w)(dkkh|đkkh)(?!\w)"), "đăng ký kết hôn"),
    (re.compile(r"(?<!\w)(dkks|đkks)(?!\w)"), "đăng ký khai sinh"),
    (re.compile(r"(?<!\w)(dkkt|đkkt)(?!\w)"), "đăng ký khai tử"),
    (re.compile(r"(?<!\w)ks(?!\w)"), "khai sinh"),
    (re.compile(r"(?<!\w)kt(?!\w)"), "khai tử"),
    (re.compile(r"(?<!\w)gkh(?!\w)"), "giấy kết hôn"),
    (re.compile(r"(?<!\w)(gct|gchungtu)(?!\w)"), "giấy chứng tử"),
    (re.compile(r"(?<!\w)gbt(?!\w)"), "giấy báo tử"),
    (re.compile(r"(?<!\w)gcs(?!\w)"), "giấy chứng sinh"),
]


def prepare(text: str) -> str:
    """normalize_message plus the procedure shorthand: the text both indexes compare."""
    out = nfc(text).lower()
    for pattern, full in _SHORTHAND:
        out = pattern.sub(full, out)
    return normalize_message(out)

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
    return [_I_Y.get(w, w) for w in _WORD_RE.findall(fold(prepare(text)))]


def terms(text: str) -> list[str]:
    """Unigrams (without fillers) and all adjacent bigrams."""
    syl = syllables(text)
    uni = [s for s in syl if s not in _FILLER]
    bi = [f"{a}_{b}" for a, b in zip(syl, syl[1:]) if not (a in _FILLER and b in _FILLER)]
    return uni + bi
