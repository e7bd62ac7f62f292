"""Free questions through the real trained stack (gateway → Rasa with LongMessageRouter → actions
server → FAQ retrieval): narratives and unaccented chat reach the right situation, the bot asks
back when unsure, says plainly when it has no answer, and follows the resident's sub-case."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from hotich.db.models import QuestionLog
from hotich.db.session import session_scope

pytestmark = pytest.mark.e2e

OFFICER = "🙋 Hỏi cán bộ"


def sid() -> str:
    return "ans-" + uuid.uuid4().hex[:20]


def text(body: dict) -> str:
    return "\n".join(m["text"] for m in body["messages"])


def buttons(body: dict) -> list[dict]:
    return [b for m in body["messages"] for b in m.get("buttons", [])]


def say(stack, chat, session: str, message: str | None = None, payload: str | None = None, start=None) -> dict:
    status, body = chat(stack, session, message, payload=payload, start=start)
    assert status == 200, body
    return body


def pick(stack, chat, session: str, body: dict, *title_starts: str) -> dict:
    """The situation's answer: directly, or by pressing its "Ý anh/chị là…" button."""
    if text(body).startswith(title_starts):
        return body
    match = [b for b in buttons(body) if b["title"].startswith(title_starts)]
    assert match, (text(body), [b["title"] for b in buttons(body)])
    assert "Ý anh/chị là" in text(body)
    return say(stack, chat, session, payload=match[0]["payload"])


def test_family_narrative_reaches_the_home_birth_situation_and_its_details(stack, chat):
    s = sid()
    body = say(stack, chat, s, "Tôi sinh cháu ở nhà, không có giấy chứng sinh, nay cháu gần 2 tuổi vẫn chưa "
                               "làm giấy khai sinh, giờ phải làm sao")
    assert "Giờ tiếp nhận" not in text(body) and "em chưa hiểu" not in text(body)
    body = pick(stack, chat, s, body, "Sinh con tại nhà")
    answer = text(body)
    assert "người làm chứng" in answer and "Căn cứ:" in answer
    assert "Nếu trường hợp của anh/chị khác" in answer and "⚠️" not in answer
    assert len(body["messages"][0]["text"]) <= 900 and len(buttons(body)) <= 6
    details = [b for b in buttons(body) if b["title"] == "📖 Xem chi tiết"]
    assert details
    more = say(stack, chat, s, payload=details[0]["payload"])
    assert "chi tiết" in text(more).splitlines()[0]


def test_unaccented_chat_about_a_death_in_hospital_gets_where_to_register(stack, chat):
    body = say(stack, chat, sid(), "ong toi mat o benh vien tinh, khai tu o dau a")
    answer = text(body)
    assert "cư trú cuối cùng" in answer, answer
    assert "Tờ khai đăng ký khai tử (có thể" not in answer       # not the plain list of papers


def test_a_clarification_shows_situations_and_pressing_one_answers_it(stack, chat):
    s = sid()
    body = say(stack, chat, s, "mất giấy kết hôn xin cấp lại")
    if "Ý anh/chị là" in text(body):
        situations = [b for b in buttons(body) if b["payload"].startswith("/describe_situation")]
        assert 2 <= len(situations) <= 3
        assert any(b["title"].startswith("Trường hợp khác") for b in buttons(body))
        body = say(stack, chat, s, payload=situations[0]["payload"])
        assert text(body).startswith(situations[0]["title"])
    assert "trích lục" in text(body).lower()


def test_unrelated_text_gets_a_plain_no_answer_and_the_officer(stack, chat):
    body = say(stack, chat, sid(), "hôm nay trời đẹp quá, cuối tuần này đi chơi ở đâu thì vui nhỉ")
    assert "chưa có câu trả lời" in text(body) or "chưa hỗ trợ được" in text(body), text(body)
    assert OFFICER in [b["title"] for b in buttons(body)]


def test_a_new_situation_replaces_the_lost_certificate_case(stack, chat):
    s = sid()
    body = say(stack, chat, s, "mất giấy kết hôn xin cấp lại")
    pick(stack, chat, s, body, "Mất giấy đăng ký kết hôn", "Có cấp lại bản chính giấy chứng nhận kết hôn")
    follow = say(stack, chat, s, "thế lệ phí bao nhiêu?")
    assert "trích lục" in text(follow).lower()                     # the sub-case stays for a follow-up
    body = say(stack, chat, s, "chồng tôi là người Hàn Quốc, đăng ký kết hôn ở xã được không")
    body = pick(stack, chat, s, body, "Kết hôn với người nước ngoài")
    assert "nước ngoài" in text(body) and "trích lục" not in text(body).lower()
    with session_scope(stack.db_url) as db:
        routes = db.execute(select(QuestionLog.route, QuestionLog.entry_id)
                            .where(QuestionLog.sender_id == f"web:{s}")).all()
    assert any(route == "retrieval" and entry for route, entry in routes), routes


def test_qr_overview_states_its_sources(stack, chat):
    body = say(stack, chat, sid(), start="ks")
    overview = text(body)
    assert overview.startswith("Đăng ký khai sinh")
    assert "Căn cứ: " in overview and "Luật Hộ tịch 2014" in overview
    assert len(buttons(body)) <= 6


def test_chat_turns_that_are_not_questions(stack, chat):
    s = sid()
    body = say(stack, chat, s, "ko hiểu")
    assert "nói chưa rõ" in text(body) and "Em là trợ lý" not in text(body)
    body = say(stack, chat, s, "có")
    assert "cần hỏi gì" in text(body) and "Không có gì" not in text(body)
    body = say(stack, chat, sid(), "có phải mang ảnh thẻ không")
    assert "Nghị định 13/2023" not in text(body)                   # no upload consent for a question
