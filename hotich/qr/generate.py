"""Write every QR code of the commune into a directory:

    codes/<payload>.telegram.png|svg   codes/<payload>.web.png|svg
    codes/zalo.png|svg                 (one Zalo code: its link carries no parameter)
    posters/<BOARD>.pdf                (all five procedures, payload all_<BOARD>)
    index.csv, index.html
"""
from __future__ import annotations

from pathlib import Path

from tqdm import tqdm

from hotich.commune import CommuneProfile
from hotich.qr.codes import QrCode, plan_codes
from hotich.qr.images import write_png, write_svg
from hotich.qr.index import CodeFiles, write_csv, write_html
from hotich.qr.poster import render_poster


def _write_zalo(code: QrCode, out: Path) -> tuple[str, str]:
    png, svg = Path("codes") / "zalo.png", Path("codes") / "zalo.svg"
    if not (out / png).exists():
        write_png(code.zalo_url, out / png)
        write_svg(code.zalo_url, out / svg)
    return png.as_posix(), svg.as_posix()


def _write_code(code: QrCode, out: Path) -> CodeFiles:
    files = {}
    if code.zalo_url:
        files["zalo_png"], files["zalo_svg"] = _write_zalo(code, out)
    for variant, url in (("telegram", code.telegram_url), ("web", code.web_url)):
        png = Path("codes") / f"{code.payload}.{variant}.png"
        svg = Path("codes") / f"{code.payload}.{variant}.svg"
        write_png(url, out / png)
        write_svg(url, out / svg)
        files[f"{variant}_png"], files[f"{variant}_svg"] = png.as_posix(), svg.as_posix()
    poster = ""
    if code.board is not None and code.procedure is None:
        poster = (Path("posters") / f"{code.board.code}.pdf").as_posix()
    return CodeFiles(code, poster_pdf=poster, **files)


def generate_all(out: Path, profile: CommuneProfile, bot_username: str, public_web_url: str,
                 progress: bool = True, zalo_id: str = "") -> list[CodeFiles]:
    out = Path(out)
    (out / "codes").mkdir(parents=True, exist_ok=True)
    (out / "posters").mkdir(parents=True, exist_ok=True)
    codes = plan_codes(profile, bot_username, public_web_url, zalo_id)
    entries: list[CodeFiles] = []
    for code in tqdm(codes, desc="Tạo mã QR", unit="mã", disable=not progress):
        entry = _write_code(code, out)
        if entry.poster_pdf:
            render_poster(code, profile, out / entry.poster_pdf)
        entries.append(entry)
    write_csv(entries, out / "index.csv")
    write_html(entries, out / "index.html", f"Mã QR – {profile.full_name}")
    return entries
