"""A long file cut into chunks at key frames and stitched back (``media.chunks``) gives exactly
what one pass gives: the same per-frame scalars bit for bit, so the same shots and transitions,
whatever codec and GOP structure, with chunk boundaries inside shots, fades and dissolves."""

from __future__ import annotations

from dataclasses import fields, replace
from pathlib import Path

import numpy as np
import pytest

from binsight.media import chunks
from binsight.media.probe import probe
from binsight.media.shots import detect_shots
from binsight.media.types import DetectorConfig, FrameStats
from media_factory import edited_reel, encode, has_encoder

CONFIG = DetectorConfig()

# (codec, encoder options, file name): short GOPs with B-frames, and HEVC with open GOPs, whose
# leading pictures after a key frame reference the GOP before it
CODECS = [("libx264", {"g": "17", "bf": "3"}, "reel.mp4"),
          ("libx265", {"preset": "ultrafast", "x265-params": "keyint=19:min-keyint=5:open-gop=1:log-level=none"},
           "reel.mkv"),
          ("mpeg4", {"g": "13", "bf": "2"}, "reel.avi")]


@pytest.fixture(scope="module")
def reel() -> list[np.ndarray]:
    return edited_reel()


@pytest.mark.parametrize("codec,options,name", CODECS, ids=[c[0] for c in CODECS])
def test_stitched_chunks_equal_one_pass(reel, tmp_path: Path, codec: str, options: dict[str, str], name: str) -> None:
    if not has_encoder(codec):
        pytest.skip(f"this FFmpeg has no {codec} encoder")
    path = str(encode(tmp_path / name, reel, codec=codec, options=options))
    info = probe(path)
    whole = detect_shots(path, info, CONFIG, fast=False)  # as an ingest's one pass decodes
    plan = chunks.plan(path, info, 1.5)
    assert len(plan) >= 15 and plan[0].start_pts is None and plan[-1].end_pts is None
    assert all(a.end_pts == b.start_pts for a, b in zip(plan, plan[1:]))
    parts = [chunks.analyse(path, info, chunk, CONFIG) for chunk in reversed(plan)]  # any order
    assert [p.problem for p in parts] == [""] * len(plan)
    stitched = chunks.stitch(parts, info, CONFIG)
    for column in fields(FrameStats):
        assert np.array_equal(getattr(stitched.frame_stats, column.name), getattr(whole.frame_stats, column.name)), \
            column.name
    assert stitched.shots == whole.shots and stitched.boundaries == whole.boundaries
    assert stitched.black_spans == whole.black_spans and stitched.frames_decoded == whole.frames_decoded == len(reel)
    # the boundaries fell inside shots and inside transitions, not only on cuts
    edges = np.cumsum([len(p.stats) for p in sorted(parts, key=lambda p: p.chunk.number)])[:-1]
    assert sum(any(s.start_frame < e < s.end_frame - 1 for e in edges) for s in whole.shots) >= 5
    assert any(b.first_frame < e <= b.last_frame for b in whole.boundaries for e in edges if b.kind != "cut")


def test_a_short_file_is_one_chunk(reel, tmp_path: Path) -> None:
    path = str(encode(tmp_path / "short.mp4", reel[:100], options={"g": "10"}))
    assert len(chunks.plan(path, probe(path), 2.5)) == 1  # 4 s: not two chunks of 2.5 s
    assert len(chunks.plan(path, probe(path), 2.0)) == 2
    assert len(chunks.plan(path, probe(path), 0)) == 1  # 0: never split


def test_chunks_that_do_not_make_up_the_file_are_not_stitched(reel, tmp_path: Path) -> None:
    path = str(encode(tmp_path / "reel.mp4", reel, options={"g": "25"}))
    info = probe(path)
    parts = [chunks.analyse(path, info, chunk, CONFIG) for chunk in chunks.plan(path, info, 5.0)]
    assert len(parts) >= 4
    with pytest.raises(chunks.NotStitched, match="missing"):
        chunks.stitch(parts[:2] + parts[3:], info, CONFIG)
    with pytest.raises(chunks.NotStitched, match="chunk 1: decoded with errors"):
        chunks.stitch([parts[0], replace(parts[1], problem="decoded with errors"), *parts[2:]], info, CONFIG)
    with pytest.raises(chunks.NotStitched, match="frames decoded of the"):  # the header promises more
        chunks.stitch(parts, replace(info, frame_count=len(reel) + 1), CONFIG)
    # a chunk whose key frame is not where the plan says gets a problem, not wrong scalars
    moved = replace(parts[2].chunk, start_pts=parts[2].chunk.start_pts + 1)
    assert chunks.analyse(path, info, moved, CONFIG).problem.startswith("no frame at the chunk's key frame")
