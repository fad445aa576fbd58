"""Fuzz: random field values on every RPC of every Binsight service, built from the protobuf
descriptors (so a field added to a .proto is fuzzed without touching this file), and random bytes
as video files. Bounded: ``FUZZ_EXAMPLES`` requests per RPC (env ``BINSIGHT_FUZZ_EXAMPLES``) and
``FILES`` files, well under a minute in all.

The server must answer health after every call and never answer INTERNAL or UNKNOWN (nor hang
into DEADLINE_EXCEEDED). ``-s`` prints the calls per RPC and their statuses; with
``BINSIGHT_FUZZ_TABLE=path`` they are also written there.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor import FieldDescriptor as F
from google.protobuf.message_factory import GetMessageClass
from grpc_health.v1 import health_pb2, health_pb2_grpc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binsight.service.server import BinsightServer
from binsight_api.v1 import clusters_pb2, compare_pb2, export_pb2, feedback_pb2, ingest_pb2, search_pb2, system_pb2
from binsight_client import Client
from conftest import allow_test_media, make_config
from media_factory import shared_media

FUZZ_EXAMPLES = int(os.environ.get("BINSIGHT_FUZZ_EXAMPLES", "25"))
FILES = 25
FAILURES = (grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED)
MODULES = (ingest_pb2, clusters_pb2, feedback_pb2, search_pb2, compare_pb2, export_pb2, system_pb2)
RPCS = [(service, method) for module in MODULES for service in module.DESCRIPTOR.services_by_name.values()
        for method in service.methods]
CALLS: Counter = Counter()  # (rpc, status name) -> calls
HEALTH = Counter()  # health answers seen between calls


@dataclass
class Fuzzed:
    server: BinsightServer
    channel: grpc.Channel
    health: Any
    ids: list[str]  # real ids of the project: media, shots, keyframes, bins
    media_dir: Path


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory) -> Iterator[Fuzzed]:
    base = tmp_path_factory.mktemp("fuzz")
    data = base / "data"
    allow_test_media(data, tmp_path_factory.getbasetemp())
    server = BinsightServer(make_config(data, **{"faces.enabled": False})).start()
    with Client(server.address, timeout=120) as client:
        client.ingest([str(shared_media("counter.mp4"))])
        shots = client.list_shots()
        ids = [shots[0].media_id, *(s.shot_id for s in shots), *(k.keyframe_id for s in shots for k in s.keyframes),
               *(c.cluster_id for c in client.list_clusters().clusters)]
    channel = grpc.insecure_channel(server.address, options=[("grpc.max_receive_message_length", 256 << 20)])
    yield Fuzzed(server, channel, health_pb2_grpc.HealthStub(channel), ids, base)
    channel.close()
    server.stop()


# -- strategies from the descriptors ------------------------------------------------------------

SPECIAL_STRINGS = ["", " ", "noise", "..", "../../etc/passwd", "/etc/shadow", "/proc/self/mem", "\x00", "\x0b",
                   "x" * 10_000, "é" * 300, "bins_json", "fcpxml", "otio", "json", "v1", "scene-00001", "@nobody"]
INT_BOUNDS = {F.TYPE_INT32: (-2**31, 2**31 - 1), F.TYPE_SINT32: (-2**31, 2**31 - 1), F.TYPE_SFIXED32: (-2**31, 2**31 - 1),
              F.TYPE_INT64: (-2**63, 2**63 - 1), F.TYPE_SINT64: (-2**63, 2**63 - 1), F.TYPE_SFIXED64: (-2**63, 2**63 - 1),
              F.TYPE_UINT32: (0, 2**32 - 1), F.TYPE_FIXED32: (0, 2**32 - 1), F.TYPE_UINT64: (0, 2**64 - 1),
              F.TYPE_FIXED64: (0, 2**64 - 1)}


def strings(ids: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(ids), st.sampled_from(SPECIAL_STRINGS), st.text(max_size=40))


def scalar(field: F, ids: list[str]) -> st.SearchStrategy[Any]:
    t = field.type
    if t == F.TYPE_STRING:
        return strings(ids)
    if t == F.TYPE_BYTES:
        return st.one_of(st.binary(max_size=2048), st.just(shared_media("counter.mp4").read_bytes()[:4096]))
    if t == F.TYPE_BOOL:
        return st.booleans()
    if t in (F.TYPE_DOUBLE, F.TYPE_FLOAT):
        edge = st.sampled_from([0.0, -0.0, 1.0, 0.5, -1.0, 5.0, 1e300, -1e300, float("nan"), float("inf"), -float("inf")])
        wide = st.floats(allow_nan=True, allow_infinity=True, width=32 if t == F.TYPE_FLOAT else 64)
        return st.one_of(edge, wide)
    if t == F.TYPE_ENUM:
        return st.one_of(st.sampled_from([v.number for v in field.enum_type.values]), st.integers(-5, 50))
    low, high = INT_BOUNDS[t]
    return st.one_of(st.sampled_from([0, 1, -1, low, high, 20, 10_001]), st.integers(low, high))


def message(descriptor: Any, ids: list[str], depth: int = 0) -> st.SearchStrategy[Any]:
    """A message of ``descriptor`` with a random subset of its fields set to random values."""
    cls = GetMessageClass(descriptor)
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, value = field.message_type.fields_by_name["key"], field.message_type.fields_by_name["value"]
            fields[field.name] = st.dictionaries(scalar(key, ids), scalar(value, ids), max_size=4)
        elif field.message_type is not None:
            if depth >= 2:
                continue
            inner = message(field.message_type, ids, depth + 1)
            fields[field.name] = st.lists(inner, max_size=3) if field.is_repeated else inner
        elif field.is_repeated:
            fields[field.name] = st.lists(scalar(field, ids), max_size=6)
        else:
            fields[field.name] = scalar(field, ids)

    @st.composite
    def build(draw: Any) -> Any:
        chosen = draw(st.sets(st.sampled_from(sorted(fields)), max_size=len(fields))) if fields else set()
        msg = cls()
        for name in chosen:
            value = draw(fields[name])
            target = getattr(msg, name) if descriptor.fields_by_name[name].is_repeated or \
                descriptor.fields_by_name[name].message_type is not None else None
            if isinstance(value, dict):
                target.update(value)
            elif isinstance(value, list):
                target.extend(value)
            elif hasattr(value, "SerializeToString"):
                target.CopyFrom(value)
            else:
                setattr(msg, name, value)
        return msg
    return build()


def invoke(f: Fuzzed, service: Any, method: Any, request: Any) -> grpc.StatusCode:
    path = f"/{service.full_name}/{method.name}"
    out = GetMessageClass(method.output_type)
    try:
        if method.server_streaming:
            stream = f.channel.unary_stream(path, request_serializer=lambda m: m.SerializeToString(),
                                            response_deserializer=out.FromString)(request, timeout=30)
            for _ in stream:
                pass
        else:
            f.channel.unary_unary(path, request_serializer=lambda m: m.SerializeToString(),
                                  response_deserializer=out.FromString)(request, timeout=30)
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


def healthy(f: Fuzzed) -> None:
    answer = f.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=10)
    HEALTH[health_pb2.HealthCheckResponse.ServingStatus.Name(answer.status)] += 1
    assert answer.status == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("service,method", RPCS, ids=[f"{s.name}.{m.name}" for s, m in RPCS])
def test_random_requests(fuzzed: Fuzzed, service: Any, method: Any) -> None:
    @settings(max_examples=FUZZ_EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def run(data: Any) -> None:
        request = data.draw(message(method.input_type, fuzzed.ids))
        code = invoke(fuzzed, service, method, request)
        CALLS[(method.name, code.name)] += 1
        assert code not in FAILURES, f"{method.name} answered {code.name} to {request!r:.500}"
        healthy(fuzzed)
    run()


HEADERS = [b"", b"\x00\x00\x00\x18ftypmp42", b"\x1aE\xdf\xa3", b"RIFF\x00\x00\x00\x00AVI ", b"G@\x00\x10",
           b"\x06\x0e+4\x02\x05\x01\x01"]  # none, MP4, Matroska, AVI, MPEG-TS, MXF


def test_random_bytes_as_video_files(fuzzed: Fuzzed) -> None:
    real = shared_media("counter.mp4").read_bytes()
    stub = fuzzed.channel.unary_unary("/binsight.v1.IngestService/StartIngest",
                                      request_serializer=lambda m: m.SerializeToString(),
                                      response_deserializer=ingest_pb2.Job.FromString)
    folder = fuzzed.media_dir / "random"
    folder.mkdir()
    counter = [0]

    @settings(max_examples=FILES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(HEADERS), st.binary(max_size=32_768), st.integers(0, len(real)),
           st.sampled_from([".mp4", ".mov", ".mts", ".d.mts", ".mxf", ".avi", ".mkv", ".nfo"]))
    def run(header: bytes, tail: bytes, keep: int, suffix: str) -> None:
        counter[0] += 1
        body = header + tail if counter[0] % 3 else real[:keep] + tail  # some start as a real mp4
        path = folder / f"clip{counter[0]}{suffix}"
        path.write_bytes(body)
        try:
            job = stub(ingest_pb2.StartIngestRequest(paths=[str(path)]), timeout=30)
        except grpc.RpcError as error:
            CALLS[("StartIngest(random file)", error.code().name)] += 1
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error.details()
        else:
            with Client(fuzzed.server.address, timeout=60) as client:
                events = list(client.watch_job(job.job_id))
            CALLS[("StartIngest(random file)", f"OK, job {events[-1].state}")] += 1
            assert events[-1].state in ("succeeded", "failed")
        healthy(fuzzed)
    run()


def test_zz_print_counts() -> None:
    rows = sorted(CALLS.items())
    per_rpc = Counter()
    for (rpc, _), n in rows:
        per_rpc[rpc] += n
    lines = ["| RPC | calls | statuses |", "| --- | --- | --- |"]
    for rpc in sorted(per_rpc):
        statuses = ", ".join(f"{code} {n}" for (r, code), n in rows if r == rpc)
        lines.append(f"| {rpc} | {per_rpc[rpc]} | {statuses} |")
    total = sum(per_rpc.values())
    by_status = Counter()
    for (_, code), n in rows:
        by_status[code] += n
    lines.append(f"| all {len(per_rpc)} | {total} | " + ", ".join(f"{c} {n}" for c, n in sorted(by_status.items())) + " |")
    lines.append(f"\nhealth checks between calls: {dict(HEALTH)}")
    text = "\n".join(lines)
    print("\n" + text)
    out = os.environ.get("BINSIGHT_FUZZ_TABLE")
    if out:
        Path(out).write_text(text + "\n")
    assert total and not any(code in ("INTERNAL", "UNKNOWN", "DEADLINE_EXCEEDED") for (_, code) in CALLS)
