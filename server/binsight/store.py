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
import dataclasses
import logging
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
import numpy as np
import pyarrow as pa

from . import records as r
from .errors import Conflict
from .migrations import migrate

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2

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

    def __init__(self, db: Any, lock: threading.RLock) -> None:
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
        """One LanceDB write, noting whether another writer's commit came in underneath it. A
        commit Lance cannot rebase after its retries raises here: never dropped silently."""
        with self._lock:
            before = self._table.version
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
        data = to_arrow(self.record, records)
        if data.num_rows:
            self._write(lambda: self._table.add(data))

    def upsert(self, records: Iterable[R]) -> None:
        """Insert or replace by key; of several records with one key the last wins (a merge
        with duplicate source keys is an error in LanceDB)."""
        unique = {getattr(rec, self.key): rec for rec in records}
        if not unique:
            return
        data = to_arrow(self.record, unique.values())
        self._write(lambda: (self._table.merge_insert(self.key).when_matched_update_all()
                             .when_not_matched_insert_all().execute(data)))

    def delete(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if keys:
            self._delete(_in(self.key, keys))

    def _delete(self, where: str) -> None:
        self._write(lambda: self._table.delete(where))

    def optimize(self) -> None:
        """Compaction commits several versions at once: a foreign commit is looked for first."""
        with self._lock:
            self._foreign = self.changed_elsewhere()
            self._table.optimize()
            self._seen = self._table.version


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


_TABLES: tuple[type[Table[Any]], ...] = (
    MetaTable, MediaTable, ShotsTable, KeyframesTable, FacesTable, AssignmentsTable, ClustersTable,
    CharactersTable, FaceAssignmentsTable, ConstraintsTable, FeedbackTable, TrainingTable, AdaptersTable,
    SlatesTable, LeasesTable)


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
        self._lock = threading.RLock()
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
        self._remove_uncommitted()

    @property
    def lock(self) -> threading.RLock:
        """Held for one multi-table write; writers that must not interleave take it too."""
        return self._lock

    def tables(self) -> list[Table[Any]]:
        return [t for t in vars(self).values() if isinstance(t, Table)]

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
            self.media.add([media])
            for old in replaces:
                self.delete_media(old)

    def delete_media(self, media_id: str) -> None:
        with self._lock:
            self.media.delete([media_id])
            for table in self._children():
                table.delete_media([media_id])

    def optimize(self) -> None:
        """Compact the small fragments that many small writes leave behind."""
        for table in self.tables():
            table.optimize()

