"""Settings from the environment / .env, and keeping the token out of the logs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import Settings, protect_logs

TOKEN = "123456:SECRET-token_value"


def test_environment_overrides_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text(
        f"KND_BOT_TOKEN={TOKEN}\nKND_DB_PATH={tmp_path}/db/x.sqlite3\nKND_BOT_USERNAME=@knd_bot\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("KND_POLLING_TIMEOUT", "7")
    settings = Settings(_env_file=env)
    assert settings.token == TOKEN
    assert settings.polling_timeout == 7
    assert settings.bot_username == "knd_bot"
    assert settings.zone.key == "Asia/Ho_Chi_Minh"
    assert not settings.use_webhook
    assert TOKEN not in repr(settings)  # SecretStr
    path = settings.database_file()
    assert path.parent.is_dir() and path.name == "x.sqlite3"


def test_blank_token_means_console_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KND_BOT_TOKEN", "  ")
    assert Settings(_env_file=None).token == ""


def test_webhook_needs_a_valid_secret() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webhook_url="https://example.org/hook")
    with pytest.raises(ValidationError):
        Settings(_env_file=None, webhook_url="https://example.org/hook", webhook_secret="a b")
    ok = Settings(_env_file=None, webhook_url="https://example.org/hook", webhook_secret="Ab_-9")
    assert ok.use_webhook


def test_unknown_time_zone_is_refused() -> None:
    with pytest.raises(ValidationError):
        Settings(_env_file=None, timezone="Mars/Olympus")


def test_token_is_redacted_from_log_lines_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(_env_file=None, bot_token=TOKEN)
    protect_logs(settings)
    protect_logs(settings)  # idempotent
    for handler in logging.getLogger().handlers:
        caplog.handler.filters.extend(handler.filters)
    logger = logging.getLogger("telegram.ext.Updater")
    with caplog.at_level(logging.INFO):
        logger.warning("POST https://api.telegram.org/bot%s/getUpdates failed", TOKEN)
        try:
            raise ConnectionError(f"https://api.telegram.org/bot{TOKEN}/sendMessage")
        except ConnectionError:
            logger.exception("network")
        logging.getLogger("httpx").info("HTTP Request: POST .../bot%s/getMe", TOKEN)
    text = caplog.text
    assert "getUpdates failed" in text and "<token>" in text
    assert TOKEN not in text
    assert "getMe" not in text  # httpx's per-request INFO lines are silenced
