"""Value types of the media layer: what a probe finds, what a detector reports, which frames a
shot is represented by. Times are exact where they can be (rational frame rates, integer frame
numbers); seconds are only ever derived from presentation timestamps (PTS)."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from binsight.media.shots import FrameStats


@dataclass(frozen=True)
class MediaInfo:
    """Everything an NLE export needs to relink a file, read once by the probe."""

    path: str
    container: str
    codec: str
    width: int  # stored (coded) size, before rotation
    height: int
    rotation: int  # display rotation in degrees, one of 0/90/180/270
    pixel_aspect: Fraction
    frame_rate: Fraction  # exact, e.g. Fraction(24000, 1001)
    frame_count: int
    duration_s: float
    first_pts_s: float  # PTS of the first decoded frame; frame 0 of the clip sits here
    start_timecode: str | None  # "HH:MM:SS:FF" (";" before frames when drop-frame)
    drop_frame: bool
    reel: str | None
    creation_time: str | None  # ISO 8601
    has_audio: bool
    audio_channels: int
    audio_sample_rate: int
    bit_depth: int
    pix_fmt: str
    interlaced: bool
    variable_frame_rate: bool
    warnings: tuple[str, ...] = ()

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as the picture is shown (rotation applied)."""
        if self.rotation in (90, 270):
            return self.height, self.width
        return self.width, self.height


@dataclass(frozen=True)
class Shot:
    """A run of content frames between two boundaries. Frames are 0-based in decode order;
    ``end_frame`` is inclusive. Times are seconds from the first frame's PTS."""

    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    moving: bool  # frame-to-frame variance above the threshold: start/middle/end keyframes
    motion: float  # the statistic the ``moving`` decision was made on

    @property
    def frame_count(self) -> int:
        return self.end_frame - self.start_frame + 1


@dataclass(frozen=True)
class Boundary:
    """A transition between shots: a hard cut spans one frame pair, a fade or dissolve many."""

    start_frame: int
    end_frame: int
    kind: str  # "cut" | "fade" | "dissolve" | "black"

    @property
    def frame(self) -> int:
        """The frame this boundary is reported at (scored against truth): the middle of the
        transition; for a cut ``(N-1, N)`` that is ``N``, the first frame of the new shot."""
        return (self.start_frame + self.end_frame + 1) // 2


@dataclass
class Detection:
    """Outcome of shot detection over one file."""

    shots: list[Shot]
    boundaries: list[Boundary]
    black_spans: list[tuple[int, int]]  # inclusive frame spans of black/blank picture
    frames_decoded: int
    truncated: bool = False
    warnings: list[str] = field(default_factory=list)
    # Per-frame scalars of the detection pass; keyframe choice reads them instead of re-analysing.
    frame_stats: FrameStats | None = None


@dataclass
class FrameSample:
    """One decoded frame kept for a shot: a keyframe (``is_keyframe``) or an extra sample for
    face detection. ``image`` is upright BGR uint8 at display size."""

    shot_index: int
    frame: int
    time_s: float
    image: np.ndarray
    sharpness: float
    is_keyframe: bool
