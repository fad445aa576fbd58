"""Generated slates (clapperboards) for the slate reader's tests and benchmark.

A board is drawn flat (printed labels, values in a chosen hand: a printed font, a marker-style
handwriting font, OpenCV's built-in Hershey script, or a digital slate's LED timecode), then
placed into a frame the way a camera sees it (scale, roll angle, perspective, upside down for a
tail slate) over a real-looking background, then spoiled (motion blur, low light, a hand over
part of it). ``slate_clip`` cuts held-board frames before (head) or after (tail) a real shot and
encodes them with PyAV, so the reader is tested on decoded video, never on the drawn arrays.

Fonts: labels use DejaVu Sans Bold (Debian ``fonts-dejavu-core``, in the base image) and fall
back to OpenCV's built-in Hershey Duplex. Handwriting and the LED digits need Debian packages::

    apt-get install -y fonts-humor-sans fonts-dkg-handwriting fonts-dseg

``require_font`` skips the calling test with that line when a font is absent. The Hershey script
hand is built into OpenCV and always available.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

import media_factory as mf

FONT_FILES: dict[str, tuple[str, str]] = {
    # hand name -> (file, Debian package)
    "sans": ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "fonts-dejavu-core"),
    "marker": ("/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf", "fonts-humor-sans"),
    "pen": ("/usr/share/fonts/truetype/fifthhorseman/dkg.ttf", "fonts-dkg-handwriting"),
    "led": ("/usr/share/fonts/truetype/dseg/DSEG7Classic-Bold.ttf", "fonts-dseg"),
}
HERSHEY_HANDS = {"script": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, "duplex": cv2.FONT_HERSHEY_DUPLEX}
"""Hands drawn with OpenCV's built-in vector fonts: no package needed."""

APT_LINE = "apt-get install -y fonts-humor-sans fonts-dkg-handwriting fonts-dseg"


def font_available(hand: str) -> bool:
    return hand in HERSHEY_HANDS or Path(FONT_FILES[hand][0]).is_file()


def require_font(hand: str) -> None:
    """Skip the calling test, with the install line, when ``hand``'s font file is absent."""
    import pytest  # only tests call this; the bench checks font_available itself

    if not font_available(hand):
        path, package = FONT_FILES[hand]
        pytest.skip(f"font {path} (Debian {package}) is absent; install with: {APT_LINE}")


@dataclass(frozen=True)
class Slate:
    """What is written on a board. ``None`` leaves a field off the board.

    ``layout``: ``"us"`` (ROLL | SCENE | TAKE grid, labels above values), ``"uk"`` (ROLL | SLATE |
    TAKE: a running slate number instead of a scene), ``"inline"`` (one ``LABEL value`` per row,
    as printed inserts do) or ``"digital"`` (an LED timecode panel over a SCENE/TAKE/ROLL grid).
    ``hand`` is the font of the values (labels are always printed); ``board`` its colour.
    """

    scene: str | None = "12A"
    take: str | None = "3"
    roll: str | None = "A004"
    slate_number: str | None = None
    production: str | None = "NIGHTFALL"
    director: str | None = "J RIVERA"
    camera: str | None = "A"
    date: str | None = "03/14/25"
    timecode: str | None = None
    layout: str = "us"
    hand: str = "sans"
    board: str = "white"

    def truth(self) -> dict[str, str]:
        """The fields a reader should report for this board (those drawn on it)."""
        printed = self.layout != "digital"  # the digital layout has no name rows
        names = {"scene": self.scene if self.layout != "uk" else None, "take": self.take,
                 "roll": self.roll,
                 "slate_number": self.slate_number if self.layout == "uk" else None,
                 "production": self.production if printed else None,
                 "director": self.director if printed else None,
                 "camera": self.camera if printed else None,
                 "date": self.date if printed else None,
                 "timecode": self.timecode if self.layout == "digital" else None}
        return {k: v for k, v in names.items() if v is not None}

    def label(self) -> str:
        """``setup/take`` as the reader's ``SlateRead.label()`` should give it."""
        truth = self.truth()
        return f"{truth.get('scene') or truth['slate_number']}/{truth['take']}"


# --- drawing the flat board ----------------------------------------------------------------------

BOARD_SIZE = (900, 760)
"""Flat board (width, height) in pixels, clapper sticks included: about a real 11x9 inch slate."""
STICKS_H = 110


def _text_size(text: str, hand: str, height: int) -> tuple[int, int]:
    if hand in HERSHEY_HANDS:
        scale = _hershey_scale(hand, height)
        (w, h), _ = cv2.getTextSize(text, HERSHEY_HANDS[hand], scale, _hershey_thickness(height))
        return w, h
    from PIL import ImageFont

    font = ImageFont.truetype(FONT_FILES[hand][0], height)
    left, top, right, bottom = font.getbbox(text)
    return right - left, bottom - top


def _hershey_scale(hand: str, height: int) -> float:
    (_, h), _ = cv2.getTextSize("0", HERSHEY_HANDS[hand], 1.0, 1)
    return height / h


def _hershey_thickness(height: int) -> int:
    return max(2, height // 12)


def _draw_text(image: np.ndarray, text: str, hand: str, height: int, origin: tuple[int, int],
               colour: tuple[int, int, int], max_width: int | None = None) -> None:
    """Draw ``text`` with its top-left at ``origin``, ``height`` pixels tall (cap height),
    shrunk to ``max_width`` when given."""
    if max_width is not None:
        width, _ = _text_size(text, hand, height)
        if width > max_width:
            height = max(8, int(height * max_width / width))
    x, y = origin
    if hand in HERSHEY_HANDS:
        scale = _hershey_scale(hand, height)
        cv2.putText(image, text, (x, y + height), HERSHEY_HANDS[hand], scale, colour,
                    _hershey_thickness(height), cv2.LINE_AA)
        return
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT_FILES[hand][0], height)
    left, top, _, _ = font.getbbox(text)
    pil = Image.fromarray(image[:, :, ::-1])
    ImageDraw.Draw(pil).text((x - left, y - top), text, font=font, fill=colour[::-1])
    image[:] = np.asarray(pil)[:, :, ::-1]


def _sticks(width: int) -> np.ndarray:
    """The clapper sticks: two bars of diagonal black and white stripes, hinged at the left."""
    sticks = np.full((STICKS_H, width, 3), 30, np.uint8)
    stripe = 70
    for bar_top in (6, STICKS_H // 2 + 3):
        bar = sticks[bar_top:bar_top + STICKS_H // 2 - 9]
        bar[:] = 20
        h = bar.shape[0]
        for x0 in range(-h, width + stripe, 2 * stripe):
            poly = np.array([[x0, h], [x0 + stripe, h], [x0 + stripe + h, 0], [x0 + h, 0]], np.int32)
            cv2.fillPoly(bar, [poly], (235, 235, 235))
    return sticks


def draw_board(slate: Slate) -> np.ndarray:
    """The flat board as BGR: sticks on top, printed labels, values in ``slate.hand``."""
    width, height = BOARD_SIZE
    ink, paper = ((20, 20, 20), (238, 238, 232)) if slate.board == "white" else \
        ((235, 235, 235), (28, 28, 28))
    image = np.full((height, width, 3), paper, np.uint8)
    image[:STICKS_H] = _sticks(width)
    label_hand = "sans" if font_available("sans") else "duplex"
    body_top = STICKS_H
    body_bottom = height
    if slate.layout == "digital":
        body_bottom = _draw_led_panel(image, slate)
    rows = _rows(slate)
    weights = [row[0] for row in rows]
    y = body_top
    usable = body_bottom - body_top
    for (weight, cells), next_y in zip(rows, _cumulate(body_top, usable, weights)):
        _draw_row(image, cells, slate, label_hand, y, next_y, ink)
        cv2.line(image, (0, next_y - 1), (width, next_y - 1), ink, 4)
        y = next_y
    cv2.rectangle(image, (0, STICKS_H), (width - 1, height - 1), ink, 6)
    return image


def _cumulate(top: int, total: int, weights: Sequence[float]) -> Iterator[int]:
    acc = 0.0
    for weight in weights:
        acc += weight
        yield top + round(total * acc / sum(weights))


def _rows(slate: Slate) -> list[tuple[float, list[tuple[str, str | None]]]]:
    """Rows of (label, value) cells, with the relative height of each row."""
    if slate.layout == "inline":
        pairs = [("PROD.", slate.production), ("ROLL", slate.roll), ("SCENE", slate.scene),
                 ("TAKE", slate.take), ("DIRECTOR", slate.director), ("CAMERA", slate.camera),
                 ("DATE", slate.date)]
        return [(1.0, [pair]) for pair in pairs if pair[1] is not None]
    middle_label = "SLATE" if slate.layout == "uk" else "SCENE"
    middle_value = slate.slate_number if slate.layout == "uk" else slate.scene
    rows: list[tuple[float, list[tuple[str, str | None]]]] = []
    if slate.layout != "digital":
        rows.append((1.0, [("PROD.", slate.production)]))
    rows.append((2.4, [("ROLL", slate.roll), (middle_label, middle_value), ("TAKE", slate.take)]))
    if slate.layout != "digital":
        rows.append((1.0, [("DIRECTOR", slate.director)]))
        rows.append((1.0, [("CAMERA", slate.camera), ("DATE", slate.date)]))
    return rows


def _draw_row(image: np.ndarray, cells: list[tuple[str, str | None]], slate: Slate,
              label_hand: str, top: int, bottom: int, ink: tuple[int, int, int]) -> None:
    width = image.shape[1]
    cell_w = width // len(cells)
    row_h = bottom - top
    for i, (label, value) in enumerate(cells):
        x0 = i * cell_w
        if i:
            cv2.line(image, (x0, top), (x0, bottom), ink, 4)
        label_h = max(18, min(30, row_h // 5))
        inline = slate.layout == "inline"
        label_y = top + (row_h - label_h) // 2 if inline else top + 12
        _draw_text(image, label, label_hand, label_h, (x0 + 14, label_y), ink)
        if value is None:
            continue
        if inline or len(cells) == 1 and row_h < 150:
            # value on the label's line, to its right
            value_h = int(row_h * 0.55)
            lx = x0 + 14 + _text_size(label, label_hand, label_h)[0] + 30
            _draw_text(image, value, slate.hand, value_h, (lx, top + (row_h - value_h) // 2 + 6),
                       ink, max_width=x0 + cell_w - lx - 14)
        else:
            value_h = int(row_h * 0.5)
            vw, _ = _text_size(value, slate.hand, value_h)
            vx = x0 + max(10, (cell_w - vw) // 2)
            _draw_text(image, value, slate.hand, value_h, (vx, top + label_h + 30), ink,
                       max_width=cell_w - 20)


def _draw_led_panel(image: np.ndarray, slate: Slate) -> int:
    """A digital slate's timecode window: red seven-segment digits on black, inset in the
    board's lower part as on a Denecke-style slate; returns the top of the window's band."""
    height, width = image.shape[:2]
    top, bottom, inset = height - 250, height - 30, 30
    image[top:bottom, inset:width - inset] = (12, 12, 12)
    digit_h = 130
    text = slate.timecode or "00:00:00:00"
    hand = "led" if font_available("led") else "duplex"
    tw, _ = _text_size(text, hand, digit_h)
    _draw_text(image, text, hand, digit_h, (max(inset + 10, (width - tw) // 2), top + 45),
               (40, 40, 255), max_width=width - 2 * inset - 30)
    return top - 20


# --- placing it into a frame ---------------------------------------------------------------------

@dataclass(frozen=True)
class Shot:
    """How the camera sees the board. ``scale`` is the board's height over the frame's; ``tilt``
    turns the board about its vertical axis (the far edge shrinks by that fraction: perspective);
    ``angle`` is its roll in degrees; ``inverted`` holds it upside down (a tail slate)."""

    scale: float = 0.62
    center: tuple[float, float] = (0.5, 0.5)
    angle: float = 0.0
    tilt: float = 0.0
    inverted: bool = False
    blur: int = 0  # motion-blur streak length in pixels (horizontal, the clap's swing)
    light: float = 1.0  # exposure gain: 0.3 is a dim set
    hand_over: float = 0.0  # fraction of the board's width covered by a hand from the right
    hand_at: float = 0.85  # where along the right edge the hand grips (0 top, 1 bottom)


def board_corners(frame_size: tuple[int, int], board_size: tuple[int, int], shot: Shot) -> np.ndarray:
    """Where the board's four corners (TL, TR, BR, BL of the flat board) land in the frame."""
    fw, fh = frame_size
    bw, bh = board_size
    h = shot.scale * fh
    w = h * bw / bh
    half = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    # perspective: the right edge recedes (shorter) and moves in
    half[1, 1] *= 1 - shot.tilt
    half[2, 1] *= 1 - shot.tilt
    half[1:3, 0] *= 1 - shot.tilt * 0.6
    angle = math.radians(shot.angle + (180 if shot.inverted else 0))
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    centre = np.array([shot.center[0] * fw, shot.center[1] * fh])
    return (half @ rot.T + centre).astype(np.float32)


def place(board: np.ndarray, background: np.ndarray, shot: Shot) -> np.ndarray:
    """Composite ``board`` into ``background`` as ``shot`` describes, then spoil it."""
    fh, fw = background.shape[:2]
    bh, bw = board.shape[:2]
    corners = board_corners((fw, fh), (bw, bh), shot)
    src = np.float32([[0, 0], [bw, 0], [bw, bh], [0, bh]])
    matrix = cv2.getPerspectiveTransform(src, corners)
    warped = cv2.warpPerspective(board, matrix, (fw, fh), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(np.full((bh, bw), 255, np.uint8), matrix, (fw, fh))
    alpha = (mask.astype(np.float32) / 255)[:, :, None]
    frame = (background * (1 - alpha) + warped * alpha).astype(np.uint8)
    if shot.hand_over > 0:
        frame = _hand(frame, corners, shot.hand_over, shot.hand_at)
    if shot.blur > 1:
        kernel = np.zeros((shot.blur, shot.blur), np.float32)
        kernel[shot.blur // 2, :] = 1.0 / shot.blur
        frame = cv2.filter2D(frame, -1, kernel)
    if shot.light != 1.0:
        rng = np.random.default_rng(11)
        dim = frame.astype(np.float32) * shot.light + rng.normal(0, 3.0, frame.shape)
        frame = np.clip(dim, 0, 255).astype(np.uint8)
    return frame


def _hand(frame: np.ndarray, corners: np.ndarray, fraction: float, height: float) -> np.ndarray:
    """A hand (palm and four fingers, skin tone) gripping the board's right edge at ``height``
    (0 top, 1 bottom of the edge), covering ``fraction`` of its width, the way an assistant
    holds a slate."""
    out = frame.copy()
    tl, tr, br, bl = corners
    skin = (120, 150, 200)
    grip = tr + (br - tr) * height
    inward = (tl + (bl - tl) * height) - grip
    reach = fraction * inward
    board_h = float(np.linalg.norm(br - tr))
    angle = math.degrees(math.atan2(inward[1], inward[0]))
    palm = grip + reach * 0.35
    axes = (max(1, int(np.linalg.norm(reach) * 0.6)), max(1, int(board_h * 0.16)))
    cv2.ellipse(out, tuple(int(v) for v in palm), axes, angle, 0, 360, skin, -1, cv2.LINE_AA)
    up = (tr - br) / max(1.0, board_h)
    for k in range(4):
        start = grip + up * board_h * (0.12 - 0.08 * k)
        cv2.line(out, tuple(int(v) for v in start), tuple(int(v) for v in start + reach), skin,
                 max(4, int(board_h * 0.05)), cv2.LINE_AA)
    return cv2.GaussianBlur(out, (3, 3), 0)


# --- clips ---------------------------------------------------------------------------------------

FRAME_SIZE = (960, 540)
"""Test clips are qHD: large enough that a slate's printed labels survive H.264, small enough to
encode and decode in well under a second per clip."""


def background(seed: int, size: tuple[int, int] = FRAME_SIZE) -> np.ndarray:
    """A set behind the board: a photo-like picture unique to ``seed``."""
    return mf.photo(seed, *size)


POSES = 6
"""Distinct hand-held poses a held board cycles through: drawing a frame costs ~40 ms, so a
1.6 s hold draws six and repeats them (the encoder still sees a moving board)."""


def held_board(slate: Slate, shot: Shot, back: np.ndarray, frames: int,
               seed: int = 0) -> Iterator[np.ndarray]:
    """Frames of a board held by hand: it drifts a few pixels and a fraction of a degree."""
    board = draw_board(slate)
    rng = np.random.default_rng(seed)
    poses = []
    for _ in range(min(POSES, frames)):
        jitter = replace(shot, center=(shot.center[0] + rng.normal(0, 0.002),
                                       shot.center[1] + rng.normal(0, 0.002)),
                         angle=shot.angle + rng.normal(0, 0.3))
        poses.append(place(board, back, jitter))
    for i in range(frames):
        yield poses[i % len(poses)]


def scene_pan(seed: int, frames: int, size: tuple[int, int] = FRAME_SIZE,
              step: int = 3) -> Iterator[np.ndarray]:
    """A shot: a camera pan across a photo-like picture (whole-pixel steps, so it is cheap)."""
    width, height = size
    wide = mf.photo(seed, width + step * frames, height)
    for i in range(frames):
        yield wide[:, i * step:i * step + width]


def slate_clip(path: Path, slate: Slate | None, shot: Shot = Shot(), *, position: str = "head",
               board_s: float = 1.6, shot_s: float = 3.0, fps: Fraction = Fraction(25),
               seed: int = 1, scene_frames: Iterable[np.ndarray] | None = None,
               size: tuple[int, int] = FRAME_SIZE) -> Path:
    """Encode a clip: the held board for ``board_s`` then the shot (``position="head"``), or the
    shot then the board (``"tail"``; hold it ``inverted`` as crews do). ``slate=None`` gives a
    clip with no slate. The shot is a pan over a photo unless ``scene_frames`` is given."""
    back = background(seed, size)
    n_board = round(board_s * fps)
    n_shot = round(shot_s * fps)
    board = list(held_board(slate, shot, back, n_board, seed)) if slate is not None else []
    if scene_frames is None:
        scene_frames = scene_pan(seed + 100, n_shot, size)
    scene = [cv2.resize(f, size) if f.shape[1::-1] != size else f for f in scene_frames]
    frames = board + scene if position == "head" else scene + board
    return mf.encode(path, frames, fps=fps)


def shared_frames(path: Path, count: int, size: tuple[int, int] = FRAME_SIZE) -> list[np.ndarray]:
    """The first ``count`` frames of a real clip, upright, resized to ``size``."""
    import av

    out = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            out.append(cv2.resize(frame.to_ndarray(format="bgr24"), size,
                                  interpolation=cv2.INTER_AREA))
            if len(out) == count:
                break
    return out
