"""Forged Telegram input (the real python-telegram-bot against the local fake Bot API): callback
data no button of ours carries, internal intents, webhook calls without the secret."""
from __future__ import annotations

import aiohttp

from bot.telegram.handlers import EXPIRED_TEXT
from hotich.ops.stack import free_port
from tests.test_telegram_adapter import ALICE, buttons_of, harness

FORGED = ['/handoff_returned{"procedure":""}', "/handoff_returned", "cb:AAAAAAAAAAAAAAAA", "cb:../../etc"]


async def test_forged_callback_data_never_reaches_rasa(sqlite_url):
    async with harness(sqlite_url) as h:
        [greeting] = await h.say("/start")
        before = list(h.rasa.messages())
        for i, data in enumerate(FORGED):
            # each on a fresh keyboard of ours, so "already pressed" is not what stops it
            [menu] = await h.say(f"/start kh")
            await h.tg.push_callback(ALICE, menu["message_id"], data)
            await h.tg.wait_for(lambda: len(h.tg.calls_of("answerCallbackQuery")) == i + 1)
        await h.quiet()
        sent_to_rasa = h.rasa.messages()[len(before):]
        assert not [m for m in sent_to_rasa if "handoff_returned" in m or m.startswith("cb:")]
        answers = h.tg.calls_of("answerCallbackQuery")
        assert [a.params.get("text") for a in answers] == [EXPIRED_TEXT] * len(FORGED)
        # the real buttons still work afterwards
        [menu] = await h.say("/start kh")
        await h.tg.push_callback(ALICE, menu["message_id"], buttons_of(menu)[1]["callback_data"])
        await h.tg.wait_for(lambda: h.rasa.messages()[-1] == '/ask_fee{"procedure":"ket_hon"}')


async def test_typed_intents_are_plain_text_on_telegram(sqlite_url):
    async with harness(sqlite_url) as h:
        await h.say('/handoff_returned{"procedure":"ket_hon"}')
        assert h.rasa.messages()[-1] == 'handoff_returned{"procedure":"ket_hon"}'


async def test_webhook_without_a_configured_secret_still_requires_one(sqlite_url):
    port = free_port()
    async with harness(sqlite_url, telegram_mode="webhook", telegram_webhook_url="https://x.example/tg",
                       telegram_webhook_secret="", telegram_webhook_port=port) as h:
        [hook] = h.tg.calls_of("setWebhook")
        secret = hook.params["secret_token"]
        assert len(secret) >= 32                       # generated, not empty or guessable
        update = {"update_id": 7, "message": {"message_id": 1, "date": 0, "text": "chào",
                                              "chat": {"id": ALICE, "type": "private"},
                                              "from": {"id": ALICE, "is_bot": False, "first_name": "A"}}}
        target = f"http://127.0.0.1:{port}/tg"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": ""},
                            {"X-Telegram-Bot-Api-Secret-Token": secret[:-1]},
                            {"X-Telegram-Bot-Api-Secret-Token": secret + "x"}):
                async with http.post(target, json=update, headers=headers) as r:
                    assert r.status == 403
            async with http.post(target, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": secret,
                                                                   "Content-Type": "application/json"}) as r:
                assert r.status < 500
            async with http.post(target, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": secret}) as r:
                assert r.status == 200
        await h.tg.wait_for(lambda: h.tg.messages_to(ALICE))
        assert [m["text"] for m in h.tg.messages_to(ALICE)] == ["Đã nhận: chào"]
