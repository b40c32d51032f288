"""Signed web links (handlers/web/links.py, bot/web/keys.py) and what they open at open time
(handlers/web/grants.py): bound to one person and one object, expiring, signed with a key
created 0600 on first start, refused once the role or the dossier's status no longer allows
it, every open recorded as a view."""

from __future__ import annotations

import base64
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from bot.web.keys import load_or_create_key
from handlers.web.grants import AccessDenied, open_grant, open_unit
from handlers.web.links import Grant, LinkSigner, Obj, Refusal
from storage.db import Database
from storage.org import Org

KEY = b"k" * 32


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


def test_a_link_opens_its_person_and_object_until_it_expires() -> None:
    clock = Clock()
    signer = LinkSigner(KEY, base_url="https://knd.example.vn/", clock=clock)
    url = signer.issue(7, Obj("dossier", 42))
    assert url.startswith("https://knd.example.vn/w/")
    token = url.rsplit("/", 1)[1]
    assert signer.verify(token) == Grant(7, Obj("dossier", 42), int(clock.t) + 15 * 60)
    clock.t += 15 * 60 - 1
    assert isinstance(signer.verify(token), Grant)
    clock.t += 1
    assert signer.verify(token) == Refusal("expired", "dossier")
    short = signer.token(7, Obj("review", 42), ttl=timedelta(seconds=5))
    clock.t += 4
    assert isinstance(signer.verify(short), Grant)


def test_a_changed_or_foreign_token_is_refused() -> None:
    signer = LinkSigner(KEY)
    token = signer.token(7, Obj("dossier", 42))
    payload, sig = token.split(".")
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    forged = base64.urlsafe_b64encode(raw.replace(b":7:", b":8:")).rstrip(b"=").decode()
    assert signer.verify(f"{forged}.{sig}") == Refusal("tampered")
    assert signer.verify(token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) == Refusal("tampered")
    assert LinkSigner(b"x" * 32).verify(token) == Refusal("tampered")  # another server's key
    assert signer.verify("") == Refusal("malformed")
    assert signer.verify("abc") == Refusal("malformed")
    assert signer.verify("a.b.c") == Refusal("malformed")
    # the CSRF digest of a text is never a link signature of it
    assert signer.mac("csrf", "x") != signer.mac("link", "x")


def test_the_key_is_created_once_private(tmp_path: Path) -> None:
    path = tmp_path / "data" / "web.key"
    key = load_or_create_key(path)
    assert len(key) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)
    assert load_or_create_key(path) == key  # kept across restarts
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.fixture
async def world(db: Database) -> dict[str, int]:
    async with db.transaction() as tx:
        org = tx.repo(Org)
        cb = await org.create_unit("Chi bộ 1", "chi_bo")
        ids = {"unit": cb.id}
        for name in ("cand", "other", "rev", "sec"):
            ids[name] = (await tx.people.get_or_create("telegram", name, name, consent=True)).id
        role, _ = await org.grant(cb.id, ids["rev"], "reviewer", None)
        ids["role_rev"] = role.id
        await org.grant(cb.id, ids["sec"], "secretary", None)
        record = await tx.dossiers.create(ids["cand"], unit_id=cb.id)
        ids["dossier"] = record.id
    return ids


async def _views(db: Database) -> list[tuple[int, str]]:
    async with db.read() as r:
        rows = await r.fetchall(
            "SELECT person_id, detail FROM audit_log WHERE action = 'view' ORDER BY id"
        )
    return [(p, d) for p, d in rows]


async def test_open_asks_the_gate_and_records_the_view(db: Database, world: dict[str, int]) -> None:
    d = world["dossier"]
    async with db.transaction() as tx:
        opened = await open_grant(tx, Grant(world["cand"], Obj("form", d), 0), what="web_form")
        assert opened.record.id == d
        # another person's link to the same dossier, a reviewer's to a draft: nothing
        for grant in (
            Grant(world["other"], Obj("dossier", d), 0),
            Grant(world["rev"], Obj("review", d), 0),
            Grant(world["cand"], Obj("review", d), 0),  # not as a reviewer of their own
        ):
            with pytest.raises(AccessDenied):
                await open_grant(tx, grant, what="web_dossier")
        assert await open_unit(tx, Grant(world["sec"], Obj("summary", world["unit"]), 0))
        with pytest.raises(AccessDenied):
            await open_unit(tx, Grant(world["rev"], Obj("summary", world["unit"]), 0))
    views = await _views(db)
    assert [p for p, _ in views] == [world["cand"]] and "web_form" in views[0][1]
    async with db.transaction() as tx:
        record = await tx.dossiers.get(d)
        assert record is not None
        await tx.dossiers.set_status(record, "submitted", review_level=0)
        opened = await open_grant(tx, Grant(world["rev"], Obj("review", d), 0), what="web_review")
        assert opened.unit_id == world["unit"]
        with pytest.raises(AccessDenied):  # submitted: the form is closed
            await open_grant(tx, Grant(world["cand"], Obj("form", d), 0), what="web_form")
        await tx.repo(Org).revoke(world["role_rev"], None)
    async with db.transaction() as tx:
        with pytest.raises(AccessDenied):  # the role withdrawn
            await open_grant(tx, Grant(world["rev"], Obj("review", d), 0), what="web_review")
        record = await tx.dossiers.get(d)
        assert record is not None
        await tx.dossiers.erase(record)
    async with db.transaction() as tx:
        with pytest.raises(AccessDenied):  # erased
            await open_grant(tx, Grant(world["cand"], Obj("dossier", d), 0), what="web_dossier")
    assert len(await _views(db)) == 2
