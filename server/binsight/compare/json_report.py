"""The comparison as JSON: both files, the settings, every difference and the unchanged runs.

``a`` and ``b`` of a difference are [in, out] seconds from each file's first frame (out is
exclusive: where the next frame starts), or null where that side has nothing; frames and source
timecodes ride along under their own keys.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from .analysis import CutAnalysis
from .difference import Comparison, Difference, Side


def _side(label: str, side: Side | None) -> dict[str, Any]:
    if side is None:
        return {label: None, f"{label}_frames": None, f"{label}_timecode": None,
                f"{label}_keyframes": []}
    return {label: [round(side.in_s, 6), round(side.out_s, 6)],
            f"{label}_frames": [side.start, side.end],
            f"{label}_timecode": [side.tc_in, side.tc_out],
            f"{label}_keyframes": list(side.keyframes)}


def difference_dict(diff: Difference) -> dict[str, Any]:
    return {"kind": diff.kind.value, **_side("a", diff.a), **_side("b", diff.b),
            "distance": diff.distance, "at_b": diff.at_b, "head_frames": diff.head_frames,
            "tail_frames": diff.tail_frames, "note": diff.note}


def _file(analysis: CutAnalysis) -> dict[str, Any]:
    rate = analysis.frame_rate
    return {"path": analysis.path, "frames": analysis.frame_count,
            "frame_rate": f"{rate.numerator}/{rate.denominator}",
            "start_timecode": analysis.source.start_timecode,
            "drop_frame": analysis.info.drop_frame, "shots": len(analysis.shots)}


def to_json(comparison: Comparison) -> str:
    return json.dumps({
        "a": _file(comparison.a),
        "b": _file(comparison.b),
        "config": asdict(comparison.config),
        "differences": [difference_dict(d) for d in comparison.differences],
        "unchanged": [difference_dict(d) for d in comparison.unchanged],
        "warnings": list(comparison.warnings),
    }, indent=2)
