"""Officers' chat hours from the commune profile, with an injected clock."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from hotich.config import ROOT
from hotich.handoff.hours import OfficerHours, load_officer_hours

PROFILE = ROOT / "data" / "commune" / "song_phuong.yml"
HN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi, tzinfo=HN)


def hours_at(moment, **kw) -> OfficerHours:
    return load_officer_hours(PROFILE, clock=lambda: moment.astimezone(timezone.utc), **kw)


def test_reception_hours_are_the_default():
    h = hours_at(at(2026, 12, 1, 9))                     # Tuesday 09:00
    assert h.is_open()
    assert not h.is_open(at(2026, 12, 1, 12))             # lunch break
    assert h.is_open(at(2026, 12, 1, 13, 30))
    assert not h.is_open(at(2026, 12, 1, 16, 30))         # closes at 16:30
    assert h.is_open(at(2026, 12, 5, 10))                 # Saturday morning
    assert not h.is_open(at(2026, 12, 5, 14))
    assert not h.is_open(at(2026, 12, 6, 9))              # Sunday
    assert not h.is_open(at(2026, 9, 2, 9))               # national day (holiday in the profile)


def test_next_opening_in_words():
    h = hours_at(at(2026, 12, 1, 11, 30))
    nxt = h.next_open()
    assert nxt == at(2026, 12, 1, 13, 30)
    assert h.describe(nxt) == "13:30 hôm nay"

    h = hours_at(at(2026, 12, 1, 18))
    assert h.describe(h.next_open()) == "08:00 ngày mai (Thứ Tư, 02/12)"

    h = hours_at(at(2026, 12, 5, 12))                     # Saturday after closing → Monday
    assert h.next_open() == at(2026, 12, 7, 8)
    assert h.describe(h.next_open()) == "08:00 Thứ Hai, 07/12"

    h = hours_at(at(2026, 8, 31, 17))                     # before the 1–2/9 holidays
    assert h.next_open() == at(2026, 9, 3, 8)


def test_open_now_returns_now():
    moment = at(2026, 12, 2, 14)
    h = hours_at(moment)
    assert h.next_open() == moment


def test_commune_specific_chat_hours(tmp_path):
    text = PROFILE.read_text(encoding="utf-8").replace(
        "officer_hours: reception",
        'officer_hours:\n  weekdays:\n    0: [["19:00", "21:00"]]')
    custom = tmp_path / "profile.yml"
    custom.write_text(text, encoding="utf-8")
    h = load_officer_hours(custom, clock=lambda: at(2026, 11, 30, 9).astimezone(timezone.utc))   # Monday
    assert not h.is_open()
    assert h.next_open() == at(2026, 11, 30, 19)
    assert h.is_open(at(2026, 11, 30, 20))
    assert not h.is_open(at(2026, 12, 1, 20))
