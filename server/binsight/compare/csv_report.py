"""The change list as CSV: one row per difference, both sides in frames, seconds and source
timecode, for a spreadsheet or an assistant's checklist."""

from __future__ import annotations

import csv
import io

from .difference import Comparison, Side

COLUMNS = ("number", "kind", "a_in_frame", "a_out_frame", "b_in_frame", "b_out_frame",
           "a_in_s", "a_out_s", "b_in_s", "b_out_s", "a_tc_in", "a_tc_out", "b_tc_in", "b_tc_out",
           "distance", "head_frames", "tail_frames", "a_keyframe", "b_keyframe", "note")


def _cells(side: Side | None) -> dict[str, object]:
    if side is None:
        return {}
    return {"in_frame": side.start, "out_frame": side.end, "in_s": f"{side.in_s:.6f}",
            "out_s": f"{side.out_s:.6f}", "tc_in": side.tc_in, "tc_out": side.tc_out,
            "keyframe": side.keyframes[0] if side.keyframes else ""}


def to_csv(comparison: Comparison) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for number, diff in enumerate(comparison.differences, 1):
        row: dict[str, object] = {"number": number, "kind": diff.kind.value,
                                  "distance": f"{diff.distance:.4f}",
                                  "head_frames": diff.head_frames,
                                  "tail_frames": diff.tail_frames, "note": diff.note}
        for label, side in (("a", diff.a), ("b", diff.b)):
            row.update({f"{label}_{key}": value for key, value in _cells(side).items()})
        writer.writerow(row)
    return buffer.getvalue()
