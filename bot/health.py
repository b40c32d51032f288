"""Health and readiness for the proxy and the service manager (several workers, issue 16).

``GET /healthz`` answers 200 while the process serves HTTP at all (alive: restart it when
this fails). ``GET /readyz`` answers 200 only when the database answers and every migration
this code knows has been applied — else 503 with the reason — and 503 once the worker is
stopping, so a proxy sends the webhook's POSTs to another worker (ready: route to it). The
bodies are small JSON that name no person.

In long polling there is no webhook server: :class:`HealthServer` serves the same two on
their own port (``KND_HEALTH_PORT``, off by default: a polling bot behind no proxy needs
none), for a service manager or a container's probes.
"""

from __future__ import annotations

import logging

from aiohttp import web

from handlers.failures import failure_place
from storage.db import MIGRATIONS, PG_MIGRATIONS, Database, migration_files

log = logging.getLogger(__name__)


class Health:
    """The two endpoints, mounted on the webhook's server (see the module docstring)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.stopping = False

    def mount(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.alive)
        app.router.add_get("/readyz", self.ready)

    async def alive(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "alive"})

    async def ready(self, request: web.Request) -> web.Response:
        if self.stopping:
            return web.json_response({"status": "stopping"}, status=503)
        try:
            missing = await self.missing_migrations()
        except Exception as exc:
            log.warning("readiness: the database does not answer: %s", failure_place(exc))
            return web.json_response({"status": "database unreachable"}, status=503)
        if missing:
            body = {"status": "migrations missing", "missing": missing}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ready"})

    async def missing_migrations(self) -> list[str]:
        """The migrations of this code the database has not recorded (raises if it fails)."""
        async with self.db.read() as s:
            rows = await s.fetchall("SELECT version FROM schema_migrations")
        applied = {str(r[0]) for r in rows}
        folder = PG_MIGRATIONS if self.db.dialect.postgres else MIGRATIONS
        return [f.name for f in migration_files(folder) if f.name not in applied]


class HealthServer:
    """The two endpoints alone on ``listen:port`` (polling mode; see the module docstring)."""

    def __init__(self, health: Health, listen: str, port: int) -> None:
        self.health = health
        self.listen, self.port = listen, port
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        self.health.mount(app)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.listen, self.port).start()
        log.info("health and readiness on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def serve_health(health: Health, listen: str, port: int) -> HealthServer | None:
    """A started :class:`HealthServer`, or None when ``port`` is 0 (the setting's default)."""
    if not port:
        return None
    server = HealthServer(health, listen, port)
    await server.start()
    return server
