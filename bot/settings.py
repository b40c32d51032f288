"""Process settings, read from the environment (prefix ``KND_``) or a ``.env`` file.

One object carries everything a bot process needs to start (token, Bot API location,
database, time zone, webhook), so the CLI, the Telegram adapter and the console read the same
values and a deployment is described by a single ``.env`` (see ``.env.example``).
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from admission.retention import RetentionPolicy

DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
DEFAULT_API_FILE_URL = "https://api.telegram.org/file/bot"
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # Telegram's rule for secret_token
_KEY_RE = re.compile(r"[0-9A-Fa-f]{64}")  # a raw 256-bit SQLCipher key
_URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$")  # an http(s) address with a host


class Settings(BaseSettings):
    """Everything configurable about a running bot. No token means console mode."""

    model_config = SettingsConfigDict(
        env_prefix="KND_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    bot_token: SecretStr | None = Field(
        default=None, description="Telegram bot token from BotFather; empty = console mode"
    )
    bot_username: str = Field(
        default="", description="the bot's @username without @; fetched with getMe when empty"
    )
    api_base_url: str = Field(
        default=DEFAULT_API_BASE_URL,
        description="Bot API method URL prefix (self-hosted Bot API server or a test fake); "
        "the token is appended, or substituted for {token}",
    )
    api_file_url: str = Field(default=DEFAULT_API_FILE_URL, description="Bot API file URL prefix")
    db_path: Path = Field(default=Path("data/knd.sqlite3"), description="SQLite database file")
    db_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL instead of the SQLite file: postgresql://user:password@host/db "
        "(empty = the SQLite file db_path); never logged",
    )
    db_key: SecretStr | None = Field(
        default=None,
        description="raw SQLCipher key of the database, 64 hex digits (openssl rand -hex 32); "
        "empty = not encrypted. Needs the [encrypted] extra; never logged",
    )
    timezone: str = Field(default="Asia/Ho_Chi_Minh", description="IANA time zone of the users")
    documents_dir: Path = Field(
        default=Path("data/documents"), description="where the console writes .docx files"
    )

    render_workers: int = Field(
        default=0,
        ge=0,
        le=8,
        description="processes rendering documents (.docx, charts); 0 = one per core but one",
    )
    polling_timeout: int = Field(default=30, ge=0, le=50, description="getUpdates long-poll, s")
    concurrent_updates: int = Field(
        default=512, ge=1, description="updates processed at once (different users run in parallel)"
    )

    webhook_url: str = Field(
        default="", description="public HTTPS URL Telegram posts to; empty = long polling"
    )
    webhook_listen: str = Field(default="127.0.0.1", description="address the webhook binds")
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_path: str = Field(default="telegram", description="URL path of the webhook")
    webhook_secret: SecretStr | None = Field(
        default=None, description="X-Telegram-Bot-Api-Secret-Token; required for webhook mode"
    )

    health_port: int = Field(
        default=0,
        ge=0,
        le=65535,
        description="port of /healthz and /readyz in long-polling mode (and for Zalo alone); "
        "0 = none. In webhook mode they are on the webhook's server",
    )
    health_listen: str = Field(default="127.0.0.1", description="address /healthz binds")

    zalo_token: SecretStr | None = Field(
        default=None, description="Zalo Bot token «<bot_id>:<secret>» from Zalo Bot Creator"
    )
    zalo_api_base_url: str = Field(
        default="https://bot-api.zaloplatforms.com",
        description="Zalo Bot API host (the legacy https://bot-api.zapps.me, a test fake)",
    )
    zalo_webhook_url: str = Field(
        default="", description="public HTTPS URL Zalo posts to; empty = long polling"
    )
    zalo_webhook_port: int = Field(default=8444, ge=1, le=65535)
    zalo_webhook_path: str = Field(default="zalo", description="URL path of the Zalo webhook")
    zalo_webhook_secret: SecretStr | None = Field(
        default=None, description="X-Bot-Api-Secret-Token, 8-256 characters; webhook mode"
    )
    zalo_monthly_quota: int = Field(
        default=3000, ge=0, description="messages a month the Zalo plan allows (0: no warning)"
    )
    zalo_quota_warn: float = Field(
        default=0.9, gt=0, le=1, description="share of the quota at which secretaries are warned"
    )

    shared_workers: bool = Field(
        default=False,
        description="several bot processes share this database behind one webhook: they "
        "claim people, chats and the scheduler with leases (bot/workers.py)",
    )
    lease_seconds: float = Field(
        default=30.0, gt=0, description="how long a dead worker's claims keep others waiting"
    )

    inbox_days: float = Field(
        default=7.0, gt=0, description="days a processed update's key is kept (redeliveries)"
    )
    outbox_days: float = Field(
        default=7.0, gt=0, description="days a delivered reply's record is kept (not its text)"
    )

    retention_days: int = Field(
        default=365,
        ge=1,
        description="days a withdrawn or not-admitted dossier is kept before it is erased",
    )
    abandoned_days: int = Field(
        default=180,
        ge=1,
        description="days without activity after which a draft is abandoned: its candidate is "
        "warned (instead of the weekly reminder)",
    )
    abandoned_warning_days: int = Field(
        default=30, ge=1, description="days from that warning to the erasure of the draft"
    )

    controller: str = Field(
        default="",
        description="who is responsible for the candidates' data and how to reach them, named "
        "in the consent (e.g. «Văn phòng Đảng ủy …, điện thoại …»)",
    )

    web_base_url: str = Field(
        default="",
        description="public base URL of the web companion behind the reverse proxy "
        "(https://knd.example.vn); empty = no web pages, no links",
    )
    web_listen: str = Field(default="127.0.0.1", description="address the web server binds")
    web_port: int = Field(
        default=8080,
        ge=1,
        le=65535,
        description="port of the web server (webhook mode: the "
        "webhook's own server and port serve the pages too)",
    )
    web_key_file: Path = Field(
        default=Path("data/web.key"), description="the key that signs web links (created 0600)"
    )
    web_link_minutes: float = Field(
        default=15.0, gt=0, le=24 * 60, description="minutes a web link stays valid"
    )
    web_session_minutes: float = Field(
        default=60.0,
        gt=0,
        le=24 * 60,
        description="minutes a browser session opened by a link lasts",
    )
    web_rate_per_minute: int = Field(
        default=120, ge=1, description="requests per minute per address to the web pages"
    )

    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="the bot's event loop (bot/event_loop.py says why uvloop)"
    )
    log_level: str = Field(default="INFO")

    @field_validator(
        "bot_token", "webhook_secret", "db_key", "zalo_token", "zalo_webhook_secret", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("db_key")
    @classmethod
    def _hex_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _KEY_RE.fullmatch(value.get_secret_value().strip()):
            raise ValueError("the database key is 64 hexadecimal digits")
        return SecretStr(value.get_secret_value().strip()) if value is not None else None

    @field_validator("bot_username")
    @classmethod
    def _strip_at(cls, value: str) -> str:
        return value.strip().lstrip("@")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("webhook_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        """An address Telegram can post to (http only for a local test server)."""
        value = value.strip()
        if value and not _URL_RE.match(value):
            raise ValueError("the webhook URL is an http(s):// address")
        return value

    @field_validator("webhook_path")
    @classmethod
    def _path_without_slash(cls, value: str) -> str:
        return value.strip().strip("/")

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.webhook_url:
            secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
            if not _SECRET_RE.match(secret):
                raise ValueError(
                    "webhook mode needs KND_WEBHOOK_SECRET: 1-256 characters A-Z a-z 0-9 _ -"
                )
        if self.zalo_webhook_url:
            secret = self.zalo_webhook_secret.get_secret_value() if self.zalo_webhook_secret else ""
            if not 8 <= len(secret) <= 256:
                raise ValueError(
                    "Zalo webhook mode needs KND_ZALO_WEBHOOK_SECRET: 8-256 characters"
                )
        return self

    @property
    def token(self) -> str:
        """The token in clear, for the client library only. Empty when none is set."""
        return self.bot_token.get_secret_value() if self.bot_token else ""

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def use_webhook(self) -> bool:
        return bool(self.webhook_url)

    @property
    def web_link_ttl(self) -> timedelta:
        return timedelta(minutes=self.web_link_minutes)

    @property
    def web_enabled(self) -> bool:
        return bool(self.web_base_url)

    @property
    def retention(self) -> RetentionPolicy:
        """The retention periods (admission.retention) as the scheduler applies them."""
        return RetentionPolicy(
            closed_days=self.retention_days,
            abandoned_days=self.abandoned_days,
            warning_days=self.abandoned_warning_days,
        )

    @property
    def database_key(self) -> str | None:
        """The database key in clear, for the database driver only (None: not encrypted)."""
        return self.db_key.get_secret_value() if self.db_key else None

    def database_target(self) -> str | Path:
        """What ``Database.open`` is given: the PostgreSQL URL if set, else the SQLite file."""
        if self.db_url is not None and self.db_url.get_secret_value().strip():
            return self.db_url.get_secret_value().strip()
        return self.database_file()

    def database_file(self) -> Path:
        """The database path, its folder created for this user only (SQLite will not create
        folders; the file itself is created 0600 by ``storage.db``)."""
        folder = self.db_path.parent
        if not folder.exists():
            folder.mkdir(parents=True, mode=0o700)
            folder.chmod(0o700)  # mkdir's mode passes through the umask
        return self.db_path


class _RedactToken(logging.Filter):
    """Replace the bot token in log records: httpx logs every request URL, token included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(s in message for s in self._secrets):
            record.msg, record.args = self._redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<token>")
        return text


def protect_logs(settings: Settings) -> None:
    """Keep secrets out of logs: quiet httpx's per-request INFO lines and redact the rest.

    The filter sits on the loggers that see URLs (httpx, httpcore, telegram) and on the root
    handlers, so a record raised elsewhere with the token in an exception text is also masked.
    """
    url = settings.db_url.get_secret_value() if settings.db_url else ""
    secrets = [settings.token, settings.database_key or "", url]
    for secret in (settings.webhook_secret, settings.zalo_token, settings.zalo_webhook_secret):
        if secret is not None:
            secrets.append(secret.get_secret_value())
    redact = _RedactToken(secrets)
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    names = ("httpx", "httpcore", "telegram", "telegram.ext", "apscheduler", "aiohttp", "bot")
    holders: list[logging.Filterer] = [logging.getLogger(name) for name in names]
    for holder in [*holders, *logging.getLogger().handlers]:
        # once per holder, with the secrets of these settings (a filter of earlier settings
        # in this process — another bot, a test — would not know this token)
        for earlier in [f for f in holder.filters if isinstance(f, _RedactToken)]:
            holder.removeFilter(earlier)
        holder.addFilter(redact)
