"""The secretaries' summary over a unit tree with a dossier at every stage (fixed dates).

Expected figures are worked out by hand from the dates in tests/secretary_world.py.
"""

from __future__ import annotations

import io
import struct
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from admission.deadlines import cutoffs, months_cutoff
from admission.workdays import DEFAULT_CALENDAR, add_months, day_number
from handlers.charts import HEIGHT, WIDTH, summary_chart
from handlers.secretary import SecretaryFlow
from handlers.summary import (
    fmt_decimal,
    fmt_int,
    fmt_percent,
    load_summary,
    median_from_histogram,
    refresh_flags_in,
    render_summary,
)
from handlers.xlsx import HEADERS
from storage.stages import SummaryQueries, Targets
from tests.secretary_world import TODAY, World, at, build_world


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


async def summary_of(w: World, unit_id: int, today: date = TODAY):
    async with w.db.read() as r:
        s = await load_summary(r, unit_id, today)
    assert s is not None
    return s


# -- counts ------------------------------------------------------------------------------------


async def test_counts_per_stage_for_the_whole_tree(world: World) -> None:
    s = await summary_of(world, world.root.id)
    assert s.phases == {
        "draft": 2,
        "submitted": 2,
        "returned": 1,
        "approved": 1,
        "handwritten": 1,
        "verifying": 1,
        "verified": 1,
        "chi_bo": 1,
        "dang_uy": 1,
        "decided": 1,
        "probation": 3,
        "official": 1,
        "not_admitted": 0,  # issue 11: counted apart once the unit records it
        "withdrawn": 0,
    }
    assert s.total == 16  # the deleted D17 is counted nowhere
    assert s.submitted_by_level == {"Chi bộ": 1, "Đảng ủy cơ sở": 1}
    text = render_summary(s)
    assert "Hồ sơ theo giai đoạn (16):" in text
    assert "• Đang khai lý lịch: 2" in text
    assert "• Đang xét duyệt lý lịch: 2 (chi bộ 1, đảng ủy cơ sở 1)" in text
    assert "• Trả lại để sửa: 1" in text
    assert "• Đang thẩm tra lý lịch: 1" in text
    assert "• Đảng viên dự bị: 3" in text
    assert "• Đảng viên chính thức: 1" in text


async def test_counts_per_sub_unit(world: World) -> None:
    s = await summary_of(world, world.root.id)
    lines = {line.name: line for line in s.sub_units}
    assert set(lines) == {"Đảng bộ Công ty Alpha", "Chi bộ cơ sở Beta"}
    alpha, beta = lines["Đảng bộ Công ty Alpha"], lines["Chi bộ cơ sở Beta"]
    assert alpha.total == 12 and beta.total == 4
    assert {k: v for k, v in alpha.phases.items() if v} == {
        "draft": 2,
        "submitted": 2,
        "approved": 1,
        "handwritten": 1,
        "verifying": 1,
        "chi_bo": 1,
        "dang_uy": 1,
        "probation": 3,
    }
    assert {k: v for k, v in beta.phases.items() if v} == {
        "returned": 1,
        "verified": 1,
        "decided": 1,
        "official": 1,
    }
    assert (alpha.admitted, alpha.target) == (1, 20)
    assert (beta.admitted, beta.target) == (1, None)
    text = render_summary(s)
    assert "• Đảng bộ Công ty Alpha: 12 hồ sơ (" in text
    assert "kết nạp 2026: 1/20 (5 %)" in text
    assert "• Chi bộ cơ sở Beta: 4 hồ sơ (trả lại 1, chờ chi bộ 1, chờ lễ 1, chính thức 1)" in text


async def test_a_sub_unit_summary_covers_only_its_subtree(world: World) -> None:
    s = await summary_of(world, world.alpha.id)
    assert s.total == 12
    assert [line.name for line in s.sub_units] == ["Chi bộ Kỹ thuật", "Chi bộ Kinh doanh"]
    by_name = {line.name: line.total for line in s.sub_units}
    assert by_name == {"Chi bộ Kỹ thuật": 8, "Chi bộ Kinh doanh": 4}
    a1 = await summary_of(world, world.a1.id)
    assert a1.total == 8 and a1.sub_units == []
    assert a1.overdue_counts["ceremony"] == 0  # D12 belongs to Beta


# -- targets -----------------------------------------------------------------------------------


async def test_year_target_line(world: World) -> None:
    s = await summary_of(world, world.root.id)
    t = s.year_target
    assert t is not None
    # D12 (decision 01/07/2026) and D13 (02/03/2026); D14-D16 were admitted in 2025.
    assert (t.target, t.deadline, t.admitted, t.days_left) == (150, date(2026, 10, 31), 2, 38)
    assert t.per_week == pytest.approx(148 / (38 / 7))
    text = render_summary(s)
    assert (
        "Kế hoạch 2026: 150 người, hạn 31/10 — đã kết nạp 2 (1,3 %), còn 38 ngày, đến hết 31/10, "
        "cần 27,3 người/tuần" in text
    )
    assert "Nhiệm kỳ 2025–2030: 750 — đã kết nạp 5 (0,7 %)" in text


async def test_target_reached_and_deadline_passed(world: World) -> None:
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Targets).set_target(world.root.id, 2026, 2, "2026-10-31", None)
    text = render_summary(await summary_of(world, world.root.id))
    assert "Kế hoạch 2026: 2 người, hạn 31/10 — đã kết nạp 2 (100 %), đã đạt kế hoạch" in text
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Targets).set_target(world.root.id, 2026, 10, "2026-09-01", None)
    text = render_summary(await summary_of(world, world.root.id))
    assert "đã kết nạp 2 (20 %), đã quá hạn 22 ngày" in text


async def test_no_target_says_how_to_set_one(world: World) -> None:
    text = render_summary(await summary_of(world, world.beta.id))
    assert "Kế hoạch 2026: chưa đặt chỉ tiêu (gõ /chitieu) — đã kết nạp 1." in text


# -- overdue -----------------------------------------------------------------------------------


async def test_each_overdue_clock(world: World) -> None:
    s = await summary_of(world, world.root.id)
    assert s.overdue_counts == {
        "verification": 1,  # D8 father, 10/06 (domestic); the spouse abroad is within 90
        "decision": 1,  # D10, chi bộ 15/06
        "ceremony": 1,  # D12, decision 01/07
        "certificate": 1,  # D6 (10/01/2021); D1 is a draft, D17 deleted
        "dossier_age": 1,  # D9 opened 01/08/2025
        "probation_ending": 1,  # D14 ends 10/10/2026
        "probation_over": 1,  # D16 ended 01/07/2026
        "idle": 1,  # D1 untouched since 01/09
    }
    who = {(i.clock, i.dossier_id, i.person) for i in s.overdue_items}
    w = world.dossiers
    assert who == {
        ("verification", w["D8"], "cha"),
        ("decision", w["D10"], ""),
        ("ceremony", w["D12"], ""),
        ("certificate", w["D6"], ""),
        ("dossier_age", w["D9"], ""),
        ("probation_ending", w["D14"], ""),
        ("probation_over", w["D16"], ""),
        ("idle", w["D1"], ""),
    }
    text = render_summary(s)
    assert "ĐINH VĂN TÁM (Chi bộ Kỹ thuật): gửi thẩm tra cha ngày 10/06/2026" in text
    assert "LÝ VĂN MƯỜI (Chi bộ Kỹ thuật): chi bộ biểu quyết ngày 15/06/2026" in text
    assert "TÔ VĂN MƯỜI HAI (Chi bộ cơ sở Beta): quyết định ngày 01/07/2026" in text
    assert "ĐỖ THỊ SÁU (Chi bộ Kỹ thuật): giấy chứng nhận cấp ngày 10/01/2021" in text
    assert "BÙI THỊ CHÍN (Chi bộ cơ sở Beta): mở hồ sơ ngày 01/08/2025" in text
    assert "kết nạp ngày 10/10/2025, hết dự bị ngày 10/10/2026" in text
    assert "kết nạp ngày 01/07/2025, hết dự bị ngày 01/07/2026" in text
    assert "LÊ VĂN MỘT (Chi bộ Kỹ thuật): sửa lần cuối ngày 01/09/2026" in text
    assert "XÓA BỎ" not in text


async def test_clocks_move_with_the_date(world: World) -> None:
    # On 14/07/2026 the father's verification (sent 10/06) is within 30 working days
    # (24 working days: 30 in June after the 10th is 14, July 1-14 is 10).
    early = await summary_of(world, world.root.id, date(2026, 7, 14))
    assert early.overdue_counts["verification"] == 0
    late = await summary_of(world, world.root.id, date(2026, 7, 23))
    assert late.overdue_counts["verification"] == 1
    # The spouse abroad (sent 10/06) is late the day after the 90th working day.
    due = DEFAULT_CALENDAR.add_workdays(date(2026, 6, 10), 90)
    assert date(2026, 10, 1) < due < date(2026, 10, 31)
    on_due = await summary_of(world, world.root.id, due)
    after = await summary_of(world, world.root.id, due + timedelta(days=1))
    persons = {i.person for i in on_due.overdue_items if i.clock == "verification"}
    assert persons == {"cha", "me"}  # the mother's request of 01/09 is late by then too
    persons = {i.person for i in after.overdue_items if i.clock == "verification"}
    assert persons == {"cha", "me", "vo_chong"}


async def test_overdue_list_is_capped_with_a_count(world: World) -> None:
    async with world.db.read() as r:
        s = await load_summary(r, world.root.id, date(2026, 10, 30), items_per_clock=1)
    assert s is not None
    assert s.overdue_counts["verification"] == 3
    text = render_summary(s)
    assert "… và 2 trường hợp khác" in text


# -- quality -----------------------------------------------------------------------------------


async def test_quality_first_time_share_returns_and_medians(world: World) -> None:
    s = await summary_of(world, world.root.id)
    # D6..D16 were approved (11); only D7 was ever returned (twice). D5's return is not
    # counted among approved dossiers.
    assert (s.quality.approved, s.quality.first_time, s.quality.returns) == (11, 10, 2)
    text = render_summary(s)
    assert "Đạt yêu cầu ngay lần đầu: 10/11 hồ sơ (90,9 %)" in text
    assert "Số lần trả lại trung bình: 0,18 lần/hồ sơ" in text
    # decision → ceremony, ceremonies of the last 12 months only: D13 (20/03/2026) 18 days and
    # D14 (10/10/2025) 9 days; D15 (01/05/2025) and D16 (01/07/2025) are older.
    assert s.medians["ket_nap"] == 13.5
    assert "Quyết định → lễ kết nạp: 13,5 ngày" in text
    # a year earlier, D15 (11 days) and D16 (11 days) were the last 12 months' ceremonies
    earlier = await summary_of(world, world.root.id, date(2025, 9, 23))
    assert earlier.medians["ket_nap"] == 11
    # verification replies: only D9's father, 08/05 → 29/05
    assert s.medians["tra_loi_tham_tra"] == 21


async def test_most_frequent_flags_from_the_cache(world: World) -> None:
    def checker(dossier, today):  # a stand-in that flags by name
        name = dossier.value("ho_ten")
        return [("X5", "error"), ("F1", "error")] if "VĂN" in name else [("X5", "error")]

    async with world.db.transaction(at(TODAY)) as tx:
        refreshed = await refresh_flags_in(tx, TODAY, limit=100, checker=checker)
        assert refreshed == 14  # every dossier past the draft, deleted excluded
        assert await refresh_flags_in(tx, TODAY, limit=100, checker=checker) == 0
    s = await summary_of(world, world.root.id)
    assert s.top_flags[0] == ("X5", 14)
    assert s.top_flags[1][0] == "F1"
    text = render_summary(s)
    assert "Lỗi hay gặp:" in text


async def test_real_checks_fill_the_flag_cache(world: World) -> None:
    async with world.db.transaction(at(TODAY)) as tx:
        assert await refresh_flags_in(tx, TODAY, limit=3) == 3
    async with world.db.read() as r:
        top = await r.repo(SummaryQueries).top_flags(None)
    assert top, "the sparse test dossiers miss required answers"
    assert top[0][1] == 3


# -- pure helpers ------------------------------------------------------------------------------


def test_vietnamese_number_formats() -> None:
    assert fmt_int(100_000) == "100.000"
    assert fmt_decimal(1.74) == "1,7"
    assert fmt_decimal(2.0) == "2"
    assert fmt_decimal(1234.56, 2) == "1.234,56"
    assert fmt_percent(87, 150) == "58 %"
    assert fmt_percent(191, 200) == "95,5 %"
    assert fmt_percent(1, 0) == "–"


@given(st.lists(st.tuples(st.integers(0, 400), st.integers(1, 5)), min_size=1, max_size=30))
def test_median_from_histogram_matches_the_expanded_list(pairs) -> None:
    values = sorted(v for v, c in pairs for _ in range(c))
    n = len(values)
    expected = (values[(n - 1) // 2] + values[n // 2]) / 2
    assert median_from_histogram(pairs) == expected


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.sampled_from([1, 12, 60]))
def test_months_cutoff_is_exact(today: date, months: int) -> None:
    c = months_cutoff(today, months)
    assert add_months(c, months) >= today
    assert add_months(c - timedelta(days=1), months) < today


def test_cutoffs_are_day_numbers_of_the_clock_limits() -> None:
    cut = cutoffs(TODAY)
    cal = DEFAULT_CALENDAR
    # a verification sent on the cut-off day is exactly at its 30th working day today
    sent = date.fromordinal(date(1970, 1, 1).toordinal() + cut.verification)
    assert cal.add_workdays(sent, 30) == TODAY
    assert cut.today == day_number(TODAY)
    assert cut.idle == day_number(date(2026, 9, 10))  # 10/09 is idle on 24/09, not on 23/09


# -- chart and spreadsheet ---------------------------------------------------------------------


async def test_chart_is_a_png_of_the_announced_size(world: World, tmp_path: Path) -> None:
    png = summary_chart(await summary_of(world, world.root.id))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    assert (width, height) == (WIDTH, HEIGHT) == (1200, 600)
    path = tmp_path / "chart.png"
    path.write_bytes(png)
    assert path.exists() and path.stat().st_size > 10_000
    # a unit without a target draws too
    png = summary_chart(await summary_of(world, world.beta.id))
    assert struct.unpack(">II", png[16:24]) == (1200, 600)


async def test_spreadsheet_has_one_row_per_dossier(world: World) -> None:
    async with world.db.transaction(at(TODAY)) as tx:
        document = await SecretaryFlow(chart=False).export.workbook(tx, world.root.id, TODAY)
    assert document.filename.endswith(".xlsx")
    wb = load_workbook(io.BytesIO(document.data))
    ws = wb["Hồ sơ"]
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [h for _, h, _ in HEADERS]
    body = rows[1:]
    assert len(body) == 16
    col = {h: i for i, (_, h, _) in enumerate(HEADERS)}
    by_id = {r[col["Số hồ sơ"]]: r for r in body}
    assert set(by_id) == {world.dossiers[f"D{i}"] for i in range(1, 17)}
    d12 = by_id[world.dossiers["D12"]]
    assert d12[col["Họ và tên"]] == "TÔ VĂN MƯỜI HAI"
    assert d12[col["Đơn vị"]] == "Chi bộ cơ sở Beta"
    assert d12[col["Giai đoạn"]] == "Có quyết định, chờ lễ kết nạp"
    assert d12[col["Quyết định kết nạp (9-KNĐ)"]].date() == date(2026, 7, 1)
    assert d12[col["Lễ kết nạp"]] is None
    assert "lễ kết nạp" in d12[col["Quá hạn"]]
    d7 = by_id[world.dossiers["D7"]]
    assert d7[col["Số lần trả lại"]] == 2
    assert d7[col["Nộp bản viết tay"]].date() == date(2026, 8, 10)
    d14 = by_id[world.dossiers["D14"]]
    assert d14[col["Hết dự bị"]].date() == date(2026, 10, 10)
    d8 = by_id[world.dossiers["D8"]]
    assert (d8[col["Số người đã gửi thẩm tra"]], d8[col["Chưa có kết quả thẩm tra"]]) == (3, 3)
    assert by_id[world.dossiers["D1"]][col["Quá hạn"]].startswith("Người xin vào Đảng bỏ dở")
