"""Messages the bot sent and must find again: review cards it edits later, item prompts whose
replies are comments. The adapter reports a sent message's id through the router's
``message_sent``; the flow that asked for it stores it here (``purpose`` says what it is,
``detail`` what the flow needs to act on it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Repo
from storage.org import in_transaction

__all__ = ["BotMessage", "BotMessages"]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class BotMessage:
    platform: str
    chat_id: str
    message_id: str
    purpose: str
    dossier_id: int | None
    revision: int | None
    detail: dict[str, Any]
    created_at: str


_COLUMNS = "platform, chat_id, message_id, purpose, dossier_id, revision, detail, created_at"


def _message(row: Sequence[Any]) -> BotMessage:
    platform, chat_id, message_id, purpose, dossier_id, revision, detail, created_at = row
    return BotMessage(
        platform, chat_id, message_id, purpose, dossier_id, revision, json.loads(detail),
        created_at,
    )  # fmt: skip


class BotMessages(Repo):
    async def remember(
        self,
        platform: str,
        chat_id: str,
        message_id: str,
        purpose: str,
        dossier_id: int | None,
        revision: int | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        """Remember a message the bot sent (a later one with the same id replaces it)."""
        tx = in_transaction(self)
        await tx.execute(
            "INSERT INTO bot_messages (platform, chat_id, message_id, purpose,"
            " dossier_id, revision, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id, message_id) DO UPDATE SET purpose = excluded.purpose,"
            " dossier_id = excluded.dossier_id, revision = excluded.revision,"
            " detail = excluded.detail, created_at = excluded.created_at",
            (platform, chat_id, message_id, purpose, dossier_id, revision,
             _dumps(detail or {}), tx.now),
        )  # fmt: skip

    async def message(self, platform: str, chat_id: str, message_id: str) -> BotMessage | None:
        row = await self.s.fetchone(
            f"SELECT {_COLUMNS} FROM bot_messages"
            " WHERE platform = ? AND chat_id = ? AND message_id = ?",
            (platform, chat_id, message_id),
        )
        return _message(row) if row is not None else None

    async def messages_for(
        self, dossier_id: int, purpose: str, chat_id: str | None = None
    ) -> list[BotMessage]:
        """The dossier's remembered messages of one purpose, oldest first."""
        sql = f"SELECT {_COLUMNS} FROM bot_messages WHERE dossier_id = ? AND purpose = ?"
        params: list[Any] = [dossier_id, purpose]
        if chat_id is not None:
            sql += " AND chat_id = ?"
            params.append(chat_id)
        rows = await self.s.fetchall(sql + " ORDER BY created_at, message_id", params)
        return [_message(r) for r in rows]
