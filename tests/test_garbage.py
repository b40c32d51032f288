"""An update's objects are freed as soon as it ends (issue 17), not left to the garbage
collector. A session and its repositories, a turn and its navigator, the checks' context and
the texts of its stored values each pointed at the other: every update left ~56 objects in
reference cycles, and the collections that freed them cost ≈ 20 µs per update
(docs/benchmarks.md, session 9)."""

from __future__ import annotations

import gc
from collections import Counter
from datetime import date

from bot.app import build_flows
from forms.checks import run_checks
from handlers.router import Router
from storage.db import Database
from tests.chat_client import ChatClient
from tests.review_harness import fill_from_sample
from tests.samples import load_sample


def cyclic_garbage() -> Counter[str]:
    """The types of the objects only the collector could free since it last ran."""
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        return Counter(type(o).__qualname__ for o in gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def test_answers_leave_nothing_for_the_garbage_collector(db: Database) -> None:
    client = ChatClient(Router(db, flows=build_flows()))
    await client.send("/start")
    await client.click("Tôi đồng ý")
    await fill_from_sample(db, "test", client.user_id, load_sample("a"))
    await client.send("TRẦN MINH KHOA")  # whatever the first use of each path fills in
    gc.collect()
    gc.disable()
    try:
        await client.send("TRẦN MINH KHOA")
        await client.send("/sua 21")
        await client.send("Nông dân")
        async with db.read() as r:
            await r.dossiers.current_for(1)
        assert cyclic_garbage() == Counter()
    finally:
        gc.enable()


def test_the_checks_of_a_whole_dossier_leave_nothing_for_the_garbage_collector() -> None:
    sample = load_sample("a")
    run_checks(sample, today=date(2026, 3, 17))  # the first run fills the caches in
    gc.collect()
    gc.disable()
    try:
        run_checks(sample, today=date(2026, 3, 17))
        assert cyclic_garbage() == Counter()
    finally:
        gc.enable()
