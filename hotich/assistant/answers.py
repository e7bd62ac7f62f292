"""Free questions: FAQ search (hotich.retrieval) combined with what the NLU understood.

Who comes here: narratives and low-confidence messages (Rasa intent `describe_situation` /
`nlu_fallback`), typed topic questions ("khai tử ở đâu"), the "Ý anh/chị là…" buttons and
"Xem chi tiết". The retriever decides answer / clarify / none; this module adds what the
conversation knows and the rules a resident relies on:

- the procedure the NLU found (entity, else the remembered slot) and the topic intent are priors;
- a short generic follow-up ("thế lệ phí bao nhiêu?") stays on the remembered sub-case; a new
  situation replaces it; another procedure resets it (QAState.case / QAState.situation);
- an ordinary answer is never given when the text names a special case, nor an answer of another
  procedure than the one the resident named;
- nothing found: say so plainly and offer the officer — unless DIET was confident about a
  textbook topic question, which the procedure's topic answer covers.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from hotich.assistant.qa import INTENT_TOPIC, TOPIC_INTENT, QAResult, QAState, answer as topic_answer
from hotich.assistant.replies import (MAX_BUTTONS, NOT_SURE_LINE, ReplyButton, ReplyMessage, intent_payload,
                                      officer_button, procedure_buttons)
from hotich.commune import CommuneProfile
from hotich.kb import DEFAULT_CASE, GENERAL, TOPICS, FaqEntry, KnowledgeBase
from hotich.kb.render import short_sources
from hotich.text.normalize import fold

ROUTE_NLU = "nlu"               # DIET's topic intent answered from the procedure's topics
ROUTE_RETRIEVAL = "retrieval"   # an FAQ entry found by the retriever
ROUTE_BUTTON = "button"         # the resident pressed a situation / details button

CONFIDENT_NLU = 0.8             # DIET above this on a short textbook question is right (NLU bench)
RIVAL_WINDOW = 0.12            # two special situations this close in score: ask which one
FOLLOW_UP_WORDS = 8             # "thế còn lệ phí thì sao ạ" is a follow-up, a story is not
SITUATION_INTENT = "describe_situation"
DETAILS_INTENT = "show_details"
# Words of a question that adds no situation of its own (folded, chat forms included).
GENERIC_WORDS = frozenset("""
the thi con vay va nua nhi a ah da de nhe voi oi ban em anh chi minh toi lam thu tuc phai co duoc dc
khong ko k gi j nao sao ra the bao nhieu tien le phi phi mat het ton giay to nhung can mang theo nop
thoi gian lau may ngay gio tuan xong lay ket qua o dau cho noi di ai ky ki ten truc tuyen online mang
han dang ky dk bi
""".split())
# Frequent words that say nothing about a situation, for the content check only.
_COMMON_WORDS = frozenset("nay hom qua roi luc nam thang tuoi nguoi nha xa hoi cho xin muon biet dung sai vi".split())
CLARIFY_TEXT = "Dạ, em muốn hỏi lại cho đúng. Ý anh/chị là…"
NO_DETAILS_TEXT = "Dạ, anh/chị muốn hỏi về việc gì ạ? Anh/chị nhắn câu hỏi hoặc chọn thủ tục:"


class Retrieval(Protocol):
    """What this module needs of hotich.retrieval.Retriever."""

    def decide(self, text: str, procedure: str | None = None, topic: str | None = None): ...


def situation_payload(entry_id: str) -> str:
    return intent_payload(SITUATION_INTENT, situation=entry_id)


def _cap(buttons: list[ReplyButton]) -> list[ReplyButton]:
    seen, out = set(), []
    for b in buttons:
        if b.payload not in seen:
            seen.add(b.payload)
            out.append(b)
    return out[:MAX_BUTTONS]


def entry_message(kb: KnowledgeBase, entry: FaqEntry) -> ReplyMessage:
    """Key facts first, sources in one short line, one plain line for cases that differ."""
    lines = [entry.title, "", entry.answer.strip(), "", short_sources(entry.sources), NOT_SURE_LINE]
    procedure = entry.procedure if entry.procedure != GENERAL else None
    buttons = []
    if entry.details:
        buttons.append(ReplyButton("📖 Xem chi tiết", intent_payload(DETAILS_INTENT, situation=entry.id)))
    for rid in entry.related[:2]:
        buttons.append(ReplyButton(kb.faq_entry(rid).title, situation_payload(rid)))
    if procedure:
        buttons.append(ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)))
    buttons.append(officer_button(procedure))
    return ReplyMessage("\n".join(lines), _cap(buttons))


def details_message(entry: FaqEntry) -> ReplyMessage:
    lines = [f"{entry.title} — chi tiết", "", (entry.details or entry.answer).strip(), "",
             short_sources(entry.sources, limit=len(entry.sources))]
    procedure = entry.procedure if entry.procedure != GENERAL else None
    buttons = [officer_button(procedure)]
    if procedure:
        buttons.insert(0, ReplyButton("🗓 Đặt lịch hẹn", intent_payload("book_appointment", procedure=procedure)))
    return ReplyMessage("\n".join(lines), buttons)


def clarify_message(kb: KnowledgeBase, candidates: Sequence[FaqEntry], procedure: str | None) -> ReplyMessage:
    buttons = [ReplyButton(e.title, situation_payload(e.id)) for e in candidates[:3]]
    about = {e.procedure for e in candidates} - {GENERAL}
    text = CLARIFY_TEXT
    if len(about) == 1:           # the resident sees we understood the procedure, only not the situation
        text = f"Dạ, về {kb.get(about.pop()).name.lower()}, em muốn hỏi lại cho đúng. Ý anh/chị là…"
    return ReplyMessage(text, buttons + [ReplyButton("Trường hợp khác — 🙋 Hỏi cán bộ",
                                                             intent_payload("talk_to_officer", procedure=procedure))])


def no_answer_message(profile: CommuneProfile, procedure: str | None) -> ReplyMessage:
    text = ("Dạ, câu này em chưa có câu trả lời. Anh/chị bấm \"Hỏi cán bộ\" để cán bộ xã trả lời"
            + (f", hoặc gọi {profile.phone}" if profile.phone else "")
            + " trong giờ làm việc ạ. Anh/chị cũng có thể hỏi em về giấy tờ, lệ phí, thời gian của 5 thủ tục:")
    return ReplyMessage(text, _cap([officer_button(procedure)] + procedure_buttons()))


def state_after(state: QAState, entry: FaqEntry) -> QAState:
    """A general entry (hours, where…) keeps the procedure and its case; a procedure's entry
    sets both: a new situation replaces the sub-case, another procedure resets it."""
    if entry.procedure == GENERAL:
        return QAState(state.procedure, state.case, None, situation=entry.id)
    return QAState(entry.procedure, f"{entry.procedure}:{entry.case}", None, situation=entry.id)


def _answered(kb: KnowledgeBase, entry: FaqEntry, state: QAState, route: str, score: float | None) -> QAResult:
    return QAResult([entry_message(kb, entry)], state_after(state, entry), answered=True, topic=entry.topic,
                    outcome="answered", route=route, entry_id=entry.id, score=score)


def _score(decision, entry: FaqEntry | None) -> float | None:
    return next((h.score for h in decision.hits if entry is not None and h.entry.id == entry.id), None)


def _remembered_case(state: QAState, procedure: str | None) -> str:
    if procedure and state.case and state.case.startswith(procedure + ":"):
        return state.case.split(":", 1)[1]
    return DEFAULT_CASE


def choose(kb: KnowledgeBase, entry_id: str, state: QAState) -> QAResult:
    """A "Ý anh/chị là…" or related-question button: answer that entry."""
    entry = _entry_or_none(kb, entry_id)
    if entry is None:                # a button sent before the KB changed
        return QAResult([ReplyMessage(NO_DETAILS_TEXT, procedure_buttons())], state, answered=False,
                        outcome="clarify", route=ROUTE_BUTTON)
    return _answered(kb, entry, state, ROUTE_BUTTON, None)


def details(kb: KnowledgeBase, entry_id: str | None, state: QAState) -> QAResult:
    """"Xem chi tiết": the entry of the button, else the situation being discussed."""
    entry = _entry_or_none(kb, entry_id or state.situation)
    if entry is None:
        return QAResult([ReplyMessage(NO_DETAILS_TEXT, procedure_buttons())], state, answered=False,
                        outcome="clarify", route=ROUTE_BUTTON)
    return QAResult([details_message(entry)], state_after(state, entry), answered=True, topic=entry.topic,
                    outcome="answered", route=ROUTE_BUTTON, entry_id=entry.id)


def find(kb: KnowledgeBase, retriever: Retrieval, profile: CommuneProfile, text: str, state: QAState, *,
         intent: str | None, confidence: float | None, topic_intent: str | None = None,
         entity_procedure: str | None = None) -> QAResult:
    """Answer typed text. `intent`/`confidence`: DIET's topic guess (for a narrative, the guess
    LongMessageRouter kept in the ranking, passed as `topic_intent`)."""
    topic_intent = topic_intent or intent
    topic = INTENT_TOPIC.get(topic_intent or "")
    named = entity_procedure if entity_procedure in kb.procedures() else kb.detect_procedure(text)
    procedure = named or state.procedure
    confident = topic is not None and (confidence or 0.0) >= CONFIDENT_NLU
    if procedure is None and topic and is_generic_follow_up(text):
        return _topic(kb, text, state, None, None, topic)          # "lệ phí bao nhiêu?": which procedure?
    decision = retriever.decide(text, procedure=procedure, topic=topic)
    follow = _follow_up(kb, decision, text, state, named, topic)
    if follow is not None:
        return follow

    if decision.kind == "answer":
        entry = _safe_entry(kb, decision, text, named)
        rivals = _rival_situations(decision, entry) if entry is not None else []
        if len(rivals) >= 2:
            return QAResult([clarify_message(kb, rivals, procedure)], state, answered=False, topic=topic,
                            outcome="clarify", route=ROUTE_RETRIEVAL, score=_score(decision, entry))
        if entry is not None:
            return _answered(kb, entry, state, ROUTE_RETRIEVAL, _score(decision, entry))
    if decision.kind == "clarify":
        candidates = [e for e in decision.candidates
                      if (not named or e.procedure in (named, GENERAL)) and _shares_content(text, e)]
        if confident and procedure and (not any(e.special for e in candidates)
                                        or _plain_question(kb, text, procedure)):
            return _topic(kb, text, state, procedure, named, topic)   # a textbook question, asked plainly
        named_case = _named_case(kb, candidates, text, topic)
        if named_case is not None:
            return _answered(kb, named_case, state, ROUTE_RETRIEVAL, _score(decision, named_case))
        if len(candidates) >= 2:
            return QAResult([clarify_message(kb, candidates, procedure)], state, answered=False, topic=topic,
                            outcome="clarify", route=ROUTE_RETRIEVAL,
                            score=decision.hits[0].score if decision.hits else None)
    if confident and procedure:
        return _topic(kb, text, state, procedure, named, topic)
    return QAResult([no_answer_message(profile, procedure)], state, answered=False, topic=topic, outcome="none",
                    route=ROUTE_RETRIEVAL, score=decision.hits[0].score if decision.hits else None)


def _plain_question(kb: KnowledgeBase, text: str, procedure: str) -> bool:
    """Only the procedure's name and topic words ("lệ phí đăng ký khai tử bao nhiêu"): the
    ordinary case's answer, not a choice among special situations nobody mentioned."""
    entry = kb.get(procedure)
    names = _words(" ".join((entry.name, *entry.keywords)))
    return kb.detect_case(procedure, text) == DEFAULT_CASE and _words(text) <= names | GENERIC_WORDS


def _named_case(kb: KnowledgeBase, candidates: Sequence[FaqEntry], text: str, topic: str | None) -> FaqEntry | None:
    """The one candidate of the sub-case the text names by its keywords ("quá hạn") and, when the
    NLU knows it, of the topic asked: no need to ask back."""
    procs = {e.procedure for e in candidates} - {GENERAL}
    if len(procs) != 1:
        return None
    procedure = procs.pop()
    case = kb.detect_case(procedure, text)
    if case == DEFAULT_CASE:
        return None
    fits = [e for e in candidates if e.procedure == procedure and e.case == case and (topic is None or e.topic == topic)]
    return fits[0] if len(fits) == 1 else None


def _rival_situations(decision, entry: FaqEntry) -> list[FaqEntry]:
    """A story can carry two special situations ("born at home" AND "now 2 years old"): when a
    special entry of another sub-case scores close to the special answer, ask which one it is
    rather than give one case's papers for the other's."""
    if not entry.special:
        return []
    top = _score(decision, entry)
    rivals = [h.entry for h in decision.hits[:4]
              if h.entry.id != entry.id and h.entry.special and h.entry.procedure == entry.procedure
              and h.entry.case != entry.case and top is not None and top - h.score <= RIVAL_WINDOW]
    return [entry, rivals[0]] if rivals else []


def _topic(kb: KnowledgeBase, text: str, state: QAState, procedure: str | None, named: str | None,
           topic: str | None) -> QAResult:
    """The procedure's own topic answer (case from the text's keywords or the remembered one)."""
    intent = TOPIC_INTENT.get(topic or "", "choose_procedure")
    result = topic_answer(kb, intent, text, QAState(state.procedure, state.case, None, state.situation),
                          entity_procedure=named or procedure)
    result.route = ROUTE_NLU
    return result


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", fold(text).lower()))


def _shares_content(text: str, entry: FaqEntry) -> bool:
    """Embeddings find a "closest" entry even for "hôm nay trời đẹp quá": an answer must share
    at least one content word (not a filler or topic word) with the entry's texts."""
    content = _words(text) - GENERIC_WORDS - _COMMON_WORDS
    if not content:
        return True
    return bool(content & _words(" ".join((entry.title, *entry.phrasings, entry.answer))))


def _safe_entry(kb: KnowledgeBase, decision, text: str, named: str | None) -> FaqEntry | None:
    """The retriever's answer, unless it contradicts what the resident wrote: another procedure
    than the one named, an ordinary entry when the text names a special case, or no word in common."""
    entry = decision.entry
    if named and entry.procedure not in (named, GENERAL):
        same = [h.entry for h in decision.hits[:5] if h.entry.procedure == named]
        if len(same) != 1:
            return None
        entry = same[0]
    if not _shares_content(text, entry):
        return None
    if entry.procedure != GENERAL and not entry.special:
        case = kb.detect_case(entry.procedure, text)
        if case != DEFAULT_CASE and case != entry.case:
            return next((h.entry for h in decision.hits[:5]
                         if h.entry.procedure == entry.procedure and h.entry.case == case), None)
    return entry


def is_generic_follow_up(text: str) -> bool:
    """Only topic and filler words: "thế lệ phí bao nhiêu?", "cần giấy tờ gì nữa", "mất mấy ngày"."""
    words = re.findall(r"\w+", fold(text).lower())
    return 0 < len(words) <= FOLLOW_UP_WORDS and all(w in GENERIC_WORDS for w in words)


def _follow_up(kb: KnowledgeBase, decision, text: str, state: QAState, named: str | None,
               topic: str | None) -> QAResult | None:
    """A generic question right after a procedure or situation is answered for the remembered
    sub-case, which stays (a special entry of another case needs words of its own to win)."""
    procedure = state.procedure
    if not procedure or named not in (None, procedure) or not is_generic_follow_up(text):
        return None
    case = _remembered_case(state, procedure)
    want = topic or next((h.entry.topic for h in decision.hits[:1]), None)
    if want is None:
        return None
    remembered = _entry_or_none(kb, state.situation)
    special_ok = remembered is not None and remembered.special and remembered.case == case
    for h in decision.hits:
        e = h.entry
        if e.procedure == procedure and e.case == case and e.topic == want and (special_ok or not e.special):
            return _answered(kb, e, state, ROUTE_RETRIEVAL, h.score)
    if want in TOPICS:
        return _topic(kb, text, state, procedure, procedure, want)
    return None


def _entry_or_none(kb: KnowledgeBase, entry_id: str | None) -> FaqEntry | None:
    try:
        return kb.faq_entry(entry_id) if entry_id else None
    except KeyError:
        return None
