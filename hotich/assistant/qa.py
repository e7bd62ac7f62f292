"""Answering questions about the five procedures from the knowledge base.

Conversation memory the caller keeps between turns (Rasa slots): the procedure being discussed,
its sub-case ("<procedure>:<case>", so a new procedure resets it), the FAQ entry (situation) last
answered, and the topic asked before the procedure was known (answered as soon as the resident
picks one). Free questions go through hotich.assistant.answers first.
"""
from __future__ import annotations

from dataclasses import dataclass

from hotich.assistant.replies import (MAX_BUTTONS, ReplyButton, ReplyMessage, intent_payload, officer_button,
                                      procedure_buttons)
from hotich.kb import KnowledgeBase, render_answer

# Intent → KB topic. Intent names are part of the NLU contract.
INTENT_TOPIC = {
    "ask_documents": "documents",
    "ask_fee": "fee",
    "ask_processing_time": "processing_time",
    "ask_deadline": "deadline",
    "ask_online": "online",
    "ask_who_comes": "in_person",
}
TOPIC_INTENT = {v: k for k, v in INTENT_TOPIC.items()}
TOPIC_BUTTON = {
    "documents": "📄 Giấy tờ cần chuẩn bị",
    "fee": "💰 Lệ phí",
    "processing_time": "⏱ Thời gian giải quyết",
    "deadline": "📅 Thời hạn",
    "online": "🌐 Nộp trực tuyến",
    "in_person": "👥 Ai phải có mặt",
}
ASK_PROCEDURE_TEXT = "Dạ, anh/chị hỏi về thủ tục nào ạ? Anh/chị chọn một trong năm thủ tục dưới đây nhé:"
# Next questions offered under an answer, most asked first (with booking, sending ahead, officer ≤ 6).
FOLLOW_UP_TOPICS = ("documents", "fee", "processing_time", "in_person")


@dataclass
class QAState:
    procedure: str | None = None
    case: str | None = None            # "<procedure>:<case>"
    pending_topic: str | None = None
    situation: str | None = None       # FAQ entry id last answered (details, follow-ups)


@dataclass
class QAResult:
    messages: list[ReplyMessage]
    state: QAState
    answered: bool                       # False when we had to ask (which procedure, which situation)
    needs_confirmation: bool = False
    topic: str | None = None
    # For the question log: answered | clarify | none | ask_procedure, how it was decided,
    # the FAQ entry and its retrieval score.
    outcome: str = "answered"
    route: str = "nlu"
    entry_id: str | None = None
    score: float | None = None


def resolve_procedure(kb: KnowledgeBase, entity: str | None, text: str, remembered: str | None) -> str | None:
    """This turn's entity, else a procedure named in the text, else the one we were discussing."""
    if entity and entity in kb.procedures():
        return entity
    return kb.detect_procedure(text or "") or remembered


def resolve_case(kb: KnowledgeBase, procedure: str, text: str, button_case: str | None,
                 remembered: str | None) -> str:
    entry = kb.get(procedure)
    if button_case and button_case in entry.cases:
        return button_case
    detected = kb.detect_case(procedure, text or "")
    if detected != "default":
        return detected
    if remembered and remembered.startswith(procedure + ":"):
        return remembered.split(":", 1)[1]
    return "default"


def follow_up_buttons(kb: KnowledgeBase, procedure: str, case: str, skip_topic: str | None,
                      needs_confirmation: bool) -> list[ReplyButton]:
    """Next questions a resident usually has, plus booking and sending papers ahead (≤ 6)."""
    case_arg = None if case == "default" else case
    extra = [ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)),
             ReplyButton("📤 Gửi trước hồ sơ", intent_payload("upload_documents", procedure=procedure))]
    if needs_confirmation:
        extra.append(officer_button(procedure))
    topics = [ReplyButton(TOPIC_BUTTON[t], intent_payload(TOPIC_INTENT[t], procedure=procedure, case=case_arg))
              for t in FOLLOW_UP_TOPICS if t != skip_topic]
    return topics[:MAX_BUTTONS - len(extra)] + extra


def overview_message(kb: KnowledgeBase, procedure: str) -> ReplyMessage:
    """First reply on a procedure (deep link, or the resident just named it). The sub-cases are
    listed in the text; the buttons are the most asked questions (≤ 6)."""
    entry = kb.get(procedure)
    buttons = [ReplyButton(TOPIC_BUTTON[t], intent_payload(TOPIC_INTENT[t], procedure=procedure))
               for t in ("documents", "fee", "processing_time")]
    buttons.append(ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)))
    buttons.append(ReplyButton("📤 Gửi trước hồ sơ", intent_payload("upload_documents", procedure=procedure)))
    for code, case in entry.cases.items():
        if code != "default" and len(buttons) < MAX_BUTTONS:
            buttons.append(ReplyButton(case.title, intent_payload("choose_procedure", procedure=procedure, case=code)))
    return ReplyMessage(kb.overview(procedure), buttons)


def answer(kb: KnowledgeBase, intent: str, text: str, state: QAState,
           entity_procedure: str | None = None, button_case: str | None = None) -> QAResult:
    topic = INTENT_TOPIC.get(intent)
    if intent == "choose_procedure" and topic is None:
        topic = state.pending_topic                     # answer what was asked before the choice
    procedure = resolve_procedure(kb, entity_procedure, text, state.procedure)
    if procedure is None:
        msg = ReplyMessage(ASK_PROCEDURE_TEXT, procedure_buttons())
        return QAResult([msg], QAState(None, None, topic), answered=False, topic=topic, outcome="ask_procedure")

    case = resolve_case(kb, procedure, text, button_case, state.case)
    case_key = f"{procedure}:{case}"
    # The situation stays while the resident stays on its sub-case (topic buttons under it).
    new_state = QAState(procedure, case_key, None, situation=state.situation if state.case == case_key else None)
    if topic is None:
        if case != "default" and intent == "choose_procedure" and button_case:
            # A sub-case button: show its papers straight away, the most asked question.
            topic = "documents"
        else:
            return QAResult([overview_message(kb, procedure)], new_state, answered=True)
    ans = kb.answer(procedure, topic, case)
    needs = bool(ans.needs_confirmation)
    msg = ReplyMessage(render_answer(ans), follow_up_buttons(kb, procedure, case, topic, needs))
    return QAResult([msg], new_state, answered=True, needs_confirmation=needs, topic=topic)
