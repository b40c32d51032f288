"""The candidate's commands (/tiendo, /sua N, /xem, their rights /dulieu, /rut, /xoa…) and the
buttons that work on every screen (open an item, go back, explain, the flag list's buttons,
the consent's full text), each declared in a table next to its handler."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from forms.texts import message, render
from handlers.candidate.actions import (
    BACK,
    CONSENT,
    CONTINUE,
    EXPLAIN_FLAG,
    GO,
    HELP,
    MORE_FLAGS,
    NOTICE,
    PROGRESS,
    SUBMIT,
    VIEW,
    FlagRef,
    ItemNumber,
    Offset,
)
from handlers.candidate.consent import Consent, ask_consent, consent_text, greet, new_dossier
from handlers.candidate.core import Turn, log
from handlers.candidate.dialogs import Explain, Idle, render_idle
from handlers.candidate.flags import open_flags, progress_flags, show_flags
from handlers.candidate.rights import send_my_data
from handlers.candidate.submission import ask_erase, ask_submit
from handlers.candidate.summaries import overview_text
from handlers.candidate.texts import COMMANDS, draft_filename, t
from handlers.candidate.withdrawal import ask_withdraw
from handlers.events import Document, Reply, WebRef
from handlers.failures import failure_place
from handlers.routing import ActionCodec
from handlers.web.links import Obj

Run = Callable[[Turn, str], Awaitable[None]]
ActionHandler = Callable[[Turn, Any], Awaitable[None]]
R = TypeVar("R", bound=Run)
A = TypeVar("A", bound=ActionHandler)


@dataclass(frozen=True)
class Command:
    run: Run
    anytime: bool = False  # also before consent and before the dossier exists


#: Command name -> its handler (filled by :func:`command`).
COMMAND_TABLE: dict[str, Command] = {}
#: Tag of a button that works on every screen -> its handler (filled by :func:`everywhere`).
ACTION_TABLE: dict[str, ActionHandler] = {}


def command(name: str, *, anytime: bool = False) -> Callable[[R], R]:
    def declare(run: R) -> R:
        COMMAND_TABLE[name] = Command(run, anytime)
        return run

    return declare


def everywhere(codec: ActionCodec[Any]) -> Callable[[A], A]:
    def declare(handler: A) -> A:
        ACTION_TABLE[codec.tag] = handler
        return handler

    return declare


# -- commands -----------------------------------------------------------------------------------
@command("start", anytime=True)
async def start(turn: Turn, payload: str) -> None:
    on_start = turn.wiring.on_start
    if payload and on_start is not None:
        handled = await on_start(turn.tx, turn.event, payload)
        if handled is not None:
            turn.replies.extend(handled)
            return
    if payload:
        turn.conversation.payload = payload[:64]
    if not turn.consented:
        greet(turn)
        return
    if turn.record is None:
        await new_dossier(turn)
        return
    turn.say(t("welcome_back"))
    turn.say(overview_text(turn))
    turn.nav.reask()


async def staff_answered(turn: Turn) -> bool:
    """A candidate's command from a reviewer or secretary with no dossier of their own —
    /trogiup, or «/xem 12» as the group's help lists it — is answered with their roles and
    commands (the hook's), not the form's help nor the candidate's consent."""
    staff_help = turn.wiring.staff_help
    if turn.record is not None or staff_help is None:
        return False
    staff = await staff_help(turn.tx, turn.event)
    turn.replies.extend(staff)
    return bool(staff)


@command("trogiup", anytime=True)
async def help_command(turn: Turn, _: str) -> None:
    if await staff_answered(turn):
        return
    turn.say(render("chat/help.j2", commands=COMMANDS))
    if turn.consented and turn.record is not None:
        turn.nav.reask()
    elif isinstance(turn.screen, Consent):
        ask_consent(turn, repeat=True)


@command("tiendo")
@everywhere(PROGRESS)
async def progress(turn: Turn, _: object = None, *, offset: int = 0) -> None:
    """The overview and the open flags, a page at a time ("Xem thêm" shows the next)."""
    flags = progress_flags(turn)
    if not 0 < offset < len(flags):
        offset = 0
    if offset == 0:
        turn.say(overview_text(turn))
    if flags:
        title = (
            t("flags.open_title", count=len(flags))
            if offset == 0
            else t("flags.more_title", start=offset + 1, count=len(flags))
        )
        show_flags(turn, flags, title=title, offset=offset, pageable=True)
    turn.nav.reask()


@command("sua")
async def edit(turn: Turn, arg: str) -> None:
    digits = "".join(ch for ch in arg if ch.isdigit())
    named = None if digits else turn.structure.item_named(arg)
    if not digits and named is None:
        turn.say(t("edit.which", items=turn.structure.item_list()))
        turn.nav.reask()
        return
    await jump(turn, named.number if named else int(digits))


@command("xem")
@everywhere(VIEW)
async def view(turn: Turn, _: object = None) -> None:
    flags = open_flags(turn)
    try:
        data = turn.wiring.renderer(turn.d, flags)
    except Exception as exc:  # the draft is a convenience; never break the chat
        log.error("draft rendering failed: %s", failure_place(exc))
        turn.say(t("view.failed"))
        turn.nav.reask()
        return
    caption = t("view.caption", count=len(flags))
    web = WebRef("dossier", turn.record.id) if turn.record is not None else None
    document = Document(draft_filename(turn.d), data, caption=caption, web=web)
    turn.replies.append(Reply(document=document))
    turn.nav.reask()


@command("nop")
@everywhere(SUBMIT)
async def submit(turn: Turn, _: object = None) -> None:
    await ask_submit(turn)


@command("huy")
async def cancel(turn: Turn, _: str) -> None:
    turn.conversation.revisiting = None
    turn.conversation.screen = Idle()
    render_idle(turn, t("cancel.done"))


@command("xoa")
async def delete(turn: Turn, _: str) -> None:
    await ask_erase(turn)


@command("rut")
async def withdraw(turn: Turn, _: str) -> None:
    await ask_withdraw(turn)


@command("dulieu")
async def my_data(turn: Turn, _: str) -> None:
    await send_my_data(turn)


@command("web")
async def web_link(turn: Turn, _: str) -> None:
    """/web: a link of the candidate's own to their dossier on the web, 15 minutes; the
    form's when they may still edit it (the chat then pauses: «Tiếp tục» asks the first
    question left open, whatever was answered on the web meanwhile)."""
    links, record = turn.wiring.links, turn.record
    if links is None or record is None or turn.person is None:
        turn.say(message("web.chat.off"))
        turn.nav.reask()
        return
    minutes = round(links.ttl.total_seconds() / 60)
    if not turn.editable:
        url = links.issue(turn.person.id, Obj("dossier", record.id))
        turn.say(message("web.chat.read_link", url=url, minutes=minutes))
        turn.nav.reask()
        return
    url = links.issue(turn.person.id, Obj("form", record.id))
    turn.conversation.revisiting = None
    turn.conversation.screen = Idle()
    render_idle(turn, message("web.chat.link", url=url, minutes=minutes))


async def jump(turn: Turn, number: int, row: int = -1, field: str = "") -> None:
    """Revisit item ``number`` question by question, showing the answers given; with a
    flag's ``row`` and ``field``, open that question (then the conversation goes on)."""
    structure = turn.structure
    if not structure.has_item(number):
        turn.say(t("edit.no_item", n=number, items=structure.item_list()))
        turn.nav.reask()
        return
    if not turn.editable:
        turn.refuse()
        return
    target = turn.nav.flagged(number, row, field)
    turn.conversation.revisiting = None if target else number
    turn.conversation.forward = []
    turn.nav.goto(target or turn.nav.item_slots(structure.item(number))[0])


# -- buttons on every screen --------------------------------------------------------------------
@everywhere(GO)
async def go(turn: Turn, payload: ItemNumber) -> None:
    await jump(turn, payload.number, payload.row, payload.field)


@everywhere(CONSENT)
async def consent_again(turn: Turn, payload: object) -> None:
    turn.toast(t("consent.already"))
    turn.nav.reask()


@everywhere(NOTICE)
async def consent_in_full(turn: Turn, payload: None) -> None:
    """ "Xem đầy đủ" under a consent already given: the text, to read again."""
    turn.say(consent_text(turn, full=True))
    turn.nav.reask()


@everywhere(CONTINUE)
async def resume(turn: Turn, payload: None) -> None:
    turn.conversation.revisiting = None
    turn.conversation.forward = []
    turn.nav.goto(turn.nav.first_open())


@everywhere(HELP)
async def explain_question(turn: Turn, payload: None) -> None:
    """The item's and the field's writing rules in full."""
    turn.say(turn.screen.explanation(turn))
    turn.nav.reask()


@everywhere(BACK)
async def back(turn: Turn, payload: None) -> None:
    turn.nav.back()


@everywhere(EXPLAIN_FLAG)
async def explain_flag(turn: Turn, payload: FlagRef) -> None:
    """ "Giải trình cảnh báo n" under the flag list ``payload.flag_list``."""
    conv = turn.conversation
    index = payload.index
    if payload.flag_list != conv.flag_lists or index is None:
        stale(turn)
        return
    if not 0 <= index < len(conv.explainable):
        turn.nav.reask()
        return
    turn.nav.goto(Explain(conv.explainable[index]))


@everywhere(MORE_FLAGS)
async def more_flags(turn: Turn, payload: Offset) -> None:
    await progress(turn, offset=payload.start)


def stale(turn: Turn) -> None:
    """A button of a message that is no longer the current one."""
    turn.toast(t("stale.toast"))
    turn.say(t("stale.text"))
    turn.nav.reask()
