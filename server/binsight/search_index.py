"""The search index: every keyframe vector of the active scene model in a LanceDB table with the
columns search filters on, kept in step with the catalog by the server, searched by LanceDB.

Why a table of its own: the scene index keeps vectors per shot in memory for clustering, and
scoring every one of them in Python does not hold at a feature film's dailies (a million
keyframes). Here the filters (file, faces, duration, rate, shoot date, reel) are columns, so they
go into the LanceDB query as a prefilter and the nearest-neighbour step only sees the rows they let
through. Which bin a shot is in and who is on screen change with every correction, so they are not
columns: a bin or person filter becomes a shot-id clause built from the live indexes when the query
is made, and nothing has to be rewritten after a correction or a recluster.

Exact (a flat scan) below ``SearchSettings.index_threshold`` rows; at or above it the server
trains a vector index in a background thread (ingest never waits for it), folds new rows into it
as files arrive and retrains it once the rows not in it outnumber those in it. Rows not yet in the
index are still searched (LanceDB scans them flat), so a search never misses a fresh file. The
index type and parameters are chosen by ``bench/search.py`` (see the README's Search section).
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable
from datetime import datetime, timezone

import numpy as np
import pyarrow as pa

from .catalog import Catalog, CatalogSnapshot
from .config import SearchSettings
from .records import SearchRowRecord
from .store import RowFilter, SearchTable, Store, VectorHit, VectorIndexInfo

log = logging.getLogger(__name__)


def shoot_date(creation_time: str) -> str:
    """A file's creation time as the table stores it: UTC ``YYYY-MM-DDTHH:MM:SS`` (sorts as
    text), or "" when the file gives none or an unreadable one."""
    if not creation_time:
        return ""
    try:
        when = datetime.fromisoformat(creation_time.strip())
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    return when.strftime("%Y-%m-%dT%H:%M:%S")


def rows_of(catalog: CatalogSnapshot, media_id: str, vectors: pa.Table) -> list[SearchRowRecord]:
    """The search rows of one committed file, from its keyframe vectors (keyframe_id, shot_id,
    vector) and its catalog entry (the filter columns)."""
    entry = catalog.entries[media_id]
    media = entry.media
    shots = {s.shot_id: s for s in entry.shots}
    records = []
    kids, sids, vecs = (vectors.column(n).to_pylist() for n in ("keyframe_id", "shot_id", "vector"))
    for kid, sid, vec in zip(kids, sids, vecs):
        shot = shots.get(sid)
        if shot is None:
            continue
        records.append(SearchRowRecord(
            keyframe_id=kid, shot_id=sid, media_id=media_id, has_faces=bool(entry.faces.get(sid)),
            duration_s=round(shot.end_s - shot.start_s, 6), frame_rate=media.frame_rate,
            shot_date=shoot_date(media.creation_time), reel=media.reel, vector=np.asarray(vec, np.float32)))
    return records


class SearchIndex:
    def __init__(self, store: Store, catalog: Catalog, model_id: str, dim: int, settings: SearchSettings) -> None:
        self.store = store
        self.catalog = catalog
        self.model_id = model_id
        self.settings = settings
        self.table: SearchTable = store.search_table(model_id, dim)
        self._lock = threading.Lock()  # one sync at a time
        self._worker: threading.Thread | None = None
        self._again = False
        self._worker_lock = threading.Lock()
        self._tried_rows = -1  # rows at the last (re)training attempt
        self._rows = self.table.count()
        self._indexed = bool(self.table.index_info().kind)

    # -- keeping it in step -----------------------------------------------------------------------
    def load(self) -> None:
        """At start-up: add the files the table misses (written before it existed, or committed
        just before a crash), drop those no longer committed; then index if large enough."""
        snapshot = self.catalog.snapshot()
        wanted = {mid for mid, e in snapshot.entries.items() if e.media.scene_model_id == self.model_id}
        have = set(self.table.media_counts())
        self._sync(snapshot, added=sorted(wanted - have), removed=sorted(have - wanted))
        self._maintain()  # a table that grew past the threshold under an older setting

    def replace_media(self, added: str | None, removed: Iterable[str] = ()) -> None:
        """After a file's commit (the catalog already shows it): its rows in, the rows of the
        versions it retired out. A forced re-ingest of the same content keeps its media id, so
        the added file's old rows go too."""
        snapshot = self.catalog.snapshot()
        gone = set(removed) | ({added} if added else set())
        keep = [added] if added and snapshot.entries.get(added) is not None \
            and snapshot.entries[added].media.scene_model_id == self.model_id else []
        self._sync(snapshot, added=keep, removed=sorted(gone))

    def rebuild(self) -> None:
        """After a re-embed: every file again, from the store."""
        snapshot = self.catalog.snapshot()
        self._sync(snapshot, added=sorted(mid for mid, e in snapshot.entries.items()
                                          if e.media.scene_model_id == self.model_id),
                   removed=sorted(self.table.media_counts()))

    def _sync(self, snapshot: CatalogSnapshot, added: list[str], removed: list[str]) -> None:
        with self._lock:
            if removed:
                self.table.delete_media_rows(removed)
            for mid in added:
                vectors = self.store.keyframes.vector_rows(self.model_id, mid)
                self.table.add(rows_of(snapshot, mid, vectors))
            self._rows = self.table.count()
        if added or removed:
            self._maintain()

    # -- the vector index -------------------------------------------------------------------------
    def _maintain(self) -> None:
        """Start the background indexer when the table needs it; one runs at a time, and a
        request during a run makes it look again when done."""
        with self._worker_lock:
            if self._worker is not None and self._worker.is_alive():
                self._again = True
                return
            self._again = False
            self._worker = threading.Thread(target=self._index_work, name="search-index", daemon=True)
            self._worker.start()

    def _index_work(self) -> None:
        while True:
            try:
                self._index_once()
            except Exception:  # noqa: BLE001 - searches stay exact (flat) until the next attempt
                log.exception("search index build failed", extra={"model_id": self.model_id})
            with self._worker_lock:
                if not self._again:
                    return
                self._again = False

    def _index_once(self) -> None:
        rows = self.table.count()
        if rows < self.settings.index_threshold:
            return
        info = self.table.index_info()
        if (not info.kind or info.unindexed_rows > info.indexed_rows) and rows != self._tried_rows:
            self._tried_rows = rows
            params = self._index_params(rows)
            log.info("building search index", extra={"model_id": self.model_id, "rows": rows, **params})
            self.table.build_index(self.settings.index_type, **params)
            self._indexed = True
        elif info.kind and info.unindexed_rows * 10 > info.indexed_rows:
            self.table.optimize()  # folds the new rows into the existing indexes (no retraining)

    def _index_params(self, rows: int) -> dict[str, int]:
        partitions = self.settings.partitions or max(1, round(rows / 4096))
        params = {"num_partitions": min(partitions, max(1, rows // 2))}
        if self.settings.index_type.endswith("PQ"):
            dim = self.table.dim
            params["num_sub_vectors"] = next(n for n in (dim // 8, dim // 4, dim // 2, dim, 1) if n and dim % n == 0)
        return params

    def wait(self, timeout: float | None = None) -> None:
        """Until the background indexer is idle (tests and the bench)."""
        while True:
            with self._worker_lock:
                worker = self._worker
            if worker is None or not worker.is_alive():
                return
            worker.join(timeout)
            if timeout is not None:
                return

    def info(self) -> VectorIndexInfo:
        return self.table.index_info()

    # -- queries ----------------------------------------------------------------------------------
    @property
    def exact(self) -> bool:
        """A flat scan: below the threshold, or before the first index is trained. Read from
        what the last sync and build saw (asking LanceDB for its indexes costs a query's time)."""
        return self._rows < self.settings.index_threshold or not self._indexed

    def nearest_shots(self, vector: np.ndarray, row_filter: RowFilter, shots: int) -> dict[str, VectorHit]:
        """The ``shots`` shots with a keyframe most like ``vector``, each by its best keyframe.
        A shot has several keyframe rows, so rows are fetched until enough distinct shots are
        found (or the filter's rows run out)."""
        exact = self.exact
        k = shots * 3
        while True:
            rows = self.table.nearest(vector, row_filter, k, exact, self.settings.nprobes,
                                      self.settings.refine_factor, self.settings.ef)
            best: dict[str, VectorHit] = {}
            for hit in rows:
                if hit.shot_id not in best or hit.score > best[hit.shot_id].score:
                    best[hit.shot_id] = hit
            if len(best) >= shots or len(rows) < k:
                ranked = sorted(best.values(), key=lambda h: -h.score)[:shots]
                return {h.shot_id: h for h in ranked}
            k *= 2

    def matching(self, row_filter: RowFilter) -> set[str]:
        return self.table.matching(row_filter)

    def keyframe_vector(self, keyframe_id: str) -> np.ndarray | None:
        return self.table.vectors_of([keyframe_id]).get(keyframe_id)


def normalized(vectors: np.ndarray) -> np.ndarray:
    """Mean direction of one or more vectors, unit length (a zero vector stays zero)."""
    v = np.atleast_2d(np.asarray(vectors, np.float32))
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    mean = (v / np.where(norms > 0, norms, 1)).mean(axis=0)
    n = float(np.linalg.norm(mean))
    return mean / n if n > 0 and math.isfinite(n) else mean
