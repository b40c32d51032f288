"""Repositories of the core tables: people, dossiers (+ revisions), conversations and the
audit log (processed updates are the inbox's: storage/inbox.py).

A dossier changes only through :meth:`Dossiers.apply`, which takes a list of
:class:`Change` (a path and the new value), computes the new content from the current one,
and writes one ``answer_revisions`` row per change (and, every few revisions, a snapshot of
the whole content: :class:`Dossiers`) in the caller's transaction. The stored content is
the snapshot with the later revisions applied, so content and history cannot disagree, and
"what changed since revision N" is a query, not a comparison of documents.

Dossier snapshots handed out by these repositories are shared with an in-process cache and
must be treated as immutable: build changes, never mutate a loaded ``Dossier``.

Every change of a ``dossiers`` row also brings its ``dossier_progress`` row up to date
(:mod:`storage.progress`) in the same transaction.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import orjson

from admission.lifecycle import DossierStatus
from forms.dossier import Dossier
from forms.memo import forget_typed_text
from storage.erasure import Erasure, Forgotten
from storage.progress import Progress
from storage.session import SqlRepo, SqlSession, SqlTx

#: A person's dossier until it is erased (a withdrawn one stays theirs until then).
ACTIVE_STATUSES: tuple[DossierStatus, ...] = (
    "draft", "submitted", "returned", "approved", "withdrawn",
)  # fmt: skip
_CACHE_SIZE = 4096
_MAPPINGS = ("answers", "explanations", "meta")


# JSON written by this module goes through orjson: the same compact text as
# json.dumps(..., ensure_ascii=False, separators=(",", ":")) several times faster, which
# matters at one conversation state and one revision per answer (bench/bench_chat.py).
_JSON_OPTIONS = orjson.OPT_NON_STR_KEYS  # int keys become strings, as with json.dumps


def _dumps(value: Any) -> str:
    return orjson.dumps(value, option=_JSON_OPTIONS).decode()


# ---------------------------------------------------------------------------------------------
# People


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    platform: str
    platform_user_id: str
    display_name: str
    consent_at: str | None
    created_at: str
    consent_version: str | None = None  # the text of the consent accepted (030)


class People(SqlRepo):
    """A person is created only when they consent (nothing is stored before consent)."""

    _COLS = "id, platform, platform_user_id, display_name, consent_at, created_at, consent_version"

    async def find(self, platform: str, platform_user_id: str) -> Person | None:
        """The person of this identity: their own row, or the person it was linked to on
        another channel (storage/identities.py)."""
        row = await self.s.fetchone(
            f"SELECT {self._COLS} FROM people WHERE platform = ? AND platform_user_id = ?",
            (platform, platform_user_id),
        )
        if row is None:
            row = await self.s.fetchone(
                f"SELECT {self._COLS} FROM people WHERE id = (SELECT person_id FROM person_links"
                " WHERE platform = ? AND platform_user_id = ?)",
                (platform, platform_user_id),
            )
        return Person(*row) if row else None

    async def get(self, person_id: int) -> Person | None:
        row = await self.s.fetchone(f"SELECT {self._COLS} FROM people WHERE id = ?", (person_id,))
        return Person(*row) if row else None

    async def get_or_create(
        self,
        platform: str,
        platform_user_id: str,
        display_name: str = "",
        *,
        consent: bool = False,
        version: str | None = None,
    ) -> Person:
        """The person with this platform identity; created (with consent if asked) when new.
        ``version``: the consent text accepted, recorded with the consent."""
        tx = self._tx()
        found = await self.find(platform, platform_user_id)
        if found:
            renewed = version is not None and found.consent_version != version
            if consent and (not found.consent_at or renewed):
                await self.set_consent(found.id, version=version)
                return await self.get(found.id)  # type: ignore[return-value]
            return found
        at = tx.now if consent else None
        kept = version if consent else None
        person_id = await tx.insert(
            "INSERT INTO people (platform, platform_user_id, display_name, consent_at, created_at,"
            " consent_version) VALUES (?, ?, ?, ?, ?, ?)",
            (platform, platform_user_id, display_name, at, tx.now, kept),
        )
        return Person(person_id, platform, platform_user_id, display_name, at, tx.now, kept)

    async def set_consent(
        self, person_id: int, given: bool = True, *, version: str | None = None
    ) -> None:
        """Record the consent (now, with the text ``version`` accepted) or its withdrawal."""
        tx = self._tx()
        await tx.execute(
            "UPDATE people SET consent_at = ?, consent_version = ? WHERE id = ?",
            (tx.now if given else None, version if given else None, person_id),
        )

    async def set_display_name(self, person_id: int, name: str) -> None:
        await self._tx().execute(
            "UPDATE people SET display_name = ? WHERE id = ?", (name, person_id)
        )


# ---------------------------------------------------------------------------------------------
# Dossiers


ChangeOp = Literal["set", "insert", "delete"]


@dataclass(frozen=True, slots=True)
class Change:
    """One edit of a dossier, addressed by path.

    Paths: ``answers.<field_id>``, ``tables.<table_id>.<i>``, ``relatives.<i>``,
    ``explanations.<flag key>``, ``meta.<name>``. ``set`` replaces (for a list, ``i`` may be
    the length: append), ``insert`` shifts later rows down, ``delete`` removes. A ``set`` of
    ``None`` on a mapping key removes the key.
    """

    path: str
    value: Any = None
    op: ChangeOp = "set"


@dataclass(frozen=True, slots=True)
class Revision:
    dossier_id: int
    revision: int
    path: str
    old: Any
    new: Any
    person_id: int | None
    created_at: str


@dataclass(frozen=True, slots=True)
class DossierRecord:
    """A dossier row with its parsed content (an immutable snapshot, see module docstring)."""

    id: int
    person_id: int
    unit_id: int | None
    form_version: str
    revision: int
    status: DossierStatus
    review_level: int | None
    opened_at: str
    submitted_at: str | None
    approved_at: str | None
    locked: bool
    updated_at: str
    dossier: Dossier = field(repr=False, compare=False)

    def revised(self, revision: int, updated_at: str, dossier: Dossier) -> DossierRecord:
        """The record after an answer: its new revision, time and content (spelled out, as
        every answer makes one: ``dataclasses.replace`` walks the 13 fields' definitions)."""
        return DossierRecord(
            self.id, self.person_id, self.unit_id, self.form_version, revision, self.status,
            self.review_level, self.opened_at, self.submitted_at, self.approved_at, self.locked,
            updated_at, dossier,
        )  # fmt: skip


class ConcurrentChange(RuntimeError):
    """The dossier moved to another revision between load and apply."""


#: The parts of a dossier's content a change may touch, besides ``meta``.
_CONTENT = ("answers", "tables", "relatives", "explanations")


def apply_changes(dossier: Dossier, changes: list[Change]) -> tuple[Dossier, list[tuple[Any, Any]]]:
    """The dossier after ``changes`` (copy-on-write) and each change's (old, new) value."""
    touched = {change.path.split(".", 1)[0] for change in changes}
    meta_changed = "meta" in touched
    data: dict[str, Any] = {
        "form_version": dossier.form_version,
        # dumped (and validated again) only when a change is to it
        "meta": dossier.meta.model_dump(mode="json") if meta_changed else {},
        # copied only when a change is to it (an answer writes what changed): the other
        # parts are the snapshot's own, shared with the new one, as its rows already are
        "answers": dict(dossier.answers) if "answers" in touched else dossier.answers,
        "tables": dict(dossier.tables) if "tables" in touched else dossier.tables,
        "relatives": list(dossier.relatives) if "relatives" in touched else dossier.relatives,
        "explanations": (
            dict(dossier.explanations) if "explanations" in touched else dossier.explanations
        ),
    }
    copied_tables: set[str] = set()
    olds: list[tuple[Any, Any]] = []
    for change in changes:
        root = change.path.split(".", 1)[0]
        # Mapping keys may contain dots (flag keys); row paths never do.
        parts = change.path.split(".", 1) if root in _MAPPINGS else change.path.split(".")
        if root in _MAPPINGS and len(parts) == 2:
            mapping = data[root]
            old = mapping.get(parts[1])
            if change.op == "delete" or change.value is None:
                mapping.pop(parts[1], None)
                new = None
            else:
                mapping[parts[1]] = change.value
                new = change.value
        elif root == "tables" and len(parts) == 3:
            table_id = parts[1]
            if table_id not in copied_tables:
                data["tables"][table_id] = list(data["tables"].get(table_id, []))
                copied_tables.add(table_id)
            old, new = _list_change(data["tables"][table_id], int(parts[2]), change)
            if not data["tables"][table_id]:
                del data["tables"][table_id]
        elif root == "relatives" and len(parts) == 2:
            old, new = _list_change(data["relatives"], int(parts[1]), change)
        else:
            raise ValueError(f"bad dossier path {change.path!r}")
        olds.append((old, new))
    if meta_changed:
        return Dossier.model_validate(data), olds
    # Values are canonical strings from the parsers: a copy without re-validating the whole
    # dossier (the unchanged parts are shared with the previous snapshot).
    changed = {name: data[name] for name in _CONTENT if name in touched}
    return dossier.model_copy(update=changed), olds


def _undo(data: dict[str, Any], rev: Revision) -> None:
    """Undo one recorded change on a dossier's JSON form (see :meth:`Dossiers.snapshot_at`)."""
    root = rev.path.split(".", 1)[0]
    if root in _MAPPINGS:
        key = rev.path.split(".", 1)[1]
        mapping = data.setdefault(root, {})
        if rev.old is None:
            mapping.pop(key, None)
        else:
            mapping[key] = rev.old
        return
    parts = rev.path.split(".")
    rows = data["tables"].setdefault(parts[1], []) if root == "tables" else data["relatives"]
    index = int(parts[-1])
    if rev.old is None:  # it was added at index
        del rows[index]
    elif rev.new is None:  # it was removed from index
        rows.insert(index, rev.old)
    else:
        rows[index] = rev.old
    if root == "tables" and not rows:
        del data["tables"][parts[1]]


def _list_change(rows: list[dict[str, str]], index: int, change: Change) -> tuple[Any, Any]:
    if not 0 <= index <= len(rows):
        raise IndexError(f"row {index} out of range in {change.path!r}")
    if change.op == "delete" or (change.op == "set" and change.value is None):
        if index == len(rows):
            raise IndexError(f"no row {index} to delete in {change.path!r}")
        return rows.pop(index), None
    value = dict(change.value)
    if change.op == "insert" or index == len(rows):
        rows.insert(index, value)
        return None, value
    old = rows[index]
    rows[index] = value
    return old, value


def replayed(snapshot: Dossier, rows: Iterable[Sequence[Any]]) -> Dossier:
    """The dossier after the stored revisions ``rows`` — (path, old JSON, new JSON), oldest
    first — were made to ``snapshot``: each row read back as the :class:`Change` that wrote
    it and applied by :func:`apply_changes`, the writer's own function, so the result is the
    dossier the writer held (same values, same key order: a new key goes last in both)."""
    changes = []
    for path, old, new in rows:
        value = None if new is None else orjson.loads(new)
        if path.partition(".")[0] in _MAPPINGS:
            changes.append(Change(path, value))  # None removes the key
        elif value is None:
            changes.append(Change(path, op="delete"))
        elif old is None:
            changes.append(Change(path, value, op="insert"))  # at the end too: an append
        else:
            changes.append(Change(path, value))
    return apply_changes(snapshot, changes)[0] if changes else snapshot


#: The stored snapshot of a draft (``dossiers.content``) is written again when an answer
#: takes the dossier's revision past a multiple of this: a draft's snapshot is never more
#: than ``SNAPSHOT_EVERY - 1`` revisions behind. Measured (docs/benchmarks.md, session 12):
#: a snapshot costs the writer a dump of the dossier and its ~3 overflow pages; each
#: revision behind costs a reader that misses the cache one row read and applied.
SNAPSHOT_EVERY = 16


class Dossiers(SqlRepo):
    """Dossier content (JSON of :class:`forms.dossier.Dossier`) plus append-only revisions.

    Why the stored content may be behind (issue 17): an answer already writes what it
    changed as ``answer_revisions`` rows, so rewriting the ~10 KB JSON as well (SQLite
    parsing and printing it, its overflow pages freed and taken again) paid twice for the
    same change. ``dossiers.content`` is a *snapshot* of the dossier at ``content_revision``;
    a draft's answer updates only ``revision`` and ``updated_at`` (a row the same size,
    written over in place: one page) and appends its revisions. The snapshot is written
    again when the revision passes a multiple of :data:`SNAPSHOT_EVERY`, on every change of
    a dossier past the draft, and by :meth:`catch_up` before the dossier leaves the draft
    or SQL reads its content (the progress row's :meth:`Progress.refresh`, the reviewers'
    list): so only a draft's snapshot is ever behind. Reading a dossier whose cached copy
    is stale is the snapshot plus the later revisions, applied in order (:meth:`_record`,
    :func:`replayed`) — the one place that reads ``content``.
    """

    _COLS = (
        "id, person_id, unit_id, form_version, revision, status, review_level, opened_at,"
        " submitted_at, approved_at, locked, updated_at"
    )
    #: :meth:`get_with_person`'s statement (the person's columns, then the dossier's).
    _WITH_PERSON = (
        f"SELECT {', '.join(f'p.{c.strip()}' for c in People._COLS.split(','))},"
        f" {', '.join(f'd.{c.strip()}' for c in _COLS.split(','))}"
        " FROM people p LEFT JOIN dossiers d ON d.id = ?"
        " WHERE p.platform = ? AND p.platform_user_id = ?"
    )

    def _cache(self) -> OrderedDict[int, tuple[int, Dossier]]:
        return self.s.db.cache.setdefault("dossiers", OrderedDict())

    def _remember(self, dossier_id: int, revision: int, dossier: Dossier) -> None:
        cache = self._cache()
        cache[dossier_id] = (revision, dossier)
        cache.move_to_end(dossier_id)
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)

    async def create(
        self,
        person_id: int,
        dossier: Dossier | None = None,
        *,
        unit_id: int | None = None,
        opened_at: str | None = None,
    ) -> DossierRecord:
        tx = self._tx()
        dossier = dossier or Dossier()
        opened = opened_at or tx.now
        dossier_id = await tx.insert(
            "INSERT INTO dossiers (person_id, unit_id, form_version, content, revision, status,"
            " opened_at, updated_at) VALUES (?, ?, ?, ?, 0, 'draft', ?, ?)",
            (person_id, unit_id, dossier.form_version, dossier.model_dump_json(), opened, tx.now),
        )
        await tx.repo(Progress).refresh(dossier_id)
        tx.after_commit(lambda: self._remember(dossier_id, 0, dossier))
        return DossierRecord(
            dossier_id, person_id, unit_id, dossier.form_version, 0, "draft", None, opened,
            None, None, False, tx.now, dossier,
        )  # fmt: skip

    async def get(self, dossier_id: int) -> DossierRecord | None:
        """The dossier with its content; the content is parsed only when not cached."""
        row = await self.s.fetchone(
            f"SELECT {self._COLS} FROM dossiers WHERE id = ?", (dossier_id,)
        )
        return await self._record(row) if row else None

    async def get_with_person(
        self, dossier_id: int, platform: str, platform_user_id: str
    ) -> tuple[Person | None, DossierRecord | None]:
        """:meth:`People.find` and :meth:`get` in one statement (the candidate's every event
        reads both): the person's own row joined with the dossier. A person known only
        through a link to another channel falls back to the two reads."""
        ahead = self.s.read_ahead.pop(("dossier", dossier_id, platform, platform_user_id), None)
        if ahead is not None:  # read with the conversation (Conversations.get)
            values = ahead
        else:
            row = await self.s.fetchone(self._WITH_PERSON, (dossier_id, platform, platform_user_id))
            if row is None:
                person = await self.s.repo(People).find(platform, platform_user_id)
                return person, await self.get(dossier_id)
            values = tuple(row)
        width = len(Person.__slots__)
        record = await self._record(values[width:]) if values[width] is not None else None
        return Person(*values[:width]), record

    async def current_for(
        self, person_id: int, statuses: tuple[str, ...] = ACTIVE_STATUSES
    ) -> DossierRecord | None:
        """The person's most recent dossier in one of ``statuses``."""
        marks = ",".join("?" * len(statuses))
        row = await self.s.fetchone(
            f"SELECT {self._COLS} FROM dossiers WHERE person_id = ? AND status IN ({marks})"
            " ORDER BY id DESC LIMIT 1",
            (person_id, *statuses),
        )
        return await self._record(row) if row else None

    async def _record(self, row: Any) -> DossierRecord:
        dossier_id, revision = row[0], row[4]
        cached = self._cache().get(dossier_id)
        if cached and cached[0] == revision:
            dossier = cached[1]
        else:
            held, dossier = await self._stored(dossier_id, revision)
            if isinstance(self.s, SqlTx):
                self.s.after_commit(lambda: self._remember(dossier_id, held, dossier))
            else:
                self._remember(dossier_id, held, dossier)
        return DossierRecord(
            row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8], row[9],
            bool(row[10]), row[11], dossier,
        )  # fmt: skip

    async def _stored(self, dossier_id: int, revision: int) -> tuple[int, Dossier]:
        """The dossier at ``revision`` from the database: its snapshot, and the revisions
        after the snapshot's applied to it (see the class docstring). With the revision it
        is at: a later one when another worker wrote a snapshot since ``revision`` was read
        (a read outside a transaction), which the cache must not file under ``revision``."""
        row = await self.s.fetchone(
            "SELECT content_revision, content FROM dossiers WHERE id = ?", (dossier_id,)
        )
        assert row is not None
        snapshot_revision, dossier = row[0], Dossier.model_validate_json(row[1])
        if snapshot_revision >= revision:
            return snapshot_revision, dossier
        rows = await self.s.fetchall(
            "SELECT path, old_value, new_value FROM answer_revisions"
            " WHERE dossier_id = ? AND revision > ? AND revision <= ? ORDER BY revision",
            (dossier_id, snapshot_revision, revision),
        )
        return revision, replayed(dossier, rows)

    async def catch_up(self, record: DossierRecord) -> None:
        """Write the snapshot at the dossier's revision, if it is behind: before the dossier
        leaves the draft and before SQL reads its ``content``."""
        tx = self._tx()
        row = await tx.fetchone(
            "SELECT revision, content_revision FROM dossiers WHERE id = ?", (record.id,)
        )
        if row is None or row[1] >= row[0]:
            return
        current = record if record.revision == row[0] else await self.get(record.id)
        assert current is not None
        await tx.execute(
            "UPDATE dossiers SET content = ?, content_revision = ? WHERE id = ?",
            (current.dossier.model_dump_json(), current.revision, record.id),
        )

    async def apply(
        self, record: DossierRecord, changes: list[Change], person_id: int | None
    ) -> DossierRecord:
        """Apply ``changes`` to ``record`` as new revisions (one per change) and save.

        Raises :class:`ConcurrentChange` when the dossier is no longer at ``record.revision``.
        Changes that leave a value as it was are dropped (no empty revisions).
        """
        tx = self._tx()
        new_dossier, olds = apply_changes(record.dossier, changes)
        effective = [
            (c, old, new) for c, (old, new) in zip(changes, olds, strict=True) if old != new
        ]
        if not effective:
            return record
        first = record.revision + 1
        revision = record.revision + len(effective)
        await self._move(record, revision, new_dossier)
        await tx.executemany(
            "INSERT INTO answer_revisions (dossier_id, revision, path, old_value, new_value,"
            " person_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    record.id,
                    first + i,
                    change.path,
                    None if old is None else _dumps(old),
                    None if new is None else _dumps(new),
                    person_id,
                    tx.now,
                )
                for i, (change, old, new) in enumerate(effective)
            ],
        )
        await tx.repo(Progress).answered(
            record.id,
            record.dossier,
            new_dossier,
            revision=revision,
            opened_at=record.opened_at,
            last_updated_at=record.updated_at,
            draft=record.status == "draft",
        )
        tx.after_commit(lambda: self._remember(record.id, revision, new_dossier))
        return record.revised(revision, tx.now, new_dossier)

    async def _move(self, record: DossierRecord, revision: int, dossier: Dossier) -> None:
        """The row moves from ``record``'s revision to ``revision`` (else
        :class:`ConcurrentChange`): a draft's snapshot stays where it is, unless the move
        passes a multiple of :data:`SNAPSHOT_EVERY`; past the draft it is always written."""
        tx = self._tx()
        if record.status == "draft" and (
            record.revision // SNAPSHOT_EVERY == revision // SNAPSHOT_EVERY
        ):  # the answer's revisions are the change: one row, the same size, written over
            updated = await tx.execute(
                "UPDATE dossiers SET revision = ?, updated_at = ? WHERE id = ? AND revision = ?",
                (revision, tx.now, record.id, record.revision),
            )
        else:
            updated = await tx.execute(
                "UPDATE dossiers SET content = ?, content_revision = ?, revision = ?,"
                " updated_at = ? WHERE id = ? AND revision = ?",
                (dossier.model_dump_json(), revision, revision, tx.now, record.id, record.revision),
            )
        if updated != 1:
            raise ConcurrentChange(f"dossier {record.id} is not at revision {record.revision}")

    async def set_status(
        self, record: DossierRecord, status: DossierStatus, *, review_level: int | None = None
    ) -> DossierRecord:
        """Move the dossier to ``status``; stamps submitted_at/approved_at on those moves.
        The stored snapshot is caught up first: past the draft, SQL reads the content."""
        tx = self._tx()
        await self.catch_up(record)
        submitted = tx.now if status == "submitted" else record.submitted_at
        approved = tx.now if status == "approved" else record.approved_at
        await tx.execute(
            "UPDATE dossiers SET status = ?, review_level = ?, submitted_at = ?, approved_at = ?,"
            " updated_at = ? WHERE id = ?",
            (status, review_level, submitted, approved, tx.now, record.id),
        )
        await tx.repo(Progress).refresh(record.id)
        return replace(
            record,
            status=status,
            review_level=review_level,
            submitted_at=submitted,
            approved_at=approved,
            updated_at=tx.now,
        )

    async def set_meta(self, record: DossierRecord, **kwargs: Any) -> None:
        """Change organisational columns (unit_id, locked)."""
        allowed = {"unit_id", "locked"}
        if not kwargs or set(kwargs) - allowed:
            raise ValueError(f"set_meta accepts {sorted(allowed)}")
        tx = self._tx()
        await self.catch_up(record)  # the progress row's refresh reads the content
        cols = ", ".join(f"{k} = ?" for k in kwargs)
        await tx.execute(
            f"UPDATE dossiers SET {cols}, updated_at = ? WHERE id = ?",
            (*kwargs.values(), tx.now, record.id),
        )
        await tx.repo(Progress).refresh(record.id)

    async def erase(self, record: DossierRecord) -> Forgotten:
        """Really delete the content and its history, and everything else that holds them
        (:mod:`storage.erasure`: comments, conversations, the secretaries' rows, files, and
        the person with their last dossier); keep the row (status 'deleted'). The caller
        appends the audit row."""
        tx = self._tx()
        await tx.execute("DELETE FROM answer_revisions WHERE dossier_id = ?", (record.id,))
        empty = Dossier(form_version=record.form_version)
        await tx.execute(  # a new revision: another worker's cache keyed by it goes stale
            "UPDATE dossiers SET content = ?, content_revision = revision + 1,"
            " status = 'deleted', revision = revision + 1, updated_at = ? WHERE id = ?",
            (empty.model_dump_json(), tx.now, record.id),
        )
        await tx.repo(Progress).refresh(record.id)
        forgotten = await tx.repo(Erasure).dossier(record.id, record.person_id)
        tx.repo(Conversations).forget_reads()
        tx.after_commit(lambda: self.forget_in_memory([record.id]))
        return forgotten

    def forget_in_memory(self, dossier_ids: list[int]) -> None:
        """Drop erased dossiers from this process's memory: their cached content, and every
        cache keyed by typed text (:mod:`forms.memo`). Run after this worker's erasure
        commits, and by :func:`bot.periodic.forget_erased` for another worker's."""
        cache = self._cache()
        for dossier_id in dossier_ids:
            cache.pop(dossier_id, None)
        forget_typed_text()

    async def revisions(self, dossier_id: int, since: int = 0) -> list[Revision]:
        """Changes after revision ``since``, oldest first."""
        rows = await self.s.fetchall(
            "SELECT dossier_id, revision, path, old_value, new_value, person_id, created_at"
            " FROM answer_revisions WHERE dossier_id = ? AND revision > ? ORDER BY revision",
            (dossier_id, since),
        )
        return [
            Revision(
                r[0],
                r[1],
                r[2],
                None if r[3] is None else json.loads(r[3]),
                None if r[4] is None else json.loads(r[4]),
                r[5],
                r[6],
            )
            for r in rows
        ]

    async def snapshot_at(self, record: DossierRecord, revision: int) -> Dossier:
        """The dossier as it was at ``revision``: ``record``'s content with every later
        change undone, newest first (one revision per change, so the undo is exact, row
        insertions and deletions included)."""
        data = record.dossier.to_dict()
        for rev in reversed(await self.revisions(record.id, revision)):
            if rev.revision > record.revision:
                continue
            _undo(data, rev)
        return Dossier.model_validate(data)

    async def diff(
        self, dossier_id: int, since: int, until: int | None = None
    ) -> dict[str, tuple[Any, Any]]:
        """Per path, the value at ``since`` and at ``until`` (latest when None); unchanged
        paths are left out. Row paths are positional: a deleted row shifts later ones."""
        out: dict[str, tuple[Any, Any]] = {}
        for rev in await self.revisions(dossier_id, since):
            if until is not None and rev.revision > until:
                break
            before = out[rev.path][0] if rev.path in out else rev.old
            out[rev.path] = (before, rev.new)
        return {path: pair for path, pair in out.items() if pair[0] != pair[1]}


# ---------------------------------------------------------------------------------------------
# Conversations


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    platform: str
    chat_id: str
    user_id: str
    person_id: int | None
    dossier_id: int | None
    state: dict[str, Any]
    updated_at: str
    encoded: str = ""  # the state as stored, to skip writing an unchanged state


def encode_state(state: dict[str, Any]) -> str:
    """The stored JSON of a conversation state (compact, stable key order: the text of
    ``json.dumps(state, ensure_ascii=False, separators=(",", ":"), sort_keys=True)``)."""
    return orjson.dumps(state, option=_JSON_OPTIONS | orjson.OPT_SORT_KEYS).decode()


class Conversations(SqlRepo):
    """The cursor of each (platform, chat, user): a JSON object owned by the flow.

    Inside a transaction a conversation is read once: several flows look at the same one for
    each event (the organisation flow checks that a private text is a candidate's before the
    candidate flow loads it), and nothing else writes it while the single writer is ours.
    The record is shared, so its ``state`` must not be mutated in place (flows copy it).
    """

    #: :meth:`get`'s statement in a transaction: the conversation, then the person of its user
    #: and its dossier as :meth:`Dossiers.get_with_person` reads them, then the chat's last
    #: prompt as ``Outbox.last_prompt`` reads it — what the candidate flow reads next at
    #: every answer, read here in the same statement (issue 17: a statement costs more than
    #: the rows it reads)
    _WITH_PERSON_AND_DOSSIER = (
        "SELECT c.person_id, c.dossier_id, c.state, c.updated_at, "
        + Dossiers._WITH_PERSON.removeprefix("SELECT ").partition(" FROM ")[0]
        + ", o.prompt, o.status"
        " FROM conversations c"
        " LEFT JOIN people p ON p.platform = c.platform AND p.platform_user_id = c.user_id"
        " LEFT JOIN dossiers d ON d.id = c.dossier_id"
        " LEFT JOIN outbox o ON o.id = ("
        " SELECT q.id FROM outbox q INDEXED BY outbox_prompts"
        " WHERE q.platform = c.platform AND q.chat_id = c.chat_id AND q.prompt != ''"
        " ORDER BY q.id DESC LIMIT 1)"
        " WHERE c.platform = ? AND c.chat_id = ? AND c.user_id = ?"
    )

    def __init__(self, session: SqlSession) -> None:
        super().__init__(session)
        self._read: dict[tuple[str, str, str], ConversationRecord | None] = {}

    async def get(self, platform: str, chat_id: str, user_id: str) -> ConversationRecord | None:
        """The conversation's row; in a transaction, its person and dossier, and its chat's
        last prompt, are read with it and kept for :meth:`Dossiers.get_with_person` and
        ``Outbox.last_prompt`` until the next write (``read_ahead``)."""
        key = (platform, chat_id, user_id)
        if key in self._read:
            return self._read[key]
        in_tx = isinstance(self.s, SqlTx)
        if in_tx:
            row = await self.s.fetchone(self._WITH_PERSON_AND_DOSSIER, key)
            if row is not None:
                values = tuple(row)
                self.s.read_ahead[("prompt", platform, chat_id)] = values[-2:]
                if row[1] is not None and row[4] is not None:
                    self.s.read_ahead[("dossier", row[1], platform, user_id)] = values[4:-2]
        else:
            row = await self.s.fetchone(
                "SELECT person_id, dossier_id, state, updated_at FROM conversations"
                " WHERE platform = ? AND chat_id = ? AND user_id = ?",
                key,
            )
        record = None
        if row is not None:
            record = ConversationRecord(
                platform, chat_id, user_id, row[0], row[1], orjson.loads(row[2]), row[3], row[2]
            )
        if in_tx:  # a read session sees the writer's commits: no memo
            self._read[key] = record
        return record

    async def save(
        self,
        platform: str,
        chat_id: str,
        user_id: str,
        state: dict[str, Any],
        *,
        person_id: int | None = None,
        dossier_id: int | None = None,
        encoded: str | None = None,
    ) -> None:
        """Insert or replace the state (``encoded``: its :func:`encode_state`, if known).

        A conversation read in this transaction with the same person and dossier is
        updated in place: the state and the time only, no insert attempt and no check of the
        person and dossier keys (the common case, an answer)."""
        tx = self._tx()
        key = (platform, chat_id, user_id)
        known = self._read.pop(key, None)
        text = encoded or encode_state(state)
        if known is not None and (known.person_id, known.dossier_id) == (person_id, dossier_id):
            updated = await tx.execute(
                "UPDATE conversations SET state = ?, updated_at = ?"
                " WHERE platform = ? AND chat_id = ? AND user_id = ?",
                (text, tx.now, *key),
            )
            if updated == 1:
                return
        await tx.execute(
            "INSERT INTO conversations (platform, chat_id, user_id, person_id, dossier_id, state,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (platform, chat_id, user_id) DO UPDATE SET"
            " person_id = excluded.person_id,"
            " dossier_id = excluded.dossier_id, state = excluded.state,"
            " updated_at = excluded.updated_at",
            (*key, person_id, dossier_id, text, tx.now),
        )

    def forget_reads(self) -> None:
        """Drop what this transaction read (rows were deleted with SQL of another repo)."""
        self._read.clear()

    async def delete(self, platform: str, chat_id: str, user_id: str) -> None:
        self._read.pop((platform, chat_id, user_id), None)
        await self._tx().execute(
            "DELETE FROM conversations WHERE platform = ? AND chat_id = ? AND user_id = ?",
            (platform, chat_id, user_id),
        )

    async def for_dossier(self, dossier_id: int) -> list[ConversationRecord]:
        """Conversations attached to a dossier (to notify its candidate, e.g. on return)."""
        rows = await self.s.fetchall(
            "SELECT platform, chat_id, user_id, person_id, dossier_id, state, updated_at"
            " FROM conversations WHERE dossier_id = ?",
            (dossier_id,),
        )
        return [
            ConversationRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows
        ]


# ---------------------------------------------------------------------------------------------
# Audit


class AuditLog(SqlRepo):
    """Append-only: who did what, when, to which dossier revision. Never dossier content."""

    async def append(
        self,
        action: str,
        *,
        person_id: int | None = None,
        dossier_id: int | None = None,
        revision: int | None = None,
        unit_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> int:
        tx = self._tx()
        return await tx.insert(
            "INSERT INTO audit_log (at, person_id, action, dossier_id, revision, unit_id, detail)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (tx.now, person_id, action, dossier_id, revision, unit_id, _dumps(detail or {})),
        )

    async def for_dossier(self, dossier_id: int) -> list[dict[str, Any]]:
        return await self._rows("dossier_id = ?", (dossier_id,))

    async def erased_after(self, audit_id: int | None) -> tuple[int, list[int]]:
        """The dossiers erased since audit row ``audit_id`` (None: none yet, only where the
        log stands now) and the last audit row's id."""
        last = int(await self.s.fetchval("SELECT coalesce(max(id), 0) FROM audit_log") or 0)
        if audit_id is None or last <= audit_id:
            return last, []
        rows = await self.s.fetchall(
            "SELECT dossier_id FROM audit_log WHERE id > ? AND id <= ?"
            " AND action = 'dossier_erased' AND dossier_id IS NOT NULL",
            (audit_id, last),
        )
        return last, [int(row[0]) for row in rows]

    async def by_person(self, person_id: int, actions: tuple[str, ...]) -> list[dict[str, Any]]:
        """The person's own acts among ``actions`` (what /dulieu tells them), oldest first."""
        marks = ",".join("?" * len(actions))
        return await self._rows(f"person_id = ? AND action IN ({marks})", (person_id, *actions))

    async def _rows(self, where: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        rows = await self.s.fetchall(
            "SELECT id, at, person_id, action, revision, unit_id, detail FROM audit_log"
            f" WHERE {where} ORDER BY id",
            params,
        )
        return [
            {
                "id": r[0],
                "at": r[1],
                "person_id": r[2],
                "action": r[3],
                "revision": r[4],
                "unit_id": r[5],
                "detail": json.loads(r[6]),
            }
            for r in rows
        ]
