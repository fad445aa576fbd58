"""Starts the gRPC server over a ``Project``: the Binsight services plus the standard health
service and server reflection (so grpcurl and load balancers can talk to it)."""

from __future__ import annotations

import logging
import os
import signal
import threading
from concurrent import futures
from typing import Any, Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, compare_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc, feedback_pb2,
    feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc, system_pb2, system_pb2_grpc,
)

from ..app.project import Project
from ..clock import utcnow
from ..config import Config
from ..runtime import ServerCard, remove_card, write_card
from . import servicers

log = logging.getLogger(__name__)


def _services(project: Project) -> list[tuple[Any, str, Callable[..., None], Any]]:
    """(generated module, service name, registration function, servicer) for every service."""
    return [
        (ingest_pb2, "IngestService", ingest_pb2_grpc.add_IngestServiceServicer_to_server,
         servicers.IngestServicer(project.ingest)),
        (clusters_pb2, "ClusterService", clusters_pb2_grpc.add_ClusterServiceServicer_to_server,
         servicers.ClusterServicer(project.clusters)),
        (feedback_pb2, "FeedbackService", feedback_pb2_grpc.add_FeedbackServiceServicer_to_server,
         servicers.FeedbackServicer(project.feedback)),
        (search_pb2, "SearchService", search_pb2_grpc.add_SearchServiceServicer_to_server,
         servicers.SearchServicer(project.search)),
        (compare_pb2, "CompareService", compare_pb2_grpc.add_CompareServiceServicer_to_server,
         servicers.CompareServicer(project.compare)),
        (export_pb2, "ExportService", export_pb2_grpc.add_ExportServiceServicer_to_server,
         servicers.ExportServicer(project.export)),
        (system_pb2, "SystemService", system_pb2_grpc.add_SystemServiceServicer_to_server,
         servicers.SystemServicer(project.system)),
    ]


class BinsightServer:
    """A running server. ``port`` is the bound port (useful with an ephemeral ``:0`` address)."""

    def __init__(self, config: Config, project: Project | None = None) -> None:
        self.config = config
        self.project = project or Project(config)
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=config.workers,
                                                            thread_name_prefix="binsight-rpc"),
                                 options=[("grpc.max_send_message_length", 256 * 1024 * 1024)])
        names = [reflection.SERVICE_NAME, health.SERVICE_NAME]
        for module, name, add, servicer in _services(self.project):
            add(servicer, self._grpc)
            names.append(module.DESCRIPTOR.services_by_name[name].full_name)
        self._health = health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._grpc)
        reflection.enable_server_reflection(names, self._grpc)
        self.port = self._grpc.add_insecure_port(config.address)
        if self.port == 0:
            raise OSError(f"could not bind {config.address} (in use, or not an address of this machine)")
        host = config.address.rsplit(":", 1)[0]
        self.address = f"{host}:{self.port}"
        self._stopped = threading.Event()

    def start(self) -> "BinsightServer":
        self._grpc.start()
        self._health.set("", health_pb2.HealthCheckResponse.SERVING)
        self.project.system.address = self.address
        write_card(self.config.data_dir, ServerCard(os.getpid(), self.address, "", utcnow()))
        log.info("serving", extra={"address": self.address, "data_dir": str(self.config.data_dir)})
        return self

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking calls, let running ones finish, cancel jobs (their committed files stay),
        and close the store."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        self._health.enter_graceful_shutdown()
        self._grpc.stop(grace).wait()
        remove_card(self.config.data_dir, os.getpid())
        self.project.close()
        log.info("stopped", extra={"address": self.address})

    def wait(self) -> None:
        """Serve until SIGINT/SIGTERM, then stop cleanly."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stopped.is_set() or threading.Thread(target=self.stop).start())
        while not self._stopped.wait(0.5):
            pass
        self._grpc.wait_for_termination()
