"""OutgoingMessage → what Telegram shows: HTML text chunks (≤ 4096) and an inline keyboard.

Text from Rasa and the knowledge base is plain text (KB_FORMAT.md): it is HTML-escaped, bullet
lists get "• ", `**bold**` becomes <b>. Long texts are split between paragraphs, then lines,
then words, so every chunk is valid HTML on its own. The keyboard goes on the last chunk.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Button, OutgoingMessage

MAX_LEN = 4096
CHOOSE_TEXT = "Mời bạn chọn:"
SHORT_TITLE = 16            # two buttons this short share a row; longer ones get a row each

_BULLET = re.compile(r"^(\s*)[-*+•]\s+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")


@dataclass
class Chunk:
    text: str                                   # HTML
    keyboard: InlineKeyboardMarkup | None = None
    photo: str | None = None                    # image URL (text is then the caption)


def tg_len(s: str) -> int:
    """Telegram counts UTF-16 code units."""
    return len(s.encode("utf-16-le")) // 2


def line_html(line: str) -> str:
    m = _BULLET.match(line)
    if m:
        indent = len(m.group(1).expandtabs(4))
        mark = "◦" if indent >= 2 else "•"
        line = ("   " if indent >= 2 else "") + mark + " " + line[m.end():]
    escaped = html.escape(line, quote=False)
    return _BOLD.sub(r"<b>\1</b>", escaped)


def to_html(text: str) -> str:
    text = text.replace("\r\n", "\n").strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return "\n".join(line_html(line) for line in text.split("\n"))


def _fit_prefix(word: str, limit: int) -> int:
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if tg_len(line_html(word[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _split_long_line(line: str, limit: int) -> list[str]:
    """A single line longer than the limit: cut between words (or inside a word that long)."""
    pieces: list[str] = []
    cur = ""
    for word in re.split(r"(?<=\s)", line):
        if tg_len(line_html(cur + word)) <= limit:
            cur += word
            continue
        if cur:
            pieces.append(cur)
            cur = ""
        while tg_len(line_html(word)) > limit:
            n = _fit_prefix(word, limit)
            pieces.append(word[:n])
            word = word[n:]
        cur = word
    if cur:
        pieces.append(cur)
    return [p for p in pieces if p.strip()]


def split_html(text: str, limit: int = MAX_LEN) -> list[str]:
    """Plain text → HTML chunks of at most `limit`, cut at paragraph boundaries when possible."""
    text = re.sub(r"\n{3,}", "\n\n", text.replace("\r\n", "\n")).strip("\n")
    units: list[tuple[str, str]] = []       # (html, separator before it)
    for para in re.split(r"\n\s*\n", text):
        h = to_html(para)
        if tg_len(h) <= limit:
            units.append((h, "\n\n"))
            continue
        first = True
        for line in para.split("\n"):
            for piece in ([line] if tg_len(line_html(line)) <= limit else _split_long_line(line, limit)):
                units.append((line_html(piece), "\n\n" if first else "\n"))
                first = False
    chunks: list[str] = []
    cur = ""
    for h, sep in units:
        if not cur:
            cur = h
        elif tg_len(cur) + tg_len(sep) + tg_len(h) <= limit:
            cur += sep + h
        else:
            chunks.append(cur)
            cur = h
    if cur.strip():
        chunks.append(cur)
    return chunks


def keyboard(buttons: list[Button], data_for: Callable[[str], str]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    rows: list[list[InlineKeyboardButton]] = []
    for b in buttons:
        title = (b.title or b.payload).strip()[:64]
        if re.match(r"^https?://", b.payload):
            btn = InlineKeyboardButton(title, url=b.payload)
        else:
            btn = InlineKeyboardButton(title, callback_data=data_for(b.payload))
        last = rows[-1] if rows else None
        if (last is not None and len(last) == 1 and len(title) <= SHORT_TITLE
                and len(last[0].text) <= SHORT_TITLE):
            last.append(btn)
        else:
            rows.append([btn])
    return InlineKeyboardMarkup(rows)


def render(msg: OutgoingMessage, data_for: Callable[[str], str]) -> list[Chunk]:
    """One neutral message → Telegram sends. `data_for` maps a button payload to callback_data."""
    markup = keyboard(msg.buttons, data_for)
    chunks = [Chunk(t) for t in split_html(msg.text)] if msg.text.strip() else []
    if msg.image:
        # A photo caption is limited to 1024: keep the text as separate messages after it.
        chunks.insert(0, Chunk("", photo=msg.image))
    if markup is not None:
        if not chunks or chunks[-1].photo:
            chunks.append(Chunk(html.escape(CHOOSE_TEXT)))
        chunks[-1].keyboard = markup
    return chunks


def pressed_keyboard(title: str, done_data: str) -> InlineKeyboardMarkup:
    """What a keyboard becomes once pressed: one inert button saying what was chosen."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(f"✅ {title}"[:64], callback_data=done_data)]])
