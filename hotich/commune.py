"""Commune profile: name, address, phone, reception hours, booking rules, QR boards.

Loaded from the YAML file in COMMUNE_PROFILE (example: data/commune/song_phuong.yml).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path

import yaml

WEEKDAY_NAMES = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")
BOARD_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,16}$")


def _t(value: str) -> time:
    h, m = str(value).split(":")
    return time(int(h), int(m))


Interval = tuple[time, time]


@dataclass(frozen=True)
class Board:
    code: str
    place: str


@dataclass(frozen=True)
class BookingRules:
    slot_minutes: int = 30
    capacity_per_slot: int = 3
    horizon_days: int = 14
    min_lead_minutes: int = 60
    same_day_cutoff: time = time(15, 0)
    max_future_bookings_per_resident: int = 2
    reminder_time: time = time(17, 0)
    procedure_slot_minutes: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CommuneProfile:
    name: str
    full_name: str
    province: str
    address: str
    phone: str
    officer_title: str
    online_portals: tuple[str, ...]
    timezone: str
    hours: dict[int, tuple[Interval, ...]]        # weekday → reception intervals (Saturday included if open)
    saturday_note: str
    same_day_cutoff: time
    holidays: frozenset[date]
    booking: BookingRules
    boards: tuple[Board, ...]
    map_url: str = ""

    def is_open_on(self, day: date) -> bool:
        return day not in self.holidays and bool(self.hours.get(day.weekday()))

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        return self.hours.get(day.weekday(), ()) if self.is_open_on(day) else ()

    def board(self, code: str) -> Board | None:
        return next((b for b in self.boards if b.code.lower() == code.lower()), None)

    def hours_text(self) -> str:
        """Reception hours as residents read them, e.g. 'Thứ Hai – Thứ Sáu: 08:00–11:00, 13:30–16:30'."""
        lines: list[str] = []
        groups: list[tuple[list[int], tuple[Interval, ...]]] = []
        for wd in range(7):
            iv = self.hours.get(wd, ())
            if not iv:
                continue
            if groups and groups[-1][1] == iv and groups[-1][0][-1] == wd - 1:
                groups[-1][0].append(wd)
            else:
                groups.append(([wd], iv))
        for days, iv in groups:
            label = WEEKDAY_NAMES[days[0]] if len(days) == 1 else f"{WEEKDAY_NAMES[days[0]]} – {WEEKDAY_NAMES[days[-1]]}"
            spans = ", ".join(f"{a:%H:%M}–{b:%H:%M}" for a, b in iv)
            lines.append(f"{label}: {spans}")
        return "\n".join(lines)


def load_profile(path: str | Path) -> CommuneProfile:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    c, r, b = raw["commune"], raw["reception"], raw.get("booking") or {}
    hours = {int(k): tuple((_t(a), _t(z)) for a, z in v) for k, v in (r.get("weekdays") or {}).items()}
    if r.get("saturday_morning"):
        hours[5] = tuple((_t(a), _t(z)) for a, z in r.get("saturday_hours", [["08:00", "11:00"]]))
    boards = tuple(Board(str(x["code"]), str(x["place"])) for x in raw.get("boards") or [])
    for board in boards:
        if not BOARD_CODE_RE.match(board.code):
            raise ValueError(f"{path}: board code {board.code!r} must match {BOARD_CODE_RE.pattern}")
    rules = BookingRules(
        slot_minutes=int(b.get("slot_minutes", 30)),
        capacity_per_slot=int(b.get("capacity_per_slot", 3)),
        horizon_days=int(b.get("horizon_days", 14)),
        min_lead_minutes=int(b.get("min_lead_minutes", 60)),
        same_day_cutoff=_t(b.get("same_day_cutoff", r.get("same_day_cutoff", "15:00"))),
        max_future_bookings_per_resident=int(b.get("max_future_bookings_per_resident", 2)),
        reminder_time=_t(b.get("reminder_time", "17:00")),
        procedure_slot_minutes={str(k): int(v) for k, v in (b.get("procedure_slot_minutes") or {}).items()},
    )
    return CommuneProfile(
        name=c["name"], full_name=c.get("full_name", c["name"]), province=c.get("province", ""),
        address=c["address"], phone=str(c.get("phone", "")), officer_title=c.get("officer_title", "cán bộ"),
        online_portals=tuple(str(p) if not isinstance(p, dict) else ": ".join(next(iter(p.items())))
                             for p in c.get("online_portals") or []),
        timezone=r.get("timezone", "Asia/Ho_Chi_Minh"), hours=hours,
        saturday_note=r.get("saturday_note", ""), same_day_cutoff=_t(r.get("same_day_cutoff", "15:00")),
        holidays=frozenset(date.fromisoformat(str(d)) for d in r.get("holidays") or []),
        booking=rules, boards=boards, map_url=c.get("map_url", "") or "",
    )
