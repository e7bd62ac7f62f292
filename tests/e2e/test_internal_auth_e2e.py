"""Rasa and the actions server are internal: reachable on loopback only, and only with their tokens.

Whoever reaches the actions server could otherwise run any action in any resident's name (the
sender id is in the request body): list, cancel or book appointments, erase data.
"""
from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request

import pytest
from sqlalchemy import select

from hotich.booking.clock import system_clock
from hotich.booking.service import BookingService
from hotich.commune import load_profile
from hotich.config import load_settings
from hotich.db.models.booking import Booking
from hotich.db.session import session_scope
from tests.e2e.conftest import phone_for

pytestmark = pytest.mark.e2e

RESIDENT = "telegram:770001"


def post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null") or {}
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def get_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def forged_cancel(code: str) -> dict:
    """What an attacker would send: Rasa's action call for a resident's tracker, asking to cancel."""
    text = f"hủy lịch {code}"
    message = {"text": text, "intent": {"name": "cancel_appointment", "confidence": 1.0},
               "entities": [{"entity": "booking_code", "value": code}]}
    return {"next_action": "action_cancel_appointment", "sender_id": RESIDENT, "version": "3.6.21",
            "domain": {}, "tracker": {"sender_id": RESIDENT, "slots": {}, "latest_message": message,
                                      "events": [{"event": "user", "text": text, "parse_data": message}],
                                      "paused": False, "followup_action": None, "active_loop": {},
                                      "latest_action_name": "action_listen"}}


def booking_status(db_url: str, code: str) -> str:
    with session_scope(db_url) as s:
        return s.scalar(select(Booking.status).where(Booking.code == code))


@pytest.fixture
def booked(stack) -> str:
    svc = BookingService(stack.db_url, load_profile(load_settings().commune_profile), system_clock)
    slot = svc.next_free("khai_sinh", limit=1)[0]
    return svc.book(RESIDENT, "khai_sinh", slot.day, slot.start, "Nguyễn Văn An", phone_for(RESIDENT)).code


def test_actions_server_refuses_a_forged_call_and_cancels_nothing(stack, booked):
    url = f"{stack.actions_url}/webhook"
    for query in ("", "?token=", "?token=not-the-secret", f"?token={stack.actions_token[:-1]}"):
        status, _ = post(url + query, forged_cancel(booked))
        assert status == 401, query
        assert booking_status(stack.db_url, booked) == "booked"
    # The same call from Rasa (with the secret) is what cancels: the refusal above is the token's doing.
    status, body = post(f"{url}?token={stack.actions_token}", forged_cancel(booked))
    assert status == 200 and "Đã hủy lịch hẹn" in json.dumps(body, ensure_ascii=False)
    assert booking_status(stack.db_url, booked) == "cancelled"


def test_actions_server_health_stays_open(stack):
    assert get_status(f"{stack.actions_url}/health") == 200


def test_rasa_api_and_rest_channel_need_the_token(stack):
    conversation = f"{stack.rasa_url}/conversations/{RESIDENT}/tracker"
    assert get_status(conversation) == 401
    assert get_status(f"{conversation}?token=wrong") == 401
    assert get_status(f"{conversation}?token={stack.rasa_token}") == 200
    webhook = f"{stack.rasa_url}/webhooks/rest/webhook"
    status, _ = post(webhook, {"sender": RESIDENT, "message": "lịch hẹn của tôi"})
    assert status == 401
    status, replies = post(f"{webhook}?token={stack.rasa_token}", {"sender": "e2e-auth-ok", "message": "chào bạn"})
    assert status == 200 and replies


def _non_loopback_addresses() -> list[str]:
    found: set[str] = set()
    try:
        found |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except OSError:
        pass
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.123", 9))   # UDP: picks the outgoing interface, sends nothing
            found.add(s.getsockname()[0])
        except OSError:
            pass
    return sorted(a for a in found if not a.startswith("127."))


@pytest.mark.parametrize("which", ["rasa", "actions"])
def test_internal_servers_listen_on_loopback_only(stack, which):
    addresses = _non_loopback_addresses()
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address")
    port = stack.rasa_port if which == "rasa" else stack.actions_port
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    for address in addresses:
        with pytest.raises(OSError):
            socket.create_connection((address, port), timeout=5).close()
