"""Answering questions about the five procedures from the knowledge base.

Conversation memory the caller keeps between turns (Rasa slots): the procedure being discussed,
its sub-case ("<procedure>:<case>", so a new procedure resets it), and the topic asked before
the procedure was known (answered as soon as the resident picks one).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from hotich.assistant.replies import ReplyButton, ReplyMessage, intent_payload, procedure_buttons
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
ASK_PROCEDURE_TEXT = "Bạn muốn hỏi về thủ tục nào ạ? Bạn chọn một trong năm thủ tục dưới đây nhé:"


@dataclass
class QAState:
    procedure: str | None = None
    case: str | None = None            # "<procedure>:<case>"
    pending_topic: str | None = None


@dataclass
class QAResult:
    messages: list[ReplyMessage]
    state: QAState
    answered: bool                       # False when we had to ask which procedure
    needs_confirmation: bool = False
    topic: str | None = None
    extra: dict = field(default_factory=dict)


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
    """Next questions a resident usually has, plus booking and sending papers ahead."""
    case_arg = None if case == "default" else case
    buttons = [ReplyButton(label, intent_payload(TOPIC_INTENT[topic], procedure=procedure, case=case_arg))
               for topic, label in TOPIC_BUTTON.items() if topic != skip_topic]
    buttons.append(ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)))
    buttons.append(ReplyButton("📤 Gửi trước hồ sơ", intent_payload("upload_documents", procedure=procedure)))
    if needs_confirmation:
        buttons.append(ReplyButton("🙋 Hỏi cán bộ", intent_payload("talk_to_officer", procedure=procedure)))
    return buttons


def overview_message(kb: KnowledgeBase, procedure: str) -> ReplyMessage:
    """First reply on a procedure (deep link, or the resident just named it)."""
    entry = kb.get(procedure)
    buttons = [ReplyButton(TOPIC_BUTTON[t], intent_payload(TOPIC_INTENT[t], procedure=procedure))
               for t in ("documents", "fee", "processing_time")]
    buttons.append(ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)))
    buttons.append(ReplyButton("📤 Gửi trước hồ sơ", intent_payload("upload_documents", procedure=procedure)))
    for code, case in entry.cases.items():
        if code != "default":
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
        return QAResult([msg], QAState(None, None, topic), answered=False, topic=topic)

    case = resolve_case(kb, procedure, text, button_case, state.case)
    new_state = QAState(procedure, f"{procedure}:{case}", None)
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
