"""Files made to break in: each is refused with a Vietnamese reason, or stored only as a clean
rewrite. The corpus is generated here (tests/uploads_samples.py); nothing binary is committed."""
from __future__ import annotations

import asyncio
import io
import time

import pikepdf
import pytest
from PIL import Image

from hotich.uploads.sandbox import Sandbox
from hotich.uploads.validate import MAX_PIXELS, Rejected, validate
from tests.uploads_samples import (elf_binary, html_behind_pdf_header, jpeg_header_only, jpeg_with_comment_xmp_icc,
                                   jpeg_with_gps, pdf_broken_xref, pdf_with, png_header_only, polyglot_jpeg_zip,
                                   tiny_pdf, windows_exe)

MB = 1024 * 1024


def refused(data: bytes, name: str = "giay_to.pdf", max_bytes: int = 20 * MB) -> Rejected:
    with pytest.raises(Rejected) as err:
        validate(data, name, max_bytes)
    assert "Anh/chị" in err.value.message or "anh/chị" in err.value.message   # a reason the resident reads
    return err.value


@pytest.mark.parametrize("data,name,code", [
    (windows_exe(), "cccd.jpg", "type"),
    (elf_binary(), "anh.png", "type"),
    (b"PK\x03\x04" + b"\x00" * 100, "to_khai.pdf", "fake_pdf"),              # a ZIP named .pdf
    (b"<html><script>alert(1)</script></html>", "anh.jpg", "type"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "scan.png", "broken"),              # PNG magic, nothing behind
    (b"\xff\xd8\xff\xe0" + b"<?php system($_GET[1]); ?>" * 10, "a.jpg", "broken"),
    (b"", "a.jpg", "empty"),
], ids=["exe", "elf", "zip-as-pdf", "html", "png-magic-only", "php-behind-jpeg-magic", "empty"])
def test_wrong_or_missing_content_is_refused(data, name, code):
    assert refused(data, name).code == code


def test_oversize_is_refused():
    assert refused(jpeg_with_gps() + b"\x00" * (2 * MB), "a.jpg", max_bytes=MB).code == "too_big"


@pytest.mark.parametrize("data", [png_header_only(50_000, 50_000), png_header_only(8_000, 6_000),
                                  jpeg_header_only(9_000, 5_000)], ids=["png-2.5GP", "png-48MP", "jpeg-45MP"])
def test_pixel_bombs_are_refused_from_the_header_without_decoding(data):
    assert len(data) < 10_000        # a few KB on the wire
    started = time.monotonic()
    err = refused(data, "anh.png")
    assert err.code == "pixels" and "quá lớn" in err.message
    assert time.monotonic() - started < 5   # decoding 48 MP would take longer and ~150 MB


def test_a_real_phone_sized_photo_is_accepted():
    w, h = 4000, 3000                # 12 MP, what phones store by default
    assert w * h <= MAX_PIXELS
    out = io.BytesIO()
    Image.new("RGB", (w, h), (120, 130, 140)).save(out, "JPEG", quality=80)
    clean = validate(out.getvalue(), "IMG_1234.jpg", 20 * MB)
    assert clean.kind == "jpeg" and Image.open(io.BytesIO(clean.data)).size == (w, h)


def test_jpeg_comment_xmp_and_icc_blocks_are_all_removed():
    data = jpeg_with_comment_xmp_icc("BIMAT")
    assert data.count(b"BIMAT") == 3                  # the sample carries all three
    clean = validate(data, "a.jpg", 20 * MB)
    assert b"BIMAT" not in clean.data
    segments = _jpeg_markers(clean.data)
    assert 0xFE not in segments                       # COM
    assert not [m for m in segments if 0xE1 <= m <= 0xEF]   # APP1..APP15: EXIF, XMP, ICC, …


def _jpeg_markers(data: bytes) -> list[int]:
    markers, i = [], 2
    while i < len(data) - 3 and data[i] == 0xFF:
        marker = data[i + 1]
        markers.append(marker)
        if marker == 0xDA:       # start of scan: entropy-coded data follows
            break
        i += 2 + int.from_bytes(data[i + 2:i + 4], "big")
    return markers


def test_a_polyglot_keeps_only_the_picture():
    clean = validate(polyglot_jpeg_zip(), "anh.jpg", 20 * MB)
    assert clean.kind == "jpeg"
    assert b"PK\x03\x04" not in clean.data and b"<script>" not in clean.data


def test_html_behind_a_pdf_header_is_refused():
    assert refused(html_behind_pdf_header()).code == "fake_pdf"


def test_a_pdf_with_a_broken_structure_is_refused():
    assert refused(pdf_broken_xref()).code == "fake_pdf"


@pytest.mark.parametrize("kind", ["javascript", "open_action_js", "launch", "page_aa", "embedded_file",
                                  "attachment_annot", "hidden_js_object", "xfa"])
def test_active_pdfs_are_refused(kind):
    err = refused(pdf_with(kind))
    assert err.code == "pdf_active" and "không lưu" in err.message


def test_a_pdf_is_stored_rewritten_without_its_metadata():
    data = pdf_with("metadata", secret="Nguyen Van A")
    assert data.count(b"Nguyen Van A") >= 2
    clean = validate(data, "to_khai.pdf", 20 * MB)
    assert clean.kind == "pdf" and b"Nguyen Van A" not in clean.data
    with pikepdf.open(io.BytesIO(clean.data)) as pdf:
        assert len(pdf.pages) == 1
        assert "/Metadata" not in pdf.Root and "/Info" not in pdf.trailer


def test_an_open_at_page_destination_is_not_an_action_and_is_dropped():
    clean = validate(pdf_with("open_destination"), "to_khai.pdf", 20 * MB)
    with pikepdf.open(io.BytesIO(clean.data)) as pdf:
        assert "/OpenAction" not in pdf.Root


def test_a_plain_pdf_is_accepted():
    assert validate(tiny_pdf(), "to_khai.pdf", 20 * MB).kind == "pdf"


def test_decoding_runs_under_a_memory_ceiling_and_the_sandbox_survives():
    out = io.BytesIO()
    Image.new("RGB", (6000, 5000), (1, 2, 3)).save(out, "JPEG", quality=50)   # 30 MP: 90 MB decoded
    small = Sandbox(memory_limit=160 * MB)
    try:
        with pytest.raises(Rejected) as err:
            validate(out.getvalue(), "a.jpg", 20 * MB, sandbox=small)
        assert err.value.code == "pixels"
        assert validate(jpeg_with_gps(), "a.jpg", 20 * MB, sandbox=small).kind == "jpeg"   # still works
    finally:
        small.close()


async def test_a_heavy_decode_does_not_stall_the_event_loop():
    out = io.BytesIO()
    Image.new("RGB", (6000, 5000), (9, 9, 9)).save(out, "PNG", compress_level=1)   # 30 MP PNG
    data = out.getvalue()
    validate(jpeg_with_gps(), "a.jpg", 20 * MB)   # the worker is up
    gaps: list[float] = []

    async def ticker() -> None:
        last = time.monotonic()
        while True:
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    task = asyncio.create_task(ticker())
    try:
        clean = await asyncio.to_thread(validate, data, "scan.png", 200 * MB)
    finally:
        task.cancel()
    assert clean.kind == "png"
    assert max(gaps) < 0.5, max(gaps)
