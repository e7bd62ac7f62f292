"""Typed, immutable view of the knowledge base (data/kb/<procedure>.yml, see docs/KB_FORMAT.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Order matters: it is the order of the topic buttons shown to residents.
TOPICS: tuple[str, ...] = ("documents", "fee", "processing_time", "deadline", "online", "in_person")
TOPIC_LABELS: dict[str, str] = {
    "documents": "Giấy tờ cần chuẩn bị",
    "fee": "Lệ phí",
    "processing_time": "Thời gian giải quyết",
    # The six topic answers of `deadline` cover both when to register and how long a paper is valid.
    "deadline": "Thời hạn đăng ký, thời hạn sử dụng",
    "online": "Nộp trực tuyến",
    "in_person": "Ai phải có mặt",
    # Topics of FAQ entries (data/kb/faq) beyond the six every procedure answers.
    "validity": "Thời hạn sử dụng",
    "where": "Nơi làm thủ tục",
    "hours": "Giờ làm việc",
    "other": "Thông tin thêm",
}
DEFAULT_CASE = "default"

# FAQ entries (data/kb/faq/<procedure>.yml): topics are broader than the six answer topics.
FAQ_TOPICS: tuple[str, ...] = (
    "documents", "fee", "processing_time", "deadline", "validity", "where", "online",
    "in_person", "hours", "other",
)
# General questions (office hours, where, fees in general…) belong to no procedure.
GENERAL = "chung"
# Id prefix of each FAQ file's entries: "ks.sinh_tai_nha" belongs to khai_sinh.
FAQ_PREFIXES: dict[str, str] = {
    "khai_sinh": "ks", "khai_tu": "kt", "ket_hon": "kh", "chung_thuc": "ct",
    "xac_nhan_hon_nhan": "xn", GENERAL: "chung",
}


@dataclass(frozen=True)
class TopicAnswer:
    answer: str
    sources: tuple[str, ...]
    confirm: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    label: str
    required: bool = False
    note: str = ""


@dataclass(frozen=True)
class Case:
    id: str
    title: str
    keywords: tuple[str, ...] = ()
    topics: dict[str, TopicAnswer] = field(default_factory=dict)
    # Checklist ids of the papers THIS case brings; the loader fills in the procedure's
    # required items when the YAML has no `checklist:`.
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProcedureKB:
    """One procedure's entry: the parsed content of data/kb/<code>.yml."""
    code: str
    name: str
    updated: date
    summary: str
    keywords: tuple[str, ...]
    checklist: tuple[ChecklistItem, ...]
    cases: dict[str, Case]          # file order; always contains DEFAULT_CASE

    @property
    def default(self) -> Case:
        return self.cases[DEFAULT_CASE]


@dataclass(frozen=True)
class Answer:
    """What the bot says for (procedure, case, topic); render with `render_answer`."""
    procedure: str
    procedure_name: str
    case: str
    case_title: str
    topic: str
    text: str
    sources: list[str]
    updated: date
    needs_confirmation: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FaqEntry:
    """One situation-level question and its answer (an entry of data/kb/faq/<procedure>.yml)."""
    id: str                          # "ks.sinh_tai_nha"
    procedure: str                   # a procedure code or GENERAL
    title: str                       # ≤ 70 chars, shown on a "Ý anh/chị là…" button
    case: str                        # sub-case of the procedure (DEFAULT_CASE for GENERAL)
    topic: str                       # one of FAQ_TOPICS
    special: bool                    # facts differ from the ordinary case
    phrasings: tuple[str, ...]       # ≥ 3, as residents write
    answer: str                      # ≤ 600 chars
    sources: tuple[str, ...]
    verified_on: date
    details: str = ""                # ≤ 1500 chars, behind "Xem chi tiết"
    checklist: tuple[str, ...] = ()  # checklist ids of the procedure
    confirm: tuple[str, ...] = ()
    related: tuple[str, ...] = ()    # ids of follow-up entries
