"""Neutral markers: one per difference, on B's timeline, for a panel to place.

Nothing here knows Resolve; the fields are the ones ``Timeline.AddMarker(frameId, color, name,
note, duration, customData)`` takes (frame counted from the timeline's first frame, colour by
name). The colours are ones Resolve's marker palette and OTIO's ``MarkerColor`` both have, so
an OTIO or EDL round trip keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass

from .difference import Comparison, Difference, Kind

COLOURS: dict[Kind, str] = {
    Kind.INSERTED: "Green",
    Kind.DELETED: "Red",
    Kind.MOVED: "Blue",
    Kind.REPLACED: "Yellow",
    Kind.CHANGED: "Cyan",
    Kind.TRIMMED: "Pink",
    Kind.UNCHANGED: "Purple",
}
CUSTOM_DATA_PREFIX = "binsight-compare:"
"""Every marker's customData starts with this, so a panel can find and clear its own markers."""


@dataclass(frozen=True)
class Marker:
    frame: int  # B frame, 0 = B's first frame
    colour: str  # a colour name from COLOURS
    name: str
    note: str
    duration: int  # frames, at least 1
    custom_data: str


def describe(diff: Difference) -> str:
    """One line saying where a difference lies in both files (source timecode, frames)."""
    parts = []
    for label, side in (("A", diff.a), ("B", diff.b)):
        if side is not None:
            parts.append(f"{label} {side.tc_in}-{side.tc_out} ({side.frames} fr)")
    parts.append(f"distance {diff.distance:.3f}")
    if diff.note:
        parts.append(diff.note)
    return "; ".join(parts)


def title(diff: Difference) -> str:
    return diff.kind.value.capitalize()


def markers(comparison: Comparison) -> list[Marker]:
    out = []
    for index, diff in enumerate(comparison.differences):
        duration = diff.b.frames if diff.b is not None else 1
        frame = min(diff.at_b, max(0, comparison.b.frame_count - 1))
        out.append(Marker(frame=frame, colour=COLOURS[diff.kind], name=title(diff),
                          note=describe(diff), duration=max(1, duration),
                          custom_data=f"{CUSTOM_DATA_PREFIX}{index}"))
    return out
