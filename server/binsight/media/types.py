"""Value types of the media layer: what a probe finds, what a detector reports, which frames a
shot is represented by. Times are exact where they can be (rational frame rates, integer frame
numbers); seconds are only ever derived from presentation timestamps (PTS)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from fractions import Fraction

import numpy as np


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
    """A run of content frames between two boundaries. Frames are 0-based in decode order and
    ``end_frame`` is exclusive, as in every later layer (store, API, exports) and PySceneDetect's
    scene list. Times are seconds from the first frame's PTS; ``end_s`` is the end of the last
    frame."""

    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    moving: bool  # frame-to-frame variance above the threshold: start/middle/end keyframes
    motion: float  # the statistic the ``moving`` decision was made on

    @property
    def frame_count(self) -> int:
        return self.end_frame - self.start_frame


class BoundaryKind(StrEnum):
    CUT = "cut"
    FADE = "fade"
    DISSOLVE = "dissolve"
    BLACK = "black"  # a blank gap with hard edges on both sides


@dataclass(frozen=True)
class Boundary:
    """A transition between shots, as an inclusive span of frames (like the hand-checked truth
    it is scored against): a hard cut is the frame pair ``(N-1, N)``, a fade or a dissolve every
    frame of its ramp. The names say "first/last" so nobody reads them as a shot's range."""

    first_frame: int
    last_frame: int
    kind: BoundaryKind

    @property
    def frame(self) -> int:
        """The frame this boundary is reported at (scored against truth): the middle of the
        transition; for a cut ``(N-1, N)`` that is ``N``, the first frame of the new shot."""
        return (self.first_frame + self.last_frame + 1) // 2


@dataclass(frozen=True)
class DetectorConfig:
    """Detection thresholds. Luma values are on the 0-255 display scale (video-range sources are
    expanded first), change values are mean absolute differences of thumbnail Y/U/V planes."""

    cut_threshold: float = 8.0
    """Sensitivity: the smallest frame-to-frame change that can be a hard cut. Lower finds subtler
    cuts (e.g. between two similar grey setups) at the risk of cutting on fast camera moves."""
    cut_ratio: float = 3.0
    """A cut's change must also be this many times the average change of the frames around it,
    so handheld shake, which changes every frame a lot, is not a cut while a jump in a calm
    stretch is (the idea of PySceneDetect's AdaptiveDetector)."""
    cut_window: int = 2
    """Frames each side averaged for ``cut_ratio``."""
    min_shot_frames: int = 8
    """No shot shorter than this: a cut this close to the previous one is ignored (flash frames,
    strobes), and slivers of content this short between blank frames are dropped."""
    black_luma: float = 3.0
    """Mean display luma at or below which a frame is black (blank). 3/255 keeps the darkest
    first frames of a fade-in as content, as an editor would."""
    white_luma: float = 250.0
    """Mean display luma at or above which a frame is white (blank, fades through white)."""
    fade_step: float = 0.25
    """Minimum luma change per frame for a frame next to a blank span to count as fade ramp."""
    max_fade_frames: int = 150
    """A fade ramp is never followed further than this (5 s at 30 fps)."""
    dissolve_window: int = 6
    """Half-width k of the dissolve test: frame c is compared with the mean of frames c-k, c+k."""
    dissolve_min_change: float = 8.0
    """Frames c-k and c+k must differ at least this much for c to be inside a dissolve."""
    dissolve_max_residual: float = 0.2
    """...and frame c must be that close (as a fraction of their difference) to their average:
    a cross-fade is a linear mix, camera motion is not."""
    dissolve_min_frames: int = 4
    """Shortest run of dissolve centres accepted (rejects brief coincidences)."""
    dissolve_min_unexplained: float = 0.6
    """...and frames c-k and c+k must be different pictures: after aligning them by the
    translation that best maps one onto the other, at least this fraction of their luma
    difference must remain. A slow pan moves the thumbnail by under a pixel across the window,
    and a sub-pixel shift *is* a linear mix of the two ends (bilinear interpolation), so the
    residual test alone reads a slow pan, grainy or not, as one long dissolve."""
    motion_threshold: float = 2.0
    """Mean frame-to-frame change above which a shot counts as moving (three keyframes)."""
    analysis_width: int = 64
    """Width of the thumbnails the change and dissolve tests run on."""
    sharpness_width: int = 128
    """Width at which sharpness (variance of the Laplacian) is measured for keyframe choice."""


@dataclass
class FrameStats:
    """The detection pass's per-frame scalars, kept on the Detection so keyframe choice needs no
    second analysis pass. ``change[i]`` compares frame i with frame i-1 (0 for frame 0);
    ``blend_*[c]`` is the dissolve test centred on c (0 where the window does not fit;
    ``blend_unexplained`` is only measured where the change and residual tests pass, 1 elsewhere);
    ``recall[i]`` is the smallest change between frame i and the frames 2..min_shot_frames back
    (small when the picture returns after a flash), measured only where ``change`` reaches the
    cut threshold (inf elsewhere)."""

    time_s: np.ndarray
    luma: np.ndarray
    change: np.ndarray
    sharpness: np.ndarray
    blend_change: np.ndarray
    blend_residual: np.ndarray
    recall: np.ndarray
    blend_unexplained: np.ndarray

    def __len__(self) -> int:
        return len(self.time_s)

    def blank(self, config: DetectorConfig) -> np.ndarray:
        """Boolean mask of black or white frames."""
        return (self.luma <= config.black_luma) | (self.luma >= config.white_luma)

    @classmethod
    def joined(cls, parts: Sequence[FrameStats]) -> FrameStats:
        """Consecutive stretches of a clip as one (chunks of a long file, in order)."""
        return cls(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)})



@dataclass
class Detection:
    """Outcome of shot detection over one file."""

    shots: list[Shot]
    boundaries: list[Boundary]
    black_spans: list[tuple[int, int]]  # inclusive (first, last) frame spans of black/blank picture
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
