"""What a comparison reports: typed, frozen records, every range in frames (end exclusive), in
seconds from each file's first frame (PTS) and in each file's own source timecode."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from .analysis import CutAnalysis
from .config import CompareConfig
from .units import Span

KEYFRAME_WINDOW = 4
"""Frames either side of a range's middle searched for its sharpest frame (as keyframes do)."""


class Kind(StrEnum):
    INSERTED = "inserted"  # B has a shot A does not
    DELETED = "deleted"  # A has a shot B does not
    MOVED = "moved"  # the same footage at another place in the cut
    REPLACED = "replaced"  # a different picture in the same slot
    CHANGED = "changed"  # the same shot altered: grade, reframe, re-render
    TRIMMED = "trimmed"  # head or tail frames added or removed
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Side:
    """Where a difference lies in one file."""

    start: int
    end: int  # exclusive
    in_s: float
    out_s: float  # exclusive: the time the frame after the range starts
    tc_in: str
    tc_out: str  # exclusive, as EDL out points are
    keyframes: tuple[int, ...]

    @property
    def frames(self) -> int:
        return self.end - self.start

    @classmethod
    def of(cls, analysis: CutAnalysis, span: Span) -> Side:
        return cls(start=span.start, end=span.end, in_s=analysis.seconds(span.start),
                   out_s=analysis.seconds(span.end), tc_in=analysis.timecode(span.start),
                   tc_out=analysis.timecode(span.end), keyframes=(keyframe(analysis, span),))


def keyframe(analysis: CutAnalysis, span: Span) -> int:
    """The sharpest frame near the middle of ``span`` (motion blur lasts a few frames)."""
    middle = (span.start + span.end - 1) // 2
    lo = max(span.start, middle - KEYFRAME_WINDOW)
    hi = min(span.end, middle + KEYFRAME_WINDOW + 1)
    if hi <= lo:
        return max(0, min(middle, analysis.frame_count - 1))
    return lo + int(np.argmax(analysis.sharpness[lo:hi]))


@dataclass(frozen=True)
class Difference:
    kind: Kind
    a: Side | None  # None for an insertion
    b: Side | None  # None for a deletion
    distance: float
    """Picture distance of the two sides: fine structure plus colour, 0 for identical frames,
    about 1 for unrelated pictures; 1.0 where one side is missing."""
    at_b: int
    """B frame the difference sits at: the start of its B range, or the cut where A material
    was taken out; where a marker goes on B."""
    head_frames: int = 0
    """For ``trimmed``: frames B has beyond A at the shot's head (negative when removed)."""
    tail_frames: int = 0
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    a: CutAnalysis
    b: CutAnalysis
    config: CompareConfig
    differences: tuple[Difference, ...]  # in B order, deletions at the cut they left
    unchanged: tuple[Difference, ...]  # the matched runs that did not change, in B order
    warnings: tuple[str, ...] = ()  # what may make the list incomplete (truncated file, rates)
