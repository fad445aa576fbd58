"""detect_shots(): hand-checked truth on real footage, then one synthetic clip per behaviour.

Scoring follows truth.json: a truth span is found when at least one reported boundary frame
(``Boundary.frame``, the middle of the transition; the first frame of the new shot for a cut)
falls inside it; every reported frame outside all spans is a false positive.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

import media_factory as mf
from binsight.errors import Cancelled
from binsight.media.probe import probe
from binsight.media.shots import detect_shots
from binsight.media.types import Detection, DetectorConfig

SHARED = ["testvideo.mp4", "counter.mp4", "issue-134-rotate.mp4", "short_hamilton_clip.mp4"]


def _detect(path: Path, config: DetectorConfig | None = None) -> Detection:
    return detect_shots(str(path), probe(str(path)), config)


def _spans(detection: Detection) -> list[tuple[int, int]]:
    """Shots as inclusive (first, last) spans, the way truth.json writes content shots."""
    return [(s.start_frame, s.end_frame - 1) for s in detection.shots]


@pytest.fixture(scope="module")
def shared_detections() -> dict[str, Detection]:
    return {name: _detect(mf.shared_media(name)) for name in SHARED}


@pytest.mark.parametrize("name", SHARED)
def test_truth_every_boundary_found_no_false_positive(
        name: str, shared_detections: dict[str, Detection]) -> None:
    truth = mf.shared_truth()[name]
    detection = shared_detections[name]
    reported = [b.frame for b in detection.boundaries]
    spans = truth["boundaries"]
    missed = [s for s in spans if not any(s[0] <= f <= s[1] for f in reported)]
    false_positives = [f for f in reported if not any(a <= f <= b for a, b in spans)]
    assert (missed, false_positives) == ([], [])
    assert detection.frames_decoded == truth["frames"]
    assert (detection.truncated, detection.warnings) == (False, [])


@pytest.mark.parametrize("name", ["counter.mp4", "issue-134-rotate.mp4",
                                  "short_hamilton_clip.mp4"])
def test_hard_cut_clips_give_exact_content_shots(
        name: str, shared_detections: dict[str, Detection]) -> None:
    truth = mf.shared_truth()[name]
    assert _spans(shared_detections[name]) == [tuple(s) for s in truth["content_shots"]]


def test_testvideo_shots_leave_out_black_and_the_dissolve(
        shared_detections: dict[str, Detection]) -> None:
    detection = shared_detections["testvideo.mp4"]
    # Truth: [30,179] [211,359] [393,529] [558,695]. Frames 393 and 693-695 have the same mean
    # luma as frames truth calls black, so no single black level can match every edge.
    assert _spans(detection) == [(30, 179), (211, 359), (394, 528), (558, 692)]
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (29, 30, "cut"), (179, 240, "fade"), (330, 423, "fade"), (528, 558, "dissolve"),
        (663, 693, "fade")]
    assert detection.black_spans == [(0, 29), (180, 210), (360, 393), (693, 719)]


def test_times_come_from_pts_relative_to_first_frame(
        shared_detections: dict[str, Detection]) -> None:
    hamilton = shared_detections["short_hamilton_clip.mp4"].shots
    # Frame 20 of a 29.97 fps clip whose first frame sits at PTS 0.852 s starts 20/29.97 s in.
    assert hamilton[1].start_s == pytest.approx(20 * 100 / 2997, abs=1e-4)
    assert hamilton[3].end_s == pytest.approx(275 * 100 / 2997, abs=1e-4)
    counter = shared_detections["counter.mp4"].shots
    assert [(s.start_s, s.end_s) for s in counter] == [(0.0, 1.0), (1.0, 2.0), (2.0, 3.0)]


def test_handheld_shot_is_moving_not_cut(shared_detections: dict[str, Detection]) -> None:
    shots = shared_detections["short_hamilton_clip.mp4"].shots
    assert [s.moving for s in shots] == [False, True, True, False]


# --- synthetic clips: one behaviour each ---------------------------------------------------------

A, B, C = mf.texture(1), mf.texture(2), mf.texture(3)


def test_cut_fade_through_white_and_dissolve(tmp_path: Path) -> None:
    frames = itertools.chain(
        mf.still(A, 20),                       # 0-19
        mf.still(B, 20),                       # 20-39 (hard cut at 20)
        mf.fade(B, 8, to=255),                 # 40-47 fade out to white
        mf.solid(255, 6),                      # 48-53 white
        mf.fade(C, 8, to=255, fade_in=True),   # 54-61 fade in
        mf.still(C, 20),                       # 62-81
        mf.dissolve(C, A, 12),                 # 82-93 mixed frames
        mf.still(A, 20))                       # 94-113
    detection = _detect(mf.encode(tmp_path / "mix.mp4", frames))
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (19, 20, "cut"), (39, 62, "fade"), (81, 94, "dissolve")]
    assert _spans(detection) == [(0, 19), (20, 47), (54, 81), (94, 113)]
    assert detection.black_spans == [(48, 53)]


def test_pan_is_one_moving_shot(tmp_path: Path) -> None:
    frames = itertools.chain(mf.still(A, 15), mf.pan(9, 60, step=3), mf.still(B, 15))
    detection = _detect(mf.encode(tmp_path / "pan.mp4", frames))
    assert _spans(detection) == [(0, 14), (15, 74), (75, 89)]
    assert [s.moving for s in detection.shots] == [False, True, False]


# A slow pan (under a thumbnail pixel across the dissolve window) is, to first order, a linear
# mix of the frames either side of it: the dissolve test read such shots, grainy or not, as
# chains of dissolves and dropped them. 0.5 px a frame, grain sigma 8.
GRAIN_SIZE = (480, 270)


def _grainy_pans(pictures: list[np.ndarray], frames: int,
                 size: tuple[int, int] = GRAIN_SIZE) -> itertools.chain:
    return itertools.chain(*(mf.grainy_pan(p, frames, step=0.5, width=size[0], height=size[1],
                                           grain=8.0, seed=i) for i, p in enumerate(pictures)))


def test_slow_grainy_pans_cut_together_are_whole_shots(tmp_path: Path) -> None:
    pictures = [mf.photo(seed, GRAIN_SIZE[0] + 60, GRAIN_SIZE[1]) for seed in range(1, 5)]
    detection = _detect(mf.encode(tmp_path / "grain.mp4", _grainy_pans(pictures, 80)))
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (79, 80, "cut"), (159, 160, "cut"), (239, 240, "cut")]
    assert _spans(detection) == [(0, 79), (80, 159), (160, 239), (240, 319)]


def test_slow_grainy_pans_over_real_photos_are_whole_shots(tmp_path: Path) -> None:
    paths = sorted((mf.SHARED_MEDIA.parent / "faces" / "groups").glob("*.jpg"))
    pictures = [image for image in (cv2.imread(str(p)) for p in paths) if image is not None]
    if len(pictures) < 2:
        pytest.skip("shared photos ../shared/faces/groups/*.jpg are absent")
    # 640x360: at 480x270 these smoother pictures already passed before the fix.
    detection = _detect(mf.encode(tmp_path / "photos.mp4",
                                  _grainy_pans(pictures, 80, size=(640, 360))))
    cuts = [80 * i for i in range(1, len(pictures))]
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (f - 1, f, "cut") for f in cuts]
    assert _spans(detection) == [(80 * i, 80 * i + 79) for i in range(len(pictures))]


def test_dissolve_between_slow_grainy_pans_is_exact(tmp_path: Path) -> None:
    # The motion check must not hide a real dissolve in moving, grainy footage, and the
    # dissolve's edges must not widen by the pan's own frame-to-frame change.
    one, two = (list(_grainy_pans([mf.photo(seed, GRAIN_SIZE[0] + 60, GRAIN_SIZE[1])], 60))
                for seed in (1, 2))
    mixed = [np.clip(a * (1 - t) + b.astype(np.float32) * t, 0, 255).astype(np.uint8)
             for a, b, t in zip(one[30:45], two, np.arange(1, 16) / 16)]
    detection = _detect(mf.encode(tmp_path / "grain_mix.mp4",
                                  itertools.chain(one[:30], mixed, two[15:])))
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (29, 45, "dissolve")]
    assert _spans(detection) == [(0, 29), (45, 89)]


def test_black_gap_with_hard_edges_is_not_a_shot(tmp_path: Path) -> None:
    frames = itertools.chain(mf.solid(0, 10), mf.still(A, 20), mf.solid(0, 12), mf.still(B, 20),
                             mf.solid(0, 5))
    detection = _detect(mf.encode(tmp_path / "gaps.mp4", frames))
    assert _spans(detection) == [(10, 29), (42, 61)]
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (9, 10, "cut"), (29, 42, "black"), (61, 62, "cut")]
    assert detection.black_spans == [(0, 9), (30, 41), (62, 66)]


def test_min_shot_length_and_sensitivity(tmp_path: Path) -> None:
    grey_a = np.full_like(A, 120)
    grey_b = np.full_like(A, 140)  # a subtle cut between two flat greys
    frames = itertools.chain(mf.still(A, 20), mf.still(B, 3), mf.still(A, 20),
                             mf.still(grey_a, 20), mf.still(grey_b, 20))
    path = mf.encode(tmp_path / "flash.mp4", frames)
    default = _detect(path)
    # The 3-frame flash of B is shorter than min_shot_frames: no shot, no cut.
    assert _spans(default) == [(0, 42), (43, 62), (63, 82)]
    assert _spans(_detect(path, DetectorConfig(min_shot_frames=2))) == [
        (0, 19), (20, 22), (23, 42), (43, 62), (63, 82)]
    assert _spans(_detect(path, DetectorConfig(cut_threshold=20.0))) == [(0, 42), (43, 82)]


def test_rotation_does_not_change_detection(tmp_path: Path) -> None:
    frames = list(itertools.chain(mf.still(A, 12), mf.pan(4, 20), mf.still(C, 12)))
    upright = _detect(mf.encode(tmp_path / "upright.mp4", frames))
    rotated = _detect(mf.encode(tmp_path / "rotated.mp4", frames, rotation=90))
    assert _spans(rotated) == _spans(upright) == [(0, 11), (12, 31), (32, 43)]


def test_ten_bit_source_matches_eight_bit(tmp_path: Path) -> None:
    if not mf.has_encoder("libx265"):
        pytest.skip("bundled FFmpeg has no libx265 encoder for a 10-bit source")
    frames = list(itertools.chain(mf.still(A, 12), mf.fade(A, 6), mf.solid(0, 4),
                                  mf.still(B, 12)))
    ten = _detect(mf.encode(tmp_path / "ten.mp4", frames, codec="libx265", pix_fmt="yuv420p10le"))
    eight = _detect(mf.encode(tmp_path / "eight.mp4", frames))
    assert _spans(ten) == _spans(eight) == [(0, 17), (22, 33)]


def test_progress_and_cancel(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "p.mp4", itertools.chain(mf.still(A, 30), mf.still(B, 30)))
    info = probe(str(path))
    calls: list[tuple[int, int, int]] = []
    detect_shots(str(path), info, progress=lambda *args: calls.append(args))
    assert calls[0] == (1, 60, 1) and calls[-1] == (60, 60, 2)
    assert [c[0] for c in calls] == [1, 26, 51, 60]
    with pytest.raises(Cancelled):
        detect_shots(str(path), info, cancelled=lambda: True)


def test_corrupt_frames_mid_stream_are_skipped_with_warning(tmp_path: Path) -> None:
    frames = itertools.chain(mf.still(A, 40), mf.pan(5, 40, step=2), mf.still(C, 40))
    clean = mf.encode(tmp_path / "clean.mp4", frames, options={"g": "10"})
    damaged = mf.corrupt(clean, tmp_path / "damaged.mp4", at=0.5, length=1500)
    detection = _detect(damaged)
    assert detection.warnings, "damage must be reported"
    assert 100 <= detection.frames_decoded <= 120
    assert detection.shots[0].start_frame == 0 and detection.shots[-1].end_frame > 100


def test_truncated_file_keeps_what_decoded(tmp_path: Path) -> None:
    frames = itertools.chain(mf.still(A, 30), mf.still(B, 30), mf.still(C, 30))
    whole = mf.encode(tmp_path / "whole.mp4", frames, container_options={"movflags": "faststart"})
    cut = mf.truncate(whole, tmp_path / "cut.mp4", keep=0.6)
    info = probe(str(cut))
    assert info.frame_count == 90  # the header still promises every frame
    detection = detect_shots(str(cut), info)
    assert detection.truncated is True
    assert any("truncated" in w for w in detection.warnings)
    assert 30 < detection.frames_decoded < 90
    assert _spans(detection)[0] == (0, 29)


def test_fractional_rate_times_are_exact_multiples(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "ntsc.mp4", itertools.chain(mf.still(A, 10), mf.still(B, 10)),
                     fps=Fraction(24000, 1001))
    shots = _detect(path).shots
    assert shots[1].start_s == pytest.approx(10 * 1001 / 24000, abs=1e-9)


def _reference_frames(path: Path) -> set[int]:
    """Indices of the frames a decoder told to skip non-reference frames still outputs."""
    import av
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        rate, base = stream.average_rate, stream.time_base
        return {round(frame.pts * base * rate) for frame in container.decode(stream)}


def test_cut_on_non_reference_b_frame_is_exact(tmp_path: Path) -> None:
    # Fixed IBBBP pattern with a B-pyramid and no scene-cut I-frames: frames 21 and 45 are
    # outer B-frames, which nothing references, so a decoder skipping non-reference frames
    # would never see the first frame of either new shot.
    frames = itertools.chain(mf.still(A, 21), mf.pan(7, 24, step=2), mf.still(C, 20))
    path = mf.encode(tmp_path / "bframes.mp4", frames, options={
        "x264-params": "bframes=3:b-pyramid=normal:b-adapt=0:scenecut=0:keyint=250"})
    references = _reference_frames(path)
    assert 0 < len(references) < 40 and not {21, 45} & references
    detection = _detect(path)
    assert detection.frames_decoded == 65
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (20, 21, "cut"), (44, 45, "cut")]
    assert _spans(detection) == [(0, 20), (21, 44), (45, 64)]
    assert [s.moving for s in detection.shots] == [False, True, False]


@pytest.mark.parametrize("codec,pix_fmt", [("mjpeg", "yuvj420p"), ("prores_ks", "yuv422p10le")])
def test_all_intra_clip_is_exact(tmp_path: Path, codec: str, pix_fmt: str) -> None:
    # Every frame a keyframe and a reference (MJPEG, ProRes): full-range JPEG luma and 10-bit
    # 4:2:2 must give the same frames as the H.264 clips.
    frames = itertools.chain(mf.still(A, 13), mf.still(B, 17), mf.fade(B, 6), mf.solid(0, 5),
                             mf.still(C, 12))
    detection = _detect(mf.encode(tmp_path / f"intra_{codec}.mov", frames, codec=codec,
                                  pix_fmt=pix_fmt))
    assert detection.frames_decoded == 53
    assert [(b.first_frame, b.last_frame, b.kind) for b in detection.boundaries] == [
        (12, 13, "cut"), (29, 41, "fade")]
    assert _spans(detection) == [(0, 12), (13, 35), (41, 52)]
    assert detection.black_spans == [(36, 40)]
