"""One library, several servers: how a server over a shared (``s3://``) library keeps up with
the others' commits and keeps the jobs that must run alone from running twice.

Reads are served from memory (the catalog and the indexes), so a server must notice when
another one wrote. Before a call is served, ``refresh`` asks the store whether any table has a
version this server did not write (at most every ``storage.refresh_seconds``; a check is one
listing per table) and, if so, re-reads the indexes, scene index first: a file's shots are shown
only once placed, and placement follows its commit, so the catalog read after it holds every
file the scene index places.

Jobs that change the bins from what the server holds in memory (a recluster, the placement of a
new file's shots, a correction) run ``exclusive``: under a lease in the store, after a refresh, so
they start from the latest bins and two servers never mint the same bin id. A local library has
one server, and none of this runs for it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator

from ..store import Store

log = logging.getLogger(__name__)

EXCLUSIVE_WAIT_S = 60.0
"""How long a job waits for another server's to finish before it fails, naming the holder."""


class SharedLibrary:
    def __init__(self, store: Store, shared: bool, refresh_seconds: float, reload: Callable[[], None]) -> None:
        self.store = store
        self.shared = shared
        self.refresh_seconds = refresh_seconds
        self._reload = reload
        self._checked = time.monotonic()
        self._lock = threading.Lock()  # one check at a time
        # one exclusive job or re-read at a time in this server: a re-read that swapped in the
        # catalog read before this server's own commit would hide that file until the next one
        self._writing = threading.RLock()
        self.reloads = 0  # how many times other servers' commits were read in (for status and tests)

    def refresh(self, force: bool = False) -> bool:
        """Read in other servers' commits if there are any; True when there were. Unforced, at
        most one check per ``refresh_seconds``, and a call that finds a check running goes on
        with the current view rather than queue behind it."""
        if not self.shared:
            return False
        if not force and time.monotonic() - self._checked < self.refresh_seconds:
            return False
        if not self._writing.acquire(blocking=force):
            return False  # this server is writing: the next call checks
        if not self._lock.acquire(blocking=force):
            self._writing.release()
            return False
        try:
            self._checked = time.monotonic()
            if not self.store.changed_elsewhere():
                return False
            started = time.monotonic()
            self._reload()
            self.reloads += 1
            log.info("read other servers' commits", extra={"seconds": round(time.monotonic() - started, 3)})
            return True
        finally:
            self._lock.release()
            self._writing.release()

    @contextlib.contextmanager
    def exclusive(self, job: str) -> Iterator[None]:
        """Run ``job`` alone across the servers of a shared library, on its latest state."""
        if not self.shared:
            yield
            return
        with self._writing, self.store.leased(job, wait_s=EXCLUSIVE_WAIT_S):
            self.refresh(force=True)
            yield
