"""Re-keying a moved chat in storage (storage/chat_moves.py), the cases Telegram rarely shows:
rows already written under the new id, a new id some other unit already holds, a move
told twice."""

from __future__ import annotations

from pathlib import Path

from handlers.chat_moves import ChatMoveFlow
from handlers.events import Chat, Event, User
from handlers.routing import RoutingTable
from storage.bot_messages import BotMessages
from storage.chat_moves import ChatMoves
from storage.db import Database
from storage.org import Org

OLD, NEW, OTHER = "-4000000001", "-1001000000001", "-1001000000002"


async def test_collisions_never_fail_the_move_and_the_newer_row_wins(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "moves.sqlite3")
    try:
        async with db.transaction() as tx:
            org, messages = tx.repo(Org), tx.repo(BotMessages)
            a = await org.create_unit("Chi bộ A", "chi_bo")
            b = await org.create_unit("Chi bộ B", "chi_bo")
            await org.bind_group(a.id, "telegram", OLD)
            await org.bind_group(b.id, "telegram", OTHER)
            await messages.remember("telegram", OLD, "7", "card", None, None, {"unit": a.id})
            # the bot wrote in the new chat before it learnt of the move
            await messages.remember("telegram", NEW, "7", "card", None, None, {"unit": a.id})
            await tx.conversations.save("telegram", OLD, "u1", {"cur": "old"})
            await tx.conversations.save("telegram", NEW, "u1", {"cur": "new"})
            await tx.conversations.save("telegram", OLD, "u2", {"cur": "only"})
        async with db.transaction() as tx:
            moved = await tx.repo(ChatMoves).move("telegram", OLD, NEW)
            again = await tx.repo(ChatMoves).move("telegram", OLD, NEW)
        assert moved.units == [a.id] and moved.bot_messages == 1 and moved.conversations == 1
        assert not again.anything
        async with db.transaction() as tx:
            org, messages = tx.repo(Org), tx.repo(BotMessages)
            assert (await org.unit(a.id)).group_chat_id == NEW  # type: ignore[union-attr]
            old_card = await messages.message("telegram", NEW, "moved:7")
            assert old_card is not None and old_card.detail == {"unit": a.id}
            assert await messages.message("telegram", NEW, "7") is not None  # the new one stays
            kept = await tx.conversations.get("telegram", NEW, "u1")
            assert kept is not None and kept.state == {"cur": "new"}
            carried = await tx.conversations.get("telegram", NEW, "u2")
            assert carried is not None and carried.state == {"cur": "only"}
            # a new id another unit already holds: that binding stays and nothing fails
            clash = await tx.repo(ChatMoves).move("telegram", NEW, OTHER)
            assert clash.units == []
            assert (await org.unit(b.id)).group_chat_id == OTHER  # type: ignore[union-attr]
    finally:
        await db.close()


async def test_the_flow_audits_one_move_and_tells_the_group_once(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "moves.sqlite3")
    flow = ChatMoveFlow()
    user = User("telegram", "42", "Bí thư")
    try:
        async with db.transaction() as tx:
            unit = await tx.repo(Org).create_unit("Chi bộ Phòng Kỹ thuật", "chi_bo")
            await tx.repo(Org).bind_group(unit.id, "telegram", OLD)
        moved = Event(user, Chat("telegram", OLD, "group"), "chat_moved", moved_to=NEW)
        async with db.transaction() as tx:
            first = await flow.handle(tx, moved)
            second = await flow.handle(tx, moved)
            text = Event(user, Chat("telegram", NEW, "group"), "text")
            other = RoutingTable.build([flow.routes]).fixed_owner(text)  # not the flow's event
            rows = await tx.fetchall("SELECT unit_id, action FROM audit_log")
        assert first is not None and len(first) == 1
        assert first[0].chat == Chat("telegram", NEW, "group")
        assert "Chi bộ Phòng Kỹ thuật" in first[0].text
        assert second == [] and other is None
        assert [tuple(r) for r in rows] == [(unit.id, "chat_moved")]
    finally:
        await db.close()
