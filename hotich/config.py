"""Configuration from the environment (and a `.env` file, via python-dotenv).

Every variable is documented in the README's "Configuration" table; keep the two in step.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import load_dotenv

ROOT = Path(__file__).resolve().parent.parent


def _int_list(value: str) -> frozenset[int]:
    return frozenset(int(v) for v in value.replace(" ", "").split(",") if v)


def _tracker_url(e) -> str:
    """Where Rasa keeps conversations (the same variables its endpoints file reads), for erasure
    and retention: PostgreSQL when RASA_ENDPOINTS is the PostgreSQL one, else the SQLite file."""
    if "postgres" in e("RASA_ENDPOINTS", "endpoints.yml"):
        from urllib.parse import quote

        user = quote(e("TRACKER_PG_USER", "postgres"), safe="")
        password = e("TRACKER_PG_PASSWORD", "")
        auth = f"{user}:{quote(password, safe='')}" if password else user
        return (f"postgresql+psycopg://{auth}@{e('TRACKER_PG_HOST', '127.0.0.1')}:"
                f"{e('TRACKER_PG_PORT', '5432')}/{e('TRACKER_PG_DB', 'rasa')}")
    return f"sqlite:///{e('RASA_TRACKER_DB', str(ROOT / 'var' / 'rasa_tracker.db'))}"


def _rate(value: str) -> tuple[int, int]:
    """'COUNT/SECONDS' (e.g. '20/60': 20 per minute, bursts up to 20)."""
    count, _, seconds = value.replace(" ", "").partition("/")
    return int(count), int(seconds or "60")


@dataclass(frozen=True)
class Settings:
    database_url: str
    commune_profile: Path
    kb_dir: Path
    rasa_url: str
    web_host: str
    web_port: int
    public_web_url: str
    telegram_token: str
    telegram_base_url: str
    telegram_base_file_url: str
    telegram_mode: str
    telegram_webhook_url: str
    telegram_webhook_secret: str
    telegram_webhook_port: int
    bot_username: str
    officer_telegram_ids: frozenset[int] = field(default_factory=frozenset)
    staff_chat_id: int | None = None
    upload_dir: Path = ROOT / "var" / "uploads"
    upload_key: str = ""
    upload_max_mb: int = 20
    upload_max_files: int = 20
    retention_days: int = 30
    log_level: str = "INFO"
    retrieval_cache_dir: Path = ROOT / "var" / "cache"
    desk_idle_minutes: int = 30
    zalo_bot_token: str = ""
    zalo_bot_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_bot_mode: str = "polling"
    zalo_bot_webhook_secret: str = ""
    zalo_bot_webhook_url: str = ""
    zalo_app_id: str = ""
    zalo_oa_id: str = ""
    zalo_oa_secret_key: str = ""
    zalo_oa_api_url: str = "https://openapi.zalo.me"
    zalo_oauth_url: str = "https://oauth.zaloapp.com"
    zalo_app_secret: str = ""
    zalo_oa_refresh_token: str = ""
    # Internal services: listen addresses of Rasa and the actions server, and the shared secrets
    # without which they refuse every call (`make run` generates them into var/ when unset).
    rasa_host: str = "127.0.0.1"
    actions_host: str = "127.0.0.1"
    rasa_token: str = ""
    actions_token: str = ""
    # Further Rasa replicas (RASA_URL comma-separated: rasa_url is the first).
    rasa_more_urls: tuple[str, ...] = ()

    @property
    def rasa_urls(self) -> tuple[str, ...]:
        """Every Rasa replica; the gateway spreads conversations over them."""
        return (self.rasa_url, *self.rasa_more_urls)
    # Abuse limits of the web chat (bot/web/limits.py): (count, seconds) token buckets.
    web_limit_chat_session: tuple[int, int] = (20, 60)
    web_limit_chat_ip: tuple[int, int] = (600, 60)
    web_limit_upload_session: tuple[int, int] = (20, 600)
    web_limit_upload_ip: tuple[int, int] = (200, 600)
    web_limit_escalation_session: tuple[int, int] = (3, 3600)
    web_limit_escalation_ip: tuple[int, int] = (30, 3600)
    web_limit_new_sessions_ip: tuple[int, int] = (120, 600)
    web_trust_proxy: bool = False
    handoff_max_open: int = 50
    upload_max_submissions_day: int = 5
    upload_max_files_day: int = 60
    log_id_key: str = ""
    rasa_tracker_url: str = ""       # SQLAlchemy URL of Rasa's SQL tracker store ("" = none to clean)


def load_settings(env_file: str | os.PathLike | None = None) -> Settings:
    """Read settings; a `.env` in the repo root is loaded first without overriding real env vars."""
    load_dotenv(env_file or ROOT / ".env", override=False)
    e = os.environ.get
    staff = e("STAFF_CHAT_ID", "").strip()
    web_port = int(e("WEB_PORT", "8080"))
    rasa_urls = tuple(u.strip().rstrip("/") for u in e("RASA_URL", "http://127.0.0.1:5005").split(",") if u.strip())
    return Settings(
        database_url=e("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'hotich.db'}"),
        commune_profile=Path(e("COMMUNE_PROFILE", str(ROOT / "data" / "commune" / "song_phuong.yml"))),
        kb_dir=Path(e("KB_DIR", str(ROOT / "data" / "kb"))),
        rasa_url=rasa_urls[0],
        web_host=e("WEB_HOST", "0.0.0.0"),
        web_port=web_port,
        public_web_url=e("PUBLIC_WEB_URL", f"http://localhost:{web_port}").rstrip("/"),
        telegram_token=e("TELEGRAM_TOKEN", "").strip(),
        telegram_base_url=e("TELEGRAM_BASE_URL", "").strip(),
        telegram_base_file_url=e("TELEGRAM_BASE_FILE_URL", "").strip(),
        telegram_mode=e("TELEGRAM_MODE", "polling").strip().lower(),
        telegram_webhook_url=e("TELEGRAM_WEBHOOK_URL", "").strip(),
        telegram_webhook_secret=e("TELEGRAM_WEBHOOK_SECRET", "").strip(),
        telegram_webhook_port=int(e("TELEGRAM_WEBHOOK_PORT", "8443")),
        bot_username=e("BOT_USERNAME", "hotich_songphuong_bot").lstrip("@"),
        officer_telegram_ids=_int_list(e("OFFICER_TELEGRAM_IDS", "")),
        staff_chat_id=int(staff) if staff else None,
        upload_dir=Path(e("UPLOAD_DIR", str(ROOT / "var" / "uploads"))),
        upload_key=e("UPLOAD_KEY", ""),
        upload_max_mb=int(e("UPLOAD_MAX_MB", "20")),
        upload_max_files=int(e("UPLOAD_MAX_FILES", "20")),
        retention_days=int(e("RETENTION_DAYS", "30")),
        log_level=e("LOG_LEVEL", "INFO").upper(),
        retrieval_cache_dir=Path(e("RETRIEVAL_CACHE_DIR", str(ROOT / "var" / "cache"))),
        desk_idle_minutes=int(e("DESK_IDLE_MINUTES", "30")),
        zalo_bot_token=e("ZALO_BOT_TOKEN", "").strip(),
        zalo_bot_api_url=e("ZALO_BOT_API_URL", "https://bot-api.zaloplatforms.com").strip().rstrip("/"),
        zalo_bot_mode=e("ZALO_BOT_MODE", "polling").strip().lower(),
        zalo_bot_webhook_secret=e("ZALO_BOT_WEBHOOK_SECRET", "").strip(),
        zalo_bot_webhook_url=e("ZALO_BOT_WEBHOOK_URL", "").strip(),
        zalo_app_id=e("ZALO_APP_ID", "").strip(),
        zalo_oa_id=e("ZALO_OA_ID", "").strip(),
        zalo_oa_secret_key=e("ZALO_OA_SECRET_KEY", "").strip(),
        zalo_oa_api_url=e("ZALO_OA_API_URL", "https://openapi.zalo.me").strip().rstrip("/"),
        zalo_oauth_url=e("ZALO_OAUTH_URL", "https://oauth.zaloapp.com").strip().rstrip("/"),
        zalo_app_secret=e("ZALO_APP_SECRET", "").strip(),
        zalo_oa_refresh_token=e("ZALO_OA_REFRESH_TOKEN", "").strip(),
        rasa_host=e("RASA_HOST", "127.0.0.1").strip(),
        actions_host=e("ACTIONS_HOST", "127.0.0.1").strip(),
        rasa_token=e("RASA_TOKEN", "").strip(),
        actions_token=e("ACTIONS_TOKEN", "").strip(),
        rasa_more_urls=rasa_urls[1:],
        web_limit_chat_session=_rate(e("WEB_LIMIT_CHAT_SESSION", "20/60")),
        web_limit_chat_ip=_rate(e("WEB_LIMIT_CHAT_IP", "600/60")),
        web_limit_upload_session=_rate(e("WEB_LIMIT_UPLOAD_SESSION", "20/600")),
        web_limit_upload_ip=_rate(e("WEB_LIMIT_UPLOAD_IP", "200/600")),
        web_limit_escalation_session=_rate(e("WEB_LIMIT_ESCALATION_SESSION", "3/3600")),
        web_limit_escalation_ip=_rate(e("WEB_LIMIT_ESCALATION_IP", "30/3600")),
        web_limit_new_sessions_ip=_rate(e("WEB_LIMIT_NEW_SESSIONS_IP", "120/600")),
        web_trust_proxy=e("WEB_TRUST_PROXY", "").strip().lower() in ("1", "true", "yes"),
        handoff_max_open=int(e("HANDOFF_MAX_OPEN", "50")),
        upload_max_submissions_day=int(e("UPLOAD_MAX_SUBMISSIONS_DAY", "5")),
        upload_max_files_day=int(e("UPLOAD_MAX_FILES_DAY", "60")),
        log_id_key=e("LOG_ID_KEY", "").strip(),
        rasa_tracker_url=_tracker_url(e),
    )
