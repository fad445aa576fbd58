"""Per-frame fingerprints: what a frame looks like, reduced to a few hundred bytes, so two cuts
can be lined up frame by frame without holding or re-decoding a single picture.

A fingerprint is a 16x12 luma thumbnail (display range, whatever the source resolution, bit
depth or pixel aspect) plus 8x6 thumbnails of both chroma planes. From it come two distances
that answer different questions (see :class:`Signatures`):

* structure — is this the same picture? One minus the correlation of the mean-removed,
  contrast-normalised luma thumbnails. A grade (lift, gain, gamma, saturation) or a re-encode
  at another bitrate and size barely moves it; a different shot lands near 1.
* colour — has the same picture been altered? Mean absolute difference of coarse luma and
  chroma means: a grade moves it, structure does not.

Flat frames (black, white, a blank slate) have no structure to normalise: they are compared by
brightness and contrast instead, so black matches black (and the first dim frames of a fade)
while a detailed frame is far from both, which is what lets an alignment run through black
gaps and stop at the first frame of a new shot.
"""

from __future__ import annotations

import array
from dataclasses import dataclass

import cv2
import numpy as np

from binsight.media.shots import shrink
from binsight.media.video import DecodedFrame

LUMA_SHAPE = (12, 16)
"""(rows, columns) of the luma thumbnail: fixed, so 4K and a 360p proxy give the same grid."""
CHROMA_SHAPE = (6, 8)
FLAT_STD = 6.0
"""Luma standard deviation (0-255 display scale) of the 16x12 thumbnail under which a frame
counts as flat: the black gaps of the shared testvideo.mp4 measure 3-4.5 (vignetting and
noise), a shot fading in passes 6 within a few frames of leaving black."""
FLAT_LEVEL_SPAN = 64.0
"""Luma levels between two flat frames that make them unrelated (black against mid-grey)."""
_ROTATIONS = {0: 0, 90: -1, 180: 2, 270: 1}  # clockwise display rotation -> np.rot90 k


class Fingerprinter:
    """Streams decoded frames into fingerprints: 288 bytes a frame, no picture kept."""

    def __init__(self, rotation: int = 0) -> None:
        self._turns = _ROTATIONS.get(rotation, 0)
        self._luma = array.array("B")
        self._chroma = array.array("B")

    def add(self, decoded: DecodedFrame) -> None:
        y, u, v, full_range = decoded.planes()
        luma = _thumbnail(y, LUMA_SHAPE, self._turns).astype(np.float32)
        if not full_range:  # video range 16-235 -> display 0-255, as shot detection reads it
            luma = (luma - 16.0) * (255.0 / 219.0)
        self._luma.frombytes(np.clip(luma + 0.5, 0, 255).astype(np.uint8).tobytes())
        self._chroma.frombytes(_thumbnail(u, CHROMA_SHAPE, self._turns).tobytes())
        self._chroma.frombytes(_thumbnail(v, CHROMA_SHAPE, self._turns).tobytes())

    def luma(self) -> np.ndarray:
        """(frames, 12, 16) uint8 luma thumbnails."""
        return np.frombuffer(self._luma, np.uint8).reshape(-1, *LUMA_SHAPE).copy()

    def chroma(self) -> np.ndarray:
        """(frames, 2, 6, 8) uint8 U and V thumbnails."""
        return np.frombuffer(self._chroma, np.uint8).reshape(-1, 2, *CHROMA_SHAPE).copy()


def _thumbnail(plane: np.ndarray, shape: tuple[int, int], turns: int) -> np.ndarray:
    rows, cols = shape
    if turns % 2:  # a quarter turn swaps the axes: shrink to the transposed grid, then turn
        rows, cols = cols, rows
    # Cheap to a width of four cells (what shot detection does to its thumbnails), then an
    # area average onto the fixed grid, so every source aspect lands on the same cells.
    small = cv2.resize(shrink(plane, 4 * cols), (cols, rows), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(np.rot90(small, turns)) if turns else small


@dataclass(frozen=True)
class Signatures:
    """What comparisons read of a file's fingerprints, derived in milliseconds when compared.

    ``fine`` (16x12) and ``coarse`` (8x6) are unit-norm, mean-removed luma vectors (zero for flat
    frames). Coarse structure decides whether two runs are the same footage: it shrugs off a
    reframe (a 15% push-in scores under 0.3 on the shared clips, different shots of one scene
    above 0.8). Fine structure tells an exact frame offset and a reframe or re-render from a
    re-encode. ``colour`` is 4x3 luma and 4x3 chroma means: coarse enough that compression noise
    averages out (a crf 38 re-encode moves it under 0.004, a light grade 0.017 and up).
    ``level`` and ``contrast`` (luma mean and standard deviation) stand in for structure where a
    frame is flat."""

    fine: np.ndarray
    coarse: np.ndarray
    flat: np.ndarray
    level: np.ndarray
    contrast: np.ndarray
    colour: np.ndarray

    @classmethod
    def of(cls, luma: np.ndarray, chroma: np.ndarray) -> Signatures:
        n = len(luma)
        values = luma.astype(np.float32)
        rows = values.reshape(n, -1)
        contrast = rows.std(axis=1)
        flat = contrast < FLAT_STD
        colour = np.concatenate((_blocks(values, 4).reshape(n, -1),
                                 _blocks(chroma.astype(np.float32).reshape(n * 2, *CHROMA_SHAPE),
                                         2).reshape(n, -1)), axis=1) / 255.0
        return cls(fine=_unit(rows, flat), coarse=_unit(_blocks(values, 2).reshape(n, -1), flat),
                   flat=flat, level=rows.mean(axis=1), contrast=contrast,
                   colour=colour.astype(np.float32))

    def __len__(self) -> int:
        return len(self.flat)

    def structure(self, frames: np.ndarray, other: Signatures, other_frames: np.ndarray,
                  coarse: bool = False) -> np.ndarray:
        """All-pairs structure distance in [0, 1], rows ``frames`` of this file, columns
        ``other_frames`` of ``other``."""
        mine, theirs = (self.coarse, other.coarse) if coarse else (self.fine, other.fine)
        distance = np.clip(1.0 - mine[frames] @ theirs[other_frames].T, 0.0, 1.0)
        either = self.flat[frames][:, None] | other.flat[other_frames][None, :]
        if either.any():
            soft = _flat_distance(self.level[frames][:, None], self.contrast[frames][:, None],
                                  other.level[other_frames][None, :],
                                  other.contrast[other_frames][None, :])
            distance = np.where(either, soft, distance)
        return distance

    def paired(self, frames: np.ndarray, other: Signatures, other_frames: np.ndarray,
               coarse: bool = False) -> np.ndarray:
        """Structure distance of ``frames[k]`` here with ``other_frames[k]`` there."""
        mine, theirs = (self.coarse, other.coarse) if coarse else (self.fine, other.fine)
        distance = np.clip(1.0 - np.einsum("ij,ij->i", mine[frames], theirs[other_frames]),
                           0.0, 1.0)
        either = self.flat[frames] | other.flat[other_frames]
        if either.any():
            soft = _flat_distance(self.level[frames], self.contrast[frames],
                                  other.level[other_frames], other.contrast[other_frames])
            distance = np.where(either, soft, distance)
        return distance

    def colour_distance(self, frames: np.ndarray, other: Signatures,
                        other_frames: np.ndarray) -> np.ndarray:
        """Colour distance of ``frames[k]`` here with ``other_frames[k]`` there: mean absolute
        difference of the colour vectors, 0-1 (a lift of 10 levels everywhere is about 0.04)."""
        return np.abs(self.colour[frames] - other.colour[other_frames]).mean(axis=1)


def _flat_distance(level_a: np.ndarray, contrast_a: np.ndarray, level_b: np.ndarray,
                   contrast_b: np.ndarray) -> np.ndarray:
    """Where a frame is flat there is no structure to correlate: two frames are as far apart as
    their contrast and brightness are. Black against the first dim frame of a fade (contrast 2
    against 3) is near; black against a detailed frame, or against white, is 1."""
    return np.clip(np.abs(contrast_a - contrast_b) / (2 * FLAT_STD)
                   + np.abs(level_a - level_b) / FLAT_LEVEL_SPAN, 0.0, 1.0)


def _blocks(values: np.ndarray, factor: int) -> np.ndarray:
    """Mean over factor x factor blocks of (n, rows, cols) arrays."""
    n, rows, cols = values.shape
    return values.reshape(n, rows // factor, factor, cols // factor, factor).mean(axis=(2, 4))


def _unit(vectors: np.ndarray, flat: np.ndarray) -> np.ndarray:
    centred = vectors - vectors.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(centred, axis=1)
    norm[flat | (norm == 0)] = 1.0
    centred /= norm[:, None]
    centred[flat] = 0.0
    return centred
