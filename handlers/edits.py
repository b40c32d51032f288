"""Edited messages: the person is told that edits are not read, and how to change the answer.

On phones people fix a typo by editing the message they just sent. The conversation has
usually moved on by then (the answer was stored and the next question asked), so reading the
edit as a new answer would write it into whatever question is open now, or silently rewrite
an earlier one. An edit therefore changes nothing; the person gets one short note
(``templates/platform.toml`` [edited]) instead of believing the typo was corrected.

Which item the edited message answered is not stored anywhere (messages are not mapped to
answers). The note names it when the dossier's revisions tell it without doubt: the
person's own changes stored within a few seconds after the edited message was sent, all in
one item — an answer is stored milliseconds after it arrives, and nobody reads the next
question and answers it that fast. Otherwise (nothing stored then: the answer was refused;
two items: a guess would be wrong half the time) the note explains both ways: type it again
if it answered the open question, or ``/sua N`` for an earlier item.

The adapter sends only private chats' edits of text messages, keyed by the message, so a
message edited several times is answered once (the router's update dedupe).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from forms.definition import load_form
from forms.model import FormDef, ItemDef
from forms.texts import message
from handlers.candidate import EDITABLE
from handlers.events import Event, Reply
from handlers.routing import Routes
from storage.core import DossierRecord, Revision
from storage.db import Tx

#: How long after the edited message's ``date`` (its send time, rounded down to the second)
#: its answer may have been stored: answers are stored in milliseconds; a person does not
#: read the next question and answer it in so little time.
WINDOW = timedelta(seconds=3)


class EditsFlow:
    """Owns ``edited`` events; answers those from private chats with one note."""

    name = "edits"
    routes = Routes(flow="edits", kinds=frozenset({"edited"}))

    def __init__(self, *, form: FormDef | None = None) -> None:
        self._form = form

    @cached_property
    def form(self) -> FormDef:
        return self._form or load_form()

    async def handle(self, tx: Tx, event: Event) -> list[Reply]:
        if event.chat.kind != "private":
            return []
        return [Reply(text=await self.note(tx, event))]

    async def note(self, tx: Tx, event: Event) -> str:
        person = await tx.people.find(event.user.platform, event.user.id)
        if person is None or not person.consent_at:
            return message("platform.edited.other")
        record = await tx.dossiers.current_for(person.id)
        if record is None or record.status not in EDITABLE:
            return message("platform.edited.other")
        number = await self.answered_item(tx, record, person.id, event.sent_at)
        if number is None:
            return message("platform.edited.unknown")
        return message("platform.edited.item", n=number)

    async def answered_item(
        self, tx: Tx, record: DossierRecord, person_id: int, sent_at: str
    ) -> int | None:
        """The item that the message sent at ``sent_at`` answered, when the revisions say so
        without doubt (see the module docstring); None otherwise."""
        try:
            sent = datetime.fromisoformat(sent_at)
        except ValueError:
            return None
        first, last = sent, sent + WINDOW
        items: set[int] = set()
        for revision in await tx.dossiers.revisions(record.id):
            if revision.person_id != person_id:
                continue
            at = datetime.fromisoformat(revision.created_at)
            if not first <= at <= last:
                continue
            item = self.item_of(revision)
            if item is None:
                return None  # an explanation or a stored detail: not an item to /sua
            items.add(item.number)
        return items.pop() if len(items) == 1 else None

    def item_of(self, revision: Revision) -> ItemDef | None:
        """The booklet item a revision changed (None: an explanation, metadata)."""
        area, _, rest = revision.path.partition(".")
        key = rest.partition(".")[0]
        item: ItemDef | None = None
        try:
            if area in ("answers", "tables"):
                item = self.form.item_of_field(key)
            elif area == "relatives":
                item = next((it for it in self.form.items() if it.relatives), None)
        except KeyError:
            return None
        if item is None or not item.numbered or item.reviewer_only:
            return None
        return item
