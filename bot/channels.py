"""Running the bot on the channels configured: Telegram, Zalo, or both on ONE router and
database (issue 14), with the web companion.

With both, the engine is shared: a Zalo candidate's submission posts its card to a Telegram
group, a Telegram reviewer's return reaches the Zalo candidate. Each channel's intake wakes
its own sender only, so :func:`run_channels` also sweeps every few seconds: each sender takes
up what another channel's event queued for it (``Delivery.resume``). The scheduler (digests,
reminders) runs once, in the Telegram service when there is one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from bot.settings import Settings, protect_logs
from handlers.failures import failure_place

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 2.0  # seconds between looks for replies another channel queued
SCHEDULER_INTERVAL = 60.0


async def run_channels(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until SIGINT/SIGTERM (or ``stop``); Telegram when ``KND_BOT_TOKEN`` is set, Zalo
    when ``KND_ZALO_TOKEN`` is."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    protect_logs(settings)
    from bot.app import open_router, web_server
    from bot.health import Health, HealthServer, serve_health
    from bot.telegram_service import TelegramService, _fetch_username
    from bot.zalo.service import ZaloService

    if settings.token and not settings.bot_username:
        settings = settings.model_copy(update={"bot_username": await _fetch_username(settings)})
    router, close = await open_router(settings)
    web = web_server(settings, router)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    services: list[TelegramService | ZaloService] = []
    health = Health(router.db)  # Zalo alone: its own port (Telegram serves its own)
    health_server: HealthServer | None = None
    try:
        if settings.token:
            services.append(
                TelegramService(settings, router, scheduler_interval=SCHEDULER_INTERVAL, web=web)
            )
        if settings.zalo_token is not None:
            alone = not settings.token
            services.append(
                ZaloService(
                    settings, router, scheduler_interval=SCHEDULER_INTERVAL if alone else None
                )
            )
            if alone and web is not None:  # no Telegram server to carry the pages
                await web.start(settings.web_listen, settings.web_port)
        for service in services:
            await service.start()
        if not settings.token:
            listen, port = settings.health_listen, settings.health_port
            health_server = await serve_health(health, listen, port)
        await _sweep_until(stop, [s.delivery.resume for s in services])
    finally:
        health.stopping = True
        for service in reversed(services):
            with contextlib.suppress(Exception):
                await service.stop()
        if web is not None and not settings.token:
            await web.stop()
        if health_server is not None:
            await health_server.stop()
        await close()


async def _sweep_until(stop: asyncio.Event, sweeps: list[Callable[[], Awaitable[int]]]) -> None:
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SWEEP_INTERVAL)
        if len(sweeps) > 1:
            for sweep in sweeps:
                try:
                    await sweep()
                except Exception as exc:
                    log.error("sweeping the outbox failed: %s", failure_place(exc))
