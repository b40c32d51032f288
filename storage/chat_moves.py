"""A chat that changed its id on the platform: every row stored under the old id follows.

Telegram gives a group a new id when it is upgraded to a supergroup (a service message with
``migrate_to_chat_id``; later sends to the old id fail with "group chat was upgraded to a
supergroup chat"). The columns keyed by a chat id (see ``storage/migrations``):

* ``units.group_chat_id`` — the unit's bound group (cards, comments, digests go there);
* ``bot_messages.chat_id`` — review cards and item messages the bot edits or answers later.
  Their ids do not carry over: the new chat numbers its messages afresh, so an old id may
  name another message there. A moved row's ``message_id`` becomes ``moved:<old id>`` —
  still found by dossier (the flows know the card existed and close or refresh it), never
  matched by a reply, and an adapter sends a new message instead of editing it;
* ``conversations.chat_id`` — per-person state in that chat (a reviewer's pending comment);
* ``private_chats.chat_id`` — private chats never migrate, moved only for completeness.

Rows that would collide with one already stored under the new id (the bot wrote there
before it learnt of the move) are left under the old id: the newer row wins. Moving twice
(Telegram sends the service message to both the old and the new chat) changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.db import Repo, Tx

__all__ = ["MOVED_PREFIX", "ChatMove", "ChatMoves"]

MOVED_PREFIX = "moved:"  # a message id from before the move: not addressable any more


@dataclass(frozen=True, slots=True)
class ChatMove:
    """What moved: the units whose group it was, and row counts per table."""

    units: list[int] = field(default_factory=list)
    bot_messages: int = 0
    conversations: int = 0
    private_chats: int = 0

    @property
    def anything(self) -> bool:
        return bool(self.units or self.bot_messages or self.conversations or self.private_chats)


class ChatMoves(Repo):
    async def move(self, platform: str, old_id: str, new_id: str) -> ChatMove:
        """Re-key every row of chat ``old_id`` to ``new_id`` on ``platform``."""
        tx = self.s
        assert isinstance(tx, Tx), "move() needs a transaction"
        if not old_id or not new_id or old_id == new_id:
            return ChatMove()
        taken = await tx.fetchval(
            "SELECT 1 FROM units WHERE group_platform = ? AND group_chat_id = ?",
            (platform, new_id),
        )
        units: list[int] = []
        if taken is None:
            rows = await tx.fetchall(
                "SELECT id FROM units WHERE group_platform = ? AND group_chat_id = ? ORDER BY id",
                (platform, old_id),
            )
            units = [int(r[0]) for r in rows]
            await tx.execute(
                "UPDATE units SET group_chat_id = ? WHERE group_platform = ? AND group_chat_id = ?",
                (new_id, platform, old_id),
            )
        messages = await tx.execute(
            "UPDATE OR IGNORE bot_messages SET chat_id = ?, message_id = ? || message_id"
            " WHERE platform = ? AND chat_id = ?",
            (new_id, MOVED_PREFIX, platform, old_id),
        )
        moved = [messages]
        for table in ("conversations", "private_chats"):
            moved.append(
                await tx.execute(
                    f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE platform = ? AND chat_id = ?",
                    (new_id, platform, old_id),
                )
            )
        return ChatMove(units, *moved)
