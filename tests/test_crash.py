"""Crash safety: a real ``binsight serve`` process killed with SIGKILL (a fault point, see
``binsight.faults``) at each stage of an ingest, between a file's commit and its placement, in the
middle of a correction and of an export; then restarted. After every case: no acknowledged write
is lost, no shot is stored twice, and every stored shot sits in exactly one bin (ListShots and
the bin tree count the same shots). Also: a forced re-ingest keeps the editor's placement and
pin, a full disk fails an export cleanly, and two writers on one table lose nothing."""

from __future__ import annotations

import shutil
import signal
import subprocess
import threading
from collections import Counter
from pathlib import Path

import pytest

from binsight.records import MetaRecord
from binsight.store import Store
from binsight_client import Client, Unavailable
from media_factory import shared_media
from test_server import PLAN, encode_plan
from test_shutdown import free_port, serve as serve_process


def serve(data_dir: Path, port: int, faults: str = "") -> subprocess.Popen:
    return serve_process(data_dir, port, data_dir.parent.parent, BINSIGHT_SLATES__ENABLED="false",
                         BINSIGHT_FAULTS=faults, BINSIGHT_HTTP_ADDRESS="")


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0, proc.stderr.read()[-2000:]


def died(proc: subprocess.Popen) -> None:
    """The fault point fired: the process ended by SIGKILL."""
    assert proc.wait(timeout=180) == -signal.SIGKILL, proc.stderr.read()[-2000:]


def each_shot_in_one_bin(client: Client) -> list[str]:
    """Every stored shot exactly once in the bin tree (scene bins and noise), none twice in the
    store: the invariant after every crash. Returns the shot ids."""
    shots = [s.shot_id for s in client.list_shots()]
    assert len(shots) == len(set(shots)), "a shot is stored twice"
    tree = client.list_clusters()
    in_tree = Counter(s.shot_id for b in tree.clusters for s in b.shots)
    in_tree.update(s.shot_id for s in tree.noise.shots)
    assert sum(in_tree.values()) == len(shots), f"bin tree holds {sum(in_tree.values())} shots, ListShots {len(shots)}"
    assert set(in_tree) == set(shots) and max(in_tree.values(), default=1) == 1
    assert sum(b.shot_count for b in tree.clusters) + tree.noise.shot_count == len(shots)
    exported = client.export("bins_json").files[0].data
    assert all(s.encode() in exported for s in shots), "a stored shot is missing from the export"
    return shots


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("crash_clips")
    return {"a": shared_media("counter.mp4"), "b": encode_plan(folder / "setups.mp4")}


@pytest.fixture(scope="module")
def base(tmp_path_factory, clips) -> tuple[Path, dict]:
    """A project with file A ingested and two acknowledged corrections, stopped cleanly."""
    data = tmp_path_factory.mktemp("crash_base") / "data"
    port = free_port()
    proc = serve(data, port)
    try:
        with Client(f"127.0.0.1:{port}", timeout=120, actor="ed") as client:
            assert client.ingest([str(clips["a"])]).state == "succeeded"
            shots = client.list_shots()
            moved = client.move_shot(shots[0].shot_id, "")  # pinned in the noise bucket
            tree = client.list_clusters()
            bin_id = tree.clusters[0].cluster_id
            client.rename_cluster(bin_id, "Counter")
            acked = {"pinned": shots[0].shot_id, "bin": bin_id, "shots": sorted(s.shot_id for s in shots),
                     "feedback": [e.feedback_id for e in client.list_feedback()]}
            assert acked["feedback"][0] == moved.event.feedback_id
    finally:
        stop(proc)
    return data, acked


def acknowledged_writes_hold(client: Client, acked: dict) -> None:
    assert [e.feedback_id for e in client.list_feedback()][:len(acked["feedback"])] == acked["feedback"]
    pinned = next(s for s in client.list_shots() if s.shot_id == acked["pinned"])
    assert pinned.cluster_id == "" and pinned.pinned
    assert client.get_cluster(acked["bin"]).name == "Counter"


@pytest.mark.parametrize("stage", ["probe", "detect", "embed", "store", "after_commit"])
def test_kill_9_at_each_ingest_stage(tmp_path: Path, base, clips, stage: str) -> None:
    data = tmp_path / "case" / "data"
    shutil.copytree(base[0], data)
    acked = base[1]
    port = free_port()
    proc = serve(data, port, faults=stage)
    with Client(f"127.0.0.1:{port}", timeout=120) as client:
        client.start_ingest([str(clips["b"])])
    died(proc)

    # placed at the next start, for real: after a kill past the commit, it stays placed after another
    restarts = 2 if stage == "after_commit" else 1
    for restart in range(restarts):
        proc = serve(data, port)
        try:
            with Client(f"127.0.0.1:{port}", timeout=120) as client:
                shots = each_shot_in_one_bin(client)
                acknowledged_writes_hold(client, acked)
                media = [m.path for m in client.list_media()]
                if stage == "after_commit":  # committed before the kill: kept, and placed
                    assert len(media) == 2 and len(shots) == len(acked["shots"]) + len(PLAN)
                else:  # not committed: nothing of it is left
                    assert media == [str(clips["a"].resolve())] and sorted(shots) == acked["shots"]
                if restart == restarts - 1:  # and the file ingests as if nothing had happened
                    job = client.ingest([str(clips["b"])])
                    assert job.state == "succeeded"
                    assert job.files[0].status == ("unchanged" if stage == "after_commit" else "ingested")
                    shots = each_shot_in_one_bin(client)
                    assert len(shots) == len(acked["shots"]) + len(PLAN)
                    acknowledged_writes_hold(client, acked)
        finally:
            stop(proc)
    rows = Store(data / "db")
    assert rows.shots.count() == rows.assignments.count() == len(shots)


@pytest.mark.parametrize("point", ["correction", "journal"])
def test_kill_9_during_a_correction(tmp_path: Path, base, point: str) -> None:
    """A correction cut off before it is logged was never acknowledged: after the restart it is
    wholly there (bins and log: killed once its journal row was written, ``journal``) or not at
    all (killed while it was being worked out, ``correction``), and every earlier one holds."""
    data = tmp_path / "case" / "data"
    shutil.copytree(base[0], data)
    acked = base[1]
    port = free_port()
    proc = serve(data, port, faults=point)
    with Client(f"127.0.0.1:{port}", timeout=120, actor="ed") as client:
        shot = next(s for s in client.list_shots() if s.shot_id != acked["pinned"])
        with pytest.raises(Unavailable):
            client.move_shot(shot.shot_id, "")
    died(proc)
    proc = serve(data, port)
    try:
        with Client(f"127.0.0.1:{port}", timeout=120, actor="ed") as client:
            each_shot_in_one_bin(client)
            acknowledged_writes_hold(client, acked)
            logged = len(client.list_feedback()) > len(acked["feedback"])
            after = next(s for s in client.list_shots() if s.shot_id == shot.shot_id)
            assert logged == (after.cluster_id == "" and after.pinned), "a correction half applied"
            assert logged == (point == "journal")
            client.move_shot(shot.shot_id, "")  # and the bins still take corrections
            each_shot_in_one_bin(client)
    finally:
        stop(proc)


def test_kill_9_during_an_export_leaves_no_partial_file(tmp_path: Path, base) -> None:
    data = tmp_path / "case" / "data"
    shutil.copytree(base[0], data)
    port = free_port()
    proc = serve(data, port, faults="export_rename")
    with Client(f"127.0.0.1:{port}", timeout=120) as client:
        with pytest.raises(Unavailable):
            client.export("fcpxml", out_dir="day1")
    died(proc)
    folder = data / "exports" / "day1"
    assert [p.name for p in folder.iterdir() if not p.name.startswith(".")] == []
    proc = serve(data, port)
    try:
        with Client(f"127.0.0.1:{port}", timeout=120) as client:
            written = client.export("fcpxml", out_dir="day1")
            assert written.files
            assert sorted(p.name for p in folder.iterdir()) == sorted(Path(f.path).name for f in written.files)
            each_shot_in_one_bin(client)
    finally:
        stop(proc)


def test_a_full_disk_fails_the_export_whole(served, monkeypatch) -> None:
    """ENOSPC on the second file of a multi-file export: a status that says so, and no file at
    all in the folder (none half written, none of the earlier ones left)."""
    server, client = served
    client.ingest([str(shared_media("counter.mp4"))])
    monkeypatch.setenv("BINSIGHT_FAULTS", "export_write:ENOSPC")
    with pytest.raises(Unavailable, match="No space left on device.*nothing was written"):
        client.export("otio", out_dir="full")
    folder = server.config.exports_path / "full"
    assert not folder.exists() or list(folder.iterdir()) == []
    monkeypatch.delenv("BINSIGHT_FAULTS")
    written = client.export("otio", out_dir="full")
    assert [p.name for p in folder.iterdir()] == [Path(f.path).name for f in written.files]


def test_force_reingest_keeps_placement_and_pin(served, tmp_path: Path) -> None:
    _, client = served
    clip = encode_plan(tmp_path / "setups.mp4")
    client.ingest([str(clip)])
    shots = client.list_shots()
    tree = client.list_clusters()
    target = next(b for b in tree.clusters if b.cluster_id != shots[1].cluster_id)
    client.move_shot(shots[1].shot_id, target.cluster_id)
    client.move_shot(shots[2].shot_id, "")
    before = {s.shot_id: (s.cluster_id, s.pinned, s.start_frame, s.end_frame) for s in client.list_shots()}
    job = client.ingest([str(clip)], force=True)
    assert job.state == "succeeded" and job.files[0].status in ("ingested", "replaced")
    after = {s.shot_id: (s.cluster_id, s.pinned, s.start_frame, s.end_frame) for s in client.list_shots()}
    assert after[shots[1].shot_id] == (target.cluster_id, True, shots[1].start_frame, shots[1].end_frame)
    assert after[shots[2].shot_id] == ("", True, shots[2].start_frame, shots[2].end_frame)
    assert {k: v for k, v in after.items() if v[1]} == {k: v for k, v in before.items() if v[1]}
    each_shot_in_one_bin(client)


def test_two_writers_on_one_table_lose_nothing(tmp_path: Path) -> None:
    """Two Store objects over one database (two processes' worth of writers, each with its own
    lock) upserting the same table at once: every row lands (LanceDB's commit conflicts are
    retried), none twice."""
    path = tmp_path / "db"
    Store(path)
    stores = [Store(path), Store(path)]
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            for i in range(40):
                stores[n].meta.upsert([MetaRecord(f"w{n}-{i}", str(i))])
                stores[n].meta.upsert([MetaRecord("shared", f"{n}-{i}")])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
    rows = Store(path).meta.all()
    keys = Counter(r.key for r in rows)
    assert max(keys.values()) == 1
    assert {f"w{n}-{i}" for n in range(2) for i in range(40)} | {"shared", "schema_version"} == set(keys)
