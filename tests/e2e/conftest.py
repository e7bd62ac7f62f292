"""End-to-end fixtures: the real trained stack (actions server + Rasa + gateway) on free ports.

`stack` is session-scoped: the model is trained (or reused from the cache) once, and the three
processes start once for all e2e tests, on a fresh migrated SQLite commune DB and a fresh Rasa
tracker DB in a tmp dir. Logs go to that tmp dir; their tails are printed when a test fails.
Run only these with `pytest -m e2e`; they are skipped until the stack is trainable.
"""
from __future__ import annotations

import json
import secrets
import signal
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from hotich.config import ROOT
from hotich.db.migrate import upgrade
from hotich.ops.model_cache import ensure_model
from hotich.ops.stack import Stack, free_port

LOG_TAIL_LINES = 60


def _trainable() -> str | None:
    """Why the stack cannot run yet, or None."""
    if not (ROOT / "domain.yml").is_file():
        return "domain.yml is missing"
    if not any((ROOT / "actions").glob("*.py")):
        return "actions/ has no modules"
    if not any((ROOT / "nlu_data").rglob("*.yml")):
        return "nlu_data/ has no training data"
    return None


def log_tails(log_dir: Path, lines: int = LOG_TAIL_LINES) -> str:
    out = []
    for f in sorted(log_dir.glob("*.log")):
        tail = f.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
        out.append(f"----- {f.name} (last {len(tail)} lines) -----\n" + "\n".join(tail))
    return "\n".join(out)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    reason = _trainable()
    if reason:
        pytest.skip(f"stack not trainable yet: {reason}")
    tmp = tmp_path_factory.mktemp("e2e_stack")
    log_dir = tmp / "logs"
    db_url = f"sqlite:///{tmp / 'hotich.db'}"
    upgrade(db_url)
    # Rasa and the actions server refuse calls without their tokens, as in production.
    st = Stack(rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), log_dir=log_dir,
               rasa_token=secrets.token_urlsafe(32), actions_token=secrets.token_urlsafe(32),
               env={"DATABASE_URL": db_url, "RASA_TRACKER_DB": str(tmp / "rasa_tracker.db"),
                    "WEB_HOST": "127.0.0.1", "TELEGRAM_TOKEN": "", "LOG_LEVEL": "INFO",
                    # papers sent ahead are encrypted with a per-run key
                    "UPLOAD_KEY": Fernet.generate_key().decode(), "UPLOAD_DIR": str(tmp / "uploads")})
    # The three processes run in their own sessions: on SIGTERM (e.g. `timeout`), end the test run
    # like Ctrl-C so this fixture's teardown stops them instead of leaving them behind.
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        st.model = ensure_model()
        st.start_actions()
        st.start_rasa()
        st.start_gateway()
    except BaseException:
        st.stop_all()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        print(log_tails(log_dir))
        raise
    st.db_url = db_url        # for tests that look at what was recorded
    st.log_dir = log_dir
    try:
        yield st
    finally:
        st.stop_all()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _raise_keyboard_interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


@pytest.fixture(autouse=True)
def _print_stack_logs_on_failure(request):
    yield
    if "stack" not in request.fixturenames:
        return
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        st = request.getfixturevalue("stack")
        print(log_tails(st.log_dir))   # shown in the failed test's "Captured stdout teardown"


def chat(stack: Stack, session_id: str, text: str | None = None, *, payload: str | None = None,
         start: str | None = None, timeout_s: float = 60) -> tuple[int, dict]:
    """One web-chat request through the gateway: (HTTP status, JSON body)."""
    body: dict = {"session_id": session_id}
    for key, value in (("text", text), ("payload", payload), ("start", start)):
        if value is not None:
            body[key] = value
    req = urllib.request.Request(f"{stack.web_url}/api/chat", data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


@pytest.fixture(name="chat")
def chat_fixture():
    """`chat(stack, session_id, text | payload= | start=)` → (status, body)."""
    return chat



@contextmanager
def restarted_gateway(stack: Stack, **env: str):
    """Restart the stack's gateway with extra settings; put the original web-only gateway back
    afterwards for the other e2e tests."""
    saved = dict(stack.env)
    stack.stop("gateway")
    stack.env.update(env)
    try:
        stack.start_gateway()
        yield stack
    finally:
        stack.stop("gateway")
        stack.env.clear()
        stack.env.update(saved)
        stack.start_gateway()


@contextmanager
def gateway_on_fake_telegram(stack: Stack, fake, **extra_env: str):
    """The stack's gateway restarted with Telegram on, pointed at a fake Bot API server (plus any
    extra settings)."""
    with restarted_gateway(stack, TELEGRAM_TOKEN=fake.token, TELEGRAM_BASE_URL=fake.base_url,
                           TELEGRAM_BASE_FILE_URL=fake.base_file_url, TELEGRAM_MODE="polling", **extra_env):
        fake.wait_for(lambda: fake.calls_of("getUpdates"), 30)
        yield fake


def phone_for(key: str) -> str:
    """A mobile number of this test's own: the booking cap counts a phone number across channels
    and conversations, so tests sharing the stack must not share one."""
    import hashlib

    return "09" + str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[-8:]


def spaced(phone: str) -> str:
    """As a resident types it: "0912 345 678"."""
    return f"{phone[:4]} {phone[4:7]} {phone[7:]}"
