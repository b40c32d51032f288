"""Documents rendered in worker processes, never on the event loop, never under the write lock.

A dossier's .docx takes tens of milliseconds of CPU; rendered inside a flow it held the event
loop and the database's single write transaction, so every other person's answer waited for
it (issue 17: drafts asked for under load waited p50 14 s, and answers behind them). The
composition root (bot/app.py) creates a process pool and hands the flows one
:class:`DocumentRenderer`; tests and the console use it without a pool (in-process).

How a document is made for an event that renders one (declared ``heavy`` in the routing
table), in three steps the router runs (:meth:`handlers.router.Router.handle`):

1. **rehearsal** — the flow handles the event once in a transaction that is rolled back;
   the renderer only writes down which documents it was asked for (:meth:`rehearsal`).
2. **rendering** — those documents are rendered in the pool, with no lock held: the event
   loop keeps answering everybody else (:meth:`render_all`).
3. **the real run** — the flow handles the event for real; asked for the same documents (the
   person's lock is held, so their dossier has not changed), the renderer hands back the
   bytes already made (:meth:`prepared`). Anything it did not foresee is rendered in place.

Spreadsheets and charts are one call each, awaited through :meth:`run` in the same pool.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from forms.checks import Flag
from forms.dossier import Dossier


@dataclass(frozen=True)
class DossierJob:
    """One dossier document to render: what :func:`render_dossier_job` needs, picklable."""

    dossier: Dossier
    draft: bool
    flags: tuple[Flag, ...] | None


def render_dossier_job(job: DossierJob) -> bytes:
    """Render ``job`` (in a worker process, or in place)."""
    from forms.document import render_dossier

    flags = list(job.flags) if job.flags is not None else None
    return render_dossier(job.dossier, draft=job.draft, flags=flags)


def warm_worker() -> None:
    """A new worker loads the form and the document template before its first job."""
    from forms.definition import load_form
    from forms.document import render_dossier  # noqa: F401 - the import is the warm-up

    load_form()


@dataclass
class _Stage:
    """What the renderer does in the current event: write jobs down (rehearsal) or hand
    back prepared bytes, in the order they were asked for."""

    rehearsing: bool
    jobs: list[DossierJob] = field(default_factory=list)
    ready: list[tuple[DossierJob, bytes]] = field(default_factory=list)


_STAGE: ContextVar[_Stage | None] = ContextVar("render_stage", default=None)


class DocumentRenderer:
    """The flows' one way to render a document (see the module docstring)."""

    def __init__(self, pool: Executor | None = None) -> None:
        self.pool = pool

    @property
    def pooled(self) -> bool:
        return self.pool is not None

    # -- what the flows call ------------------------------------------------------------------
    def dossier(
        self, dossier: Dossier, *, draft: bool, flags: Sequence[Flag] | None = None
    ) -> bytes:
        """The dossier's .docx (``draft``: watermarked, with ``flags`` as notes)."""
        job = DossierJob(dossier, draft, tuple(flags) if flags is not None else None)
        stage = _STAGE.get()
        if stage is not None and stage.rehearsing:
            stage.jobs.append(job)
            return b""
        if stage is not None and stage.ready and stage.ready[0][0] == job:
            return stage.ready.pop(0)[1]
        return render_dossier_job(job)

    def draft(self, dossier: Dossier, flags: list[Flag]) -> bytes:
        """The candidate's draft (the candidate flow's renderer)."""
        return self.dossier(dossier, draft=True, flags=flags)

    async def run(self, function: Callable[..., bytes], *args: Any, **kwargs: Any) -> bytes:
        """``function(*args, **kwargs)`` in the pool (a thread without one); it and its
        arguments must be picklable."""
        if self.pool is None:
            return await asyncio.to_thread(function, *args, **kwargs)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, _call, function, args, kwargs)

    # -- what the router calls ----------------------------------------------------------------
    @contextlib.contextmanager
    def rehearsal(self) -> Iterator[list[DossierJob]]:
        """Within: documents asked for are written down (returned empty), not rendered."""
        stage = _Stage(rehearsing=True)
        token = _STAGE.set(stage)
        try:
            yield stage.jobs
        finally:
            _STAGE.reset(token)

    async def render_all(self, jobs: Sequence[DossierJob]) -> list[tuple[DossierJob, bytes]]:
        """Each job rendered in the pool, side by side; a job that fails is left out (the
        real run renders it in place and meets the failure where the flow handles it)."""
        if not jobs or self.pool is None:
            return []
        loop = asyncio.get_running_loop()
        futures = [loop.run_in_executor(self.pool, render_dossier_job, job) for job in jobs]
        results = await asyncio.gather(*futures, return_exceptions=True)
        return [(j, r) for j, r in zip(jobs, results, strict=True) if isinstance(r, bytes)]

    @contextlib.contextmanager
    def prepared(self, ready: list[tuple[DossierJob, bytes]]) -> Iterator[None]:
        """Within: documents asked for in the order of ``ready`` come from it."""
        token = _STAGE.set(_Stage(rehearsing=False, ready=list(ready)))
        try:
            yield
        finally:
            _STAGE.reset(token)


def _call(function: Callable[..., bytes], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    return function(*args, **kwargs)
