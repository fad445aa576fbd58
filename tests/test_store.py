"""The store: schemas derived from the records, the commit protocol (a file is visible whole or
not at all, whatever a crash cut), and the upgrade of a database written by Binsight 0.1.0."""

from __future__ import annotations

import dataclasses
import json
from fractions import Fraction
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest

from binsight import records as r
from binsight.records import MediaRecord, ShotRecord
from binsight.store import SCHEMA_VERSION, SchemaMismatch, Store, schema_of


def media(media_id: str, path: str, ingested_at: str) -> MediaRecord:
    return MediaRecord(media_id, path, media_id, 1, "mov", "h264", 64, 36, 0, Fraction(1), Fraction(24000, 1001),
                       10, 0.4, 0.0, "", False, "", "", False, 0, 0, 8, "yuv420p", False, False, False, (),
                       "pixels-v2", "", ingested_at, 1)


def shot(media_id: str, index: int = 0) -> ShotRecord:
    return ShotRecord(f"{media_id}-{index}", media_id, index, 0, 10, 0.0, 0.4, False, 0.0)


def keyframe(media_id: str) -> r.KeyframeRecord:
    return r.KeyframeRecord(f"{media_id}-k", f"{media_id}-0", media_id, 5, 0.2, 1.0, "a.jpg", "a.t.jpg", "pixels-v2",
                            vector=np.array([0.6, 0.8], np.float32))


def test_schemas_are_the_records(tmp_path: Path) -> None:
    schema = schema_of(r.AssignmentRecord)
    assert schema.names == [f.name for f in dataclasses.fields(r.AssignmentRecord)]
    assert schema.field("candidates").type == pa.list_(pa.struct([("cluster_id", pa.string()),
                                                                  ("score", pa.float64())]))
    store = Store(tmp_path)
    record = r.AssignmentRecord("s1", None, 0.25, (r.Candidate("scene-00001", 0.5),), True, "t")
    store.assignments.upsert([record, r.AssignmentRecord("s2", "scene-00001", 0.9, (), False, "t")])
    assert store.assignments.get("s1") == record  # None (noise) survives the round trip
    m = media("a", "/a.mov", "2026-01-01T00:00:00")
    store.commit_media(m, [shot("a")], [keyframe("a")], [])
    assert Store(tmp_path).media.get("a") == m and m.frame_rate == Fraction(24000, 1001)
    vectors = store.keyframes.vectors("pixels-v2")
    assert list(vectors) == ["a-0"] and np.allclose(vectors["a-0"], [[0.6, 0.8]])


def test_upsert_of_a_repeated_key_keeps_the_last(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.clusters.upsert([r.ClusterRecord("c", r.ClusterKind.SCENE, name, bool(name), False, False, False, "", "",
                                           "t", "t") for name in ("first", "second")])
    assert [c.name for c in store.clusters.all()] == ["second"]


def test_rows_of_an_uncommitted_file_are_dropped_on_open(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit_media(media("a", "/a.mov", "2026-01-01T00:00:00"), [shot("a")], [], [])
    # a crash after the children were written but before the media row (the commit marker)
    store.shots.add([shot("b"), shot("b", 1)])
    store.keyframes.add([keyframe("b")])
    reopened = Store(tmp_path)
    assert (reopened.media.count(), reopened.shots.count(), reopened.keyframes.count()) == (1, 1, 0)
    assert reopened.shots.all()[0].shot_id == "a-0"


def test_a_replacement_that_committed_retires_the_old_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit_media(media("old", "/take.mov", "2026-01-01T00:00:00"), [shot("old")], [], [])
    # the new version committed, the crash came before the old one was retired
    store.commit_media(media("new", "/take.mov", "2026-01-02T00:00:00"), [shot("new")], [], [])
    reopened = Store(tmp_path)
    assert [m.media_id for m in reopened.media.all()] == ["new"]
    assert [s.shot_id for s in reopened.shots.all()] == ["new-0"]


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.meta.upsert([r.MetaRecord("schema_version", "99")])
    with pytest.raises(SchemaMismatch, match="schema version 99"):
        Store(tmp_path)


# --- what Binsight 0.1.0 wrote (schema 1), kept verbatim so its upgrade stays tested ---------------
_S, _I, _F, _B, _V = pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.list_(pa.float32())
V1_ROWS = {
    "meta": [{"key": "schema_version", "value": "1"}],
    "media": [{"media_id": "m1", "path": "/f/a.mov", "content_hash": "h", "size_bytes": 5, "container": "mov",
               "codec": "h264", "width": 64, "height": 36, "rotation": 0, "pixel_aspect": "1", "frame_rate": "25",
               "frame_count": 50, "duration_s": 2.0, "first_pts_s": 0.0, "start_timecode": "01:00:00:00",
               "drop_frame": False, "reel": "A001", "creation_time": "", "has_audio": False, "audio_channels": 0,
               "audio_sample_rate": 0, "bit_depth": 8, "pix_fmt": "yuv420p", "interlaced": False,
               "variable_frame_rate": False, "truncated": False, "warnings": [], "scene_model_id": "pixels-v2",
               "face_model_id": "", "ingested_at": "2026-01-01T00:00:00+00:00", "shot_count": 2}],
    "shots": [{"shot_id": f"m1-000{i}", "media_id": "m1", "idx": i, "start_frame": 25 * i, "end_frame": 25 * i + 25,
               "start_s": float(i), "end_s": float(i + 1), "moving": False, "motion": 0.0} for i in range(2)],
    "assignments": [
        {"shot_id": "m1-0000", "cluster_id": "scene-00001", "score": 0.9, "noise": False, "pinned": True,
         "candidates_json": json.dumps([["scene-00001", 0.9]]), "updated_at": "t"},
        {"shot_id": "m1-0001", "cluster_id": "", "score": 0.2, "noise": True, "pinned": False,
         "candidates_json": json.dumps([["scene-00001", 0.2]]), "updated_at": "t"}],
    "clusters": [{"cluster_id": c, "kind": k, "name": n, "named": bool(n), "locked": False, "seen": True,
                  "touched": True, "created_at": "t", "updated_at": "t"}
                 for c, k, n in [("scene-00001", "scene", "Kitchen"), ("scene-00002", "merged", "")]],
    "constraints": [{"kind": "shot_not_cluster", "a_id": "m1-0001", "b_id": "scene-00001", "created_at": "t"}],
    "feedback": [{"feedback_id": "f1", "action": "merge_clusters", "actor": "ann", "created_at": "t",
                  "subject_id": "scene-00001", "from_id": "scene-00002", "to_id": "scene-00001",
                  "detail_json": "{}"}],
    "training_feedback": [{"anchor_id": "a", "positive_id": "b", "negative_id": "c", "label": "merge",
                           "timestamp": "t", "feedback_id": "f1"}],
}
V1_SCHEMAS = {
    "meta": {"key": _S, "value": _S}, "media": None, "shots": None,
    "keyframes": {"keyframe_id": _S, "shot_id": _S, "media_id": _S, "frame": _I, "time_s": _F, "sharpness": _F,
                  "image_path": _S, "thumb_path": _S, "model_id": _S, "vector": _V},
    "faces": {"face_id": _S, "shot_id": _S, "media_id": _S, "frame": _I, "time_s": _F, "box": _V, "landmarks": _V,
              "det_score": _F, "sharpness": _F, "size_px": _F, "model_id": _S, "vector": _V},
    "assignments": None, "clusters": None,
    "characters": {"character_id": _S, "name": _S, "named": _B, "model_id": _S, "created_at": _S},
    "face_assignments": {"face_id": _S, "character_id": _S, "pinned": _B},
    "constraints": None, "feedback": None, "training_feedback": None,
    "adapters": {"version": _S, "created_at": _S, "model_id": _S, "path": _S, "active": _B,
                 "validation_before": _F, "validation_after": _F},
}


def test_a_version_1_database_is_upgraded_with_every_correction(tmp_path: Path) -> None:
    db = lancedb.connect(str(tmp_path / "db"))
    for name, columns in V1_SCHEMAS.items():
        rows = V1_ROWS.get(name, [])
        schema = pa.schema(list(columns.items())) if columns else pa.Table.from_pylist(rows).schema
        db.create_table(name, data=pa.Table.from_pylist(rows, schema=schema), schema=schema)
    store = Store(tmp_path / "db")
    assert store.meta.get("schema_version").value == str(SCHEMA_VERSION)
    assert [(s.shot_id, s.index, s.end_frame) for s in store.shots.all()] == [("m1-0000", 0, 25), ("m1-0001", 1, 50)]
    by_shot = {a.shot_id: a for a in store.assignments.all()}
    assert by_shot["m1-0000"].cluster_id == "scene-00001" and by_shot["m1-0000"].pinned
    assert by_shot["m1-0001"].noise and by_shot["m1-0001"].candidates == (r.Candidate("scene-00001", 0.2),)
    clusters = {c.cluster_id: c for c in store.clusters.all()}
    assert clusters["scene-00002"].merged_into == "scene-00001" and clusters["scene-00001"].name == "Kitchen"
    assert [(c.a_id, c.b_id) for c in store.constraints.all()] == [("m1-0001", "scene-00001")]
    assert store.feedback.get("f1").state is r.FeedbackState.APPLIED and store.training.live()[0].anchor_id == "a"
    assert store.media.get("m1").frame_rate == Fraction(25) and store.media.get("m1").reel == "A001"
    assert (tmp_path / "db.backup").is_dir()  # the copy taken before the upgrade
    assert Store(tmp_path / "db").shots.count() == 2  # a second open changes nothing
