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
from collections.abc import Iterator


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
