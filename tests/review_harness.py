"""A small in-process driver for the review and organisation flows (no network; the routing
table picks the owner of each event, as the router does).

It plays what the adapter does with replies: gives every sent message an id, applies edits,
and reports remembered messages back through ``message_sent``, so flow tests can reply to a
card, tap its buttons and read the group and private chats like people would.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from forms.dossier import Dossier
from handlers.events import Button, Chat, Event, Reply, User
from handlers.org import OrgFlow
from handlers.review import ReviewFlow
from handlers.router import Router
from storage.core import Change, DossierRecord
from storage.db import Database

PLATFORM = "telegram"


@dataclass
class Shown:
    """A message as a chat shows it now."""

    id: str
    text: str
    buttons: list[list[Button]]
    document: Any = None
    history: list[str] = field(default_factory=list)
    protect: bool = False  # sent protected from forwarding (Reply.protect)

    def button(self, label: str) -> Button:
        for row in self.buttons:
            for b in row:
                if label in b.label:
                    return b
        raise AssertionError(f"no button {label!r} in {[b.label for r in self.buttons for b in r]}")


class World:
    """A database, the two flows and the chats they write to."""

    def __init__(self, db: Database, *, today: date = date(2026, 3, 1)) -> None:
        self.db = db
        self.review = ReviewFlow(bot_username="knd_test_bot", today=lambda: today)
        self.org = OrgFlow(bot_username="knd_test_bot")
        self.router = Router(db, flows=[self.review, self.org])  # for its owner(), nothing else
        self.chats: dict[str, list[Shown]] = {}
        self.toasts: list[str] = []
        self.deleted: set[str] = set()  # messages deleted by someone in the chat
        self._ids = itertools.count(1000)
        self._updates = itertools.count(1)

    # -- driving ---------------------------------------------------------------------------------
    async def send(self, user: User, chat: Chat, **kw: Any) -> list[Reply]:
        event = Event(user=user, chat=chat, update_key=str(next(self._updates)), **kw)
        async with self.db.transaction() as tx:
            flow = await self.router.owner(tx, event)
            replies = await flow.handle(tx, event) if flow is not None else None
            if flow is None and event.kind == "command" and event.command == "start":
                result = await self.org.redeem_start(tx, event, event.text)
                replies = result.replies if result else None
        replies = replies or []
        await self.deliver(chat, replies)
        return replies

    async def deliver(self, chat: Chat, replies: list[Reply]) -> None:
        for reply in replies:
            if reply.toast:
                self.toasts.append(reply.toast)
            if not (reply.text or reply.document):
                continue
            target = reply.chat or chat
            shown = self.chats.setdefault(target.id, [])
            if reply.edit_ref and reply.edit_ref not in self.deleted:
                for message in shown:
                    if message.id == reply.edit_ref:
                        message.history.append(message.text)
                        message.text, message.buttons = reply.text, reply.buttons
                        break
                else:
                    raise AssertionError(f"edit of unknown message {reply.edit_ref}")
                continue
            # a new message, or (like the Telegram adapter) one posted anew when the message to
            # edit is gone
            message = Shown(
                str(next(self._ids)), reply.text, reply.buttons, reply.document,
                protect=reply.protect,
            )  # fmt: skip
            shown.append(message)
            if reply.remember:
                async with self.db.transaction() as tx:
                    await self.review.message_sent(
                        tx, reply.remember, target.platform, target.id, message.id
                    )

    def delete(self, chat: Chat, message: Shown) -> None:
        """Someone (a group admin) deletes a bot message: it can no longer be edited."""
        self.chats[chat.id].remove(message)
        self.deleted.add(message.id)

    async def tap(self, user: User, chat: Chat, message: Shown, label: str) -> list[Reply]:
        button = message.button(label)
        return await self.send(user, chat, kind="button", action=button.action,
                               message_ref=message.id)  # fmt: skip

    async def command(self, user: User, chat: Chat, name: str, text: str = "") -> list[Reply]:
        return await self.send(user, chat, kind="command", command=name, text=text)

    async def reply_to(self, user: User, chat: Chat, message: Shown, text: str) -> list[Reply]:
        return await self.send(user, chat, kind="text", text=text, reply_to_ref=message.id)

    def messages(self, chat: Chat) -> list[Shown]:
        return self.chats.get(chat.id, [])

    def last(self, chat: Chat) -> Shown:
        return self.messages(chat)[-1]

    def texts(self, chat: Chat) -> str:
        return "\n---\n".join(m.text for m in self.messages(chat))

    # -- set-up ------------------------------------------------------------------------------------
    async def submit(self, person_id: int, *, chat: Chat) -> list[Reply]:
        """What the candidate flow does on /nop: status submitted, then the review hook."""
        async with self.db.transaction() as tx:
            record = await tx.dossiers.current_for(person_id)
            assert record is not None
            record = await tx.dossiers.set_status(record, "submitted")
            replies = await self.review.on_submitted(tx, record)
        await self.deliver(chat, replies)
        return replies

    async def edit_dossier(self, person_id: int, changes: list[Change]) -> int:
        async with self.db.transaction() as tx:
            record = await tx.dossiers.current_for(person_id)
            assert record is not None
            record = await tx.dossiers.apply(record, changes, person_id)
            return record.revision


def user(uid: str, name: str) -> User:
    return User(PLATFORM, uid, name)


def private(u: User) -> Chat:
    return Chat(PLATFORM, u.id, "private")


def group(chat_id: str, title: str) -> Chat:
    return Chat(PLATFORM, chat_id, "group", title)


async def open_db(tmp_path: Path) -> Database:
    return await Database.open(tmp_path / "review-flow.sqlite3")


async def person(db: Database, u: User) -> int:
    async with db.transaction() as tx:
        return (await tx.people.get_or_create(PLATFORM, u.id, u.name, consent=True)).id


async def dossier_for(db: Database, person_id: int, unit_id: int, dossier: Dossier) -> int:
    async with db.transaction() as tx:
        record = await tx.dossiers.create(person_id, dossier, unit_id=unit_id)
        return record.id


async def fill_from_sample(
    db: Database, platform: str, user_id: str, sample: Dossier
) -> DossierRecord:
    """Put a whole sample into the person's current dossier at once (what the candidate would
    answer question by question); the record before the change."""
    async with db.transaction() as tx:
        found = await tx.people.find(platform, user_id)
        assert found is not None
        record = await tx.dossiers.current_for(found.id)
        assert record is not None
        changes = [Change(f"answers.{k}", v) for k, v in sample.answers.items()]
        changes += [
            Change(f"tables.{table}.{i}", row)
            for table, rows in sample.tables.items()
            for i, row in enumerate(rows)
        ]
        changes += [Change(f"relatives.{i}", row) for i, row in enumerate(sample.relatives)]
        await tx.dossiers.apply(record, changes, found.id)
        return record
