"""Classification: the aligned cut read as the differences an editor would name.

* Each in-order piece, taken unit by unit of B, is ``unchanged`` or ``changed`` (fine structure
  or colour moved past the thresholds).
* A piece out of order is ``moved``, or ``inserted`` when B shows its A frames in order too (a
  repeat).
* Between two consecutive in-order pieces lie the frames only one side has. Split by shot:
  a shot of which no frame is matched anywhere is whole — whole shots of A and B in the same gap
  pair up as ``replaced`` (a different picture in the same slot), the rest are ``deleted`` or
  ``inserted``; blank or transition frames in the gap go with them. A shot with matched frames
  elsewhere lost or gained frames: at its head or tail that is ``trimmed`` (one record per pair
  of shots, with the signed frame counts), inside it a deletion or insertion within the shot.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from .alignment import Alignment
from .analysis import CutAnalysis
from .config import CompareConfig
from .difference import Difference, Kind, Side, keyframe
from .fingerprint import Signatures
from .matching import Piece
from .units import Span, Unit, shot_spans

_NONE = -1


@dataclass
class _Trim:
    """Frames one shot pair lost or gained at each end."""

    head_removed: int = 0
    head_added: int = 0
    tail_removed: int = 0
    tail_added: int = 0
    at_b: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Segment:
    """Unmatched frames of one side inside one gap, grouped under one shot (or none)."""

    span: Span
    shot: int  # _NONE for blank/transition frames between shots
    role: str  # "whole" | "head" | "tail" | "middle" | "transition"


class Classifier:
    def __init__(self, a: CutAnalysis, b: CutAnalysis, sig_a: Signatures, sig_b: Signatures,
                 units_b: tuple[Unit, ...], alignment: Alignment, config: CompareConfig) -> None:
        self.a, self.b = a, b
        self.sig_a, self.sig_b = sig_a, sig_b
        self.units_b = units_b
        self.unit_starts = [u.span.start for u in units_b]
        self.alignment = alignment
        self.config = config
        self.shots_a, self.shots_b = shot_spans(a), shot_spans(b)
        self.shot_of_a = _shot_index(self.shots_a, a.frame_count)
        self.shot_of_b = _shot_index(self.shots_b, b.frame_count)
        pieces = (*alignment.in_order, *alignment.out_of_order)
        self.covered_a = _coverage(a.frame_count, [p.a_span for p in pieces])
        self.covered_b = _coverage(b.frame_count, [p.b_span for p in pieces])
        self.in_order_a = _coverage(a.frame_count, [p.a_span for p in alignment.in_order])

    def run(self) -> tuple[tuple[Difference, ...], tuple[Difference, ...]]:
        differences: list[Difference] = []
        unchanged: list[Difference] = []
        for piece in self.alignment.in_order:
            for diff in self._matched(piece):
                (unchanged if diff.kind is Kind.UNCHANGED else differences).append(diff)
        for piece in self.alignment.out_of_order:
            differences.append(self._out_of_order(piece))
        trims: dict[tuple[int, int], _Trim] = defaultdict(_Trim)
        chain = [Piece(0, 0, 0), *self.alignment.in_order,
                 Piece(self.a.frame_count, self.b.frame_count, 0)]
        for before, after in zip(chain, chain[1:]):
            differences += self._gap(before, after, trims)
        differences += [d for d in (self._trimmed(pair, t) for pair, t in trims.items()) if d]
        order = {kind: i for i, kind in enumerate(Kind)}
        differences.sort(key=lambda d: (d.at_b, d.a.start if d.a else -1, order[d.kind]))
        return tuple(differences), tuple(unchanged)

    # -- matched footage -------------------------------------------------------------------

    def _matched(self, piece: Piece) -> list[Difference]:
        """The piece cut at B's unit edges; each part unchanged or changed, like runs within
        one shot merged (segments of a long take), so each shot is listed on its own."""
        out: list[Difference] = []
        last_shot = _NONE
        first = max(0, bisect.bisect_right(self.unit_starts, piece.b) - 1)
        for unit in self.units_b[first:]:
            if unit.span.start >= piece.b_end:
                break
            start, end = max(piece.b, unit.span.start), min(piece.b_end, unit.span.end)
            if end - start <= 0:
                continue
            b_span = Span(start, end)
            a_span = Span(start - piece.b + piece.a, end - piece.b + piece.a)
            structure, colour = self._distances(a_span, b_span)
            changed = (structure > self.config.changed_structure
                       or colour > self.config.changed_colour)
            kind = Kind.CHANGED if changed else Kind.UNCHANGED
            if (out and out[-1].kind is kind and out[-1].b.end == start  # type: ignore[union-attr]
                    and unit.shot == last_shot):
                last = out.pop()
                b_span = Span(last.b.start, end)  # type: ignore[union-attr]
                a_span = Span(last.a.start, a_span.end)  # type: ignore[union-attr]
                structure, colour = self._distances(a_span, b_span)
            note = (f"structure {structure:.3f}, colour {colour:.4f}" if changed else "")
            out.append(self._record(kind, a_span, b_span, self._picture(a_span, b_span),
                                    b_span.start, note=note))
            last_shot = unit.shot
        return out

    def _distances(self, a: Span, b: Span) -> tuple[float, float]:
        """Median fine structure and mean colour distance of frame-paired runs, blank-on-blank
        frames left out (black matches black whatever was done to the picture)."""
        fa, fb = np.arange(a.start, a.end), np.arange(b.start, b.end)
        keep = ~(self.sig_a.flat[fa] & self.sig_b.flat[fb])
        if not keep.any():
            return 0.0, 0.0
        fa, fb = fa[keep], fb[keep]
        structure = self.sig_a.paired(fa, self.sig_b, fb)
        colour = self.sig_a.colour_distance(fa, self.sig_b, fb)
        return float(np.median(structure)), float(colour.mean())

    def _picture(self, a: Span, b: Span) -> float:
        """The reported distance of two frame-paired runs: mean fine structure plus colour."""
        return self._paired_distance(np.arange(a.start, a.end), np.arange(b.start, b.end))

    def _paired_distance(self, fa: np.ndarray, fb: np.ndarray) -> float:
        return float(self.sig_a.paired(fa, self.sig_b, fb).mean()
                     + self.sig_a.colour_distance(fa, self.sig_b, fb).mean())

    def _keyframe_distance(self, a: Span, b: Span) -> float:
        """Distance of two unrelated runs (no frame pairing): their keyframes'."""
        return self._paired_distance(np.array([keyframe(self.a, a)]),
                                     np.array([keyframe(self.b, b)]))

    def _out_of_order(self, piece: Piece) -> Difference:
        if self.in_order_a[piece.a:piece.a_end].mean() > 0.5:
            return self._record(Kind.INSERTED, None, piece.b_span, 1.0, piece.b,
                                note=f"repeats A {self.a.timecode(piece.a)}-"
                                     f"{self.a.timecode(piece.a_end)}, also kept in place")
        return self._record(Kind.MOVED, piece.a_span, piece.b_span,
                            self._picture(piece.a_span, piece.b_span), piece.b)

    # -- gaps ---------------------------------------------------------------------------------

    def _gap(self, before: Piece, after: Piece, trims: dict[tuple[int, int], _Trim]
             ) -> list[Difference]:
        seg_a = self._segments(Span(before.a_end, after.a), self.covered_a, self.shot_of_a,
                               self.shots_a)
        seg_b = self._segments(Span(before.b_end, after.b), self.covered_b, self.shot_of_b,
                               self.shots_b)
        out: list[Difference] = []
        wholes_a = [s for s in seg_a if s.role == "whole"]
        wholes_b = [s for s in seg_b if s.role == "whole"]
        cut_b = before.b_end  # where A material that B lacks used to be
        for sa, sb in zip(wholes_a, wholes_b):
            out.append(self._record(Kind.REPLACED, sa.span, sb.span,
                                    self._keyframe_distance(sa.span, sb.span), sb.span.start))
        for sa in wholes_a[len(wholes_b):]:
            out.append(self._record(Kind.DELETED, sa.span, None, 1.0, cut_b))
        for sb in wholes_b[len(wholes_a):]:
            out.append(self._record(Kind.INSERTED, None, sb.span, 1.0, sb.span.start))
        for s in seg_a:
            if s.role == "middle":
                out.append(self._record(Kind.DELETED, s.span, None, 1.0, cut_b,
                                        note="frames taken out inside a shot"))
            elif s.role in ("head", "tail", "transition"):
                self._trim(trims, s, before, after, removed=True)
        for s in seg_b:
            if s.role == "middle":
                out.append(self._record(Kind.INSERTED, None, s.span, 1.0, s.span.start,
                                        note="frames added inside a shot"))
            elif s.role in ("head", "tail", "transition"):
                self._trim(trims, s, before, after, removed=False)
        return [d for d in out if _frames(d) >= self.config.min_change_frames]

    def _segments(self, gap: Span, covered: np.ndarray, shot_of: np.ndarray,
                  shots: tuple[Span, ...]) -> list[_Segment]:
        """The gap's unmatched frames grouped by shot, each with its role; blank frames join a
        whole shot next to them in the same run, else stand as a transition segment."""
        if len(gap) == 0:
            return []
        free = ~covered[gap.start:gap.end]
        out: list[_Segment] = []
        for run in _runs(free):
            run = Span(gap.start + run.start, gap.start + run.end)
            groups = _runs_by_value(shot_of[run.start:run.end])
            parts = [_Segment(Span(run.start + s, run.start + e), shot,
                              self._role(shot, Span(run.start + s, run.start + e), covered, shots))
                     for s, e, shot in groups]
            out += _absorb_transitions(parts)
        return out

    @staticmethod
    def _role(shot: int, span: Span, covered: np.ndarray, shots: tuple[Span, ...]) -> str:
        if shot == _NONE:
            return "transition"
        whole = shots[shot]
        matched = np.flatnonzero(covered[whole.start:whole.end]) + whole.start
        if matched.size == 0:
            return "whole"
        if span.end <= matched[0]:
            return "head"
        if span.start >= matched[-1] + 1:
            return "tail"
        return "middle"

    def _trim(self, trims: dict[tuple[int, int], _Trim], segment: _Segment, before: Piece,
              after: Piece, removed: bool) -> None:
        """Book frames lost (A side) or gained (B side) at a shot's end against the pair of
        shots the neighbouring piece matches."""
        at_head = segment.role == "head" or (segment.role == "transition"
                                             and before.length == 0)
        anchor = after if at_head else before
        if anchor.length == 0:
            return  # nothing matched on that side: the file's own leader or tail
        a_frame = anchor.a if at_head else anchor.a_end - 1
        b_frame = anchor.b if at_head else anchor.b_end - 1
        a_shot = _nearest_shot(self.shot_of_a, a_frame)
        b_shot = _nearest_shot(self.shot_of_b, b_frame)
        if segment.shot != _NONE:  # the segment's own shot, the partner from the anchor
            a_shot, b_shot = (segment.shot, b_shot) if removed else (a_shot, segment.shot)
        trim = trims[(a_shot, b_shot)]
        n = len(segment.span)
        if at_head:
            trim.head_removed += n if removed else 0
            trim.head_added += 0 if removed else n
        else:
            trim.tail_removed += n if removed else 0
            trim.tail_added += 0 if removed else n
        trim.at_b.append(anchor.b if at_head else anchor.b_end)

    def _trimmed(self, pair: tuple[int, int], trim: _Trim) -> Difference | None:
        head = trim.head_added - trim.head_removed
        tail = trim.tail_added - trim.tail_removed
        minimum = self.config.min_change_frames
        redone = min(trim.head_added, trim.head_removed) + min(trim.tail_added, trim.tail_removed)
        if abs(head) < minimum and abs(tail) < minimum and redone < minimum:
            return None
        a_span, b_span = self.shots_a[pair[0]], self.shots_b[pair[1]]
        notes = []
        if head:
            notes.append(f"head {'+' if head > 0 else ''}{head} frames")
        if tail:
            notes.append(f"tail {'+' if tail > 0 else ''}{tail} frames")
        if redone:
            notes.append(f"{redone} end frames differ")
        return self._record(Kind.TRIMMED, a_span, b_span, self._shared_distance(a_span, b_span),
                            min(trim.at_b), head_frames=head, tail_frames=tail,
                            note=", ".join(notes))

    def _shared_distance(self, a: Span, b: Span) -> float:
        """Picture distance over the frames two shots share through in-order pieces (what
        stayed of a trimmed shot); the keyframes' when they share none."""
        fa: list[np.ndarray] = []
        fb: list[np.ndarray] = []
        for p in self.alignment.in_order:
            start = max(p.a, a.start, b.start - p.b + p.a)
            end = min(p.a_end, a.end, b.end - p.b + p.a)
            if end > start:
                fa.append(np.arange(start, end))
                fb.append(np.arange(start, end) + p.b - p.a)
        if not fa:
            return self._keyframe_distance(a, b)
        return self._paired_distance(np.concatenate(fa), np.concatenate(fb))

    def _record(self, kind: Kind, a: Span | None, b: Span | None, distance: float, at_b: int,
                **extra) -> Difference:
        return Difference(kind=kind, a=Side.of(self.a, a) if a is not None else None,
                          b=Side.of(self.b, b) if b is not None else None,
                          distance=round(distance, 4), at_b=at_b, **extra)


def _frames(diff: Difference) -> int:
    return max(diff.a.frames if diff.a else 0, diff.b.frames if diff.b else 0)


def _shot_index(shots: tuple[Span, ...], frames: int) -> np.ndarray:
    out = np.full(frames, _NONE, dtype=int)
    for i, s in enumerate(shots):
        out[s.start:s.end] = i
    return out


def _nearest_shot(shot_of: np.ndarray, frame: int) -> int:
    """The shot at ``frame``, else the last one before it, else the first after."""
    before = np.flatnonzero(shot_of[:frame + 1] != _NONE)
    if before.size:
        return int(shot_of[before[-1]])
    after = np.flatnonzero(shot_of[frame:] != _NONE)
    return int(shot_of[frame + after[0]]) if after.size else 0


def _coverage(frames: int, spans: list[Span]) -> np.ndarray:
    out = np.zeros(frames, bool)
    for s in spans:
        out[s.start:s.end] = True
    return out


def _runs(mask: np.ndarray) -> list[Span]:
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [Span(int(s), int(e)) for s, e in zip(edges[::2], edges[1::2])]


def _runs_by_value(values: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, value) of the runs of equal values."""
    if values.size == 0:
        return []
    edges = np.flatnonzero(np.diff(values)) + 1
    starts = np.concatenate(([0], edges))
    ends = np.concatenate((edges, [values.size]))
    return [(int(s), int(e), int(values[s])) for s, e in zip(starts, ends)]


def _absorb_transitions(parts: list[_Segment]) -> list[_Segment]:
    """Blank frames next to a whole shot in one run belong to its insertion or deletion."""
    out = list(parts)
    for i, part in enumerate(out):
        if part.role != "transition":
            continue
        for j in (i + 1, i - 1):
            if 0 <= j < len(out) and out[j].role == "whole":
                other = out[j]
                out[j] = _Segment(Span(min(part.span.start, other.span.start),
                                       max(part.span.end, other.span.end)), other.shot, "whole")
                out[i] = _Segment(Span(part.span.start, part.span.start), _NONE, "absorbed")
                break
    return [p for p in out if p.role != "absorbed"]
