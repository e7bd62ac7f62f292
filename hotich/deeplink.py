"""Deep-link payload scheme shared by the QR posters and the channels.

A board's QR code opens `https://t.me/<bot>?start=<payload>` (Telegram) or
`<PUBLIC_WEB_URL>/?start=<payload>` (web chat). The payload says which procedure the poster
is about and which board was scanned:

    <procedure short code>[_<board code>]

    procedure short code: ks khai sinh · kt khai tử · kh kết hôn · ct chứng thực
                          · xn xác nhận tình trạng hôn nhân · all (poster for all five)
    board code:           [A-Za-z0-9]{1,16}, from the commune profile (e.g. TT01)

Examples: `kh_TT01` (kết hôn, board TT01), `all_SP01`, `ks` (no board). At most 20 characters,
well inside Telegram's limit of 64 characters of [A-Za-z0-9_-]. Anything else is not a board
payload: the channel shows the normal welcome.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from hotich.procedures import BY_CODE, BY_SHORT

ALL = "all"
_PAYLOAD_RE = re.compile(r"^(?P<proc>[a-z]{2,3})(?:_(?P<board>[A-Za-z0-9]{1,16}))?$")
TELEGRAM_START_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class DeepLink:
    procedure: str | None   # canonical code, None for an "all procedures" poster
    board: str | None       # board code as printed, None when the link names no board


def parse_payload(payload: str | None) -> DeepLink | None:
    """Payload → DeepLink, or None when it is not one of ours (malformed, unknown code)."""
    if not payload or not TELEGRAM_START_RE.match(payload):
        return None
    m = _PAYLOAD_RE.match(payload)
    if not m:
        return None
    proc = m.group("proc")
    if proc == ALL:
        return DeepLink(None, m.group("board"))
    if proc not in BY_SHORT:
        return None
    return DeepLink(BY_SHORT[proc].code, m.group("board"))


def make_payload(procedure: str | None, board: str | None = None) -> str:
    """Inverse of parse_payload. procedure: canonical code or None (all five)."""
    short = ALL if procedure is None else BY_CODE[procedure].short
    if board is not None and not re.fullmatch(r"[A-Za-z0-9]{1,16}", board):
        raise ValueError(f"board code {board!r} must be 1–16 letters or digits")
    return f"{short}_{board}" if board else short


def telegram_link(bot_username: str, payload: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={payload}"


def zalo_link(zalo_id: str) -> str:
    """The commune's Zalo chat (OA or Bot). Zalo's links carry no parameter: no procedure, no board."""
    return f"https://zalo.me/{zalo_id}"


def web_link(public_web_url: str, payload: str) -> str:
    return f"{public_web_url.rstrip('/')}/?start={payload}"
