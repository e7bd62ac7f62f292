"""Vietnamese day/time phrases → a date and/or a time, relative to a given `now`.

    parse_when("chiều thứ 6", now)      → When(day=<next Friday>, period="afternoon")
    parse_when("sáng mai 9h", now)      → When(day=<tomorrow>, time=09:00, period="morning")
    parse_when("thu 2 tuan sau", now)   → When(day=<Monday of next week>)

Works on accented and unaccented text, chat shorthand ("t6", "cn", "9h30", "2g chiều") and
ISO dates (button payloads). `now` is the commune's local time (Asia/Ho_Chi_Minh).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from hotich.booking.clock import local
from hotich.text.normalize import fold, nfc

MORNING, AFTERNOON = "morning", "afternoon"
WEEKDAY_SHORT = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
WEEKDAY_LONG = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class When:
    day: date | None = None
    time: time | None = None
    period: str | None = None          # MORNING | AFTERNOON when said without an exact time

    @property
    def empty(self) -> bool:
        return self.day is None and self.time is None and self.period is None


_WD_NAMES = {"hai": 0, "ba": 1, "tu": 2, "nam": 3, "sau": 4, "bay": 5}
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"(?<![\d:])(\d{1,2})\s*[/-]\s*(\d{1,2})(?:\s*[/-]\s*(\d{2}|\d{4}))?(?![\d:])")
_D_THANG_M = re.compile(r"\b(?:ngay\s+)?(\d{1,2})\s+thang\s+(\d{1,2})(?:\s+nam\s+(\d{4}))?\b")
_D_ONLY = re.compile(r"\b(?:ngay|mung|mong)\s+(\d{1,2})\b(?!\s*(?:h|g|gio|:|thang))")
_WD_NUM = re.compile(r"\b(?:thu|t)\s*([2-7])\b")
_WD_NAME = re.compile(r"\bthu\s+(hai|ba|tu|nam|sau|bay)\b")
_SUNDAY = re.compile(r"\b(?:chu\s*nhat|cn)\b")
_NEXT_WEEK = re.compile(r"\btuan\s+(?:sau|toi)\b")
_TODAY = re.compile(r"\b(?:hom\s+nay|bua\s+nay|(?:sang|trua|chieu)\s+nay|trong\s+ngay)\b")
_TOMORROW = re.compile(r"\b(?:ngay\s+mai|mai)\b")
_AFTER_TOMORROW = re.compile(r"\b(?:ngay\s+kia|ngay\s+mot)\b")
_TIME = re.compile(r"(?<![\d/-])(\d{1,2})\s*(?:h|g|gio|:)(?:\s*(\d{1,2}|ruoi))?(?:\s*(?:phut|p))?(?![\w/])")
_BARE_HOUR = re.compile(r"^\s*(?:luc\s+)?(\d{1,2})(?:\s+ruoi)?\s*$")
_AFTERNOON = re.compile(r"\b(?:chieu|trua|toi)\b")
_MORNING_SANG = re.compile(r"(?<!doi )(?<!chuyen )(?<!lui )(?<!dat )(?<!qua )\bsang\b")


def _mask(text: str, m: re.Match) -> str:
    return text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]


def _year_for(day: int, month: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if d >= today:
            return d
    return None


def _weekday(wd: int, today: date, next_week: bool) -> date:
    if next_week:
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + wd)
    return today + timedelta(days=(wd - today.weekday()) % 7)


def _period(raw_lower: str, folded: str) -> str | None:
    if _AFTERNOON.search(folded):
        return AFTERNOON
    if "sáng" in raw_lower:
        return MORNING
    # Unaccented "sang" is "morning" unless it reads "move to" ("đổi sang thứ 6").
    if "sang" in raw_lower and _MORNING_SANG.search(folded):
        return MORNING
    return None


def _hour(h: int, m: int, period: str | None) -> time | None:
    if period == AFTERNOON and h < 12:
        h += 12
    elif period is None and 1 <= h <= 6:
        h += 12                       # "2h" at a commune office is 14:00
    if not (0 <= h <= 23 and 0 <= m <= 59):
        return None
    return time(h, m)


def parse_when(text: str, now: datetime, bare_hour: bool = False) -> When:
    """Day and time mentioned in `text`; missing parts are None. `bare_hour`: a lone number
    ("9") is an hour — set when the bot has just asked for the time."""
    today = local(now).date()
    raw = nfc(text or "").lower()
    s = fold(raw)
    day: date | None = None

    m = _ISO.search(s)
    if m:
        try:
            day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            day = None
        s = _mask(s, m)
    if day is None:
        m = _D_THANG_M.search(s)
        if m:
            if m.group(3):
                try:
                    day = date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
                except ValueError:
                    day = None
            else:
                day = _year_for(int(m.group(1)), int(m.group(2)), today)
            s = _mask(s, m)
    if day is None:
        m = _DMY.search(s)
        if m:
            d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
            if y:
                try:
                    day = date(int(y) + (2000 if len(y) == 2 else 0), mo, d)
                except ValueError:
                    day = None
            else:
                day = _year_for(d, mo, today)
            s = _mask(s, m)
    if day is None:
        next_week = bool(_NEXT_WEEK.search(s))
        m = _WD_NUM.search(s) or _WD_NAME.search(s)
        if m:
            g = m.group(1)
            wd = int(g) - 2 if g.isdigit() else _WD_NAMES[g]
            day = _weekday(wd, today, next_week)
            s = _mask(s, m)
        elif _SUNDAY.search(s):
            m = _SUNDAY.search(s)
            day = _weekday(6, today, next_week)
            s = _mask(s, m)
    if day is None:
        m = _D_ONLY.search(s)
        if m:
            d = int(m.group(1))
            first = today.replace(day=1)
            for months in (0, 1):
                y, mo = first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1
                try:
                    cand = date(y, mo, d)
                except ValueError:
                    continue
                if cand >= today:
                    day = cand
                    break
            s = _mask(s, m)
    if day is None:
        if _AFTER_TOMORROW.search(s) or "mốt" in raw:
            day = today + timedelta(days=2)
        elif _TODAY.search(s):
            day = today
        elif _TOMORROW.search(s):
            day = today + timedelta(days=1)

    period = _period(raw, s)
    at: time | None = None
    m = _TIME.search(s)
    if m:
        minute = 30 if m.group(2) == "ruoi" else int(m.group(2) or 0)
        at = _hour(int(m.group(1)), minute, period)
    elif " ruoi" in f" {s}" or bare_hour:
        m = _BARE_HOUR.search(s) if bare_hour else re.search(r"\b(\d{1,2})\s+ruoi\b", s)
        if m:
            at = _hour(int(m.group(1)), 30 if "ruoi" in m.group(0) else 0, period)
    if at is not None:
        period = MORNING if at.hour < 12 else AFTERNOON
    return When(day=day, time=at, period=period)


def day_label(d: date, with_year: bool = False) -> str:
    """'Thứ Sáu 04/12' (the way residents write dates)."""
    return f"{WEEKDAY_LONG[d.weekday()]} {d:%d/%m}" + (f"/{d.year}" if with_year else "")


def short_day_label(d: date) -> str:
    return f"{WEEKDAY_SHORT[d.weekday()]} {d:%d/%m}"
