"""`make run` without RASA_TOKEN / ACTIONS_TOKEN: it makes them once, private, and keeps them."""
from __future__ import annotations

import stat

from hotich.ops.stack import ensure_secret


def test_generated_once_private_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("HOTICH_TEST_TOKEN", raising=False)
    secret_file = tmp_path / "var" / "test.token"
    made = iter(["first-secret", "second-secret"])
    first = ensure_secret("HOTICH_TEST_TOKEN", secret_file, lambda: next(made), "test")
    assert first == "first-secret" and secret_file.read_text() == "first-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    monkeypatch.delenv("HOTICH_TEST_TOKEN")      # a restart: same secret from the file
    assert ensure_secret("HOTICH_TEST_TOKEN", secret_file, lambda: next(made), "test") == "first-secret"


def test_a_secret_set_in_the_environment_is_used_as_given(tmp_path, monkeypatch):
    monkeypatch.setenv("HOTICH_TEST_TOKEN", "from-the-environment")
    secret_file = tmp_path / "test.token"
    assert ensure_secret("HOTICH_TEST_TOKEN", secret_file, lambda: "generated", "test") == "from-the-environment"
    assert not secret_file.exists()
