"""The core's typed views <-> protobuf messages, and core errors -> gRPC statuses.

Everything the wire spells differently from the core is spelled here and only here:

* the noise bucket: ``None`` in the core, ``"noise"`` as a bin id and ``""`` as a shot's bin;
* job states: ``JobState.RUNNING`` <-> ``JOB_STATE_RUNNING``;
* exact rates: ``Fraction`` <-> ``Rational{num, den}``.

Conversion is strict: a view field the message does not have is a ``TypeError`` (a renamed
field fails a test instead of vanishing from every response).
"""

from __future__ import annotations

import dataclasses
from enum import Enum
from fractions import Fraction
from typing import Any, TypeVar

import grpc
from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from ..errors import BinsightError
from ..snapshots import Derived

M = TypeVar("M", bound=Message)

NOISE_BIN_ID = "noise"
MAX_MESSAGE_CHARS = 1000  # gRPC carries status messages in 8 KB of metadata; paths can be longer

_STATUS = {
    "invalid_argument": grpc.StatusCode.INVALID_ARGUMENT,
    "not_found": grpc.StatusCode.NOT_FOUND,
    "failed_precondition": grpc.StatusCode.FAILED_PRECONDITION,
    "unavailable": grpc.StatusCode.UNAVAILABLE,
    "cancelled": grpc.StatusCode.CANCELLED,
    "unimplemented": grpc.StatusCode.UNIMPLEMENTED,
    "permission_denied": grpc.StatusCode.PERMISSION_DENIED,
    "unauthenticated": grpc.StatusCode.UNAUTHENTICATED,
    "resource_exhausted": grpc.StatusCode.RESOURCE_EXHAUSTED,
    "internal": grpc.StatusCode.INTERNAL,
}

# (message, field) whose None means the noise bucket, and how the wire spells it there
_NOISE_SPELLING = {("Cluster", "cluster_id"): NOISE_BIN_ID}


def status_for(error: BinsightError) -> grpc.StatusCode:
    return _STATUS.get(error.kind, grpc.StatusCode.INTERNAL)


def message_of(error: BaseException) -> str:
    """The error's sentence, capped so it always fits in the status metadata."""
    text = str(error)
    return text if len(text) <= MAX_MESSAGE_CHARS else text[: MAX_MESSAGE_CHARS - 1] + "…"


def cluster_arg(value: str) -> str | None:
    """A bin id from a request: ``"noise"`` names the noise bucket."""
    return None if value == NOISE_BIN_ID else value


class Reuse:
    """Messages of ``cls`` built from views the core hands out again unchanged (the very same
    object: a bin tree's summaries, see ``ProjectView.cache``), built once and copied after. A
    100k-shot tree's 3000 bins then cost a copy each instead of a walk over their fields."""

    def __init__(self, cls: type[Message], limit: int = 50_000) -> None:
        self.cls = cls
        self._kept: Derived[Message] = Derived(limit)

    def get(self, view: Any) -> Message:
        return self._kept.get(id(view), (view,), lambda: to_message(self.cls, view))


def to_message(cls: type[M], view: Any, reuse: Reuse | None = None) -> M:
    """Build ``cls`` from a view: each message field is read from the view's attribute of the
    same name (properties included); absent attributes leave the field at its default.
    ``reuse``: where sub-messages of its class come from."""
    message = cls()
    descriptor = cls.DESCRIPTOR
    if dataclasses.is_dataclass(view):
        unknown = {f.name for f in dataclasses.fields(view)} - set(descriptor.fields_by_name)
        if unknown:
            raise TypeError(f"{type(view).__name__} has fields {sorted(unknown)} that {descriptor.name} lacks")
    for fd in descriptor.fields:
        if not hasattr(view, fd.name):
            continue
        value = getattr(view, fd.name)
        if value is None:
            spelling = _NOISE_SPELLING.get((descriptor.name, fd.name))
            if spelling is not None:
                setattr(message, fd.name, spelling)
            continue
        _assign(message, fd, value, reuse)
    return message


def _assign(message: Message, fd: FieldDescriptor, value: Any, reuse: Reuse | None = None) -> None:
    repeated = fd.is_repeated
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        sub_cls = fd.message_type._concrete_class
        if fd.message_type.GetOptions().map_entry:
            value_fd = fd.message_type.fields_by_name["value"]
            getattr(message, fd.name).update({str(k): _scalar(value_fd, v) for k, v in value.items()})
        elif repeated:
            getattr(message, fd.name).extend(_sub(sub_cls, item, reuse) for item in value)
        else:
            getattr(message, fd.name).CopyFrom(_sub(sub_cls, value, reuse))
    elif repeated:
        getattr(message, fd.name).extend(_scalar(fd, item) for item in value)
    else:
        setattr(message, fd.name, _scalar(fd, value))


def _sub(cls: type[M], value: Any, reuse: Reuse | None) -> M:
    if isinstance(value, Fraction):
        return cls(num=value.numerator, den=value.denominator)  # type: ignore[call-arg]
    if reuse is not None and reuse.cls is cls:
        return reuse.get(value)  # type: ignore[return-value]
    return to_message(cls, value, reuse)


def _scalar(fd: FieldDescriptor, value: Any) -> Any:
    if fd.type == FieldDescriptor.TYPE_ENUM:
        prefix = fd.enum_type.values[0].name.rsplit("_", 1)[0]  # JOB_STATE_UNSPECIFIED -> JOB_STATE
        return fd.enum_type.values_by_name[f"{prefix}_{str(value).upper()}"].number
    if isinstance(value, Enum):
        return str(value.value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return bytes(value)
    return value
