"""`hotich questions unanswered`: what residents asked that the bot could not answer well."""
from __future__ import annotations

import argparse

OUTCOME_LABELS = {"fallback": "không hiểu", "none": "không có câu trả lời",
                  "clarify": "phải hỏi lại", "low_confidence": "đoán, độ tin cậy thấp"}


def register(subparsers: argparse._SubParsersAction) -> None:
    q = subparsers.add_parser("questions", help="câu hỏi của người dân trong nhật ký (đã ẩn thông tin cá nhân)")
    q_sub = q.add_subparsers(dest="questions_command", required=True, metavar="LỆNH")
    u = q_sub.add_parser("unanswered", help="câu hỏi bot chưa trả lời được hoặc trả lời chưa chắc, kèm số lần",
                         description="Liệt kê câu hỏi bot không hiểu, không có câu trả lời, phải hỏi lại "
                                     "hoặc trả lời với độ tin cậy thấp — để xã bổ sung mục hỏi đáp (data/kb/faq).")
    u.add_argument("--days", type=int, default=30, help="số ngày gần nhất (mặc định 30)")
    u.add_argument("--db", help="địa chỉ cơ sở dữ liệu (mặc định: DATABASE_URL)")
    u.set_defaults(func=cmd_unanswered)


def cmd_unanswered(args: argparse.Namespace) -> int:
    from hotich.config import load_settings
    from hotich.questions import unanswered

    rows = unanswered(args.db or load_settings().database_url, days=args.days)
    if not rows:
        print(f"Không có câu hỏi nào bị bỏ lỡ trong {args.days} ngày qua.")
        return 0
    print(f"{len(rows)} câu hỏi chưa được trả lời tốt trong {args.days} ngày qua (nhiều lần nhất trước):")
    for r in rows:
        why = ", ".join(f"{OUTCOME_LABELS.get(k, k)} ×{n}" for k, n in sorted(r.outcomes.items()))
        print(f"{r.count:>4} × {r.text}  [{why}; lần cuối {r.last_at:%d/%m/%Y}]")
    return 0
