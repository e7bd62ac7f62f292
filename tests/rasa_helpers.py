"""Run Rasa's own CLI (in its Python 3.10 venv) from the tests."""
from __future__ import annotations

import os
import subprocess
import tempfile

from hotich.config import ROOT
from hotich.ops.model_cache import rasa_bin


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    # `rasa test` reads endpoints.yml: give its variables throwaway values so no tracker file
    # lands in the repo and no action server is needed for core tests.
    env = {"RASA_TRACKER_DB": os.path.join(tempfile.gettempdir(), "hotich_rasa_test_tracker.db"),
           "ACTION_ENDPOINT_URL": "http://127.0.0.1:9/webhook", "ACTIONS_TOKEN": "unused",
           **os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(rasa_bin()), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
