"""A generated project for the benches that need many shots at once (the review page, the load
bench): committed files of ``SHOTS_PER_FILE`` shots, each shot one keyframe whose vector lies
near its setup's centre, setups of 5–60 shots plus 3% single shots, one small JPEG per setup
shared by its keyframes. Written straight to the store (ingesting 100k shots would take hours),
in the store's own order: a file's rows, then its media row."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from binsight import records as r
from binsight.clock import utcnow
from binsight.embedders.pixels import PixelsEmbedder
from binsight.store import Store
from media_factory import photo

SHOTS_PER_FILE = 100
FILES_PER_WRITE = 100


def generate(data_dir: Path, n_shots: int, seed: int = 0, placed: bool = False) -> tuple[int, int]:
    """Rows of ``n_shots`` committed shots in the active pixels model's space; with ``placed``,
    also a bin per setup of two or more shots and every shot's placement (else the project
    places them when it reclusters). Returns (bins, shots alone in their setup)."""
    embedder = PixelsEmbedder()
    dim, model = embedder.dim, embedder.model_id
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < n_shots * 0.97:
        sizes.append(int(rng.integers(5, 61)))
    setup_of = np.concatenate([np.full(s, k) for k, s in enumerate(sizes)])[: int(n_shots * 0.97)]
    singles = np.arange(len(sizes), len(sizes) + n_shots - len(setup_of))
    setup_of = rng.permutation(np.concatenate([setup_of, singles]))
    n_setups = int(setup_of.max()) + 1
    centres = rng.standard_normal((n_setups, dim)).astype(np.float32)
    thumbs = data_dir / "keyframes" / "bench"
    thumbs.mkdir(parents=True, exist_ok=True)
    for k in range(n_setups):
        cv2.imwrite(str(thumbs / f"setup-{k:05d}.jpg"), photo(k, 192, 108), [cv2.IMWRITE_JPEG_QUALITY, 85])
    members = np.bincount(setup_of, minlength=n_setups)
    bins = [k for k in range(n_setups) if members[k] >= 2]
    store = Store(data_dir / "db")
    now = utcnow()
    if placed:
        store.clusters.add(r.ClusterRecord(f"scene-{k + 1:05d}", r.ClusterKind.SCENE, "", False, False, False, False,
                                           f"setup {k}", "", now, now) for k in bins)
    for start in range(0, n_shots, SHOTS_PER_FILE * FILES_PER_WRITE):
        media, shots, keyframes, placements = [], [], [], []
        for m in range(start, min(n_shots, start + SHOTS_PER_FILE * FILES_PER_WRITE), SHOTS_PER_FILE):
            media_id = f"m{m // SHOTS_PER_FILE:04d}"
            count = min(SHOTS_PER_FILE, n_shots - m)
            media.append(r.MediaRecord(media_id, f"/footage/day{m // 2000 + 1}/A{m // SHOTS_PER_FILE:04d}C001.mov", "h",
                                       1, "mov,mp4,m4a,3gp,3g2,mj2", "h264", 1920, 1080, 0, Fraction(1), Fraction(25),
                                       25 * count, float(count), 0.0, "01:00:00:00", False, "", "", True, 2, 48000, 8,
                                       "yuv420p", False, False, False, (), model, "", now, count))
            for i in range(count):
                shot_id, k = f"{media_id}-{i:04d}", int(setup_of[m + i])
                shots.append(r.ShotRecord(shot_id, media_id, i, 25 * i, 25 * i + 25, float(i), i + 1.0, False, 0.0))
                vector = centres[k] + 0.45 * rng.standard_normal(dim).astype(np.float32)
                name = f"bench/setup-{k:05d}.jpg"
                keyframes.append(r.KeyframeRecord(f"{shot_id}-k", shot_id, media_id, 25 * i + 12, i + 0.48, 1.0, name,
                                                  name, model, vector=(vector / np.linalg.norm(vector)).astype(np.float32)))
                if placed:
                    cluster = f"scene-{k + 1:05d}" if members[k] >= 2 else None
                    placements.append(r.AssignmentRecord(shot_id, cluster, 0.9 if cluster else 0.3, (), False, now))
        store.shots.add(shots)
        store.keyframes.add(keyframes)
        store.media.add(media)  # the commit marker last, as commit_media writes it
        store.assignments.add(placements)
    store.optimize()
    return len(bins), int(sum(members[k] for k in range(n_setups) if members[k] < 2))
