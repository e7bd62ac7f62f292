"""Read and validate data/kb/faq/<procedure>.yml (format: docs/KB_FORMAT.md, "FAQ entries").

Errors name the file, the entry (index and id) and the field, so whoever writes the entries can
fix them without reading this code.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hotich.text.normalize import fold

from .loader import Ctx, KBError, a_date, checklist_ids, read_yaml
from .models import DEFAULT_CASE, FAQ_PREFIXES, FAQ_TOPICS, GENERAL, FaqEntry, ProcedureKB

_ID_RE = re.compile(r"^[a-z0-9_.]+$")
_KEYS = {"id", "title", "case", "topic", "special", "phrasings", "answer", "details", "checklist",
         "sources", "verified_on", "confirm", "related"}
MAX_TITLE, MAX_ANSWER, MAX_DETAILS, MIN_PHRASINGS = 70, 600, 1500, 3


def _limited(ctx: Ctx, value: Any, key: str, limit: int) -> str:
    text = ctx.text(value, key)
    if len(text) > limit:
        raise ctx.fail(key, f"dài {len(text)} ký tự, tối đa {limit}")
    return text


def _entry(ctx: Ctx, procedure: str, proc: ProcedureKB | None, i: int, raw: Any) -> FaqEntry:
    where = f"entries[{i}]"
    raw = ctx.mapping(raw, where)
    entry_id = raw.get("id")
    prefix = FAQ_PREFIXES[procedure]
    if not isinstance(entry_id, str) or not _ID_RE.match(entry_id):
        raise ctx.fail(f"{where}.id", f"id {entry_id!r} không hợp lệ (chỉ dùng a-z, 0-9, _ và .)")
    if not entry_id.startswith(prefix + ".") or entry_id == prefix + ".":
        raise ctx.fail(f"{where}.id", f"id {entry_id!r} phải bắt đầu bằng {prefix!r}. (thủ tục {procedure})")
    where = f"entries[{i}] ({entry_id})"
    unknown = set(raw) - _KEYS
    if unknown:
        raise ctx.fail(where, f"khóa không hợp lệ: {', '.join(sorted(map(str, unknown)))}")

    case = raw.get("case", DEFAULT_CASE)
    if proc is None:
        if case != DEFAULT_CASE:
            raise ctx.fail(f"{where}.case", f"câu hỏi chung chỉ có case {DEFAULT_CASE!r}")
    elif case not in proc.cases:
        raise ctx.fail(f"{where}.case", f"{case!r} không có trong {procedure}.yml "
                                        f"(có: {', '.join(proc.cases)})")
    topic = raw.get("topic")
    if topic not in FAQ_TOPICS:
        raise ctx.fail(f"{where}.topic", f"{topic!r} không hợp lệ (dùng: {', '.join(FAQ_TOPICS)})")
    special = raw.get("special", False)
    if not isinstance(special, bool):
        raise ctx.fail(f"{where}.special", "phải là true hoặc false")

    phrasings = ctx.strings(raw.get("phrasings"), f"{where}.phrasings")
    if len(phrasings) < MIN_PHRASINGS:
        raise ctx.fail(f"{where}.phrasings", f"cần ít nhất {MIN_PHRASINGS} cách hỏi, có {len(phrasings)}")
    if len({fold(p) for p in phrasings}) != len(phrasings):
        raise ctx.fail(f"{where}.phrasings", "có cách hỏi bị lặp")

    if raw.get("checklist") and proc is None:
        raise ctx.fail(f"{where}.checklist", "câu hỏi chung không có checklist giấy tờ")
    checklist = checklist_ids(ctx, raw.get("checklist"), f"{where}.checklist",
                              proc.checklist if proc else ())
    details = raw.get("details")
    return FaqEntry(
        id=entry_id,
        procedure=procedure,
        title=_limited(ctx, raw.get("title"), f"{where}.title", MAX_TITLE),
        case=case,
        topic=topic,
        special=special,
        phrasings=phrasings,
        answer=_limited(ctx, raw.get("answer"), f"{where}.answer", MAX_ANSWER),
        details=_limited(ctx, details, f"{where}.details", MAX_DETAILS) if details is not None else "",
        checklist=checklist,
        sources=ctx.strings(raw.get("sources"), f"{where}.sources", non_empty=True),
        verified_on=a_date(ctx, raw.get("verified_on"), f"{where}.verified_on"),
        confirm=ctx.strings(raw.get("confirm"), f"{where}.confirm"),
        related=ctx.strings(raw.get("related"), f"{where}.related"),
    )


def load_faq_file(path: Path, procedures: dict[str, ProcedureKB]) -> list[FaqEntry]:
    path = Path(path)
    ctx = Ctx(path)
    ctx.file = f"faq/{path.name}"   # not to be confused with the procedure file of the same name
    raw = read_yaml(path, ctx)
    code = raw.get("procedure")
    if code != path.stem:
        raise ctx.fail("procedure", f"{code!r} phải trùng tên file ({path.stem!r})")
    if code != GENERAL and code not in procedures:
        raise ctx.fail("procedure", f"{code!r} không phải thủ tục đã nạp "
                                    f"({', '.join([*procedures, GENERAL])})")
    entries = raw.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ctx.fail("entries", "phải là danh sách câu hỏi, không rỗng")
    return [_entry(ctx, code, procedures.get(code), i, e) for i, e in enumerate(entries)]


def load_faq_dir(directory: str | Path, procedures: dict[str, ProcedureKB]) -> tuple[FaqEntry, ...]:
    """Every data/kb/faq/*.yml, validated across files (unique ids and phrasings, related ids)."""
    directory = Path(directory)
    if not directory.is_dir():
        return ()
    entries: list[FaqEntry] = []
    file_of: dict[str, str] = {}
    phrasing_of: dict[str, str] = {}
    for path in sorted(directory.glob("*.yml")):
        for entry in load_faq_file(path, procedures):
            if entry.id in file_of:
                raise KBError(f"faq/{path.name}: {entry.id}: id đã có trong faq/{file_of[entry.id]}")
            file_of[entry.id] = path.name
            for p in entry.phrasings:
                # One question text for two entries would make the retriever guess.
                other = phrasing_of.setdefault(fold(p), entry.id)
                if other != entry.id:
                    raise KBError(f"faq/{path.name}: {entry.id}: phrasings: {p!r} đã là cách hỏi của {other}")
            entries.append(entry)
    for entry in entries:
        for rel in entry.related:
            if rel not in file_of:
                raise KBError(f"faq/{file_of[entry.id]}: {entry.id}: related: không có câu hỏi {rel!r}")
            if rel == entry.id:
                raise KBError(f"faq/{file_of[entry.id]}: {entry.id}: related: không được trỏ tới chính nó")
    return tuple(entries)
