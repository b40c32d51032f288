"""What every part of the review flow works with: its set-up (the form, the checks, the
renderer, the candidate flow's "open item" action), the event being handled, and texts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from forms.model import FormDef
from forms.texts import message
from handlers.events import Event, Reply
from handlers.web.links import LinkSigner
from storage.core import DossierRecord, Person
from storage.db import Tx
from storage.org import Unit

Checks = Callable[..., list[Any]]
Renderer = Callable[..., bytes]
JumpAction = Callable[[int], str]


def t(key: str, **kw: Any) -> str:
    return message(f"review.{key}", **kw)


class ReviewSetup(Protocol):
    """What the review flow was built with (:class:`handlers.review.ReviewFlow`)."""

    bot_username: str
    checks: Checks
    renderer: Renderer
    jump_action: JumpAction
    form: FormDef
    links: LinkSigner | None

    def today_at(self, tx: Tx) -> date: ...


@dataclass(slots=True)
class ReviewContext:
    """One event being handled: the set-up, the transaction, the event, the actor, and the
    replies gathered so far."""

    setup: ReviewSetup
    tx: Tx
    event: Event
    person: Person | None
    replies: list[Reply] = field(default_factory=list)

    @property
    def in_group(self) -> bool:
        return self.event.chat.kind == "group"

    def toast(self, text: str) -> None:
        """A short notice: a toast under a button, a message after a command."""
        if self.event.kind == "button":
            self.replies.append(Reply(toast=text))
        else:
            self.replies.append(Reply(text=text))

    def say(self, text: str, **kw: Any) -> None:
        self.replies.append(Reply(text=text, **kw))

    @property
    def who(self) -> str:
        """The actor's name as people see it in the chat."""
        return self.event.user.name or (self.person.display_name if self.person else "")

    async def audit(
        self, action: str, record: DossierRecord, unit: Unit, detail: dict[str, Any] | None = None
    ) -> None:
        """An audit row for what the actor did on ``record`` for ``unit``."""
        assert self.person is not None
        await self.tx.audit.append(
            action,
            person_id=self.person.id,
            dossier_id=record.id,
            revision=record.revision,
            unit_id=unit.id,
            detail=detail,
        )
