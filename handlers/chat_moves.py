"""A chat got a new id on its platform (Telegram: a group upgraded to a supergroup).

The adapter turns the platform's notice — the service message, or a send refused because the
chat moved — into an Event of kind ``chat_moved`` (``chat`` = the old id, ``moved_to`` = the
new one). This flow re-keys everything stored under the old id (:mod:`storage.chat_moves`):
the bound unit keeps its group, review cards stay editable and answerable, a reviewer's
pending comment is not lost. The move is written to the audit log; when a unit's group
moved, the group is told the bot follows it.

Only the platform can produce such an event (Telegram's service messages cannot be sent by
a person), so no role is checked. It is registered first: no other flow reads rows of the
old id inside the same transaction before they move.
"""

from __future__ import annotations

from forms.texts import message
from handlers.events import Chat, Event, Reply
from handlers.routing import Routes
from storage.chat_moves import ChatMoves
from storage.db import Tx
from storage.org import Org

__all__ = ["ChatMoveFlow"]


class ChatMoveFlow:
    name = "chat_moves"
    routes = Routes(flow="chat_moves", kinds=frozenset({"chat_moved"}))

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        old, new = event.chat, event.moved_to
        if not new or new == old.id:
            return []
        moved = await tx.repo(ChatMoves).move(old.platform, old.id, new)
        if not moved.anything:
            return []  # the second notice of the same move, or a chat we never stored
        await tx.audit.append(
            "chat_moved",
            unit_id=moved.units[0] if len(moved.units) == 1 else None,
            detail={
                "platform": old.platform,
                "from": old.id,
                "to": new,
                "units": moved.units,
                "bot_messages": moved.bot_messages,
                "conversations": moved.conversations,
                "private_chats": moved.private_chats,
            },
        )
        if not moved.units:
            return []
        names = await _unit_names(tx, moved.units)
        text = message("platform.chat_moved.group", units=", ".join(names))
        return [Reply(text=text, chat=Chat(old.platform, new, "group", old.title))]


async def _unit_names(tx: Tx, unit_ids: list[int]) -> list[str]:
    org = tx.repo(Org)
    names = []
    for unit_id in unit_ids:
        unit = await org.unit(unit_id)
        names.append(unit.name if unit is not None else f"#{unit_id}")
    return names
