"""A text answers the question the person saw (issue 10), through python-telegram-bot and the
fake Bot API on the production path.

The issue's trial: the answer to "dân tộc" is committed, the reply carrying the next question
("tôn giáo") fails (once with a 500, twice with a 502, or with a 429 and ``retry_after``),
the candidate — still looking at "dân tộc" — types "Kinh" again, and it was filed as the
religion. Now each question reply records its prompt in the outbox, and the candidate flow
files a text only if the question on display reached the person; otherwise it sends the
question again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import open_router
from bot.delivery import RetryPolicy
from bot.pacing import Pacing
from bot.telegram_service import TelegramService
from tests.fake_bot_api import FakeBotAPI
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer, read_state
from tests.test_telegram_e2e import Stack, make_settings, person, play

RETRY_AFTER = 1.5  # the failed reply waits this long for its retry


class SlowRetryStack(Stack):
    """The production service whose failed replies wait :data:`RETRY_AFTER` to be retried,
    long enough for the candidate to type again meanwhile."""

    async def start_bot(self) -> TelegramService:
        router, self.close = await open_router(self.settings)
        retry = RetryPolicy(first_delay=RETRY_AFTER, max_delay=RETRY_AFTER)
        self.bot = TelegramService(self.settings, router, pacing=Pacing.unlimited(), retry=retry)
        self.api.idle_probe = self.bot.idle
        await self.bot.start()
        return self.bot


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with FakeBotAPI() as api:
        s = SlowRetryStack(api, make_settings(api, tmp_path / "knd.sqlite3"))
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


def screen_of(stack: Stack, chat_id: int) -> str:
    """The address of the screen on display ("" before the conversation starts)."""
    state, _ = read_state(stack.db_path, "telegram", str(chat_id))
    return state.screen.address if state is not None else ""


async def processed(stack: Stack, update: dict) -> None:
    """Wait until ``update`` is stored and processed (not until its replies are sent)."""
    await stack.api.wait_for_update_ack(update["update_id"])
    assert stack.bot is not None
    await stack.bot.intake.idle()


FAILURES = {
    "500-once": {"error_code": 500, "description": "Internal Server Error"},
    "502-twice": {"error_code": 502, "description": "Bad Gateway", "times": 2},
    "429-retry-after": {"retry_after": 1},
}


@pytest.mark.parametrize("failure", FAILURES.values(), ids=FAILURES.keys())
async def test_a_retyped_answer_is_not_filed_under_a_question_never_seen(
    stack: Stack, failure: dict
) -> None:
    api = stack.api
    an = person(api)
    sample = load_sample("a")
    assert sample.answers["dan_toc"] == "Kinh"
    player = SamplePlayer(sample)
    for _ in range(100):
        if screen_of(stack, an.chat.id).endswith(" dan_toc"):
            break
        await play(stack, an, player, moves=1)
    assert screen_of(stack, an.chat.id).endswith(" dan_toc")
    on_screen = an.bot_messages()[-1].content
    assert "dân tộc" in on_screen.lower()

    api.fail_next("sendMessage", **failure)
    await processed(stack, api.user_sends_text(an.user, an.chat, "Kinh"))
    _, dossier = read_state(stack.db_path, "telegram", str(an.chat.id))
    assert dossier is not None and dossier.answers["dan_toc"] == "Kinh"
    assert screen_of(stack, an.chat.id).endswith(" ton_giao")
    assert an.bot_messages()[-1].content == on_screen  # the next question failed: not seen

    # the candidate, still looking at "dân tộc", types the answer again
    await processed(stack, api.user_sends_text(an.user, an.chat, "Kinh"))
    _, dossier = read_state(stack.db_path, "telegram", str(an.chat.id))
    assert dossier is not None
    assert "ton_giao" not in dossier.answers  # nothing filed under the question never seen
    assert screen_of(stack, an.chat.id).endswith(" ton_giao")

    assert api.idle_probe is not None
    await api.idle_probe()  # the retry lands, then the question sent again
    failed = [c for c in api.calls if c.method == "sendMessage" and not c.ok]
    assert len(failed) == failure.get("times", 1)
    latest = an.bot_messages()[-2:]
    assert all("tôn giáo" in m.content.lower() for m in latest)  # asked, and asked again
    await an.send(sample.answers["ton_giao"])
    _, dossier = read_state(stack.db_path, "telegram", str(an.chat.id))
    assert dossier is not None
    assert dossier.answers["dan_toc"] == "Kinh"
    assert dossier.answers["ton_giao"] == sample.answers["ton_giao"] != "Kinh"
