"""After "xóa dữ liệu của tôi", the resident's staff topic — where their name, last turns and
messages were copied — is deleted in the Telegram staff group (real python-telegram-bot against
the fake Bot API); other residents' topics stay."""
from __future__ import annotations

import pytest

from bot.telegram.app import build_application
from bot.telegram.callbacks import CallbackStore
from bot.telegram.sender import TelegramSender
from bot.telegram.staff import StaffTopics
from hotich.handoff import ownership
from hotich.privacy.erase import erase_resident_data
from tests.fake_telegram import FakeTelegram
from tests.gateway_helpers import gateway_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")
STAFF = -1002223334445


async def test_erasure_deletes_the_residents_staff_topic_only(db_url):
    fake = await FakeTelegram().start()
    fake.add_forum(STAFF)
    settings = gateway_settings(db_url, "http://127.0.0.1:9", telegram_token=fake.token,
                                telegram_base_url=fake.base_url, telegram_base_file_url=fake.base_file_url,
                                staff_chat_id=STAFF)
    application = build_application(settings, webhook=True)
    await application.initialize()
    try:
        staff = StaffTopics(TelegramSender(application, CallbackStore(db_url)), STAFF, db_url)
        topics = {}
        for sender in ("telegram:601", "telegram:602"):
            conv = ownership.request(db_url, sender, "khai_sinh", "asked").conversation
            topics[sender] = await staff.open_topic(conv, f"{sender} · Khai sinh", "🙋 số điện thoại 0912 345 678")
            ownership.set_topic(db_url, conv.id, topics[sender])
        assert set(fake.forum_topics(STAFF)) == set(topics.values())

        erase_resident_data(db_url, "telegram:601")
        assert await staff.delete_erased_topics() == 1
        assert set(fake.forum_topics(STAFF)) == {topics["telegram:602"]}
        assert ownership.erased_topics(db_url) == []
        assert await staff.delete_erased_topics() == 0          # nothing left, nothing sent again
    finally:
        await application.shutdown()
        await fake.stop()
