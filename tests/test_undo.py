"""Undo and redo of corrections, end to end through the SDK: an undo puts back exactly what the
correction changed, withdraws its training rows, and refuses when it would lose someone's later
work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from binsight_client import Client, FailedPrecondition
from media_factory import encode
from test_server import FPS, PLAN, pan_shot, still_shot


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("undo_takes")
    paths = []
    for take in range(2):
        frames = []
        for i, (setup, kind, n) in enumerate(PLAN):
            frames += still_shot(setup, n, shift=4 * i + 2 * take) if kind == "still" else pan_shot(setup, n, 3 + take)
        paths.append(encode(folder / f"take{take}.mp4", frames, fps=FPS))
    return paths


@pytest.fixture
def project(start_server, takes):
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(p) for p in takes])
    client.recluster()
    return server, client


def tree_state(client: Client) -> dict:
    """Every bin with its id, name, lock and members, and where each shot sits and if pinned."""
    tree = client.list_clusters()
    return {"bins": sorted((c.cluster_id, c.name, c.named, c.locked, tuple(sorted(s.shot_id for s in c.shots)))
                           for c in tree.clusters),
            "noise": sorted(s.shot_id for s in tree.noise.shots),
            "pins": sorted((s.shot_id, s.cluster_id, s.pinned) for s in client.list_shots())}


def training_ids(client: Client) -> set[str]:
    return {json.loads(line)["feedback_id"] for line in client.export_training_data().decode().splitlines()}


def test_undo_a_move_puts_the_shot_back_and_withdraws_its_rows(project) -> None:
    _, client = project
    before = tree_state(client)
    tree = client.list_clusters()
    a, b = tree.clusters[0], tree.clusters[1]
    moved = client.move_shot(a.shots[0].shot_id, b.cluster_id)
    assert moved.triplets_added > 0 and moved.event.feedback_id in training_ids(client)
    assert tree_state(client) != before
    undone = client.undo()
    assert undone.event.feedback_id == moved.event.feedback_id and undone.event.state == "undone"
    assert undone.event.undone_by == "tester"
    assert tree_state(client) == before
    assert moved.event.feedback_id not in training_ids(client)
    redone = client.redo()
    assert redone.event.state == "applied"
    assert {s.shot_id: s.cluster_id for s in client.list_shots()}[a.shots[0].shot_id] == b.cluster_id
    assert moved.event.feedback_id in training_ids(client)


def test_unmerge_restores_both_bins_exactly(project) -> None:
    _, client = project
    client.rename_cluster(client.list_clusters().clusters[1].cluster_id, "Garden")
    before = tree_state(client)
    first, second = client.list_clusters().clusters[:2]
    client.merge_clusters([first.cluster_id, second.cluster_id])
    merged = tree_state(client)
    assert len(merged["bins"]) == len(before["bins"]) - 1
    # the absorbed id now leads to the survivor
    assert client.get_cluster(second.cluster_id).cluster_id == first.cluster_id
    client.undo()
    assert tree_state(client) == before


def test_undo_a_split_retires_the_new_bin_and_redo_brings_it_back(project) -> None:
    _, client = project
    before = tree_state(client)
    big = max(client.list_clusters().clusters, key=lambda c: c.shot_count)
    split = client.split_cluster(big.cluster_id, [big.shots[0].shot_id], new_name="Close-ups")
    new_id = split.event.to_id
    assert new_id in {c.cluster_id for c in client.list_clusters().clusters}
    client.undo()
    assert tree_state(client) == before
    assert new_id not in {c.cluster_id for c in client.list_clusters().clusters}
    client.redo()
    again = {c.cluster_id: c for c in client.list_clusters().clusters}
    assert again[new_id].name == "Close-ups" and [s.shot_id for s in again[new_id].shots] == [big.shots[0].shot_id]


def test_rename_lock_and_reject_undo(project) -> None:
    _, client = project
    before = tree_state(client)
    cluster = client.list_clusters().clusters[0]
    client.rename_cluster(cluster.cluster_id, "Kitchen")
    client.lock_cluster(cluster.cluster_id, True)
    client.undo()
    client.undo()
    assert tree_state(client) == before
    shot = cluster.shots[0].shot_id
    client.reject_shot(shot, cluster.cluster_id)
    assert shot in tree_state(client)["noise"]
    client.undo()
    assert tree_state(client) == before
    # the cannot-link went with it: the bin is a candidate for the shot again
    client.move_shot(shot, "")
    assert cluster.cluster_id in [c.cluster_id for c in client.list_shots(cluster_id="noise")[0].candidates]


def test_undo_refuses_to_lose_someone_elses_later_work(project, start_server) -> None:
    server, alice = project
    bob = Client(server.address, timeout=60, actor="bob")
    try:
        tree = alice.list_clusters()
        a, b, c = tree.clusters[:3]
        shot = a.shots[0].shot_id
        alice.move_shot(shot, b.cluster_id)
        bob.move_shot(shot, c.cluster_id)
        with pytest.raises(FailedPrecondition, match="bob changed"):
            alice.undo()
        assert {s.shot_id: s.cluster_id for s in alice.list_shots()}[shot] == c.cluster_id  # bob's move stands
        bob.undo()
        alice.undo()
        assert {s.shot_id: s.cluster_id for s in alice.list_shots()}[shot] == a.cluster_id
        with pytest.raises(FailedPrecondition, match="bob has no correction to undo"):
            bob.undo()
    finally:
        bob.close()


def test_undone_state_survives_a_restart(start_server, takes) -> None:
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(p) for p in takes])
    client.recluster()
    cluster = client.list_clusters().clusters[0]
    client.rename_cluster(cluster.cluster_id, "Office")
    client.undo()
    server.stop()
    _, again = start_server(**{"faces.enabled": False})
    events = again.list_feedback()
    assert [(e.action, e.state) for e in events] == [("rename_cluster", "undone")]
    assert again.get_cluster(cluster.cluster_id).name != "Office"
    again.redo()
    assert again.get_cluster(cluster.cluster_id).name == "Office"


def test_a_hand_picked_set_becomes_a_bin_and_exports_alone(project) -> None:
    _, client = project
    before = tree_state(client)
    picked = [c.shots[0].shot_id for c in client.list_clusters().clusters[:2]]
    made = client.create_bin(picked, "Best of")
    new = {c.cluster_id: c for c in client.list_clusters().clusters}[made.event.to_id]
    assert new.name == "Best of" and sorted(s.shot_id for s in new.shots) == sorted(picked)
    (otio_file,) = client.export("otio", shot_ids=list(reversed(picked)), bin_name="Best of", project="pick")
    import opentimelineio as otio
    (collection,) = list(otio.adapters.read_from_string(otio_file.data.decode(), "otio_json"))
    assert collection.name == "Best of" and len(list(collection.find_clips())) == 2
    client.undo()
    assert tree_state(client) == before
