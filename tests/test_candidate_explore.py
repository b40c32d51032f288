"""Bugs found by exploratory testing of the candidate's conversation, driven through the Router
as a person would (typing, tapping, going back, coming back later)."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.candidate import CandidateFlow
from handlers.router import FixedClock, Router, build_flows
from storage.db import Database
from tests.chat_client import ChatClient
from tests.samples import load_sample
from tests.test_conversation import TODAY, consented, conversation, cursor, dossier, seed

CLOSED_A = ["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
            "t:gioi_thieu", "r:anh_chi_em"]  # fmt: skip


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "explore.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


async def status(router: Router, client: ChatClient) -> str:
    conv = await conversation(router, client)
    async with router.db.read() as r:
        record = await r.dossiers.get(conv["dossier_id"])
    assert record is not None
    return record.status


# ---------------------------------------------------------------------------------------------
# Submitting


async def test_nop_without_a_chi_bo_keeps_the_dossier_editable(db: Database) -> None:
    """A candidate who never opened an invite link types /nop on a complete dossier: nobody can
    review it, so it must not be locked as "submitted" (before: locked, /sua and /xoa refused)."""
    router = Router(db, FixedClock(TODAY), build_flows())
    client = await consented(router)
    await seed(router, client, load_sample("a"), gates={"13": "không", "20": "không"},
               closed=CLOSED_A)  # fmt: skip
    assert (await cursor(router, client))["k"] == "done"
    await client.send("/nop")
    assert "chi bộ" in client.texts()
    assert await status(router, client) == "draft"
    await client.send("/sua 10")
    assert "(10) Nghề nghiệp hiện nay" in client.texts()
    await client.send("Kỹ sư phần mềm")
    assert (await dossier(router, client)).answers["nghe_nghiep"] == "Kỹ sư phần mềm"
