"""What the dialogue keeps of a conversation when it starts over: a new session, an officer's hand-back."""
from __future__ import annotations

import asyncio

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import ActionHandoffReturned
from actions.session import ActionSessionStart

BOOKING_HALF_DONE = {"procedure": "khai_sinh", "booking_procedure": "khai_sinh", "booking_day": "2026-12-03",
                     "booking_time": "09:00", "booking_name": "Nguyễn Văn An", "booking_phone": "0912345678",
                     "requested_slot": "booking_confirm", "upload_prompt": None}


def tracker(slots, text="", entities=(), active_loop=None):
    return Tracker("web:t", dict(slots), {"text": text, "intent": {"name": "x"}, "entities": list(entities)},
                   [], False, None, {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, t, {}))
    return dispatcher.messages, events


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


def test_a_new_session_forgets_the_name_and_phone_but_keeps_the_procedure():
    _, events = run(ActionSessionStart(), tracker({**BOOKING_HALF_DONE, "session_started_metadata": {"channel": "web"}}))
    assert events[0]["event"] == "session_started" and events[-1]["name"] == "action_listen"
    assert slot_events(events) == {"procedure": "khai_sinh", "session_started_metadata": {"channel": "web"}}


def test_hand_back_ends_the_form_resets_slots_and_offers_topics():
    messages, events = run(ActionHandoffReturned(),
                           tracker(BOOKING_HALF_DONE, '/handoff_returned{"procedure":"ket_hon"}',
                                   [{"entity": "procedure", "value": "ket_hon"}], active_loop="booking_form"))
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["active_loop", "reset_slots"] and events[0]["name"] is None
    assert slot_events(events) == {"procedure": "ket_hon"}
    (msg,) = messages
    assert msg["text"] == "Anh/chị cần hỏi thêm gì không ạ?"
    assert len(msg["buttons"]) == 5 and '"ket_hon"' in msg["buttons"][0]["payload"]


def test_hand_back_without_a_procedure_keeps_the_one_talked_about():
    messages, events = run(ActionHandoffReturned(), tracker(BOOKING_HALF_DONE, '/handoff_returned{"procedure":""}',
                                                            [{"entity": "procedure", "value": ""}]))
    assert slot_events(events) == {"procedure": "khai_sinh"}
    assert '"khai_sinh"' in messages[0]["buttons"][0]["payload"]
