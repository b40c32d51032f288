"""A child process that ends with the process that started it (issue 16).

The document renderers (bot/app.py ``render_pool``) are spawned interpreters waiting on
their job queue; a bot worker killed with ``-9`` (or by the OOM killer) cannot shut its pool
down, and the queue they wait on never closes (each holds both of its ends), so they would
wait for ever — holding their memory and the worker's stdout and stderr, which a supervisor
reading those (or a test waiting for the killed worker) then never sees close. Each renderer
watches its parent instead: this module imports nothing of ours, so the renderers' imports
stay what rendering needs.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

#: how often a child looks whether its parent is still there (a ``getppid`` call: free)
INTERVAL = 0.5


def exit_with_parent(parent: int, then: Callable[[], None]) -> None:
    """In the child, first: end this process (``os._exit``) once ``parent`` (its starter's
    pid, taken in the starter: the child may start after the parent died) is no longer its
    parent, then go on with ``then`` (the pool's own initializer)."""
    threading.Thread(target=_watch, args=(parent,), name="lifeline", daemon=True).start()
    then()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(INTERVAL)
    os._exit(1)
