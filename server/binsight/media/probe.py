"""Read once, with PyAV, everything an NLE export needs to relink a file to its camera original.

The first frame is decoded because two facts live only there: its PTS (an NLE puts that frame at
the clip's start, not PTS 0) and the display matrix side data (rotation) of newer FFmpeg builds.
"""

from __future__ import annotations

import itertools
import os
from fractions import Fraction
from pathlib import Path

import av
import av.error
import opentimelineio.opentime as otime

from binsight.errors import InvalidInput
from binsight.media.types import MediaInfo

_STILL_IMAGE_CODECS = {"png", "mjpeg", "jpeg2000", "bmp", "tiff", "webp", "gif", "jpegls", "qoi"}
_REEL_TAGS = ("reel_name", "reel", "tape_name", "tape", "com.apple.proapps.reel")
# AVFieldOrder values other than unknown (0) and progressive (1) mean interlaced.
_PROGRESSIVE_FIELD_ORDERS = {0, 1}
_MAX_REORDER = 16  # H.264/HEVC never reorder across more frames than this


def probe(path: str) -> MediaInfo:
    """Probe ``path``; raise InvalidInput with an actionable message when it is not usable video."""
    if not os.path.exists(path):
        raise InvalidInput(f"{path}: no such file; check the path and that the drive is mounted")
    if os.path.isdir(path):
        raise InvalidInput(f"{path}: is a folder; give the path of a video file inside it")
    if os.path.getsize(path) == 0:
        raise InvalidInput(f"{path}: the file is empty (0 bytes); the copy may have failed, copy it "
                           "again from the card or source")
    try:
        container = av.open(path)
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: not a video file FFmpeg can read ({exc}); check it plays in a "
                           "media player") from exc
    with container:
        if not container.streams.video:
            kind = "audio-only" if container.streams.audio else "without any video stream"
            raise InvalidInput(f"{path}: the file is {kind}; Binsight sorts video footage")
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        if container.format.name in ("image2", "image2pipe") or container.format.name.endswith(
                "_pipe") or (codec in _STILL_IMAGE_CODECS and (stream.frames or 0) <= 1
                             and not stream.duration):
            raise InvalidInput(f"{path}: is a still image ({codec}), not video; add stills to the "
                               "project as photos, not footage")
        return _read(path, container, stream)


def _read(path: str, container: av.container.InputContainer,
          stream: av.video.stream.VideoStream) -> MediaInfo:
    warnings: list[str] = []
    ctx = stream.codec_context
    frame_rate = Fraction(stream.average_rate or stream.guessed_rate or stream.base_rate or 0)
    if not frame_rate:
        raise InvalidInput(f"{path}: the video stream has no frame rate; re-wrap it with ffmpeg")
    first = _first_frame(container, stream)
    if first is None:
        raise InvalidInput(f"{path}: no frame could be decoded; the file is damaged or its codec "
                           f"({ctx.name}) is not supported")
    first_pts = first.pts if first.pts is not None else (stream.start_time or 0)
    rotation = _plausible_rotation(_rotation(stream, first), ctx.width, ctx.height, path, warnings)
    time_base = stream.time_base
    frame_count = stream.frames or _count_packets(path)
    if stream.duration:
        duration_s = float(stream.duration * time_base)
    elif container.duration:
        duration_s = container.duration / av.time_base
    else:
        duration_s = float(frame_count / frame_rate)
    pix_fmt = ctx.pix_fmt or first.format.name
    bit_depth = max(c.bits for c in av.VideoFormat(pix_fmt).components)
    variable = _variable_frame_rate(path, stream)
    timecode, drop_frame = _start_timecode(container, frame_rate, warnings)
    audio = container.streams.audio[0] if container.streams.audio else None
    return MediaInfo(
        path=path,
        container=container.format.name,
        codec=ctx.name,
        width=ctx.width,
        height=ctx.height,
        rotation=rotation,
        pixel_aspect=Fraction(stream.sample_aspect_ratio or 1) or Fraction(1),
        frame_rate=frame_rate,
        frame_count=frame_count,
        duration_s=duration_s,
        first_pts_s=float(first_pts * time_base),
        start_timecode=timecode,
        drop_frame=drop_frame,
        reel=_tag(container, _REEL_TAGS),
        creation_time=_tag(container, ("creation_time",)),
        has_audio=audio is not None,
        audio_channels=audio.codec_context.layout.nb_channels if audio else 0,
        audio_sample_rate=audio.codec_context.sample_rate if audio else 0,
        bit_depth=bit_depth,
        pix_fmt=pix_fmt,
        interlaced=ctx.field_order not in _PROGRESSIVE_FIELD_ORDERS or bool(first.interlaced_frame),
        variable_frame_rate=variable,
        warnings=tuple(warnings),
    )


def _first_frame(container: av.container.InputContainer,
                 stream: av.video.stream.VideoStream) -> av.VideoFrame | None:
    """First frame in decode (presentation) order; corrupt leading packets are skipped."""
    for packet in container.demux(stream):
        try:
            for frame in packet.decode():
                return frame
        except av.error.FFmpegError:
            continue
    return None


def _rotation(stream: av.video.stream.VideoStream, frame: av.VideoFrame) -> int:
    """Clockwise display rotation. FFmpeg's display matrix angle is counter-clockwise, the legacy
    ``rotate`` tag is clockwise; both end up as the rotation a player applies."""
    angle = frame.rotation
    if not angle and "rotate" in stream.metadata:
        try:
            return int(stream.metadata["rotate"]) % 360 // 90 * 90
        except ValueError:
            return 0
    return round(-angle / 90) * 90 % 360


_CINEMA_ASPECT = Fraction(2)


def _plausible_rotation(rotation: int, width: int, height: int, path: str, warnings: list[str]) -> int:
    """Honour a quarter-turn flag, except on pictures stored wider than 2:1. Phones store portrait
    video as 16:9 frames flagged 90°, and those are turned; but no camera records a portrait
    picture narrower than 1:2, so a 90° flag on a 2.35:1 film scan is a mis-tag from a transcode
    (shared/media/issue-134-rotate.mp4: its pixels are upright as stored). Keeping it as stored
    keeps thumbnails upright; the warning says the flag was ignored."""
    if rotation in (90, 270) and height and Fraction(width, height) > _CINEMA_ASPECT:
        warnings.append(f"{Path(path).name}: ignored a {rotation}° rotation flag on a {width}x{height} "
                        f"picture (wider than 2:1 is never portrait footage)")
        return 0
    return rotation


def _variable_frame_rate(path: str, stream: av.video.stream.VideoStream,
                         packets: int = 300) -> bool:
    """True when the first ``packets`` frame durations differ by more than timestamp rounding
    (headers of VFR phone footage often claim a steady rate, so the timestamps are read)."""
    base, average = stream.base_rate, stream.average_rate
    if base and average and abs(float(Fraction(base) / Fraction(average)) - 1) > 0.001:
        return True
    with av.open(path) as container:
        pts = sorted(p.pts for p in itertools.islice(container.demux(video=0), packets)
                     if p.pts is not None)
    if len(pts) == packets:  # B-frame reordering: the last few PTS of the window may be missing
        pts = pts[:-_MAX_REORDER]
    steps = [b - a for a, b in zip(pts, pts[1:])]
    if len(steps) < 2:
        return False
    # Rounding to the time base moves a step by one tick; anything more is a real change.
    return max(steps) - min(steps) > max(2, 0.1 * sorted(steps)[len(steps) // 2])


def _count_packets(path: str) -> int:
    """Frame count for containers without one in the header (MKV, MPEG-TS): demux, no decode."""
    with av.open(path) as container:
        return sum(1 for packet in container.demux(video=0) if packet.size)


def _tag(container: av.container.InputContainer, keys: tuple[str, ...]) -> str | None:
    """First of ``keys`` (case-insensitive) in the format tags, then in any stream's tags."""
    for metadata in (container.metadata, *(s.metadata for s in container.streams)):
        lowered = {k.lower(): v for k, v in metadata.items()}
        for key in keys:
            if lowered.get(key):
                return lowered[key]
    return None


def _start_timecode(container: av.container.InputContainer, rate: Fraction,
                    warnings: list[str]) -> tuple[str | None, bool]:
    """Source start timecode from the format, a tmcd/data stream or the video stream's tag.

    Drop-frame is read from the separator (';' or '.') and honoured only at 29.97 and 59.94,
    the only rates where SMPTE defines it. The value is validated and normalised by OTIO so
    no timecode arithmetic is hand-rolled; rates OTIO has no SMPTE rule for keep the raw value.
    """
    raw = _tag(container, ("timecode",))
    if raw is None or len(raw) < 11:
        return None, False
    drop = raw[-3] in ";." and _drop_frame_rate(rate)
    text = raw[:-3] + (";" if drop else ":") + raw[-2:]
    try:
        time = otime.from_timecode(text, float(rate))
        return otime.to_timecode(time, float(rate), drop_frame=drop), drop
    except ValueError as exc:
        warnings.append(f"start timecode {raw!r} kept as found, OTIO cannot check it: {exc}")
        return text, drop


def _drop_frame_rate(rate: Fraction) -> bool:
    """29.97 or 59.94, however the file spells it (30000/1001, 2997/100, ...)."""
    return rate.denominator != 1 and round(float(rate) * 1.001, 2) in (30.0, 60.0)


def timecode_to_frames(timecode: str, rate: Fraction) -> int:
    """Frame number of an SMPTE timecode at ``rate`` (drop-frame when it has ';'), via OTIO."""
    return round(otime.from_timecode(timecode, float(rate)).to_frames(float(rate)))


def frames_to_timecode(frames: int, rate: Fraction, drop_frame: bool) -> str:
    """SMPTE timecode of a frame count at ``rate`` via OTIO (';' before frames when drop-frame)."""
    return otime.to_timecode(otime.RationalTime(frames, float(rate)), float(rate),
                             drop_frame=drop_frame)
