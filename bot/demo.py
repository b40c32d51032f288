"""A scripted candidate: plays a whole conversation from a sample dossier through the Router.

The player is generic: at each step it reads which question is open (the conversation's
screen, see :mod:`handlers.candidate`) and answers it from the sample as a person would — typing
the value, tapping "Bỏ qua" for an empty optional answer, "Từ 07/2024" when the proposed start
month is right, "Thêm"/"Xong" in loops, keeping its own wording when an address suggestion
is offered. It never names an item, so it also checks that the engine can reach every answer
of a dossier. Used by ``python -m bot demo``, the tests and the benchmark.
"""

from __future__ import annotations

import itertools
import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, TextIO

from admission.clock import Clock, FixedClock
from forms.dossier import Dossier
from forms.model import FormDef, Kind
from handlers.candidate import Conversation, Screen, read_conversation
from handlers.candidate.dialogs import Done
from handlers.candidate.gates import Gate
from handlers.candidate.questions import FieldQuestion, Question
from handlers.candidate.relatives import RelationLoop, RelativeQuestion, RelativesMenu
from handlers.candidate.structure import Structure, structure_for
from handlers.candidate.tables import ColumnQuestion, RowsMenu
from handlers.events import Button, Chat, Event, Reply, User
from handlers.router import Router
from storage.db import Database, Session
from storage.session import SyncConnection

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = {"a": ROOT / "examples" / "sample_a.json", "b": ROOT / "examples" / "sample_b.json"}
_KEYS = itertools.count(1)


class PlayerStuck(RuntimeError):
    """The sample cannot answer the open question (a gap in the sample or in the engine)."""


@dataclass
class Player:
    """One simulated person in a private chat, answering from ``sample``."""

    router: Router
    sample: Dossier
    user_id: str = "demo"
    name: str = "Trần Minh Khoa"
    platform: str = "demo"
    on_reply: Callable[[str, Reply], None] | None = None
    on_send: Callable[[str], None] | None = None
    replies: list[Reply] = field(default_factory=list)
    steps: int = 0
    keep_history: bool = True  # False: keep only the last keyboard (benchmarks)

    def _event(self, kind: str, *, text: str = "", command: str = "", action: str = "") -> Event:
        return Event(
            User(self.platform, self.user_id, self.name),
            Chat(self.platform, self.user_id, "private"),
            kind,  # type: ignore[arg-type]
            text=text,
            command=command,
            action=action,
            update_key=f"{self.user_id}:{next(_KEYS)}",
        )

    async def send(self, text: str) -> list[Reply]:
        if text.startswith("/"):
            head, _, rest = text[1:].partition(" ")
            event = self._event("command", command=head, text=rest)
        else:
            event = self._event("text", text=text)
        if self.on_send:
            self.on_send(text)
        return await self._deliver(event)

    async def tap(self, label_start: str) -> list[Reply]:
        button = self._button(label_start)
        if self.on_send:
            self.on_send(f"[{button.label}]")
        return await self._deliver(self._event("button", action=button.action))

    def _button(self, label_start: str) -> Button:
        for reply in reversed(self.replies):
            if reply.buttons:
                for row in reply.buttons:
                    for b in row:
                        if re.sub(r"^[\W_]+", "", b.label).startswith(label_start):
                            return b
                break
        raise PlayerStuck(f"no button starting with {label_start!r}")

    async def _deliver(self, event: Event) -> list[Reply]:
        batch = await self.router.handle(event)
        if self.keep_history:
            self.replies.extend(batch)
        else:
            self.replies = [r for r in batch if r.buttons] or self.replies[-1:]
        if self.on_reply:
            for reply in batch:
                self.on_reply(self.name, reply)
        return batch

    async def state(self) -> Conversation:
        """The conversation, as committed (read like the flow reads it)."""
        async with self._reader() as r:
            conv = await r.conversations.get(self.platform, self.user_id, self.user_id)
        return read_conversation(conv.state if conv else {})

    def _reader(self) -> Any:
        """A read session: in place on the writer connection when no transaction is open
        (the player runs between events), else the WAL reader."""
        db = self.router.db
        writer = db._require_writer()
        if isinstance(writer, SyncConnection) and not writer.raw.in_transaction:
            return _InPlace(Session(db, writer, ""))
        return db.read()

    # -- the script ----------------------------------------------------------------------------
    async def play(self, *, max_steps: int = 3000) -> None:
        """From /start to the last question (the "done" summary)."""
        await self.send("/start")
        await self.tap("Tôi đồng ý")
        seen: dict[str, int] = {}
        while self.steps < max_steps:
            self.steps += 1
            conversation = await self.state()
            screen = conversation.screen
            if isinstance(screen, Done):
                return
            key = f"{screen!r}|{conversation.closed}|{sorted(conversation.gates.items())}"
            key += str(await self.revision())
            seen[key] = seen.get(key, 0) + 1
            if seen[key] > 3:
                last = next((r.text for r in reversed(self.replies) if r.text), "")
                raise PlayerStuck(f"{screen} keeps coming back; last reply: {last[:300]}")
            await self.answer(screen)
        raise PlayerStuck(f"not done after {max_steps} steps")

    async def answer(self, screen: Screen) -> None:
        """Answer ``screen`` from the sample."""
        s = self.sample
        if isinstance(screen, Question) and screen.suggestion:
            await self.tap("Giữ như")
        elif isinstance(screen, Gate):
            item = self.structure().item(screen.item)
            await self.send("có" if self.structure().has_data(item, s) else "không")
        elif isinstance(screen, FieldQuestion | ColumnQuestion | RelativeQuestion):
            await self.type_value(screen, await self.sample_values(screen))
        elif isinstance(screen, RowsMenu):
            table = self.structure().item(screen.item).table
            assert table is not None
            have = await self.dossier_rows(table.id)
            want = len(s.rows(table.id))
            await self.tap("Thêm" if have < want else ("Xong" if have else "Không có"))
        elif isinstance(screen, RelationLoop):
            mine = [r for r in s.relatives if r.get("quan_he") == screen.relation]
            have = len(await self.dossier_relatives(screen.relation))
            await self.tap("Thêm" if have < len(mine) else "Xong")
        elif isinstance(screen, RelativesMenu):
            await self.tap("Xong")
        else:
            raise PlayerStuck(f"unexpected screen {screen!r}")

    async def sample_values(self, screen: Question) -> dict[str, str]:
        """The sample's values for the question's field (its row, its relative)."""
        s = self.sample
        if isinstance(screen, ColumnQuestion):
            table = self.structure().item(screen.item).table
            assert table is not None
            rows = s.rows(table.id)
            if screen.row >= len(rows):
                raise PlayerStuck(f"sample has no row {screen.row} in {table.id}")
            return rows[screen.row]
        if isinstance(screen, RelativeQuestion):
            mine = [r for r in s.relatives if r.get("quan_he") == screen.relation]
            current = await self.dossier_relatives(screen.relation)
            k = current.index(screen.row) if screen.row in current else len(current)
            if k >= len(mine):
                raise PlayerStuck(f"sample has no relative {screen.relation} #{k + 1}")
            return mine[k]
        return s.answers

    async def type_value(self, screen: Question, values: dict[str, str]) -> None:
        fdef = self.structure().field(self.structure().item(screen.item), screen.field_id)
        if fdef.kind is Kind.PERIOD:
            tu, den = values.get("tu", ""), values.get("den", "")
            if screen.start:
                await self.send(den)
                return
            try:
                await self.tap(f"Từ {tu}")
            except PlayerStuck:
                await self.send(f"{tu} - {den}")
            return
        value = values.get(fdef.id)
        if value is None or (value == "" and not fdef.required):
            if fdef.required:
                raise PlayerStuck(f"sample has no value for {fdef.id}")
            await self.tap("Bỏ qua")
            return
        await self.send(value)

    def structure(self) -> Structure:
        return structure_for(self.router_form())

    def router_form(self) -> FormDef:
        """The candidate flow's form."""
        flow = self.router.flow("candidate")
        return flow.form  # type: ignore[union-attr]

    async def dossier(self) -> Dossier:
        async with self._reader() as r:
            conv = await r.conversations.get(self.platform, self.user_id, self.user_id)
            assert conv is not None and conv.dossier_id is not None
            record = await r.dossiers.get(conv.dossier_id)
        assert record is not None
        return record.dossier

    async def revision(self) -> int:
        async with self._reader() as r:
            conv = await r.conversations.get(self.platform, self.user_id, self.user_id)
            if conv is None or conv.dossier_id is None:
                return -1
            record = await r.dossiers.get(conv.dossier_id)
        return record.revision if record else -1

    async def dossier_rows(self, table_id: str) -> int:
        return len((await self.dossier()).rows(table_id))

    async def dossier_relatives(self, code: str) -> list[int]:
        d = await self.dossier()
        return [i for i, r in enumerate(d.relatives) if r.get("quan_he") == code]


class _InPlace:
    def __init__(self, session: Session) -> None:
        self.session = session

    async def __aenter__(self) -> Session:
        return self.session

    async def __aexit__(self, *exc: object) -> None:
        return None


def load_sample(name: str = "a") -> Dossier:
    return Dossier.model_validate_json(SAMPLES[name].read_text(encoding="utf-8"))


def demo_clock(sample: Dossier) -> Clock:
    """The sample's chi bộ meeting day (its checks are written for that date), else now."""
    day = sample.meta.chi_bo_meeting
    if day is None:
        return FixedClock(datetime.now(UTC))
    return FixedClock(datetime.combine(day, time(2, 0), tzinfo=UTC))


def comparable(d: Dossier) -> dict[str, Any]:
    """What the chat can fill (the organisation's meta dates are not asked)."""
    data = json.loads(d.model_dump_json())
    data.pop("meta", None)
    data["tables"] = {k: v for k, v in data["tables"].items() if v}
    # The chat keeps relatives in the form's relation order; a sample may list them otherwise.
    from forms.definition import load_form

    order = {r.code: i for i, r in enumerate(load_form(d.form_version).relatives().relations)}
    data["relatives"] = sorted(data["relatives"], key=lambda r: order.get(r.get("quan_he"), 99))
    return data


def _print_reply(out: TextIO) -> Callable[[str, Reply], None]:
    def show(_: str, reply: Reply) -> None:
        if reply.text:
            out.write(f"🤖 {reply.text}\n")
            labels = [b.label for row in reply.buttons for b in row]
            if labels:
                out.write(
                    "   " + "  ".join(f"[{i}] {label}" for i, label in enumerate(labels, 1)) + "\n"
                )
        if reply.document:
            out.write(f"🤖 [tệp {reply.document.filename}, {len(reply.document.data)} byte]\n")
        out.write("\n")

    return show


def _print_sent(out: TextIO) -> Callable[[str], None]:
    def show(text: str) -> None:
        out.write(f"🙂 {text}\n\n")

    return show


async def run_demo(
    out_dir: Path,
    *,
    sample: str = "a",
    output: TextIO | None = None,
    db_path: Path | None = None,
) -> Path:
    """Play sample ``sample`` through a fresh Router, print the transcript to ``output`` and
    write the draft .docx into ``out_dir``; returns the file's path."""
    from bot.app import build_flows

    dossier = load_sample(sample)
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(db_path or Path(tmp) / "demo.sqlite3")
        try:
            router = Router(db, demo_clock(dossier), build_flows())
            player = Player(router, dossier)
            if output is not None:
                player.on_reply = _print_reply(output)
                player.on_send = _print_sent(output)
            await player.play()
            replies = await player.send("/xem")
        finally:
            await db.close()
    document = next((r.document for r in replies if r.document), None)
    if document is None:
        raise PlayerStuck("the draft document was not sent")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / document.filename
    path.write_bytes(document.data)
    return path
