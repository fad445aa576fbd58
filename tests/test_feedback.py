"""Every scene correction end to end over gRPC: it changes the bins, survives reclusters and
restarts, is logged with who/when/from/to, and becomes training triplets for the adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from binsight_client import FailedPrecondition, InvalidArgument, NotFound
from test_server import FPS, PLAN, pan_shot, still_shot
from media_factory import encode


@pytest.fixture(scope="module")
def two_takes(tmp_path_factory) -> list[Path]:
    """The setups clip twice over (two 'cameras'), so every setup has four shots."""
    folder = tmp_path_factory.mktemp("takes")
    paths = []
    for take in range(2):
        frames = []
        for i, (setup, kind, n) in enumerate(PLAN):
            frames += still_shot(setup, n, shift=4 * i + 2 * take) if kind == "still" else pan_shot(setup, n, 3 + take)
        paths.append(encode(folder / f"take{take}.mp4", frames, fps=FPS))
    return paths


def clusters_of(client) -> dict[str, str]:
    return {s.shot_id: s.cluster_id for s in client.list_shots()}


def setup_of(client) -> dict[str, str]:
    shots = client.list_shots()
    per_file: dict[str, list] = {}
    for s in shots:
        per_file.setdefault(s.media_id, []).append(s)
    return {s.shot_id: PLAN[i][0] for group in per_file.values() for i, s in enumerate(group)}


@pytest.fixture
def project(start_server, two_takes):
    server, client = start_server(**{"faces.enabled": False})
    client.ingest([str(p) for p in two_takes])
    client.recluster()
    return server, client


def test_move_rename_lock_survive_recluster_and_restart(start_server, project) -> None:
    server, client = project
    setups = setup_of(client)
    where = clusters_of(client)
    kitchen = where[next(s for s, name in setups.items() if name == "kitchen")]
    garden_shot = next(s for s, name in setups.items() if name == "garden")
    result = client.move_shot(garden_shot, kitchen)
    assert result.event.action == "move_shot" and result.event.actor == "tester"
    assert result.event.from_id == where[garden_shot] and result.event.to_id == kitchen
    assert result.triplets_added > 0
    client.rename_cluster(kitchen, "Kitchen")
    office = where[next(s for s, name in setups.items() if name == "office")]
    client.lock_cluster(office)
    office_members = sorted(s for s, c in clusters_of(client).items() if c == office)

    report = client.recluster()
    after = clusters_of(client)
    assert after[garden_shot] == kitchen, "a shot the editor placed stays where it was put"
    assert sorted(s for s, c in after.items() if c == office) == office_members
    tree = {c.cluster_id: c for c in client.list_clusters().clusters}
    assert tree[kitchen].name == "Kitchen" and tree[office].locked
    assert report.shots_total == len(after)
    with pytest.raises(FailedPrecondition, match="locked"):
        client.move_shot(garden_shot, office)

    client.close()
    server.stop()
    _, client = start_server(**{"faces.enabled": False})
    assert clusters_of(client) == after
    actions = [e.action for e in client.list_feedback()]
    assert actions == ["move_shot", "rename_cluster", "lock_cluster"]
    lines = [json.loads(line) for line in client.export_training_data().decode().splitlines()]
    assert lines and all({"anchor_id", "positive_id", "negative_id", "label", "timestamp"} <= set(r) for r in lines)
    assert all(r["anchor_id"] == garden_shot for r in lines)


def test_merge_split_reject_and_noise(project) -> None:
    _, client = project
    setups = setup_of(client)
    where = clusters_of(client)
    kitchen = where[next(s for s, n in setups.items() if n == "kitchen")]
    garden = where[next(s for s, n in setups.items() if n == "garden")]
    assert kitchen != garden
    merged = client.merge_clusters([kitchen, garden])
    assert set(merged.affected_cluster_ids) == {kitchen, garden}
    where = clusters_of(client)
    assert garden not in where.values()
    assert {setups[s] for s, c in where.items() if c == kitchen} == {"kitchen", "garden"}
    assert garden not in {c.cluster_id for c in client.list_clusters().clusters}

    garden_shots = sorted(s for s, c in where.items() if c == kitchen and setups[s] == "garden")
    split = client.split_cluster(kitchen, garden_shots, new_name="Garden")
    (new_id,) = [c for c in split.affected_cluster_ids if c != kitchen]
    assert new_id != garden, "ids are never reused"
    where = clusters_of(client)
    assert sorted(s for s, c in where.items() if c == new_id) == garden_shots
    with pytest.raises(InvalidArgument, match="at least one shot"):
        client.split_cluster(new_id, garden_shots)

    victim = garden_shots[0]
    client.reject_shot(victim, new_id)
    shot = next(s for s in client.list_shots() if s.shot_id == victim)
    assert shot.noise and shot.cluster_id == ""
    assert new_id not in [c.cluster_id for c in shot.candidates]
    client.recluster()
    assert clusters_of(client)[victim] != new_id, "'not this one' holds across reclusters"

    other = garden_shots[1]
    client.move_shot(other, "")
    assert next(s for s in client.list_shots() if s.shot_id == other).noise
    queue = client.review_queue(limit=50)
    assert other not in [i.shot.shot_id for i in queue], "shots the editor placed need no review"
    flags = [i.shot.noise for i in queue]
    assert flags == sorted(flags, reverse=True), "noise shots come first in the review queue"
    margins = [i.margin for i in queue if not i.shot.noise]
    assert margins == sorted(margins), "then the least certain placements"
    with pytest.raises(NotFound):
        client.move_shot("no-such-shot", kitchen)
    with pytest.raises(InvalidArgument):
        client.merge_clusters([kitchen])


def test_adapter_is_versioned_activated_and_rolled_back(project) -> None:
    _, client = project
    first = client.train_adapter()
    assert not first.activated and "needs at least" in first.message
    setups = setup_of(client)
    where = clusters_of(client)
    names = sorted(set(setups.values()))
    by_setup = {n: sorted(s for s, m in setups.items() if m == n) for n in names}
    # the editor moves each setup's shots around and back: plenty of triplets
    for n in names:
        home = where[by_setup[n][0]]
        away = where[by_setup[names[(names.index(n) + 1) % len(names)]][0]]
        for shot in by_setup[n][:2]:
            client.move_shot(shot, away)
            client.move_shot(shot, home)
    report = client.train_adapter()
    assert report.version == "v1" and report.triplets_train > 0
    assert 0.0 <= report.validation_before <= 1.0 and 0.0 <= report.validation_after <= 1.0
    assert report.activated == (report.validation_after > report.validation_before)
    adapters = client.list_adapters()
    assert [a.version for a in adapters] == ["v1"]
    client.activate_adapter("v1")
    assert client.status().active_adapter == "v1"
    assert client.recluster().adapter_version == "v1"
    client.activate_adapter("")
    assert client.status().active_adapter == ""
    assert not any(a.active for a in client.list_adapters())
    with pytest.raises(NotFound, match="no adapter"):
        client.activate_adapter("v9")
