"""Versions of a cut for comparison tests and the benchmark: a cut is a list of shots (lists of
BGR frames); each builder returns the edited cut and the differences an editor would list,
with their true frame ranges (end exclusive) in the old and the new version.

Real shots come from the shared clips (hard cuts only, so every boundary is unambiguous: black
gaps and fades are left out, since removing a shot next to black can be described at several
frames equally well); generated shots are media_factory pans over distinct textures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

import media_factory as mf

Shot = list[np.ndarray]

REAL_SHOTS = {
    # short_hamilton_clip.mp4 content shots (truth.json), hard cuts between all of them
    "short_hamilton_clip.mp4": ((0, 20), (20, 82), (82, 211), (211, 275)),
    # testvideo.mp4: the steady interior of each shot, clear of its fades and the dissolve
    "testvideo.mp4": ((40, 130), (233, 316), (420, 520), (561, 640)),
}
SIZE = (160, 90)


@dataclass(frozen=True)
class TrueChange:
    kind: str
    a: tuple[int, int] | None
    b: tuple[int, int] | None
    head_frames: int = 0


@dataclass(frozen=True)
class Version:
    name: str
    shots: tuple[Shot, ...]
    truth: tuple[TrueChange, ...]

    def frames(self) -> list[np.ndarray]:
        return [f for shot in self.shots for f in shot]


def decode_shots(path: Path, spans: Sequence[tuple[int, int]], size: tuple[int, int] = SIZE
                 ) -> list[Shot]:
    """Frames [start, end) of each span, decoded once and scaled to ``size``."""
    wanted = {f for start, end in spans for f in range(start, end)}
    frames: dict[int, np.ndarray] = {}
    with av.open(str(path)) as container:
        for i, frame in enumerate(container.decode(video=0)):
            if i in wanted:
                frames[i] = frame.to_ndarray(format="bgr24", width=size[0], height=size[1],
                                             interpolation="AREA")
    return [[frames[f] for f in range(start, end)] for start, end in spans]


def real_pool() -> list[Shot]:
    """Eight real shots: the four of the Hamilton clip and four of testvideo.mp4."""
    shots: list[Shot] = []
    for name, spans in REAL_SHOTS.items():
        shots += decode_shots(mf.shared_media(name), spans)
    return shots


def generated_pool(count: int = 8, size: tuple[int, int] = SIZE) -> list[Shot]:
    """Pans over distinct textures, each a different length (so no two are confusable and a
    swap has one lighter shot to call moved)."""
    return [list(mf.pan(100 + i, 36 + 7 * i, step=1, width=size[0], height=size[1]))
            for i in range(count)]


def _start(shots: Sequence[Shot], i: int) -> int:
    return sum(len(s) for s in shots[:i])


def _span(shots: Sequence[Shot], i: int) -> tuple[int, int]:
    return _start(shots, i), _start(shots, i + 1)


def same(cut: Sequence[Shot]) -> Version:
    return Version("re-encode", tuple(cut), ())


def replaced(cut: Sequence[Shot], i: int, shot: Shot) -> Version:
    new = [*cut[:i], shot, *cut[i + 1:]]
    return Version("replaced", tuple(new), (TrueChange("replaced", _span(cut, i), _span(new, i)),))


def inserted(cut: Sequence[Shot], i: int, shot: Shot) -> Version:
    new = [*cut[:i], shot, *cut[i:]]
    return Version("inserted", tuple(new), (TrueChange("inserted", None, _span(new, i)),))


def removed(cut: Sequence[Shot], i: int) -> Version:
    new = [*cut[:i], *cut[i + 1:]]
    return Version("removed", tuple(new), (TrueChange("deleted", _span(cut, i), None),))


def swapped(cut: Sequence[Shot], i: int) -> Version:
    """Shots i and i+1 change places. The minimal edit moves the shorter one past the other,
    which is what the truth lists (lengths must differ)."""
    assert len(cut[i]) != len(cut[i + 1]), "a swap of equal lengths has two equally good answers"
    new = [*cut[:i], cut[i + 1], cut[i], *cut[i + 2:]]
    moved = i if len(cut[i]) < len(cut[i + 1]) else i + 1
    new_index = i + 1 if moved == i else i
    return Version("swapped", tuple(new),
                   (TrueChange("moved", _span(cut, moved), _span(new, new_index)),))


def warm_grade(image: np.ndarray) -> np.ndarray:
    """A visible but ordinary grade: a tenth more gain, warmer (less blue, more red)."""
    graded = image.astype(np.float32) * 1.1 + np.array([-8.0, 0.0, 10.0], np.float32)
    return np.clip(graded, 0, 255).astype(np.uint8)


def _altered(cut: Sequence[Shot], i: int, change: Callable[[np.ndarray], np.ndarray],
             name: str) -> Version:
    new = [*cut[:i], [change(f) for f in cut[i]], *cut[i + 1:]]
    return Version(name, tuple(new), (TrueChange("changed", _span(cut, i), _span(new, i)),))


def graded(cut: Sequence[Shot], i: int) -> Version:
    return _altered(cut, i, warm_grade, "graded")


def reframed(cut: Sequence[Shot], i: int, crop: float = 0.1) -> Version:
    return _altered(cut, i, lambda image: push_in(image, crop), "reframed")


def trimmed_head(cut: Sequence[Shot], i: int, frames: int) -> Version:
    new = [*cut[:i], cut[i][frames:], *cut[i + 1:]]
    return Version("trimmed head", tuple(new),
                   (TrueChange("trimmed", _span(cut, i), _span(new, i), -frames),))


def push_in(image: np.ndarray, crop: float = 0.1) -> np.ndarray:
    """A reframe: the middle (1 - 2 * crop) of the picture scaled back up to full size."""
    h, w = image.shape[:2]
    inner = image[int(h * crop):h - int(h * crop), int(w * crop):w - int(w * crop)]
    return cv2.resize(inner, (w, h), interpolation=cv2.INTER_LINEAR)


def edits(cut: Sequence[Shot], spare: Shot) -> list[Version]:
    """The standard set of versions of ``cut`` (at least six shots), ``spare`` a shot it
    does not contain."""
    return [same(cut), replaced(cut, 2, spare), inserted(cut, 3, spare), removed(cut, 4),
            swapped(cut, 1), graded(cut, 5), trimmed_head(cut, 4, 12)]
