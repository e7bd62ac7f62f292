"""`hotich qr` (generate codes and posters) and `hotich stats` (scan statistics).

Heavy imports (matplotlib, fpdf) happen inside the handlers so `hotich --help` stays quick.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse
from zoneinfo import ZoneInfo


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("qr", help="tạo mã QR (PNG, SVG) và áp phích A4 (PDF) cho các bảng",
                              description="Tạo mã QR cho từng thủ tục × bảng, áp phích PDF cho từng bảng, "
                                          "và index.csv / index.html để kiểm tra trước khi in.")
    p.add_argument("--out", type=Path, required=True, help="thư mục ghi kết quả")
    p.add_argument("--profile", type=Path, help="hồ sơ xã (mặc định: COMMUNE_PROFILE)")
    p.add_argument("--bot", help="tên bot Telegram (mặc định: BOT_USERNAME)")
    p.add_argument("--web-url", help="địa chỉ web chat công khai (mặc định: PUBLIC_WEB_URL)")
    p.add_argument("--zalo-id", help="mã Zalo của xã trong liên kết zalo.me/<mã> (mặc định: ZALO_OA_ID; "
                                     "để trống thì áp phích không có mã Zalo)")
    p.add_argument("--quiet", action="store_true", help="không hiện thanh tiến trình")
    p.set_defaults(func=cmd_qr)

    s = subparsers.add_parser("stats", help="thống kê lượt quét mã QR theo bảng và theo thủ tục",
                              description="Thống kê lượt quét mã QR theo bảng và theo thủ tục.")
    s.add_argument("--days", type=int, default=30, help="số ngày gần nhất, tính cả hôm nay (mặc định 30)")
    s.add_argument("--since", type=date.fromisoformat, help="từ ngày (YYYY-MM-DD), thay cho --days")
    s.add_argument("--until", type=date.fromisoformat, help="đến hết ngày (YYYY-MM-DD), mặc định hôm nay")
    s.add_argument("--png", type=Path, help="ghi thêm biểu đồ cột ra tệp PNG này")
    s.add_argument("--db", help="địa chỉ cơ sở dữ liệu (mặc định: DATABASE_URL)")
    s.add_argument("--profile", type=Path, help="hồ sơ xã (mặc định: COMMUNE_PROFILE)")
    s.set_defaults(func=cmd_stats)


def cmd_qr(args: argparse.Namespace) -> int:
    from hotich.commune import load_profile
    from hotich.config import load_settings
    from hotich.qr.generate import generate_all

    settings = load_settings()
    profile = load_profile(args.profile or settings.commune_profile)
    web_url = args.web_url or settings.public_web_url
    if urlparse(web_url).hostname in {"localhost", "127.0.0.1", "0.0.0.0", None}:
        print(f"Cảnh báo: địa chỉ web chat là {web_url} — điện thoại của người dân sẽ không mở được. "
              "Đặt PUBLIC_WEB_URL (hoặc --web-url) trước khi in.", file=sys.stderr)
    zalo_id = settings.zalo_oa_id if args.zalo_id is None else args.zalo_id
    entries = generate_all(args.out, profile, args.bot or settings.bot_username, web_url,
                           progress=not args.quiet, zalo_id=zalo_id)
    posters = sum(1 for e in entries if e.poster_pdf)
    channels = "Telegram, web chat và Zalo" if zalo_id else "Telegram và web chat"
    print(f"Đã tạo {len(entries)} mã QR ({channels}, PNG + SVG) và {posters} áp phích A4 "
          f"trong {args.out}. Kiểm tra danh sách: {args.out / 'index.html'}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from hotich.commune import load_profile
    from hotich.config import load_settings
    from hotich.db.session import normalize_url
    from hotich.qr.stats import format_table, period_for_days, scan_stats

    settings = load_settings()
    profile = load_profile(args.profile or settings.commune_profile)
    if args.since or args.until:
        until_day = args.until or datetime.now(ZoneInfo(profile.timezone)).date()
        since_day = args.since or until_day - timedelta(days=args.days - 1)
        since, until = since_day, until_day + timedelta(days=1)
    else:
        since, until = period_for_days(args.days, profile.timezone)
    db_url = args.db or settings.database_url
    hint = "Nếu đây là lần chạy đầu, hãy chạy: hotich db upgrade"
    db_file = make_url(normalize_url(db_url)).database if db_url.startswith("sqlite") else None
    if db_file and db_file != ":memory:" and not Path(db_file).exists():
        # Connecting would create an empty file: a read-only report should not.
        print(f"Chưa có cơ sở dữ liệu {db_file}. {hint}", file=sys.stderr)
        return 2
    try:
        stats = scan_stats(db_url, since, until, profile=profile)
    except (OperationalError, ProgrammingError) as exc:
        print(f"Không đọc được cơ sở dữ liệu ({type(exc.orig).__name__}). {hint}", file=sys.stderr)
        return 2
    print(format_table(stats, profile.timezone))
    if args.png:
        from hotich.qr.chart import write_chart

        write_chart(stats, args.png, profile.timezone)
        print(f"\nBiểu đồ: {args.png}")
    return 0
