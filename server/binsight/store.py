"""The project store: an embedded LanceDB database under the data dir.

Schemas are declared once here. The store offers a few verbs (``add``, ``upsert``, ``delete``,
``read``, ``count``) plus the one write that must be all-or-nothing: ``commit_media``, which
writes a file's shots, keyframes and faces first and its ``media`` row last. The media row is the
commit marker: on open, rows whose media row is missing (a crash mid-ingest) are removed, so a
reader never sees half a file.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any, Iterable, Mapping

import lancedb
import pyarrow as pa

from .errors import Conflict

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1

_f32 = pa.list_(pa.float32())
_S, _I, _F, _B = pa.string(), pa.int64(), pa.float64(), pa.bool_()


def _schema(**columns: pa.DataType) -> pa.Schema:
    return pa.schema([pa.field(name, dtype) for name, dtype in columns.items()])


SCHEMAS: dict[str, pa.Schema] = {
    "meta": _schema(key=_S, value=_S),
    "media": _schema(
        media_id=_S, path=_S, content_hash=_S, size_bytes=_I, container=_S, codec=_S, width=_I, height=_I,
        rotation=_I, pixel_aspect=_S, frame_rate=_S, frame_count=_I, duration_s=_F, first_pts_s=_F,
        start_timecode=_S, drop_frame=_B, reel=_S, creation_time=_S, has_audio=_B, audio_channels=_I,
        audio_sample_rate=_I, bit_depth=_I, pix_fmt=_S, interlaced=_B, variable_frame_rate=_B,
        truncated=_B, warnings=pa.list_(_S), scene_model_id=_S, face_model_id=_S, ingested_at=_S, shot_count=_I,
    ),
    "shots": _schema(
        shot_id=_S, media_id=_S, idx=_I, start_frame=_I, end_frame=_I, start_s=_F, end_s=_F, moving=_B, motion=_F,
    ),
    "keyframes": _schema(
        keyframe_id=_S, shot_id=_S, media_id=_S, frame=_I, time_s=_F, sharpness=_F, image_path=_S,
        thumb_path=_S, model_id=_S, vector=_f32,
    ),
    "faces": _schema(
        face_id=_S, shot_id=_S, media_id=_S, frame=_I, time_s=_F, box=_f32, landmarks=_f32, det_score=_F,
        sharpness=_F, size_px=_F, model_id=_S, vector=_f32,
    ),
    # Mutable state: where each shot is, clusters and their editor flags, characters.
    "assignments": _schema(
        shot_id=_S, cluster_id=_S, score=_F, noise=_B, candidates_json=_S, pinned=_B, updated_at=_S,
    ),
    "clusters": _schema(
        cluster_id=_S, kind=_S, name=_S, named=_B, locked=_B, seen=_B, touched=_B, created_at=_S, updated_at=_S,
    ),
    "characters": _schema(character_id=_S, name=_S, named=_B, model_id=_S, created_at=_S),
    "face_assignments": _schema(face_id=_S, character_id=_S, pinned=_B),
    # Editor constraints that every recluster respects: "not this one" / "not this person".
    "constraints": _schema(kind=_S, a_id=_S, b_id=_S, created_at=_S),
    "feedback": _schema(
        feedback_id=_S, action=_S, actor=_S, created_at=_S, subject_id=_S, from_id=_S, to_id=_S, detail_json=_S,
    ),
    "training_feedback": _schema(
        anchor_id=_S, positive_id=_S, negative_id=_S, label=_S, timestamp=_S, feedback_id=_S,
    ),
    "adapters": _schema(
        version=_S, created_at=_S, model_id=_S, path=_S, active=_B, validation_before=_F, validation_after=_F,
    ),
}

_MEDIA_CHILDREN = ("shots", "keyframes", "faces")


def quote(value: str) -> str:
    """A SQL string literal for LanceDB filters (ids are ours, paths are not)."""
    return "'" + str(value).replace("'", "''") + "'"


def in_list(column: str, values: Iterable[str]) -> str:
    return f"{column} IN ({', '.join(quote(v) for v in values)})"


class SchemaMismatch(Conflict):
    """The database was written by a Binsight with another schema version."""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._db = lancedb.connect(str(self.path))
        self._lock = threading.RLock()
        existing = set(self._list_tables())
        self._tables = {}
        for name, schema in SCHEMAS.items():
            if name in existing:
                self._tables[name] = self._db.open_table(name)
            else:
                self._tables[name] = self._db.create_table(name, schema=schema)
        self._check_schema_version()
        self._remove_uncommitted()

    def _list_tables(self) -> list[str]:
        return list(self._db.list_tables().tables)

    def _check_schema_version(self) -> None:
        rows = self.read("meta", f"key = {quote('schema_version')}").to_pylist()
        if not rows:
            self.add("meta", [{"key": "schema_version", "value": str(SCHEMA_VERSION)}])
            return
        found = int(rows[0]["value"])
        if found != SCHEMA_VERSION:
            raise SchemaMismatch(
                f"the database at {self.path} has schema version {found}; this Binsight reads version "
                f"{SCHEMA_VERSION}. Use a matching Binsight or a new data dir."
            )

    def _remove_uncommitted(self) -> None:
        """Drop rows of files whose ingest never reached its media row (a crash mid-write), and
        older versions of a file whose replacement committed but was not yet retired."""
        media = self.read("media", columns=["media_id", "path", "ingested_at"]).to_pylist()
        newest: dict[str, dict] = {}
        for row in media:
            if row["path"] not in newest or row["ingested_at"] > newest[row["path"]]["ingested_at"]:
                newest[row["path"]] = row
        for row in media:
            if newest[row["path"]] is not row:
                log.warning("retiring superseded media version", extra={"media_id": row["media_id"]})
                self.delete_media(row["media_id"])
        committed = {row["media_id"] for row in newest.values()}
        for name in _MEDIA_CHILDREN:
            ids = set(self.read(name, columns=["media_id"]).column("media_id").to_pylist())
            orphans = ids - committed
            if orphans:
                log.warning("removing uncommitted rows", extra={"table": name, "media_ids": sorted(orphans)})
                self.delete(name, in_list("media_id", orphans))

    # -- verbs -------------------------------------------------------------------------------------
    def add(self, table: str, rows: list[Mapping[str, Any]] | pa.Table) -> None:
        data = rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(list(rows), schema=SCHEMAS[table])
        if data.num_rows == 0:
            return
        with self._lock:
            self._tables[table].add(data)

    def upsert(self, table: str, key: str, rows: list[Mapping[str, Any]]) -> None:
        if not rows:
            return
        data = pa.Table.from_pylist(list(rows), schema=SCHEMAS[table])
        with self._lock:
            (self._tables[table].merge_insert(key).when_matched_update_all()
             .when_not_matched_insert_all().execute(data))

    def delete(self, table: str, where: str) -> None:
        with self._lock:
            self._tables[table].delete(where)

    def read(self, table: str, where: str | None = None, columns: list[str] | None = None) -> pa.Table:
        query = self._tables[table].search()
        if where:
            query = query.where(where)
        if columns:
            query = query.select(columns)
        result = query.limit(None).to_arrow()
        return result if columns else result.select(SCHEMAS[table].names)

    def rows(self, table: str, where: str | None = None) -> list[dict[str, Any]]:
        return self.read(table, where).to_pylist()

    def count(self, table: str, where: str | None = None) -> int:
        return self._tables[table].count_rows(where) if where else self._tables[table].count_rows()

    # -- the one multi-table write ------------------------------------------------------------------
    def commit_media(self, media: Mapping[str, Any], children: Mapping[str, list[Mapping[str, Any]]],
                     replaces: Iterable[str] = ()) -> None:
        """Write a file's rows, then its media row (the commit marker), then retire ``replaces``
        (media ids of the file's previous versions), so a crash at any point leaves the old
        version, the new one, or both whole (``_remove_uncommitted`` keeps the newest), never a mix."""
        with self._lock:
            for name in _MEDIA_CHILDREN:
                self.add(name, children.get(name, []))
            self.add("media", [media])
            for old in replaces:
                self.delete_media(old)

    def delete_media(self, media_id: str) -> None:
        with self._lock:
            self.delete("media", f"media_id = {quote(media_id)}")
            for name in _MEDIA_CHILDREN:
                self.delete(name, f"media_id = {quote(media_id)}")

    def optimize(self) -> None:
        """Compact the small fragments that many small writes leave behind."""
        with self._lock:
            for table in self._tables.values():
                table.optimize()
