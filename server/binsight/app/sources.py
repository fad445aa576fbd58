"""A stored file as the exporters and timecode helpers see it (``bins.SourceMedia``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..bins import SourceMedia
from ..exporters.timecode import nle_rate
from ..records import MediaRecord


@lru_cache(maxsize=4096)  # views ask once per shot; a record is immutable
def source_media(m: MediaRecord) -> SourceMedia:
    width, height = m.display_size
    return SourceMedia(media_id=m.media_id, path=m.path, name=Path(m.path).name, frame_rate=nle_rate(m.frame_rate),
                       drop_frame=m.drop_frame, start_timecode=m.start_timecode or "00:00:00:00", reel=m.reel or None,
                       width=width, height=height, duration_frames=m.frame_count, has_audio=m.has_audio,
                       audio_channels=m.audio_channels, audio_sample_rate=m.audio_sample_rate)
