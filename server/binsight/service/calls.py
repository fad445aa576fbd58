"""One RPC's context: its request id (in every log line it causes and in the response's
``x-request-id`` metadata), its caller (the token's holder, when one was sent) and its latency
and status in the metrics."""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import functools
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from typing import TypeVar

import grpc

from ..log import request_id
from ..metrics import Registry
from ..records import TokenRecord
from .auth import READ_RPCS

T = TypeVar("T")

log = logging.getLogger(__name__)
_caller: contextvars.ContextVar[TokenRecord | None] = contextvars.ContextVar("binsight_caller", default=None)


def caller() -> TokenRecord | None:
    """The token this call came with (None on an open loopback server without one)."""
    return _caller.get()


def actor(claimed: str) -> str:
    """Whose correction this is: the token's name when the call has one; else what the client
    says (an open loopback server trusts its local user)."""
    token = _caller.get()
    return token.name if token is not None else claimed


class Calls:
    """Per-server: who is calling (from the gate) and what the calls cost (metrics)."""

    def __init__(self, metrics: Registry, identify, writes: Executor,  # noqa: ANN001 - Gate.identify
                 freshen: Callable[[], object]) -> None:
        self.metrics = metrics
        self.identify = identify
        self.writes = writes
        self.freshen = freshen  # SharedLibrary.refresh: other servers' commits read in before a call
        self.open_streams = 0

    async def run(self, rpc: str, work: Callable[[], T]) -> T:
        """Run a call's work off the event loop, in this call's context: reads on the default
        pool, calls that change the project on the write pool (so reads never queue behind
        writes waiting for the write lock)."""
        loop = asyncio.get_running_loop()
        executor = None if rpc in READ_RPCS else self.writes
        return await loop.run_in_executor(executor, functools.partial(contextvars.copy_context().run, work))

    @contextlib.contextmanager
    def calling(self, context: grpc.aio.ServicerContext, rpc: str, stream: bool = False) -> Iterator[None]:
        rid = uuid.uuid4().hex[:12]
        tokens = (request_id.set(rid), _caller.set(self.identify(context)))
        context.set_trailing_metadata((("x-request-id", rid),))
        started = time.perf_counter()
        code = "OK"
        if stream:
            self.open_streams += 1
        try:
            yield
        except BaseException:
            code = "ERROR"
            raise
        finally:
            if stream:
                self.open_streams -= 1
            status = context.code() if hasattr(context, "code") else None
            code = status.name if isinstance(status, grpc.StatusCode) else code
            seconds = time.perf_counter() - started
            self.metrics.observe("binsight_rpc_seconds", "RPC latency by method and status", seconds,
                                 method=rpc, code=code)
            log.debug("rpc", extra={"rpc": rpc, "code": code, "ms": round(seconds * 1000, 2)})
            request_id.reset(tokens[0])
            _caller.reset(tokens[1])
