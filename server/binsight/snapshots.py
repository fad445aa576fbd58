"""Writers in transactions, readers on snapshots: the concurrency rule of the in-memory indexes.

A writer takes the owner's lock for a whole transaction (a correction, a file's placement); the
owner publishes an immutable snapshot when the outermost transaction ends, with one reference
swap. Readers only ever take the current snapshot, so they never wait behind a writer and never
see half a change.
"""

from __future__ import annotations

import contextlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class SnapshotOwner(ABC):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """Several changes as one: other writers wait, and readers see the result only when the
        outermost transaction ends."""
        with self._lock:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._publish()

    @abstractmethod
    def _publish(self) -> None:
        """Make the current state what readers see."""


class Derived(Generic[V]):
    """Values readers derive from snapshots (a bin's summary, its message, the review queue),
    kept from one read to the next while what they were made of is the very same objects. A
    snapshot publishes what did not change as the same objects again, so after a correction
    only what it touched is derived anew. ``limit``: at most this many kept (then all dropped)."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._kept: dict[Hashable, tuple[tuple[object, ...], V]] = {}

    def get(self, key: Hashable, inputs: tuple[object, ...], build: Callable[[], V]) -> V:
        hit = self._kept.get(key)
        if hit is not None and len(hit[0]) == len(inputs) and all(a is b for a, b in zip(hit[0], inputs)):
            return hit[1]
        value = build()
        if self.limit is not None and len(self._kept) >= self.limit:
            self._kept = {}
        self._kept[key] = (inputs, value)  # one dict store: safe for concurrent readers
        return value
