"""What each slate field must look like, and how sure a value read for it is.

A value is believed only as far as its least sure character, its label's spelling and its shape
allow: a take is one to three digits, a US scene a number with setup letters before or after
(``12A``, ``A12``), a timecode four two-digit groups in range. A value of the wrong shape is kept
(an assistant may want to see it) but with a confidence far below any threshold.

Look-alike letters are mended only where the convention makes them certain: scene letters skip
``I`` and ``O`` precisely because they read as ``1`` and ``0``, so in a scene or take ``O`` is
``0`` and ``I`` is ``1``, at a small cost in confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from binsight.slates.layout import Token, Value
from binsight.slates.ocr import OcrChar
from binsight.slates.types import SlateField

WRONG_SHAPE = 0.35
"""Confidence factor for a value that does not look like its field: far below any threshold."""
NAME_CAP = 0.75
"""Highest confidence of free text (production, director). PP-OCR's detector can drop a lone
initial or word (``J RIVERA`` read as ``RIVERA``, every letter at 0.98) and no character looks
doubtful when it does, so a name is shown and searchable but never counts as sure."""
MENDED = 0.9
"""Confidence factor per look-alike letter turned into a digit (``I2A`` -> ``12A``)."""

_SCENE = re.compile(r"^[A-HJ-NP-Z]{0,2}\d{1,4}[A-HJ-NP-Z]{0,3}$")
_TAKE = re.compile(r"^\d{1,3}$")
_ROLL = re.compile(r"^(?=.*\d)[A-Z]{0,4}\d{0,4}[A-Z]{0,2}\d{0,4}$")
_SLATE_NUMBER = re.compile(r"^\d{1,4}[A-HJ-NP-Z]?$")
_CAMERA = re.compile(r"^[A-Z]$")  # after "A CAM" / "CAM A" became "A"
_NAME = re.compile(r"^[A-Z0-9][A-Z0-9 .,'&:-]{0,40}$")
_DATE = re.compile(r"^(?:\d{1,2}[/.-]\d{1,2}[/.-](?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|"
                   r"\d{1,2} ?[A-Z]{3}[A-Z]* ?(?:\d{2}|\d{4}))$")
_TIMECODE = re.compile(r"(\d{2})[:;.](\d{2})[:;.](\d{2})([:;.])(\d{2})")

_SHAPES = {"scene": _SCENE, "take": _TAKE, "roll": _ROLL, "slate_number": _SLATE_NUMBER,
           "camera": _CAMERA, "production": _NAME, "director": _NAME, "date": _DATE}
_MENDABLE = {"scene", "take", "slate_number"}
_DIGIT_LOOKALIKES = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "|": "1", "l": "1"}


@dataclass(frozen=True)
class _Chars:
    text: str
    confidence: float


def _compact(chars: tuple[OcrChar, ...], keep_spaces: bool) -> _Chars:
    """The value's characters upper-cased, edge punctuation dropped (``:12A.``), spaces kept for
    names only; confidence of the least sure character kept."""
    kept = [c for c in chars if keep_spaces or c.char != " "]
    while kept and kept[0].char in " .:;#-_=,":
        kept.pop(0)
    while kept and kept[-1].char in " .:;#-_=,":
        kept.pop()
    text = "".join(c.char for c in kept).upper()
    if not keep_spaces:
        text = text.replace("-", "")
    confidence = min((c.confidence for c in kept if c.char != " "), default=0.0)
    return _Chars(text, confidence)


def judge(value: Value) -> SlateField | None:
    """The field read from ``value``: shaped, mended where safe, with its confidence."""
    names = value.field in ("production", "director", "camera", "date")
    chars = _compact(value.chars, keep_spaces=names)
    if not chars.text:
        return None
    text, confidence = chars.text, chars.confidence * value.label.match
    if value.field == "camera":
        text = re.sub(r"^(?:CAM ?)([A-Z])$|^([A-Z]) ?CAM$", lambda m: m.group(1) or m.group(2),
                      text)
    shape = _SHAPES[value.field]
    if not shape.match(text) and value.field in _MENDABLE:
        mended = _mend_digits(text, value.field)
        if mended is not None:
            text, confidence = mended[0], confidence * MENDED ** mended[1]
    if not shape.match(text):
        confidence *= WRONG_SHAPE
    if value.field in ("production", "director"):
        confidence = min(confidence, NAME_CAP)
    return SlateField(text, round(confidence, 4))


def _mend_digits(text: str, field: str) -> tuple[str, int] | None:
    """``text`` with look-alike letters read as digits where the field needs digits: every
    position of a take or slate number, the number part of a scene (its setup letters are
    never I or O). Returns the mended text and how many letters were changed."""
    if field in ("take", "slate_number"):
        mended = "".join(_DIGIT_LOOKALIKES.get(c, c) for c in text)
    else:
        match = re.match(r"^([A-HJ-NP-Z]{0,2}?)([0-9OQDIL|l]+)([A-HJ-NP-Z]{0,3})$", text)
        if not match:
            return None
        middle = "".join(_DIGIT_LOOKALIKES.get(c, c) for c in match.group(2))
        mended = match.group(1) + middle + match.group(3)
    changes = sum(a != b for a, b in zip(text, mended))
    return (mended, changes) if changes else None


def find_timecode(items: list[Token]) -> SlateField | None:
    """A digital slate's running timecode: four two-digit groups with separators, anywhere on
    the board. Seven-segment digits have gaps PP-OCR splits lines at (``0`` and ``1:23:45:12``),
    so tokens side by side on one row are joined before matching.

    Hours under 24, minutes and seconds under 60, frames under 60; drop-frame keeps its ``;``."""
    best: SlateField | None = None
    for row in _rows(items):
        kept = [c for token in row for c in token.chars]
        text = "".join(c.char for c in kept)
        for match in _TIMECODE.finditer(text):
            hours, minutes, seconds, separator, frames = match.groups()
            if int(hours) >= 24 or int(minutes) >= 60 or int(seconds) >= 60 or int(frames) >= 60:
                continue
            span = kept[match.start():match.end()]
            confidence = min(c.confidence for c in span)
            separator = ";" if separator == ";" else ":"
            value = f"{hours}:{minutes}:{seconds}{separator}{frames}"
            if best is None or confidence > best.confidence:
                best = SlateField(value, round(confidence, 4))
    return best


def _rows(items: list[Token]) -> list[list[Token]]:
    """Tokens grouped into rows: left to right, each joining the row whose last token it
    overlaps vertically and follows closely (within one and a half times its height)."""
    rows: list[list[Token]] = []
    for token in sorted(items, key=lambda t: t.left):
        for row in rows:
            last = row[-1]
            overlap = min(last.bottom, token.bottom) - max(last.top, token.top)
            if overlap > 0.5 * min(last.height, token.height) and \
                    token.left - last.right < 1.5 * max(last.height, token.height):
                row.append(token)
                break
        else:
            rows.append([token])
    return rows
