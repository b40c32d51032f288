"""The secretaries' flow through platform-neutral events, and the digest/reminder scheduler."""

from __future__ import annotations

import asyncio
import io
import struct
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from admission.clock import ZONE
from handlers.events import Chat, Event, Reply, User
from handlers.routing import ActionCodec, RoutingTable
from handlers.secretary import Notifier, SecretaryFlow, run_periodic, start_scheduler
from storage.reviews import Org
from storage.stages import FlagCache, StageRecords, Targets, UnitRows
from tests.secretary_world import TODAY, World, at, build_world, d

GROUP = Chat("tg", "-100200", "group", "Chi ủy Alpha")
ROOT_GROUP = Chat("tg", "-100100", "group", "Đảng ủy Khối")


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    async with w.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).bind_group(w.alpha.id, GROUP.platform, GROUP.id)
        await tx.repo(Org).bind_group(w.root.id, ROOT_GROUP.platform, ROOT_GROUP.id)
        for uid in ("sec", "rev-a1", "rev-alpha", "cand-D1"):
            await tx.repo(Org).note_private_chat("tg", uid, uid)
    yield w
    await w.db.close()


async def run(
    w: World,
    uid: str,
    command: str = "",
    text: str = "",
    *,
    chat: Chat | None = None,
    action: str = "",
    when: datetime | None = None,
    chart: bool = False,
) -> list[Reply]:
    event = Event(
        user=User("tg", uid, uid),
        chat=chat or Chat("tg", uid, "private"),
        kind="button" if action else "command",
        command=command,
        text=text,
        action=action,
    )
    async with w.db.transaction(when or at(TODAY)) as tx:
        replies = await SecretaryFlow(chart=chart).handle(tx, event)
    assert replies is not None
    return replies


def only_text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)


REFUSED = "chỉ dành cho bí thư, văn phòng cấp ủy và người duyệt hồ sơ"


# -- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("uid", ["cand-D1", "outsider", "stranger-without-account"])
async def test_candidates_and_outsiders_are_refused(world: World, uid: str) -> None:
    for chat in (None, GROUP):
        replies = await run(world, uid, "tinhhinh", chat=chat)
        assert len(replies) == 1 and REFUSED in replies[0].text
        assert "NGUYỄN" not in replies[0].text and "Alpha" not in replies[0].text
        assert not replies[0].buttons
    assert REFUSED in only_text(await run(world, uid, "xuat"))
    assert REFUSED in only_text(await run(world, uid, "buoc", str(world.dossiers["D6"])))
    assert REFUSED in only_text(await run(world, uid, action=f"sec:th:{world.root.id}"))


async def test_a_reviewer_sees_their_unit_and_below_only(world: World) -> None:
    text = only_text(await run(world, "rev-a1", "tinhhinh"))
    assert "Chi bộ Kỹ thuật" in text and "Hồ sơ theo giai đoạn (8):" in text
    # asking for a unit above by number, or in the group of a unit above, is refused; by
    # number, the answer says which units the person can see (and nothing of the other)
    text = only_text(await run(world, "rev-a1", "tinhhinh", f"#{world.alpha.id}"))
    assert text == (
        "Đồng chí chỉ xem được tình hình của Chi bộ Kỹ thuật và các đơn vị trực thuộc. "
        "Gõ lệnh không kèm số đơn vị để xem đơn vị của mình."
    )
    assert REFUSED in only_text(await run(world, "rev-a1", "tinhhinh", chat=GROUP))
    text = only_text(await run(world, "rev-alpha", "tinhhinh", chat=GROUP))
    assert "Đảng bộ Công ty Alpha" in text and "Hồ sơ theo giai đoạn (12):" in text


async def test_secretary_gets_text_chart_and_export_button(world: World) -> None:
    replies = await run(world, "sec", "tinhhinh", chart=True)
    assert "Đảng bộ Khối Doanh nghiệp" in replies[0].text
    assert "Kế hoạch 2026: 150 người, hạn 31/10 — đã kết nạp 2 (1,3 %)" in replies[0].text
    assert replies[0].buttons[0][0].action == f"sec:xl:{world.root.id}"
    photo = replies[1].photo
    assert photo is not None and photo.data[:4] == b"\x89PNG"
    assert struct.unpack(">II", photo.data[16:24]) == (1200, 600)
    # in a group bound to a unit below, the group's unit is summarised
    text = only_text(await run(world, "sec", "tinhhinh", chat=GROUP))
    assert "Đảng bộ Công ty Alpha" in text


async def test_unbound_group_and_several_units(world: World) -> None:
    other = Chat("tg", "-999", "group")
    assert "chưa được gắn" in only_text(await run(world, "sec", "tinhhinh", chat=other))
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).grant(world.beta.id, world.reviewer_a1, "reviewer", None)
    replies = await run(world, "rev-a1", "tinhhinh")
    actions = [row[0].action for row in replies[0].buttons]
    assert actions == [f"sec:th:{world.a1.id}", f"sec:th:{world.beta.id}"]
    text = only_text(await run(world, "rev-a1", action=actions[1]))
    assert "Chi bộ cơ sở Beta" in text and "Hồ sơ theo giai đoạn (4):" in text


# -- /chitieu and /giobaocao -------------------------------------------------------------------


async def test_setting_targets(world: World) -> None:
    text = only_text(await run(world, "sec", "chitieu"))
    assert "năm 2026: 150 người, hạn 31/10/2026" in text and "nhiệm kỳ 2025–2030: 750" in text
    saved = only_text(await run(world, "sec", "chitieu", f"#{world.beta.id} 12 30/11"))
    assert "Chi bộ cơ sở Beta" in saved and "12 người, hạn 30/11/2026" in saved
    summary = only_text(await run(world, "sec", "tinhhinh"))
    assert "• Chi bộ cơ sở Beta: 4 hồ sơ" in summary and "kết nạp 2026: 1/12 (8,3 %)" in summary
    term = only_text(await run(world, "sec", "chitieu", "nhiệm kỳ 2025-2030 800"))
    assert "nhiệm kỳ 2025–2030 kết nạp 800 người" in term
    assert "Nhiệm kỳ 2025–2030: 800 — đã kết nạp 5" in only_text(
        await run(world, "sec", "tinhhinh")
    )
    nxt = only_text(await run(world, "sec", "chitieu", "160 31/10/2027"))
    assert "năm 2027 kết nạp 160 người" in nxt
    async with world.db.read() as r:
        targets = await r.repo(Targets).targets([world.root.id], 2027)
    assert targets[world.root.id].target == 160


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("0 31/10", "Chỉ tiêu là số người"),
        ("nhiều 31/10", "Chỉ tiêu là số người"),
        ("150 hạn sớm", "Hạn chưa đọc được"),
        ("năm 2027 150", "Năm 2027 chưa có hạn. Ghi cả hạn sau số người"),
        ("năm 2027 200 31/10/2028", "Hạn 31/10/2028 không thuộc năm 2027"),
        ("150 32/13", "Hạn chưa đọc được"),
        ("150 01/09", "đã qua"),
        ("nhiệm kỳ 2030-2025 700", "Nhiệm kỳ ghi theo dạng"),
    ],
)
async def test_bad_targets_are_explained(world: World, args: str, expected: str) -> None:
    assert expected in only_text(await run(world, "sec", "chitieu", args))


async def test_only_secretaries_set_targets_and_digest_hours(world: World) -> None:
    for command, args in (("chitieu", "150 31/10"), ("giobaocao", "9")):
        text = only_text(await run(world, "rev-alpha", command, args, chat=GROUP))
        assert "Chỉ bí thư hoặc văn phòng cấp ủy" in text
    async with world.db.read() as r:
        assert (await r.repo(Targets).targets([world.alpha.id], 2026))[world.alpha.id].target == 20


async def test_digest_hour(world: World) -> None:
    assert "ban đêm" in only_text(await run(world, "sec", "giobaocao", "22", chat=GROUP))
    assert "ban đêm" in only_text(await run(world, "sec", "giobaocao", "6", chat=GROUP))
    assert "lúc 10 giờ" in only_text(await run(world, "sec", "giobaocao", "10h", chat=GROUP))
    assert "Đã tắt" in only_text(await run(world, "sec", "giobaocao", "tắt", chat=ROOT_GROUP))
    async with world.db.read() as r:
        hours = {u.id: u.digest_hour for u in await r.repo(UnitRows).unit_rows()}
    assert hours[world.alpha.id] == 10 and hours[world.root.id] == -1


# -- recording steps ---------------------------------------------------------------------------


async def test_recording_steps_by_command(world: World) -> None:
    d6 = world.dossiers["D6"]
    text = only_text(await run(world, "rev-a1", "buoc", f"{d6} viettay 18/09/2026"))
    assert "Đã ghi: ĐỖ THỊ SÁU — Nộp bản lý lịch viết tay ngày 18/09/2026" in text
    assert "Giai đoạn: Đã nộp bản viết tay, chưa gửi thẩm tra" in text
    text = only_text(await run(world, "rev-a1", "buoc", f"{d6} guitt bố 19/09/2026 nước ngoài"))
    assert "(cha, ở nước ngoài) ngày 19/09/2026" in text
    future = only_text(await run(world, "rev-a1", "buoc", f"{d6} vett cha 24/09/2026"))
    assert "còn ở phía trước" in future
    order = only_text(await run(world, "rev-a1", "buoc", f"{d6} danguy 20/09/2026"))
    assert "cần ghi bước «Chi bộ biểu quyết (6-KNĐ)» trước" in order
    pending = only_text(await run(world, "rev-a1", "buoc", f"{d6} chibo 20/09/2026"))
    assert "Còn chờ kết quả thẩm tra: cha" in pending
    need = only_text(await run(world, "rev-a1", "buoc", f"{d6} chibo"))
    assert f"/buoc {d6} chibo 23/09/2026" in need
    # a reviewer of another chi bộ cannot touch it, and learns nothing about it
    beta_dossier = world.dossiers["D9"]
    refused = only_text(await run(world, "rev-a1", "buoc", f"{beta_dossier} chibo 20/09/2026"))
    assert "Không tìm thấy hồ sơ số" in refused and "BÙI" not in refused


async def test_recording_steps_with_buttons(world: World) -> None:
    d9 = world.dossiers["D9"]  # verified, waiting for the chi bộ
    card = (await run(world, "sec", "buoc", str(d9)))[0]
    assert "BÙI THỊ CHÍN" in card.text
    assert "Thẩm tra cha: gửi 08/05/2026, có kết quả 29/05/2026" in card.text
    labels = {b.label: b.action for row in card.buttons for b in row}
    assert labels["Chi bộ biểu quyết (6-KNĐ)"] == f"sec:as:{d9}:chi_bo"
    ask = (await run(world, "sec", action=f"sec:as:{d9}:chi_bo"))[0]
    today_button = ask.buttons[0][0]
    assert today_button.label == "Hôm nay (23/09)"
    done = (await run(world, "sec", action=today_button.action))[0]
    assert "Chi bộ biểu quyết (6-KNĐ) ngày 23/09/2026" in done.text
    async with world.db.read() as r:
        assert (await r.repo(StageRecords).progress(d9)).phase == "chi_bo"  # type: ignore[union-attr]
    # tapping the same button again is refused: recorded once
    again = only_text(await run(world, "sec", action=today_button.action))
    assert "đã được ghi ngày 23/09/2026" in again
    undo = [b.action for row in done.buttons for b in row if b.action.startswith("sec:un:")]
    undone = only_text(await run(world, "sec", action=undo[0]))
    assert "Đã xóa bước vừa ghi" in undone
    async with world.db.read() as r:
        assert (await r.repo(StageRecords).progress(d9)).phase == "verified"  # type: ignore[union-attr]


async def test_verification_buttons_choose_the_person(world: World) -> None:
    d8 = world.dossiers["D8"]  # father, spouse abroad and mother pending
    who = (await run(world, "sec", action=f"sec:wp:{d8}:v"))[0]
    persons = [row[0].label for row in who.buttons]
    assert persons == ["cha", "vợ (chồng)", "mẹ"]
    ask = (await run(world, "sec", action=who.buttons[0][0].action))[0]
    done = only_text(await run(world, "sec", action=ask.buttons[0][1].action))  # yesterday
    assert "Nhận kết quả thẩm tra (cha) ngày 22/09/2026" in done
    send = (await run(world, "sec", action=f"sec:wp:{d8}:g"))[0]
    send_persons = [row[0].label for row in send.buttons]
    assert "cha" in send_persons and "mẹ" not in send_persons and "con (thứ 1)" in send_persons
    ask = (await run(world, "sec", action=send.buttons[-1][0].action))[0]
    abroad = ask.buttons[1][0]
    assert abroad.label == "Hôm nay · ở nước ngoài" and len(abroad.action.encode()) <= 64
    done = only_text(await run(world, "sec", action=abroad.action))
    assert "(con (thứ 1), ở nước ngoài) ngày 23/09/2026" in done


async def test_pipeline_list(world: World) -> None:
    replies = await run(world, "rev-a1", "buoc")
    labels = [row[0].label for row in replies[0].buttons]
    # approved and later, in the reviewer's chi bộ, official members left out
    names = {label.split(" · ")[1] for label in labels}
    assert names == {
        "ĐỖ THỊ SÁU",
        "ĐINH VĂN TÁM",
        "LÝ VĂN MƯỜI",
        "HÀ THỊ MƯỜI BA",
        "KIỀU VĂN MƯỜI SÁU",
    }


# -- /xuat -------------------------------------------------------------------------------------


async def test_export_in_private_and_from_a_group(world: World) -> None:
    replies = await run(world, "rev-a1", "xuat")
    document = replies[0].document
    assert document is not None and replies[0].chat is None
    rows = list(load_workbook(io.BytesIO(document.data))["Hồ sơ"].iter_rows(values_only=True))
    assert len(rows) == 1 + 8
    replies = await run(world, "rev-alpha", "xuat", chat=GROUP)
    assert replies[0].document is not None
    assert replies[0].chat == Chat("tg", "rev-alpha", "private")
    assert "gửi riêng" in replies[1].text and replies[1].chat is None
    async with world.db.transaction(at(TODAY)) as tx:
        await tx.repo(Org).grant(world.alpha.id, world.outsider, "reviewer", None)
    replies = await run(world, "outsider", "xuat", chat=GROUP)
    assert len(replies) == 1 and replies[0].document is None
    assert "mở chat riêng" in replies[0].text


# -- digests and reminders ---------------------------------------------------------------------


def by_chat(replies: list[Reply]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in replies:
        assert r.chat is not None
        out.setdefault(r.chat.id, []).append(r.text)
    return out


async def test_daily_digest_lists_only_what_became_overdue(world: World) -> None:
    for chat in (GROUP, ROOT_GROUP):  # names in these groups (issue 11: off by default)
        assert "ghi cả họ tên" in only_text(await run(world, "sec", "hienten", "bật", chat=chat))
    notifier = Notifier(world.db)
    assert await notifier.due_notifications(at(TODAY, 6)) == []  # night
    first = by_chat(await notifier.due_notifications(at(TODAY, 8)))
    root_digest = first[ROOT_GROUP.id][0]
    assert "Việc mới quá hạn" in root_digest
    for name in ("ĐINH VĂN TÁM", "LÝ VĂN MƯỜI", "TÔ VĂN MƯỜI HAI", "ĐỖ THỊ SÁU", "BÙI THỊ CHÍN",
                 "TẠ VĂN MƯỜI BỐN", "KIỀU VĂN MƯỜI SÁU", "LÊ VĂN MỘT"):  # fmt: skip
        assert name in root_digest
    alpha_digest = first[GROUP.id][0]
    assert "TÔ VĂN MƯỜI HAI" not in alpha_digest and "LÊ VĂN MỘT" in alpha_digest
    # the same day, later: nothing again
    later = by_chat(await notifier.due_notifications(at(TODAY, 15)))
    assert ROOT_GROUP.id not in later and GROUP.id not in later
    # next morning: only D2, idle since 10/09, became overdue
    nxt = by_chat(await notifier.due_notifications(at(TODAY + timedelta(days=1), 8)))
    digest = nxt[ROOT_GROUP.id][0]
    assert "TRẦN THỊ HAI" in digest
    assert "LÊ VĂN MỘT" not in digest and "ĐINH VĂN TÁM" not in digest
    assert "TRẦN THỊ HAI" in nxt[GROUP.id][0]


async def test_digest_respects_the_unit_hour_and_the_night(world: World) -> None:
    await run(world, "sec", "giobaocao", "10", chat=GROUP)
    await run(world, "sec", "giobaocao", "tắt", chat=ROOT_GROUP)
    notifier = Notifier(world.db)
    assert GROUP.id not in by_chat(await notifier.due_notifications(at(TODAY, 9)))
    assert GROUP.id in by_chat(await notifier.due_notifications(at(TODAY, 10)))
    night = Notifier(world.db)
    assert await night.due_notifications(at(TODAY + timedelta(days=1), 21)) == []
    assert await night.due_notifications(at(TODAY + timedelta(days=2), 3)) == []
    assert ROOT_GROUP.id not in by_chat(await notifier.due_notifications(at(TODAY, 20)))


async def test_idle_candidates_get_a_gentle_weekly_reminder(world: World) -> None:
    notifier = Notifier(world.db)
    first = by_chat(await notifier.due_notifications(at(TODAY, 9)))
    assert "đang khai dở từ ngày 01/09/2026" in first["cand-D1"][0]
    assert "anh/chị" in first["cand-D1"][0] and "bạn" not in first["cand-D1"][0]  # as the chat
    assert "cand-D2" not in first  # not idle yet; and no known private chat
    for day in range(1, 7):
        again = by_chat(await notifier.due_notifications(at(TODAY + timedelta(days=day), 9)))
        assert "cand-D1" not in again
    week = by_chat(await notifier.due_notifications(at(TODAY + timedelta(days=7), 9)))
    assert "cand-D1" in week
    assert await notifier.due_notifications(at(TODAY + timedelta(days=14), 22)) == []


async def test_restarts_do_not_repeat(world: World) -> None:
    first = await Notifier(world.db).due_notifications(at(TODAY, 9))
    assert first
    assert await Notifier(world.db).due_notifications(at(TODAY, 9)) == []


async def test_periodic_runner_sends_what_is_due(world: World) -> None:
    sent: list[Reply] = []
    stop = asyncio.Event()

    class Clock:
        def now(self) -> datetime:
            return at(TODAY, 9)

    async def send(reply: Reply) -> None:
        sent.append(reply)
        if len(sent) == 1:
            raise RuntimeError("chat gone")  # logged, the others still go out
        stop.set()

    await asyncio.wait_for(
        run_periodic(Notifier(world.db), send, clock=Clock(), interval=0.01, stop=stop), 10
    )
    chats = {r.chat.id for r in sent if r.chat}
    assert {ROOT_GROUP.id, GROUP.id, "cand-D1"} == chats
    async with world.db.read() as r:
        assert await r.repo(FlagCache).stale_flag_dossiers(100) == []  # the flag cache is warm


async def test_scheduler_started_for_a_router(world: World) -> None:
    class Clock:
        def now(self) -> datetime:
            return at(TODAY, 9)

    class RouterStub:
        db, clock, zone = world.db, Clock(), ZONE

    got: list[Reply] = []
    done = asyncio.Event()

    async def send(reply: Reply) -> None:
        got.append(reply)
        done.set()

    task, stop = start_scheduler(RouterStub(), send, interval=0.01)
    await asyncio.wait_for(done.wait(), 10)
    stop.set()
    await asyncio.wait_for(task, 10)
    assert got and all(r.chat is not None for r in got)


def test_commands_are_declared() -> None:
    table = RoutingTable.build([SecretaryFlow().routes])
    user, chat = User("tg", "1"), Chat("tg", "1")
    assert table.fixed_owner(Event(user, chat, "command", command="tinhhinh")) == "secretary"
    assert table.fixed_owner(Event(user, chat, "command", command="nop")) is None
    assert table.fixed_owner(Event(user, chat, "button", action="rv:a:1:2")) is None
    assert date(2026, 9, 23) == TODAY == d("23/09/2026")


def test_button_data_keeps_its_wire_format() -> None:
    """Messages already sent carry these strings: each codec writes and reads them as before
    (optional trailing fields left out while empty)."""
    from handlers.secretary.actions import (
        ASK_DATE,
        CARD,
        CARD_DETAILS,
        CONFIRM_NOT_ADMITTED,
        EXPORT,
        PICK_PERSON,
        RECORD,
        SUMMARY,
        SUMMARY_DETAILS,
        UNDO,
        AskDate,
        DecisionDay,
        DossierRef,
        PickPerson,
        RecordStep,
        UnitRef,
    )

    cases: list[tuple[ActionCodec[Any], object, str]] = [
        (SUMMARY, UnitRef(5), "sec:th:5"),
        (EXPORT, UnitRef(5), "sec:xl:5"),
        (CARD, DossierRef(12), "sec:cd:12"),
        (SUMMARY_DETAILS, UnitRef(5), "sec:ct:5"),  # issue 11: details, privately
        (CARD_DETAILS, DossierRef(12), "sec:cp:12"),
        (CONFIRM_NOT_ADMITTED, DecisionDay(12, "20260923"), "sec:nk:12:20260923"),
        (UNDO, DossierRef(12), "sec:un:12"),
        (PICK_PERSON, PickPerson(12, "v"), "sec:wp:12:v"),
        (ASK_DATE, AskDate(12, "chi_bo"), "sec:as:12:chi_bo"),
        (ASK_DATE, AskDate(12, "tham_tra_gui", "con2"), "sec:as:12:tham_tra_gui:con2"),
        (RECORD, RecordStep(12, "chi_bo", "20260923"), "sec:rc:12:chi_bo:20260923"),
        (
            RECORD,
            RecordStep(12, "tham_tra_gui", "20260923", "nuoi_duong1", "a"),
            "sec:rc:12:tham_tra_gui:20260923:nuoi_duong1:a",
        ),
    ]
    for codec, payload, data in cases:
        assert codec.encode(payload) == data
        decoded = codec.decode(data)
        assert decoded is not None and decoded.payload == payload
    assert CARD.decode("sec:cd:x") is None and ASK_DATE.decode("sec:as:12") is None
