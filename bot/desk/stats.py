"""Statistics: questions per procedure and topic per week, answered vs fallen back, the unanswered
questions (redacted) to extend the knowledge base, QR scans per board, appointments per day,
papers reviewed — as tables, SVG charts and a CSV export."""
from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, time, timedelta

import aiohttp_jinja2
from aiohttp import web

from bot.desk.auth import desk
from bot.desk.charts import bar_chart
from hotich import questions, reports
from hotich.booking.clock import local
from hotich.qr.stats import scan_stats

WEEKS = 8
DAYS = 30


def _clamp(value: str | None, default: int, high: int) -> int:
    try:
        return max(1, min(high, int(value or default)))
    except ValueError:
        return default


async def _figures(request: web.Request) -> dict:
    d = desk(request)
    now = local(d.clock())
    weeks = _clamp(request.query.get("tuan"), WEEKS, 52)
    since = datetime.combine(now.date() - timedelta(days=DAYS), time.min, now.tzinfo)
    q = await asyncio.to_thread(reports.question_figures, d.db_url, now.date(), weeks)
    unanswered = await asyncio.to_thread(questions.unanswered, d.db_url, DAYS, now)
    scans = await asyncio.to_thread(scan_stats, d.db_url, since, now, d.profile())
    per_day = await asyncio.to_thread(reports.appointments_per_day, d.db_url, now.date() - timedelta(days=13),
                                      now.date() + timedelta(days=14))
    reviewed = await asyncio.to_thread(reports.papers_reviewed, d.db_url, since)
    return {"q": q, "unanswered": unanswered, "scans": scans, "per_day": per_day, "reviewed": reviewed,
            "weeks": weeks, "days": DAYS}


async def page(request: web.Request) -> web.Response:
    f = await _figures(request)
    q = f["q"]
    charts = {
        "procedure": bar_chart(sorted(((k, sum(v)) for k, v in q.by_procedure.items()), key=lambda r: -r[1]),
                               f"Câu hỏi theo thủ tục ({f['weeks']} tuần)"),
        "topic": bar_chart(sorted(((k, sum(v)) for k, v in q.by_topic.items()), key=lambda r: -r[1]),
                           f"Câu hỏi theo nội dung ({f['weeks']} tuần)"),
        "boards": bar_chart([(r.label, r.scans) for r in f["scans"].by_board], f"Lượt quét QR theo bảng ({DAYS} ngày)"),
        "days": bar_chart([(f"{day:%d/%m}", n) for day, n in f["per_day"] if n], "Lịch hẹn theo ngày"),
    }
    return aiohttp_jinja2.render_template("stats.html", request, {**f, "charts": charts})


async def csv_export(request: web.Request) -> web.Response:
    f = await _figures(request)
    q = f["q"]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["bảng", "nhóm", "tuần/ngày", "số lượng"])
    for name, counts in q.by_procedure.items():
        for monday, n in zip(q.weeks, counts):
            w.writerow(["câu hỏi theo thủ tục", name, monday.isoformat(), n])
    for name, counts in q.by_topic.items():
        for monday, n in zip(q.weeks, counts):
            w.writerow(["câu hỏi theo nội dung", name, monday.isoformat(), n])
    w.writerow(["trả lời được", "đã trả lời", "", q.answered])
    w.writerow(["trả lời được", "chưa trả lời được", "", q.unanswered])
    for r in f["scans"].by_board:
        w.writerow(["quét QR theo bảng", r.label, "", r.scans])
    for day, n in f["per_day"]:
        w.writerow(["lịch hẹn theo ngày", "", day.isoformat(), n])
    for day, n in f["reviewed"]:
        w.writerow(["hồ sơ đã xem", "", day.isoformat(), n])
    for u in f["unanswered"]:
        w.writerow(["câu hỏi chưa trả lời được", u.text, u.last_at.date().isoformat(), u.count])
    return web.Response(body=("\ufeff" + out.getvalue()).encode("utf-8"), content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": 'attachment; filename="thong-ke.csv"',
                                 "Cache-Control": "no-store"})
