"""Issue 11, the candidate's side: withdrawal at any status (/rut), erasure after submission
(/xoa), the right to know (/dulieu) and consent v2 (what it names, the version recorded, a
changed text asked again) — through the router, as the candidate and the staff would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from admission.clock import FixedClock
from bot.app import build_flows, notice_of
from bot.settings import Settings
from handlers.candidate import CandidateFlow, Notice
from handlers.candidate.consent import version as consent_version
from handlers.events import Chat, Reply
from handlers.org import bootstrap
from handlers.router import Router
from storage.core import DossierRecord
from storage.db import Database
from tests.chat_client import ChatClient
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.test_review_router import PLATFORM, Net, candidate_submits, code, person

TODAY = datetime(2026, 3, 17, 2, 0, tzinfo=UTC)
CONTROLLER = "Văn phòng Đảng ủy Khối Doanh nghiệp, điện thoại 024 3825 1234"
NOTICE = Notice(CONTROLLER, retention_days=90, abandoned_days=120, abandoned_warning_days=20)


@pytest.fixture
def router(db: Database) -> Router:
    return Router(db, FixedClock(TODAY), [CandidateFlow(notice=NOTICE)])


async def consented(router: Router, user_id: str = "1001") -> ChatClient:
    client = ChatClient(router, user_id=user_id)
    await client.send("/start")
    await client.click("Tôi đồng ý")
    return client


async def current(db: Database, user_id: str = "1001") -> DossierRecord:
    async with db.read() as r:
        found = await r.people.find("test", user_id)
        assert found is not None
        record = await r.dossiers.current_for(found.id)
    assert record is not None
    return record


async def audit(db: Database) -> list[str]:
    async with db.read() as r:
        return [row[0] for row in await r.fetchall("SELECT action || detail FROM audit_log")]


# ---------------------------------------------------------------------------------------------
# Withdrawal


async def test_a_draft_is_withdrawn_once_confirmed_and_the_conversation_stops(
    router: Router, db: Database
) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await client.send("/rut")
    assert client.buttons() == ["Rút", "Không rút"]
    assert "90 ngày" in client.last_text() and "/dulieu" in client.last_text()
    await client.click("Không rút")
    assert "Chưa rút" in client.texts()
    assert (await current(db)).status == "draft"

    await client.send("/rut")
    replies = await client.click("Rút")
    record = await current(db)
    assert record.status == "withdrawn" and record.dossier.answers["ho_ten"] == "TRẦN MINH KHOA"
    told = client.texts()
    assert "Đã rút hồ sơ" in told and "90 ngày" in told and "15/06/2026" in told
    assert "/xoa" in told and not any(r.buttons for r in replies)
    withdrawn = [a for a in await audit(db) if a.startswith("dossier_withdrawn")]
    assert withdrawn == ['dossier_withdrawn{"from":"draft"}']

    # nothing more is asked, nothing is stored
    for text in ("12/07/2001", "xin chào", "/sua 1", "/nop", "/tiendo"):
        replies = await client.send(text)
        assert "đã rút hồ sơ" in client.texts(), text
        assert not any(r.buttons for r in replies), text
    assert (await current(db)).revision == record.revision
    await client.send("/rut")
    assert "đã rút rồi" in client.texts() and "15/06/2026" in client.texts()


async def test_a_typed_yes_confirms_a_withdrawal_of_a_submitted_dossier(
    router: Router, db: Database
) -> None:
    client = await consented(router)
    record = await current(db)
    async with db.transaction() as tx:
        await tx.dossiers.set_status(record, "submitted")
    await client.send("/rut")
    await client.send("có")
    assert (await current(db)).status == "withdrawn"


async def test_an_approved_dossier_can_be_withdrawn(router: Router, db: Database) -> None:
    client = await consented(router)
    record = await current(db)
    async with db.transaction() as tx:
        record = await tx.dossiers.set_status(record, "approved")
        await tx.dossiers.set_meta(record, locked=True)
    await client.send("/rut")
    assert "Người duyệt và bí thư" in client.last_text()
    await client.click("Rút")
    assert (await current(db)).status == "withdrawn"


async def reviewed_world(
    router: Router,
) -> tuple[Net, dict[str, tuple[Any, Chat]], Chat, DossierRecord]:
    """A chi bộ with its secretary, a reviewer and a group; a candidate who submitted."""
    net = Net(router)
    names = {"sec": "Bí thư", "rev": "Lê Văn Duyệt", "cand": "Nguyễn Văn An"}
    people = {key: person(key, name) for key, name in names.items()}
    (sec, sec_chat), (rev, rev_chat) = people["sec"], people["rev"]
    group = Chat(PLATFORM, "nhom-chi-bo", "group", "Chi bộ")
    async with router.db.transaction() as tx:
        boot = await bootstrap(tx, "Chi bộ cơ sở Trường A", platform=PLATFORM, kind="chi_bo_co_so")
    assert boot.code
    await net.event(sec, sec_chat, kind="command", command="start", text=boot.code)
    await net.event(sec, sec_chat, kind="command", command="moi", text="duyet")
    await net.event(rev, rev_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    await net.event(sec, sec_chat, kind="command", command="ketnoi")
    await net.event(sec, group, kind="command", command="ketnoi",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    cand, cand_chat = people["cand"]
    await net.event(sec, sec_chat, kind="command", command="moi", text="ungvien")
    await net.event(cand, cand_chat, kind="command", command="start",
                    text=code(net.last(sec_chat)[1].text))  # fmt: skip
    yes = next(b for row in net.last(cand_chat)[1].buttons for b in row if "đồng ý" in b.label)
    await net.event(cand, cand_chat, kind="button", action=yes.action)
    record = await fill_from_sample(router.db, PLATFORM, cand.id, load_sample("b"))
    await candidate_submits(net, cand)
    return net, people, group, record


def tap(reply: Reply, label: str) -> str:
    return next(b.action for row in reply.buttons for b in row if label in b.label)


@pytest.fixture
async def full_router(tmp_path: Path) -> AsyncIterator[Router]:
    db = await Database.open(tmp_path / "privacy.sqlite3")
    clock = FixedClock(datetime.fromisoformat("2026-03-02T02:00:00+00:00"))
    try:
        yield Router(db, clock, build_flows(notice=NOTICE))
    finally:
        await db.close()


async def test_reviewers_cards_and_secretaries_see_a_withdrawal(full_router: Router) -> None:
    net, people, group, record = await reviewed_world(full_router)
    (sec, sec_chat), (rev, _), (cand, cand_chat) = people["sec"], people["rev"], people["cand"]
    card_id, card = net.last(group)
    assert "Hồ sơ #" in card.text and card.buttons

    replies = await net.event(cand, cand_chat, kind="command", command="rut")
    await net.event(cand, cand_chat, kind="button", action=tap(replies[-1], "Rút"))
    closed = dict(net.inbox[group.id])[card_id]
    assert "đã được người khai rút" in closed.text and closed.buttons == []
    assert "VŨ THỊ THU HÀ" not in closed.text  # the group learns the number only
    note = net.last(sec_chat)[1].text
    assert f"Hồ sơ #{record.id}" in note and "rút" in note

    # an old card's button decides nothing
    await net.event(rev, group, kind="button", action=tap(card, "Duyệt"), message_ref=card_id)
    async with full_router.db.read() as r:
        after = await r.dossiers.get(record.id)
        phase = await r.fetchval(
            "SELECT phase FROM dossier_progress WHERE dossier_id = ?", (record.id,)
        )
        decisions = await r.fetchval("SELECT count(*) FROM review_decisions")
    assert after is not None and after.status == "withdrawn" and decisions == 0
    assert phase == "withdrawn"
    await net.event(sec, sec_chat, kind="command", command="tinhhinh")
    assert "Người khai đã rút hồ sơ: 1" in net.last(sec_chat)[1].text


# ---------------------------------------------------------------------------------------------
# Erasure after submission


async def test_xoa_after_submission_withdraws_and_erases_now(full_router: Router) -> None:
    net, people, group, record = await reviewed_world(full_router)
    (_, sec_chat), (rev, _), (cand, cand_chat) = people["sec"], people["rev"], people["cand"]
    await net.event(rev, group, kind="command", command="nhanxet", text="3 Kiểm tra ngày sinh.")
    card_id, _ = next((i, r) for i, r in reversed(net.inbox[group.id]) if "Hồ sơ #" in r.text)

    replies = await net.event(cand, cand_chat, kind="command", command="xoa")
    asked = replies[-1]
    assert "rút hồ sơ" in asked.text and "xóa hẳn" in asked.text
    await net.event(cand, cand_chat, kind="button", action=tap(asked, "Không xóa"))
    async with full_router.db.read() as r:
        kept = await r.dossiers.get(record.id)
    assert kept is not None and kept.status == "submitted"

    replies = await net.event(cand, cand_chat, kind="command", command="xoa")
    replies = await net.event(cand, cand_chat, kind="button", action=tap(replies[-1], "Xóa hồ sơ"))
    told = "\n".join(r.text for r in replies if r.chat is None)
    assert "Đã xóa hồ sơ" in told and "nhận xét của người duyệt" in told
    assert "đã được người khai rút" in dict(net.inbox[group.id])[card_id].text
    assert f"Hồ sơ #{record.id}" in net.last(sec_chat)[1].text
    name = load_sample("b").value("ho_ten")
    async with full_router.db.read() as r:
        erased = await r.dossiers.get(record.id)
        revisions = await r.fetchval(
            "SELECT count(*) FROM answer_revisions WHERE dossier_id = ?", (record.id,)
        )
        row = await r.fetchone(
            "SELECT platform, display_name, consent_at, consent_version FROM people WHERE id = ?",
            (record.person_id,),
        )
        comments = await r.fetchval("SELECT count(*) FROM comments")
        actions = [a[0] for a in await r.fetchall("SELECT action || detail FROM audit_log")]
    assert erased is not None and erased.status == "deleted" and revisions == 0
    assert name not in erased.dossier.model_dump_json()
    assert row is not None and tuple(row) == ("erased", "", None, None)  # storage's erasure
    assert any(a.startswith("dossier_withdrawn") for a in actions)
    assert any(a.startswith("dossier_erased") for a in actions)
    assert not any(name in a for a in actions) and comments == 0
    replies = await net.event(cand, cand_chat, kind="text", text="xin chào")
    assert any("đồng ý" in b.label for r in replies for row in r.buttons for b in row)


# ---------------------------------------------------------------------------------------------
# The right to know


async def test_dulieu_sends_everything_held_and_who_viewed(full_router: Router) -> None:
    net, people, group, record = await reviewed_world(full_router)
    (rev, _), (cand, cand_chat) = people["rev"], people["cand"]
    card_id, card = net.last(group)
    await net.event(rev, group, kind="button", action=tap(card, "Xem"), message_ref=card_id)
    await net.event(rev, group, kind="command", command="nhanxet", text="3 Kiểm tra lại ngày sinh.")
    await net.event(rev, group, kind="command", command="nhanxet", text="5 Chưa gửi.")
    card_id, card = next((i, r) for i, r in reversed(net.inbox[group.id]) if "Hồ sơ #" in r.text)
    await net.event(rev, group, kind="button", action=tap(card, "Trả lại"), message_ref=card_id)

    replies = await net.event(cand, cand_chat, kind="command", command="dulieu")
    assert all(r.chat is None for r in replies)  # privately, to the candidate only
    text = replies[0].text
    assert "Lê Văn Duyệt" in text and "Chi bộ cơ sở Trường A" in text and "02/03/2026" in text
    documents = {r.document.filename: r.document for r in replies if r.document}
    assert set(documents) == {"du-lieu-cua-toi.json", "ly-lich-nhap-VU_THI_THU_HA.docx"}
    data = json.loads(documents["du-lieu-cua-toi.json"].data)
    sample = load_sample("b")
    assert data["ho_so"]["so"] == record.id and data["ho_so"]["trang_thai"] == "returned"
    assert data["ho_so"]["noi_dung"]["answers"]["ho_ten"] == sample.value("ho_ten")
    assert data["dong_y"]["phien_ban"] == consent_version() and data["dong_y"]["luc"]
    assert data["nguoi"]["ten_hien_thi"] == "Nguyễn Văn An"
    assert data["lich_su_sua"] and all(r["luc"] for r in data["lich_su_sua"])
    assert {"ban", "muc", "cu", "moi", "luc"} <= set(data["lich_su_sua"][0])
    comments = [c["noi_dung"] for c in data["nhan_xet_gui_anh_chi"]]
    assert comments == ["Kiểm tra lại ngày sinh.", "Chưa gửi."]  # both went with the return
    viewers = {v["nguoi_xem"] for v in data["luot_xem"]}
    assert viewers == {"Lê Văn Duyệt"}
    assert {v["viec"] for v in data["viec_anh_chi_da_lam"]} >= {"consent_given", "dossier_opened"}
    raw = documents["du-lieu-cua-toi.json"].data.decode()
    assert "payload" not in raw  # no invite code
    async with full_router.db.read() as r:
        sent = await r.fetchval("SELECT count(*) FROM audit_log WHERE action = 'data_sent'")
    assert sent == 1


async def test_dulieu_leaves_out_unsent_comments_and_the_candidates_own_views(
    full_router: Router,
) -> None:
    net, people, group, _ = await reviewed_world(full_router)
    (rev, _), (cand, cand_chat) = people["rev"], people["cand"]
    await net.event(rev, group, kind="command", command="nhanxet", text="3 Nháp riêng.")
    await net.event(cand, cand_chat, kind="command", command="xem")
    replies = await net.event(cand, cand_chat, kind="command", command="dulieu")
    assert "Chưa có ai khác xem hồ sơ" in replies[0].text
    data = json.loads(next(r.document.data for r in replies if r.document))
    assert data["nhan_xet_gui_anh_chi"] == [] and data["luot_xem"] == []
    assert "Nháp riêng" not in json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------
# Consent v2


async def test_the_consent_names_what_the_law_asks(router: Router) -> None:
    client = ChatClient(router)
    await client.send("/start")
    short = client.last_text()
    lowered = short.lower()
    named = (
        "dân tộc", "tôn giáo", "lịch sử chính trị", "người thân", "gia đình", "chi bộ",
        "đảng ủy", "bí thư", "nhóm chat", "số hồ sơ", "Telegram", "nước ngoài", "90 ngày",
        "/dulieu", "/sua", "/rut", "/xoa", CONTROLLER,
    )  # fmt: skip
    for needed in named:
        assert needed.lower() in lowered, needed
    assert client.buttons() == ["Tôi đồng ý", "Không đồng ý", "📄 Xem đầy đủ"]
    await client.click("Xem đầy đủ")
    full = client.last_text()
    assert len(full) > len(short) and CONTROLLER in full and "91/2025/QH15" in full
    assert "Mục đích" in full and "khiếu nại" in full
    assert client.buttons() == ["Tôi đồng ý", "Không đồng ý"]
    async with router.db.read() as r:
        assert await r.fetchval("SELECT count(*) FROM people") == 0  # nothing stored yet
    await client.send("đồng ý")
    async with router.db.read() as r:
        row = await r.fetchone("SELECT consent_at, consent_version FROM people")
        given = await r.fetchval("SELECT detail FROM audit_log WHERE action = 'consent_given'")
    assert row is not None and row[0] and row[1] == consent_version() == "2"
    assert json.loads(given) == {"version": "2"}


async def test_the_controller_comes_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KND_CONTROLLER", CONTROLLER)
    assert Settings(_env_file=None).controller == CONTROLLER  # type: ignore[call-arg]
    monkeypatch.setenv("KND_RETENTION_DAYS", "200")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    flows = build_flows(notice=notice_of(settings))
    candidate = next(f for f in flows if isinstance(f, CandidateFlow))
    assert candidate.wiring.notice.controller == CONTROLLER
    assert candidate.wiring.notice.retention_days == 200


async def test_without_a_controller_the_consent_says_whom_to_ask(db: Database) -> None:
    client = ChatClient(Router(db, FixedClock(TODAY), [CandidateFlow()]))
    await client.send("/start")
    assert "cấp ủy cơ sở nơi anh/chị xin vào Đảng" in client.last_text()


async def test_the_full_text_can_be_read_again_after_consent(router: Router) -> None:
    client = await consented(router)
    await client.press("c:notice")
    assert CONTROLLER in client.texts() and "Họ và tên" in client.last_text()


async def older_consent(db: Database, user_id: str = "1001") -> None:
    """The person accepted the first text (no version was kept then)."""
    async with db.transaction() as tx:
        await tx.execute(
            "UPDATE people SET consent_version = NULL WHERE platform_user_id = ?", (user_id,)
        )


async def test_a_changed_text_is_asked_again_first_and_the_conversation_resumes(
    router: Router, db: Database
) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    question = client.last_text().split("\n\n", 1)[1]  # after "Đã ghi: …"
    revision = (await current(db)).revision
    await older_consent(db)

    await client.send("12/07/2001")  # an answer: not read before the new consent
    assert "đã được cập nhật" in client.texts() and "dân tộc" in client.texts()
    assert client.buttons() == ["Tôi đồng ý", "Không đồng ý", "📄 Xem đầy đủ"]
    assert (await current(db)).revision == revision
    await client.send("/tiendo")
    assert "đã được cập nhật" in client.texts()
    await client.click("Không đồng ý")
    assert "không xử lý thêm" in client.texts() and (await current(db)).revision == revision
    await client.click("Xem đầy đủ")
    assert "91/2025/QH15" in client.texts()
    await client.send("đồng ý")
    assert "Cảm ơn anh/chị đã đồng ý" in client.texts()
    assert client.last_text().endswith(question)  # the same question, the conversation kept
    await client.click("⬅️ Quay lại")
    assert "TRẦN MINH KHOA" in client.last_text()  # the history survived
    async with db.read() as r:
        row = await r.fetchone("SELECT consent_version FROM people")
        renewed = await r.fetchval(
            "SELECT detail FROM audit_log WHERE action = 'consent_given' ORDER BY id DESC"
        )
    assert row is not None and row[0] == consent_version()
    assert json.loads(renewed)["renewed"] is True


async def test_a_new_version_of_the_text_asks_again_whoever_accepted_the_last(
    router: Router, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committee changes the text (``consent.version`` 2 → 3): a person who accepted
    version 2 is asked again at their next message, their answers kept; version 3 and its
    time are recorded."""
    from handlers.candidate import consent

    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    revision = (await current(db)).revision
    monkeypatch.setattr(consent, "version", lambda: "3")
    await client.send("12/07/2001")
    assert "đã được cập nhật" in client.texts()
    assert (await current(db)).revision == revision  # the answer waits for the new consent
    await client.click("Tôi đồng ý")
    async with db.read() as r:
        row = await r.fetchone("SELECT consent_version, consent_at FROM people")
        given = await r.fetchall(
            "SELECT detail FROM audit_log WHERE action = 'consent_given' ORDER BY id"
        )
    assert row is not None and row[0] == "3" and row[1]
    assert [json.loads(g[0])["version"] for g in given] == ["2", "3"]
    assert "(2) Các tên gọi khác" in client.texts()  # the question it was at, asked again
    await client.send("Khoa Trần")
    assert (await current(db)).revision > revision  # and answered
    assert (await current(db)).dossier.value("ho_ten") == "TRẦN MINH KHOA"


async def test_rights_do_not_wait_for_a_renewed_consent(router: Router, db: Database) -> None:
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    await older_consent(db)
    replies = await client.send("/dulieu")
    assert any(r.document for r in replies)
    await client.send("/xoa")
    await client.send("có")
    assert "Đã xóa hồ sơ" in client.texts()
    async with db.read() as r:
        assert await r.fetchval("SELECT status FROM dossiers") == "deleted"


async def test_numbers_too_big_get_a_vietnamese_line_in_the_chat(router: Router) -> None:
    """Numbers past SQLite's INTEGER typed to commands, as answers or in forged buttons: a
    plain Vietnamese line each, never the apology of a failure."""
    huge, two_63 = "99999999999999999999", str(2**63)
    client = await consented(router)
    await client.send("TRẦN MINH KHOA")
    typed = [f"/sua {huge}", f"/sua {two_63}", f"/sua -{huge}", huge, two_63, f"/hienten #{huge}"]
    pressed = [f"c:go:{huge}", f"c:go:{two_63}:x:1", f"c:flag:{huge}", f"c:more:{huge}"]
    said = [await client.send(text) for text in typed]
    said += [await client.press(action) for action in pressed]
    assert router.stats.errors == 0
    for replies in said:
        text = " ".join(r.text or r.toast for r in replies)
        assert text.strip() and "gặp sự cố" not in text
    assert f"Không có mục {huge}" in client.texts(said[0])
