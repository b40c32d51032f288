"""Per-process caches keyed by what people typed, and one way to empty them all.

Why: parsing, classifying and rendering the same typed text again is wasted work, so those
steps keep small ``lru_cache``s (issue 17). But an erasure (issue 11) must leave no copy of
the person's answers behind, not even in a worker's memory: every such cache is declared
with :func:`remembered` instead of ``lru_cache``, and :func:`forget_typed_text` empties them
all after an erasure commits, in this process and (through the periodic job that watches
the audit log) in every other worker.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from functools import _lru_cache_wrapper, lru_cache
from typing import Any, Protocol, TypeVar

R = TypeVar("R")

_CACHES: list[_lru_cache_wrapper[Any]] = []


class Clearable(Protocol):
    def clear(self) -> None: ...


#: Other holders of derived content (the web pages' revision cache), weakly: they go with
#: their owner.
_HOLDERS: weakref.WeakSet[Any] = weakref.WeakSet()


def remembered(maxsize: int) -> Callable[[Callable[..., R]], _lru_cache_wrapper[R]]:
    """``lru_cache(maxsize)`` that :func:`forget_typed_text` empties."""

    def wrap(function: Callable[..., R]) -> _lru_cache_wrapper[R]:
        cached = lru_cache(maxsize=maxsize)(function)
        _CACHES.append(cached)
        return cached

    return wrap


def forget_with_typed_text(holder: Clearable) -> None:
    """Have :func:`forget_typed_text` also clear ``holder`` (held weakly)."""
    _HOLDERS.add(holder)


def forget_typed_text() -> None:
    """Empty every cache that may hold typed text (after an erasure)."""
    for cache in _CACHES:
        cache.cache_clear()
    for holder in list(_HOLDERS):
        holder.clear()


def typed_text_cached() -> int:
    """How many entries those caches hold now (for tests and the operator)."""
    return sum(cache.cache_info().currsize for cache in _CACHES)
