"""gRPC health follows the store: NOT_SERVING while the data dir's database is unavailable, and
SERVING again once it is back, with the server up throughout."""

from __future__ import annotations

import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

SERVING, NOT_SERVING = health_pb2.HealthCheckResponse.SERVING, health_pb2.HealthCheckResponse.NOT_SERVING


def wait_for(stub, status: int, service: str = "", timeout: float = 10.0) -> float:
    """Seconds until health reports ``status``; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5).status == status:
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"health did not become {status} within {timeout} s")


def test_health_is_not_serving_while_the_store_is_gone(served) -> None:
    server, client = served
    channel = grpc.insecure_channel(server.address)
    stub = health_pb2_grpc.HealthStub(channel)
    assert stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status == SERVING
    assert stub.Check(health_pb2.HealthCheckRequest(service="binsight.v1.FeedbackService"), timeout=5).status == SERVING
    db = server.project.store.path
    away = db.with_name("db.unmounted")
    db.rename(away)  # as an unmounted disk or a removed data dir looks to the server
    try:
        wait_for(stub, NOT_SERVING)
        wait_for(stub, NOT_SERVING, "binsight.v1.IngestService")
    finally:
        away.rename(db)
    wait_for(stub, SERVING)
    wait_for(stub, SERVING, "binsight.v1.IngestService")
    assert client.list_shots() == []
    channel.close()


def test_a_table_folder_gone_is_a_problem(served) -> None:
    server, _ = served
    store = server.project.store
    assert store.problem() == ""
    table = store.path / "feedback.lance"
    table.rename(table.with_name("feedback.gone"))
    try:
        assert "feedback" in store.problem()
    finally:
        table.with_name("feedback.gone").rename(table)
    assert store.problem() == ""
