"""What secretaries really type into the stage commands, a week before the year's deadline:
wrong dates, Vietnamese date formats, stray numbers, and what each answer says."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers.events import Chat
from storage.reviews import Org
from storage.stages import StageRecords
from tests.secretary_world import TODAY, World, approved, at, build_world, d
from tests.test_secretary import only_text, run

LATE_OCTOBER = at(d("24/10/2026"))


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


async def phase(world: World, dossier_id: int) -> str:
    async with world.db.read() as r:
        progress = await r.repo(StageRecords).progress(dossier_id)
    assert progress is not None
    return progress.phase


async def test_undo_takes_only_a_dossier_number(world: World) -> None:
    d16 = world.dossiers["D16"]  # on probation; its last step is the ceremony
    assert d16 == 16 and world.dossiers["D1"] == 1
    # "/huybuoc 1 6" once read as dossier 16 and removed its ceremony
    text = only_text(await run(world, "sec", "huybuoc", "1 6", when=LATE_OCTOBER))
    assert "Gõ /huybuoc <số hồ sơ>" in text and "Đã xóa" not in text
    text = only_text(await run(world, "sec", "huybuoc", f"{d16} 15/06/2026", when=LATE_OCTOBER))
    assert "Gõ /huybuoc <số hồ sơ>" in text
    assert await phase(world, d16) == "probation"
    text = only_text(await run(world, "sec", "huybuoc", f"hồ sơ {d16}", when=LATE_OCTOBER))
    assert f"Đã xóa bước vừa ghi của hồ sơ số {d16}: Lễ kết nạp ngày 01/07/2025" in text
    assert await phase(world, d16) == "decided"


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("20/10", "20/10/2026"),
        ("ngày 20 tháng 10 năm 2026", "20/10/2026"),
        ("ngay 20 thang 10", "20/10/2026"),
        ("2026-10-20", "20/10/2026"),
        ("hôm kia", "22/10/2026"),
    ],
)
async def test_decision_dates_as_people_write_them(world: World, typed: str, day: str) -> None:
    d11 = world.dossiers["D11"]  # the đảng ủy voted on 10/09/2026
    text = only_text(
        await run(world, "sec", "buoc", f"{d11} quyết định {typed}", when=LATE_OCTOBER)
    )
    assert f"Đã ghi: MAI THỊ MƯỜI MỘT — Quyết định kết nạp (9-KNĐ) ngày {day}." in text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("31/10", "Ngày 31/10/2026 còn ở phía trước (hôm nay là 24/10/2026)"),
        ("31/9/2026", "Không có ngày 31 trong tháng 9 năm 2026"),
        ("2026-09-31", "Không có ngày 31 trong tháng 9 năm 2026"),
        ("20/10/26", "Năm cần ghi đủ 4 chữ số, ví dụ: 20/10/2026"),
        ("05/09/2026", "sớm hơn bước trước «Đảng ủy biểu quyết (8-KNĐ)» (10/09/2026)"),
    ],
)
async def test_wrong_decision_dates_are_explained(world: World, typed: str, expected: str) -> None:
    d11 = world.dossiers["D11"]
    text = only_text(await run(world, "sec", "buoc", f"{d11} quyetdinh {typed}", when=LATE_OCTOBER))
    assert expected in text and "Đã ghi" not in text
    assert await phase(world, d11) == "dang_uy"


# -- what a group may see ----------------------------------------------------------------------


async def test_a_group_sees_only_its_own_unit_and_below(world: World) -> None:
    alpha_group = Chat("tg", "-100200", "group", "Chi ủy Alpha")
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(world.alpha.id, alpha_group.platform, alpha_group.id)
    d9 = world.dossiers["D9"]  # BÙI THỊ CHÍN, of Chi bộ cơ sở Beta (beside Alpha)
    # the root's secretary may see Beta, but not into Alpha's group
    text = only_text(await run(world, "sec", "tinhhinh", f"#{world.beta.id}", chat=alpha_group))
    assert "Nhóm này chỉ xem được tình hình của Đảng bộ Công ty Alpha" in text
    assert "Beta" not in text and "BÙI" not in text
    for command, args in (("buoc", str(d9)), ("buoc", f"{d9} chibo hôm nay"), ("huybuoc", str(d9))):
        text = only_text(await run(world, "sec", command, args, chat=alpha_group))
        assert f"Không tìm thấy hồ sơ số {d9}" in text and "BÙI" not in text
    for action in (f"sec:cd:{d9}", f"sec:th:{world.beta.id}", f"sec:un:{d9}"):
        assert "BÙI" not in only_text(await run(world, "sec", action=action, chat=alpha_group))
    await run(world, "sec", "hienten", "bật", chat=alpha_group)  # names (issue 11: off by default)
    listed = (await run(world, "sec", "buoc", chat=alpha_group))[0]
    names = " ".join(b.label for row in listed.buttons for b in row)
    assert "ĐINH VĂN TÁM" in names and "BÙI THỊ CHÍN" not in names
    # a unit below the group's is fine, and in private the secretary still sees Beta
    text = only_text(await run(world, "sec", "tinhhinh", f"#{world.a1.id}", chat=alpha_group))
    assert "Chi bộ Kỹ thuật" in text
    assert "BÙI THỊ CHÍN" in only_text(await run(world, "sec", "buoc", str(d9)))
    async with world.db.read() as r:
        assert (await r.repo(StageRecords).progress(d9)).phase == "verified"  # type: ignore[union-attr]


async def test_a_dossier_without_a_name_reads_clearly(world: World) -> None:
    number = await approved(world, "N1", world.a1, "", "01/06/2026 01/09/2026 15/09/2026")
    card = only_text(await run(world, "sec", "buoc", str(number)))
    assert card.startswith(f"Hồ sơ số {number} — (chưa ghi họ tên) (Chi bộ Kỹ thuật)")
    ask = only_text(await run(world, "sec", action=f"sec:as:{number}:ban_viet_tay"))
    assert ask.startswith("(chưa ghi họ tên) — Nộp bản lý lịch viết tay: chọn ngày")
    listed = (await run(world, "rev-a1", "buoc"))[0]
    assert f"{number} · (chưa ghi họ tên) · Đã duyệt" in [
        b.label for row in listed.buttons for b in row
    ]


@pytest.mark.parametrize(
    "typed",
    [
        "quyết định kết nạp 20/10",  # the step's name as the card shows it
        "quyết định kết nạp (9-KNĐ) ngày 20/10/2026",
        "đã có quyết định kết nạp ngày 20/10",
        "ngày 20/10 có quyết định kết nạp",
    ],
)
async def test_steps_named_as_the_card_names_them(world: World, typed: str) -> None:
    d11 = world.dossiers["D11"]  # the đảng ủy voted on 10/09/2026
    text = only_text(await run(world, "sec", "buoc", f"{d11} {typed}", when=LATE_OCTOBER))
    assert "Đã ghi: MAI THỊ MƯỜI MỘT — Quyết định kết nạp (9-KNĐ) ngày 20/10/2026." in text
    assert await phase(world, d11) == "decided"


async def test_an_unknown_step_is_answered_with_the_steps_names(world: World) -> None:
    """«/buoc 12 nấu ăn hôm nay» was answered with the steps' codes alone (viettay, guitt,
    vett, chibo…): a newcomer could not tell which is which. Each code now stands beside
    the step's name as the card shows it, one a line, and nothing is recorded."""
    d11 = world.dossiers["D11"]
    typed = f"{d11} nấu ăn hôm nay"
    text = only_text(await run(world, "sec", "buoc", typed, when=LATE_OCTOBER))
    assert text.startswith("Chưa rõ bước nào.")
    assert "\n• vett — Nhận kết quả thẩm tra\n" in text
    assert "\n• quyetdinh — Quyết định kết nạp (9-KNĐ)\n" in text
    assert "\n• khongketnap — Không kết nạp\n" in text
    assert await phase(world, d11) == "dang_uy"


@pytest.mark.parametrize(
    ("typed", "choices", "asks_person"),
    [
        ("xác minh hôm nay", ["guitt 24/10/2026", "vett 24/10/2026"], True),
        ("xác minh cha 15/10", ["guitt cha 15/10/2026", "vett cha 15/10/2026"], False),
        ("thẩm tra mẹ", ["guitt me 24/10/2026", "vett me 24/10/2026"], False),
        ("biểu quyết 15/10", ["chibo 15/10/2026", "danguy 15/10/2026"], False),
    ],
)
async def test_a_word_naming_two_steps_asks_which(
    world: World, typed: str, choices: list[str], asks_person: bool
) -> None:
    """«xác minh» is a verification sent or its result received, «biểu quyết» the chi bộ's or
    the đảng ủy's: it was refused as no step; now each is offered as the command to type,
    with the person and the date typed, and nothing is recorded."""
    d11 = world.dossiers["D11"]
    text = only_text(await run(world, "sec", "buoc", f"{d11} {typed}", when=LATE_OCTOBER))
    assert text.startswith("Từ này dùng cho 2 bước. Bước nào?"), text
    lines = text.splitlines()
    for choice in choices:
        assert any(line.endswith(f": /buoc {d11} {choice}") for line in lines), text
    assert (f"ví dụ: /buoc {d11} guitt cha 24/10/2026." in text) == asks_person, text
    assert await phase(world, d11) == "dang_uy"


async def test_a_verification_named_in_words_says_which_step(world: World) -> None:
    """«gửi xác minh», «kết quả xác minh»: the same words where they say which step (D11's
    chi bộ has voted: a verification sent now is refused as such, not as an unknown step)."""
    d11 = world.dossiers["D11"]
    typed = f"{d11} gửi xác minh cha 15/10"
    text = only_text(await run(world, "sec", "buoc", typed, when=LATE_OCTOBER))
    assert text.startswith("Chi bộ đã biểu quyết ngày"), text


async def test_a_date_without_its_step_is_asked_about(world: World) -> None:
    d11 = world.dossiers["D11"]
    text = only_text(await run(world, "sec", "buoc", f"{d11} 20/10", when=LATE_OCTOBER))
    assert text.startswith(
        f"Ngày 20/10/2026 là ngày của bước nào? Ghi cả tên bước, ví dụ: /buoc {d11} quyetdinh "
        "20/10/2026"
    )
    assert await phase(world, d11) == "dang_uy"  # nothing recorded


@pytest.mark.parametrize(
    ("command", "typed", "expected"),
    [
        ("giobaocao", "tắt đi", "Đã tắt báo cáo hằng ngày"),
        ("giobaocao", "8 giờ sáng nhé", "gửi vào nhóm lúc 8 giờ"),
        ("hienten", "bật lên", "Từ nay báo cáo trong nhóm của Đảng bộ Khối Doanh nghiệp ghi cả"),
        ("hienten", "tắt giúp tôi ạ", "chỉ ghi số hồ sơ, không ghi họ tên"),
    ],
)
async def test_switches_with_a_word_after_them(
    world: World, command: str, typed: str, expected: str
) -> None:
    assert expected in only_text(await run(world, "sec", command, typed))


@pytest.mark.parametrize("typed", ["{n}, quyết định kết nạp 20/10", "hồ sơ {n}: quyetdinh 20/10"])
async def test_a_dossier_number_with_a_comma_after_it(world: World, typed: str) -> None:
    """«/buoc 11, quyết định kết nạp 20/10» (or «bước 11, …» in words) got the usage: a comma
    or colon after the dossier's number is punctuation, not part of it (a date «11/10» is
    still no dossier number)."""
    d11 = world.dossiers["D11"]
    text = only_text(await run(world, "sec", "buoc", typed.format(n=d11), when=LATE_OCTOBER))
    assert "Đã ghi: MAI THỊ MƯỜI MỘT — Quyết định kết nạp (9-KNĐ) ngày 20/10/2026." in text, text
