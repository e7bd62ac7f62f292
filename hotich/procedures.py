"""The five procedures the village boards point to: canonical codes shared by NLU, KB, DB and QR.

The canonical values are part of the NLU contract (entity `procedure`); the short codes are
used where space is tight (Telegram /start payloads, callback data).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Procedure:
    code: str        # canonical entity value, e.g. "khai_sinh"
    short: str       # 2-letter code for deep links, e.g. "ks"
    name: str        # how the bot names it to a resident


PROCEDURES: tuple[Procedure, ...] = (
    Procedure("khai_sinh", "ks", "Đăng ký khai sinh"),
    Procedure("khai_tu", "kt", "Đăng ký khai tử"),
    Procedure("ket_hon", "kh", "Đăng ký kết hôn"),
    Procedure("chung_thuc", "ct", "Chứng thực"),
    Procedure("xac_nhan_hon_nhan", "xn", "Xác nhận tình trạng hôn nhân"),
)
BY_CODE = {p.code: p for p in PROCEDURES}
BY_SHORT = {p.short: p for p in PROCEDURES}
CODES = tuple(p.code for p in PROCEDURES)


def get(code: str | None) -> Procedure | None:
    return BY_CODE.get(code or "")


# What residents call each procedure, beyond its name. Matched ignoring accents and case, as
# whole words; the longest alias found wins ("mất giấy kết hôn" is kết hôn, not khai tử).
ALIASES: dict[str, tuple[str, ...]] = {
    "khai_sinh": ("khai sinh", "giấy khai sinh", "gks", "làm giấy khai sinh", "khai sanh"),
    "khai_tu": ("khai tử", "giấy chứng tử", "chứng tử", "báo tử", "giấy báo tử", "trích lục khai tử",
                "khai tu"),
    "ket_hon": ("kết hôn", "đăng ký kết hôn", "đăng kí kết hôn", "giấy kết hôn", "giấy đăng ký kết hôn",
                "cưới", "lấy vợ", "lấy chồng", "giấy chứng nhận kết hôn", "trích lục kết hôn",
                "mất giấy kết hôn", "ket hon"),
    "chung_thuc": ("chứng thực", "công chứng", "sao y", "sao y bản chính", "photo công chứng",
                   "chứng thực chữ ký", "chứng thực bản sao", "chứng thực hợp đồng", "bản sao công chứng"),
    "xac_nhan_hon_nhan": ("xác nhận tình trạng hôn nhân", "tình trạng hôn nhân", "giấy độc thân",
                          "xác nhận độc thân", "độc thân", "xnhn", "xntthn", "giấy xác nhận độc thân"),
}


def canonical_procedure(value: str) -> str | None:
    """'giay chung tu' → 'khai_tu'; a canonical code maps to itself; unknown → None."""
    from hotich.text.normalize import fold  # local: keeps this module import-light for Rasa

    folded = fold(value).replace("_", " ")
    if value in BY_CODE:
        return value
    best: tuple[int, str] | None = None
    for code, aliases in ALIASES.items():
        for alias in (code.replace("_", " "), *aliases):
            a = fold(alias)
            if folded == a or f" {a} " in f" {folded} ":
                if best is None or len(a) > best[0]:
                    best = (len(a), code)
    return best[1] if best else None
