"""Signed links: a token bound to one person and one object, expiring, signed with the
server's key (HMAC-SHA256).

A link is a bearer token: whoever holds it reads what it names, so it is short-lived (15
minutes by default), names only numbers (a person's and an object's id, never content) and
is checked again at every open — the signature and the expiry here, the person's role and
the dossier's status by the access gate (:mod:`handlers.web.grants`). A token is
``<payload>.<signature>``, both base64url; the payload is ``v1:<kind>:<person>:<object>:<expiry>``
with the expiry in Unix seconds.

API (stable; the Zalo channel uses it)::

    signer = LinkSigner(key, base_url="https://knd.example.vn", ttl=timedelta(minutes=15))
    url = signer.issue(person_id, Obj("dossier", dossier_id))      # the link to send
    token = signer.token(person_id, Obj("dossier", dossier_id))    # the token alone
    signer.verify(token)  # -> Grant(person_id, obj, expires) | Refusal(reason)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

#: What a link opens: a candidate's own dossier (read), their form (edit), a reviewer's view
#: of a submitted dossier, a unit's summary for its secretaries, a browser session.
ObjKind = Literal["dossier", "form", "review", "summary"]
OBJ_KINDS: frozenset[str] = frozenset({"dossier", "form", "review", "summary"})
RefusalReason = Literal["malformed", "tampered", "expired"]
DEFAULT_TTL = timedelta(minutes=15)
PATH = "/w/"  # the path a link opens under the base URL
_VERSION = "v1"
_SIG_BYTES = 32


@dataclass(frozen=True, slots=True)
class Obj:
    """The one object a link opens: ``kind`` and its id (a dossier's, or a unit's for
    ``summary``)."""

    kind: ObjKind
    id: int


@dataclass(frozen=True, slots=True)
class Grant:
    """A verified link: ``person_id`` may ask to open ``obj`` until ``expires`` (Unix s);
    whether they still may is the access gate's to say at open time."""

    person_id: int
    obj: Obj
    expires: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a token was not accepted (said to nobody but the log and the tests)."""

    reason: RefusalReason
    #: whose page an expired link opened (its kind: the page names how to get a new one);
    #: "" when the token cannot say
    kind: str = ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Issues and verifies signed links with one server key."""

    def __init__(
        self,
        key: bytes,
        *,
        base_url: str = "",
        ttl: timedelta = DEFAULT_TTL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if len(key) < 32:
            raise ValueError("the link key must be at least 32 bytes")
        self._key = key
        self.base_url = base_url.rstrip("/")
        self.ttl = ttl
        self.clock = clock

    def _sign(self, payload: bytes, purpose: bytes = b"link") -> bytes:
        return hmac.new(self._key, purpose + b"\0" + payload, hashlib.sha256).digest()

    def token(self, person_id: int, obj: Obj, *, ttl: timedelta | None = None) -> str:
        """The signed token for ``person_id`` to open ``obj`` for ``ttl`` (default: the
        signer's)."""
        if obj.kind not in OBJ_KINDS:
            raise ValueError(f"unknown object kind {obj.kind!r}")
        expires = int(self.clock() + (ttl or self.ttl).total_seconds())
        payload = f"{_VERSION}:{obj.kind}:{int(person_id)}:{int(obj.id)}:{expires}".encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def issue(self, person_id: int, obj: Obj, *, ttl: timedelta | None = None) -> str:
        """The link (base URL + ``/w/`` + token) for ``person_id`` to open ``obj``."""
        return f"{self.base_url}{PATH}{self.token(person_id, obj, ttl=ttl)}"

    def verify(self, token: str) -> Grant | Refusal:
        """The grant a token carries, or why it is refused: not a token of ours
        (``malformed``), a changed one (``tampered``), or an old one (``expired``)."""
        try:
            payload_text, sig_text = token.strip().split(".")
            payload, sig = _unb64(payload_text), _unb64(sig_text)
        except ValueError:
            return Refusal("malformed")
        if len(sig) != _SIG_BYTES or not hmac.compare_digest(sig, self._sign(payload)):
            return Refusal("tampered")
        try:
            version, kind, person, obj_id, expires = payload.decode().split(":")
            grant = Grant(int(person), Obj(kind, int(obj_id)), int(expires))  # type: ignore[arg-type]
        except ValueError:
            return Refusal("malformed")
        if version != _VERSION or kind not in OBJ_KINDS:
            return Refusal("malformed")
        if grant.expires <= self.clock():
            return Refusal("expired", kind)
        return grant

    def mac(self, purpose: str, text: str) -> str:
        """A keyed digest of ``text`` for another ``purpose`` (the web's CSRF tokens), never
        equal to a link's signature."""
        return _b64(self._sign(text.encode(), purpose.encode()))
