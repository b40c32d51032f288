"""A running Telegram bot on the durable edges: receive → inbox → router → outbox → send.

:class:`TelegramService` composes the pieces of issue 10 for Telegram:

* a ``telegram.Bot`` (PTB as HTTP client and object model only; no Application, Updater or
  tornado webhook);
* :class:`bot.telegram_receive.Polling` or :class:`bot.telegram_receive.Webhook`, which store
  every update in the inbox before Telegram is told it arrived;
* :class:`bot.intake.Intake`, which processes stored updates through the router (parsed with
  :func:`bot.telegram.update_to_event` from the stored JSON), exactly once;
* :class:`bot.delivery.Delivery` over :class:`bot.telegram_transport.TelegramTransport`,
  paced by :class:`bot.pacing.Pacer`, which sends the outbox per chat and in order.

At start the outbox's pending replies and the inbox's unprocessed updates of the previous
run are taken up first, then receiving starts. :meth:`TelegramService.idle` waits until
everything received has been processed and delivered (tests use it instead of PTB's
``update_queue.join``). Once an hour processed inbox keys older than ``inbox_days`` and done
outbox rows older than ``outbox_days`` (settings) are pruned.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable, Sequence

import orjson
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)

from bot.delivery import RetryPolicy
from bot.health import Health, HealthServer, serve_health
from bot.intake import Parsed
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
from bot.telegram import (
    ALLOWED_UPDATES,
    PLATFORM,
    anonymous_command,
    callback_id,
    default_commands,
    group_commands,
    update_to_event,
)
from bot.telegram_receive import Polling, Webhook
from bot.telegram_request import AiohttpRequest
from bot.telegram_transport import TelegramTransport
from bot.web.server import WebServer
from bot.workers import sweep, worker_kinds
from forms import texts
from handlers.events import Chat, Event, Reply, User
from handlers.router import Router
from storage.inbox import Received

log = logging.getLogger(__name__)

SCHEDULER_INTERVAL = 60.0  # seconds between looks for due digests and reminders


class TelegramService:
    """The bot on Telegram (see the module docstring); start and stop it as a unit."""

    def __init__(
        self,
        settings: Settings,
        router: Router,
        *,
        commands: Sequence[tuple[str, str]] | None = None,
        scheduler_interval: float | None = None,
        pacing: Pacing | None = None,
        retry: RetryPolicy | None = None,
        web: WebServer | None = None,
    ) -> None:
        if not settings.token:
            raise ValueError("no bot token: set KND_BOT_TOKEN (or use the console)")
        self.settings = settings
        self.router = router
        self.bot = Bot(
            settings.token,
            base_url=settings.api_base_url,
            base_file_url=settings.api_file_url,
            request=AiohttpRequest(connection_pool_size=min(settings.concurrent_updates, 256)),
            get_updates_request=AiohttpRequest(connection_pool_size=2),
        )
        self.transport = TelegramTransport(self.bot)
        self.workers, delivery, intake = worker_kinds(settings, router.db)
        self.delivery = delivery(
            router.db,
            self.transport,
            pacer=Pacer(pacing),
            retry=retry,
            remembered=router.remembered,
            renderer=router.renderer,
            chat_moved=self._chat_moved,
        )
        self.intake = intake(
            router.db, router, self.delivery, self.parse, concurrency=settings.concurrent_updates
        )
        self.health = Health(router.db)
        self.health_server: HealthServer | None = None  # polling mode's own port, if set
        self.username = settings.bot_username
        self._bot_id: int | None = None
        self.commands = list(default_commands() if commands is None else commands)
        self.scheduler_interval = scheduler_interval
        self.receiver: Polling | Webhook | None = None
        self.web = web  # on the webhook's server, or on its own when polling
        self._tasks: list[tuple[asyncio.Task[None], asyncio.Event]] = []

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self.bot.initialize()
        self.username = self.username or (self.bot.username or "")
        self._bot_id = self.bot.id  # PTB's property re-checks initialisation on every read
        _share_username(self.router, self.username)
        await self._set_commands()
        await self.delivery.resume()
        resumed = await self.intake.resume()
        if resumed:
            log.info("processing %d updates stored before the restart", resumed)
        self.receiver = self._receiver()
        await self.receiver.start()
        if self.web is not None and not self.settings.use_webhook:
            await self.web.start(self.settings.web_listen, self.settings.web_port)
        if not self.settings.use_webhook:
            s = self.settings
            self.health_server = await serve_health(self.health, s.health_listen, s.health_port)
        self._tasks.append(every(PRUNE_INTERVAL, self.prune, "prune"))
        self._tasks.append(
            every(ERASURE_WATCH_INTERVAL, forget_erased(self.router.db), "forget-erased")
        )
        self._tasks.append(every(FAILED_RETRY_INTERVAL, self.intake.retry_failed, "retry"))
        if self.workers.shared:
            sweeping = self.settings.lease_seconds / 3
            self._tasks.append(every(sweeping, self.sweep, "sweep"))
        if self.scheduler_interval is not None:
            self.start_scheduler(self.scheduler_interval)
        mode = "webhook" if self.settings.use_webhook else "long polling"
        log.info("bot @%s running (%s)", self.username, mode)

    async def stop(self) -> None:
        """Stop receiving, finish what is being processed and sent, then close."""
        self.health.stopping = True
        if self.receiver is not None:
            await self.receiver.stop()
            self.receiver = None
        if self.web is not None:
            await self.web.stop()
        await stop_all(self._tasks)
        await self.intake.stop()
        await self.delivery.stop()
        await self.bot.shutdown()
        if self.health_server is not None:  # answers 503 "stopping" until here
            await self.health_server.stop()
            self.health_server = None

    async def __aenter__(self) -> TelegramService:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def idle(self) -> None:
        """Wait until every stored update is processed and every reply delivered."""
        await settle(self.intake, self.delivery)

    def _receiver(self) -> Polling | Webhook:
        s = self.settings
        if not s.use_webhook:
            return Polling(
                self.bot, self.intake, timeout=s.polling_timeout, allowed_updates=ALLOWED_UPDATES
            )
        assert s.webhook_secret is not None  # Settings refuses a webhook without one
        return Webhook(
            self.bot,
            self.intake,
            listen=s.webhook_listen,
            port=s.webhook_port,
            path=s.webhook_path,
            url=s.webhook_url,
            secret=s.webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
            companion=self.web,
            health=self.health,
        )

    async def _set_commands(self) -> None:
        if not self.commands:
            return
        await self.bot.set_my_commands(
            [BotCommand(name, text) for name, text in self.commands],
            scope=BotCommandScopeAllPrivateChats(),
        )
        group = group_commands()
        if group:
            await self.bot.set_my_commands(
                [BotCommand(name, text) for name, text in group],
                scope=BotCommandScopeAllGroupChats(),
            )

    # -- processing ----------------------------------------------------------------------------
    def parse(self, row: Received) -> Parsed:
        """A stored update as an event, a notice without a flow, and a tap to answer (the
        update as decoded on arrival when this process stored it: decoded once)."""
        raw = row.update if isinstance(row.update, dict) else orjson.loads(row.raw)
        tap = callback_id(raw)
        event = update_to_event(raw, self.username, self._bot_id)
        if event is not None:
            return Parsed(event, callback_id=tap)
        group = anonymous_command(raw, self.username)
        if group is not None and not tap:
            notice = Reply(text=texts.message("platform.anonymous.command"), chat=group)
            return Parsed(notices=(notice,))
        return Parsed(callback_id=tap)

    async def _chat_moved(self, chat: Chat, new_id: str) -> None:
        """Telegram refused a send: ``chat`` is now ``new_id``. The flows move what they
        store (the update telling of the move may have been missed)."""
        event = Event(
            user=User(PLATFORM, ""),
            chat=chat,
            kind="chat_moved",
            update_key=f"chat_moved:{chat.id}:{new_id}",
            moved_to=new_id,
        )
        replies = await self.router.handle(event, outbox=True)
        self.delivery.wake_for(replies, chat)

    # -- periodic work (bot/periodic.py, shared by every channel) ------------------------------
    async def prune(self) -> None:
        if await self.workers.lead():  # as held for the scheduler's rounds (bot/workers.py)
            await prune_edges(self.router, self.settings)

    async def sweep(self) -> None:
        await sweep(self.intake, self.delivery)

    def start_scheduler(self, interval: float) -> None:
        """Digests, reminders and retention through the outbox (:mod:`bot.periodic`)."""
        self._tasks.append(
            secretary_scheduler(self.router, self.delivery, self.settings, interval, self.workers)
        )


def _share_username(router: Router, username: str) -> None:
    """Flows that write t.me links (invites) learn the bot's @username once getMe told it."""
    for flow in router.flows:
        if getattr(flow, "bot_username", None) == "":
            flow.bot_username = username  # type: ignore[attr-defined]


async def run_telegram(
    settings: Settings,
    router: Router | None = None,
    *,
    stop: asyncio.Event | None = None,
) -> None:
    """Run the bot until SIGINT/SIGTERM (or ``stop`` is set), then stop gracefully: receiving
    stops, what is being processed finishes, what is still unsent waits in the outbox for the
    next start."""
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=settings.log_level.upper(),
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
    protect_logs(settings)
    close: Callable[[], Awaitable[None]] | None = None
    if router is None:
        if not settings.bot_username:
            # the flows need the bot's @username (deep links, group commands) when built
            settings = settings.model_copy(update={"bot_username": await _fetch_username(settings)})
        from bot.app import open_router  # heavy: the flows and the database

        router, close = await open_router(settings)
    from bot.app import web_server

    web = web_server(settings, router)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with TelegramService(
            settings, router, scheduler_interval=SCHEDULER_INTERVAL, web=web
        ):
            await stop.wait()
            log.info("stopping…")
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
        if close is not None:
            await close()


async def _fetch_username(settings: Settings) -> str:
    """getMe once, before the flows are built."""
    async with Bot(
        settings.token,
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        request=AiohttpRequest(connection_pool_size=1),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    ) as bot:
        return bot.username or ""
