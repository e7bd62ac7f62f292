"""FAQ entries (data/kb/faq/*.yml): every real entry is valid, and a broken one is refused with
a message that tells its author which file, entry and field to fix."""
from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

from hotich.kb import FaqEntry, KBError, KnowledgeBase
from hotich.procedures import CODES

KB_DIR = Path(__file__).resolve().parent.parent / "data" / "kb"
MIN_ENTRIES = 150


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(KB_DIR)


# --- the real knowledge base --------------------------------------------------------------

def test_real_faq_loads_and_each_entry_is_reachable_by_id(kb):
    for entry in kb.faq():
        assert kb.faq_entry(entry.id) is entry


def test_real_faq_has_enough_entries_over_the_five_procedures(kb):
    per_procedure = Counter(e.procedure for e in kb.faq())
    assert len(kb.faq()) >= MIN_ENTRIES, f"chỉ có {len(kb.faq())} câu hỏi: {dict(per_procedure)}"
    assert all(per_procedure[c] > 0 for c in CODES), dict(per_procedure)


def test_real_entries_are_plain_text_without_links(kb):
    for e in kb.faq():
        assert "http" not in e.answer and not any("http" in s for s in e.sources), e.id
        assert "**" not in e.answer and "<" not in e.answer, e.id


def test_real_case_checklists_name_papers_of_their_procedure(kb):
    for code in kb.procedures():
        known = {item.id for item in kb.checklist(code)}
        for case_id in kb.get(code).cases:
            papers = kb.case_checklist(code, case_id)
            assert {p.id for p in papers} <= known, f"{code}/{case_id}"


def test_case_without_checklist_brings_the_required_papers(kb):
    required = [i for i in kb.checklist("khai_sinh") if i.required]
    default = kb.get("khai_sinh").cases["default"]
    if "checklist" in (yaml.safe_load((KB_DIR / "khai_sinh.yml").read_text())["cases"]["default"]):
        pytest.skip("khai_sinh default có checklist riêng")
    assert kb.case_checklist("khai_sinh", default.id) == tuple(required)


def test_unknown_faq_id_is_an_error(kb):
    with pytest.raises(KeyError, match="không có câu hỏi"):
        kb.faq_entry("ks.khong_ton_tai")


# --- fixture KBs: what a broken entry looks like to its author ----------------------------

def _entry(**over) -> dict:
    e = {
        "id": "ks.sinh_tai_nha",
        "title": "Sinh con tại nhà, không có giấy chứng sinh",
        "case": "default",
        "topic": "documents",
        "special": True,
        "phrasings": ["sinh con ở nhà không có giấy chứng sinh",
                      "de o nha ko co giay chung sinh lam ks sao",
                      "bé sinh tại nhà thì làm khai sinh cần gì"],
        "answer": "Dạ, anh/chị cần:\n• Tờ khai\n• Văn bản của người làm chứng",
        "checklist": ["to_khai", "van_ban_lam_chung"],
        "sources": ["Luật Hộ tịch 2014, Điều 16"],
        "verified_on": "2026-03-20",
    }
    e.update(over)
    return {k: v for k, v in e.items() if v is not None}


def _kb_dir(tmp_path: Path, faq: dict[str, list[dict]], case_checklist=None) -> Path:
    for code in CODES:
        shutil.copy(KB_DIR / f"{code}.yml", tmp_path / f"{code}.yml")
    if case_checklist is not None:
        raw = yaml.safe_load((tmp_path / "khai_sinh.yml").read_text(encoding="utf-8"))
        raw["cases"]["qua_han"]["checklist"] = case_checklist
        (tmp_path / "khai_sinh.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    (tmp_path / "faq").mkdir(exist_ok=True)
    for procedure, entries in faq.items():
        doc = {"procedure": procedure, "entries": entries}
        (tmp_path / "faq" / f"{procedure}.yml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return tmp_path


def _load(tmp_path, faq, **kw) -> KnowledgeBase:
    return KnowledgeBase.load(_kb_dir(tmp_path, faq, **kw))


def test_valid_fixture_entry_loads_typed(tmp_path):
    kb = _load(tmp_path, {"khai_sinh": [_entry(related=["ks.qua_han"]),
                                        _entry(id="ks.qua_han", case="qua_han", special=False,
                                               phrasings=["a b c", "d e f", "g h i"])],
                          "chung": [_entry(id="chung.gio_lam_viec", topic="hours", checklist=None,
                                           phrasings=["mấy giờ xã mở cửa", "thu 7 co lam ko",
                                                      "giờ làm việc của xã"])]})
    e = kb.faq_entry("ks.sinh_tai_nha")
    assert isinstance(e, FaqEntry) and e.procedure == "khai_sinh" and e.special
    assert e.verified_on == date(2026, 3, 20) and e.related == ("ks.qua_han",)
    assert e.checklist == ("to_khai", "van_ban_lam_chung")
    assert kb.faq_entry("chung.gio_lam_viec").procedure == "chung"
    assert [x.id for x in kb.faq()] == ["chung.gio_lam_viec", "ks.sinh_tai_nha", "ks.qua_han"]


def test_case_checklist_from_yaml(tmp_path):
    kb = _load(tmp_path, {}, case_checklist=["to_khai", "van_ban_lam_chung"])
    assert [i.id for i in kb.case_checklist("khai_sinh", "qua_han")] == ["to_khai", "van_ban_lam_chung"]


def test_case_checklist_with_unknown_paper_is_refused(tmp_path):
    with pytest.raises(KBError, match=r"khai_sinh\.yml: cases\.qua_han\.checklist: .*giay_bay"):
        _load(tmp_path, {}, case_checklist=["to_khai", "giay_bay"])


@pytest.mark.parametrize("over, message", [
    ({"id": "ks.Sinh-Tai-Nha"}, r"entries\[0\]\.id: id 'ks.Sinh-Tai-Nha' không hợp lệ"),
    ({"id": "kt.sinh_tai_nha"}, r"entries\[0\]\.id: .*phải bắt đầu bằng 'ks'"),
    ({"case": "nuoc_ngoai"}, r"\(ks\.sinh_tai_nha\)\.case: 'nuoc_ngoai' không có trong khai_sinh\.yml"),
    ({"checklist": ["to_khai", "giay_bay"]}, r"\.checklist: không có trong checklist .*giay_bay"),
    ({"answer": "x" * 601}, r"\.answer: dài 601 ký tự, tối đa 600"),
    ({"title": "x" * 71}, r"\.title: dài 71 ký tự, tối đa 70"),
    ({"details": "x" * 1501}, r"\.details: dài 1501 ký tự"),
    ({"phrasings": ["một", "hai"]}, r"\.phrasings: cần ít nhất 3 cách hỏi, có 2"),
    ({"phrasings": ["mot", "một", "hai"]}, r"\.phrasings: có cách hỏi bị lặp"),
    ({"sources": []}, r"\.sources: không được để trống"),
    ({"sources": None}, r"\.sources: không được để trống"),
    ({"verified_on": "20/03/2026"}, r"\.verified_on: ngày '20/03/2026' không hợp lệ"),
    ({"verified_on": None}, r"\.verified_on: ngày None không hợp lệ"),
    ({"topic": "gia_ca"}, r"\.topic: 'gia_ca' không hợp lệ"),
    ({"special": "yes"}, r"\.special: phải là true hoặc false"),
    ({"related": ["ks.khong_co"]}, r"ks\.sinh_tai_nha: related: không có câu hỏi 'ks.khong_co'"),
    ({"answr": "typo"}, r"khóa không hợp lệ: answr"),
])
def test_broken_entry_is_refused_naming_file_entry_and_field(tmp_path, over, message):
    with pytest.raises(KBError, match=r"^faq/khai_sinh\.yml: .*" + message):
        _load(tmp_path, {"khai_sinh": [_entry(**over)]})


def test_duplicate_id_across_files_is_refused(tmp_path):
    with pytest.raises(KBError, match=r"id đã có trong faq/"):
        _load(tmp_path, {"khai_sinh": [_entry(), _entry(phrasings=["x y", "y z", "z x"])]})


def test_same_phrasing_in_two_entries_is_refused(tmp_path):
    with pytest.raises(KBError, match=r"ks\.b: phrasings: .* đã là cách hỏi của ks\.sinh_tai_nha"):
        _load(tmp_path, {"khai_sinh": [_entry(), _entry(id="ks.b")]})


def test_unknown_procedure_file_is_refused(tmp_path):
    with pytest.raises(KBError, match=r"faq/ly_hon\.yml: procedure: 'ly_hon' không phải thủ tục"):
        _load(tmp_path, {"ly_hon": [_entry(id="lh.a")]})


def test_general_entry_has_no_case_or_checklist(tmp_path):
    with pytest.raises(KBError, match=r"faq/chung\.yml: .*\.case: câu hỏi chung"):
        _load(tmp_path, {"chung": [_entry(id="chung.a", case="qua_han", checklist=None)]})
    with pytest.raises(KBError, match=r"faq/chung\.yml: .*\.checklist: câu hỏi chung"):
        _load(tmp_path, {"chung": [_entry(id="chung.a")]})


def test_yaml_syntax_error_names_the_line(tmp_path):
    d = _kb_dir(tmp_path, {})
    (d / "faq" / "khai_sinh.yml").write_text("procedure: khai_sinh\nentries:\n  - id: [\n", encoding="utf-8")
    with pytest.raises(KBError, match=r"^faq/khai_sinh\.yml: dòng \d+"):
        KnowledgeBase.load(d)
