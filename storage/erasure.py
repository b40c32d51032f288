"""True erasure (issue 11): what :meth:`storage.core.Dossiers.erase` removes beyond the
dossier's own content and history.

Why this shape
--------------
* **One capability, any caller.** ``/xoa``, the retention job and any later flow call
  ``tx.dossiers.erase(record)``; everything below runs in that same transaction, so an
  erasure is whole or not at all. The caller appends the audit row (``dossier_erased``, with
  who or why, never content): the audit keeps that an erasure happened.
* **The dossier:** its reviewers' comments (they quote the content), the conversations
  attached to it (their state holds screens and typed text), the remembered messages of its
  cards; the secretaries' rows go through :meth:`storage.progress.Progress.erased`. Review
  decisions stay: who decided what on which revision, no content. Replies that show or name
  it (``outbox.dossier_id``, the rule is :func:`handlers.replies.concerns`) are deleted while
  they wait — a reviewer's «Xem» queued while the network fails is never sent — and emptied
  once done.
* **The person, with their last dossier:** when no other dossier of theirs is alive and they
  hold no staff role, their role rows go and their ``people`` row is emptied — no platform
  id, no name, no consent — but kept as a row so the audit and the dossier's statistics keep
  pointing somewhere. Their conversations, private chat, stored updates (inbox bodies and
  sender id) and replies (outbox rows of their private chat) go too. Staff keep their row and
  roles (their acts are audited); only their candidate role goes, with the numbered options
  of their private chats and, on disk, every file of theirs but copies of other dossiers.
* **After the commit:** the files on disk (``storage/files.py``) and a WAL checkpoint that
  truncates the WAL file, so that with ``secure_delete`` (``storage/db.py``) no copy of the
  erased pages is left in the database's files.
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.session import SqlRepo

#: The roles that make a person staff (admission.access.STAFF_ROLES, as SQL).
_STAFF = "('secretary', 'reviewer')"


@dataclass(frozen=True, slots=True)
class Forgotten:
    """What an erasure removed beyond the dossier: the person's platform identity when the
    person was forgotten too (None: they remain, as staff or with another dossier), and the
    identity whose documents folder held the candidate's own files (``owner``: a staff member
    who was also a candidate keeps only the copies of other dossiers there)."""

    dossier_id: int
    person: tuple[str, str] | None
    owner: tuple[str, str] | None = None


class Erasure(SqlRepo):
    """The rows an erasure removes outside ``dossiers`` and ``answer_revisions``."""

    async def dossier(self, dossier_id: int, person_id: int) -> Forgotten:
        tx = self._tx()
        for sql in (
            "DELETE FROM comments WHERE dossier_id = ?",
            "DELETE FROM conversations WHERE dossier_id = ?",
            "DELETE FROM bot_messages WHERE dossier_id = ?",
            # the replies showing or naming it: never sent once it is erased, nor kept
            "DELETE FROM outbox WHERE dossier_id = ? AND status = 'pending'",
            "UPDATE outbox SET payload = CAST('' AS BLOB), attachment = NULL, error = ''"
            " WHERE dossier_id = ?",
        ):
            await tx.execute(sql, (dossier_id,))
        owner = await self._identity(person_id)
        person = None
        if await self._last_dossier(dossier_id, person_id):
            person = await self.person(person_id)
        forgotten = Forgotten(dossier_id, person, owner)
        db = tx.db
        if db.files is not None:
            files = db.files
            tx.after_commit(lambda: files.erase(dossier_id, forgotten.person, forgotten.owner))
        tx.after_commit(db.want_checkpoint)
        return forgotten

    async def _identity(self, person_id: int) -> tuple[str, str] | None:
        row = await self.s.fetchone(
            "SELECT platform, platform_user_id FROM people WHERE id = ?", (person_id,)
        )
        if row is None or row[0] == "erased":
            return None
        return str(row[0]), str(row[1])

    async def _last_dossier(self, dossier_id: int, person_id: int) -> bool:
        others = await self.s.fetchval(
            "SELECT count(*) FROM dossiers WHERE person_id = ? AND id <> ? AND status <> 'deleted'",
            (person_id, dossier_id),
        )
        return not others

    async def person(self, person_id: int) -> tuple[str, str] | None:
        """Forget a person who is not staff; returns their former platform identity (None:
        staff, only their candidate roles went)."""
        tx = self._tx()
        staff = await self.s.fetchval(
            f"SELECT count(*) FROM roles WHERE person_id = ? AND role IN {_STAFF}"
            " AND revoked_at IS NULL",
            (person_id,),
        )
        identity = await self._identity(person_id)
        if staff:
            await tx.execute(
                "DELETE FROM roles WHERE person_id = ? AND role = 'candidate'", (person_id,)
            )
            # options drawn in their chats, on every linked channel, may name their answers
            for platform, user_id in await self._identities(person_id):
                await self._forget_options(platform, user_id)
            return None
        if identity is None:
            return None
        platform, user_id = identity
        for other in await self._identities(person_id):
            await self._forget_chats(*other)
        for sql, params in (
            ("DELETE FROM roles WHERE person_id = ?", (person_id,)),
            ("DELETE FROM person_links WHERE person_id = ?", (person_id,)),
            ("DELETE FROM link_codes WHERE person_id = ?", (person_id,)),
            (
                "DELETE FROM conversations WHERE person_id = ? OR (platform = ? AND user_id = ?)",
                (person_id, platform, user_id),
            ),
            (
                "UPDATE people SET platform = 'erased', platform_user_id = CAST(id AS TEXT),"
                " display_name = '', consent_at = NULL, consent_version = NULL WHERE id = ?",
                (person_id,),
            ),
        ):
            await tx.execute(sql, params)
        return platform, user_id

    async def _identities(self, person_id: int) -> list[tuple[str, str]]:
        """The person's main identity and the same person on other channels (issue 14)."""
        main = await self._identity(person_id)
        linked = await self.s.fetchall(
            "SELECT platform, platform_user_id FROM person_links WHERE person_id = ?", (person_id,)
        )
        found = [main] if main is not None else []
        return found + [(str(row[0]), str(row[1])) for row in linked]

    async def _forget_options(self, platform: str, user_id: str) -> None:
        """The numbered options drawn in a staff member's private chats (Zalo)."""
        for chat_id in await self._chats(platform, user_id):
            await self._tx().execute(
                "DELETE FROM chat_options WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )

    async def _chats(self, platform: str, user_id: str) -> set[str]:
        rows = await self.s.fetchall(
            "SELECT chat_id FROM private_chats WHERE platform = ? AND user_id = ?",
            (platform, user_id),
        )
        return {user_id, *(str(r[0]) for r in rows)}

    async def _forget_chats(self, platform: str, user_id: str) -> None:
        """The private chat of one identity: queued replies, numbered options, the given-up
        notes naming it, the chat record and the stored updates' bodies."""
        tx = self._tx()
        for chat_id in await self._chats(platform, user_id):
            await tx.execute(
                "DELETE FROM outbox WHERE platform = ? AND chat_id = ? AND chat_kind = 'private'",
                (platform, chat_id),
            )
            await tx.execute(  # the numbered options drawn for them (labels may name them)
                "DELETE FROM chat_options WHERE platform = ? AND chat_id = ?", (platform, chat_id)
            )
            await tx.execute(
                "UPDATE audit_log SET detail = '{}' WHERE action = 'reply_given_up'"
                f" AND {tx.dialect.json_text('detail', '$.chat')} = ?",
                (chat_id,),
            )
        await tx.execute(
            "DELETE FROM private_chats WHERE platform = ? AND user_id = ?", (platform, user_id)
        )
        await tx.execute(  # unprocessed rows are messages sent after this one: a new person's
            "UPDATE inbox SET raw = CAST('' AS BLOB), person = '' WHERE platform = ? AND person = ?"
            " AND processed_at IS NOT NULL",
            (platform, user_id),
        )
