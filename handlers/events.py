"""Platform-neutral input and output of the conversation.

Adapters in ``bot/`` turn a Telegram/Zalo/console update into an :class:`Event` and draw the
:class:`Reply` objects the handlers return. Nothing here knows a platform's types, so the same
flows serve every channel and tests can drive them without a network.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal[
    "text", "button", "command", "other", "bot_added", "bot_removed", "chat_moved", "edited"
]
ChatKind = Literal["private", "group"]

MAX_ACTION_BYTES = 64  # Telegram's callback_data limit; every action must fit


@dataclass(frozen=True, slots=True)
class User:
    """A person on one platform. ``id`` is the platform's id as text."""

    platform: str
    id: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class Chat:
    platform: str
    id: str
    kind: ChatKind = "private"
    title: str = ""


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a person did: typed text, tapped a button, sent a command or a sticker.

    ``update_key`` identifies the platform update so a redelivered update is processed
    once; ``message_ref`` is the bot message that carried the tapped button, and
    ``reply_to_ref`` the bot message a text replies to (reviewers' comments in groups).

    ``chat_moved``: the platform gave ``chat`` a new id, ``moved_to`` (Telegram: a group
    upgraded to a supergroup); everything stored under the old id follows it.

    ``edited``: the person edited a text message they had sent in a private chat; ``sent_at``
    is when the original was sent. The new text is not passed on: an edit is never read as
    an answer (the conversation has moved on), the person is only told how to change the
    answer (handlers/edits.py).

    ``spoken``: a command the person asked for in words (``RoutingTable.asked``), not typed
    with its slash nor tapped: words can mean less than the command, so a step that cannot
    be undone asks first (handlers/candidate/submission.py).
    """

    user: User
    chat: Chat
    kind: EventKind
    text: str = ""  # typed text; for commands, the arguments after the command
    command: str = ""  # without the slash and without @botname, lower case
    action: str = ""  # a button's action string
    update_key: str = ""
    message_ref: str = ""
    reply_to_ref: str = ""
    moved_to: str = ""  # chat_moved: the chat's new id
    sent_at: str = ""  # edited: when the edited message was first sent (ISO-8601, UTC)
    spoken: bool = False  # a command read from words typed in a private chat ("nộp lại")


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    action: str

    def __post_init__(self) -> None:
        if not 0 < len(self.action.encode()) <= MAX_ACTION_BYTES:
            raise ValueError(f"button action must be 1..64 bytes: {self.action!r}")


@dataclass(frozen=True, slots=True)
class WebRef:
    """What the web companion shows in place of an attachment, for platforms that carry no
    files (Zalo: a signed link instead, bot/zalo/links.py): a dossier, or a unit's summary."""

    what: Literal["dossier", "unit"]
    id: int


@dataclass(frozen=True, slots=True)
class Document:
    filename: str
    data: bytes
    caption: str = ""
    web: WebRef | None = None


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    caption: str = ""
    web: WebRef | None = None


@dataclass(slots=True)
class Reply:
    """A message to send to ``chat`` (None = the event's chat).

    Adapters split texts over the platform's limit, render ``buttons`` as an inline keyboard
    (Telegram) or as numbered options (console, Zalo), and edit ``edit_ref`` in place when the
    platform can. ``remember`` asks the adapter to report the sent message's id back through
    :meth:`handlers.router.Router.message_sent` (review cards are edited later).
    ``prompt`` names the question this reply asks; the outbox records whether it was
    delivered, so a text is read as the answer only to a question the person saw.
    ``protect`` asks the platform to keep the message from being forwarded or saved where it
    can (Telegram: ``protect_content``): a dossier's content shown to someone privately.
    ``about`` is the dossier whose content or candidate's name the reply carries: while it
    waits in the outbox, an erasure of that dossier takes it out (storage/erasure.py).
    """

    text: str = ""
    buttons: list[list[Button]] = field(default_factory=list)
    chat: Chat | None = None
    document: Document | None = None
    photo: Photo | None = None
    edit_ref: str = ""
    remember: str = ""
    toast: str = ""  # short notice answering a button tap (Telegram answerCallbackQuery)
    prompt: str = ""  # the question this reply asks (see storage.outbox.Outbox.last_prompt)
    protect: bool = False  # no forwarding or saving where the platform allows (protect_content)
    about: int | None = None  # the dossier it shows or names (see handlers.replies.concerns)
