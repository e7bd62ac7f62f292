"""The command menu residents see next to the text box, in Vietnamese.

Telegram command names must be [a-z0-9_]; the description is what residents read. Each command
sends a fixed Rasa intent payload (never free text), so it works whatever the NLU thinks.
"""
from __future__ import annotations

from dataclasses import dataclass

from telegram import Bot, BotCommand


@dataclass(frozen=True)
class Command:
    name: str
    description: str
    payload: str | None       # None: /start, handled as a deep link


COMMANDS: tuple[Command, ...] = (
    Command("start", "Bắt đầu trò chuyện", None),
    Command("thu_tuc", "Chọn thủ tục hộ tịch", "/choose_procedure"),
    Command("dat_lich", "Đặt lịch hẹn nộp hồ sơ", "/book_appointment"),
    Command("lich_hen", "Xem lịch hẹn của tôi", "/check_appointment"),
    Command("gui_ho_so", "Gửi trước giấy tờ", "/upload_documents"),
    Command("gap_can_bo", "Gặp cán bộ xã", "/talk_to_officer"),
    Command("dia_chi", "Địa chỉ và giờ làm việc", "/ask_office_info"),
    Command("xoa_du_lieu", "Xoá dữ liệu của tôi", "/delete_my_data"),
)
BY_NAME = {c.name: c for c in COMMANDS}


async def set_menu(bot: Bot) -> None:
    await bot.set_my_commands([BotCommand(c.name, c.description) for c in COMMANDS])
