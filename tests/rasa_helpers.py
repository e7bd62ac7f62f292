"""Run Rasa's own CLI (in its Python 3.10 venv) from the tests."""
from __future__ import annotations

import os
import subprocess

from hotich.config import ROOT
from hotich.ops.model_cache import rasa_bin


def run_rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([str(rasa_bin()), *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
