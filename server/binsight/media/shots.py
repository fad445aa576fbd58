"""Shot detection: hard cuts, fades through black or white, dissolves, black gaps.

One decode pass (PyAV, Y/U/V planes read directly, nothing converted to RGB) reduces every frame to
a handful of scalars (:class:`FrameStats`); memory stays flat whatever the clip length because the
only per-frame storage is those scalars plus a short ring of thumbnail-sized planes for the
dissolve test. Detectors then work on the scalars, in the PySceneDetect spirit of one small class
per kind of transition behind one interface (:class:`SceneDetector`).

Reported boundary frame (how a :class:`Boundary` is scored against hand-checked truth): its
``frame`` property, the middle of the transition. A cut ``(N-1, N)`` reports ``N``, the first frame
of the new shot; a fade through black reports the middle of [fade-out start, fade-in end] (inside
the black gap); a dissolve reports the middle of its cross-fade.
"""

from __future__ import annotations

import array
import math
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import replace

import cv2
import numpy as np

from binsight.errors import Cancelled
from binsight.media.types import Boundary, BoundaryKind, Detection, DetectorConfig, FrameStats, MediaInfo, Shot
from binsight.media.video import DecodedFrame, VideoStream


class FrameAnalyzer:
    """Reduces each decoded frame to the scalars of :class:`FrameStats`, streaming."""

    _FIELDS = ("time_s", "luma", "change", "sharpness", "blend_change",
               "blend_residual", "recall", "blend_unexplained")

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self._columns = {name: array.array("d") for name in self._FIELDS}
        self._ring: deque[np.ndarray] = deque(maxlen=self.context(config))
        # Per-frame work is a few microseconds of OpenCV on thumbnails, so Python overhead
        # (attribute and dict lookups) is a fair share of it: bind what add() uses once.
        self._append = tuple(self._columns[name].append for name in self._FIELDS)
        self._blend_change = self._columns["blend_change"]
        self._blend_residual = self._columns["blend_residual"]
        self._blend_unexplained = self._columns["blend_unexplained"]
        self._y_shape: tuple[int, int] = (0, 0)
        self._window: np.ndarray | None = None
        self._chroma_width = max(1, config.analysis_width // 2)
        self._recall_lags = range(2, config.min_shot_frames + 1)
        self._frames = 0
        self._last_change = 0.0

    @staticmethod
    def context(config: DetectorConfig) -> int:
        """Frames before a frame that its scalars depend on: an analyzer that has seen this many
        frames before frame i gives frame i the scalars a whole pass does (a chunk of a long file
        is analysed from that far back). The dissolve test centred on c also needs
        ``dissolve_window`` frames after c."""
        return max(2 * config.dissolve_window + 1, config.min_shot_frames + 1)

    def add(self, decoded: DecodedFrame) -> None:
        cfg = self.config
        y, u, v, full_range = decoded.planes()
        y_sharp = shrink(y, cfg.sharpness_width)
        y_small = shrink(y_sharp, cfg.analysis_width).astype(np.float32)
        if not full_range:  # video range 16-235 -> display 0-255
            y_small = np.clip((y_small - 16.0) * (255.0 / 219.0), 0.0, 255.0)
        chroma_width = self._chroma_width
        self._y_shape = y_small.shape
        feature = np.concatenate((y_small.ravel(),
                                  shrink(u, chroma_width).ravel().astype(np.float32),
                                  shrink(v, chroma_width).ravel().astype(np.float32)))
        ring = self._ring
        # Changes are mean absolute differences; cv2.norm is several times faster than numpy on
        # vectors this small.
        size = feature.size
        change = cv2.norm(feature, ring[-1], cv2.NORM_L1) / size if ring else 0.0
        # Only a frame that can be a cut is ever asked whether the picture came back.
        recall = math.inf
        if change >= cfg.cut_threshold and len(ring) >= 2:
            recall = min((cv2.norm(feature, ring[-lag], cv2.NORM_L1) / size
                          for lag in self._recall_lags if lag <= len(ring)), default=math.inf)
        time_a, luma_a, change_a, sharp_a, blend_a, residual_a, recall_a, unexpl_a = self._append
        time_a(decoded.time_s)
        luma_a(cv2.mean(y_small)[0])
        change_a(change)
        sharp_a(cv2.meanStdDev(cv2.Laplacian(y_sharp, cv2.CV_16S))[1][0, 0] ** 2)
        blend_a(0.0)
        residual_a(0.0)
        recall_a(recall)
        unexpl_a(1.0)
        ring.append(feature)
        self._frames += 1
        self._last_change = change
        k = cfg.dissolve_window
        if len(ring) >= 2 * k + 1:
            first, centre, last = ring[-2 * k - 1], ring[-k - 1], ring[-1]
            c = self._frames - 1 - k
            blend_change = cv2.norm(last, first, cv2.NORM_L1) / size
            blend_residual = cv2.norm(centre, (first + last) * 0.5, cv2.NORM_L1) / size
            self._blend_change[c] = blend_change
            self._blend_residual[c] = blend_residual
            # The costlier motion check runs only where the cheap tests see a dissolve.
            if (blend_change >= cfg.dissolve_min_change
                    and blend_residual <= cfg.dissolve_max_residual * blend_change):
                self._blend_unexplained[c] = self._unexplained(first, last)

    def _unexplained(self, first: np.ndarray, last: np.ndarray) -> float:
        """Fraction of the luma difference between two thumbnails left once they are lined up
        by the translation (phase correlation, sub-pixel) that best maps one onto the other:
        well under half when the camera panned or tilted between them, near 1 when they are
        different pictures (the two shots of a dissolve). Each is moved half the way, so both
        pay the same interpolation blur and it cancels; compared on the interior both share."""
        h, w = self._y_shape
        if h < 8 or w < 8:
            return 1.0
        a = first[:h * w].reshape(h, w)
        b = last[:h * w].reshape(h, w)
        if self._window is None or self._window.shape != (h, w):
            self._window = cv2.createHanningWindow((w, h), cv2.CV_32F)
        # phaseCorrelate applies the window to its inputs in place: give it copies, never views
        # of the ring.
        (dx, dy), _ = cv2.phaseCorrelate(a.copy(), b.copy(), self._window)
        if not (math.isfinite(dx) and math.isfinite(dy)) or abs(dx) > w / 4 or abs(dy) > h / 4:
            return 1.0
        m = int(math.ceil(max(abs(dx), abs(dy)))) + 1
        inner = (slice(m, h - m), slice(m, w - m))
        raw = cv2.norm(a[inner], b[inner], cv2.NORM_L1)
        if raw <= 0.0:
            return 1.0
        # b(x) ~ a(x - d), so a(x - d/2) and b(x + d/2) show the same picture.
        aligned = cv2.norm(_translate(a, -0.5 * dx, -0.5 * dy)[inner],
                           _translate(b, 0.5 * dx, 0.5 * dy)[inner], cv2.NORM_L1)
        return min(aligned, raw) / raw

    @property
    def last_change(self) -> float:
        return self._last_change

    @property
    def frames(self) -> int:
        return self._frames

    def stats(self, first: int = 0, end: int | None = None) -> FrameStats:
        """The scalars of the frames analysed so far, from frame ``first`` to ``end`` (a copy)."""
        return FrameStats(**{name: np.frombuffer(col, dtype=np.float64)[first:end].copy()
                             for name, col in self._columns.items()})


def _translate(image: np.ndarray, dx: float, dy: float) -> np.ndarray:
    """``image`` sampled at (x + dx, y + dy), bilinear, edges replicated."""
    return cv2.warpAffine(image, np.float32([[1, 0, dx], [0, 1, dy]]),
                          (image.shape[1], image.shape[0]),
                          flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_REPLICATE)


def shrink(plane: np.ndarray, width: int) -> np.ndarray:
    """Downscale to ``width`` cheaply: bilinear to twice the target (reads ~4 source pixels per
    output instead of all of them, most of the cost of an area resize of a 1080p or 4K plane),
    then an area average to the target. Measured on a fine-textured 1080p pan this keeps the
    frame-to-frame change within ~10% of a full area resize; bilinear straight to the target
    triples it (aliasing), which would hide cuts next to pans."""
    height = max(1, round(plane.shape[0] * width / plane.shape[1]))
    if plane.shape[1] > 4 * width:
        plane = cv2.resize(plane, (2 * width, 2 * height), interpolation=cv2.INTER_LINEAR)
    return cv2.resize(plane, (width, height), interpolation=cv2.INTER_AREA)


class SceneDetector(ABC):
    """One kind of transition, found in a clip's per-frame statistics."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config

    @abstractmethod
    def detect(self, stats: FrameStats) -> list[Boundary]:
        """Boundaries of this detector's kind, in frame order."""


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (first, last) index spans where ``mask`` is true."""
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


class FadeDetector(SceneDetector):
    """Transitions through black or white: a blank span plus the luma ramps leading into and out
    of it. A blank gap with hard edges mid-clip is a ``black`` boundary; a black leader or tail
    with a hard edge is a ``cut``; anything with a ramp is a ``fade``."""

    def blank_spans(self, stats: FrameStats) -> list[tuple[int, int]]:
        return _runs(stats.blank(self.config))

    def detect(self, stats: FrameStats) -> list[Boundary]:
        n = len(stats)
        boundaries = []
        for first, last in self.blank_spans(stats):
            if first == 0 and last == n - 1:
                continue
            ramp_out = self._ramp(stats.luma, first, -1) if first > 0 else 0
            ramp_in = self._ramp(stats.luma, last, +1) if last < n - 1 else 0
            start = first - 1 - ramp_out if first > 0 else last
            end = last + 1 + ramp_in if last < n - 1 else first
            if ramp_out or ramp_in:
                kind = BoundaryKind.FADE
            elif first == 0 or last == n - 1:
                kind = BoundaryKind.CUT
            else:
                kind = BoundaryKind.BLACK
            boundaries.append(Boundary(start, end, kind))
        return boundaries

    def _ramp(self, luma: np.ndarray, edge: int, step: int) -> int:
        """Frames of luma ramp moving away from the blank span's ``edge`` frame. The ramp ends
        where the per-frame step falls below ``fade_step`` or below a quarter of the ramp's
        typical step (an encoder settling after a fade moves luma a little, not a fade's worth)."""
        blank_level = luma[edge]
        steps: list[float] = []
        i = edge + step
        while 0 <= i + step < len(luma) and len(steps) < self.config.max_fade_frames:
            # Moving away from the blank frame, luma must keep moving away from the blank level.
            move = abs(luma[i + step] - blank_level) - abs(luma[i] - blank_level)
            if move < self.config.fade_step or (steps and move < 0.25 * float(np.median(steps))):
                break
            steps.append(move)
            i += step
        return len(steps)


class CutDetector(SceneDetector):
    """Hard cuts: a frame-to-frame change that is large in absolute terms and large relative to
    the change around it (adaptive, so camera shake is not a cut)."""

    def detect(self, stats: FrameStats) -> list[Boundary]:
        cfg = self.config
        change = stats.change
        n = len(change)
        blank = stats.blank(cfg)
        w = cfg.cut_window
        boundaries = []
        for i in np.flatnonzero(change >= cfg.cut_threshold):
            i = int(i)
            if blank[i] or blank[i - 1]:
                continue  # into or out of black: the FadeDetector owns it
            around = np.concatenate((change[max(1, i - w):i], change[i + 1:min(n, i + w + 1)]))
            if around.size and change[i] < cfg.cut_ratio * around.mean():
                continue
            boundaries.append(Boundary(i - 1, i, BoundaryKind.CUT))
        return boundaries


class DissolveDetector(SceneDetector):
    """Cross-fades: over a window of 2k frames the picture changes a lot, yet the middle frame is
    the average of the window's ends (a linear mix), no single frame carries the change, and the
    ends are different pictures rather than one picture moved (a slow pan passes the first
    three: see ``dissolve_min_unexplained``)."""

    def detect(self, stats: FrameStats) -> list[Boundary]:
        cfg = self.config
        k = cfg.dissolve_window
        n = len(stats)
        blank = stats.blank(cfg)
        centre = ((stats.blend_change >= cfg.dissolve_min_change)
                  & (stats.blend_residual <= cfg.dissolve_max_residual * stats.blend_change)
                  & (stats.blend_unexplained >= cfg.dissolve_min_unexplained))
        for c in np.flatnonzero(centre):
            lo, hi = max(0, c - k), min(n, c + k + 1)
            # A cut inside the window (one frame with most of the change) or black nearby: not ours.
            if blank[lo:hi].any() or stats.change[lo + 1:hi].max() > 0.5 * stats.blend_change[c]:
                centre[c] = False
        return [self._edges(stats, a, b) for a, b in _runs(centre)
                if b - a + 1 >= cfg.dissolve_min_frames]

    def _edges(self, stats: FrameStats, a: int, b: int) -> Boundary:
        """Boundary from the last pure frame of the outgoing shot to the first pure frame of the
        incoming one. The run of centres a..b only brackets the mix to within k frames (a slow
        start or end of the mix passes the linearity test), so the edges are tightened to where
        frame-to-frame change is a fair share of the change inside the mix, counted above the
        change of the footage around it (a pan or film grain changes every frame, mix or not)."""
        k = self.config.dissolve_window
        n = len(stats)
        lo, hi = max(0, a - k), min(n - 1, b + k)
        inside = float(np.median(stats.change[a:b + 1]))
        around = np.concatenate((stats.change[max(1, lo - k + 1):lo + 1],
                                 stats.change[hi + 1:min(n, hi + k + 1)]))
        base = min(float(np.median(around)), inside) if around.size else 0.0
        active = np.flatnonzero(stats.change[lo + 1:hi + 1] >= base + 0.5 * (inside - base))
        if active.size == 0:
            return Boundary(lo, hi, BoundaryKind.DISSOLVE)
        return Boundary(lo + int(active[0]), lo + 1 + int(active[-1]), BoundaryKind.DISSOLVE)


class BinsightDetector:
    """Runs the three detectors, reconciles them and cuts the clip into content shots."""

    def __init__(self, config: DetectorConfig) -> None:
        self.config = config
        self.fades = FadeDetector(config)
        self.cuts = CutDetector(config)
        self.dissolves = DissolveDetector(config)

    def detect(self, stats: FrameStats) -> tuple[list[Shot], list[Boundary], list[tuple[int, int]]]:
        cfg = self.config
        n = len(stats)
        fades = self.fades.detect(stats)
        dissolves = [d for d in self.dissolves.detect(stats)
                     if not any(_overlaps(d, f) for f in fades)]
        cuts = [c for c in self.cuts.detect(stats)
                if not any(_overlaps(c, b) for b in (*fades, *dissolves))]
        excluded = stats.blank(cfg)
        for d in dissolves:
            excluded[d.first_frame + 1:d.last_frame] = True
        accepted_cuts = self._min_length(cuts, stats)
        cut_frames = {c.last_frame for c in accepted_cuts}
        spans: list[tuple[int, int]] = []
        for first, last in _runs(~excluded):
            start = first
            for f in range(first + 1, last + 1):
                if f in cut_frames:
                    spans.append((start, f - 1))
                    start = f
            spans.append((start, last))
        spans = [s for s in spans if s[1] - s[0] + 1 >= min(cfg.min_shot_frames, n)]
        boundaries = sorted((*fades, *dissolves, *accepted_cuts), key=lambda b: b.first_frame)
        # Motion is judged on steady picture only: a fade ramp changes every frame but is not
        # camera or subject movement.
        steady = np.ones(n, dtype=bool)
        for b in (*fades, *dissolves):
            steady[b.first_frame:b.last_frame + 1] = False
        shots = [self._shot(i, a, b, stats, steady) for i, (a, b) in enumerate(spans)]
        return shots, boundaries, self.fades.blank_spans(stats)

    def _min_length(self, cuts: list[Boundary], stats: FrameStats) -> list[Boundary]:
        """Enforce min_shot_frames on cuts. A cut too soon after the previous one is ignored,
        unless the picture came back to what it was before that cut (a flash or a glitch): then
        both go, so the flash frames stay in the shot around them instead of opening one."""
        accepted: list[Boundary] = []
        for cut in cuts:
            if accepted and cut.last_frame - accepted[-1].last_frame < self.config.min_shot_frames:
                if stats.recall[cut.last_frame] < self.config.cut_threshold:
                    accepted.pop()
                continue
            accepted.append(cut)
        return accepted

    def _shot(self, index: int, first: int, last: int, stats: FrameStats,
              steady: np.ndarray) -> Shot:
        changes = stats.change[first + 1:last + 1]
        steady_changes = changes[steady[first + 1:last + 1]]
        if steady_changes.size:
            changes = steady_changes
        motion = float(changes.mean()) if changes.size else 0.0
        frame_time = _frame_duration(stats)
        return Shot(index=index, start_frame=first, end_frame=last + 1,
                    start_s=float(stats.time_s[first]),
                    end_s=float(stats.time_s[last] + frame_time),
                    moving=motion > self.config.motion_threshold, motion=motion)


class SettledShots:
    """The shots of a clip still being decoded whose extent the frames to come will not change,
    found by running the detector over the recent frames, so an ingest can pick a shot's frames
    while they are still in memory.

    A shot is taken as settled once ``horizon`` frames have followed its end: a cut is confirmed
    ``cut_window`` frames after it, a cut within ``min_shot_frames`` can still undo it, and the
    dissolve test centred on a frame needs ``dissolve_window`` frames past it. The detector sees
    the frames from a little before the last settled shot's end (so it finds that cut again) to
    now, which keeps each look short whatever the clip length. What no look could foresee (the
    luma ramp of a slow fade-out, first seen as part of the shot, until the black arrives) makes
    a prediction wrong; the caller checks every prediction against the whole-clip detection."""

    def __init__(self, config: DetectorConfig, analyzer: FrameAnalyzer) -> None:
        self.config = config
        self.analyzer = analyzer
        self.horizon = 2 * config.dissolve_window + config.min_shot_frames + config.cut_window + 2
        self._context = self.horizon + config.min_shot_frames
        self._detector = BinsightDetector(config)
        self.settled_upto = 0  # end frame (exclusive) of the last settled shot

    def poll(self) -> tuple[list[Shot], list[Boundary]]:
        """Shots newly settled since the last poll (in clip frame numbers, ``index`` -1) and the
        transitions of the frames looked at."""
        now = self.analyzer.frames
        first = max(0, self.settled_upto - self._context)
        if now - first <= self.horizon:
            return [], []
        shots, boundaries, _ = self._detector.detect(self.analyzer.stats(first))
        limit = now - self.horizon
        settled = []
        for shot in shots:
            start, end = shot.start_frame + first, shot.end_frame + first
            if start < self.settled_upto:
                continue
            if end > limit:
                break
            settled.append(replace(shot, index=-1, start_frame=start, end_frame=end))
        if settled:
            self.settled_upto = settled[-1].end_frame
        return settled, [Boundary(b.first_frame + first, b.last_frame + first, b.kind) for b in boundaries]


def _frame_duration(stats: FrameStats) -> float:
    """Typical frame duration from the PTS sequence (an end time covers its last frame)."""
    if len(stats) < 2:
        return 0.0
    return float(np.median(np.diff(stats.time_s)))


def _overlaps(a: Boundary, b: Boundary) -> bool:
    return a.first_frame <= b.last_frame and b.first_frame <= a.last_frame


def detect_shots(path: str, info: MediaInfo, config: DetectorConfig | None = None,
                 progress: Callable[[int, int, int], None] | None = None,
                 cancelled: Callable[[], bool] | None = None,
                 observers: Sequence[Callable[[DecodedFrame], None]] = (),
                 fast: bool = True, analyzer: FrameAnalyzer | None = None) -> Detection:
    """Find the content shots of ``path`` (probed as ``info``) in one streaming decode pass.

    ``progress(frames_done, frames_total, shots_found)`` is called once per second of footage;
    ``shots_found`` counts hard-cut candidates so far (an estimate while decoding, since fades
    and dissolves are only resolved at the end) and is exact in the final call. ``cancelled`` is
    polled at the same rate; Cancelled is raised within a second of footage of it turning true.
    ``observers`` are handed every decoded frame after the analyzer, so another per-frame
    analysis (the version-compare fingerprints, an ingest's frame picker) shares this decode
    pass. ``fast`` decodes for analysis only (see ``VideoStream``); an ingest that keeps frames
    for people passes False, and its own ``analyzer`` to look at the statistics so far.
    """
    config = config or DetectorConfig()
    stream = VideoStream(path, info, fast=fast)
    analyzer = analyzer or FrameAnalyzer(config)
    candidates = 1
    report_every = max(1, int(info.frame_rate))  # about once a second of footage
    for decoded in stream:
        analyzer.add(decoded)
        for observe in observers:
            observe(decoded)
        if decoded.index % report_every == 0:
            if cancelled is not None and cancelled():
                raise Cancelled(f"shot detection of {path} was cancelled")
            if progress is not None:
                progress(decoded.index + 1, info.frame_count, candidates)
        candidates += analyzer.last_change >= config.cut_threshold
    detection = detection_of(analyzer.stats(), config, stream.truncated, stream.warnings)
    if progress is not None:
        progress(detection.frames_decoded, max(info.frame_count, detection.frames_decoded), len(detection.shots))
    return detection


def detection_of(stats: FrameStats, config: DetectorConfig, truncated: bool = False,
                 warnings: Sequence[str] = ()) -> Detection:
    """The shots in a whole clip's per-frame scalars, from one pass or stitched from chunks."""
    shots, boundaries, blank = BinsightDetector(config).detect(stats)
    return Detection(shots=shots, boundaries=boundaries, black_spans=blank, frames_decoded=len(stats),
                     truncated=truncated, warnings=list(warnings), frame_stats=stats)
