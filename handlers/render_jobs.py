"""What crosses the rendering pool (handlers/rendering.py): a document job as bytes, and the
functions a rendering worker runs on it.

Why a module of its own: a worker (bot/app.py ``render_pool``, a spawned interpreter) imports
the module of each function it is sent. The one it runs for every draft lives here, beside the
job it decodes, and imports only the form, the dossier, a flag and the .docx code — not the
renderer's side in the bot (asyncio, the replies, the rule engine through ``forms.checks``),
which cost each worker ≈ 3.5 MB of memory it never used (issue 17).
"""

from __future__ import annotations

import dataclasses
import gc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson

from forms.dossier import Dossier
from forms.flags import Flag


@dataclass(frozen=True)
class DossierJob:
    """One dossier document to render: what :func:`render_dossier_job` needs, picklable."""

    dossier: Dossier
    draft: bool
    flags: tuple[Flag, ...] | None

    def encode(self) -> Deferred:
        """The job as bytes (JSON), to travel through the outbox and to a worker."""
        flags = [dataclasses.asdict(f) for f in self.flags] if self.flags is not None else None
        body = {"dossier": self.dossier.to_dict(), "draft": self.draft, "flags": flags}
        return Deferred(orjson.dumps(body))

    @classmethod
    def decode(cls, data: bytes) -> DossierJob:
        """The job :meth:`encode` wrote. The dossier is validated as the model it was
        (types, in pydantic's core), not read as a file again (:func:`read_dossier`: every
        text cleaned, every key checked against the form: most of a draft's CPU once the
        rendering was made cheap). That is safe because only the bot writes a job, from a
        :class:`Dossier` already read that way, into its own outbox; and the renderer
        escapes and cleans every text it writes into the document anyway."""
        body = orjson.loads(data)
        flags = body["flags"]
        return cls(
            Dossier.model_validate(body["dossier"]),
            bool(body["draft"]),
            tuple(Flag(**f) for f in flags) if flags is not None else None,
        )


class Deferred(bytes):
    """A document not rendered yet: the encoded :class:`DossierJob`, carried where the
    file's bytes will be (``Document.data``) until the sender or the router resolves it."""


def render_dossier_job(job: DossierJob) -> bytes:
    """Render ``job`` (in a worker process, or in place)."""
    from forms.document import render_dossier

    flags = list(job.flags) if job.flags is not None else None
    return render_dossier(job.dossier, draft=job.draft, flags=flags)


def render_deferred(data: bytes) -> bytes:
    """Render an encoded job (in a worker: the decoding is off the event loop too)."""
    return render_dossier_job(DossierJob.decode(data))


def warm_worker() -> None:
    """Load what a rendering needs before the first job: the form, the base document, the
    packages of a draft and of a final (forms/document/shell.py) and the prepared formats
    (an empty dossier's draft and final, rendered and dropped, make most of them)."""
    from forms.definition import load_form
    from forms.document import render_dossier

    load_form()
    for draft in (True, False):
        render_dossier(Dossier(), draft=draft, flags=[])


def prepare_worker() -> None:
    """A new rendering worker (bot/app.py ``render_pool``), before its first job: warmed,
    then what it loaded moved out of the garbage collector's reach (``gc.freeze``: the form
    and the prepared parts live as long as the process; no collection need walk them)."""
    warm_worker()
    gc.collect()
    gc.freeze()


def call(function: Callable[..., bytes], args: tuple[Any, ...], kwargs: dict[str, Any]) -> bytes:
    return function(*args, **kwargs)
