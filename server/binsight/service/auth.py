"""The gate: bearer tokens checked by an interceptor before any Binsight RPC runs.

A server on loopback without ``require_token`` is open to its local user, as before: a call may
still carry a token, and then its holder's name is the editor on every correction. A server that
needs tokens (any non-loopback bind, or ``require_token``) refuses a call without a valid one
(UNAUTHENTICATED), and a token whose scope is too small for the call (PERMISSION_DENIED): a read
token lists, watches, searches and fetches images; a write token also ingests and corrects; an
admin token also trains and activates adapters. Health and reflection stay open (load balancers
and grpcurl need them).
"""

from __future__ import annotations

from typing import Any

import grpc

from ..access import Access, allows
from ..records import TokenRecord, TokenScope

READ_RPCS = frozenset({
    "WatchJob", "GetJob", "ListJobs", "ListMedia", "GetMedia", "ListShots", "GetKeyframeImage", "GetFaceImage",
    "ListClusters", "GetCluster", "ListCharacters", "GetReviewQueue", "ListFeedback", "ExportTrainingData",
    "ListAdapters", "SearchText", "SearchSimilar", "Search", "ListFormats", "GetStatus", "ListModels", "Export",
    "ListSlates",
})
"""Calls a read token may make. Export writing on the server (an ``out_dir``) needs write scope,
checked by the servicer, which sees the request."""
ADMIN_RPCS = frozenset({"TrainAdapter", "ActivateAdapter"})
OPEN_SERVICES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def needed_scope(rpc: str) -> TokenScope:
    if rpc in READ_RPCS:
        return TokenScope.READ
    return TokenScope.ADMIN if rpc in ADMIN_RPCS else TokenScope.WRITE


def bearer(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == "authorization" and isinstance(value, str) and value.startswith("Bearer "):
            return value[len("Bearer "):].strip()
    return None


class Gate(grpc.aio.ServerInterceptor):
    def __init__(self, access: Access, required: bool) -> None:
        self.access = access
        self.required = required

    def identify(self, context: grpc.aio.ServicerContext) -> TokenRecord | None:
        """The holder of the call's token (the interceptor already refused bad ones)."""
        secret = bearer(context.invocation_metadata())
        return self.access.authenticate(secret) if secret else None

    async def intercept_service(self, continuation, details):  # noqa: ANN001, ANN201 - gRPC's signature
        handler = await continuation(details)
        if handler is None or details.method.startswith(OPEN_SERVICES):
            return handler
        rpc = details.method.rsplit("/", 1)[-1]
        secret = bearer(details.invocation_metadata)
        token = self.access.authenticate(secret) if secret else None
        if secret and token is None:
            return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED,
                            "the token sent is not valid (revoked, or mistyped): ask for a new one "
                            "(binsight tokens add) and set BINSIGHT_TOKEN or BINSIGHT_TOKEN_FILE")
        if token is None and self.required:
            return _refusal(handler, grpc.StatusCode.UNAUTHENTICATED,
                            "this server needs a token: set BINSIGHT_TOKEN or BINSIGHT_TOKEN_FILE "
                            "(its admin makes one with `binsight tokens add NAME --scope read|write|admin`)")
        if token is not None and not allows(token.scope, needed_scope(rpc)):
            return _refusal(handler, grpc.StatusCode.PERMISSION_DENIED,
                            f"token {token.name!r} has {token.scope} scope; {rpc} needs {needed_scope(rpc)}")
        return handler


def _refusal(handler: grpc.RpcMethodHandler, code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler of the same shape as ``handler`` that only refuses."""

    async def refuse(request, context):  # noqa: ANN001, ANN202
        await context.abort(code, message)

    async def refuse_stream(request, context):  # noqa: ANN001, ANN202
        await context.abort(code, message)
        yield  # pragma: no cover - makes this an async generator

    kwargs = {"request_deserializer": handler.request_deserializer,
              "response_serializer": handler.response_serializer}
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(refuse_stream, **kwargs)
    return grpc.unary_unary_rpc_method_handler(refuse, **kwargs)
