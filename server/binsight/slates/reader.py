"""Read a clip's slate: search the head, then the tail, then the start of each shot; score sampled
frames with the weight-free board finder; read the few most board-like with OCR; merge what
those frames say into one ``SlateRead``.

Why several frames: a board is held for a second or more, and one frame's read can be wrong with
a confident recogniser (the clap's blur, a finger over a digit, compression). A first read that
is not near-certain is checked against a second frame read apart; frames that disagree on a
field mark that field (and, for a naming field, the whole read) unsure. Reading stops at the first frame that shows no slate
evidence at all (the most board-like frame of the span was not a slate, so the others are not
either), which keeps the cost on clips without a slate to one OCR pass at most per span.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np

from binsight.errors import InvalidInput
from binsight.media.types import MediaInfo, Shot
from binsight.slates import ocr
from binsight.slates.detector import Board, find_boards, quad_size, rectify
from binsight.slates.frames import FrameClock, Sample, Span, sample, spans
from binsight.slates.occlusion import cut_short
from binsight.slates.parser import PageRead, parse_page
from binsight.slates.types import FIELDS, SlateConfig, SlateField, SlateRead

log = logging.getLogger(__name__)

BOARD_MARGIN = 0.1
"""Rectified boards keep this share of their size around them: corners found on a busy set can
sit inside the board, and writing at its edge must not be cut."""
OCCLUDED = 0.4
"""Confidence factor for a value with something in front of the board right beside it."""
MIN_GAP_S = 0.3
"""Frames read from one span are at least this far apart, so their reads are not the same
picture twice."""


@dataclass(frozen=True)
class _Candidate:
    sample: Sample
    board: Board


@dataclass(frozen=True)
class _FrameRead:
    sample: Sample
    page: PageRead


def read_slate(path: str, info: MediaInfo, shots: Sequence[Shot] = (),
               config: SlateConfig = SlateConfig()) -> SlateRead | None:
    """The slate of the clip at ``path`` (probed as ``info``), or None when it has none.

    The head is searched first, then the tail, then the first ``config.shot_s`` of each of
    ``shots`` that neither covers; the first read that is sure wins. When none is sure the
    surest unsure read is returned (for the review list), and None when no span held anything
    OCR confirmed as a slate."""
    _check(config)
    clock = FrameClock(path, info)
    best: SlateRead | None = None
    for span in spans(info, shots, config):
        read = _read_span(path, info, span, config, clock)
        if read is None:
            continue
        if not read.unsure:
            return read
        if best is None or read.confidence > best.confidence:
            best = read
    return best


def _check(config: SlateConfig) -> None:
    problems = [f"{name} must be >= 0 (got {getattr(config, name)})"
                for name in ("head_s", "tail_s", "shot_s") if getattr(config, name) < 0]
    if config.sample_fps <= 0:
        problems.append(f"sample_fps must be > 0 (got {config.sample_fps})")
    if config.max_reads < 1:
        problems.append(f"max_reads must be >= 1 (got {config.max_reads})")
    if not 0 < config.confidence_threshold <= 1:
        problems.append(f"confidence_threshold must be in (0, 1] (got {config.confidence_threshold})")
    if config.max_side < 64:
        problems.append(f"max_side must be >= 64 pixels (got {config.max_side})")
    if problems:
        raise InvalidInput("slate config: " + "; ".join(problems))


def _read_span(path: str, info: MediaInfo, span: Span, config: SlateConfig,
               clock: FrameClock) -> SlateRead | None:
    bar = config.min_shot_board_score if span.position == "shot" else config.min_board_score
    candidates: list[_Candidate] = []
    for frame in sample(path, info, span, config.sample_fps, clock):
        boards = find_boards(frame.image)
        if boards and boards[0].score >= bar:
            candidates.append(_Candidate(frame, boards[0]))
    reads: list[_FrameRead] = []
    for candidate in _spread(candidates, config.max_reads):
        page = read_board(candidate.sample.image, candidate.board, config)
        if page is None:
            if not reads:
                break  # the most board-like frame is no slate: nor are the rest
            continue
        reads.append(_FrameRead(candidate.sample, page))
        merged = _merge(reads, span, config)
        if merged.confidence >= (config.certain if len(reads) == 1 else
                                 config.confidence_threshold):
            break
    if not reads:
        return None
    return _merge(reads, span, config)


def _spread(candidates: list[_Candidate], count: int) -> list[_Candidate]:
    """The ``count`` most board-like candidates at least ``MIN_GAP_S`` apart, best first."""
    chosen: list[_Candidate] = []
    for candidate in sorted(candidates, key=lambda c: -c.board.score):
        if all(abs(candidate.sample.time_s - c.sample.time_s) >= MIN_GAP_S for c in chosen):
            chosen.append(candidate)
            if len(chosen) == count:
                break
    return chosen


def read_board(image: np.ndarray, board: Board, config: SlateConfig) -> PageRead | None:
    """OCR of one board, seen square on; the orientation whose parse finds more labels wins
    (then the one whose characters read surer)."""
    quad = np.asarray(board.quad, np.float32)
    width, height = quad_size(quad)
    grow = 1 / (1 - 2 * BOARD_MARGIN)
    scale = min(1.0, config.max_side / (max(width, height) * grow))
    size = (max(32, round(width * scale * grow)), max(32, round(height * scale * grow)))
    crop = rectify(image, quad, size, margin=BOARD_MARGIN)
    striped = board.stripes is not None
    parsed = [_check_occlusion(p, crop) for p in
              (parse_page(page, striped) for page in ocr.read_text(crop)) if p is not None]
    if not parsed:
        return None
    return max(parsed, key=lambda p: (p.labels, p.score))


def _check_occlusion(page: PageRead, crop: np.ndarray) -> PageRead:
    """``page`` with the confidence of every value that may continue under a hand cut to
    ``OCCLUDED`` of itself (see ``occlusion``)."""
    image = cv2.rotate(crop, cv2.ROTATE_180) if page.inverted else crop
    height, width = image.shape[:2]
    face = (width * BOARD_MARGIN, height * BOARD_MARGIN, width * (1 - BOARD_MARGIN),
            height * (1 - BOARD_MARGIN))
    checked = []
    for name, field in page.fields:
        place = page.place(name)
        if name != "timecode" and place is not None and cut_short(image, place, face):
            field = SlateField(field.value, round(field.confidence * OCCLUDED, 4))
        checked.append((name, field))
    return replace(page, fields=tuple(checked))


def _merge(reads: list[_FrameRead], span: Span, config: SlateConfig) -> SlateRead:
    """One read from several frames' reads: agreeing values keep their best confidence, values
    the frames disagree on keep the likeliest at a cut confidence."""
    merged: dict[str, SlateField | None] = {}
    for name in FIELDS:
        seen = [(r.page.get(name), r) for r in reads if r.page.get(name) is not None]
        if not seen:
            merged[name] = None
            continue
        votes: dict[str, float] = {}
        for field, _ in seen:
            votes[field.value] = votes.get(field.value, 0.0) + field.confidence
        winner = max(votes, key=lambda v: votes[v])
        confidence = max(f.confidence for f, _ in seen if f.value == winner)
        if len(votes) > 1:
            confidence *= config.agreement
        merged[name] = SlateField(winner, round(confidence, 4))
    setup = merged["scene"] or merged["slate_number"]
    naming = [setup, merged["take"]]
    overall = min((f.confidence if f is not None else 0.0) for f in naming)
    best = max(reads, key=lambda r: (sum(f.confidence for _, f in r.page.fields), r.page.score))
    text: list[str] = []
    for r in [best] + [r for r in reads if r is not best]:
        text.extend(line for line in r.page.text if line not in text)
    unsure = overall < config.confidence_threshold
    if unsure:
        log.info("slate unsure at %.2fs (%s): %s", best.sample.time_s, span.position,
                 " | ".join(text))
    return SlateRead(frame=best.sample.frame, time_s=round(best.sample.time_s, 6),
                     position=span.position, inverted=best.page.inverted, text=tuple(text),
                     confidence=round(overall, 4), unsure=unsure, **merged)
