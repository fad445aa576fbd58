"""End to end through the SDK: a real server, real LanceDB, real video files."""

from __future__ import annotations

import shutil
from fractions import Fraction
from pathlib import Path

import cv2
import grpc
import numpy as np
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from binsight_client import InvalidArgument, NotFound
from media_factory import encode, shared_media, texture, truncate

FPS = Fraction(25)
SIZE = (320, 180)


def tinted(seed: int, tint: tuple[float, float, float], width: int = SIZE[0]) -> np.ndarray:
    """A textured 'setup' with its own colour cast, like a location under its own light."""
    image = texture(seed, width, SIZE[1]).astype(np.float32)
    return np.clip(image * 0.5 + np.array(tint, np.float32) * 0.5, 0, 255).astype(np.uint8)


SETUPS = {"kitchen": (1, (40, 90, 220)), "garden": (2, (60, 200, 60)), "office": (3, (200, 120, 40))}


def still_shot(setup: str, frames: int, shift: int = 0) -> list[np.ndarray]:
    seed, tint = SETUPS[setup]
    wide = tinted(seed, tint, SIZE[0] + 40)
    return [wide[:, shift:shift + SIZE[0]]] * frames


def pan_shot(setup: str, frames: int, step: int = 3) -> list[np.ndarray]:
    seed, tint = SETUPS[setup]
    wide = tinted(seed, tint, SIZE[0] + step * frames)
    return [wide[:, i * step:i * step + SIZE[0]] for i in range(frames)]


# shot plan: (setup, kind, frames); hard cuts between them
PLAN = [("kitchen", "still", 30), ("garden", "pan", 40), ("kitchen", "still", 30), ("office", "still", 30),
        ("garden", "pan", 40), ("office", "still", 25)]


def encode_plan(path: Path) -> Path:
    """``PLAN`` as a video file: its stills each shifted a little, so no two are identical."""
    frames: list[np.ndarray] = []
    for i, (setup, kind, n) in enumerate(PLAN):
        frames += still_shot(setup, n, shift=4 * i) if kind == "still" else pan_shot(setup, n)
    return encode(path, frames, fps=FPS)


@pytest.fixture(scope="module")
def setups_clip(tmp_path_factory) -> Path:
    return encode_plan(tmp_path_factory.mktemp("clips") / "setups.mp4")


def expected_starts() -> list[int]:
    starts, at = [], 0
    for _, _, n in PLAN:
        starts.append(at)
        at += n
    return starts


def test_counter_shots_and_timecodes(served) -> None:
    _, client = served
    job = client.ingest([str(shared_media("counter.mp4"))])
    assert job.state == "succeeded", job.error
    assert [f.status for f in job.files] == ["ingested"]
    shots = client.list_shots()
    assert [(s.start_frame, s.end_frame) for s in shots] == [(0, 10), (10, 20), (20, 30)]
    assert [(s.source_in, s.source_out) for s in shots] == [
        ("00:00:00:00", "00:00:01:00"), ("00:00:01:00", "00:00:02:00"), ("00:00:02:00", "00:00:03:00")]
    assert [round(s.start_s, 3) for s in shots] == [0.0, 1.0, 2.0]
    for shot in shots:
        assert len(shot.keyframes) == (3 if shot.moving else 1)
        assert all(shot.start_frame <= k.frame < shot.end_frame for k in shot.keyframes)
    media = client.list_media()[0]
    assert media.frame_rate == Fraction(10) and media.frame_count == 30 and media.shot_count == 3


def test_setups_cluster_together(served, setups_clip: Path) -> None:
    _, client = served
    job = client.ingest([str(setups_clip)])
    assert job.state == "succeeded", job.error
    shots = client.list_shots()
    assert [s.start_frame for s in shots] == expected_starts()
    for shot, (_, kind, _) in zip(shots, PLAN):
        assert shot.moving == (kind == "pan"), shot
        assert len(shot.keyframes) == (3 if kind == "pan" else 1)
    # online: the second kitchen shot joins the cluster the first one founded
    assert shots[0].cluster_id and shots[2].cluster_id == shots[0].cluster_id
    report = client.recluster()
    assert report.shots_total == len(PLAN)
    by_shot = {s.shot_id: s.cluster_id for s in client.list_shots()}
    clusters = [by_shot[s.shot_id] for s in shots]
    for i, (setup_i, _, _) in enumerate(PLAN):
        for j, (setup_j, _, _) in enumerate(PLAN):
            assert (clusters[i] == clusters[j]) == (setup_i == setup_j), (PLAN[i], PLAN[j], clusters)
    tree = client.list_clusters()
    assert sorted(c.shot_count for c in tree.clusters) == [2, 2, 2]
    assert tree.noise.shot_count == 0


def test_keyframe_images_are_served(served) -> None:
    _, client = served
    client.ingest([str(shared_media("issue-134-rotate.mp4"))])
    shot = client.list_shots()[0]
    full = client.keyframe_image(shot.keyframes[0].keyframe_id)
    thumb = client.keyframe_image(shot.keyframes[0].keyframe_id, thumbnail=True)
    image = cv2.imdecode(np.frombuffer(full.data, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[1] > image.shape[0], "the rotated file's keyframe must come out upright (landscape)"
    assert (full.width, full.height) == (image.shape[1], image.shape[0])
    assert max(thumb.width, thumb.height) == 320 and thumb.mime_type == "image/jpeg"
    with pytest.raises(NotFound, match="no keyframe"):
        client.keyframe_image("nope")


def test_restart_keeps_everything(start_server, setups_clip: Path) -> None:
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(setups_clip)])
    client.recluster()
    shots_before = [(s.shot_id, s.cluster_id, s.start_frame, len(s.keyframes)) for s in client.list_shots()]
    media_before = client.list_media()
    tree_before = [(c.cluster_id, c.shot_count) for c in client.list_clusters().clusters]
    client.close()
    server.stop()
    _, client = start_server(**{"faces.enabled": False})
    assert [(s.shot_id, s.cluster_id, s.start_frame, len(s.keyframes)) for s in client.list_shots()] == shots_before
    assert client.list_media() == media_before
    assert [(c.cluster_id, c.shot_count) for c in client.list_clusters().clusters] == tree_before
    # re-ingesting the unchanged file does nothing
    job = client.ingest([str(setups_clip)])
    assert [f.status for f in job.files] == ["unchanged"]
    assert client.status().shot_count == len(shots_before)


def test_changed_file_replaces_its_shots(served, tmp_path: Path) -> None:
    _, client = served
    clip = tmp_path / "take.mp4"
    shutil.copy(shared_media("counter.mp4"), clip)
    client.ingest([str(clip)])
    old = {s.shot_id for s in client.list_shots()}
    encode(clip, still_shot("office", 20) + still_shot("garden", 20), fps=FPS)
    job = client.ingest([str(clip)])
    assert [f.status for f in job.files] == ["replaced"]
    shots = client.list_shots()
    assert [(s.start_frame, s.end_frame) for s in shots] == [(0, 20), (20, 40)]
    assert not old & {s.shot_id for s in shots}
    assert len(client.list_media()) == 1


def test_bad_input_is_refused_and_changes_nothing(served, tmp_path: Path) -> None:
    _, client = served
    client.ingest([str(shared_media("counter.mp4"))])
    before = (client.list_media(), client.list_shots(), len(client.list_jobs()))
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    (empty_dir / "notes.txt").write_text("no video here")
    zero = tmp_path / "zero.mp4"
    zero.write_bytes(b"")
    text = tmp_path / "script.mov"
    text.write_text("INT. KITCHEN - DAY\n" * 50)
    cut_short = truncate(shared_media("testvideo.mp4"), tmp_path / "cut.mp4", keep=0.3)
    cases = [
        (str(tmp_path / "missing.mp4"), "no such file"),
        (str(zero), "empty"),
        (str(text), "not a video"),
    ]
    for path, message in cases:
        with pytest.raises(InvalidArgument, match=message):
            client.start_ingest([path])
    with pytest.raises(InvalidArgument):
        client.start_ingest([])
    assert (client.list_media(), client.list_shots(), len(client.list_jobs())) == before
    # a folder is walked by the job (the call returns at once): none of its files is a video
    job = client.ingest([str(empty_dir)])
    assert job.state == "failed" and "no video files" in job.error
    assert (client.list_media(), client.list_shots()) == before[:2]
    # a truncated mp4 is either refused whole (no index) or ingested as far as it decodes, with
    # the truncation reported; either way the earlier file is untouched
    try:
        job = client.ingest([str(cut_short)])
    except InvalidArgument as exc:
        assert "truncat" in str(exc).lower() or "not a video" in str(exc).lower()
    else:
        (result,) = job.files
        assert result.status == "ingested" and "truncat" in (result.message + " ".join(result.warnings)).lower()
    assert [s.shot_id for s in client.list_shots() if s.media_id == before[0][0].media_id] == \
        [s.shot_id for s in before[1]]


def test_jobs_can_be_listed_and_cancelled(served, tmp_path: Path) -> None:
    _, client = served
    long_clip = encode(tmp_path / "long.mp4", pan_shot("garden", 600, step=1), fps=FPS)
    job = client.start_ingest([str(long_clip)])
    cancelled = client.cancel_job(job.job_id)
    assert cancelled.state in ("cancelled", "running")
    events = list(client.watch_job(job.job_id))
    assert events[-1].state == "cancelled"
    assert client.get_job(job.job_id).state == "cancelled"
    assert job.job_id in [j.job_id for j in client.list_jobs()]
    assert client.list_media() == [] and client.list_shots() == []
    with pytest.raises(NotFound):
        client.get_job("no-such-job")


def test_progress_stream_reports_stages(served) -> None:
    _, client = served
    job = client.start_ingest([str(shared_media("counter.mp4"))])
    events = list(client.watch_job(job.job_id))
    stages = [e.stage for e in events if e.file]
    assert {"probe", "detect", "embed", "store", "done"} <= set(stages)
    detect = [e for e in events if e.stage == "detect" and e.frames_total]
    assert detect and detect[-1].frames_total == 30
    assert events[-1].state == "succeeded" and events[-1].files_done == 1


def test_health_reflection_and_status(served) -> None:
    server, client = served
    channel = grpc.insecure_channel(server.address)
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    services = {s.name for r in responses for s in r.list_services_response.service}
    assert {"binsight.v1.IngestService", "binsight.v1.ClusterService", "binsight.v1.FeedbackService",
            "binsight.v1.SearchService", "binsight.v1.CompareService", "binsight.v1.ExportService",
            "binsight.v1.SystemService", "grpc.health.v1.Health"} <= services
    channel.close()
    status = client.status()
    assert status.schema_version == 2 and status.scene_model.model_id.startswith("pixels")
    assert status.face_model.model_id == "" and any("faces are off" in n for n in status.notes)
    assert client.search_text("a kitchen") == [], "no CLIP: words only, and no shot has these"
    assert any("CLIP" in n for n in client.search(text="a kitchen").notes)


def test_candidates_are_always_live_bins(served, setups_clip: Path, tmp_path: Path) -> None:
    """Suggestions name bins that exist now, scored against them: after a recluster retires
    online bins, and after a merge retires one."""
    _, client = served
    lone = encode(tmp_path / "lone.mp4", still_shot("office", 20) + pan_shot("garden", 30), fps=FPS)
    client.ingest([str(setups_clip), str(lone)])

    def live_and_fresh() -> None:
        tree = client.list_clusters()
        live = {c.cluster_id for c in tree.clusters}
        for shot in client.list_shots():
            assert {c.cluster_id for c in shot.candidates} <= live, (shot.shot_id, shot.candidates, live)
            assert [c.score for c in shot.candidates] == sorted((c.score for c in shot.candidates), reverse=True)
        for shot in tree.noise.shots:
            assert shot.candidates, shot.shot_id  # an unsure shot always shows where it could go

    client.recluster()
    live_and_fresh()
    first, second = client.list_clusters().clusters[:2]
    client.merge_clusters([first.cluster_id, second.cluster_id])
    live_and_fresh()


def test_the_leaf_on_the_rock_is_one_setup_under_two_lights(served) -> None:
    """testvideo.mp4: content shots 1 and 3 show the same leaf on the same rock under different
    light (truth.json); after a run they share a bin, and the deer and the snake skin do not."""
    _, client = served
    client.ingest([str(shared_media("testvideo.mp4"))])
    client.recluster()
    shots = client.list_shots()
    assert len(shots) == 4
    bins = [s.cluster_id for s in shots]
    assert bins[0] and bins[0] == bins[2], bins
    assert bins[1] != bins[0] and bins[3] != bins[0]
