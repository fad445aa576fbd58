"""Which frames of a clip may hold a slate, decoded without reading the whole file.

A head slate sits in the first seconds and a tail slate in the last, so only those spans are
decoded: the head through ``VideoStream`` from the start, the tail (and the start of any shot
given) by seeking to the keyframe before it. Frames are sampled a few per second: a slate is held
for a second or more, so nothing is missed, and the board detector's cost stays per-sample.

Frame numbers follow ``binsight.media``: 0-based in decode order, times in seconds from the first
frame's PTS. After a seek, decode order is not counted, so the number is worked out from the PTS:
exactly for a constant frame rate (``round(time * rate)``), and for variable-rate footage by
counting the packets with an earlier PTS (one demux pass, no decoding).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import av
import av.error
import numpy as np

from binsight.errors import InvalidInput
from binsight.media.types import MediaInfo, Shot
from binsight.media.video import DecodedFrame, VideoStream
from binsight.slates.types import SlateConfig


@dataclass(frozen=True)
class Span:
    """A stretch of a clip to search: ``position`` is ``"head"``, ``"tail"`` or ``"shot"``."""

    position: str
    start_s: float
    end_s: float


@dataclass(frozen=True)
class Sample:
    """One sampled frame: upright BGR at display size (long side at most 1920)."""

    frame: int
    time_s: float
    image: np.ndarray


def clip_end_s(info: MediaInfo) -> float:
    """Time of the clip's end from its first frame (the header's duration, or frames over rate
    when the header has none)."""
    by_frames = float(info.frame_count / info.frame_rate) if info.frame_count else 0.0
    return max(info.duration_s, by_frames)


def spans(info: MediaInfo, shots: Sequence[Shot], config: SlateConfig) -> list[Span]:
    """Head, then tail, then the start of every shot neither already covers, in that order of
    preference. Spans never overlap, so no frame is read twice; a clip shorter than head and
    tail together is split at its middle (a board in its second half is a tail slate)."""
    end = clip_end_s(info)
    out = []
    head_end = min(config.head_s, end / 2 if config.tail_s > 0 else end)
    if config.head_s > 0:
        out.append(Span("head", 0.0, head_end))
    tail_start = max(head_end if config.head_s > 0 else 0.0, end - config.tail_s)
    if config.tail_s > 0 and tail_start < end:
        out.append(Span("tail", tail_start, end))
    for shot in shots:
        start = shot.start_s
        stop = min(shot.end_s, start + config.shot_s)
        if config.shot_s > 0 and not any(s.start_s <= start < s.end_s for s in out):
            out.append(Span("shot", start, stop))
    return out


def sample(path: str, info: MediaInfo, span: Span, fps: float,
           clock: "FrameClock") -> Iterator[Sample]:
    """Frames of ``span``, about ``fps`` a second (the first frame at or after each step)."""
    step = 1.0 / fps
    next_t = span.start_s
    frames = _from_start(path, info, span) if span.start_s <= 0 else _seek(path, info, span, clock)
    for index, time_s, decoded in frames:
        if time_s >= span.end_s - 1e-6 and span.position != "tail":
            return  # spans meet end to start: a frame on the border belongs to the next
        if time_s + 1e-6 < next_t:
            continue
        next_t = time_s + step - 0.5 / float(info.frame_rate)
        yield Sample(index, time_s, decoded.bgr(info.rotation))


def _from_start(path: str, info: MediaInfo,
                span: Span) -> Iterator[tuple[int, float, DecodedFrame]]:
    for decoded in VideoStream(path, info):
        yield decoded.index, decoded.time_s, decoded
        if decoded.time_s >= span.end_s:
            return


def _seek(path: str, info: MediaInfo, span: Span,
          clock: "FrameClock") -> Iterator[tuple[int, float, DecodedFrame]]:
    """Decode from the keyframe before ``span.start_s`` to the span's end."""
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidInput(f"{path}: cannot be opened for decoding ({exc})") from exc
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        base = stream.time_base
        first_pts = round(info.first_pts_s / base)
        target = first_pts + int(span.start_s / base)
        try:
            container.seek(target, stream=stream, backward=True, any_frame=False)
        except av.error.FFmpegError:
            container.seek(0)
        try:
            for frame in container.decode(stream):
                pts = frame.pts if frame.pts is not None else frame.dts
                if pts is None:
                    continue
                time_s = float((pts - first_pts) * base)
                if time_s < span.start_s - 1e-6:
                    continue
                index = clock.index(pts, time_s)
                yield index, time_s, DecodedFrame(index, time_s, frame, info.pixel_aspect)
                if time_s > span.end_s:
                    return
        except av.error.FFmpegError:
            return  # a damaged tail ends the span; what was decoded is kept


class FrameClock:
    """Frame numbers from PTS: arithmetic at a constant rate, a count of earlier packet PTS
    (read once per clip, on first need) at a variable one."""

    def __init__(self, path: str, info: MediaInfo) -> None:
        self.path = path
        self.info = info
        self._pts: list[int] | None = None

    def index(self, pts: int, time_s: float) -> int:
        if not self.info.variable_frame_rate:
            return max(0, round(time_s * float(self.info.frame_rate)))
        if self._pts is None:
            with av.open(self.path) as container:
                self._pts = sorted(p.pts for p in container.demux(video=0)
                                   if p.pts is not None and p.size)
        return bisect.bisect_left(self._pts, pts)
