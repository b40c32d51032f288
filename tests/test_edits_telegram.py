"""Edited messages, end to end through PTB's real client and the fake Bot API: the person
who fixes a typo by editing is told once that edits are not read and how to change the
answer; nothing stored changes (handlers/edits.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import open_router
from bot.pacing import Pacing
from bot.telegram_service import TelegramService
from forms.texts import message
from tests.fake_bot_api import FakeBotAPI
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer
from tests.test_telegram_e2e import Stack, make_settings, person, play, read_state, revisions
from tests.tg_client import TelegramUser


@dataclass
class TelegramTime:
    """The bot's clock follows the fake Telegram's, so a test can let minutes pass."""

    api: FakeBotAPI

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.api.clock_offset)


class TimedStack(Stack):
    async def start_bot(self) -> TelegramService:
        router, self.close = await open_router(self.settings, clock=TelegramTime(self.api))
        self.bot = TelegramService(self.settings, router, pacing=Pacing.unlimited())
        self.api.idle_probe = self.bot.idle
        await self.bot.start()
        return self.bot


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with FakeBotAPI() as api:
        s = TimedStack(api, make_settings(api, tmp_path / "knd.sqlite3"))
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


def snapshot(stack: Stack, user: TelegramUser) -> tuple[object, object, int]:
    state, dossier = read_state(stack.db_path, "telegram", str(user.chat.id))
    return state, dossier, revisions(stack)


async def answer_until(
    stack: Stack, user: TelegramUser, player: SamplePlayer, item: int, *, pause: float = 60
) -> None:
    """Answer as the sample says until item ``item`` is asked, ``pause`` seconds apart."""
    for _ in range(40):
        state, _ = read_state(stack.db_path, "telegram", str(user.chat.id))
        if state and state.screen.item == item:
            return
        stack.api.advance_clock(pause)
        await play(stack, user, player, moves=1)
    raise AssertionError(f"item {item} never asked:\n{user.format_transcript()}")


async def test_an_edited_answer_changes_nothing_and_the_note_names_its_item(stack: Stack) -> None:
    api = stack.api
    khoa = person(api)
    player = SamplePlayer(load_sample("a"))
    await answer_until(stack, khoa, player, 4)
    birth = khoa.my_messages()[-1]  # the answer to (3), the birth date
    assert birth.text == "12/07/2001"
    await answer_until(stack, khoa, player, 5)  # (4) answered a minute later
    before = snapshot(stack, khoa)
    shown = len(khoa.bot_messages())

    replies = await khoa.edit(birth, "12/07/2002")

    assert [r.content for r in replies] == [message("platform.edited.item", n=3)]
    assert "/sua 3" in replies[0].content
    assert snapshot(stack, khoa) == before  # no answer, no revision, the cursor stays at (5)

    # Edited once more, or the same edit delivered again: already answered, nothing more.
    await khoa.edit(birth, "13/07/2002", expect_reply=False)
    edit = next(u for u in reversed(api.updates) if "edited_message" in u.payload)
    api.inject_update(edit.payload)
    await api.wait_for_update_ack(edit.update_id)
    await khoa.send("/tiendo")  # answered after whatever the edits would have brought
    transcript = khoa.transcript()
    asked = next(i for i, m in enumerate(transcript) if m.text == "/tiendo")
    assert sum(m.from_bot for m in transcript[:asked]) == shown + 1  # the one note
    assert snapshot(stack, khoa)[1:] == before[1:]


async def test_an_edited_answer_that_was_refused_is_typed_again(stack: Stack) -> None:
    khoa = person(stack.api)
    await answer_until(stack, khoa, SamplePlayer(load_sample("a")), 3)
    stack.api.advance_clock(60)
    await khoa.send("hôm qua")  # not a date: refused, (3) is asked again
    wrong = khoa.my_messages()[-1]
    before = snapshot(stack, khoa)

    replies = await khoa.edit(wrong, "12/07/2001")

    assert [r.content for r in replies] == [message("platform.edited.unknown")]
    assert snapshot(stack, khoa) == before


async def test_the_note_does_not_guess_between_two_answers_sent_together(stack: Stack) -> None:
    khoa = person(stack.api)
    player = SamplePlayer(load_sample("a"))
    await answer_until(stack, khoa, player, 4)
    await answer_until(stack, khoa, player, 6, pause=0)  # (4) and (5) within a second
    sex = next(m for m in reversed(khoa.my_messages()) if m.text == "nam")

    replies = await khoa.edit(sex, "nữ")

    assert [r.content for r in replies] == [message("platform.edited.unknown")]
    _, dossier = read_state(stack.db_path, "telegram", str(khoa.chat.id))
    assert dossier is not None and dossier.answers["gioi_tinh"] == "nam"


async def test_an_edit_before_consent_stores_nothing(stack: Stack) -> None:
    an = person(stack.api)
    await an.send("/start")
    start = an.my_messages()[-1]

    replies = await an.edit(start, "/start abc")

    assert [r.content for r in replies] == [message("platform.edited.other")]
    state, dossier = read_state(stack.db_path, "telegram", str(an.chat.id))
    assert dossier is None and state is not None and state.screen.kind == "consent"
