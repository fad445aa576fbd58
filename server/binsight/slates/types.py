"""What the slate reader reports, and how it is tuned.

A read is used to name bins and shots, so a wrong name costs an editor more than a missing one:
every field carries a confidence, and a read whose naming fields fall below the threshold is
``unsure``: it keeps what was read (for search and for the "slate unsure" review list) but
``label()`` and ``setup()`` return ``""`` so nothing is ever named from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FIELDS = ("scene", "take", "roll", "slate_number", "production", "director", "camera", "date",
          "timecode")
"""Every field a read can carry, in display order."""


@dataclass(frozen=True)
class SlateField:
    """One value read off the board; ``confidence`` in [0, 1] is the least sure character's
    probability, lowered for a doubtful label match, a value of the wrong shape for its field,
    or frames that disagree."""

    value: str
    confidence: float


@dataclass(frozen=True)
class SlateConfig:
    """Where to look for a slate, how hard, and how sure a read must be to name anything."""

    head_s: float = 3.0
    """Seconds at the start of a clip searched for a head slate."""
    tail_s: float = 3.0
    """Seconds at the end searched for a tail slate (held upside down; both ways are tried)."""
    shot_s: float = 2.0
    """Seconds at the start of each given shot searched for a board (a slate mid-clip)."""
    sample_fps: float = 4.0
    """Frames a second scored by the board detector in each searched span."""
    max_reads: int = 2
    """Most frames of one span handed to OCR (the most board-like, spread over the span): the
    first, and a second to confirm one that is not near-certain."""
    min_board_score: float = 0.3
    """Detector score below which a frame is not worth reading."""
    min_shot_board_score: float = 0.6
    """Stricter bar for frames inside shots, which are many and mostly not slates."""
    confidence_threshold: float = 0.8
    """A read whose naming fields (scene or slate number, and take) are less sure than this is
    unsure. PP-OCR's character probabilities sit above 0.95 on clean print, so this passes clean
    boards and stops blurred, dim or handwritten characters the recogniser hesitated on."""
    certain: float = 0.97
    """A first frame whose naming fields all read at least this sure is taken alone; below it a
    second frame is read to confirm (OCR is the cost: one read is about a second here)."""
    agreement: float = 0.5
    """Factor on a field's confidence when the frames read disagree on its value (so a value two
    reads do not agree on never stays above the threshold)."""
    max_side: int = 960
    """Long side of the rectified board handed to OCR (the text detector's working size)."""


@dataclass(frozen=True)
class SlateRead:
    """The slate of one clip: where it was found and what it says.

    ``frame`` is 0-based in decode order and ``time_s`` seconds from the first frame's PTS (the
    conventions of ``binsight.media``), of the frame the fields were read from; ``position`` is
    ``"head"``, ``"tail"`` or ``"shot"``; ``inverted`` says the board was read upside down (a tail
    slate). ``text`` holds every OCR line, for search. ``confidence`` is the naming fields'
    (the least sure of scene-or-slate-number and take)."""

    frame: int
    time_s: float
    position: str
    inverted: bool
    scene: SlateField | None
    take: SlateField | None
    roll: SlateField | None
    slate_number: SlateField | None
    production: SlateField | None
    director: SlateField | None
    camera: SlateField | None
    date: SlateField | None
    timecode: SlateField | None
    text: tuple[str, ...]
    confidence: float
    unsure: bool

    def setup(self) -> str:
        """The camera setup the take belongs to: the scene as written (``12A`` is scene 12,
        setup A, and every take of it shares the setup), or a UK board's slate number (one slate
        number per setup); ``""`` when unsure, so no bin is ever named from a doubtful read."""
        if self.unsure:
            return ""
        if self.scene is not None:
            return self.scene.value
        return self.slate_number.value if self.slate_number is not None else ""

    def label(self) -> str:
        """``setup/take`` (``12A/3``, or ``147/2`` on a UK board), the name an assistant editor
        gives the clip; ``""`` when unsure or when either part is missing."""
        setup = self.setup()
        if not setup or self.take is None:
            return ""
        return f"{setup}/{self.take.value}"

    def scene_number(self) -> str:
        """The scene without its setup letters (``12A`` and ``A12`` are scene 12): bins group
        every setup of a scene."""
        if self.scene is None:
            return ""
        digits = re.search(r"\d+", self.scene.value)
        return digits.group(0) if digits else self.scene.value
