"""What an operator sees: a request id on every service log line (the ingest job's lines carry
the id of the call that started it, which the caller gets back as ``x-request-id``), per-stage
ingest timings, and Prometheus text on ``/metrics`` with jobs, RPC latency and queue depth."""

from __future__ import annotations

import io
import json
import logging
import urllib.request

import grpc

from binsight.log import JsonFormatter
from binsight_api.v1 import clusters_pb2, clusters_pb2_grpc, ingest_pb2, ingest_pb2_grpc
from binsight_client import Client
from media_factory import shared_media


def test_request_ids_stage_timings_and_metrics(start_server) -> None:
    server, client = start_server(**{"faces.enabled": False, "http_address": "127.0.0.1:0"})
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("binsight")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        channel = grpc.insecure_channel(server.address)
        ingest = ingest_pb2_grpc.IngestServiceStub(channel)
        job, call = ingest.StartIngest.with_call(
            ingest_pb2.StartIngestRequest(paths=[str(shared_media("counter.mp4"))]), timeout=60)
        started_by = dict(call.trailing_metadata())["x-request-id"]
        with Client(server.address) as watcher:
            list(watcher.watch_job(job.job_id))
        _, listing = clusters_pb2_grpc.ClusterServiceStub(channel).ListClusters.with_call(
            clusters_pb2.ListClustersRequest(), timeout=30)
        listed_by = dict(listing.trailing_metadata())["x-request-id"]
        channel.close()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)

    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines and all(line.get("request_id") for line in lines), [l for l in lines if not l.get("request_id")]
    by_msg = {}
    for line in lines:
        by_msg.setdefault(line["msg"], []).append(line)
    for msg in ("job queued", "ingest started", "file ingested"):
        assert [line["request_id"] for line in by_msg[msg]] == [started_by], msg
    rpcs = {(line["rpc"], line["request_id"]) for line in by_msg["rpc"]}
    assert ("StartIngest", started_by) in rpcs and ("ListClusters", listed_by) in rpcs
    assert started_by != listed_by

    done = client.get_job(job.job_id)
    stages = done.files[0].stage_seconds
    assert {"probe", "detect", "embed", "store"} <= set(stages) and all(v >= 0 for v in stages.values())
    assert set(by_msg["file ingested"][0]["stages"]) == set(stages)

    with urllib.request.urlopen(server.page.url.rstrip("/") + "/metrics", timeout=10) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    assert 'binsight_jobs{state="succeeded"} 1' in text
    assert "binsight_job_queue_depth 0" in text
    assert "binsight_open_streams 0" in text
    assert 'binsight_rpc_seconds_count{code="OK",method="StartIngest"} 1' in text
    assert 'binsight_rpc_seconds_bucket{code="OK",method="ListClusters",le="+Inf"} 1' in text, [l for l in text.splitlines() if 'ListClusters' in l][-3:]
    assert "# TYPE binsight_rpc_seconds histogram" in text, text
