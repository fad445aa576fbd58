"""The bin model every exporter takes: bins of subclips, each a shot of a source file.

Exporters never see the store; the service builds a ``BinSet`` from it. Source positions are
integer frames counted from the file's first frame (frame 0 sits at the file's start timecode),
with an exact rational ``frame_rate``, so no exporter ever rounds through floats.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction


@dataclass(frozen=True)
class SourceMedia:
    media_id: str
    path: str  # absolute path on the machine that ingested it
    name: str  # file name without directory
    frame_rate: Fraction
    drop_frame: bool
    start_timecode: str  # "HH:MM:SS:FF" (";" before FF when drop-frame); "00:00:00:00" if none
    reel: str | None
    width: int  # display size
    height: int
    duration_frames: int
    has_audio: bool
    audio_channels: int = 0
    audio_sample_rate: int = 0


@dataclass(frozen=True)
class BinClip:
    shot_id: str
    name: str
    media: SourceMedia
    start_frame: int  # first frame of the shot, 0 = first frame of the file
    end_frame: int  # exclusive
    keyframes: tuple[int, ...] = ()  # source frames of the keyframes, for markers
    characters: tuple[str, ...] = ()  # character names on screen in this shot
    score: float = 0.0  # similarity to the bin it was put in

    @property
    def duration_frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass
class Bin:
    bin_id: str
    name: str
    kind: str  # "scene" | "character" | "noise"
    clips: list[BinClip] = field(default_factory=list)
    children: list["Bin"] = field(default_factory=list)  # character sub-bins of a scene bin


@dataclass
class BinSet:
    project: str
    bins: list[Bin] = field(default_factory=list)

    def all_bins(self) -> list[Bin]:
        """Every bin, depth first (scene bins followed by their character sub-bins)."""
        out: list[Bin] = []
        stack = list(reversed(self.bins))
        while stack:
            b = stack.pop()
            out.append(b)
            stack.extend(reversed(b.children))
        return out
