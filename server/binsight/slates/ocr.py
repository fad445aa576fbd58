"""Offline text reading with PP-OCR (``rapidocr-onnxruntime``): text lines with per-character
confidences and positions, read in both orientations.

Why this package: its wheel ships PP-OCRv4's ONNX text detector and recogniser (and the 0/180
line classifier), so it reads text with no download step, on the ``onnxruntime`` Binsight already
depends on. The engine costs about 0.6 s to import and load, so it is built on first use, once
per process, behind a lock; a process that never reads a slate never pays for it.

Why this module calls the engine's detector and recogniser itself instead of ``RapidOCR()(img)``:

- per-character probabilities: the engine reports a line's *mean* probability, which hides one
  doubtful character (``12A`` read as ``12R``) inside a confident line; a slate field is only as
  sure as its least sure character;
- per-character positions: PP-OCR's detector often joins neighbouring cells of a slate
  (``A004`` and ``12A`` become one line ``A00412A``); positions let the parser split a line at
  the board's column borders;
- both orientations: a tail slate is held upside down. Text detection finds lines whatever their
  orientation, so lines are found once and each line is recognised upright and turned 180
  degrees; the page orientation is then decided for the board as a whole (one board is never half
  upside down), not per line as the engine's own classifier does, whose guesses on one- and
  two-character values (``3``, ``12``) are close to chance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from binsight.errors import Unavailable

DETECTOR_SIDE = 960
"""Long side the text detector works at. Board crops are made at most this size, so the detector
never upscales them (the engine's default scales the *short* side up to 736 px, which makes a
16:9 frame cost 1.9 times the pixels for no gain on text this size)."""


THREADS = 1
"""ONNX Runtime threads per model. One: Binsight reads clips in parallel workers, and on a busy
2-core machine two spinning threads per session measured 1.7x slower than one (3.0-3.6 s against
1.7-2.1 s per board at load 7); parallelism comes from reading several clips at once."""


@dataclass(frozen=True)
class OcrChar:
    """One recognised character: its probability and horizontal centre (page coordinates)."""

    char: str
    confidence: float
    x: float


@dataclass(frozen=True)
class OcrLine:
    """One text line as read in one orientation. ``box`` is the line's quadrilateral in page
    coordinates (top-left, top-right, bottom-right, bottom-left as the text reads), so for an
    inverted page it is already in the turned page's frame."""

    text: str
    chars: tuple[OcrChar, ...]
    box: tuple[tuple[float, float], ...]

    @property
    def top(self) -> float:
        return min(p[1] for p in self.box)

    @property
    def bottom(self) -> float:
        return max(p[1] for p in self.box)

    @property
    def left(self) -> float:
        return min(p[0] for p in self.box)

    @property
    def right(self) -> float:
        return max(p[0] for p in self.box)

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True)
class OcrPage:
    """Every line of one image read in one orientation; ``inverted`` pages are in the coordinates
    of the image turned 180 degrees, so layout reads the same way up for both."""

    lines: tuple[OcrLine, ...]
    width: int
    height: int
    inverted: bool

    @property
    def score(self) -> float:
        """Evidence that this orientation is the right one: recognised characters weighted by
        their probability. Upside-down text reads as low-probability garbage, so the right
        orientation scores clearly higher on any board with a few words on it."""
        return float(sum(c.confidence for line in self.lines for c in line.chars))


_engine_lock = threading.Lock()
_engine: Any = None


def engine() -> Any:
    """The process-wide PP-OCR engine, loaded on first use (about 0.6 s and 60 MB)."""
    global _engine
    with _engine_lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR
            except ImportError as exc:
                raise Unavailable(
                    "reading slates needs the rapidocr-onnxruntime package (PP-OCR weights ship "
                    f"in its wheel): pip install 'rapidocr-onnxruntime>=1.4.4,<1.5' ({exc})"
                ) from exc
            _engine = RapidOCR(det_limit_type="max", det_limit_side_len=DETECTOR_SIDE,
                               print_verbose=False, intra_op_num_threads=THREADS,
                               inter_op_num_threads=1)
        return _engine


ORIENTATION_PROBES = 4
"""Lines read both ways to decide a page's orientation: the widest ones (whole words like
``DIRECTOR`` or a date), because one- and two-character values (``3``, ``11``, ``8``) read
almost as well upside down."""
ORIENTATION_MARGIN = 1.5
"""The winning orientation must score this many times the other on the probe lines; below that
(too little text to tell) every line is read both ways and both pages are returned."""


def read_text(image: np.ndarray) -> tuple[OcrPage, ...]:
    """Read ``image`` (BGR): the likeliest orientation's page first, and the other orientation's
    page too when the probe lines cannot tell them apart.

    Text detection runs once (it finds lines in either orientation); recognition, the costly
    part, runs on the probe lines both ways and on the rest only in the winning orientation."""
    ocr = engine()
    height, width = image.shape[:2]
    boxes, _ = ocr.text_det(image)
    if boxes is None or len(boxes) == 0:
        return (OcrPage((), width, height, False),)
    boxes = [np.asarray(b, np.float32) for b in boxes]
    crops = ocr.get_crop_img_list(image, [b.copy() for b in boxes])
    turned = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
    aspect = [c.shape[1] / max(1, c.shape[0]) for c in crops]
    probes = sorted(range(len(crops)), key=lambda i: -aspect[i])[:ORIENTATION_PROBES]
    results, _ = ocr.text_rec([crops[i] for i in probes] + [turned[i] for i in probes],
                              return_word_box=True)
    upright = {i: r for i, r in zip(probes, results[:len(probes)])}
    inverted = {i: r for i, r in zip(probes, results[len(probes):])}
    up_score = sum(_evidence(r) for r in upright.values())
    down_score = sum(_evidence(r) for r in inverted.values())
    rest = [i for i in range(len(crops)) if i not in upright]
    ambiguous = max(up_score, down_score) < ORIENTATION_MARGIN * min(up_score, down_score)
    orders = [False, True] if up_score >= down_score else [True, False]
    for turn in (orders if ambiguous else orders[:1]):
        done = inverted if turn else upright
        source = turned if turn else crops
        if rest:
            more, _ = ocr.text_rec([source[i] for i in rest], return_word_box=True)
            done.update(zip(rest, more))
    level = _level(boxes, width, height)
    pages = []
    for turn in (orders if ambiguous else orders[:1]):
        done = inverted if turn else upright
        lines = (_line(done[i], level(_turn_box(boxes[i], width, height) if turn else boxes[i]))
                 for i in range(len(crops)))
        pages.append(OcrPage(tuple(line for line in lines if line.chars), width, height, turn))
    return tuple(pages)


def _evidence(result: tuple) -> float:
    """Sum of character probabilities of one recognition result (ASCII characters only)."""
    text, _mean, info = result
    return float(sum(p for ch, p in zip(text, info[4]) if ch.isascii() and ch != " "))


def _level(boxes: list[np.ndarray], width: int, height: int):
    """A function turning line boxes so the page's text runs level: by the length-weighted
    median slope of the lines' top edges, about the page centre. A board found with a skewed
    outline is rectified at an angle, and layout reads rows and columns by coordinates."""
    slopes = np.array([np.arctan2(b[1, 1] - b[0, 1], b[1, 0] - b[0, 0]) for b in boxes])
    lengths = np.array([np.linalg.norm(b[1] - b[0]) for b in boxes])
    order = np.argsort(slopes)
    cumulative = np.cumsum(lengths[order])
    angle = float(slopes[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    centre = np.array([width / 2, height / 2], np.float32)
    rotation = np.array([[np.cos(-angle), -np.sin(-angle)], [np.sin(-angle), np.cos(-angle)]],
                        np.float32)

    def level(box: np.ndarray) -> np.ndarray:
        return (box - centre) @ rotation.T + centre

    return level


def _turn_box(box: np.ndarray, width: int, height: int) -> np.ndarray:
    """A line box in the coordinates of the image turned 180 degrees, corners re-ordered so the
    first is the top-left of the text as it reads in the turned image."""
    turned = np.stack([width - box[:, 0], height - box[:, 1]], axis=1)
    return turned[[2, 3, 0, 1]]


def _line(result: tuple, box: np.ndarray) -> OcrLine:
    """An engine recognition result (with ``return_word_box``) as an OcrLine: characters placed
    along the line box from their CTC column (the column's centre over the columns the crop
    spans)."""
    text, _mean, info = result
    columns, _words, word_columns, _states, probabilities = info
    flat_columns = [c for word in word_columns for c in word]
    chars = []
    top_left, top_right, bottom_right, bottom_left = (np.asarray(p, np.float64) for p in box)
    for char, column, probability in zip(text, flat_columns, probabilities):
        t = min(1.0, (column + 0.5) / max(columns, 1e-6))
        centre = ((1 - t) * (top_left + bottom_left) + t * (top_right + bottom_right)) / 2
        # Characters outside ASCII on a slate are misreads (the model also knows Chinese):
        # kept so the text stays searchable, but as no evidence at all.
        chars.append(OcrChar(char, float(probability) if char.isascii() else 0.0, float(centre[0])))
    while chars and chars[0].char == " ":
        chars.pop(0)
    while chars and chars[-1].char == " ":
        chars.pop()
    return OcrLine("".join(c.char for c in chars), tuple(chars),
                   tuple((float(x), float(y)) for x, y in box))
