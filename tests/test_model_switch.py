"""Switching the scene model: vectors of different models are never compared; a re-embed moves
the project to the new model from the stored keyframes, keeping the editor's bins."""

from __future__ import annotations

from pathlib import Path

from clip_pack_factory import make_clip_pack
from media_factory import shared_media
from test_server import setups_clip  # noqa: F401  (fixture)


def test_installing_clip_then_reembedding(start_server, setups_clip: Path, tmp_path: Path) -> None:  # noqa: F811
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(setups_clip), str(shared_media("counter.mp4"))])
    client.recluster()
    first = client.list_clusters().clusters[0]
    client.rename_cluster(first.cluster_id, "Kitchen")
    assert client.status().scene_model.model_id.startswith("pixels")
    client.close()
    server.stop()

    pack = tmp_path / "pack"
    manifest = make_clip_pack(pack)
    from binsight.models.manager import ModelManager
    ModelManager(tmp_path / "data" / "models").import_pack(pack)

    server, client = start_server(**{"faces.enabled": False})
    status = client.status()
    assert status.scene_model.model_id == manifest.model_id
    assert any("reembed" in note for note in status.notes), status.notes
    assert status.shot_count == 0, "pixels vectors must not be compared with CLIP vectors"
    assert client.search_text("a dog") .__class__ is list

    job = client.reembed()
    list(client.watch_job(job.job_id))
    job = client.get_job(job.job_id)
    assert job.state == "succeeded" and len(job.files) == 2
    assert {m.scene_model_id for m in client.list_media()} == {manifest.model_id}
    status = client.status()
    assert status.shot_count == 6 + 3 and not any("reembed" in n for n in status.notes)
    tree = client.list_clusters()
    named = [c for c in tree.clusters if c.cluster_id == first.cluster_id]
    assert named and named[0].name == "Kitchen", "the editor's bin keeps its id and name"
    hits = client.search_text("a cat", limit=3)
    assert len(hits) == 3 and all(-1.0 <= h.score <= 1.0 for h in hits)
