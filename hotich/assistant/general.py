"""Greeting, office information, fallback and out-of-scope replies."""
from __future__ import annotations

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload, procedure_buttons
from hotich.commune import CommuneProfile
from hotich.text.normalize import fold


def greeting(profile: CommuneProfile) -> ReplyMessage:
    text = (f"Xin chào! Mình là trợ lý hộ tịch của {profile.full_name}.\n"
            "Mình có thể trả lời về 5 thủ tục: khai sinh, khai tử, kết hôn, chứng thực, "
            "xác nhận tình trạng hôn nhân — giấy tờ cần chuẩn bị, lệ phí, thời gian giải quyết, "
            "thời hạn, nộp trực tuyến; đặt lịch hẹn đến xã và gửi trước hồ sơ.\n"
            "Bạn cứ nhắn câu hỏi (có dấu hay không dấu đều được) hoặc chọn thủ tục:")
    buttons = procedure_buttons() + [
        ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment")),
        ReplyButton("🏢 Giờ làm việc, địa chỉ", intent_payload("ask_office_info")),
    ]
    return ReplyMessage(text, buttons)


# Which part of the office information the resident asked about (accent-insensitive keywords).
_ASKS_HOURS = ("gio", "may gio", "lam viec", "thu 7", "thu bay", "chu nhat", "mo cua", "nghi", "sang", "chieu", "le")
_ASKS_PLACE = ("dia chi", "o dau", "cho nao", "duong", "ban do", "tru so", "cho lam")
_ASKS_PHONE = ("so dien thoai", "dien thoai", "sdt", "hotline", "goi", "lien he", "zalo")


def office_info(profile: CommuneProfile, text: str = "") -> ReplyMessage:
    """Hours, address and phone from the commune profile; focused on what was asked."""
    t = fold(text)
    want = {name for name, keys in (("hours", _ASKS_HOURS), ("place", _ASKS_PLACE), ("phone", _ASKS_PHONE))
            if any(k in t for k in keys)} or {"hours", "place", "phone"}
    parts = [f"🏢 {profile.full_name}"]
    if "place" in want:
        parts.append(f"📍 Địa chỉ: {profile.address}")
    if "phone" in want and profile.phone:
        parts.append(f"☎️ Điện thoại: {profile.phone}")
    if "hours" in want:
        parts.append("🕗 Giờ tiếp nhận hồ sơ:\n" + profile.hours_text())
        if profile.saturday_note:
            parts.append(profile.saturday_note)
        parts.append(f"Hồ sơ nhận sau {profile.same_day_cutoff:%H:%M} được trả kết quả vào ngày làm việc tiếp theo.")
        parts.append("Nghỉ Chủ nhật và các ngày lễ, Tết.")
        parts.append("Căn cứ: Quyết định 18/2020/QĐ-UBND của UBND TP Hà Nội (giờ tiếp nhận); "
                     "Quyết định 127/2007/QĐ-TTg (làm việc sáng thứ Bảy).\n"
                     "⚠️ Giờ tiếp nhận tại điểm phục vụ cấp xã sau 01/7/2025 cần xác nhận với cán bộ.")
    buttons = [ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment"))]
    return ReplyMessage("\n".join(parts), buttons)


def fallback(profile: CommuneProfile, misses_in_a_row: int) -> ReplyMessage:
    """First miss: ask to rephrase with topic buttons. Second in a row: offer the officer."""
    if misses_in_a_row < 2:
        text = ("Xin lỗi, mình chưa hiểu ý bạn. Bạn có thể nói rõ hơn được không? "
                "Ví dụ: \"làm giấy khai sinh cần giấy tờ gì\", \"lệ phí chứng thực bao nhiêu\". "
                "Hoặc chọn một chủ đề:")
        return ReplyMessage(text, procedure_buttons() + [
            ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment")),
            ReplyButton("🏢 Giờ làm việc, địa chỉ", intent_payload("ask_office_info"))])
    text = ("Xin lỗi, mình vẫn chưa hiểu câu hỏi của bạn. Bạn có thể hỏi trực tiếp "
            f"{profile.officer_title} của xã"
            + (f" qua số {profile.phone}" if profile.phone else "")
            + f" trong giờ làm việc:\n{profile.hours_text()}")
    return ReplyMessage(text, [ReplyButton("🙋 Gặp cán bộ", intent_payload("talk_to_officer"))] + procedure_buttons())


def out_of_scope(profile: CommuneProfile) -> ReplyMessage:
    text = ("Câu hỏi này nằm ngoài phạm vi mình hỗ trợ. Mình chỉ trả lời về 5 thủ tục hộ tịch – chứng thực "
            "tại xã: khai sinh, khai tử, kết hôn, chứng thực, xác nhận tình trạng hôn nhân; đặt lịch hẹn "
            "và gửi trước hồ sơ.\n"
            f"Việc khác, bạn vui lòng liên hệ Bộ phận Một cửa: {profile.address}"
            + (f", điện thoại {profile.phone}" if profile.phone else "") + ".")
    return ReplyMessage(text, procedure_buttons())


def officer_contact(profile: CommuneProfile) -> ReplyMessage:
    """Until live hand-off is available: how to reach the officer directly."""
    text = (f"Bạn có thể gặp {profile.officer_title} tại {profile.address}"
            + (f" hoặc gọi {profile.phone}" if profile.phone else "")
            + f" trong giờ làm việc:\n{profile.hours_text()}")
    return ReplyMessage(text, procedure_buttons())
