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
from collections import OrderedDict
from collections.abc import Callable, Hashable
from functools import _lru_cache_wrapper, lru_cache
from typing import Any, Generic, Protocol, TypeVar

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


class SnapshotMemo(Generic[R]):
    """Values computed from an immutable snapshot (a dossier as storage hands it out: shared,
    never mutated, a new object for each revision), kept for that same object: the /xem,
    /nop and end-of-form checks of one revision run once, not once per screen that shows
    them. An entry holds its snapshot, so the object (and its ``id``) lives as long as the
    entry; a different database or revision is a different object, never a stale hit.
    Bounded, least recently used first out, emptied with :func:`forget_typed_text`."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[tuple[int, Hashable], tuple[object, R]] = OrderedDict()
        forget_with_typed_text(self)

    def clear(self) -> None:
        self._values.clear()

    def __len__(self) -> int:
        return len(self._values)

    def get(self, snapshot: object, key: Hashable, make: Callable[[], R]) -> R:
        """``make()`` for (``snapshot``, ``key``), computed once while remembered."""
        slot = (id(snapshot), key)
        found = self._values.get(slot)
        if found is not None and found[0] is snapshot:
            self._values.move_to_end(slot)
            return found[1]
        value = make()
        self._values[slot] = (snapshot, value)
        self._values.move_to_end(slot)
        if len(self._values) > self.size:
            self._values.popitem(last=False)
        return value


def typed_text_caches() -> list[_lru_cache_wrapper[Any]]:
    """Every cache declared with :func:`remembered` (the benches print their hits and
    misses: whether real people's text still fits them)."""
    return list(_CACHES)


def typed_text_cached() -> int:
    """How many entries those caches hold now (for tests and the operator)."""
    held = sum(len(holder) for holder in list(_HOLDERS) if hasattr(holder, "__len__"))
    return held + sum(cache.cache_info().currsize for cache in _CACHES)
