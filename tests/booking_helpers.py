"""Shared helpers for the booking tests: a fixed clock and a commune profile with known rules."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from hotich.booking.clock import VN_TZ, fixed_clock
from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.config import ROOT

# Wednesday 2 December 2026, 10:00 in Hanoi.
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=VN_TZ)


def profile(**booking_overrides):
    p = load_profile(ROOT / "data" / "commune" / "song_phuong.yml")
    if booking_overrides:
        p = replace(p, booking=replace(p.booking, **booking_overrides))
    return p


def service(db_url: str, now: datetime = NOW, **booking_overrides) -> BookingService:
    return BookingService(db_url, profile(**booking_overrides), fixed_clock(now))
