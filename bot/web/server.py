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
from handlers.web.invites import join
from handlers.web.links import PATH, Grant, LinkSigner, Obj, Refusal
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


def refused(key: str, status: int, kind: str = "") -> web.Response:
    """A refusal page; ``kind`` (the link's, when known) says how its reader gets a new
    link: a candidate /web, a reviewer «Xem», a secretary /tinhhinh."""
    again = message("web.refused.again", kind=kind)
    return refused_text(message(f"web.refused.{key}", again=again), status)


def refused_text(text: str, status: int) -> web.Response:
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
        app.router.add_get("/phan/{part:\\d{1,2}}", self.form_part, name="s:form")
        app.router.add_post("/phan/{part:\\d{1,2}}", self.save_part, name="s:save")
        app.router.add_get("/moi/{code:[A-Za-z0-9-]{4,24}}", self.invite)
        app.router.add_post("/moi/{code:[A-Za-z0-9-]{4,24}}", self.accept_invite)
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
            if exc.status != 404:
                exc.headers.update(HEADERS)
                raise
            response = refused("not_found", 404)
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
            return refused("no_session", 401, grant.kind)
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
            return refused(grant.reason, 410 if grant.reason == "expired" else 403, grant.kind)
        session = self.signer.token(grant.person_id, grant.obj, ttl=self.session_ttl)
        response = web.Response(text=html("opening.j2"), content_type="text/html")
        self._set_session(response, session)
        return response

    async def invite(self, request: web.Request) -> web.Response:
        """A candidate invite opened on the web: the consent first."""
        code = request.match_info["code"]
        async with self.db.transaction(self.now()) as tx:
            text = await self.pages.invite_page(tx, code, csrf=self.signer.mac("consent", code))
        if text is None:
            return refused_text(message("web.invite.unknown"), 404)
        return web.Response(text=text, content_type="text/html")

    async def accept_invite(self, request: web.Request) -> web.Response:
        """«Tôi đồng ý»: the person, consent, role and dossier stored, and a form session."""
        code = request.match_info["code"]
        posted = await request.post()
        csrf = self.signer.mac("consent", code)
        if not hmac.compare_digest(str(posted.get("csrf", "")), csrf):
            return refused("csrf", 403)
        name = " ".join(str(posted.get("ten", "")).split())
        async with self.db.transaction(self.now()) as tx:
            if not name:
                error = message("web.invite.name_needed")
                text = await self.pages.invite_page(tx, code, csrf=csrf, error=error)
                if text is not None:
                    return web.Response(text=text, content_type="text/html", status=422)
                joined = None
            else:
                joined = await join(tx, code, name)
        if joined is None:
            return refused_text(message("web.invite.unknown"), 404)
        obj = Obj("form", joined.record.id)
        response = web.Response(status=303, headers={"Location": f"{PREFIX}/phan/0"})
        self._set_session(response, self.signer.token(joined.person.id, obj, ttl=self.session_ttl))
        return response

    def _set_session(self, response: web.StreamResponse, session: str) -> None:
        response.set_cookie(
            COOKIE,
            session,
            path=PREFIX,
            max_age=int(self.session_ttl.total_seconds()),
            httponly=True,
            secure=True,
            samesite="Strict",
        )

    async def page(self, request: web.Request) -> web.Response:
        try:
            async with self.db.transaction(self.now()) as tx:
                text = await self.pages.page(tx, self.grant_of(request))
        except AccessDenied:
            return refused("no_right", 403)
        return web.Response(text=text, content_type="text/html")

    async def form_part(self, request: web.Request) -> web.Response:
        """A part of the form (``?luu``: just saved)."""
        part = int(request.match_info["part"])
        csrf = self.csrf(request.cookies[COOKIE])
        saved = "luu" in request.query
        try:
            async with self.db.transaction(self.now()) as tx:
                text = await self.pages.form_page(
                    tx, self.grant_of(request), part, csrf=csrf, saved=saved
                )
        except AccessDenied:
            return refused("no_right", 403)
        except IndexError:
            return refused("not_found", 404)
        return web.Response(text=text, content_type="text/html")

    async def save_part(self, request: web.Request) -> web.Response:
        """A posted part: stored, then the part again (the next one when asked), or the
        part with what did not parse, as typed, and why."""
        part = int(request.match_info["part"])
        posted = {k: v for k, v in (await request.post()).items() if isinstance(v, str)}
        grant, csrf = self.grant_of(request), self.csrf(request.cookies[COOKIE])
        try:
            async with self.db.transaction(self.now()) as tx:
                reading = await self.pages.save_part(tx, grant, part, posted)
                if reading.held_at is not None:
                    text = self.pages.confirm_page(part, posted, reading)
                    return web.Response(text=text, content_type="text/html")
                if reading.errors:
                    text = await self.pages.form_page(
                        tx, grant, part, csrf=csrf, reading=reading, saved=True
                    )
                    return web.Response(text=text, content_type="text/html", status=422)
        except AccessDenied:
            return refused("no_right", 403)
        except IndexError:
            return refused("not_found", 404)
        after = part + 1 if posted.get("di") == "tiep" else part
        raise web.HTTPSeeOther(f"{PREFIX}/phan/{after}?luu")

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
