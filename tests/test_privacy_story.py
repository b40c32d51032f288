"""Issue 11 as a new user meets it: one whole story through python-telegram-bot's real client
and the fake Bot API — a candidate types sample A question by question and submits; the chi
bộ reads, comments, returns; the candidate fixes and resubmits; both levels approve; the
secretaries ask for the final .docx, /tinhhinh, /buoc and /xuat, in the groups and privately;
the daily digest runs; the candidate asks /dulieu.

Then two things are read back: what the two groups were shown (every message, every earlier
version of an edited one, captions, documents) holds no field value of the dossier but the
candidate's name; and the log records at INFO and above hold no chat or user id, no person's
name, no field value, no comment and no traceback.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from forms.dossier import Dossier
from handlers.org import bootstrap
from handlers.secretary import Notifier
from tests.fake_bot_api import FakeBotAPI
from tests.group_privacy import document_text, field_values, leaked
from tests.samples import load_sample
from tests.telegram_player import SamplePlayer
from tests.test_review_telegram import NOW, Scene, code_in, running_scene
from tests.test_telegram_e2e import play
from tests.tg_client import TelegramUser

COMMENTS = ("Ngày sinh phải khớp giấy khai sinh, kiểm tra lại.", "Ghi rõ chức vụ từng giai đoạn.")


#: How long a person waits for the bot: the story renders documents, and two cores shared by
#: several test runs can make one step take seconds.
PATIENCE = 60.0


def _patient(in_group: Any) -> Any:
    def patient(who: TelegramUser, chat: Any) -> TelegramUser:
        member = in_group(who, chat)
        member.timeout = PATIENCE
        return member

    return patient


@dataclass
class _Player:
    """What :func:`tests.test_telegram_e2e.play` reads of its stack."""

    api: FakeBotAPI
    db_path: Path
    exact_idle: bool = True


def _father_abroad(sample: Dossier) -> Dossier:
    """Sample A with the father living in Japan: his name, address abroad and the country are
    what a verification abroad carries (issue 11: a digest once posted them in the group)."""
    for row in sample.relatives:
        if row["quan_he"] == "cha":
            row["cu_tru"] = "Quận Shinjuku, Tokyo, Nhật Bản"
            row["o_nuoc_ngoai"] = "có"
    return sample


def _ids(text: str) -> str:
    return re.search(r"#(\d+)", text).group(1)  # type: ignore[union-attr]


async def _organisation(scene: Scene) -> dict[str, TelegramUser]:
    """Khối → đảng ủy → chi bộ, three reviewers, both groups bound; the members of each."""
    sec = scene.secretary
    async with scene.router.db.transaction() as tx:
        boot = await bootstrap(tx, "Đảng bộ Khối Doanh nghiệp", bot_username="knd_test_bot")
    assert boot.code is not None
    await sec.start(boot.code)
    await sec.command("donvi", "Đảng bộ Công ty A")
    du_id = _ids(sec.last_text())
    await sec.command("donvi", f"#{du_id}", "Chi bộ Phòng Kỹ thuật")
    cb_id = _ids(sec.last_text())
    for who, unit in ((scene.r1, cb_id), (scene.r2, cb_id), (scene.r3, du_id)):
        await sec.command("moi", "duyet", f"#{unit}")
        await who.start(code_in(sec.last_text()))
    scene.in_group = _patient(scene.in_group)  # type: ignore[method-assign]
    cb = {w: scene.in_group(w, scene.cb_chat) for w in (sec, scene.r1, scene.r2, scene.candidate)}
    du = {w: scene.in_group(w, scene.du_chat) for w in (sec, scene.r3)}
    for chat, unit, people in ((scene.cb_chat, cb_id, cb), (scene.du_chat, du_id, du)):
        scene.api.bot_added_to_group(sec.user, chat)
        await people[sec].wait_for_message(lambda m: "/ketnoi" in m.content)
        await sec.command("ketnoi", f"#{unit}")
        await people[sec].command("ketnoi", code_in(sec.last_text()))
    await sec.command("moi", "ungvien", f"#{cb_id}")
    return {
        "cb_sec": cb[sec], "r1": cb[scene.r1], "r2": cb[scene.r2],
        "du_sec": du[sec], "r3": du[scene.r3], "invite": sec, "cand": cb[scene.candidate],
    }  # fmt: skip


def _group_texts(scene: Scene) -> list[str]:
    api = scene.api
    return [
        text or ""
        for chat in (scene.cb_chat, scene.du_chat)
        for m in api.bot_messages(chat)
        for text in (
            m.content,
            *(e.text or e.caption for e in m.edits),
            document_text(m.document.content) if m.document else "",
        )
    ]


def _secrets(scene: Scene, sample: Dossier) -> set[str]:
    """What must never be logged: ids of every person and chat, names, field values."""
    people = (scene.secretary, scene.r1, scene.r2, scene.r3, scene.candidate, scene.outsider)
    ids = {str(p.user.id) for p in people}
    ids |= {str(c.id) for c in (scene.cb_chat, scene.du_chat)}
    ids |= {i.lstrip("-") for i in ids}
    names = {p.user.first_name for p in people} | {sample.value("ho_ten")}
    return ids | names | field_values(sample) | set(COMMENTS)


async def test_a_whole_story_logs_nothing_personal_and_shows_groups_no_content(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sample = _father_abroad(load_sample("a"))
    async with running_scene(tmp_path) as scene:
        api, cand, sec = scene.api, scene.candidate, scene.secretary
        for who in (scene.secretary, scene.r1, scene.r2, scene.r3, cand):
            who.timeout = PATIENCE
        g = await _organisation(scene)
        for member in g.values():
            member.timeout = PATIENCE

        # -- the candidate types the whole form and submits -------------------------------------
        await cand.start(code_in(g["invite"].last_text()))
        await play(_Player(api, scene.router.db.path), cand, SamplePlayer(sample, finish="submit"))  # type: ignore[arg-type]
        if "Nộp luôn" in " ".join(cand.buttons()):
            await cand.click("Nộp luôn")
        assert "đã được gửi tới Chi bộ Phòng Kỹ thuật" in "\n".join(cand.texts()[-3:])
        card = g["r1"].last_message()
        dossier_id = _ids(card.content)

        # -- read, comment two ways, return; fix, resubmit, approve at both levels --------------
        await g["r1"].click("Xem", message=card)
        await g["r2"].click("Nhận xét", message=card)
        await g["r2"].click("3")
        await g["r2"].send(COMMENTS[0], reply_to=g["r2"].last_message())
        await g["r1"].command("nhanxet", "15", COMMENTS[1])
        await g["r2"].click("Trả lại", message=card)
        await cand.command("sua", "3")
        await cand.send("13/07/2001")
        await cand.command("nop")
        if "Nộp luôn" in " ".join(cand.buttons()):
            await cand.click("Nộp luôn")
        card2 = g["r1"].last_message()
        await g["r1"].click("Xem", message=card2)
        await g["r1"].click("Duyệt", message=card2)
        du_card = g["r3"].last_message()
        await g["r3"].click("Xem", message=du_card)
        await g["r3"].click("Duyệt", message=du_card)
        assert "Đã duyệt lần cuối" in api.message(scene.du_chat, du_card.message_id).content

        # -- the secretaries: the final .docx, summaries, steps and the spreadsheet -------------
        await g["du_sec"].click(
            "Bản chính thức", message=api.message(scene.du_chat, du_card.message_id)
        )
        for where in (g["cb_sec"], g["du_sec"], sec):
            await where.command("tinhhinh")
        await g["du_sec"].command("buoc", dossier_id)
        await g["du_sec"].command("buoc", dossier_id, "viettay", "02/03/2026")
        await g["du_sec"].command("buoc", dossier_id, "guitt", "cha", "02/03/2026")
        await g["du_sec"].command("buoc", dossier_id, "guitt", "me", "02/03/2026")
        assert "Đã ghi" in g["du_sec"].last_text(), g["du_sec"].texts()[-4:]
        await sec.command("buoc", dossier_id)
        await sec.command("xuat")
        assert sec.documents()[-1].filename.endswith(".xlsx")

        # -- the daily digest, weeks later, through the outbox ----------------------------------
        later = datetime.fromisoformat(NOW) + timedelta(days=200)
        digests = await Notifier(scene.router.db).due_notifications(later, outbox=True)
        for reply in digests:
            assert reply.chat is not None
            scene.bot.delivery.wake_for([reply], reply.chat)
        assert api.idle_probe is not None
        await api.idle_probe()
        assert any(r.chat and r.chat.kind == "group" for r in digests)

        # -- the right to know -------------------------------------------------------------------
        await cand.command("dulieu")
        assert any(d.filename.endswith(".json") for d in cand.documents())

        # -- the candidate sits in their chi bộ's group: what they type there shows nothing ------
        in_group = g["cand"]
        for command in ("xem", "dulieu", "tiendo", "hoso", "tinhhinh", "lichsu"):
            await in_group.command(command, expect_reply=False)
        await in_group.command("sua", "3", expect_reply=False)
        await in_group.send(sample.value("ngay_sinh"), expect_reply=False)

        shown = _group_texts(scene)

    # the groups saw numbers, the name, statuses, counts and who acted, and no document
    assert leaked(shown, sample) == []
    assert any(sample.value("ho_ten") in text for text in shown)
    assert any("Việc mới quá hạn" in text for text in shown)  # the digest was among them
    assert not [
        m for c in (scene.cb_chat, scene.du_chat) for m in api.bot_messages(c) if m.document
    ]

    # the logs: something was logged, nothing personal and no traceback
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records, "the story logged nothing at all: the capture is broken"
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    logged = "\n".join(formatter.format(r) for r in records)
    found = sorted(
        s for s in _secrets(scene, sample) if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", logged)
    )
    assert found == [], logged
    assert "Traceback" not in logged
    assert all(r.exc_info is None for r in records)
