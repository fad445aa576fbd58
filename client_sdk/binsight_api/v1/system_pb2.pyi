from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ModelInfo(_message.Message):
    __slots__ = ("name", "kind", "model_id", "provider", "license", "active", "installed", "path", "note")
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PROVIDER_FIELD_NUMBER: _ClassVar[int]
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    INSTALLED_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: str
    model_id: str
    provider: str
    license: str
    active: bool
    installed: bool
    path: str
    note: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[str] = ..., model_id: _Optional[str] = ..., provider: _Optional[str] = ..., license: _Optional[str] = ..., active: _Optional[bool] = ..., installed: _Optional[bool] = ..., path: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class Status(_message.Message):
    __slots__ = ("version", "schema_version", "data_dir", "address", "scene_model", "face_model", "media_count", "shot_count", "cluster_count", "noise_count", "face_count", "character_count", "notes", "active_adapter", "review_url", "text_search")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    DATA_DIR_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    SCENE_MODEL_FIELD_NUMBER: _ClassVar[int]
    FACE_MODEL_FIELD_NUMBER: _ClassVar[int]
    MEDIA_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOISE_COUNT_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    REVIEW_URL_FIELD_NUMBER: _ClassVar[int]
    TEXT_SEARCH_FIELD_NUMBER: _ClassVar[int]
    version: str
    schema_version: int
    data_dir: str
    address: str
    scene_model: ModelInfo
    face_model: ModelInfo
    media_count: int
    shot_count: int
    cluster_count: int
    noise_count: int
    face_count: int
    character_count: int
    notes: _containers.RepeatedScalarFieldContainer[str]
    active_adapter: str
    review_url: str
    text_search: bool
    def __init__(self, version: _Optional[str] = ..., schema_version: _Optional[int] = ..., data_dir: _Optional[str] = ..., address: _Optional[str] = ..., scene_model: _Optional[_Union[ModelInfo, _Mapping]] = ..., face_model: _Optional[_Union[ModelInfo, _Mapping]] = ..., media_count: _Optional[int] = ..., shot_count: _Optional[int] = ..., cluster_count: _Optional[int] = ..., noise_count: _Optional[int] = ..., face_count: _Optional[int] = ..., character_count: _Optional[int] = ..., notes: _Optional[_Iterable[str]] = ..., active_adapter: _Optional[str] = ..., review_url: _Optional[str] = ..., text_search: _Optional[bool] = ...) -> None: ...

class ListModelsResponse(_message.Message):
    __slots__ = ("models",)
    MODELS_FIELD_NUMBER: _ClassVar[int]
    models: _containers.RepeatedCompositeFieldContainer[ModelInfo]
    def __init__(self, models: _Optional[_Iterable[_Union[ModelInfo, _Mapping]]] = ...) -> None: ...
