"""Ingest benchmark: how close a whole file's ingest stands to a plain decode of the same file.

Run from the project root: ``python bench/ingest.py`` (about 8 minutes on 2 shared cores; the
generated clips are kept in ``--media`` and reused by the next run).

Per file, each measurement in its own fresh interpreter (so peak RSS is its own and no decoder
state is shared):

- ``decode``: the peer, a plain PyAV decode of every frame (``thread_type="AUTO"``, frames
  dropped), the floor any ingest pays;
- ``faces off`` / ``faces on``: ``Ingestor.ingest`` of the file into an empty project with the
  models already loaded (model loading is the start-up line's business), reporting frames/s, the
  real-time factor (footage seconds per wall second), the ratio to the decode, peak RSS, the time
  of each stage (probe, detect, keyframes, embed, faces, store; ``faces`` is the wait for face
  workers beyond what ran alongside) and, on the generated people clips, face recall per shot.

Media: the shared clips (``../shared/media``, skipped when absent) and generated 1080p25 clips in
H.264, HEVC and MPEG-4 Part 2 made of the shared face photos (``../shared/faces``, through
``tests/face_footage.py``), one photo per 1.6 s shot with faces 30-150 px tall, a slow push-in
per shot.

Then a folder line (the generated clips in one ingest job through the project's ingest service,
faces off, slates off: combined frames/s and CPU use against the two cores, with one file at a
time as the peer and two at once, the default) and a start-up line
(``binsight run`` on a 1-second clip against the ingest of that clip alone).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import face_footage as ff  # noqa: E402
import media_factory as mf  # noqa: E402
from process_stats import cpu_seconds, peak_rss_mb  # noqa: E402

SHARED = ["testvideo.mp4", "counter.mp4", "issue-134-rotate.mp4", "short_hamilton_clip.mp4"]
CODECS = [("h264", "libx264", {"crf": "20"}), ("hevc", "libx265", {"crf": "24"}),
          ("mpeg4", "mpeg4", {"qscale": "3"})]
FACE_SIZES = (30, 60, 100, 150)
FRAMES_PER_SHOT = 40
HD = (1920, 1080)


# --- media ---------------------------------------------------------------------------------------

def people_1080p(folder: Path, codec: str, encoder: str, options: dict[str, str]) -> tuple[Path, int]:
    """A 1080p25 clip of every shared face photo, faces cycling through ``FACE_SIZES``; returns
    the path and the frames per shot (truth: every shot shows at least one face)."""
    path = folder / f"people_1080p_{codec}.mp4"
    if not path.is_file():
        ff.FRAME = HD
        shots = ff.photos()
        frames = itertools.chain.from_iterable(
            ff._shot_frames(s.photo, FACE_SIZES[n % len(FACE_SIZES)], FRAMES_PER_SHOT, n + 1)
            for n, s in enumerate(shots))
        tmp = path.with_suffix(".part.mp4")
        mf.encode(tmp, frames, fps=ff.FPS, codec=encoder, options=options)
        tmp.rename(path)
    return path, FRAMES_PER_SHOT


def one_second_clip(folder: Path) -> Path:
    path = folder / "one_second.mp4"
    if not path.is_file():
        mf.encode(path, [*mf.still(mf.texture(1, 640, 360), 12), *mf.pan(2, 13, width=640, height=360)],
                  fps=Fraction(25))
    return path


# --- child side ----------------------------------------------------------------------------------

def child_decode(path: str) -> dict:
    import av

    start, cpu = time.perf_counter(), cpu_seconds()
    frames = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            frames += 1
    return {"frames": frames, "seconds": time.perf_counter() - start, "cpu_seconds": cpu_seconds() - cpu}


def _project(data_dir: Path, faces: bool, slates: bool = False, parallel_files: int = 2):  # noqa: ANN202
    from binsight.app.project import Project
    from binsight.config import Config

    config = Config(data_dir=data_dir, http_address="").override(
        {"faces.enabled": faces, "slates.enabled": slates, "parallel_files": parallel_files})
    project = Project(config)
    _ = (project.models.scene, project.models.face)  # loaded before the clock starts
    return project


def child_ingest(path: str, faces: bool, frames_per_shot: int) -> dict:
    from binsight.ingestor import Ingestor, IngestSettings
    from binsight.media.probe import probe

    with tempfile.TemporaryDirectory(prefix="binsight-bench-ingest-") as tmp:
        project = _project(Path(tmp), faces)
        config = project.config
        ingestor = Ingestor(project.store, project.location.blobs, project.models,
                            IngestSettings(config.detector, config.keyframes, config.faces.extra_samples_per_shot))
        info = probe(path)
        start, cpu = time.perf_counter(), cpu_seconds()
        outcome, _ = ingestor.ingest(Path(path), True, lambda *a: None, lambda: False)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        result = {"frames": info.frame_count, "duration_s": info.duration_s, "seconds": seconds,
                  "cpu_seconds": cpu, "stages": outcome.stage_seconds, "shots": outcome.shots,
                  "faces": outcome.faces}
        if faces and frames_per_shot:
            shots = {s.shot_id: s for s in project.store.shots.of_media(outcome.media_id)}
            truth_shots = info.frame_count // frames_per_shot
            with_face = set()
            for face in project.store.faces.without_vectors(outcome.media_id):
                shot = shots[face.shot_id]
                with_face.add((shot.start_frame + shot.end_frame) // 2 // frames_per_shot)
            result["recall"] = len(with_face) / truth_shots
        project.close()
    return result


def child_folder(folder: str, parallel_files: int) -> dict:
    """One ingest job over the folder through the project's ingest service (faces off),
    ``parallel_files`` files analysed at once."""
    from binsight.jobs import JobState

    files = sorted(Path(folder).glob("people_1080p_*.mp4"))
    with tempfile.TemporaryDirectory(prefix="binsight-bench-folder-") as tmp:
        project = _project(Path(tmp), faces=False, parallel_files=parallel_files)
        frames = 0
        for f in files:
            import av
            with av.open(str(f)) as c:
                frames += c.streams.video[0].frames
        project.access.add_root(folder, "bench")
        start, cpu = time.perf_counter(), cpu_seconds()
        job = project.ingest.start_ingest([str(f) for f in files])
        while not project.jobs.get(job.job_id).state.terminal:
            time.sleep(0.05)
        seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
        state = project.jobs.get(job.job_id).state
        project.close()
    return {"files": len(files), "frames": frames, "seconds": seconds, "cpu_seconds": cpu,
            "ok": state == JobState.SUCCEEDED}


def child_alone(path: str) -> dict:
    """The ingest of the start-up clip alone, faces on, models loaded."""
    return child_ingest(path, True, 0)


def child_main(args: list[str]) -> None:
    mode, path = args[0], args[1]
    try:
        if mode == "decode":
            result = child_decode(path)
        elif mode == "folder":
            result = child_folder(path, int(args[2]))
        else:
            result = child_ingest(path, mode == "faces-on", int(args[2]))
    except Exception as exc:  # reported, not fatal to the bench
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(result))


# --- parent side ---------------------------------------------------------------------------------

def run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True,
                          check=False, env={**os.environ, "BINSIGHT_LOG_LEVEL": "WARNING"})
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"exit code {proc.returncode}: {proc.stderr.strip()[-300:]}"}
    return json.loads(lines[-1])


STAGES = ("probe", "detect", "keyframes", "embed", "faces", "store")


def main(media: Path, only: str | None, skip_startup: bool, skip_files: bool = False) -> None:
    started = time.perf_counter()
    media.mkdir(parents=True, exist_ok=True)
    files: list[tuple[str, Path, int]] = [(n, mf.SHARED_MEDIA / n, 0) for n in SHARED
                                          if (mf.SHARED_MEDIA / n).is_file()]
    if not files:
        print(f"shared media absent at {mf.SHARED_MEDIA}: generated clips only")
    for codec, encoder, options in CODECS:
        if not mf.has_encoder(encoder):
            print(f"no {encoder} encoder in this FFmpeg: no {codec} clip")
            continue
        t = time.perf_counter()
        path, per_shot = people_1080p(media, codec, encoder, options)
        files.append((path.name, path, per_shot))
        print(f"{path.name}: ready in {time.perf_counter() - t:.1f} s")
    if only:
        files = [f for f in files if only in f[0]]
    generated = [f for f in files if f[0].startswith("people_1080p")]
    if skip_files:
        files = []

    print(f"\n{'file':28} {'codec':6} {'mode':9} {'frames':>6} {'fps':>6} {'xRT':>5} {'decode':>6} "
          f"{'ratio':>5} {'cpu':>5} {'RSS MB':>6}  stages (s) {' '.join(f'{s[:5]:>5}' for s in STAGES)}  faces recall")
    summary = []
    for name, path, per_shot in files:
        decode = run_child("decode", str(path))
        if "error" in decode:
            print(f"{name:28} decode failed: {decode['error']}")
            continue
        decode_fps = decode["frames"] / decode["seconds"]
        codec = _codec(path)
        off_seconds = None
        for mode in ("faces-off", "faces-on"):
            r = run_child(mode, str(path), str(per_shot))
            if "error" in r:
                print(f"{name:28} {codec:6} {mode:9} failed: {r['error']}")
                continue
            fps = r["frames"] / r["seconds"]
            rt = r["duration_s"] / r["seconds"]
            ratio = r["seconds"] / decode["seconds"]
            cpu_ratio = r["cpu_seconds"] / decode["cpu_seconds"]
            stages = " ".join(f"{r['stages'].get(s, 0.0):5.2f}" for s in STAGES)
            recall = f"{r['recall']:.2f}" if "recall" in r else "-"
            vs_off = ""
            if mode == "faces-off":
                off_seconds = r["seconds"]
            elif off_seconds:
                vs_off = f"  on/off x{r['seconds'] / off_seconds:.2f}"
            print(f"{name:28} {codec:6} {mode:9} {r['frames']:6d} {fps:6.0f} {rt:5.2f} {decode_fps:6.0f} "
                  f"{ratio:5.2f} {cpu_ratio:5.2f} {r['peak_rss_mb']:6.0f}             {stages}  {r['faces']:5d} {recall:>6}{vs_off}")
            summary.append((name, codec, mode, ratio, rt, r["seconds"], off_seconds, cpu_ratio))
    print("(fps: frames per wall second; xRT: footage seconds per wall second; decode: plain PyAV "
          "decode fps of the same file in the same run; ratio: ingest time / decode time; cpu: the same in CPU seconds, steadier on a shared machine)")

    print("\nTargets at 1080p (generated clips):")
    for name, codec, mode, ratio, rt, seconds, off, cpu_ratio in summary:
        if not name.startswith("people_1080p"):
            continue
        if mode == "faces-off":
            print(f"  {name:28} faces off: x{ratio:.2f} the decode, x{cpu_ratio:.2f} in CPU (target <= 1.25)")
        elif off:
            print(f"  {name:28} faces on: x{seconds / off:.2f} faces off (target <= 2), "
                  f"{rt:.2f}x real time (target > 1)")

    if generated and not only:
        rates = {}
        for files in (1, 2):  # the peer: the same job one file at a time
            r = run_child("folder", str(media), str(files))
            if "error" in r:
                print(f"\nfolder ({files} at once): failed: {r['error']}")
                continue
            busy = r["cpu_seconds"] / r["seconds"] / (os.cpu_count() or 1)
            rates[files] = r["frames"] / r["seconds"]
            print(f"\nfolder of {r['files']} 1080p files, one job, faces off, {files} file(s) at once: {r['frames']} "
                  f"frames in {r['seconds']:.1f} s = {rates[files]:.0f} fps combined; CPU {r['cpu_seconds']:.1f} s = "
                  f"{busy * 100:.0f}% of {os.cpu_count()} cores; peak RSS {r['peak_rss_mb']:.0f} MB"
                  f"{'' if r['ok'] else ' (job did not complete)'}")
        if len(rates) == 2:
            print(f"folder: two files at once x{rates[2] / rates[1]:.2f} the throughput of one at a time")

    if not skip_startup:
        clip = one_second_clip(media)
        alone = run_child("faces-on", str(clip), "0")
        with tempfile.TemporaryDirectory(prefix="binsight-bench-run-") as tmp:
            t = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "binsight.cli", "run", str(clip), "--out",
                                   str(Path(tmp) / "bins")], capture_output=True, text=True, check=False,
                                  env={**os.environ, "BINSIGHT_DATA_DIR": str(Path(tmp) / "data"),
                                       "BINSIGHT_ADDRESS": "127.0.0.1:1", "BINSIGHT_HTTP_ADDRESS": "",
                                       "BINSIGHT_LOG_LEVEL": "WARNING"})
            run = time.perf_counter() - t
        status = "" if proc.returncode == 0 else f" (exit {proc.returncode}: {proc.stderr.strip()[-200:]})"
        if "error" in alone:
            print(f"\nstart-up: ingest alone failed: {alone['error']}")
        else:
            print(f"\nstart-up: binsight run on a 1 s clip {run:.2f} s, its ingest alone "
                  f"{alone['seconds']:.2f} s: run - ingest = {run - alone['seconds']:.2f} s (target <= 3){status}")
    print(f"\ntotal bench time {time.perf_counter() - started:.0f} s")


def _codec(path: Path) -> str:
    import av

    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.name


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+", help="internal: one measurement, printed as JSON")
    parser.add_argument("--media", type=Path, default=Path(tempfile.gettempdir()) / "binsight-bench-ingest-media",
                        help="where the generated clips are made and kept")
    parser.add_argument("--only", help="only files whose name contains this")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up line")
    parser.add_argument("--no-files", action="store_true", help="only the folder and start-up lines")
    args = parser.parse_args()
    if args.child:
        child_main(args.child)
    else:
        main(args.media, args.only, args.no_startup, args.no_files)
