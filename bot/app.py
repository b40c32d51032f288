"""The composition root: the one place that builds the flows, the router and the database.

Adapters (Telegram, console), the CLI, the demo and the benches get a running router from
here; nothing under ``handlers/``, ``forms/`` or ``storage/`` builds its neighbours or reads
settings.
"""

from __future__ import annotations

import functools
import gc
import multiprocessing
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from datetime import timedelta

from admission.clock import Clock
from bot.lifeline import exit_with_parent
from bot.settings import Settings
from bot.web.keys import link_signer
from bot.web.pdf import pdf_converter
from bot.web.server import WebServer
from handlers.candidate import CandidateFlow, Notice, jump_action
from handlers.chat_moves import ChatMoveFlow
from handlers.edits import EditsFlow
from handlers.identity import IdentityFlow
from handlers.org import OrgFlow
from handlers.render_jobs import prepare_worker
from handlers.rendering import DocumentRenderer
from handlers.review import ReviewFlow
from handlers.router import Flow, Router
from handlers.secretary import SecretaryFlow
from handlers.web.links import LinkSigner
from handlers.web.pages import WebPages
from storage.db import Database
from storage.files import DocumentFolder


def build_flows(
    *,
    bot_username: str = "",
    notice: Notice | None = None,
    renderer: DocumentRenderer | None = None,
    links: LinkSigner | None = None,
) -> list[Flow]:
    """Every flow of a running bot; the candidate's submission and withdrawal are handed to
    the review flow, its invite codes and new dossiers' units to the organisation flow.
    ``notice``: what the consent names from the settings (controller, retention).
    ``renderer``: makes every document (the router's, so that it renders in its pool).
    ``links``: the web companion's signer (/web, the reviewer's «Xem», /tinhhinh hand out
    links)."""
    renderer = renderer or DocumentRenderer()
    review = ReviewFlow(
        bot_username=bot_username, jump_action=jump_action, renderer=renderer.dossier, links=links
    )
    org = OrgFlow(bot_username=bot_username, web_base=links.base_url if links else "")
    candidate = CandidateFlow(
        on_submitted=review.on_submitted,
        on_start=org.on_start,
        unit_for=org.unit_for,
        on_withdrawn=review.on_withdrawn,
        staff_help=org.staff_help,
        notice=notice,
        renderer=renderer.draft,
        draft_ahead=renderer.ahead,
        links=links,
    )
    secretary = SecretaryFlow(renderer=renderer, links=links)
    return [ChatMoveFlow(), EditsFlow(), IdentityFlow(), review, org, secretary, candidate]


def notice_of(settings: Settings) -> Notice:
    """What the consent tells candidates from the settings: the controller, the periods the
    retention job erases by."""
    return Notice(
        settings.controller,
        settings.retention_days,
        settings.abandoned_days,
        settings.abandoned_warning_days,
    )


#: Container objects allocated (net of those freed) between two collections of the youngest
#: generation (Python's default: 700). An update's objects are freed by reference counting
#: when it ends (tests/test_garbage.py), so a collection finds only the objects of the
#: updates in flight, all alive: at 700 the bot still ran one every ~16 updates and, as the
#: caches filled, a full one every ~2 000 (25 µs per update in all), at 10 000 one every
#: ~1 000 updates (1.6 µs per update; docs/benchmarks.md, session 9).
YOUNG_COLLECTION_THRESHOLD = 10_000


def warm_up() -> None:
    """Load what the first candidates would otherwise wait for (the form, the gazetteer, the
    rules), then move every object alive so far out of the garbage collector's reach: the
    gazetteer alone is hundreds of thousands of objects that each full collection would
    otherwise traverse, which showed as tail latency under load. The youngest generation is
    collected less often (:data:`YOUNG_COLLECTION_THRESHOLD`)."""
    from forms import checks  # noqa: F401 - registers the rules
    from forms.addresses import preload
    from forms.definition import load_form

    load_form()
    preload()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD)


async def open_router(
    settings: Settings, *, clock: Clock | None = None
) -> tuple[Router, Callable[[], Awaitable[None]]]:
    """The router of a running bot on the configured database, and how to close it."""
    warm_up()
    db = await Database.open(settings.database_target(), key=settings.database_key)
    db.files = DocumentFolder(settings.documents_dir)
    pool = render_pool(settings.render_workers)
    renderer = DocumentRenderer(pool)
    links = link_signer(settings) if settings.web_enabled else None
    flows = build_flows(
        bot_username=settings.bot_username,
        notice=notice_of(settings),
        renderer=renderer,
        links=links,
    )
    router = Router(db, clock, flows, zone=settings.zone, renderer=renderer)

    async def close() -> None:
        await db.close()
        pool.shutdown(wait=True, cancel_futures=True)

    return router, close


def pool_size(configured: int) -> int:
    """How many rendering workers: ``configured``, else (0) one per core this process may run
    on but one — the bot's own — at least one, at most four. On 2 cores that is one worker:
    a draft job is ≈ 3 ms of CPU (issue 17: 500 drafts asked for at once are ≈ 1.5 s of one
    core), and a second worker would cost ≈ 35 MB of memory to shorten that."""
    if configured > 0:
        return configured
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, (cores or 1) - 1))


def render_pool(workers: int) -> ProcessPoolExecutor:
    """The worker processes that render documents (handlers/rendering.py): fresh interpreters
    (``spawn``) that import only the rendering code and load the form and the prepared
    elements once (``prepare_worker``), started when the first document is asked for.

    Not forked from the bot: a copy of the bot shares its pages only until the bot writes
    them, and the bot writes its heap all the time (reference counts), so each such worker
    came to hold a private copy of the bot as it was at the fork (196 MB of PSS for the bot
    and two workers at N = 200, against 177 MB). Not from a fork server either, now that one
    worker is the default: the server is a third process of the same imports, and the worker
    forked from it shares less with it than that costs (at 150 drafts: server 25 MB + worker
    25 MB + multiprocessing's resource tracker 8 MB of PSS, against 36 + 8 MB spawned). A
    worker only runs rendering functions: it shares no database connection, no event loop and
    no socket with the bot. Each ends with the bot (bot/lifeline.py): a worker killed with -9
    leaves no renderer behind."""
    context = multiprocessing.get_context("spawn")
    start = functools.partial(exit_with_parent, os.getpid(), prepare_worker)
    return ProcessPoolExecutor(pool_size(workers), mp_context=context, initializer=start)


def web_server(settings: Settings, router: Router) -> WebServer | None:
    """The web companion of a running bot (None when no public base URL is configured)."""
    if not settings.web_enabled:
        return None
    review, secretary = router.flow("review"), router.flow("secretary")
    assert isinstance(review, ReviewFlow) and isinstance(secretary, SecretaryFlow)
    pages = WebPages(
        review,
        secretary,
        pdf=pdf_converter(),
        notice=notice_of(settings),
        renderer=router.renderer,
    )
    return WebServer(
        router.db,
        link_signer(settings),
        pages,
        session_ttl=timedelta(minutes=settings.web_session_minutes),
        rate_per_minute=settings.web_rate_per_minute,
        clock=router.clock,
    )
