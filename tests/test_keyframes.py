"""sample_frames(): which frames represent a shot, upright and at display size; the one-pass
picking an ingest does (FramePicker, seek_samples) gives the same frames."""

from __future__ import annotations

import itertools
import threading
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

import media_factory as mf
from binsight.media.keyframes import FramePicker, KeyframeConfig, choose_frames, sample_frames, seek_samples
from binsight.media.probe import probe
from binsight.media.shots import detect_shots
from binsight.media.types import DetectorConfig, FrameSample

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


def _one_pass(path: Path, extra: int, config: KeyframeConfig | None = None):  # noqa: ANN202 - test helper
    """An ingest's one decode: detection with a FramePicker; returns the detection, the shots
    handed on during it with their samples, and the picker."""
    info = probe(str(path))
    handed: list[tuple[object, list[FrameSample]]] = []
    picker = FramePicker(info, DetectorConfig(), config or KeyframeConfig(), extra,
                         lambda shot, samples: handed.append((shot, samples)))
    detection = detect_shots(str(path), info, observers=(picker.observe,), fast=False, analyzer=picker.analyzer)
    return info, detection, handed, picker


def _edited(tmp_path: Path) -> Path:
    """Ten shots of 2 s (stills and pans), hard cuts, a fade through black and a dissolve, with a
    key frame every 50 frames so seeking has something to do."""
    segments = []
    for n in range(10):
        image = mf.texture(40 + n)
        if n == 4:
            segments += [mf.fade(mf.texture(43), 10), mf.solid(0, 5), mf.fade(image, 10, fade_in=True)]
        if n == 7:
            segments.append(mf.dissolve(mf.texture(46), image, 12))
        segments.append(mf.pan(40 + n, 50, step=3) if n % 3 == 1 else mf.still(image, 50))
    return mf.encode(tmp_path / "edited.mp4", itertools.chain.from_iterable(segments), options={"g": "50"})


def test_one_pass_picks_what_a_second_pass_would(tmp_path: Path) -> None:
    path = _edited(tmp_path)
    info, detection, handed, picker = _one_pass(path, extra=4)
    assert len(detection.shots) == 10
    second = list(sample_frames(str(path), info, detection, KeyframeConfig(), 4))
    by_extent = {(s.start_frame, s.end_frame): samples for s, samples in handed}
    # Every shot but the last (settled only at the end of the file) was handed on during the
    # decode, its extent and picks those of the whole-clip detection, its images the same pixels.
    assert len(handed) == 9 and picker.predicted == 9
    for shot, samples in zip(detection.shots[:9], second[:9]):
        early = by_extent[(shot.start_frame, shot.end_frame)]
        assert [(s.frame, s.is_keyframe) for s in early] == [(s.frame, s.is_keyframe) for s in samples]
        assert all(np.array_equal(a.image, b.image) for a, b in zip(early, samples))
    assert picker.held.shed == 0


def test_shed_and_unsettled_frames_are_found_by_seeking(tmp_path: Path) -> None:
    path = _edited(tmp_path)
    # A budget of one frame: everything is shed, every shot is sampled again by seeking.
    info, detection, handed, picker = _one_pass(path, extra=2, config=KeyframeConfig(hold_mb=0))
    assert handed == [] and picker.held.shed > 400
    wanted = {s.index: choose_frames(s, detection, KeyframeConfig(), 2) for s in detection.shots}
    sought = list(seek_samples(str(path), info, detection, wanted, KeyframeConfig(), picker.held))
    second = list(sample_frames(str(path), info, detection, KeyframeConfig(), 2))
    assert [i for i, _ in sought] == list(range(10))
    for (_, samples), expected in zip(sought, second):
        assert [(s.shot_index, s.frame, s.is_keyframe, s.time_s) for s in samples] == [
            (s.shot_index, s.frame, s.is_keyframe, s.time_s) for s in expected]
        assert all(np.array_equal(a.image, b.image) for a, b in zip(samples, expected))


def test_seeking_reaches_frames_far_after_a_sparse_key_frame(tmp_path: Path) -> None:
    """One key frame every 10 s (x264's default GOP, no key frames at cuts): a frame 3 s after
    its key frame is reached by decoding on from it. (It used to seek back to the same key frame
    for ever, hanging the ingest of a long file's shots.)"""
    segments = [mf.still(mf.texture(60 + n), 100) for n in range(4)]  # picks 4 s apart
    path = mf.encode(tmp_path / "sparse.mp4", itertools.chain.from_iterable(segments),
                     options={"x264-params": "keyint=250:min-keyint=250:scenecut=0"})
    info = probe(str(path))
    detection = detect_shots(str(path), info, fast=False)
    assert len(detection.shots) == 4
    wanted = {s.index: choose_frames(s, detection, KeyframeConfig(), 2) for s in detection.shots}
    found: list = []
    worker = threading.Thread(target=lambda: found.extend(
        seek_samples(str(path), info, detection, wanted, KeyframeConfig())), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "seeking did not finish"
    second = list(sample_frames(str(path), info, detection, KeyframeConfig(), 2))
    assert [[(s.frame, s.is_keyframe) for s in samples] for _, samples in found] == \
        [[(s.frame, s.is_keyframe) for s in samples] for samples in second]
    assert all(np.array_equal(a.image, b.image) for (_, got), want in zip(found, second) for a, b in zip(got, want))
