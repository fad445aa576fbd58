"""bins.json: the whole sort as plain JSON, for ``binsight run --out DIR`` and scripts.

Frames are the ground truth (source frames from the file's first frame, out exclusive); the
timecodes beside them are the same positions in the file's own timecode, and rates are exact
"num/den" strings, so a reader never has to guess 23.976 from 23.98.
"""

from __future__ import annotations

import json
from pathlib import Path

from binsight.bins import Bin, BinClip, BinSet, SourceMedia
from binsight.exporters import (
    ExportOptions,
    Exporter,
    clip_keyframes,
    exported_bins,
    file_url,
    media_of,
    reel_name,
    register,
)
from binsight.exporters.timecode import source_timecode

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
    }


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
    }


def _bin(bin_: Bin) -> dict[str, object]:
    return {
        "bin_id": bin_.bin_id,
        "name": bin_.name,
        "kind": bin_.kind,
        "shots": [_shot(c) for c in bin_.clips],
        "children": [_bin(b) for b in bin_.children],
    }


def build(binset: BinSet, options: ExportOptions) -> dict[str, object]:
    bins = exported_bins(binset, options)
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

    def write(self, binset: BinSet, out_dir: Path, options: ExportOptions) -> list[Path]:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / FILE_NAME
        path.write_text(json.dumps(build(binset, options), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return [path]
