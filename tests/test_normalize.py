"""Vietnamese as residents type it reaches the NLU in one shape."""
import unicodedata

from hotich.procedures import canonical_procedure
from hotich.text.normalize import contains_folded, fold, nfc, normalize_message, normalize_with_spans


def test_decomposed_marks_from_ios_keyboards_become_precomposed():
    typed = unicodedata.normalize("NFD", "đăng ký khai tử")
    assert typed != "đăng ký khai tử"
    assert nfc(typed) == "đăng ký khai tử"


def test_both_tone_placements_read_the_same_but_qu_is_untouched():
    assert nfc("hoà thuỷ uỷ ban") == nfc("hòa thủy ủy ban") == "hòa thủy ủy ban"
    assert nfc("quý khách") == "quý khách"
    # Inside a longer syllable there is only one spelling: leave it as typed.
    assert nfc("toàn bộ ngoài giờ Huỳnh khoèo") == "toàn bộ ngoài giờ Huỳnh khoèo"


def test_chat_abbreviations_are_expanded():
    assert normalize_message("dk khai sinh ko can cccd a?") == "đăng ký khai sinh không can căn cước công dân a?"
    assert normalize_message("Lệ phí BN vậy ad") == "lệ phí bao nhiêu vậy admin"
    assert normalize_message("làm ntn dc") == "làm như thế nào được"


def test_words_that_merely_contain_an_abbreviation_are_left_alone():
    assert normalize_message("kết hôn") == "kết hôn"
    assert normalize_message("khai sinh cho kon") == "khai sinh cho kon"


def test_entity_spans_follow_expanded_text():
    text, spans = normalize_with_spans("dk khai tu cho ong", [(3, 10)])
    assert text[spans[0][0]:spans[0][1]] == "khai tu"


def test_matching_ignores_accents_and_case():
    assert fold("ĐĂNG KÝ Khai Tử") == "dang ky khai tu"
    assert contains_folded("muốn làm GIAY CHUNG TU cho bố", "giấy chứng tử")
    assert not contains_folded("khai sinhx", "khai sinh")


def test_colloquial_names_map_to_canonical_procedures():
    assert canonical_procedure("giay chung tu") == "khai_tu"
    assert canonical_procedure("báo tử") == "khai_tu"
    assert canonical_procedure("photo công chứng") == "chung_thuc"
    assert canonical_procedure("sao y") == "chung_thuc"
    assert canonical_procedure("giấy độc thân") == "xac_nhan_hon_nhan"
    assert canonical_procedure("mất giấy kết hôn") == "ket_hon"
    assert canonical_procedure("cưới") == "ket_hon"
    assert canonical_procedure("đăng kí kết hôn") == "ket_hon"
    assert canonical_procedure("xe máy") is None
