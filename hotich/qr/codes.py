"""Which QR codes the commune prints: one per procedure × board, one poster code per board
(all five procedures) and one per procedure without a board. Each has a Telegram deep link
and a web-chat link carrying the same payload (hotich.deeplink), and — when the commune is on
Zalo — the Zalo link, which is the same for every code: Zalo's links carry no parameter, so an
arrival through Zalo cannot name its board (the web link stays the attributed one)."""
from __future__ import annotations

from dataclasses import dataclass

from hotich.commune import Board, CommuneProfile
from hotich.deeplink import TELEGRAM_START_RE, make_payload, parse_payload, telegram_link, web_link, zalo_link
from hotich.procedures import BY_CODE, PROCEDURES


@dataclass(frozen=True)
class QrCode:
    payload: str
    procedure: str | None     # canonical code; None = all five (board poster)
    board: Board | None
    telegram_url: str
    web_url: str
    zalo_url: str = ""        # "" when the commune has no Zalo channel

    @property
    def procedure_name(self) -> str:
        return BY_CODE[self.procedure].name if self.procedure else "Cả 5 thủ tục"

    @property
    def short_telegram_url(self) -> str:
        """What is printed under the code for those who type it (no scheme: shorter, still opens)."""
        return self.telegram_url.removeprefix("https://")


def make_code(procedure: str | None, board: Board | None, bot_username: str, public_web_url: str,
              zalo_id: str = "") -> QrCode:
    payload = make_payload(procedure, board.code if board else None)
    # Telegram silently drops a start parameter it does not accept: fail here, not on the wall.
    if not TELEGRAM_START_RE.match(payload) or parse_payload(payload) is None:
        raise ValueError(f"payload {payload!r} is not a valid deep-link payload")
    return QrCode(payload, procedure, board, telegram_link(bot_username, payload),
                  web_link(public_web_url, payload), zalo_link(zalo_id) if zalo_id else "")


def plan_codes(profile: CommuneProfile, bot_username: str, public_web_url: str, zalo_id: str = "") -> list[QrCode]:
    """Every code, in print order: per procedure (no board), then per board its poster code
    followed by its five procedure codes."""
    codes = [make_code(p.code, None, bot_username, public_web_url, zalo_id) for p in PROCEDURES]
    for board in profile.boards:
        codes.append(make_code(None, board, bot_username, public_web_url, zalo_id))
        codes.extend(make_code(p.code, board, bot_username, public_web_url, zalo_id) for p in PROCEDURES)
    payloads = [c.payload for c in codes]
    if len(set(payloads)) != len(payloads):
        raise ValueError("duplicate board codes in the commune profile")
    return codes
