"""Face backend throughput: frames scanned/s and faces/s (detection + landmarks + alignment +
embedding, i.e. ``FaceModel.analyze``) on real footage and on generated 1080p frames.

Workloads:
  clip-360p   frames sampled evenly from ../shared/media/short_hamilton_clip.mp4 (640x360; a wide
              shot with ~45 px faces, a medium shot, a profile, a small-faced audience)
  1080p-med   each group photo of ../shared/faces letterboxed into a 1920x1080 frame (faces
              150-250 px)
  1080p-wide  3x3 mosaics of the group and portrait photos in 1920x1080 (faces 35-80 px: the
              wide shots that need the detection upscale)

Backends: dlib HOG and dlib CNN with the default FaceConfig (what ``analyze`` uses), plus
InsightFace and SFace when given a pack directory.

With ``--run`` (``--only-run`` skips the table), ``binsight run`` with faces off and on, side by
side: on the clip, and on a generated 1080p25 H.264 clip (cached under --clip-dir; 6 shots of 6 s
built from the shared photos placed so faces are 32-150 px, each slowly panning, one shot
without faces). Printed: footage, wall and CPU seconds (getrusage of the CLI process: on a
shared machine the CPU figure is the one to compare), the real-time factor (footage s / wall s),
the on/off ratios and the faces stored per shot. Ingest goes through ``analyze_shot`` (coarse
to fine, within the per-shot budgets), not ``analyze`` per frame.

    /work/venv/bin/python bench/faces.py [--cnn-frames 2] [--insightface-pack DIR] [--run | --only-run]

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


#: Face box heights HOG reports on each shared photo at native size (measured once, see
#: ../shared/faces): the clip generator scales photos by target_px / these to place faces.
PHOTO_FACE_PX = {
    "groups/kit_with_rose.jpg": 90, "groups/obama_and_biden_1.jpg": 150, "groups/obama_and_biden_2.jpg": 180,
    "people/alex_lacamoire/1.jpg": 311, "people/alex_lacamoire/3.png": 180, "people/barack_obama/1.jpg": 259,
    "people/barack_obama/2.jpg": 310, "people/joe_biden/2.jpg": 447, "people/kit_harington/2.jpg": 180,
    "people/kit_harington/3.jpg": 180, "people/lin_manuel_miranda/1.png": 311, "people/rose_leslie/2.jpg": 259,
}
PHOTO_FACES = {"groups/kit_with_rose.jpg": 2, "groups/obama_and_biden_1.jpg": 2, "groups/obama_and_biden_2.jpg": 3}

#: The generated 1080p clip: per shot, (photo, target face px, x, y on the canvas). Canvases are
#: 1920+90 by 1080+30 so the 6 s pan has room; faces 30-150 px, one shot without faces.
HD_SHOTS: list[tuple[str, list[tuple[str, int, int, int]]]] = [
    ("medium 2 groups, faces 120-150 px", [("groups/obama_and_biden_1.jpg", 140, 80, 250),
                                          ("groups/kit_with_rose.jpg", 120, 1300, 150)]),
    ("wide, 6 photos, faces 45-50 px", [("groups/obama_and_biden_2.jpg", 48, 100, 600),
                                       ("groups/kit_with_rose.jpg", 50, 800, 200),
                                       ("people/barack_obama/1.jpg", 45, 1200, 650),
                                       ("people/joe_biden/2.jpg", 48, 1500, 250),
                                       ("people/rose_leslie/2.jpg", 46, 350, 150),
                                       ("people/alex_lacamoire/1.jpg", 50, 1700, 700)]),
    ("no faces (texture)", []),
    ("very wide, faces 32-40 px", [("groups/obama_and_biden_1.jpg", 36, 200, 500),
                                   ("groups/obama_and_biden_2.jpg", 38, 900, 300),
                                   ("people/kit_harington/3.jpg", 34, 1500, 700),
                                   ("people/lin_manuel_miranda/1.png", 40, 1600, 200),
                                   ("people/barack_obama/2.jpg", 35, 500, 150)]),
    ("mixed, faces 60-100 px", [("people/lin_manuel_miranda/1.png", 100, 150, 300),
                                ("people/kit_harington/2.jpg", 80, 800, 250),
                                ("people/rose_leslie/2.jpg", 70, 1350, 500),
                                ("groups/kit_with_rose.jpg", 60, 1700, 100)]),
    ("medium-wide group, faces 70 px + 50 px", [("groups/obama_and_biden_2.jpg", 70, 100, 200),
                                               ("groups/obama_and_biden_1.jpg", 50, 1300, 600)]),
]
HD_SHOT_SECONDS, HD_FPS, HD_PAN = 6.0, 25, (90, 30)
HD_CLIP_VERSION = 2


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A smooth coloured texture (a stand-in for a set)."""
    low = rng.integers(40, 200, (height // 120 + 2, width // 120 + 2, 3), dtype=np.uint8)
    return cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)


def _canvas(index: int, placements: list[tuple[str, int, int, int]]) -> tuple[np.ndarray, int]:
    rng = np.random.default_rng(100 + index)
    canvas = _background(rng, HD[0] + HD_PAN[0], HD[1] + HD_PAN[1])
    faces = 0
    for photo, face_px, x, y in placements:
        image = cv2.imread(str(SHARED / "faces" / photo))
        scale = face_px / PHOTO_FACE_PX[photo]
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = image.shape[:2]
        h, w = min(h, canvas.shape[0] - y), min(w, canvas.shape[1] - x)
        canvas[y : y + h, x : x + w] = image[:h, :w]
        faces += PHOTO_FACES.get(photo, 1)
    return canvas, faces


def hd_clip(folder: Path) -> tuple[Path, list[int]]:
    """The generated 1080p25 H.264 clip (cached in ``folder``) and the faces placed in each shot.
    Each shot pans slowly (90x30 px over 6 s) across its canvas; cuts are hard."""
    import av

    path = folder / f"faces_1080p_v{HD_CLIP_VERSION}.mp4"
    placed = [_canvas(i, p)[1] for i, (_, p) in enumerate(HD_SHOTS)]
    if path.is_file():
        return path, placed
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        stream = container.add_stream("libx264", rate=HD_FPS)
        stream.width, stream.height, stream.pix_fmt = HD[0], HD[1], "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "20"}
        frames = int(HD_SHOT_SECONDS * HD_FPS)
        for index, (_, placements) in enumerate(HD_SHOTS):
            canvas, _ = _canvas(index, placements)
            for n in range(frames):
                t = n / (frames - 1)
                if index % 2:
                    t = 1 - t
                x, y = round(t * HD_PAN[0]), round(t * HD_PAN[1])
                frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(canvas[y : y + HD[1], x : x + HD[0]]),
                                                   format="bgr24")
                for packet in stream.encode(frame):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    tmp.replace(path)
    return path, placed


def measure(model: FaceModel, frames: list[np.ndarray]) -> tuple[int, float, float]:
    """Faces found, wall seconds and CPU seconds spent analysing ``frames``, after a warm-up on a
    quarter-size frame (session start-up for the ONNX backends; cheap even for the CNN). On a
    shared machine the CPU time is the load-independent figure: everything runs on one thread."""
    model.analyze(np.ascontiguousarray(frames[0][::4, ::4]))
    wall, cpu = time.perf_counter(), time.process_time()
    faces = sum(len(model.analyze(frame)) for frame in frames)
    return faces, time.perf_counter() - wall, time.process_time() - cpu


def ingest(clip: Path, faces_on: bool, by_time: bool = False, extra_config: str = "") -> dict:
    """``binsight run`` on ``clip`` in a fresh data dir: footage, wall and CPU seconds (the CLI
    process and its children, from getrusage: the load-independent figure on a shared machine),
    and the faces stored per shot with their sizes."""
    binsight = shutil.which("binsight", path=str(Path(sys.executable).parent))
    if binsight is None:
        return {"error": "binsight CLI not installed"}
    capture = cv2.VideoCapture(str(clip))
    duration = capture.get(cv2.CAP_PROP_FRAME_COUNT) / capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "binsight.toml"
        config.write_text(f"[faces]\nenabled = {'true' if faces_on else 'false'}\n{extra_config}")
        command = [binsight, "--data-dir", str(Path(tmp) / "data"), "--config", str(config),
                   "run", str(clip), "--out", str(Path(tmp) / "out")]
        start, cpu = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800)
        elapsed, used = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            return {"error": (result.stderr.strip().splitlines() or ["failed"])[-1]}
        per_shot: dict[int, list[float]] = {}
        if faces_on:
            from binsight.store import Store

            store = Store(Path(tmp) / "data" / "db")
            shots = {row["shot_id"]: row["idx"] for row in store.rows("shots")}
            per_shot = {idx: [] for idx in (range(len(HD_SHOTS)) if by_time else shots.values())}
            for row in store.rows("faces"):
                # the generated clip: by the shot that was placed there (whatever the detector cut)
                key = (min(int(row["time_s"] // HD_SHOT_SECONDS), len(HD_SHOTS) - 1) if by_time
                       else shots[row["shot_id"]])
                per_shot[key].append(row["size_px"])
        detected = len(shots) if faces_on else None
    cpu_s = (used.ru_utime + used.ru_stime) - (cpu.ru_utime + cpu.ru_stime)
    return {"footage": duration, "wall": elapsed, "cpu": cpu_s, "per_shot": per_shot, "shots": detected}


def print_ingest(name: str, clip: Path, placed: list[int] | None = None) -> None:
    """Faces off then on, side by side, with the on/off ratios and the faces found per shot."""
    print(f"\n`binsight run` on {name} (RTF = footage s / wall s; CPU = user+sys of the CLI process)")
    results = {}
    for faces_on in (False, True):
        r = ingest(clip, faces_on, by_time=placed is not None)
        results[faces_on] = r
        if "error" in r:
            print(f"  faces {'on ' if faces_on else 'off'}  failed: {r['error']}", flush=True)
            return
        print(f"  faces {'on ' if faces_on else 'off'}  footage {r['footage']:5.1f} s   wall {r['wall']:6.1f} s   "
              f"CPU {r['cpu']:6.1f} s   RTF {r['footage'] / r['wall']:5.2f}   "
              f"CPU/footage {r['cpu'] / r['footage']:4.2f}", flush=True)
    off, on = results[False], results[True]
    print(f"  on/off ratio: wall {on['wall'] / off['wall']:.2f}, CPU {on['cpu'] / off['cpu']:.2f}; "
          f"{on['shots']} shots detected, faces found per {'placed' if placed else 'detected'} shot:")
    for idx, sizes in sorted(on["per_shot"].items()):
        want = f" of {placed[idx]} placed" if placed and idx < len(placed) else ""
        label = f"  ({HD_SHOTS[idx][0]})" if placed and idx < len(HD_SHOTS) else ""
        span = f", {min(sizes):.0f}-{max(sizes):.0f} px" if sizes else ""
        print(f"    shot {idx}: {len(sizes):3d} face rows{span}{label}{want}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip-frames", type=int, default=24)
    parser.add_argument("--hd-wide-frames", type=int, default=3)
    parser.add_argument("--cnn-frames", type=int, default=2, help="frames per workload for the slow CNN")
    parser.add_argument("--insightface-pack", type=Path)
    parser.add_argument("--sface-pack", type=Path)
    parser.add_argument("--run", action="store_true",
                        help="also time `binsight run` with faces on/off on the clip and a generated 1080p clip")
    parser.add_argument("--only-run", action="store_true", help="skip the per-frame backend table")
    parser.add_argument("--clip-dir", type=Path, default=Path(tempfile.gettempdir()) / "binsight-bench",
                        help="where the generated 1080p clip is cached")
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
    for name, build, config, limit in ([] if args.only_run else backends):
        model = build(config)
        for workload, frames in workloads.items():
            frames = frames[:limit] if limit else frames
            faces, wall, cpu = measure(model, frames)
            print(f"{name:<12} {config.min_face_px:>6} {workload:<11} {len(frames):>6} {faces:>6} {wall:>7.2f} "
                  f"{cpu:>7.2f} {len(frames) / cpu:>12.2f} {faces / cpu:>11.2f}", flush=True)

    if args.run or args.only_run:
        args.clip_dir.mkdir(parents=True, exist_ok=True)
        print_ingest(CLIP.name, CLIP)
        clip, placed = hd_clip(args.clip_dir)
        print_ingest(f"{clip.name} (generated 1080p25 H.264, {len(HD_SHOTS)} shots)", clip, placed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
