"""Matching: which frames of B show which frames of A.

Every unit of B is looked up in A. A handful of its frames vote for frame offsets into the A
units they resemble most; the best offsets are scored over the whole overlap (coarse structure,
so a reframe still matches) and the winner is pinned to the exact frame on fine structure. What
a match leaves of the B unit (a shot that continues past an A cut, half a shot either side of an
insert) is looked up again. Each match is then extended frame by frame into neighbouring frames
that neither side has placed yet (black gaps, dissolves, a boundary shot detection put one frame
apart in the two files), and matches that continue one another are merged.

The result is a list of :class:`Piece` s: B frames [b, b+length) show A frames [a, a+length).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from .config import CompareConfig
from .fingerprint import Signatures
from .units import Span, Unit

_SAMPLES = 12
"""B frames that vote for offsets: enough that a shot with a few blurred or flat frames still
gets a majority, few enough that a lookup is a (12 x frames) product."""
_CANDIDATE_UNITS = 4
"""A units whose offsets are scored for one B run (the nearest by a few keyframe distances)."""
_OFFSETS_PER_UNIT = 4
_SCORED_FRAMES = {True: 64, False: 240}
"""An overlap longer than this is scored on that many evenly spread frames: coarse scores only
pick the region, the fine ones pin the exact frame."""
_REFINE = 3
_JITTER = 2
_JITTER_SHARE = 0.05
"""Overlaps differing by at most this many frames (or this share) differ by where two runs of
shot detection put a fade's first frame, not by how much of a shot lines up."""
"""Frames either side of the coarse winner tried on fine structure for the exact offset."""
_TIE = 0.002
_RELATIVE_TIE = 0.1
"""Offsets whose distances differ by less than ``_TIE`` or this fraction score alike: the
pictures cannot tell them apart (a static shot: compression noise alone moves its distances by
about 0.001), so continuity with the piece before, then overlap, decide. Off by one frame,
moving footage scores 0.01 and more worse."""
_EXTEND_CHUNK = 32


@dataclass(frozen=True)
class Piece:
    """B frames [b, b + length) show A frames [a, a + length)."""

    a: int
    b: int
    length: int

    @property
    def a_end(self) -> int:
        return self.a + self.length

    @property
    def b_end(self) -> int:
        return self.b + self.length

    @property
    def a_span(self) -> Span:
        return Span(self.a, self.a_end)

    @property
    def b_span(self) -> Span:
        return Span(self.b, self.b_end)


@dataclass(frozen=True)
class _Candidate:
    distance: float
    off_prior: bool  # not the offset of the piece before
    overlap: int
    head_gap: int  # distance from aligning the run's start with the unit's start
    offset: int  # B frame = A frame + offset


class Matcher:
    def __init__(self, a: Signatures, b: Signatures, units_a: tuple[Unit, ...],
                 units_b: tuple[Unit, ...], config: CompareConfig) -> None:
        self.a, self.b = a, b
        self.units_a, self.units_b = units_a, units_b
        self.config = config
        # Three frames per A unit for the quick nearest-units filter.
        self._keys = np.array([[u.span.start, (u.span.start + u.span.end) // 2, u.span.end - 1]
                               for u in units_a], dtype=int).reshape(-1, 3)
        self._claimed: np.ndarray | None = None  # A frames leftovers may not match again

    def pieces(self) -> list[Piece]:
        """Rounds of lookup then extension: each B unit is looked up, the matches are extended,
        and what is still unplaced of a unit is looked up in the next round. Extending before
        looking up leftovers matters: the frames of a dissolve one file's detector kept in a
        shot would otherwise be matched, a few at a time, to any similar frames of A."""
        covered_a = np.zeros(len(self.a), bool)
        covered_b = np.zeros(len(self.b), bool)
        found: list[Piece] = []
        tried: set[Span] = set()
        pending = [u.span for u in self.units_b]
        self._claimed = None
        while pending:
            tried.update(pending)
            new = []
            for run in sorted(pending, key=lambda r: r.start):
                piece = self._best(run, _prior_offset([*found, *new], run))
                if piece is not None:
                    new.append(piece)
            for p in new:
                covered_a[p.a:p.a_end] = True
                covered_b[p.b:p.b_end] = True
            found += [self._extended(p, covered_a, covered_b)
                      for p in sorted(new, key=lambda p: -p.length)]
            pending = [run for unit in self.units_b for run in _free_runs(unit.span, covered_b)
                       if len(run) >= self.config.min_match_frames and run not in tried]
            # A leftover is the rest of a shot B has more of, or a shot continuing past a cut
            # in A: it shows A frames nothing holds yet. Matching it to placed A frames would
            # read the unseen head of a pan as a repeat of the pan a few frames on.
            self._claimed = covered_a
        return _merged(found)

    def _best(self, run: Span, prior: int) -> Piece | None:
        """The best match of B frames ``run`` in A, or None when nothing is close enough."""
        samples = np.unique(np.linspace(run.start, run.end - 1, min(_SAMPLES, len(run)))
                            .round().astype(int))
        flat = self.b.flat[samples]
        if flat.mean() > 0.5:
            return None  # blank frames match every blank frame: extension places them
        samples = samples[~flat]
        best: tuple[_Candidate, Unit] | None = None
        for unit in self._nearest_units(samples):
            for candidate in self._candidates(run, samples, unit, prior):
                if best is None or _better(candidate, best[0]):
                    best = (candidate, unit)
        if best is None or best[0].distance > self.config.match_threshold:
            return None
        candidate, unit = best
        offset = self._exact_offset(run, unit, candidate.offset, prior)
        start = max(run.start, unit.span.start + offset)
        end = min(run.end, unit.span.end + offset)
        return Piece(a=start - offset, b=start, length=end - start)

    def _nearest_units(self, samples: np.ndarray) -> list[Unit]:
        if len(self.units_a) <= _CANDIDATE_UNITS:
            return list(self.units_a)
        keys = self._keys.ravel()
        d = self.b.structure(samples, self.a, keys, coarse=True)
        per_unit = d.min(axis=0).reshape(-1, 3).min(axis=1)
        return [self.units_a[i] for i in np.argsort(per_unit, kind="stable")[:_CANDIDATE_UNITS]]

    def _candidates(self, run: Span, samples: np.ndarray, unit: Unit,
                    prior: int) -> list[_Candidate]:
        """Offsets the samples' nearest A frames vote for, plus the offset of the piece before
        and the one that lines the run up with the unit's start (a static shot's frames are all
        nearest alike, so its votes say nothing), scored on coarse structure."""
        a0, a1 = unit.span.start, unit.span.end
        d = self.b.structure(samples, self.a, np.arange(a0, a1), coarse=True)
        top = min(3, a1 - a0)
        nearest = np.argpartition(d, top - 1, axis=1)[:, :top]
        votes = Counter(int(s) - (a0 + int(c)) for s, row in zip(samples, nearest) for c in row)
        offsets = {o for o, _ in votes.most_common(_OFFSETS_PER_UNIT)} | {prior, run.start - a0}
        return [c for c in (self._candidate(run, unit, o, prior, coarse=True)
                            for o in sorted(offsets)) if c is not None]

    def _candidate(self, run: Span, unit: Unit, offset: int, prior: int,
                   coarse: bool) -> _Candidate | None:
        distance, overlap = self._score(run, unit.span, offset, coarse)
        if overlap < self.config.min_match_frames:
            return None
        return _Candidate(distance, offset != prior, overlap,
                          abs(offset - (run.start - unit.span.start)), offset)

    def _score(self, run: Span, span_a: Span, offset: int, coarse: bool) -> tuple[float, int]:
        """Mean structure distance over the overlap of ``run`` with ``span_a`` moved by
        ``offset``, and the overlap length; blank-on-blank frames are left out of the mean."""
        start, end = max(run.start, span_a.start + offset), min(run.end, span_a.end + offset)
        if end - start < self.config.min_match_frames:
            return 1.0, 0
        b = np.unique(np.linspace(start, end - 1, min(_SCORED_FRAMES[coarse], end - start))
                      .round().astype(int))
        a = b - offset
        if self._claimed is not None and self._claimed[a].mean() > 0.5:
            return 1.0, 0
        both_flat = self.a.flat[a] & self.b.flat[b]
        if (~both_flat).sum() < min(self.config.min_match_frames, len(b)):
            return 1.0, 0
        a, b = a[~both_flat], b[~both_flat]
        return float(self.a.paired(a, self.b, b, coarse).mean()), end - start

    def _exact_offset(self, run: Span, unit: Unit, offset: int, prior: int) -> int:
        """The coarse winner's neighbourhood on fine structure: the exact frame."""
        best: _Candidate | None = None
        for o in sorted({*range(offset - _REFINE, offset + _REFINE + 1), prior}):
            candidate = self._candidate(run, unit, o, prior, coarse=False)
            if candidate is not None and (best is None or _better(candidate, best)):
                best = candidate
        return offset if best is None else best.offset

    def _extended(self, p: Piece, covered_a: np.ndarray, covered_b: np.ndarray) -> Piece:
        """Grow a piece into frames no piece holds on either side while the pictures keep
        matching frame by frame."""
        after = self._reach(p.a_end, p.b_end, +1, covered_a, covered_b)
        before = self._reach(p.a - 1, p.b - 1, -1, covered_a, covered_b)
        grown = Piece(p.a - before, p.b - before, p.length + before + after)
        covered_a[grown.a:grown.a_end] = True
        covered_b[grown.b:grown.b_end] = True
        return grown

    def _reach(self, a: int, b: int, step: int, covered_a: np.ndarray,
               covered_b: np.ndarray) -> int:
        """How many frames from (a, b) onwards, in direction ``step``, match and are free."""
        reach = 0
        threshold = self.config.match_threshold
        while True:
            k = np.arange(_EXTEND_CHUNK) * step
            fa, fb = a + k, b + k
            inside = (fa >= 0) & (fa < len(self.a)) & (fb >= 0) & (fb < len(self.b))
            fa, fb = fa[inside], fb[inside]
            ok = ~covered_a[fa] & ~covered_b[fb]
            ok &= self.a.paired(fa, self.b, fb, coarse=True) <= threshold
            run = len(ok) if ok.all() else int(np.argmin(ok))
            reach += run
            if run < _EXTEND_CHUNK:
                return reach
            a, b = a + run * step, b + run * step


def _better(x: _Candidate, y: _Candidate) -> bool:
    """Lower distance wins. Between offsets that score alike, one that places clearly more of
    the run wins (a static shot lines up anywhere, but only one offset lays it over its whole A
    unit); overlaps within boundary jitter go to the offset of the piece before, then to the
    larger overlap, then to the offset that keeps the run's start on the unit's start."""
    if abs(x.distance - y.distance) > _RELATIVE_TIE * min(x.distance, y.distance) + _TIE:
        return x.distance < y.distance
    if abs(x.overlap - y.overlap) > max(_JITTER, _JITTER_SHARE * max(x.overlap, y.overlap)):
        return x.overlap > y.overlap
    return (x.off_prior, -x.overlap, x.head_gap) < (y.off_prior, -y.overlap, y.head_gap)


def _prior_offset(pieces: list[Piece], run: Span) -> int:
    """Offset of the last piece ending at or before ``run`` in B (0 before the first: two
    versions of a cut start together)."""
    before = [p for p in pieces if p.b_end <= run.start]
    return max(before, key=lambda p: p.b_end).b - max(before, key=lambda p: p.b_end).a \
        if before else 0


def _free_runs(span: Span, covered: np.ndarray) -> list[Span]:
    """Runs of ``span`` that no piece holds."""
    free = np.concatenate(([False], ~covered[span.start:span.end], [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(free))
    return [Span(span.start + int(s), span.start + int(e)) for s, e in zip(edges[::2], edges[1::2])]


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Pieces in B order, those that continue one another (same offset, touching) joined."""
    out: list[Piece] = []
    for p in sorted(pieces, key=lambda p: p.b):
        if out and out[-1].b_end == p.b and out[-1].a_end == p.a:
            last = out.pop()
            p = Piece(last.a, last.b, last.length + p.length)
        out.append(p)
    return out
