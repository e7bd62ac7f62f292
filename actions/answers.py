"""Free questions → FAQ search (hotich.assistant.answers): narratives, low NLU confidence, the
"Ý anh/chị là…" buttons and "Xem chi tiết". The retriever is built once per actions-server process."""
from __future__ import annotations

import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entity, kb, latest, profile, record, send
from hotich.assistant import answers
from hotich.assistant.qa import INTENT_TOPIC, QAResult, QAState
from hotich.retrieval import Retriever

# A topic intent below this in the ranking of a narrative is noise, not a prior.
TOPIC_PRIOR_MIN = 0.3


_retriever: Retriever | None = None
_retriever_lock = threading.Lock()


def retriever() -> Retriever:
    """The process's retriever; the first call builds it (the others wait for that build)."""
    global _retriever
    with _retriever_lock:
        if _retriever is None:
            _retriever = Retriever.build(kb())
        return _retriever


def state_of(tracker: Tracker) -> QAState:
    return QAState(tracker.get_slot("procedure"), tracker.get_slot("case"), tracker.get_slot("pending_topic"),
                   situation=tracker.get_slot("situation"))


def ranked_topic_intent(tracker: Tracker) -> str | None:
    """DIET's topic guess for a message LongMessageRouter re-labelled (kept in the ranking)."""
    for r in (tracker.latest_message or {}).get("intent_ranking") or []:
        if r.get("name") in INTENT_TOPIC and (r.get("confidence") or 0) >= TOPIC_PRIOR_MIN:
            return r["name"]
    return None


def finish(dispatcher: CollectingDispatcher, tracker: Tracker, result: QAResult) -> list:
    """Send, log what was decided, keep the conversation memory; two misses in a row → officer."""
    send(dispatcher, *result.messages)
    record(tracker, result.outcome, result.state.procedure, route=result.route, entry_id=result.entry_id,
           score=result.score)
    misses = int(tracker.get_slot("fallback_count") or 0) + 1 if result.outcome == "none" else 0
    if misses >= 2:
        from actions.handoff import request_handoff

        request_handoff(dispatcher, result.state.procedure, "fallback")
        misses = 0
    s = result.state
    return [SlotSet("procedure", s.procedure), SlotSet("case", s.case), SlotSet("situation", s.situation),
            SlotSet("pending_topic", s.pending_topic), SlotSet("fallback_count", float(misses))]


class ActionAnswerSituation(Action):
    def name(self) -> str:
        return "action_answer_situation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list:
        text, intent, confidence = latest(tracker)
        state = state_of(tracker)
        chosen = entity(tracker, "situation")
        if intent == answers.DETAILS_INTENT:
            result = answers.details(kb(), chosen, state)
        elif chosen:
            result = answers.choose(kb(), chosen, state)
        else:
            result = answers.find(kb(), retriever(), profile(), text, state, intent=intent, confidence=confidence,
                                  topic_intent=ranked_topic_intent(tracker),
                                  entity_procedure=entity(tracker, "procedure"))
        return finish(dispatcher, tracker, result)


# Built in the background as soon as the actions server loads this module: the server answers its
# health check at once, and a resident's first question waits only for what is left of the build.
threading.Thread(target=retriever, name="retriever-build", daemon=True).start()
