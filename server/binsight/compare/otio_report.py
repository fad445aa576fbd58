"""The comparison as OpenTimelineIO: a timeline holding B on one video track, with the
neutral markers (:mod:`markers`: colour by kind, B's range as the marked range, a single frame
where A material was removed) on that track and each difference's details under
``metadata["binsight"]``."""

from __future__ import annotations

import opentimelineio as otio

from binsight.exporters.naming import file_url
from binsight.exporters.timecode import media_start_frames, time_range

from .difference import Comparison
from .json_report import difference_dict
from .markers import markers


def build(comparison: Comparison) -> otio.schema.Timeline:
    b = comparison.b
    media = b.source
    rate = media.frame_rate
    available = time_range(media_start_frames(media), b.frame_count, rate)
    reference = otio.schema.ExternalReference(target_url=file_url(media.path),
                                              available_range=available)
    reference.name = media.name
    clip = otio.schema.Clip(name=media.name, media_reference=reference, source_range=available)
    track = otio.schema.Track(name=f"B: {media.name}", kind=otio.schema.TrackKind.Video)
    track.append(clip)
    for diff, neutral in zip(comparison.differences, markers(comparison)):
        marker = otio.schema.Marker(
            name=neutral.name, marked_range=time_range(neutral.frame, neutral.duration, rate),
            color=neutral.colour.upper(), metadata={"binsight": difference_dict(diff)})
        marker.comment = neutral.note
        track.markers.append(marker)
    timeline = otio.schema.Timeline(name=f"Changes {comparison.a.source.name} to {media.name}")
    timeline.tracks.append(track)
    timeline.metadata["binsight"] = {"a": comparison.a.path, "b": b.path}
    return timeline


def to_otio(comparison: Comparison) -> str:
    return otio.adapters.write_to_string(build(comparison), adapter_name="otio_json")
