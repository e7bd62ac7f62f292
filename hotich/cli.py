"""The `hotich` console script (declared in pyproject.toml).

Each feature owns its subcommands in a module with `register(subparsers)`, which adds its
parsers and sets `func` (args → exit code). To add one: write that function and list the
module in COMMAND_MODULES — nothing else here changes.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

COMMAND_MODULES: tuple[str, ...] = (
    "hotich.cli",        # db upgrade
    "hotich.qr.cli",     # qr, stats
    "hotich.questions_cli",   # questions unanswered
    "hotich.officers.cli",   # officer add|passwd|remove
)


def register(subparsers: argparse._SubParsersAction) -> None:
    db = subparsers.add_parser("db", help="quản lý cơ sở dữ liệu")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="LỆNH")
    up = db_sub.add_parser("upgrade", help="tạo hoặc nâng cấp bảng dữ liệu lên phiên bản mới nhất")
    up.set_defaults(func=cmd_db_upgrade)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    from hotich.config import load_settings
    from hotich.db.migrate import upgrade

    upgrade(load_settings().database_url)
    print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hotich", description="Trợ lý hộ tịch của xã: công cụ quản trị.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="LỆNH")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
