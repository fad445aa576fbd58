"""bins.json: the whole sort as plain JSON, for ``binsight run --out DIR`` and scripts.

Frames are the ground truth (source frames from the file's first frame, out exclusive); the
timecodes beside them are the same positions in the file's own timecode, and rates are exact
"num/den" strings, so a reader never has to guess 23.976 from 23.98. Top-level bins of kind
"character" are the project-wide people bins. A source whose rate some format has to conform
(or leave out) says so in ``conformed_rate`` (format -> the "num/den" it is written at, or null
when that format leaves it out) and ``conform_notes``.
"""

from __future__ import annotations

import json
from dataclasses import asdict

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, register
from binsight.exporters.conform import RULES, conform_note, rate_text
from binsight.exporters.naming import file_url, reel_name
from binsight.exporters.timecode import source_timecode
from binsight.exporters.walk import clip_keyframes, exported_bins, media_of

FILE_NAME = "bins.json"
SCHEMA_VERSION = 1


def _media(media: SourceMedia) -> dict[str, object]:
    rate = media.frame_rate
    return {
        "media_id": media.media_id,
        "path": media.path,
        "url": file_url(media.path),
        "name": media.name,
        "frame_rate": f"{rate.numerator}/{rate.denominator}",
        "drop_frame": media.drop_frame,
        "start_timecode": source_timecode(media, 0),
        "reel": reel_name(media),
        "width": media.width,
        "height": media.height,
        "duration_frames": media.duration_frames,
        **_conform(media),
    }


def _conform(media: SourceMedia) -> dict[str, object]:
    rates = {fmt: rule.nearest(media.frame_rate) for fmt, rule in RULES.items()}
    changed = {fmt: (rate_text(r) if r is not None else None) for fmt, r in rates.items() if r != media.frame_rate}
    if not changed:
        return {}
    return {"conformed_rate": changed, "conform_notes": [conform_note(media, RULES[fmt]) for fmt in changed]}


def _shot(clip: BinClip) -> dict[str, object]:
    media = clip.media
    return {
        "shot_id": clip.shot_id,
        "name": clip.name,
        "media_id": media.media_id,
        "source_in_frame": clip.start_frame,
        "source_out_frame": clip.end_frame,
        "source_in_timecode": source_timecode(media, clip.start_frame),
        "source_out_timecode": source_timecode(media, clip.end_frame),
        "duration_frames": clip.duration_frames,
        "keyframes": [{"frame": k, "timecode": source_timecode(media, k)} for k in clip_keyframes(clip)],
        "score": clip.score,
        "characters": list(clip.characters),
        "slate": asdict(clip.slate),
    }


def _bin(bin_: Bin) -> dict[str, object]:
    return {
        "bin_id": bin_.bin_id,
        "name": bin_.name,
        "kind": str(bin_.kind),
        "shots": [_shot(c) for c in bin_.clips],
        "children": [_bin(b) for b in bin_.children],
    }


def build(binset: BinSet, options: ExportOptions) -> dict[str, object]:
    bins = exported_bins(binset, options.include_noise)
    return {
        "schema_version": SCHEMA_VERSION,
        "project": options.project(binset),
        "media": [_media(m) for m in media_of(bins)],
        "bins": [_bin(b) for b in bins],
    }


@register
class BinsJsonExporter(Exporter):
    format_name = "bins_json"
    extension = ".json"
    description = "bins.json (Binsight's own, for scripts and `binsight run --out`)"

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        text = json.dumps(build(binset, options), indent=2, ensure_ascii=False) + "\n"
        return ExportResult((ExportedFile(FILE_NAME, text.encode("utf-8")),))
