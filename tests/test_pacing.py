"""Pacing of outgoing messages (bot/pacing.py), on a virtual clock: minutes in milliseconds."""

from __future__ import annotations

import asyncio

from bot.pacing import Pacer, Pacing
from tests.virtual_clock import VirtualClock


def max_in_window(times: list[float], window: float) -> int:
    """The most sends inside any window of ``window`` seconds (a microsecond of float
    rounding allowed, as the pacer does)."""
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= window - 1e-6:
            start += 1
        best = max(best, end - start + 1)
    return best


async def test_a_group_gets_at_most_twenty_messages_in_any_minute() -> None:
    clock = VirtualClock()
    pacer = Pacer(Pacing(), clock)
    sent: list[float] = []

    async def worker() -> None:
        for _ in range(100):
            await pacer.wait("group", "group")
            sent.append(clock.now())

    task = asyncio.ensure_future(worker())
    await clock.run(done=task)
    await task
    assert len(sent) == 100
    assert max_in_window(sent, 60.0) == 20
    first_minute = [t for t in sent if t < sent[0] + 60]
    assert len(first_minute) == 20  # the old bucket let 39 through here


async def test_private_chats_go_about_one_per_second_after_a_short_burst() -> None:
    clock = VirtualClock()
    pacer = Pacer(Pacing(), clock)
    sent: list[float] = []
    for _ in range(13):
        await_task = asyncio.ensure_future(pacer.wait("person", "private"))
        await clock.run(done=await_task)
        sent.append(clock.now())
    start = sent[0]
    assert [round(t - start, 3) for t in sent[:3]] == [0, 0, 0]  # a question with its flags
    assert round(sent[-1] - start, 3) == 10.0  # then one per second


async def test_five_minute_burst_no_group_over_the_limit_and_private_never_waits() -> None:
    """A hundred busy groups want more than the global budget; people chat meanwhile."""
    clock = VirtualClock()
    pacer = Pacer(Pacing(global_rate=20), clock)
    group_sends: dict[int, list[float]] = {g: [] for g in range(100)}
    private_delays: list[float] = []
    start = clock.now()

    async def group(g: int) -> None:
        while clock.now() < start + 300:
            await pacer.wait(("g", g), "group")
            group_sends[g].append(clock.now())

    async def person(p: int) -> None:
        await clock.sleep(p * 0.37)
        while clock.now() < start + 300:
            asked = clock.now()
            await pacer.wait(("p", p), "private")
            private_delays.append(clock.now() - asked)
            await clock.sleep(5.0)

    tasks = [asyncio.ensure_future(group(g)) for g in range(100)]
    tasks += [asyncio.ensure_future(person(p)) for p in range(8)]
    await clock.run(done=asyncio.gather(*tasks))
    for g, times in group_sends.items():
        assert max_in_window(times, 60.0) <= 20, g
    all_sends = [t for times in group_sends.values() for t in times]
    assert max_in_window(all_sends, 1.0) <= 16  # groups leave a fifth of 20/s to people
    # the groups wanted 10 000 (20 a minute each): the global budget held them back
    assert 4000 < sum(len(t) for t in group_sends.values()) <= 16 * 300
    assert len(private_delays) > 400
    assert max(private_delays) == 0.0


async def test_release_forgets_only_recovered_chats() -> None:
    clock = VirtualClock()
    pacer = Pacer(Pacing(), clock)
    task = asyncio.ensure_future(pacer.wait("g", "group"))
    await clock.run(done=task)
    pacer.release("g")
    assert "g" in pacer._chats  # its minute is not over
    clock.t += (
        Pacing().group_window * (1 + Pacing().group_margin) + 1
    )  # the window, margin included
    pacer.release("g")
    assert "g" not in pacer._chats


async def test_unlimited_pacing_never_waits() -> None:
    clock = VirtualClock()
    pacer = Pacer(Pacing.unlimited(), clock)
    for _ in range(100):
        await pacer.wait("g", "group")
    assert clock.now() == 1000.0


async def test_replies_to_people_are_not_held_by_the_global_cap_but_notices_are() -> None:
    """The global cap is Telegram's bulk-notification limit: 300 people answering at once
    get their replies at once; 300 notices to private chats go out at 30 a second."""
    clock = VirtualClock()
    pacer = Pacer(Pacing(), clock)
    start = clock.now()
    replies: list[float] = []
    notices: list[float] = []

    async def send(chat: tuple[str, int], into: list[float], reply: bool) -> None:
        await pacer.wait(chat, "private", reply=reply)
        into.append(clock.now() - start)

    tasks = [asyncio.ensure_future(send(("p", n), replies, True)) for n in range(300)]
    tasks += [asyncio.ensure_future(send(("n", n), notices, False)) for n in range(300)]
    await clock.run(done=asyncio.gather(*tasks))
    assert max(replies) == 0.0
    assert max_in_window(notices, 1.0) <= 30
    assert max(notices) >= 9.0  # 300 notices at 30/s


async def test_a_person_sets_the_pace_of_their_replies() -> None:
    """Each message the person sends lets its reply through at once, however fast they
    answer; what the bot adds on its own in the chat still goes at one per second."""
    clock = VirtualClock()
    pacer = Pacer(Pacing(), clock)
    chat = ("telegram", "an")
    delays: list[float] = []
    for _ in range(90):  # 1.5 answers a second for a minute
        clock.t += 2 / 3
        pacer.credit(chat)
        asked = clock.now()
        task = asyncio.ensure_future(pacer.wait(chat, "private", reply=True))
        await clock.run(done=task)
        delays.append(clock.now() - asked)
    assert max(delays) == 0.0
    extra: list[float] = []
    asked = clock.now()
    for _ in range(6):  # replies nobody's message asked for
        task = asyncio.ensure_future(pacer.wait(chat, "private", reply=True))
        await clock.run(done=task)
        extra.append(round(clock.now() - asked, 3))
    assert extra[-1] >= 3.0  # after the burst, one per second
