"""Knowledge base of the five procedures: load data/kb/*.yml, pick a case, answer a topic.

    kb = KnowledgeBase.load(settings.kb_dir)
    code = kb.detect_procedure(text)                # "khai_sinh" | ... | None
    case = kb.detect_case(code, text)               # "qua_han" | ... | "default"
    reply = render_answer(kb.answer(code, "fee", case))
    kb.faq()                                        # situation-level entries of data/kb/faq/
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from hotich.procedures import CODES
from hotich.text.normalize import fold, nfc, normalize_message

from .faq import load_faq_dir
from .loader import KBError, load_dir, load_file
from .models import (DEFAULT_CASE, FAQ_TOPICS, GENERAL, TOPIC_LABELS, TOPICS, Answer, Case,
                     ChecklistItem, FaqEntry, ProcedureKB, TopicAnswer)
from .render import render_answer, render_overview

__all__ = [
    "DEFAULT_CASE", "FAQ_TOPICS", "GENERAL", "TOPICS", "TOPIC_LABELS", "Answer", "Case",
    "ChecklistItem", "FaqEntry", "KBError", "KnowledgeBase", "ProcedureKB", "TopicAnswer",
    "load_dir", "load_file", "render_answer", "render_overview",
]
FAQ_SUBDIR = "faq"

# Accents are optional, but accents that were typed must agree: "muon" matches "muộn" and
# "muốn", while "muốn" (want) must not match the keyword "muộn" (late).
_WORD_RE = re.compile(r"\w+")
# "kí"/"ký", "lí"/"lý", "mĩ"/"mỹ" are spelt both ways; compare these syllables with i.
_I_Y = {"ky": "ki", "ly": "li", "my": "mi", "sy": "si", "ty": "ti", "hy": "hi"}


def _marks(word: str) -> Counter:
    decomposed = unicodedata.normalize("NFD", word)
    marks = Counter(ch for ch in decomposed if unicodedata.category(ch) == "Mn")
    marks["đ"] = word.count("đ")
    return marks


def _words(text: str) -> list[tuple[str, Counter]]:
    """(folded word, its diacritics) for each word of `text`."""
    out = []
    for word in _WORD_RE.findall(nfc(text).lower()):
        base = fold(word)
        out.append((_I_Y.get(base, base), _marks(word)))
    return out


def _word_matches(typed: tuple[str, Counter], keyword: tuple[str, Counter]) -> bool:
    if typed[0] != keyword[0]:
        return False
    kw_marks = keyword[1]
    # A keyword written without diacritics matches any accents; otherwise the typed marks
    # must be a subset of the keyword's (missing marks are fine, different ones are not).
    return not +kw_marks or all(kw_marks[m] >= n for m, n in typed[1].items())


def _contains(words: list[tuple[str, Counter]], keyword: list[tuple[str, Counter]]) -> bool:
    n = len(keyword)
    return n > 0 and any(
        all(_word_matches(words[i + j], keyword[j]) for j in range(n))
        for i in range(len(words) - n + 1)
    )


def _best_match(text: str, candidates: Iterable[tuple[str, Iterable[str]]]) -> str | None:
    """Key of the candidate with the longest keyword found in `text` (first wins on ties)."""
    # Match the text as typed and with chat shorthand expanded ("gks" → "giấy khai sinh").
    haystacks = [_words(text), _words(normalize_message(text))]
    best, best_len = None, 0
    for key, keywords in candidates:
        for kw in keywords:
            needle = _words(kw)
            length = len(fold(kw))
            if length > best_len and any(_contains(h, needle) for h in haystacks):
                best, best_len = key, length
    return best


class KnowledgeBase:
    def __init__(self, entries: dict[str, ProcedureKB], faq: Iterable[FaqEntry] = ()):
        self._entries = entries
        self._faq = tuple(faq)
        self._faq_by_id = {e.id: e for e in self._faq}

    @classmethod
    def load(cls, directory: str | Path, required: Iterable[str] = CODES) -> KnowledgeBase:
        """Load and validate the procedure files and the FAQ entries of `directory`/faq/
        (optional); raises KBError naming the file, entry and key on any problem."""
        entries = load_dir(directory, required)
        return cls(entries, load_faq_dir(Path(directory) / FAQ_SUBDIR, entries))

    def procedures(self) -> list[str]:
        return list(self._entries)

    def get(self, code: str) -> ProcedureKB:
        try:
            return self._entries[code]
        except KeyError:
            raise KeyError(f"không có thủ tục {code!r} trong KB") from None

    def case(self, procedure: str, case: str | None = None) -> Case:
        entry = self.get(procedure)
        case_id = case or DEFAULT_CASE
        if case_id not in entry.cases:
            raise KeyError(f"{procedure}: không có trường hợp {case_id!r}")
        return entry.cases[case_id]

    def answer(self, procedure: str, topic: str, case: str | None = None) -> Answer:
        """The case's answer for `topic`, or the default case's when the case does not override it."""
        if topic not in TOPICS:
            raise KeyError(f"chủ đề {topic!r} không hợp lệ (dùng: {', '.join(TOPICS)})")
        entry = self.get(procedure)
        chosen = self.case(procedure, case)
        item = chosen.topics.get(topic) or entry.default.topics[topic]
        return Answer(
            procedure=entry.code,
            procedure_name=entry.name,
            case=chosen.id,
            case_title=chosen.title,
            topic=topic,
            text=item.answer,
            sources=list(item.sources),
            updated=entry.updated,
            needs_confirmation=list(item.confirm),
        )

    def detect_case(self, procedure: str, text: str) -> str:
        entry = self.get(procedure)
        cases = ((cid, c.keywords) for cid, c in entry.cases.items() if cid != DEFAULT_CASE)
        return _best_match(text, cases) or DEFAULT_CASE

    def detect_procedure(self, text: str) -> str | None:
        return _best_match(text, ((code, e.keywords) for code, e in self._entries.items()))

    def checklist(self, procedure: str) -> tuple[ChecklistItem, ...]:
        return self.get(procedure).checklist

    def case_checklist(self, procedure: str, case: str | None = None) -> tuple[ChecklistItem, ...]:
        """The papers of one case (its `checklist:`, else the procedure's required items)."""
        items = {item.id: item for item in self.get(procedure).checklist}
        return tuple(items[i] for i in self.case(procedure, case).checklist)

    def faq(self) -> tuple[FaqEntry, ...]:
        """Every FAQ entry, in file and entry order."""
        return self._faq

    def faq_entry(self, entry_id: str) -> FaqEntry:
        try:
            return self._faq_by_id[entry_id]
        except KeyError:
            raise KeyError(f"không có câu hỏi {entry_id!r} trong KB") from None

    def overview(self, procedure: str) -> str:
        return render_overview(self.get(procedure))
