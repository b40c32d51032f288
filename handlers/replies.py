"""Replies as outbox rows and back.

The router stores a flow's replies in the outbox (storage/outbox.py) in the same transaction
as the answer; the sender (bot/delivery.py) reads them back. Storage holds only bytes, so the
encoding lives here, next to :class:`Reply`. Toasts are not stored: they answer a button tap
at once (a callback query expires) and carry no content. A document not rendered yet
(:class:`handlers.render_jobs.Deferred`) is stored as its job, marked ``render``; the sender has
it rendered when it reaches it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from handlers.events import Button, Chat, Document, Photo, Reply, WebRef
from handlers.render_jobs import Deferred
from storage.outbox import Message, Pending


def has_content(reply: Reply) -> bool:
    """Whether the reply puts something in a chat (a toast alone does not)."""
    return bool(reply.text.strip() or reply.document or reply.photo)


def concerns(reply: Reply) -> int | None:
    """The dossier a reply shows or names, the one rule for it: its ``about``, else the
    dossier its document or photo is a copy of. An erasure of that dossier removes the reply
    from the outbox while it waits (storage/erasure.py)."""
    if reply.about is not None:
        return reply.about
    for attached in (reply.document, reply.photo):
        if attached is not None and attached.web is not None and attached.web.what == "dossier":
            return attached.web.id
    return None


def to_message(reply: Reply, default_chat: Chat, *, answering: bool = False) -> Message:
    """The outbox row of ``reply`` (sent to ``reply.chat``, else ``default_chat``); the row
    carries ``reply`` itself too (``Message.source``, not stored: see :func:`to_send`).

    ``answering``: the replies answer a person's message in ``default_chat``; a reply that
    stays in that chat, a private one, is then marked as such (paced per chat only, see
    bot/pacing.py); anything else is a notice."""
    chat = reply.chat or default_chat
    own_chat = (chat.platform, chat.id) == (default_chat.platform, default_chat.id)
    attachment = b""
    body: dict[str, Any] = {"text": reply.text}
    if reply.buttons:
        body["buttons"] = [[[b.label, b.action] for b in row] for row in reply.buttons]
    if reply.remember:
        body["remember"] = reply.remember
    if reply.protect:
        body["protect"] = True
    if reply.document is not None:
        body["document"] = {
            "filename": reply.document.filename,
            "caption": reply.document.caption,
            "size": len(reply.document.data),
        }
        if reply.document.web is not None:
            body["document"]["web"] = [reply.document.web.what, reply.document.web.id]
        if isinstance(reply.document.data, Deferred):
            body["document"]["render"] = True
        attachment += reply.document.data
    if reply.photo is not None:
        body["photo"] = {"caption": reply.photo.caption, "size": len(reply.photo.data)}
        if reply.photo.web is not None:
            body["photo"]["web"] = [reply.photo.web.what, reply.photo.web.id]
        attachment += reply.photo.data
    return Message(
        platform=chat.platform,
        chat_id=chat.id,
        chat_kind=chat.kind,
        payload=orjson.dumps(body),
        attachment=attachment or None,
        edit_ref=reply.edit_ref,
        prompt=reply.prompt,
        reply=answering and own_chat and chat.kind == "private",
        dossier_id=concerns(reply),
        source=reply,
    )


def to_messages(
    replies: Iterable[Reply], default_chat: Chat, *, answering: bool = False
) -> list[Message]:
    """The outbox rows of the replies that have content, in order (``answering``: see
    :func:`to_message`)."""
    return [to_message(r, default_chat, answering=answering) for r in replies if has_content(r)]


def from_pending(row: Pending) -> Reply:
    """The reply a stored row holds, addressed to its chat."""
    body = orjson.loads(row.payload)
    data = row.attachment or b""
    document = photo = None
    if "document" in body:
        meta = body["document"]
        content = data[: meta["size"]]
        document = Document(
            meta["filename"],
            Deferred(content) if meta.get("render") else content,
            meta["caption"],
            _web(meta.get("web")),
        )
        data = data[meta["size"] :]
    if "photo" in body:
        meta = body["photo"]
        photo = Photo(data[: meta["size"]], meta["caption"], _web(meta.get("web")))
    return Reply(
        text=body.get("text", ""),
        buttons=[
            [Button(label, action) for label, action in row] for row in body.get("buttons", [])
        ],
        chat=Chat(row.platform, row.chat_id, "group" if row.chat_kind == "group" else "private"),
        document=document,
        photo=photo,
        edit_ref=row.edit_ref,
        remember=body.get("remember", ""),
        prompt=row.prompt,
        protect=bool(body.get("protect", False)),
        about=row.dossier_id,
    )


def to_send(row: Pending) -> Reply:
    """What the sender delivers for ``row``: the reply it was queued from when the row was
    handed over in this process (its text, buttons, attachments, ``edit_ref``, ``remember``
    and ``protect`` are what the payload encodes: no decoding), else :func:`from_pending`."""
    source = row.source
    return source if isinstance(source, Reply) else from_pending(row)


def _web(stored: Any) -> WebRef | None:
    if isinstance(stored, list) and len(stored) == 2 and stored[0] in ("dossier", "unit"):
        return WebRef(stored[0], int(stored[1]))
    return None
