"""Version-compare benchmark: Binsight's align-then-diff against SAGE's index-by-index segments.

Run from the project root: ``python bench/compare.py`` (about 4 minutes on 2 cores).

SAGE (the design seed) cuts both versions into fixed 2 s segments and compares segment i of A
with segment i of B. Here it gets the same per-frame fingerprints and the same thresholds
Binsight's ``changed`` uses (fine structure or colour), frame k of segment i against frame k of
segment i, so the two differ only in aligning first. A segment that one version fills and the
other does not (past the end of the shorter one) counts as flagged.

Pairs, all in one run on the same files:

- the real cut: the shared clips' shots interleaved (tests/cut_versions.py) at 640x360, and its
  versions: a re-encode at 320x180 and a quarter of the bitrate, a shot replaced, a shot
  inserted, a shot removed, two shots swapped, one shot graded, a head trimmed by 12 frames;
- the shared clips themselves (black gaps, fades, a dissolve) against a small, low-bitrate
  re-encode: nothing changed;
- the same edits of generated footage (pans over textures, 320x180);
- a generated long take (too few shots: Binsight falls back to 2 s segments) with an insert,
  a cut-out, a graded stretch and a head trim.

Scoring. Binsight: a true difference is found when a reported one has its kind and both ranges
within one frame; every other reported difference is false. SAGE: a flagged segment is true
when a true difference's A range overlaps it in A or its B range in B, false otherwise; a true
difference is missed when no flagged segment overlaps it (for a trim, the frames taken off and
the cut where they were count, not the whole shot). Time per pair is wall time for
decoding and analysing both files plus the comparison (SAGE decodes fingerprints only, with
no shot detection), the median of three runs.

Last, memory flatness of ``analyse`` (which keeps 288 bytes of fingerprint and the detector's
scalars per frame, no picture): peak RSS of a child process analysing a generated 1-minute and
10-minute clip (160x90, a cut every 4 s), and the time of comparing the 10-minute clip with an
edited copy of itself from the saved analyses.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import cut_versions as cv  # noqa: E402  (version builders shared with the tests)
import media_factory as mf  # noqa: E402

from binsight.compare import CompareConfig, CutAnalysis, analyse, compare  # noqa: E402
from binsight.compare.fingerprint import Fingerprinter, Signatures  # noqa: E402
from binsight.media.probe import probe  # noqa: E402
from binsight.media.video import VideoStream  # noqa: E402

RATE = Fraction(30000, 1001)
SEGMENT_S = 2.0
REPEATS = 3


@dataclass(frozen=True)
class Pair:
    group: str
    name: str
    a: Path
    b: Path
    truth: tuple[cv.TrueChange, ...]


@dataclass(frozen=True)
class Score:
    found: int
    missed: int
    false: int
    flagged: int  # SAGE: segments flagged; Binsight: differences reported
    seconds: float


def _encode(path: Path, frames: list[np.ndarray], crf: int, size: tuple[int, int] | None = None,
            fps: Fraction = RATE) -> Path:
    if size is not None:
        frames = [cv2.resize(f, size, interpolation=cv2.INTER_AREA) for f in frames]
    return mf.encode(path, frames, fps=fps, options={"crf": str(crf)})


def _edit_pairs(group: str, directory: Path, cut: list[cv.Shot], spare: cv.Shot,
                small: tuple[int, int]) -> list[Pair]:
    a = _encode(directory / f"{group}_a.mp4", [f for s in cut for f in s], 18)
    pairs = []
    for version in cv.edits(cut, spare):
        reencode = version.name == "re-encode"
        b = _encode(directory / f"{group}_{version.name.replace(' ', '_')}.mp4", version.frames(),
                    34 if reencode else 23, small if reencode else None)
        pairs.append(Pair(group, version.name, a, b, version.truth))
    return pairs


def _long_take_pairs(directory: Path) -> list[Pair]:
    fps = Fraction(25)
    take = list(mf.pan(7, 600, step=1, width=320, height=180))
    other = list(mf.pan(8, 60, step=1, width=320, height=180))
    a = _encode(directory / "take_a.mp4", take, 18, fps=fps)
    versions = {
        "insert": (take[:300] + other + take[300:], (cv.TrueChange("inserted", None, (300, 360)),)),
        "cut out": (take[:200] + take[260:], (cv.TrueChange("deleted", (200, 260), None),)),
        "grade": (take[:200] + [cv.warm_grade(f) for f in take[200:300]] + take[300:],
                  (cv.TrueChange("changed", (200, 300), (200, 300)),)),
        "head trim": (take[30:], (cv.TrueChange("trimmed", (0, 600), (0, 570), -30),)),
    }
    return [Pair("long take", name, a, _encode(directory / f"take_{name.replace(' ', '_')}.mp4",
                                                frames, 23, fps=fps), truth)
            for name, (frames, truth) in versions.items()]


def _shared_pairs(directory: Path) -> list[Pair]:
    pairs = []
    for name in ("short_hamilton_clip.mp4", "testvideo.mp4"):
        source = mf.SHARED_MEDIA / name
        if not source.is_file():
            continue
        (frames,) = cv.decode_shots(source, [(0, probe(str(source)).frame_count)], (320, 180))
        pairs.append(Pair("shared clip", f"{name} re-encode", source,
                          _encode(directory / f"reencoded_{name}", frames, 34), ()))
    return pairs


def _near(found: tuple[int, int] | None, true: tuple[int, int] | None) -> bool:
    if found is None or true is None:
        return found is true
    return abs(found[0] - true[0]) <= 1 and abs(found[1] - true[1]) <= 1


def _timed(run: Callable[[], object]) -> tuple[object, float]:
    times, result = [], None
    for _ in range(REPEATS):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def binsight(pair: Pair, config: CompareConfig) -> Score:
    comparison, seconds = _timed(lambda: compare(analyse(str(pair.a), config),
                                                 analyse(str(pair.b), config), config))
    reported = [(d.kind.value, None if d.a is None else (d.a.start, d.a.end),
                 None if d.b is None else (d.b.start, d.b.end), d.head_frames)
                for d in comparison.differences]  # type: ignore[attr-defined]
    matched: set[int] = set()
    for t in pair.truth:
        for i, (kind, a, b, head) in enumerate(reported):
            if i not in matched and kind == t.kind and _near(a, t.a) and _near(b, t.b) \
                    and head == t.head_frames:
                matched.add(i)
                break
    return Score(found=len(matched), missed=len(pair.truth) - len(matched),
                 false=len(reported) - len(matched), flagged=len(reported), seconds=seconds)


def _fingerprints(path: Path) -> Signatures:
    """SAGE's decode: every frame fingerprinted, no shot detection."""
    info = probe(str(path))
    fingerprints = Fingerprinter(info.rotation)
    for decoded in VideoStream(str(path), info, fast=True):
        fingerprints.add(decoded)
    return Signatures.of(fingerprints.luma(), fingerprints.chroma())


def _sage_flags(a: Signatures, b: Signatures, length: int, config: CompareConfig) -> list[bool]:
    flags = []
    for start in range(0, max(len(a), len(b)), length):
        end_a, end_b = min(start + length, len(a)), min(start + length, len(b))
        if end_a != end_b:
            flags.append(True)  # one version has run out: the segments cannot be the same
            continue
        frames = np.arange(start, end_a)
        structure = float(np.median(a.paired(frames, b, frames)))
        colour = float(a.colour_distance(frames, b, frames).mean())
        flags.append(structure > config.changed_structure or colour > config.changed_colour)
    return flags


def _changed_spans(t: cv.TrueChange) -> tuple[tuple[int, int] | None, tuple[int, int] | None]:
    """The frames a true difference actually touches in A and in B: for a trim, the frames
    taken off the head and the cut where they were, not the whole shot."""
    if t.kind == "trimmed" and t.a is not None and t.b is not None:
        return (t.a[0], t.a[0] - t.head_frames), (t.b[0], t.b[0] + 1)
    return t.a, t.b


def sage(pair: Pair, config: CompareConfig) -> Score:
    rate = probe(str(pair.a)).frame_rate
    length = round(SEGMENT_S * float(rate))
    flags, seconds = _timed(lambda: _sage_flags(_fingerprints(pair.a), _fingerprints(pair.b),
                                                length, config))

    def overlaps(span: tuple[int, int] | None, segment: int) -> bool:
        return span is not None and span[0] < (segment + 1) * length and span[1] > segment * length

    flagged = [i for i, f in enumerate(flags) if f]  # type: ignore[arg-type]
    touched = [_changed_spans(t) for t in pair.truth]
    true_segments = {i for i in flagged for a, b in touched if overlaps(a, i) or overlaps(b, i)}
    found = sum(1 for a, b in touched if any(overlaps(a, i) or overlaps(b, i) for i in flagged))
    return Score(found=found, missed=len(pair.truth) - found,
                 false=len(flagged) - len(true_segments), flagged=len(flagged), seconds=seconds)


def _long_clip(path: Path, minutes: int, seed: int = 0) -> Path:
    shots = (mf.pan(seed + i, 100, step=1, width=160, height=90) for i in range(minutes * 15))
    return mf.encode(path, (f for shot in shots for f in shot), fps=Fraction(25))


def child_analyse(path: str, saved: str) -> None:
    """Child side: analyse one file, save it, print peak RSS (VmHWM: ru_maxrss would carry the
    parent's peak over exec) and the analysis arrays' size."""
    started = time.perf_counter()
    analysis = analyse(path)
    seconds = time.perf_counter() - started
    analysis.save(saved)
    status = Path("/proc/self/status").read_text()
    peak = int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]
    arrays = sum(a.nbytes for a in (analysis.time_s, analysis.sharpness, analysis.luma,
                                    analysis.chroma))
    print(json.dumps({"frames": analysis.frame_count, "seconds": seconds, "peak_rss_mb": peak,
                      "arrays_mb": arrays / 2 ** 20}))


def _child(path: Path, saved: Path) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", str(path), str(saved)],
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def memory(directory: Path) -> None:
    print("\nanalyse() memory flatness (child process per file, 160x90, a cut every 4 s):")
    peaks = {}
    for minutes in (1, 10):
        clip = _long_clip(directory / f"long_{minutes}.mp4", minutes)
        r = _child(clip, directory / f"long_{minutes}.npz")
        peaks[minutes] = r["peak_rss_mb"]
        print(f"  {minutes:2d} min: {r['frames']} frames analysed in {r['seconds']:.1f} s, peak RSS "
              f"{r['peak_rss_mb']:.0f} MB, analysis arrays {r['arrays_mb']:.1f} MB")
    print(f"  10 min / 1 min peak RSS: {peaks[10] / peaks[1]:.3f}")
    a = CutAnalysis.load(directory / "long_10.npz")
    # B: the 10-minute cut with its 20th shot taken out and a new shot in at the 100th
    shots = [list(mf.pan(i, 100, step=1, width=160, height=90)) for i in range(150)]
    new = [*shots[:19], *shots[20:99], list(mf.pan(999, 80, step=1, width=160, height=90)),
           *shots[99:]]
    b = analyse(str(mf.encode(directory / "long_10_edit.mp4", (f for s in new for f in s),
                              fps=Fraction(25))))
    comparison, seconds = _timed(lambda: compare(a, b))
    kinds = [d.kind.value for d in comparison.differences]  # type: ignore[attr-defined]
    print(f"  compare 10 min against an edit of it (one shot out, one in), analyses loaded: "
          f"{seconds * 1000:.0f} ms, reported {kinds}")


def main() -> None:
    config = CompareConfig()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        pairs: list[Pair] = []
        if (mf.SHARED_MEDIA / "testvideo.mp4").is_file():
            pool = _real_pool_at(640, 360)
            cut = [pool[i] for i in (0, 4, 1, 5, 2, 6, 3)]
            pairs += _edit_pairs("real cut", directory, cut, pool[7], (320, 180))
            pairs += _shared_pairs(directory)
        else:
            print(f"(shared media absent at {mf.SHARED_MEDIA}: real footage pairs skipped)")
        generated = cv.generated_pool(size=(320, 180))
        pairs += _edit_pairs("generated", directory, generated[:7], generated[7], (192, 108))
        pairs += _long_take_pairs(directory)
        rows = [(pair, binsight(pair, config), sage(pair, config)) for pair in pairs]
        _print(rows)
        memory(directory)


def _real_pool_at(width: int, height: int) -> list[cv.Shot]:
    shots: list[cv.Shot] = []
    for name, spans in cv.REAL_SHOTS.items():
        shots += cv.decode_shots(mf.SHARED_MEDIA / name, spans, (width, height))
    return shots


def _print(rows: list[tuple[Pair, Score, Score]]) -> None:
    header = (f"{'pair':<48} {'true':>4} | {'Binsight: found':>15} {'missed':>6} {'false':>5} "
              f"{'s/pair':>6} | {'SAGE: flagged':>13} {'false':>5} {'missed':>6} {'s/pair':>6}")
    print(header)
    print("-" * len(header))
    group = None
    for pair, ours, theirs in rows:
        if pair.group != group:
            group = pair.group
        label = f"{pair.group}: {pair.name}"
        print(f"{label:<48} {len(pair.truth):>4} | {ours.found:>15} {ours.missed:>6} "
              f"{ours.false:>5} {ours.seconds:>6.2f} | {theirs.flagged:>13} {theirs.false:>5} "
              f"{theirs.missed:>6} {theirs.seconds:>6.2f}")
    print("-" * len(header))
    truth = sum(len(p.truth) for p, _, _ in rows)
    ours_time = sum(o.seconds for _, o, _ in rows)
    sage_time = sum(s.seconds for _, _, s in rows)
    print(f"{'total (' + str(len(rows)) + ' pairs)':<48} {truth:>4} | "
          f"{sum(o.found for _, o, _ in rows):>15} {sum(o.missed for _, o, _ in rows):>6} "
          f"{sum(o.false for _, o, _ in rows):>5} {ours_time:>6.2f} | "
          f"{sum(s.flagged for _, _, s in rows):>13} {sum(s.false for _, _, s in rows):>5} "
          f"{sum(s.missed for _, _, s in rows):>6} {sage_time:>6.2f}")
    print(f"time Binsight / SAGE: {ours_time / sage_time:.2f}x (Binsight also detects shots; "
          "both decode every frame)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("PATH", "SAVED"),
                        help="internal: analyse one file, save it, print JSON")
    args = parser.parse_args()
    if args.child:
        child_analyse(*args.child)
    else:
        main()
