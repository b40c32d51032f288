"""A running web companion for tests: a database, the flows built with a link signer, the
router, and the web server on 127.0.0.1 at a free port; helpers for the people of one
chi bộ (a candidate with sample B, a reviewer, a secretary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.app import build_flows
from bot.web.server import WebServer
from handlers.candidate.consent import version as consent_version
from handlers.events import Chat, Event, Reply, User
from handlers.review import ReviewFlow
from handlers.router import Router
from handlers.secretary import SecretaryFlow
from handlers.web.links import LinkSigner, Obj
from handlers.web.pages import WebPages
from storage.core import Change
from storage.db import Database
from storage.org import Org
from storage.reviews import Reviews
from tests.samples import load_sample

PLATFORM = "telegram"


class Clock:
    """The links' clock (Unix seconds), moved by the tests."""

    def __init__(self) -> None:
        import time

        self.t = time.time()

    def __call__(self) -> float:
        return self.t


@dataclass
class WebWorld:
    db: Database
    router: Router
    signer: LinkSigner
    server: WebServer
    clock: Clock
    ids: dict[str, int] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def link(self, who: str, kind: str, obj: int | None = None) -> str:
        target = self.ids["dossier"] if obj is None else obj
        return self.base + "/w/" + self.signer.token(self.ids[who], Obj(kind, target))  # type: ignore[arg-type]

    async def chat(self, who: str, text: str) -> list[Reply]:
        """``who`` types ``text`` in their private chat (a command when it starts with /)."""
        user = User(PLATFORM, who, who)
        chat = Chat(PLATFORM, who, "private")
        if text.startswith("/"):
            name, _, arg = text[1:].partition(" ")
            event = Event(user, chat, "command", text=arg, command=name)
        else:
            event = Event(user, chat, "text", text=text)
        return await self.router.handle(event)

    async def tap(self, who: str, action: str) -> list[Reply]:
        user = User(PLATFORM, who, who)
        return await self.router.handle(
            Event(user, Chat(PLATFORM, who, "private"), "button", action=action)
        )

    async def views(self) -> list[tuple[int, str]]:
        async with self.db.read() as r:
            rows = await r.fetchall(
                "SELECT person_id, detail FROM audit_log WHERE action = 'view' ORDER BY id"
            )
        return [(p, d) for p, d in rows]

    async def return_with_comment(self, text: str, item: int = 15) -> None:
        """The draft is submitted and its reviewer returns it with one comment on
        ``item``."""
        async with self.db.transaction() as tx:
            record = await tx.dossiers.get(self.ids["dossier"])
            assert record is not None
            reviews = tx.repo(Reviews)
            if record.status == "draft":
                record = await tx.dossiers.set_status(record, "submitted")
            await reviews.start_review(record)
            unit, rev = self.ids["unit"], self.ids["reviewer"]
            await reviews.add_comment(record.id, record.revision, unit, item, rev, text)
            await reviews.return_(record.id, record.revision, unit, rev)

    async def resubmit(self, changes: list[Change]) -> None:
        async with self.db.transaction() as tx:
            record = await tx.dossiers.get(self.ids["dossier"])
            assert record is not None
            record = await tx.dossiers.apply(record, changes, self.ids["candidate"])
            record = await tx.dossiers.set_status(record, "submitted")
            await tx.repo(Reviews).start_review(record)


async def open_world(tmp_path: Path, *, sample: str | None = "b") -> WebWorld:
    """The world: Chi bộ 1 with a reviewer and a secretary; the candidate ``candidate`` (a
    private chat of that id) with a draft dossier, filled from ``sample`` (None: empty)."""
    db = await Database.open(tmp_path / "web.sqlite3")
    clock = Clock()
    signer = LinkSigner(b"w" * 32, base_url="http://127.0.0.1", clock=clock)
    flows = build_flows(bot_username="knd_test_bot", links=signer)
    router = Router(db, None, flows)
    review, secretary = router.flow("review"), router.flow("secretary")
    assert isinstance(review, ReviewFlow) and isinstance(secretary, SecretaryFlow)
    server = WebServer(db, signer, WebPages(review, secretary), session_ttl=timedelta(hours=1))
    await server.start("127.0.0.1", 0)
    world = WebWorld(db, router, signer, server, clock)
    async with db.transaction() as tx:
        org = tx.repo(Org)
        unit = await org.create_unit("Chi bộ 1", "chi_bo")
        world.ids["unit"] = unit.id
        for name in ("candidate", "reviewer", "secretary", "other"):
            person = await tx.people.get_or_create(
                PLATFORM, name, name, consent=True, version=consent_version()
            )
            world.ids[name] = person.id
        role, _ = await org.grant(unit.id, world.ids["reviewer"], "reviewer", None)
        world.ids["role_reviewer"] = role.id
        await org.grant(unit.id, world.ids["secretary"], "secretary", None)
        dossier = load_sample(sample) if sample else None
        record = await tx.dossiers.create(world.ids["candidate"], dossier, unit_id=unit.id)
        world.ids["dossier"] = record.id
    return world


async def close_world(world: WebWorld) -> None:
    await world.server.stop()
    await world.db.close()
