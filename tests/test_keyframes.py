"""sample_frames(): which frames represent a shot, upright and at display size."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

import media_factory as mf
from binsight.media.keyframes import KeyframeConfig, sample_frames
from binsight.media.probe import probe
from binsight.media.shots import detect_shots
from binsight.media.types import FrameSample

A, B, C = mf.texture(1), mf.texture(2), mf.texture(3)


def _sample(path: Path, extra: int = 0,
            config: KeyframeConfig | None = None) -> list[list[FrameSample]]:
    info = probe(str(path))
    return list(sample_frames(str(path), info, detect_shots(str(path), info), config, extra))


def _frames(samples: list[list[FrameSample]]) -> list[list[tuple[int, bool]]]:
    return [[(s.frame, s.is_keyframe) for s in shot] for shot in samples]


def test_counter_keyframes_and_pts_times() -> None:
    samples = _sample(mf.shared_media("counter.mp4"), extra=2)
    # Static shots: one keyframe near the middle of the usable frames (the cut frames 9/10 and
    # 19/20 excluded), then two extras; every pick inside its own shot.
    assert [[key for _, key in shot] for shot in _frames(samples)] == [[True, False, False]] * 3
    for (first, last), shot in zip([(0, 8), (11, 18), (21, 29)], samples):
        assert abs(shot[0].frame - (first + last) // 2) <= 4
        assert all(first <= s.frame <= last for s in shot)
        assert len({s.frame for s in shot}) == 3
    # counter.mp4 shows PTS = frame / 10 on every frame.
    assert all(s.time_s == pytest.approx(s.frame / 10) for shot in samples for s in shot)
    assert all(s.image.shape == (1080, 1920, 3) and s.image.dtype == np.uint8
               for shot in samples for s in shot)


def test_rotated_footage_comes_out_at_display_size() -> None:
    samples = _sample(mf.shared_media("issue-134-rotate.mp4"))
    assert [len(shot) for shot in samples] == [1, 1, 1]
    assert {s.image.shape for shot in samples for s in shot} == {(544, 1280, 3)}  # landscape, upright


def test_static_shot_one_median_frame_moving_shot_three(tmp_path: Path) -> None:
    frames = itertools.chain(mf.still(A, 31), mf.pan(7, 60, step=3), mf.still(B, 31))
    samples = _sample(mf.encode(tmp_path / "mix.mp4", frames))
    keyframes = [[f for f, key in shot if key] for shot in _frames(samples)]
    assert len(keyframes[0]) == 1 and abs(keyframes[0][0] - 15) <= 4
    start, middle, end = keyframes[1]
    assert 31 <= start < middle < end <= 90
    # Targets at 10/50/90 % of the usable frames 32-89 (cut frames excluded), each moved to the
    # sharpest frame within 4.
    assert abs(start - 37) <= 4 and abs(middle - 61) <= 4 and abs(end - 84) <= 4
    assert len(keyframes[2]) == 1 and abs(keyframes[2][0] - 106) <= 4


def test_blurred_median_frame_is_avoided(tmp_path: Path) -> None:
    sharp = mf.texture(4, 320, 192)
    blurred = cv2.GaussianBlur(sharp, (0, 0), 3.0)
    frames = [sharp] * 21
    frames[10] = frames[9] = frames[11] = blurred  # motion blur around the median frame
    samples = _sample(mf.encode(tmp_path / "blur.mp4", frames))
    (pick,) = samples[0]
    assert pick.frame not in (9, 10, 11) and abs(pick.frame - 10) <= 4


def test_never_inside_a_fade(tmp_path: Path) -> None:
    frames = itertools.chain(mf.solid(0, 5), mf.fade(A, 10, fade_in=True), mf.still(A, 10),
                             mf.fade(A, 10), mf.solid(0, 5))
    path = mf.encode(tmp_path / "fades.mp4", frames)
    info = probe(str(path))
    detection = detect_shots(str(path), info)
    (samples,) = list(sample_frames(str(path), info, detection, extra_samples=3))
    ramps = [range(b.first_frame, b.last_frame + 1) for b in detection.boundaries]
    assert [s.frame for s in samples] and all(
        not any(s.frame in r for r in ramps) for s in samples)
    assert all(15 <= s.frame <= 24 for s in samples)


def test_extra_samples_are_spread_and_marked(tmp_path: Path) -> None:
    samples = _sample(mf.encode(tmp_path / "long.mp4", mf.still(A, 100)), extra=4)
    (shot,) = _frames(samples)
    assert shot[0][1] is True and [key for _, key in shot[1:]] == [False] * 4
    extras = [f for f, _ in shot[1:]]
    assert extras == sorted(extras)
    assert all(abs(f - target) <= 4 for f, target in zip(extras, (12, 37, 62, 87)))


def test_upright_after_rotation_and_capped_at_1920(tmp_path: Path) -> None:
    marker = np.zeros((96, 160, 3), np.uint8)
    marker[:24, :40] = 255  # white block top-left as stored
    path = mf.encode(tmp_path / "portrait.mp4", mf.still(marker, 10), rotation=90)
    (shot,) = _sample(path)
    image = shot[0].image
    assert image.shape == (160, 96, 3)
    # Rotated 90 degrees clockwise for display, the top-left block lands top-right.
    assert image[:30, -20:].mean() > 200 and image[:30, :20].mean() < 50


def test_4k_source_is_downscaled(tmp_path: Path) -> None:
    frames = [mf.texture(5, 3840, 2160)] * 3
    path = mf.encode(tmp_path / "uhd.mp4", frames, fps=Fraction(24))
    info = probe(str(path))
    assert (info.width, info.height) == (3840, 2160)
    ((sample,),) = list(sample_frames(str(path), info, detect_shots(str(path), info)))
    assert sample.image.shape == (1080, 1920, 3)
