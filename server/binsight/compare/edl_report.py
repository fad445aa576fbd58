"""The change list as a CMX 3600 EDL: one event per difference, laid end to end from
01:00:00:00 at B's rate, so an editor can scrub through every change as a sequence.

Each event cuts in the material that changed: B's frames, or A's for a deletion (the material
that is gone). A ``* LOC:`` locator at the event's record in carries the kind and colour (OTIO's
cmx_3600 reader turns it into a marker), ``* FROM CLIP NAME:`` and ``* SOURCE FILE:`` name the
source as the bin exporter writes them, and ``* COMMENT:`` says where the change lies in both
files. Reels follow the bin exporter's 8-character rule.
"""

from __future__ import annotations

from fractions import Fraction

from binsight.exporters.naming import one_line, reel_name
from binsight.exporters.edl import RECORD_START, edl_reel
from binsight.exporters.timecode import frames_to_timecode, media_start_frames, timecode_to_frames

from .analysis import CutAnalysis
from .difference import Comparison, Difference
from .markers import COLOURS, describe


def _source(comparison: Comparison, diff: Difference) -> tuple[CutAnalysis, int, int]:
    """The file an event cuts from and its frame range in B's rate (A frames are re-timed when
    the two versions differ in rate, so record and source durations agree)."""
    if diff.b is not None:
        return comparison.b, diff.b.start, diff.b.end
    a, b = comparison.a, comparison.b
    assert diff.a is not None
    scale = Fraction(b.frame_rate) / Fraction(a.frame_rate)
    return a, round(diff.a.start * scale), max(round(diff.a.start * scale) + 1,
                                                round(diff.a.end * scale))


def to_edl(comparison: Comparison) -> str:
    b = comparison.b
    rate, drop = b.frame_rate, b.info.drop_frame
    lines = [f"TITLE: {one_line(f'Changes {comparison.a.source.name} to {b.source.name}')}",
             "FCM: DROP FRAME" if drop else "FCM: NON-DROP FRAME", ""]
    record = timecode_to_frames(RECORD_START, rate, drop)
    for number, diff in enumerate(comparison.differences, 1):
        analysis, start, end = _source(comparison, diff)
        media = analysis.source
        origin = (media_start_frames(media) if analysis is b
                  else round(media_start_frames(media) * Fraction(rate) / media.frame_rate))
        src_in = frames_to_timecode(origin + start, rate, drop)
        src_out = frames_to_timecode(origin + end, rate, drop)
        rec_in = frames_to_timecode(record, rate, drop)
        record += end - start
        rec_out = frames_to_timecode(record, rate, drop)
        reel = edl_reel(reel_name(media))
        lines.append(f"{number:03d}  {reel:<8} V     C        {src_in} {src_out} {rec_in} {rec_out}")
        lines.append(f"* FROM CLIP NAME: {one_line(media.name)}")
        lines.append(f"* SOURCE FILE: {one_line(media.path)}")
        lines.append(f"* LOC: {rec_in} {COLOURS[diff.kind].upper():<7} {diff.kind.value.upper()}")
        lines.append(f"* COMMENT: {one_line(describe(diff))}")
        lines.append("")
    return "\r\n".join(lines)
