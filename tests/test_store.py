"""The store's commit protocol: a file is visible whole or not at all, whatever a crash cut."""

from __future__ import annotations

from pathlib import Path

import pytest

from binsight.store import SchemaMismatch, Store


def media_row(media_id: str, path: str, ingested_at: str) -> dict:
    return {"media_id": media_id, "path": path, "content_hash": media_id, "ingested_at": ingested_at,
            "warnings": [], "shot_count": 1}


def shot_row(media_id: str, idx: int = 0) -> dict:
    return {"shot_id": f"{media_id}-{idx}", "media_id": media_id, "idx": idx, "start_frame": 0, "end_frame": 10}


def test_rows_of_an_uncommitted_file_are_dropped_on_open(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit_media(media_row("a", "/a.mov", "2026-01-01T00:00:00"), {"shots": [shot_row("a")]})
    # a crash after the children were written but before the media row (the commit marker)
    store.add("shots", [shot_row("b"), shot_row("b", 1)])
    store.add("keyframes", [{"keyframe_id": "b-k", "shot_id": "b-0", "media_id": "b", "vector": [0.1]}])
    reopened = Store(tmp_path)
    assert reopened.count("media") == 1 and reopened.count("shots") == 1 and reopened.count("keyframes") == 0
    assert reopened.rows("shots")[0]["shot_id"] == "a-0"


def test_a_replacement_that_committed_retires_the_old_version(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.commit_media(media_row("old", "/take.mov", "2026-01-01T00:00:00"), {"shots": [shot_row("old")]})
    # the new version committed, the crash came before the old one was retired
    store.commit_media(media_row("new", "/take.mov", "2026-01-02T00:00:00"), {"shots": [shot_row("new")]})
    reopened = Store(tmp_path)
    assert [m["media_id"] for m in reopened.rows("media")] == ["new"]
    assert [s["shot_id"] for s in reopened.rows("shots")] == ["new-0"]


def test_a_database_of_another_schema_version_is_refused(tmp_path: Path) -> None:
    store = Store(tmp_path)
    store.upsert("meta", "key", [{"key": "schema_version", "value": "99"}])
    with pytest.raises(SchemaMismatch, match="schema version 99"):
        Store(tmp_path)
