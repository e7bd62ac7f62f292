"""Special cases of kết hôn must never be answered with the ordinary case's facts."""
from __future__ import annotations

from pathlib import Path

import pytest

from hotich.kb import KnowledgeBase

KB_DIR = Path(__file__).resolve().parent.parent / "data" / "kb"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load(KB_DIR)


@pytest.mark.parametrize("text", [
    "lấy chồng Hàn Quốc thì lệ phí bao nhiêu",
    "dang ky ket hon voi nguoi nuoc ngoai het bao lau",
    "kết hôn với Việt kiều cần giấy tờ gì",
])
def test_marriage_with_a_foreigner_is_not_told_free_and_same_day(kb, text):
    case = kb.detect_case("ket_hon", text)
    assert case == "nuoc_ngoai"
    fee = kb.answer("ket_hon", "fee", case)
    assert "miễn lệ phí chỉ áp dụng" in fee.text and fee.needs_confirmation
    time = kb.answer("ket_hon", "processing_time", case).text
    assert "Không giải quyết ngay trong ngày" in time
    docs = kb.answer("ket_hon", "documents", case).text
    assert "tình trạng hôn nhân" in docs and "hợp pháp hóa" in docs


def test_ordinary_marriage_stays_free_and_same_day(kb):
    assert kb.detect_case("ket_hon", "đăng ký kết hôn cần giấy gì") == "default"
    assert "miễn lệ phí" in kb.answer("ket_hon", "fee").text
    assert "giải quyết ngay" in kb.answer("ket_hon", "processing_time").text


def test_who_comes_to_a_marriage_needs_only_the_id_number(kb):
    text = kb.answer("ket_hon", "in_person").text
    assert "Cả hai anh chị phải cùng có mặt" in text
    assert "chỉ cần cung cấp số" in text and "không bắt buộc mang thẻ" in text
