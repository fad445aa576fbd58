"""Files analysed two at a time (``parallel_files``, the local executor's default) build the
library one at a time builds: same shots, bins, images and exports. A cancel while the next
file is being analysed ahead leaves no row and no image of a file that was not committed."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from binsight.service.server import BinsightServer
from binsight.store import Store
from binsight_client import Client
from conftest import allow_test_media, make_config
from library_view import read_library
from media_factory import encode
from test_server import FPS, encode_plan, pan_shot, still_shot


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("parallel")
    return [encode_plan(folder / "setups.mp4"),
            encode(folder / "second.mp4", still_shot("office", 40) + pan_shot("garden", 60) + still_shot("kitchen", 40),
                   fps=FPS),
            encode(folder / "third.mp4", pan_shot("kitchen", 50) + still_shot("garden", 50), fps=FPS)]


def library(tmp: Path, base: Path, clips: list[Path], files: int):  # noqa: ANN201 - a LibraryView
    server = BinsightServer(make_config(tmp / "data", **{"faces.enabled": False, "parallel_files": files}))
    allow_test_media(tmp / "data", base)
    server.start()
    try:
        with Client(server.address, timeout=300, actor="tester") as client:
            job = client.ingest([str(c) for c in clips])
            assert job.state == "succeeded" and [f.status for f in job.files] == ["ingested"] * len(clips)
            client.recluster()
            return read_library(client)
    finally:
        server.stop()


def test_two_files_at_once_build_the_library_one_at_a_time_builds(clips, tmp_path, tmp_path_factory) -> None:
    base = tmp_path_factory.getbasetemp()
    one, two = library(tmp_path / "one", base, clips, 1), library(tmp_path / "two", base, clips, 2)
    assert one.shots and len({s[1] for s in one.shots}) == len(clips)
    assert one.shots == two.shots
    assert one.bins == two.bins
    assert one.images == two.images
    assert one.exports == two.exports


def test_cancel_leaves_nothing_of_the_file_analysed_ahead(clips, tmp_path, tmp_path_factory) -> None:
    data = tmp_path / "data"
    allow_test_media(data, tmp_path_factory.getbasetemp())
    server = BinsightServer(make_config(data, **{"faces.enabled": False, "parallel_files": 2})).start()
    try:
        with Client(server.address, timeout=300, actor="tester") as client:
            job = client.start_ingest([str(c) for c in clips])
            deadline = time.monotonic() + 120
            while client.get_job(job.job_id).shots_found == 0 and time.monotonic() < deadline:
                time.sleep(0.02)  # the first file is committed, the second is in analysis
            client.cancel_job(job.job_id)
            while not client.get_job(job.job_id).finished_at and time.monotonic() < deadline:
                time.sleep(0.05)
            done = client.get_job(job.job_id)
            assert done.state == "cancelled"
            committed = {s.media_path for s in client.list_shots()}
    finally:
        server.stop()
    assert str(clips[0]) in committed and len(committed) < len(clips)
    store = Store(data / "db")
    media_ids = {m.media_id for m in store.media.all()}
    assert {s.media_id for s in store.shots.all()} == media_ids  # no rows of an uncommitted file
    folders = {p.name for p in (data / "keyframes").iterdir() if p.is_dir()}
    assert folders <= media_ids, f"images of uncommitted files left: {sorted(folders - media_ids)}"
