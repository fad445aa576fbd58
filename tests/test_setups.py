"""Camera setups on real footage through the clustering library: local features and geometric
verification, evidence fusion in recluster and online assignment, on ../shared/media's real clips
(labels: bench/real_footage.py) and the generated set (bench/labelled_footage.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import labelled_footage as datasets  # noqa: E402
import real_footage  # noqa: E402
from media_factory import shared_media  # noqa: E402

from binsight.clustering import local_features, metrics  # noqa: E402
from binsight.clustering.evidence import ShotEvidence, combine_scene_vectors, scene_neighbours  # noqa: E402
from binsight.clustering.online import OnlineClusterer, shot_vector  # noqa: E402
from binsight.clustering.recluster import recluster  # noqa: E402
from binsight.clustering.types import ClusterConfig  # noqa: E402
from binsight.embedders.pixels import PixelsEmbedder  # noqa: E402

CONFIG = ClusterConfig.for_model(PixelsEmbedder.model_id, evidence=True)
EMBEDDER = PixelsEmbedder()


@pytest.fixture(scope="module")
def shared():
    shared_media("testvideo.mp4")
    fd = real_footage.shared_media_footage()
    keyframes = [EMBEDDER.embed_images(kf) for kf in fd.keyframes]
    evidence = [ShotEvidence(m, o, c, tuple(local_features.extract(k) for k in kf))
                for m, o, c, kf in zip(fd.media_ids, fd.orders, fd.characters, fd.keyframes)]
    return fd, keyframes, evidence


def leaf_pair(fd) -> tuple[int, int]:
    rows = [i for i, s in enumerate(fd.setups) if s == "testvideo/leaf-on-rock"]
    assert [fd.shot_ids[i] for i in rows] == ["testvideo.mp4#0", "testvideo.mp4#2"]
    return rows[0], rows[1]


def assert_setups_apart(fd, assignment: list) -> None:
    """No two shots of different setups share a bin (noise is with nothing)."""
    for i in range(len(assignment)):
        for j in range(i + 1, len(assignment)):
            if fd.setups[i] != fd.setups[j] and assignment[i] is not None:
                assert assignment[i] != assignment[j], (fd.shot_ids[i], fd.shot_ids[j])


def test_calibrated_config_fuses_evidence_only_when_asked():
    assert CONFIG.fusion.active and CONFIG.local_weight > 0
    plain = ClusterConfig.for_model(PixelsEmbedder.model_id)
    assert not plain.fusion.active and plain.merge_threshold < CONFIG.merge_threshold


def test_recluster_puts_the_leaf_shots_together_and_keeps_setups_apart(shared):
    fd, keyframes, evidence = shared
    vectors = np.stack([shot_vector(k) for k in keyframes])
    result = recluster(fd.shot_ids, vectors, config=CONFIG, evidence=evidence)
    assignment = [result.assignment[s] for s in fd.shot_ids]
    a, b = leaf_pair(fd)
    assert assignment[a] is not None and assignment[a] == assignment[b], assignment
    assert_setups_apart(fd, assignment)
    # every other shot is alone in these clips: noise (unsure), not a bin of its own
    assert sum(c is None for c in assignment) == len(assignment) - 2
    # without the evidence the leaf shots sit alone in the noise bucket (the reported failure)
    plain = recluster(fd.shot_ids, vectors, config=CONFIG)
    assert plain.assignment[fd.shot_ids[a]] is None and plain.assignment[fd.shot_ids[b]] is None


def test_online_assignment_keeps_setups_apart_and_offers_the_leaf_bin_first(shared):
    fd, keyframes, evidence = shared
    a, b = leaf_pair(fd)
    oc = OnlineClusterer(EMBEDDER.dim, CONFIG)
    placements = []
    for i, (s, k, e) in enumerate(zip(fd.shot_ids, keyframes, evidence)):
        if i == b:
            cosine_only = dict(zip(oc.ids, oc.score(k).tolist()))
        placements.append(oc.assign(s, k, evidence=e))
    assignment = {p.shot_id: p.cluster_id for p in placements}
    for p in placements:
        assignment.update({sid: p.cluster_id for sid in p.promoted})
    assert_setups_apart(fd, [assignment[s] for s in fd.shot_ids])
    # online is provisional (the recluster decides); the second leaf shot's first candidate is
    # the first leaf shot's bin, scored with the time evidence on top of the cosine
    leaf_bin, score = placements[b].candidates[0]
    assert leaf_bin == placements[a].cluster_id
    assert score == pytest.approx(cosine_only[leaf_bin] + CONFIG.time_weight, abs=1e-5)


def test_burnt_in_watermark_is_not_a_match(shared):
    fd, _, evidence = shared
    a, b = leaf_pair(fd)
    deer = fd.setups.index("testvideo/deer")
    same_still = local_features.verify(evidence[a].features[0], evidence[a].features[1])
    assert same_still.score == 1.0 and same_still.inliers >= 100
    # every testvideo frame carries the same copyright line: it must not verify across setups
    assert local_features.verify_shots(evidence[a].features, evidence[deer].features).score == 0.0
    assert local_features.verify_shots(evidence[b].features, evidence[deer].features).score == 0.0


def test_local_features_blob_round_trip_and_bad_input(shared):
    _, _, evidence = shared
    f = evidence[0].features[0]
    blob = f.to_bytes()
    assert len(blob) == 13 + 36 * len(f) and len(f) == local_features.MAX_KEYPOINTS
    back = local_features.LocalFeatures.from_bytes(blob)
    assert np.array_equal(back.descriptors, f.descriptors) and np.array_equal(back.points, f.points)
    assert back.aspect == pytest.approx(f.aspect)
    with pytest.raises(ValueError, match="magic"):
        local_features.LocalFeatures.from_bytes(b"JUNK" + blob[4:])
    with pytest.raises(ValueError, match="truncated"):
        local_features.LocalFeatures.from_bytes(blob[:-1])
    with pytest.raises(ValueError, match="BGR uint8"):
        local_features.extract(np.zeros((10, 10), np.uint8))
    blank = local_features.extract(np.zeros((90, 160, 3), np.uint8))
    assert len(blank) == 0 and local_features.verify(blank, f).score == 0.0


def test_scene_neighbours_reward_a_b_a_not_neighbours():
    # shots 0 and 2 alike, 1 between them: A B A in one file; a fourth file-less shot never earns
    v = np.asarray([[1, 0, 0], [0, 1, 0], [0.9, 0.1, 0], [1, 0, 0]], np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    ev = [ShotEvidence("f", 0), ShotEvidence("f", 1), ShotEvidence("f", 2), ShotEvidence()]
    assert scene_neighbours(v, ev, window=4) == {(0, 2)}
    assert scene_neighbours(v, ev, window=1) == set()


def test_combined_scene_vectors_average_the_cosines():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(2, 8)), rng.normal(size=(2, 5))
    model_id, v = combine_scene_vectors({"clip:x": a, "pixels-v2": b}, {"clip:x": 3.0, "pixels-v2": 1.0})
    assert model_id == "clip:x+pixels-v2" and v.shape == (2, 13)
    cos = lambda x: float(x[0] @ x[1] / np.linalg.norm(x[0]) / np.linalg.norm(x[1]))  # noqa: E731
    assert float(v[0] @ v[1]) == pytest.approx(0.75 * cos(a) + 0.25 * cos(b), abs=1e-5)
    with pytest.raises(ValueError, match="more than 0"):
        combine_scene_vectors({"pixels-v2": b}, {"pixels-v2": 0.0})


@pytest.fixture(scope="module")
def generated():
    ds = datasets.make_scene_dataset(14, shots_per_setup=(3, 6), n_singletons=3, seed=0, keep_images=True)
    evidence = [ShotEvidence(features=tuple(local_features.extract(k) for k in kf)) for kf in ds.images]
    return ds, evidence


def test_generated_set_keeps_its_quality_with_fusion(generated):
    ds, evidence = generated
    plain = recluster(ds.shot_ids, ds.shot_vectors(), config=ClusterConfig.for_model(PixelsEmbedder.model_id,
                                                                                     evidence=False))
    fused = recluster(ds.shot_ids, ds.shot_vectors(), config=CONFIG, evidence=evidence)
    f_plain = metrics.bcubed_prf(ds.labels, [plain.assignment[s] for s in ds.shot_ids])["f1"]
    f_fused = metrics.bcubed_prf(ds.labels, [fused.assignment[s] for s in ds.shot_ids])
    assert f_fused["f1"] >= 0.9 and f_fused["f1"] >= f_plain - 0.01, (f_fused, f_plain)
    assert metrics.partnered_noise_rate(ds.labels, [fused.assignment[s] for s in ds.shot_ids]) <= 0.05


def test_evidence_length_must_match_shots(generated):
    ds, evidence = generated
    with pytest.raises(ValueError, match="evidence has"):
        recluster(ds.shot_ids, ds.shot_vectors(), config=CONFIG, evidence=evidence[:-1])


def test_partnered_noise_and_pair_accuracy_metrics():
    true = [0, 0, 1, 2]
    pred = [None, "a", None, "a"]
    assert metrics.partnered_noise_rate(true, pred) == 0.5  # shot 0 has a partner, 2 is alone
    assert metrics.pair_accuracy([(0, 1, True), (1, 3, False), (2, 3, False)], pred) == pytest.approx(1 / 3)


def test_local_features_on_several_threads_equal_one_thread() -> None:
    """Files are analysed on several threads at once (``parallel_files``): OpenCV's ORB and CLAHE
    objects keep working buffers, so sharing one set between threads gave wrong features or an
    OpenCV assertion now and then. Two threads on frames of different sizes must get exactly what
    one thread gets."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(4)
    images = [rng.integers(0, 256, (h, w, 3), np.uint8) for h, w in [(1080, 1920), (240, 320), (720, 1280),
                                                                     (180, 320), (480, 854)] * 12]
    alone = [local_features.extract(image).to_bytes() for image in images]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(lambda image: local_features.extract(image).to_bytes(), images))
    assert together == alone
