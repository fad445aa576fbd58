"""Scaling-out benchmark: ingest throughput with the local executor against Ray with 1 and 2
IngestWorker actors, and the library on a local folder against an S3 bucket (moto's server on
loopback), plus the per-stage costs and storage sizes ``docs/scaling.md`` builds its capacity
model from.

Run from the project root with the ``distributed`` and ``test`` extras: ``python bench/scale.py``
(about 5-8 minutes on two shared cores). The peer every row is divided by is the default set-up,
measured in the same run: the local executor over a local folder.

Workload: the shared real footage (1080p, 720p, 544p, 360p; faces on, as an editor runs it) and
a generated 1080p clip with hard cuts, five files. Throughput is seconds of footage ingested per
wall second for the whole job (walk, analyse, commit, place, slates off). Ray is started here
(``num_cpus=2``, loopback) and stopped by PID; moto likewise.

Then one long file (``--long-seconds`` of generated 1080p with cuts, faces off): the local
executor (the peer), two Ray workers taking it whole (``ray_chunk_seconds = 0``), and two Ray
workers sharing it in chunks (``--chunk-seconds``), with a check that the split run found the
same shots as the peer.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import media_factory as mf  # noqa: E402
from conftest import allow_test_media, make_config  # noqa: E402
from moto_s3 import BUCKET, MotoS3  # noqa: E402

from binsight.service.server import BinsightServer  # noqa: E402
from binsight_client import Client  # noqa: E402


@dataclass
class Run:
    name: str
    wall_s: float = 0.0
    footage_s: float = 0.0
    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    store_per_file: list[float] = field(default_factory=list)
    keyframes: int = 0
    shots: int = 0
    image_bytes: int = 0
    db_bytes: int = 0
    scene_model: str = ""
    shot_frames: tuple[tuple[int, int], ...] = ()

    @property
    def speed(self) -> float:
        return self.footage_s / self.wall_s


def generated_1080p(folder: Path, seconds: int) -> Path:
    """Hard cuts between detailed stills and pans every 2 s, 1920x1080 at 25 fps."""
    frames = []
    for n in range(seconds // 2):
        if n % 2:
            frames += mf.pan(40 + n, 50, step=6, width=1920, height=1080)
        else:
            frames += mf.still(mf.texture(n, 1920, 1080), 50)
    return mf.encode(folder / "generated_1080p.mp4", frames, fps=Fraction(25))


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def ingest(name: str, clips: list[Path], data_dir: Path, **overrides) -> Run:
    allow_test_media(data_dir, clips[0].parent)
    for clip in clips:
        allow_test_media(data_dir, clip.parent)
    server = BinsightServer(make_config(data_dir, log_level="ERROR", **overrides)).start()
    client = Client(server.address, timeout=1800)
    run = Run(name)
    try:
        if overrides.get("executor") == "ray":
            server.project.executor.actors()  # workers up and models loaded before the clock starts
        started = time.perf_counter()
        job = client.ingest([str(c) for c in clips])
        run.wall_s = time.perf_counter() - started
        assert job.state == "succeeded", job.error
        media = {m.media_id: m for m in client.list_media()}
        run.footage_s = sum(m.duration_s for m in media.values())
        for f in job.files:
            for stage, seconds in f.stage_seconds.items():
                run.stages[stage] += seconds
            run.store_per_file.append(f.stage_seconds.get("store", 0.0))
        shots = client.list_shots()
        run.shots = len(shots)
        run.shot_frames = tuple(sorted((s.start_frame, s.end_frame) for s in shots))
        run.keyframes = sum(len(s.keyframes) for s in shots)
        run.image_bytes = folder_bytes(data_dir / "keyframes")
        run.db_bytes = folder_bytes(data_dir / "db")
        status = client.status()
        run.scene_model = f"{status.scene_model.model_id}, faces {status.face_model.model_id if status.face_model else None}"
    finally:
        client.close()
        server.stop()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--generated-seconds", type=int, default=16, help="length of the generated 1080p clip")
    parser.add_argument("--long-seconds", type=int, default=48, help="length of the generated long 1080p file")
    parser.add_argument("--chunk-seconds", type=float, default=8.0, help="ray_chunk_seconds for the split run")
    args = parser.parse_args()
    from ray_cluster import start_ray, stop_ray

    shared = [mf.SHARED_MEDIA / n for n in ("counter.mp4", "testvideo.mp4", "short_hamilton_clip.mp4",
                                            "issue-134-rotate.mp4")]
    shared = [p for p in shared if p.is_file()]
    runs: list[Run] = []
    s3 = MotoS3().start()
    pids = start_ray(num_cpus=2)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            clips = [*shared, generated_1080p(tmp_path, args.generated_seconds)]
            s3_settings = {"store_uri": f"s3://{BUCKET}/bench", **s3.settings()}
            plans = [("local executor, folder (peer)", {}),
                     ("local executor, moto S3", s3_settings),
                     ("ray 1 worker, folder", {"executor": "ray", "ray_workers": 1}),
                     ("ray 2 workers, folder", {"executor": "ray", "ray_workers": 2}),
                     ("ray 2 workers, moto S3", {"executor": "ray", "ray_workers": 2, **s3_settings})]
            for n, (name, overrides) in enumerate(plans):
                if "moto" in name:
                    for key in s3.keys("bench/"):
                        s3.client().delete_object(Bucket=BUCKET, Key=key)
                runs.append(ingest(name, clips, tmp_path / f"run{n}" / "data", **overrides))
                print(f"  {name}: {runs[-1].wall_s:.1f} s", file=sys.stderr)
            s3_bytes = sum(o["Size"] for page in s3.client().get_paginator("list_objects_v2").paginate(
                Bucket=BUCKET, Prefix="bench/keyframes/") for o in page.get("Contents", []))
            (tmp_path / "long").mkdir()
            long_clip = generated_1080p(tmp_path / "long", args.long_seconds)
            long_plans = [("local executor (peer)", {}),
                          ("ray 2 workers, whole file", {"executor": "ray", "ray_workers": 2, "ray_chunk_seconds": 0}),
                          (f"ray 2 workers, {args.chunk_seconds:g} s chunks",
                           {"executor": "ray", "ray_workers": 2, "ray_chunk_seconds": args.chunk_seconds})]
            long_runs = []
            for n, (name, overrides) in enumerate(long_plans):
                long_runs.append(ingest(name, [long_clip], tmp_path / f"long{n}" / "data", **{"faces.enabled": False},
                                        **overrides))
                print(f"  long file, {name}: {long_runs[-1].wall_s:.1f} s", file=sys.stderr)
    finally:
        stop_ray(pids)
        s3.stop()

    peer = runs[0]
    scene_model = peer.scene_model
    print(f"\nscene model {scene_model}; workload: {len(clips)} files, {peer.footage_s:.1f} s of footage, {peer.shots} shots, "
          f"{peer.keyframes} keyframes, faces on; machine: 2 cores shared with other jobs\n")
    print(f"{'set-up':34} {'wall s':>7} {'footage s/s':>12} {'vs peer':>8} {'stage s / wall s':>17} "
          f"{'commit s/file (median)':>23}")
    for run in runs:  # stage seconds over wall seconds: above 1 when workers analysed files side by side
        print(f"{run.name:34} {run.wall_s:7.1f} {run.speed:12.2f} {run.speed / peer.speed:7.2f}x "
              f"{sum(run.stages.values()) / run.wall_s:17.2f} {statistics.median(run.store_per_file):23.3f}")
    total = sum(peer.stages.values())
    print("\nper-stage cost, local executor over a folder (wall seconds, and per footage second):")
    for stage, seconds in sorted(peer.stages.items(), key=lambda kv: -kv[1]):
        print(f"  {stage:8} {seconds:7.2f} s  {seconds / peer.footage_s:6.3f} s/s  {100 * seconds / total:5.1f}%")
    print("\nstorage (local folder run):")
    print(f"  keyframe images + thumbnails + face crops: {peer.image_bytes / 1e6:.2f} MB, "
          f"{peer.image_bytes / max(1, peer.keyframes) / 1e3:.1f} KB per keyframe (bucket: {s3_bytes / 1e6:.2f} MB)")
    print(f"  LanceDB tables: {peer.db_bytes / 1e6:.2f} MB, {peer.db_bytes / max(1, peer.keyframes) / 1e3:.1f} KB "
          f"per keyframe (uncompacted fragments included)")
    print(f"  keyframes per footage minute: {60 * peer.keyframes / peer.footage_s:.1f}; "
          f"shots per minute: {60 * peer.shots / peer.footage_s:.1f}")

    long_peer = long_runs[0]
    print(f"\none long file: {long_peer.footage_s:.1f} s of generated 1080p, {long_peer.shots} shots, faces off")
    print(f"{'set-up':34} {'wall s':>7} {'footage s/s':>12} {'vs peer':>8} {'same shots':>11}")
    for run in long_runs:
        print(f"{run.name:34} {run.wall_s:7.1f} {run.speed:12.2f} {run.speed / long_peer.speed:7.2f}x "
              f"{str(run.shot_frames == long_peer.shot_frames):>11}")


if __name__ == "__main__":
    main()
