"""A long file cut into chunks at key frames, so several ingest workers find its shots at once,
and the chunks' per-frame scalars stitched back into exactly what one pass over the file gives.

Why stitch the scalars and not the shots: a shot, a fade or a dissolve may span a chunk boundary,
and every decision of the detector (the adaptive cut ratio, the shortest shot, fade ramps,
dissolve runs) reads frames on both sides of it. The scalars are local: a frame's depend only on
the ``FrameAnalyzer.context`` frames before it, and the dissolve test centred on it on
``dissolve_window`` frames after. So a chunk is decoded from a key frame far enough before its
first frame to warm the analyzer up, and on past its end for the dissolve test; the scalars of its
own frames then equal a whole pass's, bit for bit, and the detector runs once over the stitched
clip (milliseconds: it reads scalars, not pixels). Shots across a boundary come out whole because
no boundary is ever seen by the detector.

Frames are matched by timestamp: a chunk holds the frames shown from its key frame up to the next
chunk's. When anything disagrees (a chunk decoded with warnings, a frame without a timestamp,
fewer frames than the header promises, a chunk not starting on its key frame), ``stitch`` raises
``NotStitched`` and the caller analyses the file in one pass: a split file gives exactly what one
pass gives, or it is not split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction

import av
import av.error
import numpy as np

from binsight.errors import Cancelled
from binsight.media.shots import FrameAnalyzer, detection_of
from binsight.media.types import Detection, DetectorConfig, FrameStats, MediaInfo
from binsight.media.video import VideoStream


class NotStitched(Exception):
    """The chunks of a file do not make up what one pass would see (the message says why)."""


@dataclass(frozen=True)
class Chunk:
    """The frames of a file shown from the key frame at ``start_pts`` (None: the file's first
    frame) up to the key frame at ``end_pts`` (None: the end). Timestamps are in the video
    stream's ``time_base``; ``first_pts`` is the file's first frame, which times count from."""

    number: int
    first_pts: int
    time_base: Fraction
    start_pts: int | None
    end_pts: int | None


@dataclass(frozen=True)
class ChunkStats:
    """A chunk's per-frame scalars, or why they cannot stand for the whole pass's (``problem``)."""

    chunk: Chunk
    stats: FrameStats
    problem: str = ""


def plan(path: str, info: MediaInfo, seconds: float) -> list[Chunk]:
    """Chunks of about ``seconds`` of footage, each starting on a key frame (the one at or before
    every multiple of ``seconds``; a chunk may be longer where key frames are sparse). A file
    shorter than two chunks, or one that cannot be sought by timestamp, is one chunk."""
    whole = [Chunk(0, 0, Fraction(1), None, None)]
    if seconds <= 0 or info.duration_s < 2 * seconds:
        return whole
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError):
        return whole
    starts: list[int] = []
    with container:
        stream = container.streams.video[0]
        time_base = Fraction(stream.time_base)
        try:
            first = next(container.decode(stream), None)
        except av.error.FFmpegError:
            return whole
        if first is None or first.pts is None:
            return whole
        for i in range(1, int(info.duration_s // seconds)):
            try:
                container.seek(first.pts + round(i * seconds / time_base), stream=stream, backward=True)
                packet = next((p for p in container.demux(stream) if p.size), None)
            except av.error.FFmpegError:
                return whole
            if packet is None or not packet.is_keyframe or packet.pts is None:
                continue
            if packet.pts > (starts[-1] if starts else first.pts):
                starts.append(packet.pts)
    if not starts:
        return whole
    bounds = [None, *starts]
    return [Chunk(n, first.pts, time_base, start, end)
            for n, (start, end) in enumerate(zip(bounds, [*starts, None]))]


def analyse(path: str, info: MediaInfo, chunk: Chunk, config: DetectorConfig,
            cancelled: Callable[[], bool] | None = None) -> ChunkStats:
    """The per-frame scalars of ``chunk``'s frames, as one pass over the whole file has them.

    Decoding starts at a key frame at least ``FrameAnalyzer.context`` frames before the chunk
    (twice that in time, for variable frame rates; the seek lands on the key frame before) and
    goes ``dissolve_window`` frames past its end."""
    analyzer = FrameAnalyzer(config)
    context, after = FrameAnalyzer.context(config), config.dissolve_window
    if chunk.start_pts is None:
        stream = VideoStream(path, info)
    else:
        lead = round(2 * (context + 1) / float(info.frame_rate or 25) / chunk.time_base)
        stream = VideoStream(path, info, window=(chunk.start_pts - lead, chunk.first_pts))
    first: int | None = None
    end: int | None = None
    opening_pts: int | None = None
    last_pts: int | None = None
    problem = ""
    report_every = max(1, int(info.frame_rate))
    for decoded in stream:
        pts = decoded.frame.pts
        if pts is None or (last_pts is not None and pts <= last_pts):
            problem = f"frame {decoded.index} of the chunk has no timestamp or one out of order"
            break
        if opening_pts is None:
            opening_pts = pts
        last_pts = pts
        if first is None and pts >= (chunk.start_pts if chunk.start_pts is not None else chunk.first_pts):
            if pts != (chunk.start_pts if chunk.start_pts is not None else chunk.first_pts):
                problem = f"no frame at the chunk's key frame (timestamp {chunk.start_pts})"
                break
            first = decoded.index
        if end is None and chunk.end_pts is not None and pts >= chunk.end_pts:
            if pts != chunk.end_pts:
                problem = f"no frame at the next chunk's key frame (timestamp {chunk.end_pts})"
                break
            end = decoded.index
        if end is not None and decoded.index >= end + after:
            break
        analyzer.add(decoded)
        if cancelled is not None and decoded.index % report_every == 0 and cancelled():
            raise Cancelled(f"shot detection of {path} was cancelled")
    if not problem:
        if stream.warnings:
            problem = stream.warnings[0]
        elif first is None or (chunk.end_pts is not None and end is None):
            problem = "the decode did not reach the chunk's frames"
        elif first < context and opening_pts != chunk.first_pts:
            problem = f"only {first} frames before the chunk to warm the analysis up (needs {context})"
    if problem:
        return ChunkStats(chunk, analyzer.stats(0, 0), problem)
    return ChunkStats(chunk, analyzer.stats(first, end))


def stitch(parts: Sequence[ChunkStats], info: MediaInfo, config: DetectorConfig) -> Detection:
    """The detection of the whole file from its chunks' scalars (every chunk, any order)."""
    parts = sorted(parts, key=lambda p: p.chunk.number)
    if [p.chunk.number for p in parts] != list(range(len(parts))) or not parts:
        raise NotStitched("chunks are missing")
    for part in parts:
        if part.problem:
            raise NotStitched(f"chunk {part.chunk.number}: {part.problem}")
    stats = FrameStats.joined([p.stats for p in parts])
    if info.frame_count and len(stats) < info.frame_count:
        raise NotStitched(f"{len(stats)} frames decoded of the {info.frame_count} the header gives")
    if len(stats) > 1 and not bool(np.all(np.diff(stats.time_s) > 0)):
        raise NotStitched("frame times do not increase across the chunks")
    return detection_of(stats, config)
