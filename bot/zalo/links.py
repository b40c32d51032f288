"""Signed links to the web companion in place of the files Zalo cannot carry.

A document or chart a flow sends carries a :class:`handlers.events.WebRef` (a dossier, a
unit's summary). For the person of the Zalo chat it goes to, :class:`SignedLinks` issues a
short-lived link bound to that person and that object (handlers/web/links.py): a dossier for
its own candidate opens as ``dossier``, for anyone else as ``review``; a unit as ``summary``.
The link names only numbers; whether the person may still open it is the access gate's to
say when it is opened (handlers/web/grants.py), and the opening is recorded there.
"""

from __future__ import annotations

from bot.zalo.events import PLATFORM
from handlers.events import Document, Photo, WebRef
from handlers.web.links import LinkSigner, Obj, ObjKind
from storage.db import Database
from storage.org import Org


class SignedLinks:
    """:class:`bot.zalo.render.Links` from the web companion's signer."""

    def __init__(self, signer: LinkSigner, db: Database) -> None:
        self.signer = signer
        self.db = db
        self.minutes = max(1, round(signer.ttl.total_seconds() / 60))

    async def document_url(self, chat_id: str, document: Document) -> str | None:
        return await self._url(chat_id, document.web)

    async def photo_url(self, chat_id: str, photo: Photo) -> str | None:
        return await self._url(chat_id, photo.web)

    async def _url(self, chat_id: str, ref: WebRef | None) -> str | None:
        if ref is None:
            return None
        async with self.db.read() as s:
            user_id = await s.repo(Org).private_chat_user(PLATFORM, chat_id) or chat_id
            person = await s.people.find(PLATFORM, user_id)
            if person is None:
                return None  # a group: no link is ever posted there
            kind: ObjKind = "summary"
            if ref.what == "dossier":
                record = await s.dossiers.get(ref.id)
                if record is None:
                    return None
                kind = "dossier" if record.person_id == person.id else "review"
        return self.signer.issue(person.id, Obj(kind, ref.id))
