"""Withdrawing the application (/rut): at any status, confirmed by the candidate first.

The dossier moves to ``withdrawn`` (:data:`admission.lifecycle.Move.WITHDRAW`), an audit row
records it (no content), the review flow's hook closes the reviewers' cards and tells the
secretaries, and the conversation stops asking: every message gets the withdrawn notice. The
data stays until the retention period ends (the storage side erases it then), or until the
candidate erases it at once with /xoa.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from admission import lifecycle
from admission.clock import local_date
from admission.lifecycle import Move
from handlers.candidate.core import Confirm, Screen, Turn
from handlers.candidate.texts import t


@dataclass(frozen=True, slots=True)
class Withdrawn(Screen):
    """ "withdrawn": the dossier was withdrawn; nothing more is asked."""

    kind = "withdrawn"

    @classmethod
    def from_parts(cls, parts: list[str], extras: Mapping[str, Any]) -> Withdrawn:
        return cls()

    def still_valid(self, turn: Turn) -> bool:
        return True

    def present(self, turn: Turn, tag: str, extra_options: Sequence[str]) -> None:
        turn.conversation.buttons = []
        turn.conversation.options = []
        turn.say(t("status.withdrawn"))


@dataclass(frozen=True, slots=True)
class ConfirmWithdraw(Confirm):
    """ "confirm withdraw": stop the application?"""

    what = "withdraw"
    any_status = True

    def params(self, turn: Turn) -> dict[str, Any]:
        assert turn.record is not None
        return {
            "dossier": turn.record.id,
            "reviewed": turn.record.status != "draft",
            "days": turn.wiring.notice.retention_days,
        }

    async def decide(self, turn: Turn, yes: bool) -> None:
        if not yes:
            turn.say(t("withdraw.kept"))
            turn.nav.back(quiet=True)
            return
        await withdraw(turn)
        assert turn.record is not None
        turn.say(t("withdraw.done", dossier=turn.record.id, **erased_after(turn, turn.today)))


async def ask_withdraw(turn: Turn) -> None:
    """/rut."""
    assert turn.record is not None
    if turn.record.status not in lifecycle.LIVE:
        since = local_date(turn.record.updated_at)
        turn.say(t("withdraw.already", **erased_after(turn, since)))
        return
    turn.nav.goto(ConfirmWithdraw())


async def withdraw(turn: Turn) -> None:
    """Withdraw the dossier: status, audit row, the other flows told; the conversation stops."""
    assert turn.record is not None and turn.person is not None
    tx, before = turn.tx, turn.record.status
    move = lifecycle.TRANSITIONS[Move.WITHDRAW]
    turn.record = await tx.dossiers.set_status(
        turn.record, lifecycle.target(Move.WITHDRAW, before), review_level=None
    )
    if move.lock is not None and turn.record.locked != move.lock:
        await tx.dossiers.set_meta(turn.record, locked=move.lock)
        turn.record = replace(turn.record, locked=move.lock)
    await tx.audit.append(
        "dossier_withdrawn",
        person_id=turn.person.id,
        dossier_id=turn.record.id,
        revision=turn.record.revision,
        unit_id=turn.record.unit_id,
        detail={"from": before},
    )
    conv = turn.conversation
    conv.screen, conv.buttons, conv.options = Withdrawn(), [], []
    conv.revisiting, conv.forward = None, []
    if turn.wiring.on_withdrawn is not None:
        turn.replies.extend(await turn.wiring.on_withdrawn(tx, turn.record))


def erased_after(turn: Turn, withdrawn_on: date) -> dict[str, Any]:
    """The retention period and the day the data of a dossier withdrawn on ``withdrawn_on``
    will be erased."""
    days = turn.wiring.notice.retention_days
    until = withdrawn_on + timedelta(days=days)
    return {"days": days, "until": until.strftime("%d/%m/%Y")}
