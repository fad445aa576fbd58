"""Thin helpers over ``opentimelineio.opentime``: the one place exporters turn frames into
timecode and rational time.

Timecode arithmetic (drop-frame included) is OpenTimelineIO's; this module only adapts the bin
model's exact ``Fraction`` rates and "HH:MM:SS:FF" strings to it, so 23.976 never becomes 24 and
29.97 DF never loses its dropped frame numbers (OpenTimelineIO#468, PySceneDetect#464).
"""

from __future__ import annotations

import re
from fractions import Fraction

from opentimelineio import opentime

from binsight.bins import BinClip, SourceMedia

_TC = re.compile(r"^(\d{2}):(\d{2}):(\d{2})[:;.,](\d{2,3})$")


def otio_rate(rate: Fraction) -> float:
    """OTIO's rate for an exact rate (the same double OTIO's readers compute from NTSC flags)."""
    return float(rate)


def rational_time(frames: int, rate: Fraction) -> opentime.RationalTime:
    return opentime.RationalTime(frames, otio_rate(rate))


def time_range(start_frame: int, duration_frames: int, rate: Fraction) -> opentime.TimeRange:
    return opentime.TimeRange(rational_time(start_frame, rate), rational_time(duration_frames, rate))


def _normalised(tc: str, drop_frame: bool) -> str:
    """Same digits, with the separator OTIO reads the drop-frame flag from (';' = drop-frame)."""
    m = _TC.match(tc.strip())
    if not m:
        raise ValueError(f"not a timecode: {tc!r}")
    hh, mm, ss, ff = m.groups()
    return f"{hh}:{mm}:{ss}{';' if drop_frame else ':'}{ff}"


def is_smpte_rate(rate: Fraction) -> bool:
    """Whether SMPTE timecode (and so OTIO's timecode maths) exists at this rate."""
    return opentime.RationalTime.is_valid_timecode_rate(otio_rate(rate))


def timecode_to_frames(tc: str, rate: Fraction, drop_frame: bool) -> int:
    """Frame count of a timecode label (drop-frame labels skip numbers, not frames)."""
    if not is_smpte_rate(rate):
        hh, mm, ss, ff = (int(v) for v in _TC.match(tc.strip()).groups())  # type: ignore[union-attr]
        return ((hh * 60 + mm) * 60 + ss) * _counting_base(rate) + ff
    return int(opentime.from_timecode(_normalised(tc, drop_frame), otio_rate(rate)).value)


def frames_to_timecode(frames: int, rate: Fraction, drop_frame: bool) -> str:
    """Timecode label of a frame count; drop-frame labels use ';' before the frames."""
    if not is_smpte_rate(rate):
        base = _counting_base(rate)
        seconds, ff = divmod(frames, base)
        minutes, ss = divmod(seconds, 60)
        hh, mm = divmod(minutes, 60)
        return f"{hh % 24:02d}:{mm:02d}:{ss:02d}:{ff:02d}"
    return opentime.to_timecode(rational_time(frames, rate), otio_rate(rate), drop_frame)


def _counting_base(rate: Fraction) -> int:
    """Frames per timecode second at a rate SMPTE does not define (10, 12, 15 fps: time-lapse,
    phones, animation): the nearest whole rate, non-drop, which is how NLEs label such clips.
    OTIO refuses these rates, so this is the one place the arithmetic is written out."""
    return max(1, round(rate))


def rational_seconds(frames: int, rate: Fraction) -> str:
    """FCPXML time: a whole number of frame durations, e.g. 3 frames at 23.976 -> "3003/24000s"."""
    if frames == 0:
        return "0s"
    return f"{frames * rate.denominator}/{rate.numerator}s"


def media_start_frames(media: SourceMedia) -> int:
    """Frame count of the file's embedded start timecode: frame 0 of the file sits there."""
    return timecode_to_frames(media.start_timecode, media.frame_rate, media.drop_frame)


def source_frames(media: SourceMedia, frame: int) -> int:
    """Timecode frame count of a file frame (0 = the file's first frame)."""
    return media_start_frames(media) + frame


def source_timecode(media: SourceMedia, frame: int) -> str:
    """Source timecode label of a file frame, in the file's own rate and DF/NDF mode."""
    return frames_to_timecode(source_frames(media, frame), media.frame_rate, media.drop_frame)


def clip_in_out(clip: BinClip) -> tuple[str, str]:
    """Source in and (exclusive) out timecode of a shot."""
    return source_timecode(clip.media, clip.start_frame), source_timecode(clip.media, clip.end_frame)


def nle_rate(rate: Fraction) -> Fraction:
    """The editorial rate of a container rate. Some files state 29.97 as 2997/100 or 23.976 as
    23976/1000 instead of the NTSC 30000/1001 and 24000/1001 every NLE uses; the difference is
    0.003%, under one frame in nine hours, so such rates are labelled as the NTSC rate they
    stand for. Frame counts never change: only the label of the rate does."""
    if rate.denominator == 1:
        return rate
    nominal = round(rate * Fraction(1001, 1000))
    ntsc = Fraction(nominal * 1000, 1001)
    if abs(rate - ntsc) / ntsc < Fraction(1, 10000):
        return ntsc
    nearest = Fraction(round(rate))
    return nearest if abs(rate - nearest) / nearest < Fraction(1, 10000) else rate


def ntsc_timebase(rate: Fraction) -> tuple[int, bool]:
    """FCP 7 ``<rate>``: integer timebase and NTSC flag (23.976 = 24 NTSC, 29.97 = 30 NTSC)."""
    if rate.denominator == 1:
        return rate.numerator, False
    timebase = Fraction(rate * 1001, 1000)
    if timebase.denominator != 1:
        raise ValueError(f"{rate} fps is neither an integer nor an NTSC (x1000/1001) rate")
    return int(timebase), True


def rate_label(rate: Fraction) -> str:
    """Rate as editors write it: "24", "25", "23.976", "29.97", "59.94"."""
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def rate_tag(rate: Fraction, drop_frame: bool) -> str:
    """Rate for file names: "23.976", "29.97DF", "29.97NDF" (DF and NDF are distinct EDL modes)."""
    label = rate_label(rate)
    drop_capable = rate in (Fraction(30000, 1001), Fraction(60000, 1001))
    return label + ("DF" if drop_frame else "NDF") if drop_capable else label
