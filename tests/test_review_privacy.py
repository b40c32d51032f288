"""Issue 11 on the review side: group chats carry no content, documents go privately and
protected, every private view is recorded, reviewers read only what was submitted to them,
reopening stops at the admission decision, staff invites are short-lived and announced, and
numbers too big for the database are refused in plain Vietnamese."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pytest

from admission import access as rules
from admission import lifecycle
from admission.clock import FixedClock, local_date
from bot.app import build_flows
from forms.checks import Flag
from forms.dossier import Dossier
from handlers.events import Chat, Event, Reply, User
from handlers.router import Router
from handlers.stages import record_step
from storage.core import Change
from storage.db import Database
from storage.history import History
from storage.reviews import DecisionRefused, Reviews
from tests.group_privacy import document_text, leaked
from tests.review_harness import Shown, World, dossier_for, open_db, private
from tests.samples import load_sample
from tests.test_review_flow import (
    CAND,
    CB_GROUP,
    DU_GROUP,
    OUT,
    R1,
    R2,
    R3,
    SEC,
    _code,
    _organisation,
)

EXPLANATION = "Nghỉ ốm dài ngày, điều trị tại Bệnh viện Bạch Mai"


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await open_db(tmp_path)
    try:
        yield database
    finally:
        await database.close()


def _explained_sample() -> Dossier:
    sample = load_sample("a")
    sample.explanations["X5:a"] = EXPLANATION
    return sample


def _checks(dossier: Dossier, today: date | None = None) -> list[Flag]:
    """One warning on item (15), explained by the candidate's own words."""
    return [
        Flag(
            "X5", "warning", 15, "Khoảng trống 07/2024–09/2024", "X5:a",
            explanation=dossier.explanations.get("X5:a"),
        )
    ]  # fmt: skip


def _card(world: World, chat: Chat, dossier_id: int):  # type: ignore[no-untyped-def]
    return [m for m in world.messages(chat) if m.text.startswith(f"📋 Hồ sơ #{dossier_id} ")][-1]


async def _submitted(world: World, sample: Dossier | None = None) -> tuple[dict[str, int], int]:
    ids = await _organisation(world)
    dossier_id = await dossier_for(world.db, ids["cand"], ids["cb"], sample or load_sample("a"))
    await world.submit(ids["cand"], chat=private(CAND))
    return ids, dossier_id


def _group_texts(world: World) -> list[str]:
    """Everything the two groups were shown: every message, every earlier version of an
    edited one, every document's text."""
    return [
        text
        for chat in (CB_GROUP, DU_GROUP)
        for m in world.messages(chat)
        for text in (m.text, *m.history, document_text(m.document.data) if m.document else "")
    ]


# ---------------------------------------------------------------------------------------------
# Groups carry no content


async def test_the_whole_review_shows_groups_no_field_value_but_the_name(db: Database) -> None:
    """Sample A with an explained warning, commented in the group three ways, returned, fixed,
    resubmitted, approved at both levels: the groups never see a value of the dossier (the
    candidate's explanation included) other than the candidate's name."""
    world = World(db)
    world.review.checks = _checks
    sample = _explained_sample()
    ids, dossier_id = await _submitted(world, sample)
    card = _card(world, CB_GROUP, dossier_id)
    assert "Cảnh báo: 1 (1 có giải trình)" in card.text

    await world.tap(R1, CB_GROUP, card, "Nhận xét")
    await world.tap(R1, CB_GROUP, world.last(CB_GROUP), "15")
    await world.reply_to(R1, CB_GROUP, world.last(CB_GROUP), "Ghi rõ tháng nghỉ ốm.")
    await world.reply_to(R2, CB_GROUP, card, "3 Đối chiếu giấy khai sinh.")
    await world.command(R2, CB_GROUP, "nhanxet", "21 Ghi rõ nơi ở của bà nội.")
    await world.tap(R1, CB_GROUP, card, "Xem")
    await world.tap(R2, CB_GROUP, card, "Trả lại")

    rows = list(sample.rows("cong_tac"))
    fixed = {**rows[1], "viec": rows[1]["viec"] + " (có giấy ra viện)"}
    await world.edit_dossier(ids["cand"], [Change("tables.cong_tac.1", fixed)])
    await world.submit(ids["cand"], chat=private(CAND))
    card2 = _card(world, CB_GROUP, dossier_id)
    await world.tap(R1, CB_GROUP, card2, "Xem")
    for label in ("Đã sửa #", "Đã sửa #", "Đã sửa #"):
        if any(label in b.label for row in card2.buttons for b in row):
            await world.tap(R1, CB_GROUP, card2, label)
    await world.tap(R1, CB_GROUP, card2, "Duyệt")
    du_card = _card(world, DU_GROUP, dossier_id)
    await world.tap(R3, DU_GROUP, du_card, "Xem")
    await world.tap(R3, DU_GROUP, du_card, "Duyệt")
    await world.tap(SEC, DU_GROUP, du_card, "Bản chính thức")

    shown = _group_texts(world)
    assert leaked(shown, sample) == []
    assert any(sample.value("ho_ten") in text for text in shown)
    assert all(m.document is None for c in (CB_GROUP, DU_GROUP) for m in world.messages(c))


async def test_comments_typed_in_the_group_are_stored_and_never_echoed(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    before = len(world.messages(CB_GROUP))
    await world.reply_to(R1, CB_GROUP, card, "15 Ghi rõ chức vụ Phó Bí thư từ tháng nào.")
    await world.command(R2, CB_GROUP, "nhanxet", "3 Kiểm tra lại nơi đăng ký khai sinh.")
    said = [m.text for m in world.messages(CB_GROUP)[before:]] + [card.text]
    assert len(said) == 3 and all("Đã ghi nhận xét" in x for x in said[:2])
    assert not any("Phó Bí thư" in x or "đăng ký khai sinh" in x for x in said)
    assert "Nhận xét mới, chưa gửi (sẽ gửi khi bấm «Trả lại»): 2" in card.text
    async with db.read() as r:
        texts = [c.text for c in await r.repo(Reviews).comments(dossier_id)]
    assert sorted(texts) == [
        "Ghi rõ chức vụ Phó Bí thư từ tháng nào.",
        "Kiểm tra lại nơi đăng ký khai sinh.",
    ]


async def test_xem_sends_the_content_privately_protected_and_recorded(db: Database) -> None:
    world = World(db)
    world.review.checks = _checks
    _, dossier_id = await _submitted(world, _explained_sample())
    await world.command(R1, CB_GROUP, "nhanxet", "15 Ghi rõ tháng nghỉ ốm.")
    await world.tap(R2, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Xem")
    view, document = world.messages(private(R2))[-2:]
    assert EXPLANATION in view.text and "Ghi rõ tháng nghỉ ốm." in view.text
    assert view.protect and document.protect and document.document is not None
    async with db.read() as r:
        views = [h for h in await r.repo(History).of_dossier(dossier_id) if h.action == "view"]
    assert [(v.person_name, v.detail["what"]) for v in views] == [(R2.name, "draft_docx")]


async def test_the_final_docx_goes_privately_and_to_the_deciding_units_secretaries_on_request(
    db: Database,
) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    await world.tap(R1, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Duyệt")
    du_card = _card(world, DU_GROUP, dossier_id)
    await world.tap(R3, DU_GROUP, du_card, "Duyệt")

    final = world.messages(private(CAND))[-1]
    assert final.document is not None and final.protect
    assert "Đã duyệt lần cuối" in du_card.text and "nhóm chat" not in du_card.text
    assert all(m.document is None for m in world.messages(DU_GROUP))

    # the deciding unit's secretary (of the top unit, above it) is told privately, no document
    note = world.last(private(SEC))
    assert note.document is None and "Bản chính thức" in note.button("Bản chính thức").label
    # anyone else asking gets nothing: a reviewer, the candidate, an outsider (unknown to the
    # bot: no right at all)
    for who in (R1, R3, CAND, OUT):
        before = len(world.messages(private(who)))
        await world.tap(who, DU_GROUP, du_card, "Bản chính thức")
        expected = "Bạn không có quyền" if who is OUT else "bí thư của đơn vị đã duyệt"
        assert expected in world.toasts[-1]
        assert all(m.document is None for m in world.messages(private(who))[before:])
    # the secretary asks in the group: the document arrives privately, protected
    await world.tap(SEC, DU_GROUP, du_card, "Bản chính thức")
    assert world.toasts[-1] == "Đã gửi bản chính thức vào tin nhắn riêng."
    copy = world.last(private(SEC))
    assert copy.document is not None and copy.protect
    assert copy.document.filename == final.document.filename
    async with db.read() as r:
        history = await r.repo(History).of_dossier(dossier_id)
    views = [(h.person_name, h.detail.get("what")) for h in history if h.action == "view"]
    assert views == [(SEC.name, "final_docx")]
    assert not [h for h in history if h.action == "deliver" and h.detail.get("to") == "group"]


async def test_a_secretary_of_a_chi_bo_below_gets_no_final_docx(db: Database) -> None:
    """The đảng ủy decides; a secretary of the chi bộ only (not of the deciding unit) is not
    one of its secretaries."""
    world = World(db)
    ids, dossier_id = await _submitted(world)
    cb_sec = User("telegram", "777", "Bí thư Chi bộ")
    await world.command(SEC, private(SEC), "moi", f"bithu #{ids['cb']}")
    await world.command(cb_sec, private(cb_sec), "start", _code(world.last(private(SEC)).text))
    await world.tap(R1, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Duyệt")
    await world.tap(R3, DU_GROUP, _card(world, DU_GROUP, dossier_id), "Duyệt")
    await world.send(
        cb_sec, private(cb_sec), kind="button", action=f"rv:f:{dossier_id}", message_ref="1"
    )
    assert "bí thư của đơn vị đã duyệt" in world.toasts[-1]
    assert all(m.document is None for m in world.messages(private(cb_sec)))


# ---------------------------------------------------------------------------------------------
# Reviewers read what was submitted to them


async def test_a_returned_dossier_shows_reviewers_the_revision_they_returned(
    db: Database,
) -> None:
    world = World(db)
    ids, dossier_id = await _submitted(world)
    card = _card(world, CB_GROUP, dossier_id)
    view_action = card.button("Xem").action
    await world.command(R1, CB_GROUP, "nhanxet", "9 Ghi rõ tôn giáo.")
    await world.tap(R1, CB_GROUP, card, "Trả lại")
    async with db.read() as r:
        returned = await r.dossiers.get(dossier_id)
    assert returned is not None and returned.status == "returned"
    await world.edit_dossier(ids["cand"], [Change("answers.ton_giao", "Phật giáo (đang sửa)")])

    # an old «Xem» (the card was closed; the data survives in Telegram) still works, on the
    # revision the chi bộ returned, not on the candidate's edits in progress
    await world.send(R2, CB_GROUP, kind="button", action=view_action, message_ref=card.id)
    view = world.messages(private(R2))[-2].text
    assert "Phật giáo" not in view and f"(bản {returned.revision})" in view
    assert "người khai để sửa" in view
    async with db.read() as r:
        views = [h for h in await r.repo(History).of_dossier(dossier_id) if h.action == "view"]
    assert [v.revision for v in views] == [returned.revision]


async def test_a_draft_never_submitted_is_not_for_reviewers(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    dossier_id = await dossier_for(db, ids["cand"], ids["cb"], load_sample("a"))
    await world.send(R1, private(R1), kind="button", action=f"rv:x:{dossier_id}:0")
    assert world.toasts[-1] == "Bạn không có quyền thực hiện việc này."
    assert world.messages(private(R1))[-1].document is None
    await world.command(R1, private(R1), "lichsu", f"#{dossier_id}")
    assert world.last(private(R1)).text == "Bạn không có quyền thực hiện việc này."


# ---------------------------------------------------------------------------------------------
# Reopening stops at the admission decision


async def _approved(world: World) -> tuple[int, Shown]:
    """A dossier approved at both levels: its number and the đảng ủy's final card."""
    _, dossier_id = await _submitted(world)
    await world.tap(R1, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Duyệt")
    du_card = _card(world, DU_GROUP, dossier_id)
    await world.tap(R3, DU_GROUP, du_card, "Duyệt")
    return dossier_id, du_card


async def test_reopening_is_refused_once_the_admission_decision_is_recorded(
    db: Database,
) -> None:
    world = World(db)
    dossier_id, du_card = await _approved(world)
    async with db.transaction() as tx:
        record = await tx.dossiers.get(dossier_id)
        assert record is not None and record.approved_at is not None
        day = local_date(record.approved_at)  # the users' day (UTC's is a day behind after 17:00)
        for step in ("ban_viet_tay", "chi_bo", "dang_uy", "quyet_dinh"):
            await record_step(tx, dossier_id, step, day, today=day, recorded_by=None)
    await world.tap(R3, DU_GROUP, du_card, "Mở lại")
    refusal = "Hồ sơ này đã có quyết định kết nạp (hoặc không kết nạp), nên không mở lại được nữa."
    assert world.toasts[-1] == refusal
    await world.command(R1, CB_GROUP, "molai", f"#{dossier_id}")
    assert world.last(CB_GROUP).text == refusal
    async with db.read() as r:
        after = await r.dossiers.get(dossier_id)
        assert after is not None and after.status == "approved" and after.locked
        assert await r.repo(Reviews).admission_decided(dossier_id)
    async with db.transaction() as tx:
        with pytest.raises(DecisionRefused) as refused:
            await tx.repo(Reviews).reopen(dossier_id, after.unit_id or 0, 1)
    assert refused.value.reason == "admission_decided"


def test_the_rule_reads_the_progress_phase() -> None:
    state = lifecycle.DossierState("approved", 3, 2, 5, locked=True)
    lifecycle.check_reopen(state, 2)  # approved, nothing decided: a reviewing unit may
    for phase in ("decided", "probation", "official", "not_admitted"):
        assert lifecycle.admission_decided(phase)
        with pytest.raises(DecisionRefused) as refused:
            lifecycle.check_reopen(state, 2, decided=lifecycle.admission_decided(phase))
        assert refused.value.reason == "admission_decided"
    for phase in (None, "approved", "handwritten", "verifying", "chi_bo", "dang_uy"):
        assert not lifecycle.admission_decided(phase)
    assert not lifecycle.reopenable("approved", True, True)
    assert lifecycle.reopenable("approved", True, False)


# ---------------------------------------------------------------------------------------------
# Staff invites


async def test_staff_invites_are_single_use_72_hours_and_capped(db: Database) -> None:
    world = World(db)
    ids = await _organisation(world)
    await world.command(SEC, private(SEC), "moi", f"duyet #{ids['cb']}")
    said = world.last(private(SEC)).text
    code = _code(said)
    assert "Chỉ dùng được một lần" in said
    async with db.read() as r:
        invite = await r.fetchone(
            "SELECT created_at, expires_at, max_uses FROM invites WHERE token = ?", (code,)
        )
    created, expires, uses = invite
    hours = (datetime.fromisoformat(expires) - datetime.fromisoformat(created)).total_seconds()
    assert hours / 3600 == 72 and uses == 1
    for terms in ("4 ngày", "90 ngày", "73 giờ", "11 lần", "200 lần"):
        await world.command(SEC, private(SEC), "moi", f"bithu #{ids['cb']} {terms}")
        refused = world.last(private(SEC)).text
        assert "tối đa 72 giờ" in refused and "start" not in refused, terms
    await world.command(SEC, private(SEC), "moi", f"duyet #{ids['cb']} 24 giờ 3 lần")
    assert "Dùng được 3 lần" in world.last(private(SEC)).text
    # candidates' invites keep their own terms
    await world.command(SEC, private(SEC), "moi", f"ungvien #{ids['cb']} 30 ngày 50 lần")
    assert "Dùng được 50 lần" in world.last(private(SEC)).text


async def test_a_new_reviewer_is_announced_to_the_issuer_who_can_undo_it(db: Database) -> None:
    world = World(db)
    ids, dossier_id = await _submitted(world)
    stranger = User("telegram", "888", "Người Nhận Nhầm")
    await world.command(SEC, private(SEC), "moi", f"duyet #{ids['cb']}")
    await world.command(stranger, private(stranger), "start", _code(world.last(private(SEC)).text))
    note = world.last(private(SEC))
    assert "Người Nhận Nhầm vừa nhận vai trò người duyệt của Chi bộ Phòng Kỹ thuật" in note.text
    # someone else cannot use the button
    await world.send(OUT, private(OUT), kind="button", action=note.button("Hủy").action)
    assert "Không có vai trò" in world.toasts[-1]
    await world.tap(SEC, private(SEC), note, "Hủy")
    assert note.text.startswith("Đã thu hồi vai trò người duyệt của Người Nhận Nhầm")
    assert note.buttons == []
    await world.tap(stranger, CB_GROUP, _card(world, CB_GROUP, dossier_id), "Duyệt")
    assert "Chỉ người duyệt" in world.toasts[-1]
    async with db.read() as r:
        events = await r.repo(History).of_units([ids["cb"]])
    undone = [e for e in events if e.action == "role_revoke"]
    assert len(undone) == 1 and undone[0].detail["via"] == "undo"
    assert undone[0].person_name == SEC.name


# ---------------------------------------------------------------------------------------------
# /lichsu, /quanly and the binding notice


async def test_history_labels_the_secretary_sides_audit_rows(db: Database) -> None:
    world = World(db)
    _, dossier_id = await _submitted(world)
    async with db.transaction() as tx:
        sec = await tx.people.find("telegram", SEC.id)
        assert sec is not None
        for what in ("summary", "stage_card", "stage_person", "stage_date", "names_in_group"):
            await tx.audit.append(
                "view", person_id=sec.id, dossier_id=dossier_id, detail={"what": what}
            )
        for action in ("names_in_group", "not_admitted"):
            await tx.audit.append(action, person_id=sec.id, dossier_id=dossier_id)
    await world.command(SEC, private(SEC), "lichsu", f"#{dossier_id}")
    history = world.last(private(SEC)).text
    for raw in ("summary", "stage_card", "stage_person", "stage_date", "names_in_group"):
        assert raw not in history, raw
    for label in (
        "xem (tình hình có hồ sơ này)",
        "xem (thẻ các bước sau khi duyệt)",
        "xem (người thân cần thẩm tra)",
        "xem (ngày của một bước)",
        "xem (họ tên trong tin nhắn nhóm)",
        "đổi cách hiện họ tên trong nhóm",
        "ghi «không kết nạp»",
    ):
        assert label in history, label


async def test_help_and_binding_say_groups_see_numbers_only(db: Database) -> None:
    world = World(db)
    await _organisation(world)
    await world.command(SEC, private(SEC), "quanly")
    help_text = world.last(private(SEC)).text
    assert "chỉ thấy số hồ sơ" in help_text and "/hienten" in help_text
    bound = next(m.text for m in world.messages(CB_GROUP) if m.text.startswith("✅ Nhóm này"))
    assert "chỉ ghi số hồ sơ" in bound and "/hienten" in bound
    assert "không đăng vào nhóm" in bound


# ---------------------------------------------------------------------------------------------
# Numbers too big for the database


HUGE = "99999999999999999999"
TWO_63 = str(2**63)


@pytest.fixture
async def router(tmp_path: Path) -> AsyncIterator[Router]:
    database = await Database.open(tmp_path / "router.sqlite3")
    clock = FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00"))
    try:
        yield Router(database, clock, build_flows())
    finally:
        await database.close()


async def test_numbers_out_of_range_get_a_vietnamese_line(router: Router) -> None:
    world = World(router.db)
    ids = await _organisation(world)
    assert ids
    apology = "Xin lỗi, trợ lý vừa gặp sự cố"
    group = Chat("telegram", CB_GROUP.id, "group", CB_GROUP.title)
    typed = [
        (R1, group, "nhanxet", f"{HUGE} Ghi rõ."),
        (R1, group, "nhanxet", f"#{HUGE} 15 Ghi rõ."),
        (R1, private(R1), "nhanxet", f"#{TWO_63} 15 Ghi rõ."),
        (R1, group, "molai", TWO_63),
        (R1, private(R1), "molai", f"#{HUGE}"),
        (R1, group, "hoso", HUGE),
        (SEC, private(SEC), "lichsu", f"#{HUGE}"),
        (SEC, private(SEC), "thuhoi", HUGE),
        (SEC, private(SEC), "capduyet", f"#{HUGE} 1 Chi bộ"),
        (SEC, private(SEC), "vaitro", f"#{HUGE}"),
        (SEC, private(SEC), "moi", f"duyet #{HUGE} {HUGE} ngày {HUGE} lần"),
        (SEC, private(SEC), "donvi", f"#{HUGE} Chi bộ Mới"),
        (SEC, private(SEC), "ketnoi", f"#{HUGE}"),
    ]
    buttons = [
        f"rv:{verb}:{HUGE}" + tail
        for verb, tail in (
            ("x", ":1"), ("a", ":1"), ("t", ":1"), ("n", ""), ("i", ":15"), ("o", ""),
            ("c", ""), ("f", ""), ("ok", ""), ("ko", ""), ("del", ""),
        )
    ] + [f"rv:a:1:{HUGE}", f"og:rv:{HUGE}", f"og:ug:{HUGE}", f"rv:x:-{HUGE}:0"]  # fmt: skip
    answers: list[tuple[str, list[Reply]]] = []
    for n, (who, chat, command, text) in enumerate(typed):
        event = Event(who, chat, "command", text=text, command=command, update_key=f"t{n}")
        answers.append((f"/{command} {text}", await router.handle(event)))
    for n, action in enumerate(buttons):
        for who in (R1, SEC):
            event = Event(who, group, "button", action=action, update_key=f"b{n}{who.id}")
            answers.append((action, await router.handle(event)))
    assert router.stats.errors == 0
    for asked, replies in answers:
        said = " ".join(r.text or r.toast for r in replies)
        assert said.strip(), asked
        assert apology not in said, asked
        assert re.search(r"[àáảãạăâđêôơưóòíúéý]", said.lower()), (asked, said)


@dataclass(frozen=True)
class _Returned:
    person_id: int = 7
    unit_id: int | None = 3
    status: str = "returned"


@dataclass(frozen=True)
class _Grant:
    unit_id: int
    role: str


def test_the_gate_reads_a_returned_dossier_at_the_revision_decided_on() -> None:
    """The pure rule: a reviewer of a returned dossier reads the revision decided on, and
    nothing when there is none; a submitted one at its current revision."""
    grants = [_Grant(3, "reviewer")]
    assert rules.dossier_access(8, _Returned(), grants, [3], reviewed_revision=4).revision == 4
    assert not rules.dossier_access(8, _Returned(), grants, [3]).may_view
    submitted = replace(_Returned(), status="submitted")
    assert rules.dossier_access(8, submitted, grants, [3]).revision is None
