"""The web companion's HTTP side: an aiohttp sub-application under ``/w`` in the bot's own
process — mounted on the webhook's server when there is one, on its own (bound to
127.0.0.1 by default) otherwise. The pages themselves are :mod:`handlers.web`.

* ``GET /w/<token>``: a signed link. Verified (signature, expiry), it becomes the browser's
  session cookie (HttpOnly, Secure, SameSite=Strict, path ``/w``) and the page moves on to
  ``/w/`` by a same-site refresh, so the token leaves the address bar and a Strict cookie is
  sent (a redirect answering a cross-site click would not carry it).
* ``GET /w/``: the page the session's grant opens, asked of the access gate and recorded as a
  view at every load; ``GET /w/tai/<file>``: its downloads; ``GET|POST /w/phan/<n>``: a part
  of the web form (:mod:`bot.web.form`).
* Every answer carries a strict Content-Security-Policy (nothing but our own stylesheet and
  images, no script), ``no-store``, no referrer; every POST needs the session's CSRF token;
  each address gets ``rate_per_minute`` requests (the proxy's ``X-Real-IP`` is believed only
  from a loopback peer). Nothing of a request — paths carry tokens — is logged: aiohttp's
  access log is off and failures are logged by type and place.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from ipaddress import ip_address

from aiohttp import web

from admission.clock import Clock, SystemClock
from forms.texts import message
from handlers.failures import failure_place
from handlers.web.html import html, stylesheet
from handlers.web.links import PATH, Grant, LinkSigner, Refusal
from handlers.web.pages import AccessDenied, WebPages
from storage.db import Database

log = logging.getLogger(__name__)

COOKIE = "knd_s"
PREFIX = PATH.rstrip("/")  # "/w"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RateLimit:
    """A token bucket per address: ``per_minute`` requests, refilled continuously."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(per_minute)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def allow(self, address: str) -> bool:
        now = self.clock()
        tokens, at = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.rate)
        if len(self._buckets) > 10_000:  # forget idle addresses
            self._buckets = {a: v for a, v in self._buckets.items() if now - v[1] < 120}
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1, now)
        return True


def client_address(request: web.Request) -> str:
    """The client's address: the reverse proxy's ``X-Real-IP`` when the peer is loopback."""
    peer = request.remote or ""
    forwarded = request.headers.get("X-Real-IP", "").strip()
    try:
        if forwarded and ip_address(peer).is_loopback:
            return forwarded
    except ValueError:
        pass
    return peer


def refused(key: str, status: int) -> web.Response:
    text = message(f"web.refused.{key}")
    return web.Response(text=html("refused.j2", text=text), status=status, content_type="text/html")


class WebServer:
    """The web companion's sub-application and, without a webhook, its own server."""

    def __init__(
        self,
        db: Database,
        signer: LinkSigner,
        pages: WebPages,
        *,
        session_ttl: timedelta = timedelta(hours=1),
        rate_per_minute: int = 120,
        clock: Clock | None = None,
    ) -> None:
        self.db = db
        self.signer = signer
        self.pages = pages
        self.session_ttl = session_ttl
        self.limit = RateLimit(rate_per_minute)
        self.clock = clock or SystemClock()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- the application --------------------------------------------------------------------
    def app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._headers, self._rate, self._session], client_max_size=256 * 1024
        )
        app.router.add_get("/s.css", self.css)
        app.router.add_get("/", self.page, name="s:page")
        app.router.add_get("/tai/{what}", self.download, name="s:download")
        app.router.add_get("/{token}", self.link)
        return app

    def mount(self, parent: web.Application) -> None:
        """Serve under ``/w`` of another application (the webhook's)."""
        parent.add_subapp(PREFIX, self.app())

    async def start(self, listen: str = "127.0.0.1", port: int = 8080) -> None:
        """Its own server (polling, console): ``port`` 0 picks a free one (:attr:`port`)."""
        root = web.Application()
        self.mount(root)
        self._runner = web.AppRunner(root, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, listen, port)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.port = sockets[0].getsockname()[1] if sockets else port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def now(self) -> datetime:
        return self.clock.now()

    # -- middlewares ------------------------------------------------------------------------
    @web.middleware
    async def _headers(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            response = refused("not_found", 404) if exc.status == 404 else exc
        except Exception as exc:
            log.error("web page failed: %s", failure_place(exc))
            response = web.Response(status=500, text="500")
        response.headers.update(HEADERS)
        return response

    @web.middleware
    async def _rate(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not self.limit.allow(client_address(request)):
            return refused("rate", 429)
        return await handler(request)

    @web.middleware
    async def _session(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The grant of the session cookie for the pages that need one; a POST also needs
        the session's CSRF token."""
        name = request.match_info.route.name or ""
        if not name.startswith("s:"):
            return await handler(request)
        grant = self.signer.verify(request.cookies.get(COOKIE, ""))
        if isinstance(grant, Refusal):
            return refused("no_session", 401)
        if request.method == "POST":
            posted = await request.post()
            token = str(posted.get("csrf", ""))
            if not hmac.compare_digest(token, self.csrf(request.cookies[COOKIE])):
                return refused("csrf", 403)
        return await handler(request)

    def grant_of(self, request: web.Request) -> Grant:
        """The session's grant (the middleware refused the request without one)."""
        grant = self.signer.verify(request.cookies.get(COOKIE, ""))
        if isinstance(grant, Refusal):  # expired since the middleware looked
            raise web.HTTPUnauthorized()
        return grant

    def csrf(self, session: str) -> str:
        """The CSRF token of a session (a keyed digest of its cookie)."""
        return self.signer.mac("csrf", session)

    # -- handlers ---------------------------------------------------------------------------
    async def css(self, request: web.Request) -> web.Response:
        return web.Response(text=stylesheet(), content_type="text/css")

    async def link(self, request: web.Request) -> web.Response:
        grant = self.signer.verify(request.match_info["token"])
        if isinstance(grant, Refusal):
            return refused(grant.reason, 410 if grant.reason == "expired" else 403)
        session = self.signer.token(grant.person_id, grant.obj, ttl=self.session_ttl)
        response = web.Response(text=html("opening.j2"), content_type="text/html")
        response.set_cookie(
            COOKIE,
            session,
            path=PREFIX,
            max_age=int(self.session_ttl.total_seconds()),
            httponly=True,
            secure=True,
            samesite="Strict",
        )
        return response

    async def page(self, request: web.Request) -> web.Response:
        try:
            async with self.db.transaction(self.now()) as tx:
                text = await self.pages.page(tx, self.grant_of(request))
        except AccessDenied:
            return refused("no_right", 403)
        return web.Response(text=text, content_type="text/html")

    async def download(self, request: web.Request) -> web.Response:
        what = request.match_info["what"]
        try:
            async with self.db.transaction(self.now()) as tx:
                file = await self.pages.download(tx, self.grant_of(request), what)
        except AccessDenied:
            return refused("no_right", 403)
        if file is None:
            return refused("no_pdf" if what == "pdf" else "not_found", 404)
        disposition = "inline" if file.content_type.startswith("image/") else "attachment"
        return web.Response(
            body=file.data,
            content_type=file.content_type,
            headers={"Content-Disposition": f'{disposition}; filename="{file.filename}"'},
        )
