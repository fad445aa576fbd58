"""Units: the runs of a file that are looked up in the other version and reported on.

A unit is a shot, as shot detection found it. A file with too few shots (one long take, a clip
of continuous action) is cut into fixed-length segments instead, so a change inside it can be
located; every unit remembers the shot it lies in, because trims, insertions and deletions are
judged against shot boundaries (real cuts), never against segment edges.
"""

from __future__ import annotations

from dataclasses import dataclass

from .analysis import CutAnalysis
from .config import CompareConfig


@dataclass(frozen=True)
class Span:
    """Frames [start, end) of one file (end exclusive)."""

    start: int
    end: int

    def __len__(self) -> int:
        return max(0, self.end - self.start)

    def __contains__(self, frame: int) -> bool:
        return self.start <= frame < self.end


@dataclass(frozen=True)
class Unit:
    index: int
    span: Span
    shot: int  # index into the file's shot spans
    segment: bool  # a fixed-length piece of a longer shot, not a whole shot


def shot_spans(analysis: CutAnalysis) -> tuple[Span, ...]:
    """The file's shots as end-exclusive spans; the whole file when detection found none
    (all one blank or unbroken picture)."""
    spans = tuple(Span(s.start_frame, s.end_frame) for s in analysis.shots)
    return spans or (Span(0, analysis.frame_count),)


def units(analysis: CutAnalysis, config: CompareConfig) -> tuple[Unit, ...]:
    shots = shot_spans(analysis)
    if len(analysis.shots) >= config.min_shots:
        return tuple(Unit(i, span, i, False) for i, span in enumerate(shots))
    length = max(1, round(config.segment_s * float(analysis.info.frame_rate)))
    out: list[Unit] = []
    for shot_index, span in enumerate(shots):
        for start in range(span.start, span.end, length):
            out.append(Unit(len(out), Span(start, min(span.end, start + length)), shot_index, True))
    return tuple(out)
