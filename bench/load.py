"""Load: concurrent clients on loopback against a served project of 100,000 shots while an ingest
runs, with WatchJob streams held open.

Run from the project root: ``python bench/load.py [--shots 100000] [--processes 4] [--threads 6]
[--streams 50] [--seconds 30]`` (bounded: the clients stop after ``--seconds``; the whole run
takes a few minutes, most of it writing and loading the project).

The project is generated straight into the store (media, shot, keyframe rows with vectors of the
active pixels model's size, one real thumbnail JPEG per setup, and the placements a recluster
would make: one bin per setup of two shots or more, lone shots in noise), so no ingest is needed
to reach 100k shots. ``binsight serve`` runs as its own process (its RSS is sampled each second).
A real clip is then ingested while the clients run, and ``--streams`` WatchJob streams watch it.

The mix, per client thread, chosen at random each call: ListClusters (no shots) 25%, GetCluster
with its shots 15%, ListShots of a bin 15%, GetKeyframeImage (thumbnail) 20%, SearchSimilar 10%,
GetReviewQueue 5%, MoveShot of a noise shot into a bin 5%, MarkSeen 5%. Per call: p50 and p99
latency, errors (must be 0). Peer, measured in the same run with the same clients: the standard
gRPC health Check (a unary call that does no work), whose throughput is what the transport and
the clients manage on this machine; the ratio is mixed / health.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from fractions import Fraction
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT)]

CLIPS = 8  # clips of 1500 frames the ingest works through during the load
MIX = [("ListClusters", 25), ("GetCluster", 15), ("ListShots", 15), ("GetKeyframeImage", 20), ("SearchSimilar", 10),
       ("GetReviewQueue", 5), ("MoveShot", 5), ("MarkSeen", 5)]
WRITES = {"MoveShot", "MarkSeen"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


# -- client processes ---------------------------------------------------------------------------

def _stubs(address: str):  # noqa: ANN202 - generated stubs
    import grpc
    from binsight_api.v1 import clusters_pb2_grpc, feedback_pb2_grpc, ingest_pb2_grpc, search_pb2_grpc
    from grpc_health.v1 import health_pb2_grpc
    channel = grpc.insecure_channel(address, options=[("grpc.max_receive_message_length", 256 << 20)])
    return channel, {"ingest": ingest_pb2_grpc.IngestServiceStub(channel),
                     "clusters": clusters_pb2_grpc.ClusterServiceStub(channel),
                     "feedback": feedback_pb2_grpc.FeedbackServiceStub(channel),
                     "search": search_pb2_grpc.SearchServiceStub(channel),
                     "health": health_pb2_grpc.HealthStub(channel)}


def client_process(address: str, mode: str, threads: int, seconds: float, ids: dict, start_at: float,
                   out: mp.Queue) -> None:
    """``threads`` threads calling for ``seconds`` from ``start_at``: the mix, or health only."""
    import grpc
    from binsight_api.v1 import clusters_pb2, feedback_pb2, ingest_pb2, search_pb2
    from grpc_health.v1 import health_pb2

    channel, s = _stubs(address)
    ops = [name for name, weight in MIX for _ in range(weight)]
    calls = {
        "ListClusters": lambda rng: s["clusters"].ListClusters(clusters_pb2.ListClustersRequest(include_shots=False), timeout=30),
        "GetCluster": lambda rng: s["clusters"].GetCluster(clusters_pb2.ClusterRequest(
            cluster_id=rng.choice(ids["bins"]), include_shots=True), timeout=30),
        "ListShots": lambda rng: s["ingest"].ListShots(ingest_pb2.ListShotsRequest(cluster_id=rng.choice(ids["bins"])),
                                                       timeout=30),
        "GetKeyframeImage": lambda rng: s["ingest"].GetKeyframeImage(ingest_pb2.KeyframeImageRequest(
            keyframe_id=rng.choice(ids["shots"]) + "-k", thumbnail=True), timeout=30),
        "SearchSimilar": lambda rng: s["search"].SearchSimilar(search_pb2.SearchSimilarRequest(
            shot_id=rng.choice(ids["shots"]), limit=20), timeout=30),
        "GetReviewQueue": lambda rng: s["clusters"].GetReviewQueue(clusters_pb2.ReviewQueueRequest(limit=20), timeout=30),
        "MoveShot": lambda rng: s["feedback"].MoveShot(feedback_pb2.MoveShotRequest(
            shot_id=rng.choice(ids["noise"]), to_cluster_id=rng.choice(ids["bins"]), actor="bench"), timeout=30),
        "MarkSeen": lambda rng: s["clusters"].MarkSeen(clusters_pb2.ClusterIds(cluster_ids=rng.sample(ids["bins"], 3)),
                                                       timeout=30),
        "Health": lambda rng: s["health"].Check(health_pb2.HealthCheckRequest(service=""), timeout=30),
    }
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    lock = threading.Lock()

    def run(n: int) -> None:
        rng = random.Random(os.getpid() * 100 + n)
        mine: dict[str, list[float]] = defaultdict(list)
        bad: dict[str, list[str]] = defaultdict(list)
        while time.time() < start_at:
            time.sleep(0.005)
        end = start_at + seconds
        while time.time() < end:
            op = "Health" if mode == "health" else rng.choice(ops)
            t0 = time.perf_counter()
            try:
                calls[op](rng)
            except grpc.RpcError as error:
                bad[op].append(f"{error.code().name}: {error.details()}"[:200])
            mine[op].append(time.perf_counter() - t0)
        with lock:
            for k, v in mine.items():
                results[k] += v
            for k, v in bad.items():
                errors[k] += v

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    channel.close()
    out.put((dict(results), dict(errors)))


def stream_process(address: str, job_id: str, streams: int, ready: mp.Event, out: mp.Queue) -> None:
    """``streams`` WatchJob streams on one job, each counting its events until the job ends."""
    from binsight_api.v1 import ingest_pb2

    channel, s = _stubs(address)
    counts = [0] * streams
    finals = [""] * streams
    opened = threading.Barrier(streams + 1)

    def watch(n: int) -> None:
        stream = s["ingest"].WatchJob(ingest_pb2.JobRequest(job_id=job_id), timeout=900)
        opened.wait()
        for event in stream:
            counts[n] += 1
            finals[n] = ingest_pb2.JobState.Name(event.state)

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(streams)]
    for t in threads:
        t.start()
    opened.wait()
    ready.set()
    for t in threads:
        t.join()
    channel.close()
    out.put((counts, finals))


def run_clients(address: str, mode: str, processes: int, threads: int, seconds: float, ids: dict):  # noqa: ANN201
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    start_at = time.time() + 4.0  # every process connected and waiting
    procs = [ctx.Process(target=client_process, args=(address, mode, threads, seconds, ids, start_at, out))
             for _ in range(processes)]
    for p in procs:
        p.start()
    results: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, list[str]] = defaultdict(list)
    for _ in procs:
        r, e = out.get(timeout=seconds + 120)
        for k, v in r.items():
            results[k] += v
        for k, v in e.items():
            errors[k] += v
    for p in procs:
        p.join()
    return results, errors


def report(title: str, results: dict, errors: dict, seconds: float) -> float:
    total = sum(len(v) for v in results.values())
    print(f"\n{title}: {total} calls in {seconds:.0f} s = {total / seconds:.0f} req/s, "
          f"errors {sum(len(v) for v in errors.values())}")
    print(f"  {'call':18} {'calls':>7} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for op in sorted(results):
        ms = [x * 1000 for x in results[op]]
        print(f"  {op:18} {len(ms):7d} {len(ms) / seconds:7.0f} {percentile(ms, 50):8.1f} {percentile(ms, 99):8.1f} "
              f"{len(errors.get(op, [])):7d}")
    for op, messages in errors.items():
        print(f"  first {op} error: {messages[0]}")
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shots", type=int, default=100_000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--streams", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()
    from binsight.access import Access
    from binsight_client import Client
    from generated_project import generate
    from media_factory import encode, texture

    with tempfile.TemporaryDirectory(prefix="binsight-load-") as tmp:
        data = Path(tmp) / "data"
        started = time.perf_counter()
        n_bins, n_noise = generate(data, args.shots, placed=True)
        print(f"project: {args.shots} shots, {n_bins} bins, {n_noise} in noise (rows written in "
              f"{time.perf_counter() - started:.0f} s)")
        media = Path(tmp) / "media"
        media.mkdir()
        for n in range(CLIPS):  # distinct pans, so the ingest runs through the whole load
            wide = texture(7 + n, 320 + 3000, 180)
            encode(media / f"pan{n}.mp4", [wide[:, i:i + 320] for i in range(0, 3000, 2)], fps=Fraction(25))
        clip = media
        Access(data).add_root(str(media), "bench")
        port = free_port()
        address = f"127.0.0.1:{port}"
        env = {**os.environ, "BINSIGHT_DATA_DIR": str(data), "BINSIGHT_FACES__ENABLED": "false",
               "BINSIGHT_SLATES__ENABLED": "false", "BINSIGHT_LOG_LEVEL": "WARNING", "BINSIGHT_HTTP_ADDRESS": ""}
        started = time.perf_counter()
        server_log = open(Path(tmp) / "server.log", "w")
        server = subprocess.Popen([sys.executable, "-m", "binsight.cli", "--address", address, "serve"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=server_log)
        rss: list[tuple[float, float]] = []
        sampling = threading.Event()

        def sample() -> None:
            proc = psutil.Process(server.pid)
            t0 = time.perf_counter()
            while not sampling.is_set():
                try:
                    rss.append((time.perf_counter() - t0, proc.memory_info().rss / 2**20))
                except psutil.NoSuchProcess:
                    return
                sampling.wait(1.0)

        try:
            with Client(address, timeout=600) as client:
                while server.poll() is None:
                    try:
                        client.wait_ready(timeout=1)
                        break
                    except Exception:  # noqa: BLE001 - still loading
                        continue
                if server.poll() is not None:
                    raise SystemExit("binsight serve ended: " + (Path(tmp) / "server.log").read_text()[-3000:])
                client.status()
                print(f"server up and answering in {time.perf_counter() - started:.1f} s")
                threading.Thread(target=sample, daemon=True).start()
                shots = client.list_shots()
                ids = {"shots": [s.shot_id for s in shots],
                       "bins": sorted({s.cluster_id for s in shots if s.cluster_id}),
                       "noise": [s.shot_id for s in shots if not s.cluster_id]}
                print(f"ListShots of all {len(shots)} shots: one call, {len(ids['bins'])} bins seen")

                peer, peer_errors = run_clients(address, "health", args.processes, args.threads, args.seconds / 2, ids)
                peer_rate = report(f"peer: gRPC health Check, {args.processes}x{args.threads} clients, idle server",
                                   peer, peer_errors, args.seconds / 2)

                job = client.start_ingest([str(clip)])
                ctx = mp.get_context("spawn")
                stream_out, ready = ctx.Queue(), ctx.Event()
                watcher = ctx.Process(target=stream_process, args=(address, job.job_id, args.streams, ready, stream_out))
                watcher.start()
                ready.wait(120)
                print(f"\n{args.streams} WatchJob streams open on ingest job {job.job_id} ({CLIPS} clips of 1500 frames)")
                results, errors = run_clients(address, "mix", args.processes, args.threads, args.seconds, ids)
                during = client.get_job(job.job_id)
                mixed_rate = report(f"mixed load, {args.processes}x{args.threads} clients, "
                                    f"ingest {'running' if not during.finished_at else 'finished'} at the end, "
                                    f"{args.streams} streams open", results, errors, args.seconds)
                client.ingest([str(clip)])  # returns once the first job is done (this one: unchanged)
                counts, finals = stream_out.get(timeout=900)
                watcher.join()
                ingest_job = client.get_job(job.job_id)
                print(f"\ningest job: {ingest_job.state}, {ingest_job.shots_found} shots; streams: {len(counts)} ended, "
                      f"events per stream min {min(counts)} max {max(counts)}, last states {sorted(set(finals))}")
        finally:
            sampling.set()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=120)

        reads = [op for op in results if op not in WRITES]
        read_ms = [x * 1000 for op in reads for x in results[op]]
        print("\nserver RSS (MB) over time: " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in rss[::5]))
        print(f"RSS: min {min(m for _, m in rss):.0f} MB, max {max(m for _, m in rss):.0f} MB")
        print(f"\nmixed {mixed_rate:.0f} req/s vs peer health {peer_rate:.0f} req/s: ratio {mixed_rate / peer_rate:.2f}")
        print(f"reads p50 {percentile(read_ms, 50):.1f} ms, p99 {percentile(read_ms, 99):.1f} ms; "
              f"errors {sum(len(v) for v in errors.values())}")
        print(f"targets: >= 500 mixed req/s: {'met' if mixed_rate >= 500 else 'MISSED'}; read p99 < 100 ms: "
              f"{'met' if percentile(read_ms, 99) < 100 else 'MISSED'}; 0 errors: "
              f"{'met' if not any(errors.values()) else 'MISSED'}; streams all served: "
              f"{'met' if min(counts) > 0 else 'MISSED'}")


if __name__ == "__main__":
    main()
