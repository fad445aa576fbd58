"""After a correction only the noise shots it can reach are re-scored (``SceneIndex._in_reach``):
the result must be the one re-scoring the whole noise bucket gives. Two indexes over two real
stores take the same shots and the same corrections; the reference re-scores every noise shot
(as every correction did before), the other only those in reach. Every placement, and every
noise shot's best candidate (what the review queue orders noise by), must agree after each
correction, and the corrections must make noise shots join bins, or the test proves nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from binsight.clustering.evidence import ShotEvidence
from binsight.clustering.types import NOISE, ClusterConfig
from binsight.scene_index import SceneIndex
from binsight.store import Store

DIM = 48
SETUPS = 12
SHOTS = 360
FILE_SHOTS = 30
STEPS = 80


def shot_vectors(seed: int = 3) -> dict[str, np.ndarray]:
    """Two setups a file, cut A B A B (shot/reverse-shot), some setups tighter than others, and
    drifters: shots between their setup's centre and a random direction, the borderline cases a
    correction beside them (the time term) or into their setup pulls into a bin."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((SETUPS, DIM))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = {}
    for i in range(SHOTS):
        setup = (2 * (i // FILE_SHOTS) + i % 2) % SETUPS
        if i % 5 == 0:  # a drifter
            v = centres[setup] * rng.uniform(0.6, 0.9) + rng.standard_normal(DIM) / np.sqrt(DIM)
        else:
            v = centres[setup] + rng.standard_normal(DIM) / np.sqrt(DIM) * rng.uniform(0.3, 0.6)
        out[f"s{i:04d}"] = np.atleast_2d(v).astype(np.float32)
    return out


def evidence(shot_ids, features):  # noqa: ANN001, ANN201 - the EvidenceSource signature
    return {sid: ShotEvidence(f"m{int(sid[1:]) // FILE_SHOTS}", int(sid[1:]) % FILE_SHOTS) for sid in shot_ids}


def build(tmp: Path, everyone: bool) -> SceneIndex:
    index = SceneIndex(Store(tmp / "db"), "pixels-v3", DIM, ClusterConfig.for_model("pixels-v3", evidence=True),
                       tmp, labeler=lambda ids: "bin", evidence=evidence)
    if everyone:  # the reference: every noise shot is in reach of every correction
        index._in_reach = lambda changed, dead: index._noise_ids()  # type: ignore[method-assign]
    vectors = shot_vectors()
    ids = sorted(vectors)
    for start in range(0, len(ids), FILE_SHOTS):
        index.replace_media({sid: vectors[sid] for sid in ids[start:start + FILE_SHOTS]}, [])
    index.recluster()
    # a recluster leaves noise shots a correction's re-scoring would let join: settle them first,
    # so both indexes start where every noise shot has had its chance (the reference lets every
    # noise shot join after any correction, the other only those a correction reaches)
    index.after_correction(set(index.snapshot().clusters))
    return index


def standing(index: SceneIndex) -> dict[str, tuple]:
    snap = index.snapshot()
    return {sid: (a.cluster_id, a.candidates[0].cluster_id if a.noise and a.candidates else "")
            for sid, a in snap.assignments.items()}


def correct(index: SceneIndex, shot_id: str, target: str | None) -> None:
    """What a MoveShot does to the scene index (FeedbackService._correction)."""
    with index.transaction():
        before = index.snapshot()
        index.move([shot_id], target)
        index.after_correction(set(index.changes_since(before).touched()))


def test_only_reachable_noise_is_rescored_and_nothing_differs(tmp_path: Path) -> None:
    full, partial = build(tmp_path / "full", True), build(tmp_path / "partial", False)
    assert standing(full) == standing(partial)
    snap = partial.snapshot()
    noise = sorted(snap.members.get(NOISE, ()))
    assert len(noise) >= 10, "the set must leave shots in the noise bucket"
    bins = sorted(c.cluster_id for c in snap.live_clusters())
    rng = np.random.default_rng(5)
    joined = 0
    for step in range(STEPS):
        snap = partial.snapshot()
        noise = sorted(snap.members.get(NOISE, ()))
        # mostly noise shots into the bin they look most like (what an editor rescues), now and
        # then a placed shot back to noise
        placed = sorted(sid for sid, a in snap.assignments.items() if a.cluster_id is not None)
        if step % 4 == 3 or not noise:
            shot, target = placed[int(rng.integers(len(placed)))], None
        elif step % 4 == 2:  # into the bin of the shot two cuts on (the other side of a reverse)
            shot = noise[int(rng.integers(len(noise)))]
            target = snap.assignments.get(f"s{int(shot[1:]) + 2:04d}", snap.assignments[placed[0]]).cluster_id
        else:
            shot = noise[int(rng.integers(len(noise)))]
            cands = snap.assignments[shot].candidates
            target = cands[0].cluster_id if cands else bins[int(rng.integers(len(bins)))]
        noise_before = set(noise) - {shot}
        for index in (full, partial):
            correct(index, shot, target)
        assert standing(full) == standing(partial), f"step {step}: moving {shot} to {target}"
        joined += len(noise_before - set(partial.snapshot().members.get(NOISE, ())))
    assert joined > 0, "no correction made a noise shot join: the comparison tested nothing"
