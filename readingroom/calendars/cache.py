"""Caches for rendered feeds, calendar pages and API answers.

Keys are digests of everything a rendering depends on (the validators of the
data, the filters, the language, the seat counts…), so an entry is never
served for data that changed: a change gives a new key and the old entry ages
out. Each process keeps a copy bounded in bytes (least recently used entries
go first; an optional time-to-live bounds what keys cannot see). A
:class:`SharedCache` puts a shared store behind that: Redis through
Flask-Caching when ``REDIS_URL`` is set, so that one render per change serves
every worker of every instance; without it (``NullCache``) only the process's
own copy. Redis failing is not an error: the process renders for itself.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Generic, TypeVar

from flask import Request, current_app, g

log = logging.getLogger(__name__)

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

    def discard(self, key: str) -> None:
        with self._lock:
            entry = self._entries.pop(key, None)
            if entry is not None:
                self._size -= entry[1]

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


class SharedCache(Generic[V]):
    """An in-process :class:`LRUCache` in front of the app's Flask-Caching store (Redis).

    ``name`` prefixes the keys in the shared store; ``timeout`` (seconds) is
    both the local time-to-live and the shared one (``None``: the store's default).
    """

    def __init__(self, name: str, max_size: int, timeout: float | None = None) -> None:
        self.name = name
        self.timeout = timeout
        self.local: LRUCache[V] = LRUCache(max_size=max_size, ttl=timeout)

    def _store(self) -> Any:
        from ..extensions import cache

        if current_app.config.get("CACHE_TYPE") == "NullCache":
            return None
        return cache

    def get(self, key: str) -> V | None:
        value = self.local.get(key)
        if value is not None:
            return value
        store = self._store()
        if store is None:
            return None
        try:
            value = store.get(f"{self.name}:{key}")
        except Exception as exc:  # Redis away: render here
            log.warning("shared cache unavailable: %s", exc)
            return None
        if value is not None:
            self.local.put(key, value)
        return value

    def set(self, key: str, value: V) -> None:
        self.local.put(key, value)
        store = self._store()
        if store is None:
            return
        timeout = None if self.timeout is None else max(1, int(self.timeout))
        try:
            store.set(f"{self.name}:{key}", value, timeout=timeout)
        except Exception as exc:
            log.warning("shared cache unavailable: %s", exc)

    def clear(self) -> None:
        self.local.clear()


# --- compressed responses (Flask-Compress) --------------------------------------------------

#: Compressed bodies of the responses a view marked (compress_as), by that key.
compressed: SharedCache[bytes] = SharedCache("gz", max_size=16 * 1024 * 1024)


def compress_as(key: str) -> None:
    """Let Flask-Compress keep this response's compressed bytes under ``key`` (a digest
    of everything the body depends on). Responses without a key are compressed afresh."""
    g.compress_key = key


def compress_cache_key(request: Request) -> str:
    return g.get("compress_key") or ""


class _CompressBackend:
    """What Flask-Compress calls ``cache``: keys are ``"<algorithm>;<view's key>"``."""

    def get(self, key: str) -> bytes | None:
        if key.endswith(";"):
            return None
        return compressed.get(key)

    def set(self, key: str, value: bytes) -> None:
        # Flask-Compress sets after every hit too: only the first one is stored.
        if key.endswith(";") or compressed.local.get(key) is not None:
            return
        compressed.set(key, value)


def compress_cache_backend() -> _CompressBackend:
    return _CompressBackend()
