"""Vietnamese text as residents type it → text the NLU and the keyword matchers can rely on.

Pure Python, no dependencies: imported by the gateway, the actions server *and* by the Rasa
pipeline component (rasa_components/normalizer.py) running in Rasa's own Python 3.10 venv.

Three separate concerns, composed by `normalize_message`:
- `nfc`: iOS/macOS keyboards may send decomposed marks (e + U+0301); Rasa's tokenizer and
  our dictionaries expect the precomposed NFC form. Tone placement "hoà"/"thuỷ" is rewritten
  to "hòa"/"thủy" so both spellings look the same.
- `expand_abbreviations`: chat shorthand ("ko", "đk", "bn", "cccd") → full words.
- `fold`: lower case without diacritics, for matching that ignores accents ("khai tu" == "khai tử").
"""
from __future__ import annotations

import re
import unicodedata

# Tone placement on the oa/oe/uy diphthongs: both spellings are in the wild. Keys carry the
# tone on the first vowel ("hòa", "thủy", "ủy ban": the spelling of our legal sources),
# values on the second ("hoà", "thuỷ"); we rewrite values → keys.
_TONE_PLACEMENT = {
    "òa": "oà", "óa": "oá", "ỏa": "oả", "õa": "oã", "ọa": "oạ",
    "òe": "oè", "óe": "oé", "ỏe": "oẻ", "õe": "oẽ", "ọe": "oẹ",
    "ùy": "uỳ", "úy": "uý", "ủy": "uỷ", "ũy": "uỹ", "ụy": "uỵ",
}
_TO_LEGAL = {second: first for first, second in _TONE_PLACEMENT.items()}
_TO_LEGAL.update({k.upper(): v.upper() for k, v in list(_TO_LEGAL.items())})
# Only at the end of a syllable do the two spellings differ: "toàn", "ngoài", "huỳnh" are
# written one way only. "quý", "quỳ": the u belongs to the consonant qu-, the tone stays on y.
_TO_LEGAL_RE = re.compile(r"(?<![qQ])(" + "|".join(map(re.escape, _TO_LEGAL)) + r")(?!\w)")

# Token → expansion. Keys are matched on whole tokens, case-insensitively, with or without
# diacritics (the key is folded before lookup). Keep entries unambiguous in this domain.
ABBREVIATIONS: dict[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "hok": "không", "hong": "không", "khong": "không",
    "kg": "không", "kô": "không", "0k": "không",
    "dk": "đăng ký", "dky": "đăng ký", "dki": "đăng ký", "dang ki": "đăng ký",
    "dc": "được", "duoc": "được",
    "j": "gì", "gi": "gì",
    "bn": "bao nhiêu", "bnh": "bao nhiêu", "bnhieu": "bao nhiêu", "bao nhieu": "bao nhiêu",
    "ntn": "như thế nào", "nthe nao": "như thế nào",
    "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "cmt": "chứng minh nhân dân",
    "gks": "giấy khai sinh", "gcn": "giấy chứng nhận", "gcnkh": "giấy chứng nhận kết hôn",
    "xnhn": "xác nhận tình trạng hôn nhân", "xntthn": "xác nhận tình trạng hôn nhân",
    "xntt": "xác nhận tình trạng hôn nhân",
    "hs": "hồ sơ", "tt": "thủ tục", "lp": "lệ phí", "tg": "thời gian",
    "ubnd": "ủy ban nhân dân", "ubx": "ủy ban xã",
    "sdt": "số điện thoại", "sđt": "số điện thoại", "dt": "điện thoại",
    "vs": "với", "r": "rồi", "ck": "chồng", "vk": "vợ", "bh": "bao giờ", "bgio": "bao giờ",
    "mk": "mình", "mik": "mình", "mh": "mình", "mn": "mọi người", "ad": "admin",
    "trc": "trước", "tr": "trước", "ng": "người", "nguoi": "người",
    "cx": "cũng", "cug": "cũng", "ntn?": "như thế nào?", "z": "vậy", "v": "vậy", "vay": "vậy",
    "ok": "ok", "oke": "ok", "okie": "ok", "uh": "ừ", "um": "ừ",
    "nhiu": "nhiêu", "bnhiu": "bao nhiêu", "bao nhiu": "bao nhiêu",
    "t2": "thứ hai", "t3": "thứ ba", "t4": "thứ tư", "t5": "thứ năm", "t6": "thứ sáu",
    "t7": "thứ bảy", "cn": "chủ nhật",
}

_TOKEN_RE = re.compile(r"\w+|[^\w\s]+|\s+", re.UNICODE)
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def nfc(text: str) -> str:
    """Precomposed Unicode, one tone placement, single spaces."""
    text = unicodedata.normalize("NFC", text or "")
    text = _TO_LEGAL_RE.sub(lambda m: _TO_LEGAL[m.group(0)], text)
    return re.sub(r"\s+", " ", text).strip()


def fold(text: str) -> str:
    """Lower case, no diacritics, đ→d: 'Đăng Ký Khai Tử' → 'dang ky khai tu'."""
    decomposed = unicodedata.normalize("NFD", (text or "").translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return re.sub(r"\s+", " ", stripped.lower()).strip()


# Two-word keys ("dang ki") are matched before single tokens.
_MULTI_WORD = {k: v for k, v in ABBREVIATIONS.items() if " " in k}
_SINGLE_WORD = {fold(k): v for k, v in ABBREVIATIONS.items() if " " not in k}


def expand_abbreviations(text: str) -> str:
    """Replace chat shorthand by full words, keeping everything else as typed."""
    tokens = _TOKEN_RE.findall(text)
    out: list[str] = []
    for token in tokens:
        if token.isspace() or not token[0].isalnum():
            out.append(token)
            continue
        out.append(_SINGLE_WORD.get(fold(token), token))
    result = "".join(out)
    for key, value in _MULTI_WORD.items():
        result = re.sub(rf"(?<!\w){re.escape(key)}(?!\w)", value, result, flags=re.IGNORECASE)
    return result


def _normalize_piece(text: str) -> str:
    """normalize_message without touching whitespace, so pieces can be concatenated."""
    text = unicodedata.normalize("NFC", text)
    text = _TO_LEGAL_RE.sub(lambda m: _TO_LEGAL[m.group(0)], text)
    return expand_abbreviations(text).lower()


def normalize_message(text: str) -> str:
    """What the NLU sees: NFC, one tone placement, abbreviations expanded, lower case."""
    return re.sub(r"\s+", " ", _normalize_piece(text or "")).strip()


def normalize_with_spans(text: str, spans: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """Normalise annotated training text and move the (start, end) entity spans along.

    Each stretch between span boundaries is normalised on its own, so an abbreviation that
    grows ("dk" → "đăng ký") shifts the spans after it instead of breaking them.
    """
    cuts = sorted({0, len(text), *(i for span in spans for i in span)})
    new_pos: dict[int, int] = {0: 0}
    out = []
    for a, b in zip(cuts, cuts[1:]):
        out.append(_normalize_piece(text[a:b]))
        new_pos[b] = new_pos[a] + len(out[-1])
    return "".join(out), [(new_pos[s], new_pos[e]) for s, e in spans]


def contains_folded(haystack: str, needle: str) -> bool:
    """Whole-word containment ignoring case and diacritics."""
    h, n = fold(haystack), fold(needle)
    return bool(n) and re.search(rf"(?<!\w){re.escape(n)}(?!\w)", h) is not None
