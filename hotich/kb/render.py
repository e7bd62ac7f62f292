"""Plain-text rendering (channels show no Markdown/HTML)."""
from __future__ import annotations

from datetime import date

from .models import DEFAULT_CASE, TOPIC_LABELS, Answer, ProcedureKB

CONFIRM_PREFIX = "⚠️ Một số điểm cần xác nhận với cán bộ: "


def format_date(d: date) -> str:
    return d.strftime("%d/%m/%Y")


def render_answer(answer: Answer) -> str:
    """Header, answer text, then sources, update date and (if any) the points to confirm."""
    label = TOPIC_LABELS.get(answer.topic, answer.topic)
    lines = [f"{answer.procedure_name} – {label}"]
    if answer.case != DEFAULT_CASE:
        lines.append(f"Trường hợp: {answer.case_title}")
    lines += ["", answer.text.strip(), ""]
    if answer.sources:
        lines.append("Căn cứ: " + "; ".join(answer.sources))
    lines.append(f"Cập nhật: {format_date(answer.updated)}")
    if answer.needs_confirmation:
        lines.append(CONFIRM_PREFIX + "; ".join(answer.needs_confirmation))
    return "\n".join(lines)


def render_overview(entry: ProcedureKB) -> str:
    """What the bot says when a resident names a procedure without a question yet."""
    lines = [entry.name, "", entry.summary.strip()]
    others = [c.title for cid, c in entry.cases.items() if cid != DEFAULT_CASE]
    if others:
        lines += ["", "Mình cũng hướng dẫn được các trường hợp:"]
        lines += [f"• {title}" for title in others]
    lines += ["", "Bạn muốn hỏi về: " + ", ".join(TOPIC_LABELS.values()).lower() + "?"]
    lines.append(f"Cập nhật: {format_date(entry.updated)}")
    return "\n".join(lines)
