"""The assistant's answers as plain Python (no Rasa): what a resident reads for each turn."""
import json

import pytest

from hotich.assistant import general
from hotich.assistant.qa import ASK_PROCEDURE_TEXT, QAState, answer
from hotich.commune import load_profile
from hotich.config import ROOT
from hotich.kb import KnowledgeBase
from hotich.procedures import CODES


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.load(ROOT / "data" / "kb")


@pytest.fixture(scope="module")
def profile():
    return load_profile(ROOT / "data" / "commune" / "song_phuong.yml")


KEY_DOCUMENT = {
    "khai_sinh": "giấy chứng sinh",
    "khai_tu": "giấy báo tử",
    "ket_hon": "tờ khai đăng ký kết hôn",
    "chung_thuc": "bản chính",
    "xac_nhan_hon_nhan": "tờ khai",
}


@pytest.mark.parametrize("code", CODES)
def test_documents_answer_names_the_key_paper_and_cites_a_source(kb, code):
    r = answer(kb, "ask_documents", "cần giấy tờ gì", QAState(), entity_procedure=code)
    text = r.messages[0].text
    assert KEY_DOCUMENT[code] in text.lower()
    assert "Căn cứ:" in text and "Cập nhật" in text


def test_question_without_procedure_asks_with_five_buttons_then_answers_it(kb):
    first = answer(kb, "ask_fee", "lệ phí bao nhiêu", QAState())
    assert first.messages[0].text == ASK_PROCEDURE_TEXT
    payloads = [b.payload for b in first.messages[0].buttons]
    assert len(payloads) == 5
    assert json.loads("{" + payloads[3].split("{", 1)[1])["procedure"] == "chung_thuc"
    # The resident presses "Chứng thực": the fee question is answered, not an overview.
    second = answer(kb, "choose_procedure", "", first.state, entity_procedure="chung_thuc")
    assert "2.000" in second.messages[0].text
    assert second.state.pending_topic is None


def test_procedure_stays_in_context_for_follow_ups(kb):
    first = answer(kb, "ask_documents", "đăng ký kết hôn cần gì", QAState(), entity_procedure="ket_hon")
    follow = answer(kb, "ask_fee", "thế lệ phí bao nhiêu?", first.state)
    assert follow.state.procedure == "ket_hon"
    assert "miễn" in follow.messages[0].text.lower()


def test_sub_case_detected_from_text_and_kept_for_follow_up(kb):
    first = answer(kb, "ask_fee", "làm giấy khai sinh quá hạn mất bao nhiêu tiền", QAState(),
                   entity_procedure="khai_sinh")
    assert first.state.case == "khai_sinh:qua_han"
    assert "cần xác nhận với cán bộ" in first.messages[0].text
    assert any("Hỏi cán bộ" in b.title for b in first.messages[0].buttons)
    follow = answer(kb, "ask_documents", "cần giấy tờ gì", first.state)
    assert follow.state.case == "khai_sinh:qua_han"


def test_switching_procedure_resets_the_sub_case(kb):
    first = answer(kb, "ask_fee", "khai sinh quá hạn", QAState(), entity_procedure="khai_sinh")
    other = answer(kb, "ask_fee", "còn chứng thực chữ ký thì sao", first.state, entity_procedure="chung_thuc")
    assert other.state.case == "chung_thuc:chu_ky"
    assert "10.000" in other.messages[0].text


def test_procedure_found_in_text_when_the_entity_is_missing(kb):
    r = answer(kb, "ask_documents", "xin giay doc than can giay to gi", QAState())
    assert r.state.procedure == "xac_nhan_hon_nhan"


def test_choosing_a_procedure_shows_its_overview_with_buttons(kb):
    r = answer(kb, "choose_procedure", "", QAState(), entity_procedure="khai_tu")
    titles = [b.title for b in r.messages[0].buttons]
    assert any("Giấy tờ" in t for t in titles) and any("Đặt lịch" in t for t in titles)
    assert any("Gửi trước" in t for t in titles)


def test_office_info_comes_from_the_commune_profile(profile):
    msg = general.office_info(profile, "thu 7 xa co lam viec khong")
    assert "Thứ Bảy" in msg.text and "08:00" in msg.text
    assert profile.address not in msg.text          # asked about hours only
    full = general.office_info(profile, "")
    assert profile.address in full.text and profile.phone in full.text


def test_second_miss_in_a_row_offers_the_officer(profile):
    first = general.fallback(profile, 1)
    second = general.fallback(profile, 2)
    assert "nói rõ hơn" in first.text
    assert profile.phone in second.text
    assert any("cán bộ" in b.title for b in second.buttons)
