"""The numbered options last delivered to each Zalo chat.

Zalo has no buttons, so a reply's buttons are drawn as numbered lines ("1. Có", "2. Không")
and the person types a number or the label. Numbers run on across the messages the bot sends
until the person writes again (a flag list's "Sửa mục 15" and the question's "Bỏ qua" never
share a number); the next message with options after the person wrote starts again at 1.

A typed number or label means the option last DELIVERED to that chat: the transport records a
message's options only once Zalo accepted it (:meth:`OptionMemory.delivered`), in memory for
the synchronous parse of updates, and :meth:`OptionMemory.flush` writes what changed to
``chat_options`` (storage/chat_options.py) for the next start — every second, in one
transaction, not one per message (the bench's cost). A kill -9 forgets at most the last
second's options; a number typed then still reaches the candidate flow as text, which reads
it against the buttons of the question on screen (handlers/candidate/intent.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from forms.framing import option_number
from forms.memo import remembered
from forms.vn import fold, strip_edges
from storage.chat_options import ChatOptions, Option
from storage.db import Database


def _key(text: str) -> str:
    """A label as people type it: no emoji or arrows around it, no accents, any case, single
    spaces."""
    return " ".join(fold(strip_edges(text)).split())


@remembered(maxsize=4096)
def _label_key(label: str) -> str:
    """An option's :func:`_key`: the same few labels are compared with every typed answer
    (a label may carry a name: :func:`remembered`, emptied at an erasure)."""
    return _key(label)


class OptionMemory:
    """See the module docstring; one per platform."""

    def __init__(self, db: Database, platform: str) -> None:
        self.db = db
        self.platform = platform
        self._chats: dict[str, list[Option]] = {}
        self._heard: set[str] = set()  # chats whose person wrote since their last options
        self._dirty: set[str] = set()  # chats whose options are not stored yet

    async def load(self) -> None:
        async with self.db.transaction() as tx:
            self._chats = await tx.repo(ChatOptions).all(self.platform)
        self._heard = set(self._chats)

    def heard(self, chat_id: str) -> None:
        """The person wrote: the next options are numbered from 1 again."""
        self._heard.add(chat_id)

    def first_number(self, chat_id: str) -> int:
        """The number the next message's first option takes."""
        if chat_id in self._heard:
            return 1
        return len(self._chats.get(chat_id, ())) + 1

    def delivered(self, chat_id: str, options: Sequence[Option], first: int) -> None:
        """Zalo accepted a message whose options were numbered from ``first``. Options equal
        to the stored ones (the same question's buttons again) are not written again."""
        before = self._chats.get(chat_id)
        kept = before[: first - 1] if before and first > 1 else []
        current = [*kept, *options]
        self._heard.discard(chat_id)
        if current != before:
            self._chats[chat_id] = current
            self._dirty.add(chat_id)

    async def flush(self) -> int:
        """Store the options changed since the last flush; returns how many chats."""
        dirty, self._dirty = self._dirty, set()
        if not dirty:
            return 0
        changed = {chat_id: self._chats.get(chat_id, []) for chat_id in sorted(dirty)}
        async with self.db.transaction() as tx:
            await tx.repo(ChatOptions).put_all(self.platform, changed)
        return len(dirty)

    def resolve(self, chat_id: str, text: str) -> str | None:
        """The action of the option whose number or label ``text`` is, else None."""
        options = self._chats.get(chat_id)
        if not options:
            return None
        n = option_number(text)  # "2", "số 2", "chọn 2 ạ"
        if n is not None:
            return options[n - 1][1] if 1 <= n <= len(options) else None
        key = _key(text)
        if not key:
            return None
        for label, action in options:
            if _label_key(label) == key:
                return action
        return None
