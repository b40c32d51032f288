"""Review decisions typed as words: a reviewer who mentions the bot in a group, ``@bot duyệt
12`` — on Zalo, which has no buttons, and on Telegram alike — means ``/duyet 12``
(:func:`addressed_command`, read by both adapters: one list of the words).

``/xem 12``, ``/duyet 12``, ``/tralai 12`` are the card's «Xem», «Duyệt» and «Trả lại» for
dossier 12 at the revision under review: the same handlers, so the same checks, decisions,
audit and private delivery of content. Without a number, the one dossier waiting for the
group's unit is meant (as ``/nhanxet``)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from forms.vn import fold
from handlers import access
from handlers.dossier_refs import DOSSIER_WORDS
from handlers.review import comments, decisions, viewing
from handlers.review.acting import acting_unit
from handlers.review.actions import CardRef
from handlers.review.context import ReviewContext, t
from storage.org import storable

#: What reviewers type after mentioning the bot in a group (folded) → the command it is.
GROUP_WORDS: tuple[tuple[str, str], ...] = (
    ("nhan xet", "nhanxet"),
    ("tra lai", "tralai"),
    ("duyet", "duyet"),
    ("xem", "xem"),
    ("ho so", "hoso"),
    ("mo lai", "molai"),
)


def without_mentions(text: str, bot_names: tuple[str, ...]) -> str:
    """``text`` with every ``@name`` of the bot cut off."""
    for name in sorted((n for n in bot_names if n), key=len, reverse=True):
        text = re.sub(rf"@{re.escape(name)}\b[:,]?", " ", text, flags=re.IGNORECASE)
    return text.strip()


def addressed_command(text: str) -> tuple[str, str] | None:
    """A reviewer's words to the bot (mention cut off) as (command, its arguments as the
    command reads them): «duyệt 12», «nhận xét 12 mục 15: …», with or without accents."""
    folded = fold(text).strip()
    for words, command in GROUP_WORDS:
        if folded == words or folded.startswith(words + " ") or folded.startswith(words + ":"):
            count = len(words.split())
            parts = text.split(maxsplit=count)
            rest = parts[count].strip(" :") if len(parts) > count else ""
            if command == "nhanxet":  # "nhận xét 12 mục 15: …" → "/nhanxet #12 mục 15: …"
                number = re.match(r"^#?(\d+)\s*(.*)$", rest, re.DOTALL)
                if number and re.match(r"^(?:mục|muc|\(|\d)", number.group(2), re.IGNORECASE):
                    rest = f"#{number.group(1)} {number.group(2)}"
            return command, rest.lstrip("#") if command != "nhanxet" else rest
    return None


_NUMBER = re.compile(rf"^\s*{DOSSIER_WORDS}?(\d+)\s*[:,.]?\s*(.*?)\s*$", re.I | re.S)
#: "this dossier" in words, no number: the one dossier waiting, as with nothing typed
_THIS = re.compile(r"^(?:(?:ho\s*so|hs)\s*)?(?:nay|do|nay a|nay nhe)?[\s.!]*$")
#: What may follow the number and mean nothing more ("duyệt hồ sơ 12 ạ")
_POLITE = re.compile(r"^(?:ạ|nhé|nha|nhá|ạ nhé)?[\s.!]*$", re.IGNORECASE)


async def _card(ctx: ReviewContext) -> CardRef | None:
    """The card the typed command means, or None after saying why not. Words after the
    number ("trả lại 12 vì thiếu mục 15") are no part of a decision: they would be lost, so
    nothing is decided and the reviewer is told to write them as a comment first."""
    text = ctx.event.text.strip()
    if _THIS.match(fold(text)):  # «duyệt hồ sơ này»: the one waiting, as without a number
        text = ""
    if text:
        match = _NUMBER.match(text)
        if match is None or not storable(int(match.group(1))):
            ctx.say(t("refuse.typed_usage", command=ctx.event.command))
            return None
        if not _POLITE.match(match.group(2)):
            # not quoted back: in a group, what a reviewer writes of a dossier is content
            number = int(match.group(1))
            ctx.say(t("refuse.typed_extra", command=ctx.event.command, number=number))
            return None
        dossier_id: int | None = int(match.group(1))
    else:
        dossier_id = await comments.only_dossier(ctx)
        if dossier_id is None:
            return None
    assert dossier_id is not None
    record = await ctx.tx.dossiers.get(dossier_id)
    return CardRef(dossier_id, record.revision if record is not None else 0)


def _typed(
    handler: Callable[[ReviewContext, CardRef], Awaitable[None]],
) -> Callable[[ReviewContext], Awaitable[None]]:
    async def run(ctx: ReviewContext) -> None:
        card = await _card(ctx)
        if card is not None:
            await handler(ctx, card)

    return run


view_command = _typed(viewing.view)
approve_command = _typed(decisions.approve_card)
return_command = _typed(decisions.return_card)


#: The card's buttons a reviewer may answer a card with in words ("duyệt", "ok, trả lại").
ON_CARD: dict[str, Callable[[ReviewContext, CardRef], Awaitable[None]]] = {
    "xem": viewing.view,
    "duyet": decisions.approve_card,
    "tralai": decisions.return_card,
}
#: Assent before the words ("ok duyệt", "dạ, trả lại nhé").
_ASSENT = re.compile(r"^\s*(?:ok(?:e|ay)?|oke|dạ|da|vâng|vang|đồng ý|dong y)[\s,.!:]+", re.I)


def card_words(text: str) -> str | None:
    """The card's button a reply to the card names in words and nothing more ("duyệt",
    "ok trả lại ạ"), or None (then the reply is read as a comment)."""
    word = addressed_command(_ASSENT.sub("", text))
    if word is None or word[0] not in ON_CARD or not _POLITE.match(word[1]):
        return None
    return word[0]


async def on_card(ctx: ReviewContext, command: str, dossier_id: int) -> bool:
    """The card's button ``command`` on the card's dossier, at the revision under review;
    False (nothing done) when the replier is no reviewer who acts on it: the group hears
    nothing of an outsider's reply, as of their chatter."""
    record = await ctx.tx.dossiers.get(dossier_id)
    unit = await acting_unit(ctx, record) if record else None
    if record is None or unit is None or ctx.person is None:
        return False
    if not await access.may_act(ctx.tx, ctx.person.id, unit):
        return False
    await ON_CARD[command](ctx, CardRef(dossier_id, record.revision))
    return True
