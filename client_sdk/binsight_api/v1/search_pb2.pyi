from . import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class SearchFilters(_message.Message):
    __slots__ = ("media_ids", "cluster_ids", "person_ids", "faces_only", "min_duration_s", "max_duration_s", "frame_rates", "shot_after", "shot_before", "reels")
    MEDIA_IDS_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_IDS_FIELD_NUMBER: _ClassVar[int]
    PERSON_IDS_FIELD_NUMBER: _ClassVar[int]
    FACES_ONLY_FIELD_NUMBER: _ClassVar[int]
    MIN_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    MAX_DURATION_S_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATES_FIELD_NUMBER: _ClassVar[int]
    SHOT_AFTER_FIELD_NUMBER: _ClassVar[int]
    SHOT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    REELS_FIELD_NUMBER: _ClassVar[int]
    media_ids: _containers.RepeatedScalarFieldContainer[str]
    cluster_ids: _containers.RepeatedScalarFieldContainer[str]
    person_ids: _containers.RepeatedScalarFieldContainer[str]
    faces_only: bool
    min_duration_s: float
    max_duration_s: float
    frame_rates: _containers.RepeatedCompositeFieldContainer[_common_pb2.Rational]
    shot_after: str
    shot_before: str
    reels: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, media_ids: _Optional[_Iterable[str]] = ..., cluster_ids: _Optional[_Iterable[str]] = ..., person_ids: _Optional[_Iterable[str]] = ..., faces_only: _Optional[bool] = ..., min_duration_s: _Optional[float] = ..., max_duration_s: _Optional[float] = ..., frame_rates: _Optional[_Iterable[_Union[_common_pb2.Rational, _Mapping]]] = ..., shot_after: _Optional[str] = ..., shot_before: _Optional[str] = ..., reels: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchRequest(_message.Message):
    __slots__ = ("text", "shot_id", "keyframe_id", "image", "person", "filters", "limit", "min_score")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    PERSON_FIELD_NUMBER: _ClassVar[int]
    FILTERS_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    text: str
    shot_id: str
    keyframe_id: str
    image: bytes
    person: str
    filters: SearchFilters
    limit: int
    min_score: float
    def __init__(self, text: _Optional[str] = ..., shot_id: _Optional[str] = ..., keyframe_id: _Optional[str] = ..., image: _Optional[bytes] = ..., person: _Optional[str] = ..., filters: _Optional[_Union[SearchFilters, _Mapping]] = ..., limit: _Optional[int] = ..., min_score: _Optional[float] = ...) -> None: ...

class SearchTextRequest(_message.Message):
    __slots__ = ("query", "limit")
    QUERY_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    query: str
    limit: int
    def __init__(self, query: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchSimilarRequest(_message.Message):
    __slots__ = ("shot_id", "limit")
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    shot_id: str
    limit: int
    def __init__(self, shot_id: _Optional[str] = ..., limit: _Optional[int] = ...) -> None: ...

class SearchHit(_message.Message):
    __slots__ = ("shot", "score", "keyframe_id", "matched")
    SHOT_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    KEYFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    MATCHED_FIELD_NUMBER: _ClassVar[int]
    shot: _common_pb2.Shot
    score: float
    keyframe_id: str
    matched: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, shot: _Optional[_Union[_common_pb2.Shot, _Mapping]] = ..., score: _Optional[float] = ..., keyframe_id: _Optional[str] = ..., matched: _Optional[_Iterable[str]] = ...) -> None: ...

class SearchResponse(_message.Message):
    __slots__ = ("hits", "model_id", "notes")
    HITS_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    hits: _containers.RepeatedCompositeFieldContainer[SearchHit]
    model_id: str
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, hits: _Optional[_Iterable[_Union[SearchHit, _Mapping]]] = ..., model_id: _Optional[str] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...
