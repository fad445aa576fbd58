"""Ingest through Ray (``executor = "ray"``): IngestWorker actors analyse the files, the server
alone commits them. A local Ray (two CPUs, loopback) and moto's S3 server are started by this
module and stopped by it."""

from __future__ import annotations

import logging
import os
import signal
import threading
from pathlib import Path

import pytest

pytest.importorskip("ray", reason="Ray is in the distributed extra")

import ray  # noqa: E402

from binsight.service.server import BinsightServer  # noqa: E402
from binsight.store import Store  # noqa: E402
from binsight_client import Client  # noqa: E402
from conftest import allow_test_media, make_config  # noqa: E402
from library_view import read_library  # noqa: E402
from media_factory import edited_reel, encode, shared_media  # noqa: E402
from moto_s3 import BUCKET, MotoS3, moto_s3  # noqa: E402
from ray_cluster import local_ray  # noqa: E402
from test_server import FPS, encode_plan, pan_shot, still_shot  # noqa: E402

s3 = pytest.fixture(scope="module")(moto_s3)
cluster = pytest.fixture(scope="module")(local_ray)
NO_FACES = {"faces.enabled": False}


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("rayclips")
    return [encode_plan(folder / "setups.mp4"), shared_media("counter.mp4"),
            shared_media("testvideo.mp4")]


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> Path:
    return encode(tmp_path_factory.mktemp("raylong") / "long.mp4",
                  still_shot("office", 200) + pan_shot("garden", 700, step=1) + still_shot("kitchen", 200), fps=FPS)


def serve(data_dir: Path, base: Path, **overrides) -> tuple[BinsightServer, Client]:
    allow_test_media(data_dir, base)
    server = BinsightServer(make_config(data_dir, **overrides)).start()
    return server, Client(server.address, timeout=300, actor="tester")


def counts(store: Store) -> dict[str, tuple[int, int]]:
    """Rows and distinct ids per table: equal when nothing is duplicated."""
    return {t.name: (t.count(), len(t.keys())) for t in (store.media, store.shots, store.keyframes, store.assignments)}


@pytest.fixture(scope="module")
def single_process(clips, tmp_path_factory):
    """The reference: the clips ingested the usual way, into a local folder."""
    server, client = serve(tmp_path_factory.mktemp("single") / "data", tmp_path_factory.getbasetemp(), **NO_FACES)
    try:
        assert client.ingest([str(c) for c in clips]).state == "succeeded"
        client.recluster()
        return read_library(client)
    finally:
        client.close()
        server.stop()


def test_ingest_through_ray_into_a_bucket_equals_a_single_process_run(cluster, s3: MotoS3, clips, single_process,
                                                                        tmp_path: Path, tmp_path_factory) -> None:
    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), executor="ray", ray_workers=2,
                           store_uri=f"s3://{BUCKET}/ray", **NO_FACES, **s3.settings())
    try:
        job = client.ingest([str(c) for c in clips])
        assert job.state == "succeeded", job.error
        assert [f.status for f in job.files] == ["ingested"] * len(clips)
        client.recluster()
        assert read_library(client) == single_process  # shots, bins, images, exports byte for byte
        assert len({k.split("/")[2] for k in s3.keys("ray/keyframes/")}) == len(clips)  # images by the workers

        store = server.project.store
        before = counts(store)
        assert all(rows == ids for rows, ids in before.values())
        again = client.ingest([str(c) for c in clips])  # a re-run sends nothing to the workers
        assert [f.status for f in again.files] == ["unchanged"] * len(clips)
        forced = client.ingest([str(c) for c in clips], force=True)  # analysed again: the same ids, once
        assert forced.state == "succeeded" and counts(store) == before
        client.recluster()
        assert read_library(client) == single_process
    finally:
        client.close()
        server.stop()


def _worker_pids(server: BinsightServer) -> list[int]:
    return [ray.get(a.pid.remote()) for a in server.project.executor.actors()]


def test_cancel_clears_the_queue_and_commits_nothing_in_flight(cluster, clips, long_clip, tmp_path: Path,
                                                               tmp_path_factory) -> None:
    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), executor="ray", ray_workers=2,
                           **NO_FACES)
    try:
        job = client.start_ingest([str(long_clip), str(clips[0]), str(clips[2])])
        for event in client.watch_job(job.job_id):
            if event.file == str(long_clip) and event.stage == "detect" and event.frames_done > 0:
                client.cancel_job(job.job_id)
                break
        done = client.watch_job(job.job_id)
        for _ in done:
            pass
        final = client.get_job(job.job_id)
        assert final.state == "cancelled"
        assert client.list_media() == [] and client.list_shots() == []
        store = server.project.store
        assert {name: rows for name, (rows, _) in counts(store).items()} == \
            {"media": 0, "shots": 0, "keyframes": 0, "assignments": 0}
        images = tmp_path / "data" / "keyframes"
        assert not images.exists() or list(images.iterdir()) == []  # the workers removed what they wrote
        # the workers are free again: the next job runs
        assert client.ingest([str(clips[1])]).state == "succeeded"
    finally:
        client.close()
        server.stop()


def test_a_killed_worker_s_file_is_analysed_again_with_no_duplicates(cluster, long_clip, tmp_path: Path,
                                                                     tmp_path_factory) -> None:
    reference, ref_client = serve(tmp_path / "ref", tmp_path_factory.getbasetemp(), **NO_FACES)
    try:
        assert ref_client.ingest([str(long_clip)]).state == "succeeded"
        expected = read_library(ref_client, images=False).shots
    finally:
        ref_client.close()
        reference.stop()

    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), executor="ray", ray_workers=2,
                           **NO_FACES)
    try:
        pids = _worker_pids(server)
        killed = threading.Event()
        job = client.start_ingest([str(long_clip)])
        for event in client.watch_job(job.job_id):
            if not killed.is_set() and event.stage == "detect" and event.frames_done > 0:
                os.kill(pids[0], signal.SIGKILL)  # the first file goes to the first worker
                killed.set()
        final = client.get_job(job.job_id)
        assert killed.is_set() and final.state == "succeeded", final.error
        assert final.files[0].status == "ingested"
        assert _worker_pids(server)[0] != pids[0]  # Ray restarted the actor, models loaded again
        assert read_library(client, images=False).shots == expected
        assert all(rows == ids for rows, ids in counts(server.project.store).values())
    finally:
        client.close()
        server.stop()


@pytest.fixture(scope="module")
def reel(tmp_path_factory) -> Path:
    """33 s of holds, dissolves, pans, fades and a flash: split every 4 s, most boundaries fall
    inside a shot or a transition."""
    return encode(tmp_path_factory.mktemp("rayreel") / "reel.mp4", edited_reel(), fps=FPS, options={"g": "50"})


@pytest.fixture(scope="module")
def reel_library(reel, tmp_path_factory):
    """The reel ingested by a single process into a local folder."""
    server, client = serve(tmp_path_factory.mktemp("reelref") / "data", tmp_path_factory.getbasetemp(), **NO_FACES)
    try:
        assert client.ingest([str(reel)]).state == "succeeded"
        client.recluster()
        return read_library(client)
    finally:
        client.close()
        server.stop()


SPLIT = {"executor": "ray", "ray_workers": 2, "ray_chunk_seconds": 4.0, **NO_FACES}


def test_a_long_file_split_in_chunks_equals_the_single_process_run(cluster, reel, reel_library, tmp_path: Path,
                                                                   tmp_path_factory, caplog) -> None:
    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), **SPLIT)
    try:
        with caplog.at_level(logging.INFO, logger="binsight.executors"):
            job = client.ingest([str(reel)])
        assert job.state == "succeeded", job.error
        split = [r for r in caplog.records if r.getMessage() == "long file split across the ingest workers"]
        assert len(split) == 1 and split[0].chunks >= 6  # it was split, not analysed whole
        client.recluster()
        assert read_library(client) == reel_library  # shots, bins, images, exports byte for byte
        assert all(rows == ids for rows, ids in counts(server.project.store).values())
    finally:
        client.close()
        server.stop()


def test_cancel_during_a_split_file_commits_nothing(cluster, reel, clips, tmp_path: Path, tmp_path_factory) -> None:
    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), **SPLIT)
    try:
        job = client.start_ingest([str(reel), str(clips[0])])
        for event in client.watch_job(job.job_id):
            if event.file == str(reel) and event.stage == "detect" and event.frames_done > 0:
                client.cancel_job(job.job_id)  # a chunk is done, others are running
                break
        for _ in client.watch_job(job.job_id):
            pass
        assert client.get_job(job.job_id).state == "cancelled"
        assert {name: rows for name, (rows, _) in counts(server.project.store).items()} == \
            {"media": 0, "shots": 0, "keyframes": 0, "assignments": 0}
        images = tmp_path / "data" / "keyframes"
        assert not images.exists() or list(images.iterdir()) == []
        assert client.ingest([str(clips[0])]).state == "succeeded"  # every worker is free again
    finally:
        client.close()
        server.stop()


def test_a_worker_killed_during_a_split_file_is_replaced_and_nothing_is_duplicated(
        cluster, reel, reel_library, tmp_path: Path, tmp_path_factory) -> None:
    server, client = serve(tmp_path / "data", tmp_path_factory.getbasetemp(), **SPLIT)
    try:
        pids = _worker_pids(server)
        killed = False
        job = client.start_ingest([str(reel)])
        for event in client.watch_job(job.job_id):
            if not killed and event.stage == "detect" and event.frames_done > 0:
                os.kill(pids[1], signal.SIGKILL)  # busy with a chunk: more chunks than workers
                killed = True
        final = client.get_job(job.job_id)
        assert killed and final.state == "succeeded", final.error
        assert _worker_pids(server)[1] != pids[1]
        assert read_library(client, images=False).shots == reel_library.shots
        assert all(rows == ids for rows, ids in counts(server.project.store).values())
    finally:
        client.close()
        server.stop()
