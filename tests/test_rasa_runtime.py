"""Rasa's check of the actions server's replies, precompiled (rasa_runtime.validation): valid
replies pass, a malformed one is still refused with Rasa's own error, so a broken action cannot
slip a bad event into a resident's conversation."""
from __future__ import annotations

import subprocess

from hotich.config import ROOT
from hotich.ops.model_cache import rasa_python

CHECK = r'''
import warnings; warnings.simplefilter("ignore")
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa_runtime import validation
validation.install()
action = RemoteAction("action_cancel_appointment", None)
good = {"events": [{"event": "slot", "name": "procedure", "value": "khai_sinh"}],
        "responses": [{"text": "Đã hủy lịch hẹn.", "buttons": [{"title": "Đặt lịch mới", "payload": "/book"}]}]}
assert action._validate_action_result(good) is True
for bad in ({"events": [{"event": "no_such_event"}]}, {"events": "not a list"}, {"responses": [1]}):
    try:
        action._validate_action_result(bad)
    except ValidationError as e:
        assert "Failed to validate Action server response" in e.message, e.message
    else:
        raise SystemExit(f"accepted {bad}")
print("ok")
'''


def test_actions_replies_are_still_validated():
    r = subprocess.run([str(rasa_python()), "-c", CHECK], cwd=ROOT, env={"PYTHONPATH": str(ROOT)},
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-2000:]
