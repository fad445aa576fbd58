"""Several servers, one library: two `binsight serve` processes over one bucket (moto's S3
server, started by this module). Each sees the other's commits, reads, searches, reclusters and
exports the same library; jobs that change the bins run one at a time under a lease in the store;
concurrent corrections from both servers are all kept."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from binsight.store import Store
from binsight_client import Client
from conftest import allow_test_media
from library_view import read_library
from media_factory import encode, shared_media
from moto_s3 import BUCKET, KEYS, MotoS3, moto_s3
from test_server import FPS, PLAN, encode_plan, pan_shot, still_shot
from test_shutdown import free_port

s3 = pytest.fixture(scope="module")(moto_s3)
URI = f"s3://{BUCKET}/shared"


def serve(s3: MotoS3, data_dir: Path, base: Path) -> tuple[subprocess.Popen, Client]:
    """A server process over the shared library: endpoint and keys from the AWS_* environment."""
    allow_test_media(data_dir, base)
    port = free_port()
    env = {**os.environ, **KEYS, "AWS_ENDPOINT_URL": s3.endpoint, "BINSIGHT_DATA_DIR": str(data_dir),
           "BINSIGHT_STORE_URI": URI, "BINSIGHT_FACES__ENABLED": "false", "BINSIGHT_SLATES__ENABLED": "false",
           "BINSIGHT_HTTP_ADDRESS": "", "BINSIGHT_STORAGE__REFRESH_SECONDS": "0", "BINSIGHT_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "binsight.cli", "--address", f"127.0.0.1:{port}", "serve"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = Client(f"127.0.0.1:{port}", timeout=300, actor=data_dir.parent.name)
    try:
        client.wait_ready(timeout=90)
    except Exception:
        proc.kill()
        raise AssertionError(f"binsight serve did not come up: {proc.communicate()[1][-3000:]}") from None
    return proc, client


def stop(proc: subprocess.Popen, client: Client) -> None:
    client.close()
    proc.send_signal(signal.SIGTERM)
    try:
        assert proc.wait(timeout=60) == 0, proc.stderr.read()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("sharedclips")
    return [encode_plan(folder / "setups.mp4"), shared_media("counter.mp4"),
            encode(folder / "later.mp4", still_shot("office", 20) + pan_shot("garden", 30), fps=FPS)]


@pytest.fixture(scope="module")
def two_servers(s3: MotoS3, clips, tmp_path_factory) -> Iterator[tuple[Client, Client]]:
    base = tmp_path_factory.getbasetemp()
    a = serve(s3, tmp_path_factory.mktemp("a") / "data", base)
    b = serve(s3, tmp_path_factory.mktemp("b") / "data", base)
    try:
        yield a[1], b[1]
    finally:
        stop(*a)
        stop(*b)


def test_the_second_server_reads_what_the_first_commits(two_servers, clips) -> None:
    a, b = two_servers
    assert b.list_shots() == []
    job = a.ingest([str(c) for c in clips[:2]])
    assert job.state == "succeeded"
    a.recluster()
    seen_by_a = read_library(a)
    assert len(seen_by_a.shots) == len(PLAN) + 3
    assert read_library(b) == seen_by_a  # shots, bins, images and every export, byte for byte
    shot = seen_by_a.shots[0][0]
    assert [h.shot.shot_id for h in b.search_similar(shot, limit=5)] == \
        [h.shot.shot_id for h in a.search_similar(shot, limit=5)]

    # and back: what B ingests and reclusters, A shows
    job = b.ingest([str(clips[2])])
    assert job.state == "succeeded" and job.files[0].status == "ingested"
    b.recluster()
    assert read_library(a) == read_library(b)
    assert len(read_library(a).shots) == len(PLAN) + 3 + 2
    assert a.ingest([str(clips[2])]).files[0].status == "unchanged"  # A knows B ingested it


def test_recluster_runs_one_at_a_time_across_servers(s3: MotoS3, two_servers, monkeypatch) -> None:
    a, b = two_servers
    for key, value in {**KEYS, "AWS_ENDPOINT_URL": s3.endpoint}.items():
        monkeypatch.setenv(key, value)
    from binsight.storage import StorageSettings, locate
    where = locate(URI, Path("."), StorageSettings())
    store = Store(where.db_uri, where.storage_options)  # a third party holding the lease
    finished: list[float] = []
    with store.leased("index"):
        worker = threading.Thread(target=lambda: (b.recluster(), finished.append(time.monotonic())))
        worker.start()
        time.sleep(3.0)
        assert not finished, "B reclustered while another holder had the lease"
        released = time.monotonic()
    worker.join(timeout=60)
    assert finished and finished[0] >= released
    assert store.leases.live() == []  # released by both


def test_concurrent_corrections_from_both_servers_are_all_kept(two_servers) -> None:
    a, b = two_servers
    bins = [c.cluster_id for c in a.list_clusters().clusters]
    assert len(bins) >= 2
    errors: list[BaseException] = []

    def rename(client: Client, tag: str) -> None:
        try:
            for n in range(3):
                for cid in bins:
                    client.rename_cluster(cid, f"{tag}{n} {cid}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=rename, args=(c, t)) for c, t in ((a, "A"), (b, "B"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert errors == []
    history = [e for e in a.list_feedback() if e.action == "rename_cluster"]
    assert len(history) == 2 * 3 * len(bins)  # every correction logged, none lost
    final = {c.cluster_id: c.name for c in a.list_clusters().clusters}
    assert final == {c.cluster_id: c.name for c in b.list_clusters().clusters}
    assert all(final[cid].endswith(f"2 {cid}") for cid in bins)  # each bin ends with a last rename


WRITER = """
import sys
from pathlib import Path
from binsight.records import MetaRecord
from binsight.storage import StorageSettings, locate
from binsight.store import Store
where = locate(sys.argv[1], Path("."), StorageSettings())
store = Store(where.db_uri, where.storage_options)
for n in range(12):
    store.meta.upsert([MetaRecord(f"{sys.argv[2]}-{n}", sys.argv[2])])
"""


def test_two_writers_on_one_table_lose_nothing(s3: MotoS3, monkeypatch) -> None:
    """No lease here: two processes upsert into one table at once. Lance rebases each commit
    over the other's (retrying its conditional write); every row lands, and a third opener that
    wrote nothing learns that others did."""
    env = {**os.environ, **KEYS, "AWS_ENDPOINT_URL": s3.endpoint}
    for key in (*KEYS, "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(key, env[key])
    from binsight.storage import StorageSettings, locate
    uri = f"s3://{BUCKET}/writers"
    where = locate(uri, Path("."), StorageSettings())
    watcher = Store(where.db_uri, where.storage_options)  # creates the tables first
    assert not watcher.changed_elsewhere()
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, uri, tag], env=env, stderr=subprocess.PIPE, text=True)
               for tag in ("a", "b")]
    for proc in writers:
        assert proc.wait(timeout=180) == 0, proc.stderr.read()[-3000:]
    assert watcher.changed_elsewhere()
    keys = {m.key for m in watcher.meta.all()}
    assert {f"{t}-{n}" for t in "ab" for n in range(12)} <= keys
    assert watcher.meta.count() == len(keys)  # and none twice
    assert not watcher.changed_elsewhere()
