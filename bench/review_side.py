"""bench_chat's review share (issue 17): candidates who submit, reviewers who review and approve.

``--submit-share S`` makes that share of the N candidates end their conversation with /nop
instead of asking for the draft. Their dossiers belong to chi bộ of ``PER_UNIT`` submitters
each (a group takes 20 messages a minute: one group for all would make the bench a test
of Telegram's limit), each with its group bound and one reviewer, under one đảng ủy whose
group is bound too and has ``--reviewers K`` reviewers (seeded in the bot's database before
the run, :func:`seed`, as bootstrap, invites and /ketnoi would leave them). In a chi bộ's
group the reviewer, for each new card, taps «Xem»
(the view's text and then the draft .docx arrive privately: the
view is several messages, paced one a second per chat beyond a burst, so both the first
message and the .docx are timed), then for every other dossier comments with
``/nhanxet`` and taps «Trả lại» (the comment goes to the candidate), and for the others taps
«Duyệt» (a pending comment would refuse it): the card then goes to the đảng ủy's group,
where a reviewer taps «Duyệt» once more and the final .docx is rendered and sent to the
candidate with the notice. The đảng ủy's reviewers share its cards by dossier number.

Printed (:func:`report`): how many cards, comments, approvals and notifications went
through, and each action's felt latency (from the reviewer's update entering the fake
server to what shows that it was done: the document, the acknowledgement, the next card,
the card closed).
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from typing import Any

P = "telegram"
CARD = re.compile(r"Hồ sơ #(\d+)\b")
PER_UNIT = 5  # submitting candidates per chi bộ


@dataclass
class Cast:
    """Who is who: made by the fake side before the run, told to the bot side as JSON."""

    cb_groups: list[int] = field(default_factory=list)
    du_group: int = 0
    cb_reviewers: list[int] = field(default_factory=list)  # one per chi bộ group
    du_reviewers: list[int] = field(default_factory=list)
    submitters: list[int] = field(default_factory=list)  # candidates' Telegram user ids


def submits(index: int, n: int, share: float) -> bool:
    """Whether candidate ``index`` of ``n`` submits: ``share`` of them, spread evenly."""
    return share > 0 and int(index * share) != int((index + 1) * share)


async def seed(db: Any, cast: Cast) -> None:
    """The units, their bound groups, the reviewers and the submitting candidates' chi bộ,
    written as the bootstrap, invites and /ketnoi of a real start would leave them."""
    from storage.reviews import Org

    async with db.transaction() as tx:
        org = tx.repo(Org)
        du = await org.create_unit("Đảng ủy Khối Bench", "dang_bo_co_so")
        await org.bind_group(du.id, P, str(cast.du_group))
        units = []
        for number, group in enumerate(cast.cb_groups):
            cb = await org.create_unit(f"Chi bộ Bench {number + 1}", "chi_bo", du.id)
            await org.bind_group(cb.id, P, str(group))
            units.append(cb)
        grants = [(u, [r]) for u, r in zip(units, cast.cb_reviewers, strict=True)]
        for unit, reviewers in [*grants, (du, cast.du_reviewers)]:
            for uid in reviewers:
                person = await tx.people.get_or_create(P, str(uid), f"Người duyệt {uid}")
                await org.grant(unit.id, person.id, "reviewer", None)
                await org.note_private_chat(P, str(uid), str(uid))
        for number, uid in enumerate(cast.submitters):
            person = await tx.people.get_or_create(P, str(uid), f"Ứng viên {uid}")
            await org.grant(units[number // PER_UNIT].id, person.id, "candidate", None)


def make_cast(
    api: Any, submitters: list[int], reviewers: int
) -> tuple[Cast, dict[int, Any], dict[int, Any]]:
    """The groups and reviewers in the fake Telegram for these submitting candidates:
    the cast, the reviewers' users by id and the groups by id."""
    du = api.new_group("Đảng ủy Khối Bench")
    cast = Cast(du_group=du.id, submitters=submitters)
    users: dict[int, Any] = {}
    groups = {du.id: du}

    def reviewer(name: str, group: Any) -> int:
        user = api.new_user(name)
        users[user.id] = user
        api.register_chat(type(du).private(user))  # they have started the bot privately
        api.set_member_status(group, user, "member")
        return int(user.id)

    api.register_chat(du)
    for number in range(0, len(submitters), PER_UNIT):
        cb = api.new_group(f"Chi bộ Bench {number // PER_UNIT + 1}")
        api.register_chat(cb)
        groups[cb.id] = cb
        cast.cb_groups.append(cb.id)
        cast.cb_reviewers.append(reviewer(f"Người duyệt chi bộ {len(cast.cb_groups)}", cb))
    cast.du_reviewers = [reviewer(f"Người duyệt đảng ủy {k}", du) for k in range(reviewers)]
    return cast, users, groups


@dataclass
class ReviewFigures:
    """What the reviewers did and how long each action felt."""

    cards: int = 0  # chi bộ cards handled
    du_cards: int = 0
    comments: int = 0
    approvals: int = 0  # at both levels
    returns: int = 0
    finals: int = 0  # candidates who received the final .docx
    finals_due: int = 0  # dossiers approved at the last level
    notices: int = 0  # messages the submitters received after their submission
    felt: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


class Reviewers:
    """The reviewers of both groups, playing in the fake side's loop."""

    def __init__(self, api: Any, cast: Cast, users: dict[int, Any], groups: dict[int, Any],
                 timeout: float) -> None:  # fmt: skip
        self.api, self.cast, self.users, self.groups = api, cast, users, groups
        self.timeout = timeout
        self.figures = ReviewFigures()
        self.expected: int | None = None  # dossiers submitted (known once candidates are done)
        self.closed: set[int] = set()

    def _bot_messages(self, chat_id: int, since: int = 0) -> list[Any]:
        state = self.api._chats.get(chat_id)
        return [m for m in state.messages[since:] if m.from_bot] if state else []

    def _count(self, chat_id: int) -> int:
        state = self.api._chats.get(chat_id)
        return len(state.messages) if state else 0

    async def _until(self, what: str, check: Any) -> bool:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if check():
                return True
            await asyncio.sleep(0.02)
        self.figures.failures.append(f"review: {what} never happened")
        return False

    def _felt(self, name: str, since: float) -> None:
        self.figures.felt.setdefault(name, []).append(time.monotonic() - since)

    def _tap(self, uid: int, group: int, message: Any, label: str) -> float:
        for row in message.inline_keyboard:
            for button in row:
                if label in button.get("text", ""):
                    at = time.monotonic()
                    self.api.user_clicks(
                        self.users[uid], self.groups[group], message.message_id,
                        button["callback_data"], strict=False,
                    )  # fmt: skip
                    return at
        raise RuntimeError(f"no {label!r} on card {message.message_id}")

    async def level_one(self, uid: int, group: int, dossier: int, card: Any) -> None:
        """Xem (the draft privately), then a comment and Trả lại, or Duyệt."""
        documents = sum(m.document is not None for m in self._bot_messages(uid))
        before = self._count(uid)
        at = self._tap(uid, group, card, "Xem")
        if await self._until(f"the view of #{dossier}", lambda: self._count(uid) > before):
            self._felt("Xem (its first message privately)", at)
        if await self._until(
            f"the draft of #{dossier}",
            lambda: sum(m.document is not None for m in self._bot_messages(uid)) > documents,
        ):
            self._felt("Xem (draft .docx privately)", at)
        if dossier % 2:
            await self.approve(uid, group, dossier, card)
        else:
            await self.comment_and_return(uid, group, dossier, card)

    async def comment_and_return(self, uid: int, group: int, dossier: int, card: Any) -> None:
        since = self._count(group)
        at = time.monotonic()
        self.api.user_sends_text(
            self.users[uid], self.groups[group], f"/nhanxet #{dossier} 15 Ghi rõ tháng, năm."
        )
        marker = f"(hồ sơ #{dossier})"
        if await self._until(
            f"the comment on #{dossier}",
            lambda: any(marker in (m.text or "") for m in self._bot_messages(group, since)),
        ):
            self.figures.comments += 1
            self._felt("/nhanxet (acknowledged)", at)
        at = self._tap(uid, group, self.api.message(group, card.message_id), "Trả lại")
        if await self._until(
            f"the return of #{dossier}",
            lambda: "đã trả lại" in (self.api.message(group, card.message_id).text or ""),
        ):
            self.figures.returns += 1
            self._felt("Trả lại (card closed, comments sent)", at)
        self.closed.add(dossier)

    async def approve(self, uid: int, group: int, dossier: int, card: Any) -> None:
        at = self._tap(uid, group, self.api.message(group, card.message_id), "Duyệt")
        du = self.cast.du_group
        if await self._until(
            f"the đảng ủy's card of #{dossier}",
            lambda: any(_card_of(m, dossier) for m in self._bot_messages(du)),
        ):
            self.figures.approvals += 1
            self._felt("Duyệt, chi bộ (card to the đảng ủy)", at)

    async def level_two(self, uid: int, dossier: int, card: Any) -> None:
        """Duyệt at the last level: the final .docx goes to the candidate."""
        group = self.cast.du_group
        at = self._tap(uid, group, card, "Duyệt")
        if await self._until(
            f"the closing of #{dossier}",
            lambda: "Đã duyệt lần cuối" in (self.api.message(group, card.message_id).text or ""),
        ):
            self.figures.approvals += 1
            self.figures.finals_due += 1
            self._felt("Duyệt, đảng ủy (card closed)", at)
        self.closed.add(dossier)

    async def reviewer(self, uid: int, group: int, k: int, level: int) -> None:
        """One reviewer: the cards of their group (at the đảng ủy, of their share: dossier
        number mod K), in order."""
        reviewers = len(self.cast.du_reviewers) if level == 2 else 1
        seen: set[int] = set()
        scanned = 0
        while self.expected is None or len(self.closed) < self.expected:
            messages = self._bot_messages(group, scanned)
            scanned = self._count(group)
            for message in messages:
                match = CARD.search(message.text or "")
                labels = [b.get("text", "") for row in message.inline_keyboard for b in row]
                if match is None or not any("Duyệt" in x for x in labels):
                    continue
                dossier = int(match.group(1))
                if dossier % reviewers != k or dossier in seen:
                    continue
                seen.add(dossier)
                if level == 1:
                    self.figures.cards += 1
                    await self.level_one(uid, group, dossier, message)
                else:
                    self.figures.du_cards += 1
                    await self.level_two(uid, dossier, message)
            if self.figures.failures:
                return
            await asyncio.sleep(0.05)

    async def run(self) -> None:
        tasks = [
            self.reviewer(uid, group, 0, 1)
            for group, uid in zip(self.cast.cb_groups, self.cast.cb_reviewers, strict=True)
        ]
        tasks += [
            self.reviewer(uid, self.cast.du_group, k, 2)
            for k, uid in enumerate(self.cast.du_reviewers)
        ]
        await asyncio.gather(*tasks)

    def count_notices(self, submitted_at: dict[int, int]) -> None:
        """What each submitter received after their submission (``submitted_at``: their
        chat's message count then): the notices, and whether the final .docx came."""
        self.figures.notices = self.figures.finals = 0
        for uid, since in submitted_at.items():
            after = self._bot_messages(uid, since)
            self.figures.notices += len(after)
            self.figures.finals += any(m.document is not None for m in after)


def report(data: dict[str, Any] | None, pct: Any) -> None:
    """Print the review share's figures (``data``: :class:`ReviewFigures` as a dict)."""
    if not data:
        return
    print(
        f"          review: {data['cards']} cards in the chi bộ groups, {data['comments']} "
        f"comments, {data['returns']} returned, {data['du_cards']} cards in the đảng ủy's "
        f"group, {data['approvals']} approvals; the submitters received {data['notices']} "
        f"messages after submitting, {data['finals']} the final .docx",
        flush=True,
    )
    for name, values in data["felt"].items():
        print(
            f"            {name}: felt p50={pct(values, 0.5):.2f} s p99={pct(values, 0.99):.2f} s"
            f" ({len(values)})",
            flush=True,
        )
    for failure in data["failures"][:3]:
        print("   !", failure, flush=True)


def _card_of(message: Any, dossier: int) -> bool:
    match = CARD.search(message.text or "")
    return match is not None and int(match.group(1)) == dossier
