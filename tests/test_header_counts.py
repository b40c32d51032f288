"""The part header («Phần 8/10 – Hoàn cảnh gia đình: 40/52 câu») is counted over what the
structure remembers (each row's first missing field, per row object; the relations (21)
asks, per gate answers). Whatever changes the dossier or the conversation — answers, gates that open
or close questions, loops closed and reopened, /sua, an edit outside the chat (the web
companion's), a restart — the header shown must be the count made from nothing: each check
below empties every remembered value and asks the same question again."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from admission.clock import FixedClock
from bot.demo import Player
from forms.definition import load_form
from forms.memo import forget_typed_text
from handlers.candidate import CandidateFlow, Screen
from handlers.candidate.structure import structure_for
from handlers.events import Reply
from handlers.router import Router
from storage.core import Change
from storage.db import Database
from tests.chat_client import ChatClient
from tests.samples import load_sample
from tests.test_conversation import conversation, seed

TODAY = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
HEADER = re.compile(r"Phần \d+/\d+ – [^\n]*: (\d+)/(\d+) câu")


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


def header(replies: list[Reply]) -> str | None:
    """The last part header in ``replies``."""
    found = [m.group(0) for r in replies for m in HEADER.finditer(r.text or "")]
    return found[-1] if found else None


async def counted_afresh(ask_again: ChatClient | Player) -> str | None:
    """The header of the question on screen, with nothing remembered: the count from the
    dossier and the conversation alone."""
    forget_typed_text()
    return header(await ask_again.send("/trogiup"))


async def test_every_question_of_a_whole_conversation_counts_as_from_nothing(
    router: Router,
) -> None:
    # Sample B: married, siblings on both sides, children — every gate, loop and relation.
    player = Player(router, load_sample("b"), user_id="2001", platform="test")
    checked = 0

    async def answer_and_check(screen: Screen) -> None:
        nonlocal checked
        before = len(player.replies)
        await Player.answer(player, screen)
        shown = header(player.replies[before:])
        if shown is not None:
            assert await counted_afresh(player) == shown, screen
            checked += 1

    player.answer = answer_and_check  # type: ignore[method-assign]
    await player.play()
    assert checked > 200


async def test_a_gate_closed_by_sua_and_an_edit_outside_the_chat_are_counted(
    router: Router,
) -> None:
    client = ChatClient(router, user_id="2002")
    await client.send("/start")
    await client.click("Tôi đồng ý")
    sample = load_sample("b")
    await seed(router, client, sample)
    await client.send("/sua 21")
    married = header(client.history)
    assert married is not None and await counted_afresh(client) == married

    # «chưa kết hôn»: the spouse's relations are no longer asked (their rows deleted)
    await client.send("không")
    await client.click("Xóa")
    single = header(client.history)
    assert single is not None and await counted_afresh(client) == single
    assert single != married

    # The web companion saves through Dossiers.apply, not through the chat: the father's
    # year of birth blanked there, and the header of the question asked next counts him open.
    conv = await conversation(router, client)
    async with router.db.transaction() as tx:
        record = await tx.dossiers.get(conv["dossier_id"])
        assert record is not None
        rows = record.dossier.relatives
        father = next(i for i, row in enumerate(rows) if row["quan_he"] == "cha")
        blanked = {**rows[father], "nam_sinh": ""}
        await tx.dossiers.apply(record, [Change(f"relatives.{father}", blanked)], None)
    edited = header(await client.send("/trogiup"))
    assert edited is not None and await counted_afresh(client) == edited
    assert edited != single


async def test_a_loop_closed_and_reopened_and_a_restart_are_counted(
    router: Router, db: Database
) -> None:
    client = ChatClient(router, user_id="2003")
    await client.send("/start")
    await client.click("Tôi đồng ý")
    tables = ["lich_su", "cong_tac", "dao_tao", "nuoc_ngoai", "khen_thuong", "ky_luat"]
    tables += ["gioi_thieu"]
    sample = load_sample("b")
    structure = structure_for(load_form())
    gates = {  # the optional items the sample leaves empty, answered «không»
        str(it.number): "không"
        for it in structure.items
        if it.optional and it.ask and not structure.has_data(it, sample)
    }
    closed = [f"t:{t}" for t in tables]
    await seed(router, client, sample, gates=gates, closed=closed)
    opened = header(client.history)  # the first relation whose people are not closed
    assert opened is not None and await counted_afresh(client) == opened

    await client.click("Xong")  # that relation is finished: one more counted
    finished = header(client.history)
    assert finished is not None and await counted_afresh(client) == finished
    assert finished != opened

    await client.click("Thêm")  # a new person of the next relation: its loop reopened
    added = header(client.history)
    assert added is not None and await counted_afresh(client) == added

    # a restart: another router over the same database, the chat resumed with /start
    again = ChatClient(Router(db, FixedClock(TODAY), [CandidateFlow()]), user_id="2003")
    resumed = header(await again.send("/start"))
    assert resumed is not None and await counted_afresh(again) == resumed
