"""What besides a scene vector says two shots share a camera setup, and how it is fused.

A scene vector (pixels, CLIP, or several spaces combined: ``combine_scene_vectors``) compares the
look of two shots; in real edited footage the setups of one scene share light, palette and cast,
so the look alone cannot tell them apart. Three more kinds of evidence can:

* geometry (``local_features``): keyframes of one setup verify under one homography;
* time: a setup recurs within a scene (shot/reverse-shot cuts A B A B): two shots 2..window cuts
  apart in one file, one of which is the other's most similar shot among the shots within the
  window around it, are likelier one setup ("of the shots around me, you are most like me", a
  scene-relative cue that survives a re-light that lowers the plain cosine). Neighbours (gap 1)
  compete for "most similar" but earn nothing (a cut usually changes setup);
* cast: shots showing disjoint sets of characters are rarely one setup (when either set is empty
  nothing is known).

Fusion is additive in cosine units: ``fused = cosine + local_weight * geometry + time_weight *
time + character_weight * agreement - character_penalty * disagreement``. Without evidence (or with
zero weights) the fused score is the plain cosine, so thresholds keep their meaning and old callers
see no change. Every weight and threshold is chosen on bench/clusters.py (the sweep is printed).
Average linkage over fused pair scores stays exact from group sums plus a sparse bonus matrix
(recluster), because the fusion is linear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .local_features import LocalFeatures, verify_shots


@dataclass(frozen=True)
class ShotEvidence:
    """Per-shot inputs beyond the scene vector; every field may be missing.

    media_id/order: the file and the shot's index in it (cut order); characters: character ids
    seen in the shot (empty = unknown/none); features: local features of its keyframes."""

    media_id: str | None = None
    order: int | None = None
    characters: frozenset[str] = frozenset()
    features: tuple[LocalFeatures, ...] = ()


def files_in_cut_order(evidence: Sequence[ShotEvidence]) -> list[list[int]]:
    """Per file, the indices of its shots (those with a file and an order) in cut order."""
    by_media: dict[str, list[int]] = {}
    for i, e in enumerate(evidence):
        if e.media_id is not None and e.order is not None:
            by_media.setdefault(e.media_id, []).append(i)
    return [sorted(rows, key=lambda i: evidence[i].order) for rows in by_media.values()]


def scene_neighbours(vectors: np.ndarray, evidence: Sequence[ShotEvidence], window: int) -> set[tuple[int, int]]:
    """Pairs (i, j), i < j, 2..window cuts apart in one file where j is i's most similar shot
    within i's window (or i is j's): what the time term rewards."""
    out: set[tuple[int, int]] = set()
    for rows in files_in_cut_order(evidence):
        orders = np.asarray([evidence[i].order for i in rows])
        for x, i in enumerate(rows):
            near = [rows[y] for y in np.flatnonzero((np.abs(orders - orders[x]) <= window) & (np.arange(len(rows)) != x))]
            if not near:
                continue
            j = near[int(np.argmax(vectors[near] @ vectors[i]))]
            if abs(evidence[j].order - evidence[i].order) >= 2:
                out.add((min(i, j), max(i, j)))
    return out


def cast_agreement(a: ShotEvidence, b: ShotEvidence) -> float | None:
    """Jaccard overlap of the two casts, or None when either is empty (nothing known)."""
    if not a.characters or not b.characters:
        return None
    return len(a.characters & b.characters) / len(a.characters | b.characters)


class LocalMatcher:
    """Geometric verification of shot pairs with a cache by shot-id pair (a recluster after an
    ingest only verifies pairs it has not seen)."""

    def __init__(self) -> None:
        self._cache: dict[tuple[str, str], float] = {}
        self.verified = 0

    def __call__(self, id_a: str | None, a: ShotEvidence, id_b: str | None, b: ShotEvidence) -> float:
        """Geometry score of two shots; cached when both ids are given."""
        if not a.features or not b.features:
            return 0.0
        if id_a is None or id_b is None:
            self.verified += 1
            return verify_shots(a.features, b.features).score
        key = (id_a, id_b) if id_a <= id_b else (id_b, id_a)
        hit = self._cache.get(key)
        if hit is None:
            hit = verify_shots(a.features, b.features).score
            self._cache[key] = hit
            self.verified += 1
        return hit

    def forget(self, shot_id: str) -> None:
        self._cache = {k: v for k, v in self._cache.items() if shot_id not in k}


@dataclass(frozen=True)
class FusionWeights:
    """The evidence weights of a ``ClusterConfig`` (cosine units per unit of evidence)."""

    local: float = 0.0
    time: float = 0.0
    window: int = 4
    character: float = 0.0
    character_penalty: float = 0.0
    local_candidates: int = 8  # verify against this many nearest shots/clusters by cosine

    @property
    def active(self) -> bool:
        return bool(self.local or self.time or self.character or self.character_penalty)

    def max_bonus(self, features: bool, beside: bool, cast: bool) -> float:
        """The most evidence can add to a shot's cosine against a cluster: geometry (a score up
        to 1) when the shot has local ``features``, the time term when the cluster holds a shot
        within the window around it (``beside``), full agreement when its ``cast`` is known."""
        if not self.active:
            return 0.0
        return max(self.local, 0.0) * features + max(self.time, 0.0) * beside + max(self.character, 0.0) * cast


def pair_bonus(id_a: str | None, a: ShotEvidence, id_b: str | None, b: ShotEvidence, w: FusionWeights,
               matcher: LocalMatcher | None, scene_neighbour: bool = False) -> float:
    """Evidence added to the cosine of one shot pair; ``scene_neighbour``: the pair earns the
    time term (see ``scene_neighbours``)."""
    bonus = w.time if scene_neighbour else 0.0
    agreement = cast_agreement(a, b)
    if agreement is not None:
        bonus += w.character * agreement - w.character_penalty * (1.0 - agreement)
    if w.local and matcher is not None:
        bonus += w.local * matcher(id_a, a, id_b, b)
    return bonus


def bonus_matrix(shot_ids: Sequence[str], vectors: np.ndarray, evidence: Sequence[ShotEvidence],
                 w: FusionWeights, matcher: LocalMatcher | None = None, chunk: int = 2048) -> sparse.csr_matrix:
    """Symmetric sparse (n, n) matrix of pair bonuses over the candidate pairs: each shot's
    ``local_candidates`` nearest shots by cosine, plus same-file pairs within the time window.
    Cost: one chunked nearest-neighbour pass (n^2 d / chunk flops, no n^2 memory) and
    O(n * local_candidates) verifications."""
    n = len(shot_ids)
    if n < 2 or not w.active:
        return sparse.csr_matrix((n, n), dtype=np.float32)
    pairs: set[tuple[int, int]] = set()
    k = min(w.local_candidates, n - 1)
    if k > 0:
        for start in range(0, n, chunk):
            block = vectors[start : start + chunk] @ vectors.T
            rows = np.arange(block.shape[0])
            block[rows, start + rows] = -np.inf
            near = np.argpartition(-block, k - 1, axis=1)[:, :k]
            for r, cols in enumerate(near):
                i = start + r
                pairs.update((min(i, j), max(i, j)) for j in cols.tolist())
    for rows in files_in_cut_order(evidence):
        for x, i in enumerate(rows):
            for j in rows[x + 1 : x + 1 + w.window]:
                pairs.add((min(i, j), max(i, j)))
    timely = scene_neighbours(vectors, evidence, w.window) if w.time else set()
    r_idx, c_idx, vals = [], [], []
    for i, j in pairs:
        b = pair_bonus(shot_ids[i], evidence[i], shot_ids[j], evidence[j], w, matcher, (i, j) in timely)
        if b:
            r_idx += [i, j]
            c_idx += [j, i]
            vals += [b, b]
    return sparse.csr_matrix((np.asarray(vals, np.float32), (r_idx, c_idx)), shape=(n, n))


def combine_scene_vectors(per_model: Mapping[str, np.ndarray],
                          weights: Mapping[str, float] | None = None) -> tuple[str, np.ndarray]:
    """One scene vector from several embedding spaces (e.g. CLIP joined by pixels): each space's
    vectors are L2-normalised and scaled by sqrt(weight / total), so the cosine of the combined
    vectors is the weighted mean of the per-space cosines. Returns the combined model id
    (``a+b``, sorted: vectors of different combinations are never compared) and the vectors.
    ``per_model`` maps model id -> (..., dim) array; all must have the same leading shape."""
    if not per_model:
        raise ValueError("combine_scene_vectors needs at least one scene vector space")
    ids = sorted(per_model)
    weights = {m: float((weights or {}).get(m, 1.0)) for m in ids}
    total = sum(weights.values())
    if total <= 0:
        raise ValueError(f"scene vector weights must add up to more than 0, got {weights}")
    parts = []
    for m in ids:
        v = np.asarray(per_model[m], np.float32)
        v = v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)
        parts.append(v * np.sqrt(weights[m] / total))
    return "+".join(ids), np.concatenate(parts, axis=-1)
