"""Slate layout: which words on a read board are labels, and which written value belongs to each.

Boards print their labels (``SCENE``, ``TAKE``, ``ROLL``...) small and have the values written big,
either to the label's right (``SCENE 12A`` on one line, as inserts and many UK boards do) or
below it in a ruled cell (the US grid: ``ROLL | SCENE | TAKE`` over the numbers). PP-OCR often
joins values of neighbouring cells into one line (``A00412A``), so a value is taken from the
*characters* that fall in the label's column, not from whole lines.

Only geometry lives here; what a value must look like to be believed is ``fields``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from binsight.slates.ocr import OcrChar, OcrLine, OcrPage

LABELS: dict[str, tuple[str, ...]] = {
    # field -> label spellings, normalised (upper case, no punctuation)
    "scene": ("SCENE", "SCN", "SC", "SCENENO", "SCENE NO"),
    "take": ("TAKE", "TK", "TAKES", "TAKE NO"),
    "roll": ("ROLL", "CAMROLL", "CAM ROLL", "REEL", "MAG", "CARD"),
    "slate_number": ("SLATE", "SLATE NO", "SLATENO", "SL"),
    "production": ("PROD", "PRODUCTION", "TITLE", "PROJECT", "PICTURE"),
    "director": ("DIRECTOR", "DIR", "DIRECTED BY"),
    "camera": ("CAMERA", "CAM"),
    "date": ("DATE",),
    # Printed on boards but not reported: known so that their values are not taken for others.
    "other": ("DOP", "DP", "CAMERAMAN", "CAMERA OP", "SOUND", "FPS", "FILTER", "LENS", "SYNC",
              "MOS", "DAY", "NIGHT", "INT", "EXT", "SHOT", "SETUP", "ANGLE", "TIMECODE", "TC"),
}
"""Label words by field. Two-letter spellings (``SC``, ``TK``, ``SL``) count only as whole
tokens or glued to a number (``SC12``), never fuzzily."""

_LOOKALIKES = str.maketrans({"0": "O", "1": "I", "5": "S", "8": "B", "|": "I", "$": "S"})
"""Digits and symbols PP-OCR puts in place of letters in printed labels (``R0LL``, ``5CENE``)."""


@dataclass(frozen=True)
class Token:
    """A run of characters between spaces on one OCR line, with its extent on the page."""

    text: str
    chars: tuple[OcrChar, ...]
    left: float
    right: float
    top: float
    bottom: float
    line: int

    @property
    def height(self) -> float:
        return self.bottom - self.top

    @property
    def centre_y(self) -> float:
        return (self.top + self.bottom) / 2


@dataclass(frozen=True)
class Label:
    """A label token: the field it names and how sure the spelling match is (1.0 exact)."""

    field: str
    token: Token
    match: float


@dataclass(frozen=True)
class Value:
    """Characters found for a label: written to its right (inline) or in the cell below it."""

    field: str
    text: str
    chars: tuple[OcrChar, ...]
    label: Label
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top

    def box(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) of the written value, half a character beyond the outer
        characters' centres."""
        xs = [c.x for c in self.chars if c.char != " "]
        pitch = (max(xs) - min(xs)) / (len(xs) - 1) if len(xs) > 1 else 0.6 * self.height
        pitch = max(pitch, 0.3 * self.height)
        return (min(xs) - pitch / 2, self.top, max(xs) + pitch / 2, self.bottom)


def tokens(page: OcrPage) -> list[Token]:
    """Every line split into space-separated tokens, each placed by its characters."""
    out = []
    for number, line in enumerate(page.lines):
        out.extend(_split_line(line, number))
    return out


def _split_line(line: OcrLine, number: int) -> list[Token]:
    if not line.chars:
        return []
    pitch = (line.right - line.left) / max(1, len(line.chars))
    runs: list[list[OcrChar]] = [[]]
    for char in line.chars:
        if char.char == " ":
            runs.append([])
        else:
            runs[-1].append(char)
    out = []
    for run in runs:
        if run:
            out.append(Token("".join(c.char for c in run), tuple(run),
                             run[0].x - pitch / 2, run[-1].x + pitch / 2, line.top, line.bottom,
                             number))
    return out


def _normalise(text: str) -> str:
    return re.sub(r"[^A-Z ]", "", text.upper().translate(_LOOKALIKES)).strip()


def _distance_one(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one edit (substitution, insertion or
    deletion)."""
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b)) <= 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))


def match_label(text: str) -> tuple[str, float] | None:
    """The field ``text`` labels and the match quality, or None when it is no label.

    Exact spellings (punctuation and digit look-alikes ignored) score 1.0; one edit away scores
    0.85 for words of five letters or more (``SCEME``, ``DIRECT0R``); shorter words must match
    exactly, as a one-letter slip turns ``TAKE`` into ``TAPE`` or ``ROLL`` into ``ROLE``."""
    raw = text.upper().strip(" .:#-_")
    word = _normalise(text)
    if not word or len(word) > 12:
        return None
    for field, spellings in LABELS.items():
        if word in spellings:
            exact = raw.replace(".", "").replace(":", "").replace("#", "") == word
            return field, 1.0 if exact else 0.95
    if len(word) >= 5:
        for field, spellings in LABELS.items():
            if any(len(s) >= 5 and _distance_one(word, s) for s in spellings):
                return field, 0.85
    return None


_GLUED = re.compile(r"^(SCENE|SCN|SC|TAKE|TK|ROLL|SLATE|SL|CAM|CAMERA|DATE)[.:#-]?(\d.*)$")
"""A label written against its value with no space: ``TAKE3``, ``SC12A``, ``SLATE147``."""


def split_glued(token: Token) -> list[Token]:
    """``TAKE3`` as the label ``TAKE`` and the value ``3``; other tokens unchanged."""
    match = _GLUED.match(token.text.upper())
    if not match:
        return [token]
    cut = len(token.text) - len(match.group(2))
    head, tail = token.chars[:cut], token.chars[cut:]
    pitch = (token.right - token.left) / max(1, len(token.chars))
    return [Token(token.text[:cut], head, token.left, head[-1].x + pitch / 2, token.top,
                  token.bottom, token.line),
            Token(token.text[cut:], tail, tail[0].x - pitch / 2, token.right, token.top,
                  token.bottom, token.line)]


def find_labels(items: list[Token]) -> tuple[list[Label], list[Token]]:
    """Labels among ``items`` (two-word labels such as ``CAM ROLL`` joined), and the rest."""
    labels: list[Label] = []
    rest: list[Token] = []
    skip = False
    for i, token in enumerate(items):
        if skip:
            skip = False
            continue
        following = items[i + 1] if i + 1 < len(items) and items[i + 1].line == token.line else None
        if following is not None:
            pair = match_label(f"{token.text} {following.text}")
            single = match_label(token.text)
            if pair is not None and (single is None or pair[0] != single[0] or
                                     _normalise(f"{token.text} {following.text}") in
                                     LABELS[pair[0]]):
                joined = Token(f"{token.text} {following.text}", token.chars + following.chars,
                               token.left, following.right, min(token.top, following.top),
                               max(token.bottom, following.bottom), token.line)
                labels.append(Label(pair[0], joined, pair[1]))
                skip = True
                continue
        found = match_label(token.text)
        if found is not None:
            labels.append(Label(found[0], token, found[1]))
        else:
            rest.append(token)
    return labels, rest


def _same_row(a: Token, b: Token) -> bool:
    """Vertically overlapping by a third of the smaller: on one row of the board."""
    overlap = min(a.bottom, b.bottom) - max(a.top, b.top)
    return overlap > 0.33 * min(a.height, b.height)


def associate(labels: list[Label], values: list[Token], page: OcrPage) -> list[Value]:
    """The value of each label: the tokens to its right on its row, up to the next label; else
    the biggest writing in the cell below it (the label's column, down to the next label)."""
    out = []
    for label in labels:
        if label.field == "other":
            continue
        value = _inline(label, labels, values) or _below(label, labels, values, page)
        if value is not None:
            out.append(value)
    return out


def _inline(label: Label, labels: list[Label], values: list[Token]) -> Value | None:
    token = label.token
    stops = [other.token.left for other in labels
             if other is not label and _same_row(other.token, token) and
             other.token.left > token.right]
    stop = min(stops, default=float("inf"))
    reach = token.right + 6 * max(token.height, 1.0)
    row = sorted((v for v in values if _same_row(v, token) and v.left >= token.right - 2 and
                  v.right <= stop + 2 and v.left < reach), key=lambda v: v.left)
    if not row:
        return None
    # One value: consecutive tokens close together (a name may have a space; a far token is
    # another cell's).
    picked = [row[0]]
    for item in row[1:]:
        if item.left - picked[-1].right > 2.0 * max(item.height, picked[-1].height):
            break
        picked.append(item)
    return _value(label, picked)


def _below(label: Label, labels: list[Label], values: list[Token], page: OcrPage) -> Value | None:
    token = label.token
    left = token.left - 0.6 * token.height
    neighbours = [other.token.left for other in labels
                  if other is not label and _same_row(other.token, token) and
                  other.token.left > token.right]
    right = min(neighbours, default=float(page.width)) - 0.3 * token.height
    under = [other.token.top for other in labels
             if other is not label and other.token.top > token.bottom and
             other.token.right > left and other.token.left < right]
    bottom = min(under, default=float(page.height))
    # The characters of each line inside the cell, per line.
    per_line: dict[int, list[OcrChar]] = {}
    sizes: dict[int, Token] = {}
    for item in values:
        if item.centre_y < token.bottom - 0.2 * token.height or item.centre_y > bottom:
            continue
        inside = tuple(c for c in item.chars if left <= c.x <= right)
        if not inside:
            continue
        run = per_line.setdefault(item.line, [])
        if run:  # the space between two tokens of one line (``J RIVERA``)
            run.append(OcrChar(" ", 1.0, (run[-1].x + inside[0].x) / 2))
        run.extend(inside)
        sizes.setdefault(item.line, item)
    if not per_line:
        return None
    # The value is the first line under the label that is written at least about as big as
    # the label (smaller print under a label is another printed caption, not a value). Lines
    # holding a timecode belong to a digital slate's display, never to a cell.
    for line in sorted(per_line, key=lambda n: sizes[n].top):
        if sizes[line].height < 0.7 * token.height or _TIMECODE_LIKE.search(
                page.lines[line].text.replace(" ", "")):
            continue
        chars = _first_run(per_line[line])
        # A cell's value starts under its label, or centred in the cell at the furthest: writing
        # further right belongs to the next cell, whose label may simply not have been read.
        if chars[0].x > token.left + max(3 * (token.right - token.left), 0.35 * page.width):
            continue
        return Value(label.field, "".join(c.char for c in chars), chars, label,
                     sizes[line].top, sizes[line].bottom)
    return None


def _first_run(chars: list[OcrChar]) -> tuple[OcrChar, ...]:
    """The characters up to the first gap wider than twice their usual spacing: a detector
    line joining two cells (``C002`` and ``7`` as ``C0027``) keeps a cell-wide gap inside."""
    letters = [i for i, c in enumerate(chars) if c.char != " "]
    if len(letters) < 3:
        return tuple(chars)
    steps = np.diff([chars[i].x for i in letters])
    usual = float(np.median(steps))
    for i, step in enumerate(steps):
        if step > 2.2 * usual:
            return tuple(chars[:letters[i] + 1])
    return tuple(chars)


_TIMECODE_LIKE = re.compile(r"\d[:;.]\d\d[:;.]\d\d[:;.]\d")


def _value(label: Label, picked: list[Token]) -> Value:
    chars: tuple[OcrChar, ...] = ()
    for i, item in enumerate(picked):
        if i:
            chars += (OcrChar(" ", 1.0, (picked[i - 1].right + item.left) / 2),)
        chars += item.chars
    return Value(label.field, "".join(c.char for c in chars), chars, label,
                 min(t.top for t in picked), max(t.bottom for t in picked))
