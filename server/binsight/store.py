"""The project store: an embedded LanceDB database under the data dir, one table per record type
of ``records.py``.

Schemas are derived from the record classes (as LanceDB's ``LanceModel.to_arrow_schema`` does for
pydantic models), and each table offers the queries its callers need, so no caller writes a filter
string. The one write that must be all-or-nothing is ``commit_media``: a file's shots, keyframes
and faces first, its ``media`` row last. The media row is the commit marker: on open, rows whose
media row is missing (a crash mid-ingest) are removed, so a reader never sees half a file.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import logging
import fcntl
import os
import socket
import threading
import time
import typing
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any, Generic, TypeVar

import lancedb
from lancedb.index import Bitmap, BTree, IvfFlat, IvfHnswPq, IvfHnswSq, IvfPq, IvfRq, IvfSq
import numpy as np
import pyarrow as pa

from .faults import fault_point
from . import records as r
from .errors import Conflict
from .migrations import migrate

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
JOURNAL_PREFIX = "journal-"  # meta rows holding an atomic group of writes until it is made

R = TypeVar("R")


# ------------------------------------------------------------------------------------------------
# record <-> Arrow: one codec per field type
# ------------------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class _Codec:
    arrow: pa.DataType
    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


_SCALARS: dict[Any, _Codec] = {
    str: _Codec(pa.string(), _same, _same),
    int: _Codec(pa.int64(), int, _same),
    float: _Codec(pa.float64(), float, _same),
    bool: _Codec(pa.bool_(), bool, _same),
    bytes: _Codec(pa.binary(), bytes, _same),
    Fraction: _Codec(pa.string(), lambda f: f"{f.numerator}/{f.denominator}", Fraction),
    np.ndarray: _Codec(pa.list_(pa.float32()), lambda v: np.asarray(v, np.float32).reshape(-1).tolist(),
                       lambda v: np.asarray(v, np.float32)),
    str | None: _Codec(pa.string(), lambda v: "" if v is None else v, lambda v: v or None),
}


def _codec(hint: Any) -> _Codec:
    if hint in _SCALARS:
        return _SCALARS[hint]
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return _Codec(pa.string(), str, hint)
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if item is float:
            return _Codec(pa.list_(pa.float32()), lambda v: [float(x) for x in v], lambda v: tuple(v or ()))
        if dataclasses.is_dataclass(item):
            inner = _codecs(item)
            struct = pa.struct([(name, c.arrow) for name, c in inner.items()])
            return _Codec(
                pa.list_(struct),
                lambda v: [{n: c.encode(getattr(x, n)) for n, c in inner.items()} for x in v],
                lambda v: tuple(item(**{n: c.decode(d[n]) for n, c in inner.items()}) for d in v or ()))
        inner_codec = _codec(item)
        return _Codec(pa.list_(inner_codec.arrow), lambda v: [inner_codec.encode(x) for x in v],
                      lambda v: tuple(inner_codec.decode(x) for x in v or ()))
    raise TypeError(f"no store column type for {hint!r}")


_CODECS: dict[type, dict[str, _Codec]] = {}


def _codecs(record_type: type) -> dict[str, _Codec]:
    if record_type not in _CODECS:
        hints = typing.get_type_hints(record_type, vars(r))
        _CODECS[record_type] = {f.name: _codec(hints[f.name]) for f in dataclasses.fields(record_type)}
    return _CODECS[record_type]


def schema_of(record_type: type) -> pa.Schema:
    """The Arrow schema of a record class: one column per field, in field order."""
    return pa.schema([pa.field(name, c.arrow) for name, c in _codecs(record_type).items()])


def to_arrow(record_type: type[R], records: Iterable[R]) -> pa.Table:
    codecs = _codecs(record_type)
    rows = [{name: c.encode(getattr(rec, name)) for name, c in codecs.items()} for rec in records]
    return pa.Table.from_pylist(rows, schema=schema_of(record_type))


def encode(record: Any) -> dict[str, Any]:
    """A record as plain JSON-able values, as the store writes it (for undo data)."""
    return {name: c.encode(getattr(record, name)) for name, c in _codecs(type(record)).items()}


def decode(record_type: type[R], row: dict[str, Any]) -> R:
    return from_rows(record_type, [row])[0]


def from_rows(record_type: type[R], rows: Iterable[dict[str, Any]]) -> list[R]:
    codecs = _codecs(record_type)
    return [record_type(**{name: c.decode(row[name]) for name, c in codecs.items()})  # type: ignore[call-arg]
            for row in rows]


def _quote(value: str) -> str:
    """A SQL string literal for LanceDB filters (ids are ours, paths are not)."""
    return "'" + str(value).replace("'", "''") + "'"


def _in(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(_quote(v) for v in values)})"


# ------------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------------
_journal: contextvars.ContextVar[list | None] = contextvars.ContextVar("binsight_journal", default=None)
"""The writes of the atomic group this thread is in (``Store.atomic``), held back until it ends."""


class Table(Generic[R]):
    """One LanceDB table of one record type, keyed by one field. Writes are serialised by the
    store's lock (LanceDB commits one version per write); reads see the version last checked
    out, which is the latest for this process's own writes.

    Other servers on the same library commit too. Each write notes the version it produced, and
    a write that lands more than one version past the one it started from was rebased by Lance
    over someone else's commit; ``changed_elsewhere`` checks out the latest version and says
    whether anyone else wrote since, so the server knows when to re-read its indexes."""

    name: str
    record: type[R]
    key: str

    def __init__(self, db: Any, lock: "WriteLock") -> None:
        self._lock = lock
        existing = set(db.list_tables().tables)
        if self.name in existing:
            self._table = db.open_table(self.name)
        else:
            try:
                self._table = db.create_table(self.name, schema=schema_of(self.record))
            except (ValueError, OSError):  # another server created it first
                self._table = db.open_table(self.name)
        self._seen = self._table.version
        self._foreign = False

    def _write(self, action: Callable[[], Any]) -> None:
        """One LanceDB write, on top of the newest version once another process has written
        (an upsert on a stale version would insert a second row for a key it cannot see), noting
        whether another writer's commit came in before or underneath it. A commit Lance cannot
        rebase after its retries raises here: never dropped silently."""
        with self._lock:
            if self._lock.shared:
                self._table.checkout_latest()
            before = self._table.version
            self._foreign = self._foreign or before != self._seen
            action()
            after = self._table.version
            self._foreign = self._foreign or after != before + 1
            self._seen = after

    def changed_elsewhere(self) -> bool:
        """Check out the latest version; True when a writer other than this process committed
        since the last check."""
        with self._lock:
            self._table.checkout_latest()
            latest = self._table.version
            changed = self._foreign or latest != self._seen
            self._seen, self._foreign = latest, False
            return changed

    # -- reads -----------------------------------------------------------------------------------
    def _arrow(self, where: str | None = None, columns: Sequence[str] | None = None) -> pa.Table:
        query = self._table.search()
        if where:
            query = query.where(where)
        if columns:
            query = query.select(list(columns))
        result = query.limit(None).to_arrow()
        return result.select(list(columns) if columns else schema_of(self.record).names)

    def _where(self, where: str | None) -> list[R]:
        return from_rows(self.record, self._arrow(where).to_pylist())

    def all(self) -> list[R]:
        return self._where(None)

    def get(self, key: str) -> R | None:
        found = self._where(f"{self.key} = {_quote(key)}")
        return found[0] if found else None

    def get_many(self, keys: Iterable[str]) -> list[R]:
        keys = list(keys)
        return self._where(_in(self.key, keys)) if keys else []

    def keys(self) -> set[str]:
        return set(self._arrow(columns=[self.key]).column(self.key).to_pylist())

    def count(self) -> int:
        return self._table.count_rows()

    # -- writes ----------------------------------------------------------------------------------
    def add(self, records: Iterable[R]) -> None:
        if self._journaled("add", records):
            return
        data = to_arrow(self.record, records)
        if data.num_rows:
            self._write(lambda: self._table.add(data))

    def upsert(self, records: Iterable[R]) -> None:
        """Insert or replace by key; of several records with one key the last wins (a merge
        with duplicate source keys is an error in LanceDB)."""
        unique = {getattr(rec, self.key): rec for rec in records}
        if not unique or self._journaled("upsert", unique.values()):
            return
        data = to_arrow(self.record, unique.values())
        self._write(lambda: (self._table.merge_insert(self.key).when_matched_update_all()
                             .when_not_matched_insert_all().execute(data)))

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self._delete(_in(self.key, keys))

    def _delete(self, where: str) -> None:
        ops = _journal.get()
        if ops is not None:
            ops.append([self.name, "where", where])
            return
        self._write(lambda: self._table.delete(where))

    def optimize(self) -> None:
        """Compaction commits several versions at once: a foreign commit is looked for first."""
        with self._lock:
            self._foreign = self.changed_elsewhere()
            self._table.optimize()
            self._seen = self._table.version

    def _journaled(self, op: str, records: Iterable[R]) -> bool:
        """Inside ``Store.atomic``: keep the write for the group's commit instead of making it."""
        ops = _journal.get()
        if ops is None:
            return False
        rows = [encode(rec) for rec in records]
        if rows:
            ops.append([self.name, op, rows])
        return True

    def replay(self, op: str, payload: Any) -> None:
        """Make one journaled write (``Store.atomic``, or a start-up after a crash mid-commit):
        upserts and deletes are idempotent; an add is made an upsert so a replay adds nothing
        twice."""
        if op == "where":
            self._delete(payload)
        else:
            self.upsert(decode(self.record, row) for row in payload)


class MetaTable(Table[r.MetaRecord]):
    name, record, key = "meta", r.MetaRecord, "key"


class _MediaChild(Table[R]):
    """A table whose rows belong to one media file (removed with it)."""

    def of_media(self, media_id: str) -> list[R]:
        return self._where(f"media_id = {_quote(media_id)}")

    def media_ids(self) -> set[str]:
        return set(self._arrow(columns=["media_id"]).column("media_id").to_pylist())

    def delete_media(self, media_ids: Iterable[str]) -> None:
        media_ids = list(media_ids)
        if media_ids:
            self._delete(_in("media_id", media_ids))

    def without_vectors(self, media_id: str | None = None) -> list[R]:
        """Rows (of one file, or all) with their vectors left empty: views and images need no
        vectors, and reading them is most of the I/O."""
        columns = [n for n in schema_of(self.record).names if n != "vector"]
        where = None if media_id is None else f"media_id = {_quote(media_id)}"
        return from_rows(self.record, ({**row, "vector": []} for row in self._arrow(where, columns).to_pylist()))


class LeasesTable(Table[r.LeaseRecord]):
    name, record, key = "leases", r.LeaseRecord, "name"

    def acquire(self, name: str, holder: str, seconds: float) -> r.LeaseRecord:
        """Take or renew the lease ``name`` unless another holder's is still running; returns
        the lease as it stands after this commit (``holder`` is whoever has it). The condition
        is evaluated inside Lance's conditional commit, so of two servers asking at once one
        wins and the other reads the winner."""
        now = time.time()
        data = to_arrow(self.record, [r.LeaseRecord(name, holder, now + seconds)])
        with self._lock:
            self._write(lambda: (self._table.merge_insert("name")
                                 .when_matched_update_all(where=f"target.expires_at < {now!r} OR "
                                                                f"target.holder = {_quote(holder)}")
                                 .when_not_matched_insert_all().execute(data)))
            # a merge that changed nothing commits nothing: read the latest version, not ours
            self._table.checkout_latest()
            self._foreign = self._foreign or self._table.version != self._seen
            self._seen = self._table.version
            found = self.get(name)
        return found or r.LeaseRecord(name, "", 0.0)  # released meanwhile: ask again

    def release(self, name: str, holder: str) -> None:
        self._delete(f"name = {_quote(name)} AND holder = {_quote(holder)}")

    def live(self) -> list[r.LeaseRecord]:
        return self._where(f"expires_at >= {time.time()!r}")


class LeaseHeld(Conflict):
    """Another server of the shared library holds the lease a job needs."""


LEASE_SECONDS = 60.0
"""How long a lease lasts unless renewed; its holder renews it every third of that."""


class MediaTable(Table[r.MediaRecord]):
    name, record, key = "media", r.MediaRecord, "media_id"

    def at_path(self, path: str) -> list[r.MediaRecord]:
        """Every committed version of the file at ``path`` (normally one)."""
        return self._where(f"path = {_quote(path)}")


class ShotsTable(_MediaChild[r.ShotRecord]):
    name, record, key = "shots", r.ShotRecord, "shot_id"


class KeyframesTable(_MediaChild[r.KeyframeRecord]):
    name, record, key = "keyframes", r.KeyframeRecord, "keyframe_id"

    def vectors(self, model_id: str, media_id: str | None = None) -> dict[str, np.ndarray]:
        """Keyframe vectors of one embedding space, per shot, in frame order (a shot's keyframes
        as one ``(k, dim)`` array). Read column-wise: a 100k-shot project loads in seconds."""
        where = f"model_id = {_quote(model_id)}"
        if media_id is not None:
            where += f" AND media_id = {_quote(media_id)}"
        data = self._arrow(where, ["shot_id", "frame", "vector"])
        by_shot: dict[str, list[tuple[int, np.ndarray]]] = defaultdict(list)
        shots = data.column("shot_id").to_pylist()
        frames = data.column("frame").to_pylist()
        vectors = data.column("vector").to_numpy(zero_copy_only=False)
        for sid, frame, vector in zip(shots, frames, vectors):
            by_shot[sid].append((frame, vector))
        return {sid: np.stack([np.asarray(v, np.float32) for _, v in sorted(rows, key=lambda x: x[0])])
                for sid, rows in by_shot.items()}

    def vector_rows(self, model_id: str, media_id: str) -> pa.Table:
        """One file's keyframe vectors of one embedding space, with their keyframe and shot ids
        (what the search table is derived from)."""
        return self._arrow(f"model_id = {_quote(model_id)} AND media_id = {_quote(media_id)}",
                           ["keyframe_id", "shot_id", "vector"])

    def local_features(self, shot_ids: Iterable[str]) -> dict[str, list[bytes]]:
        """Each shot's keyframe local-feature blobs, in frame order (only the shots asked: they
        are about 9 KB a keyframe)."""
        ids = list(shot_ids)
        out: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
        for start in range(0, len(ids), 2000):  # bounded filter strings
            data = self._arrow(_in("shot_id", ids[start:start + 2000]), ["shot_id", "frame", "local_features"])
            for sid, frame, blob in zip(data.column("shot_id").to_pylist(), data.column("frame").to_pylist(),
                                        data.column("local_features").to_pylist()):
                if blob:
                    out[sid].append((frame, blob))
        return {sid: [b for _, b in sorted(rows, key=lambda x: x[0])] for sid, rows in out.items()}


class FacesTable(_MediaChild[r.FaceRecord]):
    name, record, key = "faces", r.FaceRecord, "face_id"

    def of_model(self, model_id: str) -> list[r.FaceRecord]:
        return self._where(f"model_id = {_quote(model_id)}")


class AssignmentsTable(Table[r.AssignmentRecord]):
    name, record, key = "assignments", r.AssignmentRecord, "shot_id"


class ClustersTable(Table[r.ClusterRecord]):
    name, record, key = "clusters", r.ClusterRecord, "cluster_id"


class CharactersTable(Table[r.CharacterRecord]):
    name, record, key = "characters", r.CharacterRecord, "character_id"


class FaceAssignmentsTable(Table[r.FaceAssignmentRecord]):
    name, record, key = "face_assignments", r.FaceAssignmentRecord, "face_id"


class ConstraintsTable(Table[r.ConstraintRecord]):
    name, record, key = "constraints", r.ConstraintRecord, "constraint_id"

    def of_kind(self, kind: r.ConstraintKind) -> list[r.ConstraintRecord]:
        return self._where(f"kind = {_quote(kind)}")

    def of_feedback(self, feedback_id: str) -> list[r.ConstraintRecord]:
        return self._where(f"feedback_id = {_quote(feedback_id)}")


class FeedbackTable(Table[r.FeedbackRecord]):
    name, record, key = "feedback", r.FeedbackRecord, "feedback_id"


class TrainingTable(Table[r.TrainingRecord]):
    name, record, key = "training_feedback", r.TrainingRecord, "triplet_id"

    def of_feedback(self, feedback_id: str) -> list[r.TrainingRecord]:
        return self._where(f"feedback_id = {_quote(feedback_id)}")

    def live(self) -> list[r.TrainingRecord]:
        """Triplets of corrections that stand (not withdrawn by an undo)."""
        return self._where("withdrawn = false")


class AdaptersTable(Table[r.AdapterRecord]):
    name, record, key = "adapters", r.AdapterRecord, "version"


class SlatesTable(Table[r.SlateRecord]):
    name, record, key = "slates", r.SlateRecord, "media_id"

    def at_path(self, path: str) -> list[r.SlateRecord]:
        return self._where(f"path = {_quote(path)}")


@dataclasses.dataclass(frozen=True)
class RowFilter:
    """Which rows of a search table a query may see; an empty field does not restrict. It
    becomes one where-clause that LanceDB applies before the nearest-neighbour step (prefilter),
    so a filter never shortens the top k."""

    media_ids: frozenset[str] = frozenset()
    shot_ids: frozenset[str] | None = None  # None: any shot; a set (maybe empty): only these
    exclude_shots: frozenset[str] = frozenset()
    faces_only: bool = False
    min_duration_s: float = 0.0  # 0: no bound
    max_duration_s: float = 0.0
    frame_rates: frozenset[Fraction] = frozenset()
    shot_after: str = ""  # "YYYY-MM-DDTHH:MM:SS" (UTC); "": no bound
    shot_before: str = ""
    reels: frozenset[str] = frozenset()

    @property
    def empty_result(self) -> bool:
        return self.shot_ids is not None and not (self.shot_ids - self.exclude_shots)

    def where(self) -> str | None:
        rate = _SCALARS[Fraction].encode
        parts = []
        if self.media_ids:
            parts.append(_in("media_id", sorted(self.media_ids)))
        if self.shot_ids is not None:
            parts.append(_in("shot_id", sorted(self.shot_ids)))
        if self.exclude_shots:
            parts.append("NOT " + _in("shot_id", sorted(self.exclude_shots)))
        if self.faces_only:
            parts.append("has_faces = true")
        if self.min_duration_s:
            parts.append(f"duration_s >= {float(self.min_duration_s)!r}")
        if self.max_duration_s:
            parts.append(f"duration_s <= {float(self.max_duration_s)!r}")
        if self.frame_rates:
            parts.append(_in("frame_rate", sorted(rate(f) for f in self.frame_rates)))
        if self.shot_after:
            parts.append(f"shot_date != '' AND shot_date >= {_quote(self.shot_after)}")
        if self.shot_before:
            parts.append(f"shot_date != '' AND shot_date <= {_quote(self.shot_before)}")
        if self.reels:
            parts.append(_in("reel", sorted(self.reels)))
        return " AND ".join(f"({p})" for p in parts) or None


@dataclasses.dataclass(frozen=True)
class VectorHit:
    keyframe_id: str
    shot_id: str
    score: float  # cosine similarity


@dataclasses.dataclass(frozen=True)
class VectorIndexInfo:
    kind: str  # "" when the table has no vector index
    indexed_rows: int
    unindexed_rows: int


_VECTOR_INDEXES = {"IVF_PQ": IvfPq, "IVF_HNSW_SQ": IvfHnswSq, "IVF_HNSW_PQ": IvfHnswPq, "IVF_FLAT": IvfFlat,
                   "IVF_SQ": IvfSq, "IVF_RQ": IvfRq}


class SearchTable(Table[r.SearchRowRecord]):
    """The keyframe vectors of one scene model with the filter columns (``SearchRowRecord``):
    a derived table, not in ``_TABLES`` (not migrated: the search index rebuilds it from the
    other tables). The vector column is a fixed-size list, which LanceDB's vector indexes need."""

    record, key = r.SearchRowRecord, "keyframe_id"
    vector_column = "vector"
    filter_indexes = (("media_id", BTree), ("shot_id", BTree), ("has_faces", Bitmap), ("duration_s", BTree),
                      ("frame_rate", Bitmap), ("shot_date", BTree), ("reel", Bitmap))

    def __init__(self, db: Any, lock: "WriteLock", name: str, dim: int) -> None:
        self._lock = lock
        self.name = name
        self.dim = dim
        self.schema = pa.schema([pa.field(f.name, pa.list_(pa.float32(), dim)) if f.name == self.vector_column
                                 else f for f in schema_of(self.record)])
        with lock:
            table = db.open_table(name) if name in set(db.list_tables().tables) else None
            if table is not None and table.schema != self.schema:
                db.drop_table(name)  # another dimension or an older layout: derived, so rebuilt
                table = None
            self._table = table if table is not None else db.create_table(name, schema=self.schema)
        self._seen = self._table.version
        self._foreign = False

    def add(self, records: Iterable[r.SearchRowRecord]) -> None:
        self.add_arrow(to_arrow(self.record, records).cast(self.schema))

    def add_arrow(self, data: pa.Table) -> None:
        """Rows already in Arrow form (a bulk load: the bench's millions of rows)."""
        if data.num_rows:
            self._write(lambda: self._table.add(data.select(self.schema.names).cast(self.schema)))

    def delete_media_rows(self, media_ids: Iterable[str]) -> None:
        media_ids = list(media_ids)
        if media_ids:
            self._delete(_in("media_id", media_ids))

    def media_counts(self) -> dict[str, int]:
        ids = self._arrow(columns=["media_id"]).column("media_id").to_pylist()
        counts: dict[str, int] = defaultdict(int)
        for mid in ids:
            counts[mid] += 1
        return dict(counts)

    def vectors_of(self, keyframe_ids: Iterable[str]) -> dict[str, np.ndarray]:
        ids = list(keyframe_ids)
        if not ids:
            return {}
        data = self._arrow(_in("keyframe_id", ids), ["keyframe_id", self.vector_column])
        vectors = data.column(self.vector_column).to_numpy(zero_copy_only=False)
        return {k: np.asarray(v, np.float32) for k, v in zip(data.column("keyframe_id").to_pylist(), vectors)}

    def matching(self, row_filter: RowFilter) -> set[str]:
        """Shot ids of the rows the filter lets through (no vectors involved)."""
        if row_filter.empty_result:
            return set()
        return set(self._arrow(row_filter.where(), ["shot_id"]).column("shot_id").to_pylist())

    def nearest(self, vector: np.ndarray, row_filter: RowFilter, k: int, exact: bool, nprobes: int,
                refine_factor: int, ef: int) -> list[VectorHit]:
        """The ``k`` rows most like ``vector`` (cosine) among those the filter lets through:
        exactly (a flat scan) or through the vector index, re-ranked on the full vectors."""
        if row_filter.empty_result or k <= 0:
            return []
        query = self._table.search(np.asarray(vector, np.float32), vector_column_name=self.vector_column)
        query = query.distance_type("cosine").select(["keyframe_id", "shot_id", "_distance"]).limit(k)
        where = row_filter.where()
        if where:
            query = query.where(where, prefilter=True)
        if exact:
            query = query.bypass_vector_index()
        else:
            query = query.nprobes(nprobes).refine_factor(refine_factor).ef(ef)
        data = query.to_arrow()
        return [VectorHit(kid, sid, 1.0 - float(d)) for kid, sid, d in
                zip(data.column("keyframe_id").to_pylist(), data.column("shot_id").to_pylist(),
                    data.column("_distance").to_pylist())]

    def index_info(self) -> VectorIndexInfo:
        for index in self._table.list_indices():
            if self.vector_column in index.columns:
                stats = self._table.index_stats(index.name)
                return VectorIndexInfo(str(stats.index_type), int(stats.num_indexed_rows),
                                       int(stats.num_unindexed_rows))
        return VectorIndexInfo("", 0, self.count())

    def build_index(self, kind: str, **params: Any) -> None:
        """(Re)train the vector index (``kind``: a LanceDB type, "IVF_PQ", "IVF_HNSW_SQ", ...) on
        every row, and index the filter columns so a prefilter is a lookup, not a scan. Runs
        outside the store lock (minutes at a million rows): LanceDB commits the index as one new
        version, and readers keep the previous one meanwhile."""
        config = _VECTOR_INDEXES[kind](distance_type="cosine", **params)
        self._table.create_index(self.vector_column, config=config, replace=True)
        for column, scalar in self.filter_indexes:
            self._table.create_index(column, config=scalar(), replace=True)


_TABLES: tuple[type[Table[Any]], ...] = (
    MetaTable, MediaTable, ShotsTable, KeyframesTable, FacesTable, AssignmentsTable, ClustersTable,
    CharactersTable, FaceAssignmentsTable, ConstraintsTable, FeedbackTable, TrainingTable, AdaptersTable,
    SlatesTable, LeasesTable)


class WriteLock:
    """Writers one at a time: a re-entrant lock for this process's threads, and an exclusive
    ``flock`` on a file in the database folder while held, for other processes (a second server
    or a ``binsight`` command over the same data dir). LanceDB lets two processes' upserts of one
    key both commit, leaving two rows; serialised, and each on the newest version, they cannot.

    ``shared`` turns true once another process has written (the lock file's stamp changed since
    this one's last write): only then must a table be refreshed before a write."""

    def __init__(self, path: Path | None) -> None:
        """``path``: the lock file; None for a library on object storage, where other servers'
        commits are the rule (Lance's conditional commits order them) and every write refreshes."""
        self._path = path
        self._local = threading.RLock()
        self._depth = 0
        self._fd = -1
        if path is not None:
            path.touch(0o600)
        self._stamp = path.stat().st_mtime_ns if path is not None else 0  # as when this process opened the store
        self.shared = path is None

    def __enter__(self) -> "WriteLock":
        self._local.acquire()
        self._depth += 1
        if self._depth == 1 and self._path is not None:
            try:
                self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
                stamp = os.fstat(self._fd).st_mtime_ns
                self.shared = self.shared or stamp != self._stamp
            except BaseException:
                self._release()
                raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._release()

    def _release(self) -> None:
        self._depth -= 1
        if self._depth == 0 and self._fd >= 0:
            try:
                os.utime(self._fd)  # this process wrote: others refresh before their next write
                self._stamp = os.fstat(self._fd).st_mtime_ns
            finally:
                os.close(self._fd)  # closing releases the flock
                self._fd = -1
        self._local.release()


class SchemaMismatch(Conflict):
    """The database was written by a Binsight with another schema version."""


class Store:
    """Every table of a project, opened (and created when missing) at ``path``: a local folder,
    or an ``s3://`` uri with its ``storage_options`` (see ``storage.locate``)."""

    def __init__(self, path: Path | str, storage_options: Mapping[str, str] | None = None) -> None:
        self.remote = str(path).startswith("s3://")
        self.path = str(path) if self.remote else Path(path)
        if isinstance(self.path, Path):  # a bucket needs no folder, and holds no pre-2 schema to migrate
            self.path.mkdir(parents=True, exist_ok=True)
            migrate(self.path, SCHEMA_VERSION, {cls.name: schema_of(cls.record) for cls in _TABLES})
        self._db = lancedb.connect(str(self.path), storage_options=dict(storage_options) if storage_options else None)
        self._lock = WriteLock(None if self.remote else self.path / ".write.lock")
        self.meta = MetaTable(self._db, self._lock)
        self._check_schema_version()
        self.media = MediaTable(self._db, self._lock)
        self.shots = ShotsTable(self._db, self._lock)
        self.keyframes = KeyframesTable(self._db, self._lock)
        self.faces = FacesTable(self._db, self._lock)
        self.assignments = AssignmentsTable(self._db, self._lock)
        self.clusters = ClustersTable(self._db, self._lock)
        self.characters = CharactersTable(self._db, self._lock)
        self.face_assignments = FaceAssignmentsTable(self._db, self._lock)
        self.constraints = ConstraintsTable(self._db, self._lock)
        self.feedback = FeedbackTable(self._db, self._lock)
        self.training = TrainingTable(self._db, self._lock)
        self.adapters = AdaptersTable(self._db, self._lock)
        self.slates = SlatesTable(self._db, self._lock)
        self.leases = LeasesTable(self._db, self._lock)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"  # this server, in leases
        self._held = threading.local()  # the leases this thread holds (nested blocks are covered)
        self._replay_journal()
        self._remove_uncommitted()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes made inside (by this thread) land together or not at all: they are held back,
        then written first as one journal row in ``meta`` (one LanceDB commit), then made, then
        the journal row is dropped. A crash before the journal row leaves none of them; after
        it, the next open makes them (``_replay_journal``). A correction is one such group: its
        placements, bin rows, constraints, training rows and log entry. Nested groups join the
        outer one. An exception inside still writes what was done (memory already holds it)."""
        if _journal.get() is not None:
            yield
            return
        ops: list = []
        token = _journal.set(ops)
        try:
            yield
        finally:
            _journal.reset(token)
            if ops:
                key = f"{JOURNAL_PREFIX}{uuid.uuid4().hex}"
                with self._lock:
                    self.meta.add([r.MetaRecord(key, json.dumps(ops))])
                    fault_point("journal")  # the group is on disk, none of it made yet
                    self._apply(ops)
                    self.meta.delete([key])

    def _apply(self, ops: list) -> None:
        """Make a group's writes, table by table in their order; runs of upserts to one table
        go as one (a correction upserts placements three times: one commit instead of three)."""
        tables = {t.name: t for t in self.tables()}
        per_table: dict[str, list[list]] = {}
        for name, op, payload in ops:
            op = "where" if op == "where" else "upsert"  # a replayed add is an upsert (``replay``)
            runs = per_table.setdefault(name, [])
            if runs and op == "upsert" and runs[-1][0] == "upsert":
                runs[-1][1] = runs[-1][1] + payload
            else:
                runs.append([op, payload])
        for name, runs in per_table.items():
            for op, payload in runs:
                tables[name].replay(op, payload)

    def _replay_journal(self) -> None:
        """Make the writes of atomic groups a crash cut off after their journal row."""
        for row in sorted(self.meta.all(), key=lambda m: m.key):
            if row.key.startswith(JOURNAL_PREFIX):
                log.warning("completing writes cut off by a crash", extra={"journal": row.key})
                self._apply(json.loads(row.value))
                self.meta.delete([row.key])

    @property
    def lock(self) -> "WriteLock":
        """Held for one multi-table write; writers that must not interleave take it too."""
        return self._lock

    def tables(self) -> list[Table[Any]]:
        return [t for t in vars(self).values() if isinstance(t, Table)]

    def problem(self) -> str:
        """Why the store cannot serve now ("" when it can): its folder or a table's folder gone
        (a disk unmounted, a data dir removed) or closed to this process. Cheap (a few stats), so
        the health check can ask every second; on object storage, one listing)."""
        if not isinstance(self.path, Path):
            try:
                names = set(self._db.list_tables().tables)
            except Exception as exc:  # noqa: BLE001 - any failure of the object store is "unavailable"
                return f"the library at {self.path} does not answer ({type(exc).__name__})"
            missing = sorted(t.name for t in self.tables() if t.name not in names)
            return f"the table {missing[0]} is missing in {self.path}" if missing else ""
        if not self.path.is_dir():
            return f"the database folder {self.path} is missing"
        if not os.access(self.path, os.R_OK | os.W_OK | os.X_OK):
            return f"the database folder {self.path} cannot be read and written by this process"
        for table in self.tables():
            folder = self.path / f"{table.name}.lance"
            if not folder.is_dir() or not os.access(folder, os.R_OK | os.X_OK):
                return f"the table {table.name} is missing or unreadable in {self.path}"
        return ""

    def _children(self) -> tuple[_MediaChild[Any], ...]:
        return self.shots, self.keyframes, self.faces

    def changed_elsewhere(self) -> bool:
        """Whether another server committed to any table since the last check (every table is
        checked, and left at its latest version)."""
        return any([t.changed_elsewhere() for t in self.tables()])

    @contextlib.contextmanager
    def leased(self, name: str, wait_s: float = 0.0, seconds: float = LEASE_SECONDS) -> Iterator[None]:
        """Hold the lease ``name`` for the block, renewed while it runs, waiting up to ``wait_s``
        for another holder to finish; ``LeaseHeld`` names the holder when it does not.
        A lease held by this thread nests (an inner block of the same name is covered); other
        threads of this server serialise on it above the store (see ``SharedLibrary``)."""
        held: set[str] = self._held.__dict__.setdefault("names", set())
        if name in held:
            yield
            return
        deadline = time.monotonic() + wait_s
        while (lease := self.leases.acquire(name, self.holder, seconds)).holder != self.holder:
            if time.monotonic() >= deadline:
                raise LeaseHeld(f"another server ({lease.holder}) is running {name!r} on this library; "
                                f"try again when it is done (its lease runs {lease.expires_at - time.time():.0f} s more)")
            time.sleep(0.2)
        held.add(name)
        stop = threading.Event()

        def renew() -> None:
            while not stop.wait(seconds / 3):
                self.leases.acquire(name, self.holder, seconds)

        renewer = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            stop.set()
            renewer.join()
            held.discard(name)
            self.leases.release(name, self.holder)

    def _check_schema_version(self) -> None:
        found = self.meta.get("schema_version")
        if found is None:
            self.meta.add([r.MetaRecord("schema_version", str(SCHEMA_VERSION))])
            return
        if int(found.value) != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the database at {self.path} has schema version {found.value}; this Binsight reads version "
                f"{SCHEMA_VERSION}. Use a matching Binsight or a new data dir.")

    def _remove_uncommitted(self) -> None:
        """Drop rows of files whose ingest never reached its media row (a crash mid-write), and
        older versions of a file whose replacement committed but was not yet retired."""
        newest: dict[str, r.MediaRecord] = {}
        media = self.media.all()
        for m in media:
            if m.path not in newest or m.ingested_at > newest[m.path].ingested_at:
                newest[m.path] = m
        for m in media:
            if newest[m.path] is not m:
                log.warning("retiring superseded media version", extra={"media_id": m.media_id})
                self.delete_media(m.media_id)
        committed = {m.media_id for m in newest.values()}
        # a file another server is committing right now is not an orphan
        committed |= {lease.name.removeprefix("ingest/") for lease in self.leases.live()}
        for table in self._children():
            orphans = table.media_ids() - committed
            if orphans:
                log.warning("removing uncommitted rows", extra={"table": table.name, "media_ids": sorted(orphans)})
                table.delete_media(orphans)

    # -- the one multi-table write ------------------------------------------------------------------
    def commit_media(self, media: r.MediaRecord, shots: Sequence[r.ShotRecord],
                     keyframes: Sequence[r.KeyframeRecord], faces: Sequence[r.FaceRecord],
                     replaces: Iterable[str] = ()) -> None:
        """Write a file's rows, then its media row (the commit marker), then retire ``replaces``
        (media ids of the file's previous versions), so a crash at any point leaves the old
        version, the new one, or both whole (``_remove_uncommitted`` keeps the newest), never a mix.

        On a shared (remote) library the file's commit holds the lease ``ingest/<media_id>``, so a
        server opening meanwhile does not take its rows for a crash's, and rows a crashed commit
        left are cleared first, so a retried file writes its ids once."""
        # the lease first: its renewer takes the lock, which is held for the whole write
        with (self.leased(f"ingest/{media.media_id}") if self.remote else contextlib.nullcontext()), self._lock:
            if self.remote:
                for table in self._children():
                    table.delete_media([media.media_id])
            self.shots.add(shots)
            self.keyframes.add(keyframes)
            self.faces.add(faces)
            fault_point("store")  # the file's rows written, its commit marker not
            self.media.add([media])
            for old in replaces:
                self.delete_media(old)

    def search_table(self, model_id: str, dim: int) -> SearchTable:
        """The search table of one scene model (derived; see ``search_index``)."""
        slug = "".join(c if c.isalnum() else "_" for c in model_id)
        return SearchTable(self._db, self._lock, f"search_{slug}", dim)

    def delete_media(self, media_id: str) -> None:
        with self._lock:
            self.media.delete([media_id])
            for table in self._children():
                table.delete_media([media_id])

    def optimize(self) -> None:
        """Compact the small fragments that many small writes leave behind."""
        for table in self.tables():
            table.optimize()

