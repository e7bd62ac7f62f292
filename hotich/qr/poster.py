"""A4 PDF poster for one board: commune, procedure(s), short Vietnamese instructions, the big
Telegram QR with its link printed under it, a small web-chat QR for people without Telegram and,
when the commune is on Zalo, a small Zalo QR beside it (Zalo's link cannot carry the board, so
the web code is the one counted per board)."""
from __future__ import annotations

import unicodedata
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from hotich.commune import CommuneProfile
from hotich.procedures import BY_CODE, PROCEDURES
from hotich.qr import fonts
from hotich.qr.codes import QrCode
from hotich.qr.matrix import dark_runs, qr_matrix

INSTRUCTION = "Quét mã để hỏi thủ tục, đặt lịch hẹn, gửi trước hồ sơ"
STEPS = ("1. Mở camera điện thoại hoặc ứng dụng Telegram, hướng vào mã lớn.\n"
         "2. Bấm vào đường liên kết hiện ra, rồi bấm «Bắt đầu» (Start).\n"
         "3. Nhắn câu hỏi bằng tiếng Việt, có dấu hay không dấu đều được.")
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 15.0
BIG_QR_MM, SMALL_QR_MM = 105.0, 34.0
FONT = "DejaVu"


def _t(text: str) -> str:
    # Profiles edited on a Mac arrive decomposed (e + U+0301): print precomposed glyphs.
    return unicodedata.normalize("NFC", text)


def _draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """Vector modules (not a bitmap): sharp at any print size."""
    m = qr_matrix(data)
    mod = size / len(m)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for cx, cy, w in dark_runs(m):
        # A hair of overlap so viewers do not show white seams between neighbouring runs.
        pdf.rect(x + cx * mod, y + cy * mod, w * mod, mod + 0.02, style="F")


def _line(pdf: FPDF, text: str, size: float, bold: bool = False, h: float | None = None) -> None:
    pdf.set_font(FONT, "B" if bold else "", size)
    pdf.multi_cell(0, h or size * 0.5, _t(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _wrap_items(pdf: FPDF, items: list[str], width: float, sep: str = " · ") -> list[str]:
    """Join items into lines without breaking one procedure's name across two lines."""
    lines: list[str] = []
    for item in map(_t, items):
        if lines and pdf.get_string_width(lines[-1] + sep + item) <= width:
            lines[-1] += sep + item
        else:
            lines.append(item)
    return lines


def _small_code(pdf: FPDF, data: str, x: float, y: float, right: float, title: str, text: str, link: str,
                qr_mm: float) -> None:
    """A small code with a title and a line of help beside it, and its link under it (the whole
    width, so that it stays on one line for people who type it)."""
    _draw_qr(pdf, data, x, y, qr_mm)
    text_x = x + qr_mm + 4
    pdf.set_xy(text_x, y + 2)
    pdf.set_font(FONT, "B", 11)
    pdf.multi_cell(right - text_x, 5.5, _t(title), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 9.5)
    pdf.multi_cell(right - text_x, 4.6, _t(text), new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_xy(x, y + qr_mm + 1)
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(right - x, 4.5, _t(link), new_x=XPos.LEFT, new_y=YPos.NEXT)


def render_poster(code: QrCode, profile: CommuneProfile, path: Path) -> Path:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(FONT, "", str(fonts.REGULAR))
    pdf.add_font(FONT, "B", str(fonts.BOLD))
    title = f"Mã QR {code.payload} – {profile.full_name}"
    pdf.set_title(_t(title))
    pdf.set_author(_t(profile.full_name))
    pdf.add_page()

    pdf.set_y(MARGIN)
    _line(pdf, profile.full_name.upper(), 15, bold=True, h=7)
    if profile.province:
        _line(pdf, profile.province, 11, h=5.5)
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.4)
    pdf.line(PAGE_W / 2 - 30, pdf.get_y() + 2, PAGE_W / 2 + 30, pdf.get_y() + 2)
    pdf.ln(6)
    _line(pdf, "TRỢ LÝ HỘ TỊCH TRÊN ĐIỆN THOẠI", 21, bold=True, h=10)
    _line(pdf, INSTRUCTION, 14, bold=True, h=7)
    pdf.ln(1)
    names = [BY_CODE[code.procedure].name] if code.procedure else [p.name for p in PROCEDURES]
    pdf.set_font(FONT, "", 11.5)
    _line(pdf, "\n".join(_wrap_items(pdf, names, PAGE_W - 2 * MARGIN)), 11.5, h=5.8)

    qr_y = max(pdf.get_y() + 3, 80.0)
    _draw_qr(pdf, code.telegram_url, (PAGE_W - BIG_QR_MM) / 2, qr_y, BIG_QR_MM)
    pdf.set_y(qr_y + BIG_QR_MM + 1)
    _line(pdf, "Không quét được? Gõ địa chỉ này vào trình duyệt hoặc Telegram:", 10, h=5)
    _line(pdf, code.short_telegram_url, 14, bold=True, h=7)
    pdf.ln(2)
    pdf.set_font(FONT, "", 10)
    pdf.multi_cell(0, 5, _t(STEPS), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    box_y = max(pdf.get_y() + 3, 226.0)
    # Web chat, and Zalo beside it when the commune is on Zalo.
    web_right, qr_mm = (PAGE_W / 2 - 2, SMALL_QR_MM - 4) if code.zalo_url else (PAGE_W - MARGIN, SMALL_QR_MM)
    _small_code(pdf, code.web_url, MARGIN, box_y, web_right, "Không dùng Telegram?",
                "Quét mã này hoặc gõ địa chỉ dưới đây để trò chuyện ngay trên trình duyệt.", code.web_url, qr_mm)
    if code.zalo_url:
        _small_code(pdf, code.zalo_url, PAGE_W / 2 + 2, box_y, PAGE_W - MARGIN, "Dùng Zalo?",
                    "Quét mã này để nhắn cho xã trên Zalo.", code.zalo_url, qr_mm)

    foot_y = PAGE_H - MARGIN - 13
    pdf.line(MARGIN, foot_y - 2, PAGE_W - MARGIN, foot_y - 2)
    pdf.set_y(foot_y)
    if code.board:
        _line(pdf, f"Điểm đặt bảng: {code.board.place} (mã {code.board.code})", 9.5, h=4.8)
    contact = f"Hỏi trực tiếp: {profile.address}"
    if profile.phone:
        contact += f" – ĐT {profile.phone}"
    _line(pdf, contact, 8.5, h=4.3)

    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path
