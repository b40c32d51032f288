"""A busy review group through python-telegram-bot and the fake Bot API, on the production
path with Telegram's pacing scaled down in time (issue 10's acceptance).

A reviewer fires 30 commands and 12 comments at the group's card, then taps "Trả lại", all
before the bot answered any of them, and keeps firing commands afterwards: more than five
minutes of the group's traffic. The bot is paced as in production with every duration
divided by :data:`SCALE` (a group: 20 messages in any 1 s instead of any 60 s; a private
chat: one a second becomes sixty), so the burst lasts seconds rather than minutes. The card
must end in the returned state — the edits built for each comment are superseded by the
newer ones while they wait for the group's window, never landing after the decision — the
group never receives more than 20 messages in any window, and the candidate's private
"returned" message does not wait behind the group's backlog.
"""

from __future__ import annotations

from pathlib import Path

from bot.pacing import Pacing
from tests.test_pacing import max_in_window
from tests.test_review_telegram import button_on, running_scene
from tests.test_telegram_platform import bind_basic_group, submit

SCALE = 60.0  # Telegram's durations divided by this
MORE = 60  # commands after the decision: the burst lasts more than five (scaled) minutes
WINDOW = 60.0 / SCALE
PACING = Pacing(
    group_max=20, group_window=WINDOW, chat_rate=1.0 * SCALE, chat_burst=3, global_rate=30 * SCALE
)


async def test_a_busy_group_ends_with_the_card_returned_and_within_the_limit(
    tmp_path: Path,
) -> None:
    async with running_scene(tmp_path, PACING) as scene:
        api, r1 = scene.api, scene.r1
        group, _ = await bind_basic_group(scene)
        await submit(scene)
        card = api.bot_messages(group)[-1]
        assert "Hồ sơ #" in card.content
        return_data = button_on(card, "Trả lại")["callback_data"]
        since = api.last_seq
        posted_before = {m.message_id for m in api.bot_messages(group)}

        for _ in range(30):
            api.user_sends_text(r1.user, group, "/hoso")
        for n in range(12):
            api.user_sends_text(
                r1.user, group, f"15 Nhận xét số {n + 1}.", reply_to_message_id=card.message_id
            )
        tap = api.user_clicks(r1.user, group, card.message_id, return_data)
        for _ in range(MORE):
            api.user_sends_text(r1.user, group, "/hoso")
        await api.wait_for_update_ack(tap["update_id"], timeout=20)
        assert api.idle_probe is not None
        await api.idle_probe()

        final = api.message(group, card.message_id)
        assert "đã trả lại" in final.content
        labels = {b["text"] for row in final.inline_keyboard or [] for b in row}
        assert not labels & {"Duyệt", "Trả lại", "Nhận xét"}  # no decision buttons left
        assert "12 nhận xét mới" in " ".join(scene.candidate.texts())
        async with scene.router.db.read() as r:
            superseded = await r.fetchval("SELECT COUNT(*) FROM outbox WHERE status = 'superseded'")
        assert superseded > 0  # card edits overtaken while waiting for the group's window

        sent = [
            e.at
            for e in api.chat_events(group, since)
            if e.kind in ("bot_message", "edit") and e.message_id is not None
        ]
        hoso_answers = [
            m
            for m in api.bot_messages(group)
            if m.message_id not in posted_before and "chờ duyệt" in m.content
        ]
        assert len(hoso_answers) == 30  # those asked before the decision
        assert len(sent) >= 30 + 12 + 1 + MORE  # answers, acknowledgements, the returned card
        # as the server stamped them on arrival: the pacer counts a group's message from
        # the server's answer, so no jitter of the network or the machine squeezes in a 21st
        assert max_in_window(sent, WINDOW) <= 20
        assert sent[-1] - sent[0] > 5 * WINDOW  # more than five minutes of group traffic

        # the candidate's "returned" went out privately while the group's backlog waited
        returned = [
            e.at for e in api.chat_events(scene.candidate.chat, since) if e.kind == "bot_message"
        ]
        assert returned and max(returned) < sent[-1] - 2 * WINDOW
