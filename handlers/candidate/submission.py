"""Submitting the dossier (/nop) and erasing it (/xoa), each confirmed first when it matters.

/nop refuses while errors remain, also refuses (leaving the dossier a draft, still editable)
when no chi bộ would receive it, asks for confirmation over unexplained warnings — and when
it was asked for in words («nộp lại», «em đã sửa xong rồi ạ»: they may only mean "done
editing") — then sets status ``submitted`` and calls the review flow's hook.

/xoa works at any status: a dossier under review or decided is withdrawn first (the
reviewers' cards and secretaries are told, :mod:`.withdrawal`), then everything is erased at
once, by storage's true erasure (:meth:`storage.core.Dossiers.erase`: content, revisions,
comments, conversations, files, and the person with their last dossier unless staff). The
audit keeps that an erasure happened, never the content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from admission import lifecycle
from admission.lifecycle import Move
from handlers.candidate.core import Confirm, Conversation, Turn
from handlers.candidate.dialogs import Done, Erased
from handlers.candidate.flags import open_flags, show_flags
from handlers.candidate.texts import t
from handlers.candidate.withdrawal import withdraw
from handlers.events import Reply

#: What /xoa erases directly; a dossier still under review or decided is withdrawn first.
ERASABLE = lifecycle.TRANSITIONS[Move.ERASE].sources


@dataclass(frozen=True, slots=True)
class ConfirmSubmit(Confirm):
    """ "confirm submit": submit with warnings nobody explained?"""

    what = "submit"
    #: what «no» says
    not_now: ClassVar[str] = "submit.later"

    async def decide(self, turn: Turn, yes: bool) -> None:
        if yes:
            await submit(turn)
            return
        turn.say(t(self.not_now))
        turn.nav.back(quiet=True)


@dataclass(frozen=True, slots=True)
class ConfirmSpokenSubmit(ConfirmSubmit):
    """ "confirm submit_spoken": submit now? Asked when /nop came from words, whose meaning
    may be less ("đã sửa xong" after one item); the slash command and the button are sure."""

    what = "submit_spoken"
    not_now = "submit.not_yet"

    def params(self, turn: Turn) -> dict[str, Any]:
        return {"again": turn.record is not None and turn.record.status == "returned"}


@dataclass(frozen=True, slots=True)
class ConfirmDelete(Confirm):
    """ "confirm delete": erase the dossier? (One still a draft or returned: nobody else has
    it; see :class:`ConfirmErase` for the others.)"""

    what = "delete"
    any_status = True

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
    if turn.event.spoken:
        turn.nav.goto(ConfirmSpokenSubmit())
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


@dataclass(frozen=True, slots=True)
class ConfirmErase(ConfirmDelete):
    """ "confirm erase": withdraw a dossier the reviewers have (or had) and erase it now?"""

    what = "erase"

    def params(self, turn: Turn) -> dict[str, Any]:
        assert turn.record is not None
        return {"dossier": turn.record.id, "withdrawn": turn.record.status == "withdrawn"}


async def ask_erase(turn: Turn) -> None:
    """/xoa: confirmed first, at any status."""
    assert turn.record is not None
    unseen = lifecycle.editable_by_candidate(turn.record.status) and not turn.record.submitted_at
    turn.nav.goto(ConfirmDelete() if unseen else ConfirmErase())


async def erase(turn: Turn) -> None:
    """Withdraw the dossier if the reviewers have it, then erase everything at once."""
    assert turn.record is not None and turn.person is not None
    if turn.record.status in lifecycle.LIVE and (
        turn.record.submitted_at or turn.record.status not in ERASABLE
    ):
        await withdraw(turn)  # the reviewers and secretaries had it: they are told
    tx, person, record = turn.tx, turn.person, turn.record
    assert record is not None
    lifecycle.target(Move.ERASE, record.status)  # IllegalMove: a bug, rolled back
    await tx.dossiers.erase(record)  # storage's true erasure (storage/erasure.py)
    await tx.audit.append(
        "dossier_erased", person_id=person.id, dossier_id=record.id, revision=record.revision
    )
    turn.record = None
    turn.person = None
    turn.conversation = Conversation(Erased())
    turn.say(t("delete.done"))
