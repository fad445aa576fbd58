"""Weight-free slate finder: where in a frame a board might be, and how board-like it looks.

A slate is a flat, low-saturation board (white acrylic with dark marker, or black with chalk or
LEDs) held square to the lens: in the picture, a large convex quadrilateral of one even tone,
broken by many small strokes of the opposite tone arranged in rows, often with the clapper's
diagonal stripes along one edge. The finder thresholds the frame into "paper" of each polarity,
keeps large solid quadrilaterals, and scores what is inside them. It needs no weights and costs a
few milliseconds on a 640-pixel frame, so every sampled frame of a clip's head and tail can be
scored and only the most board-like few go to OCR, which is what confirms a slate (a page of
text, a title card or a whiteboard also scores here: the reader's parser rejects those).

Why quadrilaterals of paper rather than edges: a slate's outline is often broken (a hand over
it, motion blur of the clap, a busy set behind), but the board's face stays one tone with holes
in it; the convex hull of that region closes bites and holes alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

ANALYSIS_SIDE = 640
"""Frames are scored at this long side: a board big enough to read is 100+ pixels here."""


@dataclass(frozen=True)
class Board:
    """A board-like region of one frame.

    ``quad`` is its corners (top-left, top-right, bottom-right, bottom-left in the image) in the
    coordinates of the frame passed to ``find_boards``; ``score`` in [0, 1] ranks candidates
    (only the ranking is used: OCR decides); ``stripes`` says on which side of the quad clapper
    stripes were seen (``"top"``, ``"bottom"`` or ``None``), a hint that the board is upright or
    upside down."""

    quad: tuple[tuple[float, float], ...]
    score: float
    dark: bool
    stripes: str | None

    def scaled(self, factor: float) -> "Board":
        quad = tuple((x * factor, y * factor) for x, y in self.quad)
        return Board(quad, self.score, self.dark, self.stripes)


@dataclass(frozen=True)
class BoardConfig:
    """Shape limits of a board in the picture."""

    min_area: float = 0.02
    """Smallest board, as a fraction of the frame: smaller ones hold text too small to read."""
    min_solidity: float = 0.65
    """Region area over its hull's: a board is convex, but a hand across it bites out a
    quarter (measured 0.72 with one over a third of its width)."""
    max_saturation: int = 90
    """Paper is grey-ish: white acrylic under tungsten light stays under this (0-255 HSV)."""
    min_contrast: float = 30.0
    """Grey levels between the board's darkest and lightest twentieth: below this nothing
    legible is written on it."""
    max_paper_noise: float = 8.0
    """Median deviation (grey levels) of the board's face from its smoothed tone between
    strokes: sensor noise of a dim set stays well under it, photographed texture does not."""
    min_letters: int = 6
    """Letter-shaped strokes in rows needed to call a region written on."""


def find_boards(image: np.ndarray, config: BoardConfig = BoardConfig()) -> list[Board]:
    """Board-like regions of ``image`` (BGR), most board-like first."""
    height, width = image.shape[:2]
    factor = min(1.0, ANALYSIS_SIDE / max(height, width))
    small = cv2.resize(image, (max(1, round(width * factor)), max(1, round(height * factor))),
                       interpolation=cv2.INTER_AREA) if factor < 1 else image
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    saturation = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)[:, :, 1]
    boards: list[Board] = []
    otsu, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    low, high = np.percentile(gray, (1, 99))
    grey = saturation <= config.max_saturation
    # Otsu splits the frame into two tones; a board against a background of nearly its own tone
    # falls in with it, so each polarity is also cut halfway to its extreme.
    for dark, threshold in ((False, otsu), (False, (otsu + high) / 2),
                            (True, otsu), (True, (otsu + low) / 2)):
        paper = (gray <= threshold) if dark else ((gray > threshold) & grey)
        for quad in _quads(paper.astype(np.uint8) * 255, config):
            board = _score(gray, quad, dark, config)
            if board is not None and not any(_same(board, b) for b in boards):
                boards.append(board)
    boards = [b.scaled(1 / factor) for b in boards]
    return sorted(boards, key=lambda b: -b.score)


def _same(a: Board, b: Board) -> bool:
    """Two candidates for one board (their quads overlap by most of the smaller one)."""
    qa, qb = np.float32(a.quad), np.float32(b.quad)
    inter, _ = cv2.intersectConvexConvex(qa, qb)
    return inter > 0.8 * min(cv2.contourArea(qa), cv2.contourArea(qb))


def _quads(mask: np.ndarray, config: BoardConfig) -> list[np.ndarray]:
    """Large, solid, four-cornered regions of ``mask``: the board's face with its strokes,
    ruled lines and any hand closed over by the hull."""
    height, width = mask.shape
    # Join the cells a board's ruled lines cut its face into (lines are 1-3 px here).
    closed = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    contours, _ = cv2.findContours(closed, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    quads = []
    for contour in contours:
        area = cv2.contourArea(contour)
        if area < config.min_area * width * height:
            continue
        hull = cv2.convexHull(contour)
        hull_area = cv2.contourArea(hull)
        if hull_area <= 0 or area / hull_area < config.min_solidity:
            continue
        approx = cv2.approxPolyDP(hull, 0.04 * cv2.arcLength(hull, True), True)
        corners = approx.reshape(-1, 2).astype(np.float32)
        if len(corners) != 4 or cv2.contourArea(corners) < 0.85 * hull_area:
            corners = cv2.boxPoints(cv2.minAreaRect(hull)).astype(np.float32)
        quads.append(order_corners(corners))
    return quads


def order_corners(points: np.ndarray) -> np.ndarray:
    """Four points as top-left, top-right, bottom-right, bottom-left (image coordinates)."""
    points = np.asarray(points, np.float32).reshape(4, 2)
    centre = points.mean(axis=0)
    angles = np.arctan2(points[:, 1] - centre[1], points[:, 0] - centre[0])
    ordered = points[np.argsort(angles)]  # clockwise from the left in image coordinates
    start = int(np.argmin(ordered.sum(axis=1)))  # top-left has the smallest x + y
    return np.roll(ordered, -start, axis=0)


def quad_size(quad: np.ndarray) -> tuple[float, float]:
    """Width and height of a board quad: its longer opposite sides."""
    tl, tr, br, bl = np.asarray(quad, np.float32)
    return (max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)),
            max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))


def rectify(image: np.ndarray, quad: np.ndarray, size: tuple[int, int],
            margin: float = 0.0) -> np.ndarray:
    """The board seen square on: ``quad`` of ``image`` warped to ``size`` (width, height), grown
    by ``margin`` (a fraction of each side) so writing at the very edge is not cut off."""
    width, height = size
    mx, my = width * margin, height * margin
    target = np.float32([[mx, my], [width - mx, my], [width - mx, height - my], [mx, height - my]])
    matrix = cv2.getPerspectiveTransform(np.asarray(quad, np.float32), target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REPLICATE)


_PATCH = (320, 256)
"""Size a candidate is rectified to for scoring: a board's printed labels stay 8+ px tall."""


def _score(gray: np.ndarray, quad: np.ndarray, dark: bool, config: BoardConfig) -> Board | None:
    """Score a candidate quad by what is inside it: strokes of the opposite tone that line up
    like letters, an even face between them, clapper stripes beside it."""
    width, height = quad_size(quad)
    if min(width, height) < 24 or not 0.5 <= width / height <= 3.0:
        return None
    patch = rectify(gray, quad, _PATCH)
    inner = patch[8:-8, 8:-8]  # the board's rim and edge lines are not writing
    # The face's own tone, strokes removed: a closing takes dark strokes off white paper (an
    # opening bright strokes off a black board), the median smooths what is left.
    kernel = np.ones((9, 9), np.uint8)
    face = cv2.medianBlur(cv2.morphologyEx(inner, cv2.MORPH_OPEN if dark else cv2.MORPH_CLOSE,
                                           kernel), 9)
    difference = inner.astype(np.int16) - face.astype(np.int16)
    # Strokes stand out by a share of the board's own range, so a dim set's board (paper at 70
    # grey levels) is read like a bright one's.
    low, high = np.percentile(inner, (5, 95))
    if high - low < config.min_contrast:
        return None
    contrast = max(config.min_contrast / 3, 0.3 * float(high - low))
    ink = difference > contrast if dark else difference < -contrast
    ink_fraction = float(ink.mean())
    if not 0.02 <= ink_fraction <= 0.5:
        return None
    letters = _letters_in_lines(ink)
    if letters < config.min_letters:
        return None
    paper = ~cv2.dilate(ink.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    noise = float(np.median(np.abs(difference[paper]))) if paper.any() else 255.0
    stripes = _stripes(gray, quad)
    # Ranking only (OCR decides): letters saturate at a board's worth of writing; an even face
    # and the clapper's stripes are what set a slate apart from text on a busy picture.
    score = 0.5 * min(1.0, letters / 25) + 0.2 * max(0.0, 1 - noise / config.max_paper_noise) + \
        (0.3 if stripes else 0.0)
    return Board(tuple((float(x), float(y)) for x, y in quad), round(score, 4), dark, stripes)


MAX_BLOBS = 400
"""Blobs compared pairwise per candidate; a board has well under this many letters (more is
texture, and the largest are kept)."""


def _letters_in_lines(ink: np.ndarray) -> int:
    """Stroke blobs shaped like letters that sit in a row with at least two like them (similar
    height, same baseline band, close together): the signature of written words and numbers,
    which a picture's blobs rarely have."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    stats = stats[1:].astype(np.float64)
    x, y, w, h, area = (stats[:, i] for i in (cv2.CC_STAT_LEFT, cv2.CC_STAT_TOP, cv2.CC_STAT_WIDTH,
                                              cv2.CC_STAT_HEIGHT, cv2.CC_STAT_AREA))
    shaped = (h >= 5) & (h <= ink.shape[0] * 0.4) & (w <= 1.6 * h) & (area >= 0.05 * w * h)
    keep = np.flatnonzero(shaped)
    if keep.size < 3:
        return 0
    keep = keep[np.argsort(-area[keep])][:MAX_BLOBS]
    x, y, w, h = x[keep], y[keep], w[keep], h[keep]
    centre = y + h / 2
    tall = np.maximum(h[:, None], h[None, :])
    gap = np.maximum(x[:, None], x[None, :]) - np.minimum((x + w)[:, None], (x + w)[None, :])
    linked = ((np.abs(centre[:, None] - centre[None, :]) < 0.3 * tall)
              & (np.minimum(h[:, None], h[None, :]) > 0.6 * tall) & (gap < 1.2 * tall))
    # Connected groups of the link graph: propagate the smallest index until nothing changes.
    labels = np.arange(keep.size)
    while True:
        spread = np.where(linked, labels[None, :], keep.size).min(axis=1)
        spread = np.minimum(spread, labels)
        if np.array_equal(spread, labels):
            break
        labels = spread[spread]
    sizes = np.bincount(labels)
    return int(sizes[sizes >= 3].sum())


def _stripes(gray: np.ndarray, quad: np.ndarray) -> str | None:
    """``"top"`` or ``"bottom"`` when a band just outside (or along the inside of) that edge of
    the quad carries the clapper's alternating stripes: many strong light-dark alternations
    along the edge."""
    tl, tr, br, bl = np.asarray(quad, np.float32)
    down = ((bl - tl) + (br - tr)) / 2
    low, high = np.percentile(gray, (1, 99))
    swing = max(20.0, 0.35 * float(high - low))  # a dim set's stripes swing less
    for side, (a, b) in (("top", (tl, tr)), ("bottom", (bl, br))):
        outward = -down if side == "top" else down
        for offset in (0.05, 0.12, -0.05):  # sticks above the face, or inside its quad
            centre_a = a + outward * offset
            centre_b = b + outward * offset
            band = _sample_line_band(gray, centre_a, centre_b, outward * 0.015)
            if band is not None and _alternations(band, swing) >= 8:
                return side
    return None


def _sample_line_band(gray: np.ndarray, a: np.ndarray, b: np.ndarray,
                      half_height: np.ndarray) -> np.ndarray | None:
    """Mean intensity along the segment a-b, averaged over a thin band across it."""
    steps = int(max(16, np.linalg.norm(b - a)))
    t = np.linspace(0.05, 0.95, steps, dtype=np.float32)[:, None]
    rows = []
    for s in (-1.0, 0.0, 1.0):
        points = a + (b - a) * t + half_height * s
        xs, ys = points[:, 0], points[:, 1]
        if xs.min() < 0 or ys.min() < 0 or xs.max() >= gray.shape[1] or ys.max() >= gray.shape[0]:
            return None
        rows.append(cv2.remap(gray, xs.reshape(1, -1), ys.reshape(1, -1), cv2.INTER_LINEAR)[0])
    return np.mean(rows, axis=0)


def _alternations(profile: np.ndarray, swing: float) -> int:
    """Light-dark swings of at least ``swing`` grey levels along ``profile`` when they are evenly
    spaced (the stripes are painted at one pitch; foreshortening changes it only gradually),
    else 0."""
    if profile.max() - profile.min() < swing:
        return 0
    middle = (float(profile.max()) + float(profile.min())) / 2
    state = profile > middle
    changes = np.flatnonzero(state[1:] != state[:-1])
    if changes.size < 4:
        return 0
    gaps = np.diff(changes).astype(np.float64)
    if gaps.min() < 2 or gaps.std() > 0.35 * gaps.mean():
        return 0
    return int(changes.size)

