"""Stage records after approval: order rules, parsing what secretaries type, undo, the
derived progress rows, and the working-day calendar behind the clocks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from admission.stages import DerivedStages, StepRefused, check_step, fold_events, next_steps
from admission.workdays import DEFAULT_CALENDAR, WorkCalendar, add_months, day_number
from handlers.stages import parse_step_command, record_step, undo_last_step
from storage.stages import StageEventRow, StageRecords
from tests.secretary_world import TODAY, World, at, build_world, d, new_dossier


def ev(stage: str, day: str, person: str = "", abroad: bool = False) -> StageEventRow:
    return StageEventRow(0, 1, stage, day_number(d(day)), person, abroad, None, "")


APPROVED = day_number(d("01/03/2026"))


def refuse(events: list[StageEventRow], step: str, day: str, person: str = "", **kw) -> str:
    with pytest.raises(StepRefused) as info:
        check_step(
            fold_events(events),
            status=kw.get("status", "approved"),
            approved_d=kw.get("approved_d", APPROVED),
            step=step,
            day=d(day),
            today=kw.get("today", TODAY),
            person=person,
        )
    return info.value.key


def accept(events: list[StageEventRow], step: str, day: str, person: str = "") -> None:
    check_step(
        fold_events(events),
        status="approved",
        approved_d=APPROVED,
        step=step,
        day=d(day),
        today=TODAY,
        person=person,
    )


# -- order rules (pure) ------------------------------------------------------------------------


def test_a_future_date_is_refused_with_today_in_the_message() -> None:
    with pytest.raises(StepRefused) as info:
        check_step(
            fold_events([]),
            status="approved",
            approved_d=APPROVED,
            step="ban_viet_tay",
            day=TODAY + timedelta(days=1),
            today=TODAY,
        )
    assert info.value.key == "future"
    assert "24/09/2026" in info.value.message and "23/09/2026" in info.value.message


def test_steps_need_an_approved_dossier_and_dates_after_approval() -> None:
    assert refuse([], "ban_viet_tay", "05/03/2026", status="submitted") == "not_approved"
    assert refuse([], "ban_viet_tay", "28/02/2026") == "before_approval"
    accept([], "ban_viet_tay", "01/03/2026")


def test_each_step_needs_its_predecessor() -> None:
    assert refuse([], "chi_bo", "05/03/2026") == "missing_previous"
    assert refuse([], "tham_tra_gui", "05/03/2026", "cha") == "missing_previous"
    hw = [ev("ban_viet_tay", "05/03/2026")]
    assert refuse(hw, "dang_uy", "06/03/2026") == "missing_previous"
    assert refuse(hw, "quyet_dinh", "06/03/2026") == "missing_previous"
    assert refuse(hw, "ket_nap", "06/03/2026") == "missing_previous"
    assert refuse(hw, "chinh_thuc", "06/03/2026") == "missing_previous"
    accept(hw, "chi_bo", "06/03/2026")
    voted = [*hw, ev("chi_bo", "10/03/2026")]
    accept(voted, "dang_uy", "10/03/2026")
    with pytest.raises(StepRefused) as info:
        check_step(
            fold_events(voted), status="approved", approved_d=APPROVED, step="dang_uy",
            day=d("09/03/2026"), today=TODAY,
        )  # fmt: skip
    assert info.value.key == "before_previous"
    assert "09/03/2026" in info.value.message and "10/03/2026" in info.value.message


def test_a_step_is_recorded_once() -> None:
    hw = [ev("ban_viet_tay", "05/03/2026")]
    assert refuse(hw, "ban_viet_tay", "06/03/2026") == "already"


def test_verification_rules_per_person() -> None:
    hw = [ev("ban_viet_tay", "05/03/2026")]
    assert refuse(hw, "tham_tra_gui", "06/03/2026") == "need_person"
    sent = [*hw, ev("tham_tra_gui", "06/03/2026", "cha")]
    assert refuse(sent, "tham_tra_gui", "07/03/2026", "cha") == "already_sent"
    accept(sent, "tham_tra_gui", "07/03/2026", "me")
    assert refuse(sent, "tham_tra_ve", "07/03/2026", "me") == "not_sent"
    assert refuse(sent, "tham_tra_ve", "05/03/2026", "cha") == "reply_before_sent"
    assert refuse(sent, "chi_bo", "20/03/2026") == "verifications_pending"
    back = [*sent, ev("tham_tra_ve", "15/03/2026", "cha")]
    assert refuse(back, "chi_bo", "14/03/2026") == "vote_before_replies"
    accept(back, "chi_bo", "15/03/2026")
    # supplementary verification of the same person after the first reply is allowed
    accept(back, "tham_tra_gui", "16/03/2026", "cha")
    voted = [*back, ev("chi_bo", "20/03/2026")]
    assert refuse(voted, "tham_tra_gui", "21/03/2026", "me") == "verification_after_vote"


def test_official_membership_only_after_twelve_months_of_probation() -> None:
    chain = [
        ev("ban_viet_tay", "05/03/2026"),
        ev("chi_bo", "10/03/2026"),
        ev("dang_uy", "11/03/2026"),
        ev("quyet_dinh", "12/03/2026"),
        ev("ket_nap", "31/03/2026"),
    ]
    today = date(2027, 6, 1)
    with pytest.raises(StepRefused) as info:
        check_step(
            fold_events(chain), status="approved", approved_d=APPROVED, step="chinh_thuc",
            day=date(2027, 3, 30), today=today,
        )  # fmt: skip
    assert info.value.key == "probation_not_over"
    assert "31/03/2027" in info.value.message
    check_step(
        fold_events(chain), status="approved", approved_d=APPROVED, step="chinh_thuc",
        day=date(2027, 3, 31), today=today,
    )  # fmt: skip


def test_fold_and_next_steps() -> None:
    events = [
        ev("ban_viet_tay", "05/03/2026"),
        ev("tham_tra_gui", "06/03/2026", "cha"),
        ev("tham_tra_gui", "06/03/2026", "vo_chong", True),
        ev("tham_tra_ve", "20/03/2026", "cha"),
    ]
    state = fold_events(events)
    assert state.handwritten_d == day_number(d("05/03/2026"))
    assert [(v.person, v.abroad, v.returned_d is not None) for v in state.verifications] == [
        ("cha", False, True),
        ("vo_chong", True, False),
    ]
    assert state.verif_done_d is None
    assert next_steps(state) == ["tham_tra_gui", "tham_tra_ve"]
    done = fold_events([*events, ev("tham_tra_ve", "25/03/2026", "vo_chong")])
    assert done.verif_done_d == day_number(d("25/03/2026"))
    assert next_steps(done) == ["tham_tra_gui", "chi_bo"]
    assert next_steps(fold_events([])) == ["ban_viet_tay"]


# -- what secretaries type ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 chibo 15/06/2026", (12, "chi_bo", date(2026, 6, 15), "", None)),
        ("12 chi bộ 15.6.2026", (12, "chi_bo", date(2026, 6, 15), "", None)),
        ("#7 viết tay hôm nay", (7, "ban_viet_tay", TODAY, "", None)),
        ("7 viettay hom qua", (7, "ban_viet_tay", TODAY - timedelta(days=1), "", None)),
        ("3 guitt cha 02/01/2026", (3, "tham_tra_gui", date(2026, 1, 2), "cha", None)),
        (
            "3 gửi thẩm tra mẹ vợ 02/01/2026 nước ngoài",
            (3, "tham_tra_gui", date(2026, 1, 2), "me_vc", True),
        ),
        (
            "3 guitt cha 02/01/2026 ở trong nước",
            (3, "tham_tra_gui", date(2026, 1, 2), "cha", False),
        ),
        ("3 vett con 2 05/02/2026", (3, "tham_tra_ve", date(2026, 2, 5), "con2", None)),
        # the person who raised the candidate (several may be declared, like children)
        (
            "3 guitt người nuôi dưỡng 02/01/2026",
            (3, "tham_tra_gui", date(2026, 1, 2), "nuoi_duong", None),
        ),
        ("3 guitt nuoiduong 02/01/2026", (3, "tham_tra_gui", date(2026, 1, 2), "nuoi_duong", None)),
        (
            "3 vett nguoi nuoi duong 2 05/02/2026",
            (3, "tham_tra_ve", date(2026, 2, 5), "nuoi_duong2", None),
        ),
        ("3 vett nuoiduong1 05/02/2026", (3, "tham_tra_ve", date(2026, 2, 5), "nuoi_duong1", None)),
        ("3 quyết định 9/7/2026", (3, "quyet_dinh", date(2026, 7, 9), "", None)),
        # the ways dates are written in Vietnamese documents and chats
        ("11 quyetdinh 20/9", (11, "quyet_dinh", date(2026, 9, 20), "", None)),
        ("11 quyết định ngày 20 tháng 9 năm 2026", (11, "quyet_dinh", date(2026, 9, 20), "", None)),
        ("11 Quyết định ngày 5 tháng 9", (11, "quyet_dinh", date(2026, 9, 5), "", None)),
        ("11 quyetdinh 2026-09-20", (11, "quyet_dinh", date(2026, 9, 20), "", None)),
        ("11 chi bộ họp ngày 15/06/2026", (11, "chi_bo", date(2026, 6, 15), "", None)),
        ("11 viết tay hôm kia", (11, "ban_viet_tay", TODAY - timedelta(days=2), "", None)),
        ("3 vett con 2 ngày 5/2", (3, "tham_tra_ve", date(2026, 2, 5), "con2", None)),
        ("hồ sơ số 12 chi bộ 15/06/2026", (12, "chi_bo", date(2026, 6, 15), "", None)),
        ("#12 chibo 15/06/2026", (12, "chi_bo", date(2026, 6, 15), "", None)),
        ("3 guitt ba 02/01/2026", (3, "tham_tra_gui", date(2026, 1, 2), "cha", None)),
        ("3 guitt má chồng 02/01/2026", (3, "tham_tra_gui", date(2026, 1, 2), "me_vc", None)),
        ("3 ketnap", (3, "ket_nap", None, "", None)),
        ("3", (3, "", None, "", None)),
    ],
)
def test_parse_step_command(text: str, expected: tuple) -> None:
    got = parse_step_command(text, TODAY)
    assert (got.dossier_id, got.step, got.day, got.person, got.abroad) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("", "usage"),
        ("abc chibo", "usage"),
        ("3 nauan 01/01/2026", "unknown_step"),
        ("3 guitt hàng xóm 01/01/2026", "unknown_person"),
        ("3 chibo 31/02/2026", "bad_date"),
        ("3 chibo 2026-02-31", "bad_date"),
        ("3 chibo 31/2", "bad_date"),
        ("3 chibo 15/06/26", "bad_date"),
    ],
)
def test_parse_step_command_refusals(text: str, key: str) -> None:
    with pytest.raises(StepRefused) as info:
        parse_step_command(text, TODAY)
    assert info.value.key == key
    assert info.value.message


# -- recording in the database -----------------------------------------------------------------


@pytest.fixture
async def world(tmp_path: Path):
    w = await build_world(tmp_path)
    yield w
    await w.db.close()


async def test_record_writes_event_progress_and_audit(world: World) -> None:
    dossier = world.dossiers["D6"]  # approved 15/09/2026
    async with world.db.transaction(at(TODAY)) as tx:
        await record_step(tx, dossier, "ban_viet_tay", d("18/09/2026"), today=TODAY,
                          recorded_by=world.secretary)  # fmt: skip
        done = await record_step(tx, dossier, "tham_tra_gui", d("19/09/2026"), today=TODAY,
                                 person="con", recorded_by=world.secretary)  # fmt: skip
        assert done.person == "con1"
        again = await record_step(tx, dossier, "tham_tra_gui", d("19/09/2026"), today=TODAY,
                                  person="con", abroad=True)  # fmt: skip
        assert again.person == "con2"
    async with world.db.read() as r:
        stages = r.repo(StageRecords)
        progress = await stages.progress(dossier)
        assert progress is not None
        assert progress.phase == "verifying"
        assert progress.handwritten_d == day_number(d("18/09/2026"))
        assert [(v.person, v.abroad) for v in await stages.verifications(dossier)] == [
            ("con1", False),
            ("con2", True),
        ]
        history = await r.audit.for_dossier(dossier)
    stage_rows = [h for h in history if h["action"] == "stage"]
    assert [h["detail"]["stage"] for h in stage_rows] == [
        "ban_viet_tay",
        "tham_tra_gui",
        "tham_tra_gui",
    ]
    assert stage_rows[0]["person_id"] == world.secretary


async def test_a_refused_step_writes_nothing(world: World) -> None:
    dossier = world.dossiers["D6"]
    with pytest.raises(StepRefused):
        async with world.db.transaction(at(TODAY)) as tx:
            await record_step(tx, dossier, "chi_bo", d("18/09/2026"), today=TODAY)
    with pytest.raises(StepRefused) as info:
        async with world.db.transaction(at(TODAY)) as tx:
            await record_step(tx, world.dossiers["D3"], "ban_viet_tay", TODAY, today=TODAY)
    assert info.value.key == "not_approved"
    async with world.db.read() as r:
        assert await r.repo(StageRecords).events(dossier) == []


async def test_undo_removes_the_last_step_only(world: World) -> None:
    dossier = world.dossiers["D12"]  # … decision 01/07/2026
    async with world.db.transaction(at(TODAY)) as tx:
        removed = await undo_last_step(tx, dossier, by=world.secretary)
    assert removed is not None and removed.stage == "quyet_dinh"
    async with world.db.read() as r:
        progress = await r.repo(StageRecords).progress(dossier)
    assert progress is not None and progress.phase == "dang_uy" and progress.decision_d is None
    async with world.db.transaction(at(TODAY)) as tx:
        for _ in range(3):  # dang_uy, chi_bo, ban_viet_tay
            assert await undo_last_step(tx, dossier, by=None) is not None
        assert await undo_last_step(tx, dossier, by=None) is None
    async with world.db.read() as r:
        assert (await r.repo(StageRecords).progress(dossier)).phase == "approved"  # type: ignore[union-attr]


async def test_progress_rows_follow_the_dossier(world: World) -> None:
    """Triggers keep the derived row in step with whoever writes ``dossiers``."""
    dossier_id = await new_dossier(
        world, "X", world.a1, d("01/09/2026"), name="NGUYỄN VĂN MỚI", certificate="15/08/2023"
    )
    async with world.db.read() as r:
        row = await r.fetchone(
            "SELECT status, full_name, opened_d, cert_d, updated_d FROM dossier_progress"
            " WHERE dossier_id = ?",
            (dossier_id,),
        )
    assert tuple(row) == (
        "draft",
        "NGUYỄN VĂN MỚI",
        day_number(d("01/09/2026")),
        day_number(d("15/08/2023")),
        day_number(d("01/09/2026")),
    )
    from storage.core import Change

    # 23:30 local on 05/09 is 16:30 UTC: the local date is what counts
    late_evening = at(d("05/09/2026"), 23)
    async with world.db.transaction(late_evening) as tx:
        rec = await tx.dossiers.get(dossier_id)
        assert rec is not None
        await tx.dossiers.apply(
            rec, [Change("answers.ngay_chung_nhan_ntvd", "bad date"),
                  Change("answers.ho_ten", "NGUYỄN VĂN SỬA")], None,
        )  # fmt: skip
    async with world.db.read() as r:
        row = await r.fetchone(
            "SELECT full_name, cert_d, updated_d FROM dossier_progress WHERE dossier_id = ?",
            (dossier_id,),
        )
    assert tuple(row) == ("NGUYỄN VĂN SỬA", None, day_number(d("05/09/2026")))


# -- working days ------------------------------------------------------------------------------


def test_vietnamese_public_holidays_are_not_working_days() -> None:
    cal = DEFAULT_CALENDAR
    for holiday in ("01/01/2026", "17/02/2026", "18/02/2026", "30/04/2026", "01/05/2026",
                    "02/09/2026", "29/01/2025", "02/09/2025"):  # fmt: skip
        assert not cal.is_workday(d(holiday)), holiday
    assert not cal.is_workday(d("26/09/2026"))  # Saturday
    assert cal.is_workday(d("23/09/2026"))
    # Friday 24/04/2026 + 3 working days: the weekend, 27/04 (Giỗ Tổ observed), 28, 29, 30/04
    # and 01/05 holidays, so the third is Monday 04/05.
    assert cal.add_workdays(d("24/04/2026"), 3) == d("04/05/2026")


def test_the_saturday_worked_for_a_bridge_day_off_is_a_working_day() -> None:
    # 2026: Monday 31/08 off (with 01–02/09), made up by working on Saturday 22/08
    cal = DEFAULT_CALENDAR
    assert cal.is_workday(d("22/08/2026")) and not cal.is_workday(d("31/08/2026"))
    assert cal.add_workdays(d("21/08/2026"), 1) == d("22/08/2026")
    # Friday 21/08 → Saturday 22/08, Monday 24/08 … Friday 28/08, then 03/09: 7 working days
    assert cal.workdays_between(d("21/08/2026"), d("03/09/2026")) == 7
    assert not cal.is_workday(d("29/08/2026"))  # an ordinary Saturday


def test_local_days_off_and_compensating_saturdays() -> None:
    cal = WorkCalendar(extra_days_off=[d("23/09/2026")], extra_workdays=[d("26/09/2026")])
    assert not cal.is_workday(d("23/09/2026"))
    assert cal.is_workday(d("26/09/2026"))
    assert cal.add_workdays(d("22/09/2026"), 1) == d("24/09/2026")


@settings(max_examples=200)
@given(
    st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    st.dates(date(2024, 1, 1), date(2028, 12, 31)),
    st.sampled_from([0, 1, 5, 30, 45, 90]),
)
def test_overdue_cutoff_agrees_with_counting(start: date, today: date, n: int) -> None:
    cal = DEFAULT_CALENDAR
    overdue = cal.add_workdays(start, n) < today
    assert overdue == (start < cal.overdue_cutoff(today, n))
    if start < today:
        assert (cal.workdays_between(start, today - timedelta(days=1)) >= n) == overdue


@given(st.dates(date(2000, 1, 1), date(2040, 12, 31)), st.integers(-120, 120))
def test_add_months_clamps_to_the_month_end(day: date, months: int) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


def test_derived_stages_without_verification_have_no_done_day() -> None:
    empty = DerivedStages(None, None, None, None, None, None, ())
    assert empty.verif_done_d is None
