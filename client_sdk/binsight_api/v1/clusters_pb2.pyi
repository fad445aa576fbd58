from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListClustersRequest(_message.Message):
    __slots__ = ("include_shots",)
    INCLUDE_SHOTS_FIELD_NUMBER: _ClassVar[int]
    include_shots: bool
    def __init__(self, include_shots: _Optional[bool] = ...) -> None: ...

class ClusterTree(_message.Message):
    __slots__ = ("clusters", "noise", "scene_model_id", "people")
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    NOISE_FIELD_NUMBER: _ClassVar[int]
    SCENE_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    PEOPLE_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedCompositeFieldContainer[_common_pb2.Cluster]
    noise: _common_pb2.Cluster
    scene_model_id: str
    people: _containers.RepeatedCompositeFieldContainer[_common_pb2.Cluster]
    def __init__(self, clusters: _Optional[_Iterable[_Union[_common_pb2.Cluster, _Mapping]]] = ..., noise: _Optional[_Union[_common_pb2.Cluster, _Mapping]] = ..., scene_model_id: _Optional[str] = ..., people: _Optional[_Iterable[_Union[_common_pb2.Cluster, _Mapping]]] = ...) -> None: ...

class ClusterRequest(_message.Message):
    __slots__ = ("cluster_id", "include_shots")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_SHOTS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    include_shots: bool
    def __init__(self, cluster_id: _Optional[str] = ..., include_shots: _Optional[bool] = ...) -> None: ...

class ClusterIds(_message.Message):
    __slots__ = ("cluster_ids",)
    CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReclusterRequest(_message.Message):
    __slots__ = ("use_adapter",)
    USE_ADAPTER_FIELD_NUMBER: _ClassVar[int]
    use_adapter: bool
    def __init__(self, use_adapter: _Optional[bool] = ...) -> None: ...

class ReclusterReport(_message.Message):
    __slots__ = ("shots_total", "shots_moved", "clusters_before", "clusters_after", "clusters_created", "clusters_merged", "noise_before", "noise_after", "adapter_version", "seconds")
    SHOTS_TOTAL_FIELD_NUMBER: _ClassVar[int]
    SHOTS_MOVED_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_BEFORE_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_AFTER_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_CREATED_FIELD_NUMBER: _ClassVar[int]
    CLUSTERS_MERGED_FIELD_NUMBER: _ClassVar[int]
    NOISE_BEFORE_FIELD_NUMBER: _ClassVar[int]
    NOISE_AFTER_FIELD_NUMBER: _ClassVar[int]
    ADAPTER_VERSION_FIELD_NUMBER: _ClassVar[int]
    SECONDS_FIELD_NUMBER: _ClassVar[int]
    shots_total: int
    shots_moved: int
    clusters_before: int
    clusters_after: int
    clusters_created: int
    clusters_merged: int
    noise_before: int
    noise_after: int
    adapter_version: str
    seconds: float
    def __init__(self, shots_total: _Optional[int] = ..., shots_moved: _Optional[int] = ..., clusters_before: _Optional[int] = ..., clusters_after: _Optional[int] = ..., clusters_created: _Optional[int] = ..., clusters_merged: _Optional[int] = ..., noise_before: _Optional[int] = ..., noise_after: _Optional[int] = ..., adapter_version: _Optional[str] = ..., seconds: _Optional[float] = ...) -> None: ...

class ListCharactersResponse(_message.Message):
    __slots__ = ("characters",)
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    characters: _containers.RepeatedCompositeFieldContainer[_common_pb2.Character]
    def __init__(self, characters: _Optional[_Iterable[_Union[_common_pb2.Character, _Mapping]]] = ...) -> None: ...

class ReviewQueueRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class ReviewItem(_message.Message):
    __slots__ = ("shot", "margin")
    SHOT_FIELD_NUMBER: _ClassVar[int]
    MARGIN_FIELD_NUMBER: _ClassVar[int]
    shot: _common_pb2.Shot
    margin: float
    def __init__(self, shot: _Optional[_Union[_common_pb2.Shot, _Mapping]] = ..., margin: _Optional[float] = ...) -> None: ...

class ReviewQueue(_message.Message):
    __slots__ = ("items",)
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.RepeatedCompositeFieldContainer[ReviewItem]
    def __init__(self, items: _Optional[_Iterable[_Union[ReviewItem, _Mapping]]] = ...) -> None: ...
