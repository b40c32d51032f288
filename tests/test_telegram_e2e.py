"""End to end: candidates fill the 2-KNĐ through python-telegram-bot's real client, against the
local fake Bot API, with the real router, flows and SQLite database.

Each candidate is a :class:`tests.telegram_player.SamplePlayer` copying a sample dossier: it
reads the question on screen, types the answer or taps the button that means it. The tests
never sleep: every step waits until the bot is idle (``TelegramService.idle``: every stored
update processed, every reply delivered).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from admission.clock import SystemClock, local_date
from bot.app import open_router
from bot.pacing import Pacing
from bot.settings import Settings
from bot.telegram_service import TelegramService
from forms import texts
from forms.checks import errors, run_checks
from forms.dossier import Dossier
from forms.model import FieldDef, Kind
from forms.vn import fold
from tests.fake_bot_api import FakeBotAPI, SentFile
from tests.samples import load_sample
from tests.telegram_player import Move, SamplePlayer, _reader, button_for, read_state
from tests.tg_client import TelegramUser

MAX_MOVES = 900


@dataclass
class Stack:
    """The fake Telegram plus one running bot (TelegramService) on a database file."""

    api: FakeBotAPI
    settings: Settings
    bot: TelegramService | None = None
    close: Any = None
    #: settle on "the bot is idle" (exact for one person; with many people typing at once
    #: the bot is rarely idle, so each person waits for their own next question)
    exact_idle: bool = True

    @property
    def db_path(self) -> Path:
        return self.settings.db_path

    async def start_bot(self) -> TelegramService:
        router, self.close = await open_router(self.settings)
        self.bot = TelegramService(self.settings, router, pacing=Pacing.unlimited())
        if self.exact_idle:
            self.api.idle_probe = self.bot.idle
        else:
            self.api.idle_probe = None
        await self.bot.start()
        return self.bot

    async def stop_bot(self) -> None:
        if self.bot is not None:
            await self.bot.stop()
            self.bot = None
        if self.close is not None:
            await self.close()
            self.close = None


def make_settings(api: FakeBotAPI, db_path: Path, **extra: Any) -> Settings:
    return Settings(
        _env_file=None,
        bot_token=api.token,
        api_base_url=api.base_url,
        api_file_url=api.base_file_url,
        db_path=db_path,
        polling_timeout=10,
        **extra,
    )


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    async with FakeBotAPI() as api:
        s = Stack(api, make_settings(api, tmp_path / "knd.sqlite3"))
        await s.start_bot()
        try:
            yield s
        finally:
            await s.stop_bot()


def person(api: FakeBotAPI, name: str = "Trần Minh Khoa") -> TelegramUser:
    return TelegramUser(api, first_name=name, quiet=0.0, timeout=10.0)


async def act(stack: Stack, user: TelegramUser, move: Move) -> list[Any]:
    """Do ``move`` as the person: type the text, or tap the button that carries the action."""
    if move.kind == "text":
        return await user.send(move.value)
    for message in reversed(user.bot_messages()):
        button = (
            button_for(message.inline_keyboard, move.value) if message.inline_keyboard else None
        )
        if button is not None:
            api = stack.api
            since = api.last_seq
            update = api.user_clicks(
                user.user, user.chat, message.message_id, button["callback_data"]
            )
            query_id = update["callback_query"]["id"]
            replies = await api.settle(
                user.chat,
                since_seq=since,
                update_id=update["update_id"],
                callback_id=query_id,
                timeout=user.timeout,
                quiet=0.0,
            )
            assert api.callback_queries[query_id].answered, "spinner never stopped"
            return replies
        if message.inline_keyboard:
            break
    raise AssertionError(f"no button {move.value!r} on screen:\n{user.format_transcript()}")


async def crowd_act(stack: Stack, user: TelegramUser, move: Move) -> None:
    """Like :func:`act` for one of many people typing at once: wait only for one's own chat.

    Done when the newest message in the chat carries exactly the buttons of the question the
    flow stored (the router commits before replying, so the database is ahead of the screen).
    """
    api = stack.api
    chat_id = user.chat.id
    messages = api._chats[chat_id].messages if chat_id in api._chats else []
    query_id = None
    if move.kind == "text":
        api.user_sends_text(user.user, user.chat, move.value)
    else:
        for message in reversed(messages):
            button = button_for(message.inline_keyboard, move.value)
            if button is not None:
                update = api.user_clicks(
                    user.user, user.chat, message.message_id, button["callback_data"]
                )
                query_id = update["callback_query"]["id"]
                break
            if message.inline_keyboard:
                raise AssertionError(f"no button {move.value!r}:\n{user.format_transcript()}")
    messages = api._chats[chat_id].messages
    before = len(messages)  # the person's own message included
    cache: dict[str, Any] = {}

    def done() -> bool:
        if len(messages) <= before or not messages[-1].from_bot:
            return False
        if query_id is not None and not api.callback_queries[query_id].answered:
            return False
        latest = messages[-1]
        if cache.get("seen") != (len(messages), latest.message_id):
            state, _ = read_state(stack.db_path, "telegram", str(chat_id))
            cache["seen"] = (len(messages), latest.message_id)
            cache["expected"] = {a for _, a in state.sent_buttons()} if state else set()
        actions = {b.get("callback_data") for row in latest.inline_keyboard for b in row}
        return actions == cache["expected"]

    loop = asyncio.get_running_loop()
    deadline = loop.time() + user.timeout
    while not done():
        waiter = _chat_waiter(api, chat_id)
        try:
            await asyncio.wait_for(waiter, deadline - loop.time())
        except TimeoutError:
            raise AssertionError(f"no answer in time:\n{user.format_transcript()}") from None


def _chat_waiter(api: FakeBotAPI, chat_id: int) -> asyncio.Future[None]:
    """A future resolved by the next event in ``chat_id`` (the fake's own ``wait_for`` wakes
    every waiter on every change, which is quadratic with many people)."""
    waiters: dict[int, asyncio.Future[None]] | None = getattr(api, "_chat_waiters", None)
    if waiters is None:
        waiters = {}
        original = api._event

        def hooked(state: Any, kind: str, message_id: Any, detail: Any = None) -> Any:
            event = original(state, kind, message_id, detail)
            future = waiters.pop(state.chat.id, None)
            if future is not None and not future.done():
                future.set_result(None)
            return event

        api._event = hooked  # type: ignore[method-assign]
        api._chat_waiters = waiters  # type: ignore[attr-defined]
    future = waiters.get(chat_id)
    if future is None or future.done():
        future = waiters[chat_id] = asyncio.get_running_loop().create_future()
    return future


async def play(
    stack: Stack, user: TelegramUser, player: SamplePlayer, *, moves: int = MAX_MOVES
) -> int:
    """Let ``player`` answer until it is finished (or ``moves`` were made); returns moves."""
    made = 0
    while made < moves:
        state, dossier = read_state(stack.db_path, "telegram", str(user.chat.id))
        move = player.next_move(state, dossier) if state else Move("text", "/start")
        if move.kind == "done":
            return made
        if stack.exact_idle:
            await act(stack, user, move)
        else:
            await crowd_act(stack, user, move)
        made += 1
    if moves == MAX_MOVES:
        raise AssertionError(f"not finished after {moves} moves:\n{user.format_transcript()}")
    return made


def dossier_of(stack: Stack, user: TelegramUser) -> Dossier:
    _, dossier = read_state(stack.db_path, "telegram", str(user.chat.id))
    assert dossier is not None
    return dossier


def revisions(stack: Stack) -> int:
    return int(
        _reader(stack.db_path).execute("SELECT COUNT(*) FROM answer_revisions").fetchone()[0]
    )


def docx_text(file: SentFile) -> str:
    document = file.as_docx()
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return re.sub(r"\s+", " ", "\n".join(parts))


def assert_same_content(got: Dossier, want: Dossier) -> None:
    assert got.answers == {k: v for k, v in want.answers.items() if k in got.answers}
    missing = {k for k, v in want.answers.items() if v and k not in got.answers}
    assert not missing, f"answers never given: {missing}"
    assert got.tables == {k: v for k, v in want.tables.items() if v}
    # the chat files relatives in the form's relation order; a sample may list them otherwise
    assert sorted(map(_key, got.relatives)) == sorted(map(_key, want.relatives))


def _key(row: dict[str, str]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False)


# ------------------------------------------------------------------------------- the journey


async def test_candidate_completes_sample_a_and_receives_a_matching_docx(stack: Stack) -> None:
    sample = load_sample("a")
    khoa = person(stack.api)
    moves = await play(stack, khoa, SamplePlayer(sample))
    assert moves > 100  # the whole form, one question at a time
    got = dossier_of(stack, khoa)
    assert_same_content(got, sample)

    documents = khoa.documents()
    assert documents and documents[-1].filename.endswith(".docx")
    text = docx_text(documents[-1])
    for field_id, value in sample.answers.items():
        if value and not re.fullmatch(r"\d\d/\d\d/\d{4}", value):
            assert re.sub(r"\s+", " ", value) in text, f"{field_id} missing from the .docx"
    for rows in sample.tables.values():
        for row in rows:
            for key, value in row.items():
                if value and key not in ("tu", "den"):
                    assert re.sub(r"\s+", " ", value) in text, f"row value {key} missing"
    for relative in sample.relatives:
        assert relative["ho_ten"] in text

    every = stack.api.bot_messages(khoa.chat)
    assert all(len(m.content) <= 4096 for m in every)
    assert all(
        len(b["callback_data"].encode()) <= 64
        for m in every
        for row in m.inline_keyboard
        for b in row
    )
    assert not stack.api.unanswered_callback_queries()


async def test_restart_halfway_resumes_at_the_same_question(stack: Stack) -> None:
    sample = load_sample("a")
    an = person(stack.api)
    player = SamplePlayer(sample)
    await play(stack, an, player, moves=60)
    state_before, dossier_before = read_state(stack.db_path, "telegram", str(an.chat.id))
    revisions_before = revisions(stack)
    question_before = an.last_message().content

    await stack.stop_bot()  # the process goes away…
    await stack.start_bot()  # …and a new one (new Application, new Router) takes over

    state_after, dossier_after = read_state(stack.db_path, "telegram", str(an.chat.id))
    assert state_after is not None and state_before is not None
    assert state_after.screen == state_before.screen
    assert dossier_after == dossier_before and revisions(stack) == revisions_before
    # The person answers the question they were looking at; it lands on that question.
    move = player.next_move(state_after, dossier_after)
    await act(stack, an, move)
    assert revisions(stack) > revisions_before or move.kind == "tap"
    assert an.bot_messages()[-1].content != question_before
    await play(stack, an, player)
    assert_same_content(dossier_of(stack, an), sample)


async def test_the_same_update_delivered_twice_changes_nothing(stack: Stack) -> None:
    sample = load_sample("a")
    an = person(stack.api)
    player = SamplePlayer(sample)
    await play(stack, an, player, moves=12)
    state, dossier = read_state(stack.db_path, "telegram", str(an.chat.id))
    move = player.next_move(state, dossier)
    assert move.kind == "text"
    await act(stack, an, move)
    original = next(u for u in reversed(stack.api.updates) if "message" in u.payload)
    count, seen = revisions(stack), len(an.bot_messages())
    state_once = read_state(stack.db_path, "telegram", str(an.chat.id))

    copy = stack.api.inject_update(original.payload)
    assert copy["update_id"] == original.update_id
    await stack.api.wait_for_update_ack(original.update_id)
    assert stack.bot is not None
    await asyncio.wait_for(stack.bot.idle(), 5)

    assert revisions(stack) == count
    assert len(an.bot_messages()) == seen
    assert read_state(stack.db_path, "telegram", str(an.chat.id)) == state_once


NAMES = [
    "AN", "BÌNH", "CHI", "DŨNG", "GIANG", "HÀ", "HẢI", "HẠNH", "HIẾU", "HOA",
    "HÙNG", "HƯƠNG", "KHÁNH", "LAN", "LINH", "LONG", "MAI", "MINH", "NAM", "NGỌC",
]  # fmt: skip


def personal_sample(index: int) -> Dossier:
    """Sample A or B with this candidate's own name, so any mix-up shows."""
    sample = load_sample("ab"[index % 2])
    family = sample.answers["ho_ten"].rsplit(" ", 1)[0]
    name = f"{family} {NAMES[index]}"
    sample.answers["ho_ten"] = name
    sample.answers["ky_ten"] = name
    return sample


@pytest.mark.sqlite_only  # 60 s on PostgreSQL here; the workers' tests load it
async def test_twenty_candidates_at_once_never_mix_answers(stack: Stack) -> None:
    """Twenty people fill the first parts at the same time (identity, origins, schooling,
    the first table rows: ~1600 updates); each dossier holds exactly its own answers."""
    stack.exact_idle = False
    stack.api.idle_probe = None
    people = [person(stack.api, f"Ứng viên {i}") for i in range(20)]
    samples = [personal_sample(i) for i in range(20)]
    await asyncio.gather(
        *(play(stack, p, SamplePlayer(s), moves=80) for p, s in zip(people, samples, strict=True))
    )
    for p, sample in zip(people, samples, strict=True):
        got = dossier_of(stack, p)
        assert got.answers["ho_ten"] == sample.answers["ho_ten"]
        assert len(got.answers) > 15
        assert got.answers == {k: v for k, v in sample.answers.items() if k in got.answers}
        for table, rows in got.tables.items():  # the last row may be half typed
            for row, wanted in zip(rows, sample.rows(table), strict=False):
                assert row == {k: v for k, v in wanted.items() if k in row}


def messy(field: FieldDef, text: str) -> str:
    """How a hurried candidate on an unaccented keyboard types."""
    if field.kind is Kind.DATE:
        day, month, year = text.split("/")
        return f"{int(day)}.{int(month)}.{year}"
    if field.kind is Kind.NAME:
        return text.lower()
    if field.kind in (Kind.ADDRESS_ORIGIN, Kind.ADDRESS_RESIDENCE, Kind.ETHNICITY):
        return fold(text)
    if field.kind is Kind.GENDER:
        return fold(text).upper()
    return text


async def test_unaccented_messy_candidate_still_ends_with_a_clean_dossier(stack: Stack) -> None:
    sample = load_sample("a")
    an = person(stack.api, "khoa")
    await play(stack, an, SamplePlayer(sample, typist=messy, accept_suggestions=True))
    got = dossier_of(stack, an)
    assert got.answers["ho_ten"] == sample.answers["ho_ten"]  # capitals restored
    assert got.answers["ngay_sinh"] == sample.answers["ngay_sinh"]  # 12.7.2001 → 12/07/2001
    assert got.answers["dan_toc"] == sample.answers["dan_toc"]
    for relative, wanted in zip(got.relatives, sample.relatives, strict=True):
        assert relative["ho_ten"] == wanted["ho_ten"]
    # checked as of the bot's day (Vietnam's): the signing date, far from today in the sample,
    # was offered as today's and accepted
    assert not errors(run_checks(got, today=local_date(SystemClock().now())))


# ------------------------------------------------------------------------------- platform


async def test_commands_are_registered_in_vietnamese(stack: Stack) -> None:
    from handlers.candidate import COMMANDS

    call = await stack.api.wait_for_call("setMyCommands")
    registered = {c["command"]: c["description"] for c in call.params["commands"]}
    assert registered == dict(COMMANDS)
    assert {"tiendo", "sua", "xem", "nop", "huy", "xoa", "trogiup"} <= set(registered)
    assert all(fold(d) != d for d in registered.values())  # written with diacritics


async def test_webhook_mode_serves_the_conversation(tmp_path: Path, unused_tcp_port: int) -> None:
    async with FakeBotAPI() as api:
        settings = make_settings(
            api,
            tmp_path / "knd.sqlite3",
            webhook_url=f"http://127.0.0.1:{unused_tcp_port}/hook",
            webhook_port=unused_tcp_port,
            webhook_path="hook",
            webhook_secret="e2e_SECRET-42",
        )
        s = Stack(api, settings)
        await s.start_bot()
        try:
            an = person(api)
            await play(s, an, SamplePlayer(load_sample("a")), moves=8)
            _, dossier = read_state(s.db_path, "telegram", str(an.chat.id))
            assert dossier is not None and dossier.answers.get("ho_ten") == "TRẦN MINH KHOA"
            # edits are subscribed in webhook mode too: the person hears they are not read
            note = await an.edit(an.my_messages()[-1], "Trần Minh Khoa")
            notes = {texts.message("platform.edited.item", n=n) for n in range(1, 27)}
            notes.add(texts.message("platform.edited.unknown"))
            assert len(note) == 1 and note[0].content in notes
            assert all(d.status == 200 for d in api.webhook_deliveries)
        finally:
            await s.stop_bot()
