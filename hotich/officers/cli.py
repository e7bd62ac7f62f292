"""`hotich officer add|passwd|remove USERNAME`: desk accounts. The password is read from stdin
(one line; on a terminal it is asked twice without echo), never from the command line."""
from __future__ import annotations

import argparse
import getpass
import sys

from hotich.officers import accounts


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("officer", help="tài khoản cán bộ dùng bàn làm việc trên web")
    sub = p.add_subparsers(dest="officer_command", required=True, metavar="LỆNH")
    add = sub.add_parser("add", help="thêm tài khoản (mật khẩu đọc từ stdin)")
    add.add_argument("username")
    add.add_argument("--telegram-id", type=int, default=None, help="gắn với tài khoản Telegram của cán bộ")
    add.add_argument("--admin", action="store_true", help="quyền quản trị (sửa giờ tiếp dân, ngày nghỉ, lịch hẹn)")
    add.set_defaults(func=cmd_add)
    pw = sub.add_parser("passwd", help="đổi mật khẩu (mật khẩu mới đọc từ stdin)")
    pw.add_argument("username")
    pw.set_defaults(func=cmd_passwd)
    rm = sub.add_parser("remove", help="xóa tài khoản")
    rm.add_argument("username")
    rm.set_defaults(func=cmd_remove)


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Mật khẩu: ")
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            raise accounts.AccountError("Hai lần nhập mật khẩu không khớp.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _run(action) -> int:
    try:
        action()
    except accounts.AccountError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 1
    return 0


def _db_url() -> str:
    from hotich.config import load_settings
    from hotich.db.migrate import upgrade

    url = load_settings().database_url
    upgrade(url)
    return url


def cmd_add(args: argparse.Namespace) -> int:
    def action() -> None:
        officer = accounts.add(_db_url(), args.username, _read_password(),
                               role="admin" if args.admin else "officer", telegram_id=args.telegram_id)
        print(f"Đã thêm tài khoản {officer.username} ({'quản trị' if officer.is_admin else 'cán bộ'}).")
    return _run(action)


def cmd_passwd(args: argparse.Namespace) -> int:
    def action() -> None:
        accounts.set_password(_db_url(), args.username, _read_password())
        print(f"Đã đổi mật khẩu của {args.username}.")
    return _run(action)


def cmd_remove(args: argparse.Namespace) -> int:
    def action() -> None:
        accounts.remove(_db_url(), args.username)
        print(f"Đã xóa tài khoản {args.username}.")
    return _run(action)
