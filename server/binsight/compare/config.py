"""How two cuts are analysed and compared. One frozen dataclass: the detector settings are used
when a file is analysed; everything else only when two analyses are compared, so thresholds can
be changed per call without decoding anything again."""

from __future__ import annotations

from dataclasses import dataclass, field

from binsight.errors import InvalidInput
from binsight.media.types import DetectorConfig


@dataclass(frozen=True)
class CompareConfig:
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    """Shot detection settings (analysis time: a change means analysing the file again)."""
    min_shots: int = 3
    """A file with fewer shots than this is cut into fixed ``segment_s`` segments instead (one
    long take, a music video with no hard cuts), so a change inside it is still located."""
    segment_s: float = 2.0
    """Length of those segments, in seconds."""
    match_threshold: float = 0.4
    """Mean coarse structure distance (0 same picture, 1 unrelated) under which a run of B frames
    is the same footage as a run of A frames, also the per-frame limit when a match is extended.
    Measured on the shared clips: re-encodes and grades under 0.02, a 15% push-in under 0.3,
    different shots of one scene 0.8 and up."""
    changed_structure: float = 0.03
    """Median fine structure distance above which matched footage is ``changed`` (reframed,
    re-rendered). Re-encodes at a quarter of the bitrate and another size score a median under
    0.01 (means up to 0.016 on the shared clips' fades); a 1.04x push-in on generated texture
    0.04, a 1.18x one on the shared clips 0.07-0.4."""
    changed_colour: float = 0.008
    """Mean colour distance above which matched footage is ``changed`` (graded). That re-encode
    scores under 0.004; a grade of a tenth more gain and a warm shift 0.017-0.028."""
    min_match_frames: int = 4
    """Shortest run of frames accepted as a match; shorter leftovers count as unmatched."""
    min_change_frames: int = 1
    """Shortest trim, insertion or deletion reported (1: every frame counts)."""

    def __post_init__(self) -> None:
        problems = []
        if self.min_shots < 0:
            problems.append(f"min_shots must be 0 or more (got {self.min_shots})")
        if not self.segment_s > 0:
            problems.append(f"segment_s must be a positive number of seconds (got {self.segment_s})")
        if not 0 < self.match_threshold < 1:
            problems.append(f"match_threshold must lie between 0 and 1 (got {self.match_threshold})")
        for name in ("changed_structure", "changed_colour"):
            if not 0 <= getattr(self, name) < 1:
                problems.append(f"{name} must lie between 0 and 1 (got {getattr(self, name)})")
        if self.min_match_frames < 1:
            problems.append(f"min_match_frames must be at least 1 (got {self.min_match_frames})")
        if self.min_change_frames < 1:
            problems.append(f"min_change_frames must be at least 1 (got {self.min_change_frames})")
        if problems:
            raise InvalidInput("compare settings: " + "; ".join(problems))
