"""Start the three processes of the stack: actions server, Rasa, gateway (web chat + Telegram).

`make run` calls `python -m hotich.ops.stack` (foreground; Ctrl-C stops all three). The
end-to-end tests use the same `Stack` class on free ports, so they run what residents get.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from hotich.config import ROOT, load_settings
from hotich.ops.model_cache import ensure_model, rasa_bin

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


@dataclass
class Stack:
    rasa_port: int = 5005
    actions_port: int = 5055
    web_port: int = 8080
    env: dict[str, str] = field(default_factory=dict)      # extra env for all three processes
    log_dir: Path | None = None                              # None → inherit stdout/stderr
    model: Path | None = None
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def actions_url(self) -> str:
        return f"http://127.0.0.1:{self.actions_port}"

    @property
    def web_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def _env(self) -> dict[str, str]:
        env = {**os.environ, **self.env}
        env.setdefault("RASA_TRACKER_DB", str(ROOT / "var" / "rasa_tracker.db"))
        env["ACTION_ENDPOINT_URL"] = f"{self.actions_url}/webhook"
        env["RASA_URL"] = self.rasa_url
        env["WEB_PORT"] = str(self.web_port)
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
        p = self._spawn("actions", [str(APP_PYTHON), "-m", "rasa_sdk", "--actions", "actions",
                                    "--port", str(self.actions_port)])
        wait_http(f"{self.actions_url}/health", timeout_s, p, "actions server")

    def start_rasa(self, timeout_s: float = 180) -> None:
        model = self.model or ensure_model()
        endpoints = self._env().get("RASA_ENDPOINTS", "endpoints.yml")
        p = self._spawn("rasa", [str(rasa_bin()), "run", "--enable-api", "--model", str(model),
                                 "--port", str(self.rasa_port), "--endpoints", endpoints,
                                 "--credentials", "credentials.yml", "--interface", "127.0.0.1"])
        wait_http(f"{self.rasa_url}/status", timeout_s, p, "rasa")

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
        for name in ("gateway", "rasa", "actions"):
            self.stop(name)


def _ensure_upload_key() -> None:
    """First run without UPLOAD_KEY: make one and keep it in var/upload.key (0600), so papers can
    be sent ahead out of the box. Production sets UPLOAD_KEY in its environment instead; losing
    this file means the stored papers can no longer be read (they expire anyway)."""
    if os.environ.get("UPLOAD_KEY"):
        return
    from hotich.uploads.storage import new_key

    key_file = ROOT / "var" / "upload.key"
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(new_key())
        print(f"[setup] UPLOAD_KEY not set: generated {key_file} (set UPLOAD_KEY in production)", flush=True)
    os.environ["UPLOAD_KEY"] = key_file.read_text().strip()


def _raise_interrupt(*_args) -> None:
    raise KeyboardInterrupt


def main() -> int:
    # `docker stop`, systemd and `kill` send SIGTERM: stop the three processes as Ctrl-C does.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    _ensure_upload_key()
    settings = load_settings()
    from hotich.db.migrate import upgrade

    print("[1/4] model", flush=True)
    model = ensure_model()
    print("[2/4] database migrations", flush=True)
    upgrade(settings.database_url)
    stack = Stack(rasa_port=int(os.environ.get("RASA_PORT", "5005")),
                  actions_port=int(os.environ.get("ACTIONS_PORT", "5055")),
                  web_port=settings.web_port, model=model)
    try:
        print("[3/4] actions server :%d, Rasa :%d (loading the model takes ~30 s)…" % (stack.actions_port, stack.rasa_port), flush=True)
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
