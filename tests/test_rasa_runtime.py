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


SAVE_AND_RELOAD = r'''
import sys, sqlalchemy as sa
from rasa_runtime import sqlite_tuning
sqlite_tuning.install()
eng = sa.create_engine("sqlite:///" + sys.argv[1])
with eng.begin() as c:
    c.execute(sa.text("create table if not exists events (id integer primary key, sender_id text)"))
    c.execute(sa.text("insert into events (sender_id) values ('telegram:770001')"))
with eng.connect() as c:
    print(c.execute(sa.text("PRAGMA journal_mode")).scalar(), c.execute(sa.text("select count(*) from events")).scalar())
'''


def test_tracker_store_in_wal_mode_keeps_conversations_across_restarts(tmp_path):
    db = tmp_path / "rasa_tracker.db"
    runs = [subprocess.run([str(rasa_python()), "-c", SAVE_AND_RELOAD, str(db)], cwd=ROOT,
                           env={"PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=120)
            for _ in range(2)]   # two processes: Rasa, then Rasa after a restart
    assert [r.stdout.split() for r in runs] == [["wal", "1"], ["wal", "2"]], runs[-1].stderr[-2000:]
