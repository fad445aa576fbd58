"""Keyframes: which frames represent a shot, and getting them out of the decode.

Choice is made from the detection pass's per-frame scalars (no pixels): a static shot is
represented by its median frame, a moving shot by start, middle and end; every pick is moved to
the sharpest frame (variance of the Laplacian) within a few frames, and never lands inside a
transition (fade ramp, dissolve) when the shot has frames outside it. Only the chosen frames are
converted to full-size BGR, so memory holds one shot's samples at a time.

An ingest decodes a file once: ``FramePicker`` rides along shot detection, holding the newest
decoded frames and picking a shot's frames as soon as detection has seen it end;
``seek_samples`` decodes again only what it could not (frames shed from the budget, predictions
the whole-clip detection overturned). ``sample_frames`` is the plain second pass.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import av
import av.error
import numpy as np

from binsight.media.shots import FrameAnalyzer, SettledShots
from binsight.media.types import Boundary, Detection, DetectorConfig, FrameSample, MediaInfo, Shot
from binsight.media.video import MAX_DISPLAY_SIDE, DecodedFrame, VideoStream


@dataclass(frozen=True)
class KeyframeConfig:
    """How keyframes are picked."""

    sharpness_window: int = 4
    """Frames searched each side of a pick for a sharper one (motion blur lasts a few frames)."""
    moving_positions: tuple[float, ...] = (0.1, 0.5, 0.9)
    """Where in a moving shot the start/middle/end keyframes sit, as fractions of its usable
    frames; inset from the ends so a pick is not a frame away from a cut."""
    max_side: int = MAX_DISPLAY_SIDE
    """Long side of the images handed on; larger sources are downscaled to it."""
    hold_mb: int = 512
    """Decoded frames an ingest holds while detection decides where shots end (what a shot picks
    is known only then); older frames are shed and, when picked after all, decoded again by
    seeking. 512 MB is about 6 s of 1080p25 or 1.5 s of 4K."""


@dataclass(frozen=True)
class Pick:
    frame: int
    is_keyframe: bool


def choose_frames(shot: Shot, detection: Detection, config: KeyframeConfig,
                  extra_samples: int = 0) -> list[Pick]:
    """Frames to keep for ``shot``: keyframes first, then up to ``extra_samples`` extras."""
    sharpness = detection.frame_stats.sharpness if detection.frame_stats is not None else None
    return pick_frames(shot, detection.boundaries, sharpness, config, extra_samples)


def pick_frames(shot: Shot, boundaries: list[Boundary], sharpness: np.ndarray | None, config: KeyframeConfig,
                extra_samples: int = 0) -> list[Pick]:
    """``choose_frames`` from the transitions and per-frame sharpness (indexed by clip frame)
    known so far, as an ingest picks frames while the decode is still running."""
    usable = _usable_frames(shot, boundaries)
    positions = config.moving_positions if shot.moving else (0.5,)
    taken: list[int] = []
    picks = [Pick(f, True) for f in _refine(
        [_at(usable, p) for p in positions], usable, sharpness, config, taken)]
    extra_positions = [(j + 0.5) / extra_samples for j in range(extra_samples)]
    picks += [Pick(f, False) for f in _refine(
        [_at(usable, p) for p in extra_positions], usable, sharpness, config, taken)]
    return picks


def _usable_frames(shot: Shot, boundaries: list[Boundary]) -> np.ndarray:
    """Shot frames outside every transition span; all of the shot if none is left."""
    frames = np.arange(shot.start_frame, shot.end_frame)
    inside = np.zeros(frames.size, dtype=bool)
    for b in boundaries:
        if b.first_frame < shot.end_frame and b.last_frame >= shot.start_frame:
            inside |= (frames >= b.first_frame) & (frames <= b.last_frame)
    return frames[~inside] if not inside.all() else frames


def _at(usable: np.ndarray, fraction: float) -> int:
    return int(usable[min(usable.size - 1, int(fraction * usable.size))])


def _refine(targets: list[int], usable: np.ndarray, sharpness: np.ndarray | None,
            config: KeyframeConfig, taken: list[int]) -> list[int]:
    """Move each target to the sharpest usable frame not yet ``taken`` within the sharpness
    window, narrowed to half the spacing of the targets so picks stay spread over the shot.
    Targets with no free frame in reach are dropped. Appends the picks to ``taken``."""
    radius = config.sharpness_window
    if len(targets) > 1:
        radius = min(radius, max(0, usable.size // (2 * len(targets))))
    out: list[int] = []
    for target in targets:
        near = usable[(np.abs(usable - target) <= radius) & ~np.isin(usable, taken)]
        if near.size == 0:
            continue
        if sharpness is None:
            best = int(near[np.argmin(np.abs(near - target))])
        else:
            best = int(near[np.argmax(sharpness[near])])
        out.append(best)
        taken.append(best)
    return out


def sample_frames(path: str, info: MediaInfo, detection: Detection,
                  config: KeyframeConfig | None = None,
                  extra_samples: int = 0) -> Iterator[list[FrameSample]]:
    """Yield, shot by shot in order, that shot's keyframes then its extra samples.

    One sequential decode: frames that are not picked are decoded but never converted, so the
    cost is decoding plus a few colour conversions. A shot whose frames were not reached (the
    file ended early) yields an empty list, keeping the one-list-per-shot contract.
    """
    config = config or KeyframeConfig()
    picks = [choose_frames(shot, detection, config, extra_samples) for shot in detection.shots]
    wanted = {p.frame: (i, p.is_keyframe) for i, shot_picks in enumerate(picks)
              for p in shot_picks}
    remaining = [len(p) for p in picks]
    found: list[list[FrameSample]] = [[] for _ in picks]
    sharpness = detection.frame_stats.sharpness if detection.frame_stats is not None else None
    next_shot = 0
    for decoded in VideoStream(path, info):
        hit = wanted.get(decoded.index)
        if hit is None:
            continue
        shot_index, is_keyframe = hit
        found[shot_index].append(FrameSample(
            shot_index=shot_index, frame=decoded.index, time_s=decoded.time_s,
            image=decoded.bgr(info.rotation, config.max_side),
            sharpness=float(sharpness[decoded.index]) if sharpness is not None else 0.0,
            is_keyframe=is_keyframe))
        remaining[shot_index] -= 1
        while next_shot < len(picks) and remaining[next_shot] == 0:
            yield _ordered(found[next_shot])
            found[next_shot] = []
            next_shot += 1
        if next_shot == len(picks):
            return
    for shot_index in range(next_shot, len(picks)):
        yield _ordered(found[shot_index])


def _ordered(samples: list[FrameSample]) -> list[FrameSample]:
    """Keyframes first (in frame order), then extras (in frame order)."""
    return sorted(samples, key=lambda s: (not s.is_keyframe, s.frame))


def _sample(decoded: DecodedFrame, shot_index: int, pick: Pick, info: MediaInfo, config: KeyframeConfig,
            sharpness: np.ndarray | None) -> FrameSample:
    return FrameSample(shot_index=shot_index, frame=decoded.index, time_s=decoded.time_s,
                       image=decoded.bgr(info.rotation, config.max_side),
                       sharpness=float(sharpness[decoded.index]) if sharpness is not None else 0.0,
                       is_keyframe=pick.is_keyframe)


class HeldFrames:
    """The newest decoded frames of a running decode, within a byte budget: frames past it are
    shed oldest first, and so are frames before a point the caller no longer needs."""

    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self._frames: deque[tuple[DecodedFrame, int]] = deque()
        self._by_index: dict[int, DecodedFrame] = {}
        self._bytes = 0
        self.shed = 0  # frames dropped for the budget (not released)

    def add(self, decoded: DecodedFrame) -> None:
        size = sum(plane.buffer_size for plane in decoded.frame.planes)
        self._frames.append((decoded, size))
        self._by_index[decoded.index] = decoded
        self._bytes += size
        while self._bytes > self.budget and len(self._frames) > 1:
            self._drop()
            self.shed += 1

    def release_before(self, frame: int) -> None:
        while self._frames and self._frames[0][0].index < frame:
            self._drop()

    def get(self, frame: int) -> DecodedFrame | None:
        return self._by_index.get(frame)

    def clear(self) -> None:
        """Let every frame go (their shots' samples are taken)."""
        self._frames.clear()
        self._by_index.clear()
        self._bytes = 0

    def _drop(self) -> None:
        decoded, size = self._frames.popleft()
        del self._by_index[decoded.index]
        self._bytes -= size


ShotFrames = Callable[[Shot, list[FrameSample]], None]
"""Told a shot settled during detection (``index`` -1, clip frame numbers) and its samples
(keyframes first), when all of them were still held."""


class FramePicker:
    """Shot detection's companion in an ingest's one decode: it holds the frames decoded since
    the last settled shot (``KeyframeConfig.hold_mb``), and each second of footage asks
    :class:`SettledShots` which shots have ended; a settled shot's picks are converted from the
    held frames and handed to ``on_shot`` while detection goes on, then released. Predictions are
    checked by the caller against the whole-clip detection (``pick_frames`` of the final shot);
    what was shed or mispredicted is decoded again by ``seek_samples``."""

    def __init__(self, info: MediaInfo, detector: DetectorConfig, config: KeyframeConfig,
                 extra_samples: int, on_shot: ShotFrames) -> None:
        self.info = info
        self.config = config
        self.extra_samples = extra_samples
        self.on_shot = on_shot
        self.analyzer = FrameAnalyzer(detector)
        self.held = HeldFrames(config.hold_mb << 20)
        self._settled = SettledShots(detector, self.analyzer)
        self._poll_every = max(1, int(info.frame_rate))
        self.predicted = 0  # shots handed on during detection

    def observe(self, decoded: DecodedFrame) -> None:
        """Detection's per-frame observer (runs after the analyzer has seen the frame)."""
        self.held.add(decoded)
        if decoded.index % self._poll_every == self._poll_every - 1:
            self._hand_on()

    def _hand_on(self) -> None:
        shots, boundaries = self._settled.poll()
        if not shots:
            return
        sharpness = self.analyzer.stats().sharpness
        for shot in shots:
            picks = pick_frames(shot, boundaries, sharpness, self.config, self.extra_samples)
            held = [self.held.get(p.frame) for p in picks]
            if picks and all(d is not None for d in held):
                samples = [_sample(d, -1, p, self.info, self.config, sharpness) for d, p in zip(held, picks)]
                self.on_shot(shot, _ordered(samples))
                self.predicted += 1
        self.held.release_before(self._settled.settled_upto)


def seek_samples(path: str, info: MediaInfo, detection: Detection, wanted: dict[int, list[Pick]],
                 config: KeyframeConfig, held: HeldFrames | None = None) -> Iterator[tuple[int, list[FrameSample]]]:
    """Samples of the shots in ``wanted`` (shot index -> its picks), in shot order: from the held
    frames where they still are, else decoded by seeking to the nearest key frame before each
    (frames are matched by their timestamps against the detection pass's); a sequential decode
    finds any a seek could not (a file without timestamps, a bad index)."""
    stats = detection.frame_stats
    assert stats is not None
    sharpness = stats.sharpness
    found: dict[int, DecodedFrame | FrameSample] = {}
    for picks in wanted.values():
        for p in picks:
            decoded = held.get(p.frame) if held is not None else None
            if decoded is not None:
                found[p.frame] = _sample(decoded, -1, p, info, config, sharpness)
    kinds = {p.frame: p for picks in wanted.values() for p in picks}
    missing = sorted(set(kinds) - set(found))
    if missing:
        found.update(_seek(path, info, stats.time_s, missing, kinds, config, sharpness))
        rest = sorted(set(kinds) - set(found))
        if rest:
            targets = set(rest)
            for decoded in VideoStream(path, info):
                if decoded.index in targets:
                    found[decoded.index] = _sample(decoded, -1, kinds[decoded.index], info, config, sharpness)
                    targets.discard(decoded.index)
                    if not targets:
                        break
    for shot_index in sorted(wanted):
        samples = [found[p.frame] for p in wanted[shot_index] if p.frame in found]
        yield shot_index, _ordered([replace(s, shot_index=shot_index) for s in samples])


_SEEK_GAP_S = 2.0
"""A wanted frame this close after the last decoded one is reached by decoding on, not seeking."""


def _seek(path: str, info: MediaInfo, time_s: np.ndarray, frames: list[int], kinds: dict[int, Pick],
          config: KeyframeConfig, sharpness: np.ndarray) -> dict[int, FrameSample]:
    out: dict[int, FrameSample] = {}
    try:
        container = av.open(path)
    except (av.error.FFmpegError, OSError):
        return out
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        num, den = stream.time_base.numerator, stream.time_base.denominator
        try:
            first = next(container.decode(stream))
        except (StopIteration, av.error.FFmpegError):
            return out
        first_pts = first.pts
        if first_pts is None:
            return out
        pending = deque(frames)
        while pending:
            target = pending[0]
            try:
                container.seek(first_pts + round(float(time_s[target]) * den / num), stream=stream,
                               backward=True)
                decoded_frames = container.decode(stream)
                for frame in decoded_frames:
                    if frame.pts is None:
                        return out
                    t = (frame.pts - first_pts) * num / den
                    j = int(np.searchsorted(time_s, t - 1e-6))
                    if j >= len(time_s) or abs(float(time_s[j]) - t) > 1e-6:
                        continue
                    while pending and pending[0] < j:
                        pending.popleft()  # never seen after the seek: left to the sequential pass
                    if pending and pending[0] == j:
                        pending.popleft()
                        out[j] = _sample(DecodedFrame(j, float(time_s[j]), frame, info.pixel_aspect), -1,
                                         kinds[j], info, config, sharpness)
                        # far to the next one: seek again. Only after a frame was taken: on the way
                        # from a key frame to the target the gap may be long (sparse key frames),
                        # and seeking again would land on the same key frame for ever
                        if pending and time_s[pending[0]] - t > _SEEK_GAP_S:
                            break
                    if not pending:
                        break
                else:
                    return out
            except av.error.FFmpegError:
                return out
    return out
