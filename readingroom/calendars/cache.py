"""Small in-process caches for rendered feeds and calendar pages.

Keys are digests of everything a rendering depends on (the validators of the
data, the filters, the language, the seat counts…), so an entry is never
served for data that changed: a change gives a new key and the old entry ages
out. Each process keeps its own copy; several gunicorn workers render the same
bytes because rendering is deterministic. Sizes are bounded (least recently
used entries go first); an optional time-to-live bounds what keys cannot see.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


def digest(*parts: object) -> str:
    """A short stable key for the parts (their ``repr``)."""
    return hashlib.sha256(repr(parts).encode("utf-8")).hexdigest()[:32]


_ALL: list[LRUCache] = []


def clear_all() -> None:
    """Empty every cache of this module (tests; after restoring a database)."""
    for cache in _ALL:
        cache.clear()


class LRUCache(Generic[V]):
    def __init__(self, max_size: int, ttl: float | None = None) -> None:
        self.max_size = max_size  # in units of size_of(value)
        self.ttl = ttl
        _ALL.append(self)
        self._entries: OrderedDict[str, tuple[float, int, V]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    @staticmethod
    def size_of(value: object) -> int:
        return len(value) if isinstance(value, bytes | str) else 1

    def get(self, key: str) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            stored, size, value = entry
            if self.ttl is not None and time.monotonic() - stored > self.ttl:
                del self._entries[key]
                self._size -= size
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: str, value: V) -> None:
        size = self.size_of(value)
        if size > self.max_size:
            return
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._entries[key] = (time.monotonic(), size, value)
            self._size += size
            while self._size > self.max_size:
                _, (_, dropped, _) = self._entries.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0
