"""Python client SDK for the Binsight server (needs only grpcio and protobuf)."""

from .client import DEFAULT_ADDRESS, Client
from .errors import (BinsightError, Cancelled, DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound,
                     PermissionDenied, Unauthenticated, Unavailable, Unimplemented)
from .types import *  # noqa: F401,F403  (the result dataclasses)

__all__ = ["Client", "DEFAULT_ADDRESS", "BinsightError", "Cancelled", "DeadlineExceeded", "FailedPrecondition",
           "InvalidArgument", "NotFound", "PermissionDenied", "Unauthenticated", "Unavailable", "Unimplemented"]
