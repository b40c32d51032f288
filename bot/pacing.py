"""Pacing of outgoing messages, shaped like the platform's limits.

Telegram's published limits (Bots FAQ; /work/shared/domain/platforms-and-peers.md §4): no
more than 20 messages per minute into one group; in one chat, avoid more than one message
per second (short bursts tolerated); about 30 messages per second for *bulk notifications* —
"replying to users is not throttled the same way". Exceeding them earns 429 answers (the
sender waits ``retry_after``) and, for groups, long bans. Two kinds of traffic, then:

* **A reply** — a private message answering the person's own message (their text, command or
  tap) in that chat. It is paced per chat only: a token bucket of ``chat_rate`` messages per
  second with bursts of ``chat_burst`` (a question with its flags and its progress line go
  out together), and each message the person sends adds a token (:meth:`Pacer.credit`): a
  conversation goes at the person's pace, one answer in, its reply out at once, while what
  the bot says beyond that in the chat goes at one per second. Replies are NOT counted
  against the global cap: 500 people answering at once get 500 replies, each chat at its own
  pace (bench/bench_chat.py offers 1.3 answers/s per person at N = 500 — faster than anyone
  types — and is run with this default).
* **A notice** — everything broadcast-like: a group post (cards, comments, answers to a
  command in a group), a private message nobody in that chat asked for just now (the
  candidate's "returned"/"approved", a reviewer's private card, reminders, digests). Per
  chat as above (no credit), a group at most ``group_max`` in ANY window of
  ``group_window`` seconds (a sliding window of the actual send times, not a bucket that
  bursts 20 and then leaks one every 3 s, which let 39 messages into one group in its first
  minute), and all notices together under ``global_rate`` per second, of which groups may use
  four fifths and yield to any private notice waiting: a candidate's "approved" never queues
  behind group traffic.

Edits count like messages (Telegram counts them too); callback answers are not paced. Which
kind a stored reply is, is decided when it is queued (handlers/replies.py).

:class:`Pacer` computes with a :class:`Clock` that tests replace by a virtual one, so five
minutes of traffic are checked in milliseconds.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Protocol

_EPSILON = 1e-6  # a delay this short is rounding, not a limit


class Clock(Protocol):
    """Monotonic seconds and a sleep that waits on them."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class MonotonicClock:
    """The real clock."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Pacing:
    """The limits (defaults: Telegram's). ``None`` switches a limit off."""

    group_max: int = 20
    group_window: float = 60.0
    #: Our window is longer by this share: a message is counted when the pacer lets it go,
    #: Telegram counts it when it arrives, and a loaded loop or network can bunch arrivals.
    group_margin: float = 0.05
    chat_rate: float | None = 1.0
    chat_burst: int = 3
    global_rate: float | None = 30.0

    @classmethod
    def unlimited(cls) -> Pacing:
        """No pacing at all (a test double or a self-hosted API that does not limit)."""
        return cls(group_max=0, chat_rate=None, global_rate=None)


@dataclass
class _ChatPace:
    tokens: float
    updated: float
    window: deque[float] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class Pacer:
    """Waits until a message may go to a chat, and records it (see the module docstring)."""

    def __init__(self, pacing: Pacing | None = None, clock: Clock | None = None) -> None:
        self.pacing = pacing or Pacing()
        self.clock: Clock = clock or MonotonicClock()
        self._chats: dict[Hashable, _ChatPace] = {}
        self._sent: deque[float] = deque()  # send times within the last second, all chats
        self._private_waiting = 0

    async def wait(self, chat: Hashable, kind: str, *, reply: bool = False) -> None:
        """Return when a message to ``chat`` (``kind`` 'private' or 'group') may be sent;
        the message is then counted as sent. ``reply``: it answers the person's own message
        in this private chat (paced per chat only; see the module docstring)."""
        pace = self._pace(chat)
        async with pace.lock:
            while (delay := self._chat_delay(pace, kind)) > _EPSILON:
                await self.clock.sleep(delay)
            if not (reply and kind == "private"):
                await self._global_turn(kind)
            self._record(pace, kind)

    def credit(self, chat: Hashable) -> None:
        """The person wrote in ``chat``: one reply more may go out at once (up to the burst).
        A chat not tracked is fully recovered already."""
        pace = self._chats.get(chat)
        if pace is None or self.pacing.chat_rate is None:
            return
        self._refill(pace, self.clock.now())
        pace.tokens = min(float(self.pacing.chat_burst), pace.tokens + 1)

    def _pace(self, chat: Hashable) -> _ChatPace:
        pace = self._chats.get(chat)
        if pace is None:
            burst = float(self.pacing.chat_burst)
            pace = self._chats[chat] = _ChatPace(tokens=burst, updated=self.clock.now())
        return pace

    def _refill(self, pace: _ChatPace, now: float) -> None:
        rate = self.pacing.chat_rate
        if rate is not None:
            burst = float(self.pacing.chat_burst)
            pace.tokens = min(burst, pace.tokens + (now - pace.updated) * rate)
        pace.updated = now

    def _chat_delay(self, pace: _ChatPace, kind: str) -> float:
        now = self.clock.now()
        self._refill(pace, now)
        delay = 0.0
        rate = self.pacing.chat_rate
        if rate is not None and pace.tokens < 1:
            delay = (1 - pace.tokens) / rate
        if kind == "group" and self.pacing.group_max > 0:
            window = pace.window
            span = self.pacing.group_window * (1 + self.pacing.group_margin)
            while window and window[0] <= now - span + _EPSILON:
                window.popleft()
            if len(window) >= self.pacing.group_max:
                delay = max(delay, window[0] + span - now)
        return delay

    async def _global_turn(self, kind: str) -> None:
        rate = self.pacing.global_rate
        if rate is None:
            return
        cap = max(1, round(rate))
        private = kind != "group"
        if private:
            self._private_waiting += 1
        try:
            while True:
                now = self.clock.now()
                while self._sent and self._sent[0] <= now - 1.0 + _EPSILON:
                    self._sent.popleft()
                # groups leave a fifth of the budget to private replies, and yield to any
                # private reply waiting
                limit = cap if private else cap - cap // 5
                if len(self._sent) < limit and (private or self._private_waiting == 0):
                    self._sent.append(now)
                    return
                full = len(self._sent) >= limit
                delay = self._sent[-limit] + 1.0 - now if full else 1.0 / rate
                await self.clock.sleep(max(delay, _EPSILON))
        finally:
            if private:
                self._private_waiting -= 1

    def _record(self, pace: _ChatPace, kind: str) -> None:
        now = self.clock.now()
        self._refill(pace, now)
        if self.pacing.chat_rate is not None:
            pace.tokens -= 1
        if kind == "group" and self.pacing.group_max > 0:
            pace.window.append(now)

    def release(self, chat: Hashable) -> None:
        """Forget ``chat`` if its limits have fully recovered (keeps memory bounded by the
        chats being written to); otherwise it is kept and released later."""
        pace = self._chats.get(chat)
        if pace is None or pace.lock.locked():
            return
        now = self.clock.now()
        self._refill(pace, now)
        recovered = self.pacing.chat_rate is None or pace.tokens >= self.pacing.chat_burst
        span = self.pacing.group_window * (1 + self.pacing.group_margin)
        window_done = not pace.window or pace.window[-1] <= now - span
        if recovered and window_done:
            del self._chats[chat]
