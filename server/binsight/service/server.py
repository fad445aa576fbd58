"""The gRPC server over a ``Project``: the Binsight services plus the standard health service and
server reflection (so grpcurl and load balancers can talk to it).

It is an asyncio server on its own thread. Unary calls run on a pool of ``workers`` threads;
streams (WatchJob) wait on the event loop and hold no thread, so any number of panels watching
jobs never starve a list call or a move. Calls pass the gate (tokens, scopes) first.

Binding: loopback needs nothing. Any other address needs TLS (``tls_cert`` and ``tls_key``,
optionally ``tls_client_ca`` for client certificates) and at least one token; the server refuses
to start otherwise, saying how to fix it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, TypeVar

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from binsight_api.v1 import (
    clusters_pb2, clusters_pb2_grpc, compare_pb2, compare_pb2_grpc, export_pb2, export_pb2_grpc, feedback_pb2,
    feedback_pb2_grpc, ingest_pb2, ingest_pb2_grpc, search_pb2, search_pb2_grpc, system_pb2, system_pb2_grpc,
)

from ..access import Access
from ..addresses import is_loopback
from ..app.project import Project
from ..clock import utcnow
from ..config import Config
from ..errors import InvalidInput
from ..metrics import Registry
from ..runtime import ServerCard, remove_card, write_card
from . import servicers
from .auth import Gate
from .calls import Calls

log = logging.getLogger(__name__)

T = TypeVar("T")

WRITE_WORKERS = 4  # threads for calls that change the project (they take the write lock in turn)
HEALTH_INTERVAL_S = 1.0  # how often health asks the store whether it can serve


def bind_policy(config: Config, access: Access) -> None:
    """Refuse, with the fix, to serve beyond loopback (gRPC or the review page) without TLS and
    tokens."""
    beyond = [a for a in (config.address, config.http_address) if a and not is_loopback(a)]
    if not beyond:
        return
    missing = []
    if not (config.tls_cert and config.tls_key):
        missing.append("TLS (set tls_cert and tls_key, optionally tls_client_ca)")
    if not access.has_tokens():
        missing.append("tokens (make one with `binsight tokens add NAME --scope write`)")
    if missing:
        raise InvalidInput(f"refusing to serve on {', '.join(beyond)}, not loopback, without "
                           + " and ".join(missing) + "; or serve on 127.0.0.1")


def _services(project: Project, calls: Calls) -> list[tuple[Any, str, Callable[..., None], Any]]:
    """(generated module, service name, registration function, servicer) for every service."""
    return [
        (ingest_pb2, "IngestService", ingest_pb2_grpc.add_IngestServiceServicer_to_server,
         servicers.IngestServicer(project.ingest, calls)),
        (clusters_pb2, "ClusterService", clusters_pb2_grpc.add_ClusterServiceServicer_to_server,
         servicers.ClusterServicer(project.clusters, calls)),
        (feedback_pb2, "FeedbackService", feedback_pb2_grpc.add_FeedbackServiceServicer_to_server,
         servicers.FeedbackServicer(project.feedback, calls)),
        (search_pb2, "SearchService", search_pb2_grpc.add_SearchServiceServicer_to_server,
         servicers.SearchServicer(project.search, calls)),
        (compare_pb2, "CompareService", compare_pb2_grpc.add_CompareServiceServicer_to_server,
         servicers.CompareServicer(project.compare, calls)),
        (export_pb2, "ExportService", export_pb2_grpc.add_ExportServiceServicer_to_server,
         servicers.ExportServicer(project.export, calls)),
        (system_pb2, "SystemService", system_pb2_grpc.add_SystemServiceServicer_to_server,
         servicers.SystemServicer(project.system, calls)),
    ]


class BinsightServer:
    """A running server. ``port`` is the bound port (useful with an ephemeral ``:0`` address)."""

    def __init__(self, config: Config, project: Project | None = None) -> None:
        self.config = config
        self.access = Access(config.data_dir)
        bind_policy(config, self.access)
        self.project = project or Project(config)
        self.metrics = Registry()
        self.gate = Gate(self.access, required=config.require_token or not is_loopback(config.address))
        self._pool = ThreadPoolExecutor(config.workers, thread_name_prefix="binsight-rpc")
        # calls that change the project wait on the indexes' write lock one at a time: on a pool
        # of their own they never hold the threads reads run on
        self._write_pool = ThreadPoolExecutor(WRITE_WORKERS, thread_name_prefix="binsight-write")
        self.calls = Calls(self.metrics, self.gate.identify, self._write_pool, self.project.library.refresh)
        self._loop = asyncio.new_event_loop()
        self._loop.set_default_executor(self._pool)
        self._thread = threading.Thread(target=self._loop.run_forever, name="binsight-grpc", daemon=True)
        self._thread.start()
        self._stopped = threading.Event()
        self._health_task: Any = None  # the store watch, once started
        try:
            self.port = self._run(self._build())
        except BaseException:
            self._close_loop()
            raise
        host = config.address.rsplit(":", 1)[0]
        self.address = f"{host}:{self.port}"
        self._register_gauges()
        self.page = None
        if config.http_address:
            from ..web import Gate as PageGate, ReviewPage  # the page's stack only when it is on

            tls = (config.tls_cert, config.tls_key) if config.tls_cert and config.tls_key else None
            required = config.require_token or not is_loopback(config.http_address)
            self.page = ReviewPage(self.project, config.http_address,
                                   PageGate(access=self.access, required=required), self.metrics, tls)

    def _run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    async def _build(self) -> int:
        self._grpc = grpc.aio.server(interceptors=[self.gate], options=[
            ("grpc.max_send_message_length", 256 * 1024 * 1024),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
        ])
        names = [reflection.SERVICE_NAME, health.SERVICE_NAME]
        self._service_names: list[str] = []
        for module, name, add, servicer in _services(self.project, self.calls):
            add(servicer, self._grpc)
            self._service_names.append(module.DESCRIPTOR.services_by_name[name].full_name)
        names += self._service_names
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, self._grpc)
        reflection.enable_server_reflection(names, self._grpc)
        config = self.config
        if config.tls_cert and config.tls_key:
            client_ca = config.tls_client_ca.read_bytes() if config.tls_client_ca else None
            credentials = grpc.ssl_server_credentials(
                [(config.tls_key.read_bytes(), config.tls_cert.read_bytes())], root_certificates=client_ca,
                require_client_auth=client_ca is not None)
            port = self._grpc.add_secure_port(config.address, credentials)
        else:
            port = self._grpc.add_insecure_port(config.address)
        if port == 0:
            raise OSError(f"could not bind {config.address} (in use, or not an address of this machine)")
        return port

    def _register_gauges(self) -> None:
        jobs = self.project.jobs
        self.metrics.gauge("binsight_jobs", "jobs by state",
                           lambda: _tally((("state", str(j.state)),) for j in jobs.list()))
        self.metrics.gauge("binsight_job_queue_depth", "jobs waiting to run",
                           lambda: {(): float(sum(1 for j in jobs.list() if j.state == "queued"))})
        self.metrics.gauge("binsight_open_streams", "WatchJob streams open", lambda: {(): float(self.calls.open_streams)})

    def start(self) -> "BinsightServer":
        # the review page first: the first client to connect reads its URL in GetStatus
        if self.page is not None:
            try:
                self.page.start()
            except OSError:
                self._run(self._grpc.stop(0))
                raise
            self.project.system.review_url = self.page.url
        self.project.system.address = self.address
        self._run(self._grpc.start())
        for name in ("", *self._service_names):
            self._run(self._health.set(name, health_pb2.HealthCheckResponse.SERVING))
        self._health_task = asyncio.run_coroutine_threadsafe(self._watch_store(), self._loop)
        write_card(self.config.data_dir, ServerCard(os.getpid(), self.address, self.page.url if self.page else "",
                                                    utcnow()))
        log.info("serving", extra={"address": self.address, "data_dir": str(self.config.data_dir),
                                   "tls": bool(self.config.tls_cert), "tokens_required": self.gate.required})
        return self

    async def _watch_store(self) -> None:
        """Health follows the store: NOT_SERVING while it is unavailable (its folder removed or
        closed to this process), SERVING again once it is back. The probe is a few stats on a
        thread of its own, so neither busy workers nor a slow disk delay the event loop."""
        serving = True
        probe = ThreadPoolExecutor(1, thread_name_prefix="binsight-health")
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(HEALTH_INTERVAL_S)
                problem = await loop.run_in_executor(probe, self.project.store.problem)
                if bool(problem) == serving:
                    serving = not problem
                    status = health_pb2.HealthCheckResponse.SERVING if serving else \
                        health_pb2.HealthCheckResponse.NOT_SERVING
                    for name in ("", *self._service_names):
                        await self._health.set(name, status)
                    if serving:
                        log.warning("store available again: serving")
                    else:
                        log.error("store unavailable: not serving", extra={"problem": problem})
        finally:
            probe.shutdown(wait=False)

    def stop(self, grace: float = 5.0) -> None:
        """Stop taking calls, let running ones finish, cancel jobs (their committed files stay),
        and close the store."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        if self._health_task is not None:
            self._loop.call_soon_threadsafe(self._health_task.cancel)
        self._run(self._health.enter_graceful_shutdown())
        if self.page is not None:
            self.page.stop()
        self._run(self._grpc.stop(grace))
        remove_card(self.config.data_dir, os.getpid())
        self.project.close()
        self._close_loop()
        log.info("stopped", extra={"address": self.address})

    def _close_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._write_pool.shutdown(wait=False, cancel_futures=True)

    def wait(self) -> None:
        """Serve until SIGINT/SIGTERM, then stop cleanly."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stopped.is_set() or threading.Thread(target=self.stop).start())
        while not self._stopped.wait(0.5):
            pass


def _tally(keys: Any) -> dict:
    out: dict = {}
    for key in keys:
        out[key] = out.get(key, 0.0) + 1.0
    return out
