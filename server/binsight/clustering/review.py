"""The review queue: which shots the editor should look at first.

Noise shots come first (each is an open question; those with the most promising candidate lead,
since one click rescues them), then clustered shots by margin: similarity to their own cluster
minus similarity to the best other cluster. The own-cluster similarity is leave-one-out (the
shot's vector removed from its cluster's centroid), otherwise every shot would look confident
about the cluster it helped shape.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

import numpy as np

from .online import normalise
from .recluster import group_sums
from .types import ClusterConfig, Placement


def score_assignment(shot_ids: Sequence[str], vectors: np.ndarray,
                     assignment: Mapping[str, str | None],
                     config: ClusterConfig | None = None) -> list[Placement]:
    """A ``Placement`` per shot for an existing assignment: ``score`` = leave-one-out similarity
    to its own cluster's centroid, ``candidates`` = best clusters (own one leave-one-out)."""
    config = config or ClusterConfig()
    vectors = normalise(vectors)
    ids = sorted({c for c in assignment.values() if c is not None})
    col = {cid: k for k, cid in enumerate(ids)}
    own = np.asarray([col.get(assignment.get(s), -1) if assignment.get(s) is not None else -1
                      for s in shot_ids])
    sums = group_sums(own[own >= 0], vectors[own >= 0], len(ids)).astype(np.float64)
    counts = np.bincount(own[own >= 0], minlength=len(ids))
    out: list[Placement] = []
    for start in range(0, len(shot_ids), 4096):  # chunks bound memory at 100k shots
        rows = np.arange(start, min(start + 4096, len(shot_ids)))
        sims = vectors[rows] @ normalise(sums).T.astype(np.float32)
        for j, i in enumerate(rows):
            k = own[i]
            if k >= 0:
                rest = sums[k] - vectors[i]
                norm = np.linalg.norm(rest)
                sims[j, k] = float(vectors[i] @ rest / norm) if counts[k] > 1 and norm > 1e-9 else 0.0
            top = np.argsort(-sims[j])[: config.n_candidates]
            cands = [(ids[t], float(sims[j, t])) for t in top]
            score = float(sims[j, k]) if k >= 0 else (cands[0][1] if cands else -1.0)
            out.append(Placement(shot_ids[i], assignment.get(shot_ids[i]), score, cands))
    return out


def margin(p: Placement) -> float:
    """Own-cluster score minus the best other candidate's (negative: it looks more like another)."""
    return margin_of(p.cluster_id, p.score, p.candidates)


def margin_of(cluster_id: str | None, score: float, candidates: Sequence[tuple[str, float]]) -> float:
    """``margin`` from a placement's parts (a stored shot's cluster, score and candidates)."""
    others = [s for cid, s in candidates if cid != cluster_id]
    return score - (others[0] if others else -1.0)


def review_rank(cluster_id: str | None, score: float, candidates: Sequence[tuple[str, float]]) -> tuple[int, float]:
    """A shot's place in the queue, smallest first: noise (best candidate score descending),
    then clustered shots by ascending margin. A pair, so an index can keep it per shot and a
    reader take the first few with a heap instead of ordering 100k shots."""
    if cluster_id is None:
        return 0, -(candidates[0][1] if candidates else -1.0)
    return 1, margin_of(cluster_id, score, candidates)


def review_queue(placements: Sequence[Placement], exclude: Collection[str] = ()) -> list[Placement]:
    """Placements ordered by uncertainty (``review_rank``). ``exclude``: shots already reviewed."""
    return sorted((p for p in placements if p.shot_id not in exclude),
                  key=lambda p: review_rank(p.cluster_id, p.score, p.candidates))
