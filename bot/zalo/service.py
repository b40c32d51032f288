"""A running Zalo bot on the same engine as Telegram: receive → inbox → router → outbox → send.

:class:`ZaloService` composes, for Zalo, what :class:`bot.telegram_service.TelegramService`
composes for Telegram: our :class:`bot.zalo.client.ZaloBotClient`; a webhook or polling
receiver that stores every update in the inbox first (bot/zalo/receive.py); the platform-
neutral :class:`bot.intake.Intake` (updates read by :func:`bot.zalo.events.update_to_event`)
and :class:`bot.delivery.Delivery` over :class:`bot.zalo.render.ZaloTransport`, paced. The
router, the flows, the inbox and the outbox are the ones Telegram uses; a process may run
both channels on one router (:func:`run_zalo` with ``router``).

The monthly message count is flushed every few seconds; the first flush at the configured
share of the quota tells every secretary privately, once a month.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.delivery import Delivery, RetryPolicy
from bot.intake import Intake, Parsed
from bot.pacing import Pacer, Pacing
from bot.periodic import (
    ERASURE_WATCH_INTERVAL,
    FAILED_RETRY_INTERVAL,
    PRUNE_INTERVAL,
    every,
    forget_erased,
    prune_edges,
    secretary_scheduler,
    settle,
    stop_all,
)
from bot.settings import Settings, protect_logs
from bot.web.keys import link_signer
from bot.zalo.client import ZaloBotClient
from bot.zalo.events import PLATFORM, update_to_event
from bot.zalo.links import SignedLinks
from bot.zalo.options import OptionMemory
from bot.zalo.quota import QuotaCounter
from bot.zalo.receive import Decoded, ZaloPolling, ZaloWebhook
from bot.zalo.render import Links, ZaloTransport
from forms.texts import message
from handlers.events import Chat, Reply
from handlers.router import Router
from storage.inbox import Received
from storage.org import Org

log = logging.getLogger(__name__)

FLUSH_INTERVAL = 1.0  # seconds between writes of the options drawn and the message count

#: Zalo publishes no rate limit; its plan's monthly quota is the binding constraint. A chat
#: still gets at most a message a second after a burst, a group twenty a minute.
ZALO_PACING = Pacing(group_max=20, chat_rate=1.0, chat_burst=5, global_rate=30.0)


class ZaloService:
    """The bot on Zalo (see the module docstring); start and stop it as a unit."""

    def __init__(
        self,
        settings: Settings,
        router: Router,
        *,
        pacing: Pacing | None = None,
        retry: RetryPolicy | None = None,
        links: Links | None = None,
        scheduler_interval: float | None = None,
        replay_pause: float = 1.0,
        flush_interval: float = FLUSH_INTERVAL,
    ) -> None:
        if settings.zalo_token is None:
            raise ValueError("no Zalo bot token: set KND_ZALO_TOKEN")
        self.settings = settings
        self.router = router
        db = router.db
        self.client = ZaloBotClient(
            settings.zalo_token.get_secret_value(),
            base_url=settings.zalo_api_base_url,
            connections=min(settings.concurrent_updates, 256),
        )
        if links is None and settings.web_enabled:  # files as links to the web companion
            links = SignedLinks(link_signer(settings), db)
        self.options = OptionMemory(db, PLATFORM)
        self.counter = QuotaCounter(
            db,
            PLATFORM,
            quota=settings.zalo_monthly_quota,
            warn_at=settings.zalo_quota_warn,
            on_near=self._warn_secretaries,
        )
        self.transport = ZaloTransport(self.client, self.options, links=links, counter=self.counter)
        self.delivery = Delivery(
            db,
            self.transport,
            pacer=Pacer(pacing or ZALO_PACING),
            retry=retry,
            remembered=router.remembered,
            renderer=router.renderer,
        )
        self.intake = Intake(
            db, router, self.delivery, self.parse, concurrency=settings.concurrent_updates
        )
        self.bot_names: tuple[str, ...] = ()
        self.scheduler_interval = scheduler_interval
        self.replay_pause = replay_pause
        self.flush_interval = flush_interval
        self.receiver: ZaloPolling | ZaloWebhook | None = None
        self.decoded = Decoded()
        self._tasks: list[tuple[asyncio.Task[None], asyncio.Event]] = []

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        me = await self.client.get_me()
        self.bot_names = tuple(n for n in (me.display_name, me.account_name) if n)
        self.transport.bot_name = me.display_name or me.account_name
        await self.options.load()
        await self.delivery.resume()
        resumed = await self.intake.resume()
        if resumed:
            log.info("processing %d Zalo updates stored before the restart", resumed)
        self.receiver = self._receiver()
        await self.receiver.start()
        self._tasks.append(every(self.flush_interval, self._flush, "zalo-count"))
        self._tasks.append(every(PRUNE_INTERVAL, self.prune, "zalo-prune"))
        self._tasks.append(
            every(ERASURE_WATCH_INTERVAL, forget_erased(self.router.db), "forget-erased")
        )
        self._tasks.append(every(FAILED_RETRY_INTERVAL, self.intake.retry_failed, "retry"))
        if self.scheduler_interval is not None:
            self.start_scheduler(self.scheduler_interval)
        mode = "webhook" if self.settings.zalo_webhook_url else "long polling"
        log.info("Zalo bot %s running (%s)", me.account_name, mode)

    async def stop(self) -> None:
        if self.receiver is not None:
            await self.receiver.stop()
            self.receiver = None
        await stop_all(self._tasks)
        await self.intake.stop()
        await self.delivery.stop()
        await self._flush()
        await self.client.close()

    async def __aenter__(self) -> ZaloService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def idle(self) -> None:
        """Wait until every stored update is processed and every reply delivered."""
        await settle(self.intake, self.delivery)

    def _receiver(self) -> ZaloPolling | ZaloWebhook:
        s = self.settings
        if not s.zalo_webhook_url:
            return ZaloPolling(
                self.client,
                self.intake,
                timeout=s.polling_timeout,
                replay_pause=self.replay_pause,
                decoded=self.decoded,
            )
        assert s.zalo_webhook_secret is not None  # Settings refuses a webhook without one
        return ZaloWebhook(
            self.client,
            self.intake,
            listen=s.webhook_listen,
            port=s.zalo_webhook_port,
            path=s.zalo_webhook_path,
            url=s.zalo_webhook_url,
            secret=s.zalo_webhook_secret.get_secret_value(),
            decoded=self.decoded,
        )

    # -- processing ----------------------------------------------------------------------------
    def parse(self, row: Received) -> Parsed:
        """A stored update as an event; a typed option's notice goes back to its chat."""
        update = self.decoded.take(row.key, row.raw)
        event = update_to_event(update, self.bot_names, self.options)
        if event is None:
            return Parsed()
        if event.kind != "button":
            return Parsed(event)
        # a typed option's toast is a message to its chat; without one there is no call
        return Parsed(event, callback_id=event.chat.id, answer_blank=False)

    # -- the monthly quota -----------------------------------------------------------------
    async def _flush(self) -> None:
        await self.options.flush()
        await self.counter.flush()

    async def _warn_secretaries(self, sent: int, quota: int, month: str) -> None:
        """Every secretary, privately, on whichever channel they use."""
        text = message("zalo.quota.near", sent=sent, quota=quota, month=month)
        async with self.router.db.transaction() as tx:
            org = tx.repo(Org)
            units = await org.units()
            chats: set[Chat] = set()
            for role in await org.roles_in([u.id for u in units], "secretary"):
                found = await org.reach(role.platform, role.platform_user_id)
                if found is not None:
                    chats.add(Chat(*found, "private"))
        for chat in sorted(chats, key=lambda c: (c.platform, c.id)):
            await self.delivery.enqueue([Reply(text=text, chat=chat)], chat)
        log.warning("the Zalo bot sent %d of its %d messages for %s", sent, quota, month)

    # -- periodic work (bot/periodic.py, shared by every channel) ------------------------------
    async def prune(self) -> None:
        await prune_edges(self.router, self.settings)

    def start_scheduler(self, interval: float) -> None:
        """Digests, reminders and retention through the outbox (:mod:`bot.periodic`)."""
        self._tasks.append(secretary_scheduler(self.router, self.delivery, self.settings, interval))


async def run_zalo(settings: Settings, router: Router | None = None) -> None:
    """Run the Zalo bot until SIGINT/SIGTERM (the router is opened here when not given)."""
    import signal

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    protect_logs(settings)
    close: Callable[[], Awaitable[None]] | None = None
    if router is None:
        from bot.app import open_router

        router, close = await open_router(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    try:
        async with ZaloService(settings, router, scheduler_interval=60.0):
            await stop.wait()
    finally:
        if close is not None:
            await close()
