"""NLU benchmark: cross-validated intent accuracy, macro-F1 and entity F1 (`make bench-nlu`).

Runs `rasa test nlu --cross-validation` on nlu_data/nlu with config.yml, then scores the
held-out set tests/nlu/holdout.yml (phrasings never trained on) with the current model.

Both are reported for all messages and for SHORT ones: the chat turns, buttons and booking
answers DIET is responsible for. A message is short when `hotich.text.shape.is_long_message`
says it is not long — the same test that routes long or multi-sentence messages to the FAQ
search instead of DIET. Target: short-message intent accuracy ≥ 0.95 in cross-validation.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotich.ops.model_cache import ensure_model  # noqa: E402
from hotich.text.shape import LONG_WORDS, MIN_SENTENCE_WORDS, is_long_message  # noqa: E402
from tests.rasa_helpers import run_rasa  # noqa: E402

TARGET = 0.95
SHORT_RULE = (f"short = fewer than {LONG_WORDS} words and at most one sentence of ≥ {MIN_SENTENCE_WORDS} words "
              "(hotich.text.shape, the routing rule)")


def predictions(out: Path) -> list[dict]:
    """Every tested message with its gold and predicted intent (Rasa's successes + errors files)."""
    rows = []
    for name in ("intent_successes.json", "intent_errors.json"):
        f = out / name
        if f.exists():
            rows += [{"text": r["text"], "gold": r["intent"], "pred": (r.get("intent_prediction") or {}).get("name")}
                     for r in json.loads(f.read_text())]
    return rows


def scores(rows: list[dict]) -> dict:
    if not rows:
        return {"n": 0}
    intents = sorted({r["gold"] for r in rows})
    f1 = {}
    for intent in intents:
        tp = sum(r["gold"] == intent and r["pred"] == intent for r in rows)
        fp = sum(r["gold"] != intent and r["pred"] == intent for r in rows)
        fn = sum(r["gold"] == intent and r["pred"] != intent for r in rows)
        f1[intent] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    confusions = Counter((r["gold"], r["pred"]) for r in rows if r["gold"] != r["pred"])
    return {
        "n": len(rows),
        "intent_accuracy": round(sum(r["gold"] == r["pred"] for r in rows) / len(rows), 4),
        "intent_macro_f1": round(sum(f1.values()) / len(f1), 4),
        "weakest_intents": {k: round(v, 3) for k, v in sorted(f1.items(), key=lambda kv: kv[1])[:5]},
        "top_confusions (gold → predicted)": {f"{g} → {p}": n for (g, p), n in confusions.most_common(8)},
    }


def summarize(out: Path, label: str) -> dict:
    entity_file = out / "DIETClassifier_report.json"
    entities = json.loads(entity_file.read_text()) if entity_file.exists() else {}
    rows = predictions(out)
    return {
        "set": label,
        "all messages": scores(rows),
        "short messages": scores([r for r in rows if not is_long_message(r["text"])]),
        "entity_procedure_f1": round(entities.get("procedure", {}).get("f1-score", float("nan")), 4),
        "entity_micro_f1": round(entities.get("micro avg", {}).get("f1-score", float("nan")), 4),
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--holdout-only", action="store_true", help="skip cross-validation")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.holdout_only:
            cv = Path(tmp) / "cv"
            t0 = time.monotonic()
            print(f"[bench-nlu] {args.folds}-fold cross-validation (trains the NLU {args.folds}×)…", flush=True)
            r = run_rasa("test", "nlu", "--nlu", "nlu_data/nlu", "--config", "config.yml", "--cross-validation",
                         "--folds", str(args.folds), "--successes", "--no-plot", "--out", str(cv), timeout=3600)
            if r.returncode != 0:
                print(r.stdout[-3000:], r.stderr[-3000:])
                return 1
            rows.append(summarize(cv, f"cross-validation ({args.folds} folds)")
                        | {"seconds": round(time.monotonic() - t0)})
        hold = Path(tmp) / "holdout"
        r = run_rasa("test", "nlu", "--model", str(ensure_model(quiet=True)), "--nlu", "tests/nlu/holdout.yml",
                     "--successes", "--no-plot", "--out", str(hold))
        if r.returncode == 0:
            rows.append(summarize(hold, "held-out phrasings (tests/nlu/holdout.yml)"))
    print(SHORT_RULE)
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, indent=2))
    if not args.holdout_only:
        short = rows[0]["short messages"].get("intent_accuracy", 0.0)
        print(f"target cross-validated short-message intent accuracy ≥ {TARGET}: "
              f"{'met' if short >= TARGET else 'NOT met'} ({short})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
