from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Rational(_message.Message):
    __slots__ = ("num", "den")
    NUM_FIELD_NUMBER: _ClassVar[int]
    DEN_FIELD_NUMBER: _ClassVar[int]
    num: int
    den: int
    def __init__(self, num: _Optional[int] = ..., den: _Optional[int] = ...) -> None: ...

class MediaFile(_message.Message):
    __slots__ = ("media_id", "path", "content_hash", "container", "codec", "width", "height", "rotation", "pixel_aspect", "frame_rate", "frame_count", "duration_s", "first_pts_s", "start_timecode", "drop_frame", "reel", "creation_time", "has_audio", "audio_channels", "audio_sample_rate", "bit_depth", "pix_fmt", "interlaced", "variable_frame_rate", "truncated", "warnings", "scene_model_id", "face_model_id", "ingested_at", "shot_count", "size_bytes")
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    CONTENT_HASH_FIELD_NUMBER: _ClassVar[int]
    CONTAINER_FIELD_NUMBER: _ClassVar[int]
    CODEC_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    ROTATION_FIELD_NUMBER: _ClassVar[int]
    PIXEL_ASPECT_FIELD_NUMBER: _ClassVar[int]
    FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    FIRST_PTS_S_FIELD_NUMBER: _ClassVar[int]
    START_TIMECODE_FIELD_NUMBER: _ClassVar[int]
    DROP_FRAME_FIELD_NUMBER: _ClassVar[int]
    REEL_FIELD_NUMBER: _ClassVar[int]
    CREATION_TIME_FIELD_NUMBER: _ClassVar[int]
    HAS_AUDIO_FIELD_NUMBER: _ClassVar[int]
    AUDIO_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    AUDIO_SAMPLE_RATE_FIELD_NUMBER: _ClassVar[int]
    BIT_DEPTH_FIELD_NUMBER: _ClassVar[int]
    PIX_FMT_FIELD_NUMBER: _ClassVar[int]
    INTERLACED_FIELD_NUMBER: _ClassVar[int]
    VARIABLE_FRAME_RATE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    WARNINGS_FIELD_NUMBER: _ClassVar[int]
    SCENE_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    FACE_MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    INGESTED_AT_FIELD_NUMBER: _ClassVar[int]
    SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    media_id: str
    path: str
    content_hash: str
    container: str
    codec: str
    width: int
    height: int
    rotation: int
    pixel_aspect: Rational
    frame_rate: Rational
    frame_count: int
    duration_s: float
    first_pts_s: float
    start_timecode: str
    drop_frame: bool
    reel: str
    creation_time: str
    has_audio: bool
    audio_channels: int
    audio_sample_rate: int
    bit_depth: int
    pix_fmt: str
    interlaced: bool
    variable_frame_rate: bool
    truncated: bool
    warnings: _containers.RepeatedScalarFieldContainer[str]
    scene_model_id: str
    face_model_id: str
    ingested_at: str
    shot_count: int
    size_bytes: int
    def __init__(self, media_id: _Optional[str] = ..., path: _Optional[str] = ..., content_hash: _Optional[str] = ..., container: _Optional[str] = ..., codec: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., rotation: _Optional[int] = ..., pixel_aspect: _Optional[_Union[Rational, _Mapping]] = ..., frame_rate: _Optional[_Union[Rational, _Mapping]] = ..., frame_count: _Optional[int] = ..., duration_s: _Optional[float] = ..., first_pts_s: _Optional[float] = ..., start_timecode: _Optional[str] = ..., drop_frame: _Optional[bool] = ..., reel: _Optional[str] = ..., creation_time: _Optional[str] = ..., has_audio: _Optional[bool] = ..., audio_channels: _Optional[int] = ..., audio_sample_rate: _Optional[int] = ..., bit_depth: _Optional[int] = ..., pix_fmt: _Optional[str] = ..., interlaced: _Optional[bool] = ..., variable_frame_rate: _Optional[bool] = ..., truncated: _Optional[bool] = ..., warnings: _Optional[_Iterable[str]] = ..., scene_model_id: _Optional[str] = ..., face_model_id: _Optional[str] = ..., ingested_at: _Optional[str] = ..., shot_count: _Optional[int] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class Keyframe(_message.Message):
    __slots__ = ("keyframe_id", "shot_id", "frame", "time_s", "sharpness")
    KEYFRAME_ID_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    SHARPNESS_FIELD_NUMBER: _ClassVar[int]
    keyframe_id: str
    shot_id: str
    frame: int
    time_s: float
    sharpness: float
    def __init__(self, keyframe_id: _Optional[str] = ..., shot_id: _Optional[str] = ..., frame: _Optional[int] = ..., time_s: _Optional[float] = ..., sharpness: _Optional[float] = ...) -> None: ...

class Face(_message.Message):
    __slots__ = ("face_id", "shot_id", "frame", "time_s", "box", "landmarks", "det_score", "sharpness", "character_id", "model_id")
    FACE_ID_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    FRAME_FIELD_NUMBER: _ClassVar[int]
    TIME_S_FIELD_NUMBER: _ClassVar[int]
    BOX_FIELD_NUMBER: _ClassVar[int]
    LANDMARKS_FIELD_NUMBER: _ClassVar[int]
    DET_SCORE_FIELD_NUMBER: _ClassVar[int]
    SHARPNESS_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    face_id: str
    shot_id: str
    frame: int
    time_s: float
    box: _containers.RepeatedScalarFieldContainer[float]
    landmarks: _containers.RepeatedScalarFieldContainer[float]
    det_score: float
    sharpness: float
    character_id: str
    model_id: str
    def __init__(self, face_id: _Optional[str] = ..., shot_id: _Optional[str] = ..., frame: _Optional[int] = ..., time_s: _Optional[float] = ..., box: _Optional[_Iterable[float]] = ..., landmarks: _Optional[_Iterable[float]] = ..., det_score: _Optional[float] = ..., sharpness: _Optional[float] = ..., character_id: _Optional[str] = ..., model_id: _Optional[str] = ...) -> None: ...

class Candidate(_message.Message):
    __slots__ = ("cluster_id", "score", "name")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    score: float
    name: str
    def __init__(self, cluster_id: _Optional[str] = ..., score: _Optional[float] = ..., name: _Optional[str] = ...) -> None: ...

class Shot(_message.Message):
    __slots__ = ("shot_id", "media_id", "index", "start_frame", "end_frame", "start_s", "end_s", "source_in", "source_out", "moving", "cluster_id", "score", "noise", "candidates", "keyframes", "character_ids", "face_count", "pinned", "media_path", "slate")
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    MEDIA_ID_FIELD_NUMBER: _ClassVar[int]
    INDEX_FIELD_NUMBER: _ClassVar[int]
    START_FRAME_FIELD_NUMBER: _ClassVar[int]
    END_FRAME_FIELD_NUMBER: _ClassVar[int]
    START_S_FIELD_NUMBER: _ClassVar[int]
    END_S_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IN_FIELD_NUMBER: _ClassVar[int]
    SOURCE_OUT_FIELD_NUMBER: _ClassVar[int]
    MOVING_FIELD_NUMBER: _ClassVar[int]
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    NOISE_FIELD_NUMBER: _ClassVar[int]
    CANDIDATES_FIELD_NUMBER: _ClassVar[int]
    KEYFRAMES_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    MEDIA_PATH_FIELD_NUMBER: _ClassVar[int]
    SLATE_FIELD_NUMBER: _ClassVar[int]
    shot_id: str
    media_id: str
    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    source_in: str
    source_out: str
    moving: bool
    cluster_id: str
    score: float
    noise: bool
    candidates: _containers.RepeatedCompositeFieldContainer[Candidate]
    keyframes: _containers.RepeatedCompositeFieldContainer[Keyframe]
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    face_count: int
    pinned: bool
    media_path: str
    slate: str
    def __init__(self, shot_id: _Optional[str] = ..., media_id: _Optional[str] = ..., index: _Optional[int] = ..., start_frame: _Optional[int] = ..., end_frame: _Optional[int] = ..., start_s: _Optional[float] = ..., end_s: _Optional[float] = ..., source_in: _Optional[str] = ..., source_out: _Optional[str] = ..., moving: _Optional[bool] = ..., cluster_id: _Optional[str] = ..., score: _Optional[float] = ..., noise: _Optional[bool] = ..., candidates: _Optional[_Iterable[_Union[Candidate, _Mapping]]] = ..., keyframes: _Optional[_Iterable[_Union[Keyframe, _Mapping]]] = ..., character_ids: _Optional[_Iterable[str]] = ..., face_count: _Optional[int] = ..., pinned: _Optional[bool] = ..., media_path: _Optional[str] = ..., slate: _Optional[str] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ("cluster_id", "kind", "name", "locked", "named", "shot_count", "shots", "children", "character_ids")
    CLUSTER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    LOCKED_FIELD_NUMBER: _ClassVar[int]
    NAMED_FIELD_NUMBER: _ClassVar[int]
    SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    CHILDREN_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    cluster_id: str
    kind: str
    name: str
    locked: bool
    named: bool
    shot_count: int
    shots: _containers.RepeatedCompositeFieldContainer[Shot]
    children: _containers.RepeatedCompositeFieldContainer[Cluster]
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, cluster_id: _Optional[str] = ..., kind: _Optional[str] = ..., name: _Optional[str] = ..., locked: _Optional[bool] = ..., named: _Optional[bool] = ..., shot_count: _Optional[int] = ..., shots: _Optional[_Iterable[_Union[Shot, _Mapping]]] = ..., children: _Optional[_Iterable[_Union[Cluster, _Mapping]]] = ..., character_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class Character(_message.Message):
    __slots__ = ("character_id", "name", "face_count", "shot_count", "sample_face_id", "model_id")
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    FACE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FACE_ID_FIELD_NUMBER: _ClassVar[int]
    MODEL_ID_FIELD_NUMBER: _ClassVar[int]
    character_id: str
    name: str
    face_count: int
    shot_count: int
    sample_face_id: str
    model_id: str
    def __init__(self, character_id: _Optional[str] = ..., name: _Optional[str] = ..., face_count: _Optional[int] = ..., shot_count: _Optional[int] = ..., sample_face_id: _Optional[str] = ..., model_id: _Optional[str] = ...) -> None: ...

class Empty(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
