"""What a secretary needs a week before the yearly deadline: reminders of deadlines still
ahead kept apart from what is overdue, /buoc listing what needs action first, when an
approved candidate under 18 may be voted on, and a target line that says which day counts."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.secretary import Notifier
from storage.reviews import Org
from storage.stages import UnitRows
from tests.secretary_world import TODAY, World, approved, at, build_world, d
from tests.test_secretary import GROUP, ROOT_GROUP, by_chat, only_text, run


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    async with w.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(w.alpha.id, GROUP.platform, GROUP.id)
        await tx.repo(Org).bind_group(w.root.id, ROOT_GROUP.platform, ROOT_GROUP.id)
        for unit in (w.alpha, w.root):  # the digests name candidates (issue 11: off by default)
            await tx.repo(UnitRows).set_names_in_group(unit.id, True)
    yield w
    await w.db.close()


def section(text: str, heading: str) -> str:
    """The block of ``text`` from the line starting with ``heading`` to the next blank line
    ("" when there is no such heading)."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    if start is None:
        return ""
    block = []
    for line in lines[start:]:
        if not line.strip():
            break
        block.append(line)
    return "\n".join(block)


# -- 1. deadlines ahead are not "overdue" -------------------------------------------------------


async def test_probation_about_to_end_is_listed_as_upcoming_not_overdue(world: World) -> None:
    text = only_text(await run(world, "sec", "tinhhinh"))
    overdue = section(text, "⚠️ Quá hạn")
    upcoming = section(text, "⏳ Sắp đến hạn")
    # D14: ceremony 10/10/2025, probation ends 10/10/2026 (in 17 days): ahead, not late
    assert "TẠ VĂN MƯỜI BỐN" in upcoming and "hết dự bị ngày 10/10/2026" in upcoming
    assert "Sắp hết 12 tháng dự bị (trong 30 ngày tới): 1" in upcoming
    assert "TẠ VĂN MƯỜI BỐN" not in overdue and "Sắp hết" not in overdue
    # D16: probation ended 01/07/2026 and not considered since: that one is late
    assert "KIỀU VĂN MƯỜI SÁU" in overdue and "KIỀU VĂN MƯỜI SÁU" not in upcoming


async def test_a_unit_with_only_an_upcoming_deadline_has_nothing_overdue(world: World) -> None:
    # Chi bộ Kinh doanh: D14's probation ends soon; nothing of it is late on 23/09
    text = only_text(await run(world, "sec", "tinhhinh", f"#{world.a2.id}"))
    assert "✅ Không có việc quá hạn." in text
    assert section(text, "⚠️ Quá hạn") == ""
    assert "TẠ VĂN MƯỜI BỐN" in section(text, "⏳ Sắp đến hạn")


async def test_the_digest_keeps_upcoming_deadlines_apart(world: World) -> None:
    first = by_chat(await Notifier(world.db).due_notifications(at(TODAY, 8)))
    for digest in (first[ROOT_GROUP.id][0], first[GROUP.id][0]):
        overdue = section(digest, "⚠️ Việc mới quá hạn")
        upcoming = section(digest, "⏳ Sắp đến hạn")
        assert "TẠ VĂN MƯỜI BỐN" in upcoming and "TẠ VĂN MƯỜI BỐN" not in overdue
        assert "Sắp hết" not in overdue
        assert "KIỀU VĂN MƯỜI SÁU" in overdue and "LÊ VĂN MỘT" in overdue


async def test_the_spreadsheet_keeps_upcoming_deadlines_out_of_overdue(world: World) -> None:
    replies = await run(world, "sec", "xuat")
    assert replies[0].document is not None
    rows = list(load_workbook(io.BytesIO(replies[0].document.data))["Hồ sơ"].iter_rows(
        values_only=True))  # fmt: skip
    by_name = {row[1]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    d14, d16 = by_name["TẠ VĂN MƯỜI BỐN"], by_name["KIỀU VĂN MƯỜI SÁU"]
    assert d14["Quá hạn"] is None
    assert d14["Sắp đến hạn"] == "Sắp hết 12 tháng dự bị (trong 30 ngày tới)"
    assert d16["Quá hạn"].startswith("Hết dự bị quá 30 ngày làm việc")
    assert d16["Sắp đến hạn"] is None


# -- 2. /buoc lists what needs action first ----------------------------------------------------


async def test_the_step_list_puts_overdue_then_nearest_deadlines_first(world: World) -> None:
    # three more approved dossiers, numbered after the others, with no deadline near
    for label in ("E1", "E2", "E3"):
        await approved(world, label, world.beta, f"NGƯỜI MỚI {label}",
                       "01/06/2026 01/09/2026 15/09/2026")  # fmt: skip
    reply = (await run(world, "sec", "buoc"))[0]
    labels = [row[0].label for row in reply.buttons]
    ids = [int(label.split(" · ")[0]) for label in labels]
    w = world.dossiers
    # overdue, the most overdue first: certificate due 10/01/2026 (D6), reply awaited since
    # 22/07 (D8, father), 12 months since opening on 01/08/2026 (D9), ceremony 12/08 (D12),
    # probation review 12/08 (D16), decision 18/08 (D10)
    assert ids[:6] == [w["D6"], w["D8"], w["D9"], w["D12"], w["D16"], w["D10"]]
    assert all(label.endswith("⚠️ quá hạn") for label in labels[:6])
    # then the nearest deadline: D14's probation ends on 10/10
    assert labels[6] == f"{w['D14']} · TẠ VĂN MƯỜI BỐN · ⏳ hạn 10/10"
    # then the rest (their deadlines months away), by the nearest; 13 dossiers, 10 shown
    assert ids[7:] == [w["D11"], w["D13"], w["D7"]]
    assert len(labels) == 10 and "Còn 3 hồ sơ khác" in reply.text
    assert not any(f"NGƯỜI MỚI {label}" in reply.text for label in ("E1", "E2", "E3"))
    # short enough for a phone: a few lines, buttons that fit
    assert len(reply.text.splitlines()) <= 3
    assert all(len(label) <= 40 for label in labels)


# -- 3. a candidate under 18: the chi bộ votes only from the 18th birthday ---------------------


YOUNG = "01/06/2026 01/09/2026 15/09/2026"  # opened, submitted, approved


async def test_the_card_of_a_candidate_under_18_says_from_when_the_chi_bo_may_vote(
    world: World,
) -> None:
    # born 15/03/2009: 17 years 6 months on 23/09/2026, 18 years complete on 15/03/2027
    young = await approved(world, "Y1", world.a1, "NGUYỄN VĂN TRẺ", YOUNG, "18/09/2026",
                           birth="15/03/2009")  # fmt: skip
    adult = await approved(world, "Y2", world.a1, "NGUYỄN VĂN LỚN", YOUNG, "18/09/2026",
                           birth="15/03/2000")  # fmt: skip
    card = only_text(await run(world, "sec", "buoc", str(young)))
    assert "Chưa đủ 18 tuổi" in card and "vào ngày 15/03/2027" in card
    assert "Chưa đủ 18 tuổi" not in only_text(await run(world, "sec", "buoc", str(adult)))
    # the chi bộ cannot be recorded as voting before that day, and can from that day
    late = at(d("20/03/2027"))
    early = only_text(await run(world, "sec", "buoc", f"{young} chibo 14/03/2027", when=late))
    assert "chưa đủ 18 tuổi" in early and "đủ 18 tuổi vào ngày 15/03/2027" in early
    assert "Đã ghi" not in early
    done = only_text(await run(world, "sec", "buoc", f"{young} chibo 15/03/2027", when=late))
    assert "Đã ghi: NGUYỄN VĂN TRẺ — Chi bộ biểu quyết (6-KNĐ) ngày 15/03/2027." in done
    assert "Chưa đủ 18 tuổi" not in done


async def test_the_warning_ends_on_the_18th_birthday(world: World) -> None:
    young = await approved(world, "Y1", world.a1, "NGUYỄN VĂN TRẺ", YOUNG, "18/09/2026",
                           birth="15/03/2009")  # fmt: skip
    on_the_day = only_text(await run(world, "sec", "buoc", str(young), when=at(d("15/03/2027"))))
    assert "Chưa đủ 18 tuổi" not in on_the_day
    before = only_text(await run(world, "sec", "buoc", str(young), when=at(d("14/03/2027"))))
    assert "vào ngày 15/03/2027" in before


async def test_the_summary_names_approved_candidates_not_yet_18(world: World) -> None:
    await approved(world, "Y1", world.a1, "NGUYỄN VĂN TRẺ", YOUNG, "18/09/2026",
                   birth="15/03/2009")  # fmt: skip
    await approved(world, "Y2", world.a1, "NGUYỄN VĂN LỚN", YOUNG, "18/09/2026",
                   birth="23/09/2008")  # 18 today  # fmt: skip
    text = only_text(await run(world, "sec", "tinhhinh"))
    block = section(text, "🕒 Chưa đủ 18 tuổi")
    assert block.endswith(": 1\n   – NGUYỄN VĂN TRẺ (Chi bộ Kỹ thuật): sinh ngày 15/03/2009,"
                          " đủ 18 tuổi ngày 15/03/2027")  # fmt: skip
    assert "NGUYỄN VĂN LỚN" not in block
    # from the 18th birthday on, or once the chi bộ has voted, the line goes away
    later = only_text(await run(world, "sec", "tinhhinh", when=at(d("15/03/2027"))))
    assert "Chưa đủ 18 tuổi" not in later


# -- 4. "còn N ngày" says which day is the last ------------------------------------------------


def target_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Kế hoạch"))


async def test_days_left_say_the_deadline_day_is_included(world: World) -> None:
    # a week before 31/10: 7 days after today, the 31st being the last day that counts
    line = target_line(only_text(await run(world, "sec", "tinhhinh", when=at(d("24/10/2026")))))
    assert "150 người, hạn 31/10" in line and "trước 31/10" not in line
    assert "còn 7 ngày, đến hết 31/10, cần 148 người/tuần." in line
    line = target_line(only_text(await run(world, "sec", "tinhhinh", when=at(d("30/10/2026")))))
    assert "còn 1 ngày, đến hết 31/10, còn thiếu 148 người." in line
