"""The review: cards in the reviewers' group chats, comments anchored to items, return,
approval level by level, the final document, reopening.

How a review runs
-----------------
* The candidate's /nop calls :meth:`ReviewFlow.on_submitted`: the dossier is put at the level
  that reviews it now (:meth:`storage.reviews.Reviews.start_review`) and a *card* goes to that
  unit's group chat: name, completeness, counts of errors and warnings with the candidate's
  explanations, what changed since the unit's last look and which earlier comments are
  addressed; buttons Xem / Nhận xét / Trả lại / Duyệt.
* Only holders of the unit's reviewer role act on the card, whoever else sits in the group
  (:mod:`handlers.access`). "Xem" sends the draft .docx and a text summary to the reviewer's
  PRIVATE chat; the group only learns that it was sent.
* Comments are drafts until "Trả lại", which sends them all to the candidate at once, each with
  a button that opens its item in the candidate's conversation. "Duyệt" is refused while
  drafts are unsent (they would ride up to the next level).
* A decision names the revision on the card; the storage refuses a decision on an older
  revision and lets one decision win when two reviewers tap at once.
* /hoso lists the dossiers waiting for the actor's units with a button each that posts the
  card again where it was tapped (a card far up a busy group, or one never posted because
  nobody could receive it; the unit's secretaries are told when that happens). A card in a
  chat that may no longer follow the review (a revoked reviewer's private chat, a group
  bound to another unit) is withdrawn instead of edited.
* The last level's approval locks the dossier and sends the final .docx (no draft mark) to the
  candidate and to the approving group. Reopening is an explicit, recorded action.

Everything the flow writes happens in the router's transaction for the event; the replies go
out after the commit. Every view, comment, decision and reopening is appended to audit_log.

Button actions (≤ 64 bytes): ``rv:x:<dossier>:<rev>`` view, ``rv:n:<dossier>`` pick an item,
``rv:i:<dossier>:<item>`` comment on an item, ``rv:t:<dossier>:<rev>`` return,
``rv:a:<dossier>:<rev>`` approve, ``rv:ok:<comment>`` / ``rv:ko:<comment>`` resolve / keep open,
``rv:del:<comment>`` delete one's draft, ``rv:o:<dossier>`` reopen, ``rv:c:<dossier>`` post
the card here again (/hoso).
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from difflib import SequenceMatcher
from typing import Any, Literal

import orjson

from admission.clock import ZONE, local_date
from forms.definition import load_form
from forms.dossier import Dossier
from forms.model import FormDef
from forms.texts import message, render
from handlers import access
from handlers.events import Button, Chat, Document, Event, Reply
from handlers.routing import ActionCodec, Routes
from storage.bot_messages import BotMessage, BotMessages
from storage.core import DossierRecord, Person
from storage.db import Tx
from storage.org import Org, RoleName, Unit
from storage.reviews import Comment, Decision, DecisionRefused, Outcome, Reviews

log = logging.getLogger(__name__)

PREFIX = "rv:"
CARD_KEY = "rvcard"
ITEM_KEY = "rvitem"
COMMANDS = ("nhanxet", "molai", "hoso")
MAX_COMMENT = 1500
MAX_CARD_BUTTONS = 24  # /hoso: one "show the card" button per waiting dossier
#: A card is one message (Telegram: 4096 UTF-16 units), with room for the platform's markup.
CARD_LIMIT = 3800
#: (characters quoted from a comment or an explanation, how many are listed) until it fits.
CARD_FITS = ((200, None), (100, None), (60, None), (60, 12), (60, 5), (60, 0))

#: Comment buttons: verb → (audit action, key of the toast and of the notice).
_COMMENT_VERBS = {
    "del": ("comment_deleted", "deleted"),
    "ok": ("comment_resolved", "resolved"),
    "ko": ("comment_kept", "kept"),
}

#: Items reviewers may comment on: the candidate's items and the dossier extras.
Checks = Callable[..., list[Any]]
Renderer = Callable[..., bytes]
JumpAction = Callable[[int], str]


def _default_checks(dossier: Dossier, *, today: date | None = None) -> list[Any]:
    from forms.checks import run_checks

    return list(run_checks(dossier, today=today))


def _default_render(dossier: Dossier, *, draft: bool, flags: Sequence[Any] | None = None) -> bytes:
    from forms.document import render_dossier

    return render_dossier(dossier, draft=draft, flags=flags)


def _default_jump(item_number: int) -> str:
    """The candidate flow's "open this item" action (its encoding, see handlers.candidate)."""
    try:
        from handlers import candidate
    except ImportError:
        return f"go:{item_number}"
    jump = getattr(candidate, "jump_action", None)
    return jump(item_number) if callable(jump) else f"go:{item_number}"


def t(key: str, **kw: Any) -> str:
    return message(f"review.{key}", **kw)


def local_time(iso: str | None) -> str:
    """'14:05 25/10/2025' in Vietnam time, for people."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.astimezone(ZONE).strftime("%H:%M %d/%m/%Y")


# ---------------------------------------------------------------------------------------------
# Dossier facts shown on cards and in the private view


def item_ref(number: int) -> str:
    return f"({number})"


def commentable_items(form: FormDef) -> list[int]:
    return [it.number for it in form.items() if not it.reviewer_only]


def item_label(form: FormDef, number: int) -> str:
    try:
        return form.item(number).label
    except KeyError:
        return ""


def item_of_path(form: FormDef, path: str) -> int | None:
    """The booklet item a revision path belongs to (None for explanations and meta)."""
    root, _, rest = path.partition(".")
    try:
        if root == "answers":
            return form.item_of_field(rest).number
        if root == "tables":
            return form.item_of_field(rest.split(".", 1)[0]).number
    except KeyError:
        return None
    if root == "relatives":
        return next((it.number for it in form.items() if it.relatives is not None), None)
    return None


def completeness(dossier: Dossier, form: FormDef) -> tuple[int, int]:
    """(required items answered, required items) for the card."""
    from forms.checks.core import item_answered

    wanted = [
        it.number
        for it in form.items()
        if not it.reviewer_only
        and not it.optional
        and (it.table or it.relatives or any(f.required for f in it.fields))
    ]
    done = sum(1 for n in wanted if item_answered(dossier, n))
    return done, len(wanted)


def _fmt_value(value: Any, form: FormDef, path: str) -> str:
    if value is None or value == "":
        return t("diff.empty")
    if isinstance(value, dict):
        return _fmt_row(value, form, path)
    return str(value)


def _fmt_row(row: dict[str, Any], form: FormDef, path: str) -> str:
    parts: list[str] = []
    if "tu" in row or "den" in row:
        parts.append(f"{row.get('tu', '')} – {row.get('den', '')}".strip(" –"))
    labels: dict[str, str] = {}
    root, _, rest = path.partition(".")
    try:
        if root == "tables":
            table = form.table(rest.split(".", 1)[0])
            labels = {c.id: c.label for c in table.columns}
        elif root == "relatives":
            rel = form.relatives()
            labels = {f.id: f.label for f in rel.fields}
            code = str(row.get("quan_he", ""))
            with contextlib.suppress(KeyError):
                parts.insert(0, rel.relation(code).label)
    except KeyError:
        labels = {}
    for key, value in row.items():
        if key in ("tu", "den", "quan_he") or value in ("", None):
            continue
        label = labels.get(key, key)
        parts.append(f"{label}: {value}" if key not in ("ho_ten", "xung_ho") else str(value))
    return "; ".join(p for p in parts if p)


def summarize(dossier: Dossier, form: FormDef) -> list[dict[str, Any]]:
    """Every answered candidate item as ``{ref, label, lines}`` for the private view."""
    out: list[dict[str, Any]] = []
    for item in form.items():
        if item.reviewer_only:
            continue
        lines: list[str] = []
        for f in item.fields:
            value = dossier.answers.get(f.id, "")
            if value:
                lines.append(value if len(item.fields) == 1 else f"{f.label}: {value}")
        if item.table is not None:
            for row in dossier.rows(item.table.id):
                lines.append(_fmt_row(row, form, f"tables.{item.table.id}.0"))
        if item.relatives is not None:
            for row in dossier.relatives:
                lines.append(_fmt_row(row, form, "relatives.0"))
        if lines:
            out.append({"ref": item_ref(item.number), "label": item.label, "lines": lines})
    return out


@dataclass(slots=True)
class Changes:
    """What changed between two revisions, by item."""

    since: int
    until: int
    items: dict[int, list[tuple[str, str, str]]] = field(default_factory=dict)  # label, old, new
    explanations: int = 0

    @property
    def any(self) -> bool:
        return bool(self.items or self.explanations)


async def changes_since(tx: Tx, record: DossierRecord, since: int, form: FormDef) -> Changes:
    """The dossier's changes after revision ``since``, grouped by item: the content then and
    now compared, rows of tables and relatives aligned by content, so deleting a row shows as
    that row removed, not as every later row changed."""
    before = (await tx.dossiers.snapshot_at(record, since)).to_dict()
    after = record.dossier.to_dict()
    changes = Changes(since, record.revision)
    pairs: list[tuple[str, Any, Any]] = []
    for key in {*before["answers"], *after["answers"]}:
        old, new = before["answers"].get(key), after["answers"].get(key)
        if old != new:
            pairs.append((f"answers.{key}", old, new))
    for table in {*before["tables"], *after["tables"]}:
        old_rows, new_rows = before["tables"].get(table, []), after["tables"].get(table, [])
        pairs += _aligned_rows(f"tables.{table}", old_rows, new_rows)
    pairs += _aligned_rows("relatives", before["relatives"], after["relatives"])
    explained_before, explained_after = before["explanations"], after["explanations"]
    changes.explanations = sum(
        1
        for key in {*explained_before, *explained_after}
        if explained_before.get(key) != explained_after.get(key)
    )
    for path, old, new in pairs:
        number = item_of_path(form, path)
        if number is not None:
            changes.items.setdefault(number, []).extend(_changed_values(form, path, old, new))
    changes.items = dict(sorted(changes.items.items()))
    return changes


def _aligned_rows(prefix: str, old: list[Any], new: list[Any]) -> list[tuple[str, Any, Any]]:
    """(path, old row, new row) for rows that differ. Identical rows are matched first
    (difflib); within a changed stretch an edited row is paired with the old row it most
    resembles (:func:`_pair_similar`), so deleting a row shows as that row removed, not as
    every later row changed. The path's index is the row's place now (before, if removed)."""
    dumps = orjson.dumps
    matcher = SequenceMatcher(
        None,
        [dumps(r, option=orjson.OPT_SORT_KEYS) for r in old],
        [dumps(r, option=orjson.OPT_SORT_KEYS) for r in new],
        autojunk=False,
    )
    out: list[tuple[str, Any, Any]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        pairs = _pair_similar(old[i1:i2], new[j1:j2])
        paired_old = {i for i, _ in pairs}
        paired_new = {j for _, j in pairs}
        out += [(f"{prefix}.{j1 + j}", old[i1 + i], new[j1 + j]) for i, j in pairs]
        out += [
            (f"{prefix}.{i1 + i}", old[i1 + i], None) for i in range(i2 - i1) if i not in paired_old
        ]
        out += [
            (f"{prefix}.{j1 + j}", None, new[j1 + j]) for j in range(j2 - j1) if j not in paired_new
        ]
    return out


def _resemblance(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Share of the filled columns two rows have in common."""
    keys = [k for k in {*a, *b} if a.get(k) or b.get(k)]
    return sum(1 for k in keys if a.get(k) == b.get(k)) / len(keys) if keys else 1.0


def _pair_similar(old: list[Any], new: list[Any]) -> list[tuple[int, int]]:
    """Order-keeping pairs (old index, new index) of rows sharing at least half their filled
    columns, the most alike overall (a small dynamic programme: stretches are a few rows)."""
    n, m = len(old), len(new)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            score = max(best[i + 1][j], best[i][j + 1])
            alike = _resemblance(old[i], new[j])
            if alike >= 0.5:
                score = max(score, alike + best[i + 1][j + 1])
            best[i][j] = score
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        alike = _resemblance(old[i], new[j])
        if alike >= 0.5 and best[i][j] == alike + best[i + 1][j + 1]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


def _changed_values(form: FormDef, path: str, old: Any, new: Any) -> list[tuple[str, str, str]]:
    """(what, before, after) lines for one changed path; a changed row lists only the
    columns that changed."""
    root, _, rest = path.partition(".")
    if root == "answers":
        try:
            label = form.field(rest).label
        except KeyError:
            label = rest
        return [(label, _fmt_value(old, form, path), _fmt_value(new, form, path))]
    if root == "tables":
        where = t("diff.row", n=int(rest.split(".")[1]) + 1)
    else:
        where = t("diff.relative", n=int(rest) + 1)
    if isinstance(old, dict) and isinstance(new, dict):
        labels = _row_labels(form, path)
        lines = []
        for key in [*old, *(k for k in new if k not in old)]:
            before, after = old.get(key, ""), new.get(key, "")
            if before != after:
                lines.append(
                    (
                        f"{where}, {labels.get(key, key)}",
                        before or t("diff.empty"),
                        after or t("diff.empty"),
                    )
                )
        return lines
    if old is None or new is None:
        where = t("diff.added" if old is None else "diff.removed", where=where)
    return [(where, _fmt_value(old, form, path), _fmt_value(new, form, path))]


def _row_labels(form: FormDef, path: str) -> dict[str, str]:
    root, _, rest = path.partition(".")
    labels = {key: t(f"diff.{key}") for key in ("tu", "den", "quan_he")}
    try:
        if root == "tables":
            labels.update({c.id: c.label for c in form.table(rest.split(".", 1)[0]).columns})
        else:
            labels.update({f.id: f.label for f in form.relatives().fields})
    except KeyError:
        pass
    return labels


# ---------------------------------------------------------------------------------------------
# The flow


@dataclass(slots=True)
class _Ctx:
    """One event being handled: the transaction, the event and the actor."""

    tx: Tx
    event: Event
    person: Person | None
    replies: list[Reply] = field(default_factory=list)

    @property
    def in_group(self) -> bool:
        return self.event.chat.kind == "group"

    def toast(self, text: str) -> None:
        if self.event.kind == "button":
            self.replies.append(Reply(toast=text))
        else:
            self.replies.append(Reply(text=text))

    def say(self, text: str, **kw: Any) -> None:
        self.replies.append(Reply(text=text, **kw))

    @property
    def who(self) -> str:
        """The actor's name as people see it in the chat."""
        return self.event.user.name or (self.person.display_name if self.person else "")

    async def audit(
        self, action: str, record: DossierRecord, unit: Unit, detail: dict[str, Any] | None = None
    ) -> None:
        """An audit row for what the actor did on ``record`` for ``unit``."""
        assert self.person is not None
        await self.tx.audit.append(
            action,
            person_id=self.person.id,
            dossier_id=record.id,
            revision=record.revision,
            unit_id=unit.id,
            detail=detail,
        )


class ReviewFlow:
    """Review actions in groups and in reviewers' private chats (see the module docstring)."""

    name = "review"
    routes = Routes(
        flow="review",
        prefix="rv",
        commands={name: "any" for name in COMMANDS},
        actions=(ActionCodec("rv", "x", heavy=True), ActionCodec("rv", "a", heavy=True)),
        replies=True,
    )

    def __init__(
        self,
        *,
        bot_username: str = "",
        today: Callable[[], date] | None = None,
        checks: Checks | None = None,
        renderer: Renderer | None = None,
        jump_action: JumpAction | None = None,
        form: FormDef | None = None,
    ) -> None:
        self.bot_username = bot_username
        self.today = today  # None: the users' date at the router's clock (tx.now)
        self.checks = checks or _default_checks
        self.renderer = renderer or _default_render
        self.jump_action = jump_action or _default_jump
        self.form = form or load_form()

    def _today(self, tx: Tx) -> date:
        return self.today() if self.today is not None else local_date(tx.now, ZONE)

    # -- routing ---------------------------------------------------------------------------------
    def claims(self, event: Event) -> bool:
        """Events this flow certainly handles (without looking at the database)."""
        if event.kind == "button":
            return event.action.startswith(PREFIX)
        if event.kind == "command":
            return event.command in COMMANDS
        return False

    async def owns_reply(self, tx: Tx, event: Event) -> bool:
        """A text replying to a card or an item prompt is a comment."""
        remembered = await tx.repo(BotMessages).message(
            event.chat.platform, event.chat.id, event.reply_to_ref
        )
        return remembered is not None and remembered.purpose in ("item", "card")

    async def handle(self, tx: Tx, event: Event) -> list[Reply] | None:
        """Replies for ``event``, or None when the event is not a review action."""
        # Fast path: most events are candidates' answers; only buttons, commands and replies
        # to the bot's review messages can be ours.
        remembered = None
        if not self.claims(event):
            if not (event.kind == "text" and event.reply_to_ref):
                return None
            remembered = await tx.repo(BotMessages).message(
                event.chat.platform, event.chat.id, event.reply_to_ref
            )
            if remembered is None or remembered.purpose not in ("item", "card"):
                return None
        ctx = _Ctx(tx, event, await tx.people.find(event.user.platform, event.user.id))
        if ctx.person is not None and event.chat.kind == "private":
            await tx.repo(Org).note_private_chat(event.user.platform, event.user.id, event.chat.id)
        if remembered is not None:
            await self._comment_reply(
                ctx, remembered.purpose, remembered.dossier_id, remembered.detail
            )
        elif event.kind == "button":
            await self._button(ctx)
        elif event.command == "nhanxet":
            await self._comment_command(ctx)
        elif event.command == "molai":
            await self._reopen_command(ctx)
        else:
            await self._list(ctx)
        return ctx.replies

    async def message_sent(
        self, tx: Tx, ref_key: str, platform: str, chat_id: str, message_id: str
    ) -> bool:
        """Remember the id of a card or item prompt the adapter just sent (to edit or to
        recognise replies later). False when ``ref_key`` is not ours."""
        parts = ref_key.split(":", 4)  # a card's 5th part, the edited message, may hold ':'
        reviews = tx.repo(BotMessages)
        if parts[0] == CARD_KEY and len(parts) in (4, 5):
            dossier_id, revision, unit_id = int(parts[1]), int(parts[2]), int(parts[3])
            replaced = parts[4] if len(parts) == 5 and parts[4] != message_id else ""
            if replaced:  # the edit could not be made: the new message is the card now
                old = await reviews.message(platform, chat_id, replaced)
                if old is not None:
                    await self._mark_closed(tx, old)
            await reviews.remember(
                platform, chat_id, message_id, "card", dossier_id, revision, {"unit": unit_id}
            )
            return True
        if parts[0] == ITEM_KEY and len(parts) == 3:
            await reviews.remember(
                platform,
                chat_id,
                message_id,
                "item",
                int(parts[1]),
                None,
                {"item": int(parts[2])},
            )
            return True
        return False

    # -- submission hook -------------------------------------------------------------------------
    async def on_submitted(self, tx: Tx, record: DossierRecord) -> list[Reply]:
        """Called by the candidate flow in the transaction that submitted the dossier: route it
        to the reviewing unit and post the card. Returns the replies to send (the card to the
        group, a note for the candidate)."""
        reviews = tx.repo(Reviews)
        if record.unit_id is None:
            record = await self._attach_unit(tx, record)
        unit = await reviews.start_review(record)
        fresh = await tx.dossiers.get(record.id)
        assert fresh is not None
        if unit is None:
            # nobody reviews it: a 'submitted' dossier could be neither reviewed nor edited
            await tx.dossiers.set_status(fresh, "draft")
            home = await tx.repo(Org).unit(record.unit_id) if record.unit_id else None
            if home is None:
                return [Reply(text=t("candidate.no_unit"))]
            note = t("card.no_level", dossier=record.id, unit=home.name, unit_id=home.id)
            return [
                Reply(text=t("candidate.no_level", unit=home.name)),
                *await secretaries_reply(tx, home, note),
            ]
        await tx.audit.append(
            "submit",
            person_id=record.person_id,
            dossier_id=record.id,
            revision=fresh.revision,
            unit_id=unit.id,
        )
        replies = await self._post_card(tx, fresh, unit)
        if not replies:
            replies = await secretaries_reply(tx, unit, self._unreachable(record, unit))
        replies.insert(0, Reply(text=t("candidate.submitted", unit=unit.name)))
        return replies

    @staticmethod
    def _unreachable(record: DossierRecord, unit: Unit) -> str:
        return t("card.unreachable", dossier=record.id, unit=unit.name, unit_id=unit.id)

    async def _attach_unit(self, tx: Tx, record: DossierRecord) -> DossierRecord:
        """Give a dossier without a unit the chi bộ its candidate was invited to: the candidate
        role, else the candidate invite code kept in the conversation (a person who used an
        invite before consenting), which then also becomes the candidate role."""
        org = tx.repo(Org)
        unit_id = await org.candidate_unit(record.person_id)
        if unit_id is None:
            for conv in await tx.conversations.for_dossier(record.id):
                payload = str(conv.state.get("payload", ""))
                invite = await org.invite(payload) if payload else None
                if invite and invite.purpose == "role" and invite.role == "candidate":
                    unit_id = invite.unit_id
                    break
            if unit_id is None:
                return record
            await grant_role(tx, unit_id, record.person_id, "candidate", by=None, via="invite")
        await tx.dossiers.set_meta(record, unit_id=unit_id)
        fresh = await tx.dossiers.get(record.id)
        assert fresh is not None
        return fresh

    # -- cards -------------------------------------------------------------------------------------
    async def card_text(self, tx: Tx, record: DossierRecord, unit: Unit) -> tuple[str, int]:
        """The card's text (no content beyond name, counts and explanations) and the number of
        open comments (for the buttons)."""
        org = tx.repo(Org)
        chain = await org.review_chain(record.unit_id) if record.unit_id else [unit]
        position = next((i for i, u in enumerate(chain) if u.id == unit.id), 0)
        home = await org.unit(record.unit_id) if record.unit_id else None
        flags = self.checks(record.dossier, today=self._today(tx))
        errors = [f for f in flags if f.severity == "error"]
        warnings = [f for f in flags if f.severity != "error"]
        done, total = completeness(record.dossier, self.form)
        changes = await self._changes_since_last_look(tx, record, unit)
        comments = await self._comment_view(tx, record)
        explained = [
            {"ref": item_ref(f.item), "text": f.explanation or ""}
            for f in warnings
            if f.explanation
        ]
        facts = dict(
            dossier=record.id,
            name=record.dossier.value("ho_ten") or t("no_name"),
            home=home.name if home else "",
            unit=unit,
            level=position + 1,
            levels=len(chain),
            revision=record.revision,
            submitted=local_time(record.submitted_at),
            done=done,
            total=total,
            errors=len(errors),
            warnings=len(warnings),
            unexplained=sum(1 for f in warnings if not f.explanation),
            changes=changes,
            labels={n: item_label(self.form, n) for n in (changes.items if changes else {})},
        )
        # A card is edited in place: it must stay one message. Shorter quotes first, then
        # fewer of them (the rest is counted; «Xem» shows them all).
        for length, count in CARD_FITS:
            text = render(
                "review/card.j2",
                **facts,
                explained=_quoted(explained, length, count),
                hidden_explained=len(explained) - len(explained[:count]),
                comments=_quoted(comments, length, count),
                hidden_comments=len(comments) - len(comments[:count]),
            )
            if len(text.encode("utf-16-le")) // 2 <= CARD_LIMIT:
                break
        return text, len([c for c in comments if c["status"] == "sent"])

    async def _changes_since_last_look(
        self, tx: Tx, record: DossierRecord, unit: Unit
    ) -> Changes | None:
        """What changed since the unit last decided on the dossier (None: first look; empty
        when it comes back unchanged)."""
        last = await tx.repo(Reviews).last_look(record.id, unit.id)
        if last is None or last > record.revision:
            return None
        return await changes_since(tx, record, last, self.form)

    async def _comment_view(self, tx: Tx, record: DossierRecord) -> list[dict[str, Any]]:
        """Drafts and open sent comments; a sent one is 'addressed' when its item changed since
        it was sent."""
        out: list[dict[str, Any]] = []
        changed: dict[int, set[int]] = {}  # items changed since a revision
        for c in await tx.repo(Reviews).comments(record.id, ("draft", "sent")):
            addressed = False
            if c.status == "sent" and c.revision < record.revision:
                if c.revision not in changed:
                    since = await changes_since(tx, record, c.revision, self.form)
                    changed[c.revision] = set(since.items)
                addressed = c.item_number in changed[c.revision]
            out.append(
                {
                    "id": c.id,
                    "ref": item_ref(c.item_number),
                    "status": c.status,
                    "author": c.author_name,
                    "text": c.text,
                    "addressed": addressed,
                }
            )
        return out

    def card_buttons(self, record: DossierRecord, open_ids: list[int]) -> list[list[Button]]:
        d, rev = record.id, record.revision
        rows = [
            [Button(t("button.view"), f"rv:x:{d}:{rev}"), Button(t("button.comment"), f"rv:n:{d}")],
            [
                Button(t("button.return"), f"rv:t:{d}:{rev}"),
                Button(t("button.approve"), f"rv:a:{d}:{rev}"),
            ],
        ]
        for cid in open_ids:
            rows.append(
                [
                    Button(t("button.resolve", id=cid), f"rv:ok:{cid}"),
                    Button(t("button.keep", id=cid), f"rv:ko:{cid}"),
                ]
            )
        return rows

    async def _card_reply(
        self, tx: Tx, record: DossierRecord, unit: Unit, chat: Chat, edit_ref: str = ""
    ) -> Reply:
        text, _ = await self.card_text(tx, record, unit)
        open_ids = [c.id for c in await tx.repo(Reviews).comments(record.id, ("sent",))]
        return Reply(
            text=text,
            buttons=self.card_buttons(record, open_ids),
            chat=chat,
            edit_ref=edit_ref,
            # an edit is remembered too: when the card cannot be edited (deleted by an admin,
            # or from before a supergroup upgrade) the adapter posts it anew, and that new
            # message replaces the old one (see message_sent)
            remember=f"{CARD_KEY}:{record.id}:{record.revision}:{unit.id}"
            + (f":{edit_ref}" if edit_ref else ""),
        )

    async def _post_card(self, tx: Tx, record: DossierRecord, unit: Unit) -> list[Reply]:
        """The card to the unit's group, or privately to each of its reviewers who can be
        reached when the unit has no group."""
        if unit.group_chat_id and unit.group_platform:
            chat = Chat(unit.group_platform, unit.group_chat_id, "group", unit.name)
            return [await self._card_reply(tx, record, unit, chat)]
        replies: list[Reply] = []
        org = tx.repo(Org)
        for role in await org.roles_in([unit.id], "reviewer"):
            chat_id = await org.private_chat(role.platform, role.platform_user_id)
            if chat_id is None:
                continue
            chat = Chat(role.platform, chat_id, "private")
            replies.append(await self._card_reply(tx, record, unit, chat))
        if not replies:
            log.info("dossier %s waits at unit %s with no way to reach it", record.id, unit.id)
        return replies

    async def _refresh_cards(self, tx: Tx, record: DossierRecord, unit: Unit) -> list[Reply]:
        """Edit the unit's open cards of this dossier (new counts, comments)."""
        replies = []
        for card, chat in await self._open_cards(tx, record, unit, replies):
            if card.revision == record.revision:
                replies.append(await self._card_reply(tx, record, unit, chat, card.message_id))
        return replies

    async def _close_cards(
        self,
        tx: Tx,
        record: DossierRecord,
        unit: Unit,
        text: str,
        buttons: list[list[Button]] | None = None,
    ) -> list[Reply]:
        """Replace the unit's open cards of this dossier by ``text`` (no more buttons)."""
        replies: list[Reply] = []
        for card, chat in await self._open_cards(tx, record, unit, replies):
            await self._mark_closed(tx, card)
            replies.append(
                Reply(text=text, chat=chat, edit_ref=card.message_id, buttons=buttons or [])
            )
        return replies

    async def _open_cards(
        self, tx: Tx, record: DossierRecord, unit: Unit, replies: list[Reply]
    ) -> list[tuple[BotMessage, Chat]]:
        """The unit's open cards of this dossier, with their chats. A card in a chat that may
        no longer follow the review (see :meth:`_withdrawal`) is withdrawn instead (an edit
        added to ``replies``)."""
        cards = []
        for card in await tx.repo(BotMessages).messages_for(record.id, "card"):
            if card.detail.get("unit") != unit.id or card.detail.get("closed"):
                continue
            chat = _card_chat(card.platform, card.chat_id, unit)
            notice = await self._withdrawal(tx, chat, record, unit)
            if notice:
                await self._mark_closed(tx, card)
                replies.append(Reply(text=notice, chat=chat, edit_ref=card.message_id))
                continue
            cards.append((card, chat))
        return cards

    @staticmethod
    async def _withdrawal(tx: Tx, chat: Chat, record: DossierRecord, unit: Unit) -> str:
        """'' while a card's chat may follow ``unit``'s review: its group, or the private chat
        of one of its reviewers. Else the notice that replaces the card: the reader lost the
        reviewer role, or the chat is a group now serving another unit (or none)."""
        if chat.kind == "group":
            return ""
        user_id = await tx.repo(Org).private_chat_user(chat.platform, chat.id)
        person = await tx.people.find(chat.platform, user_id or chat.id)
        if person is None:
            return t("card.withdrawn_group", dossier=record.id, unit=unit.name)
        if await access.may_act(tx, person.id, unit):
            return ""
        return t("card.withdrawn", dossier=record.id, unit=unit.name)

    @staticmethod
    async def _mark_closed(tx: Tx, card: BotMessage) -> None:
        await tx.repo(BotMessages).remember(
            card.platform,
            card.chat_id,
            card.message_id,
            "card",
            card.dossier_id,
            card.revision,
            {**card.detail, "closed": True},
        )

    # -- resolving who acts for which unit ------------------------------------------------------
    async def _acting_unit(self, ctx: _Ctx, record: DossierRecord) -> Unit | None:
        """The unit the actor acts for on ``record``: the group's unit in a group (it must be in
        the dossier's chain), else the unit currently reviewing it, else any unit above."""
        org = ctx.tx.repo(Org)
        if record.unit_id is None:
            return None
        chain = await org.review_chain(record.unit_id)
        if ctx.in_group:
            unit = await org.unit_by_group(ctx.event.chat.platform, ctx.event.chat.id)
            if unit is None or all(u.id != unit.id for u in chain):
                return None
            return unit
        current = next((u for u in chain if u.review_level == record.review_level), None)
        if (
            current is not None
            and ctx.person is not None
            and await access.may_act(ctx.tx, ctx.person.id, current)
        ):
            return current
        if ctx.person is None:
            return None
        for unit in reversed(chain):
            if await access.may_act(ctx.tx, ctx.person.id, unit):
                return unit
        return None

    async def _authorise(self, ctx: _Ctx, dossier_id: int) -> tuple[DossierRecord, Unit] | None:
        """The dossier and the unit the actor may act for, or None after telling them no."""
        record = await ctx.tx.dossiers.get(dossier_id)
        group_unit = None
        if ctx.in_group:
            group_unit = await ctx.tx.repo(Org).unit_by_group(
                ctx.event.chat.platform, ctx.event.chat.id
            )
        if record is None or record.status == "deleted":
            # "not found" only to reviewers: to anyone else it would tell which numbers exist
            reviewer = ctx.person is not None and any(
                r.role == "reviewer" for r in await ctx.tx.repo(Org).roles_of(ctx.person.id)
            )
            ctx.toast(t("refuse.not_found") if reviewer else t("refuse.no_right"))
            return None
        unit = await self._acting_unit(ctx, record)
        if (
            unit is None
            or ctx.person is None
            or not await access.may_act(ctx.tx, ctx.person.id, unit)
        ):
            name = (unit or group_unit).name if (unit or group_unit) else ""
            ctx.toast(t("refuse.not_reviewer", unit=name) if name else t("refuse.no_right"))
            return None
        if record.person_id == ctx.person.id:  # a reviewer who applies too: colleagues decide
            ctx.toast(t("refuse.own_dossier"))
            return None
        return record, unit

    # -- buttons -----------------------------------------------------------------------------------
    async def _button(self, ctx: _Ctx) -> None:
        parts = ctx.event.action.split(":")
        try:
            verb = parts[1]
            numbers = [int(p) for p in parts[2:]]
        except (IndexError, ValueError):
            ctx.toast(t("refuse.no_right"))
            return
        if verb == "x" and len(numbers) == 2:
            await self._view(ctx, numbers[0], numbers[1])
        elif verb == "n" and len(numbers) == 1:
            await self._pick_item(ctx, numbers[0])
        elif verb == "i" and len(numbers) == 2:
            await self._prompt_item(ctx, numbers[0], numbers[1])
        elif verb in ("t", "a") and len(numbers) == 2:
            await self._decide(ctx, "return" if verb == "t" else "approve", *numbers)
        elif verb in ("ok", "ko", "del") and len(numbers) == 1:
            await self._comment_state(ctx, verb, numbers[0])
        elif verb == "o" and len(numbers) == 1:
            await self._reopen(ctx, numbers[0])
        elif verb == "c" and len(numbers) == 1:
            await self._show_card(ctx, numbers[0])
        else:
            ctx.toast(t("refuse.no_right"))

    async def _view(self, ctx: _Ctx, dossier_id: int, card_revision: int) -> None:
        """ "Xem": the draft .docx and a summary, privately; the group learns nothing more."""
        tx, event = ctx.tx, ctx.event
        if ctx.person is None:
            ctx.toast(t("refuse.no_right"))
            return
        record = await tx.dossiers.get(dossier_id)
        # reviewers only: the view lists the reviewers' unsent comments, and the candidate
        # reads their own dossier in their own conversation
        if record is None or (await access.access(tx, ctx.person.id, record)).standing != (
            "reviewer"
        ):
            ctx.toast(t("refuse.no_right"))
            return
        unit = await self._acting_unit(ctx, record)
        if ctx.in_group and unit is None:
            ctx.toast(t("refuse.no_right"))
            return
        private_id = (
            event.chat.id
            if event.chat.kind == "private"
            else await tx.repo(Org).private_chat(event.user.platform, event.user.id)
        )
        if private_id is None:
            bot = f"@{self.bot_username}" if self.bot_username else "bot"
            ctx.toast(t("refuse.open_private_toast"))
            ctx.say(t("refuse.open_private_first", name=event.user.name or t("comrade"), bot=bot))
            return
        record = await access.open_for_view(
            tx, ctx.person.id, dossier_id, what="draft_docx", unit_id=unit.id if unit else None
        )
        flags = self.checks(record.dossier, today=self._today(tx))
        changes = await self._changes_since_last_look(tx, record, unit) if unit else None
        comments = await tx.repo(Reviews).comments(record.id, ("draft", "sent"))
        text = render(
            "review/view.j2",
            dossier=record.id,
            name=record.dossier.value("ho_ten") or t("no_name"),
            revision=record.revision,
            card_revision=card_revision,
            status=record.status,
            items=summarize(record.dossier, self.form),
            flags=[
                {
                    "ref": item_ref(f.item),
                    "error": f.severity == "error",
                    "message": f.message,
                    "explanation": f.explanation or "",
                }
                for f in flags
            ],
            changes=changes,
            labels={n: item_label(self.form, n) for n in (changes.items if changes else {})},
            comments=[
                {
                    "id": c.id,
                    "ref": item_ref(c.item_number),
                    "status": c.status,
                    "author": c.author_name,
                    "text": c.text,
                }
                for c in comments
            ],
        )
        data = self.renderer(record.dossier, draft=True, flags=flags)
        chat = Chat(event.user.platform, private_id, "private")
        buttons = []
        if (
            record.status == "submitted"
            and unit is not None
            and unit.review_level == record.review_level
        ):
            buttons = [[Button(t("button.comment"), f"rv:n:{record.id}")]]
        ctx.replies.append(Reply(text=text, chat=chat))
        ctx.replies.append(
            Reply(
                chat=chat,
                buttons=buttons,
                document=Document(
                    filename=f"2KND-ho-so-{record.id}-ban-{record.revision}-nhap.docx",
                    data=data,
                    caption=t("caption.draft", dossier=record.id, revision=record.revision),
                ),
            )
        )
        if ctx.in_group:
            ctx.replies.insert(0, Reply(toast=t("toast.sent_private")))

    async def _pick_item(self, ctx: _Ctx, dossier_id: int) -> None:
        found = await self._authorise_here(ctx, dossier_id)
        if found is None:
            return
        record, _ = found
        numbers = commentable_items(self.form)
        rows: list[list[Button]] = []
        for i in range(0, len(numbers), 6):
            rows.append(
                [
                    Button(t("button.item", ref=str(n)), f"rv:i:{record.id}:{n}")
                    for n in numbers[i : i + 6]
                ]
            )
        ctx.replies.append(Reply(toast=""))
        ctx.say(t("comment.pick_item", dossier=record.id), buttons=rows)

    async def _prompt_item(self, ctx: _Ctx, dossier_id: int, number: int) -> None:
        found = await self._authorise_here(ctx, dossier_id)
        if found is None:
            return
        record, _ = found
        if number not in commentable_items(self.form):
            ctx.toast(t("refuse.bad_item", text=str(number)))
            return
        ctx.say(
            t(
                "comment.prompt",
                dossier=record.id,
                ref=item_ref(number),
                label=item_label(self.form, number),
            ),
            remember=f"{ITEM_KEY}:{record.id}:{number}",
        )

    async def _authorise_here(
        self, ctx: _Ctx, dossier_id: int
    ) -> tuple[DossierRecord, Unit] | None:
        """As :meth:`_authorise`, and the dossier waits for the actor's unit now."""
        found = await self._authorise(ctx, dossier_id)
        if found is None:
            return None
        record, unit = found
        if record.status != "submitted":
            ctx.toast(t("refuse.not_under_review"))
            return None
        if unit.review_level != record.review_level:
            ctx.toast(t("refuse.not_your_turn", unit=unit.name))
            return None
        return found

    # -- comments ----------------------------------------------------------------------------------
    async def _add_comment(self, ctx: _Ctx, dossier_id: int, number: int, text: str) -> None:
        found = await self._authorise_here(ctx, dossier_id)
        if found is None:
            return
        record, unit = found
        text = text.strip()
        if number not in commentable_items(self.form):
            ctx.say(t("refuse.bad_item", text=str(number)))
            return
        if not text:
            ctx.say(t("refuse.empty_comment"))
            return
        if len(text) > MAX_COMMENT:
            ctx.say(t("refuse.comment_too_long", limit=MAX_COMMENT))
            return
        assert ctx.person is not None
        reviews = ctx.tx.repo(Reviews)
        comment = await reviews.add_comment(
            record.id, record.revision, unit.id, number, ctx.person.id, text
        )
        await ctx.audit("comment", record, unit, {"comment": comment.id, "item": number})
        drafts = len(await reviews.comments(record.id, ("draft",)))
        ctx.say(
            t(
                "comment.saved",
                id=comment.id,
                author=ctx.event.user.name or comment.author_name,
                ref=item_ref(number),
                dossier=record.id,
                drafts=drafts,
            ),
            buttons=[[Button(t("button.delete_draft", id=comment.id), f"rv:del:{comment.id}")]],
        )
        ctx.replies.extend(await self._refresh_cards(ctx.tx, record, unit))

    async def _comment_reply(
        self, ctx: _Ctx, purpose: str, dossier_id: int | None, detail: dict[str, Any]
    ) -> None:
        if dossier_id is None:
            return
        text = ctx.event.text
        if purpose == "item":
            await self._add_comment(ctx, dossier_id, int(detail.get("item", 0)), text)
            return
        number, rest = _leading_item(text)
        if number is None:
            # a remark in reply to a card: explain the format to reviewers, ignore the others
            record = await ctx.tx.dossiers.get(dossier_id)
            unit = await self._acting_unit(ctx, record) if record else None
            if unit and ctx.person and await access.may_act(ctx.tx, ctx.person.id, unit):
                ctx.say(t("refuse.comment_usage"))
            return
        await self._add_comment(ctx, dossier_id, number, rest)

    async def _comment_command(self, ctx: _Ctx) -> None:
        """/nhanxet [#hồ sơ] <mục> <nội dung>."""
        text = ctx.event.text.strip()
        dossier_id: int | None = None
        match = re.match(r"^(?:#|hs\s*)(\d+)\s*(.*)$", text, re.IGNORECASE | re.DOTALL)
        if match:
            dossier_id, text = int(match.group(1)), match.group(2)
        number, rest = _leading_item(text)
        if number is None:
            ctx.say(t("refuse.comment_usage"))
            return
        if dossier_id is None and ctx.event.reply_to_ref:
            remembered = await ctx.tx.repo(BotMessages).message(
                ctx.event.chat.platform, ctx.event.chat.id, ctx.event.reply_to_ref
            )
            if remembered is not None:
                dossier_id = remembered.dossier_id
        if dossier_id is None:
            dossier_id = await self._only_dossier(ctx)
            if dossier_id is None:
                return
        await self._add_comment(ctx, dossier_id, number, rest)

    async def _only_dossier(self, ctx: _Ctx) -> int | None:
        """The one dossier waiting for the actor's unit, or None after saying why not."""
        units = await self._reviewing_units(ctx, "refuse.no_right")
        if units is None:
            return None
        waiting = []
        for unit in units:
            waiting.extend(await ctx.tx.repo(Reviews).under_review(unit))
        if len(waiting) == 1:
            return waiting[0].dossier_id
        if not waiting:
            ctx.say(t("refuse.no_dossier_here", unit=units[0].name))
        else:
            ctx.say(t("refuse.which_dossier", example=waiting[0].dossier_id))
        return None

    async def _reviewing_units(self, ctx: _Ctx, nobody_key: str) -> list[Unit] | None:
        """The units the actor reviews for here: the group's unit in a group, else every unit
        where they hold the reviewer role; None after telling them why not (``nobody_key``
        when they review nowhere)."""
        org = ctx.tx.repo(Org)
        units: list[Unit] = []
        if ctx.in_group:
            unit = await org.unit_by_group(ctx.event.chat.platform, ctx.event.chat.id)
            if unit is None:
                ctx.say(t("refuse.group_not_bound"))
                return None
            units = [unit]
        elif ctx.person is not None:
            roles = await org.roles_of(ctx.person.id)
            units = [u for r in roles if r.role == "reviewer" if (u := await org.unit(r.unit_id))]
        person = ctx.person
        allowed = [u for u in units if person and await access.may_act(ctx.tx, person.id, u)]
        if not allowed:
            name = units[0].name if units else ""
            ctx.say(t("refuse.not_reviewer", unit=name) if name else t(nobody_key))
            return None
        return allowed

    async def _comment_state(self, ctx: _Ctx, verb: str, comment_id: int) -> None:
        """A draft deleted by its author (del), a sent comment resolved (ok) or kept open (ko)."""
        reviews = ctx.tx.repo(Reviews)
        comment = await reviews.comment(comment_id)
        if comment is None:
            ctx.toast(t("refuse.no_right"))
            return
        found = await self._authorise(ctx, comment.dossier_id)
        if found is None:
            return
        record, unit = found
        assert ctx.person is not None
        if verb == "del" and comment.author_id != ctx.person.id:
            ctx.toast(t("refuse.not_author", id=comment_id))
            return
        if verb == "del":
            done = await reviews.delete_draft(comment_id, ctx.person.id)
        elif verb == "ok":
            done = await reviews.resolve(comment_id, ctx.person.id) is not None
        else:
            done = comment.status == "sent"
        if not done:
            ctx.toast(t("refuse.comment_closed"))
            return
        action, key = _COMMENT_VERBS[verb]
        await ctx.audit(action, record, unit, {"comment": comment_id})
        ctx.toast(t(f"toast.{key}"))
        if verb != "del":
            ref = item_ref(comment.item_number)
            ctx.say(t(f"comment.{key}", who=ctx.who, id=comment_id, ref=ref))
        elif ctx.event.message_ref:
            ctx.replies.append(
                Reply(text=t("comment.deleted", id=comment_id), edit_ref=ctx.event.message_ref)
            )
        ctx.replies.extend(await self._refresh_cards(ctx.tx, record, unit))

    # -- decisions ---------------------------------------------------------------------------------
    async def _decide(self, ctx: _Ctx, kind: str, dossier_id: int, card_revision: int) -> None:
        found = await self._authorise(ctx, dossier_id)
        if found is None:
            return
        record, unit = found
        assert ctx.person is not None
        decide = ctx.tx.repo(Reviews).approve if kind == "approve" else ctx.tx.repo(Reviews).return_
        try:
            outcome = await decide(dossier_id, card_revision, unit.id, ctx.person.id)
        except DecisionRefused as refused:
            text = await self._refusal(ctx.tx, refused, unit, card_revision, record)
            ctx.toast(text)
            if ctx.event.kind == "button":
                ctx.say(text)
            return
        detail: dict[str, Any] = {"level": outcome.decision.level}
        if kind == "return":
            detail["comments"] = [c.id for c in outcome.sent]
        await ctx.audit(kind, record, unit, detail)
        if outcome.kind == "returned":
            await self._after_return(ctx, outcome)
        elif outcome.kind == "forwarded":
            await self._after_forward(ctx, outcome)
        else:
            await self._after_final(ctx, outcome)

    async def _refusal(
        self,
        tx: Tx,
        refused: DecisionRefused,
        unit: Unit,
        card_revision: int,
        record: DossierRecord,
    ) -> str:
        if refused.reason == "already_decided" and isinstance(refused.existing, Decision):
            person = await tx.people.get(refused.existing.person_id)
            return t(
                "refuse.already_decided",
                who=person.display_name if person else "",
                decision=t(f"decision.{refused.existing.decision}"),
                at=local_time(refused.existing.created_at),
            )
        if refused.reason == "outdated":
            return t("refuse.outdated", card_revision=card_revision, revision=record.revision)
        if refused.reason == "not_your_turn":
            return t("refuse.not_your_turn", unit=unit.name)
        if refused.reason == "drafts_pending":
            drafts = await tx.repo(Reviews).comments(record.id, ("draft",))
            return t(
                "refuse.drafts_pending",
                count=len(drafts),
                ids=", ".join(f"#{c.id}" for c in drafts),
            )
        if refused.reason in ("no_comments", "not_locked", "not_found", "not_under_review"):
            return t(f"refuse.{refused.reason}")
        return t("refuse.no_right")

    async def _candidate_chat(self, tx: Tx, record: DossierRecord) -> Chat | None:
        person = await tx.people.get(record.person_id)
        if person is None:
            return None
        chat_id = await tx.repo(Org).private_chat(person.platform, person.platform_user_id)
        return Chat(person.platform, chat_id or person.platform_user_id, "private")

    async def _to_candidate(self, ctx: _Ctx, record: DossierRecord, *replies: Reply) -> bool:
        """``replies`` to the candidate's private chat; False when the candidate is gone."""
        chat = await self._candidate_chat(ctx.tx, record)
        if chat is None:
            return False
        for reply in replies:
            reply.chat = chat
            ctx.replies.append(reply)
        return True

    async def _closed(
        self,
        ctx: _Ctx,
        outcome: Outcome,
        key: str,
        buttons: list[list[Button]] | None = None,
        **kw: Any,
    ) -> None:
        """The toast for a decision, and the unit's open cards closed with ``card.<key>``."""
        ctx.toast(t("toast.approved" if outcome.kind != "returned" else "toast.returned"))
        text = t(
            f"card.{key}",
            unit=outcome.unit.name,
            revision=outcome.decision.revision,
            who=ctx.who,
            at=local_time(outcome.decision.created_at),
            **kw,
        )
        ctx.replies.extend(
            await self._close_cards(ctx.tx, outcome.record, outcome.unit, text, buttons)
        )

    async def _after_return(self, ctx: _Ctx, outcome: Outcome) -> None:
        tx, record, unit, sent = ctx.tx, outcome.record, outcome.unit, outcome.sent
        await self._closed(ctx, outcome, "closed_returned", count=len(sent))
        sent_ids = {c.id for c in sent}
        still_open = [
            c for c in await tx.repo(Reviews).comments(record.id, ("sent",)) if c.id not in sent_ids
        ]
        header = render(
            "review/returned.j2", unit=unit.name, count=len(sent), still_open=len(still_open)
        )
        comments = [*sent, *still_open]
        if not await self._to_candidate(
            ctx, record, Reply(text=header), *(self._comment_for_candidate(c) for c in comments)
        ):
            return
        await access.record_delivery(
            tx,
            record.person_id,
            record,
            what="comments",
            unit_id=unit.id,
            comments=[c.id for c in comments],
        )

    def _comment_for_candidate(self, comment: Comment) -> Reply:
        ref = item_ref(comment.item_number)
        return Reply(
            text=render(
                "review/comment_to_candidate.j2",
                ref=ref,
                label=item_label(self.form, comment.item_number),
                text=comment.text,
            ),
            buttons=[[Button(t("button.jump", ref=ref), self.jump_action(comment.item_number))]],
        )

    async def _after_forward(self, ctx: _Ctx, outcome: Outcome) -> None:
        tx, record, unit, nxt = ctx.tx, outcome.record, outcome.unit, outcome.next_unit
        assert nxt is not None
        await self._closed(ctx, outcome, "closed_forwarded", next=nxt.name)
        posted = await self._post_card(tx, record, nxt)
        ctx.replies.extend(posted)
        if not nxt.has_group:
            key = "card.next_not_bound" if posted else "card.nobody_to_review"
            ctx.say(t(key, unit=nxt.name, dossier=record.id))
        text = t("candidate.forwarded", unit=unit.name, next=nxt.name)
        await self._to_candidate(ctx, record, Reply(text=text))
        if not posted:  # last: the candidate's news first, the routing trouble after it
            ctx.replies.extend(await secretaries_reply(tx, nxt, self._unreachable(record, nxt)))

    async def _after_final(self, ctx: _Ctx, outcome: Outcome) -> None:
        tx, record, unit = ctx.tx, outcome.record, outcome.unit
        has_group = bool(unit.has_group and unit.group_platform and unit.group_chat_id)
        reopen = [[Button(t("button.reopen"), f"rv:o:{record.id}")]]
        await self._closed(ctx, outcome, "closed_approved", reopen, group=has_group)
        data = self.renderer(record.dossier, draft=False, flags=[])
        filename = f"2KND-ho-so-{record.id}-ban-{record.revision}.docx"

        def final_docx() -> Document:
            return Document(filename, data, caption=t_final_caption(record.id))

        if has_group:
            assert unit.group_platform and unit.group_chat_id and ctx.person is not None
            group = Chat(unit.group_platform, unit.group_chat_id, "group", unit.name)
            text = render(
                "review/final_group.j2",
                dossier=record.id,
                name=record.dossier.value("ho_ten"),
                revision=record.revision,
                unit=unit.name,
            )
            ctx.replies.append(Reply(chat=group, text=text, document=final_docx()))
            await access.record_delivery(
                tx, ctx.person.id, record, what="final_docx", unit_id=unit.id, to="group"
            )
        # the candidate last: the group's copy first (adapters skip only a blocked chat's own
        # replies, but the order should not depend on it)
        text = render("review/final_candidate.j2", unit=unit.name)
        if await self._to_candidate(ctx, record, Reply(text=text, document=final_docx())):
            await access.record_delivery(
                tx, record.person_id, record, what="final_docx", unit_id=unit.id
            )

    # -- reopening ---------------------------------------------------------------------------------
    async def _reopen_command(self, ctx: _Ctx) -> None:
        match = re.match(r"^\s*(?:#|hs\s*)?(\d+)\s*$", ctx.event.text, re.IGNORECASE)
        if not match:
            ctx.say(t("refuse.reopen_usage"))
            return
        await self._reopen(ctx, int(match.group(1)))

    async def _reopen(self, ctx: _Ctx, dossier_id: int) -> None:
        found = await self._authorise(ctx, dossier_id)
        if found is None:
            return
        record, unit = found
        assert ctx.person is not None
        try:
            outcome = await ctx.tx.repo(Reviews).reopen(dossier_id, unit.id, ctx.person.id)
        except DecisionRefused as refused:
            ctx.toast(await self._refusal(ctx.tx, refused, unit, record.revision, record))
            return
        await ctx.audit("reopen", outcome.record, unit)
        if ctx.event.kind == "button":  # a command gets the notice below, once
            ctx.toast(t("toast.reopened"))
        text = t("card.closed_reopened", who=ctx.who, at=local_time(outcome.decision.created_at))
        edited = False
        for card in await ctx.tx.repo(BotMessages).messages_for(dossier_id, "card"):
            if card.detail.get("unit") != unit.id or card.revision != record.revision:
                continue
            chat = _card_chat(card.platform, card.chat_id, unit)
            if await self._withdrawal(ctx.tx, chat, record, unit):
                continue  # a card withdrawn from a chat that no longer follows this unit
            ctx.replies.append(Reply(text=text, chat=chat, edit_ref=card.message_id))
            edited = True
        if not edited or ctx.event.kind == "command":
            ctx.say(text)
        text = t("candidate.reopened", unit=unit.name)
        await self._to_candidate(ctx, outcome.record, Reply(text=text))

    # -- listing -----------------------------------------------------------------------------------
    async def _list(self, ctx: _Ctx) -> None:
        """/hoso: dossiers waiting for the actor's units (names only)."""
        allowed = await self._reviewing_units(ctx, "refuse.not_registered")
        if allowed is None:
            return
        rows = []
        for unit in allowed:
            for item in await ctx.tx.repo(Reviews).under_review(unit):
                rows.append(
                    {
                        "unit": unit.name,
                        "id": item.dossier_id,
                        "name": item.full_name,
                        "revision": item.revision,
                        "since": local_time(item.submitted_at),
                    }
                )
        ids = [r["id"] for r in rows][:MAX_CARD_BUTTONS]
        buttons = [
            [Button(t("button.card", id=d), f"rv:c:{d}") for d in ids[i : i + 4]]
            for i in range(0, len(ids), 4)
        ]
        ctx.say(
            render("review/waiting.j2", rows=rows, units=[u.name for u in allowed]),
            buttons=buttons,
        )

    async def _show_card(self, ctx: _Ctx, dossier_id: int) -> None:
        """A fresh card here (from /hoso): the group's card scrolled far away, or none was
        ever posted (the unit had no group and no reachable reviewer at submission)."""
        found = await self._authorise_here(ctx, dossier_id)
        if found is None:
            return
        record, unit = found
        ctx.replies.append(Reply(toast=""))
        ctx.replies.append(await self._card_reply(ctx.tx, record, unit, ctx.event.chat))


async def grant_role(
    tx: Tx,
    unit_id: int,
    person_id: int,
    role: RoleName,
    *,
    by: int | None,
    via: str,
    actor: int | Literal["person"] | None = "person",
) -> bool:
    """Grant ``role`` (granted by ``by``) and record it once; False when it was held already.
    The audit row names ``actor``: the person themself unless told otherwise."""
    _, new = await tx.repo(Org).grant(unit_id, person_id, role, by)
    if new:
        await tx.audit.append(
            "role_grant",
            person_id=person_id if actor == "person" else actor,
            unit_id=unit_id,
            detail={"person": person_id, "role": role, "via": via},
        )
    return new


async def secretaries_reply(tx: Tx, unit: Unit, text: str) -> list[Reply]:
    """``text`` to every secretary of ``unit`` or of a unit above it who can be reached in a
    private chat (each once)."""
    org = tx.repo(Org)
    replies: list[Reply] = []
    seen: set[tuple[str, str]] = set()
    for role in await org.roles_in([u.id for u in await org.ancestors(unit.id)], "secretary"):
        chat_id = await org.private_chat(role.platform, role.platform_user_id)
        if chat_id is None or (role.platform, chat_id) in seen:
            continue
        seen.add((role.platform, chat_id))
        replies.append(Reply(text=text, chat=Chat(role.platform, chat_id, "private")))
    return replies


def _card_chat(platform: str, chat_id: str, unit: Unit) -> Chat:
    """The chat a remembered card sits in: the unit's group, or a reviewer's private chat."""
    if unit.group_platform == platform and unit.group_chat_id == chat_id:
        return Chat(platform, chat_id, "group", unit.name)
    return Chat(platform, chat_id, "private")


def t_final_caption(dossier_id: int) -> str:
    return t("caption.final", dossier=dossier_id)


def _quoted(rows: list[dict[str, Any]], length: int, count: int | None) -> list[dict[str, Any]]:
    """The first ``count`` rows (all: None) with their text shortened to ``length``."""
    return [{**row, "text": _short(row["text"], length)} for row in rows[:count]]


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _leading_item(text: str) -> tuple[int | None, str]:
    """'15 nội dung' / '(15) nội dung' / 'mục 15: nội dung' → (15, 'nội dung'). The number must
    stand alone: '2019 …' or '10/2019 …' is no item number (None)."""
    match = re.match(
        r"^\s*(?:mục|muc)?\s*(?:\((\d{1,2})\)\s*[:.\-–]?|(\d{1,2})(?:\s*[:.\-–]|\s|$))\s*(.*)$",
        text,
        re.IGNORECASE | re.DOTALL,
    )
    if not match:
        return None, text
    return int(match.group(1) or match.group(2)), match.group(3).strip()
