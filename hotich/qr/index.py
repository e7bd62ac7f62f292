"""index.csv / index.html: every generated code → its links and files, for the commune to check
before printing."""
from __future__ import annotations

import csv
import html
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from hotich.qr.codes import QrCode

COLUMNS = ("payload", "board_code", "place", "procedure", "procedure_name", "telegram_url", "web_url",
           "telegram_png", "telegram_svg", "web_png", "web_svg", "zalo_url", "zalo_png", "zalo_svg", "poster_pdf")

# What each platform's link carries from the code (shown in index.html, for the commune).
CARRIES = (
    ("Telegram", "t.me/<bot>?start=<payload>", "thủ tục và bảng", "có"),
    ("Web chat", "<PUBLIC_WEB_URL>/?start=<payload>", "thủ tục và bảng", "có"),
    ("Zalo", "zalo.me/<ZALO_OA_ID>", "không mang tham số nào (Zalo không cho)", "không — lượt đến qua Zalo không "
     "biết từ bảng nào; mã web chat là mã được tính theo bảng"),
)


@dataclass(frozen=True)
class CodeFiles:
    code: QrCode
    telegram_png: str
    telegram_svg: str
    web_png: str
    web_svg: str
    poster_pdf: str = ""       # only board posters (all five procedures)
    zalo_png: str = ""         # the one Zalo code, when the commune is on Zalo
    zalo_svg: str = ""

    def row(self) -> dict[str, str]:
        c = self.code
        return {
            "payload": c.payload, "board_code": c.board.code if c.board else "",
            "place": unicodedata.normalize("NFC", c.board.place) if c.board else "",
            "procedure": c.procedure or "all", "procedure_name": c.procedure_name,
            "telegram_url": c.telegram_url, "web_url": c.web_url,
            "telegram_png": self.telegram_png, "telegram_svg": self.telegram_svg,
            "web_png": self.web_png, "web_svg": self.web_svg, "zalo_url": c.zalo_url,
            "zalo_png": self.zalo_png, "zalo_svg": self.zalo_svg, "poster_pdf": self.poster_pdf,
        }


def write_csv(entries: list[CodeFiles], path: Path) -> Path:
    # utf-8-sig: Excel on the commune's Windows PC otherwise shows the diacritics as mojibake.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for e in entries:
            w.writerow(e.row())
    return path


def write_html(entries: list[CodeFiles], path: Path, title: str) -> Path:
    esc = html.escape
    rows = []
    for e in entries:
        r = e.row()
        poster = f'<a href="{esc(r["poster_pdf"])}">PDF</a>' if r["poster_pdf"] else ""
        rows.append(
            "<tr>"
            f'<td><img src="{esc(r["telegram_png"])}" width="96" alt="{esc(r["payload"])}"></td>'
            f"<td><code>{esc(r['payload'])}</code></td>"
            f"<td>{esc(r['board_code'])}</td><td>{esc(r['place'])}</td><td>{esc(r['procedure_name'])}</td>"
            f'<td><a href="{esc(r["telegram_url"])}">{esc(r["telegram_url"])}</a><br>'
            f'<a href="{esc(r["telegram_svg"])}">SVG</a></td>'
            f'<td><a href="{esc(r["web_url"])}">{esc(r["web_url"])}</a><br>'
            f'<a href="{esc(r["web_png"])}">PNG</a> · <a href="{esc(r["web_svg"])}">SVG</a></td>'
            + (f'<td><a href="{esc(r["zalo_url"])}">{esc(r["zalo_url"])}</a><br>'
               f'<a href="{esc(r["zalo_png"])}">PNG</a> · <a href="{esc(r["zalo_svg"])}">SVG</a></td>'
               if r["zalo_url"] else "<td></td>")
            + f"<td>{poster}</td></tr>"
        )
    carries = "".join(f"<tr><td>{esc(a)}</td><td><code>{esc(b)}</code></td><td>{esc(c)}</td><td>{esc(d)}</td></tr>"
                      for a, b, c, d in CARRIES)
    doc = (
        '<!doctype html>\n<html lang="vi"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title>"
        "<style>body{font-family:sans-serif}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;vertical-align:middle}</style></head><body>"
        f"<h1>{esc(title)}</h1><p>{len(entries)} mã. Quét thử từng mã bằng điện thoại trước khi in.</p>"
        "<h2>Mỗi nền tảng mang gì từ mã QR</h2><table><tr><th>Nền tảng</th><th>Liên kết</th><th>Mang theo</th>"
        f"<th>Thống kê theo bảng</th></tr>{carries}</table><h2>Danh sách mã</h2>"
        "<table><tr><th>Mã QR</th><th>Payload</th><th>Bảng</th><th>Địa điểm</th><th>Thủ tục</th>"
        "<th>Telegram</th><th>Web chat</th><th>Zalo</th><th>Áp phích</th></tr>\n"
        + "\n".join(rows) + "\n</table></body></html>\n"
    )
    path.write_text(unicodedata.normalize("NFC", doc), encoding="utf-8")
    return path
