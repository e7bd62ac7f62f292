"""What residents and officers read in the send-papers-ahead flow (channel-neutral ReplyMessages).

Button payloads stay short (Telegram allows 64 bytes): the Rasa intent `upload_documents` with
an `upload` entity holding a step code —
    ok / no          consent given / refused
    list             what was sent, what is missing
    send / send!     submit (send! = submit even though required papers are missing)
    a:<file>:<n>     file <file> is checklist paper n (1-based)
    x:<file>         remove file <file>
and `delete_my_data` with `upload` = yes / keep.
"""
from __future__ import annotations

from datetime import datetime

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload
from hotich.kb.models import ChecklistItem
from hotich.procedures import PROCEDURES, get as get_procedure
from hotich.uploads.service import MORE, OK, SubmissionView, UploadService

try:
    from zoneinfo import ZoneInfo

    _VN = ZoneInfo("Asia/Ho_Chi_Minh")
except Exception:  # pragma: no cover
    from datetime import timedelta, timezone

    _VN = timezone(timedelta(hours=7))

UPLOAD = "upload_documents"
DELETE = "delete_my_data"
LABEL_MAX = 40


def step(code: str, **extra: str) -> str:
    return intent_payload(UPLOAD, upload=code, **extra)


def _short(label: str, n: int = LABEL_MAX) -> str:
    return label if len(label) <= n else label[: n - 1].rstrip() + "…"


def _name(procedure: str) -> str:
    p = get_procedure(procedure)
    return p.name.lower() if p else procedure


def _local(dt: datetime) -> str:
    return dt.astimezone(_VN).strftime("%H:%M ngày %d/%m/%Y")


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{max(1, n // 1024)} KB"


# ---------------------------------------------------------------------------- resident side

def choose_procedure() -> ReplyMessage:
    return ReplyMessage("Bạn muốn gửi trước giấy tờ cho thủ tục nào?",
                        [ReplyButton(p.name, intent_payload(UPLOAD, procedure=p.code)) for p in PROCEDURES])


def consent_text(retention_days: int) -> str:
    return (
        "Trước khi gửi, bạn đọc giúp mình thông báo về dữ liệu cá nhân "
        "(theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân):\n"
        "• Xã lưu ảnh/tệp giấy tờ bạn gửi (đã mã hóa), loại giấy tờ và thời điểm gửi, chỉ để cán bộ "
        "kiểm tra trước hồ sơ của bạn.\n"
        "• Chỉ công chức tư pháp – hộ tịch của xã được xem; không công khai, không chia sẻ cho ai khác.\n"
        f"• Giấy tờ tự động bị xóa {retention_days} ngày sau ngày hẹn hoặc ngày gửi.\n"
        "• Bạn có thể xóa toàn bộ bất cứ lúc nào bằng cách nhắn \"xóa dữ liệu của tôi\".\n"
        "Ảnh chụp được xóa thông tin vị trí (EXIF) trước khi lưu.\n"
        "Bạn có đồng ý cho xã lưu giấy tờ như trên không?"
    )


def consent_question(retention_days: int) -> ReplyMessage:
    return ReplyMessage(consent_text(retention_days),
                        [ReplyButton("Tôi đồng ý", step("ok")), ReplyButton("Không đồng ý", step("no"))])


def consent_refused() -> ReplyMessage:
    return ReplyMessage("Không sao ạ. Xã không lưu giấy tờ nào của bạn. Bạn mang giấy tờ đến Trung tâm Phục vụ hành chính công "
                        "khi làm thủ tục nhé.")


def file_without_consent(retention_days: int) -> list[ReplyMessage]:
    return [ReplyMessage("Mình chưa lưu tệp bạn vừa gửi vì bạn chưa đồng ý cho xã lưu giấy tờ."),
            consent_question(retention_days)]


def file_without_draft() -> list[ReplyMessage]:
    return [ReplyMessage("Mình chưa lưu tệp bạn vừa gửi vì chưa biết đây là hồ sơ thủ tục nào. "
                         "Bạn chọn thủ tục rồi gửi lại tệp nhé."), choose_procedure()]


def _checklist_lines(svc: UploadService, view: SubmissionView) -> list[str]:
    lines = []
    for st in svc.item_states(view):
        mark = "✅" if st.files else ("❗" if st.item.required else "▫️")
        extra = " (bắt buộc)" if st.item.required else ""
        note = f" — {st.item.note}" if st.item.note else ""
        lines.append(f"{mark} {st.index}. {st.item.label}{extra}{note}")
    unsorted = view.files_for(None)
    if unsorted:
        lines.append(f"📎 {len(unsorted)} tệp chưa chọn loại giấy tờ")
    return lines


def checklist(svc: UploadService, view: SubmissionView) -> ReplyMessage:
    text = (f"Giấy tờ cho thủ tục {_name(view.procedure)}:\n" + "\n".join(_checklist_lines(svc, view)) +
            f"\n\nBạn chụp ảnh rõ nét hoặc gửi tệp PDF từng giấy tờ (JPEG, PNG, PDF; tối đa "
            f"{svc.max_bytes // (1024 * 1024)} MB một tệp, {svc.max_files} tệp một hồ sơ). "
            "Sau mỗi tệp, bạn chọn đó là giấy tờ nào.")
    buttons = [ReplyButton("Nộp hồ sơ", step("send"))] if view.files else []
    return ReplyMessage(text, buttons)


def file_received(svc: UploadService, view: SubmissionView, file_id: str, size: int, kind: str) -> ReplyMessage:
    what = "Tệp PDF" if kind == "pdf" else "Ảnh"
    buttons = [ReplyButton(f"Đây là: {_short(it.label)}", step(f"a:{file_id}:{i}"))
               for i, it in enumerate(svc.checklist(view.procedure, view.case), start=1)]
    buttons.append(ReplyButton("Xóa tệp này", step(f"x:{file_id}")))
    return ReplyMessage(f"Đã nhận {what.lower()} ({_size(size)}, đã lưu mã hóa). Đây là giấy tờ nào?", buttons)


def status(svc: UploadService, view: SubmissionView, header: str | None = None) -> ReplyMessage:
    missing = svc.missing(view)
    lines = [header] if header else []
    lines.append(f"Hồ sơ {_name(view.procedure)}: đã có {len(view.files)} tệp.")
    lines += _checklist_lines(svc, view)
    if missing:
        lines.append("Còn thiếu (bắt buộc): " + "; ".join(m.label for m in missing) + ".")
        lines.append("Bạn gửi tiếp ảnh các giấy tờ còn thiếu, hoặc bấm \"Nộp hồ sơ\" nếu đã đủ.")
    else:
        lines.append("Đã đủ giấy tờ bắt buộc. Bạn bấm \"Nộp hồ sơ\" để gửi cho cán bộ kiểm tra.")
    return ReplyMessage("\n".join(lines), [ReplyButton("Nộp hồ sơ", step("send"))] if view.files else [])


def attached(svc: UploadService, view: SubmissionView, item: ChecklistItem) -> ReplyMessage:
    return status(svc, view, header=f"Đã ghi nhận: {item.label}.")


def removed(svc: UploadService, view: SubmissionView) -> ReplyMessage:
    return status(svc, view, header="Đã xóa tệp đó.")


def confirm_incomplete(missing: list[ChecklistItem]) -> ReplyMessage:
    return ReplyMessage("Hồ sơ còn thiếu giấy tờ bắt buộc: " + "; ".join(m.label for m in missing) +
                        ".\nBạn vẫn muốn nộp để cán bộ xem trước chứ?",
                        [ReplyButton("Vẫn nộp", step("send!")), ReplyButton("Gửi thêm giấy tờ", step("list"))])


def submitted(view: SubmissionView, retention_days: int) -> ReplyMessage:
    appt = f" Hồ sơ đã gắn với lịch hẹn lúc {_local(view.appointment_at)}." if view.appointment_at else ""
    return ReplyMessage(
        f"Đã nộp hồ sơ gửi trước (mã {view.public_id}, {len(view.files)} tệp).{appt} "
        "Cán bộ xã sẽ kiểm tra và báo kết quả cho bạn trong cuộc trò chuyện này. "
        "Khi đến xã, bạn nhớ mang theo bản chính các giấy tờ.\n"
        f"Giấy tờ sẽ tự động bị xóa {retention_days} ngày sau ngày hẹn hoặc ngày nộp; bạn có thể xóa "
        "ngay bằng cách nhắn \"xóa dữ liệu của tôi\".")


def nothing_to_submit() -> ReplyMessage:
    return ReplyMessage("Bạn chưa gửi tệp nào. Bạn chụp ảnh giấy tờ rồi gửi vào đây nhé.")


def review_result(svc: UploadService, view: SubmissionView) -> ReplyMessage:
    lines = [f"Kết quả kiểm tra hồ sơ gửi trước (mã {view.public_id}, thủ tục {_name(view.procedure)}):"]
    need_more = False
    for st in svc.item_states(view):
        if st.review is not None:
            if st.review.status == OK:
                lines.append(f"✅ {st.item.label}: đạt")
            else:
                need_more = True
                note = f" — {st.review.note}" if st.review.note else ""
                lines.append(f"⚠️ {st.item.label}: cần bổ sung{note}")
        elif st.item.required and not st.files:
            need_more = True
            lines.append(f"⚠️ {st.item.label}: chưa gửi")
    lines.append("Bạn gửi bổ sung các giấy tờ cần bổ sung (nhắn \"gửi trước hồ sơ\") hoặc mang đến xã khi đi làm thủ tục."
                 if need_more else "Hồ sơ đã đạt. Khi đến xã, bạn mang theo bản chính các giấy tờ nhé.")
    return ReplyMessage("\n".join(lines))


def result_ready(view: SubmissionView, place: str) -> ReplyMessage:
    """The officer finished the case: come and collect the result."""
    return ReplyMessage(f"Dạ, kết quả hồ sơ {_name(view.procedure)} (mã {view.public_id}) của anh/chị đã sẵn sàng. "
                        f"Mời anh/chị đến {place} để nhận, mang theo CCCD hoặc thẻ căn cước và giấy hẹn (nếu có).")


# ---------------------------------------------------------------------------- deletion

def _held(report) -> str:
    parts = [(report.files, "tệp giấy tờ"), (report.submissions, "hồ sơ gửi trước"), (report.bookings, "lịch hẹn"),
             (report.questions, "câu hỏi đã ghi nhận"), (report.officer_messages, "tin nhắn trao đổi với cán bộ"),
             (report.queued, "tin nhắn chờ trả lời")]
    return ", ".join(f"{n} {label}" for n, label in parts if n)


def delete_question(report) -> ReplyMessage:
    held = _held(report)
    return ReplyMessage(f"Xã đang lưu của bạn: {held or 'thông tin bạn đã đồng ý lưu trữ'}. "
                        "Bạn muốn xóa toàn bộ ngay bây giờ? Lịch hẹn sắp tới cũng sẽ bị hủy. "
                        "Việc xóa không thể hoàn tác.",
                        [ReplyButton("Xóa toàn bộ", intent_payload(DELETE, upload="yes")),
                         ReplyButton("Không xóa", intent_payload(DELETE, upload="keep"))])


def nothing_stored() -> ReplyMessage:
    return ReplyMessage("Xã không lưu giấy tờ, lịch hẹn hay tin nhắn nào của bạn, nên không có gì để xóa. "
                        "Nếu cần hỗ trợ thêm về dữ liệu cá nhân, bạn liên hệ cán bộ xã.")


def deleted(report) -> ReplyMessage:
    held = _held(report)
    return ReplyMessage("Đã xóa toàn bộ dữ liệu cá nhân của bạn"
                        + (f": {held}" if held else "") + ", cùng thông tin đồng ý lưu trữ. "
                        "Tệp đã bị xóa khỏi máy chủ của xã, không thể khôi phục.")


def kept() -> ReplyMessage:
    return ReplyMessage("Dạ, mình giữ nguyên. Bạn có thể yêu cầu xóa bất cứ lúc nào.")


# ---------------------------------------------------------------------------- officer side

def officer_notice(svc: UploadService, view: SubmissionView) -> str:
    missing = svc.missing(view)
    appt = f"\nLịch hẹn: {_local(view.appointment_at)}" if view.appointment_at else ""
    miss = ("\nCòn thiếu: " + "; ".join(m.label for m in missing)) if missing else "\nĐủ giấy tờ bắt buộc."
    return (f"📥 Hồ sơ gửi trước mới — mã {view.public_id}\nThủ tục: {_name(view.procedure)}\n"
            f"Số tệp: {len(view.files)}{appt}{miss}\nXem tệp: /hoso {view.public_id}")
