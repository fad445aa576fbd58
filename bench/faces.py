"""Face backend throughput: frames scanned/s and faces/s (detection + landmarks + alignment +
embedding, i.e. ``FaceModel.analyze``) on real footage and on generated 1080p frames.

Workloads:
  clip-360p   frames sampled evenly from ../shared/media/short_hamilton_clip.mp4 (640x360; a wide
              shot with ~45 px faces, a medium shot, a profile, a small-faced audience)
  1080p-med   each group photo of ../shared/faces letterboxed into a 1920x1080 frame (faces
              150-250 px)
  1080p-wide  3x3 mosaics of the group and portrait photos in 1920x1080 (faces 35-80 px: the
              wide shots that need the detection upscale)

Backends: dlib HOG and dlib CNN with the default FaceConfig (what ingest uses), plus InsightFace
and SFace when given a pack directory. With ``--run``, also the real-time factor of
``binsight run`` on the clip with faces on and off (seconds of footage per wall-clock second).

    /work/venv/bin/python bench/faces.py [--cnn-frames 2] [--insightface-pack DIR] [--run]

Runs single-threaded (OpenCV and BLAS) so numbers are per core and the machine stays usable.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from binsight.faces.base import FaceConfig, FaceModel

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
CLIP = SHARED / "media" / "short_hamilton_clip.mp4"
HD = (1920, 1080)


def clip_frames(count: int) -> list[np.ndarray]:
    """``count`` frames spread evenly over the clip, in decode order."""
    capture = cv2.VideoCapture(str(CLIP))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    wanted = set(np.linspace(0, total - 1, count).round().astype(int).tolist())
    frames, index = [], 0
    while len(frames) < len(wanted):
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            frames.append(frame)
        index += 1
    capture.release()
    return frames


def fit(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """``image`` scaled to fit (width, height), centred on black."""
    scale = min(width / image.shape[1], height / image.shape[0])
    resized = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    canvas = np.zeros((height, width, 3), np.uint8)
    y, x = (height - resized.shape[0]) // 2, (width - resized.shape[1]) // 2
    canvas[y : y + resized.shape[0], x : x + resized.shape[1]] = resized
    return canvas


def hd_medium() -> list[np.ndarray]:
    return [fit(cv2.imread(str(p)), *HD) for p in sorted((SHARED / "faces" / "groups").iterdir())]


def hd_wide(count: int) -> list[np.ndarray]:
    photos = sorted((SHARED / "faces" / "groups").iterdir()) + sorted((SHARED / "faces" / "people").glob("*/*"))
    cell_w, cell_h = HD[0] // 3, HD[1] // 3
    frames = []
    for start in range(count):
        cells = [fit(cv2.imread(str(photos[(start * 9 + i) % len(photos)])), cell_w, cell_h) for i in range(9)]
        rows = [np.hstack(cells[r * 3 : r * 3 + 3]) for r in range(3)]
        frames.append(cv2.resize(np.vstack(rows), HD))
    return frames


def measure(model: FaceModel, frames: list[np.ndarray]) -> tuple[int, float, float]:
    """Faces found, wall seconds and CPU seconds spent analysing ``frames``, after a warm-up on a
    quarter-size frame (session start-up for the ONNX backends; cheap even for the CNN). On a
    shared machine the CPU time is the load-independent figure: everything runs on one thread."""
    model.analyze(np.ascontiguousarray(frames[0][::4, ::4]))
    wall, cpu = time.perf_counter(), time.process_time()
    faces = sum(len(model.analyze(frame)) for frame in frames)
    return faces, time.perf_counter() - wall, time.process_time() - cpu


def run_rtf(faces_on: bool) -> tuple[float, str]:
    """Real-time factor of ``binsight run`` on the clip in a fresh data dir (footage s / wall s)."""
    binsight = shutil.which("binsight", path=str(Path(sys.executable).parent))
    if binsight is None:
        return float("nan"), "binsight CLI not installed"
    capture = cv2.VideoCapture(str(CLIP))
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "binsight.toml"
        config.write_text(f"[faces]\nenabled = {'true' if faces_on else 'false'}\n")
        command = [binsight, "--data-dir", str(Path(tmp) / "data"), "--config", str(config),
                   "run", str(CLIP), "--out", str(Path(tmp) / "out")]
        start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(command, capture_output=True, text=True, timeout=900)
        elapsed, used = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        return float("nan"), (result.stderr.strip().splitlines() or ["failed"])[-1]
    cpu_s = (used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    return duration / elapsed, f"{elapsed:.1f} s wall, {cpu_s:.1f} s CPU for {duration:.1f} s of footage"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip-frames", type=int, default=24)
    parser.add_argument("--hd-wide-frames", type=int, default=3)
    parser.add_argument("--cnn-frames", type=int, default=2, help="frames per workload for the slow CNN")
    parser.add_argument("--insightface-pack", type=Path)
    parser.add_argument("--sface-pack", type=Path)
    parser.add_argument("--run", action="store_true", help="also time `binsight run` with faces on/off")
    args = parser.parse_args()
    if not CLIP.is_file():
        print(f"shared media not found at {CLIP}", file=sys.stderr)
        return 2
    cv2.setNumThreads(1)

    from binsight.faces.dlib_backend import DlibFaceModel

    workloads = {
        "clip-360p": clip_frames(args.clip_frames),
        "1080p-med": hd_medium(),
        "1080p-wide": hd_wide(args.hd_wide_frames),
    }
    # (name, constructor, config, frames per workload). The CNN runs at min_face_px=80, i.e. at
    # native scale: at the 32 px default it scans 6x the pixels (one 360p frame took 36 s).
    # HOG is listed at both sizes so the two detectors compare like for like.
    hog_native = FaceConfig(detector="hog", min_face_px=80)
    backends: list[tuple[str, Callable[[FaceConfig], FaceModel], FaceConfig, int | None]] = [
        ("dlib-hog", lambda c: DlibFaceModel.from_pack(config=c), FaceConfig(detector="hog"), None),
        ("dlib-hog", lambda c: DlibFaceModel.from_pack(config=c), hog_native, None),
        ("dlib-cnn", lambda c: DlibFaceModel.from_pack(config=c), FaceConfig(detector="cnn", min_face_px=80), args.cnn_frames),
    ]
    if args.insightface_pack:
        from binsight.faces.insightface_backend import InsightFaceModel

        backends.append(("insightface", lambda c: InsightFaceModel.from_pack(args.insightface_pack, c), FaceConfig(), None))
    if args.sface_pack:
        from binsight.faces.sface_backend import SFaceModel

        backends.append(("sface", lambda c: SFaceModel.from_pack(args.sface_pack, c), FaceConfig(), None))

    print(f"FaceConfig defaults: {FaceConfig()}  (single-threaded; load average {os.getloadavg()[0]:.1f})")
    header = (f"{'backend':<12} {'min px':>6} {'workload':<11} {'frames':>6} {'faces':>6} {'wall s':>7} "
              f"{'cpu s':>7} {'frames/cpu-s':>12} {'faces/cpu-s':>11}")
    print(header)
    print("-" * len(header))
    for name, build, config, limit in backends:
        model = build(config)
        for workload, frames in workloads.items():
            frames = frames[:limit] if limit else frames
            faces, wall, cpu = measure(model, frames)
            print(f"{name:<12} {config.min_face_px:>6} {workload:<11} {len(frames):>6} {faces:>6} {wall:>7.2f} "
                  f"{cpu:>7.2f} {len(frames) / cpu:>12.2f} {faces / cpu:>11.2f}", flush=True)

    if args.run:
        print("\n`binsight run` on short_hamilton_clip.mp4 (real-time factor = footage s / wall s)")
        for faces_on in (False, True):
            rtf, note = run_rtf(faces_on)
            print(f"  faces {'on ' if faces_on else 'off'}  RTF {rtf:6.2f}   {note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
