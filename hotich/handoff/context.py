"""The opening message of a staff topic: who the resident is, what about, what they said.

The last turns come from the caller (the gateway reads them from Rasa's tracker). The upcoming
appointments (booking) and papers sent ahead (uploads) come from providers registered here, each
returning lines of text; a provider failing never blocks the hand-off.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from hotich import procedures

log = logging.getLogger(__name__)

CHANNELS = {"telegram": "Telegram", "web": "Web chat", "zalo_bot": "Zalo (Bot)", "zalo_oa": "Zalo OA"}
MAX_TURN = 400            # characters kept of each turn (the topic is a summary, not the archive)
REASONS = {"asked": "người dân yêu cầu gặp cán bộ",
           "fallback": "trợ lý không hiểu câu hỏi (2 lần liên tiếp)",
           "confirm": "câu trả lời cần xác nhận với cán bộ"}

# (db_url, sender_id, resident_id) → lines ("🗓 Lịch hẹn: 09:00 Thứ Ba, 01/12 — …"); see module doc.
ContextProvider = Callable[[str, str, "int | None"], list[str]]
PROVIDERS: dict[str, ContextProvider] = {}


def _appointments(db_url: str, sender_id: str, resident_id: int | None) -> list[str]:
    from datetime import date

    from sqlalchemy import select

    from hotich.commune import WEEKDAY_NAMES
    from hotich.db.models.booking import Booking
    from hotich.db.session import session_scope

    with session_scope(db_url) as s:
        rows = s.scalars(select(Booking).where(Booking.sender_id == sender_id, Booking.status == "booked",
                                               Booking.day >= date.today()).order_by(Booking.day, Booking.start_min))
        out = []
        for b in rows:
            p = procedures.get(b.procedure)
            out.append(f"🗓 Lịch hẹn {b.code}: {b.start_min // 60:02d}:{b.start_min % 60:02d} "
                       f"{WEEKDAY_NAMES[b.day.weekday()]}, {b.day:%d/%m/%Y} — {p.name if p else b.procedure}")
    return out


def _papers(db_url: str, sender_id: str, resident_id: int | None) -> list[str]:
    if resident_id is None:
        return []
    from sqlalchemy import select

    from hotich.db.models.uploads import UploadSubmission
    from hotich.db.session import session_scope

    with session_scope(db_url) as s:
        subs = s.scalars(select(UploadSubmission).where(UploadSubmission.resident_id == resident_id)
                         .order_by(UploadSubmission.id))
        out = []
        for sub in subs:
            if not sub.files:
                continue
            p = procedures.get(sub.procedure)
            out.append(f"📎 Hồ sơ gửi trước {sub.public_id} ({p.name if p else sub.procedure}): "
                       f"{len(sub.files)} tệp, trạng thái {sub.status}")
    return out


PROVIDERS.update(appointments=_appointments, papers=_papers)


def register_provider(name: str, provider: ContextProvider) -> None:
    PROVIDERS[name] = provider


@dataclass(frozen=True)
class Turn:
    who: str          # "resident" | "bot"
    text: str


def extra_lines(db_url: str, sender_id: str, resident_id: int | None) -> list[str]:
    out: list[str] = []
    for name, provider in PROVIDERS.items():
        try:
            out += provider(db_url, sender_id, resident_id)
        except Exception:   # context is a help for the officer, never a reason to fail
            log.exception("handoff context provider %s failed", name)
    return out


def topic_title(name: str, procedure: str | None, ticket: int) -> str:
    p = procedures.get(procedure)
    title = f"{name} · {p.name}" if p else name
    return f"{title} (#{ticket})"[:128]     # Telegram limits topic names to 128 characters


def header(*, name: str, channel: str, procedure: str | None, reason: str | None, turns: list[Turn],
           extras: list[str], wait_note: str | None = None) -> str:
    p = procedures.get(procedure)
    lines = [f"🙋 Yêu cầu gặp cán bộ — {name}",
             f"Kênh: {CHANNELS.get(channel, channel)}",
             f"Thủ tục: {p.name if p else 'chưa rõ'}",
             f"Lý do: {REASONS.get(reason or '', reason or 'không rõ')}"]
    lines += extras
    if turns:
        lines.append("")
        lines.append("Các lượt trò chuyện gần nhất:")
        for t in turns:
            who = "👤" if t.who == "resident" else "🤖"
            text = t.text if len(t.text) <= MAX_TURN else t.text[:MAX_TURN] + "…"
            lines.append(f"{who} {text}")
    if wait_note:
        lines += ["", wait_note]
    lines += ["", "Lệnh: /nhan — nhận trả lời · /dong — kết thúc, trả lại cho trợ lý · "
                  "/chuyen <id hoặc @tên> — chuyển cho cán bộ khác"]
    return "\n".join(lines)
