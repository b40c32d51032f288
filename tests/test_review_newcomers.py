"""Reviewers and secretaries as newcomers play them, through python-telegram-bot against the
fake Bot API: what they type that a first-time user would, and what each reads back — in the
group only numbers and where things went, the content privately."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fake_bot_api import Chat
from tests.group_privacy import leaked
from tests.review_harness import fill_from_sample
from tests.samples import load_sample
from tests.test_review_telegram import Scene, chi_bo_with_reviewer, code_in, running_scene
from tests.tg_client import TelegramUser


@dataclass
class Submitted:
    """A chi bộ group (r1, r2 reviewers, the secretary) with sample A's dossier submitted."""

    scene: Scene
    group: dict[str, TelegramUser]  # who → the person typing in the chi bộ's group
    dossier: int

    @property
    def chat(self) -> Chat:
        return self.scene.cb_chat


@pytest.fixture(name="world")
async def submitted(tmp_path: Path) -> AsyncIterator[Submitted]:
    async with running_scene(tmp_path) as scene:
        sec, r1, r2, cand = scene.secretary, scene.r1, scene.r2, scene.candidate
        cb_id = await chi_bo_with_reviewer(scene, r2)
        group = {
            name: scene.in_group(who, scene.cb_chat)
            for name, who in (("sec", sec), ("r1", r1), ("r2", r2))
        }
        scene.api.bot_added_to_group(sec.user, scene.cb_chat)
        await group["sec"].wait_for_message(lambda m: "/ketnoi" in m.content)
        await sec.command("ketnoi", f"#{cb_id}")
        await group["sec"].command("ketnoi", code_in(sec.last_text()))
        await sec.command("moi", "ungvien", f"#{cb_id}")
        await cand.start(code_in(sec.last_text()))
        await cand.click("Tôi đồng ý")
        record = await fill_from_sample(
            scene.router.db, "telegram", str(cand.user.id), load_sample("a")
        )
        await cand.command("nop")
        if "Nộp luôn" in " ".join(cand.buttons()):
            await cand.click("Nộp luôn")
        assert f"Hồ sơ #{record.id}" in group["r1"].last_text()
        yield Submitted(scene, group, record.id)


def _group_texts(world: Submitted) -> list[str]:
    return [m.content for m in world.scene.api.bot_messages(world.chat)]


async def test_a_typed_xem_in_the_group_says_where_the_dossier_went(world: Submitted) -> None:
    """/xem typed in the group (the card's «Xem» in words) sent the dossier privately and the
    group heard nothing: the reviewer did not know whether it worked, nor where to look."""
    r1 = world.scene.r1
    seen = len(r1.bot_messages())
    await world.group["r1"].command("xem", str(world.dossier))
    note = world.group["r1"].last_text()
    assert f"Đã gửi hồ sơ #{world.dossier} vào tin nhắn riêng của Trần Thị Duyệt" in note
    assert r1.documents() and len(r1.bot_messages()) > seen  # the content, privately
    assert leaked(_group_texts(world), load_sample("a")) == []


async def test_a_reviewer_mentioning_the_bot_in_words_is_understood(world: Submitted) -> None:
    """«@bot xem 1», «@bot nhận xét 1 mục 15: …», «@bot tra lai ho so nay» in a Telegram
    group were dropped in silence (only Zalo read a mention's words); they are the card's
    buttons typed, as on Zalo."""
    n, r2 = world.dossier, world.group["r2"]
    await r2.send(f"@knd_test_bot xem {n}")
    assert "vào tin nhắn riêng của Phạm Văn Hai" in r2.last_text()
    await r2.send(f"@knd_test_bot nhan xet {n} muc 15: ghi ro chuc vu tung giai doan")
    assert "Đã ghi nhận xét" in r2.last_text() and "mục (15)" in r2.last_text()
    await r2.send("@knd_test_bot tra lai ho so nay")  # the one dossier waiting
    card = world.scene.api.message(world.chat, world.group["r1"].bot_messages()[-1].message_id)
    assert "đã trả lại" in " ".join(_group_texts(world)) or "đã trả lại" in card.content
    assert "1 nhận xét mới" in "\n".join(world.scene.candidate.texts()[-3:])
    # chatter that mentions the bot with no reviewer's words still gets nothing
    before = len(_group_texts(world))
    await r2.send("cảm ơn @knd_test_bot nhé", expect_reply=False)
    assert len(_group_texts(world)) == before


async def test_a_reply_to_the_card_in_words(world: Submitted) -> None:
    """Replying to the card is how people answer a message: «Quê quán: ghi theo địa danh
    mới» (the item by name, as /nhanxet reads it) and «ok, trả lại nhé» (the card's button
    in words) were both answered with how to write a comment. A non-reviewer's reply stays
    unanswered, as their chatter."""
    r1, r2, sec = world.group["r1"], world.group["r2"], world.group["sec"]
    card = r1.bot_messages()[-1]
    await r1.send("Quê quán: ghi theo địa danh mới", reply_to=card)
    assert "Đã ghi nhận xét" in r1.last_text() and "mục (6)" in r1.last_text()
    before = len(_group_texts(world))
    await sec.send("duyệt", reply_to=card, expect_reply=False)  # the secretary reviews nothing
    assert len(_group_texts(world)) == before
    await r2.send("ok, trả lại nhé", reply_to=card)
    card_now = world.scene.api.message(world.chat, card.message_id).content
    assert "đã trả lại" in card_now
    candidate = "\n".join(world.scene.candidate.texts()[-3:])
    assert "1 nhận xét mới" in candidate and "ghi theo địa danh mới" in candidate


async def test_staff_help_and_commands_typed_in_words(world: Submitted) -> None:
    """A secretary's /trogiup listed the candidate's commands (/nop, /sua…), a reviewer's
    «/xem 12» in private was asked to consent to fill in a biography, /quanly left out
    /tinhhinh, /buoc and /chitieu, and «tình hình» typed without the slash got the greeting
    again. Now /trogiup gives staff their own commands, /quanly the secretary's too, and a
    command's name typed in words, alone, is that command — words after it are not read (a
    unit's name could follow «đơn vị» by chance)."""
    sec, r1, cand = world.scene.secretary, world.scene.r1, world.scene.candidate
    await sec.command("trogiup")
    help_text = sec.last_text()
    assert "/tinhhinh" in help_text and "/buoc" in help_text and "/chitieu 150 31/10" in help_text
    assert "/nop" not in help_text and "khai lý lịch" not in help_text
    await r1.command("trogiup")
    assert "/nhanxet 12 mục 15" in r1.last_text() and "/chitieu" not in r1.last_text()
    assert "«hồ sơ»" in r1.last_text() and "«tình hình»" not in r1.last_text()
    await r1.command("xem", str(world.dossier))  # as the group's help writes it, in private
    assert "/hoso" in r1.last_text() and "Tôi đồng ý" not in " ".join(r1.buttons())
    await cand.command("trogiup")  # a candidate with a dossier: the form's help, as before
    assert "/nop" in "\n".join(cand.texts()[-2:])
    await sec.command("quanly")
    assert "/buoc" in sec.last_text() and "/tinhhinh" in sec.last_text()

    await sec.send("Tình hình?")
    assert "Tình hình phát triển đảng viên" in "\n".join(sec.texts()[-2:])
    await sec.send("chỉ tiêu")
    assert "/chitieu 150 31/10" in sec.last_text()
    await r1.send("hồ sơ ạ")  # a reviewer's /hoso: what waits for the chi bộ
    assert f"#{world.dossier}" in r1.last_text()
    units_before = await _unit_count(world)
    await sec.send("đơn vị tôi có mấy hồ sơ")  # no command: the greeting, nothing created
    assert "Đồng chí đang là" in sec.last_text()
    assert await _unit_count(world) == units_before


async def _unit_count(world: Submitted) -> int:
    async with world.scene.router.db.read() as tx:
        return int(await tx.fetchval("SELECT count(*) FROM units"))


async def test_a_return_reaches_the_candidate_item_by_item(world: Submitted) -> None:
    """Three comments on (15) and one on (6) reached the candidate as four messages in the
    order they were written — (15), (6), (15), (15) — with three identical «Sửa mục (15)»
    buttons. Now one message per item, in the form's order, each with its one button."""
    r1, cand = world.group["r1"], world.scene.candidate
    for text in (
        "muc 15 ghi ro chuc vu tung giai doan",
        "quê quán: ghi theo địa danh mới",
        "15 thieu thang nam bat dau",
        "mục 15: ghi ten co quan day du",
    ):
        await r1.command("nhanxet", text)
        assert "Đã ghi nhận xét" in r1.last_text()
    before = len(cand.bot_messages())
    await r1.command("tralai", str(world.dossier))
    got = cand.bot_messages()[before:]
    assert "4 nhận xét mới" in got[0].content
    assert [m.content.partition(" ")[2].partition(" ")[0] for m in got[1:]] == ["(6)", "(15)"]
    fifteen = got[2].content
    assert fifteen.count("• ") == 3 and "thieu thang nam bat dau" in fifteen
    assert [b for m in got[1:] for b in m.button_labels] == ["✏️ Sửa mục (6)", "✏️ Sửa mục (15)"]
    await cand.click("Sửa mục (15)", message=got[2])
    assert "(15)" in "\n".join(cand.texts()[-2:])
