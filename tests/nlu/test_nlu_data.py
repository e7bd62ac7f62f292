"""Shape of the NLU training data (nlu_data/nlu/) and the held-out set, without Rasa.

Cheap guards for what the model quality depends on: enough examples per intent, every
`procedure` annotation carries a canonical code, no sentence taught as two intents, and the
held-out set really is unseen.
"""
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml

from hotich.procedures import CODES
from hotich.text.normalize import fold, normalize_message

ROOT = Path(__file__).resolve().parents[2]
NLU_DIR = ROOT / "nlu_data" / "nlu"
HOLDOUT = ROOT / "tests" / "nlu" / "holdout.yml"

OUR_INTENTS = {
    "greet", "goodbye", "thank", "affirm", "deny",
    "ask_documents", "ask_fee", "ask_processing_time", "ask_deadline", "ask_online",
    "ask_who_comes", "ask_office_info", "choose_procedure",
    "book_appointment", "reschedule_appointment", "cancel_appointment", "check_appointment",
    "upload_documents", "delete_my_data", "talk_to_officer", "out_of_scope",
}
ENTITY_RE = re.compile(r"\[([^\]]+)\](\{[^}]*\}|\([^)]*\))")
VALUE_RE = re.compile(r'"entity":\s*"(\w+)".*"value":\s*"(\w+)"')


def _examples(path: Path) -> dict[str, list[str]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, list[str]] = defaultdict(list)
    for block in doc.get("nlu", []):
        if "intent" in block:
            out[block["intent"]] += [line[2:].strip() for line in block["examples"].splitlines()
                                     if line.startswith("- ")]
    return out


def _plain(example: str) -> str:
    return ENTITY_RE.sub(lambda m: m.group(1), example)


def _key(example: str) -> str:
    return fold(normalize_message(_plain(example)))


@pytest.fixture(scope="module")
def training() -> dict[str, list[str]]:
    merged: dict[str, list[str]] = defaultdict(list)
    for path in sorted(NLU_DIR.glob("*.yml")):
        for intent, examples in _examples(path).items():
            merged[intent] += examples
    return merged


def test_every_intent_has_enough_varied_examples(training):
    missing = OUR_INTENTS - set(training)
    assert not missing
    for intent in OUR_INTENTS:
        # Distinct after the pipeline's normaliser ("ko" == "không"): what the model actually sees.
        unique = {normalize_message(_plain(e)) for e in training[intent]}
        minimum = 60 if intent.startswith("ask_") else 45
        assert len(unique) >= minimum, (intent, len(unique))


def test_procedure_annotations_use_canonical_codes(training):
    for intent, examples in training.items():
        for example in examples:
            for _text, spec in ENTITY_RE.findall(example):
                m = VALUE_RE.search(spec)
                assert m, example
                assert m.group(1) == "procedure" and m.group(2) in CODES, example


def test_no_sentence_is_taught_as_two_intents(training):
    owner: dict[str, str] = {}
    clashes = []
    for intent, examples in training.items():
        for example in examples:
            k = _key(example)
            if owner.setdefault(k, intent) != intent:
                clashes.append((example, owner[k], intent))
    assert not clashes


def test_out_of_scope_never_names_one_of_the_five_procedures(training):
    words = ["khai sinh", "khai tu", "ket hon", "chung thuc", "cong chung", "sao y", "doc than",
             "tinh trang hon nhan", "chung tu", "bao tu"]
    for example in training["out_of_scope"]:
        text = fold(normalize_message(example))
        assert not any(re.search(rf"\b{w}\b", text) for w in words), example


def test_holdout_is_unseen_and_covers_every_intent(training):
    holdout = _examples(HOLDOUT)
    assert set(holdout) == OUR_INTENTS
    assert Counter(len(v) for v in holdout.values()) == Counter({8: len(OUR_INTENTS)})
    seen = {_key(e) for examples in training.values() for e in examples}
    copied = [e for examples in holdout.values() for e in examples if _key(e) in seen]
    assert not copied
