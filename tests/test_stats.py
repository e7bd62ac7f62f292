"""Scan statistics: officers see how often each board and each procedure's code is scanned."""
from __future__ import annotations

import json
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta, timezone

from aiohttp import web
from PIL import Image

from bot.core import GatewayCore
from bot.messages import IncomingMessage
from bot.rasa_client import RasaClient
from hotich.cli import main
from hotich.commune import load_profile
from hotich.config import ROOT
from hotich.db.models import QrScan
from hotich.db.session import session_scope
from hotich.qr.stats import NO_BOARD, UNKNOWN_BOARD, format_table, period_for_days, scan_stats

PROFILE_PATH = ROOT / "data" / "commune" / "song_phuong.yml"
PROFILE = load_profile(PROFILE_PATH)
UTC = timezone.utc


def add_scans(db_url: str, *scans: tuple[str | None, str | None, datetime, bool]) -> None:
    with session_scope(db_url) as s:
        for board, procedure, at, new in scans:
            s.add(QrScan(channel="telegram", board_code=board, procedure=procedure, scanned_at=at,
                         new_resident=new))


def row(rows, key):
    return next(r for r in rows if r.key == key)


def test_scans_per_board_and_procedure_in_the_period(db_url):
    may = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
    add_scans(db_url,
              ("TT01", "ket_hon", may, True),
              ("tt01", "khai_sinh", may + timedelta(hours=1), False),   # typed in lower case
              ("TT01", None, may + timedelta(days=1), True),             # the all-procedures poster
              ("SP06", "chung_thuc", may, True),
              (None, "khai_tu", may, False),                             # per-procedure code, no board
              ("ZZ99", "ket_hon", may, False),                           # board removed from the profile
              ("TT01", "ket_hon", datetime(2026, 4, 1, tzinfo=UTC), True))   # before the period
    stats = scan_stats(db_url, date(2026, 5, 1), date(2026, 6, 1), profile=PROFILE)

    assert stats.total == 6 and stats.new_residents == 3
    tt01 = row(stats.by_board, "TT01")
    assert (tt01.label, tt01.scans, tt01.new_residents) == ("Nhà văn hóa thôn Thượng Tháp", 3, 2)
    assert stats.by_board[0] is tt01                                  # most scanned first
    assert row(stats.by_board, "SP06").scans == 1
    assert (row(stats.by_board, None).label, row(stats.by_board, None).scans) == (NO_BOARD, 1)
    assert (row(stats.by_board, "ZZ99").label, row(stats.by_board, "ZZ99").scans) == (UNKNOWN_BOARD, 1)
    # Every board of the profile is listed, scanned or not: an unscanned board is news too.
    assert row(stats.by_board, "SH02").scans == 0
    assert len(stats.by_board) == 20 + 2

    procs = {r.key: r.scans for r in stats.by_procedure}
    assert procs == {"khai_sinh": 1, "khai_tu": 1, "ket_hon": 2, "chung_thuc": 1, "xac_nhan_hon_nhan": 0,
                     None: 1}
    assert row(stats.by_procedure, "ket_hon").label == "Đăng ký kết hôn"
    assert stats.by_channel == {"telegram": 6}


def test_period_is_counted_in_commune_time(db_url):
    """A scan at 00:30 on 1 May in Vietnam (30 April in UTC) belongs to May."""
    add_scans(db_url,
              ("HT01", "khai_sinh", datetime(2026, 4, 30, 17, 30, tzinfo=UTC), False),
              ("HT01", "khai_sinh", datetime(2026, 4, 30, 16, 30, tzinfo=UTC), False))   # 23:30 on 30/4
    may = scan_stats(db_url, date(2026, 5, 1), date(2026, 6, 1), profile=PROFILE)
    assert row(may.by_board, "HT01").scans == 1

    # "Last 30 days" at 17:00 on 30/5 in Vietnam: 01/05 00:00 up to the end of today, local time.
    since, until = period_for_days(30, PROFILE.timezone, now=datetime(2026, 5, 30, 10, 0, tzinfo=UTC))
    assert since == datetime(2026, 4, 30, 17, 0, tzinfo=UTC)
    assert until == datetime(2026, 5, 30, 17, 0, tzinfo=UTC)
    # 20:00 UTC on 30/5 is already 31/5 in Vietnam: the window moves by a day.
    assert period_for_days(30, PROFILE.timezone, now=datetime(2026, 5, 30, 20, 0, tzinfo=UTC))[0] \
        == datetime(2026, 5, 1, 17, 0, tzinfo=UTC)
    assert row(scan_stats(db_url, since, until, profile=PROFILE).by_board, "HT01").scans == 1


def test_table_reads_for_an_officer(db_url):
    add_scans(db_url, ("DL02", "xac_nhan_hon_nhan", datetime(2026, 5, 5, 2, tzinfo=UTC), True))
    text = format_table(scan_stats(db_url, date(2026, 5, 1), date(2026, 5, 31), profile=PROFILE))
    assert "Lượt quét mã QR – Xã Song Phượng" in text
    assert "01/05/2026 – 30/05/2026" in text and "1 lượt quét, 1 người dùng mới" in text
    line = next(ln for ln in text.splitlines() if ln.startswith("DL02"))
    assert "Chùa Hạ Tháp" in line and line.split()[-2:] == ["1", "1"]
    assert any(ln.startswith("xac_nhan_hon_nhan") and "Xác nhận tình trạng hôn nhân" in ln
               for ln in text.splitlines())


@asynccontextmanager
async def fake_rasa():
    """Stands in for Rasa's REST webhook (only here, at unit level); records what it was sent.
    A context manager, not a fixture: it must run on the test's own event loop."""
    received: list[dict] = []

    async def webhook(request: web.Request) -> web.Response:
        body = await request.json()
        received.append(body)
        return web.json_response([{"recipient_id": body["sender"], "text": "Thủ tục đăng ký kết hôn gồm…"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}", received
    await runner.cleanup()


async def test_board_start_link_through_the_gateway_shows_in_stats(db_url, capsys, tmp_path, monkeypatch):
    async with fake_rasa() as (rasa_url, received):
        rasa = RasaClient(rasa_url, timeout_s=10)
        try:
            replies = await GatewayCore(rasa, db_url).handle(
                IncomingMessage(channel="telegram", user_id="42", start_payload="kh_TT01"))
        finally:
            await rasa.close()
    assert replies[0].text.startswith("Thủ tục đăng ký kết hôn")
    assert received[0]["sender"] == "telegram:42"
    assert received[0]["message"] == "/choose_procedure" + json.dumps({"procedure": "ket_hon"})

    since, until = period_for_days(1, PROFILE.timezone)
    stats = scan_stats(db_url, since, until, profile=PROFILE)
    tt01 = row(stats.by_board, "TT01")
    assert (tt01.scans, tt01.new_residents) == (1, 1)
    assert row(stats.by_procedure, "ket_hon").scans == 1
    assert stats.by_channel == {"telegram": 1}

    monkeypatch.setenv("COMMUNE_PROFILE", str(PROFILE_PATH))
    chart = tmp_path / "scans.png"
    assert main(["stats", "--days", "30", "--db", db_url, "--png", str(chart)]) == 0
    out = capsys.readouterr().out
    tt01_line = next(ln for ln in out.splitlines() if ln.startswith("TT01"))
    assert "Nhà văn hóa thôn Thượng Tháp" in tt01_line and tt01_line.split()[-2:] == ["1", "1"]
    kh_line = next(ln for ln in out.splitlines() if ln.startswith("ket_hon"))
    assert kh_line.split()[-2:] == ["1", "1"]
    with Image.open(chart) as img:
        assert img.format == "PNG" and img.height > img.width / 2


def test_stats_on_a_database_never_set_up_says_what_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COMMUNE_PROFILE", str(PROFILE_PATH))
    assert main(["stats", "--db", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "hotich db upgrade" in capsys.readouterr().err
    assert not (tmp_path / "empty.db").exists()       # a report does not create the database


def test_stats_on_a_half_set_up_database_says_what_to_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COMMUNE_PROFILE", str(PROFILE_PATH))
    (tmp_path / "empty.db").write_bytes(b"")          # file exists, no tables
    assert main(["stats", "--db", f"sqlite:///{tmp_path / 'empty.db'}"]) == 2
    assert "hotich db upgrade" in capsys.readouterr().err
