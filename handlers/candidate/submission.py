"""Submitting the dossier (/nop) and erasing it (/xoa), each confirmed first when it matters.

/nop refuses while errors remain, also refuses (leaving the dossier a draft, still editable)
when no chi bộ would receive it, asks for confirmation over unexplained warnings, then sets
status ``submitted`` and calls the review flow's hook. /xoa (unsubmitted only) erases the
content and its revisions, withdraws the consent and keeps an audit row without content.
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.candidate.core import EDITABLE, Confirm, Conversation, Turn
from handlers.candidate.dialogs import Done, Erased
from handlers.candidate.flags import open_flags, show_flags
from handlers.candidate.texts import t
from handlers.events import Reply


@dataclass(frozen=True, slots=True)
class ConfirmSubmit(Confirm):
    """ "confirm submit": submit with warnings nobody explained?"""

    what = "submit"

    async def decide(self, turn: Turn, yes: bool) -> None:
        if yes:
            await submit(turn)
            return
        turn.say(t("submit.later"))
        turn.nav.back(quiet=True)


@dataclass(frozen=True, slots=True)
class ConfirmDelete(Confirm):
    """ "confirm delete": erase the dossier?"""

    what = "delete"

    async def decide(self, turn: Turn, yes: bool) -> None:
        if yes:
            await erase(turn)
            return
        turn.say(t("delete.kept"))
        turn.nav.back(quiet=True)


async def ask_submit(turn: Turn) -> None:
    """/nop and the "Nộp" button."""
    if not turn.editable:
        turn.refuse()
        return
    flags = open_flags(turn)
    errors = [f for f in flags if f.is_error]
    if errors:
        show_flags(turn, errors, title=t("submit.refused", count=len(errors)))
        turn.nav.reask()
        return
    if await no_chi_bo(turn):
        return
    open_warnings = [f for f in flags if not f.explanation]
    if open_warnings:
        show_flags(turn, open_warnings, title=t("submit.warnings", count=len(open_warnings)))
        turn.nav.goto(ConfirmSubmit())
        return
    await submit(turn)


async def no_chi_bo(turn: Turn) -> bool:
    """Whether the dossier cannot be submitted because no chi bộ would receive it (then
    says so): with the organisation flows installed (``unit_for``), a dossier without a
    unit and a person without a candidate invite or role would be locked as "submitted"
    with nobody to review it, and the candidate could no longer edit or delete it."""
    assert turn.record is not None and turn.person is not None
    unit_for = turn.wiring.unit_for
    if unit_for is None or turn.record.unit_id is not None:
        return False
    if await unit_for(turn.tx, turn.person.id, turn.conversation.payload) is not None:
        return False
    turn.say(t("submit.no_chi_bo"))
    if isinstance(turn.screen, Confirm):
        turn.nav.back(quiet=True)
    else:
        turn.nav.reask()
    return True


async def submit(turn: Turn) -> None:
    assert turn.record is not None and turn.person is not None
    if await no_chi_bo(turn):
        return
    tx = turn.tx
    turn.record = await tx.dossiers.set_status(turn.record, "submitted")
    await tx.audit.append(
        "dossier_submitted",
        person_id=turn.person.id,
        dossier_id=turn.record.id,
        revision=turn.record.revision,
    )
    turn.conversation.screen = Done()
    turn.conversation.buttons = []
    extra: list[Reply] = []
    if turn.wiring.on_submitted is not None:
        extra = await turn.wiring.on_submitted(tx, turn.record)
    if extra:
        turn.replies.extend(extra)
    else:
        turn.say(t("submit.done"))


async def ask_erase(turn: Turn) -> None:
    """/xoa."""
    assert turn.record is not None
    if turn.record.status not in EDITABLE:
        turn.say(t("delete.not_allowed"))
        return
    turn.nav.goto(ConfirmDelete())


async def erase(turn: Turn) -> None:
    assert turn.record is not None and turn.person is not None
    tx, person = turn.tx, turn.person
    dossier_id, revision = turn.record.id, turn.record.revision
    await tx.dossiers.erase(turn.record)
    await tx.people.set_consent(person.id, given=False)
    await tx.people.set_display_name(person.id, "")
    await tx.audit.append(
        "dossier_erased", person_id=person.id, dossier_id=dossier_id, revision=revision
    )
    turn.record = None
    turn.person = None
    turn.conversation = Conversation(Erased())
    turn.say(t("delete.done"))
