"""One OCR page of a board into slate fields: labels found, values placed, each judged.

A page is called a slate only on evidence a title card, a page of script or a burnt-in counter
does not give: labels of two different slate fields (``SCENE`` and ``TAKE``), or one label and a
running timecode, or, on a board with clapper stripes, any one label, a timecode or a few lines
of writing (a board too dim or blurred for its labels: an unsure read, listed for review).
"""

from __future__ import annotations

from dataclasses import dataclass

from binsight.slates import fields, layout
from binsight.slates.ocr import OcrPage
from binsight.slates.types import SlateField


@dataclass(frozen=True)
class PageRead:
    """The fields one page gives, with how many slate labels were found on it."""

    fields: tuple[tuple[str, SlateField], ...]
    places: tuple[tuple[str, tuple[float, float, float, float]], ...]
    """Where each field's value is written on the page: (left, top, right, bottom)."""
    labels: int
    text: tuple[str, ...]
    inverted: bool
    score: float

    def get(self, name: str) -> SlateField | None:
        return next((f for n, f in self.fields if n == name), None)

    def place(self, name: str) -> tuple[float, float, float, float] | None:
        return next((p for n, p in self.places if n == name), None)


def parse_page(page: OcrPage, striped: bool = False) -> PageRead | None:
    """The slate on ``page``, or None when the page carries no slate evidence."""
    items = [part for token in layout.tokens(page) for part in layout.split_glued(token)]
    labels, values = layout.find_labels(items)
    found: dict[str, SlateField] = {}
    places: dict[str, tuple[float, float, float, float]] = {}
    for value in layout.associate(labels, values, page):
        judged = fields.judge(value)
        if judged is not None and (value.field not in found or
                                   judged.confidence > found[value.field].confidence):
            found[value.field] = judged
            places[value.field] = value.box()
    timecode = fields.find_timecode(values)
    if timecode is not None:
        found["timecode"] = timecode
    named = {label.field for label in labels if label.field != "other"}
    evidence = len(named) >= 2 or (len(named) >= 1 and timecode is not None) or \
        (striped and (len(named) >= 1 or timecode is not None or len(page.lines) >= 3))
    if not evidence:
        return None
    return PageRead(tuple(found.items()), tuple(places.items()), len(named),
                    tuple(line.text for line in page.lines), page.inverted, page.score)
