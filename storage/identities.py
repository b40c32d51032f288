"""One person on several channels: identities linked to a person with one-time codes.

A person is created on the channel where they consented (``people``). On another channel
they type a code issued on the first (:meth:`Identities.issue_code`, single use, short-lived);
:meth:`Identities.redeem` links that channel's identity to the same person, and from then on
``People.find`` reads it as that person — their dossier, conversation progress and roles
follow (storage/core.py). No merge of two people's data: an identity that is already a person
is not linked (the caller refuses).
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from storage.db import Repo, Tx

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed from a phone screen


class Identities(Repo):
    """SQL of ``person_links`` and ``link_codes``."""

    def _tx(self) -> Tx:
        tx = self.s
        assert isinstance(tx, Tx), "identities are linked inside a transaction"
        return tx

    async def issue_code(self, person_id: int, ttl: timedelta) -> str:
        tx = self._tx()
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        expires = (datetime.fromisoformat(tx.now) + ttl).isoformat()
        await tx.execute(
            "INSERT INTO link_codes (code, person_id, expires_at) VALUES (?, ?, ?)",
            (code, person_id, expires),
        )
        return code

    async def redeem(self, code: str) -> int | None:
        """The person whose code this is, the code used up; None if unknown, used or late."""
        tx = self._tx()
        person_id = await tx.fetchval(
            "SELECT person_id FROM link_codes WHERE code = ? AND used_at IS NULL"
            " AND expires_at > ?",
            (code.strip().upper(), tx.now),
        )
        if person_id is None:
            return None
        await tx.execute("UPDATE link_codes SET used_at = ? WHERE code = ?", (tx.now, code.upper()))
        return int(person_id)

    async def link(self, platform: str, user_id: str, person_id: int) -> None:
        tx = self._tx()
        await tx.execute(
            "INSERT INTO person_links (platform, platform_user_id, person_id, linked_at)"
            " VALUES (?, ?, ?, ?)",
            (platform, user_id, person_id, tx.now),
        )

    async def linked(self, person_id: int) -> list[tuple[str, str]]:
        """The identities linked to the person (platform, user id)."""
        rows = await self.s.fetchall(
            "SELECT platform, platform_user_id FROM person_links WHERE person_id = ?",
            (person_id,),
        )
        return [(str(r[0]), str(r[1])) for r in rows]
