"""The retention job (issue 11): once a day the scheduler (``notifier.py``) erases the dossiers
whose period is over and warns the candidates of abandoned drafts first. The periods and the
rules are :mod:`admission.retention`'s; the erasure is ``tx.dossiers.erase`` (true erasure,
``storage/erasure.py``); each erasure leaves an audit row that says it happened and why,
never what was erased."""

from __future__ import annotations

from datetime import datetime

from admission import lifecycle
from admission.clock import ZONE, local_date
from admission.retention import Due, Reason, RetentionPolicy, abandoned
from admission.workdays import day_number, from_day_number
from forms.parsers import format_date
from handlers.events import Chat, Reply
from handlers.secretary.common import t
from storage.db import Tx
from storage.retention import Idle, RetentionRows
from storage.reviews import Org


class RetentionJob:
    """What one daily run erases and whom it warns; see the module docstring."""

    def __init__(self, policy: RetentionPolicy, *, batch: int = 500) -> None:
        self.policy = policy
        self.batch = batch

    async def run(self, tx: Tx, now: datetime) -> list[Reply]:
        """Erase what is due, record the warnings; returns the warnings to send."""
        today = day_number(local_date(now, ZONE))
        rows = tx.repo(RetentionRows)
        for dossier_id, reason in await rows.closed(self.policy.closed_before(today), self.batch):
            await self.erase(tx, dossier_id, reason)
        replies = []
        for idle in await rows.idle(self.policy.idle_before(today), self.batch):
            due = abandoned(self.policy, today, idle.last_activity, idle.warned)
            if due is Due.WARN:
                await rows.warn(idle.dossier_id)
                replies.append(await self.warning(tx, idle, today))
            elif due is Due.ERASE:
                await self.erase(tx, idle.dossier_id, "abandoned")
        return replies

    async def erase(self, tx: Tx, dossier_id: int, reason: Reason) -> bool:
        record = await tx.dossiers.get(dossier_id)
        if record is None:
            return False
        try:
            lifecycle.target(lifecycle.Move.EXPIRE, record.status)
        except lifecycle.IllegalMove:
            return False
        await tx.dossiers.erase(record)
        await tx.repo(RetentionRows).forget_warning(dossier_id)
        await tx.audit.append(
            "dossier_erased",
            dossier_id=dossier_id,
            revision=record.revision,
            detail={"by": "retention", "reason": reason},
        )
        return True

    async def warning(self, tx: Tx, idle: Idle, today: int) -> Reply:
        """The warning to the candidate, in their private chat (on Telegram and the console
        a private chat's id is the person's)."""
        found = await tx.repo(Org).reach(idle.platform, idle.platform_user_id)
        text = t(
            "remind.erasure_warning",
            since=format_date(from_day_number(idle.last_activity)),
            on=format_date(from_day_number(self.policy.erasure_day(today))),
        )
        chat = Chat(*(found or (idle.platform, idle.platform_user_id)), "private")
        return Reply(text=text, chat=chat)
