"""Scene clustering on the shared labelled dataset (bench/labelled_footage.py): online assignment,
recluster with editor constraints and stable ids, review queue, metrics."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import labelled_footage as datasets  # noqa: E402  (not "datasets": LanceDB mistakes that for Hugging Face)

from binsight.clustering import metrics  # noqa: E402
from binsight.clustering.online import OnlineClusterer  # noqa: E402
from binsight.clustering.recluster import recluster  # noqa: E402
from binsight.clustering.review import margin, review_queue, score_assignment  # noqa: E402
from binsight.clustering.types import ClusterConfig, ClusterFlags  # noqa: E402
from binsight.embedders.pixels import PixelsEmbedder  # noqa: E402

CONFIG = ClusterConfig.for_model(PixelsEmbedder.model_id)


@pytest.fixture(scope="module")
def ds() -> datasets.SceneDataset:
    return datasets.small_scene_dataset()


@pytest.fixture(scope="module")
def base(ds):
    return recluster(ds.shot_ids, ds.shot_vectors(), config=CONFIG)


def members_of(assignment: dict, cid: str) -> set[str]:
    return {s for s, c in assignment.items() if c == cid}


def test_same_setup_shots_cluster_together(ds, base):
    pred = [base.assignment[s] for s in ds.shot_ids]
    m = metrics.bcubed_prf(ds.labels, pred)
    assert m["precision"] >= 0.9 and m["recall"] >= 0.8, m
    # most multi-shot setups end up with a majority of their shots in one cluster
    together = 0
    multi = [lab for lab in set(ds.labels.tolist()) if (ds.labels == lab).sum() > 1]
    for lab in multi:
        clusters = [base.assignment[s] for s, l in zip(ds.shot_ids, ds.labels) if l == lab]
        top = max(set(clusters), key=clusters.count)
        together += top is not None and clusters.count(top) * 2 > len(clusters)
    assert together >= 0.8 * len(multi)


def test_online_assignment_groups_setups(ds):
    oc = OnlineClusterer(ds.keyframes[0].shape[1], CONFIG)
    pred = [oc.assign(s, k).cluster_id for s, k in zip(ds.shot_ids, ds.keyframes)]
    assert metrics.bcubed_prf(ds.labels, pred)["precision"] >= 0.85


def test_noise_shots_carry_top3_candidates(ds):
    oc = OnlineClusterer(ds.keyframes[0].shape[1], CONFIG)
    for s, k in zip(ds.shot_ids, ds.keyframes):
        oc.assign(s, k)
    alien = np.random.default_rng(0).normal(size=(2, oc.dim)).astype(np.float32)
    placement = oc.assign("alien", alien)
    assert placement.cluster_id is None
    scores = [score for _, score in placement.candidates]
    assert len(placement.candidates) == 3 and scores == sorted(scores, reverse=True)
    assert scores[0] < CONFIG.noise_threshold


def test_online_joins_near_duplicate_and_state_round_trips(ds):
    oc = OnlineClusterer(ds.keyframes[0].shape[1], CONFIG)
    first = oc.assign(ds.shot_ids[0], ds.keyframes[0])
    assert first.founded
    again = oc.assign("copy", ds.keyframes[0])
    assert again.cluster_id == first.cluster_id and not again.founded
    restored = OnlineClusterer.from_state(oc.state())
    probe = ds.keyframes[1]
    assert np.allclose(restored.score(probe), oc.score(probe))
    assert restored.assign("x", probe).cluster_id == oc.assign("x", probe).cluster_id


def test_locked_cluster_takes_no_new_members_online(ds):
    oc = OnlineClusterer(ds.keyframes[0].shape[1], CONFIG)
    cid = oc.assign(ds.shot_ids[0], ds.keyframes[0]).cluster_id
    oc.set_flags(cid, ClusterFlags(locked=True))
    assert oc.assign("copy", ds.keyframes[0]).cluster_id != cid


def test_recluster_keeps_editor_decisions_and_ids(ds, base):
    prev = base.assignment
    clusters = sorted({c for c in prev.values() if c is not None},
                      key=lambda c: -len(members_of(prev, c)))
    locked, named, rejected, pinned_to = clusters[:4]
    rejected_shot = sorted(members_of(prev, rejected))[0]
    pinned_shot = sorted(members_of(prev, clusters[4]))[0]
    flags = {locked: ClusterFlags(locked=True), named: ClusterFlags(named=True),
             rejected: ClusterFlags(seen=True)}
    # perturb the vectors so the recluster has reasons to change things
    rng = np.random.default_rng(3)
    vectors = ds.shot_vectors() + rng.normal(scale=0.02, size=ds.shot_vectors().shape).astype(np.float32)
    # a new shot identical to a member of the locked cluster
    ids = [*ds.shot_ids, "newcomer"]
    locked_member = ds.shot_ids.index(sorted(members_of(prev, locked))[0])
    vectors = np.vstack([vectors, vectors[locked_member]])
    result = recluster(ids, vectors, previous=prev, flags=flags,
                       must_links={pinned_shot: pinned_to},
                       cannot_links=[(rejected_shot, rejected)], config=CONFIG)
    new = result.assignment
    assert members_of(new, locked) == members_of(prev, locked)  # exactly, newcomer not let in
    assert len(members_of(new, named) & members_of(prev, named)) >= 0.8 * len(members_of(prev, named))
    assert new[rejected_shot] != rejected
    assert new[pinned_shot] == pinned_to
    old_ids = set(prev.values()) - {None}
    assert set(new.values()) - {None} - old_ids == set(result.report.created)
    assert {s for s, _, _ in result.report.moved} >= {pinned_shot, rejected_shot}


def test_recluster_is_stable_when_nothing_changed(ds, base):
    again = recluster(ds.shot_ids, ds.shot_vectors(), previous=base.assignment, config=CONFIG)
    assert again.assignment == base.assignment
    assert not again.report.moved and not again.report.created and not again.report.merged


def test_fragment_path_matches_exact_path(ds):
    """Large projects start agglomeration from k-means fragments; on tight data it agrees."""
    exact = recluster(ds.shot_ids, ds.shot_vectors(), config=CONFIG)
    fragmented = recluster(ds.shot_ids, ds.shot_vectors(),
                           config=ClusterConfig.for_model(PixelsEmbedder.model_id, exact_limit=0, fragment_size=2))
    f_exact = metrics.bcubed_prf(ds.labels, [exact.assignment[s] for s in ds.shot_ids])["f1"]
    f_frag = metrics.bcubed_prf(ds.labels, [fragmented.assignment[s] for s in ds.shot_ids])["f1"]
    assert f_frag >= f_exact - 0.1


def test_review_queue_puts_noise_first_then_small_margins(ds, base):
    placements = score_assignment(ds.shot_ids, ds.shot_vectors(), base.assignment, CONFIG)
    queue = review_queue(placements)
    n_noise = sum(p.cluster_id is None for p in placements)
    assert all(p.cluster_id is None for p in queue[:n_noise])
    margins = [margin(p) for p in queue[n_noise:]]
    assert margins == sorted(margins)
    assert all(len(p.candidates) == 3 for p in queue[:n_noise])
    assert review_queue(placements, exclude={queue[0].shot_id})[0].shot_id != queue[0].shot_id


def test_metrics_on_known_cases():
    truth = [0, 0, 1, 1, 2]
    assert metrics.bcubed_prf(truth, truth)["f1"] == pytest.approx(1.0)
    assert metrics.adjusted_rand_index(truth, ["a", "a", "b", "b", "c"]) == pytest.approx(1.0)
    one = metrics.bcubed_prf(truth, [0, 0, 0, 0, 0])
    assert one["recall"] == pytest.approx(1.0) and one["precision"] == pytest.approx((4 * 0.4 + 0.2) / 5)
    noise = metrics.report(truth, [None, None, 1, 1, None])
    assert noise["noise_rate"] == pytest.approx(0.6) and noise["bcubed_precision"] == pytest.approx(1.0)
    assert metrics.pairwise_prf(truth, [0, 1, 2, 3, 4])["recall"] == 0.0
    assert abs(metrics.adjusted_rand_index([0, 0, 1, 1], [0, 1, 0, 1])) <= 0.5
