"""Feedback -> triplets -> adapter: the adapter must improve held-out triplet accuracy on the
shared dataset and survive a round trip through .npz."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import labelled_footage as datasets  # noqa: E402  (not "datasets": LanceDB mistakes that for Hugging Face)

from binsight.clustering.adapter import (  # noqa: E402
    Adapter,
    Triplet,
    fit,
    triplets_for_merge,
    triplets_for_move,
    triplets_for_reject,
    triplets_for_split,
)


@pytest.fixture(scope="module")
def ds() -> datasets.SceneDataset:
    return datasets.small_scene_dataset()


def hard_triplets(ds: datasets.SceneDataset) -> list[Triplet]:
    """Per shot: its least similar same-setup shot vs. its most similar other-setup shot -
    the confusions an editor's corrections are made of."""
    v = ds.shot_vectors()
    sims = v @ v.T
    out = []
    for i, sid in enumerate(ds.shot_ids):
        same = np.flatnonzero((ds.labels == ds.labels[i]) & (np.arange(len(v)) != i))
        other = np.flatnonzero(ds.labels != ds.labels[i])
        if len(same):
            p, n = same[np.argmin(sims[i, same])], other[np.argmax(sims[i, other])]
            out.append(Triplet(sid, ds.shot_ids[p], ds.shot_ids[n], "move", 0.0))
    return out


def test_adapter_improves_held_out_triplets(ds):
    vectors = dict(zip(ds.shot_ids, ds.shot_vectors()))
    adapter, m = fit(hard_triplets(ds), vectors, seed=0)
    assert m["n_val"] > 0
    assert m["after"] > m["before"], m
    assert np.allclose(np.linalg.norm(adapter.apply(ds.shot_vectors()), axis=1), 1.0, atol=1e-5)


def test_adapter_round_trips_through_npz(ds, tmp_path):
    vectors = dict(zip(ds.shot_ids, ds.shot_vectors()))
    adapter, _ = fit(hard_triplets(ds), vectors, version="7", base_model_id="pixels-v2")
    path = tmp_path / "adapter.npz"
    adapter.save(path)
    loaded = Adapter.load(path)
    assert loaded.version == "7" and loaded.base_model_id == "pixels-v2"
    assert np.array_equal(loaded.apply(ds.shot_vectors()), adapter.apply(ds.shot_vectors()))
    np.savez(path, format=99, weight=adapter.weight, version="x", base_model_id="")
    with pytest.raises(ValueError):
        Adapter.load(path)


def test_feedback_actions_become_triplets():
    rng = np.random.default_rng(0)
    members = {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"], "c": ["c1", "c2"], "d": ["d1"]}
    moved = triplets_for_move("x", "a", "b", members, rng, timestamp=5.0)
    assert moved and all(t.anchor_id == "x" and t.positive_id in members["b"] for t in moved)
    assert all(t.negative_id not in members["b"] and t.label == "move" and t.timestamp == 5.0 for t in moved)
    assert any(t.negative_id in members["a"] for t in moved)  # the cluster it was wrongly in
    merged = triplets_for_merge("a", "b", members, rng)
    assert merged and all(t.anchor_id in members["a"] and t.positive_id in members["b"]
                          and t.negative_id in members["c"] + members["d"] for t in merged)
    split = triplets_for_split([["a1", "a2"], ["a3", "b1"]], rng)
    for t in split:
        same = ["a1", "a2"] if t.anchor_id in ("a1", "a2") else ["a3", "b1"]
        assert t.positive_id in same and t.negative_id not in same
    rejected = triplets_for_reject("a1", "c", "a", members, rng)
    assert rejected and all(t.positive_id in ("a2", "a3") and t.negative_id in members["c"] for t in rejected)
    assert triplets_for_reject("a1", "c", None, members, rng) == []
    assert set(moved[0].to_dict()) == {"anchor_id", "positive_id", "negative_id", "label", "timestamp"}
