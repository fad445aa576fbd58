"""The review page as a part of the server process: uvicorn serving the page's ASGI app on a
daemon thread, over the same ``Project`` the gRPC servicers use.

Why a thread and not a process: the page must read the very snapshots the servicers read (one
core, one state, no second copy of the indexes in memory), and a thread costs a few MB.
"""

from __future__ import annotations

import http.client
import logging
import socket
import ssl
import threading
import time
from pathlib import Path

import uvicorn

from ..app.project import Project
from ..metrics import Registry
from .app import build_app
from .context import WebContext
from .gate import Gate
from .proxy import ShotProxies

log = logging.getLogger(__name__)

START_TIMEOUT_S = 10.0


def split_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:8765"`` / ``"[::1]:0"`` -> (host, port)."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"the review page's address must be host:port (like 127.0.0.1:8765), not {address!r}")
    return host.strip("[]"), int(port)


class ReviewPage:
    """``start()`` binds ``address`` (port 0: any free port) and returns once the page answers;
    ``url`` is where a browser opens it. ``stop()`` ends live streams and the server."""

    def __init__(self, project: Project, address: str, gate: Gate, metrics: Registry | None = None,
                 tls: tuple[Path, Path] | None = None) -> None:
        """``metrics``: served as Prometheus text at /metrics; ``tls``: (certificate, key), the
        page is then served over HTTPS."""
        self.project = project
        self.gate = gate
        self.tls = tls
        gate.scheme = "https" if tls else "http"
        self.host, self.port = split_address(address)
        self.ctx = WebContext(project, gate, ShotProxies(project.config.data_dir / "proxies"))
        self.app = build_app(self.ctx, metrics)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    def start(self) -> "ReviewPage":
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP named explicitly: asyncio turns Nagle off only on sockets that say they
        # are TCP, and with Nagle on every small answer (JSON, a thumbnail) waits 40 ms for an ACK.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            raise OSError(f"the review page could not bind {self.host}:{self.port} ({exc.strerror}): "
                          f"set http_address to a free port, or \"\" to turn the page off") from exc
        sock.listen(64)
        self.port = sock.getsockname()[1]
        shown_host = f"[{self.host}]" if family == socket.AF_INET6 else self.host
        self.gate.allow_loopback(self.port)
        self.gate.allow(shown_host, self.port)
        self.url = f"{self.gate.scheme}://{shown_host}:{self.port}/"
        tls = {"ssl_certfile": str(self.tls[0]), "ssl_keyfile": str(self.tls[1])} if self.tls else {}
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2, ws="none", **tls)
        self._server = uvicorn.Server(config)
        started = time.monotonic()
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [sock]},
                                        name="binsight-page", daemon=True)
        self._thread.start()
        self._wait_until_answering(shown_host)
        log.info("review page serving", extra={"url": self.url, "seconds": round(time.monotonic() - started, 3)})
        return self

    def _wait_until_answering(self, host: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self._server is not None and self._server.started:
                connection = (http.client.HTTPSConnection(self.host, self.port, timeout=2,
                                                          context=ssl._create_unverified_context())
                              if self.tls else http.client.HTTPConnection(self.host, self.port, timeout=2))
                try:
                    connection.request("GET", "/healthz", headers={"Host": f"{host}:{self.port}"})
                    if connection.getresponse().status == 200:
                        return
                except OSError:
                    pass
                finally:
                    connection.close()
            if self._thread is not None and not self._thread.is_alive():
                break
            time.sleep(0.01)
        raise RuntimeError(f"the review page did not answer on {self.url} within {START_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        self.ctx.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)
        log.info("review page stopped", extra={"url": self.url})
