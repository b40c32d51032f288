"""The candidate's conversation through the Router, with the in-process chat client."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest

from admission.clock import FixedClock
from bot.demo import Player, comparable
from forms.checks import run_checks
from forms.dossier import Dossier
from handlers.candidate import (
    COMMANDS,
    CandidateFlow,
    Screen,
    invite_payload,
    jump_action,
    read_conversation,
    stored_state,
)
from handlers.candidate.dialogs import Idle
from handlers.candidate.relatives import RelativeQuestion
from handlers.events import Reply
from handlers.router import Router
from storage.core import Change
from storage.db import Database
from tests.chat_client import ChatClient
from tests.samples import load_sample

TODAY = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)  # sample A's chi bộ meeting
CONSENT_BUTTONS = ["Tôi đồng ý", "Không đồng ý", "📄 Xem đầy đủ"]


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow()])


async def consented(router: Router, user_id: str = "1001") -> ChatClient:
    client = ChatClient(router, user_id=user_id)
    await client.send("/start")
    await client.click("Tôi đồng ý")
    return client


async def conversation(router: Router, client: ChatClient) -> dict:
    async with router.db.read() as r:
        conv = await r.conversations.get(client.platform, client.user_id, client.user_id)
    assert conv is not None
    return {"state": conv.state, "dossier_id": conv.dossier_id, "person_id": conv.person_id}


async def cursor(router: Router, client: ChatClient) -> Screen:
    """The screen the conversation is on."""
    return read_conversation((await conversation(router, client))["state"]).screen


async def dossier(router: Router, client: ChatClient) -> Dossier:
    conv = await conversation(router, client)
    async with router.db.read() as r:
        record = await r.dossiers.get(conv["dossier_id"])
    assert record is not None
    return record.dossier


async def revision(router: Router, client: ChatClient) -> int:
    conv = await conversation(router, client)
    async with router.db.read() as r:
        record = await r.dossiers.get(conv["dossier_id"])
    assert record is not None
    return record.revision


async def seed(router: Router, client: ChatClient, d: Dossier, **state: object) -> None:
    """Write ``d``'s answers straight into the client's dossier, then resume the chat."""
    conv = await conversation(router, client)
    changes = [Change(f"answers.{k}", v) for k, v in d.answers.items()]
    for table_id, rows in d.tables.items():
        changes += [Change(f"tables.{table_id}.{i}", row) for i, row in enumerate(rows)]
    changes += [Change(f"relatives.{i}", row) for i, row in enumerate(d.relatives)]
    async with router.db.transaction() as tx:
        record = await tx.dossiers.get(conv["dossier_id"])
        assert record is not None
        await tx.dossiers.apply(record, changes, None)
        paused = replace(read_conversation(conv["state"]), screen=Idle(), **state)
        await tx.conversations.save(
            client.platform,
            client.user_id,
            client.user_id,
            stored_state(paused),
            person_id=conv["person_id"],
            dossier_id=conv["dossier_id"],
        )
    await client.press("c:cont")


def without(sample: Dossier, *, items: set[str] = frozenset(), tables: set[str] = frozenset(),
            relatives: bool = False) -> Dossier:  # fmt: skip
    data = sample.model_copy(deep=True)
    for key in items:
        data.answers.pop(key, None)
    for key in tables:
        data.tables.pop(key, None)
    if relatives:
        data.relatives = []
    return data


# ---------------------------------------------------------------------------------------------
# Consent


async def test_nothing_is_stored_before_consent(router: Router, db: Database) -> None:
    client = ChatClient(router)
    replies = await client.send("/start")
    assert "Mẫu 2-KNĐ" in client.texts(replies)
    assert client.buttons() == CONSENT_BUTTONS
    await client.send("Nguyễn Văn An")  # typed before consenting: not an answer
    await client.click("Không đồng ý")
    async with db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM people") == 0
        assert await r.fetchval("SELECT count(*) FROM dossiers") == 0
        assert await r.fetchval("SELECT count(*) FROM answer_revisions") == 0
        state = await r.fetchval("SELECT state FROM conversations")
    assert "Nguyễn" not in state and "consent" in state
    await client.send("1")  # the consent button, by its number
    async with db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM people WHERE consent_at IS NOT NULL") == 1
        assert await r.fetchval("SELECT count(*) FROM dossiers") == 1
    assert "Họ và tên khai sinh" in client.last_text()


async def test_start_payload_goes_to_the_hook_first(db: Database) -> None:
    seen: list[str] = []

    async def on_start(tx, event, payload):
        seen.append(payload)
        return [Reply(text="lời mời")] if payload == "INVITE" else None

    router = Router(db, FixedClock(TODAY), [CandidateFlow(on_start=on_start)])
    client = ChatClient(router)
    await client.send("/start INVITE")
    assert client.last_text() == "lời mời"
    await client.send("/start unit42")
    assert seen == ["INVITE", "unit42"]
    async with router.db.read() as r:
        conv = await r.conversations.get(client.platform, client.user_id, client.user_id)
    assert invite_payload(conv) == "unit42"
    assert "đồng ý" in client.last_text()


# ---------------------------------------------------------------------------------------------
# Questions


async def test_answers_are_parsed_and_stored_as_revisions(router: Router) -> None:
    client = await consented(router)
    await client.send("trần minh khoa")
    assert client.texts().startswith("Đã ghi: TRẦN MINH KHOA")
    await client.click("Bỏ qua")  # (2) is optional
    await client.send("12.7.2001")
    d = await dossier(router, client)
    assert d.answers == {"ho_ten": "TRẦN MINH KHOA", "ten_khac": "", "ngay_sinh": "12/07/2001"}
    assert await revision(router, client) == 3
    assert (await cursor(router, client)).field_id == "gioi_tinh"
    assert client.buttons()[:2] == ["nam", "nữ"]


async def test_parse_failure_says_why_and_asks_again(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    before = await revision(router, client)
    replies = await client.send("32/13/2001")
    text = client.texts(replies)
    assert "Chưa ghi được" in text and "15/08/1997" in text  # what was expected, an example
    assert "Ngày, tháng, năm sinh" in text  # the same question again
    assert (await cursor(router, client)).field_id == "ngay_sinh"
    assert await revision(router, client) == before


@pytest.mark.parametrize("text", ["cái này là gì?", "xin chào", "ghi thế nào ạ", "😀👍"])
async def test_text_that_is_not_an_answer_never_becomes_data(router: Router, text: str) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    before = await revision(router, client)
    replies = await client.send(text)
    assert "chưa ghi" in client.texts(replies) or "không được ghi" in client.texts(replies) \
        or "Chào" in client.texts(replies)  # fmt: skip
    assert "Ngày, tháng, năm sinh" in client.last_text()
    await client.sticker()
    assert "chỉ đọc được chữ" in client.texts()
    assert await revision(router, client) == before
    assert "ngay_sinh" not in (await dossier(router, client)).answers


async def test_a_question_in_a_free_text_field_is_not_stored(router: Router) -> None:
    client = await consented(router)
    await seed(router, client, without(load_sample("a"), items={"tu_nhan_xet"}),
               gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu", "r:anh_chi_em"])  # fmt: skip
    assert (await cursor(router, client)).field_id == "tu_nhan_xet"
    await client.send("Tự nhận xét là gì vậy?")
    assert "tu_nhan_xet" not in (await dossier(router, client)).answers
    await client.send("Ưu điểm: trung thực, chịu khó. Khuyết điểm: còn nóng vội.")
    assert (await dossier(router, client)).answers["tu_nhan_xet"].startswith("Ưu điểm")


async def test_back_shows_the_answer_and_keep_moves_on(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    await client.click("Quay lại")
    assert "(2) Các tên gọi khác" in client.last_text()
    await client.click("Quay lại")
    assert "Đã ghi: TRẦN MINH KHOA" in client.last_text()
    assert "Giữ nguyên" in client.buttons()
    await client.click("Giữ nguyên")
    assert (await cursor(router, client)).field_id == "ten_khac"
    await client.send("Khoa Trần")
    assert (await dossier(router, client)).answers["ten_khac"] == "Khoa Trần"
    await client.click("Giải thích")
    assert "📖" in client.texts() and "Ví dụ" in client.texts()


async def test_required_field_cannot_be_skipped_by_typing_the_label(router: Router) -> None:
    client = await consented(router)
    await client.send("Bỏ qua")  # no such button on a required field: a (bad) name
    assert "ho_ten" not in (await dossier(router, client)).answers


async def test_every_button_can_be_typed_by_number_or_label(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("bo qua")  # the label, without diacritics
    await client.send("12/07/2001")
    await client.send("2")  # button 2 = "nữ"
    assert (await dossier(router, client)).answers["gioi_tinh"] == "nữ"


async def test_an_old_messages_button_does_not_answer_the_current_question(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    old_skip = client.find_button("Bỏ qua").action
    await client.click("Bỏ qua")
    await client.send("12/07/2001")
    before = await revision(router, client)
    await client.press(old_skip)
    assert "câu hỏi trước" in client.texts()
    assert await revision(router, client) == before


async def test_ethnic_group_suggestions_become_buttons(router: Router) -> None:
    client = await consented(router)
    first = ("ho_ten", "ten_khac", "ngay_sinh", "gioi_tinh", "noi_dang_ky_khai_sinh", "que_quan")
    answers = load_sample("a").answers
    known = {k: answers[k] for k in (*first, "thuong_tru")}
    await seed(router, client, Dossier(answers=known))
    assert (await cursor(router, client)).field_id == "dan_toc"
    await client.send("hmog")
    assert "H'Mông" in " ".join(client.buttons()) or "Mông" in " ".join(client.buttons())
    label = next(b for b in client.buttons() if "Mông" in b)
    await client.click(label)
    assert "Mông" in (await dossier(router, client)).answers["dan_toc"]


async def test_an_old_style_address_gets_the_new_old_proposal(router: Router) -> None:
    client = await consented(router)
    known = {"ho_ten": "TRẦN MINH KHOA", "ten_khac": "", "ngay_sinh": "12/07/2001"}
    await seed(router, client, Dossier(answers={**known, "gioi_tinh": "nam"}))
    typed = "xã An Lạc, huyện Thanh Bình, tỉnh Thái Bình"
    await client.send(typed)
    assert "trước đây là" in client.last_text()
    assert (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"] == typed
    await client.click("Dùng cách ghi đề xuất")
    stored = (await dossier(router, client)).answers["noi_dang_ky_khai_sinh"]
    assert stored.startswith("xã An Lạc, tỉnh Hưng Yên (trước đây là")
    assert (await cursor(router, client)).field_id == "que_quan"
    await client.send(typed)
    await client.click("Giữ như tôi đã ghi")
    assert (await dossier(router, client)).answers["que_quan"] == typed


# ---------------------------------------------------------------------------------------------
# Loops


async def test_table_rows_are_a_loop_with_proposed_start_months(router: Router) -> None:
    client = await consented(router)
    sample = load_sample("a")
    await seed(router, client, without(sample, tables={"cong_tac", "dao_tao", "nuoc_ngoai",
                                                        "khen_thuong", "gioi_thieu"},
                                       relatives=True),
               gates={"13": "không"}, closed=["t:lich_su"])  # fmt: skip
    cur = await cursor(router, client)
    assert (cur.kind, cur.item, cur.row, cur.field_id) == ("column", 15, 0, "thoi_gian")
    # the first period of (15) follows the last of (14), which ended 09/2019
    assert {"Từ 09/2019", "Từ 10/2019"} <= set(client.buttons())
    await client.click("Từ 09/2019")
    assert "Từ 09/2019 đến" in client.last_text()
    await client.send("6/2024")
    await client.send("Sinh viên, Trường ĐH Bách khoa Kinh Bắc")
    await client.click("Bỏ qua")  # chức vụ is optional
    assert "09/2019 - 06/2024" in client.last_text()  # the row, summarised
    await client.click("Thêm giai đoạn")
    assert "Từ 07/2024" in client.buttons()
    await client.click("Từ 07/2024")
    await client.click("nay")
    await client.send("Kỹ sư phần mềm, Công ty TNHH Công nghệ Sao Mai")
    await client.send("Đoàn viên")
    rows = (await dossier(router, client)).rows("cong_tac")
    assert rows == [
        {"tu": "09/2019", "den": "06/2024", "viec": "Sinh viên, Trường ĐH Bách khoa Kinh Bắc",
         "chuc_vu": ""},
        {"tu": "07/2024", "den": "nay", "viec": "Kỹ sư phần mềm, Công ty TNHH Công nghệ Sao Mai",
         "chuc_vu": "Đoàn viên"},
    ]  # fmt: skip
    # edit then delete a row from the loop menu
    await client.click("Sửa")
    await client.click("1.")
    assert "Đã ghi: 09/2019 - 06/2024" in client.last_text()
    await client.send("09/2019 - 07/2024")
    await client.click("Giữ nguyên")
    await client.click("Giữ nguyên")
    assert (await dossier(router, client)).rows("cong_tac")[0]["den"] == "07/2024"
    await client.click("Xóa")
    await client.click("2.")
    assert len((await dossier(router, client)).rows("cong_tac")) == 1
    await client.click("Xong")
    cur = await cursor(router, client)
    assert (cur.kind, cur.item) == ("rows", 17)  # closed; (16) was answered, (17) is next


async def test_relatives_follow_the_gates_and_each_relations_facts(router: Router) -> None:
    client = await consented(router)
    sample = load_sample("a")
    await seed(router, client, without(sample, items={"da_ket_hon", "co_anh_chi_em", "co_con"},
                                       relatives=True),
               gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu"])  # fmt: skip
    assert (await cursor(router, client)).field_id == "da_ket_hon"
    asked: list[tuple[str, str]] = []
    player = Player(router, sample, user_id=client.user_id, platform=client.platform)
    player.replies = list(client.history)

    async def answer_and_record(screen: Screen) -> None:
        if isinstance(screen, RelativeQuestion):
            asked.append((screen.relation, screen.field_id))
        await Player.answer(player, screen)

    player.answer = answer_and_record  # type: ignore[method-assign]
    while (cur := await cursor(router, client)).item == 21:
        await player.answer(cur)
    codes = [code for code, _ in asked]
    assert list(dict.fromkeys(codes)) == [
        "ong_noi",
        "ba_noi",
        "ong_ngoai",
        "ba_ngoai",
        "cha",
        "me",
        "anh_chi_em",
    ]  # not married, no children
    fields = lambda code: {f for c, f in asked if c == code}  # noqa: E731
    assert {"nam_mat", "nguyen_nhan_mat", "noi_mat"} <= fields("ong_noi")  # deceased
    assert "cu_tru" not in fields("ong_noi")
    assert "cu_tru" in fields("ba_noi") and "nam_mat" not in fields("ba_noi")  # alive
    assert "noi_sinh" not in fields("ong_noi") and "noi_sinh" in fields("cha")  # group A vs B
    assert {"ngay_vao_dang", "chi_bo_dang", "noi_luu_ho_so"} <= fields("me")  # party member
    assert "ngay_vao_dang" not in fields("cha")
    assert "xung_ho" in fields("anh_chi_em") and "thanh_phan" not in fields("anh_chi_em")
    assert comparable(await dossier(router, client))["relatives"] == comparable(sample)["relatives"]


async def test_answering_no_to_a_gate_removes_what_no_longer_applies(router: Router) -> None:
    client = await consented(router)
    sample = load_sample("b")  # married, with spouse's relatives
    await seed(router, client, sample)
    await client.send("/sua 21")
    assert "Anh/chị đã kết hôn chưa?" in client.last_text()
    await client.send("không")
    await client.click("Xóa")  # the spouse's side is deleted only once confirmed
    d = await dossier(router, client)
    assert d.answers["da_ket_hon"] == "không"
    assert "vc_co_anh_chi_em" not in d.answers
    assert not d.relatives_of("vo_chong", "cha_vc", "anh_chi_em_vc")
    assert d.relatives_of("cha", "me", "con")


# ---------------------------------------------------------------------------------------------
# Commands


async def test_command_list_is_vietnamese_and_complete() -> None:
    names = [name for name, _ in COMMANDS]
    assert names == [
        "start", "tiendo", "sua", "xem", "nop", "huy", "rut", "xoa", "dulieu", "web",
        "trogiup",
    ]  # fmt: skip
    assert all(description for _, description in COMMANDS)
    assert jump_action(15) == "c:go:15"


def test_every_declared_button_and_command_has_a_handler() -> None:
    from handlers.candidate.actions import ACTIONS
    from handlers.candidate.commands import ACTION_TABLE, COMMAND_TABLE

    def screens(cls: type[Screen]) -> list[type[Screen]]:
        return [cls, *(s for sub in cls.__subclasses__() for s in screens(sub))]

    handled = set(ACTION_TABLE) | {tag for cls in screens(Screen) for tag in cls.handlers}
    assert {codec.tag for codec in ACTIONS} == handled
    assert set(COMMAND_TABLE) == {name for name, _ in COMMANDS}
    assert set(CandidateFlow.routes.commands) == set(COMMAND_TABLE) - {"start"}


async def test_sua_jumps_to_an_item_and_returns(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    await client.send("12/07/2001")
    await client.send("/sua 1")
    assert "Đã ghi: TRẦN MINH KHOA" in client.last_text()
    await client.send("trần minh khôi")
    assert (await dossier(router, client)).answers["ho_ten"] == "TRẦN MINH KHÔI"
    # item (1) has one question: back to the first unanswered one, (4)
    assert (await cursor(router, client)).field_id == "gioi_tinh"
    await client.press(jump_action(3))  # a reviewer's "open item (3)" button
    assert "Đã ghi: 12/07/2001" in client.last_text()
    await client.send("/sua 99")
    assert "Không có mục 99" in client.texts()


async def test_tiendo_and_huy(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/tiendo")
    assert "Phần 1 – Bản thân: 1/6 câu" in client.texts()
    await client.send("/huy")
    assert client.buttons() == ["▶️ Tiếp tục"]
    await client.send("12/07/2001")  # not at a question: nothing stored
    assert "ngay_sinh" not in (await dossier(router, client)).answers
    await client.click("Tiếp tục")
    assert "(2) Các tên gọi khác" in client.last_text()


def submitting(db: Database) -> tuple[Router, list[int]]:
    """A candidate's router whose review hook notes each submitted dossier's id and answers
    «đã chuyển chi bộ»."""
    submitted: list[int] = []

    async def on_submitted(tx, record):
        submitted.append(record.id)
        return [Reply(text="đã chuyển chi bộ")]

    return Router(db, FixedClock(TODAY), [CandidateFlow(on_submitted=on_submitted)]), submitted


async def test_nop_is_refused_with_errors_then_accepted_when_clean(db: Database) -> None:
    router, submitted = submitting(db)
    client = await consented(router)
    await client.send("le hoang nam")
    await client.send("/nop")
    assert "Chưa nộp được" in client.texts()
    assert "❗" in client.texts()
    assert submitted == []
    await seed(router, client, load_sample("a"), gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu", "r:anh_chi_em"])  # fmt: skip
    assert (await cursor(router, client)).kind == "done"
    await client.send("/nop")
    assert client.texts() == "đã chuyển chi bộ"
    assert len(submitted) == 1
    async with db.read() as r:
        record = await r.dossiers.get(submitted[0])
    assert record is not None and record.status == "submitted"
    await client.send("/sua 1")  # under review: no edits
    assert "đang được xét" in client.texts()


async def test_nop_with_warnings_asks_and_explanations_are_kept(router: Router) -> None:
    client = await consented(router)
    sample = load_sample("b")  # the husband's sister abroad: a warning
    await seed(router, client, sample, gates={"13": "không", "18": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:khen_thuong", "t:gioi_thieu",
                       "r:anh_chi_em", "r:anh_chi_em_vc", "r:con"])  # fmt: skip
    today = TODAY.date()
    warnings = [f for f in run_checks(sample, today=today) if not f.is_error]
    assert warnings and not [f for f in run_checks(sample, today=today) if f.is_error]
    await client.send("/nop")
    assert "cảnh báo" in client.texts()
    await client.click("Giải trình cảnh báo 1")
    await client.send("Em chồng đi lao động hợp tác tại Hàn Quốc từ 2022, có hợp đồng.")
    d = await dossier(router, client)
    assert any(v.startswith("Em chồng đi lao động") for v in d.explanations.values())
    replies = await client.send("/nop")
    if any(b.label == "Nộp luôn" for r in replies for row in r.buttons for b in row):
        replies = await client.click("Nộp luôn")
    assert "Đã nộp" in client.texts(replies)


async def test_xem_sends_the_draft_docx(router: Router) -> None:
    client = await consented(router)
    await client.send("trần minh khoa")
    replies = await client.send("/xem")
    documents = [r.document for r in replies if r.document]
    assert len(documents) == 1 and documents[0].filename.endswith(".docx")
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(documents[0].data)).paragraphs)
    assert "TRẦN MINH KHOA" in text


async def test_xoa_erases_the_content_and_keeps_an_audit_row(router: Router, db: Database) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    await client.send("/xoa")
    await client.click("Không xóa")
    assert (await dossier(router, client)).answers["ho_ten"] == "TRẦN MINH KHOA"
    await client.send("/xoa")
    await client.click("Xóa hồ sơ")
    async with db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM answer_revisions") == 0
        content = await r.fetchval("SELECT content FROM dossiers")
        actions = [row[0] for row in await r.fetchall("SELECT action || detail FROM audit_log")]
        consent = await r.fetchval("SELECT consent_at FROM people")
    assert "TRẦN" not in content and consent is None
    assert any(a.startswith("dossier_erased") for a in actions)
    assert not any("TRẦN" in a for a in actions)
    await client.send("xin chào")
    assert client.buttons() == CONSENT_BUTTONS


# ---------------------------------------------------------------------------------------------
# Durability, redelivery, concurrency


async def test_a_new_router_on_the_same_file_resumes_at_the_same_question(tmp_path: Path) -> None:
    path = tmp_path / "resume.sqlite3"
    db = await Database.open(path)
    client = await consented(Router(db, FixedClock(TODAY), [CandidateFlow()]))
    await client.send("TRẦN MINH KHOA")
    await client.click("Bỏ qua")
    await client.send("12/07/2001")
    await db.close()
    db = await Database.open(path)
    try:
        client.router = Router(db, FixedClock(TODAY), [CandidateFlow()])
        await client.send("/start")
        assert "(4) Giới tính" in client.last_text()
        await client.click("nữ")
        d = await dossier(client.router, client)
        assert d.answers["ho_ten"] == "TRẦN MINH KHOA" and d.answers["gioi_tinh"] == "nữ"
    finally:
        await db.close()


async def test_a_redelivered_update_changes_nothing(router: Router) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    before = (await revision(router, client), await cursor(router, client))
    assert await client.resend() == []
    assert (await revision(router, client), await cursor(router, client)) == before
    assert router.stats.duplicates == 1


async def test_twenty_concurrent_candidates_never_mix_answers(router: Router) -> None:
    names = [
        "NGUYỄN VĂN AN",
        "TRẦN THỊ BÌNH",
        "LÊ VĂN CƯỜNG",
        "PHẠM THỊ DUNG",
        "HOÀNG VĂN EM",
        "VŨ THỊ GIANG",
        "ĐẶNG VĂN HẢI",
        "BÙI THỊ HOA",
        "ĐỖ VĂN KHÁNH",
        "HỒ THỊ LAN",
        "NGÔ VĂN MINH",
        "DƯƠNG THỊ NGA",
        "LÝ VĂN OANH",
        "MAI THỊ PHƯƠNG",
        "TÔ VĂN QUANG",
        "LƯU THỊ SEN",
        "TRỊNH VĂN TÂM",
        "ĐINH THỊ UYÊN",
        "LÂM VĂN VINH",
        "CAO THỊ XUÂN",
    ]

    async def candidate(i: int) -> tuple[ChatClient, str]:
        client = await consented(router, user_id=f"u{i}")
        await client.send(names[i].lower())
        await client.click("Bỏ qua")
        await client.send(f"{i + 1}.{(i % 12) + 1}.2000")
        await client.send("nam" if i % 2 else "nữ")
        return client, names[i]

    results = await asyncio.gather(*(candidate(i) for i in range(20)))
    seen_ids = set()
    for i, (client, name) in enumerate(results):
        d = await dossier(router, client)
        assert d.answers["ho_ten"] == name
        assert d.answers["ngay_sinh"] == f"{i + 1:02d}/{(i % 12) + 1:02d}/2000"
        assert d.answers["gioi_tinh"] == ("nam" if i % 2 else "nữ")
        seen_ids.add((await conversation(router, client))["dossier_id"])
    assert len(seen_ids) == 20


# ---------------------------------------------------------------------------------------------
# Whole dossiers


async def test_sample_a_end_to_end_matches_and_submits(router: Router) -> None:
    sample = load_sample("a")
    player = Player(router, sample, platform="test", user_id="khoa")
    await player.play()
    assert comparable(await player.dossier()) == comparable(sample)
    replies = await player.send("/xem")
    document = next(r.document for r in replies if r.document)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(document.data)).paragraphs)
    assert "TRẦN MINH KHOA" in text
    await player.send("/nop")
    assert any("Đã nộp" in r.text for r in player.replies[-3:])
    assert router.stats.errors == 0


async def test_sample_b_married_with_children_end_to_end(router: Router) -> None:
    sample = load_sample("b")
    player = Player(router, sample, platform="test", user_id="ha")
    await player.play()
    assert comparable(await player.dossier()) == comparable(sample)


class MessyPlayer(Player):
    """Types like a hurried candidate on an unaccented keyboard."""

    async def send(self, text: str) -> list[Reply]:
        from forms.vn import fold

        messy = text
        if text in ("có", "không", "nữ", "nay"):
            messy = fold(text)
        elif text.count("/") == 2 and text.replace("/", "").isdigit():  # a date
            d, m, y = text.split("/")
            messy = f"{int(d)}.{int(m)}.{y}"
        elif (
            " - " in text and text.replace("/", "").replace(" - ", "").replace("nay", "").isdigit()
        ):
            a, b = text.split(" - ")
            messy = f"tu {a.lstrip('0')} den {b.lstrip('0')}"
        elif text.isupper() and len(text.split()) >= 2:  # a name in capitals
            messy = text.lower()
        elif text == "Hà Nội":
            messy = "ha noi"
        elif text == "Kinh":
            messy = "kinh"
        return await super().send(messy)


async def test_a_messy_unaccented_candidate_ends_with_a_clean_dossier(router: Router) -> None:
    sample = load_sample("a")
    player = MessyPlayer(router, sample, platform="test", user_id="messy")
    await player.play()
    d = await player.dossier()
    assert d.answers["ngay_sinh"] == "12/07/2001" and d.answers["ho_ten"] == "TRẦN MINH KHOA"
    assert d.answers["gioi_tinh"] == "nam" and d.rows("cong_tac")[-1]["den"] == "nay"
    assert d.answers["noi_ky"] == "ha noi"
    errors = [f for f in run_checks(d, today=date(2026, 3, 17)) if f.is_error]
    assert errors == []


async def test_a_warning_after_an_answer_can_be_explained_on_the_spot(router: Router) -> None:
    client = await consented(router)
    answers = load_sample("a").answers
    first = ("ho_ten", "ten_khac", "ngay_sinh", "gioi_tinh", "noi_dang_ky_khai_sinh", "que_quan")
    known = {k: answers[k] for k in (*first, "thuong_tru", "dan_toc")}
    await seed(router, client, Dossier(answers=known))
    replies = await client.send("Phật giáo")
    assert any("⚠️" in r.text for r in replies)  # F8: the procedure for religious candidates
    assert "Nghề nghiệp" in client.last_text()  # and the next question
    await client.click("Giải trình cảnh báo 1")
    assert "lời giải trình" in client.last_text()
    await client.send("Tôi theo Phật giáo từ nhỏ, không giữ chức sắc.")
    d = await dossier(router, client)
    assert list(d.explanations.values()) == ["Tôi theo Phật giáo từ nhỏ, không giữ chức sắc."]
    assert (await cursor(router, client)).field_id == "nghe_nghiep"  # back where it was
    again = next(b.action for r in replies for row in r.buttons for b in row if "xpl" in b.action)
    await client.press(again)  # the same warning's button again: the explanation can be revised
    assert "Phật giáo" in client.last_text() and "lời giải trình" in client.last_text()


async def test_trogiup_lists_the_commands_and_keeps_the_question(router: Router) -> None:
    client = await consented(router)
    await client.send("/trogiup")
    text = client.texts()
    assert all(f"/{name}" in text for name, _ in COMMANDS)
    assert "Họ và tên khai sinh" in client.last_text()


async def test_going_back_and_changing_a_gate_skips_what_no_longer_applies(router: Router) -> None:
    client = await consented(router)
    sample = load_sample("a")
    gates = {"da_ket_hon", "co_anh_chi_em", "co_con"}
    await seed(router, client, without(sample, items=gates, relatives=True),
               gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu"])  # fmt: skip
    await client.send("có")  # married
    await client.send("có")  # siblings
    await client.send("không")  # children
    assert (await cursor(router, client)).field_id == "vc_co_anh_chi_em"
    for _ in range(3):
        await client.click("Quay lại")
    assert (await cursor(router, client)).field_id == "da_ket_hon"
    await client.send("không")  # not married after all
    await client.click("Giữ nguyên")  # siblings: as before
    await client.click("Giữ nguyên")  # children: as before
    cur = await cursor(router, client)
    assert (cur.kind, getattr(cur, "relation", None)) == (
        "relative",
        "ong_noi",
    )  # the spouse's question is gone
    assert "vc_co_anh_chi_em" not in (await dossier(router, client)).answers


@pytest.mark.parametrize(
    "typed",
    ["em đã sửa xong rồi ạ", "sửa xong rồi", "đã chỉnh sửa", "em đã sửa theo góp ý rồi ạ",
     "gửi lại giúp em", "nộp lại giúp em với", "da sua xong roi", "đã sửa xong, nộp lại giúp em",
     # done said by «rồi» or «xong» after the verb, without «đã»
     "em sửa theo nhận xét rồi", "em sửa rồi ạ", "em sua theo nhan xet roi", "em bổ sung rồi nhé",
     "em sửa xong theo nhận xét rồi", "em đã cập nhật rồi ạ", "em chỉnh lại rồi"],
)  # fmt: skip
async def test_a_returned_dossier_fixed_is_resubmitted_when_said_in_words(
    db: Database, typed: str
) -> None:
    """At the end screen after a return, «em đã sửa xong rồi ạ» got «hãy chọn một nút» while
    «nộp lại» resubmitted: "I fixed it", "send it again" now lead to «Nộp» — asked first,
    since words may mean only "done editing" (the slash command and the button do not ask);
    «Chưa nộp» leaves the dossier returned and editable."""
    router, submitted = submitting(db)
    client = await consented(router)
    await seed(router, client, load_sample("a"), gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu", "r:anh_chi_em"])  # fmt: skip
    await client.send("/nop")
    async with db.transaction() as tx:  # the chi bộ returns it
        record = await tx.dossiers.get((await conversation(router, client))["dossier_id"])
        assert record is not None
        await tx.dossiers.set_status(record, "returned")
    await client.send("/tiendo")
    assert (await cursor(router, client)).kind == "done"
    asked = client.texts(await client.send(typed))
    assert "Nộp lại lý lịch cho chi bộ xét ngay bây giờ?" in asked
    assert len(submitted) == 1
    assert "Chưa nộp" in client.texts(await client.click("Chưa nộp"))
    assert len(submitted) == 1
    async with db.read() as r:
        record = await r.dossiers.get((await conversation(router, client))["dossier_id"])
    assert record is not None and record.status == "returned"
    await client.send(typed)
    assert client.texts(await client.click("📨 Nộp ngay")) == "đã chuyển chi bộ"
    assert len(submitted) == 2


@pytest.mark.parametrize(
    "typed", ["sửa theo nhận xét", "em muốn chỉnh sửa", "em sửa lại", "em cần bổ sung"]
)
async def test_a_fix_not_said_done_is_no_submission(db: Database, typed: str) -> None:
    """The verb alone, without «đã», «xong» or «rồi», says no fix is finished: never read
    as «Nộp» (the end screen says what comes next instead)."""
    router, submitted = submitting(db)
    client = await consented(router)
    await seed(router, client, load_sample("a"), gates={"13": "không", "20": "không"},
               closed=["t:lich_su", "t:cong_tac", "t:dao_tao", "t:nuoc_ngoai", "t:khen_thuong",
                       "t:gioi_thieu", "r:anh_chi_em"])  # fmt: skip
    assert (await cursor(router, client)).kind == "done"
    text = client.texts(await client.send(typed))
    assert "ngay bây giờ?" not in text and not submitted, text
