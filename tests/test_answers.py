"""Free questions answered from the FAQ (hotich.assistant.answers) with the real KB and the real
retriever: what a resident reads, when the bot asks back, when it says it has no answer, and how
the sub-case follows the conversation."""
from __future__ import annotations

import json

import pytest

from hotich.assistant import answers, general
from hotich.assistant.qa import ASK_PROCEDURE_TEXT, QAState
from hotich.assistant.replies import MAX_BUTTONS, NOT_SURE_LINE
from hotich.commune import load_profile
from hotich.config import ROOT
from hotich.kb import KnowledgeBase
from hotich.retrieval import Decision, Hit, Retriever
from hotich.text.shape import is_long_message


@pytest.fixture(scope="module")
def kb():
    return KnowledgeBase.load(ROOT / "data" / "kb")


@pytest.fixture(scope="module")
def retriever(kb):
    return Retriever.build(kb)


@pytest.fixture(scope="module")
def profile():
    return load_profile(ROOT / "data" / "commune" / "song_phuong.yml")


def ask(kb, retriever, profile, text, state=None, intent="describe_situation", confidence=1.0, **kw):
    return answers.find(kb, retriever, profile, text, state or QAState(), intent=intent, confidence=confidence, **kw)


def payload_situation(payload: str) -> str:
    assert payload.startswith("/describe_situation{"), payload
    return json.loads(payload[payload.index("{"):])["situation"]


# --- message shape -------------------------------------------------------------------------

@pytest.mark.parametrize("text,long", [
    ("Tôi sinh cháu ở nhà, không có giấy chứng sinh, nay cháu gần 2 tuổi vẫn chưa làm giấy khai sinh, "
     "giờ phải làm sao", True),
    ("Bố em mất rồi. Giờ em cần làm giấy khai tử ở đâu ạ?", True),        # two sentences
    ("lệ phí khai sinh bao nhiêu", False),
    ("Dạ. Cho hỏi ạ.", False),                                            # no content in either
    ('/describe_situation{"situation":"ks.sinh_tai_nha"}', False),
])
def test_narratives_are_told_from_short_turns(text, long):
    assert is_long_message(text) is long


# --- what the resident reads ---------------------------------------------------------------

def test_an_answer_is_short_with_its_sources_details_and_one_plain_line(kb):
    entry = kb.faq_entry("ks.sinh_tai_nha")
    msg = answers.entry_message(kb, entry)
    lines = msg.text.splitlines()
    assert lines[0] == entry.title
    assert NOT_SURE_LINE in lines and "⚠️" not in msg.text
    cites = [ln for ln in lines if ln.startswith("Căn cứ: ")]
    assert len(cites) == 1 and cites[0].count(";") <= 1
    assert len(msg.text) <= 900
    assert len(msg.buttons) <= MAX_BUTTONS
    titles = [b.title for b in msg.buttons]
    assert "🙋 Hỏi cán bộ" in titles
    if entry.details:
        assert "📖 Xem chi tiết" in titles
        shown = answers.details(kb, None, answers.state_after(QAState(), entry))
        assert entry.details.strip()[:40] in shown.messages[0].text


def test_every_entry_fits_a_small_phone(kb):
    for entry in kb.faq():
        msg = answers.entry_message(kb, entry)
        assert len(msg.buttons) <= MAX_BUTTONS, entry.id
        assert len(msg.text) <= 1000, entry.id


def test_unrelated_text_gets_a_plain_no_answer_and_the_officer(kb, retriever, profile):
    r = ask(kb, retriever, profile, "hôm nay trời đẹp quá, đi chơi đâu nhỉ", intent="nlu_fallback", confidence=0.2)
    assert r.outcome == "none" and not r.answered
    msg = r.messages[0]
    assert "chưa có câu trả lời" in msg.text
    assert msg.buttons[0].title == "🙋 Hỏi cán bộ" and msg.buttons[0].payload.startswith("/talk_to_officer")


def test_the_headline_narrative_reaches_the_home_birth_situation(kb, retriever, profile):
    text = ("Tôi sinh cháu ở nhà, không có giấy chứng sinh, nay cháu gần 2 tuổi vẫn chưa làm giấy khai sinh, "
            "giờ phải làm sao")
    r = ask(kb, retriever, profile, text)
    offered = [r.entry_id] if r.outcome == "answered" else \
        [payload_situation(b.payload) for b in r.messages[0].buttons if b.payload.startswith("/describe_situation")]
    assert "ks.sinh_tai_nha" in offered
    assert "office" not in (r.entry_id or "") and r.state.procedure in (None, "khai_sinh")


def test_a_clarification_offers_situations_and_pressing_one_answers_it(kb, retriever, profile):
    r = ask(kb, retriever, profile, "giay xac nhan doc than dung duoc bao lau")
    if r.outcome == "clarify":
        buttons = [b for b in r.messages[0].buttons if b.payload.startswith("/describe_situation")]
        assert 2 <= len(buttons) <= 3 and r.messages[0].text.endswith("Ý anh/chị là…")
        assert r.messages[0].buttons[-1].payload.startswith("/talk_to_officer")
        chosen = payload_situation(buttons[0].payload)
    else:
        chosen = r.entry_id
    picked = answers.choose(kb, chosen, r.state)
    assert picked.outcome == "answered" and picked.entry_id == chosen
    assert picked.messages[0].text.startswith(kb.faq_entry(chosen).title)
    assert picked.state.situation == chosen


def test_a_generic_question_without_procedure_asks_which_one(kb, retriever, profile):
    r = ask(kb, retriever, profile, "lệ phí bao nhiêu?", intent="ask_fee", confidence=0.95)
    assert r.messages[0].text == ASK_PROCEDURE_TEXT and r.state.pending_topic == "fee"


def test_where_question_gets_the_where_entry_not_the_papers(kb, retriever, profile):
    r = ask(kb, retriever, profile, "khai tử ở đâu", intent="ask_documents", confidence=0.9)
    assert r.route == "retrieval" and r.outcome == "answered"
    assert kb.faq_entry(r.entry_id).topic == "where" and r.state.procedure == "khai_tu"


# --- the sub-case lives while the resident stays on it -------------------------------------

def test_generic_follow_up_keeps_the_sub_case(kb, retriever, profile):
    lost = QAState("ket_hon", "ket_hon:trich_luc", situation="kh.khong_cap_lai_ban_chinh")
    r = ask(kb, retriever, profile, "thế lệ phí bao nhiêu?", lost, intent="ask_fee", confidence=0.95)
    assert r.state.case == "ket_hon:trich_luc"
    if r.entry_id:
        e = kb.faq_entry(r.entry_id)
        assert (e.procedure, e.case, e.topic) == ("ket_hon", "trich_luc", "fee")


def test_generic_follow_up_after_the_ordinary_case_is_not_a_special_answer(kb, retriever, profile):
    ordinary = QAState("ket_hon", "ket_hon:default", situation="kh.giay_to_trong_nuoc")
    r = ask(kb, retriever, profile, "thế lệ phí bao nhiêu?", ordinary, intent="ask_fee", confidence=0.95)
    assert r.state.case == "ket_hon:default"
    if r.entry_id:
        assert not kb.faq_entry(r.entry_id).special
    assert "miễn" in r.messages[0].text.lower()


def test_a_new_situation_replaces_the_sub_case(kb, retriever, profile):
    lost = QAState("ket_hon", "ket_hon:trich_luc", situation="kh.khong_cap_lai_ban_chinh")
    r = ask(kb, retriever, profile, "chồng tôi là người Hàn Quốc, đăng ký kết hôn ở xã được không", lost)
    assert r.state.case != "ket_hon:trich_luc"
    if r.outcome == "answered":
        assert kb.faq_entry(r.entry_id).case == "nuoc_ngoai" and r.state.case == "ket_hon:nuoc_ngoai"
    else:
        assert all(kb.faq_entry(payload_situation(b.payload)).case != "trich_luc"
                   for b in r.messages[0].buttons if b.payload.startswith("/describe_situation"))


def test_another_procedure_resets_the_sub_case(kb):
    lost = QAState("ket_hon", "ket_hon:trich_luc", situation="kh.khong_cap_lai_ban_chinh")
    after = answers.state_after(lost, kb.faq_entry("kt.noi_khai_tu"))
    assert (after.procedure, after.case, after.situation) == ("khai_tu", "khai_tu:default", "kt.noi_khai_tu")
    general_entry = next(e for e in kb.faq() if e.procedure == "chung")
    kept = answers.state_after(lost, general_entry)
    assert (kept.procedure, kept.case) == ("ket_hon", "ket_hon:trich_luc")


# --- never the ordinary facts for a special case, never another procedure's --------------

def _decision(kb, kind, top_id, *others):
    hits = tuple(Hit(kb.faq_entry(i), 1.0 - n / 10, 0.9, 0.5) for n, i in enumerate((top_id, *others)))
    return Decision(kind, hits[0].entry if kind == "answer" else None, (), hits)


def test_an_ordinary_entry_is_not_given_when_the_text_names_a_special_case(kb):
    d = _decision(kb, "answer", "ks.giay_to_dung_han", "ks.qua_han_giay_to")
    picked = answers._safe_entry(kb, d, "khai sinh quá hạn cần giấy tờ gì", None)
    assert picked is not None and picked.id == "ks.qua_han_giay_to"
    alone = _decision(kb, "answer", "ks.giay_to_dung_han", "ks.le_phi_dung_han")
    assert answers._safe_entry(kb, alone, "khai sinh quá hạn cần giấy tờ gì", None) is None


def test_an_entry_of_another_procedure_than_the_one_named_is_not_given(kb):
    d = _decision(kb, "answer", "kh.le_phi", "kt.noi_khai_tu", "ks.le_phi_dung_han")
    assert answers._safe_entry(kb, d, "lệ phí khai sinh", "khai_sinh").id == "ks.le_phi_dung_han"


# --- register ------------------------------------------------------------------------------

def test_replies_address_residents_as_anh_chi(profile):
    for msg in (general.greeting(profile), general.fallback(profile, 1), general.out_of_scope(profile),
                general.not_understood(profile, None), general.what_to_ask(),
                answers.no_answer_message(profile, None)):
        assert "anh/chị" in msg.text.lower(), msg.text
        assert "bạn" not in msg.text.lower() and "mình" not in msg.text.lower(), msg.text
    assert "Một cửa" not in general.out_of_scope(profile).text


def test_two_special_situations_close_together_are_asked_not_guessed(kb, retriever, profile):
    d = _decision(kb, "answer", "ks.qua_han_giay_to", "ks.sinh_tai_nha", "ks.le_phi_dung_han")
    assert [e.id for e in answers._rival_situations(d, d.entry)] == ["ks.qua_han_giay_to", "ks.sinh_tai_nha"]
    far = Decision("answer", d.entry, (), (Hit(d.entry, 1.0, 0.9, 0.5), Hit(kb.faq_entry("ks.sinh_tai_nha"), 0.5, 0.8, 0.1)))
    assert answers._rival_situations(far, far.entry) == []
    ordinary = _decision(kb, "answer", "ks.giay_to_dung_han", "ks.sinh_tai_nha")
    assert answers._rival_situations(ordinary, ordinary.entry) == []


def test_a_plain_textbook_question_gets_the_ordinary_answer(kb, retriever, profile):
    r = ask(kb, retriever, profile, "lệ phí đăng ký khai tử bao nhiêu", intent="ask_fee", confidence=0.95)
    assert r.outcome == "answered" and "miễn lệ phí" in r.messages[0].text
    assert r.state.case == "khai_tu:default"


def test_a_question_naming_its_case_is_answered_for_that_case(kb, retriever, profile):
    r = ask(kb, retriever, profile, "đăng ký khai sinh quá hạn cần gì", intent="ask_documents", confidence=0.95)
    assert r.outcome == "answered" and r.state.case == "khai_sinh:qua_han"
    assert "khai sinh" in r.messages[0].text.lower()
