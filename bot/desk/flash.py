"""Short notices after an action, carried as a code in the redirect (never user text in URLs)."""
from __future__ import annotations

from aiohttp import web

NOTICES = {
    "done": "Đã lưu.",
    "twice": "Thao tác này đã được thực hiện trước đó (bấm hai lần) — hệ thống chỉ làm một lần.",
    "closed": "Đã đóng lịch; người dân có lịch hẹn bị ảnh hưởng sẽ được báo và mời chọn giờ khác.",
    "sent": "Đã gửi cho người dân.",
    "taken": "Anh/chị đã nhận cuộc trò chuyện.",
    "returned": "Đã trả cuộc trò chuyện cho trợ lý.",
    "forwarded": "Đã chuyển cho cán bộ khác.",
}


def redirect(path: str, code: str) -> web.HTTPFound:
    sep = "&" if "?" in path else "?"
    return web.HTTPFound(f"{path}{sep}tb={code}")


def notice(request: web.Request) -> str | None:
    return NOTICES.get(request.query.get("tb", ""))


def problem(request: web.Request, message: str, status: int = 409, back: str | None = None) -> web.Response:
    """A page saying plainly what went wrong and where to go back to."""
    import aiohttp_jinja2

    return aiohttp_jinja2.render_template("problem.html", request, {"message": message, "back": back or "/can-bo/"},
                                          status=status)
