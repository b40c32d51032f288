"""Issue 11, a lifecycle exit on the unit's side: "không kết nạp".

The unit records that it will not admit a candidate (after the 2-KNĐ is approved, before the
admission decision): confirmed first, then written as a step with who and when and an audit
row. The dossier leaves the pipeline — /buoc's list, the overdue clocks, the digest — and the
summary counts it as "Không kết nạp". /huybuoc undoes a mistake.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.secretary import Notifier
from storage.db import utc_iso
from storage.reviews import Org
from storage.stages import StageRecords, UnitRows
from tests.secretary_world import TODAY, World, at, build_world
from tests.test_secretary import GROUP, ROOT_GROUP, by_chat, only_text, run

EARLY = at(TODAY, 7)


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    async with w.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(w.alpha.id, GROUP.platform, GROUP.id)
        await tx.repo(Org).bind_group(w.root.id, ROOT_GROUP.platform, ROOT_GROUP.id)
        await tx.repo(UnitRows).set_names_in_group(w.root.id, True)
    yield w
    await w.db.close()


async def phase(world: World, dossier_id: int) -> str:
    async with world.db.read() as r:
        progress = await r.repo(StageRecords).progress(dossier_id)
    assert progress is not None
    return progress.phase


async def not_admit(world: World, dossier_id: int, day: str, uid: str = "sec") -> str:
    """Type the command, then confirm; the confirmation's text."""
    confirm = (await run(world, uid, "buoc", f"{dossier_id} không kết nạp {day}", when=EARLY))[0]
    action = confirm.buttons[0][0].action
    return only_text(await run(world, uid, action=action, when=EARLY))


async def test_typed_it_asks_to_confirm_before_recording(world: World) -> None:
    d10 = world.dossiers["D10"]  # chi bộ voted 15/06/2026; the decision is late
    replies = await run(world, "sec", "buoc", f"{d10} khongketnap 20/09/2026")
    text = only_text(replies)
    assert text.startswith("Ghi «Không kết nạp» cho LÝ VĂN MƯỜI (hồ sơ số")
    assert "ngày 20/09/2026?" in text and f"/huybuoc {d10}" in text
    labels = {b.label: b.action for row in replies[0].buttons for b in row}
    assert labels == {
        "⛔ Xác nhận không kết nạp": f"sec:nk:{d10}:20260920",
        "Thôi, giữ hồ sơ": f"sec:cd:{d10}",
    }
    assert await phase(world, d10) == "chi_bo"  # nothing recorded yet
    in_group = only_text(
        await run(world, "sec", "buoc", f"{d10} khongketnap 20/09/2026", chat=GROUP)
    )
    assert in_group.startswith(f"Ghi «Không kết nạp» cho hồ sơ số {d10}, ngày 20/09/2026?")
    kept = only_text(await run(world, "sec", action=f"sec:cd:{d10}"))
    assert "Giai đoạn: Chi bộ đã biểu quyết, chờ đảng ủy" in kept


async def test_confirmed_it_is_recorded_with_who_and_when(world: World) -> None:
    d10 = world.dossiers["D10"]
    done = only_text(await run(world, "sec", action=f"sec:nk:{d10}:20260920"))
    assert done.startswith("Đã ghi: LÝ VĂN MƯỜI — Không kết nạp ngày 20/09/2026.")
    assert "Giai đoạn: Không kết nạp" in done and "• Không kết nạp: 20/09/2026" in done
    assert await phase(world, d10) == "not_admitted"
    async with world.db.read() as r:
        events = await r.repo(StageRecords).events(d10)
        audit = await r.audit.for_dossier(d10)
    last = events[-1]
    assert (last.stage, last.recorded_by) == ("khong_ket_nap", world.secretary)
    assert last.recorded_at == utc_iso(at(TODAY))
    row = audit[-1]
    assert row["action"] == "stage" and row["person_id"] == world.secretary
    assert row["detail"] == {"stage": "khong_ket_nap", "on": "2026-09-20"}


async def test_it_leaves_the_pipeline_and_is_counted_apart(world: World) -> None:
    d8, d10 = world.dossiers["D8"], world.dossiers["D10"]  # verifying (father late); vote late
    before = only_text(await run(world, "sec", "tinhhinh", when=EARLY))
    assert "ĐINH VĂN TÁM" in before and "LÝ VĂN MƯỜI" in before
    listed = (await run(world, "rev-a1", "buoc", when=EARLY))[0]
    assert any(b.label.startswith(f"{d10} · ") for row in listed.buttons for b in row)
    assert "Đã ghi: ĐINH VĂN TÁM — Không kết nạp" in await not_admit(world, d8, "22/09/2026")
    assert "Đã ghi: LÝ VĂN MƯỜI — Không kết nạp" in await not_admit(world, d10, "hôm nay")
    after = only_text(await run(world, "sec", "tinhhinh", when=EARLY))
    assert "• Không kết nạp: 2" in after and "Hồ sơ theo giai đoạn (16):" in after
    overdue = after.split("⚠️ Quá hạn", 1)[1].split("Chất lượng hồ sơ", 1)[0]
    assert "ĐINH VĂN TÁM" not in overdue and "LÝ VĂN MƯỜI" not in overdue
    listed = (await run(world, "rev-a1", "buoc", when=EARLY))[0]
    labels = [b.label for row in listed.buttons for b in row]
    assert not any(label.startswith((f"{d8} · ", f"{d10} · ")) for label in labels)
    digests = by_chat(await Notifier(world.db).due_notifications(at(TODAY, 8)))
    for chat in (GROUP.id, ROOT_GROUP.id):  # names in the root's group, numbers in Alpha's
        digest = digests[chat][0]
        assert "ĐINH VĂN TÁM" not in digest and "LÝ VĂN MƯỜI" not in digest
        assert f"Hồ sơ số {d8} (" not in digest and f"Hồ sơ số {d10} (" not in digest
        assert "Hồ sơ số" in digest or "KIỀU VĂN MƯỜI SÁU" in digest  # the others still are
    sheet = load_workbook(io.BytesIO((await run(world, "sec", "xuat"))[0].document.data))["Hồ sơ"]  # type: ignore[union-attr]
    rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(rows[0], next(r for r in rows if r[1] == "LÝ VĂN MƯỜI"), strict=True))
    assert row["Giai đoạn"] == "Không kết nạp"
    assert row["Không kết nạp"].strftime("%d/%m/%Y") == "23/09/2026"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("label", "args", "expected"),
    [
        ("D12", "20/09/2026", "Đã có quyết định kết nạp ngày 01/07/2026"),
        ("D10", "10/06/2026", "sớm hơn bước trước «Chi bộ biểu quyết (6-KNĐ)» (15/06/2026)"),
        ("D10", "30/09/2026", "còn ở phía trước"),
        ("D3", "20/09/2026", "chưa được duyệt lý lịch"),
        ("D9", "", "Hãy ghi ngày của bước này"),
    ],
)
async def test_what_cannot_be_recorded_is_refused_before_any_confirmation(
    world: World, label: str, args: str, expected: str
) -> None:
    number = world.dossiers[label]
    before = await phase(world, number)
    replies = await run(world, "sec", "buoc", f"{number} khongketnap {args}")
    assert expected in only_text(replies) and not replies[0].buttons
    assert await phase(world, number) == before


async def test_after_it_nothing_more_is_recorded_until_undone(world: World) -> None:
    d9 = world.dossiers["D9"]  # verified, waiting for the chi bộ
    await not_admit(world, d9, "20/09/2026")
    for args in (f"{d9} chibo 21/09/2026", f"{d9} khongketnap 21/09/2026"):
        text = only_text(await run(world, "sec", "buoc", args))
        assert "đã ghi «Không kết nạp» ngày 20/09/2026" in text
    card = (await run(world, "sec", "buoc", str(d9)))[0]
    labels = [b.label for row in card.buttons for b in row]
    assert labels == ["↩️ Xóa bước vừa ghi"]
    undone = only_text(await run(world, "sec", "huybuoc", str(d9)))
    assert f"Đã xóa bước vừa ghi của hồ sơ số {d9}: Không kết nạp ngày 20/09/2026" in undone
    assert await phase(world, d9) == "verified"


async def test_the_card_offers_it_and_the_date_buttons_still_ask_to_confirm(world: World) -> None:
    d9 = world.dossiers["D9"]
    card = (await run(world, "sec", "buoc", str(d9)))[0]
    labels = {b.label: b.action for row in card.buttons for b in row}
    assert labels["⛔ Không kết nạp…"] == f"sec:as:{d9}:khong_ket_nap"
    ask = (await run(world, "sec", action=labels["⛔ Không kết nạp…"]))[0]
    assert ask.text.startswith("BÙI THỊ CHÍN — Không kết nạp: chọn ngày")
    today = ask.buttons[0][0]
    assert today.action == f"sec:rc:{d9}:khong_ket_nap:20260923"
    confirm = (await run(world, "sec", action=today.action))[0]
    assert confirm.text.startswith("Ghi «Không kết nạp» cho BÙI THỊ CHÍN")
    assert await phase(world, d9) == "verified"
    await run(world, "sec", action=confirm.buttons[0][0].action)
    assert await phase(world, d9) == "not_admitted"
    # a decided dossier's card does not offer it
    d12 = (await run(world, "sec", "buoc", str(world.dossiers["D12"])))[0]
    assert "⛔ Không kết nạp…" not in [b.label for row in d12.buttons for b in row]


async def test_only_those_who_oversee_the_dossier_may_record_it(world: World) -> None:
    d9 = world.dossiers["D9"]  # Chi bộ cơ sở Beta
    for uid in ("rev-a1", "outsider", "cand-D1"):
        text = only_text(await run(world, uid, action=f"sec:nk:{d9}:20260920"))
        assert "Đã ghi" not in text and "BÙI" not in text
        assert await phase(world, d9) == "verified"
    assert "Đã ghi" in only_text(await run(world, "sec", action=f"sec:nk:{d9}:20260920"))
