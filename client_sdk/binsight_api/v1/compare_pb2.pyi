from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Timeline(_message.Message):
    __slots__ = ("name", "format", "data")
    NAME_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    format: str
    data: bytes
    def __init__(self, name: _Optional[str] = ..., format: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class CompareCutsRequest(_message.Message):
    __slots__ = ("before", "after")
    BEFORE_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    before: Timeline
    after: Timeline
    def __init__(self, before: _Optional[_Union[Timeline, _Mapping]] = ..., after: _Optional[_Union[Timeline, _Mapping]] = ...) -> None: ...

class CutChange(_message.Message):
    __slots__ = ("kind", "clip_name", "shot_id", "before_range", "after_range")
    KIND_FIELD_NUMBER: _ClassVar[int]
    CLIP_NAME_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    BEFORE_RANGE_FIELD_NUMBER: _ClassVar[int]
    AFTER_RANGE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    clip_name: str
    shot_id: str
    before_range: str
    after_range: str
    def __init__(self, kind: _Optional[str] = ..., clip_name: _Optional[str] = ..., shot_id: _Optional[str] = ..., before_range: _Optional[str] = ..., after_range: _Optional[str] = ...) -> None: ...

class CompareCutsResponse(_message.Message):
    __slots__ = ("changes",)
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    changes: _containers.RepeatedCompositeFieldContainer[CutChange]
    def __init__(self, changes: _Optional[_Iterable[_Union[CutChange, _Mapping]]] = ...) -> None: ...
