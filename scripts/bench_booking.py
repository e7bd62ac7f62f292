"""Booking throughput and latency for 200 concurrent residents (`make bench-booking`).

For SQLite (a temp file) and PostgreSQL (a temp database on TEST_POSTGRES_URL), two scenarios:

* spread: 200 residents start at once, each wants a random slot of the next days; when the slot
  is taken they pick one of the free slots offered (as the bot offers them) and try again;
* hot: 200 residents race for one slot of capacity 3 (exactly 3 may win).

Each resident is a thread with its own DB session (the actions server handles requests the same
way). Prints bookings/s and p50/p95/max latency of one booking attempt.

    .venv/bin/python scripts/bench_booking.py [--residents 200] [--skip-postgres]
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from hotich.booking import calendar as cal  # noqa: E402
from hotich.booking.clock import VN_TZ, fixed_clock  # noqa: E402
from hotich.booking.service import BookingService, SlotFull  # noqa: E402
from hotich.commune import load_profile  # noqa: E402
from hotich.config import ROOT  # noqa: E402
from hotich.db.migrate import upgrade  # noqa: E402
from hotich.db.session import get_engine  # noqa: E402

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=VN_TZ)
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def p(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))] if s else 0.0


def run(db_url: str, residents: int, hot: bool) -> dict:
    profile = load_profile(ROOT / "data" / "commune" / "song_phuong.yml")
    if hot:
        profile = replace(profile, booking=replace(profile.booking, capacity_per_slot=3))
    svc = BookingService(db_url, profile, fixed_clock(NOW))
    days = [d for d, _ in svc.free_days("khai_sinh")][:5]
    choices = [(d, s.start) for d in days for s in svc.free_slots("khai_sinh", d)]
    hot_slot = choices[len(choices) // 2]
    latencies: list[float] = []
    outcome = {"booked": 0, "full": 0, "gave_up": 0, "errors": 0}
    lock = threading.Lock()
    barrier = threading.Barrier(residents)
    rnd = random.Random(42)
    wants = [hot_slot if hot else rnd.choice(choices) for _ in range(residents)]

    def resident(i: int) -> None:
        day, start = wants[i]
        rnd_local = random.Random(i)
        barrier.wait()
        for _attempt in range(1 if hot else 8):
            t0 = time.perf_counter()
            try:
                svc.book(f"web:bench-{i}", "khai_sinh", day, start, "Người Thử", f"0912{i % 1_000_000:06d}")
                res = "booked"
            except SlotFull as full:
                res = "full"
                if full.suggestions:              # the bot shows a few; people pick different ones
                    pick = rnd_local.choice(full.suggestions)
                    day, start = pick.day, pick.start
            except Exception:
                res = "errors"
            dt = time.perf_counter() - t0
            with lock:
                latencies.append(dt)
                if res != "full":
                    outcome[res] += 1
                elif hot:
                    outcome["full"] += 1
            if res != "full":
                return
        if not hot:
            with lock:
                outcome["gave_up"] += 1

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(residents)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    usage = svc.usage()
    overbooked = [k for k, u in usage.items() if u.booked > profile.booking.capacity_per_slot]
    return {"wall": wall, "attempts": len(latencies), "lat": latencies, "overbooked": len(overbooked),
            "hot_slot": f"{cal.hhmm(hot_slot[1])} {hot_slot[0]}", **outcome}


def report(backend: str, scenario: str, r: dict) -> None:
    lat = r["lat"]
    print(f"{backend:10s} {scenario:6s} booked={r['booked']:3d} full={r['full']:3d} gave_up={r['gave_up']} "
          f"errors={r['errors']} overbooked_slots={r['overbooked']} | "
          f"{r['booked'] / r['wall']:7.1f} bookings/s, {r['attempts'] / r['wall']:7.1f} attempts/s | "
          f"latency p50 {statistics.median(lat) * 1000:6.1f} ms  p95 {p(lat, 0.95) * 1000:6.1f} ms  "
          f"max {max(lat) * 1000:6.1f} ms  (wall {r['wall']:.2f} s)", flush=True)


def sqlite_db(tmp: Path, name: str) -> str:
    url = f"sqlite:///{tmp / name}"
    upgrade(url)
    return url


def pg_db() -> tuple[str, callable]:
    name = f"hotich_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rpartition("/")[0] + f"/{name}"
    upgrade(url)

    def drop() -> None:
        get_engine(url).dispose()
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return url, drop


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--residents", type=int, default=200)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    print(f"{args.residents} concurrent residents (threads, one DB session each); clock fixed at {NOW:%Y-%m-%d %H:%M}")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for scenario in ("spread", "hot"):
            url = sqlite_db(Path(tmp), f"{scenario}.db")
            r = run(url, args.residents, scenario == "hot")
            report("SQLite", scenario, r)
            ok &= r["overbooked"] == 0 and r["errors"] == 0 and (scenario != "hot" or r["booked"] == 3)
            get_engine(url).dispose()
    if not args.skip_postgres:
        for scenario in ("spread", "hot"):
            try:
                url, drop = pg_db()
            except Exception as exc:
                print(f"PostgreSQL not available ({type(exc).__name__}); skipped")
                break
            try:
                r = run(url, args.residents, scenario == "hot")
                report("PostgreSQL", scenario, r)
                ok &= r["overbooked"] == 0 and r["errors"] == 0 and (scenario != "hot" or r["booked"] == 3)
            finally:
                drop()
    print("no slot over capacity" if ok else "PROBLEM: see above")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
