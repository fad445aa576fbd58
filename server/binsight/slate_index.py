"""The slates of committed files, in memory, for names, bins, exports and the review lists.

One row per file that holds a slate (``records.SlateRecord``). An editor's entry is kept by path
as well as by media id, so it follows the file through a re-ingest of a changed version and wins
over every later read: what the editor typed is never overwritten by OCR.

Readers take ``snapshot()``, an immutable mapping replaced in one reference swap after each
write (the rule of ``snapshots``), so a list or an export never sees half a correction.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .records import SlateRecord, SlateSource
from .store import Store


class SlateIndex:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshot: Mapping[str, SlateRecord] = MappingProxyType({})

    def load(self) -> None:
        with self._lock:
            self._snapshot = MappingProxyType({s.media_id: s for s in self.store.slates.all()})

    def snapshot(self) -> Mapping[str, SlateRecord]:
        """Slates by media id (of every version ever read; readers keep the live files')."""
        return self._snapshot

    def editor_entry(self, path: str) -> SlateRecord | None:
        """What an editor typed for the file at ``path`` (any version), if anything."""
        typed = [s for s in self._snapshot.values() if s.path == path and s.source is SlateSource.EDITOR]
        return max(typed, key=lambda s: s.updated_at) if typed else None

    def put(self, media_id: str, record: SlateRecord | None) -> None:
        """The slate of one file (None: it has none)."""
        self.restore({media_id: record})

    def restore(self, rows: Mapping[str, SlateRecord | None]) -> None:
        """Set the rows of these files exactly as given (an undo puts back what was there)."""
        with self._lock:
            self.store.slates.upsert([r for r in rows.values() if r is not None])  # replaces by media id
            self.store.slates.delete([m for m, r in rows.items() if r is None])
            current = dict(self._snapshot)
            for media_id, record in rows.items():
                if record is None:
                    current.pop(media_id, None)
                else:
                    current[media_id] = record
            self._snapshot = MappingProxyType(current)

    def before(self, media_ids: Iterable[str]) -> dict[str, SlateRecord | None]:
        """The current rows of these files, for an undo."""
        return {m: self._snapshot.get(m) for m in media_ids}
