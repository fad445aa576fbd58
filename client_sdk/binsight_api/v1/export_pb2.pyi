from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ExportRequest(_message.Message):
    __slots__ = ("format", "cluster_ids", "include_noise", "out_dir", "options", "project", "overwrite", "shot_ids", "bin_name")
    class OptionsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_NOISE_FIELD_NUMBER: _ClassVar[int]
    OUT_DIR_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    PROJECT_FIELD_NUMBER: _ClassVar[int]
    OVERWRITE_FIELD_NUMBER: _ClassVar[int]
    SHOT_IDS_FIELD_NUMBER: _ClassVar[int]
    BIN_NAME_FIELD_NUMBER: _ClassVar[int]
    format: str
    cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    include_noise: bool
    out_dir: str
    options: _containers.ScalarMap[str, str]
    project: str
    overwrite: bool
    shot_ids: _containers.RepeatedScalarFieldContainer[str]
    bin_name: str
    def __init__(self, format: _Optional[str] = ..., cluster_ids: _Optional[_Iterable[str]] = ..., include_noise: _Optional[bool] = ..., out_dir: _Optional[str] = ..., options: _Optional[_Mapping[str, str]] = ..., project: _Optional[str] = ..., overwrite: _Optional[bool] = ..., shot_ids: _Optional[_Iterable[str]] = ..., bin_name: _Optional[str] = ...) -> None: ...

class ExportedFile(_message.Message):
    __slots__ = ("name", "path", "data")
    NAME_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    name: str
    path: str
    data: bytes
    def __init__(self, name: _Optional[str] = ..., path: _Optional[str] = ..., data: _Optional[bytes] = ...) -> None: ...

class ExportResponse(_message.Message):
    __slots__ = ("files", "warnings")
    FILES_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[ExportedFile]
    warnings: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, files: _Optional[_Iterable[_Union[ExportedFile, _Mapping]]] = ..., warnings: _Optional[_Iterable[str]] = ...) -> None: ...

class ListFormatsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListFormatsResponse(_message.Message):
    __slots__ = ("formats",)
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    formats: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, formats: _Optional[_Iterable[str]] = ...) -> None: ...
