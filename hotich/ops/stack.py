"""Start the three processes of the stack: actions server, Rasa, gateway (web chat + Telegram).

`make run` calls `python -m hotich.ops.stack` (foreground; Ctrl-C stops all three). The
end-to-end tests use the same `Stack` class on free ports, so they run what residents get.
"""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from hotich.config import ROOT, load_settings
from hotich.ops.model_cache import ensure_model, rasa_python

APP_PYTHON = Path(os.environ.get("APP_PYTHON", sys.executable))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout_s: float, proc: subprocess.Popen | None = None, name: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{name or url} exited with code {proc.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status < 500:
                    return
        except Exception:
            time.sleep(0.5)
    raise TimeoutError(f"{name or url} not ready after {timeout_s:.0f}s")


def _reachable(host: str) -> str:
    """The address to call a server listening on `host` (all interfaces → loopback)."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


@dataclass
class Stack:
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    env: dict[str, str] = field(default_factory=dict)      # extra env for all three processes
    log_dir: Path | None = None                              # None → inherit stdout/stderr
    model: Path | None = None
    # Rasa and the actions server listen on loopback and refuse calls without their token;
    # a Stack made without tokens gets fresh random ones (tests, benchmarks).
    rasa_host: str = "127.0.0.1"
    actions_host: str = "127.0.0.1"
    rasa_token: str = ""
    actions_token: str = ""
    # More Rasa processes on these ports serve the same conversations (shared tracker store,
    # Redis lock store); the gateway spreads residents over all of them.
    rasa_more_ports: list[int] = field(default_factory=list)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rasa_token = self.rasa_token or secrets.token_urlsafe(32)
        self.actions_token = self.actions_token or secrets.token_urlsafe(32)

    @property
    def rasa_url(self) -> str:
        return self.rasa_urls[0]

    @property
    def rasa_urls(self) -> list[str]:
        host = _reachable(self.rasa_host)
        return [f"http://{host}:{port}" for port in (self.rasa_port, *self.rasa_more_ports)]

    @property
    def rasa_names(self) -> list[str]:
        return ["rasa"] + [f"rasa{i}" for i in range(2, len(self.rasa_urls) + 1)]

    @property
    def actions_url(self) -> str:
        return f"http://{_reachable(self.actions_host)}:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.setdefault("RASA_TRACKER_DB", str(ROOT / "var" / "rasa_tracker.db"))
        env["ACTION_ENDPOINT_URL"] = f"{self.actions_url}/webhook"
        env["RASA_URL"] = ",".join(self.rasa_urls)
        env["WEB_PORT"] = str(self.web_port)
        env.update(RASA_HOST=self.rasa_host, ACTIONS_HOST=self.actions_host,
                   RASA_TOKEN=self.rasa_token, ACTIONS_TOKEN=self.actions_token)
        for name, default in (("REDIS_HOST", "127.0.0.1"), ("REDIS_PORT", "6379"), ("REDIS_DB", "1"),
                              ("RASA_LOCK_PREFIX", "hotich")):   # endpoints.lock.yml (replicas)
            env.setdefault(name, default)
        env["PYTHONPATH"] = str(ROOT)
        env.setdefault("PYTHONUNBUFFERED", "1")
        Path(env["RASA_TRACKER_DB"]).parent.mkdir(parents=True, exist_ok=True)
        return env

    def _spawn(self, name: str, cmd: list[str]) -> subprocess.Popen:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"{name}.log", "ab")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=self._env(), stdout=out, stderr=subprocess.STDOUT if out else None,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_actions(self, timeout_s: float = 60) -> None:
        p = self._spawn("actions", [str(APP_PYTHON), "-m", "actions.server", "--host", self.actions_host,
                                    "--port", str(self.actions_port)])
        wait_http(f"{self.actions_url}/health", timeout_s, p, "actions server")

    def _endpoints(self) -> str:
        endpoints = self._env().get("RASA_ENDPOINTS", "endpoints.yml")
        if not self.rasa_more_ports:
            return endpoints   # one process: Rasa's in-memory lock store is enough
        # Replicas must not process one conversation at the same time: a lock store they share.
        shared = (self.log_dir or ROOT / "var") / "endpoints.replicas.yml"
        shared.parent.mkdir(parents=True, exist_ok=True)
        shared.write_text((ROOT / endpoints).read_text() + (ROOT / "endpoints.lock.yml").read_text())
        return str(shared)

    def start_rasa(self, timeout_s: float = 600) -> None:
        # ~30 s on an idle machine; minutes when the cores are shared (tests, benchmarks).
        model = self.model or ensure_model()
        endpoints = self._endpoints()
        started = []
        for name, url, port in zip(self.rasa_names, self.rasa_urls, (self.rasa_port, *self.rasa_more_ports)):
            # rasa_runtime = `rasa` with --auth-token from RASA_TOKEN (kept off the command line).
            p = self._spawn(name, [str(rasa_python()), "-m", "rasa_runtime", "run", "--enable-api",
                                   "--model", str(model), "--port", str(port), "--endpoints", endpoints,
                                   "--credentials", "credentials.yml", "--interface", self.rasa_host])
            started.append((name, url, p))
        for name, url, p in started:   # the replicas load the model in parallel
            wait_http(f"{url}/status?token={quote(self.rasa_token, safe='')}", timeout_s, p, name)

    def start_gateway(self, timeout_s: float = 60) -> None:
        p = self._spawn("gateway", [str(APP_PYTHON), "-m", "bot"])
        wait_http(f"{self.web_url}/healthz", timeout_s, p, "gateway")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def stop_all(self) -> None:
        for name in ("gateway", *self.rasa_names, "actions"):
            self.stop(name)


def ensure_secret(env_name: str, secret_file: Path, make: Callable[[], str], why: str) -> str:
    """First run without `env_name`: make one and keep it in `secret_file` (0600), so the stack
    works out of the box and keeps the same secret across restarts. Production sets the variable
    in its environment instead; when set, it is used as given."""
    if os.environ.get(env_name):
        return os.environ[env_name]
    if not secret_file.exists():
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
        print(f"[setup] {env_name} not set: generated {secret_file} ({why})", flush=True)
    os.environ[env_name] = secret_file.read_text().strip()
    return os.environ[env_name]


def _ensure_secrets() -> None:
    from hotich.uploads.storage import new_key

    # Losing upload.key means the stored papers can no longer be read (they expire anyway).
    var = ROOT / "var"
    ensure_secret("UPLOAD_KEY", var / "upload.key", new_key, "set UPLOAD_KEY in production")
    token = partial(secrets.token_urlsafe, 32)
    ensure_secret("RASA_TOKEN", var / "rasa.token", token, "Rasa's HTTP API token")
    ensure_secret("ACTIONS_TOKEN", var / "actions.token", token, "the actions server's shared secret")


def _raise_interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # `docker stop`, systemd and `kill` send SIGTERM: stop the three processes as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    _ensure_secrets()
    settings = load_settings()
    from hotich.db.migrate import upgrade

    print("[1/4] model", flush=True)
    model = ensure_model()
    print("[2/4] database migrations", flush=True)
    upgrade(settings.database_url)
    rasa_port = int(os.environ.get("RASA_PORT", "5005"))
    replicas = int(os.environ.get("RASA_REPLICAS", "1"))
    stack = Stack(rasa_port=rasa_port, rasa_more_ports=[rasa_port + i for i in range(1, replicas)],
                  actions_port=int(os.environ.get("ACTIONS_PORT", "5055")),
                  web_port=settings.web_port, model=model,
                  rasa_host=settings.rasa_host, actions_host=settings.actions_host,
                  rasa_token=settings.rasa_token, actions_token=settings.actions_token)
    try:
        ports = ", ".join(str(p) for p in (stack.rasa_port, *stack.rasa_more_ports))
        print(f"[3/4] actions server :{stack.actions_port}, Rasa :{ports} (loading the model takes ~30 s)…", flush=True)
        stack.start_actions()
        stack.start_rasa()
        print("[4/4] gateway", flush=True)
        stack.start_gateway()
        tg = "on" if settings.telegram_token else "off (set TELEGRAM_TOKEN to enable)"
        print(f"\nReady. Web chat: http://localhost:{stack.web_port}/  ·  Telegram: {tg}  ·  Ctrl-C to stop.\n", flush=True)
        while all(p.poll() is None for p in stack.procs.values()):
            time.sleep(1)
        dead = [n for n, p in stack.procs.items() if p.poll() is not None]
        print(f"stopped: {', '.join(dead)} exited", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        stack.stop_all()


if __name__ == "__main__":
    sys.exit(main())
