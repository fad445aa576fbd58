"""Clustering quality measures, in numpy (scikit-learn is not a dependency).

Every function takes the true and the predicted label of each shot. Predicted noise (``None`` or a
negative integer) counts as a singleton cluster per shot: a shot left in the noise bucket is never
"with" anything, which is exactly what an editor sees.
"""

from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np

Labels = Sequence[Hashable] | np.ndarray


def _codes(labels: Labels) -> np.ndarray:
    """Integer codes with every noise entry (None / negative int) given its own code."""
    out = np.empty(len(labels), dtype=np.int64)
    seen: dict[Hashable, int] = {}
    for i, lab in enumerate(labels):
        if lab is None or (isinstance(lab, (int, np.integer)) and lab < 0):
            out[i] = -1 - i
        else:
            out[i] = seen.setdefault(lab, len(seen))
    return out


def _contingency(true: Labels, pred: Labels) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sparse contingency counts n_ij (pairs that occur) with row sums a_i and column sums b_j per
    entry, so every metric is a sum over the non-zero cells."""
    t, p = _codes(true), _codes(pred)
    _, t = np.unique(t, return_inverse=True)
    _, p = np.unique(p, return_inverse=True)
    cells, n_ij = np.unique(np.stack([p, t]), axis=1, return_counts=True)
    a = np.bincount(p)[cells[0]]  # size of the predicted cluster of each cell
    b = np.bincount(t)[cells[1]]  # size of the true cluster of each cell
    return n_ij.astype(np.float64), a.astype(np.float64), b.astype(np.float64)


def _f1(p: float, r: float) -> float:
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def _pairs(x: np.ndarray) -> np.ndarray:
    return x * (x - 1) / 2


def pairwise_prf(true: Labels, pred: Labels) -> dict[str, float]:
    """Precision/recall/F1 over same-cluster shot pairs (1.0 when there are no pairs to get wrong)."""
    true_codes, pred_codes = _codes(true), _codes(pred)
    n_ij, _, _ = _contingency(true, pred)
    tp = _pairs(n_ij).sum()
    pred_pairs = _pairs(np.unique(pred_codes, return_counts=True)[1].astype(float)).sum()
    true_pairs = _pairs(np.unique(true_codes, return_counts=True)[1].astype(float)).sum()
    p = tp / pred_pairs if pred_pairs else 1.0
    r = tp / true_pairs if true_pairs else 1.0
    return {"precision": float(p), "recall": float(r), "f1": _f1(p, r)}


def bcubed_prf(true: Labels, pred: Labels) -> dict[str, float]:
    """BCubed precision/recall/F1: per shot, the share of its predicted cluster that is truly its
    setup (precision) and the share of its setup found in its cluster (recall), averaged."""
    n_ij, a, b = _contingency(true, pred)
    n = n_ij.sum()
    p = float((n_ij**2 / a).sum() / n)
    r = float((n_ij**2 / b).sum() / n)
    return {"precision": p, "recall": r, "f1": _f1(p, r)}


def adjusted_rand_index(true: Labels, pred: Labels) -> float:
    """Hubert-Arabie ARI: pair agreement corrected for chance (0 random, 1 identical)."""
    true_codes, pred_codes = _codes(true), _codes(pred)
    n_ij, _, _ = _contingency(true, pred)
    n = len(true_codes)
    index = _pairs(n_ij).sum()
    sum_a = _pairs(np.unique(pred_codes, return_counts=True)[1].astype(float)).sum()
    sum_b = _pairs(np.unique(true_codes, return_counts=True)[1].astype(float)).sum()
    expected = sum_a * sum_b / _pairs(np.float64(n)) if n > 1 else 0.0
    maximum = (sum_a + sum_b) / 2
    if maximum == expected:
        return 1.0
    return float((index - expected) / (maximum - expected))


def noise_rate(pred: Labels) -> float:
    """Share of shots left in the noise bucket."""
    codes = _codes(pred)
    return float((codes < 0).mean()) if len(codes) else 0.0


def report(true: Labels, pred: Labels) -> dict[str, float]:
    """All measures at once, flat, for benchmark tables."""
    out = {f"pair_{k}": v for k, v in pairwise_prf(true, pred).items()}
    out.update({f"bcubed_{k}": v for k, v in bcubed_prf(true, pred).items()})
    out["ari"] = adjusted_rand_index(true, pred)
    out["noise_rate"] = noise_rate(pred)
    return out


def partnered_noise_rate(true: Labels, pred: Labels) -> float:
    """Share of shots that have a same-setup partner yet sit in the noise bucket: noise must mean
    "unsure", so a shot whose setup recurs should almost never be there."""
    t = _codes(true)
    counts = dict(zip(*np.unique(t, return_counts=True)))
    partnered = np.asarray([counts[c] > 1 for c in t])
    noise = _codes(pred) < 0
    return float((noise & partnered).sum() / partnered.sum()) if partnered.any() else 0.0


def pair_accuracy(pairs: Sequence[tuple[int, int, bool]], pred: Labels) -> float:
    """Share of labelled shot pairs (i, j, same setup?) the clustering gets right: "same" when
    both shots share a cluster (noise is with nothing)."""
    if not len(pairs):
        return 1.0
    p = _codes(pred)
    return float(np.mean([(p[i] == p[j]) == same for i, j, same in pairs]))
