"""Read and validate data/kb/*.yml. Every error names the file and the key path, so whoever
edits the YAML can fix it without reading this code."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from hotich.procedures import CODES
from hotich.text.normalize import fold

from .models import DEFAULT_CASE, TOPICS, Case, ChecklistItem, ProcedureKB, TopicAnswer

_ID_RE = re.compile(r"^[a-z0-9_]+$")


class KBError(ValueError):
    """The knowledge base is missing or malformed."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"khóa bị trùng: {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class Ctx:
    """Carries the file name into every error message."""

    def __init__(self, path: Path):
        self.file = path.name

    def fail(self, key: str, msg: str) -> KBError:
        return KBError(f"{self.file}: {key}: {msg}")

    def mapping(self, value: Any, key: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(key, "phải là một bảng (mapping)")
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "thiếu hoặc rỗng (cần một chuỗi văn bản)")
        return unicodedata.normalize("NFC", value.strip())

    def strings(self, value: Any, key: str, *, non_empty: bool = False) -> tuple[str, ...]:
        if value is None:
            value = []
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(key, "phải là danh sách các chuỗi không rỗng")
        if non_empty and not value:
            raise self.fail(key, "không được để trống")
        return tuple(unicodedata.normalize("NFC", v.strip()) for v in value)

    def ident(self, value: Any, key: str) -> str:
        if not isinstance(value, str) or not _ID_RE.match(value):
            raise self.fail(key, f"id {value!r} không hợp lệ (chỉ dùng a-z, 0-9, _)")
        return value


def _topic(ctx: Ctx, raw: Any, key: str) -> TopicAnswer:
    raw = ctx.mapping(raw, key)
    unknown = set(raw) - {"answer", "sources", "confirm"}
    if unknown:
        raise ctx.fail(key, f"khóa không hợp lệ: {', '.join(sorted(map(str, unknown)))}")
    return TopicAnswer(
        answer=ctx.text(raw.get("answer"), f"{key}.answer"),
        sources=ctx.strings(raw.get("sources"), f"{key}.sources", non_empty=True),
        confirm=ctx.strings(raw.get("confirm"), f"{key}.confirm"),
    )


def _case(ctx: Ctx, case_id: Any, raw: Any, checklist: tuple[ChecklistItem, ...]) -> Case:
    key = f"cases.{case_id}"
    ctx.ident(case_id, key)
    raw = ctx.mapping(raw, key)
    topics_raw = ctx.mapping(raw.get("topics") or {}, f"{key}.topics")
    for name in topics_raw:
        if name not in TOPICS:
            raise ctx.fail(f"{key}.topics.{name}", f"chủ đề không hợp lệ (dùng: {', '.join(TOPICS)})")
    if case_id == DEFAULT_CASE:
        missing = [t for t in TOPICS if t not in topics_raw]
        if missing:
            raise ctx.fail(f"{key}.topics", f"case `default` thiếu chủ đề: {', '.join(missing)}")
    elif not topics_raw:
        raise ctx.fail(f"{key}.topics", "cần ít nhất một chủ đề")
    if "checklist" in raw:
        papers = checklist_ids(ctx, raw["checklist"], f"{key}.checklist", checklist)
    else:
        papers = tuple(item.id for item in checklist if item.required)
    return Case(
        id=case_id,
        title=ctx.text(raw.get("title"), f"{key}.title"),
        keywords=ctx.strings(raw.get("keywords"), f"{key}.keywords"),
        topics={t: _topic(ctx, topics_raw[t], f"{key}.topics.{t}") for t in TOPICS if t in topics_raw},
        checklist=papers,
    )


def checklist_ids(ctx: Ctx, value: Any, key: str, checklist: tuple[ChecklistItem, ...]) -> tuple[str, ...]:
    """A list of ids that must name items of the procedure's `checklist:`."""
    ids = ctx.strings(value, key)
    known = {item.id for item in checklist}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ctx.fail(key, f"không có trong checklist của thủ tục: {', '.join(unknown)}")
    if len(set(ids)) != len(ids):
        raise ctx.fail(key, "có id bị lặp")
    return ids


def _checklist(ctx: Ctx, raw: Any) -> tuple[ChecklistItem, ...]:
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        raise ctx.fail("checklist", "phải là danh sách")
    items, seen = [], set()
    for i, entry in enumerate(raw):
        key = f"checklist[{i}]"
        entry = ctx.mapping(entry, key)
        item_id = ctx.ident(entry.get("id"), f"{key}.id")
        if item_id in seen:
            raise ctx.fail(f"{key}.id", f"id {item_id!r} bị trùng")
        seen.add(item_id)
        note = entry.get("note")
        items.append(ChecklistItem(
            id=item_id,
            label=ctx.text(entry.get("label"), f"{key}.label"),
            required=bool(entry.get("required", False)),
            note=ctx.text(note, f"{key}.note") if note is not None else "",
        ))
    return tuple(items)


def a_date(ctx: Ctx, value: Any, key: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ctx.fail(key, f"ngày {value!r} không hợp lệ (dạng YYYY-MM-DD)") from None


def read_yaml(path: Path, ctx: Ctx) -> dict:
    """The file's top-level mapping; syntax errors and duplicate keys name the line."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else "?"
        raise KBError(f"{ctx.file}: dòng {line}: {exc.problem or exc}") from exc
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KBError(f"{ctx.file}: YAML không đọc được: {exc}") from exc
    return ctx.mapping(raw, "(gốc)")


def load_file(path: Path) -> ProcedureKB:
    """Parse and validate one procedure file."""
    path = Path(path)
    ctx = Ctx(path)
    raw = read_yaml(path, ctx)
    code = raw.get("procedure")
    if code != path.stem:
        raise ctx.fail("procedure", f"{code!r} phải trùng tên file ({path.stem!r})")
    if code not in CODES:
        raise ctx.fail("procedure", f"{code!r} không thuộc {', '.join(CODES)}")
    cases_raw = ctx.mapping(raw.get("cases"), "cases")
    if DEFAULT_CASE not in cases_raw:
        raise ctx.fail("cases", "thiếu case `default`")
    checklist = _checklist(ctx, raw.get("checklist"))
    return ProcedureKB(
        code=code,
        name=ctx.text(raw.get("name"), "name"),
        updated=a_date(ctx, raw.get("updated"), "updated"),
        summary=ctx.text(raw.get("summary"), "summary"),
        keywords=ctx.strings(raw.get("keywords"), "keywords", non_empty=True),
        checklist=checklist,
        cases={cid: _case(ctx, cid, craw, checklist) for cid, craw in cases_raw.items()},
    )


def load_dir(directory: str | Path, required: Iterable[str] = CODES) -> dict[str, ProcedureKB]:
    """Load every *.yml in `directory`; each code in `required` must have its file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise KBError(f"{directory}: thư mục KB không tồn tại")
    entries: dict[str, ProcedureKB] = {}
    for path in sorted(directory.glob("*.yml")):
        entry = load_file(path)
        entries[entry.code] = entry
    missing = [f"{c}.yml" for c in required if c not in entries]
    if missing:
        raise KBError(f"{directory}: thiếu file: {', '.join(missing)}")
    _check_keyword_clashes(entries)
    # Canonical order, so buttons and overviews list procedures the same way everywhere.
    return {c: entries[c] for c in CODES if c in entries}


def _check_keyword_clashes(entries: dict[str, ProcedureKB]) -> None:
    """The same phrase naming two procedures would make detect_procedure a coin toss."""
    owner: dict[str, str] = {}
    for code, entry in entries.items():
        for kw in entry.keywords:
            other = owner.setdefault(fold(kw), code)
            if other != code:
                raise KBError(f"{code}.yml: keywords: {kw!r} đã có trong {other}.yml")
