"""The flag cache: each submitted dossier's flags (rule, severity) per revision, filled by the
checks a few dossiers at a time (before a summary, and by the periodic task) so that no
summary runs the checks over thousands of dossiers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from handlers.failures import failure_place
from storage.db import Database, Tx
from storage.stages import FlagCache

log = logging.getLogger(__name__)

FlagChecker = Callable[[object, date], list[tuple[str, str]]]


def default_checker(dossier: object, today: date) -> list[tuple[str, str]]:
    """(rule, severity) of every flag forms.checks finds, one per rule."""
    from forms.checks import run_checks  # the rules are slow to import: when first asked

    seen: dict[str, str] = {}
    for flag in run_checks(dossier, today=today):  # type: ignore[arg-type]
        seen.setdefault(flag.rule, flag.severity)
    return sorted(seen.items())


def _flags_of(checker: FlagChecker, dossier_id: int, dossier: object, today: date) -> list:
    try:
        return checker(dossier, today)
    except Exception as exc:  # a checks bug must not stop the summary
        log.error("checks failed on dossier %s: %s", dossier_id, failure_place(exc))
        return []


async def refresh_flag_cache(
    db: Database,
    today: date,
    *,
    limit: int = 100,
    checker: FlagChecker = default_checker,
) -> int:
    """Run the checks on up to ``limit`` submitted dossiers whose cached flags are stale,
    each in its own transaction (the periodic task). Returns how many were refreshed."""
    async with db.read() as r:
        stale = await r.repo(FlagCache).stale_flag_dossiers(limit)
    done = 0
    for dossier_id, revision in stale:
        async with db.transaction() as tx:
            record = await tx.dossiers.get(dossier_id)
            if record is None or record.revision != revision:
                continue
            flags = _flags_of(checker, dossier_id, record.dossier, today)
            await tx.repo(FlagCache).store_flags(dossier_id, revision, flags)
            done += 1
    return done


async def refresh_flags_in(
    tx: Tx, today: date, *, limit: int, checker: FlagChecker = default_checker
) -> int:
    """Bring up to ``limit`` stale flag lists up to date inside ``tx`` (before a summary)."""
    cache = tx.repo(FlagCache)
    done = 0
    for dossier_id, revision in await cache.stale_flag_dossiers(limit):
        record = await tx.dossiers.get(dossier_id)
        if record is None:
            continue
        await cache.store_flags(
            dossier_id, revision, _flags_of(checker, dossier_id, record.dossier, today)
        )
        done += 1
    return done
