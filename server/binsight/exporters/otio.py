"""OpenTimelineIO (.otio JSON): the bins as nested SerializableCollections of Clips.

One named SerializableCollection per bin holds one Clip per shot, then its character sub-bins as
nested collections; top-level people bins (kind "character") are collections like the rest.  A clip's ``source_range`` is the shot in source timecode (OTIO's convention:
the media's ``available_range`` starts at the file's start timecode), and its media is an
ExternalReference to the file URL.  Keyframes are markers; Binsight's own fields (shot id, score,
characters, reel, exact rate, slate) go in ``metadata["binsight"]`` since OTIO rates are doubles.
OTIO's rational time holds any rate, so nothing is conformed.
"""

from __future__ import annotations

from dataclasses import asdict

import opentimelineio as otio

from binsight.bins import Bin, BinClip, BinSet
from binsight.exporters.base import ExportedFile, Exporter, ExportOptions, ExportResult, register
from binsight.exporters.naming import file_url, reel_name, safe_stem
from binsight.exporters.walk import clip_keyframes, exported_bins
from binsight.exporters.timecode import media_start_frames, rational_time, source_frames, time_range


def _clip(clip: BinClip) -> otio.schema.Clip:
    media = clip.media
    rate = media.frame_rate
    reference = otio.schema.ExternalReference(
        target_url=file_url(media.path),
        available_range=time_range(media_start_frames(media), media.duration_frames, rate),
    )
    reference.name = media.name
    out = otio.schema.Clip(
        name=clip.name,
        media_reference=reference,
        source_range=time_range(source_frames(media, clip.start_frame), clip.duration_frames, rate),
        metadata={
            "binsight": {
                "shot_id": clip.shot_id,
                "media_id": media.media_id,
                "score": clip.score,
                "characters": list(clip.characters),
                "reel": reel_name(media),
                "frame_rate": f"{rate.numerator}/{rate.denominator}",
                "drop_frame": media.drop_frame,
                "slate": asdict(clip.slate),
            }
        },
    )
    for n, frame in enumerate(clip_keyframes(clip), 1):
        out.markers.append(
            otio.schema.Marker(
                name=f"Keyframe {n}",
                marked_range=otio.opentime.TimeRange(rational_time(source_frames(media, frame), rate)),
            )
        )
    return out


def _collection(bin_: Bin) -> otio.schema.SerializableCollection:
    return otio.schema.SerializableCollection(
        name=bin_.name,
        children=[*(_clip(c) for c in bin_.clips), *(_collection(b) for b in bin_.children)],
        metadata={"binsight": {"bin_id": bin_.bin_id, "kind": str(bin_.kind)}},
    )


def build(binset: BinSet, options: ExportOptions) -> otio.schema.SerializableCollection:
    return otio.schema.SerializableCollection(
        name=options.project(binset),
        children=[_collection(b) for b in exported_bins(binset, options.include_noise)],
    )


@register
class OtioExporter(Exporter):
    format_name = "otio"
    extension = ".otio"
    description = "OpenTimelineIO JSON"

    def render(self, binset: BinSet, options: ExportOptions) -> ExportResult:
        text = otio.adapters.write_to_string(build(binset, options), adapter_name="otio_json")
        name = f"{safe_stem(options.project(binset))}{self.extension}"
        return ExportResult((ExportedFile(name, text.encode("utf-8")),))
