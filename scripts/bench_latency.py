"""Latency, throughput and memory of the whole stack under a small crowd (`make bench-latency`).

For 1 and 2 Rasa replicas (--replicas), starts the stack (actions server + Rasa replica(s) +
gateway, the same `Stack` as `make run`, on free ports, with a fresh commune DB and tracker DB in a
tmp dir; the model is the cached one) and measures, in one run:

0. cold start: from launching the processes to the gateway answering, with the model cached;
1. gateway: CONCURRENCY residents (one web session each) send a realistic mix of questions, and
   sometimes tap a button of the answer, through POST /api/chat — for DURATION seconds or
   MESSAGES messages, whichever comes first: p50/p95 and sustained messages per second;
2. bare Rasa: the same messages, same concurrency, to POST /model/parse (NLU only);
3. with --direct, Rasa's REST webhook without the gateway (where the gateway's time goes).

Prints p50/p95, their ratio, msg/s, errors and the peak resident memory (RSS from /proc) of
each process with its children, then a summary against the targets: p95 gateway ≤ 2 × p95 bare
parse (1 replica), ≥ 30 msg/s, no 5xx, RSS ≤ 1.3 GB (1 replica), cold start ≤ 45 s.

    .venv/bin/python scripts/bench_latency.py [--replicas 1,2] [--duration 60] [--messages 600]
                                              [--concurrency 20] [--direct] [--model PATH]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotich.db.migrate import upgrade  # noqa: E402
from hotich.ops.model_cache import ensure_model  # noqa: E402
from hotich.ops.stack import Stack, free_port  # noqa: E402

TARGET_RATIO = 2.0
TARGET_RSS_BYTES = int(1.3 * 1024 ** 3)
TARGET_MSG_S = 30.0
TARGET_COLD_START_S = 45.0
BUTTON_TAP_SHARE = 0.2

# What residents type: accents or not, chat abbreviations, the five procedures, practical questions.
QUESTIONS = [
    "làm giấy khai sinh cần giấy tờ gì",
    "lam giay khai sinh can nhung gi",
    "đăng ký khai sinh cho con mất bao lâu",
    "con sinh được 3 tháng mới đi khai sinh có bị phạt ko",
    "lệ phí khai sinh bao nhiêu tiền",
    "đăng ký kết hôn cần mang theo gì",
    "dang ky ket hon mat bao lau",
    "lệ phí đăng ký kết hôn",
    "mất giấy kết hôn thì làm lại thế nào",
    "làm giấy chứng tử cho bố cần gì",
    "khai tử ở đâu",
    "báo tử mất bao nhiêu ngày",
    "chứng thực bản sao cccd mất phí ko",
    "sao y bản chính mất bao lâu",
    "công chứng hợp đồng mua bán nhà được không",
    "xin giấy xác nhận độc thân cần gì",
    "giấy xác nhận tình trạng hôn nhân có thời hạn bao lâu",
    "bn tiền làm giấy độc thân",
    "xã làm việc mấy giờ",
    "thứ 7 có làm việc không",
    "địa chỉ ủy ban xã ở đâu",
    "số điện thoại của xã",
    "nộp hồ sơ online được không",
    "chào bạn",
    "cảm ơn nhé",
    "mình muốn đặt lịch hẹn",
    "hôm nay trời đẹp nhỉ",
]


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


# ---------------------------------------------------------------------------- memory (/proc)

def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])   # comm may contain spaces
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().decode(errors="replace").rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS   # utime + stime


def tree_cpu_s(root: int, kids: dict[int, list[int]]) -> float:
    """CPU seconds used so far by a process and its children: unlike wall-clock latency, the
    CPU cost of a message does not depend on how busy the (shared) machine is."""
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += _cpu_s(pid)
        todo += kids.get(pid, [])
    return total


def tree_rss(root: int, kids: dict[int, list[int]]) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += _rss(pid)
        todo += kids.get(pid, [])
    return total


class RssSampler(threading.Thread):
    def __init__(self, pids: dict[str, int], every_s: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.pids, self.every_s = pids, every_s
        self.peak_total = 0
        self.peak_each: dict[str, int] = {n: 0 for n in pids}
        self.last_each: dict[str, int] = {}
        self._halt = threading.Event()

    def sample(self) -> None:
        kids = _children_map()
        each = {n: tree_rss(p, kids) for n, p in self.pids.items()}
        self.last_each = each
        self.peak_total = max(self.peak_total, sum(each.values()))
        for n, v in each.items():
            self.peak_each[n] = max(self.peak_each[n], v)

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.every_s)

    def stop(self) -> None:
        self._halt.set()
        self.join()
        self.sample()

    def cpu_s(self) -> dict[str, float]:
        kids = _children_map()
        return {n: tree_cpu_s(p, kids) for n, p in self.pids.items()}


# ---------------------------------------------------------------------------- load

class Load:
    def __init__(self, messages: int, duration_s: float) -> None:
        self.messages, self.duration_s = messages, duration_s
        self.sent: list[str] = []          # every message sent through the gateway, in order
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.failed: dict[str, int] = {}   # what the failed messages were (intent of a button, or "text")
        self._deadline = 0.0

    def take(self) -> bool:
        return len(self.sent) < self.messages and time.monotonic() < self._deadline

    def error(self, what: str) -> None:
        self.errors[what] = self.errors.get(what, 0) + 1


async def resident(http: aiohttp.ClientSession, url: str, idx: int, load: Load, rng: random.Random) -> None:
    session_id = f"bench{idx:03d}-{rng.getrandbits(40):010x}"
    buttons: list[dict] = []
    order = QUESTIONS[:]
    rng.shuffle(order)
    n = 0
    while load.take():
        if buttons and rng.random() < BUTTON_TAP_SHARE:
            body, sent = {"payload": rng.choice(buttons)["payload"]}, None
        else:
            sent = order[n % len(order)]
            n += 1
            body = {"text": sent}
        message = sent if sent is not None else body["payload"]
        load.sent.append(message)
        t0 = time.perf_counter()
        try:
            async with http.post(f"{url}/api/chat", json={"session_id": session_id, **body}) as resp:
                data = await resp.json(content_type=None)
                status = resp.status
        except Exception as exc:  # noqa: BLE001 — counted and reported
            load.error(type(exc).__name__)
            continue
        if status != 200:
            load.error(f"HTTP {status}")
            kind = message[1:].split("{", 1)[0] if sent is None else "text"
            load.failed[kind] = load.failed.get(kind, 0) + 1
            continue
        load.latencies.append(time.perf_counter() - t0)
        buttons = [b for m in data.get("messages", []) for b in m.get("buttons", [])]


async def gateway_phase(url: str, concurrency: int, messages: int, duration_s: float, seed: int) -> Load:
    load = Load(messages, duration_s)
    rng = random.Random(seed)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120),
                                     connector=aiohttp.TCPConnector(limit=concurrency * 2)) as http:
        load._deadline = time.monotonic() + duration_s
        await asyncio.gather(*(resident(http, url, i, load, random.Random(rng.random()))
                               for i in range(concurrency)))
    return load


async def parse_phase(rasa_url: str, token: str, texts: list[str], concurrency: int,
                      dialogue: bool = False) -> Load:
    """Bare NLU (/model/parse); with dialogue=True, Rasa's own REST webhook (NLU + policies +
    actions + tracker store) without the gateway — shows where the gateway's time goes."""
    load = Load(len(texts), float("inf"))
    queue: asyncio.Queue[str] = asyncio.Queue()
    for t in texts:
        queue.put_nowait(t)
    path = "/webhooks/rest/webhook" if dialogue else "/model/parse"

    async def worker(http: aiohttp.ClientSession, idx: int) -> None:
        sender = f"bench-direct-{idx:03d}"
        while not queue.empty():
            text = queue.get_nowait()
            body = {"sender": sender, "message": text} if dialogue else {"text": text}
            t0 = time.perf_counter()
            try:
                async with http.post(f"{rasa_url}{path}", json=body, params={"token": token}) as resp:
                    await resp.read()
                    status = resp.status
            except Exception as exc:  # noqa: BLE001
                load.error(type(exc).__name__)
                continue
            if status != 200:
                load.error(f"HTTP {status}")
                continue
            load.latencies.append(time.perf_counter() - t0)

    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=120),
                                     connector=aiohttp.TCPConnector(limit=concurrency * 2)) as http:
        await asyncio.gather(*(worker(http, i) for i in range(concurrency)))
    return load


async def warm_up(stack: Stack) -> None:
    # First calls build TensorFlow graphs and DB connections; keep them out of the figures.
    async with aiohttp.ClientSession() as http:
        for i, text in enumerate(QUESTIONS[:6]):
            async with http.post(f"{stack.web_url}/api/chat",
                                 json={"session_id": f"warmup-{i:04d}", "text": text}) as r:
                await r.read()
            async with http.post(f"{stack.rasa_url}/model/parse", json={"text": text},
                                 params={"token": stack.rasa_token}) as r:
                await r.read()


def ms(x: float) -> str:
    return f"{x * 1000:7.0f} ms"


@dataclass
class Run:
    replicas: int
    cold_start_s: float
    gw: Load
    bare: Load
    direct: Load | None
    wall_s: float
    rss_peak_total: int
    rss_peak_each: dict[str, int]
    cpu_s_each: dict[str, float]      # CPU seconds of each process during the gateway phase
    parse_cpu_s: float                # Rasa's CPU seconds per bare /model/parse

    @property
    def ratio(self) -> float:
        b95 = percentile(self.bare.latencies, .95)
        return percentile(self.gw.latencies, .95) / b95 if b95 else float("inf")

    @property
    def msg_s(self) -> float:
        return len(self.gw.latencies) / self.wall_s if self.wall_s else 0.0

    @property
    def five_xx(self) -> int:
        return sum(n for what, n in self.gw.errors.items() if what.startswith("HTTP 5"))


def report(run: Run) -> None:
    gib = 1024 ** 3
    gw, bare, direct = run.gw, run.bare, run.direct
    print(f"\n=== {run.replicas} Rasa replica(s) ===")
    print(f"cold start (model cached): {run.cold_start_s:.1f} s")
    print(f"Messages: gateway {len(gw.latencies)} ok / {len(gw.sent)} sent in {run.wall_s:.1f} s "
          f"({run.msg_s:.1f} msg/s sustained); bare parse {len(bare.latencies)} ok")
    if gw.errors or bare.errors or (direct and direct.errors):
        print(f"Errors: gateway {gw.errors or '-'} on {gw.failed or '-'}; parse {bare.errors or '-'}"
              + (f"; webhook {direct.errors or '-'}" if direct else ""))
    print(f"{'':28}{'p50':>10}{'p95':>10}{'mean':>10}{'max':>10}")
    rows = [("gateway POST /api/chat", gw), ("Rasa POST /model/parse", bare)]
    if direct is not None:
        rows.append(("(Rasa REST webhook direct)", direct))
    for name, ld in rows:
        lat = ld.latencies or [float("nan")]
        print(f"{name:28}{ms(percentile(lat, .5)):>10}{ms(percentile(lat, .95)):>10}"
              f"{ms(statistics.fmean(lat)):>10}{ms(max(lat)):>10}")
    b50 = percentile(bare.latencies, .5)
    print(f"p95 ratio gateway / bare parse: {run.ratio:.2f}   "
          f"p50 ratio: {percentile(gw.latencies, .5) / b50 if b50 else float('nan'):.2f}")
    if direct is not None:
        d95 = percentile(direct.latencies, .95)
        print(f"p95 ratio gateway / Rasa webhook direct (gateway's own overhead): "
              f"{percentile(gw.latencies, .95) / d95 if d95 else float('nan'):.2f}")
    each = ", ".join(f"{n} {v / gib:.2f}" for n, v in run.rss_peak_each.items())
    print(f"RSS peak: {run.rss_peak_total / gib:.2f} GB all processes   [{each} GB]")
    answered = max(len(gw.latencies), 1)
    cpu = ", ".join(f"{n} {1000 * v / answered:.0f}" for n, v in run.cpu_s_each.items())
    total = sum(run.cpu_s_each.values()) / answered
    print(f"CPU per message: {1000 * total:.0f} ms   [{cpu} ms] → {1 / total if total else 0:.1f} msg/s per "
          f"fully available core; bare parse {1000 * run.parse_cpu_s:.0f} ms of Rasa's CPU")


def summary(runs: list[Run]) -> bool:
    gib = 1024 ** 3

    def mark(ok: bool) -> str:
        return "OK" if ok else "MISSED"

    print("\n=== summary (targets) ===")
    ok = True
    for run in runs:
        checks = [(f"msg/s {run.msg_s:.1f} ≥ {TARGET_MSG_S:.0f}", run.msg_s >= TARGET_MSG_S),
                  (f"5xx {run.five_xx} = 0", run.five_xx == 0),
                  (f"cold start {run.cold_start_s:.0f} s ≤ {TARGET_COLD_START_S:.0f}",
                   run.cold_start_s <= TARGET_COLD_START_S)]
        if run.replicas == 1:
            checks += [(f"p95 ratio {run.ratio:.2f} ≤ {TARGET_RATIO}", run.ratio <= TARGET_RATIO),
                       (f"RSS {run.rss_peak_total / gib:.2f} GB ≤ {TARGET_RSS_BYTES / gib:.1f}",
                        run.rss_peak_total <= TARGET_RSS_BYTES)]
        print(f"{run.replicas} replica(s): " + "; ".join(f"{text} {mark(good)}" for text, good in checks))
        ok = ok and all(good for _, good in checks)
    print(f"load average during the run (2 cores, shared): {os.getloadavg()[0]:.1f}")
    return ok


def measure(args: argparse.Namespace, model: Path, replicas: int) -> Run:
    tmp = Path(tempfile.mkdtemp(prefix="bench_latency_"))
    db_url = f"sqlite:///{tmp / 'hotich.db'}"
    upgrade(db_url)
    stack = Stack(rasa_port=free_port(), actions_port=free_port(), web_port=free_port(), log_dir=tmp / "logs",
                  model=model, rasa_more_ports=[free_port() for _ in range(replicas - 1)],
                  env={"DATABASE_URL": db_url, "RASA_TRACKER_DB": str(tmp / "rasa_tracker.db"),
                       "WEB_HOST": "127.0.0.1", "TELEGRAM_TOKEN": "", "LOG_LEVEL": "WARNING",
                       "RASA_LOCK_PREFIX": f"bench{os.getpid()}"})
    keep = args.keep
    try:
        print(f"\n[{replicas} replica(s)] starting actions server, Rasa and gateway…", flush=True)
        t0 = time.monotonic()
        stack.start_actions()
        stack.start_rasa(timeout_s=900)   # a shared machine can be slow; the figure shows it
        stack.start_gateway()
        cold = time.monotonic() - t0
        sampler = RssSampler({n: p.pid for n, p in stack.procs.items()})
        sampler.start()
        asyncio.run(warm_up(stack))
        print(f"gateway: {args.concurrency} residents, up to {args.messages} messages / {args.duration:.0f} s…",
              flush=True)
        cpu0 = sampler.cpu_s()
        t0 = time.monotonic()
        gw = asyncio.run(gateway_phase(stack.web_url, args.concurrency, args.messages, args.duration, args.seed))
        wall = time.monotonic() - t0
        cpu = {n: v - cpu0.get(n, 0.0) for n, v in sampler.cpu_s().items()}
        print(f"bare Rasa /model/parse: the same {len(gw.sent)} messages, {args.concurrency} at a time…", flush=True)
        cpu0 = sampler.cpu_s()
        bare = asyncio.run(parse_phase(stack.rasa_url, stack.rasa_token, gw.sent, args.concurrency))
        parse_cpu_s = sampler.cpu_s()["rasa"] - cpu0["rasa"]
        direct = None
        if args.direct:
            print("Rasa REST webhook without the gateway (for comparison)…", flush=True)
            direct = asyncio.run(parse_phase(stack.rasa_url, stack.rasa_token, gw.sent, args.concurrency,
                                             dialogue=True))
        sampler.stop()
        run = Run(replicas, cold, gw, bare, direct, wall, sampler.peak_total, sampler.peak_each, cpu,
                  parse_cpu_s / max(len(bare.latencies), 1))
        report(run)
        if gw.errors:
            keep = True
        return run
    except BaseException:
        print(f"\nfailed; logs in {tmp / 'logs'}", file=sys.stderr)
        keep = True
        raise
    finally:
        stack.stop_all()
        if keep:
            print(f"kept: {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--replicas", default="1,2", help="Rasa replica counts to measure (default 1,2)")
    ap.add_argument("--duration", type=float, default=60.0, help="seconds of gateway load (default 60)")
    ap.add_argument("--messages", type=int, default=600, help="stop after this many messages (default 600)")
    ap.add_argument("--concurrency", type=int, default=20, help="simultaneous residents (default 20)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--direct", action="store_true", help="also time Rasa's REST webhook without the gateway")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--keep", action="store_true", help="keep the tmp dirs (logs, DBs)")
    ap.add_argument("--model", type=Path, help="use this trained model instead of the cached one for the "
                                               "current inputs (which is trained first if missing)")
    args = ap.parse_args()
    model = args.model or ensure_model()
    print(f"model: {model.name}; load average {os.getloadavg()[0]:.1f} (2 cores, shared)", flush=True)
    runs = [measure(args, model, int(n)) for n in args.replicas.split(",")]
    ok = summary(runs)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
