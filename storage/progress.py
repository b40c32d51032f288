"""The dossier's row of ``dossier_progress``: what the secretaries' summary reads of it.

Why this shape
--------------
* The summary over 100 000 dossiers is integer aggregation over one narrow row per dossier
  (migration 005), never JSON parsing. The row copies the dossier's columns and a few
  answers as day numbers; the stage columns are written by ``storage.stages``.
* The row is written from Python, in the transaction that changes the dossier:
  :class:`storage.core.Dossiers` calls :meth:`Progress.answered` when answers change (at
  most one UPDATE of the revision and of the columns the answer changed, computed from the
  dossier before and after, without reading the row back; an unchanged column costs no
  index write; a draft's revision waits for its submission)
  and :meth:`Progress.refresh` after any other change of the ``dossiers`` row. Code that
  writes ``dossiers`` or a return in ``review_decisions`` with its own SQL calls
  ``tx.progress.refresh(dossier_id)`` afterwards (a return is followed by
  ``Dossiers.set_status``, which counts it). Until migration 010, SQL triggers did this; the
  values are the same (tests/test_progress.py).
* Day numbers are local dates (:func:`admission.clock.local_date` in :data:`ZONE`) counted
  from 1970-01-01, so "how many days in this stage" is a subtraction in SQL.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

import orjson

from admission.clock import ZONE, local_date
from admission.workdays import day_number
from forms.dossier import Dossier
from storage.session import SqlRepo, SqlTx

#: What an erased dossier's progress row holds in the columns that came from its content or
#: its steps (the status, unit and the review's dates stay: they count in the statistics).
ERASED: dict[str, Any] = {
    "full_name": "",
    "birth_d": None,
    "cert_d": None,
    "handwritten_d": None,
    "verif_sent": 0,
    "verif_pending": 0,
    "verif_done_d": None,
    "chi_bo_d": None,
    "dang_uy_d": None,
    "decision_d": None,
    "ceremony_d": None,
    "official_d": None,
    "not_admitted_d": None,
}
_BOOKLET_DATE = re.compile(r"[0-3][0-9]/[01][0-9]/[12][0-9][0-9][0-9]")


@lru_cache(maxsize=2048)
def local_day(stamp: str | None) -> int | None:
    """The day number of a stored UTC timestamp's local date (None for none). Remembered:
    every answer asks it of its own time and of the dossier's previous answer's."""
    if stamp is None:
        return None
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if moment.tzinfo is None:  # stored timestamps are UTC
        moment = moment.replace(tzinfo=UTC)
    return day_number(local_date(moment, ZONE))


def booklet_day(text: object) -> int | None:
    """The day number of an answer written as in the booklet ("15/08/2023"), if it is one."""
    if not isinstance(text, str) or not _BOOKLET_DATE.fullmatch(text):
        return None
    try:
        return day_number(date(int(text[6:]), int(text[3:5]), int(text[:2])))
    except ValueError:
        return None


def iso_day(value: date | str | None) -> int | None:
    """The day number of a 'YYYY-MM-DD' date (as a date, or as stored in the JSON)."""
    if isinstance(value, date):
        return day_number(value)
    if not isinstance(value, str):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day_number(day) if day.isoformat() == value else None


def content_columns(
    answers: Mapping[str, Any], dossier_opened: date | str | None, opened_at: str
) -> dict[str, Any]:
    """What the row copies from a dossier's content: the name, the day the dossier was opened
    (the organisation's date, else the day it was created), the certificate's and the
    birth's day."""
    opened = iso_day(dossier_opened)
    return {
        "full_name": answers.get("ho_ten") or "",
        "opened_d": opened if opened is not None else local_day(opened_at),
        "cert_d": booklet_day(answers.get("ngay_chung_nhan_ntvd")),
        "birth_d": booklet_day(answers.get("ngay_sinh")),
    }


#: The answers :func:`content_columns` reads.
_CONTENT_ANSWERS = ("ho_ten", "ngay_chung_nhan_ntvd", "ngay_sinh")


def _content_inputs(dossier: Dossier) -> tuple[Any, ...]:
    """What :func:`content_columns` reads of a dossier: most answers change none of it, and
    the row's columns are then left as they are without computing them twice."""
    answers = dossier.answers
    return (dossier.meta.dossier_opened, *(answers.get(key) for key in _CONTENT_ANSWERS))


class Progress(SqlRepo):
    """Writes a dossier's ``dossier_progress`` columns (not the stage columns)."""

    async def answered(
        self,
        dossier_id: int,
        before: Dossier,
        after: Dossier,
        *,
        revision: int,
        opened_at: str,
        last_updated_at: str,
        draft: bool = False,
    ) -> None:
        """The dossier's content moved from ``before`` to ``after`` (at ``revision``) in this
        transaction; ``last_updated_at`` is the dossier's ``updated_at`` before it.

        The row already holds ``before``'s columns (every change of the dossier keeps it in
        line), so only what the answer changed is written, with no read of the row first:
        at most one UPDATE per answer. A ``draft``'s answer that changes none of its columns
        writes nothing: the row's ``revision`` is read only by the flag cache, of dossiers
        past the draft (``storage/stages/flags.py``), and the move out of the draft
        (:meth:`refresh`) writes it — a page less to commit with most answers (issue 17).
        A dossier without a row yet gets one (:meth:`refresh`)."""
        tx = self._tx()
        columns: dict[str, Any] = {"revision": revision}
        today = local_day(tx.now)
        if local_day(last_updated_at) != today:
            columns["updated_d"] = today
        if _content_inputs(before) != _content_inputs(after):
            old = content_columns(before.answers, before.meta.dossier_opened, opened_at)
            new = content_columns(after.answers, after.meta.dossier_opened, opened_at)
            columns |= {name: value for name, value in new.items() if old[name] != value}
        if draft and len(columns) == 1:
            return  # the revision alone: see above
        written = await tx.execute(
            f"UPDATE dossier_progress SET {' = ?, '.join(columns)} = ? WHERE dossier_id = ?",
            (*columns.values(), dossier_id),
        )
        if written == 0:
            await self.refresh(dossier_id, after)

    async def refresh(self, dossier_id: int, dossier: Dossier | None = None) -> None:
        """Bring the row in line with the dossier's stored row, content and returns.

        Call it after writing ``dossiers`` or a return decision with SQL of your own.
        ``dossier``: its content at the stored revision, when the caller holds it; else the
        stored snapshot is read, which must not be behind (``Dossiers.catch_up``: only a
        draft's is, and ``Dossiers`` catches it up before it calls this).
        """
        tx = self._tx()
        row = await tx.fetchone(
            "SELECT unit_id, status, review_level, revision, updated_at, submitted_at,"
            " approved_at, opened_at, content_revision, content FROM dossiers WHERE id = ?",
            (dossier_id,),
        )
        if row is None:
            return
        answers: Mapping[str, Any]
        if dossier is not None:
            answers, opened = dossier.answers, dossier.meta.dossier_opened
        elif row[8] < row[3]:
            raise RuntimeError(f"dossier {dossier_id}'s stored snapshot is behind: catch it up")
        else:
            content = orjson.loads(row[9])
            answers = content.get("answers") or {}
            opened = (content.get("meta") or {}).get("dossier_opened")
        submitted = local_day(row[5])
        columns = {
            "unit_id": row[0],
            "status": row[1],
            "review_level": row[2],
            "revision": row[3],
            "updated_d": local_day(row[4]),
            "submitted_d": submitted,
            "first_submitted_d": submitted,
            "approved_d": local_day(row[6]),
            "returns": await tx.fetchval(
                "SELECT count(*) FROM review_decisions WHERE dossier_id = ?"
                " AND decision = 'return'",
                (dossier_id,),
            ),
        }
        columns |= content_columns(answers, opened, row[7])
        stored = await self._write(dossier_id, columns)
        if stored is None:
            await self._insert(dossier_id, columns)
        elif stored["unit_id"] != row[0]:
            await self._follow_unit(tx, dossier_id, row[0])
        if row[1] == "deleted":
            await self.erased(dossier_id)

    async def erased(self, dossier_id: int) -> None:
        """An erased dossier keeps nothing on the secretaries' side: its steps (whose abroad
        reason names a relative, an address abroad and a nationality), verifications, cached
        flags and step dates go. The steps' audit rows stay (they hold no content)."""
        tx = self._tx()
        for table in ("stage_events", "verifications", "dossier_flags"):
            await tx.execute(f"DELETE FROM {table} WHERE dossier_id = ?", (dossier_id,))
        await tx.execute(
            f"UPDATE dossier_progress SET {', '.join(f'{c} = ?' for c in ERASED)}"
            " WHERE dossier_id = ?",
            (*ERASED.values(), dossier_id),
        )

    async def _write(self, dossier_id: int, columns: dict[str, Any]) -> sqlite3.Row | None:
        """Update the columns whose value differs (``first_submitted_d`` keeps its first
        value); returns their values before, or None when the dossier has no row yet."""
        names = tuple(columns)
        tx = self._tx()
        stored = await tx.fetchone(
            f"SELECT {', '.join(names)} FROM dossier_progress WHERE dossier_id = ?",
            (dossier_id,),
        )
        if stored is None:
            return None
        changed = {
            name: value
            for name, value, old in zip(names, columns.values(), stored, strict=True)
            if value != old and not (name == "first_submitted_d" and old is not None)
        }
        if changed:
            await tx.execute(
                f"UPDATE dossier_progress SET {' = ?, '.join(changed)} = ? WHERE dossier_id = ?",
                (*changed.values(), dossier_id),
            )
        return stored

    async def _insert(self, dossier_id: int, columns: dict[str, Any]) -> None:
        await self._tx().execute(
            f"INSERT INTO dossier_progress (dossier_id, {', '.join(columns)})"
            f" VALUES (?{', ?' * len(columns)})",
            (dossier_id, *columns.values()),
        )

    @staticmethod
    async def _follow_unit(tx: SqlTx, dossier_id: int, unit_id: int | None) -> None:
        """A dossier moved to another unit takes its verifications and flags along."""
        await tx.execute(
            "UPDATE verifications SET unit_id = ? WHERE dossier_id = ?", (unit_id, dossier_id)
        )
        await tx.execute(
            "UPDATE dossier_flags SET unit_id = ? WHERE dossier_id = ?",
            (unit_id or 0, dossier_id),
        )
