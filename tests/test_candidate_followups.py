"""Follow-ups of the audits of the candidate's conversation and the checks behind it, driven
through the Router as a person would."""

from __future__ import annotations

from pathlib import Path

import pytest

from forms.checks import run_checks
from handlers.candidate import CandidateFlow
from handlers.router import FixedClock, Router
from storage.db import Database
from tests.samples import load_sample
from tests.test_conversation import TODAY, consented, cursor, seed

CLOSED_A = ["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
            "t:gioi_thieu", "r:anh_chi_em"]  # fmt: skip


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database.open(tmp_path / "followups.sqlite3")
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


# ---------------------------------------------------------------------------------------------
# Flags open the item where they are fixed


async def test_history_running_past_the_start_of_15_opens_item_14(router: Router) -> None:
    """(14)'s last period ran to 12/2019 while (15) starts 09/2019: the flag sat on item 15
    and its "Sửa mục (15)" button opened the table that was right, not the period to cut."""
    client = await consented(router)
    sample = load_sample("a")
    sample.tables["lich_su"][-1]["den"] = "12/2019"
    await seed(router, client, sample, gates={"13": "không", "20": "không"}, closed=CLOSED_A)
    (flag,) = [f for f in run_checks(sample, today=TODAY.date()) if f.key == "X4:handoff"]
    assert (flag.item, flag.table, flag.row) == (14, "lich_su", 3)
    await client.send("/tiendo")
    assert flag.message in client.texts()
    assert "Sửa mục (14)" in client.buttons()
    assert "Sửa mục (15)" not in client.buttons()
    await client.click("Sửa mục (14)")
    assert (await cursor(router, client))["i"] == 14
