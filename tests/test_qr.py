"""QR codes for the village boards: every printed code opens the right deep link when scanned.

Scanning is done with a real decoder (zbar via pyzbar) on the generated PNGs, on the SVGs drawn
back to pixels, and on the A4 posters rasterised by poppler's pdftoppm.
"""
from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from PIL import Image, ImageDraw
from pyzbar.pyzbar import ZBarSymbol, decode

from hotich.commune import load_profile
from hotich.config import ROOT
from hotich.deeplink import TELEGRAM_START_RE, parse_payload
from hotich.procedures import PROCEDURES
from hotich.qr.codes import make_code, plan_codes
from hotich.qr.images import PNG_MODULE_PX
from hotich.qr.matrix import QUIET_ZONE
from hotich.qr.poster import INSTRUCTION, render_poster

PROFILE = ROOT / "data" / "commune" / "song_phuong.yml"
BOT = "hotich_songphuong_bot"
WEB = "https://chat.songphuong.example.vn"
ZALO_ID = "4318765432109876543"
HOTICH = Path(sys.executable).parent / "hotich"


def scan(img: Image.Image) -> list[str]:
    return sorted(d.data.decode("utf-8") for d in decode(img.convert("L"), symbols=[ZBarSymbol.QRCODE]))


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, list[dict[str, str]], subprocess.CompletedProcess]:
    """`hotich qr --out DIR` through the installed console script, as the commune runs it."""
    out = tmp_path_factory.mktemp("qr")
    env = {**os.environ, "BOT_USERNAME": BOT, "PUBLIC_WEB_URL": WEB, "COMMUNE_PROFILE": str(PROFILE),
           "ZALO_OA_ID": ZALO_ID}
    proc = subprocess.run([str(HOTICH), "qr", "--out", str(out)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    with (out / "index.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    return out, rows, proc


def test_one_code_per_procedure_and_board_plus_posters(generated):
    out, rows, proc = generated
    profile = load_profile(PROFILE)
    payloads = {r["payload"] for r in rows}
    expected = {p.short for p in PROCEDURES}
    for b in profile.boards:
        expected |= {f"all_{b.code}"} | {f"{p.short}_{b.code}" for p in PROCEDURES}
    assert payloads == expected and len(rows) == len(expected) == 5 + 20 * 6
    assert sorted(p.name for p in (out / "posters").glob("*.pdf")) == sorted(f"{b.code}.pdf" for b in profile.boards)
    # Progress bar on stderr, summary for the officer on stdout.
    assert f"{len(rows)}/{len(rows)}" in proc.stderr
    assert "Đã tạo 125 mã QR (Telegram, web chat và Zalo" in proc.stdout and "20 áp phích" in proc.stdout


def test_payloads_fit_telegram_and_name_the_board(generated):
    _, rows, _ = generated
    for r in rows:
        assert len(r["payload"]) <= 64 and TELEGRAM_START_RE.match(r["payload"])
        link = parse_payload(r["payload"])
        assert link is not None
        assert link.board == (r["board_code"] or None)
        assert link.procedure == (None if r["procedure"] == "all" else r["procedure"])
        assert r["telegram_url"] == f"https://t.me/{BOT}?start={r['payload']}"
        assert r["web_url"] == f"{WEB}/?start={r['payload']}"
        assert r["zalo_url"] == f"https://zalo.me/{ZALO_ID}"        # Zalo's link carries no payload


def test_every_png_scans_to_its_link(generated):
    out, rows, _ = generated
    for r in rows:
        assert scan(Image.open(out / r["telegram_png"])) == [r["telegram_url"]], r["payload"]
        assert scan(Image.open(out / r["web_png"])) == [r["web_url"]], r["payload"]
        assert scan(Image.open(out / r["zalo_png"])) == [r["zalo_url"]], r["payload"]


def _svg_to_image(svg: str) -> Image.Image:
    """Draw the SVG's module runs back to pixels (no SVG renderer needed: we know its shape)."""
    n = int(re.search(r'viewBox="0 0 (\d+) \1"', svg).group(1))
    px = 8
    img = Image.new("L", (n * px, n * px), 255)
    draw = ImageDraw.Draw(img)
    path = re.search(r'<path fill="#000" d="([^"]+)"', svg).group(1)
    for x, y, w in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\3z", path):
        x, y, w = int(x), int(y), int(w)
        draw.rectangle([x * px, y * px, (x + w) * px - 1, (y + 1) * px - 1], fill=0)
    return img


def test_every_svg_scans_to_its_link(generated):
    out, rows, _ = generated
    for r in rows:
        for kind in ("telegram", "web"):
            svg = (out / r[f"{kind}_svg"]).read_text(encoding="utf-8")
            assert scan(_svg_to_image(svg)) == [r[f"{kind}_url"]], (r["payload"], kind)


def _format_ec_level(img: Image.Image) -> str:
    """Error-correction level from the symbol's format information (ISO/IEC 18004 §7.9)."""
    px, q = PNG_MODULE_PX, QUIET_ZONE
    n = img.width // px - 2 * q
    g = img.convert("L")

    def dark(row: int, col: int) -> bool:
        return g.getpixel(((q + col) * px + px // 2, (q + row) * px + px // 2)) < 128

    rows = [*range(6), 7, 8, *range(n - 7, n)]        # column 8, top to bottom, skipping the timing row
    bits = sum(dark(r, 8) << i for i, r in enumerate(rows))
    level = ((bits ^ 0b101010000010010) >> 13) & 0b11
    return {0b01: "L", 0b00: "M", 0b11: "Q", 0b10: "H"}[level]


def test_codes_keep_quiet_zone_and_strong_error_correction(generated):
    out, rows, _ = generated
    for r in rows[:12]:
        img = Image.open(out / r["telegram_png"]).convert("L")
        border = QUIET_ZONE * PNG_MODULE_PX
        w = img.width
        for box in ((0, 0, w, border), (0, w - border, w, w), (0, 0, border, w), (w - border, 0, w, w)):
            assert img.crop(box).getextrema() == (255, 255), "quiet zone must stay white"
        assert img.getpixel((border, border)) == 0     # the finder pattern starts right after it
        assert _format_ec_level(img) in {"Q", "H"}


def test_codes_still_scan_with_a_damaged_patch(generated):
    """A scratched or rain-stained board keeps working: a blotch over the middle 30 % × 30 %
    (which L or M codes of these links do not survive) still scans."""
    out, rows, _ = generated
    for r in rows:
        for kind in ("telegram", "web"):
            img = Image.open(out / r[f"{kind}_png"]).convert("L")
            a, b = int(img.width * 0.35), int(img.width * 0.65)
            ImageDraw.Draw(img).rectangle([a, a, b, b], fill=255)
            assert scan(img) == [r[f"{kind}_url"]], (r["payload"], kind)


def test_every_poster_scans_from_the_printed_page(generated, tmp_path):
    out, rows, _ = generated
    posters = [r for r in rows if r["poster_pdf"]]
    assert len(posters) == 20
    for r in posters:
        prefix = tmp_path / r["board_code"]
        subprocess.run(["pdftoppm", "-r", "110", "-png", "-singlefile", str(out / r["poster_pdf"]),
                        str(prefix)], check=True, timeout=60)
        page = Image.open(f"{prefix}.png")
        assert page.width < page.height                      # A4 portrait, one page
        assert scan(page) == sorted([r["telegram_url"], r["web_url"], r["zalo_url"]]), r["board_code"]


def _pdftotext(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                          text=True).stdout


def test_poster_prints_vietnamese_with_the_shipped_font(generated):
    out, _, _ = generated
    text = _pdftotext(out / "posters" / "TT01.pdf")
    for expected in (INSTRUCTION, "ỦY BAN NHÂN DÂN XÃ SONG PHƯỢNG", "Nhà văn hóa thôn Thượng Tháp",
                     "Xác nhận tình trạng hôn nhân", "Đăng ký khai tử",
                     f"t.me/{BOT}?start=all_TT01", f"{WEB}/?start=all_TT01", f"zalo.me/{ZALO_ID}", "Dùng Zalo?"):
        assert expected in text
    fonts = subprocess.run(["pdffonts", str(out / "posters" / "TT01.pdf")], check=True, capture_output=True,
                           text=True).stdout
    assert "DejaVuSans" in fonts and " no " not in fonts.split("\n", 2)[2]   # every font embedded


def test_decomposed_profile_text_prints_precomposed(tmp_path):
    """A profile saved by a Mac editor (NFD) still prints every diacritic as one glyph."""
    raw = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
    raw["commune"]["full_name"] = unicodedata.normalize("NFD", "Ủy ban nhân dân xã Song Phượng")
    raw["boards"] = [{"code": "TT01", "place": unicodedata.normalize("NFD", "Nhà văn hóa thôn Thượng Tháp")}]
    nfd_profile = tmp_path / "nfd.yml"
    nfd_profile.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    profile = load_profile(nfd_profile)
    pdf = render_poster(make_code(None, profile.boards[0], BOT, WEB), profile, tmp_path / "p.pdf")
    text = _pdftotext(pdf)
    assert "ỦY BAN NHÂN DÂN XÃ SONG PHƯỢNG" in text
    assert "Nhà văn hóa thôn Thượng Tháp" in text
    assert text == unicodedata.normalize("NFC", text)


def test_index_html_lists_every_code(generated):
    out, rows, _ = generated
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="vi">' in page
    for r in rows:
        assert f"<code>{r['payload']}</code>" in page and r["telegram_url"] in page
        assert (out / r["telegram_png"]).exists() and (out / r["web_svg"]).exists()
    # what each platform carries, Zalo's missing board said plainly
    assert "không mang tham số nào" in page and "mã web chat là mã được tính theo bảng" in page


def test_plan_refuses_payloads_telegram_would_drop():
    profile = load_profile(PROFILE)
    assert all(len(c.payload) <= 64 for c in plan_codes(profile, BOT, WEB))
    with pytest.raises(ValueError):
        make_code("ket_hon", type(profile.boards[0])("TT-01", "x"), BOT, WEB)
