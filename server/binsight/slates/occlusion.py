"""Is a value cut short by something in front of the board?

A hand holding the slate, or a finger over it, hides the end of a value without making any
visible character doubtful: ``12A`` with its ``A`` under a thumb reads ``12`` at 0.999. What
gives it away is beside the value: where the next character would be, the picture is neither the
board's face nor its writing, but skin, sleeve or set. A value with such a neighbour loses most
of its confidence, so it can be shown but never names a clip.
"""

from __future__ import annotations

import cv2
import numpy as np

FOREIGN_DISTANCE = 60.0
"""Colour distance (BGR, 0-441) from both the board's face and its ink beyond which a pixel is
something else in front of the board."""
FOREIGN_SHARE = 0.3
"""Share of such pixels in the strip beside a value that marks it as possibly cut short."""


def cut_short(image: np.ndarray, box: tuple[float, float, float, float],
              board: tuple[float, float, float, float]) -> bool:
    """True when the strip one character wide just before or after the value in ``box``
    (left, top, right, bottom in ``image``) is mostly neither board nor ink. ``board`` bounds
    the board's face in the image: a strip beyond it (a value written at the board's edge) is
    not evidence."""
    left, top, right, bottom = box
    height = bottom - top
    if height <= 2:
        return False
    region = _clip(image, (left, top, right, bottom))
    if region is None:
        return False
    pixels = region.reshape(-1, 3).astype(np.float32)
    gray = cv2.cvtColor(region, cv2.COLOR_BGR2GRAY).reshape(-1)
    low, high = np.percentile(gray, (10, 90))
    ink = pixels[gray <= low].mean(axis=0)
    face = pixels[gray >= high].mean(axis=0)
    width = 0.6 * height
    for start, end in ((left - 1.1 * width, left - 0.1 * width),
                       (right + 0.1 * width, right + 1.1 * width)):
        start, end = max(start, board[0]), min(end, board[2])
        if end - start < 0.3 * width:
            continue
        strip = _clip(image, (start, top + 0.15 * height, end, bottom - 0.15 * height))
        if strip is None:
            continue
        colours = strip.reshape(-1, 3).astype(np.float32)
        foreign = (np.linalg.norm(colours - face, axis=1) > FOREIGN_DISTANCE) & \
            (np.linalg.norm(colours - ink, axis=1) > FOREIGN_DISTANCE)
        if foreign.mean() > FOREIGN_SHARE:
            return True
    return False


def _clip(image: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray | None:
    height, width = image.shape[:2]
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(width, int(np.ceil(box[2]))), min(height, int(np.ceil(box[3])))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    return image[y0:y1, x0:x1]
