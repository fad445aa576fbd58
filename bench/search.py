"""Search benchmark: one query with a filter against 100k and 1M stored 512-d keyframe vectors,
through gRPC (a real Binsight server and the SDK) and directly in LanceDB (the search table's own
query), exact and through each candidate vector index, against ChromaDB (the design seed's store)
on the same vectors and queries in the same run.

Run from the project root: ``python bench/search.py`` (``--sizes 100000`` for the small one;
``--chroma-max N`` caps the sizes ChromaDB is built at, its HNSW build being the slow part).

Vectors. Real keyframe vectors are not uniform: a film has many setups, each shot many times
(takes), each shot's keyframes near-duplicates of each other. So: one centre per scene
(N/500 of them), 8 setups around each, takes around the setups, and every vector is a take plus
small noise (consecutive rows of a take are near-duplicates); unit length, float32, fixed seed.
Columns as ingest writes them: 1000 files, 20 reels, three frame rates, 40% with faces.

Queries: 200 held-out perturbations of stored takes (what "more like this shot" sends), each
with the filter ``reel IN (4 of the 20 reels)`` (20% of the rows), top 10. Truth: exact cosine
over the filtered rows in numpy. Recall@10: share of the true ten among the ten returned.
Latency: one query at a time, p50 and p99 over the 200 after 20 warm-up queries.

gRPC: a real server (``BinsightServer``, its scene model a 512-d CLIP-shaped test pack) over a
data dir whose search table holds the vectors (added directly, as the brief allows: the store
holds the files' media rows, not a million shot rows, so the server drops those hits from its
answer) plus one committed file of example shots whose keyframe vectors are the queries, asked
``Client.search(shot_id=example, filters=reels)``: the RPC, the checks, the filter, the LanceDB
search. Recall on the same vectors through the server's ``SearchIndex`` (what the RPC calls).
A flat scan of 1M rows takes seconds a query, so it is timed on 20 queries there.

ChromaDB built its HNSW at about 1.3 ms a vector here (26 s for 20k): over 20 minutes at 1M by that
rate (not run), so it runs at 100k (``--chroma-max``, default 100000).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parents[1]

from binsight.records import KeyframeRecord, MediaRecord, ShotRecord  # noqa: E402
from binsight.store import RowFilter, Store  # noqa: E402

DIM = 512
FILES = 1000
REELS = [f"A{n:03d}" for n in range(1, 21)]
RATES = [Fraction(24000, 1001), Fraction(25), Fraction(24)]
QUERIES = 200
WARMUP = 20
K = 10
FILTER_REELS = frozenset(REELS[:4])


def vectors(n: int, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    scenes = max(1, n // 500)
    centres = rng.standard_normal((scenes, DIM)).astype(np.float32)
    setups = centres[:, None, :] + 0.6 * rng.standard_normal((scenes, 8, DIM)).astype(np.float32)
    setups = setups.reshape(-1, DIM)
    takes_n = max(1, n // 10)
    takes = setups[rng.integers(0, len(setups), takes_n)] + 0.35 * rng.standard_normal((takes_n, DIM)).astype(np.float32)
    out = np.empty((n, DIM), np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        rows = takes[np.arange(start, stop) // 10 % takes_n]
        out[start:stop] = rows + 0.08 * rng.standard_normal((stop - start, DIM)).astype(np.float32)
    out /= np.linalg.norm(out, axis=1, keepdims=True)
    return out


def columns(n: int, seed: int = 8) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"media": np.arange(n) * FILES // n, "reel": rng.integers(0, len(REELS), n),
            "rate": rng.integers(0, len(RATES), n), "faces": rng.random(n) < 0.4,
            "duration": rng.uniform(0.5, 20.0, n)}


def queries(data: np.ndarray, seed: int = 9) -> np.ndarray:
    rng = np.random.default_rng(seed)
    picks = data[rng.integers(0, len(data), QUERIES + WARMUP)]
    q = picks + 0.08 * rng.standard_normal(picks.shape).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def truth(data: np.ndarray, cols: dict[str, np.ndarray], qs: np.ndarray) -> list[set[int]]:
    allowed = np.flatnonzero(np.isin(cols["reel"], [REELS.index(r) for r in FILTER_REELS]))
    sub = data[allowed]
    out = []
    for q in qs:
        scores = sub @ q
        top = np.argpartition(-scores, K)[:K]
        out.append({int(allowed[i]) for i in top})
    return out


def arrow_rows(data: np.ndarray, cols: dict[str, np.ndarray], start: int, stop: int) -> pa.Table:
    ids = [f"s{i:07d}" for i in range(start, stop)]
    return pa.table({
        "keyframe_id": [f"{i}-k0" for i in ids], "shot_id": ids,
        "media_id": [f"m{int(m):04d}" for m in cols["media"][start:stop]],
        "has_faces": cols["faces"][start:stop], "duration_s": cols["duration"][start:stop],
        "frame_rate": [f"{RATES[r].numerator}/{RATES[r].denominator}" for r in cols["rate"][start:stop]],
        "shot_date": ["2026-11-30T10:00:00"] * (stop - start),
        "reel": [REELS[r] for r in cols["reel"][start:stop]],
        "vector": pa.FixedSizeListArray.from_arrays(pa.array(data[start:stop].reshape(-1)), DIM)})


def media_records(model_id: str) -> list[MediaRecord]:
    return [MediaRecord(
        media_id=f"m{m:04d}", path=f"/bench/A{m:04d}.mov", content_hash=f"h{m}", size_bytes=1, container="mov",
        codec="prores", width=1920, height=1080, rotation=0, pixel_aspect=Fraction(1), frame_rate=Fraction(24),
        frame_count=1, duration_s=1.0, first_pts_s=0.0, start_timecode="", drop_frame=False, reel="A001",
        creation_time="", has_audio=False, audio_channels=0, audio_sample_rate=0, bit_depth=8, pix_fmt="yuv422p10le",
        interlaced=False, variable_frame_rate=False, truncated=False, warnings=(), scene_model_id=model_id,
        face_model_id="", ingested_at="2026-12-01T00:00:00", shot_count=0) for m in range(FILES)]


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


@dataclass
class Row:
    what: str
    build_s: float
    disk_mb: float
    p50_ms: float
    p99_ms: float
    recall: float


def timed(run, qs: np.ndarray, want: list[set[int]], count: int = QUERIES) -> tuple[float, float, float]:
    for q in qs[:WARMUP]:
        run(q)
    times, recalls = [], []
    for q, t in zip(qs[WARMUP:WARMUP + count], want[WARMUP:WARMUP + count]):
        start = time.perf_counter()
        got = run(q)
        times.append((time.perf_counter() - start) * 1000)
        recalls.append(len(got & t) / K)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1], statistics.mean(recalls)


def lance_rows(n: int, data, cols, qs, want, work: Path, candidates: list[tuple[str, dict, dict]],
               model_id: str) -> list[Row]:
    db = work / "data" / "db"
    store = Store(db)
    store.media.add(media_records(model_id))
    table = store.search_table(model_id, DIM)
    start = time.perf_counter()
    for s in range(0, n, 50_000):
        table.add_arrow(arrow_rows(data, cols, s, min(n, s + 50_000)))
    table.optimize()  # compaction, as the server's first fold does
    load_s = time.perf_counter() - start
    table_dir = db / f"{table.name}.lance"
    base_mb = du(table_dir) / 1e6
    flt = RowFilter(reels=FILTER_REELS)

    def run(exact: bool, query: dict):
        def go(q):
            hits = table.nearest(q, flt, K, exact, query.get("nprobes", 20), query.get("refine_factor", 1),
                                 query.get("ef", 100))
            return {int(h.shot_id[1:]) for h in hits}
        return go

    flat = QUERIES if n <= 100_000 else 20  # a flat scan of 1M takes seconds: 20 queries say enough
    rows = [Row(f"LanceDB exact (flat), {n:,}, {flat} queries", load_s, base_mb,
                *timed(run(True, {}), qs[WARMUP - 2:], want[WARMUP - 2:], flat))]
    print(rows[-1], flush=True)
    for kind, params, query_sets in candidates:
        start = time.perf_counter()
        table.build_index(kind, **params)
        build_s = time.perf_counter() - start
        disk = sum(i.size_bytes or 0 for i in table._table.list_indices() if "vector" in i.columns) / 1e6
        for query in query_sets:
            rows.append(Row(f"LanceDB {kind} {params} {query}, {n:,}", build_s, disk,
                            *timed(run(False, query), qs, want)))
            print(rows[-1], flush=True)
    return rows


def query_file(model_id: str, qs: np.ndarray) -> tuple[MediaRecord, list[ShotRecord], list[KeyframeRecord]]:
    """The example shots the gRPC queries name: one committed file whose shots' keyframe vectors
    are the query vectors, on a reel the filter leaves out (so no example is another's hit)."""
    media = replace(media_records(model_id)[0], media_id="q0000", path="/bench/examples.mov", reel="Q001",
                    shot_count=len(qs))
    shots = [ShotRecord(f"q{i:04d}", media.media_id, i, i * 25, i * 25 + 25, i, i + 1.0, False, 0.0)
             for i in range(len(qs))]
    keyframes = [KeyframeRecord(f"q{i:04d}-k0", f"q{i:04d}", media.media_id, i * 25, float(i), 1.0, "", "",
                                model_id, vector=q) for i, q in enumerate(qs)]
    return media, shots, keyframes


def grpc_rows(n: int, data, cols, qs, want, work: Path, kind: str, params: dict, query: dict) -> list[Row]:
    """A real server over a data dir whose search table holds the vectors (``kind`` built),
    its scene model a 512-d CLIP-shaped test pack (tests/clip_pack_factory.py), asked through
    the SDK: ``Client.search(shot_id=example)`` with the reel filter, where each
    example is a committed shot whose keyframe vector is one of the bench's queries. The n rows
    are added to the search table directly (the store holds their files' media rows but not a
    million shot rows), so the server drops their hits from the answer; the time is the RPC,
    the checks, the filter and the LanceDB search. Recall is measured on the same query vectors
    through the server's own ``SearchIndex.nearest_shots`` (what the RPC calls)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from clip_pack_factory import make_clip_pack

    from binsight.config import Config
    from binsight.models.manager import ModelManager
    from binsight.service.server import BinsightServer
    from binsight_client import Client, SearchFilters

    data_dir = work / "grpc"
    model_id = make_clip_pack(work / "pack", dim=DIM).model_id  # a 512-d scene model (CLIP-shaped test pack)
    ModelManager(data_dir / "models").import_pack(work / "pack")
    store = Store(data_dir / "db")
    store.media.add(media_records(model_id))
    table = store.search_table(model_id, DIM)
    for s in range(0, n, 50_000):
        table.add_arrow(arrow_rows(data, cols, s, min(n, s + 50_000)))
    table.optimize()
    table.build_index(kind, **params)
    media, shots, keyframes = query_file(model_id, qs)
    store.commit_media(media, shots, keyframes, [])
    del store, table
    settings = {"index_type": kind, "index_threshold": 1, "nprobes": query.get("nprobes", 20),
                "refine_factor": query.get("refine_factor", 1), "ef": query.get("ef", 100)}
    config = Config(data_dir=data_dir, address="127.0.0.1:0", http_address="", workers=4,
                    log_level="WARNING").override({"faces.enabled": False, "slates.enabled": False,
                                                   **{f"search.{k}": v for k, v in settings.items()}})
    server = BinsightServer(config).start()
    client = Client(server.address, timeout=60)
    try:
        search_index = server.project.search_index
        search_index.wait()
        assert not search_index.exact, "the bench table must be searched through its index"
        filters = SearchFilters(reels=sorted(FILTER_REELS))
        example = {q.tobytes(): f"q{i:04d}" for i, q in enumerate(qs)}

        def rpc(q):
            client.search(shot_id=example[q.tobytes()], filters=filters, limit=K, min_score=-1.0)
            return set()

        def direct(q):
            hits = search_index.nearest_shots(q, RowFilter(reels=FILTER_REELS), K)
            return {int(sid[1:]) for sid in hits}

        rows = [Row(f"gRPC Search(shot_id, reel filter) {kind} {query}, {n:,}", 0.0, 0.0, *timed(rpc, qs, want)[:2],
                    float("nan")),
                Row(f"  same vectors, the server's SearchIndex {kind} {query}, {n:,}", 0.0, 0.0,
                    *timed(direct, qs, want))]
    finally:
        client.close()
        server.stop()
    for r in rows:
        print(r, flush=True)
    return rows


def chroma_row(n: int, data, cols, qs, want, work: Path) -> Row:
    import chromadb

    client = chromadb.PersistentClient(path=str(work / "chroma"))
    coll = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    start = time.perf_counter()
    batch = 5000
    for s in range(0, n, batch):
        e = min(n, s + batch)
        coll.add(ids=[f"s{i:07d}" for i in range(s, e)], embeddings=data[s:e],
                 metadatas=[{"reel": REELS[r], "media_id": f"m{int(m):04d}"}
                            for r, m in zip(cols["reel"][s:e], cols["media"][s:e])])
    build_s = time.perf_counter() - start
    where = {"reel": {"$in": sorted(FILTER_REELS)}}

    def go(q):
        res = coll.query(query_embeddings=[q], n_results=K, where=where, include=[])
        return {int(i[1:]) for i in res["ids"][0]}
    return Row(f"ChromaDB HNSW (cosine), {n:,}", build_s, du(work / "chroma") / 1e6, *timed(go, qs, want))


CANDIDATES = [  # (index type, build parameters, query settings tried)
    ("IVF_HNSW_SQ", {}, [{"nprobes": 10, "ef": 100}, {"nprobes": 20, "ef": 150}]),
    ("IVF_SQ", {}, [{"nprobes": 20, "refine_factor": 5}, {"nprobes": 40, "refine_factor": 5}]),
    ("IVF_RQ", {}, [{"nprobes": 20, "refine_factor": 10}, {"nprobes": 40, "refine_factor": 10},
                    {"nprobes": 80, "refine_factor": 10}]),
    ("IVF_FLAT", {}, [{"nprobes": 20}, {"nprobes": 40}]),
    ("IVF_PQ", {"num_sub_vectors": 64}, [{"nprobes": 20, "refine_factor": 10}, {"nprobes": 40, "refine_factor": 10}]),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--chroma-max", type=int, default=100_000)
    parser.add_argument("--grpc", default="IVF_RQ", help="index type the gRPC server searches ('' for none)")
    parser.add_argument("--grpc-only", action="store_true", help="skip the LanceDB candidates")
    parser.add_argument("--grpc-query", default='{"nprobes": 40, "refine_factor": 10}')
    parser.add_argument("--candidates", default="IVF_HNSW_SQ,IVF_SQ,IVF_RQ,IVF_FLAT",
                        help="index types to build (IVF_PQ too: its PQ training took 388 s at 100k here)")
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}", flush=True)
    for n in (int(s) for s in args.sizes.split(",")):
        start = time.perf_counter()
        data, cols = vectors(n), columns(n)
        qs = queries(data)
        want = truth(data, cols, qs)
        print(f"{n:,} vectors + truth: {time.perf_counter() - start:.1f} s", flush=True)
        work = Path(tempfile.mkdtemp(prefix="bench-search-"))
        try:
            chosen = []
            for kind, params, query_sets in CANDIDATES:
                if kind in args.candidates.split(","):
                    p = {"num_partitions": max(1, round(n / 4096)), **params}
                    chosen.append((kind, p, query_sets))
            rows = [] if args.grpc_only else lance_rows(n, data, cols, qs, want, work, chosen, "pixels-v3")
            if args.grpc:
                params = {"num_partitions": max(1, round(n / 4096)),
                          **next(p for k, p, _ in CANDIDATES if k == args.grpc)}
                rows += grpc_rows(n, data, cols, qs, want, work, args.grpc, params, json.loads(args.grpc_query))
            if n <= args.chroma_max:
                rows.append(chroma_row(n, data, cols, qs, want, work))
                print(rows[-1], flush=True)
            print("\n| what | build s | disk MB | p50 ms | p99 ms | recall@10 |\n| --- | --- | --- | --- | --- | --- |")
            for r in rows:
                print(f"| {r.what} | {r.build_s:.1f} | {r.disk_mb:.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.recall:.3f} |")
            print(flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
