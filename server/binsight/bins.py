"""The bin model every exporter takes: bins of subclips, each a shot of a source file.

Exporters never see the store; the service builds a ``BinSet`` from it. Source positions are
integer frames counted from the file's first frame (frame 0 sits at the file's start timecode),
with an exact rational ``frame_rate``, so no exporter ever rounds through floats.

Which bins sit where:

* top level: ``scene`` bins (one per scene cluster), ``character`` bins (the project-wide people
  bins: one per named person, holding every shot that person is in, whatever its scene) and at
  most one ``noise`` bin (shots no cluster took);
* inside a ``scene`` bin: ``character`` sub-bins only (the people of that scene).

A shot therefore appears in its scene bin, in the character sub-bins of that scene it belongs to,
and in the people bin of each person on screen. ``character`` and ``noise`` bins have no children.

Every record is a frozen dataclass with defaults for what the server may not know, so a builder
written for an older model keeps working; sequences passed as lists are stored as tuples.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class BinKind(StrEnum):
    SCENE = "scene"
    CHARACTER = "character"
    NOISE = "noise"


CHILD_KINDS = {BinKind.SCENE: frozenset({BinKind.CHARACTER})}
"""Kinds of sub-bin each kind may hold; kinds not listed hold none."""


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
class Slate:
    """What the slate (clapperboard) of a shot says; "" for each field nobody read.

    ``camroll`` is the camera roll written on the slate (e.g. "A004"), which may differ from the
    file's embedded reel; ``camera_angle`` the camera letter of a multi-camera setup ("A", "B").
    """

    scene: str = ""
    take: str = ""
    camroll: str = ""
    camera_angle: str = ""

    @property
    def known(self) -> bool:
        return any((self.scene, self.take, self.camroll, self.camera_angle))


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
    slate: Slate = Slate()

    def __post_init__(self) -> None:
        object.__setattr__(self, "keyframes", tuple(self.keyframes))
        object.__setattr__(self, "characters", tuple(self.characters))

    @property
    def duration_frames(self) -> int:
        return self.end_frame - self.start_frame


@dataclass(frozen=True)
class Bin:
    bin_id: str
    name: str
    kind: BinKind  # a plain "scene" / "character" / "noise" string is accepted and converted
    clips: Sequence[BinClip] = ()
    children: Sequence[Bin] = ()  # character sub-bins of a scene bin

    def __post_init__(self) -> None:
        kind = BinKind(self.kind)  # ValueError names the bad kind
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "clips", tuple(self.clips))
        object.__setattr__(self, "children", tuple(self.children))
        allowed = CHILD_KINDS.get(kind, frozenset())
        for child in self.children:
            if child.kind not in allowed:
                raise ValueError(f"a {kind} bin cannot hold a {child.kind} bin ({child.name!r} in {self.name!r})")

    def walk(self) -> Iterator[Bin]:
        """This bin, then its sub-bins depth first."""
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True)
class BinSet:
    project: str
    bins: Sequence[Bin] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "bins", tuple(self.bins))

    def all_bins(self) -> list[Bin]:
        """Every bin, depth first (scene bins followed by their character sub-bins)."""
        return [b for top in self.bins for b in top.walk()]
