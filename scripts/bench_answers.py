"""How well residents' questions find their FAQ entry (make bench-answers).

Loads the real KB (KB_DIR) and the labelled questions of tests/answers/dev/*.yml and
tests/answers/heldout/*.yml, runs Retriever.decide() on each (warm, one at a time) and prints,
per set: top-1 / top-3 accuracy, confident-wrong share (answered with the wrong entry, or
answered when nothing should), clarification rate, "none" recall, p50/p95 decide() time.

Held-out questions are scored but never printed: only dev misses can be listed (--misses),
and only dev questions can be used to calibrate (--calibrate).

    .venv/bin/python scripts/bench_answers.py [--misses] [--calibrate] [--kb DIR] [--questions DIR]
"""
from __future__ import annotations

import argparse
import itertools
import sys
import time
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotich.config import load_settings  # noqa: E402
from hotich.kb import KnowledgeBase  # noqa: E402
from hotich.retrieval import Decision, Params, Retriever  # noqa: E402

NONE = "none"


@dataclass(frozen=True)
class Question:
    text: str
    expect: str
    style: str
    file: str


def load_questions(directory: Path) -> list[Question]:
    out = []
    for path in sorted(directory.glob("*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for q in raw.get("questions") or []:
            out.append(Question(str(q["text"]), str(q["expect"]), str(q.get("style", "")), path.name))
    return out


def outcome(q: Question, d: Decision) -> dict[str, bool]:
    ids = [h.entry.id for h in d.hits]
    if q.expect == NONE:
        return {"none_q": True, "none_ok": d.kind == "none", "wrong": d.kind == "answer",
                "clarify": d.kind == "clarify"}
    return {
        "top1": bool(ids) and ids[0] == q.expect,
        "top3": q.expect in ids[:3],
        "answered_right": d.kind == "answer" and d.entry.id == q.expect,
        "wrong": d.kind == "answer" and d.entry.id != q.expect,
        "clarify": d.kind == "clarify",
        "clarify_has": d.kind == "clarify" and q.expect in [c.id for c in d.candidates],
        "none_kind": d.kind == "none",
    }


def summary(outcomes: list[dict[str, bool]], times: list[float] | None) -> dict[str, float]:
    answerable = [o for o in outcomes if "top1" in o]
    nones = [o for o in outcomes if "none_q" in o]

    def share(rows, key):
        return sum(o[key] for o in rows) / len(rows) if rows else float("nan")

    s = {
        "questions": len(outcomes), "answerable": len(answerable), "expect_none": len(nones),
        "top1": share(answerable, "top1"), "top3": share(answerable, "top3"),
        "answered_right": share(answerable, "answered_right"),
        "confident_wrong": share(outcomes, "wrong"),
        "clarify_rate": share(outcomes, "clarify"),
        "clarify_contains_right": (sum(o["clarify_has"] for o in answerable)
                                   / max(1, sum(o["clarify"] for o in answerable))),
        "none_recall": share(nones, "none_ok"),
        "answerable_sent_to_none": share(answerable, "none_kind"),
    }
    if times:
        s["p50_ms"] = float(np.percentile(times, 50)) * 1000
        s["p95_ms"] = float(np.percentile(times, 95)) * 1000
    return s


def print_summary(name: str, s: dict[str, float]) -> None:
    print(f"\n== {name}: {s['questions']} questions ({s['answerable']} answerable, "
          f"{s['expect_none']} expect none)")
    rows = [
        ("top-1 accuracy", "top1", "{:.3f}"), ("top-3 accuracy", "top3", "{:.3f}"),
        ("answered with the right entry", "answered_right", "{:.3f}"),
        ("confident wrong (share of all)", "confident_wrong", "{:.3f}"),
        ("clarification rate", "clarify_rate", "{:.3f}"),
        ("  … clarifications offering the right entry", "clarify_contains_right", "{:.3f}"),
        ('"none" recall', "none_recall", "{:.3f}"),
        ('answerable sent to "none"', "answerable_sent_to_none", "{:.3f}"),
        ("p50 decide() ms", "p50_ms", "{:.0f}"), ("p95 decide() ms", "p95_ms", "{:.0f}"),
    ]
    for label, key, fmt in rows:
        if key in s:
            print(f"  {label:45s} {fmt.format(s[key])}")


def run(retriever: Retriever, questions: list[Question]):
    for q in questions[:3]:
        retriever.decide(q.text)                     # warm: first calls page the model in
    decisions, times = [], []
    for q in questions:
        t0 = time.perf_counter()
        d = retriever.decide(q.text)
        times.append(time.perf_counter() - t0)
        decisions.append(d)
    return decisions, times


def special_report(kb: KnowledgeBase, questions: list[Question], decisions: list[Decision]) -> None:
    """Questions expecting a special entry, answered with an ordinary one of its procedure."""
    bad = total = 0
    for q, d in zip(questions, decisions):
        if q.expect == NONE:
            continue
        e = kb.faq_entry(q.expect)
        if not e.special:
            continue
        total += 1
        if d.kind == "answer" and not d.entry.special and d.entry.procedure == e.procedure:
            bad += 1
    print(f"  {'special cue answered as an ordinary entry':45s} {bad}/{total}")


def print_misses(kb: KnowledgeBase, questions: list[Question], decisions: list[Decision]) -> None:
    print("\n-- dev misses (expect → decision; top-3 scores)")
    for q, d in zip(questions, decisions):
        o = outcome(q, d)
        ok = o.get("answered_right") or o.get("none_ok")
        if ok:
            continue
        got = d.entry.id if d.kind == "answer" else ",".join(c.id for c in d.candidates) or "-"
        flag = "WRONG" if o["wrong"] else d.kind
        top = " ".join(f"{h.entry.id}:{h.score:.2f}/{h.semantic:.3f}/{h.lexical:.2f}" for h in d.hits[:3])
        print(f"[{flag:7s}] {q.style:10s} {q.expect} → {got}\n          {q.text[:150]!r}\n          {top}")


def calibrate(retriever: Retriever, questions: list[Question]) -> Params:
    """Grid search on dev: most questions answered right, confident-wrong ≤ 2%."""
    sigs = [retriever.signals(q.text) for q in questions]
    base = retriever.params
    best, best_key = base, None
    grid = {
        "lex_weight": [1.0, 1.5, 2.0],
        "named_prior": [0.2, 0.3, 0.5],
        "unseen_weight": [0.6, 1.0],
    }
    thresholds = {
        "none_below": [0.5, 0.7, 0.9],
        "answer_above": [0.8, 1.0],
        "margin": [0.3, 0.4],
        "agree_margin": [0.1, 0.15, 0.2],
    }
    for combo in itertools.product(*grid.values()):
        p = replace(base, **dict(zip(grid, combo)))
        hits = [retriever.rank(s, params=p) for s in sigs]
        for tcombo in itertools.product(*thresholds.values()):
            pt = replace(p, **dict(zip(thresholds, tcombo)))
            outs = [outcome(q, retriever.decide_ranked(s, h, pt)) for q, s, h in zip(questions, sigs, hits)]
            sm = summary(outs, None)
            if sm["confident_wrong"] > 0.02:
                continue
            key = (round(sm["answered_right"] + 0.5 * sm["none_recall"], 4), sm["top1"])
            if best_key is None or key > best_key:
                best, best_key = pt, key
    print(f"\ncalibrated on dev: {best}\n  objective {best_key}")
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", type=Path, default=None, help="KB directory (default: KB_DIR)")
    ap.add_argument("--questions", type=Path, default=ROOT / "tests" / "answers")
    ap.add_argument("--misses", action="store_true", help="list the dev questions not answered right")
    ap.add_argument("--calibrate", action="store_true", help="grid-search weights/thresholds on dev")
    args = ap.parse_args()

    settings = load_settings()
    kb = KnowledgeBase.load(args.kb or settings.kb_dir)
    t0 = time.perf_counter()
    retriever = Retriever.build(kb, cache_dir=settings.retrieval_cache_dir)
    print(f"{len(kb.faq())} FAQ entries "
          f"({', '.join(f'{k} {v}' for k, v in Counter(e.procedure for e in kb.faq()).items())}); "
          f"index built in {time.perf_counter() - t0:.1f} s")

    dev = load_questions(args.questions / "dev")
    if args.calibrate and dev:
        retriever = retriever.with_params(calibrate(retriever, dev))
    for name, questions in (("dev", dev), ("held-out", load_questions(args.questions / "heldout"))):
        if not questions:
            print(f"\n== {name}: no questions")
            continue
        unknown = {q.expect for q in questions if q.expect != NONE} - {e.id for e in kb.faq()}
        if unknown:
            print(f"\n== {name}: {len(unknown)} expected ids are not in the KB"
                  + (f": {', '.join(sorted(unknown))}" if name == "dev" else ""))
            questions = [q for q in questions if q.expect == NONE or q.expect not in unknown]
        decisions, times = run(retriever, questions)
        print_summary(name, summary([outcome(q, d) for q, d in zip(questions, decisions)], times))
        special_report(kb, questions, decisions)
        if name == "dev":
            styles = sorted({q.style for q in questions})
            for st in styles:
                rows = [outcome(q, d) for q, d in zip(questions, decisions) if q.style == st]
                sm = summary(rows, None)
                print(f"    style {st:10s} n={len(rows):3d} top1={sm['top1']:.2f} "
                      f"right={sm['answered_right']:.2f} wrong={sm['confident_wrong']:.2f}")
            if args.misses:
                print_misses(kb, questions, decisions)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
