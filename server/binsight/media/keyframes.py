"""Keyframes: which frames represent a shot, then one decode pass that keeps only those.

Choice is made from the detection pass's per-frame scalars (no pixels): a static shot is
represented by its median frame, a moving shot by start, middle and end; every pick is moved to
the sharpest frame (variance of the Laplacian) within a few frames, and never lands inside a
transition (fade ramp, dissolve) when the shot has frames outside it. Only the chosen frames are
converted to full-size BGR, so memory holds one shot's samples at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from binsight.media.types import Boundary, Detection, FrameSample, MediaInfo, Shot
from binsight.media.video import MAX_DISPLAY_SIDE, VideoStream


@dataclass(frozen=True)
class KeyframeConfig:
    """How keyframes are picked."""

    sharpness_window: int = 4
    """Frames searched each side of a pick for a sharper one (motion blur lasts a few frames)."""
    moving_positions: tuple[float, ...] = (0.1, 0.5, 0.9)
    """Where in a moving shot the start/middle/end keyframes sit, as fractions of its usable
    frames; inset from the ends so a pick is not a frame away from a cut."""
    max_side: int = MAX_DISPLAY_SIDE
    """Long side of the images handed on; larger sources are downscaled to it."""


@dataclass(frozen=True)
class _Pick:
    frame: int
    is_keyframe: bool


def choose_frames(shot: Shot, detection: Detection, config: KeyframeConfig,
                  extra_samples: int = 0) -> list[_Pick]:
    """Frames to keep for ``shot``: keyframes first, then up to ``extra_samples`` extras."""
    usable = _usable_frames(shot, detection.boundaries)
    sharpness = detection.frame_stats.sharpness if detection.frame_stats is not None else None
    positions = config.moving_positions if shot.moving else (0.5,)
    taken: list[int] = []
    picks = [_Pick(f, True) for f in _refine(
        [_at(usable, p) for p in positions], usable, sharpness, config, taken)]
    extra_positions = [(j + 0.5) / extra_samples for j in range(extra_samples)]
    picks += [_Pick(f, False) for f in _refine(
        [_at(usable, p) for p in extra_positions], usable, sharpness, config, taken)]
    return picks


def _usable_frames(shot: Shot, boundaries: list[Boundary]) -> np.ndarray:
    """Shot frames outside every transition span; all of the shot if none is left."""
    frames = np.arange(shot.start_frame, shot.end_frame)
    inside = np.zeros(frames.size, dtype=bool)
    for b in boundaries:
        if b.first_frame < shot.end_frame and b.last_frame >= shot.start_frame:
            inside |= (frames >= b.first_frame) & (frames <= b.last_frame)
    return frames[~inside] if not inside.all() else frames


def _at(usable: np.ndarray, fraction: float) -> int:
    return int(usable[min(usable.size - 1, int(fraction * usable.size))])


def _refine(targets: list[int], usable: np.ndarray, sharpness: np.ndarray | None,
            config: KeyframeConfig, taken: list[int]) -> list[int]:
    """Move each target to the sharpest usable frame not yet ``taken`` within the sharpness
    window, narrowed to half the spacing of the targets so picks stay spread over the shot.
    Targets with no free frame in reach are dropped. Appends the picks to ``taken``."""
    radius = config.sharpness_window
    if len(targets) > 1:
        radius = min(radius, max(0, usable.size // (2 * len(targets))))
    out: list[int] = []
    for target in targets:
        near = usable[(np.abs(usable - target) <= radius) & ~np.isin(usable, taken)]
        if near.size == 0:
            continue
        if sharpness is None:
            best = int(near[np.argmin(np.abs(near - target))])
        else:
            best = int(near[np.argmax(sharpness[near])])
        out.append(best)
        taken.append(best)
    return out


def sample_frames(path: str, info: MediaInfo, detection: Detection,
                  config: KeyframeConfig | None = None,
                  extra_samples: int = 0) -> Iterator[list[FrameSample]]:
    """Yield, shot by shot in order, that shot's keyframes then its extra samples.

    One sequential decode: frames that are not picked are decoded but never converted, so the
    cost is decoding plus a few colour conversions. A shot whose frames were not reached (the
    file ended early) yields an empty list, keeping the one-list-per-shot contract.
    """
    config = config or KeyframeConfig()
    picks = [choose_frames(shot, detection, config, extra_samples) for shot in detection.shots]
    wanted = {p.frame: (i, p.is_keyframe) for i, shot_picks in enumerate(picks)
              for p in shot_picks}
    remaining = [len(p) for p in picks]
    found: list[list[FrameSample]] = [[] for _ in picks]
    sharpness = detection.frame_stats.sharpness if detection.frame_stats is not None else None
    next_shot = 0
    for decoded in VideoStream(path, info):
        hit = wanted.get(decoded.index)
        if hit is None:
            continue
        shot_index, is_keyframe = hit
        found[shot_index].append(FrameSample(
            shot_index=shot_index, frame=decoded.index, time_s=decoded.time_s,
            image=decoded.bgr(info.rotation, config.max_side),
            sharpness=float(sharpness[decoded.index]) if sharpness is not None else 0.0,
            is_keyframe=is_keyframe))
        remaining[shot_index] -= 1
        while next_shot < len(picks) and remaining[next_shot] == 0:
            yield _ordered(found[next_shot])
            found[next_shot] = []
            next_shot += 1
        if next_shot == len(picks):
            return
    for shot_index in range(next_shot, len(picks)):
        yield _ordered(found[shot_index])


def _ordered(samples: list[FrameSample]) -> list[FrameSample]:
    """Keyframes first (in frame order), then extras (in frame order)."""
    return sorted(samples, key=lambda s: (not s.is_keyframe, s.frame))
