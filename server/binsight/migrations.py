"""Upgrades a project database written by an older Binsight to the current schema, in place, so
an editor's corrections survive an upgrade.

A migration first copies the database aside (``db.backup``) and leaves a marker while it runs; a
crash mid-way is undone at the next start by restoring the copy and running again, so the
database is always wholly old or wholly new. The copy is kept after success (it holds no images,
only rows) and named in the log.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lancedb
import pyarrow as pa

log = logging.getLogger(__name__)

Row = dict[str, Any]


def _v1_to_v2(tables: dict[str, list[Row]]) -> dict[str, list[Row]]:
    """Schema 1 (0.1.0) -> 2: typed candidates instead of JSON, ``index`` for ``idx``, undo data
    on feedback, ids for constraints and triplets, birth labels, merge targets, tokens, roots."""
    merged_into: dict[str, str] = {}
    for event in tables.get("feedback", []):
        if event["action"] == "merge_clusters":
            for absorbed in filter(None, event["from_id"].split(",")):
                merged_into[absorbed] = event["to_id"]
    out: dict[str, list[Row]] = {
        "meta": [{"key": "schema_version", "value": "2"}],
        "media": tables.get("media", []),
        "keyframes": [{**k, "local_features": b""} for k in tables.get("keyframes", [])],
        "faces": [{**f, "crop_path": ""} for f in tables.get("faces", [])],
        "adapters": tables.get("adapters", []),
        "face_assignments": tables.get("face_assignments", []),
        "shots": [{**{k: v for k, v in s.items() if k != "idx"}, "index": s["idx"]} for s in tables.get("shots", [])],
        "assignments": [{
            "shot_id": a["shot_id"], "cluster_id": a["cluster_id"], "score": a["score"], "pinned": a["pinned"],
            "updated_at": a["updated_at"],
            "candidates": [{"cluster_id": c, "score": float(s)} for c, s in json.loads(a["candidates_json"] or "[]")],
        } for a in tables.get("assignments", [])],
        "clusters": [{**c, "label": "", "merged_into": merged_into.get(c["cluster_id"], "")}
                     for c in tables.get("clusters", [])],
        "characters": [{**c, "label": ""} for c in tables.get("characters", [])],
        "constraints": [{**c, "constraint_id": f"v1-{n}", "feedback_id": ""}
                        for n, c in enumerate(tables.get("constraints", []))],
        # corrections made before undo existed carry no inverse: undo refuses them by name
        "feedback": [{**e, "inverse_json": "", "touched": [], "state": "applied",
                      "applied_at": e["created_at"], "undone_at": "", "undone_by": ""}
                     for e in tables.get("feedback", [])],
        "training_feedback": [{**t, "triplet_id": f"v1-{n}", "withdrawn": False}
                              for n, t in enumerate(tables.get("training_feedback", []))],
    }
    return out


MIGRATIONS: dict[int, Callable[[dict[str, list[Row]]], dict[str, list[Row]]]] = {1: _v1_to_v2}
"""Schema version -> the function that turns its rows into the next version's rows."""


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".migrating")


def _backup(path: Path) -> Path:
    return path.with_name(path.name + ".backup")


def _version(db: Any) -> int | None:
    if "meta" not in db.list_tables().tables:
        return None
    rows = db.open_table("meta").search().where("key = 'schema_version'").limit(None).to_arrow().to_pylist()
    return int(rows[0]["value"]) if rows else None


def migrate(path: Path, current: int, schemas: dict[str, pa.Schema]) -> None:
    """Bring the database at ``path`` to schema version ``current``, whose tables have
    ``schemas`` (a no-op when it already is at that version, or is new)."""
    marker, backup = _marker(path), _backup(path)
    if marker.exists():  # a migration was cut short: start again from the copy
        log.warning("restoring the database copy of an interrupted migration", extra={"backup": str(backup)})
        shutil.rmtree(path, ignore_errors=True)
        shutil.copytree(backup, path)
        marker.unlink()
    db = lancedb.connect(str(path))
    version = _version(db)
    if version is None or version >= current or version not in MIGRATIONS:
        return
    if backup.exists():
        shutil.rmtree(backup)
    shutil.copytree(path, backup)
    marker.write_text(str(version))
    tables = {name: db.open_table(name).to_arrow().to_pylist() for name in db.list_tables().tables}
    while version < current:
        tables = MIGRATIONS[version](tables)
        version += 1
    for name in list(db.list_tables().tables):
        db.drop_table(name)
    for name, schema in schemas.items():
        db.create_table(name, data=pa.Table.from_pylist(tables.get(name, []), schema=schema), schema=schema)
    marker.unlink()
    log.warning("database upgraded", extra={"to_version": current, "backup": str(backup)})
