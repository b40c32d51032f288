"""Outsiders are silent in groups (issue 10: 41 refusals in one group from one outsider's
commands and taps), through python-telegram-bot and the fake Bot API with every flow.

Someone without a role in a group's unit (nor above it) types the review, organisation and
secretary commands there and taps the card's buttons: the bot posts nothing in the group. A
tap still gets its short callback answer (the spinner stops); a command is answered in the
person's private chat if they have started the bot, else not at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.telegram import PLATFORM
from storage.reviews import Org
from tests.fake_bot_api import FakeBotAPI
from tests.test_review_telegram import Scene, button_on, running_scene
from tests.test_telegram_platform import bind_basic_group, submit

COMMANDS = [
    "/nhanxet 15 Bình luận lạ",
    "/molai #1",
    "/hoso",
    "/tinhhinh",
    "/buoc",
    "/huybuoc 1",
    "/xuat",
    "/chitieu 2026 10",
    "/giobaocao 8",
    "/ketnoi",
    "/ketnoi ABCDEFGHJK",
    "/lichsu #1",
    "/quanly",
    "/donvi Chi bộ Lạ",
    "/capduyet",
    "/moi duyet",
    "/vaitro",
    "/thuhoi",
    "/start ABCDEFGHJK",
]
TAPS = ["Duyệt", "Trả lại", "Xem", "Nhận xét"]


def in_group(api: FakeBotAPI, text: str) -> str:
    """A command as the group's menu sends it (``/name@bot args``)."""
    name, _, args = text.partition(" ")
    return f"{name}@{api.bot_user.username}" + (f" {args}" if args else "")


async def outsider_acts_41_times(scene: Scene, started: bool) -> None:
    api, out = scene.api, scene.outsider
    group, _ = await bind_basic_group(scene)
    await submit(scene)
    card = api.bot_messages(group)[-1]
    assert "Hồ sơ #" in card.content
    api.set_member_status(group, out.user, "member")
    if started:  # pressed Start, and known to the bot as someone it may write to
        await out.start()
        async with scene.router.db.transaction() as tx:
            uid = str(out.user.id)
            await tx.repo(Org).note_private_chat(PLATFORM, uid, uid)
    in_the_group = len(api.bot_messages(group))
    private_before = len(api.bot_messages(out.chat))

    updates, taps = [], []
    for n in range(41):
        if n % 3 == 2:
            data = button_on(card, TAPS[n // 3 % len(TAPS)])["callback_data"]
            update = api.user_clicks(out.user, group, card.message_id, data)
            taps.append(update["callback_query"]["id"])
        else:
            update = api.user_sends_text(out.user, group, in_group(api, COMMANDS[n % 19]))
        updates.append(update)
    for update in updates:
        await api.wait_for_update_ack(update["update_id"], timeout=20)
    assert api.idle_probe is not None
    await api.idle_probe()

    assert len(taps) == 13 and len(updates) == 41
    assert len(api.bot_messages(group)) == in_the_group  # nothing posted in the group
    assert api.message(group, card.message_id).content == card.content  # nor edited there
    assert all(api.callback_queries[q].answered for q in taps)
    assert all(api.callback_queries[q].answer_text for q in taps)  # a short refusal each
    answered_privately = len(api.bot_messages(out.chat)) - private_before
    if started:
        assert answered_privately >= 28  # each of the 28 commands answered (some twice)
        texts = " ".join(m.content for m in api.bot_messages(out.chat)[private_before:])
        assert "TRẦN MINH KHOA" not in texts  # refusals that reveal nothing
    else:
        assert answered_privately == 0


@pytest.mark.parametrize("started", [False, True], ids=["never-started", "started-the-bot"])
async def test_an_outsiders_commands_and_taps_post_nothing_in_the_group(
    tmp_path: Path, started: bool
) -> None:
    async with running_scene(tmp_path) as scene:
        await outsider_acts_41_times(scene, started)
