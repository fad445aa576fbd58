"""The bad-input matrix: one table of hostile or careless requests, each sent over raw gRPC (so no
SDK check stands in front of the server) to a real server over a real project, each answered with
its exact status (never INTERNAL, never UNKNOWN), a message that fits in gRPC's metadata, and
nothing changed: every shot's bin and pin, every bin's name, lock and members, the feedback log,
media, adapters, jobs and the export root's files are the same after the call as before it.

``python -m pytest tests/test_bad_input.py -s`` prints the case -> status table at the end; with
``BINSIGHT_BAD_INPUT_TABLE=path`` it is also written there (Markdown).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from lxml import etree

from binsight.access import Access
from binsight.errors import InvalidInput
from binsight.records import TokenScope
from binsight.service.server import BinsightServer
from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, compare_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc,
    feedback_pb2, feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc, system_pb2_grpc,
)
from binsight_client import Client
from conftest import allow_test_media, make_config
from media_factory import encode, shared_media
from test_server import FPS, PLAN, pan_shot, still_shot

Code = grpc.StatusCode
MAX_MESSAGE_BYTES = 2048  # what the server's messages must fit in (gRPC's metadata is 8 KB)
TABLE: list[tuple[str, str, str, str]] = []  # case id, RPC, status, message (filled as cases run)


@dataclass
class World:
    """A served project with three live bins, one merged bin id, a file's keyframes, tokens, and
    places on disk a hostile client might name."""

    server: BinsightServer
    client: Client
    channel: grpc.Channel
    stubs: dict[str, Any]
    bins: list[str]  # live scene bins, each with two shots or more
    merged: str  # a bin merged into bins[0]
    shots: dict[str, list[str]]  # live bin -> its shots
    noise_shot: str
    media_id: str
    keyframe_id: str
    read_token: str
    write_token: str
    media_dir: Path
    export_root: Path
    outside: Path  # a folder outside the media roots and the export root

    def stub(self, service: str) -> Any:
        return self.stubs[service]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("bad_input")
    media = base / "media"
    media.mkdir()
    for take in range(2):
        frames = []
        for i, (setup, kind, n) in enumerate(PLAN):
            frames += still_shot(setup, n, shift=4 * i + 2 * take) if kind == "still" else pan_shot(setup, n, 3 + take)
        encode(media / f"take{take}.mp4", frames, fps=FPS)
    (media / "passwords.mp4").write_text("root:hunter2\n" * 200)
    (media / "types.d.mts").write_text("export declare const x: number;\n" * 50)
    (media / "noise.mov").write_bytes(os.urandom(64 * 1024))
    data = base / "data"
    allow_test_media(data, tmp_path_factory.getbasetemp())
    access = Access(data)
    read_token = access.add_token("reader", TokenScope.READ)
    write_token = access.add_token("writer", TokenScope.WRITE)
    outside = Path(tmp_path_factory.getbasetemp()).parent / f"outside-{os.getpid()}"
    outside.mkdir(exist_ok=True)
    (outside / "secret.mp4").write_bytes(shared_media("counter.mp4").read_bytes())
    server = BinsightServer(make_config(data, **{"faces.enabled": False})).start()
    client = Client(server.address, timeout=300, actor="tester")
    client.ingest([str(media / "take0.mp4"), str(media / "take1.mp4")])
    client.recluster()
    tree = client.list_clusters()
    big = [c for c in tree.clusters if len(c.shots) >= 2]
    assert len(big) >= 3, [len(c.shots) for c in tree.clusters]
    extra = client.create_bin([big[2].shots[0].shot_id], "to merge")
    merged = extra.event.to_id
    client.merge_clusters([big[0].cluster_id, merged])
    client.rename_cluster(big[1].cluster_id, "Garden")
    tree = client.list_clusters()
    bins = [c.cluster_id for c in big]
    shots = {c.cluster_id: [s.shot_id for s in c.shots] for c in tree.clusters}
    noise = client.list_shots(cluster_id="noise")
    if not noise:  # make one: a move to "" pins a shot in the noise bucket
        client.move_shot(shots[bins[2]][0], "")
        shots = {c.cluster_id: [s.shot_id for s in c.shots] for c in client.list_clusters().clusters}
        noise = client.list_shots(cluster_id="noise")
    shot = client.list_shots(cluster_id=bins[0])[0]
    channel = grpc.insecure_channel(server.address, options=[("grpc.max_send_message_length", 64 << 20)])
    stubs = {"ingest": ingest_pb2_grpc.IngestServiceStub(channel),
             "clusters": clusters_pb2_grpc.ClusterServiceStub(channel),
             "feedback": feedback_pb2_grpc.FeedbackServiceStub(channel),
             "search": search_pb2_grpc.SearchServiceStub(channel),
             "compare": compare_pb2_grpc.CompareServiceStub(channel),
             "export": export_pb2_grpc.ExportServiceStub(channel),
             "system": system_pb2_grpc.SystemServiceStub(channel)}
    export_root = server.config.exports_path
    export_root.mkdir(parents=True, exist_ok=True)
    (export_root / "taken").mkdir()
    (export_root / "taken" / "bins.json").write_text("{}")
    (export_root / "a-file").write_text("not a folder")
    yield World(server, client, channel, stubs, bins, merged, shots, noise[0].shot_id, shot.media_id,
                shot.keyframes[0].keyframe_id, read_token, write_token, media, export_root, outside)
    channel.close()
    client.close()
    server.stop()
    shutil.rmtree(outside, ignore_errors=True)


def state(w: World) -> dict[str, Any]:
    """Everything a refused call must leave as it was."""
    c = w.client
    tree = c.list_clusters()
    files = sorted(str(p.relative_to(w.export_root)) + f":{p.stat().st_size}" for p in w.export_root.rglob("*"))
    return {
        "shots": sorted((s.shot_id, s.cluster_id, s.pinned) for s in c.list_shots()),
        "bins": sorted((b.cluster_id, b.name, b.locked, b.named, tuple(sorted(s.shot_id for s in b.shots)))
                       for b in tree.clusters),
        "noise": sorted(s.shot_id for s in tree.noise.shots),
        "feedback": [(e.feedback_id, e.state) for e in c.list_feedback()],
        "media": sorted(m.media_id for m in c.list_media()),
        "adapters": [a.version for a in c.list_adapters()],
        "jobs": len(c.list_jobs()),
        "export_root": files,
    }


@dataclass(frozen=True)
class Case:
    case_id: str
    service: str
    rpc: str
    request: Callable[[World], Any]
    expect: Code
    match: str = ""  # a phrase the message must hold
    token: str = ""  # "read" | "write" | "bad": the bearer token the call carries
    absent: str = ""  # a phrase the message must not hold (no leaks)


def ingest(*paths: str, recursive: bool = True, force: bool = False) -> Callable[[World], Any]:
    return lambda w: ingest_pb2.StartIngestRequest(paths=[p.format(media=w.media_dir, outside=w.outside)
                                                          for p in paths], recursive=recursive, force=force)


def export(out_dir: str = "", fmt: str = "bins_json", **kw: Any) -> Callable[[World], Any]:
    return lambda w: export_pb2.ExportRequest(format=fmt, out_dir=out_dir.format(root=w.export_root), **kw)


NAN, INF = float("nan"), float("inf")
LONG = "x" * 10_000
HUGE_NAME = "B" * 3_500_000
fb = feedback_pb2

CASES = [
    # -- lost or hidden work: retired ids ---------------------------------------------------------
    Case("merge-survivor-merged", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.merged, w.bins[0]]), Code.INVALID_ARGUMENT, "two or more"),
    Case("merge-same-bin-twice", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.bins[1], w.bins[1]]), Code.INVALID_ARGUMENT),
    Case("merge-one-bin", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.bins[1]]), Code.INVALID_ARGUMENT),
    Case("merge-unknown-bin", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.bins[1], "c-nope"]), Code.NOT_FOUND),
    Case("merge-noise", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.bins[1], "noise"]), Code.NOT_FOUND),
    Case("merge-10001-ids", "feedback", "MergeClusters",
         lambda w: fb.MergeClustersRequest(cluster_ids=[w.bins[1]] + [f"c{i}" for i in range(10_001)]),
         Code.INVALID_ARGUMENT, "at most"),
    Case("move-unknown-shot", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id="s-nope", to_cluster_id=w.bins[1]), Code.NOT_FOUND),
    Case("move-to-unknown-bin", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id=w.shots[w.bins[0]][0], to_cluster_id="c-nope"), Code.NOT_FOUND),
    Case("move-empty-shot-id", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id="", to_cluster_id=w.bins[1]), Code.INVALID_ARGUMENT),
    Case("move-10000-char-id", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id=LONG, to_cluster_id=w.bins[1]), Code.INVALID_ARGUMENT),
    Case("move-control-char-id", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id="s\x00\x0b", to_cluster_id=w.bins[1]), Code.INVALID_ARGUMENT),
    # -- split ------------------------------------------------------------------------------------
    Case("split-duplicate-shot", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id=w.bins[0], shot_ids=[w.shots[w.bins[0]][0]] * 2 + w.shots[w.bins[0]][1:]),
         Code.INVALID_ARGUMENT, "at least one shot"),
    Case("split-all-shots", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id=w.bins[1], shot_ids=w.shots[w.bins[1]]),
         Code.INVALID_ARGUMENT, "at least one shot"),
    Case("split-no-shots", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id=w.bins[1], shot_ids=[]), Code.INVALID_ARGUMENT),
    Case("split-stranger-shot", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id=w.bins[1], shot_ids=[w.shots[w.bins[0]][0]]),
         Code.INVALID_ARGUMENT, "not in it"),
    Case("split-unknown-bin", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id="c-nope", shot_ids=[w.shots[w.bins[0]][0]]), Code.NOT_FOUND),
    Case("split-long-name", "feedback", "SplitCluster",
         lambda w: fb.SplitClusterRequest(cluster_id=w.bins[1], shot_ids=w.shots[w.bins[1]][:1], new_name="n" * 257),
         Code.INVALID_ARGUMENT, "256"),
    # -- names ------------------------------------------------------------------------------------
    Case("rename-3.5MB-name", "feedback", "RenameCluster",
         lambda w: fb.RenameRequest(id=w.bins[1], name=HUGE_NAME), Code.INVALID_ARGUMENT, "256"),
    Case("rename-257-chars", "feedback", "RenameCluster",
         lambda w: fb.RenameRequest(id=w.bins[1], name="é" * 257), Code.INVALID_ARGUMENT, "256"),
    Case("rename-unknown-bin", "feedback", "RenameCluster",
         lambda w: fb.RenameRequest(id="c-nope", name="x"), Code.NOT_FOUND),
    Case("rename-empty-id", "feedback", "RenameCluster",
         lambda w: fb.RenameRequest(id="", name="x"), Code.INVALID_ARGUMENT),
    Case("rename-character-unknown", "feedback", "RenameCharacter",
         lambda w: fb.RenameRequest(id="p-nope", name="x"), Code.NOT_FOUND),
    Case("rename-character-huge", "feedback", "RenameCharacter",
         lambda w: fb.RenameRequest(id="p-nope", name=HUGE_NAME), Code.INVALID_ARGUMENT, "256"),
    Case("create-bin-no-shots", "feedback", "CreateBin",
         lambda w: fb.CreateBinRequest(shot_ids=[], name="x"), Code.INVALID_ARGUMENT),
    Case("create-bin-unknown-shot", "feedback", "CreateBin",
         lambda w: fb.CreateBinRequest(shot_ids=[w.shots[w.bins[1]][0], "s-nope"], name="x"), Code.NOT_FOUND),
    Case("create-bin-huge-name", "feedback", "CreateBin",
         lambda w: fb.CreateBinRequest(shot_ids=[w.shots[w.bins[1]][0]], name=HUGE_NAME),
         Code.INVALID_ARGUMENT, "256"),
    Case("create-bin-10001-shots", "feedback", "CreateBin",
         lambda w: fb.CreateBinRequest(shot_ids=[f"s{i}" for i in range(10_001)]), Code.INVALID_ARGUMENT, "at most"),
    Case("lock-unknown-bin", "feedback", "LockCluster",
         lambda w: fb.LockRequest(cluster_id="c-nope", locked=True), Code.NOT_FOUND),
    Case("reject-unknown-shot", "feedback", "RejectShot",
         lambda w: fb.RejectShotRequest(shot_id="s-nope", cluster_id=w.bins[1]), Code.NOT_FOUND),
    Case("reject-unknown-bin", "feedback", "RejectShot",
         lambda w: fb.RejectShotRequest(shot_id=w.shots[w.bins[1]][0], cluster_id="c-nope"), Code.NOT_FOUND),
    Case("assign-unknown-face", "feedback", "AssignFace",
         lambda w: fb.AssignFaceRequest(face_id="f-nope", character_id=""), Code.NOT_FOUND),
    Case("merge-characters-unknown", "feedback", "MergeCharacters",
         lambda w: fb.MergeCharactersRequest(character_ids=["p-a", "p-b"]), Code.NOT_FOUND),
    Case("merge-characters-one", "feedback", "MergeCharacters",
         lambda w: fb.MergeCharactersRequest(character_ids=["p-a"]), Code.INVALID_ARGUMENT),
    Case("reject-face-unknown", "feedback", "RejectFace",
         lambda w: fb.RejectFaceRequest(face_id="f-nope", character_id="p-a"), Code.NOT_FOUND),
    Case("correct-slate-unknown-media", "feedback", "CorrectSlate",
         lambda w: fb.CorrectSlateRequest(media_id="m-nope", fields={"scene": "12"}), Code.NOT_FOUND),
    Case("correct-slate-unknown-field", "feedback", "CorrectSlate",
         lambda w: fb.CorrectSlateRequest(media_id=w.media_id, fields={"colour": "red"}), Code.INVALID_ARGUMENT),
    Case("correct-slate-huge-value", "feedback", "CorrectSlate",
         lambda w: fb.CorrectSlateRequest(media_id=w.media_id, fields={"scene": HUGE_NAME}), Code.INVALID_ARGUMENT),
    Case("undo-unknown-feedback", "feedback", "UndoFeedback",
         lambda w: fb.UndoRequest(feedback_id="nope"), Code.NOT_FOUND),
    Case("redo-applied-feedback", "feedback", "RedoFeedback",
         lambda w: fb.UndoRequest(feedback_id=w.client.list_feedback()[-1].feedback_id), Code.FAILED_PRECONDITION),
    Case("undo-nothing-of-stranger", "feedback", "UndoFeedback",
         lambda w: fb.UndoRequest(actor="nobody-at-all"), Code.FAILED_PRECONDITION),
    # -- numbers ----------------------------------------------------------------------------------
    Case("train-holdout-5", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(holdout=5), Code.INVALID_ARGUMENT, "holdout"),
    Case("train-holdout-nan", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(holdout=NAN), Code.INVALID_ARGUMENT, "holdout"),
    Case("train-holdout-negative", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(holdout=-0.1), Code.INVALID_ARGUMENT, "holdout"),
    Case("train-holdout-1", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(holdout=1.0), Code.INVALID_ARGUMENT, "holdout"),
    Case("train-holdout-inf", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(holdout=INF), Code.INVALID_ARGUMENT, "holdout"),
    Case("train-epochs-int32-max", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(epochs=2147483647), Code.INVALID_ARGUMENT, "epochs"),
    Case("train-epochs-negative", "feedback", "TrainAdapter",
         lambda w: fb.TrainAdapterRequest(epochs=-1), Code.INVALID_ARGUMENT, "epochs"),
    Case("activate-unknown-adapter", "feedback", "ActivateAdapter",
         lambda w: fb.ActivateAdapterRequest(version="v999"), Code.NOT_FOUND),
    Case("review-queue-negative", "clusters", "GetReviewQueue",
         lambda w: clusters_pb2.ReviewQueueRequest(limit=-5), Code.INVALID_ARGUMENT, "limit"),
    Case("review-queue-int32-max", "clusters", "GetReviewQueue",
         lambda w: clusters_pb2.ReviewQueueRequest(limit=2147483647), Code.INVALID_ARGUMENT, "limit"),
    Case("search-text-negative-limit", "search", "SearchText",
         lambda w: search_pb2.SearchTextRequest(query="kitchen", limit=-1), Code.INVALID_ARGUMENT, "limit"),
    Case("search-similar-huge-limit", "search", "SearchSimilar",
         lambda w: search_pb2.SearchSimilarRequest(shot_id=w.shots[w.bins[1]][0], limit=2147483647),
         Code.INVALID_ARGUMENT, "limit"),
    Case("search-similar-unknown-shot", "search", "SearchSimilar",
         lambda w: search_pb2.SearchSimilarRequest(shot_id="s-nope"), Code.NOT_FOUND),
    Case("search-nan-min-score", "search", "Search",
         lambda w: search_pb2.SearchRequest(shot_id=w.shots[w.bins[1]][0], min_score=NAN), Code.INVALID_ARGUMENT,
         "min_score"),
    Case("search-text-huge-query", "search", "SearchText",
         lambda w: search_pb2.SearchTextRequest(query=LONG), Code.INVALID_ARGUMENT, "at most"),
    Case("search-similar-empty-id", "search", "SearchSimilar",
         lambda w: search_pb2.SearchSimilarRequest(shot_id=""), Code.INVALID_ARGUMENT),
    Case("compare-nan-threshold", "compare", "Compare",
         lambda w: compare_pb2.CompareRequest(a=w.media_id, b=w.media_id, match_threshold=NAN), Code.INVALID_ARGUMENT),
    Case("compare-negative-threshold", "compare", "Compare",
         lambda w: compare_pb2.CompareRequest(a=w.media_id, b=w.media_id, changed_colour=-1), Code.INVALID_ARGUMENT),
    Case("compare-outside-roots", "compare", "Compare",
         lambda w: compare_pb2.CompareRequest(a="/etc/shadow", b=w.media_id), Code.PERMISSION_DENIED,
         "outside the media roots", absent="shadow"),
    Case("compare-bad-report-format", "compare", "Compare",
         lambda w: compare_pb2.CompareRequest(a=w.media_id, b=w.media_id, report_format="pdf"), Code.INVALID_ARGUMENT),
    # -- MarkSeen: all or nothing -----------------------------------------------------------------
    Case("mark-seen-valid-and-unknown", "clusters", "MarkSeen",
         lambda w: clusters_pb2.ClusterIds(cluster_ids=[w.bins[2], "c-nope"]), Code.NOT_FOUND, "nothing was marked"),
    Case("mark-seen-10000-char-id", "clusters", "MarkSeen",
         lambda w: clusters_pb2.ClusterIds(cluster_ids=[w.bins[2], LONG]), Code.INVALID_ARGUMENT),
    Case("get-cluster-unknown", "clusters", "GetCluster",
         lambda w: clusters_pb2.ClusterRequest(cluster_id="c-nope"), Code.NOT_FOUND),
    # -- reads ------------------------------------------------------------------------------------
    Case("get-job-unknown", "ingest", "GetJob", lambda w: ingest_pb2.JobRequest(job_id="nope"), Code.NOT_FOUND),
    Case("cancel-job-unknown", "ingest", "CancelJob", lambda w: ingest_pb2.JobRequest(job_id="nope"), Code.NOT_FOUND),
    Case("get-media-unknown", "ingest", "GetMedia", lambda w: ingest_pb2.MediaRequest(media_id="nope"), Code.NOT_FOUND),
    Case("keyframe-unknown", "ingest", "GetKeyframeImage",
         lambda w: ingest_pb2.KeyframeImageRequest(keyframe_id="../../etc/passwd"), Code.NOT_FOUND),
    Case("face-image-unknown", "ingest", "GetFaceImage",
         lambda w: ingest_pb2.FaceImageRequest(face_id="nope"), Code.NOT_FOUND),
    Case("list-shots-unknown-bin", "ingest", "ListShots",
         lambda w: ingest_pb2.ListShotsRequest(cluster_id="c-nope"), Code.NOT_FOUND),
    # -- ingest: paths ----------------------------------------------------------------------------
    Case("ingest-no-paths", "ingest", "StartIngest", ingest(), Code.INVALID_ARGUMENT, "at least one"),
    Case("ingest-empty-path", "ingest", "StartIngest", ingest(""), Code.INVALID_ARGUMENT, "empty path"),
    Case("ingest-blank-path", "ingest", "StartIngest", ingest("   "), Code.INVALID_ARGUMENT, "empty path"),
    Case("ingest-10000-char-path", "ingest", "StartIngest", ingest("/" + LONG), Code.INVALID_ARGUMENT, "at most"),
    Case("ingest-10000-char-path-in-root", "ingest", "StartIngest", ingest("{media}/" + "y" * 4000),
         Code.INVALID_ARGUMENT),
    Case("ingest-nul-byte", "ingest", "StartIngest", ingest("{media}/take0.mp4\x00.txt"), Code.INVALID_ARGUMENT, "NUL"),
    Case("ingest-1001-paths", "ingest", "StartIngest", ingest(*["{media}/take0.mp4"] * 1001),
         Code.INVALID_ARGUMENT, "at most"),
    Case("ingest-dotdot-out-of-root", "ingest", "StartIngest", ingest("{media}/../../../../../../etc/hostname"),
         Code.PERMISSION_DENIED, "outside the media roots", absent="hostname"),
    Case("ingest-outside-existing", "ingest", "StartIngest", ingest("{outside}/secret.mp4"),
         Code.PERMISSION_DENIED, "outside the media roots", absent="secret"),
    Case("ingest-outside-missing", "ingest", "StartIngest", ingest("{outside}/no-such.mp4"),
         Code.PERMISSION_DENIED, "outside the media roots", absent="no-such"),
    Case("ingest-etc-shadow", "ingest", "StartIngest", ingest("/etc/shadow"),
         Code.PERMISSION_DENIED, "outside the media roots", absent="shadow"),
    Case("ingest-etc-missing", "ingest", "StartIngest", ingest("/etc/no-such-file-here"),
         Code.PERMISSION_DENIED, "outside the media roots", absent="no-such"),
    Case("ingest-relative-cwd", "ingest", "StartIngest", ingest("."), Code.PERMISSION_DENIED,
         "outside the media roots"),
    Case("ingest-missing-in-root", "ingest", "StartIngest", ingest("{media}/missing.mp4"),
         Code.INVALID_ARGUMENT, "no such file"),
    Case("ingest-text-as-mp4", "ingest", "StartIngest", ingest("{media}/passwords.mp4"),
         Code.INVALID_ARGUMENT, "not a video"),
    Case("ingest-typescript-d-mts", "ingest", "StartIngest", ingest("{media}/types.d.mts"),
         Code.INVALID_ARGUMENT, "not a video"),
    Case("ingest-random-bytes-mov", "ingest", "StartIngest", ingest("{media}/noise.mov"),
         Code.INVALID_ARGUMENT, "not a video"),
    Case("ingest-one-good-one-bad", "ingest", "StartIngest", ingest("{media}/take0.mp4", "{media}/passwords.mp4"),
         Code.INVALID_ARGUMENT, "not a video"),
    # -- export: folders --------------------------------------------------------------------------
    Case("export-unknown-format", "export", "Export", export(fmt="pdf"), Code.INVALID_ARGUMENT, "fcpxml"),
    Case("export-empty-format", "export", "Export", export(fmt=""), Code.INVALID_ARGUMENT),
    Case("export-bad-option", "export", "Export",
         lambda w: export_pb2.ExportRequest(format="fcpxml", options={"fcpxml_version": "99"}), Code.INVALID_ARGUMENT),
    Case("export-unknown-bin", "export", "Export",
         lambda w: export_pb2.ExportRequest(format="bins_json", cluster_ids=["c-nope"]), Code.NOT_FOUND),
    Case("export-unknown-shot", "export", "Export",
         lambda w: export_pb2.ExportRequest(format="bins_json", shot_ids=["s-nope"]), Code.NOT_FOUND),
    Case("export-under-proc", "export", "Export", export("/proc/self/binsight"), Code.PERMISSION_DENIED,
         "export root"),
    Case("export-autostart", "export", "Export", export("/root/.config/autostart"), Code.PERMISSION_DENIED,
         "export root"),
    Case("export-dotdot", "export", "Export", export("../../etc"), Code.PERMISSION_DENIED, "export root"),
    Case("export-nul-byte", "export", "Export", export("day1\x00x"), Code.INVALID_ARGUMENT, "NUL"),
    Case("export-existing-file", "export", "Export", export("a-file"), Code.INVALID_ARGUMENT, "is a file"),
    Case("export-under-a-file", "export", "Export", export("a-file/inner"), Code.INVALID_ARGUMENT, "is a file"),
    Case("export-no-overwrite", "export", "Export", export("taken"), Code.FAILED_PRECONDITION, "overwrite"),
    Case("export-10000-char-dir", "export", "Export", export(LONG), Code.INVALID_ARGUMENT, "at most"),
    Case("export-300-char-name", "export", "Export", export("z" * 300), Code.INVALID_ARGUMENT, "File name too long"),
    Case("export-huge-bin-name", "export", "Export",
         lambda w: export_pb2.ExportRequest(format="bins_json", shot_ids=[w.noise_shot], bin_name=HUGE_NAME),
         Code.INVALID_ARGUMENT, "256"),
    Case("export-read-token-writes", "export", "Export", export("day1"), Code.PERMISSION_DENIED, token="read"),
    # -- tokens -----------------------------------------------------------------------------------
    Case("read-token-moves-shot", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id=w.shots[w.bins[0]][0], to_cluster_id=w.bins[1]),
         Code.PERMISSION_DENIED, "read", token="read"),
    Case("read-token-ingests", "ingest", "StartIngest", ingest("{media}/take0.mp4", force=True),
         Code.PERMISSION_DENIED, token="read"),
    Case("read-token-renames", "feedback", "RenameCluster",
         lambda w: fb.RenameRequest(id=w.bins[1], name="mine"), Code.PERMISSION_DENIED, token="read"),
    Case("write-token-trains", "feedback", "TrainAdapter", lambda w: fb.TrainAdapterRequest(),
         Code.PERMISSION_DENIED, "admin", token="write"),
    Case("write-token-activates", "feedback", "ActivateAdapter", lambda w: fb.ActivateAdapterRequest(version=""),
         Code.PERMISSION_DENIED, token="write"),
    Case("bad-token-lists", "ingest", "ListShots", lambda w: ingest_pb2.ListShotsRequest(),
         Code.UNAUTHENTICATED, "not valid", token="bad"),
    Case("bad-token-moves", "feedback", "MoveShot",
         lambda w: fb.MoveShotRequest(shot_id=w.shots[w.bins[0]][0], to_cluster_id=w.bins[1]),
         Code.UNAUTHENTICATED, token="bad"),
]


def call(w: World, case: Case) -> tuple[Code, str]:
    metadata = {"read": (("authorization", f"Bearer {w.read_token}"),),
                "write": (("authorization", f"Bearer {w.write_token}"),),
                "bad": (("authorization", "Bearer bst_not-a-real-token"),), "": ()}[case.token]
    try:
        getattr(w.stub(case.service), case.rpc)(case.request(w), timeout=60, metadata=metadata)
    except grpc.RpcError as error:
        return error.code(), error.details() or ""
    return Code.OK, ""


def record(case_id: str, rpc: str, code: Code, message: str) -> None:
    TABLE.append((case_id, rpc, code.name, message[:120].replace("|", "/").replace("\n", " ")))


@pytest.mark.parametrize("case", CASES, ids=[c.case_id for c in CASES])
def test_bad_input(world: World, case: Case) -> None:
    before = state(world)
    code, message = call(world, case)
    record(case.case_id, case.rpc, code, message)
    assert code not in (Code.INTERNAL, Code.UNKNOWN), message
    assert code == case.expect, f"{case.case_id}: {code.name} {message!r}"
    assert len(message.encode()) <= MAX_MESSAGE_BYTES
    assert case.match.lower() in message.lower(), message
    if case.absent:
        assert case.absent not in message, message
    assert state(world) == before, f"{case.case_id} changed the project"


def test_case_ids_are_unique_and_many() -> None:
    ids = [c.case_id for c in CASES]
    assert len(ids) == len(set(ids)) and len(ids) >= 70


# -- cases that are accepted, cleaned: then everything still holds ---------------------------------

def test_move_into_a_merged_bin_follows_it_to_the_survivor(world: World) -> None:
    """A retired id leads to the bin that absorbed it: the shot lands there, visible in the tree
    and every export, and ListShots and the tree count the same shots."""
    c = world.client
    shot = world.shots[world.bins[1]][0]
    result = c.move_shot(shot, world.merged)
    assert result.event.to_id == world.bins[0]
    tree = c.list_clusters()
    survivor = next(b for b in tree.clusters if b.cluster_id == world.bins[0])
    assert shot in [s.shot_id for s in survivor.shots]
    assert world.merged not in [b.cluster_id for b in tree.clusters]
    in_tree = sum(len(b.shots) for b in tree.clusters) + len(tree.noise.shots)
    assert in_tree == len(c.list_shots())
    exported = b"".join(f.data for f in c.export("bins_json").files)
    assert shot.encode() in exported
    c.undo()
    assert shot in [s.shot_id for s in c.get_cluster(world.bins[1]).shots]


def test_control_characters_in_names_are_cleaned_and_xml_exports_parse(world: World) -> None:
    c = world.client
    c.rename_cluster(world.bins[2], "Kit\x0bchen\x00 \u200b\x1b[31m day\x7f")
    name = next(b.name for b in c.list_clusters().clusters if b.cluster_id == world.bins[2])
    assert name == "Kit chen [31m day"
    for fmt in ("fcpxml", "xmeml"):
        outcome = c.export(fmt)
        for f in outcome.files:
            if f.name.endswith((".fcpxml", ".xml")):
                root = etree.fromstring(f.data)
                assert "Kit chen [31m day" in etree.tostring(root, encoding="unicode")
    c.undo()


def test_mark_seen_valid_ids_after_a_refusal(world: World) -> None:
    """The refused MarkSeen([valid, unknown]) left the valid bin unseen; a good call marks it."""
    c = world.client
    c.mark_seen([world.bins[2]])  # no error, idempotent
    with pytest.raises(Exception):
        c.mark_seen(["c-nope"])


def test_folder_of_non_videos_fails_its_job_and_stores_nothing(world: World) -> None:
    """``.d.mts`` (TypeScript) and a text file named .mp4 are not taken for video when a
    folder is walked: the walk probes content, not suffixes."""
    folder = world.media_dir / "not-video"
    folder.mkdir(exist_ok=True)
    shutil.copy(world.media_dir / "types.d.mts", folder / "index.d.mts")
    shutil.copy(world.media_dir / "passwords.mp4", folder / "passwords.mp4")
    before = state(world)
    job = world.client.ingest([str(folder)])
    assert job.state == "failed" and "no video files" in job.error
    after = state(world)
    assert {k: v for k, v in after.items() if k != "jobs"} == {k: v for k, v in before.items() if k != "jobs"}


def test_a_server_needing_tokens_refuses_a_call_without_one(tmp_path: Path) -> None:
    data = tmp_path / "data"
    server = BinsightServer(make_config(data, require_token=True)).start()
    try:
        channel = grpc.insecure_channel(server.address)
        stub = ingest_pb2_grpc.IngestServiceStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.ListShots(ingest_pb2.ListShotsRequest(), timeout=10)
        assert info.value.code() == Code.UNAUTHENTICATED and "BINSIGHT_TOKEN" in info.value.details()
        record("no-token-when-required", "ListShots", info.value.code(), info.value.details())
        channel.close()
    finally:
        server.stop()


def test_binding_beyond_loopback_needs_tls_and_tokens(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput) as info:
        BinsightServer(make_config(tmp_path / "data", address="0.0.0.0:0"))
    message = str(info.value)
    assert "TLS" in message and "tokens add" in message and "127.0.0.1" in message
    record("bind-0.0.0.0-no-tls-no-token", "(server start)", Code.INVALID_ARGUMENT, message)


def test_zz_print_the_table() -> None:
    """The case -> status table for the closing note (run with -s to see it)."""
    lines = ["| case | RPC | status | message |", "| --- | --- | --- | --- |"]
    lines += [f"| {cid} | {rpc} | {code} | {msg} |" for cid, rpc, code, msg in TABLE]
    text = "\n".join(lines)
    print("\n" + text)
    out = os.environ.get("BINSIGHT_BAD_INPUT_TABLE")
    if out:
        Path(out).write_text(text + "\n")
    assert not any(code in ("INTERNAL", "UNKNOWN") for _, _, code, _ in TABLE)



def test_recursive_unset_means_true_as_in_the_sdk_and_cli(served, tmp_path: Path) -> None:
    """StartIngest's ``recursive`` has one meaning everywhere: unset walks sub-folders (as the
    SDK, the CLI and the review page do); only an explicit false stays at the top."""
    server, client = served
    nested = tmp_path / "day1" / "cam-a"
    nested.mkdir(parents=True)
    shutil.copy(shared_media("counter.mp4"), nested / "A001.mp4")
    channel = grpc.insecure_channel(server.address)
    stub = ingest_pb2_grpc.IngestServiceStub(channel)
    flat = stub.StartIngest(ingest_pb2.StartIngestRequest(paths=[str(tmp_path / "day1")], recursive=False), timeout=30)
    assert client.get_job(list(client.watch_job(flat.job_id))[-1].job_id).state == "failed"
    assert client.list_media() == []
    unset = stub.StartIngest(ingest_pb2.StartIngestRequest(paths=[str(tmp_path / "day1")]), timeout=30)
    list(client.watch_job(unset.job_id))
    assert client.get_job(unset.job_id).state == "succeeded"
    assert [Path(m.path).name for m in client.list_media()] == ["A001.mp4"]
    channel.close()
