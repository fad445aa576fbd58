"""The catalog: every committed file with its shots, keyframes and faces (without vectors), in
memory, for the read side of the API.

Why in memory: lists and trees are what panels and the review page ask for all the time, and
reading them from LanceDB on every request made list calls wait behind ingest writes and, worse,
let a reader see a file's shots before its commit row. The catalog is loaded once, and a file is
added only after its commit, in one reference swap, so readers see whole files or nothing.
"""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .records import FaceRecord, KeyframeRecord, MediaRecord, ShotRecord
from .store import Store


@dataclass(frozen=True)
class MediaEntry:
    """One committed file and everything of it the read side shows."""

    media: MediaRecord
    shots: tuple[ShotRecord, ...]  # in file order
    keyframes: Mapping[str, tuple[KeyframeRecord, ...]]  # by shot, in frame order
    faces: Mapping[str, tuple[FaceRecord, ...]]  # by shot, in frame order


@dataclass(frozen=True)
class CatalogSnapshot:
    entries: Mapping[str, MediaEntry] = field(default_factory=dict)  # by media id
    shots: Mapping[str, ShotRecord] = field(default_factory=dict)
    keyframes: Mapping[str, KeyframeRecord] = field(default_factory=dict)  # by keyframe id
    faces: Mapping[str, FaceRecord] = field(default_factory=dict)  # by face id

    @property
    def media(self) -> dict[str, MediaRecord]:
        return {mid: e.media for mid, e in self.entries.items()}

    def media_of(self, shot: ShotRecord) -> MediaRecord:
        return self.entries[shot.media_id].media

    def keyframes_of(self, shot_id: str) -> tuple[KeyframeRecord, ...]:
        shot = self.shots.get(shot_id)
        return self.entries[shot.media_id].keyframes.get(shot_id, ()) if shot else ()

    def faces_of(self, shot_id: str) -> tuple[FaceRecord, ...]:
        shot = self.shots.get(shot_id)
        return self.entries[shot.media_id].faces.get(shot_id, ()) if shot else ()

    def in_order(self, shot_ids: Iterable[str] | None = None) -> list[ShotRecord]:
        """Shots by file path, then position in the file (the order an editor reads a bin)."""
        chosen = self.shots.values() if shot_ids is None else (self.shots[s] for s in shot_ids if s in self.shots)
        rank = self._rank
        return sorted(chosen, key=lambda s: rank[s.shot_id])

    @functools.cached_property
    def _rank(self) -> dict[str, int]:
        """Every shot's place in reading order, worked out once per snapshot: a bin of a 100k-shot
        project is then ordered by one lookup a shot, not by comparing paths."""
        ordered = sorted(self.entries.values(), key=lambda e: e.media.path)
        return {s.shot_id: n for n, s in enumerate(s for e in ordered for s in e.shots)}


class Catalog:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._snapshot = CatalogSnapshot()

    def load(self) -> None:
        media = self.store.media.all()
        shots = _group(self.store.shots.all())
        keyframes = _group(self.store.keyframes.without_vectors())
        faces = _group(self.store.faces.without_vectors())
        entries = [_entry(m, shots.get(m.media_id, []), keyframes.get(m.media_id, []), faces.get(m.media_id, []))
                   for m in media]
        with self._lock:
            self._snapshot = _snapshot({e.media.media_id: e for e in entries})

    def snapshot(self) -> CatalogSnapshot:
        return self._snapshot

    def replace_media(self, added: str | None, removed: Iterable[str] = ()) -> None:
        """Show a committed file (``added``, read back from the store) and stop showing the
        versions it retired (``removed``)."""
        entry = None
        if added is not None:
            media = self.store.media.get(added)
            if media is not None:
                entry = _entry(media, self.store.shots.of_media(added), self.store.keyframes.without_vectors(added),
                               self.store.faces.without_vectors(added))
        gone = set(removed)
        with self._lock:
            entries = {mid: e for mid, e in self._snapshot.entries.items() if mid not in gone}
            if entry is not None:
                entries[entry.media.media_id] = entry
            self._snapshot = _snapshot(entries)


def _group(rows: Iterable) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for row in rows:
        out[row.media_id].append(row)
    return out


def _entry(media: MediaRecord, shots: list[ShotRecord], keyframes: list[KeyframeRecord],
           faces: list[FaceRecord]) -> MediaEntry:
    by_shot_k: dict[str, list[KeyframeRecord]] = defaultdict(list)
    for k in keyframes:
        by_shot_k[k.shot_id].append(k)
    by_shot_f: dict[str, list[FaceRecord]] = defaultdict(list)
    for f in faces:
        by_shot_f[f.shot_id].append(f)
    return MediaEntry(media, tuple(sorted(shots, key=lambda s: s.index)),
                      {sid: tuple(sorted(v, key=lambda k: k.frame)) for sid, v in by_shot_k.items()},
                      {sid: tuple(sorted(v, key=lambda f: (f.frame, f.face_id))) for sid, v in by_shot_f.items()})


def _snapshot(entries: dict[str, MediaEntry]) -> CatalogSnapshot:
    """Indexes over the entries. Building them is O(shots) dict work, milliseconds at 100k."""
    return CatalogSnapshot(
        entries=entries,
        shots={s.shot_id: s for e in entries.values() for s in e.shots},
        keyframes={k.keyframe_id: k for e in entries.values() for ks in e.keyframes.values() for k in ks},
        faces={f.face_id: f for e in entries.values() for fs in e.faces.values() for f in fs})
