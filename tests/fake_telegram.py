"""A fake Telegram Bot API server over real HTTP, for the real python-telegram-bot.

Point the bot at it with base_url=f"{fake.url}/bot" and base_file_url=f"{fake.url}/file/bot"
(TELEGRAM_BASE_URL / TELEGRAM_BASE_FILE_URL). It

* records every call (`calls`: method + decoded parameters),
* serves getMe, getUpdates (long polling, with Telegram's offset confirmation), sendMessage,
  sendPhoto, editMessageReplyMarkup, answerCallbackQuery, setMyCommands, getMyCommands,
  setWebhook, deleteWebhook, getFile and file downloads,
* lets a test push updates (messages, button presses, edits) and redeliver an update that was
  already confirmed, as Telegram does after timeouts and restarts,
* can answer 403 for a chat that "blocked the bot".

Use `FakeTelegram` inside the test's event loop, or `ThreadedFakeTelegram` (own loop in a thread,
blocking helpers) from synchronous end-to-end tests.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

BOT_ID = 7000000001
_INT = {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "max_connections",
        "message_thread_id", "from_chat_id"}   # last two: forum topics
_JSON = {"reply_markup", "commands", "allowed_updates", "link_preview_options", "reply_parameters",
         "scope", "entities"}
_BOOL = {"show_alert", "drop_pending_updates", "disable_notification", "protect_content"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _decode(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key in _INT:
        try:
            return int(value)
        except ValueError:
            return value
    if key in _JSON:
        return json.loads(value)
    if key in _BOOL:
        return value.lower() == "true"
    return value


class FakeTelegram:
    def __init__(self, token: str = "123456:TEST-token", username: str = "hotich_test_bot",
                 port: int | None = None) -> None:
        self.token = token
        self.username = username
        self.port = port or _free_port()
        self.calls: list[Call] = []
        self.sent: dict[int, dict[str, Any]] = {}          # message_id → message the bot sent
        self.blocked: set[int] = set()                     # chat ids answering 403
        self.files: dict[str, tuple[str, bytes]] = {}      # file_id → (file_path, content)
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] | None = None
        self._pending: list[dict[str, Any]] = []           # updates not yet confirmed
        self._redeliver: list[dict[str, Any]] = []         # updates to send again regardless of offset
        # Telegram's update ids only grow for a bot; several fakes in one test session share the
        # gateway's dedup table, so each fake starts where no earlier one can have been.
        self._update_ids = itertools.count(int(time.time() * 1000) % 2_000_000_000)
        self._message_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self._runner: web.AppRunner | None = None
        # forum supergroups: chat id → {"title", "topics": {thread id → topic}, "members"}
        self.forums: dict[int, dict[str, Any]] = {}
        self._thread_ids = itertools.count(500)
        self.received: dict[tuple[int, int], dict[str, Any]] = {}   # (chat id, message id) → pushed message

    # -- server ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    async def start(self) -> "FakeTelegram":
        self._changed = asyncio.Condition()
        self._closing = False
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            self._closing = True     # end pending long polls instead of waiting for their timeout
            async with self._changed:
                self._changed.notify_all()
            await self._runner.cleanup()
            self._runner = None

    # -- what a test does -------------------------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Cư dân") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def _chat(self, user_id: int, first_name: str = "Cư dân") -> dict[str, Any]:
        return {"id": user_id, "type": "private", "first_name": first_name}

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        update.setdefault("update_id", next(self._update_ids))
        async with self._changed:
            self._pending.append(update)
            self._changed.notify_all()
        return update

    async def push_message(self, user_id: int, text: str, first_name: str = "Cư dân") -> dict[str, Any]:
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self._chat(user_id, first_name), "from": self.user(user_id, first_name), "text": text}
        if text.startswith("/"):
            cmd_len = len(text.split()[0])
            msg["entities"] = [{"type": "bot_command", "offset": 0, "length": cmd_len}]
        return await self.push({"message": msg})

    async def push_edit(self, user_id: int, message: dict[str, Any], new_text: str) -> dict[str, Any]:
        edited = {**message, "text": new_text, "edit_date": int(time.time())}
        return await self.push({"edited_message": edited})

    async def push_photo(self, user_id: int, file_id: str) -> dict[str, Any]:
        msg = {"message_id": next(self._message_ids), "date": int(time.time()),
               "chat": self._chat(user_id), "from": self.user(user_id),
               "photo": [{"file_id": file_id, "file_unique_id": file_id + "u", "width": 90, "height": 90}]}
        self.received[(user_id, msg["message_id"])] = msg   # copyable (hand-off)
        return await self.push({"message": msg})

    async def push_callback(self, user_id: int, message_id: int, data: str) -> dict[str, Any]:
        """A press on a button of a message the bot sent (the message as Telegram shows it now)."""
        message = self.sent[message_id]
        query = {"id": str(next(self._callback_ids)), "from": self.user(user_id), "chat_instance": "ci",
                 "message": json.loads(json.dumps(message)), "data": data}
        return await self.push({"callback_query": query})

    # -- forum supergroup (hand-off) -------------------------------------------------------------

    def add_forum(self, chat_id: int, title: str = "Cán bộ xã", members: dict[int, dict[str, Any]] | None = None) -> None:
        """A staff supergroup with topics; members: user id → {"first_name", "username"}."""
        self.forums[chat_id] = {"title": title, "topics": {}, "members": dict(members or {})}

    def _forum_chat(self, chat_id: int) -> dict[str, Any]:
        return {"id": chat_id, "type": "supergroup", "title": self.forums[chat_id]["title"], "is_forum": True}

    async def push_group_message(self, chat_id: int, user_id: int, text: str | None = None,
                                 thread_id: int | None = None, first_name: str = "Cán bộ",
                                 username: str | None = None, photo_file_id: str | None = None,
                                 caption: str | None = None) -> dict[str, Any]:
        """Someone writes in the forum group (in a topic when thread_id is given)."""
        user = self.user(user_id, first_name)
        if username:
            user["username"] = username
        msg: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time()),
                               "chat": self._forum_chat(chat_id), "from": user}
        if thread_id is not None:
            msg["message_thread_id"] = thread_id
            msg["is_topic_message"] = True
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        if photo_file_id is not None:
            msg["photo"] = [{"file_id": photo_file_id, "file_unique_id": photo_file_id + "u", "width": 90,
                             "height": 90}]
            if caption:
                msg["caption"] = caption
        self.received[(chat_id, msg["message_id"])] = msg
        return await self.push({"message": msg})

    def forum_topics(self, chat_id: int) -> dict[int, dict[str, Any]]:
        """A copy of the group's topics: thread id → {"name", "closed", …}."""
        return {k: dict(v) for k, v in self.forums[chat_id]["topics"].items()}

    def topic_messages(self, chat_id: int, thread_id: int) -> list[dict[str, Any]]:
        return [m for m in self.sent.values()
                if m["chat"]["id"] == chat_id and m.get("message_thread_id") == thread_id]

    def topic_texts(self, chat_id: int, thread_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.topic_messages(chat_id, thread_id)]

    async def _m_createForumTopic(self, p):
        chat_id = self._check_chat(p)
        if chat_id not in self.forums:
            raise _ApiError(400, "Bad Request: the chat is not a forum")
        name = p.get("name") or ""
        if not 1 <= len(name) <= 128:
            raise _ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY" if not name else "Bad Request: TOPIC_TITLE_INVALID")
        thread_id = next(self._thread_ids)
        topic = {"message_thread_id": thread_id, "name": name, "icon_color": 7322096, "closed": False}
        self.forums[chat_id]["topics"][thread_id] = topic
        return {k: v for k, v in topic.items() if k != "closed"}

    def _topic(self, p) -> dict[str, Any]:
        chat_id = self._check_chat(p)
        topic = self.forums.get(chat_id, {}).get("topics", {}).get(p.get("message_thread_id"))
        if topic is None:
            raise _ApiError(400, "Bad Request: TOPIC_ID_INVALID")
        return topic

    async def _m_closeForumTopic(self, p):
        topic = self._topic(p)
        if topic["closed"]:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    async def _m_deleteForumTopic(self, p):
        self._topic(p)
        del self.forums[self._check_chat(p)]["topics"][p.get("message_thread_id")]
        return True

    async def _m_reopenForumTopic(self, p):
        topic = self._topic(p)
        if not topic["closed"]:
            raise _ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        return True

    async def _m_getChatMember(self, p):
        chat_id = self._check_chat(p)
        member = self.forums.get(chat_id, {}).get("members", {}).get(p.get("user_id"))
        if member is None:
            raise _ApiError(400, "Bad Request: user not found")
        user = {**self.user(p["user_id"], member.get("first_name", "Cán bộ")),
                **({"username": member["username"]} if member.get("username") else {})}
        return {"status": "member", "user": user}

    async def _m_copyMessage(self, p):
        chat_id = self._check_chat(p)
        from_chat = p.get("from_chat_id")
        original = self.received.get((from_chat, p.get("message_id"))) or self.sent.get(p.get("message_id"))
        if original is None:
            raise _ApiError(400, "Bad Request: message to copy not found")
        copied = {k: original[k] for k in ("text", "photo", "caption", "document", "entities") if k in original}
        msg = self._new_message(chat_id, message_thread_id=p.get("message_thread_id"),
                                copied_from=[from_chat, p.get("message_id")], **copied)
        return {"message_id": msg["message_id"]}

    async def redeliver(self, update: dict[str, Any]) -> None:
        """Send an update again although it was confirmed (Telegram after a timeout/restart)."""
        async with self._changed:
            self._redeliver.append(json.loads(json.dumps(update)))
            self._changed.notify_all()

    def add_file(self, file_id: str, content: bytes, file_path: str | None = None) -> None:
        self.files[file_id] = (file_path or f"photos/{file_id}.jpg", content)

    # -- inspecting -------------------------------------------------------------------------------

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages_to(self, chat_id: int) -> list[dict[str, Any]]:
        """Messages the bot sent to a chat, in order (current state: keyboards as edited)."""
        return [m for m in self.sent.values() if m["chat"]["id"] == chat_id]

    def texts_to(self, chat_id: int) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.messages_to(chat_id)]

    def pending_count(self) -> int:
        return len(self._pending) + len(self._redeliver)

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError("fake Telegram: condition not met in time")
            async with self._changed:
                try:
                    await asyncio.wait_for(self._changed.wait(), 0.2)
                except asyncio.TimeoutError:
                    pass

    async def wait_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Until every pushed update was fetched by the bot."""
        await self.wait_for(lambda: self.pending_count() == 0 or None, timeout)

    # -- Bot API ----------------------------------------------------------------------------------

    def _bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Trợ lý hộ tịch", "username": self.username,
                "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _params(self, request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                raw.update(await request.json())
            else:
                form = await request.post()
                for k, v in form.items():
                    raw[k] = v.file.read().decode("utf-8", "replace") if hasattr(v, "file") else v
        return {k: _decode(k, v) for k, v in raw.items()}

    async def _api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append(Call(method, params))
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        try:
            result = await handler(params)
        except _ApiError as exc:
            return _error(exc.code, exc.description)
        finally:
            async with self._changed:
                self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.calls.append(Call("download", {"file_path": path}))
        for file_path, content in self.files.values():
            if file_path == path:
                return web.Response(body=content, content_type="application/octet-stream")
        return web.Response(status=404)

    async def _m_getMe(self, p):
        return self._bot_user()

    async def _m_logOut(self, p):
        return True

    async def _m_close(self, p):
        return True

    async def _m_setMyCommands(self, p):
        self.commands = p.get("commands") or []
        return True

    async def _m_getMyCommands(self, p):
        return self.commands

    async def _m_deleteWebhook(self, p):
        self.webhook = None
        return True

    async def _m_setWebhook(self, p):
        self.webhook = p
        return True

    async def _m_getUpdates(self, p):
        offset = int(p.get("offset") or 0)
        timeout = float(p.get("timeout") or 0)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                if offset:
                    # confirmed: Telegram forgets every update below the offset
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                if self._redeliver:
                    out, self._redeliver = self._redeliver[:limit], self._redeliver[limit:]
                    return out
                if self._pending:
                    return sorted(self._pending, key=lambda u: u["update_id"])[:limit]
                left = deadline - time.monotonic()
                if left <= 0 or self._closing:
                    return []
                try:
                    await asyncio.wait_for(self._changed.wait(), left)
                except asyncio.TimeoutError:
                    return []

    def _check_chat(self, p) -> int:
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int):
            raise _ApiError(400, "Bad Request: chat not found")
        if chat_id in self.blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")
        return chat_id

    def _new_message(self, chat_id: int, **fields) -> dict[str, Any]:
        chat = self._forum_chat(chat_id) if chat_id in self.forums else self._chat(chat_id)
        if fields.get("message_thread_id") is not None:
            fields["is_topic_message"] = True
        msg = {"message_id": next(self._message_ids), "date": int(time.time()), "chat": chat,
               "from": self._bot_user(), **{k: v for k, v in fields.items() if v is not None}}
        self.sent[msg["message_id"]] = msg
        return msg

    async def _m_sendMessage(self, p):
        chat_id = self._check_chat(p)
        text = p.get("text") or ""
        if not text.strip():
            raise _ApiError(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            raise _ApiError(400, "Bad Request: message is too long")
        if p.get("parse_mode") == "HTML":
            _check_html(text)
        _check_markup(p.get("reply_markup"))
        return self._new_message(chat_id, text=text, parse_mode=p.get("parse_mode"),
                                 reply_markup=p.get("reply_markup"), message_thread_id=p.get("message_thread_id"))

    async def _m_sendPhoto(self, p):
        chat_id = self._check_chat(p)
        return self._new_message(chat_id, photo=[{"file_id": "sent", "file_unique_id": "sentu", "width": 1,
                                                  "height": 1}], caption=p.get("caption"))

    async def _m_sendChatAction(self, p):
        self._check_chat(p)
        return True

    async def _m_editMessageReplyMarkup(self, p):
        chat_id = self._check_chat(p)
        msg = self.sent.get(p.get("message_id"))
        if msg is None or msg["chat"]["id"] != chat_id:
            raise _ApiError(400, "Bad Request: message to edit not found")
        markup = p.get("reply_markup")
        if markup == msg.get("reply_markup"):
            raise _ApiError(400, "Bad Request: message is not modified")
        _check_markup(markup)
        if markup:
            msg["reply_markup"] = markup
        else:
            msg.pop("reply_markup", None)
        msg["edit_date"] = int(time.time())
        return msg

    async def _m_answerCallbackQuery(self, p):
        if not p.get("callback_query_id"):
            raise _ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        return True

    async def _m_getFile(self, p):
        file_id = p.get("file_id")
        if file_id not in self.files:
            raise _ApiError(400, "Bad Request: invalid file_id")
        path, content = self.files[file_id]
        return {"file_id": file_id, "file_unique_id": file_id + "u", "file_size": len(content), "file_path": path}


class _ApiError(Exception):
    def __init__(self, code: int, description: str) -> None:
        self.code = code
        self.description = description


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description}, status=code)


def _check_markup(markup: Any) -> None:
    """Telegram's limits on inline keyboards, so an over-long callback_data fails loudly here."""
    if not markup:
        return
    for row in markup.get("inline_keyboard", []):
        for b in row:
            data = b.get("callback_data")
            if data is not None and not 1 <= len(data.encode("utf-8")) <= 64:
                raise _ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if not b.get("text"):
                raise _ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")


def _check_html(text: str) -> None:
    """Roughly what Telegram's HTML parser rejects: unknown/unbalanced tags, bare < or &."""
    import re

    allowed = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
               "span", "tg-spoiler", "blockquote", "tg-emoji"}
    stack: list[str] = []
    for m in re.finditer(r"<(/?)([a-zA-Z-]*)[^>]*>|<|&(?!(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);)", text):
        token = m.group(0)
        if token == "<" or token.startswith("&"):
            raise _ApiError(400, "Bad Request: can't parse entities: unexpected character")
        closing, tag = m.group(1), m.group(2).lower()
        if tag not in allowed:
            raise _ApiError(400, f"Bad Request: can't parse entities: unsupported start tag \"{tag}\"")
        if closing:
            if not stack or stack.pop() != tag:
                raise _ApiError(400, "Bad Request: can't parse entities: unmatched end tag")
        else:
            stack.append(tag)
    if stack:
        raise _ApiError(400, "Bad Request: can't parse entities: unclosed start tag")


class ThreadedFake:
    """A fake server (with async start/stop) on its own event loop in a thread, with blocking
    helpers for sync tests: its coroutine methods and callables run on the fake's loop."""

    def __init__(self, fake) -> None:
        self.fake = fake
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=type(fake).__name__, daemon=True)

    def __enter__(self):
        self._thread.start()
        self.run(self.fake.start())
        return self

    def __exit__(self, *exc) -> None:
        self.run(self.fake.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def run(self, coro, timeout: float | None = 120):
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 10.0) -> Any:
        """Poll from the caller's thread: the predicate may use this wrapper's (blocking) methods."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"{type(self.fake).__name__}: condition not met in time")
            time.sleep(0.1)

    def __getattr__(self, name: str):
        # Methods run on the fake's loop (its state is only touched there); data attributes as is.
        attr = getattr(self.fake, name)
        if asyncio.iscoroutinefunction(attr):
            return lambda *a, **kw: self.run(attr(*a, **kw))
        if callable(attr):
            async def call(*a, **kw):
                return attr(*a, **kw)
            return lambda *a, **kw: self.run(call(*a, **kw))
        return attr


class ThreadedFakeTelegram(ThreadedFake):
    """FakeTelegram on its own event loop in a thread, with blocking helpers for sync tests."""

    def __init__(self, **kwargs) -> None:
        super().__init__(FakeTelegram(**kwargs))

    def wait_messages(self, chat_id: int, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    def wait_idle(self, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.pending_count() == 0 or None, timeout)

    @property
    def sent(self) -> dict[int, dict[str, Any]]:
        async def copy():
            return json.loads(json.dumps(self.fake.sent))
        return {int(k): v for k, v in self.run(copy()).items()}
