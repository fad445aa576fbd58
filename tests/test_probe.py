"""probe(): what a file is, read exactly (rational rates, PTS, timecode), and clear refusals."""

from __future__ import annotations

import itertools
from fractions import Fraction
from pathlib import Path

import cv2
import pytest

import media_factory as mf
from binsight.errors import InvalidInput
from binsight.media.probe import frames_to_timecode, probe, timecode_to_frames


# --- shared real footage -------------------------------------------------------------------------

def test_testvideo_exact_rate_count_and_creation_time() -> None:
    info = probe(str(mf.shared_media("testvideo.mp4")))
    assert (info.codec, info.width, info.height) == ("h264", 1280, 720)
    assert info.frame_rate == Fraction(30000, 1001)
    assert info.frame_count == 720
    assert info.first_pts_s == 0.0
    assert info.creation_time == "2013-10-20T05:38:05.000000Z"
    assert (info.has_audio, info.audio_channels) == (False, 0)
    assert (info.bit_depth, info.pix_fmt, info.interlaced, info.variable_frame_rate) == (
        8, "yuv420p", False, False)
    assert info.start_timecode is None and info.drop_frame is False


def test_counter_rate_and_duration() -> None:
    info = probe(str(mf.shared_media("counter.mp4")))
    assert (info.frame_rate, info.frame_count, info.duration_s) == (Fraction(10), 30, 3.0)
    assert (info.width, info.height, info.rotation) == (1920, 1080, 0)


def test_film_scan_with_a_quarter_turn_flag_stays_landscape() -> None:
    # Stored 1280x544 (2.35:1) and upright as stored, flagged 90°: truth says the displayed
    # picture is landscape, so the flag is reported as ignored rather than turning it sideways.
    info = probe(str(mf.shared_media("issue-134-rotate.mp4")))
    assert (info.width, info.height, info.rotation) == (1280, 544, 0)
    assert info.display_size == (1280, 544)
    assert any("ignored a 90° rotation flag" in w for w in info.warnings)
    assert info.frame_rate == Fraction(24000, 1001)
    assert (info.has_audio, info.audio_channels, info.audio_sample_rate) == (True, 2, 44100)


def test_first_frame_pts_is_not_zero_for_hamilton() -> None:
    info = probe(str(mf.shared_media("short_hamilton_clip.mp4")))
    assert info.first_pts_s == pytest.approx(0.852, abs=5e-4)
    assert info.frame_rate == Fraction(2997, 100)
    assert info.frame_count == 275


# --- refusals ------------------------------------------------------------------------------------

def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        probe(str(tmp_path / "nope.mov"))


def test_zero_byte_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    with pytest.raises(InvalidInput, match="empty"):
        probe(str(empty))


def test_text_named_mov_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "notes.mov"
    fake.write_text("shot list: A001 C003 good take\n" * 50)
    with pytest.raises(InvalidInput, match="not a video file"):
        probe(str(fake))


def test_audio_only_is_refused(tmp_path: Path) -> None:
    path = mf.encode_audio_only(tmp_path / "voice.m4a")
    with pytest.raises(InvalidInput, match="audio-only"):
        probe(str(path))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_still_image_is_refused(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"still{suffix}"
    cv2.imwrite(str(path), mf.texture(1))
    with pytest.raises(InvalidInput, match="still image"):
        probe(str(path))


def test_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="folder"):
        probe(str(tmp_path))


# --- metadata on synthetic clips -----------------------------------------------------------------

def test_drop_frame_timecode_rotation_and_audio(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "df.mp4", mf.still(mf.texture(1), 6), fps=Fraction(30000, 1001),
                     rotation=270, audio=True, stream_metadata={"timecode": "01:00:00;00"})
    info = probe(str(path))
    assert (info.start_timecode, info.drop_frame) == ("01:00:00;00", True)
    assert info.rotation == 270 and info.display_size == (96, 160)
    assert (info.has_audio, info.audio_channels, info.audio_sample_rate) == (True, 2, 48000)


def test_non_drop_timecode_and_reel_name(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "reel.mov", mf.still(mf.texture(1), 6), fps=Fraction(25),
                     stream_metadata={"timecode": "10:00:00:00", "reel_name": "A001C003"})
    info = probe(str(path))
    assert (info.start_timecode, info.drop_frame, info.reel) == ("10:00:00:00", False, "A001C003")


def test_semicolon_at_integer_rate_is_not_drop_frame(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "ndf.mkv", mf.still(mf.texture(1), 6), fps=Fraction(25),
                     stream_metadata={"timecode": "10:00:00;00"})
    info = probe(str(path))
    assert (info.start_timecode, info.drop_frame) == ("10:00:00:00", False)


def test_ten_bit_hevc(tmp_path: Path) -> None:
    if not mf.has_encoder("libx265"):
        pytest.skip("bundled FFmpeg has no libx265 encoder")
    path = mf.encode(tmp_path / "ten.mp4", mf.still(mf.texture(1), 6), codec="libx265",
                     pix_fmt="yuv420p10le")
    info = probe(str(path))
    assert (info.codec, info.bit_depth, info.pix_fmt) == ("hevc", 10, "yuv420p10le")


def test_interlaced_flag(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "tff.mp4", mf.still(mf.texture(1), 6),
                     options={"x264-params": "interlaced=1:tff=1"})
    assert probe(str(path)).interlaced is True


def test_mkv_without_header_frame_count_is_counted(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "lossless.mkv", mf.still(mf.texture(1), 17), codec="ffv1")
    info = probe(str(path))
    assert (info.container, info.codec, info.frame_count) == ("matroska,webm", "ffv1", 17)


def test_variable_frame_rate_flag(tmp_path: Path) -> None:
    steps = itertools.accumulate([0] + [33, 50, 33, 100, 40, 33, 67, 33, 50, 33, 100] * 3)
    path = mf.encode(tmp_path / "vfr.mkv", mf.still(mf.texture(1), 34), fps=Fraction(30),
                     pts_ms=list(steps))
    assert probe(str(path)).variable_frame_rate is True


def test_drop_frame_at_rate_spelled_2997_over_100(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "df.mkv", mf.still(mf.texture(1), 6), fps=Fraction(2997, 100),
                     stream_metadata={"timecode": "00:59:58;12"})
    info = probe(str(path))
    assert (info.start_timecode, info.drop_frame) == ("00:59:58;12", True)


def test_semicolon_at_23_976_is_not_drop_frame(tmp_path: Path) -> None:
    path = mf.encode(tmp_path / "film.mkv", mf.still(mf.texture(1), 6),
                     fps=Fraction(24000, 1001), stream_metadata={"timecode": "01:00:00;00"})
    info = probe(str(path))
    assert (info.start_timecode, info.drop_frame) == ("01:00:00:00", False)


def test_timecode_helpers_use_drop_frame_rules() -> None:
    ntsc = Fraction(30000, 1001)
    assert frames_to_timecode(1800, ntsc, drop_frame=True) == "00:01:00;02"
    assert frames_to_timecode(1800, ntsc, drop_frame=False) == "00:01:00:00"
    assert timecode_to_frames("00:01:00;02", ntsc) == 1800
    assert timecode_to_frames("01:00:00:00", Fraction(24000, 1001)) == 86400
