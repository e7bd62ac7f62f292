"""Scans per board and per procedure over a period, from the QrScan rows the channels record.

`scan_stats` is what `hotich stats` and the officers' Telegram command call; `format_table`
is the text both print.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select

from hotich.commune import CommuneProfile, load_profile
from hotich.db.models import QrScan
from hotich.db.session import session_scope
from hotich.procedures import PROCEDURES

NO_BOARD = "Không qua bảng (mã riêng từng thủ tục)"
UNKNOWN_BOARD = "(không có trong danh sách bảng của xã)"
ALL_PROCEDURES = "Áp phích chung (cả 5 thủ tục)"


@dataclass(frozen=True)
class StatRow:
    key: str | None       # board code / canonical procedure code; None = no board / all five
    label: str            # place name / procedure name, as officers read it
    scans: int
    new_residents: int    # scans that brought someone who had never written to the bot


@dataclass(frozen=True)
class ScanStats:
    since: datetime       # UTC, inclusive
    until: datetime       # UTC, exclusive
    by_board: list[StatRow]
    by_procedure: list[StatRow]
    by_channel: dict[str, int]
    commune: str = ""

    @property
    def total(self) -> int:
        return sum(r.scans for r in self.by_board)

    @property
    def new_residents(self) -> int:
        return sum(r.new_residents for r in self.by_board)


def _utc(value: datetime | date, tz: ZoneInfo) -> datetime:
    """date → local midnight; naive datetime → commune local time; aware → as is."""
    if not isinstance(value, datetime):
        value = datetime.combine(value, time(0))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(timezone.utc)


def period_for_days(days: int, tz: str | ZoneInfo, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The last `days` calendar days in the commune's time, today included: (since, until) in UTC."""
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    local_now = (now or datetime.now(timezone.utc)).astimezone(zone)
    start = datetime.combine(local_now.date() - timedelta(days=max(days, 1) - 1), time(0), tzinfo=zone)
    end = datetime.combine(local_now.date() + timedelta(days=1), time(0), tzinfo=zone)
    return start.astimezone(timezone.utc), end.astimezone(timezone.utc)


def scan_stats(db_url: str, since: datetime | date, until: datetime | date,
               profile: CommuneProfile | None = None) -> ScanStats:
    """Scans with since <= scanned_at < until. Every board of the profile gets a row (a board
    nobody scans is worth noticing); scans of boards no longer in the profile are kept apart."""
    if profile is None:
        from hotich.config import load_settings
        profile = load_profile(load_settings().commune_profile)
    tz = ZoneInfo(profile.timezone)
    since_utc, until_utc = _utc(since, tz), _utc(until, tz)

    new = func.sum(case((QrScan.new_resident.is_(True), 1), else_=0))
    stmt = (select(QrScan.board_code, QrScan.procedure, QrScan.channel, func.count(), new)
            .where(QrScan.scanned_at >= since_utc, QrScan.scanned_at < until_utc)
            .group_by(QrScan.board_code, QrScan.procedure, QrScan.channel))
    with session_scope(db_url) as s:
        groups = s.execute(stmt).all()

    order = {b.code: i for i, b in enumerate(profile.boards)}
    boards: dict[str | None, list[int]] = {b.code: [0, 0] for b in profile.boards}
    procs: dict[str | None, list[int]] = {p.code: [0, 0] for p in PROCEDURES}
    procs[None] = [0, 0]
    channels: dict[str, int] = {}
    for board_code, procedure, channel, n, n_new in groups:
        n_new = int(n_new or 0)
        known = profile.board(board_code) if board_code else None
        key = known.code if known else board_code   # payload case may differ from the profile
        boards.setdefault(key, [0, 0])
        boards[key][0] += n
        boards[key][1] += n_new
        procs.setdefault(procedure, [0, 0])
        procs[procedure][0] += n
        procs[procedure][1] += n_new
        channels[channel] = channels.get(channel, 0) + n

    def board_label(code: str | None) -> str:
        if code is None:
            return NO_BOARD
        b = profile.board(code)
        return unicodedata.normalize("NFC", b.place) if b else UNKNOWN_BOARD

    by_board = [StatRow(k, board_label(k), v[0], v[1]) for k, v in boards.items()]
    # Most scanned first; ties in the profile's order, then the odd ones (unknown, no board).
    by_board.sort(key=lambda r: (-r.scans, order.get(r.key, len(order)), r.key or "~"))
    by_board = [r for r in by_board if r.scans or r.key in order]
    names = {p.code: p.name for p in PROCEDURES}
    by_procedure = [StatRow(k, names.get(k, ALL_PROCEDURES if k is None else k), v[0], v[1])
                    for k, v in procs.items()]
    return ScanStats(since_utc, until_utc, by_board, by_procedure, channels, profile.name)


def period_text(stats: ScanStats, tz: str | ZoneInfo) -> str:
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    first = stats.since.astimezone(zone)
    last = (stats.until - timedelta(microseconds=1)).astimezone(zone)
    return f"{first:%d/%m/%Y} – {last:%d/%m/%Y}"


def _table(title: str, head: tuple[str, str], rows: list[StatRow]) -> list[str]:
    key_w = max([len(head[0])] + [len(r.key or "–") for r in rows])
    label_w = max([len(head[1])] + [len(r.label) for r in rows])
    lines = [title, f"{head[0]:<{key_w}}  {head[1]:<{label_w}}  {'Lượt quét':>9}  {'Người mới':>9}"]
    lines.append("-" * len(lines[-1]))
    lines += [f"{r.key or '–':<{key_w}}  {r.label:<{label_w}}  {r.scans:>9}  {r.new_residents:>9}"
              for r in rows]
    return lines


def format_table(stats: ScanStats, tz: str | ZoneInfo = "Asia/Ho_Chi_Minh") -> str:
    channels = ", ".join(f"{'Telegram' if c == 'telegram' else 'web chat' if c == 'web' else c} {n}"
                         for c, n in sorted(stats.by_channel.items())) or "chưa có"
    head = [f"Lượt quét mã QR – {stats.commune}".rstrip(" –"),
            f"Thời gian: {period_text(stats, tz)} · {stats.total} lượt quét, "
            f"{stats.new_residents} người dùng mới · kênh: {channels}", ""]
    body = _table("Theo bảng:", ("Bảng", "Địa điểm"), stats.by_board) + [""]
    body += _table("Theo thủ tục:", ("Mã", "Thủ tục"), stats.by_procedure)
    return "\n".join(head + body)
