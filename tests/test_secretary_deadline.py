"""A week before the year's deadline (target 150 by 31/10/2026): the target line, setting
targets and hours the way secretaries type them, and the /xuat spreadsheet's columns."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.events import Chat
from storage.reviews import Org
from storage.stages import UnitRows
from tests.secretary_world import TODAY, World, approved, at, build_world, d
from tests.test_secretary import only_text, run


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


def target_line(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Kế hoạch 2026"))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # 148 still to admit (D12 and D13 admitted in 2026), 7 days = 1 week left
        ("24/10/2026", "đã kết nạp 2 (1,3 %), còn 7 ngày, đến hết 31/10, cần 148 người/tuần."),
        # under a week, a pace "per week" would read 1.036 a week: say what is missing
        ("30/10/2026", "đã kết nạp 2 (1,3 %), còn 1 ngày, đến hết 31/10, còn thiếu 148 người."),
        ("31/10/2026", "đã kết nạp 2 (1,3 %), hôm nay là hạn cuối, còn thiếu 148 người."),
        ("01/11/2026", "đã kết nạp 2 (1,3 %), đã quá hạn 1 ngày."),
    ],
)
async def test_the_target_line_near_the_deadline(world: World, day: str, expected: str) -> None:
    text = only_text(await run(world, "sec", "tinhhinh", when=at(d(day))))
    assert target_line(text) == f"Kế hoạch 2026: 150 người, hạn 31/10 — {expected}"


@pytest.mark.parametrize(
    ("args", "saved"),
    [
        ("150 ngày 31 tháng 10", "năm 2026 kết nạp 150 người, hạn 31/10/2026"),
        ("150 người, hạn 31/10", "năm 2026 kết nạp 150 người, hạn 31/10/2026"),
        ("1.500 31/12", "năm 2026 kết nạp 1.500 người, hạn 31/12/2026"),
        # only the number: the year's deadline already set stays (it was "Hạn chưa đọc được")
        ("160", "năm 2026 kết nạp 160 người, hạn 31/10/2026"),
        ("160 người", "năm 2026 kết nạp 160 người, hạn 31/10/2026"),
        # the year named first (it was "Chỉ tiêu là số người")
        ("năm 2027 là 200, hạn 31/10", "năm 2027 kết nạp 200 người, hạn 31/10/2027"),
        ("cho năm 2027: 200 31/10/2027", "năm 2027 kết nạp 200 người, hạn 31/10/2027"),
        ("nhiệm kỳ 2025 - 2030: 750", "nhiệm kỳ 2025–2030 kết nạp 750 người"),
        ("nhiệm kỳ 2025–2030 1.200 người", "nhiệm kỳ 2025–2030 kết nạp 1.200 người"),
    ],
)
async def test_targets_typed_the_vietnamese_way(world: World, args: str, saved: str) -> None:
    text = only_text(await run(world, "sec", "chitieu", args, when=at(d("24/10/2026"))))
    assert f"Đã đặt chỉ tiêu Đảng bộ Khối Doanh nghiệp: {saved}." in text


@pytest.mark.parametrize(
    ("args", "hour"), [("8:00", 8), ("8 giờ", 8), ("5 giờ chiều", 17), ("7:30", None)]
)
async def test_digest_hours_are_whole_hours(world: World, args: str, hour: int | None) -> None:
    text = only_text(await run(world, "sec", "giobaocao", args))
    async with world.db.read() as r:
        hours = {u.id: u.digest_hour for u in await r.repo(UnitRows).unit_rows()}
    if hour is None:  # 7:30 was read as 730 o'clock and refused as night time
        assert "Đặt giờ gửi báo cáo hằng ngày" in text and "ban đêm" not in text
        assert hours[world.root.id] is None
    else:
        assert f"lúc {hour} giờ" in text and hours[world.root.id] == hour


async def test_the_spreadsheet_names_levels_and_late_people(world: World) -> None:
    replies = await run(world, "sec", "xuat", when=at(d("24/10/2026")))
    assert replies[0].document is not None
    sheet = load_workbook(io.BytesIO(replies[0].document.data))["Hồ sơ"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_name = {row[1]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    # under review: the level's name; approved or admitted: no level "under review"
    assert by_name["PHẠM VĂN BA"]["Cấp đang xét"] == "Chi bộ"
    assert by_name["HOÀNG THỊ BỐN"]["Cấp đang xét"] == "Đảng ủy cơ sở"
    assert by_name["LA THỊ MƯỜI LĂM"]["Cấp đang xét"] is None
    assert by_name["ĐINH VĂN TÁM"]["Cấp đang xét"] is None
    # three late replies on 24/10 (father 10/06, spouse abroad 10/06 past 90 days, mother
    # 01/09 past 30 days on 14/10): one clock, the three people
    assert by_name["ĐINH VĂN TÁM"]["Quá hạn"] == (
        "Thẩm tra quá 30 ngày làm việc (90 ngày nếu ở nước ngoài) chưa có kết quả: "
        "cha, vợ (chồng) ở nước ngoài, mẹ"
    )


async def test_the_sub_unit_lines_add_up_to_the_total(world: World) -> None:
    # a candidate kept at the đảng bộ cơ sở itself (not in a chi bộ), admitted on 01/09/2026
    await approved(world, "R1", world.alpha, "ĐÀO VĂN GỐC", "01/02/2026 01/04/2026 15/04/2026",
                   "20/04/2026 15/06/2026 01/07/2026 01/09/2026")  # fmt: skip
    text = only_text(
        await run(world, "sec", "tinhhinh", f"#{world.alpha.id}", when=at(d("24/10/2026")))
    )
    assert "Hồ sơ theo giai đoạn (13):" in text
    subs = text.split("Theo đơn vị trực thuộc:\n")[1].split("\n\n")[0].splitlines()
    assert subs == [
        "• Đảng bộ Công ty Alpha (hồ sơ do đơn vị trực tiếp quản lý): 1 hồ sơ (chờ lễ 1);"
        " kết nạp 2026: 1",
        "• Chi bộ Kỹ thuật: 8 hồ sơ (đang khai 1, đang xét 2, đã duyệt 1, thẩm tra 1,"
        " chờ đảng ủy 1, dự bị 2); kết nạp 2026: 1",
        "• Chi bộ Kinh doanh: 4 hồ sơ (đang khai 1, viết tay 1, chờ quyết định 1, dự bị 1);"
        " kết nạp 2026: 0",
    ]
    assert target_line(text).startswith("Kế hoạch 2026: 20 người, hạn 31/10 — đã kết nạp 2 (10 %)")


async def test_a_digest_hour_for_a_unit_without_a_group_says_where_it_would_go(
    world: World,
) -> None:
    text = only_text(await run(world, "sec", "giobaocao", "9"))
    assert "lúc 9 giờ" in text
    assert "Đảng bộ Khối Doanh nghiệp chưa gắn nhóm chat nào nên chưa có nơi nhận báo cáo" in text
    group = Chat("tg", "-100100", "group", "Đảng ủy Khối")
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(world.root.id, group.platform, group.id)
    text = only_text(await run(world, "sec", "giobaocao", "9", chat=group))
    assert "lúc 9 giờ" in text and "chưa gắn nhóm" not in text
