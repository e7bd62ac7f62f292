"""Plain-text rendering (channels show no Markdown/HTML)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from .models import DEFAULT_CASE, TOPIC_LABELS, TOPICS, Answer, ProcedureKB

# One plain line under an answer with unverified points (the points are said in the answer itself).
CONFIRM_LINE = "Có điểm em chưa chắc chắn, anh/chị hỏi lại cán bộ cho chắc nhé."
MAX_SOURCES = 2          # elderly readers skim: the two main texts are enough


def format_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def short_sources(sources: Iterable[str], limit: int = MAX_SOURCES) -> str:
    """'Căn cứ: A; B' with the first `limit` distinct sources."""
    unique = list(dict.fromkeys(s.strip() for s in sources if s.strip()))
    return "Căn cứ: " + "; ".join(unique[:limit]) if unique else ""


def _instrument(source: str) -> str:
    """'Nghị định 123/2015/NĐ-CP, Điều 9' → 'Nghị định 123/2015/NĐ-CP'."""
    return source.split(",", 1)[0].strip()


def render_answer(answer: Answer) -> str:
    """Header, answer text, then sources, update date and (if any) a line to check with the officer."""
    label = TOPIC_LABELS.get(answer.topic, answer.topic)
    lines = [f"{answer.procedure_name} – {label}"]
    if answer.case != DEFAULT_CASE:
        lines.append(f"Trường hợp: {answer.case_title}")
    lines += ["", answer.text.strip(), ""]
    if answer.sources:
        lines.append(short_sources(answer.sources))
    lines.append(f"Cập nhật: {format_date(answer.updated)}")
    if answer.needs_confirmation:
        lines.append(CONFIRM_LINE)
    return "\n".join(lines)


def overview_sources(entry: ProcedureKB, limit: int = 3) -> str:
    """The legal texts behind a procedure's ordinary case, by instrument (no article numbers)."""
    sources = (_instrument(s) for t in TOPICS if t in entry.default.topics for s in entry.default.topics[t].sources)
    return short_sources(sources, limit)


def render_overview(entry: ProcedureKB) -> str:
    """What the bot says when a resident names a procedure (or scans its QR code) without a question yet."""
    lines = [entry.name, "", entry.summary.strip()]
    others = [c.title for cid, c in entry.cases.items() if cid != DEFAULT_CASE]
    if others:
        lines += ["", "Em cũng hướng dẫn được các trường hợp:"]
        lines += [f"• {title}" for title in others]
    lines += ["", "Anh/chị muốn hỏi về: " + ", ".join(TOPIC_LABELS[t] for t in TOPICS).lower() + "?"]
    lines.append(overview_sources(entry))
    lines.append(f"Cập nhật: {format_date(entry.updated)}")
    return "\n".join(lines)
