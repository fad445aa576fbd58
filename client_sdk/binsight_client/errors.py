"""The SDK's exceptions: a small hierarchy over gRPC status codes, each carrying the server's
message, so a panel can show the reason and decide whether to retry without knowing gRPC."""

from __future__ import annotations

from typing import Dict, Type

import grpc


class BinsightError(Exception):
    """Any failure reported by the Binsight server or the connection to it."""

    def __init__(self, message: str, code: "grpc.StatusCode | None" = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class InvalidArgument(BinsightError):
    """The request was wrong (bad path, unknown format); fix it and send again."""


class NotFound(BinsightError):
    """The media, shot, cluster, job or keyframe named does not exist."""


class FailedPrecondition(BinsightError):
    """The request contradicts the project's state (a locked cluster, no text model)."""


class Unavailable(BinsightError):
    """The server is not reachable (not started, wrong address) or a model is missing."""


class DeadlineExceeded(BinsightError):
    """The call took longer than its deadline."""


class Cancelled(BinsightError):
    """The call or job was cancelled."""


class Unimplemented(BinsightError):
    """The server does not offer this call yet."""


class PermissionDenied(BinsightError):
    """The caller may not do this: a path outside the media roots, a read-only token."""


class Unauthenticated(BinsightError):
    """The server needs a valid token (BINSIGHT_TOKEN or BINSIGHT_TOKEN_FILE)."""


_BY_CODE: Dict[grpc.StatusCode, Type[BinsightError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
    grpc.StatusCode.CANCELLED: Cancelled,
    grpc.StatusCode.UNIMPLEMENTED: Unimplemented,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
}


def from_rpc_error(error: grpc.RpcError) -> BinsightError:
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    cls = _BY_CODE.get(code, BinsightError)
    return cls(details or str(code), code)
