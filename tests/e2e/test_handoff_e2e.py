"""Hand-off to the officer against the real trained stack (actions server + Rasa + gateway),
with the gateway's Telegram channel and staff group pointed at the fake Bot API server.

Flow: a resident asks, escalates, the officer takes and answers in the staff topic, the resident
answers, the officer closes, Rasa's state is clean (procedure kept) and the bot answers the next
question; two officers taking at once → one wins; a non-officer in the group can do nothing; a
web-chat resident reaches the same kind of topic.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request

import pytest

from bot.handoff import HAND_BACK_TEXT
from hotich.handoff import audit, ownership
from hotich.text.normalize import fold
from tests.e2e.conftest import gateway_on_fake_telegram
from tests.fake_telegram import ThreadedFakeTelegram

pytestmark = pytest.mark.e2e

STAFF = -1009876543210
OFFICER_A, OFFICER_B, OUTSIDER = 8001, 8002, 8666
NAMES = {OFFICER_A: ("Chị Lan", "lan_tp"), OFFICER_B: ("Anh Minh", "minh_ht"), OUTSIDER: ("Người lạ", None)}


@pytest.fixture(scope="module")
def tg(stack):
    with ThreadedFakeTelegram() as fake:
        fake.add_forum(STAFF, members={o: {"first_name": n, "username": u} for o, (n, u) in NAMES.items()})
        with gateway_on_fake_telegram(stack, fake, STAFF_CHAT_ID=str(STAFF),
                                      OFFICER_TELEGRAM_IDS=f"{OFFICER_A},{OFFICER_B}"):
            yield fake


def settle(tg, chat_id: int, before: int, timeout: float = 60) -> list[dict]:
    tg.wait_for(lambda: len(tg.messages_to(chat_id)) > before, timeout)
    n = -1
    while n != len(tg.messages_to(chat_id)):
        n = len(tg.messages_to(chat_id))
        time.sleep(1.0)
    return tg.messages_to(chat_id)[before:]


def say(tg, user: int, text: str) -> list[dict]:
    before = len(tg.messages_to(user))
    tg.push_message(user, text, "Trần Thị Bình")
    return settle(tg, user, before)


def officer(tg, officer_id: int, thread: int, text: str) -> None:
    name, username = NAMES[officer_id]
    tg.push_group_message(STAFF, officer_id, text, thread_id=thread, first_name=name, username=username)


def topic_of(tg, before: set[int], timeout: float = 60) -> int:
    tg.wait_for(lambda: set(tg.forum_topics(STAFF)) - before, timeout)
    [thread] = set(tg.forum_topics(STAFF)) - before
    return thread


def wait_topic(tg, thread: int, needle: str, timeout: float = 30) -> None:
    tg.wait_for(lambda: any(needle in t for t in tg.topic_texts(STAFF, thread)), timeout)


def tracker(stack, sender: str) -> dict:
    with urllib.request.urlopen(f"{stack.rasa_url}/conversations/{sender}/tracker?include_events=NONE"
                                f"&token={stack.rasa_token}",
                                timeout=30) as resp:
        return json.loads(resp.read())


def test_escalate_answer_close_and_the_bot_answers_again(stack, tg):
    user = 9201
    sender = f"telegram:{user}"
    topics = set(tg.forum_topics(STAFF))
    first = say(tg, user, "làm giấy khai sinh cần những giấy tờ gì")
    assert "khai sinh" in fold(first[0]["text"])
    ack = say(tg, user, "cho tôi gặp cán bộ tư pháp")
    assert "da chuyen cuoc tro chuyen" in fold("\n".join(m.get("text", "") for m in ack)), ack

    thread = topic_of(tg, topics)
    opening = tg.topic_texts(STAFF, thread)[0]
    assert "Trần Thị Bình" in opening and "Đăng ký khai sinh" in opening
    assert "👤 làm giấy khai sinh cần những giấy tờ gì" in opening and "🤖" in opening

    officer(tg, OFFICER_A, thread, "/nhan")
    wait_topic(tg, thread, "Chị Lan đã nhận")
    tg.wait_for(lambda: any("đã nhận cuộc trò chuyện" in t for t in tg.texts_to(user)), 30)
    officer(tg, OFFICER_A, thread, "Chào chị, chị cần bản chính giấy chứng sinh nhé.")
    tg.wait_for(lambda: "Chào chị, chị cần bản chính giấy chứng sinh nhé." in tg.texts_to(user), 30)

    before = len(tg.messages_to(user))
    tg.push_message(user, "Dạ vâng, em cảm ơn chị", "Trần Thị Bình")
    wait_topic(tg, thread, "👤 Dạ vâng, em cảm ơn chị")
    time.sleep(2)
    assert len(tg.messages_to(user)) == before          # no bot reply while the officer has the chat

    officer(tg, OFFICER_A, thread, "/dong")
    tg.wait_for(lambda: HAND_BACK_TEXT in tg.texts_to(user), 30)
    tg.wait_for(lambda: tg.forum_topics(STAFF)[thread]["closed"], 30)
    state = tracker(stack, sender)
    assert (state.get("active_loop") or {}).get("name") is None
    assert state["slots"]["procedure"] == "khai_sinh"

    answer = say(tg, user, "lệ phí kết hôn bao nhiêu")
    assert "phi" in fold("\n".join(m.get("text", "") for m in answer)), answer
    conv = ownership.get(stack.db_url, sender)
    assert [e.action for e in audit.history(stack.db_url, conv.id)] == ["request", "take", "answer", "close"]


def test_two_officers_at_once_and_a_non_officer(stack, tg):
    user = 9202
    topics = set(tg.forum_topics(STAFF))
    say(tg, user, "/gap_can_bo")
    thread = topic_of(tg, topics)
    n_topic = len(tg.topic_messages(STAFF, thread))

    for text in ("/nhan", "Tôi trả lời thay", "/dong"):
        officer(tg, OUTSIDER, thread, text)
    time.sleep(3)
    assert len(tg.topic_messages(STAFF, thread)) == n_topic
    assert ownership.get(stack.db_url, f"telegram:{user}").owner == "waiting"

    threads = [threading.Thread(target=officer, args=(tg, o, thread, "/nhan")) for o in (OFFICER_A, OFFICER_B)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wait_topic(tg, thread, "đã có cán bộ khác nhận")
    texts = tg.topic_texts(STAFF, thread)
    assert sum("đã nhận cuộc trò chuyện. Tin nhắn" in t for t in texts) == 1
    conv = ownership.get(stack.db_url, f"telegram:{user}")
    assert conv.owner == "officer" and conv.officer_id in (OFFICER_A, OFFICER_B)
    officer(tg, conv.officer_id, thread, "/dong")
    tg.wait_for(lambda: HAND_BACK_TEXT in tg.texts_to(user), 30)


def test_web_resident_reaches_the_staff_topic(stack, tg, chat):
    session = "e2ehandoffweb01"
    topics = set(tg.forum_topics(STAFF))
    status, body = chat(stack, session, payload='/talk_to_officer{"procedure":"ket_hon"}')
    assert status == 200 and body["messages"][0]["custom"]["handoff"] == "waiting", body
    thread = topic_of(tg, topics)
    assert "Kênh: Web chat" in tg.topic_texts(STAFF, thread)[0]
    assert "Đăng ký kết hôn" in tg.topic_texts(STAFF, thread)[0]

    status, body = chat(stack, session, "vợ tôi là người nước ngoài")
    assert status == 200
    wait_topic(tg, thread, "👤 vợ tôi là người nước")     # the gateway may normalise tone placement
    officer(tg, OFFICER_B, thread, "/nhan")
    wait_topic(tg, thread, "Anh Minh đã nhận")
    officer(tg, OFFICER_B, thread, "Anh mang hộ chiếu của vợ nhé.")

    def pending() -> dict:
        req = urllib.request.Request(f"{stack.web_url}/api/pending", data=json.dumps({"session_id": session}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())

    got: list[str] = []
    deadline = time.monotonic() + 30
    while "Anh mang hộ chiếu của vợ nhé." not in got:
        data = pending()
        assert data.get("handoff") is True
        got += [m["text"] for r in data["replies"] for m in r["messages"]]
        assert time.monotonic() < deadline, got
        time.sleep(0.5)

    officer(tg, OFFICER_B, thread, "/dong")
    deadline = time.monotonic() + 30
    while HAND_BACK_TEXT not in got:
        got += [m["text"] for r in pending()["replies"] for m in r["messages"]]
        assert time.monotonic() < deadline, got
        time.sleep(0.5)
    status, body = chat(stack, session, "kết hôn cần giấy tờ gì")
    assert status == 200 and "ket hon" in fold(" ".join(m["text"] for m in body["messages"])), body
