"""Greeting, office information, fallback and out-of-scope replies."""
from __future__ import annotations

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload, officer_button, procedure_buttons
from hotich.commune import CommuneProfile
from hotich.text.normalize import fold


def greeting(profile: CommuneProfile) -> ReplyMessage:
    text = (f"Dạ, em chào anh/chị! Em là trợ lý hộ tịch của {profile.full_name}.\n"
            "Em trả lời về 5 thủ tục: khai sinh, khai tử, kết hôn, chứng thực, "
            "xác nhận tình trạng hôn nhân — giấy tờ, lệ phí, thời gian, nộp trực tuyến; "
            "em cũng đặt lịch hẹn và nhận hồ sơ gửi trước.\n"
            "Anh/chị cứ nhắn câu hỏi, kể cả trường hợp riêng của gia đình (có dấu hay không dấu "
            "đều được), hoặc chọn thủ tục:")
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
        parts.append("Căn cứ: Quyết định 18/2020/QĐ-UBND TP Hà Nội; Quyết định 127/2007/QĐ-TTg.")
        # Hours at the commune's service point after 01/7/2025 are not verified in the fact sheet.
        parts.append("Giờ có thể thay đổi, anh/chị gọi hỏi lại cán bộ trước khi đến nhé.")
    buttons = [ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment"))]
    return ReplyMessage("\n".join(parts), buttons)


def fallback(profile: CommuneProfile, misses_in_a_row: int) -> ReplyMessage:
    """First miss: ask to rephrase with topic buttons. Second in a row: offer the officer."""
    if misses_in_a_row < 2:
        text = ("Dạ, em chưa hiểu ý anh/chị. Anh/chị nói rõ hơn giúp em được không ạ? "
                "Ví dụ: \"làm giấy khai sinh cần giấy tờ gì\", \"lệ phí chứng thực bao nhiêu\". "
                "Hoặc chọn một chủ đề:")
        return ReplyMessage(text, procedure_buttons() + [officer_button()])
    text = ("Dạ, em vẫn chưa hiểu câu hỏi của anh/chị. Anh/chị có thể hỏi trực tiếp "
            f"{profile.officer_title} của xã"
            + (f" qua số {profile.phone}" if profile.phone else "")
            + f" trong giờ làm việc:\n{profile.hours_text()}")
    return ReplyMessage(text, [ReplyButton("🙋 Gặp cán bộ", intent_payload("talk_to_officer"))] + procedure_buttons())


def not_understood(profile: CommuneProfile, procedure: str | None) -> ReplyMessage:
    """The resident did not understand our last reply: how to ask in their own words, or a person."""
    text = ("Dạ, em xin lỗi vì nói chưa rõ. Anh/chị kể ngắn gọn việc cần làm giúp em, ví dụ: "
            "\"làm giấy khai sinh cho con\", \"bố tôi mất, làm giấy khai tử\", "
            "\"chứng thực giấy tờ hết bao nhiêu tiền\". Hoặc anh/chị bấm nút dưới đây, hay hỏi cán bộ.")
    return ReplyMessage(text, [officer_button(procedure)] + procedure_buttons())


def what_to_ask() -> ReplyMessage:
    """A lone "có" / "ok" when no question of ours is waiting for it."""
    return ReplyMessage("Dạ, anh/chị cần hỏi gì ạ? Anh/chị cứ nhắn câu hỏi hoặc chọn thủ tục:", procedure_buttons())


def out_of_scope(profile: CommuneProfile) -> ReplyMessage:
    text = ("Dạ, việc này em chưa hỗ trợ được. Em chỉ trả lời về 5 thủ tục hộ tịch – chứng thực "
            "tại xã: khai sinh, khai tử, kết hôn, chứng thực, xác nhận tình trạng hôn nhân; đặt lịch hẹn "
            "và gửi trước hồ sơ.\n"
            f"Việc khác, anh/chị liên hệ Trung tâm Phục vụ hành chính công: {profile.address}"
            + (f", điện thoại {profile.phone}" if profile.phone else "") + ".")
    return ReplyMessage(text, [officer_button()] + procedure_buttons())


def officer_contact(profile: CommuneProfile) -> ReplyMessage:
    """Until live hand-off is available: how to reach the officer directly."""
    text = (f"Anh/chị có thể gặp {profile.officer_title} tại {profile.address}"
            + (f" hoặc gọi {profile.phone}" if profile.phone else "")
            + f" trong giờ làm việc:\n{profile.hours_text()}")
    return ReplyMessage(text, procedure_buttons())
