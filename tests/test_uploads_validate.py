"""What a resident may send: type by content, limits, and photos cleaned of their location."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from hotich.uploads.validate import HEIC_SUPPORTED, Rejected, check_size, sniff, validate
from tests.uploads_samples import (GPS_IFD, elf_binary, fake_pdf, heic_photo, jpeg_with_gps, png_with_exif,
                                   tiny_pdf, truncated_pdf, windows_exe)

MB = 1024 * 1024


def test_jpeg_is_accepted_and_its_gps_location_removed():
    data = jpeg_with_gps()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(GPS_IFD)   # the sample really has GPS
    clean = validate(data, "IMG_0001.jpg", 20 * MB)
    assert clean.kind == "jpeg" and clean.mime == "image/jpeg"
    img = Image.open(io.BytesIO(clean.data))
    assert img.size == (64, 48)
    assert not img.getexif()                      # no EXIF at all: no location, no phone model
    assert b"PhoneMaker" not in clean.data and b"Exif" not in clean.data


def test_png_is_accepted_without_metadata():
    clean = validate(png_with_exif(), "scan.png", 20 * MB)
    assert clean.kind == "png"
    img = Image.open(io.BytesIO(clean.data))
    assert not img.getexif() and b"eXIf" not in clean.data


def test_pdf_is_accepted_and_stored_as_a_rewrite():
    data = tiny_pdf()
    clean = validate(data, "to_khai.pdf", 20 * MB)
    assert clean.kind == "pdf" and clean.data.startswith(b"%PDF-") and b"/MediaBox" in clean.data


def test_type_is_decided_by_content_not_by_the_name():
    # a real JPEG named .pdf is still a JPEG (the name is irrelevant)
    assert validate(jpeg_with_gps(), "giay_to.pdf", 20 * MB).kind == "jpeg"
    assert sniff(windows_exe()[:32]) is None


@pytest.mark.parametrize("data", [windows_exe(), elf_binary()], ids=["exe", "elf"])
def test_an_executable_renamed_jpg_is_refused(data):
    with pytest.raises(Rejected) as err:
        validate(data, "anh_cccd.jpg", 20 * MB)
    assert err.value.code == "type"
    assert "JPEG" in err.value.message and "không được lưu" in err.value.message


@pytest.mark.parametrize("data", [fake_pdf(), truncated_pdf()], ids=["text", "truncated"])
def test_a_pdf_that_is_not_one_is_refused(data):
    with pytest.raises(Rejected) as err:
        validate(data, "giay_chung_sinh.pdf", 20 * MB)
    assert err.value.code == "fake_pdf"
    assert "không phải PDF" in err.value.message


def test_a_jpeg_header_on_garbage_is_refused():
    with pytest.raises(Rejected) as err:
        validate(b"\xff\xd8\xff\xe0" + b"\x00junk" * 50, "anh.jpg", 20 * MB)
    assert err.value.code == "broken"


def test_oversize_is_refused_before_and_after_download():
    with pytest.raises(Rejected) as err:
        check_size(21 * MB, 20 * MB)
    assert "tối đa 20 MB" in err.value.message
    check_size(None, 20 * MB)   # unknown size: decided after download
    with pytest.raises(Rejected):
        validate(jpeg_with_gps() + b"\x00" * (2 * MB), "a.jpg", 1 * MB)


def test_empty_file_is_refused():
    with pytest.raises(Rejected) as err:
        validate(b"", "a.jpg", MB)
    assert err.value.code == "empty"


@pytest.mark.skipif(not HEIC_SUPPORTED or heic_photo() is None, reason="pillow-heif without an HEVC encoder")
def test_heic_photo_becomes_a_plain_jpeg():
    clean = validate(heic_photo(), "IMG_0002.HEIC", 20 * MB)
    assert clean.kind == "jpeg"
    assert Image.open(io.BytesIO(clean.data)).format == "JPEG"
