"""Rasa's own checks on the training data, and the trained model on conversations and unseen phrasings."""
import json

import pytest

from hotich.ops.model_cache import ensure_model
from tests.rasa_helpers import run_rasa


def test_rasa_data_validate():
    r = run_rasa("data", "validate", "--domain", "domain.yml", "--data", "nlu_data", "--config", "config.yml",
                 "--fail-on-warnings")
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]


@pytest.fixture(scope="module")
def model():
    return ensure_model(quiet=True)


def test_test_stories_pass(model, tmp_path):
    r = run_rasa("test", "core", "--model", str(model), "--stories", "tests/stories",
                 "--out", str(tmp_path), "--fail-on-prediction-errors")
    failed = (tmp_path / "failed_test_stories.yml")
    detail = failed.read_text() if failed.exists() else ""
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:] + detail


def test_unseen_phrasings_are_understood(model, tmp_path):
    """Held-out resident messages (never trained on): intent accuracy and procedure entity."""
    r = run_rasa("test", "nlu", "--model", str(model), "--nlu", "tests/nlu/holdout.yml", "--out", str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    report = json.loads((tmp_path / "intent_report.json").read_text())
    assert report["accuracy"] >= 0.90, {k: v for k, v in report.items() if isinstance(v, dict) and v.get("f1-score", 1) < 0.9}
