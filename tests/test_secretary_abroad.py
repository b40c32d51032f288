"""Verifications abroad (90 working days): the default comes from the dossier's item (21),
the secretary may choose otherwise, and the card says why — all through the conversation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.secretary_world import (
    TODAY,
    World,
    approve_fully,
    at,
    build_world,
    d,
    new_dossier,
    steps,
)
from tests.test_secretary import only_text, run

FATHER = {
    "quan_he": "cha",
    "ho_ten": "TRẦN VĂN HÙNG",
    "nam_sinh": "1970",
    "cu_tru": "Số 5 đường Itaewon, Seoul, Hàn Quốc",
    "o_nuoc_ngoai": "có",
}
MOTHER = {"quan_he": "me", "ho_ten": "LÊ THỊ LAN", "nam_sinh": "1972",
          "cu_tru": "thôn Đông, xã An Lạc, tỉnh Hưng Yên", "o_nuoc_ngoai": "không"}  # fmt: skip
SON = {"quan_he": "con", "ho_ten": "TRẦN MINH AN", "nam_sinh": "1998",
       "cu_tru": "Tokyo, Nhật Bản"}  # fmt: skip
WHY_FATHER = (
    "có người thân ở nước ngoài: Cha đẻ TRẦN VĂN HÙNG (Số 5 đường Itaewon, Seoul, Hàn Quốc)"
)


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


async def handwritten(world: World) -> int:
    """A dossier of Chi bộ Kỹ thuật, approved 01/06/2026, handwritten copy 03/06/2026."""
    number = await new_dossier(
        world, "A1", world.a1, d("02/03/2026"), name="TRẦN MINH KHOA",
        relatives=[FATHER, MOTHER, {"quan_he": "con", "ho_ten": "TRẦN MINH BÌNH",
                                    "cu_tru": "xã An Lạc, tỉnh Hưng Yên"}, SON],
    )  # fmt: skip
    await approve_fully(world, number, d("15/05/2026"), d("01/06/2026"))
    await steps(world, number, ("ban_viet_tay", "03/06/2026"))
    return number


async def test_the_dossier_says_who_is_abroad_and_the_card_says_why(world: World) -> None:
    number = await handwritten(world)
    # nothing about abroad typed: the father lives in Korea according to item (21)
    text = only_text(await run(world, "sec", "buoc", f"{number} guitt cha 10/06/2026"))
    assert "Gửi thẩm tra lý lịch (cha, ở nước ngoài) ngày 10/06/2026" in text
    assert f"Tính 90 ngày làm việc vì lý lịch ghi {WHY_FATHER}." in text
    # 90 working days from 10/06/2026: holidays 31/08–02/09 counted out, Saturday 22/08
    # (worked in exchange for 31/08) counted in: 16/10/2026
    assert (
        "• Thẩm tra cha ở nước ngoài: gửi 10/06/2026, chưa có kết quả, hạn trả lời 16/10/2026"
        in text
    )
    # the mother lives at home: 30 working days, and nothing to explain
    text = only_text(await run(world, "sec", "buoc", f"{number} guitt mẹ 10/06/2026"))
    assert "Gửi thẩm tra lý lịch (mẹ) ngày 10/06/2026" in text
    assert "Thẩm tra mẹ: gửi 10/06/2026, chưa có kết quả, đã quá hạn trả lời (22/07/2026)" in text
    # the summary of 23/09: the mother's reply is late, the father's is not (90 days)
    summary = only_text(await run(world, "sec", "tinhhinh"))
    assert "TRẦN MINH KHOA (Chi bộ Kỹ thuật): gửi thẩm tra mẹ ngày 10/06/2026" in summary
    assert "TRẦN MINH KHOA (Chi bộ Kỹ thuật): gửi thẩm tra cha" not in summary
    # on 24/10 the 90 working days are over too; the line says why it was 90
    summary = only_text(await run(world, "sec", "tinhhinh", when=at(d("24/10/2026"))))
    assert (
        "TRẦN MINH KHOA (Chi bộ Kỹ thuật): gửi thẩm tra cha ở nước ngoài ngày 10/06/2026"
        f" (lý lịch ghi {WHY_FATHER})\n"
    ) in summary


async def test_children_are_matched_in_the_declared_order(world: World) -> None:
    number = await handwritten(world)
    first = only_text(await run(world, "sec", "buoc", f"{number} guitt con 10/06/2026"))
    assert "(con (thứ 1)) ngày 10/06/2026" in first
    second = only_text(await run(world, "sec", "buoc", f"{number} guitt con 10/06/2026"))
    assert "(con (thứ 2), ở nước ngoài) ngày 10/06/2026" in second
    assert "Cha đẻ" not in second and "Con TRẦN MINH AN (Tokyo, Nhật Bản)" in second


async def test_the_buttons_follow_the_dossier_and_offer_the_other_choice(world: World) -> None:
    number = await handwritten(world)
    ask = (await run(world, "sec", action=f"sec:as:{number}:tham_tra_gui:cha"))[0]
    assert f"Theo lý lịch, {WHY_FATHER}: thẩm tra qua cơ quan đại diện" in ask.text
    labels = [[b.label for b in row] for row in ask.buttons]
    assert labels == [
        ["Hôm nay (23/09)", "Hôm qua (22/09)"],
        ["Hôm nay · trong nước", "Hôm qua · trong nước"],
    ]
    # the secretary knows better (the father came home): the override is recorded
    text = only_text(await run(world, "sec", action=ask.buttons[1][0].action))
    assert "Gửi thẩm tra lý lịch (cha) ngày 23/09/2026" in text
    chosen = "Tính 30 ngày làm việc vì người ghi bước chọn «trong nước», dù lý lịch ghi"
    assert f"{chosen} {WHY_FATHER}." in text
    async with world.db.read() as r:
        history = await r.audit.for_dossier(number)
    sent = [h["detail"] for h in history if h["detail"].get("stage") == "tham_tra_gui"]
    assert sent == [
        {"stage": "tham_tra_gui", "on": "2026-09-23", "person": "cha", "abroad": False,
         "abroad_override": True}
    ]  # fmt: skip
    # the mother: at home by default, the second row says abroad
    ask = (await run(world, "sec", action=f"sec:as:{number}:tham_tra_gui:me"))[0]
    assert "Theo lý lịch, người này ở trong nước: thời hạn 30 ngày làm việc" in ask.text
    assert ask.buttons[1][0].label == "Hôm nay · ở nước ngoài"
    text = only_text(await run(world, "sec", action=ask.buttons[1][0].action))
    assert "Gửi thẩm tra lý lịch (mẹ, ở nước ngoài) ngày 23/09/2026" in text
    assert "Tính 90 ngày làm việc vì người ghi bước chọn «ở nước ngoài»" in text


async def test_typing_trong_nuoc_overrides_the_dossier(world: World) -> None:
    number = await handwritten(world)
    text = only_text(
        await run(world, "sec", "buoc", f"{number} guitt cha 10/06/2026 trong nước",
                  when=at(TODAY))
    )  # fmt: skip
    assert "Gửi thẩm tra lý lịch (cha) ngày 10/06/2026" in text
    summary = only_text(await run(world, "sec", "tinhhinh"))
    assert (
        "TRẦN MINH KHOA (Chi bộ Kỹ thuật): gửi thẩm tra cha ngày 10/06/2026"
        f" (tính 30 ngày theo người ghi bước, dù lý lịch ghi {WHY_FATHER})\n"
    ) in summary


async def test_the_person_buttons_name_the_children_and_who_is_abroad(world: World) -> None:
    number = await handwritten(world)
    ask = (await run(world, "sec", action=f"sec:wp:{number}:g"))[0]
    assert [row[0].label for row in ask.buttons] == [
        "bản thân người xin vào Đảng",
        "cha · ở nước ngoài",
        "mẹ",
        "vợ (chồng)",
        "cha vợ (chồng)",
        "mẹ vợ (chồng)",
        "con (thứ 1): TRẦN MINH BÌNH",
        "con (thứ 2): TRẦN MINH AN · ở nước ngoài",
    ]
    # the second child first: the code stays the declared one, and so does the reason
    date_ask = (await run(world, "sec", action=ask.buttons[-1][0].action))[0]
    assert "Theo lý lịch, có người thân ở nước ngoài: Con TRẦN MINH AN" in date_ask.text
    text = only_text(await run(world, "sec", action=date_ask.buttons[0][0].action))
    assert "Gửi thẩm tra lý lịch (con (thứ 2), ở nước ngoài) ngày 23/09/2026" in text
    again = (await run(world, "sec", action=f"sec:wp:{number}:g"))[0]
    labels = [row[0].label for row in again.buttons]
    assert "con (thứ 1): TRẦN MINH BÌNH" in labels and not any("TRẦN MINH AN" in x for x in labels)


RAISER = {"quan_he": "nguoi_nuoi_duong", "ho_ten": "NGUYỄN THỊ HẠNH", "nam_sinh": "1965",
          "cu_tru": "Số 12 Frankfurter Allee, Berlin, Đức", "o_nuoc_ngoai": "có"}  # fmt: skip
WHY_RAISER = (
    "có người thân ở nước ngoài: Người nuôi dưỡng NGUYỄN THỊ HẠNH"
    " (Số 12 Frankfurter Allee, Berlin, Đức)"
)


async def test_the_person_who_raised_the_candidate_is_verified_abroad(world: World) -> None:
    # item (21) declares the person who raised the candidate instead of the parents
    number = await new_dossier(
        world, "R1", world.a1, d("02/03/2026"), name="PHAN VĂN NUÔI", relatives=[RAISER]
    )
    await approve_fully(world, number, d("15/05/2026"), d("01/06/2026"))
    await steps(world, number, ("ban_viet_tay", "03/06/2026"))
    # the buttons offer them, by name, and say they live abroad
    ask = (await run(world, "sec", action=f"sec:wp:{number}:g"))[0]
    labels = [row[0].label for row in ask.buttons]
    assert "người nuôi dưỡng (thứ 1): NGUYỄN THỊ HẠNH · ở nước ngoài" in labels
    assert labels[2] == "mẹ" and labels[3].startswith("người nuôi dưỡng")  # after the parents
    button = next(row[0] for row in ask.buttons if "NGUYỄN THỊ HẠNH" in row[0].label)
    date_ask = (await run(world, "sec", action=button.action))[0]
    assert f"/buoc {number} guitt nuoiduong1 <ngày/tháng/năm>" in date_ask.text
    assert f"Theo lý lịch, {WHY_RAISER}" in date_ask.text
    # typed without accents: the dossier's residence gives the 90-day clock
    text = only_text(await run(world, "sec", "buoc", f"{number} guitt nguoi nuoi duong 10/06/2026"))
    assert "Gửi thẩm tra lý lịch (người nuôi dưỡng (thứ 1), ở nước ngoài) ngày 10/06/2026" in text
    assert f"Tính 90 ngày làm việc vì lý lịch ghi {WHY_RAISER}." in text
    assert (
        "• Thẩm tra người nuôi dưỡng (thứ 1) ở nước ngoài: gửi 10/06/2026, chưa có kết quả,"
        " hạn trả lời 16/10/2026"
    ) in text
    # the same person is not offered twice while the request is pending
    again = (await run(world, "sec", action=f"sec:wp:{number}:g"))[0]
    assert not any("NGUYỄN THỊ HẠNH" in row[0].label for row in again.buttons)
    # the reply, typed "nuoiduong": the pending raiser's verification is closed
    text = only_text(await run(world, "sec", "buoc", f"{number} vett nuoiduong 20/09/2026"))
    assert "Nhận kết quả thẩm tra (người nuôi dưỡng (thứ 1)) ngày 20/09/2026" in text
    async with world.db.read() as r:
        history = await r.audit.for_dossier(number)
    sent = [h["detail"] for h in history if h["detail"].get("stage", "").startswith("tham_tra")]
    assert sent == [
        {"stage": "tham_tra_gui", "on": "2026-06-10", "person": "nuoi_duong1", "abroad": True},
        {"stage": "tham_tra_ve", "on": "2026-09-20", "person": "nuoi_duong1"},
    ]
