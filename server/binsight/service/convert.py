"""Protobuf ⇄ plain data for the servicers. The core speaks dicts keyed by proto field names,
so one generic conversion (protobuf's own ParseDict) serves every message."""

from __future__ import annotations

from typing import Any, Mapping, TypeVar

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from ..errors import BinsightError

M = TypeVar("M", bound=Message)

_STATUS = {
    "invalid_argument": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "failed_precondition": grpc.StatusCode.FAILED_PRECONDITION,
    "unavailable": grpc.StatusCode.UNAVAILABLE,
    "cancelled": grpc.StatusCode.CANCELLED,
    "internal": grpc.StatusCode.INTERNAL,
}


def to_message(cls: type[M], data: Mapping[str, Any]) -> M:
    return json_format.ParseDict(_jsonable(data), cls(), ignore_unknown_fields=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        import base64
        return base64.b64encode(value).decode()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def status_for(error: BinsightError) -> grpc.StatusCode:
    return _STATUS.get(error.kind, grpc.StatusCode.INTERNAL)
