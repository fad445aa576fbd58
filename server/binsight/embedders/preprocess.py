"""CLIP image preprocessing in numpy, matching open_clip's eval transform value for value.

open_clip (through torchvision on PIL images) does: resize the shortest side to ``image_size``
with PIL's antialiased bicubic filter, centre-crop ``image_size`` square, scale to [0, 1],
subtract ``mean`` and divide by ``std`` per RGB channel. A CLIP model only gives the vectors it
was trained for when its inputs are made this way, and cv2's ``INTER_CUBIC`` is *not* the same
filter (no antialiasing when shrinking), so the resize below re-implements PIL's separable
fixed-point resampler (``Resample.c``): same kernel (a = -0.5), same support scaling, same
22-bit coefficients, rounding and pass order (that of Pillow 13; earlier Pillows always go
horizontal first, which differs by a few levels on images more than twice as tall as wide).
Only the output pixels inside the crop are computed, which gives the same values PIL would
(every output pixel depends only on its own coefficients) at a fraction of the cost for HD
frames. The parameters come from the pack manifest's
``preprocessing`` section written by the export.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

_PRECISION_BITS = 32 - 8 - 2  # PIL's fixed-point precision for 8-bit images
_BICUBIC_SUPPORT = 2.0


def _bicubic(x: np.ndarray) -> np.ndarray:
    """PIL's bicubic kernel with a = -0.5."""
    a = -0.5
    x = np.abs(x)
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1
    far = (((x - 5) * x + 8) * x - 4) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def _resample_coefficients(in_size: int, out_size: int, keep: slice) -> tuple[np.ndarray, np.ndarray]:
    """Source indices and fixed-point weights, ``(n, taps)`` each, for output pixels ``keep`` of
    a resize from ``in_size`` to ``out_size`` — PIL's ``precompute_coeffs`` +
    ``normalize_coeffs_8bpc``."""
    scale = in_size / out_size
    filterscale = max(scale, 1.0)
    support = _BICUBIC_SUPPORT * filterscale
    taps = int(math.ceil(support)) * 2 + 1
    centre = (np.arange(out_size, dtype=np.float64)[keep] + 0.5) * scale
    # C's (int) truncates toward zero; clamping to 0 afterwards makes that the same as floor here.
    xmin = np.maximum(np.trunc(centre - support + 0.5).astype(np.int64), 0)
    xmax = np.minimum(np.trunc(centre + support + 0.5).astype(np.int64), in_size) - xmin
    offsets = np.arange(taps)
    index = xmin[:, None] + offsets[None, :]
    weights = _bicubic((index - centre[:, None] + 0.5) * (1.0 / filterscale))
    weights[offsets[None, :] >= xmax[:, None]] = 0.0
    totals = weights.sum(axis=1, keepdims=True)
    weights = np.divide(weights, totals, out=weights, where=totals != 0.0)
    scaled = weights * (1 << _PRECISION_BITS)
    fixed = np.where(scaled < 0, np.trunc(scaled - 0.5), np.trunc(scaled + 0.5)).astype(np.int32)
    return np.minimum(index, in_size - 1), fixed


def _resample_axis(image: np.ndarray, axis: int, index: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """One separable pass over ``axis`` (0 rows, 1 columns) of a uint8 HxWxC image, rounded and
    clipped to uint8 as PIL does between its horizontal and vertical passes. Looping over the
    few taps keeps memory at one output-sized accumulator instead of an (n, taps) gather."""
    shape = [1] * image.ndim
    shape[axis] = len(index)
    acc = np.full(1, 1 << (_PRECISION_BITS - 1), dtype=np.int32)  # cannot overflow: |w| sums < 1.3
    for tap in range(index.shape[1]):
        acc = acc + np.take(image, index[:, tap], axis=axis) * weights[:, tap].reshape(shape)
    return np.clip(acc >> _PRECISION_BITS, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class ClipPreprocess:
    """The eval transform of one CLIP model; build it from a manifest with :meth:`from_manifest`."""

    image_size: int
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @classmethod
    def from_manifest(cls, preprocessing: dict[str, Any]) -> "ClipPreprocess":
        mode = preprocessing.get("resize_mode", "shortest")
        interpolation = preprocessing.get("interpolation", "bicubic")
        if mode != "shortest" or interpolation != "bicubic":
            raise ValueError(
                f"unsupported CLIP preprocessing {mode}/{interpolation}: only shortest-side "
                "bicubic resize + centre crop (open_clip's default) is implemented"
            )
        size = preprocessing["image_size"]
        size = size[0] if isinstance(size, (list, tuple)) else size
        return cls(int(size), tuple(preprocessing["mean"]), tuple(preprocessing["std"]))

    def resize_and_crop(self, rgb: np.ndarray) -> np.ndarray:
        """uint8 RGB HxWx3 → uint8 RGB SxSx3: torchvision ``Resize(S)`` + ``CenterCrop(S)``."""
        height, width = rgb.shape[:2]
        size = self.image_size
        short, long = (height, width) if height <= width else (width, height)
        new_long = int(size * long / short)  # torchvision truncates the long side
        new_h, new_w = (size, new_long) if height <= width else (new_long, size)
        # torchvision's CenterCrop rounds with Python's round (half to even); no padding is needed
        # because the shortest side is already S.
        top, left = int(round((new_h - size) / 2.0)), int(round((new_w - size) / 2.0))
        if (new_h, new_w) == (height, width):
            return np.ascontiguousarray(rgb[top : top + size, left : left + size])
        col_index, col_weights = _resample_coefficients(width, new_w, slice(left, left + size))
        row_index, row_weights = _resample_coefficients(height, new_h, slice(top, top + size))
        # Pass order matters (uint8 rounding in between). Pillow resamples horizontally first,
        # except (since Pillow 13) when the height shrinks by more than twice as many pixels as
        # the width: only very tall images. Each first pass reads only the source rows/columns
        # the second needs.
        if new_h < height and height - new_h > 2 * (width - new_w):
            first, last = int(col_index.min()), int(col_index.max()) + 1
            rows = _resample_axis(rgb[:, first:last], 0, row_index, row_weights)
            return _resample_axis(rows, 1, col_index - first, col_weights)
        first, last = int(row_index.min()), int(row_index.max()) + 1
        columns = _resample_axis(rgb[first:last], 1, col_index, col_weights)
        return _resample_axis(columns, 0, row_index - first, row_weights)

    def __call__(self, images_bgr: Sequence[np.ndarray]) -> np.ndarray:
        """BGR uint8 frames → ``(n, 3, S, S)`` float32 batch ready for the image tower."""
        mean = np.asarray(self.mean, np.float32).reshape(1, 1, 3)
        std = np.asarray(self.std, np.float32).reshape(1, 1, 3)
        batch = np.empty((len(images_bgr), 3, self.image_size, self.image_size), np.float32)
        for i, image in enumerate(images_bgr):
            if image.ndim == 2:  # greyscale: open_clip converts to RGB by repeating the channel
                image = np.repeat(image[:, :, None], 3, axis=2)
            rgb = np.ascontiguousarray(image[:, :, 2::-1])
            crop = self.resize_and_crop(rgb).astype(np.float32) / np.float32(255.0)
            batch[i] = ((crop - mean) / std).transpose(2, 0, 1)
        return batch
