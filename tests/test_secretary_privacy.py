"""Issue 11 on the secretaries' side: group chats carry no content.

A summary, a digest or a step screen posted in a group shows counts, dossier numbers, units
and steps — candidates' names only where the unit's secretary allowed it (/hienten), never a
relative's name, an address abroad, a nationality, or the birth date of a candidate under 18.
Those go privately, to a secretary or reviewer who oversees the dossier, on request ("Xem chi
tiết"), and every message that shows them is recorded as a view in ``audit_log``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from handlers.events import Chat, Reply
from handlers.secretary import Notifier
from handlers.stages import record_step
from storage.reviews import Org
from tests.secretary_world import (
    TODAY,
    World,
    approve_fully,
    approved,
    at,
    build_world,
    d,
    new_dossier,
)
from tests.test_secretary import GROUP, ROOT_GROUP, by_chat, only_text, run

CANDIDATE = "TRẦN MINH KHOA"
FATHER = {"quan_he": "cha", "ho_ten": "TRẦN VĂN HÙNG", "nam_sinh": "1970",
          "cu_tru": "Số 5 đường Itaewon, Seoul, Hàn Quốc", "o_nuoc_ngoai": "có",
          "quoc_tich": "Hàn Quốc"}  # fmt: skip
MOTHER = {"quan_he": "me", "ho_ten": "LÊ THỊ LAN", "nam_sinh": "1972",
          "cu_tru": "thôn Đông, xã An Lạc, tỉnh Hưng Yên", "o_nuoc_ngoai": "không"}  # fmt: skip
SON = {"quan_he": "con", "ho_ten": "TRẦN MINH AN", "nam_sinh": "1998", "cu_tru": "Tokyo, Nhật Bản"}
YOUNG = "ĐẶNG THỊ MƯỜI BẢY"
BIRTH, ADULT = "15/03/2009", "15/03/2027"
# what a group never reads, whatever the unit allows
DETAILS = ("TRẦN VĂN HÙNG", "Seoul", "Hàn Quốc", "TRẦN MINH AN", "Tokyo", BIRTH, ADULT)
WORLD_NAMES = (
    "LÊ VĂN MỘT", "TRẦN THỊ HAI", "PHẠM VĂN BA", "HOÀNG THỊ BỐN", "VŨ VĂN NĂM", "ĐỖ THỊ SÁU",
    "NGÔ VĂN BẢY", "ĐINH VĂN TÁM", "BÙI THỊ CHÍN", "LÝ VĂN MƯỜI", "MAI THỊ MƯỜI MỘT",
    "TÔ VĂN MƯỜI HAI", "HÀ THỊ MƯỜI BA", "TẠ VĂN MƯỜI BỐN", "KIỀU VĂN MƯỜI SÁU",
    CANDIDATE, YOUNG,
)  # fmt: skip


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    async with w.db.transaction(at(TODAY)) as tx:
        org = tx.repo(Org)
        await org.bind_group(w.alpha.id, GROUP.platform, GROUP.id)
        await org.bind_group(w.root.id, ROOT_GROUP.platform, ROOT_GROUP.id)
        for uid in ("sec", "rev-a1", "rev-alpha"):
            await org.note_private_chat("tg", uid, uid)
    # Chi bộ Kỹ thuật: the father lives in Korea (item 21); his verification is overdue
    number = await new_dossier(
        w, "K", w.a1, d("02/01/2026"), name=CANDIDATE, relatives=[FATHER, MOTHER, SON]
    )
    await approve_fully(w, number, d("15/01/2026"), d("01/02/2026"))
    for step, day, person in (
        ("ban_viet_tay", "03/02/2026", ""),
        ("tham_tra_gui", "05/02/2026", "cha"),
    ):
        async with w.db.transaction(at(d(day), 15)) as tx:
            await record_step(
                tx, number, step, d(day), today=d(day), person=person, recorded_by=w.secretary
            )
    # an approved candidate who turns 18 only next year
    await approved(
        w, "Y", w.a1, YOUNG, "01/06/2026 01/09/2026 15/09/2026", "16/09/2026", birth=BIRTH
    )
    yield w
    await w.db.close()


async def views(world: World, dossier_id: int) -> list[dict[str, Any]]:
    async with world.db.read() as r:
        rows = await r.audit.for_dossier(dossier_id)
    return [row for row in rows if row["action"] == "view"]


def assert_no_content(text: str, *, names: bool = False) -> None:
    for detail in DETAILS:
        assert detail not in text, detail
    if not names:
        for name in WORLD_NAMES:
            assert name not in text, name


def actions(replies: list[Reply]) -> list[str]:
    return [b.action for r in replies for row in r.buttons for b in row]


# -- summaries and digests ---------------------------------------------------------------------


async def test_a_group_summary_shows_numbers_not_names_nor_details(world: World) -> None:
    k, y = world.dossiers["K"], world.dossiers["Y"]
    for uid in ("sec", "rev-alpha"):
        replies = await run(world, uid, "tinhhinh", chat=GROUP)
        text = only_text(replies)
        assert_no_content(text)
        assert f"Hồ sơ số {k} (Chi bộ Kỹ thuật): gửi thẩm tra cha ở nước ngoài" in text
        assert "(lý lịch ghi người được thẩm tra ở nước ngoài)" in text
        assert f"Hồ sơ số {y} (Chi bộ Kỹ thuật)" in text
        assert "Xem chi tiết" in text
        assert f"sec:ct:{world.alpha.id}" in actions(replies)
        assert all(r.chat is None for r in replies)
    assert await views(world, k) == [] and await views(world, y) == []


async def test_a_private_summary_gives_the_details_and_records_each_view(world: World) -> None:
    k, y = world.dossiers["K"], world.dossiers["Y"]
    replies = await run(world, "sec", "tinhhinh")
    assert [r.protect for r in replies if r.text] == [True]
    text = only_text(replies)
    assert "TRẦN VĂN HÙNG (Số 5 đường Itaewon, Seoul, Hàn Quốc), quốc tịch Hàn Quốc" in text
    assert f"{YOUNG} (Chi bộ Kỹ thuật): sinh ngày {BIRTH}, đủ 18 tuổi ngày {ADULT}" in text
    for dossier in (k, y):
        (view,) = await views(world, dossier)
        assert view["person_id"] == world.secretary
        assert view["detail"] == {"what": "summary", "as": "secretary"}
    # a dossier listed without details (a plain overdue clock) is not a view of its content
    assert await views(world, world.dossiers["D10"]) == []


async def test_a_withdrawn_dossier_leaves_no_details_in_a_private_summary(world: World) -> None:
    """Its verification abroad was left pending: the gate no longer lets anyone but the
    candidate read the dossier, so its detailed line goes and no view is recorded; and a
    withdrawn dossier is out of the clocks, so neither the summary nor the digest counts it."""
    from admission import lifecycle

    k = world.dossiers["K"]
    async with world.db.transaction(at(TODAY)) as tx:
        record = await tx.dossiers.get(k)
        assert record is not None
        await tx.dossiers.set_status(record, lifecycle.target(lifecycle.Move.WITHDRAW, "approved"))
    text = only_text(await run(world, "sec", "tinhhinh"))
    assert "TRẦN VĂN HÙNG" not in text and "Seoul" not in text
    assert YOUNG in text  # the other dossier's details are still there
    assert await views(world, k) == []
    # nor is it overdue work any more: only the other dossier's verification is counted
    assert "chưa có kết quả: 1\n   – ĐINH VĂN TÁM" in text
    digest = only_text(await Notifier(world.db).due_notifications(at(TODAY, 9)))
    assert "Việc mới quá hạn" in digest and f"Hồ sơ số {k} " not in digest


async def test_details_are_sent_privately_from_the_group(world: World) -> None:
    k = world.dossiers["K"]
    tap = f"sec:ct:{world.alpha.id}"
    replies = await run(world, "rev-alpha", action=tap, chat=GROUP)
    private = [r for r in replies if r.chat == Chat("tg", "rev-alpha", "private")]
    assert private and "TRẦN VĂN HÙNG" in private[0].text and BIRTH in private[0].text
    in_group = [r for r in replies if r.chat is None]
    assert [r.text for r in in_group] == [""]  # only a notice to the tapper
    assert "tin nhắn riêng" in in_group[0].toast
    (view,) = await views(world, k)
    assert view["person_id"] == world.reviewer_alpha and view["detail"]["as"] == "reviewer"


async def test_no_private_chat_no_details_and_no_view(world: World) -> None:
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).grant(world.alpha.id, world.outsider, "reviewer", None)
    replies = await run(world, "outsider", action=f"sec:ct:{world.alpha.id}", chat=GROUP)
    assert len(replies) == 1 and not replies[0].text and replies[0].chat is None
    assert "mở chat riêng" in replies[0].toast
    assert await views(world, world.dossiers["K"]) == []


async def test_outsiders_tapping_details_get_nothing(world: World) -> None:
    for uid in ("outsider", "cand-D1", "rev-a1"):  # rev-a1: not in the group's unit
        replies = await run(world, uid, action=f"sec:ct:{world.alpha.id}", chat=GROUP)
        assert all(r.chat is None for r in replies)
        assert_no_content(only_text(replies))
    assert await views(world, world.dossiers["K"]) == []


async def test_the_unit_secretary_allows_names_in_its_group(world: World) -> None:
    refused = only_text(await run(world, "rev-alpha", "hienten", "bật", chat=GROUP))
    assert "Chỉ bí thư hoặc văn phòng cấp ủy" in refused
    before = only_text(await run(world, "sec", "hienten", chat=GROUP))
    assert "không được xem họ tên" in before and "/hienten bật" in before
    on = only_text(await run(world, "sec", "hienten", "bật", chat=GROUP))
    assert "Đảng bộ Công ty Alpha ghi cả họ tên" in on
    text = only_text(await run(world, "rev-alpha", "tinhhinh", chat=GROUP))
    assert CANDIDATE in text and YOUNG in text
    assert_no_content(text, names=True)  # still no relative, address abroad or birth date
    # the root's group is another unit: still numbers only
    assert CANDIDATE not in only_text(await run(world, "sec", "tinhhinh", chat=ROOT_GROUP))
    off = only_text(await run(world, "sec", "hienten", "tắt", chat=GROUP))
    assert "chỉ ghi số hồ sơ" in off
    assert CANDIDATE not in only_text(await run(world, "rev-alpha", "tinhhinh", chat=GROUP))
    async with world.db.read() as r:
        rows = await r.fetchall(
            "SELECT person_id, unit_id, detail FROM audit_log WHERE action = 'names_in_group'"
            " ORDER BY id"
        )
    assert [tuple(row) for row in rows] == [
        (world.secretary, world.alpha.id, '{"on":true}'),
        (world.secretary, world.alpha.id, '{"on":false}'),
    ]


async def test_the_daily_digest_in_a_group_carries_no_content(world: World) -> None:
    digests = await Notifier(world.db).due_notifications(at(TODAY, 8))
    groups = [r for r in digests if r.chat is not None and r.chat.kind == "group"]
    assert {r.chat.id for r in groups if r.chat} == {GROUP.id, ROOT_GROUP.id}
    for digest in groups:
        assert_no_content(digest.text)
        assert f"Hồ sơ số {world.dossiers['K']} (Chi bộ Kỹ thuật)" in digest.text
        assert [b.label for row in digest.buttons for b in row] == ["🔒 Xem chi tiết (gửi riêng)"]


async def test_a_digest_names_candidates_only_where_the_unit_allowed_it(world: World) -> None:
    await run(world, "sec", "hienten", "bật", chat=GROUP)
    digests = by_chat(await Notifier(world.db).due_notifications(at(TODAY, 8)))
    (alpha,) = digests[GROUP.id]
    assert CANDIDATE in alpha and "ĐINH VĂN TÁM" in alpha
    assert_no_content(alpha, names=True)
    (root,) = digests[ROOT_GROUP.id]
    assert_no_content(root)


# -- step screens ------------------------------------------------------------------------------


async def test_step_screens_in_a_group_carry_no_details(world: World) -> None:
    k, y = world.dossiers["K"], world.dossiers["Y"]
    screens = [
        await run(world, "sec", "buoc", str(k), chat=GROUP),
        await run(world, "sec", action=f"sec:cd:{k}", chat=GROUP),
        await run(world, "sec", action=f"sec:wp:{k}:g", chat=GROUP),
        await run(world, "sec", action=f"sec:as:{k}:tham_tra_gui:con1", chat=GROUP),
        await run(world, "sec", action=f"sec:wp:{k}:v", chat=GROUP),
        await run(world, "sec", "buoc", str(y), chat=GROUP),
        await run(world, "sec", "buoc", f"{y} chibo hôm nay", chat=GROUP),
        await run(world, "sec", "buoc", chat=GROUP),
    ]
    for replies in screens:
        text = only_text(replies) + " ".join(
            b.label for r in replies for row in r.buttons for b in row
        )
        assert_no_content(text)
    card = only_text(screens[0])
    assert card.startswith(f"Hồ sơ số {k} (Chi bộ Kỹ thuật)")
    assert "Tính 90 ngày làm việc vì lý lịch ghi người được thẩm tra ở nước ngoài." in card
    assert f"sec:cp:{k}" in actions(screens[0])
    assert "Theo lý lịch, người được thẩm tra ở nước ngoài" in only_text(screens[3])
    refusal = only_text(screens[6])
    assert "chưa đủ 18 tuổi" in refusal and f"/buoc {y} trong tin nhắn riêng" in refusal
    assert await views(world, k) == [] and await views(world, y) == []


async def test_step_screens_in_private_show_details_and_record_each_view(world: World) -> None:
    k, y = world.dossiers["K"], world.dossiers["Y"]
    shown = await run(world, "sec", "buoc", str(k))
    assert all(r.protect for r in shown if r.text)  # kept from being forwarded
    card = only_text(shown)
    assert card.startswith(f"Hồ sơ số {k} — {CANDIDATE} (Chi bộ Kỹ thuật)")
    assert "TRẦN VĂN HÙNG (Số 5 đường Itaewon, Seoul, Hàn Quốc)" in card
    send = (await run(world, "sec", action=f"sec:wp:{k}:g"))[0]
    assert "con (thứ 1): TRẦN MINH AN · ở nước ngoài" in [
        b.label for row in send.buttons for b in row
    ]
    ask = only_text(await run(world, "rev-a1", action=f"sec:as:{k}:tham_tra_gui:con1"))
    assert "TRẦN MINH AN (Tokyo, Nhật Bản)" in ask
    assert f"đủ 18 tuổi (tính theo tháng) vào ngày {ADULT}" in only_text(
        await run(world, "sec", "buoc", str(y))
    )
    seen = [(v["person_id"], v["detail"]) for v in await views(world, k)]
    assert seen == [
        (world.secretary, {"what": "stage_card", "as": "secretary"}),
        (world.secretary, {"what": "stage_person", "as": "secretary"}),
        (world.reviewer_a1, {"what": "stage_date", "as": "reviewer"}),
    ]
    assert [v["detail"]["what"] for v in await views(world, y)] == ["stage_card"]
    # a screen without details is no view: the card of a dossier with no relative abroad
    plain = await run(world, "sec", "buoc", str(world.dossiers["D9"]))
    assert await views(world, world.dossiers["D9"]) == []
    assert not any(r.protect for r in plain)


async def test_a_card_details_button_sends_the_card_privately(world: World) -> None:
    k = world.dossiers["K"]
    replies = await run(world, "sec", action=f"sec:cp:{k}", chat=GROUP)
    private = [r for r in replies if r.chat == Chat("tg", "sec", "private")]
    assert private and "TRẦN VĂN HÙNG" in private[0].text
    assert [r.text for r in replies if r.chat is None] == [""]
    assert [v["detail"]["what"] for v in await views(world, k)] == ["stage_card"]
    # a dossier beside the group's unit: refused like any other
    beta = world.dossiers["D9"]
    replies = await run(world, "sec", action=f"sec:cp:{beta}", chat=GROUP)
    assert all(r.chat is None for r in replies) and "Không tìm thấy" in only_text(replies)


async def test_a_step_recorded_in_a_group_names_the_dossier_by_number(world: World) -> None:
    d6 = world.dossiers["D6"]
    text = only_text(await run(world, "sec", "buoc", f"{d6} viettay 18/09/2026", chat=GROUP))
    assert text.startswith(f"Đã ghi: Hồ sơ số {d6} — Nộp bản lý lịch viết tay ngày 18/09/2026")
    assert "ĐỖ THỊ SÁU" not in text


# -- erasure reaches the secretaries' tables ---------------------------------------------------

_SECRETARY_TABLES = ("stage_events", "verifications", "dossier_progress", "dossier_flags")


async def _rows_mentioning(world: World, *needles: str) -> list[tuple[str, str]]:
    found = []
    async with world.db.read() as r:
        for table in _SECRETARY_TABLES:
            for row in await r.fetchall(f"SELECT * FROM {table}"):
                text = " ".join(str(v) for v in row)
                found += [(table, n) for n in needles if n in text]
    return found


async def test_an_erased_dossier_leaves_nothing_in_the_secretaries_tables(world: World) -> None:
    k = world.dossiers["K"]
    needles = (CANDIDATE, "TRẦN VĂN HÙNG", "Seoul")
    assert ("stage_events", "TRẦN VĂN HÙNG") in await _rows_mentioning(world, *needles)
    async with world.db.transaction(at(TODAY)) as tx:
        record = await tx.dossiers.get(k)
        assert record is not None
        await tx.dossiers.erase(record)
    assert await _rows_mentioning(world, *needles) == []
    async with world.db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM stage_events WHERE dossier_id = ?", (k,)) == 0
        row = await r.fetchone(
            "SELECT full_name, birth_d, handwritten_d, verif_sent, phase FROM dossier_progress"
            " WHERE dossier_id = ?",
            (k,),
        )
        assert tuple(row) == ("", None, None, 0, "deleted")
        # the audit keeps that the steps happened, never their content
        steps = await r.fetchall(
            "SELECT detail FROM audit_log WHERE dossier_id = ? AND action = 'stage'", (k,)
        )
    assert len(steps) == 2 and all("HÙNG" not in s[0] for s in steps)
