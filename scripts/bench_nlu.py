"""NLU benchmark: cross-validated intent accuracy, macro-F1 and entity F1 (`make bench-nlu`).

Runs `rasa test nlu --cross-validation` on nlu_data/nlu with config.yml, then also scores the
held-out set tests/nlu/holdout.yml (phrasings never trained on) with the current model.
Target: intent accuracy ≥ 0.95.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotich.ops.model_cache import ensure_model  # noqa: E402
from tests.rasa_helpers import run_rasa  # noqa: E402


def summarize(out: Path, label: str) -> dict:
    intents = json.loads((out / "intent_report.json").read_text())
    entity_file = out / "DIETClassifier_report.json"
    entities = json.loads(entity_file.read_text()) if entity_file.exists() else {}
    row = {
        "set": label,
        "intent_accuracy": round(intents["accuracy"], 4),
        "intent_macro_f1": round(intents["macro avg"]["f1-score"], 4),
        "entity_procedure_f1": round(entities.get("procedure", {}).get("f1-score", float("nan")), 4),
        "entity_micro_f1": round(entities.get("micro avg", {}).get("f1-score", float("nan")), 4),
    }
    worst = sorted(((k, v["f1-score"]) for k, v in intents.items() if isinstance(v, dict) and "support" in v
                    and k not in ("macro avg", "weighted avg", "micro avg")), key=lambda kv: kv[1])[:5]
    row["weakest_intents"] = {k: round(f, 3) for k, f in worst}
    return row


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cv = Path(tmp) / "cv"
        t0 = time.monotonic()
        print(f"[bench-nlu] {args.folds}-fold cross-validation (trains the NLU {args.folds}×)…", flush=True)
        r = run_rasa("test", "nlu", "--nlu", "nlu_data/nlu", "--config", "config.yml", "--cross-validation",
                     "--folds", str(args.folds), "--out", str(cv), timeout=3600)
        if r.returncode != 0:
            print(r.stdout[-3000:], r.stderr[-3000:])
            return 1
        rows.append(summarize(cv, f"cross-validation ({args.folds} folds)") | {"seconds": round(time.monotonic() - t0)})
        hold = Path(tmp) / "holdout"
        r = run_rasa("test", "nlu", "--model", str(ensure_model(quiet=True)), "--nlu", "tests/nlu/holdout.yml",
                     "--out", str(hold))
        if r.returncode == 0:
            rows.append(summarize(hold, "held-out phrasings (tests/nlu/holdout.yml)"))
    for row in rows:
        print(json.dumps(row, ensure_ascii=False, indent=2))
    ok = rows[0]["intent_accuracy"] >= 0.95
    print(f"target intent accuracy ≥ 0.95: {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
