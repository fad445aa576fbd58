"""Shared value types of the clustering core: thresholds, editor flags, placements, id minting.

Everything here is plain data so the service layer can persist it without knowing numpy details.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Iterable

from .evidence import FusionWeights

NOISE: None = None  # cluster id of the noise bucket in every assignment mapping


@dataclass
class ClusterConfig:
    """Every threshold the scene clustering uses (cosine similarities of L2-normalised vectors).

    Defaults are the ones bench/clusters.py measures; see that output for the numbers.
    """

    join_threshold: float = 0.85  # online: best cluster at or above this -> join it
    noise_threshold: float = 0.5  # online: below this to every cluster -> noise bucket
    shot_similarity: str = "max"  # how a shot's keyframes combine: "max" or "mean"
    n_exemplars: int = 4  # per cluster, besides the centroid
    n_candidates: int = 3  # candidates carried by every placement (noise shows its top 3)
    merge_threshold: float = 0.7  # recluster: stop merging below this average-linkage similarity
    linkage: str = "average"  # recluster: "average", "complete" or "single"
    min_cluster_size: int = 2  # recluster: smaller unpinned clusters go to the noise bucket
    fragment_size: int = 24  # recluster: mean shots per k-means fragment for large projects
    exact_limit: int = 4000  # recluster: up to this many free shots, agglomerate shots directly
    max_groups: int = 8000  # recluster: agglomeration size cap (a g x g float32 matrix: 256 MB)
    move_margin: float = 0.05  # recluster: a shot leaves a seen cluster only if this much better
    # evidence fusion (clustering/evidence.py), in cosine units; 0 = that evidence is ignored
    local_weight: float = 0.0  # x geometric verification score in [0, 1]
    time_weight: float = 0.0  # x 1 for shots 2..time_window apart in one file
    time_window: int = 4
    character_weight: float = 0.0  # x cast overlap (Jaccard) when both casts are known
    character_penalty: float = 0.0  # x (1 - overlap): disjoint casts push apart
    local_candidates: int = 8  # geometry is verified against this many nearest shots/clusters
    local_members: int = 6  # per cluster, members whose local features are kept for verification

    def to_dict(self) -> dict:
        return asdict(self)

    @property
    def fusion(self) -> FusionWeights:
        return FusionWeights(self.local_weight, self.time_weight, self.time_window, self.character_weight,
                             self.character_penalty, self.local_candidates)

    @classmethod
    def for_model(cls, model_id: str, evidence: bool = False, **overrides: float | int | str) -> "ClusterConfig":
        """Thresholds (and evidence weights) calibrated for one embedding space: a cosine means
        different things in different spaces. ``evidence=True``: the caller passes
        ``ShotEvidence`` (file and cut order, cast, local features) with every shot and gets the
        fused calibration; by default the evidence-free one (what a caller that passes no
        evidence needs: fused thresholds are stricter). Unknown spaces get the class defaults
        (suited to CLIP-like spaces; CLIP cannot be measured here).

        pixels-v3 with evidence: every value chosen by bench/clusters.py's sweep (mean BCubed F1
        over re-cut real footage x2, the generated set and the shared media; see its output):
        geometry 0.4, time 0.3 within 3 cuts, cast penalty 0.3, cast agreement 0 (it never helped),
        merge 0.75, join 0.85, noise 0.55. Evidence-free (pixels-v2 and -v3): join 0.8 / noise
        0.35 / merge 0.7, the best BCubed F1 of the earlier sweep on two seeds of the generated
        set (online 0.89/0.92 vs 0.81/0.83 at 0.85/0.5)."""
        family = model_id.split(":")[0]
        table = _CALIBRATED if evidence else _CALIBRATED_PLAIN
        calibrated = table.get(family, _CALIBRATED_PLAIN.get(family, {}))
        return cls(**{**calibrated, **overrides})

    @classmethod
    def from_dict(cls, data: dict) -> "ClusterConfig":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


_CALIBRATED_PLAIN: dict[str, dict] = {
    "pixels-v2": {"join_threshold": 0.8, "noise_threshold": 0.35, "merge_threshold": 0.7},
    "pixels-v3": {"join_threshold": 0.8, "noise_threshold": 0.35, "merge_threshold": 0.7},
}
_CALIBRATED: dict[str, dict] = {
    "pixels-v3": {"join_threshold": 0.85, "noise_threshold": 0.55, "merge_threshold": 0.75,
                  "local_weight": 0.4, "time_weight": 0.3, "time_window": 3, "character_weight": 0.0,
                  "character_penalty": 0.3},
}


@dataclass
class ClusterFlags:
    """What the editor has done with a cluster. Locked clusters keep exactly their members; seen,
    touched or named ones keep their id and resist being reshuffled (see recluster)."""

    locked: bool = False
    named: bool = False
    touched: bool = False
    seen: bool = False

    @property
    def protected(self) -> bool:
        return self.locked or self.named or self.touched or self.seen

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Placement:
    """Where one shot went and why: its cluster (``None`` = noise), the score that decided it and
    the best ``n_candidates`` clusters with scores (what the editor sees for noise shots)."""

    shot_id: str
    cluster_id: str | None
    score: float
    candidates: list[tuple[str, float]] = field(default_factory=list)
    founded: bool = False  # the shot opened a new cluster
    promoted: list[str] = field(default_factory=list)  # noise shots that founded it with this one


class IdMinter:
    """Mints ``<prefix>-00001``-style ids above every id already in use, so ids are never reused
    (an undo or an old export must never point at a different cluster)."""

    def __init__(self, prefix: str = "scene", used: Iterable[str] = (), start: int = 1) -> None:
        self.prefix = prefix
        pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
        numbers = [int(m.group(1)) for u in used if u and (m := pattern.match(u))]
        self.next_number = max([start - 1, *numbers]) + 1

    def __call__(self) -> str:
        out = f"{self.prefix}-{self.next_number:05d}"
        self.next_number += 1
        return out
