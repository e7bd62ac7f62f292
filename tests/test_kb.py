"""Knowledge base: what residents read about the five procedures, and how we pick it."""
from __future__ import annotations

import re
import shutil
import unicodedata
from pathlib import Path

import pytest
import yaml

from hotich.kb import (TOPIC_LABELS, TOPICS, KBError, KnowledgeBase, render_answer,
                       render_overview)
from hotich.procedures import CODES

KB_DIR = Path(__file__).resolve().parent.parent / "data" / "kb"
OURS = ("khai_sinh", "khai_tu")          # written together with the loader
from hotich.kb.render import CONFIRM_LINE


def _present() -> list[str]:
    return [c for c in CODES if (KB_DIR / f"{c}.yml").exists()]


def _need(code: str) -> None:
    if not (KB_DIR / f"{code}.yml").exists():
        pytest.skip(f"{code}.yml chưa có")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    # Strict (all five files) as soon as they all exist; until then validate what is there.
    present = _present()
    return KnowledgeBase.load(KB_DIR, required=CODES if len(present) == len(CODES) else OURS)


def _ddmmyyyy(d) -> str:
    return d.strftime("%d/%m/%Y")


# --- loading the real files ---------------------------------------------------------------

def test_all_five_procedures_load_in_canonical_order():
    if len(_present()) < len(CODES):
        pytest.skip("chưa đủ 5 file KB")
    assert KnowledgeBase.load(KB_DIR).procedures() == list(CODES)


@pytest.mark.parametrize("code", CODES)
def test_every_case_and_topic_renders_with_sources_and_date(kb, code):
    _need(code)
    entry = kb.get(code)
    for case_id in entry.cases:
        for topic in TOPICS:
            text = render_answer(kb.answer(code, topic, case_id))
            where = f"{code}/{case_id}/{topic}"
            lines = text.splitlines()
            assert lines[0] == f"{entry.name} – {TOPIC_LABELS[topic]}", where
            cites = [ln for ln in lines if ln.startswith("Căn cứ: ")]
            assert len(cites) == 1 and len(cites[0]) > len("Căn cứ: ") + 5, where
            assert f"Cập nhật: {_ddmmyyyy(entry.updated)}" in lines, where


@pytest.mark.parametrize("code", CODES)
def test_unverified_points_are_flagged_to_the_resident(kb, code):
    _need(code)
    flagged = 0
    for case_id, case in kb.get(code).cases.items():
        for topic in case.topics:
            answer = kb.answer(code, topic, case_id)
            text = render_answer(answer)
            if answer.needs_confirmation:
                flagged += 1
                # One plain line, not a developer's list of caveats; the answer says what is unsure.
                assert text.splitlines()[-1] == CONFIRM_LINE and "⚠️" not in text
                assert "cần xác nhận với cán bộ" in answer.text
            else:
                assert CONFIRM_LINE not in text
    # Every procedure has at least one ❓ point in the fact sheet (Hanoi fee amounts, …).
    assert flagged > 0


@pytest.mark.parametrize("code", OURS)
def test_our_answers_follow_the_style_rules(kb, code):
    for case_id, case in kb.get(code).cases.items():
        for topic, item in case.topics.items():
            where = f"{code}/{case_id}/{topic}"
            assert len(item.answer) <= 900, where
            assert unicodedata.is_normalized("NFC", item.answer), where
            assert not re.search(r"\*\*|__|<[a-z/]|^#|^- ", item.answer, re.M), where
            if item.confirm:
                assert "cần xác nhận với cán bộ" in item.answer, where
            # Hanoi fee amounts are unverified: no amount other than "0 đồng" may be stated
            # (the residence-registration fine in khai_sinh/lien_thong is about a penalty).
            if topic == "fee":
                amounts = re.findall(r"(\d[\d.]*)\s*(?:đồng|đ)\b", item.answer)
                assert set(amounts) <= {"0"}, where


# --- content a resident relies on ----------------------------------------------------------

def test_khai_sinh_core_facts(kb):
    docs = kb.answer("khai_sinh", "documents").text
    assert "bản chính giấy chứng sinh" in docs.lower()
    assert "15/01/2026" in docs and "số định danh" in docs
    assert "không còn phải xuất trình giấy chứng nhận kết hôn của cha mẹ" in docs
    fee = kb.answer("khai_sinh", "fee")
    assert "miễn lệ phí" in fee.text
    assert "60 ngày" in kb.answer("khai_sinh", "deadline").text
    assert "15 giờ" in kb.answer("khai_sinh", "processing_time").text
    online = kb.answer("khai_sinh", "online").text
    assert "0 đồng" in online and "dichvucong.hanoi.gov.vn" in online and "VNeID" in online


def test_late_birth_registration_fee_is_not_invented(kb):
    answer = kb.answer("khai_sinh", "fee", "qua_han")
    assert "cần xác nhận với cán bộ" in answer.text and "0 đồng" in answer.text
    assert answer.needs_confirmation
    assert CONFIRM_LINE in render_answer(answer)


def test_late_birth_penalty_is_told_as_unsettled(kb):
    answer = kb.answer("khai_sinh", "deadline", "qua_han")
    assert "chưa thống nhất" in answer.text
    assert "không còn bị phạt" in answer.text and "phạt tiền" in answer.text
    assert any("phạt" in point for point in answer.needs_confirmation)


def test_khai_tu_core_facts(kb):
    docs = kb.answer("khai_tu", "documents").text
    assert "giấy báo tử" in docs.lower()
    assert "15 ngày" in kb.answer("khai_tu", "deadline").text
    assert "15 giờ" in kb.answer("khai_tu", "processing_time").text
    fee = kb.answer("khai_tu", "fee")
    assert "miễn lệ phí" in fee.text and "0 đồng" in fee.text and fee.needs_confirmation
    # Death long ago: no death notice, so the answer must say what replaces it.
    assert "không có giấy báo tử" in kb.answer("khai_tu", "documents", "chet_da_lau").text.lower()


def test_case_without_a_topic_falls_back_to_default(kb):
    late = kb.answer("khai_sinh", "online", "qua_han")
    assert late.case == "qua_han" and late.case_title.startswith("Khai sinh quá hạn")
    assert late.text == kb.answer("khai_sinh", "online").text
    assert "Trường hợp: Khai sinh quá hạn" in render_answer(late)


def test_unknown_topic_or_case_is_an_error(kb):
    with pytest.raises(KeyError):
        kb.answer("khai_sinh", "gia_ca")
    with pytest.raises(KeyError):
        kb.answer("khai_sinh", "fee", "khong_co")


def test_checklists_name_the_key_papers(kb):
    ks = {i.id: i for i in kb.checklist("khai_sinh")}
    kt = {i.id: i for i in kb.checklist("khai_tu")}
    assert ks["giay_chung_sinh"].required and "chứng sinh" in ks["giay_chung_sinh"].label
    assert kt["giay_bao_tu"].required and "báo tử" in kt["giay_bao_tu"].label


def test_overview_lists_cases_and_date(kb):
    entry = kb.get("khai_tu")
    text = kb.overview("khai_tu")
    assert text == render_overview(entry)
    assert entry.name in text and entry.cases["chet_da_lau"].title in text
    assert f"Cập nhật: {_ddmmyyyy(entry.updated)}" in text
    # Shown after a QR scan: the resident sees which legal texts it rests on.
    cites = next(ln for ln in text.splitlines() if ln.startswith("Căn cứ: "))
    assert "Luật Hộ tịch 2014" in cites and "Điều" not in cites


# --- case and procedure detection ----------------------------------------------------------

@pytest.mark.parametrize("text,case", [
    ("làm giấy khai sinh muộn 3 năm", "qua_han"),
    ("khai sinh qua han", "qua_han"),
    ("Đăng ký khai sinh cho trẻ có bị phạt ko", "qua_han"),
    ("tôi muốn làm giấy khai sinh", "default"),        # muốn (want) is not muộn (late)
    ("dang ky khai sinh cho tre", "default"),           # trẻ (child) is not trễ (late)
    ("mất giấy khai sinh", "dang_ky_lai"),
    ("đăng kí lại khai sinh", "dang_ky_lai"),
    ("khai sinh trên VNeID cùng thẻ BHYT", "lien_thong"),
])
def test_detect_case_khai_sinh(kb, text, case):
    assert kb.detect_case("khai_sinh", text) == case


@pytest.mark.parametrize("text,case", [
    ("ông tôi mất từ năm 1991, không có giấy báo tử", "chet_da_lau"),
    ("muốn nhận mai táng phí cho mẹ", "lien_thong"),
    ("mất giấy chứng tử của bố", "dang_ky_lai"),
    ("làm giấy chứng tử cho bố", "default"),
])
def test_detect_case_khai_tu(kb, text, case):
    assert kb.detect_case("khai_tu", text) == case


@pytest.mark.parametrize("text,code", [
    ("giay chung tu cho bo", "khai_tu"),
    ("bố tôi vừa qua đời", "khai_tu"),
    ("làm giấy khai sinh muộn 3 năm", "khai_sinh"),
    ("gks cho con", "khai_sinh"),
    ("mất giấy khai sinh", "khai_sinh"),
    ("tôi làm mất cccd", None),                          # "mất" a paper is not a death
    ("hôm nay trời đẹp", None),
])
def test_detect_procedure_ours(kb, text, code):
    assert kb.detect_procedure(text) == code


@pytest.mark.parametrize("text,code", [
    ("sao y bằng tốt nghiệp", "chung_thuc"),
    ("giấy độc thân", "xac_nhan_hon_nhan"),
    ("đăng kí kết hôn", "ket_hon"),
    ("mất giấy kết hôn", "ket_hon"),
])
def test_detect_procedure_other_files(kb, text, code):
    _need(code)
    assert kb.detect_procedure(text) == code


# --- the loader rejects broken files, naming file and key ----------------------------------

def _copy(tmp_path: Path, codes=OURS) -> Path:
    for code in codes:
        shutil.copy(KB_DIR / f"{code}.yml", tmp_path / f"{code}.yml")
    return tmp_path


def _edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def test_copies_of_our_files_load(tmp_path):
    assert KnowledgeBase.load(_copy(tmp_path), required=OURS).procedures() == list(OURS)


def test_rejects_default_case_missing_a_topic(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "khai_sinh.yml", lambda data: data["cases"]["default"]["topics"].pop("fee"))
    with pytest.raises(KBError, match=r"khai_sinh\.yml.*default.*fee"):
        KnowledgeBase.load(d, required=OURS)


def test_rejects_missing_procedure_file(tmp_path):
    d = _copy(tmp_path, ("khai_sinh",))
    with pytest.raises(KBError, match=r"khai_tu\.yml"):
        KnowledgeBase.load(d)


def test_rejects_duplicate_case_id(tmp_path):
    d = _copy(tmp_path)
    path = d / "khai_tu.yml"
    text = path.read_text(encoding="utf-8")
    dup = "  lien_thong:\n    title: Trùng\n    topics:\n      fee: {answer: x, sources: [y]}\n"
    path.write_text(text.rstrip("\n") + "\n\n" + dup, encoding="utf-8")
    with pytest.raises(KBError, match=r"khai_tu\.yml: dòng \d+: khóa bị trùng: 'lien_thong'"):
        KnowledgeBase.load(d, required=OURS)


def test_rejects_duplicate_checklist_id(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "khai_sinh.yml", lambda data: data["checklist"].append(dict(data["checklist"][0])))
    with pytest.raises(KBError, match=r"khai_sinh\.yml: checklist\[\d+\]\.id.*to_khai"):
        KnowledgeBase.load(d, required=OURS)


def test_rejects_answer_without_sources(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "khai_tu.yml", lambda data: data["cases"]["chet_da_lau"]["topics"]["fee"].update(sources=[]))
    with pytest.raises(KBError, match=r"khai_tu\.yml: cases\.chet_da_lau\.topics\.fee\.sources"):
        KnowledgeBase.load(d, required=OURS)


def test_rejects_keyword_claimed_by_two_procedures(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "khai_tu.yml", lambda data: data["keywords"].append("Khai Sinh"))
    with pytest.raises(KBError, match=r"khai_tu\.yml.*khai_sinh\.yml"):
        KnowledgeBase.load(d, required=OURS)


def test_rejects_unknown_topic(tmp_path):
    d = _copy(tmp_path)
    _edit(d / "khai_sinh.yml",
          lambda data: data["cases"]["qua_han"]["topics"].update(gia={"answer": "x", "sources": ["y"]}))
    with pytest.raises(KBError, match=r"khai_sinh\.yml: cases\.qua_han\.topics\.gia"):
        KnowledgeBase.load(d, required=OURS)
