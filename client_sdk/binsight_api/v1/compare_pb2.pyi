from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CompareRequest(_message.Message):
    __slots__ = ("a", "b", "report_format", "match_threshold", "changed_structure", "changed_colour")
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    REPORT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    MATCH_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    CHANGED_STRUCTURE_FIELD_NUMBER: _ClassVar[int]
    CHANGED_COLOUR_FIELD_NUMBER: _ClassVar[int]
    a: str
    b: str
    report_format: str
    match_threshold: float
    changed_structure: float
    changed_colour: float
    def __init__(self, a: _Optional[str] = ..., b: _Optional[str] = ..., report_format: _Optional[str] = ..., match_threshold: _Optional[float] = ..., changed_structure: _Optional[float] = ..., changed_colour: _Optional[float] = ...) -> None: ...

class CompareSide(_message.Message):
    __slots__ = ("start", "end", "in_s", "out_s", "tc_in", "tc_out", "keyframes")
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    IN_S_FIELD_NUMBER: _ClassVar[int]
    OUT_S_FIELD_NUMBER: _ClassVar[int]
    TC_IN_FIELD_NUMBER: _ClassVar[int]
    TC_OUT_FIELD_NUMBER: _ClassVar[int]
    KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    start: int
    end: int
    in_s: float
    out_s: float
    tc_in: str
    tc_out: str
    keyframes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, start: _Optional[int] = ..., end: _Optional[int] = ..., in_s: _Optional[float] = ..., out_s: _Optional[float] = ..., tc_in: _Optional[str] = ..., tc_out: _Optional[str] = ..., keyframes: _Optional[_Iterable[int]] = ...) -> None: ...

class Difference(_message.Message):
    __slots__ = ("kind", "a", "b", "distance", "at_b", "head_frames", "tail_frames", "note")
    KIND_FIELD_NUMBER: _ClassVar[int]
    A_FIELD_NUMBER: _ClassVar[int]
    B_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_FIELD_NUMBER: _ClassVar[int]
    AT_B_FIELD_NUMBER: _ClassVar[int]
    HEAD_FRAMES_FIELD_NUMBER: _ClassVar[int]
    TAIL_FRAMES_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    kind: str
    a: CompareSide
    b: CompareSide
    distance: float
    at_b: int
    head_frames: int
    tail_frames: int
    note: str
    def __init__(self, kind: _Optional[str] = ..., a: _Optional[_Union[CompareSide, _Mapping]] = ..., b: _Optional[_Union[CompareSide, _Mapping]] = ..., distance: _Optional[float] = ..., at_b: _Optional[int] = ..., head_frames: _Optional[int] = ..., tail_frames: _Optional[int] = ..., note: _Optional[str] = ...) -> None: ...

class CompareMarker(_message.Message):
    __slots__ = ("frame", "colour", "name", "note", "duration", "custom_data")
    FRAME_FIELD_NUMBER: _ClassVar[int]
    COLOUR_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CUSTOM_DATA_FIELD_NUMBER: _ClassVar[int]
    frame: int
    colour: str
    name: str
    note: str
    duration: int
    custom_data: str
    def __init__(self, frame: _Optional[int] = ..., colour: _Optional[str] = ..., name: _Optional[str] = ..., note: _Optional[str] = ..., duration: _Optional[int] = ..., custom_data: _Optional[str] = ...) -> None: ...

class CompareResponse(_message.Message):
    __slots__ = ("a_path", "b_path", "differences", "unchanged", "warnings", "markers", "report", "report_name")
    A_PATH_FIELD_NUMBER: _ClassVar[int]
    B_PATH_FIELD_NUMBER: _ClassVar[int]
    DIFFERENCES_FIELD_NUMBER: _ClassVar[int]
    UNCHANGED_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    MARKERS_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    REPORT_NAME_FIELD_NUMBER: _ClassVar[int]
    a_path: str
    b_path: str
    differences: _containers.RepeatedCompositeFieldContainer[Difference]
    unchanged: int
    warnings: _containers.RepeatedScalarFieldContainer[str]
    markers: _containers.RepeatedCompositeFieldContainer[CompareMarker]
    report: bytes
    report_name: str
    def __init__(self, a_path: _Optional[str] = ..., b_path: _Optional[str] = ..., differences: _Optional[_Iterable[_Union[Difference, _Mapping]]] = ..., unchanged: _Optional[int] = ..., warnings: _Optional[_Iterable[str]] = ..., markers: _Optional[_Iterable[_Union[CompareMarker, _Mapping]]] = ..., report: _Optional[bytes] = ..., report_name: _Optional[str] = ...) -> None: ...
